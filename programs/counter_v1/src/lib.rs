//! `counter`, version 1: a counter with an owner.
//!
//! The base of the upgrade examples: `counter_v2` is a compatible upgrade of
//! this package, `counter_v3` an incompatible one.
#![cfg_attr(not(test), no_std)]

#[molt_sdk::program]
pub mod counter {
    use molt_sdk::prelude::*;

    #[derive(BorshSerialize, BorshDeserialize, Debug, Clone, PartialEq, Eq)]
    pub struct State {
        pub count: u64,
        pub owner: Address,
    }

    #[event]
    #[derive(Debug, PartialEq, Eq)]
    pub struct Incremented {
        pub by: u64,
        pub count: u64,
    }

    #[storage]
    static STATE: Item<State>;

    /// How many times `add` ran.
    #[storage]
    static ADDS: Item<u64>;

    /// The publisher owns the counter.
    #[init]
    fn init() {
        STATE.set(&State {
            count: 0,
            owner: env::caller(),
        });
        ADDS.set(&0);
    }

    /// Adds one (transactions only).
    #[entry]
    fn increment() {
        add(1);
    }

    #[public]
    #[view]
    fn get() -> u64 {
        STATE.load().count
    }

    /// Adds `n` and returns the new count.
    #[public]
    fn add(n: u64) -> u64 {
        let mut state = STATE.load();
        state.count += n;
        STATE.set(&state);
        ADDS.update(|a| *a += 1);
        Incremented {
            by: n,
            count: state.count,
        }
        .emit();
        state.count
    }

    #[public]
    #[view]
    fn owner() -> Address {
        STATE.load().owner
    }
}

#[cfg(test)]
mod tests {
    use super::counter::{self, Incremented};
    use molt_sdk::testing::TestEnv;

    #[test]
    fn counts_and_emits() {
        let env = TestEnv::new();
        env.call(counter::init).unwrap();
        env.call(counter::increment).unwrap();
        assert_eq!(env.call(|| counter::add(41)), Ok(42));
        assert_eq!(env.call(counter::get), Ok(42));
        assert_eq!(env.call(counter::owner), Ok(TestEnv::ALICE));
        assert_eq!(
            env.events_of::<Incremented>(),
            [
                Incremented { by: 1, count: 1 },
                Incremented { by: 41, count: 42 }
            ]
        );
    }

    #[test]
    fn through_the_abi() {
        let env = TestEnv::new();
        env.call(counter::init).unwrap();
        let n: u64 = env.invoke(counter::__molt_dispatch, "add", &5u64).unwrap();
        assert_eq!(n, 5);
        let n: u64 = env.invoke(counter::__molt_dispatch, "get", &()).unwrap();
        assert_eq!(n, 5);
    }

    #[test]
    fn uninitialized_state_is_a_clear_error() {
        let env = TestEnv::new();
        let err = env.call(counter::get).unwrap_err();
        assert_eq!(err.code, molt_sdk::error::codes::MISSING_STORAGE);
        assert!(err.message.contains("`state`"), "{}", err.message);
    }

    #[test]
    fn interface() {
        let i = counter::__molt_interface();
        assert_eq!(i.name, "counter");
        assert!(i.init);
        let names: Vec<_> = i.functions.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["increment", "get", "add", "owner"]);
    }
}
