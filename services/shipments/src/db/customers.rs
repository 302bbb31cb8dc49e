//! What the service knows of customers, from the customers service's events: the merchant
//! whose account each is — a merchant's shipment may name only its own customers as shipper,
//! another tenant's would skew that customer's stats — and the blind indexes of each one's
//! phones, so an end customer's token finds the parcels that person sent.

use kuaidi_shared::projections::customer_phones::CustomerPhones;
use kuaidi_shared::projections::customer_tenants::CustomerTenants;

/// The blind indexes of each customer's phones, kept in `customer_tenants` (the shared
/// projection: versioned, united on merges, forgotten on erasure).
pub const PHONES: CustomerPhones = CustomerPhones::new("customer_tenants");

/// The merchant whose account each customer is, in the same table (the shared projection).
pub const TENANTS: CustomerTenants = CustomerTenants::new("customer_tenants");
