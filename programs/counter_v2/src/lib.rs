//! `counter`, version 2: a compatible upgrade of `counter_v1`.
//!
//! Against version 1 it adds a function (`reset`), an event (`Reset`) and a
//! storage item (`resets`), and changes the body of `add` (it now refuses to add zero). Every declaration of
//! version 1 is unchanged, so the `compatible` and `additive` checks pass.
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

    /// New in version 2.
    #[event]
    #[derive(Debug, PartialEq, Eq)]
    pub struct Reset {
        pub previous: u64,
    }

    #[errors]
    pub enum Error {
        #[error(code = 1, message = "only the owner may reset the counter")]
        NotOwner,
        #[error(code = 2, message = "adding zero changes nothing")]
        AddZero,
    }

    #[storage]
    static STATE: Item<State>;
    #[storage]
    static ADDS: Item<u64>;
    /// New in version 2: how many times the counter was reset.
    #[storage]
    static RESETS: Item<u64>;

    #[init]
    fn init() {
        STATE.set(&State {
            count: 0,
            owner: env::caller(),
        });
        ADDS.set(&0);
    }

    #[entry]
    fn increment() {
        add(1);
    }

    #[public]
    #[view]
    fn get() -> u64 {
        STATE.load().count
    }

    /// Changed body: adding zero is refused.
    #[public]
    fn add(n: u64) -> u64 {
        ensure!(n > 0, Error::AddZero);
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

    /// New in version 2: the owner sets the count back to zero.
    #[entry]
    fn reset() -> Result<(), Error> {
        let mut state = STATE.load();
        if env::caller() != state.owner {
            return Err(Error::NotOwner);
        }
        let previous = state.count;
        state.count = 0;
        STATE.set(&state);
        RESETS.update(|n| *n += 1);
        Reset { previous }.emit();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::counter::{self, Error, Reset};
    use molt_sdk::testing::TestEnv;

    #[test]
    fn reset_is_owner_only() {
        let env = TestEnv::new();
        env.call(counter::init).unwrap();
        env.call(|| counter::add(3)).unwrap();
        env.set_caller(TestEnv::BOB);
        assert_eq!(env.try_call(counter::reset), Err(Error::NotOwner.into()));
        env.set_caller(TestEnv::ALICE);
        env.try_call(counter::reset).unwrap();
        assert_eq!(env.call(counter::get), Ok(0));
        assert_eq!(env.events_of::<Reset>(), [Reset { previous: 3 }]);
        assert_eq!(
            env.call(|| counter::add(0)).unwrap_err(),
            Error::AddZero.into()
        );
    }

    #[test]
    fn reads_state_written_by_version_1() {
        // Same storage layout: v1's bytes decode in v2.
        let env = TestEnv::new();
        env.call(counter::init).unwrap();
        env.call(|| counter::add(7)).unwrap();
        assert_eq!(env.call(counter::get), Ok(7));
        assert_eq!(counter::__molt_interface().storage[0].name, "state");
    }
}
