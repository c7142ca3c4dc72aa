//! The actions of a payload, in their frozen encoding order.

use alloc::string::String;
use alloc::vec::Vec;
use borsh::{BorshDeserialize, BorshSerialize};
use molt_types::{Address, Digest, UpgradePlan};

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
    /// Superseded by [`Action::RegistryAdd`] before any release executed
    /// it, and refused by every framework release: it names no expected
    /// predecessor, so a stale payload could silently replace a newer
    /// canonical version. Kept so that the encoding of the variants after
    /// it never moves.
    RegistryChange {
        name: String,
        target: Option<Address>,
    },
    /// The execution hash of the next step; only as the last action.
    NextStep { hash: Digest },
    /// Append version `package` (labelled `label`) to registry service
    /// `name`, making it canonical, if and only if the canonical version is
    /// still `expected` (`None`: the service must not exist yet). A payload
    /// written against a canonical version that has since changed fails
    /// instead of replacing the newer one.
    RegistryAdd {
        name: String,
        package: Address,
        label: String,
        expected: Option<Address>,
    },
    /// Schedule the protocol (binary) upgrade `plan`: binaries older than
    /// its version stop after its height, and the plan's release goes on
    /// (docs/protocol-upgrades.md). The node checks it as every plan:
    /// semver, a height not passed, at least one `<os>-<arch>` binary
    /// checksum, no downgrade. Supersedes `ScheduleProtocolUpgrade`, which
    /// named one binary for every platform and is always refused.
    ScheduleUpgrade { plan: UpgradePlan },
}

/// A set of action kinds, one bit per [`Action`] variant (bit `i` is the
/// variant with encoding index `i`): which actions a governance track may
/// execute. [`Action::NextStep`] is structure, not an effect: every track
/// may chain steps, whatever the set says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, BorshSerialize, BorshDeserialize)]
pub struct ActionSet(pub u64);

impl ActionSet {
    /// No action.
    pub const NONE: ActionSet = ActionSet(0);

    /// Every action kind this version of the encoding knows.
    pub const ALL: ActionSet = ActionSet((1 << Action::KINDS) - 1);

    /// The set holding exactly `kinds` (indices as [`Action::index`]).
    pub const fn of(kinds: &[u8]) -> ActionSet {
        let mut bits = 0u64;
        let mut i = 0;
        while i < kinds.len() {
            bits |= 1 << kinds[i];
            i += 1;
        }
        ActionSet(bits)
    }

    /// Whether `action` is in the set (always true for `NextStep`).
    pub fn permits(self, action: &Action) -> bool {
        matches!(action, Action::NextStep { .. }) || self.0 & (1 << action.index()) != 0
    }

    /// This set without the kinds in `other`.
    pub const fn without(self, other: ActionSet) -> ActionSet {
        ActionSet(self.0 & !other.0)
    }
}

impl Action {
    /// How many variants the encoding has.
    pub const KINDS: u8 = 10;

    /// The variant's encoding index (its first byte in borsh).
    pub fn index(&self) -> u8 {
        match self {
            Action::UpgradePackage { .. } => 0,
            Action::SetParams { .. } => 1,
            Action::SetNextValidators { .. } => 2,
            Action::EndEpoch => 3,
            Action::CallAsGovernance { .. } => 4,
            Action::ScheduleProtocolUpgrade { .. } => 5,
            Action::RegistryChange { .. } => 6,
            Action::NextStep { .. } => 7,
            Action::RegistryAdd { .. } => 8,
            Action::ScheduleUpgrade { .. } => 9,
        }
    }

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
            Action::RegistryAdd { .. } => "registry_add",
            Action::ScheduleUpgrade { .. } => "schedule_upgrade",
        }
    }
}
