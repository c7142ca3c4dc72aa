//! `molt_sdk::upgrade::authorize` against the native test host.

use molt_sdk::testing::{TestEnv, UpgradeTicket};
use molt_sdk::upgrade::NOT_AUTHORIZED;
use molt_sdk::{Address, Digest};

/// A program that authorizes whatever it is asked to.
#[molt_sdk::program(name = "upgrader")]
pub mod upgrader {
    use molt_sdk::prelude::*;

    #[public]
    fn authorize(cap: Address, digest: Digest) {
        upgrade::authorize(&cap, &digest);
    }

    #[public]
    #[view]
    fn authorize_in_view(cap: Address, digest: Digest) {
        upgrade::authorize(&cap, &digest);
    }
}

const CAP: Address = Address([0xca; 32]);
const DIGEST: Digest = Digest([0xd1; 32]);

#[test]
fn owner_program_gets_a_ticket() {
    let env = TestEnv::new();
    env.set_ticket_call(true);
    env.add_cap(CAP, TestEnv::PROGRAM);
    env.call(|| upgrader::authorize(CAP, DIGEST)).unwrap();
    let ticket = UpgradeTicket {
        program: TestEnv::PROGRAM,
        cap: CAP,
        digest: DIGEST,
    };
    assert_eq!(env.tickets(), [ticket]);
    assert_eq!(env.take_tickets(), [ticket]);
    assert!(env.tickets().is_empty());
}

#[test]
fn one_ticket_per_cap_per_transaction() {
    let env = TestEnv::new();
    env.set_ticket_call(true);
    env.add_cap(CAP, TestEnv::PROGRAM);
    let err = env
        .call(|| {
            upgrader::authorize(CAP, DIGEST);
            upgrader::authorize(CAP, Digest([7; 32]))
        })
        .unwrap_err();
    assert_eq!(err.code, NOT_AUTHORIZED);
    assert_eq!(
        err.message,
        format!(
            "UpgradeCap {CAP} already has a ticket in this transaction (for module {DIGEST}); \
             one ticket authorizes one upgrade"
        )
    );
    assert!(env.tickets().is_empty());
    // A ticket lives for its transaction: the next one may issue again.
    env.call(|| upgrader::authorize(CAP, DIGEST)).unwrap();
    env.call(|| upgrader::authorize(CAP, Digest([7; 32])))
        .unwrap();
    assert_eq!(
        env.tickets(),
        [UpgradeTicket {
            program: TestEnv::PROGRAM,
            cap: CAP,
            digest: Digest([7; 32]),
        }]
    );
}

#[test]
fn refusals_name_the_reason() {
    let env = TestEnv::new();
    env.set_ticket_call(true);
    let err = env.call(|| upgrader::authorize(CAP, DIGEST)).unwrap_err();
    assert_eq!(err.code, NOT_AUTHORIZED);
    assert_eq!(err.message, format!("there is no UpgradeCap {CAP}"));
    env.add_cap(CAP, TestEnv::ALICE);
    let err = env.call(|| upgrader::authorize(CAP, DIGEST)).unwrap_err();
    assert_eq!(
        err.message,
        format!(
            "UpgradeCap {CAP} is owned by {}, not by this program {}",
            TestEnv::ALICE,
            TestEnv::PROGRAM
        )
    );
    assert!(env.tickets().is_empty());
}

#[test]
fn tickets_roll_back_with_the_transaction() {
    let env = TestEnv::new();
    env.set_ticket_call(true);
    env.add_cap(CAP, TestEnv::PROGRAM);
    let err = env
        .call(|| {
            upgrader::authorize(CAP, DIGEST);
            molt_sdk::abort(5, "changed my mind")
        })
        .unwrap_err();
    assert_eq!(err.code, 5);
    assert!(env.tickets().is_empty());
}

#[test]
fn view_calls_may_not_authorize() {
    let env = TestEnv::new();
    env.set_ticket_call(true);
    env.add_cap(CAP, TestEnv::PROGRAM);
    let err = env
        .invoke::<()>(
            upgrader::__molt_dispatch,
            "authorize_in_view",
            &(CAP, DIGEST),
        )
        .unwrap_err();
    assert!(err.message.contains("view"), "{}", err.message);
    assert!(env.tickets().is_empty());
    env.invoke::<()>(upgrader::__molt_dispatch, "authorize", &(CAP, DIGEST))
        .unwrap();
    assert_eq!(env.tickets().len(), 1);
}

#[test]
fn plain_calls_may_not_authorize() {
    let env = TestEnv::new();
    env.add_cap(CAP, TestEnv::PROGRAM);
    assert!(!env.context().ticket_call);
    let err = env.call(|| upgrader::authorize(CAP, DIGEST)).unwrap_err();
    assert_eq!(err.code, NOT_AUTHORIZED);
    assert!(err.message.contains("ticket call"), "{}", err.message);
    assert!(env.tickets().is_empty());
    env.set_ticket_call(true);
    env.call(|| upgrader::authorize(CAP, DIGEST)).unwrap();
    assert_eq!(env.tickets().len(), 1);
}
