//! The closed vocabularies of SPEC §4, stored and exchanged as snake_case strings.
// NOTE: external contract — every value here is an API and event value clients depend on.

pub use kuaidi_shared::vocabulary::{parse_into, parse_opt, required};

kuaidi_shared::vocabulary! {
    schema = "Customers";
    /// `individual` | `business`.
    pub enum Kind { Individual, Business }
    /// Company size.
    pub enum Size { Large, Medium, Small, SoleProprietor }
    /// City tier of the region.
    pub enum CityTier { Tier1, Tier2, Tier3, Rural }
    /// Pareto value tier.
    pub enum ValueTier { Key, Ordinary, Small }
    /// Lifecycle stage.
    pub enum Stage { Prospect, New, Active, Loyal, AtRisk, Churned }
    /// Channel of an interaction.
    pub enum Channel { Phone, Sms, Email, App, Web, Wechat, Weibo, Visit, Letter, Other }
    /// Direction of an interaction, seen from the company.
    pub enum Direction { In, Out }
    /// What an interaction was about.
    pub enum InteractionKind { Inquiry, Care, FollowUp, Sales, Complaint, Survey, Notification }
    /// State of a follow-up task.
    pub enum FollowUpStatus { Open, Done, Cancelled }
    /// Purposes a customer consents to.
    pub enum Purpose { Marketing, CareMessages, ProfileExtras }
    /// The channel a customer prefers to be contacted on.
    pub enum ContactChannel { Sms, App, Email, Phone, Wechat }
    /// Which record's value a merge keeps for a field.
    pub enum Side { Survivor, Duplicate }
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
}
