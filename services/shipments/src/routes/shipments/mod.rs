//! `/api/v1/shipments` handlers and the view of a shipment row.

pub mod create;
pub mod get;
pub mod impact;
pub mod list;

use actix_web::HttpResponse;
use kuaidi_shared::auth::{Principal, Role};
use kuaidi_shared::crypto::{mask_name, mask_phone, PiiCipher};
use kuaidi_shared::http::mark_pii_read;
use kuaidi_shared::money::Money;
use kuaidi_shared::ApiError;
use std::collections::HashMap;
use uuid::Uuid;

use crate::api::shipments::{Place, Recipient, Shipment};
use crate::db::shipments::{Scope, ShipmentRow};
use crate::db::tracking_events::EventRow;
use crate::domain::masking::mask_phones;
use crate::domain::{ServiceLevel, ShipmentStatus, Substatus};

/// The shipments `caller` may see: a merchant's own, an end customer's parcels (sent to or by
/// them), or all.
pub fn scope_of(caller: &Principal) -> Result<Scope, ApiError> {
    Ok(match caller.role {
        Role::Merchant => {
            Scope::Merchant(caller.merchant_id.ok_or(ApiError::NotFound("shipment"))?)
        }
        Role::Customer => Scope::Customer(
            caller
                .phone_hash
                .clone()
                .filter(|h| !h.is_empty())
                .ok_or(ApiError::NotFound("shipment"))?,
        ),
        _ => Scope::All,
    })
}

/// Whether `caller` may see the recipient unmasked (SPEC §3: operators, agents and analysts
/// have no PII right).
pub fn sees_pii(caller: &Principal, row: &ShipmentRow) -> bool {
    match caller.role {
        Role::Admin | Role::Manager | Role::Supervisor => true,
        Role::Merchant => caller.merchant_id.is_some() && caller.merchant_id == row.merchant_id,
        // An end customer's PII right is their own only (SPEC §3): the recipient is theirs on a
        // parcel sent to their phone, someone else's on a parcel they sent.
        Role::Customer => caller.phone_hash.as_deref() == Some(row.recipient_phone_index.as_str()),
        _ => false,
    }
}

/// What a caller is shown of a shipment. Staff with the PII right and the shipment's merchant
/// see it whole; other staff see the recipient, the signer and the phone numbers in scan
/// descriptions masked. An end customer never sees the merchant's terms (`merchant_id`,
/// `freight`); on a parcel sent to their phone they see the recipient (themselves) but not who
/// sent it (`shipper_customer_id`, a file of someone else's), on a parcel they sent the reverse
/// — the shipper is their own file, which is how they reached the parcel. Each is a
/// representation of its own: its own `ETag`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lens {
    Full,
    Masked,
    Customer,
    CustomerMasked,
}

impl Lens {
    /// Every lens, in the order of [`Lens::index`].
    pub const ALL: [Lens; 4] = [
        Lens::Full,
        Lens::Masked,
        Lens::Customer,
        Lens::CustomerMasked,
    ];

    /// How `caller` sees `row`.
    pub fn of(caller: &Principal, row: &ShipmentRow) -> Self {
        match (caller.role == Role::Customer, sees_pii(caller, row)) {
            (false, true) => Lens::Full,
            (false, false) => Lens::Masked,
            (true, true) => Lens::Customer,
            (true, false) => Lens::CustomerMasked,
        }
    }

    /// Whether personal data is shown as stored.
    pub fn unmasked(self) -> bool {
        matches!(self, Lens::Full | Lens::Customer)
    }

    /// Whether the merchant's commercial terms (`merchant_id`, `freight`) are shown.
    fn merchant_terms(self) -> bool {
        matches!(self, Lens::Full | Lens::Masked)
    }

    /// Whether `shipper_customer_id` is shown: to staff and merchants, and to an end customer
    /// who reached the parcel as its sender (the recipient is not theirs, so the shipper is).
    fn shipper(self) -> bool {
        self != Lens::Customer
    }

    /// Its place in [`Lens::ALL`].
    pub fn index(self) -> usize {
        Lens::ALL.iter().position(|l| *l == self).unwrap_or(0)
    }

    /// Its name in the representation's `ETag`.
    pub fn tag(self) -> &'static str {
        match self {
            Lens::Full => "full",
            Lens::Masked => "masked",
            Lens::Customer => "customer",
            Lens::CustomerMasked => "customer-masked",
        }
    }
}

/// Marks `resp` as showing the recipients of these shipments unmasked, so the gateway audits
/// the read (SPEC §3) — lists and create answers as well as single reads.
pub fn mark_unmasked(resp: &mut HttpResponse, tracking_numbers: &[String]) {
    if !tracking_numbers.is_empty() {
        mark_pii_read(resp, &format!("shipment:{}", tracking_numbers.join(",")));
    }
}

/// The API views of `rows` for `caller`, each with its timeline from `timelines` (by shipment
/// id; none there, none yet), and the tracking numbers shown unmasked.
pub fn views(
    rows: Vec<ShipmentRow>,
    mut timelines: HashMap<Uuid, Vec<EventRow>>,
    pii: &PiiCipher,
    caller: &Principal,
) -> Result<(Vec<Shipment>, Vec<String>), ApiError> {
    let unmasked = rows
        .iter()
        .filter(|r| sees_pii(caller, r))
        .map(|r| r.tracking_number.clone())
        .collect();
    let data = rows
        .into_iter()
        .map(|row| {
            let events = timelines.remove(&row.id).unwrap_or_default();
            let lens = Lens::of(caller, &row);
            view(row, events, pii, lens)
        })
        .collect::<Result<_, _>>()?;
    Ok((data, unmasked))
}

/// The API view of a row and its accepted events (oldest first) through `lens`.
pub fn view(
    row: ShipmentRow,
    events: Vec<EventRow>,
    pii: &PiiCipher,
    lens: Lens,
) -> Result<Shipment, ApiError> {
    let mut recipient: Recipient = pii.open_json(&row.recipient_sealed)?;
    let mut timeline = crate::routes::tracking_events::timeline(events);
    if !lens.unmasked() {
        recipient.name = mask_name(&recipient.name);
        recipient.phone = mask_phone(&recipient.phone);
        recipient.address = "***".into();
        // A courier's note may name the recipient's phone (`签收人 电话139…`): masked as
        // public tracking masks it.
        for entry in &mut timeline {
            entry.description = entry.description.as_deref().map(mask_phones);
        }
    }
    let terms = lens.merchant_terms();
    let money = |m: i64| Money::from_minor(m, &row.currency);
    Ok(Shipment {
        id: row.id,
        tracking_number: row.tracking_number.clone(),
        merchant_id: row.merchant_id.filter(|_| terms),
        shipper_customer_id: row.shipper_customer_id.filter(|_| lens.shipper()),
        recipient,
        origin: Place {
            city: row.origin_city.clone(),
            province: row.origin_province.clone(),
            hub_code: row.origin_hub_code.clone(),
        },
        destination: Place {
            city: row.destination_city.clone(),
            province: row.destination_province.clone(),
            hub_code: row.destination_hub_code.clone(),
        },
        service_level: ServiceLevel::parse(&row.service_level)
            .ok_or_else(|| anyhow::anyhow!("stored service level {:?}", row.service_level))?,
        carrier: row.carrier.clone(),
        lane: row.lane.clone(),
        weight_kg: row.weight_kg,
        pieces: row.pieces,
        declared_value: row.declared_value_minor.map(money),
        cod_amount: row.cod_amount_minor.map(money),
        freight: terms.then(|| money(row.freight_minor)),
        promised_at: row.promised_at,
        estimated_delivery_at: row.estimated_delivery_at,
        status: ShipmentStatus::parse(&row.status)
            .ok_or_else(|| anyhow::anyhow!("stored status {:?}", row.status))?,
        substatus: row.substatus.as_deref().and_then(Substatus::parse),
        delivered_at: row.delivered_at,
        // The signer is a person's name: masked like the recipient's for callers without the
        // right to see it.
        signed_by: row.signed_by.as_deref().map(|name| {
            if lens.unmasked() {
                name.to_owned()
            } else {
                mask_name(name)
            }
        }),
        last_event_at: row.last_event_at,
        sequence: row.last_sequence,
        timeline,
        created_at: row.created_at,
        updated_at: row.updated_at,
        version: row.version,
    })
}
