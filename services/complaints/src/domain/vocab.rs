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

/// Priorities, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Priority {
    Low,
    Normal,
    High,
    Urgent,
}

impl Priority {
    pub const ALL: [Self; 4] = [Self::Low, Self::Normal, Self::High, Self::Urgent];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Normal => "normal",
            Self::High => "high",
            Self::Urgent => "urgent",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
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
