//! Native coin in calls (DESIGN.md 2) and governance's anti-spam deposit:
//! coin attached to a call moves to the package's account before it runs
//! and back if it fails; governance takes exactly the track's deposit at
//! `propose`, refunds it with the deciding vote and keeps it when a
//! proposal expires undecided. Every move is a `Transfer` event of the
//! system address in the receipt.

use super::Chain;
use super::governance::{DEPOSIT, aborted, call_with_coin, chain, harmless, ok};
use molt_runtime::*;
use molt_types::*;

const WRONG_DEPOSIT: u32 = 15;

fn balance(c: &Chain, a: &Address) -> u64 {
    c.rt.account(a).unwrap().balance
}

/// The `(from, to, amount)` of each system `Transfer` event in `r`.
fn transfers(r: &Receipt) -> Vec<(Address, Address, u64)> {
    r.events
        .iter()
        .filter(|e| e.emitter == Address::ZERO && e.name == "Transfer")
        .map(|e| codec::decode("transfer", &e.data, 100).unwrap())
        .collect()
}

/// The sum of every account's balance in the committed state.
fn total_supply(c: &Chain) -> u128 {
    let snapshot = c.rt.store().snapshot().unwrap();
    let mut total = 0u128;
    let mut after: Option<Vec<u8>> = None;
    loop {
        let page = snapshot
            .iter_prefix_page(b"acct/", after.as_deref(), 64)
            .unwrap();
        let Some((last, _)) = page.last().cloned() else {
            break;
        };
        for (_, v) in page {
            let account: state::Account = codec::decode("account", &v, 100).unwrap();
            total += u128::from(account.balance);
        }
        after = Some(last);
    }
    total
}

fn propose_args() -> Vec<u8> {
    encode(&(
        sha3_256(&harmless()),
        String::from("https://example.invalid/p"),
        Digest::ZERO,
    ))
}

#[test]
fn a_proposal_without_exactly_the_deposit_is_refused_and_keeps_the_coin() {
    let g = chain();
    let proposer = dev_key(0);
    for coin in [0, DEPOSIT - 1, DEPOSIT + 1] {
        let before = balance(&g.c, &proposer.address());
        let r =
            g.c.run(&proposer, call_with_coin("propose", propose_args(), coin));
        assert_eq!(aborted(&r), WRONG_DEPOSIT, "{coin}");
        assert!(r.events.is_empty(), "a failed call emits nothing: {r:?}");
        assert_eq!(
            balance(&g.c, &proposer.address()),
            before - r.gas_used,
            "{coin}: only the gas is paid"
        );
        assert_eq!(balance(&g.c, &GOVERNANCE_PACKAGE), 0);
    }
}

#[test]
fn the_deposit_is_held_then_refunded_by_the_deciding_vote() {
    let g = chain();
    let proposer = dev_key(0);
    let before = balance(&g.c, &proposer.address());
    let r = g.c.run(
        &proposer,
        call_with_coin("propose", propose_args(), DEPOSIT),
    );
    ok(&r);
    assert_eq!(
        transfers(&r),
        vec![(proposer.address(), GOVERNANCE_PACKAGE, DEPOSIT)]
    );
    let after_propose = before - r.gas_used - DEPOSIT;
    assert_eq!(balance(&g.c, &proposer.address()), after_propose);
    assert_eq!(balance(&g.c, &GOVERNANCE_PACKAGE), DEPOSIT);

    // 30 + 30 of 90 is exactly 2/3: still voting, the deposit still held.
    let id = 0;
    let r = g.vote(0, id, true);
    ok(&r);
    assert!(transfers(&r).is_empty());
    ok(&g.vote(1, id, true));
    assert_eq!(balance(&g.c, &GOVERNANCE_PACKAGE), DEPOSIT);
    let deciding = g.vote(3, id, true);
    ok(&deciding);
    assert_eq!(
        transfers(&deciding),
        vec![(GOVERNANCE_PACKAGE, proposer.address(), DEPOSIT)]
    );
    assert!(
        deciding.events.iter().any(|e| e.name == "DepositRefunded"),
        "{deciding:?}"
    );
    assert_eq!(balance(&g.c, &GOVERNANCE_PACKAGE), 0);
    assert_eq!(balance(&g.c, &proposer.address()), after_propose + DEPOSIT);
    // Refunded once: the resolve moves no coin.
    let r = g.resolve(id, &harmless());
    ok(&r);
    assert!(transfers(&r).is_empty());
}

#[test]
fn a_rejected_proposal_is_refunded_and_an_expired_one_forfeits() {
    let g = chain();
    let proposer = dev_key(0);
    let rejected = g.propose(&harmless());
    let expired = g.propose(&harmless());
    assert_eq!(balance(&g.c, &GOVERNANCE_PACKAGE), 2 * DEPOSIT);
    ok(&g.vote(3, rejected, false));
    let deciding = g.vote(0, rejected, false);
    ok(&deciding);
    assert_eq!(
        transfers(&deciding),
        vec![(GOVERNANCE_PACKAGE, proposer.address(), DEPOSIT)]
    );
    assert_eq!(balance(&g.c, &GOVERNANCE_PACKAGE), DEPOSIT);
    // The genesis track's voting period is 50 blocks.
    for _ in 0..50 {
        g.c.block(vec![]);
    }
    let status: Option<u8> = g.view(GOVERNANCE_PACKAGE, "deposit_status", encode(&expired));
    assert_eq!(status, Some(2), "Forfeited");
    let status: Option<u8> = g.view(GOVERNANCE_PACKAGE, "deposit_status", encode(&rejected));
    assert_eq!(status, Some(1), "Refunded");
    assert_eq!(balance(&g.c, &GOVERNANCE_PACKAGE), DEPOSIT, "forfeited");
}

#[test]
fn coin_attached_to_a_call_reaches_the_package_and_a_failed_call_returns_it() {
    let c = Chain::new();
    let a = dev_key(0);
    let pkg = c.publish(&a, "counter_v1");
    let call = |function: &str, coin| TransactionPayload::Call {
        package: pkg,
        function: function.into(),
        args: vec![],
        coin,
    };
    let before = balance(&c, &a.address());
    let r = c.run(&a, call("increment", 700));
    ok(&r);
    assert_eq!(transfers(&r), vec![(a.address(), pkg, 700)]);
    assert_eq!(balance(&c, &pkg), 700);
    assert_eq!(balance(&c, &a.address()), before - 700 - r.gas_used);

    // A call that fails (no such function) moves nothing.
    let before = balance(&c, &a.address());
    let r = c.run(&a, call("no_such_function", 700));
    assert!(matches!(r.status, ExecutionStatus::Failure(_)), "{r:?}");
    assert_eq!(balance(&c, &pkg), 700);
    assert_eq!(balance(&c, &a.address()), before - r.gas_used);

    // More coin than the sender holds after the gas budget: a failed
    // receipt, the function never runs.
    let all = balance(&c, &a.address());
    let r = c.run(&a, call("increment", all));
    assert!(
        matches!(
            r.status,
            ExecutionStatus::Failure(FailureReason::InsufficientBalance { needed, .. })
                if needed == all
        ),
        "{r:?}"
    );
    assert_eq!(balance(&c, &pkg), 700);
}

#[test]
fn coin_is_conserved_through_deposits_refunds_attached_calls_and_fees() {
    let g = chain();
    let supply = total_supply(&g.c);
    let pkg = g.c.publish(&dev_key(2), "counter_v1");
    let id = g.propose(&harmless());
    let r = g.c.run(
        &dev_key(1),
        TransactionPayload::Call {
            package: pkg,
            function: "increment".into(),
            args: vec![],
            coin: 12_345,
        },
    );
    ok(&r);
    // A failed attach and a refused proposal pay gas only.
    let _ =
        g.c.run(&dev_key(1), call_with_coin("propose", propose_args(), 1));
    for voter in [0, 1, 3] {
        ok(&g.vote(voter, id, true));
    }
    ok(&g.resolve(id, &harmless()));
    assert_eq!(
        total_supply(&g.c),
        supply,
        "fees go to the proposer and every coin move is a move"
    );
    assert_eq!(balance(&g.c, &pkg), 12_345);
}
