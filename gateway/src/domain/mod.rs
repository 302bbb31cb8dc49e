//! The gateway's rules, free of I/O: who may hold which account, what a password must be.

pub mod accounts;
