//! Property test: random write sets prepared as random trees of pending
//! blocks (chains and forks) have the roots and the state that committing
//! each block's chain one by one on an independent store gives; applying
//! one branch leaves exactly that branch, and every other block is refused.
//!
//! Reseed with `PROPTEST_RNG_SEED=<u64>`; a failing case is also saved
//! under `proptest-regressions/` and replayed first.

use proptest::collection::vec;
use proptest::prelude::*;

use molt_store::{AuxBatch, PreparedBlock, StoreError, WriteBatch};

use crate::util::{Model, TempStore, apply, no_aux, reference_root};

/// 30 keys under three prefixes, one a prefix of another ("a/", "ab/").
fn key(i: u8) -> Vec<u8> {
    let prefix = ["a/", "ab/", "b/"][usize::from(i % 3)];
    format!("{prefix}{i}").into_bytes()
}

const UNIVERSE: u8 = 30;
const PREFIXES: [&str; 5] = ["", "a", "a/", "ab/", "b/"];

fn arb_writes() -> impl Strategy<Value = WriteBatch> {
    let write = (
        0..UNIVERSE,
        prop::option::weighted(0.7, vec(any::<u8>(), 0..10)),
    );
    vec(write, 0..16).prop_map(|writes| writes.into_iter().map(|(k, v)| (key(k), v)).collect())
}

/// Genesis, then 1..8 blocks, each with the index of its parent among the
/// committed genesis (0) and the blocks before it (1..).
fn arb_tree() -> impl Strategy<Value = (WriteBatch, Vec<(prop::sample::Index, WriteBatch)>)> {
    (
        arb_writes(),
        vec((any::<prop::sample::Index>(), arb_writes()), 1..8),
    )
}

struct Node {
    block: PreparedBlock,
    /// Indices of the blocks from the first pending one to this one.
    path: Vec<usize>,
    model: Model,
    has_children: bool,
}

fn check_reads(
    view: &molt_store::PendingView,
    model: &Model,
    ctx: &str,
) -> Result<(), TestCaseError> {
    for i in 0..UNIVERSE {
        let got = view.get(&key(i)).expect("get");
        prop_assert_eq!(got.as_ref(), model.get(&key(i)), "{}: key {}", ctx, i);
    }
    for prefix in PREFIXES {
        let want: Vec<(Vec<u8>, Vec<u8>)> = model
            .iter()
            .filter(|(k, _)| k.starts_with(prefix.as_bytes()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        prop_assert_eq!(
            &view.iter_prefix(prefix.as_bytes()).expect("iterate"),
            &want,
            "{}: prefix {:?}",
            ctx,
            prefix
        );
        let mut paged = Vec::new();
        let mut after: Option<Vec<u8>> = None;
        loop {
            let page = view
                .iter_prefix_page(prefix.as_bytes(), after.as_deref(), 3)
                .expect("page");
            let Some(last) = page.last().map(|(k, _)| k.clone()) else {
                break;
            };
            paged.extend(page);
            after = Some(last);
        }
        prop_assert_eq!(&paged, &want, "{}: pages of {:?}", ctx, prefix);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn pending_trees_match_sequential_commits_on_independent_stores(
        (genesis, specs) in arb_tree(),
        leaf_pick in any::<prop::sample::Index>(),
    ) {
        let t = TempStore::archive();
        t.store.commit(0, &genesis, &no_aux()).expect("genesis");
        let mut genesis_model = Model::new();
        apply(&mut genesis_model, &genesis);

        let mut nodes: Vec<Node> = Vec::new();
        for (i, (parent_pick, writes)) in specs.iter().enumerate() {
            let parent = parent_pick.index(i + 1).checked_sub(1);
            let (block, mut path, mut model) = match parent {
                None => (
                    t.store.prepare(1, writes.clone()).expect("prepare"),
                    Vec::new(),
                    genesis_model.clone(),
                ),
                Some(p) => {
                    nodes[p].has_children = true;
                    (
                        t.store.prepare_child(&nodes[p].block, writes.clone()).expect("prepare child"),
                        nodes[p].path.clone(),
                        nodes[p].model.clone(),
                    )
                }
            };
            path.push(i);
            apply(&mut model, writes);
            prop_assert_eq!(block.version(), path.len() as u64);
            prop_assert_eq!(block.root(), reference_root(&model), "block {}", i);
            let view = t.store.view(&block).expect("view");
            prop_assert_eq!(view.pending_depth(), path.len());
            check_reads(&view, &model, &format!("block {i} on path {path:?}"))?;
            nodes.push(Node { block, path, model, has_children: false });
        }
        // Nothing was written.
        prop_assert_eq!(t.store.latest_version(), Some(0));

        // Each block's root is the root of committing its chain one by one
        // on a store that shares nothing with `t`.
        let mut independent = Vec::new();
        for (i, node) in nodes.iter().enumerate() {
            let other = TempStore::archive();
            other.store.commit(0, &genesis, &no_aux()).expect("genesis");
            let mut root = None;
            for (v, &b) in node.path.iter().enumerate() {
                root = Some(other.store.commit(v as u64 + 1, &specs[b].1, &no_aux()).expect("commit"));
            }
            prop_assert_eq!(root, Some(node.block.root()), "block {} on path {:?}", i, node.path);
            independent.push(other);
        }

        // Finalize one branch in order.
        let leaves: Vec<usize> = (0..nodes.len()).filter(|&i| !nodes[i].has_children).collect();
        let leaf = leaves[leaf_pick.index(leaves.len())];
        for (v, &b) in nodes[leaf].path.iter().enumerate() {
            let root = t.store.apply(&nodes[b].block, |_| AuxBatch::new()).expect("apply");
            prop_assert_eq!(root, nodes[b].block.root());
            prop_assert_eq!(t.store.latest_version(), Some(v as u64 + 1));
        }
        let other = &independent[leaf].store;
        prop_assert_eq!(t.store.stats().expect("stats"), other.stats().expect("stats"));
        let want: Vec<(Vec<u8>, Vec<u8>)> = nodes[leaf].model.clone().into_iter().collect();
        prop_assert_eq!(t.store.iter_prefix(b"").expect("iterate"), want);
        let latest = nodes[leaf].path.len() as u64;
        for v in 0..=latest {
            prop_assert_eq!(t.store.root(v).expect("root"), other.root(v).expect("root"));
        }

        // Every block off the branch is refused, and changes nothing.
        for (i, node) in nodes.iter().enumerate() {
            if nodes[leaf].path.contains(&i) {
                continue;
            }
            let refused = t.store.apply(&node.block, |_| AuxBatch::new());
            prop_assert!(
                matches!(refused, Err(StoreError::BranchDiscarded { .. })),
                "block {} on path {:?}: {:?}", i, node.path, refused
            );
        }
        prop_assert_eq!(t.store.latest_version(), Some(latest));
        prop_assert_eq!(t.store.root(latest).expect("root"), nodes[leaf].block.root());
    }
}
