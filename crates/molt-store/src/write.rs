//! The records one commit writes, inside the commit's redb write
//! transaction: tree nodes and their staleness, versioned values and the
//! raw-key index, aux data, the version range, and pruning. The layout is
//! in `src/schema.rs` and `docs/decisions/0003-state-store.md`.

use jmt::KeyHash;
use jmt::storage::TreeUpdateBatch;
use redb::{ReadableTable, WriteTransaction};

use crate::batch::{AuxBatch, WriteBatch};
use crate::error::{Result, StoreError};
use crate::schema::{self, META, META_FIRST, META_LATEST, META_OLDEST};
use crate::store::Versions;
use crate::tree::TreeHasher;

pub(crate) fn write_versions(txn: &WriteTransaction, versions: &Versions) -> Result<()> {
    let mut meta = txn.open_table(META)?;
    for (name, value) in [
        (META_FIRST, versions.first),
        (META_LATEST, versions.latest),
        (META_OLDEST, versions.oldest),
    ] {
        if let Some(value) = value {
            meta.insert(name, value)?;
        }
    }
    Ok(())
}

pub(crate) fn write_nodes(
    txn: &WriteTransaction,
    version: u64,
    update: &TreeUpdateBatch,
) -> Result<()> {
    let mut nodes = txn.open_table(schema::NODES)?;
    for (key, node) in update.node_batch.nodes() {
        let bytes = borsh::to_vec(node).map_err(|e| StoreError::Tree {
            version,
            reason: format!("encoding a node: {e}"),
        })?;
        nodes.insert(&schema::node_key(key)[..], &bytes[..])?;
    }
    let mut stale = txn.open_table(schema::STALE_NODES)?;
    for index in &update.stale_node_index_batch {
        let key = schema::stale_key(
            index.stale_since_version,
            &schema::node_key(&index.node_key),
        );
        stale.insert(&key[..], ())?;
    }
    Ok(())
}

/// Writes the versioned values, their staleness records and the raw-key
/// index of latest values.
pub(crate) fn write_values(
    txn: &WriteTransaction,
    version: u64,
    writes: &WriteBatch,
) -> Result<()> {
    let mut values = txn.open_table(schema::VALUES)?;
    let mut stale = txn.open_table(schema::STALE_VALUES)?;
    let mut latest = txn.open_table(schema::LATEST)?;
    for (key, value) in writes.iter() {
        let key_hash = KeyHash::with::<TreeHasher>(key);
        // The previous record of this key: (its version, whether it holds a value).
        let previous = {
            let low = schema::value_key(key_hash, 0);
            let high = schema::value_key(key_hash, u64::MAX);
            match values.range::<&[u8]>(&low[..]..=&high[..])?.next_back() {
                None => None,
                Some(entry) => {
                    let (k, v) = entry?;
                    let at = schema::value_key_version(k.value()).ok_or_else(|| {
                        StoreError::Corrupt {
                            what: "value key",
                            detail: "shorter than 40 bytes".into(),
                        }
                    })?;
                    Some((at, schema::value_is_present(v.value())))
                }
            }
        };
        let this_record = schema::value_key(key_hash, version);
        match value {
            Some(value) => {
                values.insert(&this_record[..], &schema::encode_value(Some(value))[..])?;
                latest.insert(key, value)?;
            }
            // Deleting an absent key changes nothing and leaves no record.
            None if !matches!(previous, Some((_, true))) => continue,
            None => {
                values.insert(&this_record[..], &schema::encode_value(None)[..])?;
                // Once every version before this one is pruned, the deletion
                // record itself shadows nothing.
                stale.insert(&schema::stale_key(version, &this_record)[..], ())?;
                latest.remove(key)?;
            }
        }
        if let Some((at, _)) = previous {
            let superseded = schema::value_key(key_hash, at);
            stale.insert(&schema::stale_key(version, &superseded)[..], ())?;
        }
    }
    Ok(())
}

pub(crate) fn write_aux(txn: &WriteTransaction, aux: &AuxBatch) -> Result<()> {
    let mut table = txn.open_table(schema::AUX)?;
    for (namespace, key, value) in aux.iter() {
        let key = schema::aux_key(namespace, key);
        match value {
            Some(value) => {
                table.insert(&key[..], value)?;
            }
            None => {
                table.remove(&key[..])?;
            }
        }
    }
    Ok(())
}

/// Deletes what only versions in `oldest..target` need: their roots and
/// root nodes, nodes stale since a version `<= target` and values
/// superseded at a version `<= target`. A node replaced at version `s` is
/// unreachable from every root at `s` or later, and `target` is the oldest
/// root kept.
pub(crate) fn prune_tables(txn: &WriteTransaction, oldest: u64, target: u64) -> Result<()> {
    let mut roots = txn.open_table(schema::ROOTS)?;
    let mut nodes = txn.open_table(schema::NODES)?;
    let pruned: Vec<u64> = roots
        .range(oldest..target)?
        .map(|entry| entry.map(|(k, _)| k.value()))
        .collect::<Result<_, _>>()?;
    for version in pruned {
        roots.remove(version)?;
        // A root whose version changed nothing is copied, not marked stale.
        nodes.remove(&schema::root_node_key(version)[..])?;
    }

    let bound = schema::stale_bound(target);
    let mut stale_nodes = txn.open_table(schema::STALE_NODES)?;
    for key in stale_keys(&stale_nodes, &bound)? {
        nodes.remove(key.get(8..).unwrap_or_default())?;
        stale_nodes.remove(&key[..])?;
    }

    let mut values = txn.open_table(schema::VALUES)?;
    let mut stale_values = txn.open_table(schema::STALE_VALUES)?;
    for key in stale_keys(&stale_values, &bound)? {
        values.remove(key.get(8..).unwrap_or_default())?;
        stale_values.remove(&key[..])?;
    }
    Ok(())
}

fn stale_keys(
    table: &impl ReadableTable<&'static [u8], ()>,
    bound: &[u8; 8],
) -> Result<Vec<Vec<u8>>> {
    let keys = table
        .range::<&[u8]>(..&bound[..])?
        .map(|entry| entry.map(|(k, _)| k.value().to_vec()))
        .collect::<Result<_, _>>()?;
    Ok(keys)
}
