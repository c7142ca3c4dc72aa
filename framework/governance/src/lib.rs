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
//! # The deposit
//!
//! The anti-spam deposit is a track parameter recorded in every proposal.
//! Programs cannot hold native coin yet (a later release adds it), so it is
//! **not collected**: [`TrackParams::deposit`] documents the amount the
//! track will charge, nothing more.
#![cfg_attr(not(test), no_std)]

#[molt_sdk::program]
pub mod governance {
    use molt_payload::{Action, Payload};
    use molt_sdk::prelude::*;
    use molt_sdk::system as chain;

    /// The longest metadata URL a proposal may name.
    pub const MAX_URL_BYTES: usize = 512;

    /// Parameters of the validators' track, copied into each proposal.
    #[derive(BorshSerialize, BorshDeserialize, Debug, Clone, PartialEq, Eq)]
    pub struct TrackParams {
        /// The anti-spam deposit (not collected yet: see the crate docs).
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
        }
        PROPOSALS.set(&id, &p);
        Ok(())
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
        let mut next = None;
        for action in decoded.actions {
            match action {
                Action::UpgradePackage { package, module } => {
                    chain::upgrade_package(&package, &module)
                }
                Action::SetParams { params } => chain::set_params(&params),
                Action::SetNextValidators { validators } => {
                    let records: Vec<chain::ValidatorRecord> = validators
                        .into_iter()
                        .map(|v| (v.address, v.public_key, v.voting_power))
                        .collect();
                    chain::set_next_validators(&records)
                }
                Action::EndEpoch => chain::end_epoch(),
                Action::CallAsGovernance {
                    package,
                    function,
                    args,
                } => {
                    chain::call_as_governance(&package, &function, &args);
                }
                Action::NextStep { hash } => next = Some(hash),
                Action::ScheduleProtocolUpgrade { .. } | Action::RegistryChange { .. } => {
                    return Err(Error::UnsupportedAction);
                }
            }
        }
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
    use super::governance::{self, ProposalState};
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
        let env = TestEnv::new();
        env.set_package(Address::reserved(2), Address::reserved(2), 1);
        let (a, b) = (TestEnv::ALICE, TestEnv::BOB);
        let validators: Vec<(Address, [u8; 32], u64)> = vec![(a, [1; 32], 2), (b, [2; 32], 1)];
        env.set_chain_info(1, molt_sdk::borsh::to_vec(&validators).unwrap());
        env.call(governance::init).unwrap();
        let payload = molt_payload::Payload::new(vec![molt_payload::Action::EndEpoch]).encode();
        let hash = molt_payload::execution_hash(&payload);
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
}
