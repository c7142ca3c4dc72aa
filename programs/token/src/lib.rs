//! `token`: a fungible token with an admin who mints.
//!
//! Demonstrates a map keyed by address, admin checks against state set in
//! `init`, custom errors with `Result` and `ensure!`, events, and public
//! functions other programs call (`transfer` moves the calling program's
//! own balance).
#![cfg_attr(not(test), no_std)]

#[molt_sdk::program]
pub mod token {
    use molt_sdk::prelude::*;

    #[event]
    #[derive(Debug, PartialEq, Eq)]
    pub struct Transfer {
        pub from: Address,
        pub to: Address,
        pub amount: u128,
    }

    #[event]
    #[derive(Debug, PartialEq, Eq)]
    pub struct Minted {
        pub to: Address,
        pub amount: u128,
    }

    #[errors]
    pub enum Error {
        #[error(code = 1, message = "only the admin may do this")]
        NotAdmin,
        #[error(code = 2, message = "the balance is too low for this transfer")]
        InsufficientBalance,
        #[error(code = 3, message = "the amount must be greater than zero")]
        ZeroAmount,
        #[error(code = 4, message = "the total supply would overflow")]
        SupplyOverflow,
    }

    #[storage]
    static ADMIN: Item<Address>;
    #[storage]
    static SUPPLY: Item<u128>;
    #[storage]
    static BALANCES: Map<Address, u128>;

    /// The publisher becomes the admin.
    #[init]
    fn init() {
        ADMIN.set(&env::caller());
        SUPPLY.set(&0);
    }

    /// Admin only: creates `amount` new tokens for `to`.
    #[public]
    fn mint(to: Address, amount: u128) -> Result<(), Error> {
        ensure!(env::caller() == ADMIN.load(), Error::NotAdmin);
        ensure!(amount > 0, Error::ZeroAmount);
        let supply = SUPPLY
            .load()
            .checked_add(amount)
            .ok_or(Error::SupplyOverflow)?;
        SUPPLY.set(&supply);
        BALANCES.set(&to, &(BALANCES.get_or_default(&to) + amount));
        Minted { to, amount }.emit();
        Ok(())
    }

    /// Moves `amount` of the caller's tokens to `to`.
    #[public]
    fn transfer(to: Address, amount: u128) -> Result<(), Error> {
        ensure!(amount > 0, Error::ZeroAmount);
        let from = env::caller();
        let from_balance = BALANCES.get_or_default(&from);
        ensure!(from_balance >= amount, Error::InsufficientBalance);
        if from != to {
            set_balance(&from, from_balance - amount);
            set_balance(&to, BALANCES.get_or_default(&to) + amount);
        }
        Transfer { from, to, amount }.emit();
        Ok(())
    }

    #[public]
    #[view]
    fn balance_of(who: Address) -> u128 {
        BALANCES.get_or_default(&who)
    }

    #[public]
    #[view]
    fn supply() -> u128 {
        SUPPLY.get_or_default()
    }

    #[public]
    #[view]
    fn admin() -> Address {
        ADMIN.load()
    }

    /// Admin only: hands the admin role to `new_admin`.
    #[entry]
    fn set_admin(new_admin: Address) -> Result<(), Error> {
        ensure!(env::caller() == ADMIN.load(), Error::NotAdmin);
        ADMIN.set(&new_admin);
        Ok(())
    }

    /// Every holder with a non-zero balance, in key order.
    #[public]
    #[view]
    fn holders() -> Vec<(Address, u128)> {
        BALANCES.iter().collect()
    }

    /// Zero balances are removed rather than stored.
    fn set_balance(who: &Address, amount: u128) {
        if amount == 0 {
            BALANCES.remove(who);
        } else {
            BALANCES.set(who, &amount);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::token::{self, Error, Minted, Transfer};
    use molt_sdk::testing::TestEnv;
    use molt_sdk::{Address, ProgramError};

    const ALICE: Address = TestEnv::ALICE;
    const BOB: Address = TestEnv::BOB;

    fn minted() -> TestEnv {
        let env = TestEnv::new();
        env.call(token::init).unwrap();
        env.try_call(|| token::mint(ALICE, 100)).unwrap();
        env
    }

    #[test]
    fn mint_is_admin_only() {
        let env = minted();
        assert_eq!(env.call(token::supply), Ok(100));
        env.set_caller(BOB);
        assert_eq!(
            env.try_call(|| token::mint(BOB, 1)),
            Err(Error::NotAdmin.into())
        );
        assert_eq!(
            env.events_of::<Minted>(),
            [Minted {
                to: ALICE,
                amount: 100
            }]
        );
    }

    #[test]
    fn transfer_moves_balances() {
        let env = minted();
        env.try_call(|| token::transfer(BOB, 30)).unwrap();
        assert_eq!(env.call(|| token::balance_of(ALICE)), Ok(70));
        assert_eq!(env.call(|| token::balance_of(BOB)), Ok(30));
        assert_eq!(
            env.events_of::<Transfer>(),
            [Transfer {
                from: ALICE,
                to: BOB,
                amount: 30
            }]
        );
        env.set_caller(BOB);
        let err = env.try_call(|| token::transfer(ALICE, 31)).unwrap_err();
        assert_eq!(
            err,
            ProgramError::new(2, "the balance is too low for this transfer")
        );
        env.try_call(|| token::transfer(ALICE, 30)).unwrap();
        assert_eq!(
            env.call(token::holders),
            Ok(vec![(ALICE, 100)]),
            "empty balances are removed"
        );
    }

    #[test]
    fn supply_overflow_is_an_error_not_a_wrap() {
        let env = minted();
        assert_eq!(
            env.try_call(|| token::mint(BOB, u128::MAX)),
            Err(Error::SupplyOverflow.into())
        );
        assert_eq!(env.call(token::supply), Ok(100));
    }

    #[test]
    fn admin_handover_through_the_abi() {
        let env = minted();
        env.invoke::<()>(token::__molt_dispatch, "set_admin", &BOB)
            .unwrap();
        assert_eq!(env.call(token::admin), Ok(BOB));
        // A view cannot be used to write, and bad arguments are refused.
        let err = env
            .invoke_raw(token::__molt_dispatch, "mint", &[0; 3])
            .unwrap_err();
        assert_eq!(err.code, molt_sdk::error::codes::BAD_ARGUMENTS);
    }
}
