//! `stakeholders` (framework address `0x3`): the stakeholders' track, where
//! holders of locked native coin decide (DESIGN.md 3,
//! docs/canonical-deployments.md). It follows the shape of Aztec's
//! Governance; all times are block heights.
//!
//! # Power
//!
//! Coin attached to `deposit(beneficiary)` stays in this package's account
//! and is voting power of `beneficiary`, one unit per coin. Power is
//! checkpointed per account and in total at each height that changes it, so
//! the power at any past height is exact. `initiate_withdraw` lowers the
//! caller's power at once and creates a withdrawal that anyone may finalize
//! (paying the recipient) from its unlock height on.
//!
//! The withdrawal delay is `voting_delay / 5 + voting_duration +
//! execution_delay` of the live configuration, and never less than what it
//! takes for every proposal the withdrawer voted on to become executable:
//! each vote raises the voter's *exit clamp* to that proposal's first
//! executable height. (Aztec's delay came from the live configuration
//! alone, so shortening it let voters leave before the proposals they
//! decided could run; their PR #24722.)
//!
//! # Proposals
//!
//! A proposal holds an execution hash and a copy of the configuration at
//! creation. Only the *governance proposer* (the `signalling` package at
//! `0x4`, changeable by governance) creates standard proposals; anyone with
//! enough power creates an emergency one with `propose_with_lock`, which
//! turns `lock_amount` of their power into a withdrawal unlocking after
//! `lock_delay`. With `c` the creation height and the copied phase lengths:
//!
//! | state | at height `h` |
//! |---|---|
//! | `Executed`, `Dropped` | stored, final |
//! | `Droppable` | its proposer is neither the current governance proposer nor this package |
//! | `Pending` | `h <= c + voting_delay` (= `pending_through`) |
//! | `Active` | `h <= pending_through + voting_duration` (= `active_through`) |
//! | `Rejected` | after `active_through`, if the tally does not pass |
//! | `Queued` | `h <= active_through + execution_delay` (= `queued_through`) |
//! | `Executable` | `h <= queued_through + grace_period` |
//! | `Expired` | after that |
//!
//! The checks apply in that order, so a standard proposal is `Droppable`
//! in any phase once the governance proposer changes, and stops being so if
//! it changes back; anyone may then `drop_proposal` it (final).
//! Emergency proposals have this package as proposer: never droppable.
//!
//! **Votes** are cast while `Active`: any amount up to the voter's power at
//! `pending_through` (taken at the end of the pending phase, so coin
//! deposited later does not count), in as many partial votes as wished,
//! yea and nay both allowed, never withdrawn.
//!
//! **Tabulation**, in integers with fractions in parts of 10^18 and every
//! division rounded up (`T` = total power at `pending_through`):
//! `T < minimum_votes` rejects; fewer than `ceil(T * quorum)` votes cast
//! rejects; all cast votes yea accepts; otherwise it passes iff
//! `yea > ceil(cast * ceil((1 + margin) / 2))` (a tie fails).
//!
//! **Execution** by anyone while `Executable`, with bytes whose SHA3-256 is
//! the proposal's hash: the proposal is marked `Executed` first, then every
//! action runs (the stakeholders' permissions from governance's table, by
//! default registry changes only); one failure undoes the whole
//! transaction, the mark included.
#![cfg_attr(not(test), no_std)]

#[molt_sdk::program]
pub mod stakeholders {
    use framework_common::{SIGNALLING, Track, is_track};
    use molt_payload::Payload;
    use molt_sdk::prelude::*;

    /// 10^18: a whole, for `quorum` and `required_yea_margin`.
    pub const ONE: u64 = 1_000_000_000_000_000_000;
    /// The longest phase or delay: 90 days of one-second blocks.
    pub const MAX_BLOCKS: u64 = 90 * 24 * 3600;
    /// The largest payload a configuration may allow.
    pub const MAX_PAYLOAD_LIMIT: u64 = 1 << 20;

    /// The emergency entry's terms.
    #[derive(BorshSerialize, BorshDeserialize, Debug, Clone, PartialEq, Eq)]
    pub struct ProposeConfig {
        /// Power turned into a delayed withdrawal by `propose_with_lock`.
        pub lock_amount: u64,
        /// Blocks until that withdrawal unlocks.
        pub lock_delay: u64,
    }

    /// The track's configuration, copied into each proposal at creation.
    #[derive(BorshSerialize, BorshDeserialize, Debug, Clone, PartialEq, Eq)]
    pub struct Configuration {
        pub voting_delay: u64,
        pub voting_duration: u64,
        pub execution_delay: u64,
        pub grace_period: u64,
        /// Fraction of the total power that must vote, in parts of 10^18.
        pub quorum: u64,
        /// The yea share required beyond half, in parts of 10^18.
        pub required_yea_margin: u64,
        /// The total power below which nothing passes.
        pub minimum_votes: u64,
        pub propose: ProposeConfig,
        /// The largest payload `execute` accepts.
        pub max_payload_bytes: u64,
    }

    /// A proposal's state (see the crate docs).
    #[derive(BorshSerialize, BorshDeserialize, Debug, Clone, Copy, PartialEq, Eq)]
    pub enum ProposalState {
        Pending,
        Active,
        Queued,
        Executable,
        Rejected,
        Executed,
        Expired,
        Droppable,
        Dropped,
    }

    /// A proposal as stored.
    #[derive(BorshSerialize, BorshDeserialize, Debug, Clone, PartialEq, Eq)]
    pub struct Proposal {
        pub id: u64,
        pub execution_hash: Digest,
        /// The governance proposer that created it, or this package for an
        /// emergency proposal.
        pub proposer: Address,
        pub created_height: u64,
        pub config: Configuration,
        pub yea: u64,
        pub nay: u64,
        /// `Executed` or `Dropped` once final; `None` before.
        pub final_state: Option<ProposalState>,
    }

    /// The last height of each phase of a proposal.
    #[derive(BorshSerialize, BorshDeserialize, Debug, Clone, PartialEq, Eq)]
    pub struct Phases {
        pub pending_through: u64,
        pub active_through: u64,
        pub queued_through: u64,
        pub executable_through: u64,
    }

    /// What one voter cast on one proposal.
    #[derive(BorshSerialize, BorshDeserialize, Debug, Clone, Default, PartialEq, Eq)]
    pub struct Ballot {
        pub yea: u64,
        pub nay: u64,
    }

    /// A delayed withdrawal.
    #[derive(BorshSerialize, BorshDeserialize, Debug, Clone, PartialEq, Eq)]
    pub struct Withdrawal {
        pub id: u64,
        /// Whose power it came from.
        pub owner: Address,
        /// Who receives the coin.
        pub recipient: Address,
        pub amount: u64,
        /// The first height at which it may be finalized.
        pub unlocks_at: u64,
        pub finalized: bool,
    }

    #[event]
    #[derive(Debug, PartialEq, Eq)]
    pub struct Deposited {
        pub depositor: Address,
        pub beneficiary: Address,
        pub amount: u64,
    }

    #[event]
    #[derive(Debug, PartialEq, Eq)]
    pub struct WithdrawalInitiated {
        pub id: u64,
        pub owner: Address,
        pub recipient: Address,
        pub amount: u64,
        pub unlocks_at: u64,
    }

    #[event]
    #[derive(Debug, PartialEq, Eq)]
    pub struct WithdrawalFinalized {
        pub id: u64,
        pub recipient: Address,
        pub amount: u64,
    }

    #[event]
    #[derive(Debug, PartialEq, Eq)]
    pub struct Proposed {
        pub id: u64,
        pub execution_hash: Digest,
        pub proposer: Address,
    }

    #[event]
    #[derive(Debug, PartialEq, Eq)]
    pub struct VoteCast {
        pub id: u64,
        pub voter: Address,
        pub yea: bool,
        pub amount: u64,
    }

    #[event]
    #[derive(Debug, PartialEq, Eq)]
    pub struct ProposalExecuted {
        pub id: u64,
    }

    #[event]
    #[derive(Debug, PartialEq, Eq)]
    pub struct ProposalDropped {
        pub id: u64,
    }

    #[errors]
    pub enum Error {
        #[error(code = 1, message = "no proposal with this id")]
        UnknownProposal,
        #[error(code = 2, message = "attach the coin to deposit (more than 0)")]
        NothingAttached,
        #[error(
            code = 3,
            message = "more than this account's voting power (at the proposal's snapshot, less what it already cast)"
        )]
        InsufficientPower,
        #[error(code = 4, message = "the amount must be more than 0")]
        ZeroAmount,
        #[error(code = 5, message = "no withdrawal with this id")]
        UnknownWithdrawal,
        #[error(
            code = 6,
            message = "the withdrawal is still locked: finalize it from its unlock height on"
        )]
        Locked,
        #[error(code = 7, message = "the withdrawal was already finalized")]
        AlreadyFinalized,
        #[error(
            code = 8,
            message = "only the governance proposer (signalling, 0x4) creates standard proposals; use propose_with_lock"
        )]
        NotTheGovernanceProposer,
        #[error(
            code = 9,
            message = "votes are accepted only while the proposal is Active"
        )]
        NotActive,
        #[error(code = 10, message = "the proposal is not Executable")]
        NotExecutable,
        #[error(
            code = 11,
            message = "the payload's SHA3-256 is not the proposal's execution hash"
        )]
        HashMismatch,
        #[error(
            code = 12,
            message = "the payload does not decode as a governance payload"
        )]
        BadPayload,
        #[error(
            code = 13,
            message = "this track may not run an action of the payload (governance's `permissions 1` says which it may)"
        )]
        NotPermitted,
        #[error(
            code = 14,
            message = "no framework release runs this action, and this track does not chain steps"
        )]
        UnsupportedAction,
        #[error(code = 15, message = "the proposal is not Droppable")]
        NotDroppable,
        #[error(
            code = 16,
            message = "only governance (a resolved payload) changes the configuration or the governance proposer"
        )]
        NotGovernance,
        #[error(
            code = 17,
            message = "invalid configuration: phases and delays are 1..=7776000 blocks, quorum 1..=10^18, margin 0..=10^18, minimum votes >= 1, lock amount >= 2, payload limit 1..=1 MiB"
        )]
        BadConfiguration,
        #[error(
            code = 18,
            message = "the governance proposer cannot be the zero address"
        )]
        BadProposer,
        #[error(
            code = 19,
            message = "this package's account holds less coin than it owes"
        )]
        TreasuryShort,
    }

    #[storage]
    static CONFIG: Item<Configuration>;
    #[storage]
    static GOVERNANCE_PROPOSER: Item<Address>;
    #[storage]
    static NEXT_PROPOSAL: Item<u64>;
    #[storage]
    static PROPOSALS: Map<u64, Proposal>;
    /// `(proposal, voter)` -> what it cast.
    #[storage]
    static BALLOTS: Map<(u64, Address), Ballot>;
    /// Account -> number of checkpoints.
    #[storage]
    static CHECKPOINTS: Map<Address, u64>;
    /// `(account, index)` -> `(height, power after that height)`.
    #[storage]
    static CHECKPOINT: Map<(Address, u64), (u64, u64)>;
    #[storage]
    static TOTAL_CHECKPOINTS: Item<u64>;
    /// Index -> `(height, total power after that height)`.
    #[storage]
    static TOTAL_CHECKPOINT: Map<u64, (u64, u64)>;
    #[storage]
    static NEXT_WITHDRAWAL: Item<u64>;
    #[storage]
    static WITHDRAWALS: Map<u64, Withdrawal>;
    /// Account -> the height before which its withdrawals cannot unlock.
    #[storage]
    static EXIT_CLAMP: Map<Address, u64>;

    /// The genesis configuration: short phases, suited to a dev chain;
    /// a production chain sets its own through governance at launch.
    pub fn default_configuration() -> Configuration {
        Configuration {
            voting_delay: 10,
            voting_duration: 20,
            execution_delay: 10,
            grace_period: 20,
            quorum: ONE / 5,
            required_yea_margin: ONE / 100 * 33,
            minimum_votes: 1_000,
            propose: ProposeConfig {
                lock_amount: 1_000_000,
                lock_delay: 100,
            },
            max_payload_bytes: 256 * 1024,
        }
    }

    /// Whether `c` is within the bounds (see `Error::BadConfiguration`).
    pub fn valid(c: &Configuration) -> bool {
        let phase = |b: u64| (1..=MAX_BLOCKS).contains(&b);
        phase(c.voting_delay)
            && phase(c.voting_duration)
            && phase(c.execution_delay)
            && phase(c.grace_period)
            && phase(c.propose.lock_delay)
            && (1..=ONE).contains(&c.quorum)
            && c.required_yea_margin <= ONE
            && c.minimum_votes >= 1
            && c.propose.lock_amount >= 2
            && (1..=MAX_PAYLOAD_LIMIT).contains(&c.max_payload_bytes)
    }

    #[init]
    fn init() {
        CONFIG.set(&default_configuration());
        GOVERNANCE_PROPOSER.set(&SIGNALLING);
        NEXT_PROPOSAL.set(&0);
    }

    fn config() -> Configuration {
        CONFIG.get().unwrap_or_else(default_configuration)
    }

    // ---- power checkpoints -------------------------------------------------

    fn lookup(count: u64, at: impl Fn(u64) -> Option<(u64, u64)>, height: u64) -> u64 {
        // The last checkpoint at or below `height`, by binary search.
        let (mut lo, mut hi) = (0u64, count);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match at(mid) {
                Some((h, _)) if h <= height => lo = mid + 1,
                _ => hi = mid,
            }
        }
        match lo.checked_sub(1) {
            Some(i) => at(i).map_or(0, |(_, p)| p),
            None => 0,
        }
    }

    /// `account`'s power after the block at `height`.
    pub fn power_at_height(account: &Address, height: u64) -> u64 {
        let count = CHECKPOINTS.get(account).unwrap_or(0);
        lookup(count, |i| CHECKPOINT.get(&(*account, i)), height)
    }

    /// The total power after the block at `height`.
    pub fn total_at_height(height: u64) -> u64 {
        let count = TOTAL_CHECKPOINTS.get_or_default();
        lookup(count, |i| TOTAL_CHECKPOINT.get(&i), height)
    }

    fn current_power(account: &Address) -> u64 {
        power_at_height(account, u64::MAX)
    }

    fn write_checkpoint(account: Option<&Address>, power: u64) {
        let height = context().block_height;
        let count = match account {
            Some(a) => CHECKPOINTS.get(a).unwrap_or(0),
            None => TOTAL_CHECKPOINTS.get_or_default(),
        };
        let last = count.checked_sub(1).and_then(|i| match account {
            Some(a) => CHECKPOINT.get(&(*a, i)),
            None => TOTAL_CHECKPOINT.get(&i),
        });
        // One checkpoint per height: a second change in a block overwrites.
        let index = match last {
            Some((h, _)) if h == height => count - 1,
            _ => count,
        };
        match account {
            Some(a) => {
                CHECKPOINT.set(&(*a, index), &(height, power));
                CHECKPOINTS.set(a, &(index + 1));
            }
            None => {
                TOTAL_CHECKPOINT.set(&index, &(height, power));
                TOTAL_CHECKPOINTS.set(&(index + 1));
            }
        }
    }

    fn add_power(account: &Address, amount: u64) {
        write_checkpoint(Some(account), current_power(account).saturating_add(amount));
        write_checkpoint(None, total_at_height(u64::MAX).saturating_add(amount));
    }

    fn remove_power(account: &Address, amount: u64) -> Result<(), Error> {
        let power = current_power(account);
        ensure!(amount <= power, Error::InsufficientPower);
        write_checkpoint(Some(account), power - amount);
        write_checkpoint(None, total_at_height(u64::MAX).saturating_sub(amount));
        Ok(())
    }

    fn new_withdrawal(owner: Address, recipient: Address, amount: u64, unlocks_at: u64) -> u64 {
        let id = NEXT_WITHDRAWAL.get_or_default();
        WITHDRAWALS.set(
            &id,
            &Withdrawal {
                id,
                owner,
                recipient,
                amount,
                unlocks_at,
                finalized: false,
            },
        );
        NEXT_WITHDRAWAL.set(&(id + 1));
        WithdrawalInitiated {
            id,
            owner,
            recipient,
            amount,
            unlocks_at,
        }
        .emit();
        id
    }

    /// Anyone: the attached coin becomes `beneficiary`'s voting power.
    #[entry]
    fn deposit(beneficiary: Address) -> Result<(), Error> {
        let amount = coin::attached();
        ensure!(amount > 0, Error::NothingAttached);
        add_power(&beneficiary, amount);
        Deposited {
            depositor: env::caller(),
            beneficiary,
            amount,
        }
        .emit();
        Ok(())
    }

    /// The caller: lowers its power by `amount` now and returns the id of a
    /// withdrawal paying `recipient`, unlocking after the withdrawal delay
    /// (see the crate docs for the exit clamp).
    #[entry]
    fn initiate_withdraw(recipient: Address, amount: u64) -> Result<u64, Error> {
        ensure!(amount > 0, Error::ZeroAmount);
        let owner = env::caller();
        remove_power(&owner, amount)?;
        let c = config();
        let delay = (c.voting_delay / 5)
            .saturating_add(c.voting_duration)
            .saturating_add(c.execution_delay);
        let unlocks_at = context()
            .block_height
            .saturating_add(delay)
            .max(EXIT_CLAMP.get(&owner).unwrap_or(0));
        Ok(new_withdrawal(owner, recipient, amount, unlocks_at))
    }

    /// Anyone: pays an unlocked withdrawal to its recipient.
    #[entry]
    fn finalize_withdraw(id: u64) -> Result<(), Error> {
        let mut w = WITHDRAWALS.get(&id).ok_or(Error::UnknownWithdrawal)?;
        ensure!(!w.finalized, Error::AlreadyFinalized);
        ensure!(context().block_height >= w.unlocks_at, Error::Locked);
        w.finalized = true;
        WITHDRAWALS.set(&id, &w);
        if coin::send(&w.recipient, w.amount).is_err() {
            return Err(Error::TreasuryShort);
        }
        WithdrawalFinalized {
            id,
            recipient: w.recipient,
            amount: w.amount,
        }
        .emit();
        Ok(())
    }

    fn create(execution_hash: Digest, proposer: Address) -> u64 {
        let id = NEXT_PROPOSAL.get_or_default();
        PROPOSALS.set(
            &id,
            &Proposal {
                id,
                execution_hash,
                proposer,
                created_height: context().block_height,
                config: config(),
                yea: 0,
                nay: 0,
                final_state: None,
            },
        );
        NEXT_PROPOSAL.set(&(id + 1));
        Proposed {
            id,
            execution_hash,
            proposer,
        }
        .emit();
        id
    }

    /// The governance proposer only (signalling's round winner): opens a
    /// standard proposal for the payload with SHA3-256 `execution_hash`.
    #[public]
    fn propose(execution_hash: Digest) -> Result<u64, Error> {
        let proposer = env::caller();
        ensure!(
            Some(proposer) == GOVERNANCE_PROPOSER.get(),
            Error::NotTheGovernanceProposer
        );
        Ok(create(execution_hash, proposer))
    }

    /// Anyone with `lock_amount` of power: an emergency proposal, never
    /// droppable. That power becomes a withdrawal to `recipient` unlocking
    /// after `lock_delay`, so it cannot vote on the proposal.
    #[entry]
    fn propose_with_lock(execution_hash: Digest, recipient: Address) -> Result<u64, Error> {
        let c = config();
        let owner = env::caller();
        remove_power(&owner, c.propose.lock_amount)?;
        let unlocks_at = context().block_height.saturating_add(c.propose.lock_delay);
        new_withdrawal(owner, recipient, c.propose.lock_amount, unlocks_at);
        Ok(create(execution_hash, context().original_id))
    }

    /// The last height of each of `p`'s phases.
    pub fn phases_of(p: &Proposal) -> Phases {
        let c = &p.config;
        let pending_through = p.created_height.saturating_add(c.voting_delay);
        let active_through = pending_through.saturating_add(c.voting_duration);
        let queued_through = active_through.saturating_add(c.execution_delay);
        Phases {
            pending_through,
            active_through,
            queued_through,
            executable_through: queued_through.saturating_add(c.grace_period),
        }
    }

    fn ceil_div(a: u128, b: u128) -> u128 {
        a.div_ceil(b)
    }

    /// Whether `yea` of `yea + nay` votes pass with total power `total`
    /// under `c` (see the crate docs).
    pub fn passes(c: &Configuration, total: u64, yea: u64, nay: u64) -> bool {
        if total < c.minimum_votes {
            return false;
        }
        let one = u128::from(ONE);
        let needed = ceil_div(u128::from(total) * u128::from(c.quorum), one);
        let cast = u128::from(yea) + u128::from(nay);
        if cast < needed {
            return false;
        }
        if u128::from(yea) == cast {
            return true;
        }
        let share = ceil_div(one + u128::from(c.required_yea_margin), 2);
        let required = ceil_div(cast * share, one);
        u128::from(yea) > required
    }

    /// `p`'s state at `height`.
    pub fn state_at(p: &Proposal, height: u64) -> ProposalState {
        if let Some(s) = p.final_state {
            return s;
        }
        let this = context().original_id;
        if p.proposer != this && Some(p.proposer) != GOVERNANCE_PROPOSER.get() {
            return ProposalState::Droppable;
        }
        let ph = phases_of(p);
        if height <= ph.pending_through {
            ProposalState::Pending
        } else if height <= ph.active_through {
            ProposalState::Active
        } else if !passes(&p.config, total_at_height(ph.pending_through), p.yea, p.nay) {
            ProposalState::Rejected
        } else if height <= ph.queued_through {
            ProposalState::Queued
        } else if height <= ph.executable_through {
            ProposalState::Executable
        } else {
            ProposalState::Expired
        }
    }

    /// The caller: casts `amount` of its power at the proposal's snapshot
    /// as yea or nay, while it is Active.
    #[entry]
    fn vote(id: u64, amount: u64, yea: bool) -> Result<(), Error> {
        let mut p = PROPOSALS.get(&id).ok_or(Error::UnknownProposal)?;
        ensure!(
            state_at(&p, context().block_height) == ProposalState::Active,
            Error::NotActive
        );
        ensure!(amount > 0, Error::ZeroAmount);
        let voter = env::caller();
        let ph = phases_of(&p);
        let mut ballot = BALLOTS.get(&(id, voter)).unwrap_or_default();
        let used = ballot.yea.saturating_add(ballot.nay);
        let available = power_at_height(&voter, ph.pending_through).saturating_sub(used);
        ensure!(amount <= available, Error::InsufficientPower);
        if yea {
            ballot.yea += amount;
            p.yea = p.yea.saturating_add(amount);
        } else {
            ballot.nay += amount;
            p.nay = p.nay.saturating_add(amount);
        }
        BALLOTS.set(&(id, voter), &ballot);
        PROPOSALS.set(&id, &p);
        // The voter cannot leave before this proposal could have executed.
        let first_executable = ph.queued_through.saturating_add(1);
        if EXIT_CLAMP.get(&voter).unwrap_or(0) < first_executable {
            EXIT_CLAMP.set(&voter, &first_executable);
        }
        VoteCast {
            id,
            voter,
            yea,
            amount,
        }
        .emit();
        Ok(())
    }

    /// Anyone: runs an Executable proposal's payload (`payload` must hash
    /// to its execution hash), marking it Executed first.
    #[entry]
    fn execute(id: u64, payload: Vec<u8>) -> Result<(), Error> {
        let mut p = PROPOSALS.get(&id).ok_or(Error::UnknownProposal)?;
        ensure!(
            state_at(&p, context().block_height) == ProposalState::Executable,
            Error::NotExecutable
        );
        ensure!(
            molt_payload::execution_hash(&payload) == p.execution_hash,
            Error::HashMismatch
        );
        let limit = usize::try_from(p.config.max_payload_bytes).unwrap_or(usize::MAX);
        let decoded = Payload::decode(&payload, limit).map_err(|_| Error::BadPayload)?;
        drop(payload);
        ensure!(decoded.next_step().is_none(), Error::UnsupportedAction);
        p.final_state = Some(ProposalState::Executed);
        PROPOSALS.set(&id, &p);
        let allowed = framework_common::permissions(Track::Stakeholders);
        match framework_common::execute(decoded, allowed) {
            Ok(_) => {}
            Err(framework_common::Refusal::NotPermitted(_)) => return Err(Error::NotPermitted),
            Err(framework_common::Refusal::Unsupported(_)) => {
                return Err(Error::UnsupportedAction);
            }
        }
        ProposalExecuted { id }.emit();
        Ok(())
    }

    /// Anyone: drops a Droppable proposal (final).
    #[entry]
    fn drop_proposal(id: u64) -> Result<(), Error> {
        let mut p = PROPOSALS.get(&id).ok_or(Error::UnknownProposal)?;
        ensure!(
            state_at(&p, context().block_height) == ProposalState::Droppable,
            Error::NotDroppable
        );
        p.final_state = Some(ProposalState::Dropped);
        PROPOSALS.set(&id, &p);
        ProposalDropped { id }.emit();
        Ok(())
    }

    /// Governance only (either track's resolved payload): the configuration
    /// for proposals created from now on, and the withdrawal delay.
    #[entry]
    fn update_configuration(configuration: Configuration) -> Result<(), Error> {
        ensure!(is_track(&env::caller()), Error::NotGovernance);
        ensure!(valid(&configuration), Error::BadConfiguration);
        CONFIG.set(&configuration);
        Ok(())
    }

    /// Governance only: who may create standard proposals. Proposals of the
    /// previous proposer become Droppable (and stop being so if it is set
    /// back).
    #[entry]
    fn set_governance_proposer(proposer: Address) -> Result<(), Error> {
        ensure!(is_track(&env::caller()), Error::NotGovernance);
        ensure!(proposer != Address::ZERO, Error::BadProposer);
        GOVERNANCE_PROPOSER.set(&proposer);
        Ok(())
    }

    /// The configuration new proposals get.
    #[view]
    fn configuration() -> Configuration {
        config()
    }

    /// Who may create standard proposals.
    #[view]
    fn governance_proposer() -> Address {
        GOVERNANCE_PROPOSER.get().unwrap_or(SIGNALLING)
    }

    /// Proposal `id` as stored.
    #[view]
    fn proposal(id: u64) -> Option<Proposal> {
        PROPOSALS.get(&id)
    }

    /// Proposal `id`'s state at this height.
    #[view]
    fn state(id: u64) -> Option<ProposalState> {
        let p = PROPOSALS.get(&id)?;
        Some(state_at(&p, context().block_height))
    }

    /// The last height of each of proposal `id`'s phases.
    #[view]
    fn phases(id: u64) -> Option<Phases> {
        PROPOSALS.get(&id).map(|p| phases_of(&p))
    }

    /// Whether proposal `id`'s tally passes (meaningful once Active ended).
    #[view]
    fn tally_passes(id: u64) -> Option<bool> {
        let p = PROPOSALS.get(&id)?;
        let total = total_at_height(phases_of(&p).pending_through);
        Some(passes(&p.config, total, p.yea, p.nay))
    }

    /// What `voter` cast on proposal `id`.
    #[view]
    fn ballot(id: u64, voter: Address) -> Ballot {
        BALLOTS.get(&(id, voter)).unwrap_or_default()
    }

    /// The id the next proposal will get.
    #[view]
    fn next_proposal_id() -> u64 {
        NEXT_PROPOSAL.get_or_default()
    }

    /// `account`'s voting power now.
    #[view]
    fn power(account: Address) -> u64 {
        current_power(&account)
    }

    /// `account`'s voting power after the block at `height`.
    #[view]
    fn power_at(account: Address, height: u64) -> u64 {
        power_at_height(&account, height)
    }

    /// The total voting power now.
    #[view]
    fn total_power() -> u64 {
        total_at_height(u64::MAX)
    }

    /// The total voting power after the block at `height`.
    #[view]
    fn total_power_at(height: u64) -> u64 {
        total_at_height(height)
    }

    /// Withdrawal `id`.
    #[view]
    fn withdrawal(id: u64) -> Option<Withdrawal> {
        WITHDRAWALS.get(&id)
    }

    /// The id the next withdrawal will get.
    #[view]
    fn next_withdrawal_id() -> u64 {
        NEXT_WITHDRAWAL.get_or_default()
    }

    /// The height before which `account`'s new withdrawals cannot unlock.
    #[view]
    fn exit_clamp(account: Address) -> u64 {
        EXIT_CLAMP.get(&account).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests;
