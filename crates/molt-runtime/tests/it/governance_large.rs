//! Large resolve transactions (docs/framework.md, "Large resolve
//! transactions"): a governance resolve over the 1 MiB transaction limit is
//! admitted and valid in a block only when its payload's SHA3-256 is an
//! approved execution hash on the state before the block, and it is within
//! the governance limit (the track's payload limit plus a fixed envelope).
//! Everything else over the limit is refused at admission with a typed
//! reason, and a block holding it is invalid with a distinct reason.

use super::governance::{ACCEPTED, EXECUTED, Gov, call, chain, ok, payload as encode_payload};
use molt_payload::Action;
use molt_runtime::*;
use molt_types::codec::limits::MAX_TRANSACTION_BYTES;
use molt_types::*;

const MIB: usize = 1024 * 1024;
/// The track payload limit the tests' governance sets (the genesis track's
/// is 256 KiB).
const TRACK_LIMIT: u64 = 2 * MIB as u64;
const GOVERNANCE_LIMIT: usize = TRACK_LIMIT as usize + RESOLVE_ENVELOPE_BYTES as usize;

const NOW: VerifyContext = VerifyContext {
    now_ms: u64::MAX / 2,
};

fn write_u32(out: &mut Vec<u8>, mut value: u32) {
    loop {
        let b = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// `module` with a custom section of `fill` bytes appended, about `total`
/// bytes in all: the same program, larger (a framework change with, say,
/// embedded data).
fn padded(module: &[u8], total: usize, fill: u8) -> Vec<u8> {
    let name = b"molt-test-padding";
    let mut contents = vec![name.len() as u8];
    contents.extend_from_slice(name);
    let room = total.saturating_sub(module.len() + contents.len() + 6);
    contents.resize(contents.len() + room, fill);
    let mut out = module.to_vec();
    out.push(0);
    write_u32(&mut out, contents.len() as u32);
    out.extend_from_slice(&contents);
    out
}

/// A payload upgrading `system` to its v2 padded to about `total` bytes.
fn big_upgrade(total: usize) -> (Vec<u8>, Vec<u8>) {
    let v2 = molt_build::example("framework_system_v2").unwrap();
    let module = padded(&v2, total, 0);
    let payload = encode_payload(vec![Action::UpgradePackage {
        package: SYSTEM_PACKAGE,
        module: module.clone(),
    }]);
    (payload, module)
}

/// The genesis chain of `governance.rs` after governance itself raised
/// what a large resolve needs: the track's payload limit (`set_track`,
/// through `CallAsGovernance`) and the VM's memory and module limits
/// (`SetParams`, in force from the epoch boundary `EndEpoch` starts).
fn large_chain() -> Gov {
    let g = chain();
    assert_eq!(g.c.rt.largest_transaction_bytes(), MAX_TRANSACTION_BYTES);
    let mut params = g.c.rt.params().unwrap();
    params.vm.max_memory_pages = 256;
    params.vm.max_module_size = 3 * MIB as u64;
    let setup = encode_payload(vec![
        Action::SetParams {
            params: encode(&params),
        },
        Action::EndEpoch,
        Action::CallAsGovernance {
            package: GOVERNANCE_PACKAGE,
            function: "set_track".into(),
            args: encode(&(1_000_000u64, 50u64, TRACK_LIMIT)),
        },
    ]);
    let id = g.propose(&setup);
    approve(&g, id);
    ok(&g.resolve(id, &setup));
    g.c.block(vec![]);
    assert_eq!(g.c.rt.params().unwrap(), params, "the new epoch's limits");
    assert_eq!(g.c.rt.largest_transaction_bytes(), GOVERNANCE_LIMIT);
    g
}

fn approve(g: &Gov, id: u64) {
    for v in 0..3 {
        ok(&g.vote(v, id, true));
    }
    assert_eq!(g.state(id), ACCEPTED);
}

/// A resolve of `payload` by `key`, with the largest gas budget.
fn resolve_by(g: &Gov, key: &SecretKey, seq: u64, id: u64, payload: &[u8]) -> SignedTransaction {
    g.c.tx_with(
        key,
        seq,
        500_000_000,
        call("resolve", encode(&(id, payload.to_vec()))),
    )
}

fn big_resolve(g: &Gov, id: u64, payload: &[u8]) -> SignedTransaction {
    let key = dev_key(1);
    let seq = g.c.rt.account(&key.address()).unwrap().sequence_number;
    resolve_by(g, &key, seq, id, payload)
}

fn next_ctx(g: &Gov) -> ProposeContext {
    ProposeContext {
        parent: g.c.rt.latest_block().unwrap().header.id(),
        proposer: g.c.proposer,
        timestamp_ms: 1_000 * (g.c.rt.height() + 1),
    }
}

/// A block on the latest one holding `txs` as a faulty or malicious leader
/// would send it (a proposed empty block with the transactions swapped in:
/// nothing pending here).
fn forged(g: &Gov, txs: Vec<SignedTransaction>) -> Block {
    let p = g.c.rt.propose(next_ctx(g), &[]).unwrap();
    g.c.rt.discard(&p.block.header.id());
    let mut block = p.block;
    block.transactions = txs;
    let ids: Vec<_> = block.transactions.iter().map(|t| t.id()).collect();
    block.header.transactions_root = transactions_root(&ids);
    block
}

/// Verifies `block` and requires the verdict `expected`, and that nothing
/// changed: same height, same state root, no pending block.
fn refused(g: &Gov, block: &Block, expected: InvalidBlock) {
    let before = g.c.rt.latest_block().unwrap().header;
    assert_eq!(
        g.c.rt.verify(NOW, block).unwrap(),
        Verdict::Invalid(expected)
    );
    let after = g.c.rt.latest_block().unwrap().header;
    assert_eq!(after, before);
    assert_eq!(
        g.c.rt.store().root(g.c.rt.height()).unwrap(),
        before.state_root
    );
    assert!(g.c.rt.pending_blocks().is_empty());
}

#[test]
fn an_approved_resolve_over_the_transaction_limit_is_admitted_included_and_resolves() {
    let g = large_chain();
    let (upgrade, module) = big_upgrade(3 * MIB / 2);
    let id = g.propose(&upgrade);
    let tx = big_resolve(&g, id, &upgrade);
    let len = tx.encode().len();
    assert!(
        len > MAX_TRANSACTION_BYTES && len <= GOVERNANCE_LIMIT,
        "{len}"
    );
    assert!(
        matches!(
            g.c.rt.check_transaction(&tx, len),
            Err(Rejection::ResolveNotApproved { .. })
        ),
        "proposed, not yet approved"
    );
    approve(&g, id);
    assert_eq!(StateMachine::check_transaction(&g.c.rt, &tx), Ok(()));

    // The leader includes it; a verifier (the same runtime, the pending
    // block discarded first so that it executes again) agrees.
    let p =
        g.c.rt
            .propose(next_ctx(&g), std::slice::from_ref(&tx))
            .unwrap();
    assert!(p.skipped.is_empty(), "{:?}", p.skipped);
    assert_eq!(p.block.transactions, vec![tx.clone()]);
    ok(&p.receipts[0]);
    let block = p.block;
    g.c.rt.discard(&block.header.id());
    assert_eq!(g.c.rt.verify(NOW, &block).unwrap(), Verdict::Valid);
    g.c.rt.finalize(&block.header.id()).unwrap();

    assert_eq!(g.state(id), EXECUTED);
    let pkg = g.c.rt.package(&SYSTEM_PACKAGE).unwrap().unwrap();
    assert_eq!((pkg.version, pkg.checksum), (2, sha3_256(&module)));
    let version: u64 = g.view(SYSTEM_PACKAGE, "framework_version", vec![]);
    assert_eq!(version, 2, "the padded v2 runs");

    // Resolved: its hash is no longer approved, so the same bytes are not
    // admitted again.
    let again = big_resolve(&g, id, &upgrade);
    assert!(matches!(
        g.c.rt.check_transaction(&again, again.encode().len()),
        Err(Rejection::ResolveNotApproved { .. })
    ));
}

#[test]
fn a_large_resolve_one_byte_different_is_refused_at_admission_and_makes_a_block_invalid() {
    let g = large_chain();
    let (good, _) = big_upgrade(3 * MIB / 2);
    let id = g.propose(&good);
    approve(&g, id);
    let mut tampered = good.clone();
    *tampered.last_mut().unwrap() ^= 1;
    let tx = big_resolve(&g, id, &tampered);
    let len = tx.encode().len();
    let why = g.c.rt.check_transaction(&tx, len).unwrap_err();
    assert_eq!(
        why,
        Rejection::ResolveNotApproved {
            size: len,
            limit: MAX_TRANSACTION_BYTES,
            governance_limit: GOVERNANCE_LIMIT,
            hash: sha3_256(&tampered),
        }
    );
    let message = why.to_string();
    assert!(
        message.contains("transaction limit of 1048576")
            && message.contains(&GOVERNANCE_LIMIT.to_string())
            && message.contains("not approved"),
        "{message}"
    );

    // The leader leaves it out...
    let p =
        g.c.rt
            .propose(next_ctx(&g), std::slice::from_ref(&tx))
            .unwrap();
    assert!(p.block.transactions.is_empty());
    assert_eq!(p.skipped, vec![(tx.id(), why.clone())]);
    g.c.rt.discard(&p.block.header.id());
    // ...and a block holding it anyway is invalid, before anything runs.
    let block = forged(&g, vec![tx.clone()]);
    refused(
        &g,
        &block,
        InvalidBlock::TransactionTooLarge {
            index: 0,
            id: tx.id(),
            reason: why,
        },
    );

    // The approved bytes still resolve.
    let b = g.c.block(vec![big_resolve(&g, id, &good)]);
    assert!(b.rejected.is_empty(), "{:?}", b.rejected);
    ok(&b.receipts[0]);
    assert_eq!(g.state(id), EXECUTED);
}

#[test]
fn a_transaction_over_the_limit_that_is_not_a_resolve_is_refused() {
    let g = large_chain();
    let (upgrade, module) = big_upgrade(3 * MIB / 2);
    let id = g.propose(&upgrade);
    approve(&g, id);
    let key = dev_key(2);
    let args = encode(&(id, upgrade.clone()));
    let mut trailing = args.clone();
    trailing.push(0);
    let not_resolves = [
        // A publish of a large module.
        TransactionPayload::Publish {
            module: module.clone(),
        },
        // `resolve`, approved bytes, but another package.
        TransactionPayload::Call {
            package: SYSTEM_PACKAGE,
            function: "resolve".into(),
            args: args.clone(),
            coin: 0,
        },
        // Governance, but another function.
        call("propose", args),
        // Governance's resolve with arguments that are not (id, payload).
        call("resolve", trailing),
    ];
    for payload in not_resolves {
        let tx = g.c.tx_with(&key, 0, 500_000_000, payload);
        let len = tx.encode().len();
        assert!(len > MAX_TRANSACTION_BYTES);
        let why = Rejection::TooLarge {
            size: len,
            limit: MAX_TRANSACTION_BYTES,
        };
        assert_eq!(g.c.rt.check_transaction(&tx, len), Err(why.clone()));
        assert_eq!(
            why.to_string(),
            format!("the transaction is {len} bytes, over the limit of 1048576")
        );
        let block = forged(&g, vec![tx.clone()]);
        refused(
            &g,
            &block,
            InvalidBlock::TransactionTooLarge {
                index: 0,
                id: tx.id(),
                reason: why,
            },
        );
    }
}

#[test]
fn an_approved_resolve_above_the_governance_limit_is_refused() {
    // At genesis the track's payload limit is 256 KiB: the governance limit
    // is below the transaction limit, so no resolve may exceed 1 MiB.
    let g = chain();
    let (upgrade, _) = big_upgrade(3 * MIB / 2);
    let id = g.propose(&upgrade);
    approve(&g, id);
    let tx = big_resolve(&g, id, &upgrade);
    let len = tx.encode().len();
    assert_eq!(
        g.c.rt.check_transaction(&tx, len),
        Err(Rejection::ResolveTooLarge {
            size: len,
            limit: MAX_TRANSACTION_BYTES,
            governance_limit: 256 * 1024 + RESOLVE_ENVELOPE_BYTES as usize,
        })
    );

    // Raised to 2 MiB: a resolve of 2 MiB of payload plus the envelope is
    // the most; one above it is refused, approved or not, at admission and
    // in a block.
    let g = large_chain();
    let (upgrade, _) = big_upgrade(TRACK_LIMIT as usize + 8 * 1024);
    let id = g.propose(&upgrade);
    approve(&g, id);
    let tx = big_resolve(&g, id, &upgrade);
    let len = tx.encode().len();
    assert!(len > GOVERNANCE_LIMIT);
    let why = Rejection::ResolveTooLarge {
        size: len,
        limit: MAX_TRANSACTION_BYTES,
        governance_limit: GOVERNANCE_LIMIT,
    };
    assert_eq!(g.c.rt.check_transaction(&tx, len), Err(why.clone()));
    assert!(
        why.to_string()
            .contains(&format!("governance limit of {GOVERNANCE_LIMIT} bytes")),
        "{why}"
    );
    let block = forged(&g, vec![tx.clone()]);
    refused(
        &g,
        &block,
        InvalidBlock::TransactionTooLarge {
            index: 0,
            id: tx.id(),
            reason: why,
        },
    );
}

/// The approval that counts is the one on the state before the block: a
/// step approved by the resolve just before it in the same block does not
/// let a large next step in; the next block does.
#[test]
fn a_large_step_approved_earlier_in_the_same_block_waits_for_the_next_block() {
    let g = large_chain();
    let (step2, module) = big_upgrade(3 * MIB / 2);
    let step1 = encode_payload(vec![
        Action::CallAsGovernance {
            package: SYSTEM_PACKAGE,
            function: "epoch".into(),
            args: vec![],
        },
        Action::NextStep {
            hash: sha3_256(&step2),
        },
    ]);
    let id = g.propose(&step1);
    approve(&g, id);
    let first = big_resolve(&g, id, &step1);
    let second = resolve_by(&g, &dev_key(2), 0, id, &step2);
    let why = Rejection::ResolveNotApproved {
        size: second.encode().len(),
        limit: MAX_TRANSACTION_BYTES,
        governance_limit: GOVERNANCE_LIMIT,
        hash: sha3_256(&step2),
    };

    let forged_block = forged(&g, vec![first.clone(), second.clone()]);
    refused(
        &g,
        &forged_block,
        InvalidBlock::TransactionTooLarge {
            index: 1,
            id: second.id(),
            reason: why.clone(),
        },
    );

    let b = g.c.block(vec![first, second.clone()]);
    ok(&b.receipts[0]);
    assert_eq!(b.block.transactions.len(), 1);
    assert_eq!(b.rejected, vec![(second.id(), why)]);
    let approved: Option<u64> = g.view(GOVERNANCE_PACKAGE, "approved", encode(&sha3_256(&step2)));
    assert_eq!(approved, Some(id));

    let b = g.c.block(vec![second]);
    assert!(b.rejected.is_empty(), "{:?}", b.rejected);
    ok(&b.receipts[0]);
    assert_eq!(g.state(id), EXECUTED);
    let pkg = g.c.rt.package(&SYSTEM_PACKAGE).unwrap().unwrap();
    assert_eq!(pkg.checksum, sha3_256(&module));
}
