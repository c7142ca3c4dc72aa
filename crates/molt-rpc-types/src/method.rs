//! [`Method`]: the names of the node's JSON-RPC methods.

/// Every JSON-RPC method the node serves, subscriptions included, in the
/// order of the OpenRPC document (`rpc.discover`). The unsubscribe methods
/// (`molt_unsubscribeBlocks`, `molt_unsubscribeEvents`) come with their
/// subscriptions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Method {
    ChainInfo,
    GetBlock,
    GetTransaction,
    GetAccount,
    GetPackage,
    GetModule,
    GetStorage,
    View,
    SubmitTransaction,
    SimulateTransaction,
    GovSimulate,
    Discover,
    SubscribeBlocks,
    SubscribeEvents,
    NodeStatus,
}

impl Method {
    /// All methods, in the order of the OpenRPC document.
    pub const ALL: [Method; 15] = [
        Method::ChainInfo,
        Method::GetBlock,
        Method::GetTransaction,
        Method::GetAccount,
        Method::GetPackage,
        Method::GetModule,
        Method::GetStorage,
        Method::View,
        Method::SubmitTransaction,
        Method::SimulateTransaction,
        Method::GovSimulate,
        Method::Discover,
        Method::SubscribeBlocks,
        Method::SubscribeEvents,
        Method::NodeStatus,
    ];

    /// The name on the wire.
    pub const fn name(self) -> &'static str {
        match self {
            Method::ChainInfo => "molt_chainInfo",
            Method::GetBlock => "molt_getBlock",
            Method::GetTransaction => "molt_getTransaction",
            Method::GetAccount => "molt_getAccount",
            Method::GetPackage => "molt_getPackage",
            Method::GetModule => "molt_getModule",
            Method::GetStorage => "molt_getStorage",
            Method::View => "molt_view",
            Method::SubmitTransaction => "molt_submitTransaction",
            Method::SimulateTransaction => "molt_simulateTransaction",
            Method::GovSimulate => "molt_govSimulate",
            Method::Discover => "rpc.discover",
            Method::SubscribeBlocks => "molt_subscribeBlocks",
            Method::SubscribeEvents => "molt_subscribeEvents",
            Method::NodeStatus => "molt_nodeStatus",
        }
    }

    /// The method with wire name `name`.
    pub fn from_name(name: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.name() == name)
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
