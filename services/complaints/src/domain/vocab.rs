//! The enumerations of a feedback case (SPEC §6).
// NOTE: external contract — callers send and filter by these exact values.

pub const TYPES: [&str; 4] = ["complaint", "suggestion", "inquiry", "praise"];
pub const CHANNELS: [&str; 9] = [
    "phone", "web", "app", "wechat", "weibo", "email", "letter", "on_site", "api",
];
pub const CATEGORIES: [&str; 11] = [
    "delay",
    "lost",
    "damaged",
    "service_attitude",
    "missorted",
    "packaging",
    "tracking_info",
    "billing",
    "legal",
    "compliance",
    "other",
];

/// The status of a case at intake.
pub const RECEIVED: &str = "received";
/// The statuses of the lifecycle (SPEC §6) in which a case is open: all but `closed`.
pub const OPEN_STATUSES: [&str; 8] = [
    RECEIVED,
    "triaged",
    "assigned",
    "investigating",
    "pending_approval",
    "resolving",
    "awaiting_feedback",
    "reopened",
];

/// Stored string enums of SPEC §6, spelled as the API spells them.
macro_rules! vocabulary_ {
    ($($(#[$meta:meta])* $name:ident { $($variant:ident),* $(,)? })*) => {
        $(
            $(#[$meta])*
            #[derive(
                Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
                strum::EnumString, strum::Display, strum::AsRefStr, strum::VariantArray,
                strum::IntoStaticStr,
            )]
            #[strum(serialize_all = "snake_case")]
            pub enum $name { $($variant),* }

            impl $name {
                /// The values, comma-separated, for validation messages.
                pub fn listed() -> String {
                    <Self as strum::VariantArray>::VARIANTS
                        .iter()
                        .map(|v| v.as_ref())
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            }
        )*
    };
}

pub(crate) use vocabulary_ as vocabulary;

vocabulary! {
    /// Priorities, lowest first.
    Priority { Low, Normal, High, Urgent }
    /// What a case is about.
    Category {
        Delay, Lost, Damaged, ServiceAttitude, Missorted, Packaging, TrackingInfo, Billing,
        Legal, Compliance, Other,
    }
    /// The department a case is assigned to.
    Department { CustomerService, Operations, Legal, Compliance, Sales }
    /// Root causes (seed 002 ch. 5): internal first, then external.
    RootCause {
        Management, Training, NetworkLayout, Equipment, PackagingSorting, ServiceAttitude,
        Market, Policy, Social, Customer,
    }
    /// Measures a handler may propose.
    Measure { Apology, Compensation, Rectification, Penalty }
    /// Kinds of evidence.
    EvidenceKind { Document, Audio, Video, Photo, WitnessStatement, SystemRecord }
    /// What a claim is for.
    ClaimKind { Lost, Damaged, Late }
    /// The states of a claim.
    ClaimStatus { Filed, Assessing, Approved, Rejected, Paid }
    /// Actions on a claim.
    ClaimAction { Assess, Approve, Reject, Pay }
    /// The states of an improvement action.
    ImprovementStatus { Planned, InProgress, Done, Cancelled }
}

impl Priority {
    pub const ALL: [Self; 4] = [Self::Low, Self::Normal, Self::High, Self::Urgent];

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(s: &str) -> Option<Self> {
        s.parse().ok()
    }

    /// One level up, capped at urgent.
    pub fn raised(self) -> Self {
        match self {
            Self::Low => Self::Normal,
            Self::Normal => Self::High,
            Self::High | Self::Urgent => Self::Urgent,
        }
    }
}
