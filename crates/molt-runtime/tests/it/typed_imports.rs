//! A typed import (`molt_sdk::import!`) on a real chain: the client
//! `programs/counter_typed_client` calls counter v1 at `0xc0` through the
//! generated client and untyped, and both cost the same gas.

use super::Chain;
use super::program_upgrades::call;
use molt_runtime::*;
use molt_types::*;

fn wasm(name: &str) -> Vec<u8> {
    molt_build::example(name).unwrap()
}

fn interface(module: &[u8]) -> molt_interface::Interface {
    let section = molt_interface::find_section(module).unwrap().unwrap();
    molt_interface::decode_section(section).unwrap()
}

fn chain_with_counter() -> Chain {
    let mut genesis = Genesis::dev();
    genesis.packages.push(GenesisPackage {
        address: Address::reserved(0xc0),
        module: wasm("counter_v1"),
        owner: dev_key(0).address(),
    });
    Chain::with_genesis(&genesis)
}

/// Asserts `r` succeeded; returns the counter's count after it.
fn count(c: &Chain, r: &Receipt) -> u64 {
    assert_eq!(r.status, ExecutionStatus::Success, "{r:?}");
    let (bytes, _) =
        c.rt.view(&Address::reserved(0xc0), "get", &[], 10_000_000)
            .unwrap();
    u64::from_le_bytes(bytes.try_into().unwrap())
}

#[test]
fn the_client_imports_the_current_counter_interface() {
    // The copy the client is built from must declare what counter_v1 does.
    let copy =
        std::fs::read(molt_build::programs_dir().join("counter_typed_client/counter_v1.wasm"))
            .unwrap();
    assert_eq!(
        interface(&copy),
        interface(&wasm("counter_v1")),
        "programs/counter_typed_client/counter_v1.wasm is stale: copy the build of programs/counter_v1 over it"
    );
}

#[test]
fn a_typed_call_costs_the_same_gas_as_the_untyped_call() {
    let c = chain_with_counter();
    let owner = dev_key(0);
    let client = c.publish(&owner, "counter_typed_client");
    let arg = 5u64.to_le_bytes().to_vec();
    // Warm both paths once (first writes of the counter's items).
    let r = call(&c, &owner, client, "plain_add", arg.clone());
    assert_eq!(count(&c, &r), 5);
    let r = call(&c, &owner, client, "typed_add", arg.clone());
    assert_eq!(count(&c, &r), 10);
    let plain = call(&c, &owner, client, "plain_add", arg.clone());
    assert_eq!(count(&c, &plain), 15);
    let typed = call(&c, &owner, client, "typed_add", arg);
    assert_eq!(count(&c, &typed), 20);
    assert_eq!(
        typed.gas_used, plain.gas_used,
        "same function-name length, same argument: only the call path could differ"
    );
}
