//! `molt_sdk::import!` on the native host: a client generated from a real
//! SDK-built module (`tests/fixtures/counter_v1.wasm`, the example
//! `programs/counter_v1`) calls a program installed at its address, with
//! the same argument bytes as the untyped call.

use molt_sdk::Address;
use molt_sdk::borsh;
use molt_sdk::testing::TestEnv;

molt_sdk::import!(
    name = "counter",
    wasm = "../fixtures/counter_v1.wasm",
    address = "0xc0"
);

const COUNTER: Address = Address::reserved(0xc0);

/// A counter with counter_v1's functions, so the calls run a real program
/// on the test host.
#[molt_sdk::program(name = "counter")]
pub mod counter_impl {
    use molt_sdk::prelude::*;

    #[storage]
    static COUNT: Item<u64>;

    #[public]
    fn add(n: u64) -> u64 {
        COUNT.update(|c| *c += n)
    }

    #[public]
    #[view]
    fn get() -> u64 {
        COUNT.get_or_default()
    }

    #[public]
    #[view]
    fn owner() -> Address {
        context().caller
    }
}

#[test]
fn typed_calls_run_the_package_at_the_address() {
    let env = TestEnv::new();
    env.register_program(COUNTER, counter_impl::__molt_dispatch);
    assert_eq!(env.call(|| counter::add(40)), Ok(40));
    assert_eq!(env.call(|| counter::add(2)), Ok(42));
    assert_eq!(env.call(counter::get), Ok(42));
    // The callee sees the calling program as its caller.
    assert_eq!(env.call(counter::owner), Ok(TestEnv::PROGRAM));
    assert_eq!(counter::ADDRESS, COUNTER);
}

#[test]
fn a_client_calls_the_package_at_any_address() {
    let env = TestEnv::new();
    let other = Address::reserved(0xc1);
    env.register_program(other, counter_impl::__molt_dispatch);
    let client = counter::Client::new(other);
    assert_eq!(env.call(|| client.add(5)), Ok(5));
    assert_eq!(env.call(|| client.get()), Ok(5));
    // The package at ADDRESS is another one, not installed here.
    assert!(env.call(counter::get).is_err());
}

#[test]
fn the_interface_types_encode_as_the_dependency_declares_them() {
    let s = counter::State {
        count: 3,
        owner: TestEnv::ALICE,
    };
    let mut expected = 3u64.to_le_bytes().to_vec();
    expected.extend_from_slice(&TestEnv::ALICE.0);
    assert_eq!(borsh::to_vec(&s).unwrap(), expected);
    let e = counter::Incremented { by: 1, count: 2 };
    assert_eq!(borsh::to_vec(&e).unwrap().len(), 16);
}
