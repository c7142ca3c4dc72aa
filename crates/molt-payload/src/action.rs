//! The actions of a payload, in their frozen encoding order.

use alloc::string::String;
use alloc::vec::Vec;
use borsh::{BorshDeserialize, BorshSerialize};
use molt_types::{Address, Digest};

/// One validator of a scheduled validator set.
///
/// The encoding equals the node's `Validator` record (address, ed25519
/// public key, voting power), so the framework hands it to the node as is.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct ValidatorEntry {
    /// Must be the address of `public_key`.
    pub address: Address,
    /// The validator's ed25519 public key.
    pub public_key: [u8; 32],
    /// Positive; votes and consensus are weighted by it.
    pub voting_power: u64,
}

/// What a payload does, in order. Variant indices are the encoding: append
/// new variants, never reorder.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum Action {
    /// Upgrade the framework package `package` (a reserved address) to
    /// `module`, without its `UpgradeCap`, checked by the compatibility
    /// checker under `compatible`. Live from the next transaction.
    UpgradePackage { package: Address, module: Vec<u8> },
    /// Schedule `params`, the borsh encoding of the node's full
    /// `ChainParams`, for the next epoch boundary. The node validates them
    /// when the action runs.
    SetParams { params: Vec<u8> },
    /// Schedule the validator set of the next epoch.
    SetNextValidators { validators: Vec<ValidatorEntry> },
    /// End the current epoch: the next block starts a new one, applying the
    /// scheduled parameters and validator set.
    EndEpoch,
    /// Call `function` of `package` (a `public` or `entry` function) with
    /// the borsh-encoded `args`, the governance package as caller.
    CallAsGovernance {
        package: Address,
        function: String,
        args: Vec<u8>,
    },
    /// Shape only (a later release implements it): run node binary
    /// `version`, whose release has SHA3-256 `binary_hash`, from `height`.
    ScheduleProtocolUpgrade {
        version: String,
        height: u64,
        binary_hash: Digest,
    },
    /// Shape only (a later release implements it): point the canonical
    /// deployment `name` at `target` (`None` removes it).
    RegistryChange {
        name: String,
        target: Option<Address>,
    },
    /// The execution hash of the next step; only as the last action.
    NextStep { hash: Digest },
}

impl Action {
    /// A short stable name, for reports and errors.
    pub fn kind(&self) -> &'static str {
        match self {
            Action::UpgradePackage { .. } => "upgrade_package",
            Action::SetParams { .. } => "set_params",
            Action::SetNextValidators { .. } => "set_next_validators",
            Action::EndEpoch => "end_epoch",
            Action::CallAsGovernance { .. } => "call_as_governance",
            Action::ScheduleProtocolUpgrade { .. } => "schedule_protocol_upgrade",
            Action::RegistryChange { .. } => "registry_change",
            Action::NextStep { .. } => "next_step",
        }
    }
}
