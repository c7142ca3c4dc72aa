//! Simulating a governance payload: what resolving it would do, on a
//! throw-away fork of the latest committed state, with nothing written
//! (DESIGN.md 3: "a payload can be simulated before anyone votes").
//!
//! [`Query::simulate_payload`] runs the real framework code, not a model of
//! it, on an overlay of the query's one pinned snapshot:
//!
//! 1. in the next block (height `h`), a new proposal: governance's `propose`
//!    with the payload's execution hash, called by the system address; or,
//!    with a proposal id, that existing proposal;
//! 2. in the same block, a yes vote from every voter of the proposal's
//!    snapshot who has not voted yet, until voting closes;
//! 3. in the block after (height `h + 1`, with its epoch bookkeeping, since
//!    governance resolves only after the deciding vote's block), `resolve`
//!    with the payload's bytes, exactly as the track's resolve transaction
//!    runs it. An already accepted proposal is resolved at `h` itself.
//!
//! The effects are read from the fork's state and the resolve's events, so
//! they are what the real resolution reports on an unchanged state:
//!
//! - every `UpgradePackage` action's compatibility report against the
//!   package version in force (in payload order: a second upgrade of the
//!   same package is checked against the first), whether or not the resolve
//!   succeeds;
//! - every package the resolve upgraded: version and checksum before and
//!   after;
//! - the chain parameters in force and those the resolve scheduled for the
//!   next epoch; the validator set in force and the one it scheduled;
//!   whether it ends the epoch; the next step's hash, if any;
//! - the protocol upgrades the payload asks for (release v1 refuses the
//!   action, so such a payload fails with governance's `UnsupportedAction`);
//! - the resolve's events and gas, and the first failure, with the step
//!   (propose, vote, resolve) it happened in.
//!
//! Signatures, fees and sequence numbers are not part of it (the calls run
//! as the validators and the system address without transactions), so the
//! reported gas is the resolve call's, without the intrinsic gas of its
//! transaction. The overlay is dropped at the end: the state root, blocks
//! and receipts are unchanged.

use crate::error::RuntimeError;
use crate::execute::{BlockEnv, Call, Executor, SYSTEM_ADDRESS};
use crate::framework::GOVERNANCE_PACKAGE;
use crate::genesis::Validator;
use crate::governance::{END_EPOCH_KEY, NEXT_PARAMS_KEY, begin_block};
use crate::host::{missing_dependency, read_record, resolve};
use crate::overlay::Overlay;
use crate::params::ChainParams;
use crate::query::Query;
use crate::runtime::{NEXT_VALIDATORS_KEY, Runtime, VALIDATORS_KEY};
use crate::simulate::SimulatedBlock;
use crate::state;
use molt_interface::{CompatReport, Interface};
use molt_payload::{Action, Payload};
use molt_types::{Address, Digest, Event, FailureReason, UpgradePolicy, codec, sha3_256};
use std::collections::BTreeMap;

// Governance's abort codes (framework/governance) the vote loop expects.
const ALREADY_VOTED: u32 = 3;
const VOTING_CLOSED: u32 = 4;

/// Where a simulation stopped with a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimulationStep {
    Propose,
    Vote,
    Resolve,
}

impl SimulationStep {
    pub fn name(self) -> &'static str {
        match self {
            SimulationStep::Propose => "propose",
            SimulationStep::Vote => "vote",
            SimulationStep::Resolve => "resolve",
        }
    }
}

/// One package a simulated payload upgraded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulatedUpgrade {
    pub package: Address,
    pub from_version: u64,
    pub from_checksum: Digest,
    pub to_version: u64,
    pub to_checksum: Digest,
    /// The new version's package id.
    pub to_package_id: Address,
}

/// The compatibility check of one `UpgradePackage` action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpgradeCheck {
    /// Checked against the version in force, under `compatible` (the
    /// policy governance upgrades obey).
    Checked {
        from_version: u64,
        from_checksum: Digest,
        report: CompatReport,
    },
    /// It cannot be checked; the resolve fails for this reason.
    Unchecked { reason: String },
}

/// An `UpgradePackage` action and its check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageCheck {
    /// The package as the action names it.
    pub package: Address,
    /// SHA3-256 of the new module.
    pub checksum: Digest,
    pub check: UpgradeCheck,
}

impl PackageCheck {
    /// Whether the action would be accepted by the compatibility check.
    pub fn is_compatible(&self) -> bool {
        matches!(&self.check, UpgradeCheck::Checked { report, .. } if report.is_compatible())
    }
}

/// A `ScheduleProtocolUpgrade` action of the payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolUpgradeRequest {
    pub version: String,
    pub height: u64,
    pub binary_hash: Digest,
}

/// What resolving a payload would do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadSimulation {
    /// The block the resolve ran in, and the committed state it forked.
    pub block: SimulatedBlock,
    /// The proposal resolved: the given one, or the id a new one got on the
    /// fork (the next proposal id).
    pub proposal: u64,
    /// SHA3-256 of the payload's bytes.
    pub execution_hash: Digest,
    /// The kinds of the payload's actions, in order (empty if the bytes do
    /// not decode as a payload; the resolve then fails).
    pub actions: Vec<&'static str>,
    /// Every `UpgradePackage` action's compatibility check, in order.
    pub compatibility: Vec<PackageCheck>,
    /// The packages the resolve upgraded (none if it failed).
    pub upgrades: Vec<SimulatedUpgrade>,
    /// In force -> scheduled for the next epoch, if the resolve scheduled
    /// parameters.
    pub params: Option<(ChainParams, ChainParams)>,
    /// In force -> scheduled for the next epoch, if it scheduled a set.
    pub validators: Option<(Vec<Validator>, Vec<Validator>)>,
    /// The block after the resolve's would start a new epoch.
    pub ends_epoch: bool,
    /// The hash the proposal approves next (a chained payload).
    pub next_step: Option<Digest>,
    pub protocol_upgrades: Vec<ProtocolUpgradeRequest>,
    /// The resolve's events (none if it failed).
    pub events: Vec<Event>,
    /// The resolve call's gas (also when it failed).
    pub gas_used: u64,
    /// Why proposing, voting or resolving failed, if it did, and where.
    pub failure: Option<(SimulationStep, FailureReason)>,
}

impl Runtime {
    /// [`Query::simulate_payload`] of a new proposal on a fresh query.
    pub fn simulate_payload(&self, payload: &[u8]) -> Result<PayloadSimulation, RuntimeError> {
        self.query()?.simulate_payload(payload, None)
    }
}

/// The storage key of governance's `POWER` entries of proposal `id`:
/// `power/` ++ borsh(id) (then borsh(voter)).
fn power_prefix(id: u64) -> Vec<u8> {
    state::data_key(
        &GOVERNANCE_PACKAGE,
        &[b"power/".as_slice(), &id.to_le_bytes()].concat(),
    )
}

struct Fork<'q> {
    query: &'q Query<'q>,
    parent_height: u64,
    parent_timestamp_ms: u64,
    proposer: Address,
}

impl Fork<'_> {
    fn env(&self, height: u64) -> BlockEnv {
        BlockEnv {
            height,
            timestamp_ms: self
                .parent_timestamp_ms
                .saturating_add(height - self.parent_height),
            proposer: self.proposer,
        }
    }

    /// Calls governance's `function` as `sender` in a checkpoint, as a
    /// transaction's payload runs (a failure undoes its writes).
    fn call(
        &self,
        overlay: &mut Overlay<'_>,
        params: &ChainParams,
        sender: &Address,
        function: &str,
        args: &[u8],
        coin: u64,
        height: u64,
    ) -> Result<Result<u64, crate::execute::Failed>, RuntimeError> {
        let vm = self.query.runtime.vm_for(params)?;
        let exec = Executor {
            vm: &vm,
            chain_id: self.query.runtime.chain_id(),
            params,
            signatures: None,
        };
        let budget = params.max_gas_budget;
        overlay.checkpoint();
        let out = exec.call(
            overlay,
            Call {
                sender,
                package: &GOVERNANCE_PACKAGE,
                function,
                args,
                coin,
                budget,
                ticket: false,
            },
            self.env(height),
            budget,
        )?;
        match out {
            Ok(_) => overlay.commit(),
            Err(_) => overlay.revert(),
        }
        Ok(out)
    }
}

impl Query<'_> {
    /// Whether governance has a proposal with id `id`.
    pub fn governance_proposal_exists(&self, id: u64) -> Result<bool, RuntimeError> {
        let key = state::data_key(
            &GOVERNANCE_PACKAGE,
            &[b"proposals/".as_slice(), &id.to_le_bytes()].concat(),
        );
        Ok(Overlay::new(&self.snapshot).get(&key)?.is_some())
    }

    /// Simulates resolving `payload` on this query's state (module docs):
    /// as a new proposal, or as proposal `proposal` (which must approve the
    /// payload's hash, or the resolve fails). Nothing is written; an error
    /// is a failure of the node's own storage or state.
    pub fn simulate_payload(
        &self,
        payload: &[u8],
        proposal: Option<u64>,
    ) -> Result<PayloadSimulation, RuntimeError> {
        let parent = self.latest_block()?;
        let fork = Fork {
            query: self,
            parent_height: parent.header.height,
            parent_timestamp_ms: parent.header.timestamp_ms,
            proposer: parent.header.proposer,
        };
        let mut overlay = Overlay::new(&self.snapshot);
        let height = parent.header.height.saturating_add(1);
        let (mut params, _) = begin_block(&mut overlay, height, self.runtime.genesis_params())?;
        let execution_hash = molt_payload::execution_hash(payload);
        let decoded = Payload::decode(payload, usize::MAX).ok();
        let mut result = PayloadSimulation {
            block: SimulatedBlock {
                height,
                timestamp_ms: fork.env(height).timestamp_ms,
                proposer: fork.proposer,
                parent_height: parent.header.height,
                parent_state_root: parent.header.state_root,
            },
            proposal: proposal.unwrap_or(0),
            execution_hash,
            actions: decoded
                .iter()
                .flat_map(|p| p.actions.iter().map(Action::kind))
                .collect(),
            compatibility: Vec::new(),
            upgrades: Vec::new(),
            params: None,
            validators: None,
            ends_epoch: false,
            next_step: None,
            protocol_upgrades: Vec::new(),
            events: Vec::new(),
            gas_used: 0,
            failure: None,
        };
        for a in decoded.iter().flat_map(|p| &p.actions) {
            if let Action::ScheduleProtocolUpgrade {
                version,
                height,
                binary_hash,
            } = a
            {
                result.protocol_upgrades.push(ProtocolUpgradeRequest {
                    version: version.clone(),
                    height: *height,
                    binary_hash: *binary_hash,
                });
            }
        }

        let id = match proposal {
            Some(id) => id,
            None => {
                let args =
                    codec::encode(&(execution_hash, String::from("simulation"), Digest::ZERO));
                let key = state::data_key(&GOVERNANCE_PACKAGE, b"next_id");
                let id = read_record::<u64>(&overlay, &key)?.unwrap_or(0);
                // The simulated proposer is given the deposit on the fork.
                let deposit = crate::large::governance_track(&overlay)?.map_or(0, |t| t.deposit);
                let mut proposer = crate::execute::account(&overlay, &SYSTEM_ADDRESS)?;
                proposer.balance = proposer.balance.saturating_add(deposit);
                crate::execute::put(&mut overlay, state::account_key(&SYSTEM_ADDRESS), &proposer);
                if let Err(f) = fork.call(
                    &mut overlay,
                    &params,
                    &SYSTEM_ADDRESS,
                    "propose",
                    &args,
                    deposit,
                    height,
                )? {
                    result.failure = Some((SimulationStep::Propose, f.reason));
                    return Ok(result);
                }
                id
            }
        };
        result.proposal = id;

        // Yes from every snapshot voter who has not voted, until it closes.
        let prefix = power_prefix(id);
        let mut voters = Vec::new();
        let mut after: Option<Vec<u8>> = None;
        while let Some((k, _)) = overlay.next(&prefix, after.as_deref())? {
            if let Some(a) = k
                .get(prefix.len()..)
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
            {
                voters.push(Address::new(a));
            }
            after = Some(k);
        }
        let mut voted = false;
        for v in &voters {
            let args = codec::encode(&(id, true));
            match fork.call(&mut overlay, &params, v, "vote", &args, 0, height)? {
                Ok(_) => voted = true,
                Err(f) => match f.reason {
                    FailureReason::Aborted {
                        code: ALREADY_VOTED,
                        ..
                    } => {}
                    FailureReason::Aborted {
                        code: VOTING_CLOSED,
                        ..
                    } => break,
                    reason => {
                        result.failure = Some((SimulationStep::Vote, reason));
                        return Ok(result);
                    }
                },
            }
        }

        // The resolve, in the block after the deciding vote's.
        let resolve_height = if voted || proposal.is_none() {
            let h = height.saturating_add(1);
            params = begin_block(&mut overlay, h, self.runtime.genesis_params())?.0;
            h
        } else {
            height
        };
        result.block.height = resolve_height;
        result.block.timestamp_ms = fork.env(resolve_height).timestamp_ms;

        let vm = self.runtime.vm_for(&params)?;
        if let Some(p) = &decoded {
            result.compatibility = check_upgrades(&overlay, &vm, &p.actions)?;
        }
        let before_params = params.clone();
        let before_validators: Vec<Validator> =
            read_record(&overlay, VALIDATORS_KEY)?.unwrap_or_default();
        let scheduled_params = overlay.get(NEXT_PARAMS_KEY)?;
        let scheduled_validators = overlay.get(NEXT_VALIDATORS_KEY)?;
        let mut before_packages = Vec::new();
        for n in 1..molt_host_rules::FRAMEWORK_LIMIT {
            let a = Address::reserved(n);
            if let Some(v) = resolve(&overlay, &a)? {
                before_packages.push((a, v.version, v.checksum));
            }
        }
        overlay.take_events();
        let args = codec::encode(&(id, payload.to_vec()));
        match fork.call(
            &mut overlay,
            &params,
            &SYSTEM_ADDRESS,
            "resolve",
            &args,
            0,
            resolve_height,
        )? {
            Ok(gas) => result.gas_used = gas,
            Err(f) => {
                result.gas_used = f.gas_used;
                result.failure = Some((SimulationStep::Resolve, f.reason));
                return Ok(result);
            }
        }
        result.events = overlay.take_events();
        for (a, version, checksum) in before_packages {
            if let Some(now) = resolve(&overlay, &a)?
                && now.version != version
            {
                result.upgrades.push(SimulatedUpgrade {
                    package: a,
                    from_version: version,
                    from_checksum: checksum,
                    to_version: now.version,
                    to_checksum: now.checksum,
                    to_package_id: now.package_id,
                });
            }
        }
        if overlay.get(NEXT_PARAMS_KEY)? != scheduled_params
            && let Some(next) = read_record::<ChainParams>(&overlay, NEXT_PARAMS_KEY)?
        {
            result.params = Some((before_params, next));
        }
        if overlay.get(NEXT_VALIDATORS_KEY)? != scheduled_validators
            && let Some(next) = read_record::<Vec<Validator>>(&overlay, NEXT_VALIDATORS_KEY)?
        {
            result.validators = Some((before_validators, next));
        }
        result.ends_epoch = overlay.get(END_EPOCH_KEY)?.is_some();
        // A chained payload's last action names the step approved next.
        result.next_step = decoded
            .iter()
            .flat_map(|p| &p.actions)
            .find_map(|a| match a {
                Action::NextStep { hash } => Some(*hash),
                _ => None,
            });
        // `overlay` and its writes are dropped here, never committed.
        Ok(result)
    }
}

/// The compatibility check of every `UpgradePackage` action, in order, as
/// `molt.gov_upgrade_package` does it (governance.rs): against the latest
/// version, or the one an earlier action of the payload would write.
fn check_upgrades(
    overlay: &Overlay<'_>,
    vm: &molt_vm::Vm,
    actions: &[Action],
) -> Result<Vec<PackageCheck>, RuntimeError> {
    let mut written: BTreeMap<Address, (Interface, Vec<u8>, u64, Digest)> = BTreeMap::new();
    let mut out = Vec::new();
    for a in actions {
        let Action::UpgradePackage { package, module } = a else {
            continue;
        };
        let checksum = sha3_256(module);
        let unchecked = |reason: String| PackageCheck {
            package: *package,
            checksum,
            check: UpgradeCheck::Unchecked { reason },
        };
        let Some(named) = resolve(overlay, package)? else {
            out.push(unchecked(format!("no package with id {package}")));
            continue;
        };
        let original = named.original_id;
        if !molt_host_rules::privilege::may_upgrade_as_governance(&original) {
            out.push(unchecked(format!(
                "{original} is not a framework package: governance upgrades only 0x1 to 0xff"
            )));
            continue;
        }
        let (old_interface, old_module, from_version, from_checksum) = match written.get(&original)
        {
            Some(w) => w.clone(),
            None => {
                let Some(latest) = resolve(overlay, &original)? else {
                    out.push(unchecked(format!("no package with id {original}")));
                    continue;
                };
                let code = overlay
                    .get(&state::code_key(&latest.checksum))?
                    .unwrap_or_default();
                (latest.interface, code, latest.version, latest.checksum)
            }
        };
        let prepared = match vm.prepare(module) {
            Ok(p) => p,
            Err(e) => {
                out.push(unchecked(format!("the module is invalid: {e}")));
                continue;
            }
        };
        let interface = prepared.interface().clone();
        if let Some(missing) = missing_dependency(overlay, &interface)? {
            out.push(unchecked(format!(
                "the module cannot be linked: {missing:?}"
            )));
            continue;
        }
        let report = molt_interface::check_upgrade(
            &old_interface,
            &old_module,
            &interface,
            module,
            UpgradePolicy::Compatible,
        );
        if report.is_compatible() {
            written.insert(
                original,
                (interface, module.clone(), from_version + 1, checksum),
            );
        }
        out.push(PackageCheck {
            package: *package,
            checksum,
            check: UpgradeCheck::Checked {
                from_version,
                from_checksum,
                report,
            },
        });
    }
    Ok(out)
}
