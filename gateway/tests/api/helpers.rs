//! The gateway's test support lives in the crate (`kuaidi_gateway::testing`, feature `testing`),
//! shared with the end-to-end tests.

pub use kuaidi_gateway::testing::*;
