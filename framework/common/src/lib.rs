//! What the framework packages share (DESIGN.md 3, docs/framework.md,
//! docs/canonical-deployments.md): their addresses, the governance tracks
//! and the executor of payload actions both tracks use.
//!
//! # Tracks and what each may do
//!
//! A track is a way for a payload to get approved: the validators' track
//! (`governance`, `0x2`) and the stakeholders' track (`stakeholders`,
//! `0x3`). Which actions each may execute is an [`ActionSet`] per track, a
//! governance parameter kept by `governance` (map `permissions`) and changed
//! only by a resolved validators' payload calling its `set_permissions`.
//! By default ([`default_permissions`]) framework upgrades, parameters,
//! validator sets and calls as governance pass through the validators'
//! track, and registry changes through the stakeholders' track.
//!
//! # Executing a payload
//!
//! [`execute`] runs a decoded payload's actions in order with the
//! privileged host calls, refusing the first action the track may not run
//! ([`Refusal::NotPermitted`]) before running any: permissions are checked
//! for the whole payload first, so a refusal has no partial effect even
//! inside the executing transaction. A failing action ends the call and the
//! transaction undoes every earlier action.
#![cfg_attr(not(test), no_std)]

extern crate alloc;

use alloc::string::String;
use molt_payload::{Action, ActionSet, Payload};
use molt_sdk::system as chain;
use molt_sdk::{Address, Digest};

/// `system`: epochs, validators, parameters.
pub const SYSTEM: Address = Address::reserved(1);
/// `governance`: the validators' track, track permissions.
pub const GOVERNANCE: Address = Address::reserved(2);
/// `stakeholders`: the stakeholders' track (coin-weighted votes).
pub const STAKEHOLDERS: Address = Address::reserved(3);
/// `signalling`: proposer signal rounds, the stakeholders' standard entry.
pub const SIGNALLING: Address = Address::reserved(4);
/// `registry`: named services and their canonical versions.
pub const REGISTRY: Address = Address::reserved(5);
/// `protocol`: validators' protocol (binary) upgrade proposals.
pub const PROTOCOL: Address = Address::reserved(6);

/// A governance track, as the permission table names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Track {
    Validators = 0,
    Stakeholders = 1,
}

impl Track {
    /// The table's key.
    pub const fn id(self) -> u8 {
        self as u8
    }

    /// The track with table key `id`.
    pub fn from_id(id: u8) -> Option<Track> {
        match id {
            0 => Some(Track::Validators),
            1 => Some(Track::Stakeholders),
            _ => None,
        }
    }

    /// The package that executes this track's payloads (and is the caller
    /// of what they call).
    pub const fn executor(self) -> Address {
        match self {
            Track::Validators => GOVERNANCE,
            Track::Stakeholders => STAKEHOLDERS,
        }
    }
}

/// Whether `caller` is one of the tracks' executors: only they may change
/// what governance alone may change (the registry, track configurations).
pub fn is_track(caller: &Address) -> bool {
    *caller == GOVERNANCE || *caller == STAKEHOLDERS
}

/// The encoding indices of the registry actions.
const REGISTRY_ACTIONS: ActionSet = ActionSet::of(&[6, 8]);

/// What each track may execute at genesis.
pub const fn default_permissions(track: Track) -> ActionSet {
    match track {
        Track::Validators => ActionSet::ALL.without(REGISTRY_ACTIONS),
        Track::Stakeholders => REGISTRY_ACTIONS,
    }
}

/// A track's permissions as `governance` stores them (its map
/// `permissions`); the genesis default if the entry was never written.
pub fn permissions(track: Track) -> ActionSet {
    molt_sdk::foreign_map_get(&GOVERNANCE, "permissions", &track.id())
        .unwrap_or(default_permissions(track))
}

/// Why [`execute`] refused a payload before running any action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// This track may not run an action of this kind.
    NotPermitted(&'static str),
    /// No framework release runs this kind of action (yet, or any more).
    Unsupported(&'static str),
}

/// The registry is governance's alone: a call into it is a registry change,
/// whatever the action that makes it.
fn effective_permits(allowed: ActionSet, action: &Action) -> bool {
    match action {
        Action::CallAsGovernance { package, .. } if *package == REGISTRY => {
            allowed.permits(action) && allowed.0 & REGISTRY_ACTIONS.0 != 0
        }
        _ => allowed.permits(action),
    }
}

/// Runs `payload`'s actions in order, as the running framework package,
/// if every one is in `allowed` (the executing track's permissions, see the
/// crate docs); returns the next step's hash if the payload ends with one.
pub fn execute(payload: Payload, allowed: ActionSet) -> Result<Option<Digest>, Refusal> {
    for action in &payload.actions {
        if !effective_permits(allowed, action) {
            return Err(Refusal::NotPermitted(action.kind()));
        }
        if matches!(
            action,
            Action::ScheduleProtocolUpgrade { .. } | Action::RegistryChange { .. }
        ) {
            return Err(Refusal::Unsupported(action.kind()));
        }
    }
    let mut next = None;
    for action in payload.actions {
        match action {
            Action::UpgradePackage { package, module } => chain::upgrade_package(&package, &module),
            Action::SetParams { params } => chain::set_params(&params),
            Action::SetNextValidators { validators } => {
                let records: alloc::vec::Vec<chain::ValidatorRecord> = validators
                    .into_iter()
                    .map(|v| (v.address, v.public_key, v.voting_power))
                    .collect();
                chain::set_next_validators(&records)
            }
            Action::EndEpoch => chain::end_epoch(),
            Action::CallAsGovernance {
                package,
                function,
                args,
            } => {
                chain::call_as_governance(&package, &function, &args);
            }
            Action::RegistryAdd {
                name,
                package,
                label,
                expected,
            } => {
                let args: (String, Address, String, Option<Address>) =
                    (name, package, label, expected);
                chain::call_as_governance(
                    &REGISTRY,
                    "add_version",
                    &molt_sdk::borsh::to_vec(&args).unwrap_or_default(),
                );
            }
            Action::ScheduleUpgrade { plan } => chain::schedule_upgrade(&plan),
            Action::NextStep { hash } => next = Some(hash),
            // Refused above.
            Action::ScheduleProtocolUpgrade { .. } | Action::RegistryChange { .. } => {}
        }
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_default_registry_changes_are_the_stakeholders_and_the_rest_the_validators() {
        let add = Action::RegistryAdd {
            name: "dex".into(),
            package: Address::reserved(0x10),
            label: "v1".into(),
            expected: None,
        };
        let upgrade = Action::UpgradePackage {
            package: GOVERNANCE,
            module: vec![],
        };
        let v = default_permissions(Track::Validators);
        let s = default_permissions(Track::Stakeholders);
        assert!(!effective_permits(v, &add));
        assert!(effective_permits(s, &add));
        assert!(effective_permits(v, &upgrade));
        assert!(!effective_permits(s, &upgrade));
        // A call into the registry is a registry change for the validators too.
        let call = Action::CallAsGovernance {
            package: REGISTRY,
            function: "add_version".into(),
            args: vec![],
        };
        assert!(!effective_permits(v, &call));
        assert!(effective_permits(
            v,
            &Action::CallAsGovernance {
                package: SYSTEM,
                function: "f".into(),
                args: vec![]
            }
        ));
    }

    #[test]
    fn a_payload_with_one_forbidden_action_runs_none() {
        let env = molt_sdk::testing::TestEnv::new();
        env.set_package(GOVERNANCE, GOVERNANCE, 1);
        let payload = Payload::new(vec![
            Action::EndEpoch,
            Action::RegistryAdd {
                name: "dex".into(),
                package: Address::reserved(0x10),
                label: "v1".into(),
                expected: None,
            },
        ]);
        let r = env
            .call(|| execute(payload, default_permissions(Track::Validators)))
            .unwrap();
        assert_eq!(r, Err(Refusal::NotPermitted("registry_add")));
        assert!(env.governance_effects().is_empty());
    }

    #[test]
    fn a_schedule_upgrade_action_schedules_the_plan() {
        let env = molt_sdk::testing::TestEnv::new();
        env.set_package(GOVERNANCE, GOVERNANCE, 1);
        let plan = molt_sdk::UpgradePlan {
            version: "0.2.0".into(),
            height: 50,
            binaries: [("linux-x86_64".to_string(), Digest([9; 32]))].into(),
        };
        let payload = Payload::new(vec![Action::ScheduleUpgrade { plan: plan.clone() }]);
        let r = env
            .call(|| execute(payload, default_permissions(Track::Validators)))
            .unwrap();
        assert_eq!(r, Ok(None));
        assert_eq!(
            env.governance_effects(),
            vec![molt_sdk::testing::GovernanceEffect::ScheduleUpgrade(
                molt_sdk::borsh::to_vec(&plan).unwrap()
            )]
        );
        // Not the stakeholders' to do.
        let payload = Payload::new(vec![Action::ScheduleUpgrade { plan }]);
        let r = env
            .call(|| execute(payload, default_permissions(Track::Stakeholders)))
            .unwrap();
        assert_eq!(r, Err(Refusal::NotPermitted("schedule_upgrade")));
    }
}
