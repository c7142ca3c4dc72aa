//! `counter_typed_client`: calls the `counter` package at the well-known
//! address `0xc0` (a test genesis puts version 1 there) through the typed
//! client `molt_sdk::import!` generates from counter_v1's module
//! (`counter_v1.wasm` beside this crate, a copy of the example's build), and
//! makes the same call untyped, so that tests can compare the two.
#![cfg_attr(not(test), no_std)]

molt_sdk::import!(
    name = "counter",
    wasm = "../counter_v1.wasm",
    address = "0xc0"
);

#[molt_sdk::program(dependency(name = "counter", original_id = "0xc0", version = 1))]
pub mod counter_typed_client {
    /// `counter::add(n)` through the typed client.
    #[entry]
    fn typed_add(n: u64) -> u64 {
        crate::counter::add(n)
    }

    /// The same call, untyped.
    #[entry]
    fn plain_add(n: u64) -> u64 {
        molt_sdk::call(&deps::COUNTER, "add", &n)
    }
}

#[cfg(test)]
mod tests {
    use super::counter_typed_client as p;
    use molt_sdk::prelude::Address;
    use molt_sdk::testing::TestEnv;

    #[test]
    fn both_calls_reach_the_dependency_with_the_same_arguments() {
        let env = TestEnv::new();
        env.mock_call_typed(Address::reserved(0xc0), "add", |n: u64| Ok(n * 10));
        assert_eq!(env.call(|| p::typed_add(4)), Ok(40));
        assert_eq!(env.call(|| p::plain_add(4)), Ok(40));
    }
}
