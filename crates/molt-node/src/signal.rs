//! The proposer's signal (docs/canonical-deployments.md): the execution
//! hash this validator's blocks signal for in the `signalling` framework
//! package (`0x4`), the standard entry to the stakeholders' track.
//!
//! A validator sets it in its configuration (`molt node --signal HASH`) or
//! at run time through the admin endpoint (`molt gov signal`); it lasts
//! until cleared or the node restarts with another setting. Whenever this
//! node proposes a block, it appends one transaction of its own: a call of
//! `signalling::signal(hash)` signed with the validator key, numbered on
//! the parent's state after the block's other transactions from the same
//! account. The package accepts it only from the block's proposer and once
//! per block, so the signal rides only in blocks this validator proposes.
//!
//! The call pays gas like any transaction (the validator's account needs
//! coin for its budget; the fee goes to the block's proposer, itself). A
//! signal that cannot be included (no coin, a gap in the account's own
//! transactions) is skipped like any candidate: the block goes on without
//! it, and the skip is logged.

use molt_runtime::{Runtime, SIGNALLING_PACKAGE};
use molt_types::{BlockId, Digest, SecretKey, SignedTransaction, Transaction, TransactionPayload};

/// The gas budget of a signal: a few storage writes and one event.
pub const SIGNAL_GAS_BUDGET: u64 = 2_000_000;

/// Blocks after the parent's height during which a signal may be included.
const SIGNAL_EXPIRY_BLOCKS: u64 = 8;

/// The transaction that signals `hash` in the child of `parent`, after
/// `before` (the block's other candidates): `None` if the parent is unknown
/// or the state cannot be read (the block is then proposed without it).
pub(crate) fn signal_transaction(
    runtime: &Runtime,
    key: &SecretKey,
    parent: &BlockId,
    hash: Digest,
    before: &[SignedTransaction],
) -> Option<SignedTransaction> {
    let sender = key.address();
    let (header, account) = match runtime.account_after(parent, &sender) {
        Ok(Some(found)) => found,
        Ok(None) => return None,
        Err(e) => {
            tracing::warn!("no signal in this block: the parent's state could not be read: {e}");
            return None;
        }
    };
    let params = runtime.params().ok()?;
    // The account's own candidates come first, in sequence from the parent.
    let mut sequence = account.sequence_number;
    for tx in before {
        if tx.transaction.sender == sender && tx.transaction.sequence_number == sequence {
            sequence += 1;
        }
    }
    Some(
        Transaction {
            chain_id: runtime.chain_id().clone(),
            sender,
            sequence_number: sequence,
            gas_budget: SIGNAL_GAS_BUDGET.min(params.max_gas_budget),
            gas_price: params.min_gas_price,
            expiry_height: header.height.saturating_add(SIGNAL_EXPIRY_BLOCKS),
            payload: TransactionPayload::Call {
                package: SIGNALLING_PACKAGE,
                function: "signal".into(),
                args: molt_types::encode(&hash),
                coin: 0,
            },
        }
        .sign(key),
    )
}
