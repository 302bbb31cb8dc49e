//! The shipments API's documented problem responses, named in `#[utoipa::path]` attributes
//! (the common ones, such as `NoValidToken`, come from `kuaidi_shared::openapi`).

kuaidi_shared::problem_responses! {
    pub BadBatchGetSize = 422, "Empty or more than 100 tracking numbers";
    pub BadBatchSize = 422, "Empty batch or more than 1000 events";
    pub BadFilter = 422, "Invalid filter or cursor";
    pub BadImpactQuery = 422, "Neither or both of hub_code and city, or a bad window";
    pub BadPage = 422, "Bad limit or cursor";
    pub BadPhoneLast4 = 422, "`phone_last4` is not four digits";
    pub BadSince = 422, "Invalid `since`";
    pub BadWebhook = 422, "Invalid fields, e.g. a URL on a forbidden address";
    pub MayNotCreateShipments = 403, "Role may not create shipments, or a merchant named another merchant's `merchant_id`";
    pub MayNotIngest = 403, "Role may not ingest tracking events";
    pub MayNotManageWebhooks = 403, "Role may not manage webhooks";
    pub MayNotNotify = 403, "Role, or the token's scopes, may not create shipments: notifying is a write";
    pub MayNotReadShipments = 403, "Role may not read shipments";
    pub NoSuchDelivery = 404, "No such subscription or delivery for this caller";
    pub NoSuchShipment = 404, "No such shipment for this caller";
    pub NoSuchWebhook = 404, "No such subscription for this caller";
    pub StaleWebhook = 412, "The subscription changed since the version named in `If-Match`";
    pub TooManyLookups = 429, "Too many lookups from this address";
    pub TrackingNumberTaken = 409, "Tracking number already exists";
    pub UnknownShipper = 404, "A merchant's `shipper_customer_id` that is not its own customer";
    pub UnknownTrackingNumber = 404, "Unknown tracking number";
}
