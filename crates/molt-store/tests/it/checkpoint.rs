//! Checkpoints: a copy of the open store that opens at the version it was
//! taken at, whatever is committed afterwards.

use crate::util::{TempStore, db_path};
use molt_store::{AuxBatch, CheckpointMethod, Store, StoreConfig, StoreError, WriteBatch};

fn put(store: &Store, version: u64, key: &[u8], value: &[u8]) {
    let mut batch = WriteBatch::new();
    batch.put(key.to_vec(), value.to_vec());
    store.commit(version, &batch, &AuxBatch::new()).unwrap();
}

#[test]
fn a_checkpoint_opens_at_the_version_it_was_taken_at() {
    let t = TempStore::archive();
    for v in 0..5u64 {
        put(&t.store, v, format!("k{v}").as_bytes(), b"before");
    }
    let root4 = t.store.root(4).unwrap();
    let dest = t.dir.path().join("checkpoint.redb");
    let cp = t.store.checkpoint(&dest).unwrap();
    assert_eq!((cp.version, cp.root), (Some(4), Some(root4)));
    assert_eq!(cp.bytes, std::fs::metadata(&dest).unwrap().len());
    // ext4 and tmpfs copy, btrfs and XFS clone: either is a whole file.
    assert!(matches!(
        cp.method,
        CheckpointMethod::Copy | CheckpointMethod::Reflink
    ));
    // The live store goes on; the checkpoint does not see it.
    put(&t.store, 5, b"k0", b"after");
    let copy = Store::open(&dest, StoreConfig::archive()).unwrap();
    assert_eq!(copy.latest_version(), Some(4));
    assert_eq!(copy.latest_root().unwrap(), Some(root4));
    assert_eq!(copy.get(b"k0").unwrap(), Some(b"before".to_vec()));
    assert_eq!(t.store.get(b"k0").unwrap(), Some(b"after".to_vec()));
    // No temporary file is left beside it.
    let names: Vec<_> = std::fs::read_dir(t.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(!names.iter().any(|n| n.ends_with(".partial")), "{names:?}");
}

#[test]
fn a_checkpoint_never_overwrites_and_a_failed_one_leaves_nothing() {
    let t = TempStore::archive();
    put(&t.store, 0, b"k", b"v");
    let dest = t.dir.path().join("cp.redb");
    std::fs::write(&dest, b"operator data").unwrap();
    let e = t.store.checkpoint(&dest).unwrap_err();
    assert!(matches!(e, StoreError::Checkpoint { .. }), "{e}");
    assert!(e.to_string().contains("already exists"), "{e}");
    assert_eq!(std::fs::read(&dest).unwrap(), b"operator data");
    // A destination whose directory is missing fails cleanly too.
    let e = t
        .store
        .checkpoint(&t.dir.path().join("missing/cp.redb"))
        .unwrap_err();
    assert!(e.to_string().contains("store is unchanged"), "{e}");
    assert_eq!(t.store.get(b"k").unwrap(), Some(b"v".to_vec()));
    assert!(db_path(t.dir.path()).exists());
}
