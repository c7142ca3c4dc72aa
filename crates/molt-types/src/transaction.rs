//! Transactions: what a sender asks the chain to do, signed.

use crate::address::Address;
use crate::chain::ChainId;
use crate::codec::{self, CodecError, limits};
use crate::crypto::{PublicKey, SecretKey, Signature, SignatureError};
use crate::digest::{Digest, sha3_256_tagged};
use borsh::{BorshDeserialize, BorshSerialize};
use std::string::String;
use std::vec::Vec;

/// A transaction id: SHA3-256 of the domain tag and the encoded
/// [`Transaction`] (not the signature, so the id is known before signing).
pub type TransactionId = Digest;

const SIGNING_TAG: &[u8] = b"molt/transaction/v1";

/// What a transaction does. Variants are appended, never reordered: the
/// variant index is part of the signed encoding.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum TransactionPayload {
    /// Move native coin from the sender to `to`.
    Transfer { to: Address, amount: u64 },
    /// Publish a new package: one Wasm module carrying its interface. Creates
    /// the package at version 1 and an `UpgradeCap` owned by the sender.
    Publish { module: Vec<u8> },
    /// Call an `entry` or `public` function. `package` is an original id (the
    /// latest version runs) or an exact package id; `args` is the canonical
    /// encoding of the parameter tuple. `coin` (0 for none) moves from the
    /// sender to the package's account (its original id) before the call
    /// runs, and back if the call fails; the program reads it with
    /// `molt_sdk::coin::attached`.
    Call {
        package: Address,
        function: String,
        args: Vec<u8>,
        coin: u64,
    },
    /// Upgrade package `package` (its original id) to `module`. The sender
    /// must hold the package's `UpgradeCap`, or `ticket` names a call to the
    /// program that holds it, which must authorize exactly this module's
    /// checksum before the upgrade runs.
    Upgrade {
        package: Address,
        module: Vec<u8>,
        ticket: Option<TicketCall>,
    },
    /// Tighten the policy of an `UpgradeCap` the sender holds.
    RestrictUpgradePolicy {
        cap: Address,
        policy: crate::UpgradePolicy,
    },
    /// Destroy an `UpgradeCap` the sender holds: the package becomes immutable.
    MakeImmutable { cap: Address },
    /// Give an `UpgradeCap` to another account, a multisig or a program.
    TransferUpgradeCap { cap: Address, to: Address },
}

/// The call that obtains an upgrade ticket from a program holding the cap.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct TicketCall {
    pub package: Address,
    pub function: String,
    pub args: Vec<u8>,
}

/// An unsigned transaction.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Transaction {
    pub chain_id: ChainId,
    pub sender: Address,
    /// Must equal the sender's next sequence number; each value is usable once.
    pub sequence_number: u64,
    /// The most gas units the sender will pay for.
    pub gas_budget: u64,
    /// Coin per gas unit.
    pub gas_price: u64,
    /// The last block height at which the transaction may be included.
    pub expiry_height: u64,
    pub payload: TransactionPayload,
}

/// A transaction with the sender's public key and signature.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct SignedTransaction {
    pub transaction: Transaction,
    pub public_key: PublicKey,
    pub signature: Signature,
}

/// Why a signed transaction is not well formed on its own (before any state
/// is consulted).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransactionError {
    #[error(transparent)]
    Codec(#[from] CodecError),
    #[error("the public key belongs to {key_address}, but the transaction's sender is {sender}")]
    SenderMismatch {
        sender: Address,
        key_address: Address,
    },
    #[error("bad signature: {0}")]
    Signature(#[from] SignatureError),
}

impl Transaction {
    /// The bytes that are signed: a domain tag and the canonical encoding.
    pub fn signing_message(&self) -> Vec<u8> {
        let mut msg = SIGNING_TAG.to_vec();
        msg.extend_from_slice(&codec::encode(self));
        msg
    }

    pub fn id(&self) -> TransactionId {
        sha3_256_tagged(SIGNING_TAG, &codec::encode(self))
    }

    /// Signs with `key`. The sender field is not changed; a key that does not
    /// own the sender address produces a transaction that fails [`SignedTransaction::verify`].
    pub fn sign(self, key: &SecretKey) -> SignedTransaction {
        let signature = key.sign(&self.signing_message());
        SignedTransaction {
            transaction: self,
            public_key: key.public_key(),
            signature,
        }
    }
}

impl SignedTransaction {
    pub fn id(&self) -> TransactionId {
        self.transaction.id()
    }

    /// Checks that the key owns the sender address and that the signature
    /// verifies. State checks (sequence, balance) are the runtime's.
    pub fn verify(&self) -> Result<(), TransactionError> {
        let key_address = self.public_key.address();
        if key_address != self.transaction.sender {
            return Err(TransactionError::SenderMismatch {
                sender: self.transaction.sender,
                key_address,
            });
        }
        self.public_key
            .verify(&self.transaction.signing_message(), &self.signature)?;
        Ok(())
    }

    /// Decodes untrusted bytes (from RPC or the network) with the transaction
    /// size limit. Does not verify the signature.
    pub fn decode(bytes: &[u8]) -> Result<Self, TransactionError> {
        Ok(codec::decode(
            "signed transaction",
            bytes,
            limits::MAX_TRANSACTION_BYTES,
        )?)
    }

    /// [`SignedTransaction::decode`] up to
    /// [`limits::MAX_RESOLVE_TRANSACTION_BYTES`]: for inputs that may hold
    /// a large governance resolve, whose size the runtime then judges.
    pub fn decode_large(bytes: &[u8]) -> Result<Self, TransactionError> {
        Ok(codec::decode(
            "signed transaction",
            bytes,
            limits::MAX_RESOLVE_TRANSACTION_BYTES,
        )?)
    }

    pub fn encode(&self) -> Vec<u8> {
        codec::encode(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(key: &SecretKey) -> Transaction {
        Transaction {
            chain_id: ChainId::dev(),
            sender: key.address(),
            sequence_number: 0,
            gas_budget: 10_000,
            gas_price: 1,
            expiry_height: 100,
            payload: TransactionPayload::Transfer {
                to: Address::reserved(9),
                amount: 5,
            },
        }
    }

    #[test]
    fn signed_transaction_verifies_and_round_trips() {
        let key = SecretKey::from_seed([1; 32]);
        let signed = sample(&key).sign(&key);
        signed.verify().unwrap();
        assert_eq!(SignedTransaction::decode(&signed.encode()).unwrap(), signed);
    }

    #[test]
    fn tampering_breaks_the_signature() {
        let key = SecretKey::from_seed([1; 32]);
        let mut signed = sample(&key).sign(&key);
        signed.transaction.sequence_number = 1;
        assert!(matches!(
            signed.verify(),
            Err(TransactionError::Signature(SignatureError::Mismatch))
        ));
    }

    #[test]
    fn wrong_key_for_sender_is_rejected() {
        let key = SecretKey::from_seed([1; 32]);
        let other = SecretKey::from_seed([2; 32]);
        let signed = sample(&key).sign(&other);
        assert!(matches!(
            signed.verify(),
            Err(TransactionError::SenderMismatch { .. })
        ));
    }

    #[test]
    fn id_ignores_signature_but_not_body() {
        let key = SecretKey::from_seed([1; 32]);
        let tx = sample(&key);
        let a = tx.clone().sign(&key);
        let mut b = a.clone();
        b.signature.0[0] ^= 1;
        assert_eq!(a.id(), b.id());
        let mut tx2 = tx;
        tx2.gas_price = 2;
        assert_ne!(tx2.id(), a.id());
    }
}
