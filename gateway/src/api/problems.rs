//! The gateway API's documented problem responses, named in `#[utoipa::path]` attributes
//! (the common ones, such as `NoValidToken`, come from `kuaidi_shared::openapi`).

kuaidi_shared::problem_responses! {
    pub BadCredentials = 401, "Wrong username or password, or account locked";
    pub BadRefreshToken = 401, "Unknown, expired, revoked or reused refresh token (reuse revokes the family)";
    pub BadUser = 422, "Invalid fields or weak password";
    pub CannotDeactivateSelf = 409, "Admins cannot deactivate themselves";
    pub MissingFields = 422, "Missing fields";
    pub NotAPhone = 422, "Not a phone number";
    pub NotAnAdmin = 403, "Not an admin";
    pub NotTheApp = 403, "The caller is not the app";
    pub UserChanged = 412, "The user changed since the If-Match ETag";
    pub UsernameTaken = 409, "Username taken";
    pub TooManyAttempts = 429, "Too many sign-in attempts from this address or for this username (Retry-After)";
}
