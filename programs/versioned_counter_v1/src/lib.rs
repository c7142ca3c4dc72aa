//! `versioned_counter`, version 1: a counter behind the SDK's version guard
//! (DESIGN.md 2.4). See `versioned_counter_v2` for the migration.
#![cfg_attr(not(test), no_std)]

#[molt_sdk::program(name = "versioned_counter")]
pub mod versioned_counter {
    use molt_sdk::prelude::*;

    /// The code version; the guard lets only this version use the state.
    pub const VERSION: u64 = 1;

    #[storage]
    static GUARD: VersionGuard;
    #[storage]
    static COUNT: Item<u64>;

    /// The publisher becomes the guard's admin.
    #[init]
    fn init() {
        GUARD.init(VERSION, env::caller());
        COUNT.set(&0);
    }

    #[entry]
    fn increment() {
        GUARD.check(VERSION);
        COUNT.update(|c| *c += 1);
    }

    #[public]
    #[view]
    fn get() -> u64 {
        GUARD.check(VERSION);
        COUNT.load()
    }

    #[public]
    #[view]
    fn state_version() -> Option<u64> {
        GUARD.version()
    }
}

#[cfg(test)]
mod tests {
    use super::versioned_counter as v1;
    use molt_sdk::testing::TestEnv;

    #[test]
    fn guarded_calls_work_at_the_recorded_version() {
        let env = TestEnv::new();
        env.call(v1::__molt_init).unwrap();
        env.call(v1::increment).unwrap();
        assert_eq!(env.call(v1::get), Ok(1));
        assert_eq!(env.call(v1::state_version), Ok(Some(1)));
    }
}
