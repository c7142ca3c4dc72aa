//! Upgrade policies (DESIGN.md 2.2).

use borsh::{BorshDeserialize, BorshSerialize};
use core::fmt;
use core::str::FromStr;

/// How far a package may still change, loosest first. A policy can only be
/// tightened. The variant order is part of the encoding and of the order.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, BorshSerialize, BorshDeserialize,
)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum UpgradePolicy {
    /// Public signatures, types and storage keep their shape; bodies,
    /// `entry` and `internal` functions may change; additions are allowed.
    Compatible,
    /// As `compatible`, and no existing declaration of any visibility changes.
    Additive,
    /// Only dependency versions may change.
    DepOnly,
    /// No upgrade at all (the cap is destroyed).
    Immutable,
}

impl UpgradePolicy {
    pub const ALL: [UpgradePolicy; 4] = [
        UpgradePolicy::Compatible,
        UpgradePolicy::Additive,
        UpgradePolicy::DepOnly,
        UpgradePolicy::Immutable,
    ];

    pub const fn as_str(&self) -> &'static str {
        match self {
            UpgradePolicy::Compatible => "compatible",
            UpgradePolicy::Additive => "additive",
            UpgradePolicy::DepOnly => "dep_only",
            UpgradePolicy::Immutable => "immutable",
        }
    }
}

impl fmt::Display for UpgradePolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that names no policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown upgrade policy; use one of compatible, additive, dep_only, immutable")]
pub struct PolicyParseError;

impl FromStr for UpgradePolicy {
    type Err = PolicyParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        UpgradePolicy::ALL
            .into_iter()
            .find(|p| p.as_str() == s || (s == "dep-only" && *p == UpgradePolicy::DepOnly))
            .ok_or(PolicyParseError)
    }
}
