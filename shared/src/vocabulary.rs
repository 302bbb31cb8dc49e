//! Closed vocabularies — statuses, channels, categories, roles — declared once, spelled in
//! snake case wherever they travel: a column, an event field, a query parameter, JSON.
//!
//! [`vocabulary!`](crate::vocabulary!) is the one way a Kuaidi crate declares such an enum:
//! `strum` derives the text form (parse, display, `&'static str`, the list of variants), so no
//! crate writes a `match` from variant to string by hand. Attributes written before `pub enum`
//! pass through, so a type that is also JSON adds `#[derive(Serialize, Deserialize, ToSchema)]`
//! and `#[serde(rename_all = "snake_case")]` there; `schema = "Prefix";` instead documents
//! every enum of the block as a string enum named `Prefix<Name>` (for `String` fields that
//! carry `#[schema(value_type = Name)]`). A crate using it depends on `strum`.

use std::str::FromStr;

use strum::VariantArray;

use crate::FieldError;

/// Declares snake-case vocabularies (see the module). Each enum gets `as_str`, `parse` and
/// `listed` besides the `strum` traits, `Copy`, `Eq`, `Hash` and `Ord` (declaration order).
#[macro_export]
macro_rules! vocabulary {
    (schema = $prefix:literal; $($(#[$meta:meta])* $vis:vis enum $name:ident { $($variant:ident),* $(,)? })*) => {
        $(
            $crate::vocabulary! { $(#[$meta])* $vis enum $name { $($variant),* } }

            impl $crate::openapi::__utoipa::PartialSchema for $name {
                fn schema() -> $crate::openapi::__utoipa::openapi::RefOr<
                    $crate::openapi::__utoipa::openapi::schema::Schema,
                > {
                    $crate::openapi::string_enum(
                        <$name as ::strum::VariantArray>::VARIANTS.iter().map(|v| v.as_str()),
                    )
                }
            }

            impl $crate::openapi::__utoipa::ToSchema for $name {
                // Prefixed: the gateway merges every service's schemas into one document.
                fn name() -> std::borrow::Cow<'static, str> {
                    std::borrow::Cow::Borrowed(concat!($prefix, stringify!($name)))
                }
            }
        )*
    };
    ($($(#[$meta:meta])* $vis:vis enum $name:ident { $($variant:ident),* $(,)? })*) => {
        $(
            $(#[$meta])*
            #[derive(
                Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
                ::strum::EnumString, ::strum::Display, ::strum::AsRefStr, ::strum::IntoStaticStr,
                ::strum::VariantArray,
            )]
            #[strum(serialize_all = "snake_case")]
            $vis enum $name { $($variant),* }

            impl $name {
                /// The value as stored and sent (`in_transit`).
                pub fn as_str(self) -> &'static str {
                    self.into()
                }

                /// The variant of a value; `None` for anything else.
                pub fn parse(s: &str) -> Option<Self> {
                    s.parse().ok()
                }

                /// The values, comma-separated, for validation messages.
                pub fn listed() -> String {
                    $crate::vocabulary::listed::<Self>()
                }
            }
        )*
    };
}

/// The values of `T`, comma-separated.
pub fn listed<T: VariantArray + AsRef<str>>() -> String {
    T::VARIANTS
        .iter()
        .map(|v| v.as_ref())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Parses `value` as a `T`, recording a field error naming the allowed values when it is not.
pub fn parse_into<T>(errors: &mut Vec<FieldError>, field: &str, value: &str) -> Option<T>
where
    T: FromStr + VariantArray + AsRef<str>,
{
    match T::from_str(value) {
        Ok(v) => Some(v),
        Err(_) => {
            errors.push(FieldError::new(
                field,
                format!("must be one of: {}", listed::<T>()),
            ));
            None
        }
    }
}

/// Like [`parse_into`], with "is required" for an empty value.
pub fn required<T>(errors: &mut Vec<FieldError>, field: &str, value: &str) -> Option<T>
where
    T: FromStr + VariantArray + AsRef<str>,
{
    if value.is_empty() {
        errors.push(FieldError::new(field, "is required"));
        None
    } else {
        parse_into(errors, field, value)
    }
}

/// Like [`parse_into`] for an optional value.
pub fn parse_opt<T>(errors: &mut Vec<FieldError>, field: &str, value: Option<&str>) -> Option<T>
where
    T: FromStr + VariantArray + AsRef<str>,
{
    value.and_then(|v| parse_into(errors, field, v))
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::vocabulary! {
        /// A test vocabulary.
        enum Direction { In, Out, SideWays }
    }

    #[test]
    fn values_are_snake_case_and_round_trip() {
        assert_eq!(Direction::SideWays.as_str(), "side_ways");
        assert_eq!(Direction::SideWays.to_string(), "side_ways");
        for d in Direction::VARIANTS {
            assert_eq!(Direction::parse(d.as_str()), Some(*d));
        }
        assert_eq!(Direction::parse("In"), None);
        assert_eq!(Direction::listed(), "in, out, side_ways");
    }

    #[test]
    fn an_unknown_value_names_the_allowed_ones() {
        let mut errors = Vec::new();
        assert_eq!(
            parse_into::<Direction>(&mut errors, "direction", "up"),
            None
        );
        assert_eq!(required::<Direction>(&mut errors, "to", ""), None);
        assert_eq!(
            parse_opt::<Direction>(&mut errors, "from", Some("out")),
            Some(Direction::Out)
        );
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].field, "direction");
        assert_eq!(errors[0].message, "must be one of: in, out, side_ways");
        assert_eq!(errors[1].message, "is required");
    }
}
