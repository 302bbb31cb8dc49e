//! Integration tests of the shipments service: the real service on port 0 with its own fresh
//! database and its own broker namespace.

mod customers;
mod hardening;
mod helpers;
mod impact;
mod input;
mod late_scans;
mod notifications;
mod precision;
mod public;
mod pull;
mod read_after_write;
mod senders;
mod shipments;
mod storage;
mod tracking_events;
mod webhook_admin;
mod webhook_edits;
mod webhook_failures;
mod webhook_resends;
mod webhook_states;
mod webhooks;
