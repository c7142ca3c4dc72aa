//! A [`Query`] answers from one pinned committed state: blocks committed
//! after it was taken change none of its answers, and every answer it gives
//! agrees with the others about that height.

use crate::Chain;
use molt_runtime::*;
use molt_store::StateProof;
use molt_types::*;

fn count_of(view: &[u8]) -> u64 {
    u64::from_le_bytes(view[..8].try_into().unwrap())
}

#[test]
fn a_query_keeps_answering_at_its_height_while_blocks_commit() {
    let chain = Chain::new();
    let key = dev_key(0);
    let pkg = chain.publish(&key, "counter_v1");
    let increment = || TransactionPayload::Call {
        package: pkg,
        function: "increment".into(),
        args: vec![],
        coin: 0,
    };
    chain.run(&key, increment());

    let q = chain.rt.query().unwrap();
    let h = q.height();
    assert_eq!(h, chain.rt.height());
    let balance = q.account(&key.address()).unwrap().balance;
    assert_eq!(count_of(&q.view(&pkg, "get", &[], 1_000_000).unwrap().0), 1);

    // Three more blocks commit while the query lives.
    for _ in 0..3 {
        chain.run(&key, increment());
    }
    assert_eq!(chain.rt.height(), h + 3);
    assert_eq!(
        count_of(&chain.rt.view(&pkg, "get", &[], 1_000_000).unwrap().0),
        4
    );

    // The query still sees height h, whole.
    assert_eq!(q.height(), h);
    assert_eq!(q.latest_block().unwrap().header.height, h);
    assert!(
        q.block(h + 1).unwrap().is_none(),
        "a later block is not seen"
    );
    assert_eq!(count_of(&q.view(&pkg, "get", &[], 1_000_000).unwrap().0), 1);
    assert_eq!(q.account(&key.address()).unwrap().balance, balance);
    let proven = q.storage_with_proof(&pkg, b"state", None).unwrap().unwrap();
    assert_eq!(proven.version, h);
    assert_eq!(
        proven.state_root,
        q.latest_block().unwrap().header.state_root
    );
    assert_eq!(count_of(proven.value.as_deref().unwrap()), 1);
    let proof = StateProof::decode(&proven.proof.to_bytes()).unwrap();
    proof
        .verify(
            proven.state_root,
            &proven.state_key,
            proven.value.as_deref(),
        )
        .unwrap();
    assert!(matches!(
        q.storage_with_proof(&pkg, b"state", Some(h + 1)),
        Err(StorageQueryError::FutureVersion { version, height }) if version == h + 1 && height == h
    ));

    // A fresh query sees the new height.
    let now = chain.rt.query().unwrap();
    assert_eq!(now.height(), h + 3);
    let latest = now
        .storage_with_proof(&pkg, b"state", None)
        .unwrap()
        .unwrap();
    assert_eq!(count_of(latest.value.as_deref().unwrap()), 4);
    assert_eq!(
        latest.state_root,
        now.latest_block().unwrap().header.state_root
    );
}
