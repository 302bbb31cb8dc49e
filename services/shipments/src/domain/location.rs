//! Places as Kuaidi stores and compares them: hub codes trimmed and upper-cased, cities and
//! provinces trimmed, a blank optional part absent. Applied to a shipment's origin and
//! destination at creation, to a scan's location at ingestion and to the place an impact query
//! names, so `" pek02"` and `"PEK02"` are one hub, `"北京 "` and `"北京"` one city (and one
//! lane). Whitespace is Unicode's (an ideographic space U+3000 too); only ASCII letters change
//! case (hub codes are ASCII; a city's characters are never touched). Migration
//! `2026121300500_normalised_places` applies the same rules to the rows stored before.

use super::new_shipment::Place;
use super::tracking::EventLocation;

/// A hub code as stored: trimmed, ASCII letters upper-cased; `None` when blank.
pub fn hub_code(raw: &str) -> Option<String> {
    Some(raw.trim().to_ascii_uppercase()).filter(|c| !c.is_empty())
}

/// A city's or a province's name as stored: trimmed; `None` when blank.
pub fn name(raw: &str) -> Option<String> {
    Some(raw.trim().to_owned()).filter(|n| !n.is_empty())
}

impl Place {
    /// The place as stored ([`hub_code`], [`name`]); a blank city stays blank (validation
    /// refuses it before).
    pub fn normalised(self) -> Self {
        Self {
            city: self.city.trim().to_owned(),
            province: self.province.as_deref().and_then(name),
            hub_code: self.hub_code.as_deref().and_then(hub_code),
        }
    }
}

impl EventLocation {
    /// The scan's location as stored ([`hub_code`], [`name`]).
    pub fn normalised(self) -> Self {
        Self {
            hub_code: self.hub_code.as_deref().and_then(hub_code),
            city: self.city.as_deref().and_then(name),
            province: self.province.as_deref().and_then(name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hub_codes_are_trimmed_and_upper_cased_and_blank_ones_absent() {
        assert_eq!(hub_code(" pek02\t").as_deref(), Some("PEK02"));
        assert_eq!(hub_code("\u{3000}hbf7b404 ").as_deref(), Some("HBF7B404"));
        assert_eq!(hub_code("   "), None);
        assert_eq!(hub_code(""), None);
    }

    #[test]
    fn names_are_trimmed_and_never_change_case() {
        assert_eq!(name("北京 ").as_deref(), Some("北京"));
        assert_eq!(name("\u{3000}Beijing\n").as_deref(), Some("Beijing"));
        assert_eq!(name(" "), None);
    }

    #[test]
    fn places_and_scan_locations_are_normalised_part_by_part() {
        let place = Place {
            city: " 北京 ".into(),
            province: Some("  ".into()),
            hub_code: Some("lc01 ".into()),
        };
        assert_eq!(
            place.normalised(),
            Place {
                city: "北京".into(),
                province: None,
                hub_code: Some("LC01".into()),
            }
        );
        let at = EventLocation {
            hub_code: Some(" hbf7b404".into()),
            city: Some("上海 ".into()),
            province: None,
        };
        assert_eq!(
            at.normalised(),
            EventLocation {
                hub_code: Some("HBF7B404".into()),
                city: Some("上海".into()),
                province: None,
            }
        );
    }
}
