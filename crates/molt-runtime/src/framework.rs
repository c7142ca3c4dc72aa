//! The system framework release that genesis installs (DESIGN.md 3,
//! docs/framework.md).
//!
//! The Wasm bytes are the committed release artifacts
//! `framework/releases/<version>/*.wasm`, embedded in the node binary; a test
//! (`cargo test -p molt-build --test framework_release`) rebuilds them from
//! `framework/` and requires identical bytes. Genesis installs each package
//! at its framework address with the system address (`0x0`, which no key
//! controls) as owner and cap holder: the framework changes only through
//! governance upgrades.

use crate::execute::SYSTEM_ADDRESS;
use crate::genesis::GenesisPackage;
use molt_types::Address;

/// The release genesis installs.
pub const FRAMEWORK_RELEASE: &str = "v1";

/// `system`: epochs, validators with voting power, parameters (views).
pub const SYSTEM_PACKAGE: Address = Address::reserved(1);
/// `governance`: proposals, the validators' track, payload execution.
pub const GOVERNANCE_PACKAGE: Address = Address::reserved(2);

const SYSTEM_WASM: &[u8] = include_bytes!("../../../framework/releases/v1/system.wasm");
const GOVERNANCE_WASM: &[u8] = include_bytes!("../../../framework/releases/v1/governance.wasm");

/// The framework's packages as genesis installs them, in release order.
pub fn framework_packages() -> Vec<GenesisPackage> {
    [
        (SYSTEM_PACKAGE, SYSTEM_WASM),
        (GOVERNANCE_PACKAGE, GOVERNANCE_WASM),
    ]
    .into_iter()
    .map(|(address, module)| GenesisPackage {
        address,
        module: module.to_vec(),
        owner: SYSTEM_ADDRESS,
    })
    .collect()
}

/// The state key of `hash` in governance's approved execution hashes
/// (`APPROVED: Map<Digest, u64>`, key `approved/` ++ borsh(hash)).
pub fn approved_hash_key(hash: &molt_types::Digest) -> Vec<u8> {
    crate::state::data_key(
        &GOVERNANCE_PACKAGE,
        &[b"approved/".as_slice(), hash.as_bytes()].concat(),
    )
}
