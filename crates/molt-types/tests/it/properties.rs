//! Codec properties: round trips, and no panics on hostile bytes.

use molt_types::codec::limits;
use molt_types::*;
use proptest::prelude::*;

fn arb_address() -> impl Strategy<Value = Address> {
    any::<[u8; 32]>().prop_map(Address)
}

fn arb_payload() -> impl Strategy<Value = TransactionPayload> {
    prop_oneof![
        (arb_address(), any::<u64>())
            .prop_map(|(to, amount)| TransactionPayload::Transfer { to, amount }),
        prop::collection::vec(any::<u8>(), 0..256)
            .prop_map(|module| TransactionPayload::Publish { module }),
        (
            arb_address(),
            "[a-z_]{1,16}",
            prop::collection::vec(any::<u8>(), 0..64),
            any::<u64>()
        )
            .prop_map(|(package, function, args, coin)| TransactionPayload::Call {
                package,
                function,
                args,
                coin,
            }),
    ]
}

fn arb_transaction() -> impl Strategy<Value = Transaction> {
    (
        "[a-z0-9-]{1,32}",
        arb_address(),
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
        arb_payload(),
    )
        .prop_map(
            |(chain, sender, seq, budget, price, expiry, payload)| Transaction {
                chain_id: ChainId::new(&chain).unwrap(),
                sender,
                sequence_number: seq,
                gas_budget: budget,
                gas_price: price,
                expiry_height: expiry,
                payload,
            },
        )
}

fn arb_receipt() -> impl Strategy<Value = Receipt> {
    let status = prop_oneof![
        Just(ExecutionStatus::Success),
        any::<u64>()
            .prop_map(|budget| ExecutionStatus::Failure(FailureReason::OutOfGas { budget })),
        (any::<u32>(), ".{0,40}").prop_map(|(code, message)| {
            ExecutionStatus::Failure(FailureReason::Aborted { code, message })
        }),
    ];
    let event = (
        arb_address(),
        "[A-Za-z]{1,20}",
        prop::collection::vec(any::<u8>(), 0..64),
    )
        .prop_map(|(emitter, name, data)| Event {
            emitter,
            name,
            data,
        });
    (
        any::<[u8; 32]>(),
        status,
        any::<u64>(),
        prop::collection::vec(event, 0..4),
    )
        .prop_map(|(id, status, gas_used, events)| Receipt {
            transaction_id: Digest(id),
            status,
            gas_used,
            events,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn signed_transaction_round_trips(tx in arb_transaction(), seed in any::<[u8; 32]>()) {
        let key = SecretKey::from_seed(seed);
        let signed = tx.sign(&key);
        let bytes = signed.encode();
        prop_assert_eq!(SignedTransaction::decode(&bytes).unwrap(), signed);
    }

    #[test]
    fn receipt_round_trips(receipt in arb_receipt()) {
        let bytes = encode(&receipt);
        prop_assert_eq!(decode::<Receipt>("receipt", &bytes, limits::MAX_RECEIPT_BYTES).unwrap(), receipt);
    }

    #[test]
    fn address_text_round_trips(addr in arb_address()) {
        prop_assert_eq!(addr.to_string().parse::<Address>().unwrap(), addr);
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = SignedTransaction::decode(&bytes);
        let _ = BlockHeader::decode(&bytes);
        let _ = Block::decode(&bytes);
        let _ = decode::<Receipt>("receipt", &bytes, limits::MAX_RECEIPT_BYTES);
    }

    #[test]
    fn every_truncation_is_an_error(tx in arb_transaction(), cut in any::<prop::sample::Index>()) {
        let key = SecretKey::from_seed([5; 32]);
        let bytes = tx.sign(&key).encode();
        let len = cut.index(bytes.len());
        prop_assert!(SignedTransaction::decode(&bytes[..len]).is_err());
    }

    #[test]
    fn flipped_bit_never_verifies_as_same_transaction(tx in arb_transaction(), pos in any::<prop::sample::Index>(), bit in 0u8..8) {
        let key = SecretKey::from_seed([6; 32]);
        let signed = Transaction { sender: key.address(), ..tx }.sign(&key);
        let mut bytes = signed.encode();
        let i = pos.index(bytes.len());
        bytes[i] ^= 1 << bit;
        // Either it no longer decodes, or it decodes to something whose signature fails.
        if let Ok(decoded) = SignedTransaction::decode(&bytes) {
            prop_assert!(decoded.verify().is_err());
        }
    }
}

#[test]
fn oversized_transaction_is_rejected_before_decoding() {
    let bytes = vec![0u8; limits::MAX_TRANSACTION_BYTES + 1];
    assert!(matches!(
        SignedTransaction::decode(&bytes),
        Err(TransactionError::Codec(CodecError::TooLarge { .. }))
    ));
}
