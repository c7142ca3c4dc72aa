//! Protocol upgrade proposals: votes, the two-thirds threshold in exact
//! integers, one vote per validator, withdrawal, rejection at the height,
//! the earliest accepted height, and refusals that change nothing.

use super::protocol::{self, PlanAccepted, PlanRejected};
use framework_common::PROTOCOL;
use molt_sdk::testing::{GovernanceEffect, TestEnv};
use molt_sdk::{Address, Digest, ProgramError, UpgradePlan};

fn validator(i: u64) -> Address {
    Address::reserved(0x500 + i)
}

/// `n` validators of power 1 each (or `powers`).
fn env_with(powers: &[u64]) -> TestEnv {
    let env = TestEnv::new();
    env.set_package(PROTOCOL, PROTOCOL, 1);
    let set: Vec<(Address, [u8; 32], u64)> = powers
        .iter()
        .enumerate()
        .map(|(i, p)| (validator(i as u64), [i as u8; 32], *p))
        .collect();
    env.set_chain_info(1, molt_sdk::borsh::to_vec(&set).unwrap());
    env.set_block(10, 10);
    env
}

fn bins() -> Vec<(String, Digest)> {
    vec![("linux-x86_64".to_string(), Digest([7; 32]))]
}

fn propose(env: &TestEnv, who: u64, version: &str, height: u64) -> Result<bool, ProgramError> {
    env.set_caller(validator(who));
    env.try_call(|| protocol::propose(version.into(), height, bins()))
}

fn scheduled(env: &TestEnv) -> Vec<UpgradePlan> {
    env.governance_effects()
        .into_iter()
        .filter_map(|e| match e {
            GovernanceEffect::ScheduleUpgrade(b) => Some(molt_sdk::borsh::from_slice(&b).unwrap()),
            _ => None,
        })
        .collect()
}

#[test]
fn more_than_two_thirds_of_the_power_schedules_the_plan() {
    let env = env_with(&[1, 1, 1, 1]);
    assert_eq!(propose(&env, 0, "0.2.0", 100), Ok(false));
    assert_eq!(propose(&env, 1, "0.2.0", 100), Ok(false));
    assert!(scheduled(&env).is_empty());
    // 3 of 4 > 2/3.
    assert_eq!(propose(&env, 2, "0.2.0", 100), Ok(true));
    let plans = scheduled(&env);
    assert_eq!(plans.len(), 1);
    assert_eq!((plans[0].version.as_str(), plans[0].height), ("0.2.0", 100));
    assert_eq!(
        plans[0].binaries.get("linux-x86_64"),
        Some(&Digest([7; 32]))
    );
    let accepted = env.events_of::<PlanAccepted>();
    assert_eq!((accepted[0].power, accepted[0].total), (3, 4));
    assert!(
        env.call(protocol::proposals).unwrap().is_empty(),
        "votes cleared"
    );
}

#[test]
fn exactly_two_thirds_is_not_enough() {
    let env = env_with(&[1, 1, 1]);
    propose(&env, 0, "0.2.0", 100).unwrap();
    assert_eq!(propose(&env, 1, "0.2.0", 100), Ok(false), "2 of 3");
    assert_eq!(propose(&env, 2, "0.2.0", 100), Ok(true));
    // Unequal power: 66 of 99 is exactly 2/3; 67 passes.
    let env = env_with(&[66, 32, 1]);
    assert_eq!(propose(&env, 0, "0.2.0", 100), Ok(false));
    assert_eq!(propose(&env, 2, "0.2.0", 100), Ok(true), "67 of 99");
}

#[test]
fn one_vote_per_validator_a_new_one_replaces_it_and_withdraw_removes_it() {
    let env = env_with(&[1, 1, 1, 1]);
    propose(&env, 0, "0.2.0", 100).unwrap();
    propose(&env, 1, "0.2.0", 100).unwrap();
    // Validator 1 changes its mind: another height is another plan.
    propose(&env, 1, "0.2.0", 120).unwrap();
    let tallies = env.call(protocol::proposals).unwrap();
    assert_eq!(tallies.len(), 2);
    assert_eq!((tallies[0].power, tallies[0].plan.height), (1, 100));
    assert_eq!((tallies[1].power, tallies[1].plan.height), (1, 120));
    // Voting twice for the same plan counts once.
    assert_eq!(propose(&env, 0, "0.2.0", 100), Ok(false));
    env.set_caller(validator(1));
    env.try_call(protocol::withdraw).unwrap();
    assert_eq!(env.try_call(protocol::withdraw).unwrap_err().code, 6);
    assert_eq!(env.call(protocol::proposals).unwrap().len(), 1);
    assert!(scheduled(&env).is_empty());
}

#[test]
fn invalid_proposals_are_refused_and_change_nothing() {
    let env = env_with(&[1, 1, 1, 1]);
    let before = env.storage_entries(&PROTOCOL);
    env.set_caller(TestEnv::ALICE);
    let r = env.try_call(|| protocol::propose("0.2.0".into(), 100, bins()));
    assert_eq!(r.unwrap_err().code, 1, "not a validator");
    for bad in ["", "1.2", "1.2.x", "01.2.3", "1.2.3 beta"] {
        assert_eq!(propose(&env, 0, bad, 100).unwrap_err().code, 2, "{bad:?}");
    }
    assert!(propose(&env, 0, "1.2.3-rc.1+build.5", 100).is_ok());
    env.set_caller(validator(0));
    env.try_call(protocol::withdraw).unwrap();
    assert_eq!(
        propose(&env, 0, "0.2.0", 10).unwrap_err().code,
        3,
        "height 10 is now"
    );
    env.set_caller(validator(0));
    for binaries in [
        vec![],
        vec![("linux".to_string(), Digest::ZERO)],
        vec![("Linux-x86_64".to_string(), Digest::ZERO)],
        vec![
            ("linux-x86_64".to_string(), Digest::ZERO),
            ("linux-x86_64".to_string(), Digest([1; 32])),
        ],
    ] {
        let r = env.try_call(|| protocol::propose("0.2.0".into(), 100, binaries.clone()));
        assert_eq!(r.unwrap_err().code, 4, "{binaries:?}");
    }
    assert_eq!(env.storage_entries(&PROTOCOL), before);
}

#[test]
fn a_height_reached_without_acceptance_is_a_rejection() {
    let env = env_with(&[1, 1, 1, 1]);
    propose(&env, 0, "0.2.0", 20).unwrap();
    propose(&env, 1, "0.2.0", 20).unwrap();
    env.set_block(20, 20);
    env.set_caller(TestEnv::CAROL);
    env.call(protocol::close_expired).unwrap();
    let rejected = env.events_of::<PlanRejected>();
    assert_eq!(rejected.len(), 1);
    assert_eq!((rejected[0].height, rejected[0].power), (20, 2));
    assert!(env.call(protocol::proposals).unwrap().is_empty());
    // Too late to vote for it.
    assert_eq!(propose(&env, 2, "0.2.0", 20).unwrap_err().code, 3);
    assert!(scheduled(&env).is_empty());
}

#[test]
fn the_earliest_accepted_height_wins_and_a_vote_for_the_running_version_withdraws() {
    let env = env_with(&[1, 1, 1]);
    for v in 0..3 {
        propose(&env, v, "0.2.0", 100).unwrap();
    }
    // A later height while 100 is ahead: refused.
    assert_eq!(propose(&env, 0, "0.3.0", 150).unwrap_err().code, 5);
    // An earlier one may still replace it.
    for v in 0..3 {
        propose(&env, v, "0.2.1", 50).unwrap();
    }
    let plans = scheduled(&env);
    assert_eq!(
        plans.iter().map(|p| p.height).collect::<Vec<_>>(),
        vec![100, 50]
    );
    // Past the height, the chain runs 0.2.1: a vote for it withdraws.
    env.set_block(60, 60);
    propose(&env, 0, "0.3.0", 200).unwrap();
    assert_eq!(propose(&env, 0, "0.2.1", 300), Ok(false));
    assert_eq!(env.call(|| protocol::vote_of(validator(0))).unwrap(), None);
}
