//! Test fixture: release 3 of the framework's `system` package (`0x1`),
//! compatible with release 2 (`framework_system_v2`), adding `farewell`.
//! Used by the node's `framework_upgrade` bench as the second step of a
//! chained upgrade (v1 -> v2 -> v3).
//!
//! `system` (framework address `0x1`): the chain's epochs, validator set
//! with voting power, and parameters, as views any program or user can call
//! (`molt view 0x1 validators`).
//!
//! The node keeps these facts in chain state and advances epochs itself;
//! this package reads them with `molt.chain_info`. Changing them is
//! governance's (`0x2`): scheduled validator sets and parameters take over
//! at the next epoch boundary.
#![cfg_attr(not(test), no_std)]

#[molt_sdk::program]
pub mod system {
    use molt_sdk::prelude::*;
    use molt_sdk::system as chain;

    /// The framework release this package belongs to.
    pub const FRAMEWORK_VERSION: u64 = 3;

    /// One validator of an epoch.
    #[derive(BorshSerialize, BorshDeserialize, Debug, Clone, PartialEq, Eq)]
    pub struct ValidatorInfo {
        pub address: Address,
        pub public_key: [u8; 32],
        pub voting_power: u64,
    }

    fn info(records: Vec<chain::ValidatorRecord>) -> Vec<ValidatorInfo> {
        records
            .into_iter()
            .map(|(address, public_key, voting_power)| ValidatorInfo {
                address,
                public_key,
                voting_power,
            })
            .collect()
    }

    /// The framework release (1 for the genesis framework).
    #[view]
    fn framework_version() -> u64 {
        FRAMEWORK_VERSION
    }

    /// The current epoch and the height of its first block.
    #[view]
    fn epoch() -> (u64, u64) {
        chain::epoch()
    }

    /// The current epoch's validators, in the chain's order.
    #[view]
    fn validators() -> Vec<ValidatorInfo> {
        info(chain::validators())
    }

    /// The sum of the current validators' voting power.
    #[view]
    fn total_voting_power() -> u64 {
        chain::validators()
            .iter()
            .fold(0u64, |sum, v| sum.saturating_add(v.2))
    }

    /// `validator`'s voting power this epoch (0 if it is not a validator).
    #[view]
    fn voting_power(validator: Address) -> u64 {
        chain::validators()
            .iter()
            .find(|v| v.0 == validator)
            .map_or(0, |v| v.2)
    }

    /// The validators scheduled for the next epoch, if a set is scheduled.
    #[view]
    fn next_validators() -> Option<Vec<ValidatorInfo>> {
        chain::next_validators().map(info)
    }

    /// The chain parameters in force (borsh of the node's `ChainParams`).
    #[view]
    fn params() -> Vec<u8> {
        chain::params_bytes()
    }

    /// The parameters scheduled for the next epoch, if any.
    #[view]
    fn next_params() -> Option<Vec<u8>> {
        chain::next_params_bytes()
    }

    /// New in release 2.
    #[view]
    fn greeting() -> u64 {
        42
    }

    /// New in release 3.
    #[view]
    fn farewell() -> u64 {
        43
    }
}
