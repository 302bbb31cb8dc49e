//! Numbering a new waybill (SPEC §5 "generated when not given, with a check digit"): a supplied
//! number is stored when it is free (else `409`); a generated one is drawn at random from
//! Kuaidi's series and drawn again when the draw is taken — a bounded number of times — so a
//! generated number never fails a create, whatever numbers exist already. No caller can take a
//! number of the series ([`TrackingNumber::parse_supplied`]), so only another draw can: with
//! 10^8 serials that is rare, and [`MAX_DRAWS`] draws all taken is rarer still.

use diesel::PgConnection;
use kuaidi_shared::ApiError;

use crate::db::shipments::{self as repo, ShipmentRow};
use crate::domain::TrackingNumber;

/// Draws of a generated number before a create gives up (`503`, retryable). Each taken draw
/// costs one index probe; all of them taken means the series is nearly full (at half full,
/// once in 65 536 creates).
pub const MAX_DRAWS: usize = 16;

/// The service's randomness for tracking numbers (a CSPRNG: a number says nothing of the next).
pub fn draw() -> u64 {
    rand::random()
}

/// Inserts `row` in the caller's transaction: under its own `tracking_number` when it has one
/// (`409 tracking_number_taken` when taken), else under a number issued from `draw`, drawn
/// again while the number is taken (at most [`MAX_DRAWS`] times). A concurrent insert of the
/// same number is a taken number too (`ON CONFLICT DO NOTHING`), never a database error.
pub fn insert(
    conn: &mut PgConnection,
    row: &mut ShipmentRow,
    mut draw: impl FnMut() -> u64,
) -> Result<(), ApiError> {
    if !row.tracking_number.is_empty() {
        if repo::insert_unless_taken(conn, row)? {
            return Ok(());
        }
        return Err(ApiError::conflict(
            "tracking_number_taken",
            format!("tracking number {} already exists", row.tracking_number),
        ));
    }
    for _ in 0..MAX_DRAWS {
        row.tracking_number = TrackingNumber::issue(draw()).to_string();
        if repo::insert_unless_taken(conn, row)? {
            return Ok(());
        }
    }
    row.tracking_number.clear();
    tracing::error!(
        draws = MAX_DRAWS,
        "every tracking number drawn was taken: the series is nearly full"
    );
    Err(ApiError::Unavailable("tracking numbers".into()))
}
