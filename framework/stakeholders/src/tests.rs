//! The stakeholders' track at its boundary heights: every state and
//! transition on the last block of a phase and the first of the next, the
//! tabulation's edges, power and withdrawals, droppability, execution.

use super::stakeholders::{
    self, Configuration, ProposalState, ProposeConfig, Withdrawal, default_configuration,
};
use framework_common::{GOVERNANCE, REGISTRY, SIGNALLING, STAKEHOLDERS};
use molt_payload::{Action, Payload};
use molt_sdk::testing::TestEnv;
use molt_sdk::{Address, Digest, ProgramError};

const ALICE: Address = TestEnv::ALICE;
const BOB: Address = TestEnv::BOB;
const CAROL: Address = TestEnv::CAROL;

/// Small phases so every boundary is easy to name: created at 10,
/// pending through 12, active through 15, queued through 17, executable
/// through 19.
fn small() -> Configuration {
    Configuration {
        voting_delay: 2,
        voting_duration: 3,
        execution_delay: 2,
        grace_period: 2,
        quorum: stakeholders::ONE / 2,
        required_yea_margin: 0,
        minimum_votes: 10,
        propose: ProposeConfig {
            lock_amount: 50,
            lock_delay: 7,
        },
        max_payload_bytes: 4096,
    }
}

fn env_with(config: Configuration) -> TestEnv {
    let env = TestEnv::new();
    env.set_package(STAKEHOLDERS, STAKEHOLDERS, 1);
    env.call(stakeholders::init).unwrap();
    as_(&env, GOVERNANCE);
    env.try_call(|| stakeholders::update_configuration(config.clone()))
        .unwrap();
    env.register_program(REGISTRY, registry::registry::__molt_dispatch);
    env
}

fn as_(env: &TestEnv, who: Address) {
    env.set_caller(who);
    env.set_origin(who);
}

fn at(env: &TestEnv, height: u64) {
    env.set_block(height, height * 1000);
}

fn deposit(env: &TestEnv, who: Address, amount: u64) {
    env.set_balance(&who, env.balance(&who) + amount);
    as_(env, who);
    env.attach_coin(amount);
    env.try_call(|| stakeholders::deposit(who)).unwrap();
}

fn propose(env: &TestEnv, hash: Digest) -> u64 {
    as_(env, SIGNALLING);
    env.try_call(|| stakeholders::propose(hash)).unwrap()
}

fn vote(env: &TestEnv, who: Address, id: u64, amount: u64, yea: bool) -> Result<(), ProgramError> {
    as_(env, who);
    env.try_call(|| stakeholders::vote(id, amount, yea))
}

fn state(env: &TestEnv, id: u64) -> ProposalState {
    env.call(|| stakeholders::state(id)).unwrap().unwrap()
}

fn code(r: Result<impl Sized, ProgramError>) -> u32 {
    match r {
        Ok(_) => 0,
        Err(e) => e.code,
    }
}

/// ALICE 60 and BOB 40 of power from height 1; a proposal created at 10.
fn with_proposal(hash: Digest) -> (TestEnv, u64) {
    let env = env_with(small());
    at(&env, 1);
    deposit(&env, ALICE, 60);
    deposit(&env, BOB, 40);
    at(&env, 10);
    let id = propose(&env, hash);
    (env, id)
}

#[test]
fn every_phase_starts_and_ends_at_its_boundary_height() {
    let (env, id) = with_proposal(Digest([1; 32]));
    let ph = env.call(|| stakeholders::phases(id)).unwrap().unwrap();
    assert_eq!(
        (
            ph.pending_through,
            ph.active_through,
            ph.queued_through,
            ph.executable_through
        ),
        (12, 15, 17, 19)
    );
    let mut seen = Vec::new();
    for h in 10..=20 {
        at(&env, h);
        if h == 13 {
            vote(&env, ALICE, id, 60, true).unwrap();
        }
        seen.push((h, state(&env, id)));
    }
    use ProposalState::*;
    assert_eq!(
        seen,
        vec![
            (10, Pending),
            (11, Pending),
            (12, Pending),
            (13, Active),
            (14, Active),
            (15, Active),
            (16, Queued),
            (17, Queued),
            (18, Executable),
            (19, Executable),
            (20, Expired),
        ]
    );
}

#[test]
fn a_tally_that_does_not_pass_is_rejected_from_the_first_block_after_active() {
    let (env, id) = with_proposal(Digest([1; 32]));
    at(&env, 13);
    vote(&env, ALICE, id, 60, false).unwrap();
    at(&env, 15);
    assert_eq!(state(&env, id), ProposalState::Active);
    at(&env, 16);
    assert_eq!(state(&env, id), ProposalState::Rejected);
    at(&env, 30);
    assert_eq!(state(&env, id), ProposalState::Rejected);
}

#[test]
fn votes_only_while_active_and_never_beyond_the_snapshot_power() {
    let (env, id) = with_proposal(Digest([1; 32]));
    let before = env.storage_entries(&STAKEHOLDERS);
    at(&env, 12);
    assert_eq!(code(vote(&env, ALICE, id, 1, true)), 9, "pending");
    at(&env, 13);
    assert_eq!(code(vote(&env, ALICE, id, 61, true)), 3, "beyond power");
    assert_eq!(code(vote(&env, CAROL, id, 1, true)), 3, "no power");
    assert_eq!(code(vote(&env, ALICE, id, 0, true)), 4);
    at(&env, 16);
    assert_eq!(code(vote(&env, ALICE, id, 1, true)), 9, "after active");
    assert_eq!(
        env.storage_entries(&STAKEHOLDERS),
        before,
        "refusals change nothing"
    );
    // Partial and split votes up to the power, then no more.
    at(&env, 14);
    vote(&env, ALICE, id, 20, true).unwrap();
    vote(&env, ALICE, id, 30, false).unwrap();
    vote(&env, ALICE, id, 10, true).unwrap();
    assert_eq!(code(vote(&env, ALICE, id, 1, false)), 3);
    let b = env.call(|| stakeholders::ballot(id, ALICE)).unwrap();
    assert_eq!((b.yea, b.nay), (30, 30));
    let p = env.call(|| stakeholders::proposal(id)).unwrap().unwrap();
    assert_eq!((p.yea, p.nay), (30, 30));
}

#[test]
fn power_is_taken_at_the_end_of_the_pending_phase() {
    let (env, id) = with_proposal(Digest([1; 32]));
    // Deposited in the last pending block: counts.
    at(&env, 12);
    deposit(&env, CAROL, 5);
    // Deposited once Active: does not.
    at(&env, 13);
    deposit(&env, CAROL, 100);
    assert_eq!(env.call(|| stakeholders::power(CAROL)).unwrap(), 105);
    assert_eq!(env.call(|| stakeholders::power_at(CAROL, 12)).unwrap(), 5);
    assert_eq!(env.call(|| stakeholders::total_power_at(12)).unwrap(), 105);
    assert_eq!(code(vote(&env, CAROL, id, 6, true)), 3);
    vote(&env, CAROL, id, 5, true).unwrap();
    // Withdrawing after the snapshot does not take back cast power.
    as_(&env, ALICE);
    env.try_call(|| stakeholders::initiate_withdraw(ALICE, 60))
        .unwrap();
    vote(&env, ALICE, id, 60, true).unwrap();
}

#[test]
fn tabulation_edges_in_exact_integers() {
    use stakeholders::passes;
    let c = Configuration {
        quorum: stakeholders::ONE / 2,
        required_yea_margin: 0,
        minimum_votes: 10,
        ..small()
    };
    // Below the minimum total power: nothing passes, even unanimously.
    assert!(!passes(&c, 9, 9, 0));
    assert!(passes(&c, 10, 5, 0));
    // Quorum: ceil(11 / 2) = 6 votes needed.
    assert!(!passes(&c, 11, 5, 0));
    assert!(passes(&c, 11, 6, 0));
    // A tie fails; one more yea than the rounded-up half passes.
    assert!(!passes(&c, 10, 5, 5));
    assert!(
        !passes(&c, 10, 4, 3),
        "4 of 7: needs more than ceil(3.5) = 4"
    );
    assert!(passes(&c, 10, 5, 3), "5 of 8: more than 4");
    // A margin of a third: required share ceil((1 + 1/3) / 2) of the cast.
    let m = Configuration {
        required_yea_margin: stakeholders::ONE / 3,
        ..c.clone()
    };
    // cast 10: required ceil(10 * 0.666..67) = 7, so 7 fails and 8 passes.
    assert!(!passes(&m, 10, 7, 3));
    assert!(passes(&m, 10, 8, 2));
    // A full margin: only unanimity passes.
    let full = Configuration {
        required_yea_margin: stakeholders::ONE,
        ..c.clone()
    };
    assert!(!passes(&full, 100, 99, 1));
    assert!(passes(&full, 100, 100, 0));
    // No overflow at the extremes.
    let max = Configuration {
        quorum: stakeholders::ONE,
        minimum_votes: 1,
        ..c
    };
    assert!(passes(&max, u64::MAX, u64::MAX, 0));
    assert!(!passes(&max, u64::MAX, u64::MAX - 1, 0));
}

#[test]
fn withdrawals_unlock_after_the_delay_and_are_paid_once() {
    let env = env_with(small());
    at(&env, 1);
    deposit(&env, ALICE, 60);
    at(&env, 5);
    as_(&env, ALICE);
    let id = env
        .try_call(|| stakeholders::initiate_withdraw(CAROL, 20))
        .unwrap();
    assert_eq!(
        env.call(|| stakeholders::power(ALICE)).unwrap(),
        40,
        "at once"
    );
    assert_eq!(env.call(stakeholders::total_power).unwrap(), 40);
    // Delay = 2/5 + 3 + 2 = 5 blocks: unlocks at 10.
    let w: Withdrawal = env.call(|| stakeholders::withdrawal(id)).unwrap().unwrap();
    assert_eq!(w.unlocks_at, 10);
    as_(&env, BOB);
    at(&env, 9);
    let before = env.storage_entries(&STAKEHOLDERS);
    assert_eq!(
        code(env.try_call(|| stakeholders::finalize_withdraw(id))),
        6
    );
    assert_eq!(env.storage_entries(&STAKEHOLDERS), before);
    assert_eq!(env.balance(&CAROL), 0);
    at(&env, 10);
    env.try_call(|| stakeholders::finalize_withdraw(id))
        .unwrap();
    assert_eq!(env.balance(&CAROL), 20);
    assert_eq!(
        code(env.try_call(|| stakeholders::finalize_withdraw(id))),
        7
    );
    assert_eq!(env.balance(&CAROL), 20);
    as_(&env, ALICE);
    assert_eq!(
        code(env.try_call(|| stakeholders::initiate_withdraw(ALICE, 41))),
        3,
        "beyond power"
    );
}

#[test]
fn a_voter_cannot_exit_before_the_proposal_it_voted_on_can_execute() {
    let (env, id) = with_proposal(Digest([1; 32]));
    at(&env, 13);
    vote(&env, ALICE, id, 60, true).unwrap();
    // Governance shortens every phase: the live delay would be 1 + 1 + 1.
    as_(&env, GOVERNANCE);
    let short = Configuration {
        voting_delay: 1,
        voting_duration: 1,
        execution_delay: 1,
        ..small()
    };
    env.try_call(|| stakeholders::update_configuration(short))
        .unwrap();
    as_(&env, ALICE);
    let w = env
        .try_call(|| stakeholders::initiate_withdraw(ALICE, 60))
        .unwrap();
    let w = env.call(|| stakeholders::withdrawal(w)).unwrap().unwrap();
    // Without the clamp: 13 + 0 + 1 + 1 = 15, before the proposal is
    // executable (18). With it: 18.
    assert_eq!(w.unlocks_at, 18);
    assert_eq!(env.call(|| stakeholders::exit_clamp(ALICE)).unwrap(), 18);
    // BOB did not vote: only the live delay.
    as_(&env, BOB);
    let b = env
        .try_call(|| stakeholders::initiate_withdraw(BOB, 40))
        .unwrap();
    assert_eq!(
        env.call(|| stakeholders::withdrawal(b))
            .unwrap()
            .unwrap()
            .unlocks_at,
        15
    );
}

#[test]
fn droppable_when_the_proposer_changes_and_back_again_and_drop_is_final() {
    let (env, id) = with_proposal(Digest([1; 32]));
    at(&env, 13);
    assert_eq!(state(&env, id), ProposalState::Active);
    as_(&env, CAROL);
    assert_eq!(code(env.try_call(|| stakeholders::drop_proposal(id))), 15);
    as_(&env, GOVERNANCE);
    env.try_call(|| stakeholders::set_governance_proposer(Address::reserved(0x44)))
        .unwrap();
    assert_eq!(state(&env, id), ProposalState::Droppable);
    assert_eq!(code(vote(&env, ALICE, id, 1, true)), 9);
    // Back again: Active once more.
    as_(&env, GOVERNANCE);
    env.try_call(|| stakeholders::set_governance_proposer(SIGNALLING))
        .unwrap();
    assert_eq!(state(&env, id), ProposalState::Active);
    // Changed again and dropped by anyone: final, whatever happens next.
    as_(&env, GOVERNANCE);
    env.try_call(|| stakeholders::set_governance_proposer(Address::reserved(0x44)))
        .unwrap();
    as_(&env, CAROL);
    env.try_call(|| stakeholders::drop_proposal(id)).unwrap();
    assert_eq!(state(&env, id), ProposalState::Dropped);
    as_(&env, GOVERNANCE);
    env.try_call(|| stakeholders::set_governance_proposer(SIGNALLING))
        .unwrap();
    assert_eq!(state(&env, id), ProposalState::Dropped);
    as_(&env, CAROL);
    assert_eq!(code(env.try_call(|| stakeholders::drop_proposal(id))), 15);
    // Only governance changes the proposer, never to zero.
    assert_eq!(
        code(env.try_call(|| stakeholders::set_governance_proposer(CAROL))),
        16
    );
    as_(&env, GOVERNANCE);
    assert_eq!(
        code(env.try_call(|| stakeholders::set_governance_proposer(Address::ZERO))),
        18
    );
}

#[test]
fn propose_with_lock_locks_the_deposit_and_is_never_droppable() {
    let env = env_with(small());
    at(&env, 1);
    deposit(&env, ALICE, 60);
    deposit(&env, BOB, 40);
    at(&env, 10);
    as_(&env, BOB);
    assert_eq!(
        code(env.try_call(|| stakeholders::propose_with_lock(Digest([2; 32]), BOB))),
        3,
        "40 of power is less than the lock of 50"
    );
    as_(&env, ALICE);
    let id = env
        .try_call(|| stakeholders::propose_with_lock(Digest([2; 32]), CAROL))
        .unwrap();
    assert_eq!(env.call(|| stakeholders::power(ALICE)).unwrap(), 10);
    let w = env.call(|| stakeholders::withdrawal(0)).unwrap().unwrap();
    assert_eq!((w.recipient, w.amount, w.unlocks_at), (CAROL, 50, 17));
    let p = env.call(|| stakeholders::proposal(id)).unwrap().unwrap();
    assert_eq!(p.proposer, STAKEHOLDERS);
    as_(&env, GOVERNANCE);
    env.try_call(|| stakeholders::set_governance_proposer(Address::reserved(0x44)))
        .unwrap();
    at(&env, 13);
    assert_eq!(state(&env, id), ProposalState::Active, "never droppable");
    // The locked power does not vote on it: ALICE has 10 left at the snapshot.
    assert_eq!(code(vote(&env, ALICE, id, 11, true)), 3);
    // Only the governance proposer makes standard proposals.
    as_(&env, CAROL);
    assert_eq!(
        code(env.try_call(|| stakeholders::propose(Digest([3; 32])))),
        8
    );
}

fn registry_payload(package: Address, expected: Option<Address>) -> Vec<u8> {
    Payload::new(vec![Action::RegistryAdd {
        name: "dex".into(),
        package,
        label: "v".into(),
        expected,
    }])
    .encode()
}

/// A proposal for `payload`, voted through by ALICE, at its first
/// executable height.
fn executable(payload: &[u8]) -> (TestEnv, u64) {
    let (env, id) = with_proposal(molt_payload::execution_hash(payload));
    at(&env, 13);
    vote(&env, ALICE, id, 60, true).unwrap();
    at(&env, 18);
    assert_eq!(state(&env, id), ProposalState::Executable);
    (env, id)
}

#[test]
fn execution_runs_the_registry_change_once_and_marks_executed() {
    let v1 = Address::reserved(0x101);
    let payload = registry_payload(v1, None);
    let (env, id) = executable(&payload);
    as_(&env, CAROL);
    let mut tampered = payload.clone();
    *tampered.last_mut().unwrap() ^= 1;
    assert_eq!(
        code(env.try_call(|| stakeholders::execute(id, tampered))),
        11
    );
    env.try_call(|| stakeholders::execute(id, payload.clone()))
        .unwrap();
    assert_eq!(state(&env, id), ProposalState::Executed);
    let canonical: Option<Address> = env
        .call(|| molt_sdk::call(&REGISTRY, "canonical", &String::from("dex")))
        .unwrap();
    assert_eq!(canonical, Some(v1));
    let before = env.storage_entries(&REGISTRY);
    assert_eq!(
        code(env.try_call(|| stakeholders::execute(id, payload))),
        10,
        "twice"
    );
    assert_eq!(env.storage_entries(&REGISTRY), before);
}

#[test]
fn a_stale_registry_action_fails_the_execution_whole() {
    let v1 = Address::reserved(0x101);
    let v2 = Address::reserved(0x102);
    // Written when the service did not exist; by execution time v2 is
    // canonical.
    let payload = registry_payload(v1, None);
    let (env, id) = executable(&payload);
    as_(&env, STAKEHOLDERS);
    env.call(|| {
        molt_sdk::system::call_as_governance(
            &REGISTRY,
            "add_version",
            &molt_sdk::borsh::to_vec(&(
                String::from("dex"),
                v2,
                String::from("v2"),
                None::<Address>,
            ))
            .unwrap(),
        )
    })
    .unwrap();
    let before = env.storage_entries(&STAKEHOLDERS);
    let registry_before = env.storage_entries(&REGISTRY);
    as_(&env, CAROL);
    let err = env
        .try_call(|| stakeholders::execute(id, payload))
        .unwrap_err();
    assert_eq!(err.code, 4, "the registry's Stale: {}", err.message);
    assert_eq!(
        state(&env, id),
        ProposalState::Executable,
        "not marked executed"
    );
    assert_eq!(env.storage_entries(&STAKEHOLDERS), before);
    assert_eq!(env.storage_entries(&REGISTRY), registry_before);
}

#[test]
fn a_payload_outside_the_tracks_permissions_is_refused() {
    let payload = Payload::new(vec![Action::EndEpoch]).encode();
    let (env, id) = executable(&payload);
    as_(&env, CAROL);
    assert_eq!(
        code(env.try_call(|| stakeholders::execute(id, payload.clone()))),
        13
    );
    assert!(env.governance_effects().is_empty());
    // Governance widens the stakeholders' permissions: now it runs.
    let wide = molt_payload::ActionSet::ALL.0;
    env.set_foreign_map_entry(&GOVERNANCE, "permissions", &1u8, &wide);
    env.try_call(|| stakeholders::execute(id, payload)).unwrap();
    assert_eq!(
        env.governance_effects(),
        vec![molt_sdk::testing::GovernanceEffect::EndEpoch]
    );
}

#[test]
fn the_configuration_is_bounded_and_changed_only_by_governance() {
    let env = env_with(default_configuration());
    as_(&env, ALICE);
    assert_eq!(
        code(env.try_call(|| stakeholders::update_configuration(small()))),
        16
    );
    as_(&env, STAKEHOLDERS);
    for bad in [
        Configuration {
            voting_delay: 0,
            ..small()
        },
        Configuration {
            grace_period: stakeholders::MAX_BLOCKS + 1,
            ..small()
        },
        Configuration {
            quorum: 0,
            ..small()
        },
        Configuration {
            quorum: stakeholders::ONE + 1,
            ..small()
        },
        Configuration {
            required_yea_margin: stakeholders::ONE + 1,
            ..small()
        },
        Configuration {
            minimum_votes: 0,
            ..small()
        },
        Configuration {
            propose: ProposeConfig {
                lock_amount: 1,
                lock_delay: 7,
            },
            ..small()
        },
        Configuration {
            max_payload_bytes: 0,
            ..small()
        },
    ] {
        assert_eq!(
            code(env.try_call(|| stakeholders::update_configuration(bad.clone()))),
            17,
            "{bad:?}"
        );
    }
    assert_eq!(
        env.call(stakeholders::configuration).unwrap(),
        default_configuration()
    );
    // A proposal keeps the configuration it was created with.
    at(&env, 10);
    let id = propose(&env, Digest([1; 32]));
    as_(&env, STAKEHOLDERS);
    env.try_call(|| stakeholders::update_configuration(small()))
        .unwrap();
    let p = env.call(|| stakeholders::proposal(id)).unwrap().unwrap();
    assert_eq!(p.config, default_configuration());
}
