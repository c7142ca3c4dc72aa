//! The payload, its encoding and its execution hash.

use crate::action::Action;
use crate::error::PayloadError;
use alloc::string::ToString;
use alloc::vec::Vec;
use borsh::{BorshDeserialize, BorshSerialize};
use molt_types::{Digest, sha3_256};

/// The format version this crate writes and reads.
pub const FORMAT_VERSION: u16 = 1;

/// The most actions one payload (one step) may hold.
pub const MAX_ACTIONS: usize = 64;

/// SHA3-256 of a payload's bytes: what a proposal approves.
pub type ExecutionHash = Digest;

/// The execution hash of `bytes` (untagged SHA3-256, so a stock tool
/// recomputes it).
pub fn execution_hash(bytes: &[u8]) -> ExecutionHash {
    sha3_256(bytes)
}

/// A governance payload: an ordered list of actions.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Payload {
    /// [`FORMAT_VERSION`].
    pub format: u16,
    pub actions: Vec<Action>,
}

impl Payload {
    /// A version-1 payload of `actions`.
    pub fn new(actions: Vec<Action>) -> Self {
        Payload {
            format: FORMAT_VERSION,
            actions,
        }
    }

    /// The canonical bytes.
    pub fn encode(&self) -> Vec<u8> {
        molt_types::encode(self)
    }

    /// The execution hash of [`Self::encode`].
    pub fn execution_hash(&self) -> ExecutionHash {
        execution_hash(&self.encode())
    }

    /// The next step's hash, if this payload chains one.
    pub fn next_step(&self) -> Option<ExecutionHash> {
        match self.actions.last() {
            Some(Action::NextStep { hash }) => Some(*hash),
            _ => None,
        }
    }

    /// Decodes untrusted `bytes`, refusing more than `limit` bytes, and
    /// checks the payload's shape (module docs).
    pub fn decode(bytes: &[u8], limit: usize) -> Result<Self, PayloadError> {
        if bytes.len() > limit {
            return Err(PayloadError::TooLarge {
                size: bytes.len(),
                limit,
            });
        }
        // The format comes first, so an unknown format is reported as such,
        // not as whatever its actions fail to decode as.
        let mut rest = bytes;
        let format = u16::deserialize(&mut rest).map_err(|e| PayloadError::Malformed {
            reason: e.to_string(),
        })?;
        if format != FORMAT_VERSION {
            return Err(PayloadError::UnknownFormat {
                found: format,
                expected: FORMAT_VERSION,
            });
        }
        let payload: Payload =
            molt_types::decode("governance payload", bytes, limit).map_err(|e| {
                PayloadError::Malformed {
                    reason: e.to_string(),
                }
            })?;
        payload.check()?;
        Ok(payload)
    }

    /// The shape rules that the encoding alone does not enforce.
    pub fn check(&self) -> Result<(), PayloadError> {
        if self.format != FORMAT_VERSION {
            return Err(PayloadError::UnknownFormat {
                found: self.format,
                expected: FORMAT_VERSION,
            });
        }
        if self.actions.is_empty() {
            return Err(PayloadError::Empty);
        }
        if self.actions.len() > MAX_ACTIONS {
            return Err(PayloadError::TooManyActions {
                count: self.actions.len(),
                limit: MAX_ACTIONS,
            });
        }
        let last = self.actions.len() - 1;
        for (index, action) in self.actions.iter().enumerate() {
            if matches!(action, Action::NextStep { .. }) && index != last {
                return Err(PayloadError::NextStepNotLast { index });
            }
        }
        Ok(())
    }
}
