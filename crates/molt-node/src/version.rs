//! Which build of molt a node is: what `molt --version --json`, the admin
//! endpoint and `molt_nodeStatus` report.

use serde::{Deserialize, Serialize};

/// The release, commit and protocol version of a node binary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeVersion {
    /// The release (semver), compared with upgrade plans.
    pub release: String,
    /// The source commit it was built from, or `unknown`.
    pub commit: String,
    /// The state machine's rules version ([`molt_runtime::PROTOCOL_VERSION`]).
    pub protocol: u32,
}

impl NodeVersion {
    /// This crate's version, commit unknown: for nodes started from code
    /// (tests, benches); the `molt` binary passes its own build's.
    pub fn of_this_crate() -> Self {
        NodeVersion {
            release: env!("CARGO_PKG_VERSION").into(),
            commit: "unknown".into(),
            protocol: molt_runtime::PROTOCOL_VERSION,
        }
    }
}
