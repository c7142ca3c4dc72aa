//! `signalling` (framework address `0x4`): proposer signal rounds, the
//! standard entry to the stakeholders' track (DESIGN.md 3,
//! docs/canonical-deployments.md), after Aztec's GovernanceProposer.
//!
//! Time is cut into **rounds** of `round_size` blocks: round `r` is the
//! heights `r * round_size ..= (r + 1) * round_size - 1` (round = height /
//! round size). In each block, only that block's proposer may `signal`,
//! once, for a payload's execution hash; the node of a validator that set a
//! signal (`molt gov signal`) adds that transaction to the blocks it
//! proposes. A round's **leader** is the hash with the most signals; it
//! changes only when another hash gets strictly more.
//!
//! Once round `r` is over (from round `r + 1 + execution_delay_rounds`)
//! and within its lifetime (up to round `r + lifetime_rounds`), anyone may
//! `submit_round_winner(r)`: if the leader reached `quorum_size` signals
//! (more than half the round, at most the round), the stakeholders' track
//! gets a proposal for it, once per round.
#![cfg_attr(not(test), no_std)]

#[molt_sdk::program]
pub mod signalling {
    use framework_common::STAKEHOLDERS;
    use molt_sdk::prelude::*;
    use molt_sdk::system as chain;

    /// The round parameters.
    #[derive(BorshSerialize, BorshDeserialize, Debug, Clone, PartialEq, Eq)]
    pub struct RoundConfig {
        /// Blocks per round.
        pub round_size: u64,
        /// Signals the leader needs: more than half the round, at most all.
        pub quorum_size: u64,
        /// The last round after `r` in which `r`'s winner may be submitted.
        pub lifetime_rounds: u64,
        /// Rounds to wait after `r` ends before its winner may be submitted.
        pub execution_delay_rounds: u64,
    }

    /// A round's tally.
    #[derive(BorshSerialize, BorshDeserialize, Debug, Clone, PartialEq, Eq)]
    pub struct Round {
        pub round: u64,
        /// The leading execution hash and its signals.
        pub leader: Option<(Digest, u64)>,
        /// The stakeholders' proposal its winner became, once submitted.
        pub proposal: Option<u64>,
    }

    #[event]
    #[derive(Debug, PartialEq, Eq)]
    pub struct Signalled {
        pub round: u64,
        pub proposer: Address,
        pub execution_hash: Digest,
        /// The hash's signals in the round, this one included.
        pub signals: u64,
    }

    #[event]
    #[derive(Debug, PartialEq, Eq)]
    pub struct RoundWinnerSubmitted {
        pub round: u64,
        pub execution_hash: Digest,
        pub signals: u64,
        pub proposal: u64,
    }

    #[errors]
    pub enum Error {
        #[error(
            code = 1,
            message = "only the proposer of the block may signal in it (set your node's signal with `molt gov signal`)"
        )]
        NotTheBlockProposer,
        #[error(code = 2, message = "this block already carries a signal")]
        AlreadySignalled,
        #[error(
            code = 3,
            message = "the round is not over yet (or in its execution delay)"
        )]
        RoundNotOver,
        #[error(
            code = 4,
            message = "the round's lifetime is over: its winner can no longer be submitted"
        )]
        RoundExpired,
        #[error(code = 5, message = "the round's winner was already submitted")]
        AlreadySubmitted,
        #[error(code = 6, message = "no hash reached the round's quorum of signals")]
        NoQuorum,
        #[error(
            code = 7,
            message = "invalid rounds: round size >= 1, round size / 2 < quorum <= round size, lifetime > execution delay"
        )]
        BadConfig,
        #[error(
            code = 8,
            message = "only governance (a resolved payload) changes the rounds"
        )]
        NotGovernance,
    }

    #[storage]
    static CONFIG: Item<RoundConfig>;
    /// The height of the last block that signalled.
    #[storage]
    static LAST_SIGNAL: Item<u64>;
    /// `(round, hash)` -> signals.
    #[storage]
    static SIGNALS: Map<(u64, Digest), u64>;
    /// Round -> its leader and the leader's signals.
    #[storage]
    static LEADERS: Map<u64, (Digest, u64)>;
    /// Round -> the stakeholders' proposal its winner became.
    #[storage]
    static SUBMITTED: Map<u64, u64>;

    /// The genesis rounds: 10 blocks, quorum 6, winners submittable for 5
    /// rounds.
    pub fn default_config() -> RoundConfig {
        RoundConfig {
            round_size: 10,
            quorum_size: 6,
            lifetime_rounds: 5,
            execution_delay_rounds: 0,
        }
    }

    /// Whether `c` is usable (see `Error::BadConfig`).
    pub fn valid(c: &RoundConfig) -> bool {
        c.round_size >= 1
            && c.quorum_size <= c.round_size
            && u128::from(c.quorum_size) * 2 > u128::from(c.round_size)
            && c.lifetime_rounds > c.execution_delay_rounds
    }

    fn config() -> RoundConfig {
        CONFIG.get().unwrap_or_else(default_config)
    }

    #[init]
    fn init() {
        CONFIG.set(&default_config());
    }

    /// The round of `height`.
    pub fn round_of(height: u64) -> u64 {
        height / config().round_size.max(1)
    }

    /// The block's proposer: a signal for the payload with SHA3-256
    /// `execution_hash` in this block's round.
    #[entry]
    fn signal(execution_hash: Digest) -> Result<u64, Error> {
        let ctx = context();
        ensure!(
            chain::block_proposer() == Some(ctx.caller),
            Error::NotTheBlockProposer
        );
        ensure!(
            LAST_SIGNAL.get() != Some(ctx.block_height),
            Error::AlreadySignalled
        );
        LAST_SIGNAL.set(&ctx.block_height);
        let round = round_of(ctx.block_height);
        let signals = SIGNALS.get(&(round, execution_hash)).unwrap_or(0) + 1;
        SIGNALS.set(&(round, execution_hash), &signals);
        let leads = match LEADERS.get(&round) {
            Some((_, best)) => signals > best,
            None => true,
        };
        if leads {
            LEADERS.set(&round, &(execution_hash, signals));
        }
        Signalled {
            round,
            proposer: ctx.caller,
            execution_hash,
            signals,
        }
        .emit();
        Ok(signals)
    }

    /// Anyone: turns round `round`'s winner into a stakeholders' proposal;
    /// returns its id.
    #[entry]
    fn submit_round_winner(round: u64) -> Result<u64, Error> {
        let c = config();
        let current = round_of(context().block_height);
        ensure!(
            current > round.saturating_add(c.execution_delay_rounds),
            Error::RoundNotOver
        );
        ensure!(
            current <= round.saturating_add(c.lifetime_rounds),
            Error::RoundExpired
        );
        ensure!(!SUBMITTED.has(&round), Error::AlreadySubmitted);
        let (hash, signals) = LEADERS.get(&round).ok_or(Error::NoQuorum)?;
        ensure!(signals >= c.quorum_size, Error::NoQuorum);
        let proposal: u64 = molt_sdk::call(&STAKEHOLDERS, "propose", &hash);
        SUBMITTED.set(&round, &proposal);
        RoundWinnerSubmitted {
            round,
            execution_hash: hash,
            signals,
            proposal,
        }
        .emit();
        Ok(proposal)
    }

    /// Governance only (either track): the round parameters from now on.
    #[entry]
    fn set_config(config: RoundConfig) -> Result<(), Error> {
        ensure!(
            framework_common::is_track(&env::caller()),
            Error::NotGovernance
        );
        ensure!(valid(&config), Error::BadConfig);
        CONFIG.set(&config);
        Ok(())
    }

    /// The round parameters.
    #[view]
    fn round_config() -> RoundConfig {
        config()
    }

    /// The round of the current height.
    #[view]
    fn current_round() -> u64 {
        round_of(context().block_height)
    }

    /// Round `round`'s tally.
    #[view]
    fn round(number: u64) -> Round {
        Round {
            round: number,
            leader: LEADERS.get(&number),
            proposal: SUBMITTED.get(&number),
        }
    }

    /// The signals for `execution_hash` in round `round`.
    #[view]
    fn signals(round: u64, execution_hash: Digest) -> u64 {
        SIGNALS.get(&(round, execution_hash)).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests;
