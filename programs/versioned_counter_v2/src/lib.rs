//! `versioned_counter`, version 2: moves the count to a `u128` item and the
//! state to version 2 with an admin-only `migrate`; version 1's functions
//! then fail with the SDK's `WRONG_VERSION` error.
//!
//! Also shows the batched form: `begin_migration` pauses the state (every
//! guarded call fails with `PAUSED`), `migrate_batch` moves one slice of
//! per-user data at a time, and `migrate` finishes and unpauses.
#![cfg_attr(not(test), no_std)]

#[molt_sdk::program(name = "versioned_counter")]
pub mod versioned_counter {
    use molt_sdk::prelude::*;

    pub const VERSION: u64 = 2;

    #[storage]
    static GUARD: VersionGuard;
    /// Version 1's count; emptied by the migration.
    #[storage]
    static COUNT: Item<u64>;
    /// New in version 2.
    #[storage]
    static TOTAL: Item<u128>;

    #[init]
    fn init() {
        GUARD.init(VERSION, env::caller());
        TOTAL.set(&0);
    }

    #[entry]
    fn increment() {
        GUARD.check(VERSION);
        TOTAL.update(|c| *c += 1);
    }

    #[public]
    #[view]
    fn get() -> u64 {
        GUARD.check(VERSION);
        // The public signature of version 1 is kept.
        u64::try_from(TOTAL.load()).unwrap_or(u64::MAX)
    }

    #[public]
    #[view]
    fn total() -> u128 {
        GUARD.check(VERSION);
        TOTAL.load()
    }

    #[public]
    #[view]
    fn state_version() -> Option<u64> {
        GUARD.version()
    }

    /// Admin only: pauses the state for a batched migration.
    #[entry]
    fn begin_migration() {
        GUARD.pause();
    }

    /// Admin only: converts version 1's state and moves it to version 2.
    #[entry]
    fn migrate() {
        let count = COUNT.get().unwrap_or(0);
        let total = TOTAL.get().unwrap_or(0);
        // `migrate` checks the caller before anything is written.
        GUARD.migrate(VERSION);
        TOTAL.set(&(total + u128::from(count)));
        COUNT.remove();
    }
}

#[cfg(test)]
mod tests {
    use super::versioned_counter as v2;
    use molt_sdk::error::codes;
    use molt_sdk::testing::TestEnv;
    use versioned_counter_v1::versioned_counter as v1;

    /// Both versions run against the same storage, as on chain.
    fn published_v1_with(count: u64) -> TestEnv {
        let env = TestEnv::new();
        env.call(v1::__molt_init).unwrap();
        for _ in 0..count {
            env.call(v1::increment).unwrap();
        }
        env
    }

    #[test]
    fn v2_refuses_unmigrated_state() {
        let env = published_v1_with(1);
        let err = env.call(v2::increment).unwrap_err();
        assert_eq!(err.code, codes::WRONG_VERSION);
        assert!(err.message.contains("migrate"), "{}", err.message);
    }

    #[test]
    fn migrate_moves_state_and_locks_out_v1() {
        let env = published_v1_with(3);
        env.set_caller(TestEnv::BOB);
        assert_eq!(env.call(v2::migrate).unwrap_err().code, codes::NOT_ADMIN);
        env.set_caller(TestEnv::ALICE);
        env.call(v2::migrate).unwrap();
        assert_eq!(env.call(v2::total), Ok(3));
        env.call(v2::increment).unwrap();
        assert_eq!(env.call(v2::get), Ok(4));

        // Calls through the old version now fail, with a clear message.
        let err = env.call(v1::increment).unwrap_err();
        assert_eq!(err.code, codes::WRONG_VERSION);
        assert_eq!(
            err.message,
            "this is version 1 of the package but the state was migrated to version 2; \
             call the package by its original id to reach the latest version"
        );
        // And the migration cannot run twice.
        assert_eq!(
            env.call(v2::migrate).unwrap_err().code,
            codes::BAD_MIGRATION
        );
    }

    #[test]
    fn batched_migration_pauses_both_versions() {
        let env = published_v1_with(2);
        env.call(v2::begin_migration).unwrap();
        assert_eq!(env.call(v1::increment).unwrap_err().code, codes::PAUSED);
        assert_eq!(env.call(v2::increment).unwrap_err().code, codes::PAUSED);
        env.call(v2::migrate).unwrap();
        assert_eq!(env.call(v2::state_version), Ok(Some(2)));
        assert_eq!(env.call(v2::total), Ok(2));
    }
}
