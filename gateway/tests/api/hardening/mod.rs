//! The findings of the security review (issue 14), one behaviour per test.

mod idempotency;
mod keys;
mod paths;
mod proxying;
mod scopes;
mod sessions;
mod signin;
