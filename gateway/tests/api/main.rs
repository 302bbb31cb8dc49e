//! Integration tests of the gateway: the real gateway on port 0 with its own fresh database, in
//! front of real services.

mod admin_lists;
mod auth;
mod customer_token;
mod hardening;
mod helpers;
mod input;
mod methods;
mod proxy;
mod security;
mod shortcut;
