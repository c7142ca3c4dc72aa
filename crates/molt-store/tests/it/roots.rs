//! Property tests: roots are a function of the state alone and match an
//! independent recomputation.

use proptest::collection::vec;
use proptest::prelude::*;

use molt_store::WriteBatch;

use crate::util::{Model, TempStore, apply, no_aux, reference_root};

/// Keys come from a small universe so that batches overwrite and delete
/// each other's keys.
pub fn key(i: u8) -> Vec<u8> {
    format!("key/{i}").into_bytes()
}

pub const UNIVERSE: u8 = 40;

/// 1..6 versions of 0..20 writes each; a fifth of the writes are deletes.
pub fn arb_batches() -> impl Strategy<Value = Vec<WriteBatch>> {
    let write = (
        0..UNIVERSE,
        prop::option::weighted(0.8, vec(any::<u8>(), 0..12)),
    );
    vec(vec(write, 0..20), 1..6).prop_map(|batches| {
        batches
            .into_iter()
            .map(|writes| writes.into_iter().map(|(k, v)| (key(k), v)).collect())
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn roots_match_the_reference_and_a_replay(batches in arb_batches()) {
        let t = TempStore::archive();
        let mut model = Model::new();
        let mut models = Vec::new();
        let mut roots = Vec::new();
        for (v, writes) in batches.iter().enumerate() {
            apply(&mut model, writes);
            let root = t.store.commit(v as u64, writes, &no_aux()).expect("commit");
            prop_assert_eq!(root, reference_root(&model), "version {}", v);
            roots.push(root);
            models.push(model.clone());
        }
        // Every historical read agrees with the model of its version.
        for (v, model) in models.iter().enumerate() {
            prop_assert_eq!(t.store.root(v as u64).expect("root"), roots[v]);
            for i in 0..UNIVERSE {
                let got = t.store.get_at(&key(i), v as u64).expect("get_at");
                prop_assert_eq!(got.as_ref(), model.get(&key(i)));
            }
        }
        let latest: Vec<(Vec<u8>, Vec<u8>)> = model.clone().into_iter().collect();
        prop_assert_eq!(t.store.iter_prefix(b"").expect("iter"), latest);

        // Replaying the same batches into a fresh store gives the same roots.
        let replay = TempStore::archive();
        for (v, writes) in batches.iter().enumerate() {
            let root = replay.store.commit(v as u64, writes, &no_aux()).expect("replay");
            prop_assert_eq!(root, roots[v]);
        }
    }

    #[test]
    fn root_is_independent_of_write_order_and_batching(
        (pairs, shuffled) in vec((vec(any::<u8>(), 0..8), vec(any::<u8>(), 0..8)), 0..30)
            .prop_map(|pairs| {
                let mut seen = std::collections::BTreeSet::new();
                pairs.into_iter().filter(|(k, _)| seen.insert(k.clone())).collect::<Vec<_>>()
            })
            .prop_flat_map(|pairs| (Just(pairs.clone()), Just(pairs).prop_shuffle())),
        split in any::<prop::sample::Index>(),
    ) {
        let one_batch = |pairs: &[(Vec<u8>, Vec<u8>)]| {
            let mut writes = WriteBatch::new();
            for (k, v) in pairs {
                writes.put(k.clone(), v.clone());
            }
            writes
        };
        let a = TempStore::archive();
        let root_a = a.store.commit(0, &one_batch(&pairs), &no_aux()).expect("commit");

        // The same writes in another order, split across two versions.
        let at = split.index(shuffled.len() + 1);
        let b = TempStore::archive();
        b.store.commit(0, &one_batch(&shuffled[..at]), &no_aux()).expect("commit");
        let root_b = b.store.commit(1, &one_batch(&shuffled[at..]), &no_aux()).expect("commit");
        prop_assert_eq!(root_a, root_b);

        let model: Model = pairs.into_iter().collect();
        prop_assert_eq!(root_a, reference_root(&model));
    }
}
