use super::Chain;
use molt_runtime::*;
use molt_types::*;

#[test]
fn transfer_moves_coin_and_pays_the_proposer_for_gas_used_only() {
    let c = Chain::new();
    let (a, b) = (dev_key(0), dev_key(1));
    let r = c.run(
        &a,
        TransactionPayload::Transfer {
            to: b.address(),
            amount: 500,
        },
    );
    assert_eq!(r.status, ExecutionStatus::Success);
    assert!(
        r.gas_used > 0 && r.gas_used < 50_000_000,
        "unused gas is refunded"
    );
    assert_eq!(
        c.rt.account(&a.address()).unwrap().balance,
        DEV_ACCOUNT_BALANCE - 500 - r.gas_used
    );
    assert_eq!(
        c.rt.account(&b.address()).unwrap().balance,
        DEV_ACCOUNT_BALANCE + 500
    );
    assert_eq!(
        c.rt.account(&c.proposer).unwrap().balance,
        DEV_ACCOUNT_BALANCE + r.gas_used
    );
    assert_eq!(c.rt.account(&a.address()).unwrap().sequence_number, 1);
    assert_eq!(r.events[0].name, "Transfer");
}

#[test]
fn failed_transfer_charges_gas_and_changes_nothing_else() {
    let c = Chain::new();
    let (a, b) = (dev_key(0), dev_key(1));
    let r = c.run(
        &a,
        TransactionPayload::Transfer {
            to: b.address(),
            amount: DEV_ACCOUNT_BALANCE,
        },
    );
    assert!(
        matches!(
            r.status,
            ExecutionStatus::Failure(FailureReason::InsufficientBalance { .. })
        ),
        "{r:?}"
    );
    assert_eq!(
        c.rt.account(&a.address()).unwrap().balance,
        DEV_ACCOUNT_BALANCE - r.gas_used
    );
    assert_eq!(
        c.rt.account(&b.address()).unwrap().balance,
        DEV_ACCOUNT_BALANCE
    );
    assert!(r.events.is_empty());
    assert_eq!(
        c.rt.account(&a.address()).unwrap().sequence_number,
        1,
        "a failed transaction still uses its sequence number"
    );
}

#[test]
fn blocks_chain_and_survive_reopen_with_the_same_root() {
    let c = Chain::new();
    let a = dev_key(0);
    for i in 0..3 {
        c.run(
            &a,
            TransactionPayload::Transfer {
                to: Address::reserved(100 + i),
                amount: 1,
            },
        );
    }
    let latest = c.rt.latest_block().unwrap();
    assert_eq!(latest.header.height, 3);
    assert_eq!(
        latest.header.parent,
        c.rt.block(2).unwrap().unwrap().header.id()
    );
    assert_eq!(latest.header.state_root, c.rt.store().root(3).unwrap());
    let id = latest.transactions[0].id();
    let c = c.reopen();
    assert_eq!(c.rt.latest_block().unwrap(), latest);
    assert_eq!(
        c.rt.store().latest_root().unwrap(),
        Some(latest.header.state_root)
    );
    assert_eq!(c.rt.receipt(&id).unwrap().unwrap().height, 3);
    assert_eq!(c.rt.account(&Address::reserved(102)).unwrap().balance, 1);
}

#[test]
fn same_transactions_give_the_same_state_root() {
    let roots: Vec<Digest> = (0..2)
        .map(|_| {
            let c = Chain::new();
            c.run(
                &dev_key(0),
                TransactionPayload::Transfer {
                    to: Address::reserved(7),
                    amount: 9,
                },
            );
            c.rt.latest_block().unwrap().header.state_root
        })
        .collect();
    assert_eq!(roots[0], roots[1]);
}
