//! The Molt node's JSON-RPC API as Rust types, shared by the node (which
//! builds every answer from them) and its clients (the `molt` CLI, which
//! decodes every answer into them).
//!
//! # Wire format
//!
//! JSON-RPC 2.0; parameters are positional (a JSON array), results are JSON
//! objects. `docs/rpc.md` describes each method and `openrpc.json` in
//! molt-node lists them; these types are that description in code:
//!
//! - [`Method`]: every method name, in the order of the OpenRPC document;
//! - [`Request`]: one request type per method ([`GetAccount`],
//!   [`GetStorage`], ...), which knows its [`Method`], its result type and
//!   how to read and write its positional parameters. Reading untrusted
//!   parameters ([`Request::from_positional`]) never panics: a missing,
//!   mistyped or malformed parameter is a [`ParamError`] whose message names
//!   the parameter by position and name (`parameter 2 (version) must be a
//!   non-negative integer`), answered with [`ErrorCode::InvalidParams`];
//! - the result types ([`ChainInfo`], [`BlockView`], [`TransactionLookup`],
//!   ...), built from the chain's own types with `from`/`new` and serialized
//!   with serde. Byte strings are `0x` hex ([`Hex`]), ids and addresses their
//!   `0x` forms;
//! - [`ErrorCode`]: every error code the node answers with. Clients match
//!   errors by code ([`RpcError::kind`]), never by message text: messages
//!   say what was wrong and what to do, and their wording may change.
//!
//! # Consistency
//!
//! Each query is answered from one pinned snapshot of the committed state
//! (molt-runtime's `Query`); results that read state carry the `height` they
//! were answered at, so several facts in one answer always belong together.

mod error;
mod hex_bytes;
mod method;
mod params;
mod results;

pub use error::{ErrorCode, ParamError, RpcError};
pub use hex_bytes::Hex;
pub use method::Method;
pub use params::{
    BlockRef, GetAccount, GetBlock, GetChainInfo, GetModule, GetNodeStatus, GetPackage, GetStorage,
    GetTransaction, GovSimulate, Request, SimulateTransaction, SubmitTransaction, View,
};
pub use results::{
    AccountView, BlockTransactions, BlockView, ChainInfo, EventNotice, FailureKind, FailureView,
    GovSimulationView, JournalStatus, MempoolStatus, ModuleView, NodeStatus, NodeVersion,
    PackageVersionView, PackageView, ParamChangeView, ParamsChangeView, PayloadView,
    ProtocolUpgradeView, ReceiptView, RecoveredAtStart, RpcStatus, SimulatedBlockView,
    SimulatedUpgradeView, SimulationView, StatusView, StorageView, TicketView, TransactionLookup,
    TransactionView, UpgradeCapView, UpgradeCheckView, UpgradeStatus, ValidatorView,
    ValidatorsChangeView, ViewResult, ViolationView,
};
