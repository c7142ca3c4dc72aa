//! `counter_client_dep2`: `counter_client` with its dependency on `counter`
//! raised from version 1 to version 2 and nothing else changed: the
//! `dep_only` upgrade of `counter_client`.
#![cfg_attr(not(test), no_std)]

#[molt_sdk::program(dependency(name = "counter", original_id = "0xc0", version = 2))]
pub mod counter_client {

    /// Calls `counter::add(0)`: version 1 accepts it, version 2 refuses
    /// zero, so the outcome shows which version is linked.
    #[entry]
    fn add_zero() -> u64 {
        molt_sdk::call::<u64>(&deps::COUNTER, "add", &0u64)
    }
}
