//! `governance` (framework address `0x2`): proposals on the validators'
//! track, approved execution hashes, and payload execution (DESIGN.md 3,
//! docs/framework.md).
//!
//! # The validators' track
//!
//! 1. **Propose** (anyone): an execution hash (SHA3-256 of the payload's
//!    bytes, `molt-payload`), a metadata URL and the hash of the document it
//!    points at. The track's parameters ([`TrackParams`]: deposit, voting
//!    period, payload limit) are copied into the proposal, and the epoch's
//!    validators with their voting power are snapshot: they are its voters,
//!    whatever happens to the validator set later.
//! 2. **Vote** (a snapshot voter, once): yes or no, weighted by the
//!    snapshot power, until the expiry height (inclusive). The proposal is
//!    *accepted* as soon as `3 * yes > 2 * total` (more than two thirds of
//!    the snapshot power, in exact integer arithmetic: exactly 2/3 is not
//!    enough), and *rejected* as soon as it can no longer get there, even if
//!    every remaining voter said yes. Either way voting ends: the height of
//!    that deciding vote is recorded.
//! 3. **Resolve** (anyone): in a block *after* the deciding vote's block,
//!    with bytes whose SHA3-256 is the approved hash. The payload's actions
//!    run in order, in this one transaction, with the privileged host calls;
//!    any failure undoes all of them and the proposal stays resolvable. If
//!    the payload ends with a next-step hash, that hash becomes the approved
//!    one: one vote approves a whole chain of steps, each resolved by its
//!    own transaction, in order; a step out of order or replayed has no
//!    approved hash to match.
//!
//! A proposal not decided by its expiry height is expired: no more votes.
//!
//! # Which track may do what
//!
//! Each action of a resolved payload must be one the validators' track may
//! run (`permissions(0)`; by default everything but registry changes, which
//! are the stakeholders' track's, `framework_common`). A payload with one
//! action outside the set is refused whole (`NotPermitted`) and stays
//! resolvable. The table is changed only by a resolved validators' payload
//! calling `set_permissions`.
//!
//! # The deposit
//!
//! The anti-spam deposit ([`TrackParams::deposit`], a track parameter,
//! copied into each proposal) is coin the proposer attaches to `propose`:
//! exactly that amount, or the proposal is refused (`WrongDeposit`) and the
//! coin stays with the proposer. Governance holds it in its own account
//! (`0x2`) while votes are open, then:
//!
//! - **refunded** to the proposer by the vote that decides the proposal,
//!   accepted or rejected (a proposal the validators took up and decided
//!   was not spam);
//! - **forfeited** if the proposal expires undecided: it stays in
//!   governance's account (this release has no way to spend it; a later
//!   framework release can, through a resolved proposal).
//!
//! Both moves are the system's `Transfer` events in the receipts, and
//! `DepositRefunded` says which proposal a refund closed.
#![cfg_attr(not(test), no_std)]

#[molt_sdk::program]
pub mod governance {
    use framework_common::{Refusal, Track, default_permissions};
    use molt_payload::{ActionSet, Payload};
    use molt_sdk::prelude::*;
    use molt_sdk::system as chain;

    /// The longest metadata URL a proposal may name.
    pub const MAX_URL_BYTES: usize = 512;

    /// Parameters of the validators' track, copied into each proposal.
    #[derive(BorshSerialize, BorshDeserialize, Debug, Clone, PartialEq, Eq)]
    pub struct TrackParams {
        /// The anti-spam deposit each proposal attaches (see the crate docs).
        pub deposit: u64,
        /// Blocks after creation during which votes are accepted.
        pub voting_period_blocks: u64,
        /// The largest payload (one step) a resolve may carry.
        pub max_payload_bytes: u64,
    }

    /// Where a proposal is.
    #[derive(BorshSerialize, BorshDeserialize, Debug, Clone, Copy, PartialEq, Eq)]
    pub enum ProposalState {
        /// Open for votes until its expiry height.
        Voting,
        /// More than 2/3 of the snapshot power said yes: resolvable.
        Accepted,
        /// It could no longer reach 2/3.
        Rejected,
        /// Neither accepted nor rejected by its expiry height.
        Expired,
        /// Some steps of a chained payload resolved; the next is approved.
        Executing,
        /// Every step resolved.
        Executed,
    }

    /// Where a proposal's deposit is (see the crate docs).
    #[derive(BorshSerialize, BorshDeserialize, Debug, Clone, Copy, PartialEq, Eq)]
    pub enum DepositStatus {
        /// In governance's account while votes are open.
        Held,
        /// Back with the proposer: the proposal was decided.
        Refunded,
        /// Kept by governance: the proposal expired undecided.
        Forfeited,
    }

    /// A proposal and its tally.
    #[derive(BorshSerialize, BorshDeserialize, Debug, Clone, PartialEq, Eq)]
    pub struct Proposal {
        pub id: u64,
        pub proposer: Address,
        /// The first step's execution hash.
        pub execution_hash: Digest,
        pub metadata_url: String,
        pub metadata_hash: Digest,
        pub created_height: u64,
        /// The last height at which votes are accepted.
        pub expiry_height: u64,
        pub track: TrackParams,
        /// The voters' total power at creation.
        pub total_power: u64,
        pub yes: u64,
        pub no: u64,
        /// As stored; [`state`] also reports expiry.
        pub state: ProposalState,
        /// The height of the vote that accepted or rejected it (0: none).
        pub decided_height: u64,
        /// The hash the next resolve must match (while resolvable).
        pub pending_hash: Option<Digest>,
        pub steps_resolved: u64,
    }

    #[event]
    pub struct Proposed {
        pub id: u64,
        pub proposer: Address,
        pub execution_hash: Digest,
        pub total_power: u64,
    }

    #[event]
    pub struct Voted {
        pub id: u64,
        pub voter: Address,
        pub approve: bool,
        pub power: u64,
    }

    #[event]
    pub struct Decided {
        pub id: u64,
        pub accepted: bool,
        pub yes: u64,
        pub no: u64,
    }

    #[event]
    #[derive(Debug, PartialEq, Eq)]
    pub struct DepositRefunded {
        pub id: u64,
        pub proposer: Address,
        pub amount: u64,
    }

    #[event]
    pub struct StepResolved {
        pub id: u64,
        pub step: u64,
        pub execution_hash: Digest,
        pub next: Option<Digest>,
    }

    #[errors]
    pub enum Error {
        #[error(code = 1, message = "no proposal with this id")]
        UnknownProposal,
        #[error(
            code = 2,
            message = "only a validator of the proposal's snapshot may vote"
        )]
        NotAVoter,
        #[error(code = 3, message = "this voter has already voted on this proposal")]
        AlreadyVoted,
        #[error(code = 4, message = "the proposal is no longer open for votes")]
        VotingClosed,
        #[error(
            code = 5,
            message = "the proposal expired: votes are accepted up to its expiry height"
        )]
        Expired,
        #[error(
            code = 6,
            message = "the proposal is not resolvable: it is not accepted, or every step already resolved"
        )]
        NotResolvable,
        #[error(
            code = 7,
            message = "resolve in a block after the deciding vote's block"
        )]
        TooEarly,
        #[error(
            code = 8,
            message = "the payload's SHA3-256 is not the hash this proposal approves next (tampered, another step, or out of order)"
        )]
        HashMismatch,
        #[error(
            code = 9,
            message = "the payload does not decode as a governance payload"
        )]
        BadPayload,
        #[error(
            code = 10,
            message = "this framework release does not execute this action yet"
        )]
        UnsupportedAction,
        #[error(code = 11, message = "the metadata URL is longer than 512 bytes")]
        UrlTooLong,
        #[error(code = 12, message = "the epoch has no validators with voting power")]
        NoVoters,
        #[error(
            code = 13,
            message = "only governance itself (through a resolved proposal) may change the track"
        )]
        NotGovernance,
        #[error(
            code = 14,
            message = "invalid track parameters: the voting period must be at least 1 block"
        )]
        BadTrack,
        #[error(
            code = 15,
            message = "attach exactly the track's deposit to propose (the `track` view gives it; `molt gov propose` attaches it)"
        )]
        WrongDeposit,
        #[error(
            code = 16,
            message = "governance's account holds less coin than the deposit it owes back"
        )]
        TreasuryShort,
        #[error(
            code = 17,
            message = "this track may not run an action of the payload (the `permissions` view says which it may)"
        )]
        NotPermitted,
        #[error(
            code = 18,
            message = "no such track: 0 is the validators', 1 the stakeholders'"
        )]
        UnknownTrack,
    }

    #[storage]
    static NEXT_ID: Item<u64>;
    #[storage]
    static TRACK: Item<TrackParams>;
    #[storage]
    static PROPOSALS: Map<u64, Proposal>;
    /// `(proposal, voter)` -> snapshot voting power.
    #[storage]
    static POWER: Map<(u64, Address), u64>;
    /// `(proposal, voter)` -> the vote.
    #[storage]
    static VOTES: Map<(u64, Address), bool>;
    /// Approved execution hash -> proposal id. The node reads this map
    /// (key `approved/` ++ hash) to admit resolve transactions.
    #[storage]
    static APPROVED: Map<Digest, u64>;
    /// Track id -> the actions it may execute (`framework_common`).
    /// Stakeholders read it from here.
    #[storage]
    static PERMISSIONS: Map<u8, u64>;

    /// The genesis track.
    pub fn default_track() -> TrackParams {
        TrackParams {
            deposit: 1_000_000,
            voting_period_blocks: 50,
            max_payload_bytes: 256 * 1024,
        }
    }

    #[init]
    fn init() {
        NEXT_ID.set(&0);
        TRACK.set(&default_track());
        for track in [Track::Validators, Track::Stakeholders] {
            PERMISSIONS.set(&track.id(), &default_permissions(track).0);
        }
    }

    /// Anyone: opens a proposal to run the payload whose SHA3-256 is
    /// `execution_hash`, documented at `metadata_url` (whose SHA3-256 is
    /// `metadata_hash`). Returns its id.
    #[entry]
    fn propose(
        execution_hash: Digest,
        metadata_url: String,
        metadata_hash: Digest,
    ) -> Result<u64, Error> {
        ensure!(metadata_url.len() <= MAX_URL_BYTES, Error::UrlTooLong);
        let ctx = context();
        let track = TRACK.get().unwrap_or_else(default_track);
        // The attached coin is already in governance's account; a refusal
        // undoes the call and gives it back.
        ensure!(coin::attached() == track.deposit, Error::WrongDeposit);
        let id = NEXT_ID.get_or_default();
        let mut total = 0u64;
        for (address, _, power) in chain::validators() {
            if power == 0 {
                continue;
            }
            POWER.set(&(id, address), &power);
            total = total.saturating_add(power);
        }
        ensure!(total > 0, Error::NoVoters);
        let proposal = Proposal {
            id,
            proposer: ctx.caller,
            execution_hash,
            metadata_url,
            metadata_hash,
            created_height: ctx.block_height,
            expiry_height: ctx.block_height.saturating_add(track.voting_period_blocks),
            track,
            total_power: total,
            yes: 0,
            no: 0,
            state: ProposalState::Voting,
            decided_height: 0,
            pending_hash: Some(execution_hash),
            steps_resolved: 0,
        };
        PROPOSALS.set(&id, &proposal);
        NEXT_ID.set(&(id + 1));
        Proposed {
            id,
            proposer: ctx.caller,
            execution_hash,
            total_power: total,
        }
        .emit();
        Ok(id)
    }

    /// A snapshot voter: yes (`approve`) or no, once.
    #[entry]
    fn vote(id: u64, approve: bool) -> Result<(), Error> {
        let ctx = context();
        let mut p = PROPOSALS.get(&id).ok_or(Error::UnknownProposal)?;
        ensure!(p.state == ProposalState::Voting, Error::VotingClosed);
        ensure!(ctx.block_height <= p.expiry_height, Error::Expired);
        let voter = ctx.caller;
        let power = POWER.get(&(id, voter)).ok_or(Error::NotAVoter)?;
        ensure!(!VOTES.has(&(id, voter)), Error::AlreadyVoted);
        VOTES.set(&(id, voter), &approve);
        if approve {
            p.yes += power;
        } else {
            p.no += power;
        }
        Voted {
            id,
            voter,
            approve,
            power,
        }
        .emit();
        if passes(p.yes, p.total_power) {
            p.state = ProposalState::Accepted;
            p.decided_height = ctx.block_height;
            if let Some(hash) = p.pending_hash {
                APPROVED.set(&hash, &id);
            }
        } else if !passes(p.total_power - p.no, p.total_power) {
            // Even if every voter left said yes it would not pass.
            p.state = ProposalState::Rejected;
            p.decided_height = ctx.block_height;
            p.pending_hash = None;
        }
        if p.state != ProposalState::Voting {
            Decided {
                id,
                accepted: p.state == ProposalState::Accepted,
                yes: p.yes,
                no: p.no,
            }
            .emit();
            refund(&p);
        }
        PROPOSALS.set(&id, &p);
        Ok(())
    }

    /// Gives a decided proposal's deposit back to its proposer. Governance
    /// took exactly this coin at `propose` and never spends coin, so its
    /// account holds it; if it somehow did not, the vote fails and nothing
    /// is decided.
    fn refund(p: &Proposal) {
        let amount = p.track.deposit;
        if amount == 0 {
            return;
        }
        if coin::send(&p.proposer, amount).is_err() {
            fail(Error::TreasuryShort);
        }
        DepositRefunded {
            id: p.id,
            proposer: p.proposer,
            amount,
        }
        .emit();
    }

    /// More than two thirds, exactly: `3 * yes > 2 * total`.
    pub fn passes(yes: u64, total: u64) -> bool {
        3 * u128::from(yes) > 2 * u128::from(total)
    }

    /// Anyone: runs the next step of accepted proposal `id`; `payload` must
    /// hash to the approved execution hash.
    #[entry]
    fn resolve(id: u64, payload: Vec<u8>) -> Result<(), Error> {
        let ctx = context();
        let mut p = PROPOSALS.get(&id).ok_or(Error::UnknownProposal)?;
        ensure!(
            matches!(p.state, ProposalState::Accepted | ProposalState::Executing),
            Error::NotResolvable
        );
        ensure!(ctx.block_height > p.decided_height, Error::TooEarly);
        let hash = molt_payload::execution_hash(&payload);
        let expected = p.pending_hash.ok_or(Error::NotResolvable)?;
        ensure!(hash == expected, Error::HashMismatch);
        let limit = usize::try_from(p.track.max_payload_bytes).unwrap_or(usize::MAX);
        let decoded = Payload::decode(&payload, limit).map_err(|_| Error::BadPayload)?;
        drop(payload);
        let allowed = PERMISSIONS
            .get(&Track::Validators.id())
            .map_or(default_permissions(Track::Validators), ActionSet);
        let next = match framework_common::execute(decoded, allowed) {
            Ok(next) => next,
            Err(Refusal::NotPermitted(_)) => return Err(Error::NotPermitted),
            Err(Refusal::Unsupported(_)) => return Err(Error::UnsupportedAction),
        };
        APPROVED.remove(&expected);
        p.steps_resolved += 1;
        match next {
            Some(h) => {
                APPROVED.set(&h, &id);
                p.state = ProposalState::Executing;
            }
            None => p.state = ProposalState::Executed,
        }
        p.pending_hash = next;
        PROPOSALS.set(&id, &p);
        StepResolved {
            id,
            step: p.steps_resolved,
            execution_hash: hash,
            next,
        }
        .emit();
        Ok(())
    }

    /// Governance itself only (a resolved payload's `CallAsGovernance`):
    /// sets the track for proposals created from now on.
    #[entry]
    fn set_track(track: TrackParams) -> Result<(), Error> {
        ensure!(env::caller() == context().original_id, Error::NotGovernance);
        ensure!(track.voting_period_blocks >= 1, Error::BadTrack);
        TRACK.set(&track);
        Ok(())
    }

    /// Governance itself only (a resolved validators' payload's
    /// `CallAsGovernance`): sets what track `track` (0 validators, 1
    /// stakeholders) may execute, from the next payload on.
    #[entry]
    fn set_permissions(track: u8, allowed: u64) -> Result<(), Error> {
        ensure!(env::caller() == context().original_id, Error::NotGovernance);
        ensure!(Track::from_id(track).is_some(), Error::UnknownTrack);
        PERMISSIONS.set(&track, &allowed);
        Ok(())
    }

    /// What track `track` may execute (one bit per action kind, see
    /// `molt_payload::ActionSet`); `None` for an unknown track.
    #[view]
    fn permissions(track: u8) -> Option<u64> {
        let t = Track::from_id(track)?;
        Some(PERMISSIONS.get(&track).unwrap_or(default_permissions(t).0))
    }

    /// What happened to proposal `id`'s deposit: `None` for no such
    /// proposal.
    #[view]
    fn deposit_status(id: u64) -> Option<DepositStatus> {
        let p = PROPOSALS.get(&id)?;
        Some(match p.state {
            ProposalState::Voting if context().block_height > p.expiry_height => {
                DepositStatus::Forfeited
            }
            ProposalState::Voting => DepositStatus::Held,
            _ => DepositStatus::Refunded,
        })
    }

    /// The id the next proposal will get.
    #[view]
    fn next_proposal_id() -> u64 {
        NEXT_ID.get_or_default()
    }

    /// The track new proposals get.
    #[view]
    fn track() -> TrackParams {
        TRACK.get().unwrap_or_else(default_track)
    }

    /// Proposal `id` as stored.
    #[view]
    fn proposal(id: u64) -> Option<Proposal> {
        PROPOSALS.get(&id)
    }

    /// Proposal `id`'s state at this height (a `Voting` proposal past its
    /// expiry height is `Expired`).
    #[view]
    fn state(id: u64) -> Option<ProposalState> {
        let p = PROPOSALS.get(&id)?;
        if p.state == ProposalState::Voting && context().block_height > p.expiry_height {
            return Some(ProposalState::Expired);
        }
        Some(p.state)
    }

    /// How `voter` voted on `id` (`None`: not yet, or not a voter).
    #[view]
    fn vote_of(id: u64, voter: Address) -> Option<bool> {
        VOTES.get(&(id, voter))
    }

    /// `voter`'s snapshot power for `id` (0: not a voter).
    #[view]
    fn voting_power(id: u64, voter: Address) -> u64 {
        POWER.get(&(id, voter)).unwrap_or(0)
    }

    /// The proposal that approves `hash` for resolution, if any.
    #[view]
    fn approved(hash: Digest) -> Option<u64> {
        APPROVED.get(&hash)
    }
}

#[cfg(test)]
mod tests {
    use super::governance::{self, DepositStatus, ProposalState};
    use molt_sdk::testing::{GovernanceEffect, TestEnv};
    use molt_sdk::{Address, Digest};

    #[test]
    fn more_than_two_thirds_in_exact_integers() {
        assert!(!governance::passes(60, 90));
        assert!(governance::passes(61, 90));
        assert!(!governance::passes(2, 3));
        assert!(governance::passes(3, 4));
        // 0L's (n/3)*2+1 would accept 3 of 5; 3/5 is not more than 2/3.
        assert!(!governance::passes(3, 5));
        assert!(governance::passes(4, 5));
        assert!(governance::passes(u64::MAX, u64::MAX));
        assert!(!governance::passes(0, 1));
    }

    #[test]
    fn a_proposal_runs_natively_and_its_effects_are_recorded() {
        let env = governance_env();
        let (a, b) = (TestEnv::ALICE, TestEnv::BOB);
        let payload = molt_payload::Payload::new(vec![molt_payload::Action::EndEpoch]).encode();
        let hash = molt_payload::execution_hash(&payload);
        env.set_balance(&a, governance::default_track().deposit);
        env.attach_coin(governance::default_track().deposit);
        let id = env
            .try_call(|| governance::propose(hash, "u".into(), Digest::ZERO))
            .unwrap();
        env.set_block(2, 2);
        env.set_caller(a);
        env.try_call(|| governance::vote(id, true)).unwrap();
        assert_eq!(
            env.call(|| governance::state(id)).unwrap(),
            Some(ProposalState::Voting),
            "2 of 3 is not more than 2/3"
        );
        env.set_caller(b);
        env.try_call(|| governance::vote(id, true)).unwrap();
        assert!(
            env.try_call(|| governance::resolve(id, payload.clone()))
                .is_err()
        );
        env.set_block(3, 3);
        env.try_call(|| governance::resolve(id, payload.clone()))
            .unwrap();
        assert_eq!(env.governance_effects(), vec![GovernanceEffect::EndEpoch]);
        assert_eq!(
            env.call(|| governance::state(id)).unwrap(),
            Some(ProposalState::Executed)
        );
    }

    #[test]
    fn a_registry_change_is_not_the_validators_to_make_by_default() {
        let env = governance_env();
        let deposit = governance::default_track().deposit;
        let payload = molt_payload::Payload::new(vec![molt_payload::Action::RegistryAdd {
            name: "dex".into(),
            package: Address::reserved(0x101),
            label: "v1".into(),
            expected: None,
        }])
        .encode();
        let hash = molt_payload::execution_hash(&payload);
        let a = TestEnv::ALICE;
        env.set_balance(&a, deposit);
        env.set_caller(a);
        env.set_origin(a);
        env.attach_coin(deposit);
        let id = env
            .try_call(|| governance::propose(hash, "u".into(), Digest::ZERO))
            .unwrap();
        env.set_block(2, 2);
        env.try_call(|| governance::vote(id, true)).unwrap();
        env.set_caller(TestEnv::BOB);
        env.try_call(|| governance::vote(id, true)).unwrap();
        env.set_block(3, 3);
        let err = env
            .try_call(|| governance::resolve(id, payload.clone()))
            .unwrap_err();
        assert_eq!(err.code, 17, "{}", err.message);
        assert_eq!(
            env.call(|| governance::state(id)).unwrap(),
            Some(ProposalState::Accepted),
            "still resolvable"
        );
        assert_eq!(
            env.call(|| governance::permissions(0)).unwrap(),
            Some(framework_common::default_permissions(framework_common::Track::Validators).0)
        );
        // Only governance itself changes the table.
        env.set_caller(TestEnv::ALICE);
        assert_eq!(
            env.try_call(|| governance::set_permissions(0, u64::MAX))
                .unwrap_err()
                .code,
            13
        );
        env.set_caller(Address::reserved(2));
        env.try_call(|| governance::set_permissions(1, 0)).unwrap();
        assert_eq!(env.call(|| governance::permissions(1)).unwrap(), Some(0));
        assert_eq!(
            env.try_call(|| governance::set_permissions(7, 0))
                .unwrap_err()
                .code,
            18
        );
    }

    /// Governance at `0x2` with ALICE (power 2) and BOB (power 1) as the
    /// epoch's validators, initialised.
    fn governance_env() -> TestEnv {
        let env = TestEnv::new();
        env.set_package(Address::reserved(2), Address::reserved(2), 1);
        let validators: Vec<(Address, [u8; 32], u64)> =
            vec![(TestEnv::ALICE, [1; 32], 2), (TestEnv::BOB, [2; 32], 1)];
        env.set_chain_info(1, molt_sdk::borsh::to_vec(&validators).unwrap());
        env.call(governance::init).unwrap();
        env
    }

    fn propose(env: &TestEnv, proposer: Address, coin: u64) -> Result<u64, molt_sdk::ProgramError> {
        env.set_caller(proposer);
        env.set_origin(proposer);
        env.attach_coin(coin);
        env.try_call(|| governance::propose(Digest([7; 32]), "u".into(), Digest::ZERO))
    }

    #[test]
    fn a_proposal_needs_exactly_the_deposit_and_a_refusal_keeps_the_coin() {
        let env = governance_env();
        let deposit = governance::default_track().deposit;
        let carol = TestEnv::CAROL;
        let treasury = Address::reserved(2);
        env.set_balance(&carol, 5 * deposit);
        for wrong in [0, deposit - 1, deposit + 1] {
            let err = propose(&env, carol, wrong).unwrap_err();
            assert_eq!(err.code, 15, "{wrong}: {}", err.message);
            assert_eq!(
                env.balance(&carol),
                5 * deposit,
                "a refused proposal keeps no coin"
            );
            assert_eq!(env.balance(&treasury), 0);
        }
        let id = propose(&env, carol, deposit).unwrap();
        assert_eq!(env.balance(&carol), 4 * deposit);
        assert_eq!(env.balance(&treasury), deposit);
        assert_eq!(
            env.call(|| governance::deposit_status(id)).unwrap(),
            Some(DepositStatus::Held)
        );
    }

    #[test]
    fn the_deciding_vote_refunds_the_deposit_accepted_or_rejected() {
        let env = governance_env();
        let deposit = governance::default_track().deposit;
        let carol = TestEnv::CAROL;
        env.set_balance(&carol, 2 * deposit);
        let accepted = propose(&env, carol, deposit).unwrap();
        let rejected = propose(&env, carol, deposit).unwrap();
        assert_eq!(env.balance(&carol), 0);
        env.set_block(2, 2);
        env.clear_events();
        env.set_caller(TestEnv::ALICE);
        env.try_call(|| governance::vote(accepted, true)).unwrap();
        env.set_caller(TestEnv::BOB);
        env.try_call(|| governance::vote(accepted, true)).unwrap();
        assert_eq!(env.balance(&carol), deposit, "accepted: refunded");
        let refunds = env.events_of::<governance::DepositRefunded>();
        assert_eq!(
            refunds,
            vec![governance::DepositRefunded {
                id: accepted,
                proposer: carol,
                amount: deposit
            }]
        );
        // ALICE's no (2 of 3) leaves no way to more than 2/3: rejected.
        env.set_caller(TestEnv::ALICE);
        env.try_call(|| governance::vote(rejected, false)).unwrap();
        assert_eq!(
            env.call(|| governance::state(rejected)).unwrap(),
            Some(ProposalState::Rejected)
        );
        assert_eq!(env.balance(&carol), 2 * deposit, "rejected: refunded too");
        assert_eq!(env.balance(&Address::reserved(2)), 0);
        for id in [accepted, rejected] {
            assert_eq!(
                env.call(|| governance::deposit_status(id)).unwrap(),
                Some(DepositStatus::Refunded)
            );
        }
    }

    #[test]
    fn an_expired_proposal_forfeits_its_deposit() {
        let env = governance_env();
        let track = governance::default_track();
        let carol = TestEnv::CAROL;
        env.set_balance(&carol, track.deposit);
        let id = propose(&env, carol, track.deposit).unwrap();
        env.set_block(2 + track.voting_period_blocks, 2);
        assert_eq!(
            env.call(|| governance::deposit_status(id)).unwrap(),
            Some(DepositStatus::Forfeited)
        );
        env.set_caller(TestEnv::ALICE);
        assert!(env.try_call(|| governance::vote(id, true)).is_err());
        assert_eq!(env.balance(&carol), 0);
        assert_eq!(env.balance(&Address::reserved(2)), track.deposit);
    }
}
