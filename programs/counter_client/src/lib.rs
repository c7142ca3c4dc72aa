//! `counter_client`: depends on the `counter` package installed at the
//! well-known address `0xc0` (a test genesis puts it there), linked at
//! version 1. Its calls keep reaching version 1 after `counter` is upgraded:
//! upgrading a dependency does not relink its dependents (DESIGN.md 2.1).
#![cfg_attr(not(test), no_std)]

#[molt_sdk::program(dependency(name = "counter", original_id = "0xc0", version = 1))]
pub mod counter_client {

    /// Calls `counter::add(0)`: version 1 accepts it, version 2 refuses
    /// zero, so the outcome shows which version is linked.
    #[entry]
    fn add_zero() -> u64 {
        molt_sdk::call::<u64>(&deps::COUNTER, "add", &0u64)
    }
}

#[cfg(test)]
mod tests {
    use super::counter_client as p;
    use molt_sdk::prelude::Address;
    use molt_sdk::testing::TestEnv;

    #[test]
    fn declares_the_pinned_dependency() {
        let i = p::__molt_interface();
        assert_eq!(i.dependencies.len(), 1);
        assert_eq!(i.dependencies[0].original_id, Address::reserved(0xc0));
        assert_eq!(i.dependencies[0].version, 1);
    }

    #[test]
    fn calls_the_dependency() {
        let env = TestEnv::new();
        env.mock_call_typed(Address::reserved(0xc0), "add", |_: u64| Ok(7u64));
        assert_eq!(env.call(p::add_zero), Ok(7));
    }
}
