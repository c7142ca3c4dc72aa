//! Pinned reads: a snapshot or a pending view answers every query from one
//! state while commits and applies run on another thread.

use std::sync::atomic::{AtomicBool, Ordering};

use molt_store::{StateRead, WriteBatch};

use crate::util::{TempStore, no_aux};

const KEYS: usize = 40;
const VERSIONS: u64 = 25;

fn key(i: usize) -> Vec<u8> {
    format!("k/{i:03}").into_bytes()
}

/// Version `v` rewrites every key with its own version number, so a read
/// that mixed two versions shows two numbers.
fn rewrite_all(v: u64) -> WriteBatch {
    let mut writes = WriteBatch::new();
    for i in 0..KEYS {
        writes.put(key(i), v.to_be_bytes());
    }
    writes
}

fn version_of(value: &[u8]) -> u64 {
    u64::from_be_bytes(value.try_into().expect("8-byte value"))
}

/// Reads `state` in small pages and key by key; returns the single version
/// every value carries.
fn read_all(state: &impl StateRead) -> u64 {
    let mut seen = std::collections::BTreeSet::new();
    let mut after: Option<Vec<u8>> = None;
    let mut count = 0;
    loop {
        let page = state
            .iter_prefix_page(b"k/", after.as_deref(), 3)
            .expect("page");
        let Some(last) = page.last().map(|(k, _)| k.clone()) else {
            break;
        };
        for (_, value) in &page {
            seen.insert(version_of(value));
        }
        count += page.len();
        after = Some(last);
        std::thread::yield_now();
    }
    for i in 0..KEYS {
        let value = state.get(&key(i)).expect("get").expect("every key is set");
        seen.insert(version_of(&value));
    }
    assert_eq!(count, KEYS);
    assert_eq!(seen.len(), 1, "one read saw versions {seen:?}");
    seen.into_iter().next().expect("one version")
}

#[test]
fn snapshots_and_views_see_one_version_while_commits_run() {
    let t = TempStore::archive();
    t.store.commit(0, &rewrite_all(0), &no_aux()).expect("v0");
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            // Alternate the two write paths: a direct commit, then a
            // prepared block applied while readers hold views of it.
            for v in 1..=VERSIONS {
                if v % 2 == 0 {
                    t.store
                        .commit(v, &rewrite_all(v), &no_aux())
                        .expect("commit");
                } else {
                    let block = t.store.prepare(v, rewrite_all(v)).expect("prepare");
                    t.store.apply(&block, |_| no_aux()).expect("apply");
                }
            }
            done.store(true, Ordering::Release);
        });
        let mut snapshots = 0;
        while !done.load(Ordering::Acquire) {
            let snapshot = t.store.snapshot().expect("snapshot");
            let version = read_all(&snapshot);
            assert_eq!(Some(version), snapshot.latest_version());
            // Historical reads of the snapshot's own versions agree too.
            assert_eq!(
                snapshot.get_at(&key(0), version).expect("get_at"),
                Some(version.to_be_bytes().to_vec())
            );
            // A pending block on the snapshot's version, read while the
            // writer moves on, sees its own writes over that version.
            if let Ok(block) = t.store.prepare(version + 1, rewrite_all(1000 + version))
                && let Ok(view) = t.store.view(&block)
            {
                assert_eq!(read_all(&view), 1000 + version);
            }
            snapshots += 1;
        }
        writer.join().expect("writer");
        assert!(snapshots > 0);
        eprintln!("{snapshots} snapshots read while {VERSIONS} versions were written");
    });
    assert_eq!(read_all(&t.store), VERSIONS);
}
