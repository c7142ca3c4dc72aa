//! Native coin on the native test host, as on the node: attached coin is
//! in the program's account when the function runs and goes back when it
//! fails; a program sends from its own account; every move is the system's
//! `Transfer` event; views cannot send.

use molt_sdk::testing::{TestEnv, refusals};
use molt_sdk::{Address, ProgramError};

#[molt_sdk::program(name = "tip_jar")]
pub mod tip_jar {
    use molt_sdk::prelude::*;

    #[errors]
    pub enum Error {
        #[error(code = 1, message = "attach at least 10 coin")]
        TooSmall,
        #[error(code = 2, message = "the jar holds less than that")]
        Short,
    }

    /// Keeps the attached coin; refuses less than 10.
    #[entry]
    fn tip() -> Result<u64, Error> {
        let got = coin::attached();
        ensure!(got >= 10, Error::TooSmall);
        Ok(got)
    }

    /// Sends `amount` of the jar's coin to `to`.
    #[entry]
    fn pay(to: Address, amount: u64) -> Result<(), Error> {
        coin::send(&to, amount).map_err(|_| Error::Short)
    }

    #[view]
    fn held() -> u64 {
        coin::own_balance()
    }

    #[public]
    #[view]
    fn pay_in_view(to: Address) {
        let _ = coin::send(&to, 1);
    }
}

fn transfers(env: &TestEnv) -> Vec<(Address, Address, u64)> {
    env.events()
        .iter()
        .filter(|e| e.program == Address::ZERO && e.name == "Transfer")
        .map(|e| e.decode())
        .collect()
}

#[test]
fn attached_coin_is_in_the_account_and_a_refusal_gives_it_back() {
    let env = TestEnv::new();
    let (alice, jar) = (TestEnv::ALICE, TestEnv::PROGRAM);
    env.set_balance(&alice, 100);
    env.attach_coin(25);
    assert_eq!(env.try_call(tip_jar::tip), Ok(25));
    assert_eq!((env.balance(&alice), env.balance(&jar)), (75, 25));
    assert_eq!(transfers(&env), vec![(alice, jar, 25)]);
    assert_eq!(env.call(tip_jar::held), Ok(25));

    env.clear_events();
    env.attach_coin(5);
    let err = env.try_call(tip_jar::tip).unwrap_err();
    assert_eq!(err.code, 1);
    assert_eq!((env.balance(&alice), env.balance(&jar)), (75, 25));
    assert!(transfers(&env).is_empty(), "a failed call keeps no event");

    // Nothing attached: the next call sees 0.
    assert_eq!(env.try_call(tip_jar::tip).unwrap_err().code, 1);
}

#[test]
fn attaching_more_than_the_origin_holds_does_not_run_the_call() {
    let env = TestEnv::new();
    env.set_balance(&TestEnv::ALICE, 3);
    env.attach_coin(30);
    let err: ProgramError = env.try_call(tip_jar::tip).unwrap_err();
    assert_eq!(err.code, refusals::INSUFFICIENT_BALANCE, "{}", err.message);
    assert_eq!(env.balance(&TestEnv::ALICE), 3);
}

#[test]
fn a_program_sends_its_own_coin_but_not_more_and_not_in_a_view() {
    let env = TestEnv::new();
    let (jar, bob) = (TestEnv::PROGRAM, TestEnv::BOB);
    env.set_balance(&jar, 40);
    env.try_call(|| tip_jar::pay(bob, 15)).unwrap();
    assert_eq!((env.balance(&jar), env.balance(&bob)), (25, 15));
    assert_eq!(transfers(&env), vec![(jar, bob, 15)]);

    assert_eq!(env.try_call(|| tip_jar::pay(bob, 26)).unwrap_err().code, 2);
    assert_eq!((env.balance(&jar), env.balance(&bob)), (25, 15));

    let err = env
        .invoke::<()>(tip_jar::__molt_dispatch, "pay_in_view", &bob)
        .unwrap_err();
    assert_eq!(err.code, refusals::WRITE_IN_VIEW, "{}", err.message);
    assert_eq!(env.balance(&jar), 25);
}
