//! Simulations report exactly what the block then does, and change nothing:
//! each test simulates a transaction, checks that the chain is untouched,
//! then includes the same signed transaction in a block and compares.

use super::Chain;
use molt_runtime::*;
use molt_types::*;

fn wasm(name: &str) -> Vec<u8> {
    molt_build::example(name).unwrap()
}

/// `module` with a custom section appended: another module (another
/// checksum) with the same code and interface.
fn new_build_of(module: &[u8], salt: &[u8]) -> Vec<u8> {
    let name = b"molt-test-salt";
    let mut body = vec![name.len() as u8];
    body.extend_from_slice(name);
    body.extend_from_slice(salt);
    let mut out = module.to_vec();
    out.push(0); // custom section id
    out.push(body.len() as u8); // LEB128, < 128 bytes
    out.extend_from_slice(&body);
    out
}

/// What an observer can see of the chain.
#[derive(Debug, PartialEq)]
struct Observed {
    height: u64,
    state_root: Option<Digest>,
    sender: Account,
    proposer: Account,
}

fn observe(c: &Chain, sender: &Address) -> Observed {
    Observed {
        height: c.rt.height(),
        state_root: c.rt.store().latest_root().unwrap(),
        sender: c.rt.account(sender).unwrap(),
        proposer: c.rt.account(&c.proposer).unwrap(),
    }
}

/// Simulates `tx` twice (the chain must not change, so the two agree),
/// then includes it in a block; returns the simulation and the block.
fn simulate_then_include(c: &Chain, tx: SignedTransaction) -> (Simulation, ProducedBlock) {
    let sender = tx.transaction.sender;
    let before = observe(c, &sender);
    let sim = c.rt.simulate(&tx).unwrap();
    assert_eq!(observe(c, &sender), before, "a simulation writes nothing");
    assert_eq!(
        c.rt.simulate(&tx).unwrap(),
        sim,
        "and so it repeats exactly"
    );
    assert_eq!(sim.block.height, before.height + 1);
    assert_eq!(Some(sim.block.parent_state_root), before.state_root);
    assert_eq!(c.rt.receipt(&tx.id()).unwrap(), None, "no receipt was kept");
    let block = c.block(vec![tx]);
    (sim, block)
}

/// The simulation's receipt equals the block's, and it is a failure.
fn assert_same_failure(sim: &Simulation, block: &ProducedBlock) -> FailureReason {
    assert!(block.rejected.is_empty(), "{:?}", block.rejected);
    assert_eq!(sim.receipt(), Some(&block.receipts[0]), "simulated vs real");
    sim.failure()
        .cloned()
        .unwrap_or_else(|| panic!("expected a failure, got {:?}", sim.outcome))
}

fn upgrade_tx(
    c: &Chain,
    key: &SecretKey,
    package: Address,
    module: Vec<u8>,
    ticket: Option<TicketCall>,
) -> SignedTransaction {
    c.tx(
        key,
        TransactionPayload::Upgrade {
            package,
            module,
            ticket,
        },
    )
}

#[test]
fn a_constructor_rejecting_an_upgrade_is_reported_as_the_block_then_fails() {
    let c = Chain::new();
    let owner = dev_key(0);
    let pkg = c.publish(&owner, "ctor_noupgrade");
    let history = c.rt.package_history(&pkg).unwrap();
    for next in [
        wasm("ctor_noupgrade"),
        new_build_of(&wasm("ctor_noupgrade"), b"v2"),
    ] {
        let tx = upgrade_tx(&c, &owner, pkg, next, None);
        let (sim, block) = simulate_then_include(&c, tx);
        let failure = assert_same_failure(&sim, &block);
        assert!(
            matches!(failure, FailureReason::ConstructorRejected { .. }),
            "{failure:?}"
        );
        assert!(sim.receipt().unwrap().gas_used > 0, "the constructor ran");
        assert_eq!(c.rt.package_history(&pkg).unwrap(), history);
    }
}

#[test]
fn a_failing_ticket_call_is_reported_as_the_block_then_fails() {
    let c = Chain::new();
    let admin = dev_key(0);
    let pkg = c.publish(&admin, "counter_v1");
    let lock = c.publish(&admin, "upgrader_timelock");
    let cap = cap_id(&pkg);
    c.run(
        &admin,
        TransactionPayload::TransferUpgradeCap { cap, to: lock },
    );
    let v2 = wasm("counter_v2");
    // Nothing was announced to the timelock, so its `authorize` aborts.
    let ticket = TicketCall {
        package: lock,
        function: "authorize".into(),
        args: encode(&(cap, sha3_256(&v2))),
    };
    let tx = upgrade_tx(&c, &admin, pkg, v2, Some(ticket));
    let (sim, block) = simulate_then_include(&c, tx);
    match assert_same_failure(&sim, &block) {
        FailureReason::UpgradeRejected(UpgradeRejection::TicketCallFailed { package, .. }) => {
            assert_eq!(package, lock)
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(c.rt.package(&pkg).unwrap().unwrap().version, 1);
}

#[test]
fn an_incompatible_module_is_reported_with_the_same_findings_as_the_block() {
    let c = Chain::new();
    let owner = dev_key(0);
    let pkg = c.publish(&owner, "counter_v1");
    let tx = upgrade_tx(&c, &owner, pkg, wasm("counter_v3"), None);
    let (sim, block) = simulate_then_include(&c, tx);
    match assert_same_failure(&sim, &block) {
        FailureReason::IncompatibleUpgrade { violations, .. } => {
            assert_eq!(violations.len(), 4, "{violations:?}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_invalid_module_is_reported_as_the_block_then_fails() {
    let c = Chain::new();
    let tx = c.tx(
        &dev_key(1),
        TransactionPayload::Publish {
            module: b"\0asm\x01\0\0\0garbage".to_vec(),
        },
    );
    let (sim, block) = simulate_then_include(&c, tx);
    let failure = assert_same_failure(&sim, &block);
    assert!(
        matches!(failure, FailureReason::InvalidModule { .. }),
        "{failure:?}"
    );
}

#[test]
fn a_successful_upgrade_simulates_its_events_and_gas_without_upgrading() {
    let c = Chain::new();
    let owner = dev_key(0);
    let pkg = c.publish(&owner, "counter_v1");
    let tx = upgrade_tx(&c, &owner, pkg, wasm("counter_v2"), None);
    let before = c.rt.package_history(&pkg).unwrap();
    let sim = c.rt.simulate(&tx).unwrap();
    let receipt = sim.receipt().unwrap().clone();
    assert_eq!(receipt.status, ExecutionStatus::Success);
    assert!(receipt.events.iter().any(|e| e.name == "PackageUpgraded"));
    assert_eq!(c.rt.package_history(&pkg).unwrap(), before, "not upgraded");
    let block = c.block(vec![tx]);
    assert_eq!(block.receipts, vec![receipt]);
    assert_eq!(c.rt.package(&pkg).unwrap().unwrap().version, 2);
}

#[test]
fn a_transaction_a_block_would_refuse_is_simulated_as_rejected() {
    let c = Chain::new();
    let key = dev_key(2);
    let seq = c.rt.account(&key.address()).unwrap().sequence_number;
    let transfer = TransactionPayload::Transfer {
        to: dev_key(3).address(),
        amount: 1,
    };
    for tx in [
        c.tx_with(&key, seq + 1, 50_000, transfer.clone()),
        c.tx_with(&key, seq, 5, transfer.clone()),
    ] {
        let (sim, block) = simulate_then_include(&c, tx.clone());
        assert_eq!(block.receipts, vec![]);
        assert_eq!(
            sim.outcome,
            SimulationOutcome::Rejected(block.rejected[0].1.clone())
        );
    }
}

#[test]
fn a_budget_from_a_simulation_with_the_margin_is_enough_and_refunds_the_rest() {
    let c = Chain::new();
    let key = dev_key(1);
    let pkg = c.publish(&key, "counter_v1");
    let params = c.rt.params().unwrap();
    let payload = TransactionPayload::Call {
        package: pkg,
        function: "add".into(),
        args: 5u64.to_le_bytes().to_vec(),
        coin: 0,
    };
    let seq = c.rt.account(&key.address()).unwrap().sequence_number;
    let balance = c.rt.account(&key.address()).unwrap().balance;
    let budget = simulation_budget(&params, balance, 0, 1, 0);
    assert_eq!(budget, params.max_gas_budget.min(balance));
    let probe = c.tx_with(&key, seq, budget, payload.clone());
    let used = c.rt.simulate(&probe).unwrap().receipt().unwrap().gas_used;
    let signed = budget_with_margin(&params, used);
    assert!(signed > used && signed <= used + used / 5 + 1, "{signed}");

    let tx = c.tx_with(&key, seq, signed, payload);
    let (sim, block) = simulate_then_include(&c, tx);
    assert_eq!(sim.receipt(), Some(&block.receipts[0]));
    assert_eq!(block.receipts[0].status, ExecutionStatus::Success);
    assert_eq!(
        block.receipts[0].gas_used, used,
        "the budget does not change gas use"
    );
    assert_eq!(
        c.rt.account(&key.address()).unwrap().balance,
        balance - used,
        "unused budget is refunded"
    );
}

#[test]
fn simulation_budgets_never_overflow() {
    let params = ChainParams::default();
    assert_eq!(
        simulation_budget(&params, u64::MAX, 0, 0, 0),
        params.max_gas_budget,
        "a zero price (refused by the chain) simulates at the maximum"
    );
    assert_eq!(simulation_budget(&params, 10, u64::MAX, 1, 1_234), 1_234);
    assert_eq!(simulation_budget(&params, 1_000, 400, 3, 0), 200);
    assert_eq!(budget_with_margin(&params, u64::MAX), params.max_gas_budget);
    assert_eq!(budget_with_margin(&params, 100), 120);
    assert_eq!(budget_with_margin(&params, 101), 122);
}
