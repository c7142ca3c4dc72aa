//! The framework on chain: the validators' track with four validators of
//! unequal power, hash-guarded multi-step payloads, hot framework upgrades,
//! epoch-boundary parameter and validator changes, and privileged host calls
//! refused to ordinary programs. Real signed transactions, real blocks, the
//! committed framework release (genesis installs it).

use super::Chain;
use molt_payload::{Action, Payload, ValidatorEntry};
use molt_runtime::*;
use molt_types::*;

/// Voting powers 30, 30, 20, 10: total 90, two thirds exactly 60.
const POWERS: [u64; 4] = [30, 30, 20, 10];

// Governance's error codes (framework/governance).
const NOT_A_VOTER: u32 = 2;
const ALREADY_VOTED: u32 = 3;
const EXPIRED: u32 = 5;
const NOT_RESOLVABLE: u32 = 6;
const TOO_EARLY: u32 = 7;
pub(crate) const HASH_MISMATCH: u32 = 8;

// ProposalState variants, as borsh encodes them.
const VOTING: u8 = 0;
pub(crate) const ACCEPTED: u8 = 1;
const REJECTED: u8 = 2;
const STATE_EXPIRED: u8 = 3;
pub(crate) const EXECUTING: u8 = 4;
pub(crate) const EXECUTED: u8 = 5;

fn validator_key(i: u8) -> SecretKey {
    let mut seed = [0u8; 32];
    seed[..13].copy_from_slice(b"gov-validator");
    seed[31] = i;
    SecretKey::from_seed(seed)
}

pub(crate) struct Gov {
    pub(crate) c: Chain,
    pub(crate) validators: Vec<SecretKey>,
}

pub(crate) fn chain() -> Gov {
    let validators: Vec<SecretKey> = (0..4).map(validator_key).collect();
    let mut genesis = Genesis::dev();
    genesis.validators = validators
        .iter()
        .zip(POWERS)
        .map(|(k, voting_power)| Validator {
            address: k.address(),
            public_key: k.public_key(),
            voting_power,
        })
        .collect();
    for k in &validators {
        genesis.accounts.push((k.address(), DEV_ACCOUNT_BALANCE));
    }
    let mut c = Chain::with_genesis(&genesis);
    c.proposer = validators[0].address();
    Gov { c, validators }
}

/// Governance's genesis track deposit, which `propose` must attach.
pub(crate) const DEPOSIT: u64 = 1_000_000;

/// A call to governance; `propose` attaches the deposit.
pub(crate) fn call(function: &str, args: Vec<u8>) -> TransactionPayload {
    let coin = if function == "propose" { DEPOSIT } else { 0 };
    call_with_coin(function, args, coin)
}

pub(crate) fn call_with_coin(function: &str, args: Vec<u8>, coin: u64) -> TransactionPayload {
    TransactionPayload::Call {
        package: GOVERNANCE_PACKAGE,
        function: function.into(),
        args,
        coin,
    }
}

pub(crate) fn aborted(r: &Receipt) -> u32 {
    match &r.status {
        ExecutionStatus::Failure(FailureReason::Aborted { code, .. }) => *code,
        other => panic!("expected an abort, got {other:?}"),
    }
}

pub(crate) fn ok(r: &Receipt) {
    assert_eq!(r.status, ExecutionStatus::Success, "{r:?}");
}

impl Gov {
    pub(crate) fn propose(&self, payload: &[u8]) -> u64 {
        let id = self.next_id();
        let args = encode(&(
            sha3_256(payload),
            String::from("https://example.invalid/proposal"),
            sha3_256(b"metadata"),
        ));
        ok(&self.c.run(&dev_key(0), call("propose", args)));
        id
    }

    fn vote_tx(&self, voter: &SecretKey, id: u64, approve: bool) -> SignedTransaction {
        self.c.tx(voter, call("vote", encode(&(id, approve))))
    }

    pub(crate) fn vote(&self, voter: usize, id: u64, approve: bool) -> Receipt {
        let key = &self.validators[voter];
        self.c.run(key, call("vote", encode(&(id, approve))))
    }

    pub(crate) fn resolve_tx(&self, key: &SecretKey, id: u64, payload: &[u8]) -> SignedTransaction {
        self.c
            .tx(key, call("resolve", encode(&(id, payload.to_vec()))))
    }

    pub(crate) fn resolve(&self, id: u64, payload: &[u8]) -> Receipt {
        let tx = self.resolve_tx(&dev_key(1), id, payload);
        let mut b = self.c.block(vec![tx]);
        assert!(b.rejected.is_empty(), "{:?}", b.rejected);
        b.receipts.remove(0)
    }

    pub(crate) fn view<T: borsh::BorshDeserialize>(
        &self,
        package: Address,
        f: &str,
        args: Vec<u8>,
    ) -> T {
        let (bytes, _) = self.c.rt.view(&package, f, &args, 50_000_000).unwrap();
        decode("view result", &bytes, usize::MAX).unwrap()
    }

    fn next_id(&self) -> u64 {
        self.view(GOVERNANCE_PACKAGE, "next_proposal_id", vec![])
    }

    pub(crate) fn state(&self, id: u64) -> u8 {
        let s: Option<u8> = self.view(GOVERNANCE_PACKAGE, "state", encode(&id));
        s.unwrap()
    }

    /// SHA3 over governance's storage and the chain records a governance
    /// action can change: what a refused transaction must leave as it was
    /// (its sender still pays gas and advances its sequence number, which
    /// changes the block's state root, so the root itself cannot be compared).
    pub(crate) fn governance_root(&self) -> Digest {
        let snapshot = self.c.rt.store().snapshot().unwrap();
        let mut all = Vec::new();
        for prefix in [
            state::data_prefix(&GOVERNANCE_PACKAGE),
            state::record_key(&SYSTEM_PACKAGE),
            state::record_key(&GOVERNANCE_PACKAGE),
            b"chain/".to_vec(),
        ] {
            let mut after: Option<Vec<u8>> = None;
            loop {
                let page = snapshot
                    .iter_prefix_page(&prefix, after.as_deref(), 64)
                    .unwrap();
                let Some((last, _)) = page.last().cloned() else {
                    break;
                };
                for (k, v) in page {
                    all.extend_from_slice(&encode(&(k, v)));
                }
                after = Some(last);
            }
        }
        sha3_256(&all)
    }

    fn empty_blocks(&self, n: u64) {
        for _ in 0..n {
            self.c.block(vec![]);
        }
    }
}

pub(crate) fn payload(actions: Vec<Action>) -> Vec<u8> {
    Payload::new(actions).encode()
}

/// A payload that changes nothing but is a real action: governance calls
/// `system.epoch` (a public view) as governance.
pub(crate) fn harmless() -> Vec<u8> {
    payload(vec![Action::CallAsGovernance {
        package: SYSTEM_PACKAGE,
        function: "epoch".into(),
        args: vec![],
    }])
}

#[test]
fn exactly_two_thirds_fails_and_just_above_passes() {
    let g = chain();
    let id = g.propose(&harmless());
    ok(&g.vote(0, id, true));
    ok(&g.vote(1, id, true));
    assert_eq!(g.state(id), VOTING, "60 of 90 is exactly 2/3: not accepted");
    let r = g.vote(3, id, true);
    ok(&r);
    assert_eq!(g.state(id), ACCEPTED, "70 of 90 is above 2/3");
    assert!(r.events.iter().any(|e| e.name == "Decided"));
    // Early resolution: accepted before every voter voted; voting is over.
    assert_eq!(aborted(&g.vote(2, id, true)), 4);
    ok(&g.resolve(id, &harmless()));
    assert_eq!(g.state(id), EXECUTED);
}

#[test]
fn early_rejection_once_it_can_no_longer_pass() {
    let g = chain();
    let id = g.propose(&harmless());
    ok(&g.vote(3, id, false));
    assert_eq!(g.state(id), VOTING, "80 of 90 could still say yes");
    ok(&g.vote(0, id, false));
    assert_eq!(
        g.state(id),
        REJECTED,
        "at most 50 of 90 can say yes now: rejected at once"
    );
    let before = g.governance_root();
    assert_eq!(aborted(&g.resolve(id, &harmless())), NOT_RESOLVABLE);
    assert_eq!(g.governance_root(), before);
}

#[test]
fn no_votes_after_expiry() {
    let g = chain();
    let id = g.propose(&harmless());
    ok(&g.vote(0, id, true));
    // The genesis track's voting period is 50 blocks.
    g.empty_blocks(50);
    assert_eq!(g.state(id), STATE_EXPIRED);
    let before = g.governance_root();
    assert_eq!(aborted(&g.vote(1, id, true)), EXPIRED);
    assert_eq!(g.governance_root(), before);
    assert_eq!(aborted(&g.resolve(id, &harmless())), NOT_RESOLVABLE);
    assert_eq!(g.governance_root(), before);
}

#[test]
fn one_vote_per_validator_and_only_validators_vote() {
    let g = chain();
    let id = g.propose(&harmless());
    ok(&g.vote(2, id, true));
    let before = g.governance_root();
    assert_eq!(aborted(&g.vote(2, id, true)), ALREADY_VOTED);
    assert_eq!(aborted(&g.vote(2, id, false)), ALREADY_VOTED);
    assert_eq!(g.governance_root(), before);
    let r = g.c.run(&dev_key(2), call("vote", encode(&(id, true))));
    assert_eq!(aborted(&r), NOT_A_VOTER);
    assert_eq!(g.governance_root(), before);
    let power: u64 = g.view(
        GOVERNANCE_PACKAGE,
        "voting_power",
        encode(&(id, g.validators[2].address())),
    );
    assert_eq!(power, 20);
}

#[test]
fn resolving_in_the_deciding_votes_block_fails_and_in_the_next_succeeds() {
    let g = chain();
    let id = g.propose(&harmless());
    ok(&g.vote(0, id, true));
    ok(&g.vote(1, id, true));
    let deciding = g.vote_tx(&g.validators[2], id, true);
    let early = g.resolve_tx(&dev_key(1), id, &harmless());
    let b = g.c.block(vec![deciding, early]);
    ok(&b.receipts[0]);
    assert_eq!(aborted(&b.receipts[1]), TOO_EARLY);
    assert_eq!(g.state(id), ACCEPTED);
    ok(&g.resolve(id, &harmless()));
}

#[test]
fn a_payload_one_byte_different_fails() {
    let g = chain();
    let good = harmless();
    let id = g.propose(&good);
    for v in 0..3 {
        ok(&g.vote(v, id, true));
    }
    let mut tampered = good.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    let before = g.governance_root();
    assert_eq!(aborted(&g.resolve(id, &tampered)), HASH_MISMATCH);
    assert_eq!(g.governance_root(), before);
    ok(&g.resolve(id, &good));
}

#[test]
fn chained_steps_resolve_in_order_and_never_twice() {
    let g = chain();
    let step2 = harmless();
    let step1 = payload(vec![
        Action::CallAsGovernance {
            package: SYSTEM_PACKAGE,
            function: "validators".into(),
            args: vec![],
        },
        Action::NextStep {
            hash: sha3_256(&step2),
        },
    ]);
    let id = g.propose(&step1);
    for v in 0..3 {
        ok(&g.vote(v, id, true));
    }
    let before = g.governance_root();
    assert_eq!(
        aborted(&g.resolve(id, &step2)),
        HASH_MISMATCH,
        "out of order"
    );
    assert_eq!(g.governance_root(), before);
    ok(&g.resolve(id, &step1));
    assert_eq!(g.state(id), EXECUTING);
    let approved: Option<u64> = g.view(GOVERNANCE_PACKAGE, "approved", encode(&sha3_256(&step2)));
    assert_eq!(approved, Some(id), "one vote approved the next step");
    let mid = g.governance_root();
    assert_eq!(
        aborted(&g.resolve(id, &step1)),
        HASH_MISMATCH,
        "replayed step"
    );
    assert_eq!(g.governance_root(), mid);
    ok(&g.resolve(id, &step2));
    assert_eq!(g.state(id), EXECUTED);
    let done = g.governance_root();
    assert_eq!(aborted(&g.resolve(id, &step2)), NOT_RESOLVABLE);
    assert_eq!(aborted(&g.resolve(id, &step1)), NOT_RESOLVABLE);
    assert_eq!(g.governance_root(), done);
}

#[test]
fn a_resolved_upgrade_is_served_by_the_next_transaction() {
    let g = chain();
    let v2 = molt_build::example("framework_system_v2").unwrap();
    let upgrade = payload(vec![Action::UpgradePackage {
        package: SYSTEM_PACKAGE,
        module: v2.clone(),
    }]);
    let greet = TransactionPayload::Call {
        package: SYSTEM_PACKAGE,
        function: "greeting".into(),
        args: vec![],
        coin: 0,
    };
    let r = g.c.run(&dev_key(2), greet.clone());
    assert!(
        matches!(
            r.status,
            ExecutionStatus::Failure(FailureReason::UnknownFunction { .. })
        ),
        "{r:?}"
    );
    let id = g.propose(&upgrade);
    for v in 0..3 {
        ok(&g.vote(v, id, true));
    }
    let height = g.c.rt.height();
    // The resolve and the next transaction in the same block: no restart,
    // not even a new block, is needed.
    let resolve = g.resolve_tx(&dev_key(1), id, &upgrade);
    let next = g.c.tx(&dev_key(2), greet);
    let b = g.c.block(vec![resolve, next]);
    ok(&b.receipts[0]);
    ok(&b.receipts[1]);
    assert_eq!(g.c.rt.height(), height + 1);
    let version: u64 = g.view(SYSTEM_PACKAGE, "framework_version", vec![]);
    assert_eq!(version, 2);
    let pkg = g.c.rt.package(&SYSTEM_PACKAGE).unwrap().unwrap();
    assert_eq!((pkg.version, pkg.checksum), (2, sha3_256(&v2)));
    assert!(
        b.receipts[0]
            .events
            .iter()
            .any(|e| e.name == "PackageUpgraded" && e.emitter == SYSTEM_PACKAGE)
    );
}

#[test]
fn an_incompatible_framework_upgrade_is_refused_and_changes_nothing() {
    let g = chain();
    // The governance package is not a compatible successor of `system`.
    let bad = payload(vec![Action::UpgradePackage {
        package: SYSTEM_PACKAGE,
        module: molt_build::example("counter_v1").unwrap(),
    }]);
    let id = g.propose(&bad);
    for v in 0..3 {
        ok(&g.vote(v, id, true));
    }
    let before = g.governance_root();
    let r = g.resolve(id, &bad);
    assert!(
        matches!(
            r.status,
            ExecutionStatus::Failure(FailureReason::IncompatibleUpgrade {
                policy: UpgradePolicy::Compatible,
                ..
            })
        ),
        "{r:?}"
    );
    assert_eq!(g.governance_root(), before);
    assert_eq!(
        g.state(id),
        ACCEPTED,
        "still resolvable with a good payload"
    );
}

#[test]
fn params_and_validators_change_at_the_epoch_boundary() {
    let g = chain();
    let mut params = g.c.rt.params().unwrap();
    let old_params = params.clone();
    params.max_gas_budget = 400_000_000;
    let new_set: Vec<ValidatorEntry> = g.validators[..2]
        .iter()
        .map(|k| ValidatorEntry {
            address: k.address(),
            public_key: k.public_key().0,
            voting_power: 5,
        })
        .collect();
    let schedule = payload(vec![
        Action::SetParams {
            params: encode(&params),
        },
        Action::SetNextValidators {
            validators: new_set.clone(),
        },
    ]);
    let id = g.propose(&schedule);
    for v in 0..3 {
        ok(&g.vote(v, id, true));
    }
    let epoch = g.c.rt.latest_block().unwrap().header.epoch;
    ok(&g.resolve(id, &schedule));
    g.empty_blocks(2);
    assert_eq!(
        g.c.rt.params().unwrap(),
        old_params,
        "scheduled, not applied"
    );
    assert_eq!(g.c.rt.validators().unwrap().len(), 4);
    assert_eq!(g.c.rt.latest_block().unwrap().header.epoch, epoch);

    // A second proposal ends the epoch: the next block starts a new one.
    let end = payload(vec![Action::EndEpoch]);
    let id = g.propose(&end);
    for v in 0..3 {
        ok(&g.vote(v, id, true));
    }
    ok(&g.resolve(id, &end));
    let b = g.c.block(vec![]);
    assert_eq!(b.block.header.epoch, epoch + 1);
    assert_eq!(g.c.rt.params().unwrap(), params);
    let validators = g.c.rt.validators().unwrap();
    assert_eq!(validators.len(), 2);
    assert!(validators.iter().all(|v| v.voting_power == 5));
    // The next proposal's voters are the new epoch's validators.
    let id = g.propose(&harmless());
    let r = g.vote(3, id, true);
    assert_eq!(aborted(&r), NOT_A_VOTER);
    let total: u64 = g.view(SYSTEM_PACKAGE, "total_voting_power", vec![]);
    assert_eq!(total, 10);
}

#[test]
fn invalid_parameters_and_validator_sets_are_refused() {
    let g = chain();
    let mut params = g.c.rt.params().unwrap();
    params.epoch_length = 0;
    let bad_params = payload(vec![Action::SetParams {
        params: encode(&params),
    }]);
    let stranger = dev_key(3);
    let bad_set = payload(vec![Action::SetNextValidators {
        validators: vec![ValidatorEntry {
            address: stranger.address(),
            public_key: g.validators[0].public_key().0,
            voting_power: 1,
        }],
    }]);
    for bad in [bad_params, bad_set] {
        let id = g.propose(&bad);
        for v in 0..3 {
            ok(&g.vote(v, id, true));
        }
        let before = g.governance_root();
        let r = g.resolve(id, &bad);
        assert_eq!(
            r.status,
            ExecutionStatus::Failure(FailureReason::Trap(TrapCode::GovernanceActionRefused))
        );
        assert_eq!(g.governance_root(), before);
    }
}

/// Each privileged call by an ordinary program fails with the typed trap
/// `NotPrivileged`; the same module installed at a framework address is
/// admitted: privilege follows the original id, not the code.
#[test]
fn privileged_calls_are_refused_to_ordinary_programs() {
    let probe_module = molt_build::example("privileged_probe").unwrap();
    let framework_probe = Address::reserved(3);
    let ordinary_probe = Address::reserved(0x7e57);
    let mut genesis = Genesis::dev();
    for address in [framework_probe, ordinary_probe] {
        genesis.packages.push(GenesisPackage {
            address,
            module: probe_module.clone(),
            owner: dev_key(0).address(),
        });
    }
    let c = Chain::with_genesis(&genesis);
    let published = c.publish(&dev_key(0), "privileged_probe");
    let params = c.rt.params().unwrap();
    let key = dev_validator_key();
    let calls: Vec<(&str, Vec<u8>)> = vec![
        (
            "upgrade",
            encode(&(
                SYSTEM_PACKAGE,
                molt_build::example("framework_system_v2").unwrap(),
            )),
        ),
        ("set_params", encode(&encode(&params))),
        (
            "set_next_validators",
            encode(&vec![(key.address(), key.public_key().0, 1u64)]),
        ),
        ("end_epoch", vec![]),
        (
            "call_as_governance",
            encode(&(SYSTEM_PACKAGE, String::from("epoch"), Vec::<u8>::new())),
        ),
    ];
    for (function, args) in &calls {
        for probe in [published, ordinary_probe] {
            let r = c.run(
                &dev_key(1),
                TransactionPayload::Call {
                    package: probe,
                    function: (*function).into(),
                    args: args.clone(),
                    coin: 0,
                },
            );
            assert_eq!(
                r.status,
                ExecutionStatus::Failure(FailureReason::Trap(TrapCode::NotPrivileged)),
                "{function} by {probe}"
            );
        }
    }
    // Reading chain facts needs no privilege.
    let (_, _) = c.rt.view(&published, "epoch", &[], 10_000_000).unwrap();
    for (function, args) in calls.into_iter().rev() {
        let r = c.run(
            &dev_key(1),
            TransactionPayload::Call {
                package: framework_probe,
                function: function.into(),
                args,
                coin: 0,
            },
        );
        assert_eq!(r.status, ExecutionStatus::Success, "{function}: {r:?}");
    }
    // The framework probe's end_epoch: the next block starts epoch 1.
    let b = c.block(vec![]);
    assert_eq!(b.block.header.epoch, 1);
}

#[test]
fn a_simulation_writes_nothing_and_reports_what_the_resolution_does() {
    let g = chain();
    let v2 = molt_build::example("framework_system_v2").unwrap();
    let mut params = g.c.rt.params().unwrap();
    let old_params = params.clone();
    params.max_gas_budget = 300_000_000;
    let upgrade = payload(vec![
        Action::UpgradePackage {
            package: SYSTEM_PACKAGE,
            module: v2.clone(),
        },
        Action::SetParams {
            params: encode(&params),
        },
        Action::EndEpoch,
    ]);
    let root = g.c.rt.latest_block().unwrap().header.state_root;
    let height = g.c.rt.height();
    let sim = g.c.rt.simulate_payload(&upgrade).unwrap();
    assert_eq!(g.c.rt.height(), height);
    assert_eq!(g.c.rt.latest_block().unwrap().header.state_root, root);
    assert_eq!(g.c.rt.store().root(g.c.rt.height()).unwrap(), root);
    assert_eq!(g.next_id(), sim.proposal, "no proposal was written");
    assert_eq!(sim.failure, None);
    assert_eq!(sim.execution_hash, sha3_256(&upgrade));
    assert_eq!(sim.actions, ["upgrade_package", "set_params", "end_epoch"]);
    assert_eq!(
        (sim.block.parent_height, sim.block.parent_state_root),
        (height, root)
    );
    assert_eq!(
        sim.block.height,
        height + 2,
        "resolved after the deciding vote's block"
    );
    assert_eq!(sim.compatibility.len(), 1);
    assert!(
        sim.compatibility[0].is_compatible(),
        "{:?}",
        sim.compatibility
    );
    assert_eq!(sim.upgrades.len(), 1);
    let up = &sim.upgrades[0];
    assert_eq!(
        (up.package, up.from_version, up.to_version, up.to_checksum),
        (SYSTEM_PACKAGE, 1, 2, sha3_256(&v2))
    );
    assert_eq!(sim.params, Some((old_params, params.clone())));
    assert!(sim.ends_epoch);
    assert_eq!(sim.validators, None);
    assert!(sim.gas_used > 0);

    // The real resolution afterwards: the same effects.
    let id = g.propose(&upgrade);
    assert_eq!(id, sim.proposal);
    // Simulating the proposal itself, while it is being voted on.
    ok(&g.vote(0, id, true));
    let mid =
        g.c.rt
            .query()
            .unwrap()
            .simulate_payload(&upgrade, Some(id))
            .unwrap();
    assert_eq!(mid.failure, None);
    assert_eq!(
        (mid.proposal, &mid.upgrades, &mid.events),
        (id, &sim.upgrades, &sim.events)
    );
    for v in 1..3 {
        ok(&g.vote(v, id, true));
    }
    assert_eq!(g.state(id), ACCEPTED);
    let accepted =
        g.c.rt
            .query()
            .unwrap()
            .simulate_payload(&upgrade, Some(id))
            .unwrap();
    assert_eq!(
        accepted.block.height,
        g.c.rt.height() + 1,
        "no votes left: the next block"
    );
    assert_eq!(accepted.events, sim.events);
    let r = g.resolve(id, &upgrade);
    ok(&r);
    assert_eq!(r.events, sim.events, "the same events, byte for byte");
    let pkg = g.c.rt.package(&SYSTEM_PACKAGE).unwrap().unwrap();
    assert_eq!(
        (pkg.version, pkg.checksum, pkg.package_id),
        (up.to_version, up.to_checksum, up.to_package_id)
    );
    g.c.block(vec![]);
    assert_eq!(g.c.rt.params().unwrap(), params);

    // Resolved: the proposal has nothing left to resolve.
    let again =
        g.c.rt
            .query()
            .unwrap()
            .simulate_payload(&upgrade, Some(id))
            .unwrap();
    assert!(
        matches!(
            again.failure,
            Some((
                SimulationStep::Resolve,
                FailureReason::Aborted {
                    code: NOT_RESOLVABLE,
                    ..
                }
            ))
        ),
        "{again:?}"
    );

    // A failing payload: the compatibility report, the first failure, and
    // still nothing written.
    let bad = payload(vec![Action::UpgradePackage {
        package: SYSTEM_PACKAGE,
        module: molt_build::example("counter_v1").unwrap(),
    }]);
    let root = g.c.rt.latest_block().unwrap().header.state_root;
    let sim = g.c.rt.simulate_payload(&bad).unwrap();
    let Some((SimulationStep::Resolve, FailureReason::IncompatibleUpgrade { violations, .. })) =
        &sim.failure
    else {
        panic!("{sim:?}")
    };
    let UpgradeCheck::Checked {
        report,
        from_version,
        ..
    } = &sim.compatibility[0].check
    else {
        panic!("{sim:?}")
    };
    assert_eq!(*from_version, 2);
    let codes: Vec<&str> = report.violations.iter().map(|v| v.code.code()).collect();
    let refused: Vec<&str> = violations.iter().map(|v| v.code.as_str()).collect();
    assert_eq!(codes, refused, "the report is the resolve's own finding");
    assert!(sim.upgrades.is_empty() && sim.events.is_empty());
    assert_eq!(g.c.rt.latest_block().unwrap().header.state_root, root);
}

#[test]
fn a_simulated_validator_change_is_the_one_scheduled() {
    let g = chain();
    let keep: Vec<ValidatorEntry> = g.validators[..3]
        .iter()
        .map(|k| ValidatorEntry {
            address: k.address(),
            public_key: k.public_key().0,
            voting_power: 5,
        })
        .collect();
    let change = payload(vec![Action::SetNextValidators {
        validators: keep.clone(),
    }]);
    let before = g.c.rt.validators().unwrap();
    let sim = g.c.rt.simulate_payload(&change).unwrap();
    assert_eq!(sim.failure, None, "{sim:?}");
    let (old, new) = sim.validators.clone().unwrap();
    assert_eq!(old, before);
    assert_eq!(new.len(), 3);
    assert!(new.iter().all(|v| v.voting_power == 5));
    assert!(!sim.ends_epoch && sim.params.is_none() && sim.upgrades.is_empty());

    let id = g.propose(&change);
    for v in 0..3 {
        ok(&g.vote(v, id, true));
    }
    let r = g.resolve(id, &change);
    ok(&r);
    assert_eq!(r.events, sim.events);
    assert_eq!(
        g.c.rt.validators().unwrap(),
        before,
        "scheduled, not applied"
    );
    let end = payload(vec![Action::EndEpoch]);
    let id = g.propose(&end);
    for v in 0..3 {
        ok(&g.vote(v, id, true));
    }
    ok(&g.resolve(id, &end));
    g.c.block(vec![]);
    assert_eq!(
        g.c.rt.validators().unwrap(),
        new,
        "the set the simulation reported"
    );

    // A protocol upgrade: reported, and refused by release v1.
    let proto = payload(vec![Action::ScheduleProtocolUpgrade {
        version: "2.0.0".into(),
        height: 1_000,
        binary_hash: sha3_256(b"node"),
    }]);
    let sim = g.c.rt.simulate_payload(&proto).unwrap();
    assert_eq!(sim.protocol_upgrades.len(), 1);
    assert_eq!(sim.protocol_upgrades[0].height, 1_000);
    assert!(
        matches!(
            sim.failure,
            Some((
                SimulationStep::Resolve,
                FailureReason::Aborted { code: 10, .. }
            ))
        ),
        "{sim:?}"
    );
}
