//! The committed framework release is what its source builds to.
//!
//! `framework/releases/<version>/` holds each package's Wasm bytes and a
//! `SHA3SUMS`-style list of their SHA3-256 checksums; genesis embeds these
//! bytes. This test rebuilds every package from source with
//! [`molt_build::build_release`] and requires identical bytes, so the
//! artifacts can be trusted to be the reviewed source. To cut a release on
//! purpose: `MOLT_WRITE_RELEASE=1 cargo test -p molt-build --test framework_release`.

use molt_build::{FRAMEWORK_PACKAGES, build_release, detect_route, framework_dir};
use std::fmt::Write;

const VERSION: &str = "v1";

/// Lowercase hex without `0x`, as `sha3sum -a 256` prints it, so
/// `sha3sum -a 256 -c SHA3-256SUMS` checks the release.
fn sha3_hex(bytes: &[u8]) -> String {
    let hex = molt_types::sha3_256(bytes).to_hex();
    hex.trim_start_matches("0x").to_string()
}

#[test]
fn the_committed_release_is_rebuilt_from_source_byte_for_byte() {
    let route = detect_route().unwrap();
    let dir = framework_dir().join("releases").join(VERSION);
    let write = std::env::var_os("MOLT_WRITE_RELEASE").is_some();
    let mut sums = String::new();
    for name in FRAMEWORK_PACKAGES {
        let built = build_release(&framework_dir().join(name), &route).unwrap();
        let path = dir.join(format!("{name}.wasm"));
        if write {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &built.bytes).unwrap();
        }
        let committed =
            std::fs::read(&path).unwrap_or_else(|e| panic!("{} is missing: {e}", path.display()));
        assert!(
            committed == built.bytes,
            "{} differs from what framework/{name} builds to ({} vs {} bytes): \
             the source changed without a new release, or the build is not reproducible",
            path.display(),
            committed.len(),
            built.bytes.len()
        );
        writeln!(sums, "{}  {name}.wasm", sha3_hex(&built.bytes)).unwrap();
    }
    let sums_path = dir.join("SHA3-256SUMS");
    if write {
        std::fs::write(&sums_path, &sums).unwrap();
    }
    assert_eq!(std::fs::read_to_string(&sums_path).unwrap(), sums);
}
