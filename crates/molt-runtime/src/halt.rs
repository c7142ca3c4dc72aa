//! The protocol-upgrade halt (DESIGN.md 4): an [`UpgradePlan`] in chain
//! state stops binaries older than its release after its height.
//!
//! # Rules
//!
//! 1. The plan lives at [`UPGRADE_PLAN_KEY`] in chain state, canonical
//!    encoding. [`Runtime::schedule_protocol_upgrade`] writes it at the end
//!    of the next block this runtime executes, after
//!    [`Runtime::check_upgrade_plan`]; the framework's privileged "schedule
//!    a protocol upgrade" call and accepted validator proposals write the
//!    same key under the same checks.
//! 2. A plan is acceptable when its version is semver, its height is at
//!    least the next block's (the block that writes it may be the last one
//!    before the halt), it names at least one `<os>-<arch>` binary, and, if
//!    the chain already passed an earlier plan's height, its version is newer
//!    than that plan's (no downgrades). A plan whose height has not been
//!    reached yet is replaced by a newer schedule.
//! 3. Before executing a block at height `h`, proposer and verifier read the
//!    plan from the parent's state. If `h > plan.height` and this binary's
//!    release ([`Runtime::set_binary_release`]) is older than
//!    `plan.version`, the block is refused with
//!    [`RuntimeError::HaltedForUpgrade`]: not a verdict that the block is
//!    invalid (a newer binary may well accept it), a statement that this
//!    binary must not judge it. A binary at `plan.version` or later goes on
//!    from `plan.height + 1`.
//!
//! The decision depends on the state and on the binary, never on a clock:
//! every node with the same release decides the same at the same height.

use crate::error::RuntimeError;
use crate::host::read_record;
use crate::overlay::Overlay;
use crate::runtime::Runtime;
use molt_types::{UpgradePlan, codec};

/// Where the scheduled [`UpgradePlan`] lives in chain state.
pub const UPGRADE_PLAN_KEY: &[u8] = b"chain/upgrade_plan";

/// The version of the state machine's rules that this runtime implements:
/// raised with every change that would make two releases disagree on a block.
pub const PROTOCOL_VERSION: u32 = 1;

/// Why an upgrade plan cannot be scheduled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error(
        "version `{version}` is not a semantic version (MAJOR.MINOR.PATCH, e.g. 0.2.0): {reason}"
    )]
    NotSemver { version: String, reason: String },
    #[error("height {height} has passed: the next block is {next}; plan a later height")]
    HeightPassed { height: u64, next: u64 },
    #[error(
        "version {version} is not newer than {previous}, which the chain upgraded to at height {at}: downgrades are not allowed"
    )]
    NotNewer {
        version: String,
        previous: String,
        at: u64,
    },
    #[error("the plan names no binary checksum; give one per platform, e.g. linux-x86_64")]
    NoBinaries,
    #[error("platform `{0}` is not <os>-<arch> in lower case (e.g. linux-x86_64, macos-aarch64)")]
    BadPlatform(String),
    #[error("the chain state could not be read: {0}")]
    State(String),
}

/// Parses a release version as semver.
pub fn parse_release(version: &str) -> Result<semver::Version, PlanError> {
    semver::Version::parse(version).map_err(|e| PlanError::NotSemver {
        version: version.into(),
        reason: e.to_string(),
    })
}

/// Checks `plan` as the write of a block at `next` over a state holding
/// `stored` (rule 2 of the module doc).
pub fn check_plan(
    plan: &UpgradePlan,
    stored: Option<&UpgradePlan>,
    next: u64,
) -> Result<(), PlanError> {
    let version = parse_release(&plan.version)?;
    if plan.height < next {
        return Err(PlanError::HeightPassed {
            height: plan.height,
            next,
        });
    }
    if plan.binaries.is_empty() {
        return Err(PlanError::NoBinaries);
    }
    for platform in plan.binaries.keys() {
        let ok = platform.split_once('-').is_some_and(|(os, arch)| {
            !os.is_empty()
                && !arch.is_empty()
                && platform
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        });
        if !ok {
            return Err(PlanError::BadPlatform(platform.clone()));
        }
    }
    if let Some(old) = stored.filter(|old| old.height < next) {
        // An unparsable stored version cannot have been scheduled: corrupt.
        let previous = parse_release(&old.version)
            .map_err(|e| PlanError::State(format!("the stored plan is damaged: {e}")))?;
        if version <= previous {
            return Err(PlanError::NotNewer {
                version: plan.version.clone(),
                previous: old.version.clone(),
                at: old.height,
            });
        }
    }
    Ok(())
}

impl Runtime {
    /// Sets the release of the binary this runtime runs in (the `molt`
    /// binary's version): what rule 3 of the module doc compares with a
    /// plan. Until set, it is this crate's version.
    pub fn set_binary_release(&self, version: &str) -> Result<(), PlanError> {
        let v = parse_release(version)?;
        *self.release.write().unwrap_or_else(|p| p.into_inner()) = v;
        Ok(())
    }

    /// This binary's release, as [`Runtime::set_binary_release`] set it.
    pub fn binary_release(&self) -> semver::Version {
        self.release
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The plan in the latest finalized state, if one was ever scheduled
    /// (it stays after its height, as the record of the last upgrade).
    pub fn upgrade_plan(&self) -> Result<Option<UpgradePlan>, RuntimeError> {
        read_record(&Overlay::new(self.store()), UPGRADE_PLAN_KEY)
    }

    /// Whether `plan` could be scheduled by the next block on the latest
    /// finalized state.
    pub fn check_upgrade_plan(&self, plan: &UpgradePlan) -> Result<(), PlanError> {
        let stored = self
            .upgrade_plan()
            .map_err(|e| PlanError::State(e.to_string()))?;
        check_plan(plan, stored.as_ref(), self.height() + 1)
    }

    /// Checks `plan` and writes it at [`UPGRADE_PLAN_KEY`] at the end of the
    /// next block this runtime executes (and of every block it executes
    /// until one holding it is finalized: see
    /// [`Runtime::stage_chain_write`]). Every runtime that executes that
    /// block must be given the same plan (the dev chain's one validator
    /// now, or every validator of a test network; the framework's
    /// privileged call on a network later).
    pub fn schedule_protocol_upgrade(&self, plan: &UpgradePlan) -> Result<(), PlanError> {
        self.check_upgrade_plan(plan)?;
        self.stage_chain_write(UPGRADE_PLAN_KEY.to_vec(), codec::encode(plan));
        Ok(())
    }

    /// The plan this binary halted for: the latest finalized block is at or
    /// past the plan's height and this binary is older than its version.
    pub fn halted_for_upgrade(&self) -> Result<Option<UpgradePlan>, RuntimeError> {
        let Some(plan) = self.upgrade_plan()? else {
            return Ok(None);
        };
        Ok(self.refuses(&plan, self.height() + 1).then_some(plan))
    }

    /// Rule 3: refuses a block at `height` over a state (`overlay`) whose
    /// plan this binary may not go past.
    pub(crate) fn check_halt(
        &self,
        overlay: &Overlay<'_>,
        height: u64,
    ) -> Result<(), RuntimeError> {
        match read_record::<UpgradePlan>(overlay, UPGRADE_PLAN_KEY)? {
            Some(plan) if self.refuses(&plan, height) => Err(RuntimeError::HaltedForUpgrade {
                running: self.binary_release().to_string(),
                plan: Box::new(plan),
            }),
            _ => Ok(()),
        }
    }

    fn refuses(&self, plan: &UpgradePlan, height: u64) -> bool {
        if height <= plan.height {
            return false;
        }
        match semver::Version::parse(&plan.version) {
            Ok(needed) => self.binary_release() < needed,
            // Never written by check_plan; refusing is the safe reading.
            Err(_) => true,
        }
    }
}
