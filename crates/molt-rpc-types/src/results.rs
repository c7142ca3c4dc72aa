//! The results of the JSON-RPC methods, and the subscriptions' notices.
//!
//! Each type serializes to exactly the JSON object `docs/rpc.md` describes
//! and deserializes from it; the constructors build them from the chain's
//! own types, so the node never writes a result by hand.

use crate::hex_bytes::Hex;
use molt_interface::Interface;
use molt_runtime::{
    Account, ChainParams, PackageCheck, PackageRecord, PackageVersion, PayloadSimulation,
    ReceiptRecord, SimulatedBlock, UpgradeCap, UpgradeCheck, Validator,
};
use molt_types::{
    Address, Block, BlockId, ChainId, Digest, Event, ExecutionStatus, FailureReason, PublicKey,
    Receipt, Signature, SignedTransaction, TransactionId, TransactionPayload, UpgradePolicy,
    sha3_256,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// `molt_chainInfo`: the chain at its latest committed block, all from one
/// snapshot (the mempool size is read beside it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChainInfo {
    pub chain_id: ChainId,
    pub height: u64,
    pub latest_block_id: BlockId,
    pub state_root: Digest,
    pub timestamp_ms: u64,
    pub genesis_id: Option<BlockId>,
    pub epoch: u64,
    pub params: ChainParams,
    pub validators: Vec<ValidatorView>,
    pub mempool_size: usize,
}

/// A validator of the current epoch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidatorView {
    pub address: Address,
    pub public_key: PublicKey,
    pub voting_power: u64,
}

impl From<&Validator> for ValidatorView {
    fn from(v: &Validator) -> Self {
        ValidatorView {
            address: v.address,
            public_key: v.public_key,
            voting_power: v.voting_power,
        }
    }
}

/// A block's transactions: their ids, or (`full`) the transactions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum BlockTransactions {
    Ids(Vec<TransactionId>),
    Full(Vec<TransactionView>),
}

impl BlockTransactions {
    pub fn len(&self) -> usize {
        match self {
            BlockTransactions::Ids(v) => v.len(),
            BlockTransactions::Full(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// `molt_getBlock`, and the `molt_block` notification: a block's header
/// fields, its id and its transactions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlockView {
    pub id: BlockId,
    pub height: u64,
    pub epoch: u64,
    pub parent: BlockId,
    pub state_root: Digest,
    pub receipts_root: Digest,
    pub transactions_root: Digest,
    pub proposer: Address,
    pub timestamp_ms: u64,
    pub chain_id: ChainId,
    pub transactions: BlockTransactions,
}

impl BlockView {
    /// `b` with its transactions' ids, or with the transactions if `full`.
    pub fn new(b: &Block, full: bool) -> Self {
        let h = &b.header;
        BlockView {
            id: h.id(),
            height: h.height,
            epoch: h.epoch,
            parent: h.parent,
            state_root: h.state_root,
            receipts_root: h.receipts_root,
            transactions_root: h.transactions_root,
            proposer: h.proposer,
            timestamp_ms: h.timestamp_ms,
            chain_id: h.chain_id.clone(),
            transactions: if full {
                BlockTransactions::Full(b.transactions.iter().map(TransactionView::from).collect())
            } else {
                BlockTransactions::Ids(b.transactions.iter().map(|t| t.id()).collect())
            },
        }
    }
}

/// A ticket call of an upgrade transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketView {
    pub package: Address,
    pub function: String,
    pub args: Hex,
}

/// What a transaction does; modules are shown by size and checksum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PayloadView {
    Transfer {
        to: Address,
        amount: u64,
    },
    Publish {
        module_size: usize,
        checksum: Digest,
    },
    Call {
        package: Address,
        function: String,
        args: Hex,
        /// Coin attached to the call (moved to the package's account).
        coin: u64,
    },
    Upgrade {
        package: Address,
        module_size: usize,
        checksum: Digest,
        ticket: Option<TicketView>,
    },
    RestrictUpgradePolicy {
        cap: Address,
        policy: UpgradePolicy,
    },
    MakeImmutable {
        cap: Address,
    },
    TransferUpgradeCap {
        cap: Address,
        to: Address,
    },
}

impl From<&TransactionPayload> for PayloadView {
    fn from(p: &TransactionPayload) -> Self {
        match p {
            TransactionPayload::Transfer { to, amount } => PayloadView::Transfer {
                to: *to,
                amount: *amount,
            },
            TransactionPayload::Publish { module } => PayloadView::Publish {
                module_size: module.len(),
                checksum: sha3_256(module),
            },
            TransactionPayload::Call {
                package,
                function,
                args,
                coin,
            } => PayloadView::Call {
                package: *package,
                function: function.clone(),
                args: Hex(args.clone()),
                coin: *coin,
            },
            TransactionPayload::Upgrade {
                package,
                module,
                ticket,
            } => PayloadView::Upgrade {
                package: *package,
                module_size: module.len(),
                checksum: sha3_256(module),
                ticket: ticket.as_ref().map(|t| TicketView {
                    package: t.package,
                    function: t.function.clone(),
                    args: Hex(t.args.clone()),
                }),
            },
            TransactionPayload::RestrictUpgradePolicy { cap, policy } => {
                PayloadView::RestrictUpgradePolicy {
                    cap: *cap,
                    policy: *policy,
                }
            }
            TransactionPayload::MakeImmutable { cap } => PayloadView::MakeImmutable { cap: *cap },
            TransactionPayload::TransferUpgradeCap { cap, to } => {
                PayloadView::TransferUpgradeCap { cap: *cap, to: *to }
            }
        }
    }
}

/// A signed transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionView {
    pub id: TransactionId,
    pub chain_id: ChainId,
    pub sender: Address,
    pub sequence_number: u64,
    pub gas_budget: u64,
    pub gas_price: u64,
    pub expiry_height: u64,
    pub payload: PayloadView,
    pub public_key: PublicKey,
    pub signature: Signature,
}

impl From<&SignedTransaction> for TransactionView {
    fn from(t: &SignedTransaction) -> Self {
        let tx = &t.transaction;
        TransactionView {
            id: t.id(),
            chain_id: tx.chain_id.clone(),
            sender: tx.sender,
            sequence_number: tx.sequence_number,
            gas_budget: tx.gas_budget,
            gas_price: tx.gas_price,
            expiry_height: tx.expiry_height,
            payload: PayloadView::from(&tx.payload),
            public_key: t.public_key,
            signature: t.signature,
        }
    }
}

/// The kind of a failed transaction (`FailureReason`'s variant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    OutOfGas,
    InsufficientBalance,
    Aborted,
    Trap,
    InvalidModule,
    UnknownPackage,
    UnknownFunction,
    NotCallable,
    InvalidArguments,
    LimitExceeded,
    UpgradeRejected,
    IncompatibleUpgrade,
    ConstructorRejected,
    CapDenied,
    /// A kind this version does not know (a newer node).
    #[serde(other)]
    Unknown,
}

impl From<&FailureReason> for FailureKind {
    fn from(f: &FailureReason) -> Self {
        match f {
            FailureReason::OutOfGas { .. } => FailureKind::OutOfGas,
            FailureReason::InsufficientBalance { .. } => FailureKind::InsufficientBalance,
            FailureReason::Aborted { .. } => FailureKind::Aborted,
            FailureReason::Trap(_) => FailureKind::Trap,
            FailureReason::InvalidModule(_) => FailureKind::InvalidModule,
            FailureReason::UnknownPackage { .. } => FailureKind::UnknownPackage,
            FailureReason::UnknownFunction { .. } => FailureKind::UnknownFunction,
            FailureReason::NotCallable { .. } => FailureKind::NotCallable,
            FailureReason::InvalidArguments { .. } => FailureKind::InvalidArguments,
            FailureReason::LimitExceeded(_) => FailureKind::LimitExceeded,
            FailureReason::UpgradeRejected(_) => FailureKind::UpgradeRejected,
            FailureReason::IncompatibleUpgrade { .. } => FailureKind::IncompatibleUpgrade,
            FailureReason::ConstructorRejected { .. } => FailureKind::ConstructorRejected,
            FailureReason::CapDenied(_) => FailureKind::CapDenied,
        }
    }
}

/// A failed transaction: its kind, a message for people (rendered at read
/// time; receipts hold structured data only) and the structured details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureView {
    pub kind: FailureKind,
    pub message: String,
    /// The program's error code (`aborted`, `constructor_rejected`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<u32>,
    /// Violation codes of an incompatible upgrade (`E0301`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub violations: Option<Vec<String>>,
    /// The declaration each violation concerns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declarations: Option<Vec<String>>,
    /// The violations for people, one a line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<String>,
}

impl From<&FailureReason> for FailureView {
    fn from(f: &FailureReason) -> Self {
        let mut v = FailureView {
            kind: FailureKind::from(f),
            message: f.to_string(),
            code: None,
            violations: None,
            declarations: None,
            report: None,
        };
        match f {
            FailureReason::Aborted { code, .. }
            | FailureReason::ConstructorRejected { code, .. } => {
                v.code = Some(*code);
            }
            FailureReason::IncompatibleUpgrade { violations, .. } => {
                let report: Vec<String> = violations
                    .iter()
                    .map(|v| {
                        let title = molt_interface::ViolationCode::from_code(&v.code)
                            .map(|c| c.title())
                            .unwrap_or("unknown violation");
                        format!("{} {title}: {}", v.code, v.declaration)
                    })
                    .collect();
                v.violations = Some(violations.iter().map(|v| v.code.clone()).collect());
                v.declarations = Some(violations.iter().map(|v| v.declaration.clone()).collect());
                v.report = Some(report.join("\n"));
            }
            _ => {}
        }
        v
    }
}

/// `"success"`, or `{"failure": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusView {
    Success,
    Failure(FailureView),
}

impl StatusView {
    /// The failure, `None` on success.
    pub fn failure(&self) -> Option<&FailureView> {
        match self {
            StatusView::Success => None,
            StatusView::Failure(f) => Some(f),
        }
    }
}

/// A receipt; `height` and `index` say where its transaction was included
/// (absent in a simulation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptView {
    pub transaction_id: TransactionId,
    pub status: StatusView,
    pub gas_used: u64,
    pub events: Vec<Event>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
}

impl From<&Receipt> for ReceiptView {
    fn from(r: &Receipt) -> Self {
        ReceiptView {
            transaction_id: r.transaction_id,
            status: match &r.status {
                ExecutionStatus::Success => StatusView::Success,
                ExecutionStatus::Failure(f) => StatusView::Failure(FailureView::from(f)),
            },
            gas_used: r.gas_used,
            events: r.events.clone(),
            height: None,
            index: None,
        }
    }
}

impl From<&ReceiptRecord> for ReceiptView {
    fn from(r: &ReceiptRecord) -> Self {
        ReceiptView {
            height: Some(r.height),
            index: Some(r.index),
            ..ReceiptView::from(&r.receipt)
        }
    }
}

/// `molt_getTransaction`: included (with its receipt) or pending in the
/// mempool. A transaction that is neither is error `NotFound`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TransactionLookup {
    Included {
        /// Boxed: it is most of the answer's size.
        transaction: Box<TransactionView>,
        receipt: ReceiptView,
    },
    Pending {
        id: TransactionId,
    },
}

/// `molt_getAccount`: an account at `height`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub address: Address,
    pub balance: u64,
    /// The sequence number the account's next transaction must carry, by
    /// the committed state at `height`.
    pub sequence_number: u64,
    /// The sequence number after the account's transactions waiting in
    /// this node's mempool (equal to `sequence_number` when none wait): the
    /// one to sign the next transaction with.
    pub next_sequence_number: u64,
    /// The height the account was read at.
    pub height: u64,
}

impl AccountView {
    pub fn new(address: Address, a: &Account, next_sequence_number: u64, height: u64) -> Self {
        AccountView {
            address,
            balance: a.balance,
            sequence_number: a.sequence_number,
            next_sequence_number: next_sequence_number.max(a.sequence_number),
            height,
        }
    }
}

/// One version of a package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageVersionView {
    pub package_id: Address,
    pub original_id: Address,
    pub version: u64,
    pub edition: u16,
    pub checksum: Digest,
    pub owner: Address,
    pub policy: UpgradePolicy,
    /// Block and transaction that created this version.
    pub height: u64,
    pub transaction: Digest,
    pub interface: Interface,
}

impl From<&PackageVersion> for PackageVersionView {
    fn from(p: &PackageVersion) -> Self {
        PackageVersionView {
            package_id: p.package_id,
            original_id: p.original_id,
            version: p.version,
            edition: p.edition,
            checksum: p.checksum,
            owner: p.owner,
            policy: p.policy,
            height: p.height,
            transaction: p.transaction,
            interface: p.interface.clone(),
        }
    }
}

/// A package's upgrade capability.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpgradeCapView {
    pub id: Address,
    pub package: Address,
    pub owner: Address,
    pub policy: UpgradePolicy,
}

impl From<&UpgradeCap> for UpgradeCapView {
    fn from(c: &UpgradeCap) -> Self {
        UpgradeCapView {
            id: c.id,
            package: c.package,
            owner: c.owner,
            policy: c.policy,
        }
    }
}

/// `molt_getPackage`: every version (oldest first), the one the request
/// named, and the upgrade cap (`None` once immutable), at `height`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageView {
    pub original_id: Address,
    /// The package id of the latest version.
    pub latest: Address,
    /// The version the request's id names (the latest for an original id).
    pub requested: Option<PackageVersionView>,
    pub versions: Vec<PackageVersionView>,
    pub upgrade_cap: Option<UpgradeCapView>,
    /// The height the package was read at.
    pub height: u64,
}

impl PackageView {
    /// The view of `record` and its `versions` for a request naming `id`.
    pub fn new(
        id: &Address,
        record: &PackageRecord,
        versions: &[PackageVersion],
        cap: Option<&UpgradeCap>,
        height: u64,
    ) -> Self {
        let requested = versions
            .iter()
            .find(|v| v.package_id == *id)
            .or(versions.last());
        PackageView {
            original_id: record.original_id,
            latest: record.latest(),
            requested: requested.map(PackageVersionView::from),
            versions: versions.iter().map(PackageVersionView::from).collect(),
            upgrade_cap: cap.map(UpgradeCapView::from),
            height,
        }
    }

    /// The latest version.
    pub fn latest_version(&self) -> Option<&PackageVersionView> {
        self.versions.last()
    }
}

/// `molt_getModule`: a version's module bytes and their SHA3-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleView {
    pub module: Hex,
    pub checksum: Digest,
    /// The height the module was read at.
    pub height: u64,
}

impl ModuleView {
    pub fn new(module: Vec<u8>, height: u64) -> Self {
        ModuleView {
            checksum: sha3_256(&module),
            module: Hex(module),
            height,
        }
    }
}

/// `molt_getStorage`: a value (`None`: absent) at `version` with its proof
/// against that version's `state_root`; `proof` is the `StateProof`
/// encoding, `state_key` the key in the state tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageView {
    pub value: Option<Hex>,
    pub version: u64,
    pub state_root: Digest,
    pub proof: Hex,
    pub state_key: Hex,
}

/// `molt_view`: the return bytes, decoded through the interface when it
/// can be, the gas used, and the height the view ran at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ViewResult {
    pub result: Hex,
    pub decoded: Option<Value>,
    pub gas_used: u64,
    pub height: u64,
}

/// The block a simulation ran as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimulatedBlockView {
    pub height: u64,
    pub timestamp_ms: u64,
    pub proposer: Address,
    pub parent_height: u64,
    pub parent_state_root: Digest,
}

impl From<&SimulatedBlock> for SimulatedBlockView {
    fn from(b: &SimulatedBlock) -> Self {
        SimulatedBlockView {
            height: b.height,
            timestamp_ms: b.timestamp_ms,
            proposer: b.proposer,
            parent_height: b.parent_height,
            parent_state_root: b.parent_state_root,
        }
    }
}

/// `molt_simulateTransaction`: the receipt the transaction would get as
/// the first of `block`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimulationView {
    pub transaction_id: TransactionId,
    pub block: SimulatedBlockView,
    pub receipt: ReceiptView,
}

/// `molt_nodeStatus` `rpc`: connections and subscriptions with their limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RpcStatus {
    pub connections: usize,
    pub max_connections: u32,
    pub subscriptions: usize,
    pub max_subscriptions_per_connection: u32,
}

/// `molt_nodeStatus` `mempool`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MempoolStatus {
    pub transactions: usize,
    pub bytes: usize,
}

/// What the node recovered from its mempool journal at start.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveredAtStart {
    pub readmitted: usize,
    pub already_included: usize,
    pub dropped_invalid: usize,
    pub torn_bytes: u64,
}

/// `molt_nodeStatus` `journal`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalStatus {
    pub records: usize,
    pub recovered_at_start: RecoveredAtStart,
}

/// `molt_nodeStatus`: what the node holds for its clients right now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeStatus {
    pub height: u64,
    /// This binary's release, commit and protocol version.
    pub version: NodeVersion,
    /// Where the node stands on protocol upgrades.
    pub upgrade: UpgradeStatus,
    pub rpc: RpcStatus,
    pub mempool: MempoolStatus,
    pub journal: JournalStatus,
}

/// A `molt_event` notification: one event of a committed transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventNotice {
    pub height: u64,
    pub transaction_id: TransactionId,
    /// The event's position among its transaction's events.
    pub index: usize,
    pub emitter: Address,
    pub name: String,
    pub data: Hex,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn statuses_and_lookups_keep_the_documented_wire_form() {
        assert_eq!(
            serde_json::to_value(StatusView::Success).unwrap(),
            json!("success")
        );
        let f = FailureReason::Aborted {
            code: 7,
            message: "no".into(),
        };
        let v = serde_json::to_value(StatusView::Failure(FailureView::from(&f))).unwrap();
        assert_eq!(v["failure"]["kind"], "aborted");
        assert_eq!(v["failure"]["code"], 7);
        assert!(v["failure"].get("report").is_none(), "{v}");
        let back: StatusView = serde_json::from_value(v).unwrap();
        assert_eq!(back.failure().unwrap().code, Some(7));
        let pending = TransactionLookup::Pending { id: Digest::ZERO };
        let v = serde_json::to_value(&pending).unwrap();
        assert_eq!(v["status"], "pending");
        assert_eq!(
            serde_json::from_value::<TransactionLookup>(v).unwrap(),
            pending
        );
        let unknown: FailureKind = serde_json::from_value(json!("from_the_future")).unwrap();
        assert_eq!(unknown, FailureKind::Unknown);
    }
}

/// `molt_govSimulate`: what resolving a governance payload would do, on a
/// throw-away fork of the latest committed state (molt-runtime's
/// `Query::simulate_payload`); nothing was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GovSimulationView {
    /// The block the resolve ran as, and the committed state it forked.
    pub block: SimulatedBlockView,
    /// The proposal resolved: the one asked for, or the id a new proposal
    /// got on the fork.
    pub proposal: u64,
    /// SHA3-256 of the payload's bytes (what a proposal must approve).
    pub execution_hash: Digest,
    /// The kinds of the payload's actions, in order (empty if the bytes do
    /// not decode as a payload).
    pub actions: Vec<String>,
    /// Each `upgrade_package` action's compatibility check against the
    /// package version in force, even if the resolve fails.
    pub compatibility: Vec<UpgradeCheckView>,
    /// The packages the resolve upgraded.
    pub upgrades: Vec<SimulatedUpgradeView>,
    /// The parameters the resolve scheduled for the next epoch, if any.
    pub params: Option<ParamsChangeView>,
    /// The validator set the resolve scheduled for the next epoch, if any.
    pub validators: Option<ValidatorsChangeView>,
    /// The block after the resolve's starts a new epoch.
    pub ends_epoch: bool,
    /// The execution hash approved next (a chained payload).
    pub next_step: Option<Digest>,
    /// The protocol upgrades the payload asks for.
    pub protocol_upgrades: Vec<ProtocolUpgradeView>,
    /// The resolve's events (none if anything failed).
    pub events: Vec<Event>,
    /// Gas of the resolve call (without a transaction's intrinsic gas).
    pub gas_used: u64,
    /// `"success"`, or the first failure.
    pub status: StatusView,
    /// Where the failure happened: `propose`, `vote` or `resolve`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_step: Option<String>,
}

impl From<&PayloadSimulation> for GovSimulationView {
    fn from(s: &PayloadSimulation) -> Self {
        GovSimulationView {
            block: SimulatedBlockView::from(&s.block),
            proposal: s.proposal,
            execution_hash: s.execution_hash,
            actions: s.actions.iter().map(|a| a.to_string()).collect(),
            compatibility: s.compatibility.iter().map(UpgradeCheckView::from).collect(),
            upgrades: s
                .upgrades
                .iter()
                .map(|u| SimulatedUpgradeView {
                    package: u.package,
                    from_version: u.from_version,
                    from_checksum: u.from_checksum,
                    to_version: u.to_version,
                    to_checksum: u.to_checksum,
                    to_package_id: u.to_package_id,
                })
                .collect(),
            params: s
                .params
                .as_ref()
                .map(|(old, new)| ParamsChangeView::new(old, new)),
            validators: s
                .validators
                .as_ref()
                .map(|(old, new)| ValidatorsChangeView::new(old, new)),
            ends_epoch: s.ends_epoch,
            next_step: s.next_step,
            protocol_upgrades: s
                .protocol_upgrades
                .iter()
                .map(|p| ProtocolUpgradeView {
                    version: p.version.clone(),
                    height: p.height,
                    binary_hash: p.binary_hash,
                })
                .collect(),
            events: s.events.clone(),
            gas_used: s.gas_used,
            status: match &s.failure {
                None => StatusView::Success,
                Some((_, f)) => StatusView::Failure(FailureView::from(f)),
            },
            failed_step: s.failure.as_ref().map(|(step, _)| step.name().to_string()),
        }
    }
}

/// The release, commit and protocol version of a node binary: what
/// `molt --version --json`, the admin endpoint and `molt_nodeStatus` report.
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
    /// This crate's version (the workspace's), commit unknown: for nodes
    /// started from code (tests, benches); the `molt` binary passes its own
    /// build's.
    pub fn of_this_crate() -> Self {
        NodeVersion {
            release: env!("CARGO_PKG_VERSION").into(),
            commit: "unknown".into(),
            protocol: molt_runtime::PROTOCOL_VERSION,
        }
    }
}

/// One violation of a compatibility report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViolationView {
    /// `E0301`, ...
    pub code: String,
    pub title: String,
    pub declaration: String,
    pub old: Option<String>,
    pub new: Option<String>,
    pub hint: String,
}

/// An `upgrade_package` action checked against the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpgradeCheckView {
    /// The package as the action names it.
    pub package: Address,
    /// SHA3-256 of the new module.
    pub checksum: Digest,
    /// Checked, and no violations (under `compatible`).
    pub compatible: bool,
    /// The version it was checked against.
    pub from_version: Option<u64>,
    pub from_checksum: Option<Digest>,
    pub violations: Vec<ViolationView>,
    /// Why it could not be checked (unknown or non-framework package,
    /// invalid module, missing dependency).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl From<&PackageCheck> for UpgradeCheckView {
    fn from(c: &PackageCheck) -> Self {
        let mut v = UpgradeCheckView {
            package: c.package,
            checksum: c.checksum,
            compatible: c.is_compatible(),
            from_version: None,
            from_checksum: None,
            violations: Vec::new(),
            error: None,
        };
        match &c.check {
            UpgradeCheck::Checked {
                from_version,
                from_checksum,
                report,
            } => {
                v.from_version = Some(*from_version);
                v.from_checksum = Some(*from_checksum);
                v.violations = report
                    .violations
                    .iter()
                    .map(|x| ViolationView {
                        code: x.code.code().to_string(),
                        title: x.code.title().to_string(),
                        declaration: x.declaration.clone(),
                        old: x.old.clone(),
                        new: x.new.clone(),
                        hint: x.hint.clone(),
                    })
                    .collect();
            }
            UpgradeCheck::Unchecked { reason } => v.error = Some(reason.clone()),
        }
        v
    }
}

/// A package the resolve upgraded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimulatedUpgradeView {
    pub package: Address,
    pub from_version: u64,
    pub from_checksum: Digest,
    pub to_version: u64,
    pub to_checksum: Digest,
    pub to_package_id: Address,
}

/// One top-level chain parameter that changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamChangeView {
    pub name: String,
    pub old: Value,
    pub new: Value,
}

/// Parameters in force and those scheduled, with the fields that differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamsChangeView {
    pub in_force: ChainParams,
    pub scheduled: ChainParams,
    /// The top-level fields that differ, by name.
    pub changed: Vec<ParamChangeView>,
}

impl ParamsChangeView {
    pub fn new(old: &ChainParams, new: &ChainParams) -> Self {
        let fields = |p: &ChainParams| match serde_json::to_value(p) {
            Ok(Value::Object(m)) => m.into_iter().collect::<BTreeMap<String, Value>>(),
            _ => BTreeMap::new(),
        };
        let (a, b) = (fields(old), fields(new));
        let changed = a
            .iter()
            .filter_map(|(name, o)| {
                let n = b.get(name).cloned().unwrap_or(Value::Null);
                (*o != n).then(|| ParamChangeView {
                    name: name.clone(),
                    old: o.clone(),
                    new: n,
                })
            })
            .collect();
        ParamsChangeView {
            in_force: old.clone(),
            scheduled: new.clone(),
            changed,
        }
    }
}

/// The validator set in force and the one scheduled, with the difference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidatorsChangeView {
    pub in_force: Vec<ValidatorView>,
    pub scheduled: Vec<ValidatorView>,
    /// In the scheduled set only.
    pub added: Vec<Address>,
    /// In the set in force only.
    pub removed: Vec<Address>,
    /// In both, with another voting power: `(address, old, new)`.
    pub power_changed: Vec<(Address, u64, u64)>,
}

impl ValidatorsChangeView {
    pub fn new(old: &[Validator], new: &[Validator]) -> Self {
        let a: BTreeMap<Address, u64> = old.iter().map(|v| (v.address, v.voting_power)).collect();
        let b: BTreeMap<Address, u64> = new.iter().map(|v| (v.address, v.voting_power)).collect();
        ValidatorsChangeView {
            in_force: old.iter().map(Into::into).collect(),
            scheduled: new.iter().map(Into::into).collect(),
            added: b.keys().filter(|k| !a.contains_key(k)).copied().collect(),
            removed: a.keys().filter(|k| !b.contains_key(k)).copied().collect(),
            power_changed: a
                .iter()
                .filter_map(|(k, p)| match b.get(k) {
                    Some(q) if q != p => Some((*k, *p, *q)),
                    _ => None,
                })
                .collect(),
        }
    }
}

/// A `schedule_protocol_upgrade` action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtocolUpgradeView {
    pub version: String,
    pub height: u64,
    pub binary_hash: Digest,
}

/// `molt_nodeStatus` `upgrade`: `state` is `running`, `halted` (at the
/// plan's height, plan file or checkpoint not written yet) or `ready` (for
/// the binary to be replaced); `plan` is the plan in finalized chain state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpgradeStatus {
    pub state: String,
    pub plan: Option<molt_types::UpgradePlan>,
}
