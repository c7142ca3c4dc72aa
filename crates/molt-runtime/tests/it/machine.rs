//! The state-machine contract (DESIGN.md 5, `molt_runtime::StateMachine`):
//! pending chains, forks, idempotent finalize, restarts between verify and
//! finalize, no re-execution at finalize, and the verifier's typed reasons.

use super::Chain;
use molt_runtime::*;
use molt_types::*;

fn transfer(c: &Chain, from: u8, seq: u64, to: u8, amount: u64) -> SignedTransaction {
    c.tx_with(
        &dev_key(from),
        seq,
        100_000,
        TransactionPayload::Transfer {
            to: dev_key(to).address(),
            amount,
        },
    )
}

fn ctx(c: &Chain, parent: BlockId, ts: u64) -> ProposeContext {
    ProposeContext {
        parent,
        proposer: c.proposer,
        timestamp_ms: ts,
    }
}

const NOW: VerifyContext = VerifyContext {
    now_ms: u64::MAX / 2,
};

fn genesis_id(c: &Chain) -> BlockId {
    c.rt.latest_block().unwrap().header.id()
}

#[test]
fn a_chain_of_three_pending_blocks_finalizes_in_order_like_sequential_blocks() {
    let c = Chain::new();
    let seq = Chain::new();
    let mut parent = genesis_id(&c);
    let mut ids = Vec::new();
    for i in 0..3u64 {
        let txs = vec![transfer(&c, 0, i, 1, 10 + i), transfer(&c, 2, i, 3, 5)];
        let p =
            c.rt.propose(ctx(&c, parent, 1_000 * (i + 1)), &txs)
                .unwrap();
        assert!(p.skipped.is_empty(), "{:?}", p.skipped);
        assert_eq!(p.block.header.height, i + 1);
        // Nothing is durable before finalize.
        assert_eq!(c.rt.height(), 0);
        let s = seq
            .rt
            .produce_block(&txs, seq.proposer, 1_000 * (i + 1))
            .unwrap();
        assert_eq!(
            p.block, s.block,
            "a child of a pending parent = a sequential block"
        );
        parent = p.block.header.id();
        ids.push(parent);
    }
    assert_eq!(c.rt.pending_blocks().len(), 3);
    assert_eq!(
        c.rt.account(&dev_key(1).address()).unwrap().balance,
        DEV_ACCOUNT_BALANCE
    );
    // Out of order is refused; in order works.
    assert!(matches!(
        c.rt.finalize(&ids[1]),
        Err(RuntimeError::ParentNotFinalized { .. })
    ));
    for id in &ids {
        c.rt.finalize(id).unwrap();
    }
    assert_eq!(c.rt.height(), 3);
    assert_eq!(
        c.rt.latest_block().unwrap().header.state_root,
        seq.rt.latest_block().unwrap().header.state_root
    );
    assert!(c.rt.pending_blocks().is_empty());
}

#[test]
fn of_two_siblings_one_is_finalized_and_the_other_discarded() {
    let c = Chain::new();
    let g = genesis_id(&c);
    let x =
        c.rt.propose(ctx(&c, g, 1_000), &[transfer(&c, 0, 0, 1, 7)])
            .unwrap();
    let y =
        c.rt.propose(ctx(&c, g, 1_000), &[transfer(&c, 0, 0, 2, 9)])
            .unwrap();
    let (x_id, y_id) = (x.block.header.id(), y.block.header.id());
    assert_ne!(x_id, y_id);
    assert_ne!(x.block.header.state_root, y.block.header.state_root);
    // A child of the loser, too.
    let y2 = c.rt.propose(ctx(&c, y_id, 2_000), &[]).unwrap();
    assert_eq!(c.rt.pending_blocks().len(), 3);
    c.rt.finalize(&x_id).unwrap();
    assert!(
        c.rt.pending_blocks().is_empty(),
        "the other branch is discarded"
    );
    assert!(matches!(
        c.rt.finalize(&y_id),
        Err(RuntimeError::UnknownBlock { .. })
    ));
    assert!(matches!(
        c.rt.finalize(&y2.block.header.id()),
        Err(RuntimeError::UnknownBlock { .. })
    ));
    assert_eq!(
        c.rt.account(&dev_key(1).address()).unwrap().balance,
        DEV_ACCOUNT_BALANCE + 7
    );
    assert_eq!(
        c.rt.account(&dev_key(2).address()).unwrap().balance,
        DEV_ACCOUNT_BALANCE
    );
    // discard drops a branch explicitly.
    let z = c.rt.propose(ctx(&c, x_id, 2_000), &[]).unwrap();
    let z_id = z.block.header.id();
    let z2 = c.rt.propose(ctx(&c, z_id, 3_000), &[]).unwrap();
    c.rt.discard(&z_id);
    assert!(c.rt.pending_blocks().is_empty());
    assert!(c.rt.finalize(&z2.block.header.id()).is_err());
}

#[test]
fn finalize_twice_is_idempotent_and_never_re_executes() {
    let c = Chain::new();
    let p =
        c.rt.propose(ctx(&c, genesis_id(&c), 1_000), &[transfer(&c, 0, 0, 1, 3)])
            .unwrap();
    let id = p.block.header.id();
    let executed = c.rt.executions();
    let first = c.rt.finalize(&id).unwrap();
    assert_eq!(
        c.rt.executions(),
        executed,
        "the proposer's block is not executed again"
    );
    let again = c.rt.finalize(&id).unwrap();
    assert_eq!(first.block, again.block);
    assert_eq!(first.receipts, again.receipts);
    assert_eq!(c.rt.height(), 1);
    assert_eq!(
        c.rt.account(&dev_key(1).address()).unwrap().balance,
        DEV_ACCOUNT_BALANCE + 3
    );
}

#[test]
fn a_restart_between_verify_and_finalize_needs_a_second_verify() {
    let leader = Chain::new();
    let follower = Chain::new();
    let txs = vec![transfer(&leader, 0, 0, 1, 11)];
    let p = leader
        .rt
        .propose(ctx(&leader, genesis_id(&leader), 1_000), &txs)
        .unwrap();
    let id = p.block.header.id();
    assert_eq!(follower.rt.verify(NOW, &p.block).unwrap(), Verdict::Valid);
    let follower = follower.reopen();
    assert_eq!(follower.rt.height(), 0, "nothing was durable");
    assert!(matches!(
        follower.rt.finalize(&id),
        Err(RuntimeError::UnknownBlock { .. })
    ));
    assert_eq!(follower.rt.verify(NOW, &p.block).unwrap(), Verdict::Valid);
    follower.rt.finalize(&id).unwrap();
    leader.rt.finalize(&id).unwrap();
    assert_eq!(
        follower.rt.latest_block().unwrap(),
        leader.rt.latest_block().unwrap()
    );
}

/// A mutation's name, the mutation, and the reason it must give.
type Case = (
    &'static str,
    Box<dyn FnOnce(&mut Block, &Chain)>,
    fn(&InvalidBlock) -> bool,
);

/// A proposed block, mutated in one way, and the reason a verifier gives.
fn verdict_of(mutate: impl FnOnce(&mut Block, &Chain)) -> Verdict {
    let leader = Chain::new();
    let verifier = Chain::new();
    let txs = vec![
        transfer(&leader, 0, 0, 1, 11),
        transfer(&leader, 1, 0, 2, 4),
    ];
    let mut block = leader
        .rt
        .propose(ctx(&leader, genesis_id(&leader), 1_000), &txs)
        .unwrap()
        .block;
    mutate(&mut block, &leader);
    verifier.rt.verify(NOW, &block).unwrap()
}

fn invalid(v: Verdict) -> InvalidBlock {
    match v {
        Verdict::Invalid(r) => r,
        Verdict::Valid => panic!("the mutated block was accepted"),
    }
}

#[test]
fn a_verifier_gives_a_distinct_reason_for_each_mutation() {
    assert_eq!(verdict_of(|_, _| {}), Verdict::Valid);
    use InvalidBlock as I;
    let cases: Vec<Case> = vec![
        ("height", Box::new(|b, _| b.header.height = 2), |r| {
            matches!(r, I::WrongHeight { .. })
        }),
        (
            "parent",
            Box::new(|b, _| b.header.parent = sha3_256(b"x")),
            |r| matches!(r, I::UnknownParent { .. }),
        ),
        (
            "chain",
            Box::new(|b, _| b.header.chain_id = ChainId::new("other").unwrap()),
            |r| matches!(r, I::WrongChain { .. }),
        ),
        ("epoch", Box::new(|b, _| b.header.epoch = 5), |r| {
            matches!(
                r,
                I::WrongEpoch {
                    expected: 0,
                    found: 5
                }
            )
        }),
        (
            "state root",
            Box::new(|b, _| b.header.state_root = sha3_256(b"s")),
            |r| matches!(r, I::StateRootMismatch { .. }),
        ),
        (
            "receipts root",
            Box::new(|b, _| b.header.receipts_root = sha3_256(b"r")),
            |r| matches!(r, I::ReceiptsRootMismatch { .. }),
        ),
        (
            "transactions root",
            Box::new(|b, _| b.header.transactions_root = sha3_256(b"t")),
            |r| matches!(r, I::TransactionsRootMismatch { .. }),
        ),
        (
            "proposer",
            Box::new(|b, _| b.header.proposer = dev_key(3).address()),
            |r| matches!(r, I::ProposerNotValidator { .. }),
        ),
        (
            "timestamp not after parent",
            Box::new(|b, _| b.header.timestamp_ms = 0),
            |r| matches!(r, I::TimestampNotAfterParent { .. }),
        ),
        (
            "timestamp far ahead",
            Box::new(|b, _| b.header.timestamp_ms = u64::MAX - 1),
            |r| matches!(r, I::TimestampTooFarAhead { .. }),
        ),
        (
            "transaction not includable",
            Box::new(|b, c| {
                // A replayed sequence number: valid signature, never includable.
                b.transactions[1] = transfer(c, 0, 0, 3, 1);
                let ids: Vec<_> = b.transactions.iter().map(|t| t.id()).collect();
                b.header.transactions_root = transactions_root(&ids);
            }),
            |r| {
                matches!(
                    r,
                    I::TransactionNotIncludable {
                        index: 1,
                        reason: Rejection::SequenceTooOld { .. },
                        ..
                    }
                )
            },
        ),
        (
            "gas limit",
            Box::new(|b, c| {
                let big = c.tx_with(
                    &dev_key(2),
                    0,
                    500_000_000,
                    TransactionPayload::Transfer {
                        to: dev_key(0).address(),
                        amount: 1,
                    },
                );
                b.transactions = vec![big; 101];
                let ids: Vec<_> = b.transactions.iter().map(|t| t.id()).collect();
                b.header.transactions_root = transactions_root(&ids);
            }),
            |r| matches!(r, I::GasLimitExceeded { .. }),
        ),
        (
            "size limit",
            Box::new(|b, c| {
                let module = vec![0u8; 900 * 1024];
                let big = c.tx_with(
                    &dev_key(2),
                    0,
                    100_000_000,
                    TransactionPayload::Publish { module },
                );
                b.transactions = vec![big; 10];
                let ids: Vec<_> = b.transactions.iter().map(|t| t.id()).collect();
                b.header.transactions_root = transactions_root(&ids);
            }),
            |r| matches!(r, I::SizeLimitExceeded { .. }),
        ),
    ];
    let mut seen = std::collections::HashSet::new();
    for (name, mutate, expected) in cases {
        let reason = invalid(verdict_of(mutate));
        assert!(expected(&reason), "{name}: got {reason:?}");
        assert!(
            seen.insert(std::mem::discriminant(&reason)),
            "{name}: reason not distinct"
        );
    }
}

#[test]
fn a_parameter_changed_in_state_is_obeyed_by_the_next_block() {
    let c = Chain::new();
    let mut params = c.rt.params().unwrap();
    params.min_gas_price = 2;
    c.rt.stage_params(&params);
    // The block that writes the change still runs under the old price.
    let p = c.block(vec![transfer(&c, 0, 0, 1, 1)]);
    assert!(p.rejected.is_empty());
    assert_eq!(c.rt.params().unwrap().min_gas_price, 2);
    let p = c.block(vec![transfer(&c, 0, 1, 1, 1)]);
    assert!(
        matches!(
            p.rejected[..],
            [(_, Rejection::GasPriceTooLow { minimum: 2, .. })]
        ),
        "{:?}",
        p.rejected
    );
    assert!(matches!(
        c.rt.check_transaction(&transfer(&c, 0, 1, 1, 1), 200),
        Err(Rejection::GasPriceTooLow { .. })
    ));
    // A block gas limit read from state is obeyed the same way.
    let mut params = c.rt.params().unwrap();
    params.min_gas_price = 1;
    params.max_gas_budget = 100_000;
    params.max_block_gas = 150_000;
    c.rt.stage_params(&params);
    c.block(vec![]);
    let p = c.block(vec![transfer(&c, 0, 1, 1, 1), transfer(&c, 1, 0, 2, 1)]);
    assert_eq!(
        p.block.transactions.len(),
        1,
        "the second does not fit the block gas limit"
    );
}

#[test]
fn epochs_advance_at_the_boundary_and_the_proposer_must_be_a_validator() {
    let mut genesis = Genesis::dev();
    genesis.params.epoch_length = 3;
    let c = Chain::with_genesis(&genesis);
    let mut epochs = Vec::new();
    for _ in 0..7 {
        epochs.push(c.block(vec![]).block.header.epoch);
    }
    assert_eq!(epochs, [0, 0, 1, 1, 1, 2, 2]);
    let stranger = dev_key(3).address();
    let parent = c.rt.latest_block().unwrap().header.id();
    let err =
        c.rt.propose(
            ProposeContext {
                parent,
                proposer: stranger,
                timestamp_ms: 100_000,
            },
            &[],
        )
        .unwrap_err();
    assert!(
        matches!(err, RuntimeError::NotAValidator { epoch: 2, .. }),
        "{err}"
    );
}

/// A block executed twice (two verifications racing, or a proposal made
/// again for the same round) must keep its first execution: a child may
/// already be built on it, and replacing it would leave that child on a
/// branch the store discards when the parent commits. The testnet hit this
/// at height 2 ("prepared block 2 is on a discarded branch").
#[test]
fn executing_a_pending_block_again_keeps_the_branch_its_children_stand_on() {
    let c = Chain::new();
    let genesis = genesis_id(&c);
    let txs = vec![transfer(&c, 0, 0, 1, 10)];
    let first = c.rt.propose(ctx(&c, genesis, 1_000), &txs).unwrap();
    let one = first.block.header.id();
    let child =
        c.rt.propose(ctx(&c, one, 2_000), &[transfer(&c, 0, 1, 1, 20)])
            .unwrap();
    // The same block again: same parent, transactions and time.
    let again = c.rt.propose(ctx(&c, genesis, 1_000), &txs).unwrap();
    assert_eq!(again.block.header.id(), one);
    c.rt.finalize(&one).unwrap();
    c.rt.finalize(&child.block.header.id()).unwrap();
    assert_eq!(c.rt.height(), 2);
    assert_eq!(
        c.rt.account(&dev_key(1).address()).unwrap().balance,
        DEV_ACCOUNT_BALANCE + 30
    );
}
