//! The customers API's documented problem responses, named in `#[utoipa::path]` attributes
//! (the common ones, such as `NoValidToken`, come from `kuaidi_shared::openapi`).

kuaidi_shared::problem_responses! {
    pub AdminsOnly = 403, "Admins only";
    pub BadMerge = 422, "Merge with itself, or invalid `prefer`";
    pub BadProfile = 422, "Invalid fields, or birthday/family without consent";
    pub DuplicateCustomer = 409, "Duplicate (`duplicate_customer`): `matches` lists the existing customers, one `{customer_id, matched_on}` each, `matched_on` the array of what matched (`phone`, `email`, `credit_code`) as in `GET /api/v1/customers/duplicates`";
    pub EditConflict = 409, "A phone, email or credit code of another customer (`duplicate_customer`, `matches` as on creation; `allow_duplicate=true` saves anyway), or the customer erased (`customer_erased`) or merged into another (`customer_merged`)";
    pub Erased = 409, "The customer was erased (`customer_erased`): it reads anonymised and can no longer be changed";
    pub IllegalTaskMove = 409, "Not a legal move (only open → done | cancelled)";
    pub InvalidFieldsEach = 422, "Invalid fields (every one reported)";
    pub InvalidFilters = 422, "Invalid filters";
    pub InvalidFiltersEach = 422, "Invalid filters (every one reported)";
    pub MayNotCreateCustomers = 403, "Role may not create customers, or may not set what it named: a `value_tier` (admins, managers and supervisors only), an agent's `owner_id` other than themselves";
    pub MayNotHandOver = 403, "Agents and end customers may not hand over portfolios";
    pub NoFileForPhone = 404, "No file holds the caller's phone";
    pub NoSuchCustomer = 404, "No such customer for this caller";
    pub NoSuchInteraction = 404, "No such customer for this caller, or no such interaction of it";
    pub NoSuchMerge = 404, "No such merge";
    pub NoSuchTask = 404, "No such task";
    pub NotACustomerToken = 403, "Not a customer token";
    pub NotChangeable = 409, "The customer was erased (`customer_erased`) or merged into another (`customer_merged`)";
    pub NotMergeable = 409, "A customer erased or already merged (e.g. a concurrent merge won)";
    pub NotTheirsToChange = 403, "Not this caller's to change: another agent's customer, an agent's `owner_id` other than themselves, a `value_tier` by other than admins, managers and supervisors, an end customer's change of more than their preferences";
    pub NotTheirsToErase = 403, "Not this caller's to erase";
    pub NotTheirsToHandOver = 403, "Not this caller's to hand over (an agent: another's customer, or an owner other than themselves)";
    pub NotUndoable = 409, "Already undone, too late, or a customer erased since";
    pub SameOwner = 422, "Same owner on both sides";
    pub StaffOnly = 403, "Staff only";
    pub StaleIfMatch = 412, "Stale `If-Match`";
    pub UnknownPurposes = 422, "Unknown purposes (every one reported)";
}
