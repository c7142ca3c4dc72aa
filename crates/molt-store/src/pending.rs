//! Pending blocks: state roots computed on a parent that is not final, kept
//! in memory until they are applied or dropped.
//!
//! A [`PreparedBlock`] is one version's write set, the state root it
//! produces and the tree nodes that persisting it needs. Its parent is the
//! latest committed version or another prepared block, so pending blocks
//! form chains, and siblings (blocks on one parent) form forks. Each
//! prepared block is one immutable layer:
//!
//! ```text
//!   committed (redb) ── v ─┬─ layer v+1 ── layer v+2      one branch
//!                          └─ layer v+1'                  a sibling
//! ```
//!
//! - Tree nodes are keyed by version, so a layer's new nodes never collide
//!   with committed nodes (all at versions `<= v`) nor with other layers of
//!   its chain; preparing on a chain reads a node from the layer of its
//!   version, else from the committed tree.
//! - Reads of a pending state ([`PendingView`]) layer the writes of the
//!   pending part of the chain, newest first, over the committed state.
//! - Only [`Store::apply`](crate::Store::apply) writes anything, and only a
//!   block whose parent is the latest committed version (the committed
//!   version itself, or an applied block): applying in chain order gives
//!   exactly the database that committing the same write sets one by one
//!   gives. A block whose branch lost (a sibling of it or of an ancestor was
//!   applied) is refused with [`StoreError::BranchDiscarded`].
//!
//! # Which layers are pending
//!
//! Whether a layer is still pending is decided against one committed
//! version `L`, read in the same redb transaction as the committed state the
//! layers are placed over: walking down from a block, layers above `L` are
//! pending; the layer at `L` must be the one that was applied (else the
//! branch is discarded) and ends the walk. A layer is marked as applied
//! before its commit becomes visible and unmarked if the commit fails, so a
//! reader that sees version `L` committed also sees the mark of the layer
//! that committed it. The walk also cuts the link from the first pending
//! layer to an applied parent, so a long-running chain does not keep every
//! finalized block in memory.

use std::fmt;
use std::ops::Bound;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::bail;
use jmt::storage::{LeafNode, Node, NodeKey, TreeReader, TreeUpdateBatch};
use jmt::{KeyHash, OwnedValue, RootHash, Version};
use molt_types::Digest;

use crate::batch::WriteBatch;
use crate::error::{Result, StoreError};
use crate::read::StateRead;
use crate::schema;
use crate::snapshot::{Snapshot, scan_start};
use crate::store::Entries;
use crate::tree::{self, TreeSnapshot};

/// Layer states. `COMMITTING` is set under the store's writer lock just
/// before the commit that applies the layer and becomes `APPLIED` or goes
/// back to `PENDING` when it returns.
const PENDING: u8 = 0;
const COMMITTING: u8 = 1;
const APPLIED: u8 = 2;

/// What a layer sits on.
#[derive(Clone)]
pub(crate) enum Parent {
    /// A committed version (`None`: the empty store).
    Committed(Option<u64>),
    /// Another layer, pending when the link was made.
    Pending(Arc<Layer>),
}

/// One prepared version.
pub(crate) struct Layer {
    /// The [`Store`](crate::Store) instance it was prepared on.
    pub(crate) store_id: u64,
    pub(crate) version: u64,
    /// The version of the parent, fixed at preparation (`None`: the empty
    /// store), kept apart from `parent`, whose link gets cut.
    pub(crate) parent_version: Option<u64>,
    parent: Mutex<Parent>,
    pub(crate) writes: WriteBatch,
    pub(crate) root: Digest,
    /// New tree nodes, nodes made stale, and the values by key hash.
    pub(crate) update: TreeUpdateBatch,
    state: AtomicU8,
}

impl Layer {
    pub(crate) fn parent(&self) -> Parent {
        self.parent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn set_parent(&self, parent: Parent) {
        *self.parent.lock().unwrap_or_else(PoisonError::into_inner) = parent;
    }

    fn state(&self) -> u8 {
        self.state.load(Ordering::Acquire)
    }

    pub(crate) fn is_applied(&self) -> bool {
        self.state() == APPLIED
    }

    /// Marks the layer as being committed; the caller holds the writer lock.
    pub(crate) fn mark_committing(&self) {
        self.state.store(COMMITTING, Ordering::Release);
    }

    /// Records the outcome of the commit marked by [`Layer::mark_committing`].
    pub(crate) fn mark_committed(&self, ok: bool) {
        self.state
            .store(if ok { APPLIED } else { PENDING }, Ordering::Release);
    }
}

/// A block's write set with the state root it produces on its parent,
/// computed without writing anything
/// ([`Store::prepare`](crate::Store::prepare),
/// [`Store::prepare_child`](crate::Store::prepare_child)).
///
/// - [`Store::apply`](crate::Store::apply) persists it, atomically with its
///   aux data, once its parent is the latest committed version.
/// - [`Store::view`](crate::Store::view) reads the state it produces.
/// - Dropping it (and every clone and every child prepared on it) discards
///   it; nothing of it was ever on disk. It does not survive a restart or a
///   reopen of the store: prepare it again from the block's transactions.
///
/// Cloning is cheap and clones are the same block: applying one applies
/// them all. A prepared block holds its write set, its new tree nodes (about
/// three per write) and, while they are pending, its ancestors.
#[derive(Clone)]
pub struct PreparedBlock {
    pub(crate) layer: Arc<Layer>,
}

impl fmt::Debug for PreparedBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreparedBlock")
            .field("version", &self.layer.version)
            .field("parent_version", &self.layer.parent_version)
            .field("root", &self.layer.root)
            .field("writes", &self.layer.writes.len())
            .field("new_nodes", &self.layer.update.node_batch.nodes().len())
            .field("applied", &self.layer.is_applied())
            .finish()
    }
}

impl PreparedBlock {
    pub(crate) fn new(
        store_id: u64,
        version: u64,
        parent: Parent,
        parent_version: Option<u64>,
        writes: WriteBatch,
        root: RootHash,
        update: TreeUpdateBatch,
    ) -> Self {
        PreparedBlock {
            layer: Arc::new(Layer {
                store_id,
                version,
                parent_version,
                parent: Mutex::new(parent),
                writes,
                root: Digest(root.0),
                update,
                state: AtomicU8::new(PENDING),
            }),
        }
    }

    /// The version this block becomes when applied.
    pub fn version(&self) -> u64 {
        self.layer.version
    }

    /// The version it was prepared on, `None` if it was prepared on an
    /// empty store.
    pub fn parent_version(&self) -> Option<u64> {
        self.layer.parent_version
    }

    /// The state root after this block.
    pub fn root(&self) -> Digest {
        self.layer.root
    }

    /// The block's writes.
    pub fn writes(&self) -> &WriteBatch {
        &self.layer.writes
    }

    /// Whether [`Store::apply`](crate::Store::apply) committed it.
    pub fn is_applied(&self) -> bool {
        self.layer.is_applied()
    }
}

/// Where a block stands against the committed version `latest`, read in one
/// transaction: its layers above `latest`, newest first (empty when the
/// block itself is the committed version).
pub(crate) fn pending_above(top: &Arc<Layer>, latest: Option<u64>) -> Result<Vec<Arc<Layer>>> {
    let discarded = || StoreError::BranchDiscarded {
        version: top.version,
        latest,
    };
    let mut above: Vec<Arc<Layer>> = Vec::new();
    let mut current = Arc::clone(top);
    loop {
        if let Some(latest) = latest
            && current.version <= latest
        {
            if current.version == latest && current.state() != PENDING {
                // `current` committed `latest`: cut the chain here.
                if let Some(child) = above.last() {
                    child.set_parent(Parent::Committed(Some(latest)));
                }
                return Ok(above);
            }
            if above.is_empty() && current.is_applied() {
                return Err(StoreError::Superseded {
                    version: current.version,
                    latest,
                });
            }
            return Err(discarded());
        }
        let parent = current.parent();
        above.push(current);
        match parent {
            Parent::Pending(layer) => current = layer,
            // The bottom of the chain sits on `base`, which is committed; it
            // must be the latest version, or something else was committed
            // on top of it.
            Parent::Committed(base) if base == latest => return Ok(above),
            Parent::Committed(_) => return Err(discarded()),
        }
    }
}

/// The state a pending block produces, pinned: the writes of the pending
/// part of its chain, newest first, over one committed snapshot
/// ([`Store::view`](crate::Store::view)).
///
/// Every read of one view sees the same state, whatever is applied or
/// committed meanwhile. Like a [`Snapshot`] it holds a redb read
/// transaction: keep it for one block's execution, not longer.
pub struct PendingView {
    snapshot: Snapshot,
    /// Pending layers above the snapshot's latest version, newest first.
    layers: Vec<Arc<Layer>>,
    version: u64,
    root: Digest,
}

impl fmt::Debug for PendingView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingView")
            .field("version", &self.version)
            .field("root", &self.root)
            .field("committed", &self.snapshot.latest_version())
            .field("pending_layers", &self.layers.len())
            .finish()
    }
}

impl PendingView {
    pub(crate) fn new(snapshot: Snapshot, block: &PreparedBlock) -> Result<Self> {
        let layers = pending_above(&block.layer, snapshot.latest_version())?;
        Ok(PendingView {
            snapshot,
            layers,
            version: block.layer.version,
            root: block.layer.root,
        })
    }

    /// The version of the block this view reads.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The state root of this state (the block's root).
    pub fn root(&self) -> Digest {
        self.root
    }

    /// The committed version the pending writes are layered over.
    pub fn committed_version(&self) -> Option<u64> {
        self.snapshot.latest_version()
    }

    /// How many pending blocks (this one included) are layered over the
    /// committed state; 0 once the block itself is committed.
    pub fn pending_depth(&self) -> usize {
        self.layers.len()
    }

    pub(crate) fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    pub(crate) fn layers(&self) -> &[Arc<Layer>] {
        &self.layers
    }

    /// The value of `key` in this state.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        for layer in &self.layers {
            if let Some(value) = layer.writes.get(key) {
                return Ok(value.map(<[u8]>::to_vec));
            }
        }
        self.snapshot.get(key)
    }

    /// Every key starting with `prefix` in this state, with its value, in
    /// ascending byte order of the raw key.
    pub fn iter_prefix(&self, prefix: &[u8]) -> Result<Entries> {
        self.iter_prefix_page(prefix, None, usize::MAX)
    }

    /// At most `limit` entries of [`PendingView::iter_prefix`] after
    /// `start_after` (exclusive), as
    /// [`Store::iter_prefix_page`](crate::Store::iter_prefix_page).
    pub fn iter_prefix_page(
        &self,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Entries> {
        let start = scan_start(prefix, start_after);
        let in_prefix = |key: &[u8]| key.starts_with(prefix);
        // One cursor per pending layer, newest first, then the committed
        // keys: a merge in key order where, for a key in several sources,
        // the newest source decides (a deletion hides older values).
        let mut pending: Vec<_> = self
            .layers
            .iter()
            .map(|layer| layer.writes.range_from(start).peekable())
            .collect();
        let table = self.snapshot.txn().open_table(schema::LATEST)?;
        let mut committed = table.range::<&[u8]>((start, Bound::Unbounded))?;
        let mut next_committed = || -> Result<Option<(Vec<u8>, Vec<u8>)>> {
            match committed.next() {
                None => Ok(None),
                Some(entry) => {
                    let (k, v) = entry?;
                    Ok(Some((k.value().to_vec(), v.value().to_vec())))
                }
            }
        };
        let mut committed_head = next_committed()?.filter(|(k, _)| in_prefix(k));

        let mut out = Vec::new();
        while out.len() < limit {
            let mut smallest: Option<&[u8]> = committed_head.as_ref().map(|(k, _)| k.as_slice());
            for cursor in &mut pending {
                if let Some((key, _)) = cursor.peek()
                    && in_prefix(key)
                    && smallest.is_none_or(|s| *key < s)
                {
                    smallest = Some(key);
                }
            }
            let Some(key) = smallest.map(<[u8]>::to_vec) else {
                break;
            };
            let mut value: Option<Option<Vec<u8>>> = None;
            for cursor in &mut pending {
                if cursor.peek().is_some_and(|(k, _)| *k == key.as_slice())
                    && let Some((_, v)) = cursor.next()
                    && value.is_none()
                {
                    value = Some(v.map(<[u8]>::to_vec));
                }
            }
            if committed_head.as_ref().is_some_and(|(k, _)| *k == key) {
                let (_, v) = committed_head.take().unwrap_or_default();
                if value.is_none() {
                    value = Some(Some(v));
                }
                committed_head = next_committed()?.filter(|(k, _)| in_prefix(k));
            }
            if let Some(Some(value)) = value {
                out.push((key, value));
            }
        }
        Ok(out)
    }
}

impl StateRead for PendingView {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        PendingView::get(self, key)
    }

    fn iter_prefix_page(
        &self,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Entries> {
        PendingView::iter_prefix_page(self, prefix, start_after, limit)
    }
}

/// The tree of a pending state: nodes of the pending layers' versions come
/// from those layers, all others from the committed snapshot.
pub(crate) struct LayeredTree<'a> {
    pub(crate) committed: &'a TreeSnapshot,
    /// The snapshot's latest committed version.
    pub(crate) committed_version: Option<u64>,
    /// Newest first, at consecutive versions.
    pub(crate) layers: &'a [Arc<Layer>],
}

impl LayeredTree<'_> {
    fn layer_at(&self, version: Version) -> Option<&Layer> {
        let top = self.layers.first()?.version;
        let index = usize::try_from(top.checked_sub(version)?).ok()?;
        self.layers.get(index).map(Arc::as_ref)
    }

    /// Computes the root and tree update of `writes` as `version`, the
    /// version after the newest layer (or after the committed version).
    pub(crate) fn update(
        &self,
        version: u64,
        writes: &WriteBatch,
    ) -> Result<(RootHash, TreeUpdateBatch)> {
        tree::update(self, version, writes).map_err(|e| self.committed.error(version, e))
    }
}

impl TreeReader for LayeredTree<'_> {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        match self.layer_at(node_key.version()) {
            Some(layer) => Ok(layer.update.node_batch.get_node(node_key).cloned()),
            None => self.committed.get_node_option(node_key),
        }
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        for layer in self.layers.iter().filter(|l| l.version <= max_version) {
            if let Some(value) = layer
                .update
                .node_batch
                .values()
                .get(&(layer.version, key_hash))
            {
                return Ok(value.clone());
            }
        }
        match self.committed_version {
            Some(committed) => self
                .committed
                .value_at(max_version.min(committed), key_hash),
            None => Ok(None),
        }
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        bail!("the state store does not support rightmost-leaf queries")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AuxBatch, Store, StoreConfig};

    fn writes(key: &str) -> WriteBatch {
        let mut batch = WriteBatch::new();
        batch.put(key.as_bytes(), b"v".to_vec());
        batch
    }

    #[test]
    fn finalized_ancestors_are_released_by_their_pending_descendants() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("s.redb"), StoreConfig::archive()).expect("open");
        store
            .commit(0, &writes("g"), &AuxBatch::new())
            .expect("genesis");
        let a = store.prepare(1, writes("a")).expect("a");
        let b = store.prepare_child(&a, writes("b")).expect("b");
        let c = store.prepare_child(&b, writes("c")).expect("c");
        // `b` holds `a`, `c` holds `b`.
        assert_eq!(Arc::strong_count(&a.layer), 2);
        assert_eq!(Arc::strong_count(&b.layer), 2);

        store.apply(&a, |_| AuxBatch::new()).expect("apply a");
        // The next walk over `c`'s chain cuts `b`'s link to the applied `a`.
        let view = store.view(&c).expect("view");
        assert_eq!(view.pending_depth(), 2);
        assert_eq!(Arc::strong_count(&a.layer), 1);
        drop(view);

        // Applying `b` drops its own link; a child prepared on an applied
        // block links to its version, not to the block.
        store.apply(&b, |_| AuxBatch::new()).expect("apply b");
        let d = store.prepare_child(&b, writes("d")).expect("sibling of c");
        assert!(matches!(d.layer.parent(), Parent::Committed(Some(2))));
        store.view(&c).expect("view");
        assert_eq!(Arc::strong_count(&b.layer), 1);
    }
}
