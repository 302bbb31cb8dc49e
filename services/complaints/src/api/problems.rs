//! The complaints API's documented problem responses, named in `#[utoipa::path]` attributes
//! (the common ones, such as `NoValidToken`, come from `kuaidi_shared::openapi`).

kuaidi_shared::problem_responses! {
    pub AdminsAndManagersOnly = 403, "Admins and managers only";
    pub BadClaim = 422, "Invalid fields, an unknown shipment, or one the case does not concern";
    pub BadClaimAction = 422,
        "Invalid fields; an approval above the payable amount or what the parcel's cap leaves";
    pub DuplicateClaim = 409,
        "A claim of this kind on the parcel is still open (`duplicate_claim`; `claim_id` names it)";
    pub CaseChangedSinceIfMatch = 412, "The case changed since the If-Match version";
    pub CaseClosed = 409,
        "The case is closed (`case_closed`): reopen it first; `allowed_actions` lists what it takes";
    pub ChangedSinceIfMatch = 412, "Changed since the If-Match version";
    pub ContentTypeNotAccepted = 415, "Content type not accepted";
    pub IllegalInCaseStatus = 409, "Illegal in the case's status; `allowed_actions` lists what is";
    pub IllegalInClaimState = 409,
        "Illegal in the claim's state (`illegal_transition`: `current_status` names it, `allowed_actions` lists what is), or a payment the parcel's cap refuses (`over_cap`)";
    pub InvalidFilters = 422, "Invalid filters";
    pub InvalidRows = 422, "Invalid rows";
    pub LinkGone = 410, "Used or expired link";
    pub MayNotOpenCases = 403, "Role may not open cases";
    pub MayNotReadCases = 403, "Role may not read cases";
    pub NoSuchAction = 404, "No such action";
    pub NoSuchCase = 404, "No such case for this caller";
    pub NoSuchCaseAtAll = 404, "No such case";
    pub NoSuchCaseOrAction = 404, "No such case or action";
    pub NoSuchClaim = 404, "No such claim for this caller";
    pub NoSuchClaimOrAction = 404, "No such claim or action";
    pub NoSuchDepartment = 404, "No such department";
    pub NoSuchEvidence = 404, "No such case or evidence for this caller";
    pub NoSuchUpload = 404, "No such case, evidence or upload for this caller";
    pub NoSuchSurvey = 404, "No such case or survey for this caller";
    pub NoSurveyNow = 409,
        "The case takes no survey now: not resolved yet (`survey_not_open`), or already surveyed since its latest resolution (`already_surveyed`)";
    pub NotInInbox = 404, "Not in the caller's inbox";
    pub NotTheirShipmentOrCustomer = 404,
        "A merchant or end customer named a shipment or a customer file that is not theirs";
    pub RoleMayNot = 403, "Role may not do this";
    pub ScoresOutOfRange = 422, "Scores outside 1–5";
    pub StaffOnly = 403, "Staff only";
    pub SupervisorsAndAbove = 403, "Supervisors and above";
    pub UnknownLink = 404, "Unknown link";
    pub UploadTooLarge = 413, "Upload too large";
}
