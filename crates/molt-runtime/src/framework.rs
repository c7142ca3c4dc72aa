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

/// `stakeholders`: the stakeholders' track (coin-weighted votes).
pub const STAKEHOLDERS_PACKAGE: Address = Address::reserved(3);
/// `signalling`: proposer signal rounds, the stakeholders' entry.
pub const SIGNALLING_PACKAGE: Address = Address::reserved(4);
/// `registry`: named services and their canonical versions.
pub const REGISTRY_PACKAGE: Address = Address::reserved(5);
/// `protocol`: validators' protocol (binary) upgrade proposals.
pub const PROTOCOL_PACKAGE: Address = Address::reserved(6);

/// The release's packages: crate name, framework address, Wasm bytes, in
/// release order (each after what it uses).
pub const FRAMEWORK: &[(&str, Address, &[u8])] = &[
    (
        "system",
        SYSTEM_PACKAGE,
        include_bytes!("../../../framework/releases/v1/system.wasm"),
    ),
    (
        "governance",
        GOVERNANCE_PACKAGE,
        include_bytes!("../../../framework/releases/v1/governance.wasm"),
    ),
    (
        "stakeholders",
        STAKEHOLDERS_PACKAGE,
        include_bytes!("../../../framework/releases/v1/stakeholders.wasm"),
    ),
    (
        "signalling",
        SIGNALLING_PACKAGE,
        include_bytes!("../../../framework/releases/v1/signalling.wasm"),
    ),
    (
        "registry",
        REGISTRY_PACKAGE,
        include_bytes!("../../../framework/releases/v1/registry.wasm"),
    ),
    (
        "protocol",
        PROTOCOL_PACKAGE,
        include_bytes!("../../../framework/releases/v1/protocol.wasm"),
    ),
];

/// The framework address of package `name` (its crate name).
pub fn framework_address(name: &str) -> Option<Address> {
    FRAMEWORK
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, a, _)| *a)
}

/// The framework's packages as genesis installs them, in release order.
pub fn framework_packages() -> Vec<GenesisPackage> {
    FRAMEWORK
        .iter()
        .map(|(_, address, module)| (*address, *module))
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
