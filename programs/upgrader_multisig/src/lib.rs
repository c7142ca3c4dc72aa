//! `upgrader_multisig`: a 2-of-3 upgrade policy written as an ordinary
//! program (DESIGN.md 2.2, upgrade tickets).
//!
//! Transfer a package's `UpgradeCap` to this program (the cap's owner becomes
//! this program's original id). The publisher names three signers once with
//! `setup`; a signer `propose`s an exact module digest for a cap, another
//! signer `approve`s it, and then anyone may call `authorize`, which issues
//! the upgrade ticket for that digest (`molt_sdk::upgrade::authorize`) and
//! consumes the approvals: one upgrade per approval set. The upgrade itself
//! must follow in the same transaction.
#![cfg_attr(not(test), no_std)]

#[molt_sdk::program]
pub mod upgrader_multisig {
    use molt_sdk::prelude::*;

    /// Distinct signer approvals needed to authorize an upgrade.
    pub const THRESHOLD: u32 = 2;

    #[event]
    #[derive(Debug, PartialEq, Eq)]
    pub struct Proposed {
        pub cap: Address,
        pub digest: Digest,
        pub by: Address,
    }

    #[event]
    #[derive(Debug, PartialEq, Eq)]
    pub struct Approved {
        pub cap: Address,
        pub digest: Digest,
        pub by: Address,
    }

    #[event]
    #[derive(Debug, PartialEq, Eq)]
    pub struct Authorized {
        pub cap: Address,
        pub digest: Digest,
        pub approvals: Vec<Address>,
    }

    #[errors]
    pub enum Error {
        #[error(code = 1, message = "only the publisher may set up the signers")]
        NotPublisher,
        #[error(code = 2, message = "the signers are already set up")]
        AlreadySetUp,
        #[error(code = 3, message = "the signers are not set up yet: call setup first")]
        NotSetUp,
        #[error(code = 4, message = "the three signers must be distinct")]
        DuplicateSigner,
        #[error(code = 5, message = "only one of the three signers may do this")]
        NotSigner,
        #[error(
            code = 6,
            message = "this upgrade is already proposed: approve it instead"
        )]
        AlreadyProposed,
        #[error(
            code = 7,
            message = "no proposal for this cap and digest: propose it first"
        )]
        NotProposed,
        #[error(code = 8, message = "this signer has already approved this upgrade")]
        AlreadyApproved,
        #[error(
            code = 9,
            message = "not enough approvals: 2 distinct signers must approve this exact cap and digest"
        )]
        NotEnoughApprovals,
        #[error(
            code = 10,
            message = "authorize runs only as the ticket call of an Upgrade transaction (molt upgrade --ticket)"
        )]
        NotInUpgrade,
    }

    /// The account that published the package: the only one who may `setup`.
    #[storage]
    static PUBLISHER: Item<Address>;
    #[storage]
    static SIGNERS: Item<[Address; 3]>;
    /// `(cap, digest)` -> the signers who approved it, proposer first.
    #[storage]
    static APPROVALS: Map<(Address, Digest), Vec<Address>>;

    #[init]
    fn init() {
        PUBLISHER.set(&env::caller());
    }

    /// Publisher only, once: names the three signers.
    #[entry]
    fn setup(signers: [Address; 3]) -> Result<(), Error> {
        ensure!(env::caller() == PUBLISHER.load(), Error::NotPublisher);
        ensure!(!SIGNERS.has(), Error::AlreadySetUp);
        let [a, b, c] = signers;
        ensure!(a != b && b != c && a != c, Error::DuplicateSigner);
        SIGNERS.set(&signers);
        Ok(())
    }

    /// A signer proposes upgrading through `cap` to the module with checksum
    /// `digest`; the proposal counts as the proposer's approval.
    #[entry]
    fn propose(cap: Address, digest: Digest) -> Result<(), Error> {
        let by = signer()?;
        let key = (cap, digest);
        ensure!(!APPROVALS.has(&key), Error::AlreadyProposed);
        APPROVALS.set(&key, &vec![by]);
        Proposed { cap, digest, by }.emit();
        Ok(())
    }

    /// Another signer approves a proposed upgrade.
    #[entry]
    fn approve(cap: Address, digest: Digest) -> Result<(), Error> {
        let by = signer()?;
        let key = (cap, digest);
        let mut approvals = APPROVALS.get(&key).ok_or(Error::NotProposed)?;
        ensure!(!approvals.contains(&by), Error::AlreadyApproved);
        approvals.push(by);
        APPROVALS.set(&key, &approvals);
        Approved { cap, digest, by }.emit();
        Ok(())
    }

    /// Anyone, as the ticket call of the upgrade: issues the upgrade ticket
    /// for exactly `(cap, digest)` once two distinct signers approved it,
    /// consuming their approvals. Fails (and changes nothing) outside the
    /// ticket call of an `Upgrade` transaction, or if the node refuses the
    /// ticket, e.g. when this program does not own `cap`.
    #[public]
    fn authorize(cap: Address, digest: Digest) -> Result<(), Error> {
        ensure!(env::in_ticket_call(), Error::NotInUpgrade);
        let key = (cap, digest);
        let approvals = APPROVALS.get(&key).unwrap_or_default();
        ensure!(
            approvals.len() >= THRESHOLD as usize,
            Error::NotEnoughApprovals
        );
        APPROVALS.remove(&key);
        upgrade::authorize(&cap, &digest);
        Authorized {
            cap,
            digest,
            approvals,
        }
        .emit();
        Ok(())
    }

    /// The signers who approved `(cap, digest)` so far (empty: no proposal).
    #[view]
    fn approvals(cap: Address, digest: Digest) -> Vec<Address> {
        APPROVALS.get(&(cap, digest)).unwrap_or_default()
    }

    /// The three signers, once set up.
    #[view]
    fn signers() -> Option<[Address; 3]> {
        SIGNERS.get()
    }

    /// Approvals needed: 2.
    #[view]
    fn threshold() -> u32 {
        THRESHOLD
    }

    /// The caller, if it is a signer.
    fn signer() -> Result<Address, Error> {
        let signers = SIGNERS.get().ok_or(Error::NotSetUp)?;
        let caller = env::caller();
        ensure!(signers.contains(&caller), Error::NotSigner);
        Ok(caller)
    }
}

#[cfg(test)]
mod tests {
    use super::upgrader_multisig::{self as p, Approved, Authorized, Error, Proposed};
    use molt_sdk::testing::{TestEnv, UpgradeTicket};
    use molt_sdk::upgrade::NOT_AUTHORIZED;
    use molt_sdk::{Address, Digest};

    const DAVE: Address = Address([0xda; 32]);
    const CAP: Address = Address([0xca; 32]);
    const DIGEST: Digest = Digest([0xd1; 32]);
    const SIGNERS: [Address; 3] = [TestEnv::ALICE, TestEnv::BOB, TestEnv::CAROL];

    /// Published by DAVE, signers set up, the cap owned by the program.
    fn setup() -> TestEnv {
        let env = TestEnv::new();
        env.set_caller(DAVE);
        env.call(p::__molt_init).unwrap();
        env.try_call(|| p::setup(SIGNERS)).unwrap();
        env.add_cap(CAP, TestEnv::PROGRAM);
        // `authorize` runs as the ticket call of an upgrade.
        env.set_ticket_call(true);
        env
    }

    fn ticket(digest: Digest) -> UpgradeTicket {
        UpgradeTicket {
            program: TestEnv::PROGRAM,
            cap: CAP,
            digest,
        }
    }

    #[test]
    fn two_of_three_authorizes_once() {
        let env = setup();
        env.set_caller(TestEnv::ALICE);
        env.try_call(|| p::propose(CAP, DIGEST)).unwrap();
        env.set_caller(TestEnv::CAROL);
        env.try_call(|| p::approve(CAP, DIGEST)).unwrap();
        assert_eq!(
            env.call(|| p::approvals(CAP, DIGEST)).unwrap(),
            [TestEnv::ALICE, TestEnv::CAROL]
        );
        // Anyone may trigger the authorization once the quorum is there.
        env.set_caller(DAVE);
        env.try_call(|| p::authorize(CAP, DIGEST)).unwrap();
        assert_eq!(env.tickets(), [ticket(DIGEST)]);
        assert_eq!(
            env.events_of::<Proposed>(),
            [Proposed {
                cap: CAP,
                digest: DIGEST,
                by: TestEnv::ALICE
            }]
        );
        assert_eq!(env.events_of::<Approved>().len(), 1);
        assert_eq!(
            env.events_of::<Authorized>()[0].approvals,
            [TestEnv::ALICE, TestEnv::CAROL]
        );
        // The approvals are consumed: a second upgrade needs a new round.
        env.take_tickets();
        assert_eq!(
            env.try_call(|| p::authorize(CAP, DIGEST)),
            Err(Error::NotEnoughApprovals.into())
        );
        assert!(env.call(|| p::approvals(CAP, DIGEST)).unwrap().is_empty());
        assert!(env.tickets().is_empty());
    }

    #[test]
    fn one_approval_is_not_enough() {
        let env = setup();
        env.set_caller(TestEnv::BOB);
        env.try_call(|| p::propose(CAP, DIGEST)).unwrap();
        assert_eq!(
            env.try_call(|| p::authorize(CAP, DIGEST)),
            Err(Error::NotEnoughApprovals.into())
        );
        // Approvals are for one exact digest.
        env.set_caller(TestEnv::ALICE);
        assert_eq!(
            env.try_call(|| p::approve(CAP, Digest([7; 32]))),
            Err(Error::NotProposed.into())
        );
        assert!(env.tickets().is_empty());
    }

    #[test]
    fn signers_only_and_once_each() {
        let env = setup();
        env.set_caller(DAVE);
        assert_eq!(
            env.try_call(|| p::propose(CAP, DIGEST)),
            Err(Error::NotSigner.into())
        );
        env.set_caller(TestEnv::ALICE);
        env.try_call(|| p::propose(CAP, DIGEST)).unwrap();
        assert_eq!(
            env.try_call(|| p::propose(CAP, DIGEST)),
            Err(Error::AlreadyProposed.into())
        );
        assert_eq!(
            env.try_call(|| p::approve(CAP, DIGEST)),
            Err(Error::AlreadyApproved.into())
        );
        env.set_caller(DAVE);
        assert_eq!(
            env.try_call(|| p::approve(CAP, DIGEST)),
            Err(Error::NotSigner.into())
        );
        assert_eq!(
            env.call(|| p::approvals(CAP, DIGEST)).unwrap(),
            [TestEnv::ALICE]
        );
    }

    #[test]
    fn setup_is_the_publishers_and_happens_once() {
        let env = TestEnv::new();
        env.set_caller(DAVE);
        env.call(p::__molt_init).unwrap();
        env.set_caller(TestEnv::ALICE);
        assert_eq!(
            env.try_call(|| p::propose(CAP, DIGEST)),
            Err(Error::NotSetUp.into())
        );
        assert_eq!(
            env.try_call(|| p::setup(SIGNERS)),
            Err(Error::NotPublisher.into())
        );
        env.set_caller(DAVE);
        assert_eq!(
            env.try_call(|| p::setup([DAVE, TestEnv::BOB, DAVE])),
            Err(Error::DuplicateSigner.into())
        );
        env.try_call(|| p::setup(SIGNERS)).unwrap();
        assert_eq!(env.call(p::signers).unwrap(), Some(SIGNERS));
        assert_eq!(
            env.try_call(|| p::setup([DAVE, TestEnv::BOB, TestEnv::CAROL])),
            Err(Error::AlreadySetUp.into())
        );
        assert_eq!(env.call(p::threshold).unwrap(), 2);
    }

    #[test]
    fn a_refused_ticket_keeps_the_approvals() {
        let env = setup();
        // The cap belongs to someone else: the node refuses the ticket and
        // the whole call, approval consumption included, is undone.
        env.add_cap(CAP, DAVE);
        env.set_caller(TestEnv::ALICE);
        env.try_call(|| p::propose(CAP, DIGEST)).unwrap();
        env.set_caller(TestEnv::BOB);
        env.try_call(|| p::approve(CAP, DIGEST)).unwrap();
        let err = env.try_call(|| p::authorize(CAP, DIGEST)).unwrap_err();
        assert_eq!(err.code, NOT_AUTHORIZED);
        assert!(err.message.contains("is owned by"), "{}", err.message);
        assert_eq!(env.call(|| p::approvals(CAP, DIGEST)).unwrap().len(), 2);
        assert!(env.tickets().is_empty());
        assert!(env.events_of::<Authorized>().is_empty());
    }

    #[test]
    fn a_strangers_plain_call_leaves_the_approvals_usable() {
        let env = setup();
        env.set_caller(TestEnv::ALICE);
        env.try_call(|| p::propose(CAP, DIGEST)).unwrap();
        env.set_caller(TestEnv::BOB);
        env.try_call(|| p::approve(CAP, DIGEST)).unwrap();
        env.set_ticket_call(false);
        env.set_caller(DAVE);
        assert_eq!(
            env.try_call(|| p::authorize(CAP, DIGEST)),
            Err(Error::NotInUpgrade.into())
        );
        assert_eq!(env.call(|| p::approvals(CAP, DIGEST)).unwrap().len(), 2);
        env.set_ticket_call(true);
        env.try_call(|| p::authorize(CAP, DIGEST)).unwrap();
        assert_eq!(env.tickets(), [ticket(DIGEST)]);
    }

    #[test]
    fn through_the_dispatcher() {
        let env = setup();
        env.set_caller(TestEnv::ALICE);
        env.invoke::<()>(p::__molt_dispatch, "propose", &(CAP, DIGEST))
            .unwrap();
        env.set_caller(TestEnv::BOB);
        env.invoke::<()>(p::__molt_dispatch, "approve", &(CAP, DIGEST))
            .unwrap();
        env.invoke::<()>(p::__molt_dispatch, "authorize", &(CAP, DIGEST))
            .unwrap();
        assert_eq!(env.tickets(), [ticket(DIGEST)]);
        let threshold: u32 = env.invoke(p::__molt_dispatch, "threshold", &()).unwrap();
        assert_eq!(threshold, 2);
    }
}
