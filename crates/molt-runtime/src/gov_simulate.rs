//! Simulating a governance payload: what resolving it would do, on a
//! throw-away fork of the latest committed state, with nothing written
//! (DESIGN.md 3: "a payload can be simulated before anyone votes").
//!
//! [`Runtime::simulate_payload`] runs the real framework code, not a model
//! of it: on an overlay of one store snapshot it calls governance's
//! `propose` with the payload's hash, has every validator of the epoch vote
//! yes, and calls `resolve` with the bytes in the following block, exactly
//! as the track would. The effects are then read from the fork's state and
//! the resolve's events, so they are what the real resolution reports:
//!
//! - every package the payload upgraded: version and checksum before and
//!   after (an incompatible upgrade is the failure, with its violations);
//! - the chain parameters in force and those scheduled, if it schedules any;
//! - the validator set in force and the one scheduled, if it schedules one;
//! - whether it ends the epoch;
//! - the resolve's events and gas, and its first failure, if any.
//!
//! Signatures, fees and sequence numbers are not part of it (the calls run
//! as the validators and the system address without transactions); the
//! overlay is dropped at the end, so the state root is unchanged.

use crate::error::RuntimeError;
use crate::execute::{BlockEnv, Call, Executor, SYSTEM_ADDRESS};
use crate::framework::GOVERNANCE_PACKAGE;
use crate::genesis::Validator;
use crate::governance::{END_EPOCH_KEY, NEXT_PARAMS_KEY, begin_block};
use crate::host::{read_record, resolve};
use crate::overlay::Overlay;
use crate::params::ChainParams;
use crate::runtime::{NEXT_VALIDATORS_KEY, Runtime, VALIDATORS_KEY};
use molt_types::{Address, Digest, Event, FailureReason, codec, sha3_256};

/// One package a simulated payload upgraded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulatedUpgrade {
    pub package: Address,
    pub from_version: u64,
    pub from_checksum: Digest,
    pub to_version: u64,
    pub to_checksum: Digest,
}

/// What resolving a payload would do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadSimulation {
    /// The id the proposal got on the fork (the next proposal id).
    pub proposal: u64,
    pub upgrades: Vec<SimulatedUpgrade>,
    /// In force -> scheduled for the next epoch, if the payload schedules
    /// parameters.
    pub params: Option<(ChainParams, ChainParams)>,
    /// In force -> scheduled for the next epoch, if it schedules a set.
    pub validators: Option<(Vec<Validator>, Vec<Validator>)>,
    /// The next block would start a new epoch.
    pub ends_epoch: bool,
    /// The resolve's events (none if it failed).
    pub events: Vec<Event>,
    pub gas_used: u64,
    /// Why proposing, voting or resolving failed, if it did.
    pub failure: Option<FailureReason>,
}

impl Runtime {
    /// Simulates proposing, accepting and resolving `payload` on the latest
    /// committed state (module docs). Nothing is written.
    pub fn simulate_payload(&self, payload: &[u8]) -> Result<PayloadSimulation, RuntimeError> {
        let snapshot = self.store().snapshot()?;
        let latest = self.latest_block()?;
        let mut overlay = Overlay::new(&snapshot);
        let height = latest.header.height + 1;
        let (params, _) = begin_block(&mut overlay, height, self.genesis_params())?;
        let vm = self.vm_for(&params)?;
        let exec = Executor {
            vm: &vm,
            chain_id: self.chain_id(),
            params: &params,
        };
        let env = |h: u64| BlockEnv {
            height: h,
            timestamp_ms: latest.header.timestamp_ms + (h - latest.header.height),
            proposer: latest.header.proposer,
        };
        let budget = params.max_gas_budget;
        let mut result = PayloadSimulation {
            proposal: 0,
            upgrades: Vec::new(),
            params: None,
            validators: None,
            ends_epoch: false,
            events: Vec::new(),
            gas_used: 0,
            failure: None,
        };
        let run = |overlay: &mut Overlay<'_>, sender: &Address, f: &str, args: Vec<u8>, h: u64| {
            exec.call(
                overlay,
                Call {
                    sender,
                    package: &GOVERNANCE_PACKAGE,
                    function: f,
                    args: &args,
                    budget,
                    ticket: false,
                },
                env(h),
                budget,
            )
        };

        let args = codec::encode(&(sha3_256(payload), String::from("simulation"), Digest::ZERO));
        if let Err(f) = run(&mut overlay, &SYSTEM_ADDRESS, "propose", args, height)? {
            result.failure = Some(f.reason);
            return Ok(result);
        }
        // The id `propose` just returned is the one before the next id.
        result.proposal = self
            .next_proposal_id(&overlay)?
            .map_or(0, |n| n.saturating_sub(1));
        let validators: Vec<Validator> = read_record(&overlay, VALIDATORS_KEY)?.unwrap_or_default();
        for v in &validators {
            let args = codec::encode(&(result.proposal, true));
            match run(&mut overlay, &v.address, "vote", args, height)? {
                Ok(_) => {}
                // Voting closes at acceptance: the remaining votes fail.
                Err(f) if matches!(f.reason, FailureReason::Aborted { code: 4, .. }) => break,
                Err(f) => {
                    result.failure = Some(f.reason);
                    return Ok(result);
                }
            }
        }

        let before_params = params.clone();
        let before_validators = validators;
        let mut before_packages = Vec::new();
        for n in 1..crate::framework::FRAMEWORK_ADDRESSES {
            let a = Address::reserved(n);
            if let Some(v) = resolve(&overlay, &a)? {
                before_packages.push((a, v.version, v.checksum));
            }
        }
        overlay.take_events();
        let args = codec::encode(&(result.proposal, payload.to_vec()));
        match run(&mut overlay, &SYSTEM_ADDRESS, "resolve", args, height + 1)? {
            Ok(gas) => result.gas_used = gas,
            Err(f) => {
                result.gas_used = f.gas_used;
                result.failure = Some(f.reason);
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
                });
            }
        }
        if let Some(next) = read_record::<ChainParams>(&overlay, NEXT_PARAMS_KEY)? {
            result.params = Some((before_params, next));
        }
        if let Some(next) = read_record::<Vec<Validator>>(&overlay, NEXT_VALIDATORS_KEY)? {
            result.validators = Some((before_validators, next));
        }
        result.ends_epoch = overlay.get(END_EPOCH_KEY)?.is_some();
        // `overlay` and its writes are dropped here, never committed.
        Ok(result)
    }

    fn next_proposal_id(&self, overlay: &Overlay<'_>) -> Result<Option<u64>, RuntimeError> {
        let key = crate::state::data_key(&GOVERNANCE_PACKAGE, b"next_id");
        read_record(overlay, &key)
    }
}
