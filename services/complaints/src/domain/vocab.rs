//! The enumerations of a feedback case (SPEC §6).
// NOTE: external contract — callers send and filter by these exact values.

pub const TYPES: [&str; 4] = [COMPLAINT, "suggestion", "inquiry", "praise"];
/// The type of a case that is a complaint (only these make a repeat complaint, SPEC §6).
pub const COMPLAINT: &str = "complaint";
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

// Stored string enums of SPEC §6, spelled as the API spells them.
kuaidi_shared::vocabulary! {
    /// Priorities, lowest first.
    pub enum Priority { Low, Normal, High, Urgent }
    /// What a case is about.
    pub enum Category {
        Delay, Lost, Damaged, ServiceAttitude, Missorted, Packaging, TrackingInfo, Billing,
        Legal, Compliance, Other,
    }
    /// The department a case is assigned to.
    pub enum Department { CustomerService, Operations, Legal, Compliance, Sales }
    /// Root causes (seed 002 ch. 5): internal first, then external.
    pub enum RootCause {
        Management, Training, NetworkLayout, Equipment, PackagingSorting, ServiceAttitude,
        Market, Policy, Social, Customer,
    }
    /// Measures a handler may propose.
    pub enum Measure { Apology, Compensation, Rectification, Penalty }
    /// Kinds of evidence.
    pub enum EvidenceKind { Document, Audio, Video, Photo, WitnessStatement, SystemRecord }
    /// What a claim is for.
    pub enum ClaimKind { Lost, Damaged, Late }
    /// The states of a claim.
    pub enum ClaimStatus { Filed, Assessing, Approved, Rejected, Paid }
    /// Actions on a claim.
    pub enum ClaimAction { Assess, Approve, Reject, Pay }
    /// The states of an improvement action.
    pub enum ImprovementStatus { Planned, InProgress, Done, Cancelled }
}

impl Priority {
    /// One level up, capped at urgent.
    pub fn raised(self) -> Self {
        match self {
            Self::Low => Self::Normal,
            Self::Normal => Self::High,
            Self::High | Self::Urgent => Self::Urgent,
        }
    }
}
