//! Signal rounds: who may signal, once per block, the leader, quorum and
//! lifetime at their boundaries, and the proposal a winner becomes.

use super::signalling::{self, RoundConfig, RoundWinnerSubmitted};
use framework_common::{SIGNALLING, STAKEHOLDERS};
use molt_sdk::testing::TestEnv;
use molt_sdk::{Address, Digest, ProgramError};
use stakeholders::stakeholders::{self as track, ProposalState};

const A: Digest = Digest([0xa; 32]);
const B: Digest = Digest([0xb; 32]);

/// Rounds of 4 blocks, quorum 3, submittable for 2 rounds; the stakeholders'
/// track installed beside it.
fn env() -> TestEnv {
    let env = TestEnv::new();
    env.register_program(STAKEHOLDERS, track::__molt_dispatch);
    env.set_package(STAKEHOLDERS, STAKEHOLDERS, 1);
    env.call(track::init).unwrap();
    env.set_package(SIGNALLING, SIGNALLING, 1);
    env.call(signalling::init).unwrap();
    env.set_caller(STAKEHOLDERS);
    env.try_call(|| {
        signalling::set_config(RoundConfig {
            round_size: 4,
            quorum_size: 3,
            lifetime_rounds: 2,
            execution_delay_rounds: 0,
        })
    })
    .unwrap();
    env
}

/// The proposer of block `height` signals `hash`.
fn signal(env: &TestEnv, height: u64, hash: Digest) -> Result<u64, ProgramError> {
    let proposer = Address::reserved(0x1000 + height);
    env.set_block(height, height);
    env.set_block_proposer(proposer);
    env.set_caller(proposer);
    env.set_origin(proposer);
    env.try_call(|| signalling::signal(hash))
}

fn submit(env: &TestEnv, height: u64, round: u64) -> Result<u64, ProgramError> {
    env.set_block(height, height);
    env.set_caller(TestEnv::CAROL);
    env.try_call(|| signalling::submit_round_winner(round))
}

#[test]
fn only_the_block_proposer_signals_and_only_once_per_block() {
    let env = env();
    env.set_block(4, 4);
    env.set_block_proposer(TestEnv::ALICE);
    env.set_caller(TestEnv::BOB);
    let before = env.storage_entries(&SIGNALLING);
    let err = env.try_call(|| signalling::signal(A)).unwrap_err();
    assert_eq!(err.code, 1);
    assert_eq!(env.storage_entries(&SIGNALLING), before);
    env.set_caller(TestEnv::ALICE);
    assert_eq!(env.try_call(|| signalling::signal(A)), Ok(1));
    let before = env.storage_entries(&SIGNALLING);
    assert_eq!(env.try_call(|| signalling::signal(B)).unwrap_err().code, 2);
    assert_eq!(env.storage_entries(&SIGNALLING), before);
    assert_eq!(env.call(|| signalling::signals(1, B)).unwrap(), 0);
}

#[test]
fn the_leader_changes_only_on_strictly_more_signals() {
    let env = env();
    signal(&env, 4, A).unwrap();
    signal(&env, 5, B).unwrap();
    let r = env.call(|| signalling::round(1)).unwrap();
    assert_eq!(r.leader, Some((A, 1)), "a tie keeps the leader");
    signal(&env, 6, B).unwrap();
    assert_eq!(
        env.call(|| signalling::round(1)).unwrap().leader,
        Some((B, 2))
    );
}

#[test]
fn a_winner_with_quorum_becomes_a_proposal_once_after_its_round() {
    let env = env();
    // Round 1 is heights 4..=7.
    for h in 4..=6 {
        signal(&env, h, A).unwrap();
    }
    signal(&env, 7, B).unwrap();
    assert_eq!(submit(&env, 7, 1).unwrap_err().code, 3, "round not over");
    let id = submit(&env, 8, 1).unwrap();
    assert_eq!(
        env.events_of::<RoundWinnerSubmitted>(),
        vec![RoundWinnerSubmitted {
            round: 1,
            execution_hash: A,
            signals: 3,
            proposal: id
        }]
    );
    env.set_package(STAKEHOLDERS, STAKEHOLDERS, 1);
    let p = env.call(|| track::proposal(id)).unwrap().unwrap();
    assert_eq!((p.execution_hash, p.proposer), (A, SIGNALLING));
    assert_eq!(
        env.call(|| track::state(id)).unwrap(),
        Some(ProposalState::Pending)
    );
    env.set_package(SIGNALLING, SIGNALLING, 1);
    assert_eq!(submit(&env, 9, 1).unwrap_err().code, 5, "once");
    assert_eq!(
        env.call(|| signalling::round(1)).unwrap().proposal,
        Some(id)
    );
}

#[test]
fn below_quorum_or_after_its_lifetime_a_winner_is_refused() {
    let env = env();
    signal(&env, 4, A).unwrap();
    signal(&env, 5, A).unwrap();
    signal(&env, 6, B).unwrap();
    let before = env.storage_entries(&SIGNALLING);
    assert_eq!(submit(&env, 8, 1).unwrap_err().code, 6, "2 of quorum 3");
    assert_eq!(submit(&env, 8, 0).unwrap_err().code, 6, "no signals at all");
    assert_eq!(env.storage_entries(&SIGNALLING), before);
    // Round 2 (8..=11) reaches quorum; its lifetime ends with round 4.
    for h in 8..=10 {
        signal(&env, h, B).unwrap();
    }
    let before = env.storage_entries(&SIGNALLING);
    assert_eq!(
        submit(&env, 20, 2).unwrap_err().code,
        4,
        "round 5: too late"
    );
    assert_eq!(env.storage_entries(&SIGNALLING), before);
    assert!(submit(&env, 19, 2).is_ok(), "round 4: the last one allowed");
}

#[test]
fn rounds_need_a_majority_quorum_and_governance_to_change() {
    let env = env();
    env.set_caller(TestEnv::ALICE);
    let ok = RoundConfig {
        round_size: 10,
        quorum_size: 6,
        lifetime_rounds: 5,
        execution_delay_rounds: 0,
    };
    assert_eq!(
        env.try_call(|| signalling::set_config(ok.clone()))
            .unwrap_err()
            .code,
        8
    );
    env.set_caller(STAKEHOLDERS);
    for bad in [
        RoundConfig {
            quorum_size: 5,
            ..ok.clone()
        },
        RoundConfig {
            quorum_size: 11,
            ..ok.clone()
        },
        RoundConfig {
            round_size: 0,
            quorum_size: 0,
            ..ok.clone()
        },
        RoundConfig {
            lifetime_rounds: 0,
            ..ok.clone()
        },
    ] {
        assert_eq!(
            env.try_call(|| signalling::set_config(bad.clone()))
                .unwrap_err()
                .code,
            7,
            "{bad:?}"
        );
    }
    env.try_call(|| signalling::set_config(ok.clone())).unwrap();
    assert_eq!(env.call(signalling::round_config).unwrap(), ok);
}
