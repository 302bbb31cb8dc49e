//! Holiday care (SPEC §4 "birthday/holiday care with consent"): the configured holidays and
//! which of them fall within the planning lead of a day. The care job plans one task per
//! consenting customer and holiday date from these (`db::rules::care`).

use chrono::{Datelike, Duration, NaiveDate};
use serde::Deserialize;

/// When a holiday falls: on the same month and day every year (New Year 01-01, Labour Day
/// 05-01, National Day 10-01), or on one date (lunar holidays such as the Spring Festival move
/// from year to year, so they are configured year by year).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HolidayDate {
    Yearly { month: u32, day: u32 },
    Once(NaiveDate),
}

/// A configured holiday, written `"MM-DD Name"` or `"YYYY-MM-DD Name"` (the name is
/// optional: the date stands for it).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Holiday {
    pub date: HolidayDate,
    pub name: String,
}

impl Holiday {
    /// Reads `"MM-DD Name"` or `"YYYY-MM-DD Name"`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (date, name) = match text.split_once(char::is_whitespace) {
            Some((date, name)) => (date, name.trim()),
            None => (text, ""),
        };
        let invalid =
            || format!("holiday {text:?}: expected \"MM-DD Name\" or \"YYYY-MM-DD Name\"");
        let date = match date.len() {
            5 => {
                let (month, day) = date.split_once('-').ok_or_else(invalid)?;
                let (month, day) = (
                    month.parse().map_err(|_| invalid())?,
                    day.parse().map_err(|_| invalid())?,
                );
                // 2000 was a leap year: 02-29 is a holiday date, observed in leap years only.
                NaiveDate::from_ymd_opt(2000, month, day).ok_or_else(invalid)?;
                HolidayDate::Yearly { month, day }
            }
            10 => HolidayDate::Once(
                NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| invalid())?,
            ),
            _ => return Err(invalid()),
        };
        let name = if name.is_empty() {
            date_text(date)
        } else {
            name.to_owned()
        };
        Ok(Self { date, name })
    }

    /// The day it falls on in `year`, if it falls in that year at all.
    pub fn in_year(&self, year: i32) -> Option<NaiveDate> {
        match self.date {
            HolidayDate::Yearly { month, day } => NaiveDate::from_ymd_opt(year, month, day),
            HolidayDate::Once(date) => (date.year() == year).then_some(date),
        }
    }
}

impl TryFrom<String> for Holiday {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        Self::parse(&text)
    }
}

fn date_text(date: HolidayDate) -> String {
    match date {
        HolidayDate::Yearly { month, day } => format!("{month:02}-{day:02}"),
        HolidayDate::Once(date) => date.to_string(),
    }
}

/// A date to plan holiday care for, and what is celebrated on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occasion {
    pub day: NaiveDate,
    /// The names of the holidays on that day, joined by " / ".
    pub names: String,
}

/// The holiday dates from `today` to `lead_days` days later, earliest first, each date once
/// (two holidays on one day make one occasion: one care task, not two).
pub fn upcoming(holidays: &[Holiday], today: NaiveDate, lead_days: i64) -> Vec<Occasion> {
    (0..=lead_days.max(0))
        .map(|d| today + Duration::days(d))
        .filter_map(|day| {
            let names: Vec<&str> = holidays
                .iter()
                .filter(|h| h.in_year(day.year()) == Some(day))
                .map(|h| h.name.as_str())
                .collect();
            (!names.is_empty()).then(|| Occasion {
                day,
                names: names.join(" / "),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
    }

    fn holidays(texts: &[&str]) -> Vec<Holiday> {
        texts
            .iter()
            .map(|t| Holiday::parse(t).expect("holiday"))
            .collect()
    }

    #[test]
    fn yearly_and_one_off_dates_are_read_with_or_without_a_name() {
        let h = Holiday::parse(" 10-01 National Day (国庆节) ").expect("yearly");
        assert_eq!(h.date, HolidayDate::Yearly { month: 10, day: 1 });
        assert_eq!(h.name, "National Day (国庆节)");
        let h = Holiday::parse("2027-02-06 Spring Festival").expect("one-off");
        assert_eq!(h.date, HolidayDate::Once(day("2027-02-06")));
        assert_eq!(Holiday::parse("05-01").expect("unnamed").name, "05-01");
        assert_eq!(
            Holiday::parse("2027-02-06").expect("unnamed").name,
            "2027-02-06"
        );
        for bad in [
            "",
            "13-01",
            "02-30",
            "1-1",
            "2027-02-30 X",
            "Oct 1",
            "10/01 X",
        ] {
            assert!(Holiday::parse(bad).is_err(), "{bad:?} is refused");
        }
    }

    #[test]
    fn the_holidays_within_the_lead_are_upcoming_across_the_new_year() {
        let hs = holidays(&["01-01 New Year", "10-01 National Day"]);
        let ahead = upcoming(&hs, day("2026-12-31"), 1);
        assert_eq!(
            ahead,
            vec![Occasion {
                day: day("2027-01-01"),
                names: "New Year".into()
            }]
        );
        assert!(
            upcoming(&hs, day("2026-12-30"), 1).is_empty(),
            "two days early"
        );
        assert_eq!(
            upcoming(&hs, day("2026-10-01"), 0)[0].day,
            day("2026-10-01")
        );
        assert!(
            upcoming(&hs, day("2026-10-02"), 5).is_empty(),
            "already past"
        );
    }

    #[test]
    fn one_off_dates_fall_only_in_their_year_and_shared_days_make_one_occasion() {
        let hs = holidays(&["2027-02-06 Spring Festival", "02-06 Other", "02-29 Leap"]);
        let ahead = upcoming(&hs, day("2027-02-05"), 1);
        assert_eq!(ahead.len(), 1);
        assert_eq!(ahead[0].names, "Spring Festival / Other");
        assert_eq!(upcoming(&hs, day("2028-02-06"), 0)[0].names, "Other");
        assert_eq!(
            upcoming(&hs, day("2028-02-28"), 1)[0].day,
            day("2028-02-29")
        );
        assert!(upcoming(&hs, day("2027-02-28"), 0).is_empty());
    }
}
