//! Genesis: the chain's first state.

use crate::params::ChainParams;
use molt_types::{Address, ChainId, PublicKey, SecretKey};
use serde::Serialize;

/// A validator of the chain.
#[derive(
    Debug, Clone, PartialEq, Eq, Serialize, borsh::BorshSerialize, borsh::BorshDeserialize,
)]
pub struct Validator {
    pub address: Address,
    pub public_key: PublicKey,
    pub voting_power: u64,
}

/// Everything the first block is built from.
#[derive(Debug, Clone)]
pub struct Genesis {
    pub chain_id: ChainId,
    /// Accounts and their starting balances.
    pub accounts: Vec<(Address, u64)>,
    pub validators: Vec<Validator>,
    pub params: ChainParams,
    pub timestamp_ms: u64,
    /// Packages installed at fixed addresses before the first block: the
    /// framework's packages (DESIGN.md section 3,
    /// [`framework_packages`](crate::framework_packages)) and fixtures that
    /// need a well-known address.
    pub packages: Vec<GenesisPackage>,
}

/// A package installed by genesis at a fixed (reserved) address.
#[derive(Debug, Clone)]
pub struct GenesisPackage {
    /// Both its original id and its first package id.
    pub address: Address,
    pub module: Vec<u8>,
    /// Holds its `UpgradeCap`; `init` runs with this caller.
    pub owner: Address,
}

/// The balance of each dev account.
pub const DEV_ACCOUNT_BALANCE: u64 = 1_000_000_000_000;
/// How many funded accounts `molt node --dev` creates.
pub const DEV_ACCOUNTS: u8 = 4;

/// The secret key of dev account `i` (deterministic, public knowledge: for
/// local chains only).
pub fn dev_key(i: u8) -> SecretKey {
    let mut seed = [0u8; 32];
    seed[..9].copy_from_slice(b"molt-dev-");
    seed[31] = i;
    SecretKey::from_seed(seed)
}

/// The validator key of the dev chain.
pub fn dev_validator_key() -> SecretKey {
    let mut seed = [0u8; 32];
    seed[..15].copy_from_slice(b"molt-dev-valid-");
    SecretKey::from_seed(seed)
}

impl Genesis {
    /// The dev chain: `molt-dev`, four funded accounts, one validator (funded
    /// too, so it can vote on proposals), and the framework release.
    pub fn dev() -> Self {
        let validator = dev_validator_key();
        let mut accounts: Vec<(Address, u64)> = (0..DEV_ACCOUNTS)
            .map(|i| (dev_key(i).address(), DEV_ACCOUNT_BALANCE))
            .collect();
        accounts.push((validator.address(), DEV_ACCOUNT_BALANCE));
        Genesis {
            chain_id: ChainId::dev(),
            accounts,
            validators: vec![Validator {
                address: validator.address(),
                public_key: validator.public_key(),
                voting_power: 1,
            }],
            params: ChainParams::default(),
            timestamp_ms: 0,
            packages: crate::framework::framework_packages(),
        }
    }
}
