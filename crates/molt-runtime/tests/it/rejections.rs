//! Each bad transaction is refused with its own error and changes nothing.

use super::Chain;
use molt_runtime::*;
use molt_types::*;

fn transfer() -> TransactionPayload {
    TransactionPayload::Transfer {
        to: Address::reserved(9),
        amount: 1,
    }
}

fn assert_rejected(c: &Chain, tx: SignedTransaction, check: impl Fn(&Rejection) -> bool) {
    let before = c.rt.store().latest_root().unwrap();
    let admission = c.rt.check_transaction(&tx, tx.encode().len());
    let p = c.block(vec![tx]);
    assert!(p.receipts.is_empty());
    let why = &p.rejected[0].1;
    assert!(check(why), "unexpected rejection {why:?}");
    if let Err(e) = admission {
        assert!(check(&e), "admission said {e:?}");
    }
    assert!(p.block.transactions.is_empty());
    // The empty block changes no account.
    let a = c.rt.account(&dev_key(0).address()).unwrap();
    assert_eq!(a.balance, DEV_ACCOUNT_BALANCE);
    assert_ne!(before, None);
}

#[test]
fn bad_signature() {
    let c = Chain::new();
    let mut tx = c.tx(&dev_key(0), transfer());
    tx.signature.0[5] ^= 1;
    assert_rejected(&c, tx, |r| {
        matches!(r, Rejection::Malformed(TransactionError::Signature(_)))
    });
}

#[test]
fn key_not_owning_sender() {
    let c = Chain::new();
    let mut tx = c.tx(&dev_key(0), transfer());
    tx.transaction.sender = dev_key(1).address();
    let tx = tx.transaction.sign(&dev_key(0));
    assert_rejected(&c, tx, |r| {
        matches!(
            r,
            Rejection::Malformed(TransactionError::SenderMismatch { .. })
        )
    });
}

#[test]
fn wrong_chain_id() {
    let c = Chain::new();
    let mut tx = c.tx(&dev_key(0), transfer()).transaction;
    tx.chain_id = ChainId::new("other-chain").unwrap();
    assert_rejected(&c, tx.sign(&dev_key(0)), |r| {
        matches!(r, Rejection::WrongChain { .. })
    });
}

#[test]
fn replayed_sequence_number() {
    let c = Chain::new();
    let tx = c.tx(&dev_key(0), transfer());
    let p = c.block(vec![tx.clone()]);
    assert_eq!(p.receipts.len(), 1);
    let balance = c.rt.account(&dev_key(0).address()).unwrap().balance;
    let p = c.block(vec![tx]);
    assert!(matches!(
        p.rejected[0].1,
        Rejection::SequenceTooOld {
            expected: 1,
            found: 0
        }
    ));
    assert_eq!(
        c.rt.account(&dev_key(0).address()).unwrap().balance,
        balance
    );
}

#[test]
fn gas_budget_below_intrinsic_cost() {
    let c = Chain::new();
    let tx = c.tx_with(&dev_key(0), 0, 10, transfer());
    assert_rejected(&c, tx, |r| {
        matches!(r, Rejection::GasBudgetTooLow { budget: 10, .. })
    });
}

#[test]
fn balance_cannot_pay_the_budget() {
    let c = Chain::new();
    let poor = SecretKey::from_seed([77; 32]);
    let tx = c.tx_with(&poor, 0, 100_000, transfer());
    let p = c.block(vec![tx]);
    assert!(matches!(
        p.rejected[0].1,
        Rejection::CannotPayGas { balance: 0, .. }
    ));
}

#[test]
fn expired() {
    let c = Chain::new();
    let mut tx = c.tx(&dev_key(0), transfer()).transaction;
    tx.expiry_height = 0;
    assert_rejected(&c, tx.sign(&dev_key(0)), |r| {
        matches!(r, Rejection::Expired { .. })
    });
}

#[test]
fn oversized_and_malformed_bytes() {
    let bytes = vec![0u8; codec::limits::MAX_TRANSACTION_BYTES + 1];
    assert!(matches!(
        SignedTransaction::decode(&bytes),
        Err(TransactionError::Codec(CodecError::TooLarge { .. }))
    ));
    assert!(SignedTransaction::decode(&[1, 2, 3]).is_err());
}
