//! What the privileged host calls ask of a [`Host`](crate::Host), and how a
//! host refuses them (docs/host-abi.md, "Privileged calls").
//!
//! The VM decides *who* may make a privileged call
//! ([`molt_host_rules::privilege`]) and validates the module of a governance
//! upgrade; the host decides whether the action can work against its state
//! (the target is a framework package, the new interface is compatible, the
//! parameters and the validator set are valid) and records it.

use molt_interface::Interface;
use molt_types::{Address, Digest, ViolationRecord};

/// A governance upgrade the VM admitted and whose module it validated.
#[derive(Debug, Clone, Copy)]
pub struct GovernanceUpgrade<'a> {
    /// The package to upgrade (an original id or a package id of it).
    pub package: Address,
    pub module: &'a [u8],
    /// The new module's interface, read by the VM's validation.
    pub interface: &'a Interface,
    /// SHA3-256 of `module`.
    pub checksum: Digest,
    /// The block the upgrade happens in.
    pub height: u64,
}

/// The chain facts a program reads with `molt.chain_info` (borsh-encoded
/// by the host; layouts in docs/host-abi.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainInfo {
    /// `(epoch: u64, start_height: u64)`.
    Epoch,
    /// The current epoch's validators: `Vec<(Address, [u8; 32], u64)>`
    /// (address, public key, voting power).
    Validators,
    /// The validators scheduled for the next epoch, same layout; absent if
    /// none are scheduled.
    NextValidators,
    /// The chain parameters in force (the node's `ChainParams`, borsh).
    Params,
    /// The parameters scheduled for the next epoch; absent if none.
    NextParams,
    /// The proposer of the block being executed: an `Address`; absent
    /// outside a block (a view, genesis). Proposer signalling checks it.
    BlockProposer,
}

impl ChainInfo {
    /// The ABI's number for each kind.
    pub fn from_code(code: i32) -> Option<Self> {
        Some(match code {
            0 => ChainInfo::Epoch,
            1 => ChainInfo::Validators,
            2 => ChainInfo::NextValidators,
            3 => ChainInfo::Params,
            4 => ChainInfo::NextParams,
            5 => ChainInfo::BlockProposer,
            _ => return None,
        })
    }
}

/// Why a host refused an admitted privileged call. Every variant says what
/// to change in the payload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GovernanceRefusal {
    /// The host keeps no chain state (a test host).
    #[error("this host does not support governance actions")]
    Unsupported,
    #[error("no package with id {package}")]
    UnknownPackage { package: Address },
    /// Governance upgrades only framework packages (0x1..0xff); a user's
    /// package is upgraded through its cap.
    #[error(
        "package {package} is not a framework package: governance upgrades only 0x1..0xff; other packages are upgraded through their cap"
    )]
    NotFrameworkPackage { package: Address },
    #[error("dependency {original_id} version {version} does not exist")]
    MissingDependency { original_id: Address, version: u64 },
    /// The new interface breaks the `compatible` policy.
    #[error(
        "the upgrade is incompatible under policy compatible: {}",
        render(violations)
    )]
    Incompatible { violations: Vec<ViolationRecord> },
    #[error("the package is at its last edition (65535)")]
    LastEdition,
    #[error("invalid chain parameters: {reason}")]
    InvalidParams { reason: String },
    #[error("invalid validator set: {reason}")]
    InvalidValidators { reason: String },
    #[error("invalid protocol upgrade plan: {reason}")]
    InvalidPlan { reason: String },
}

fn render(violations: &[ViolationRecord]) -> String {
    let parts: Vec<String> = violations
        .iter()
        .map(|v| format!("{} at {}", v.code, v.declaration))
        .collect();
    parts.join(", ")
}
