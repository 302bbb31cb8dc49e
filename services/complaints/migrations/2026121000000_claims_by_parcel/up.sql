-- The claims on one parcel share its caps (SPEC §6: the payable limit is the parcel's, not each
-- claim's): filing, assessing, approving and paying a claim read the others on its parcel.
CREATE INDEX claims_parcel ON claims (tracking_number) WHERE status <> 'rejected';
