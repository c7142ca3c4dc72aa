//! The Molt state machine: executes blocks of signed transactions
//! deterministically against the authenticated store.
//!
//! The runtime knows nothing of networking: a node (dev block producer now,
//! BFT consensus later) hands it candidate transactions, a proposer and a
//! timestamp, and gets back a committed block and its receipts
//! ([`Runtime::produce_block`]). Everything else is reads, and
//! [`Runtime::simulate`], which runs a transaction as the next block would
//! and writes nothing.
//!
//! Read queries go through a [`Query`] ([`Runtime::query`]), pinned to one
//! committed state.
//!
//! Execution rules are in [`execute`]; the state layout in [`state`].

mod blocks;
mod coin;
mod error;
pub mod execute;
mod framework;
mod genesis;
mod gov_simulate;
mod governance;
mod halt;
mod host;
mod large;
mod machine;
mod overlay;
mod params;
mod query;
mod runtime;
mod signatures;
mod simulate;
pub mod state;
mod upgrade;

pub use error::{Rejection, RuntimeError};
pub use execute::{SYSTEM_ADDRESS, cap_id, intrinsic_gas, new_original_id, new_package_id};
pub use framework::{
    FRAMEWORK, FRAMEWORK_RELEASE, GOVERNANCE_PACKAGE, PROTOCOL_PACKAGE, REGISTRY_PACKAGE,
    SIGNALLING_PACKAGE, STAKEHOLDERS_PACKAGE, SYSTEM_PACKAGE, approved_hash_key, framework_address,
    framework_packages,
};
pub use genesis::{
    DEV_ACCOUNT_BALANCE, DEV_ACCOUNTS, Genesis, GenesisPackage, Validator, dev_key,
    dev_validator_key,
};
pub use gov_simulate::{
    PackageCheck, PayloadSimulation, ProtocolUpgradeRequest, SimulatedUpgrade, SimulationStep,
    UpgradeCheck,
};
pub use governance::{MAX_VALIDATORS, check_validators, governance_package_id};
pub use halt::{PROTOCOL_VERSION, PlanError, UPGRADE_PLAN_KEY, check_plan, parse_release};
pub use large::RESOLVE_ENVELOPE_BYTES;
pub use machine::{
    Finalized, InvalidBlock, Proposal, ProposeContext, StateMachine, Verdict, VerifyContext,
};
pub use molt_types::UpgradePlan;
pub use molt_types::UpgradePolicy;
pub use params::{ChainParams, ParamsError, VmLimits};
pub use query::{Query, StorageQueryError};
pub use runtime::{ProducedBlock, ProvenValue, ReceiptRecord, Runtime, ViewError};
pub use signatures::SignatureCache;
pub use simulate::{
    GAS_MARGIN_PERCENT, SimulatedBlock, Simulation, SimulationOutcome, budget_with_margin,
    simulation_budget,
};
pub use state::{Account, PackageRecord, PackageVersion, UpgradeCap};
