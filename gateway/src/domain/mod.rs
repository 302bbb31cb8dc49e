//! The gateway's rules, free of I/O: who may hold which account, what a password must be, how
//! long failed sign-ins lock a username.

pub mod accounts;
pub mod lockout;
