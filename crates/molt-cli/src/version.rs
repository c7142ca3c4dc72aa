//! `molt --version [--json]`: this build's release, commit and protocol
//! version (fixed by build.rs; see `MOLT_RELEASE_VERSION`).

use molt_node::NodeVersion;

/// The release this binary is.
pub const RELEASE: &str = env!("MOLT_RELEASE_VERSION");
/// The commit it was built from.
pub const COMMIT: &str = env!("MOLT_COMMIT");

/// What `molt --version` prints after the name.
pub const LONG: &str = concat!(
    env!("MOLT_RELEASE_VERSION"),
    " (commit ",
    env!("MOLT_COMMIT"),
    ")"
);

/// This build's version, as the node reports it.
pub fn node_version() -> NodeVersion {
    NodeVersion {
        release: RELEASE.into(),
        commit: COMMIT.into(),
        protocol: molt_runtime::PROTOCOL_VERSION,
    }
}

/// The document `molt --version --json` prints.
pub fn json() -> serde_json::Value {
    let v = node_version();
    serde_json::json!({
        "name": "molt",
        "release": v.release,
        "commit": v.commit,
        "protocol": v.protocol,
    })
}
