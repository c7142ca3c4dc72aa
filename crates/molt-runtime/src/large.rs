//! Large resolve transactions (DESIGN.md 3, docs/framework.md "Large
//! resolve transactions", docs/decisions/0140-large-resolve-limit.md).
//!
//! A transaction is at most [`MAX_TRANSACTION_BYTES`] (1 MiB) encoded, with
//! one exception: a governance resolve may be larger, up to the *governance
//! limit*, when the payload it carries is already approved. Exactly:
//!
//! 1. its payload is `Call { package: 0x2, function: "resolve", args }`,
//!    addressed to governance's original id `0x2`, and `args` is exactly
//!    `borsh((u64, Vec<u8>))` (the proposal id and the payload bytes);
//! 2. its encoded size is at most the governance limit:
//!    `min(track.max_payload_bytes + RESOLVE_ENVELOPE_BYTES,
//!    params.max_block_bytes, MAX_RESOLVE_TRANSACTION_BYTES)`, where `track`
//!    is governance's own track parameter (its storage item `track`, which
//!    only governance changes, with `set_track`) and `params` the chain
//!    parameters the block is held to;
//! 3. the SHA3-256 of the payload bytes is an approved execution hash: a key
//!    of governance's `approved` map ([`crate::approved_hash_key`]).
//!
//! Everything is read from **the state before the block**: the parent's
//! state, the same for the proposer, every verifier and (for the next block)
//! the mempool. A hash approved, or un-approved, by a transaction earlier in
//! the same block does not count until the next block. Nothing here depends
//! on a clock, on iteration order or on floating point.
//!
//! Otherwise a transaction over 1 MiB is refused: [`Rejection::TooLarge`]
//! (not a resolve), [`Rejection::ResolveTooLarge`] (over the governance
//! limit) or [`Rejection::ResolveNotApproved`]; in a block, that is
//! [`crate::InvalidBlock::TransactionTooLarge`].
//!
//! The rule only decides whether the transaction may be *included*. What the
//! resolve then does is governance's: it still checks the proposal, the
//! height, the hash and the proposal's own payload limit, and a failure is a
//! receipt like any other.

use crate::error::{Rejection, RuntimeError};
use crate::framework::{GOVERNANCE_PACKAGE, approved_hash_key};
use crate::overlay::Overlay;
use crate::params::ChainParams;
use molt_types::codec::limits::{MAX_RESOLVE_TRANSACTION_BYTES, MAX_TRANSACTION_BYTES};
use molt_types::{SignedTransaction, TransactionPayload, codec, sha3_256};

/// What a large resolve may carry besides its payload bytes: the signed
/// transaction's other fields (chain id up to 32 bytes, sender, sequence,
/// gas, expiry, the call's package and function name, the proposal id, the
/// length prefixes, the key and the signature) take under 300 bytes; the
/// allowance is fixed and generous.
pub const RESOLVE_ENVELOPE_BYTES: u64 = 4096;

/// Governance's name for its function that runs a payload.
const RESOLVE_FUNCTION: &str = "resolve";
/// Governance's storage item holding its track (`TRACK: Item<TrackParams>`).
const TRACK_ITEM: &[u8] = b"track";

/// The state key of governance's track parameters.
fn track_key() -> Vec<u8> {
    crate::state::data_key(&GOVERNANCE_PACKAGE, TRACK_ITEM)
}

/// Governance's track parameters, as its `TrackParams` lays them out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Track {
    /// The coin a proposal must attach.
    pub(crate) deposit: u64,
    pub(crate) max_payload_bytes: u64,
}

/// Governance's track on `state`; `None` for a chain without the framework
/// or a track that does not decode.
pub(crate) fn governance_track(state: &Overlay<'_>) -> Result<Option<Track>, RuntimeError> {
    let Some(bytes) = state.get(&track_key())? else {
        return Ok(None);
    };
    // `TrackParams { deposit, voting_period_blocks, max_payload_bytes }`;
    // the compatibility checker keeps a storage item's type across
    // governance upgrades (E0303), so this layout holds.
    Ok(
        codec::decode::<(u64, u64, u64)>("governance track", &bytes, 24)
            .ok()
            .map(|(deposit, _period, max_payload_bytes)| Track {
                deposit,
                max_payload_bytes,
            }),
    )
}

/// The governance limit on `state`: the largest an approved resolve may be
/// (see the module doc). When governance holds no track (a chain without the
/// framework) or one that does not decode, it is 0: no exception.
pub(crate) fn governance_limit(
    state: &Overlay<'_>,
    params: &ChainParams,
) -> Result<usize, RuntimeError> {
    let Some(track) = governance_track(state)? else {
        return Ok(0);
    };
    let limit = track
        .max_payload_bytes
        .saturating_add(RESOLVE_ENVELOPE_BYTES)
        .min(params.max_block_bytes)
        .min(MAX_RESOLVE_TRANSACTION_BYTES as u64);
    Ok(usize::try_from(limit).unwrap_or(MAX_RESOLVE_TRANSACTION_BYTES))
}

/// The payload bytes of a resolve's arguments, `borsh((u64, Vec<u8>))`
/// exactly (no trailing bytes).
fn resolve_payload(args: &[u8]) -> Option<&[u8]> {
    let rest = args.get(8..)?;
    let (len, payload) = rest.split_at_checked(4)?;
    let n = u32::from_le_bytes(len.try_into().ok()?) as usize;
    (payload.len() == n).then_some(payload)
}

/// May `tx` (`encoded_len` bytes) be included, as far as its size goes, in
/// a block executing on `before_block` under `params`? `Err`: a failure to
/// read the node's own state.
pub(crate) fn check_size(
    before_block: &Overlay<'_>,
    params: &ChainParams,
    tx: &SignedTransaction,
    encoded_len: usize,
) -> Result<Result<(), Rejection>, RuntimeError> {
    let limit = MAX_TRANSACTION_BYTES;
    if encoded_len <= limit {
        return Ok(Ok(()));
    }
    let too_large = Rejection::TooLarge {
        size: encoded_len,
        limit,
    };
    let TransactionPayload::Call {
        package,
        function,
        args,
        ..
    } = &tx.transaction.payload
    else {
        return Ok(Err(too_large));
    };
    if *package != GOVERNANCE_PACKAGE || function != RESOLVE_FUNCTION {
        return Ok(Err(too_large));
    }
    let Some(payload) = resolve_payload(args) else {
        return Ok(Err(too_large));
    };
    let governance_limit = governance_limit(before_block, params)?;
    if encoded_len > governance_limit {
        return Ok(Err(Rejection::ResolveTooLarge {
            size: encoded_len,
            limit,
            governance_limit,
        }));
    }
    let hash = sha3_256(payload);
    if before_block.get(&approved_hash_key(&hash))?.is_none() {
        return Ok(Err(Rejection::ResolveNotApproved {
            size: encoded_len,
            limit,
            governance_limit,
            hash,
        }));
    }
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::resolve_payload;

    #[test]
    fn resolve_arguments_are_parsed_as_borsh_exactly() {
        let args = molt_types::codec::encode(&(7u64, vec![1u8, 2, 3]));
        assert_eq!(resolve_payload(&args), Some(&[1u8, 2, 3][..]));
        let mut trailing = args.clone();
        trailing.push(0);
        assert_eq!(resolve_payload(&trailing), None);
        assert_eq!(resolve_payload(&args[..args.len() - 1]), None);
        assert_eq!(resolve_payload(&args[..10]), None);
        assert_eq!(resolve_payload(&[]), None);
    }
}
