//! Which build of molt a node is: what `molt --version --json`, the admin
//! endpoint and `molt_nodeStatus` report ([`NodeVersion`], defined with the
//! RPC's types so clients read it too).

pub use molt_rpc_types::NodeVersion;
