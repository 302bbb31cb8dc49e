//! The analytics API's documented problem responses, named in `#[utoipa::path]` attributes
//! (the common ones, such as `NoValidToken`, come from `kuaidi_shared::openapi`).

kuaidi_shared::problem_responses! {
    pub AlreadyAcknowledged = 409, "Already acknowledged";
    pub BadAlertQuery = 422, "Unknown status or parameter, bad limit or cursor";
    pub BadExport = 422, "Unknown report, format or parameter; `errors` names each";
    pub BadRiskQuery = 422, "Unknown parameter, bad limit, cursor or merchant_id; `errors` names each";
    pub InvalidParameter = 422, "Invalid parameter; `errors` names each";
    pub MayNotAcknowledgeAlerts = 403, "Only staff with full analytics acknowledge alerts";
    pub MayNotReadAlerts = 403, "Only staff with full analytics read alerts";
    pub MayNotReadAnalytics = 403, "The role may not read analytics";
    pub MayNotReadChurnRisk = 403, "The role may not read churn risk";
    pub MayNotReadHotspots = 403, "The role may not read hotspots";
    pub MayNotReadReport = 403, "The role may not read this report";
    pub MayNotReadSegments = 403, "The role may not read segments (agents, operators...)";
    pub MayNotReadStaffFigures = 403, "The role may not read staff figures (merchants...)";
    pub NoSuchAlert = 404, "No such alert";
    pub NoSuchMerchant = 404, "A merchant named another merchant in `merchant_id`";
}
