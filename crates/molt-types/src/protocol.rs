//! Protocol (node binary) upgrade plans (DESIGN.md 4).
//!
//! An [`UpgradePlan`] says: after the block at `height` is final, only a
//! node binary of release `version` or later may execute the next block.
//! Nodes built for an older release halt at `height` and wait for their
//! supervisor (`molt-visor`) to start the new binary, whose SHA3-256 per
//! platform is in `binaries`.
//!
//! The plan lives in chain state (the runtime decides who may write it and
//! checks the version is semver); this type is only its shape and canonical
//! encoding, shared with Wasm programs that build governance payloads.

use alloc::collections::BTreeMap;
use alloc::string::String;
use borsh::{BorshDeserialize, BorshSerialize};

use crate::Digest;

/// A scheduled protocol upgrade: a release, the last height older releases
/// may execute, and the checksum of the release's binary per platform.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct UpgradePlan {
    /// The release the chain needs after `height`, semver (`0.2.0`).
    pub version: String,
    /// The last block a binary older than `version` executes.
    pub height: u64,
    /// SHA3-256 of the release's `molt` binary, by platform
    /// (`<os>-<arch>` as Rust names them: `linux-x86_64`, `macos-aarch64`).
    pub binaries: BTreeMap<String, Digest>,
}

impl UpgradePlan {
    /// The checksum of the binary for `platform`, if the plan has one.
    pub fn binary_for(&self, platform: &str) -> Option<&Digest> {
        self.binaries.get(platform)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_encoding_is_frozen() {
        let plan = UpgradePlan {
            version: "0.2.0".into(),
            height: 7,
            binaries: [("linux-x86_64".into(), crate::sha3_256(b"molt"))].into(),
        };
        let bytes = crate::encode(&plan);
        // version (len-prefixed), height (u64 LE), one map entry.
        assert_eq!(&bytes[..9], b"\x05\0\0\x000.2.0");
        assert_eq!(&bytes[9..17], &7u64.to_le_bytes());
        assert_eq!(&bytes[17..21], &1u32.to_le_bytes());
        let back: UpgradePlan = crate::decode("plan", &bytes, 1024).unwrap();
        assert_eq!(back, plan);
    }
}
