//! Integration tests of the shipments service: the real service on port 0 with its own fresh
//! database and its own broker namespace.

mod customers;
mod eta_samples;
mod hardening;
mod helpers;
mod impact;
mod impact_scope;
mod input;
mod late_scans;
mod list_filters;
mod notifications;
mod numbering;
mod places;
mod precision;
mod public;
mod pull;
mod read_after_write;
mod readers;
mod refusals;
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
