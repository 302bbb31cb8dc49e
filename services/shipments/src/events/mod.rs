//! What the shipments service writes to its outbox: the payloads of SPEC §7 built from rows and
//! rule outcomes (the transaction that writes them is the caller's).

pub mod tracking;
