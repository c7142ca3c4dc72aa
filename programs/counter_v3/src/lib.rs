//! `counter`, version 3: an INCOMPATIBLE upgrade of `counter_v1` (and of
//! `counter_v2`), for the compatibility checker's tests. Against either it
//!
//! - renames the field `State.count` to `State.value`;
//! - removes the public function `owner`;
//! - changes the signature of the public function `add` (`n: u32`);
//! - changes the value type of the storage item `adds` (`u64` -> `u128`).
#![cfg_attr(not(test), no_std)]

#[molt_sdk::program]
pub mod counter {
    use molt_sdk::prelude::*;

    #[derive(BorshSerialize, BorshDeserialize, Debug, Clone, PartialEq, Eq)]
    pub struct State {
        pub value: u64,
        pub owner: Address,
    }

    #[event]
    #[derive(Debug, PartialEq, Eq)]
    pub struct Incremented {
        pub by: u64,
        pub count: u64,
    }

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
    static ADDS: Item<u128>;
    #[storage]
    static RESETS: Item<u64>;

    #[init]
    fn init() {
        STATE.set(&State {
            value: 0,
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
        STATE.load().value
    }

    #[public]
    fn add(n: u32) -> u64 {
        ensure!(n > 0, Error::AddZero);
        let mut state = STATE.load();
        state.value += u64::from(n);
        STATE.set(&state);
        ADDS.update(|a| *a += 1);
        Incremented {
            by: n.into(),
            count: state.value,
        }
        .emit();
        state.value
    }

    #[entry]
    fn reset() -> Result<(), Error> {
        let mut state = STATE.load();
        if env::caller() != state.owner {
            return Err(Error::NotOwner);
        }
        let previous = state.value;
        state.value = 0;
        STATE.set(&state);
        RESETS.update(|n| *n += 1);
        Reset { previous }.emit();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::counter;
    use molt_sdk::testing::{Interface, TestEnv};

    #[test]
    fn still_works_on_its_own() {
        let env = TestEnv::new();
        env.call(counter::init).unwrap();
        assert_eq!(env.call(|| counter::add(2)), Ok(2));
    }

    #[test]
    fn differs_as_documented() {
        let i: Interface = counter::__molt_interface();
        assert!(i.function("owner").is_none());
        assert_eq!(
            i.function("add").unwrap().params[0].ty,
            molt_sdk::testing::TypeRef::U32
        );
    }
}
