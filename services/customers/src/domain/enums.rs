//! The closed vocabularies of SPEC §4, stored and exchanged as snake_case strings.
// NOTE: external contract — every value here is an API and event value clients depend on.

use kuaidi_shared::FieldError;
use std::str::FromStr;
use strum::VariantArray;

macro_rules! vocabulary {
    ($(#[$doc:meta])* $name:ident { $($variant:ident),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::EnumString, strum::Display,
                 strum::AsRefStr, strum::VariantArray)]
        #[strum(serialize_all = "snake_case")]
        pub enum $name { $($variant),* }

        // Documented as the enum of its values: `#[schema(value_type = Kind)]` on a `String`.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                kuaidi_shared::openapi::string_enum(
                    <$name as VariantArray>::VARIANTS.iter().map(|v| v.as_ref()),
                )
            }
        }

        impl utoipa::ToSchema for $name {
            // Prefixed: the gateway merges every service's schemas into one document.
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(concat!("Customers", stringify!($name)))
            }
        }
    };
}

vocabulary!(/// `individual` | `business`.
    Kind { Individual, Business });
vocabulary!(/// Company size.
    Size { Large, Medium, Small, SoleProprietor });
vocabulary!(/// City tier of the region.
    CityTier { Tier1, Tier2, Tier3, Rural });
vocabulary!(/// Pareto value tier.
    ValueTier { Key, Ordinary, Small });
vocabulary!(/// Lifecycle stage.
    Stage { Prospect, New, Active, Loyal, AtRisk, Churned });
vocabulary!(/// Channel of an interaction.
    Channel { Phone, Sms, Email, App, Web, Wechat, Weibo, Visit, Letter, Other });
vocabulary!(/// Direction of an interaction, seen from the company.
    Direction { In, Out });
vocabulary!(/// What an interaction was about.
    InteractionKind { Inquiry, Care, FollowUp, Sales, Complaint, Survey, Notification });
vocabulary!(/// State of a follow-up task.
    FollowUpStatus { Open, Done, Cancelled });
vocabulary!(/// Purposes a customer consents to.
    Purpose { Marketing, CareMessages, ProfileExtras });
vocabulary!(/// The channel a customer prefers to be contacted on.
    ContactChannel { Sms, App, Email, Phone, Wechat });
vocabulary!(/// Which record's value a merge keeps for a field.
    Side { Survivor, Duplicate });

/// The allowed values of `T`, for error messages.
pub fn allowed<T: VariantArray + AsRef<str>>() -> String {
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
                format!("must be one of: {}", allowed::<T>()),
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

    #[test]
    fn values_are_the_spec_spellings() {
        assert_eq!(CityTier::Tier1.as_ref(), "tier1");
        assert_eq!(Stage::AtRisk.as_ref(), "at_risk");
        assert_eq!(Size::SoleProprietor.as_ref(), "sole_proprietor");
        assert_eq!(InteractionKind::FollowUp.as_ref(), "follow_up");
        assert_eq!(Purpose::CareMessages.as_ref(), "care_messages");
        assert_eq!(Direction::In.as_ref(), "in");
    }

    #[test]
    fn an_unknown_value_names_the_allowed_ones() {
        let mut errors = Vec::new();
        assert_eq!(
            parse_into::<Direction>(&mut errors, "direction", "sideways"),
            None
        );
        assert_eq!(errors[0].field, "direction");
        assert_eq!(errors[0].message, "must be one of: in, out");
    }
}
