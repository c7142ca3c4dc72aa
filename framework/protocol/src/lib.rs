//! `protocol` (framework address `0x6`): the validators' protocol (binary)
//! upgrade proposals (DESIGN.md 4, docs/protocol-upgrades.md), the way
//! Vega's validators propose a release and a height.
//!
//! # Rules
//!
//! - A **plan** is a release version (`MAJOR.MINOR.PATCH`, optionally with
//!   a pre-release or build suffix), a height, and one SHA3-256 checksum
//!   per platform (`linux-x86_64`, ...). Binaries older than the version
//!   stop after the height; the plan's release goes on from the next one
//!   (the node's halt, `molt_runtime::halt`).
//! - Any validator of the current epoch **proposes** a plan with
//!   `propose`: submitting is its vote. A validator has one vote: a new
//!   proposal replaces its old one; `withdraw` removes it, and so does a
//!   proposal for the version the chain already runs (the last plan this
//!   package scheduled, once its height has passed).
//! - A plan is **accepted** as soon as the validators voting for exactly
//!   that plan hold more than two thirds of the current epoch's voting
//!   power (`3 * power > 2 * total`, in integers), before its height: this
//!   package then schedules it with the privileged call
//!   `gov_schedule_upgrade` (the node checks it again: semver, height not
//!   passed, no downgrade), and every vote is cleared.
//! - **The earliest accepted height wins**: while a scheduled plan's height
//!   is ahead, a proposal for a later height is refused; an earlier one may
//!   still be accepted and replaces it.
//! - A plan whose height is reached without acceptance is **rejected**: the
//!   next transaction of this package (any `propose`, `withdraw`, or
//!   `close_expired` by anyone) removes its votes and emits `PlanRejected`.
//! - Governance can schedule a plan too, with a payload's
//!   `ScheduleUpgrade` action (the validators' track).
#![cfg_attr(not(test), no_std)]

#[molt_sdk::program]
pub mod protocol {
    use molt_sdk::prelude::*;
    use molt_sdk::system as chain;

    /// The most platforms one plan names.
    pub const MAX_PLATFORMS: usize = 16;
    /// The longest version string.
    pub const MAX_VERSION_BYTES: usize = 64;

    /// A protocol upgrade plan (`molt_types::UpgradePlan`, with the
    /// binaries as a list sorted by platform).
    #[derive(BorshSerialize, BorshDeserialize, Debug, Clone, PartialEq, Eq)]
    pub struct Plan {
        pub version: String,
        pub height: u64,
        /// `(platform, SHA3-256 of the binary)`, sorted, one per platform.
        pub binaries: Vec<(String, Digest)>,
    }

    /// The votes for one plan.
    #[derive(BorshSerialize, BorshDeserialize, Debug, Clone, PartialEq, Eq)]
    pub struct Tally {
        pub plan: Plan,
        /// The current voting power of its voters.
        pub power: u64,
        /// The current epoch's total voting power.
        pub total: u64,
        pub voters: Vec<Address>,
    }

    #[event]
    #[derive(Debug, PartialEq, Eq)]
    pub struct Voted {
        pub validator: Address,
        pub version: String,
        pub height: u64,
        /// The plan's voting power after this vote.
        pub power: u64,
        pub total: u64,
    }

    #[event]
    #[derive(Debug, PartialEq, Eq)]
    pub struct VoteWithdrawn {
        pub validator: Address,
    }

    #[event]
    #[derive(Debug, PartialEq, Eq)]
    pub struct PlanAccepted {
        pub version: String,
        pub height: u64,
        pub power: u64,
        pub total: u64,
    }

    #[event]
    #[derive(Debug, PartialEq, Eq)]
    pub struct PlanRejected {
        pub version: String,
        pub height: u64,
        /// The power it had when its height was reached.
        pub power: u64,
        pub total: u64,
    }

    #[errors]
    pub enum Error {
        #[error(
            code = 1,
            message = "only a validator of the current epoch with voting power may propose or withdraw"
        )]
        NotAValidator,
        #[error(
            code = 2,
            message = "the version is not MAJOR.MINOR.PATCH (optionally -pre or +build), at most 64 bytes"
        )]
        BadVersion,
        #[error(
            code = 3,
            message = "the plan's height has passed: propose a later height"
        )]
        HeightPassed,
        #[error(
            code = 4,
            message = "name 1 to 16 binaries, one per <os>-<arch> platform in lower case (linux-x86_64)"
        )]
        BadBinaries,
        #[error(
            code = 5,
            message = "a plan is already scheduled for an earlier height: the earliest accepted height wins; propose after it"
        )]
        LaterThanScheduled,
        #[error(code = 6, message = "this validator has no vote to withdraw")]
        NoVote,
    }

    /// Validator -> the plan it votes for.
    #[storage]
    static VOTES: Map<Address, Plan>;
    /// The last plan this package scheduled.
    #[storage]
    static SCHEDULED: Item<Plan>;

    fn valid_version(v: &str) -> bool {
        if v.is_empty() || v.len() > MAX_VERSION_BYTES {
            return false;
        }
        let core = v.split(['-', '+']).next().unwrap_or("");
        let parts: Vec<&str> = core.split('.').collect();
        parts.len() == 3
            && parts.iter().all(|p| {
                !p.is_empty()
                    && p.bytes().all(|b| b.is_ascii_digit())
                    && (p.len() == 1 || !p.starts_with('0'))
            })
            && v[core.len()..]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-+.".contains(&b))
    }

    fn valid_platform(p: &str) -> bool {
        match p.split_once('-') {
            Some((os, arch)) => {
                !os.is_empty()
                    && !arch.is_empty()
                    && p.len() <= 32
                    && p.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_'
                    })
            }
            None => false,
        }
    }

    /// The current validators with power, in the chain's order.
    fn electorate() -> (Vec<(Address, u64)>, u64) {
        let mut total = 0u64;
        let voters: Vec<(Address, u64)> = chain::validators()
            .into_iter()
            .filter(|v| v.2 > 0)
            .map(|(a, _, p)| {
                total = total.saturating_add(p);
                (a, p)
            })
            .collect();
        (voters, total)
    }

    /// Every plan with votes, with the current power of its voters, in the
    /// order of its first voter in the validator set.
    fn tallies() -> Vec<Tally> {
        let (voters, total) = electorate();
        let mut out: Vec<Tally> = Vec::new();
        for (address, power) in voters {
            let Some(plan) = VOTES.get(&address) else {
                continue;
            };
            match out.iter_mut().find(|t| t.plan == plan) {
                Some(t) => {
                    t.power = t.power.saturating_add(power);
                    t.voters.push(address);
                }
                None => out.push(Tally {
                    plan,
                    power,
                    total,
                    voters: Vec::from([address]),
                }),
            }
        }
        out
    }

    /// Removes the votes for plans whose height is reached, with a
    /// `PlanRejected` per plan; also forgets votes of former validators.
    fn close() {
        let height = context().block_height;
        for t in tallies() {
            if t.plan.height <= height {
                PlanRejected {
                    version: t.plan.version.clone(),
                    height: t.plan.height,
                    power: t.power,
                    total: t.total,
                }
                .emit();
                for v in &t.voters {
                    VOTES.remove(v);
                }
            }
        }
        let stale: Vec<Address> = VOTES
            .iter()
            .filter(|(_, plan)| plan.height <= height)
            .map(|(a, _)| a)
            .collect();
        for a in stale {
            VOTES.remove(&a);
        }
    }

    fn power_of(validator: &Address) -> Option<u64> {
        electorate()
            .0
            .into_iter()
            .find(|(a, _)| a == validator)
            .map(|(_, p)| p)
    }

    /// A validator: votes for the plan (version, height, binaries);
    /// returns whether the plan is now accepted and scheduled.
    #[entry]
    fn propose(
        version: String,
        height: u64,
        binaries: Vec<(String, Digest)>,
    ) -> Result<bool, Error> {
        let validator = env::caller();
        power_of(&validator).ok_or(Error::NotAValidator)?;
        close();
        let now = context().block_height;
        if let Some(s) = SCHEDULED.get()
            && s.version == version
            && s.height < now
        {
            // The chain already runs this version: the vote is withdrawn.
            if VOTES.remove(&validator) {
                VoteWithdrawn { validator }.emit();
            }
            return Ok(false);
        }
        ensure!(valid_version(&version), Error::BadVersion);
        ensure!(height > now, Error::HeightPassed);
        let mut binaries = binaries;
        binaries.sort();
        ensure!(
            !binaries.is_empty()
                && binaries.len() <= MAX_PLATFORMS
                && binaries.windows(2).all(|w| w[0].0 != w[1].0)
                && binaries.iter().all(|(p, _)| valid_platform(p)),
            Error::BadBinaries
        );
        if let Some(s) = SCHEDULED.get() {
            ensure!(
                s.height < now || height < s.height,
                Error::LaterThanScheduled
            );
        }
        let plan = Plan {
            version,
            height,
            binaries,
        };
        VOTES.set(&validator, &plan);
        let tally = tallies()
            .into_iter()
            .find(|t| t.plan == plan)
            .expect("the vote just cast counts");
        Voted {
            validator,
            version: plan.version.clone(),
            height,
            power: tally.power,
            total: tally.total,
        }
        .emit();
        if 3 * u128::from(tally.power) > 2 * u128::from(tally.total) {
            chain::schedule_upgrade(&molt_sdk::UpgradePlan {
                version: plan.version.clone(),
                height,
                binaries: plan.binaries.iter().cloned().collect(),
            });
            SCHEDULED.set(&plan);
            PlanAccepted {
                version: plan.version,
                height,
                power: tally.power,
                total: tally.total,
            }
            .emit();
            let voted: Vec<Address> = VOTES.iter().map(|(a, _)| a).collect();
            for a in voted {
                VOTES.remove(&a);
            }
            return Ok(true);
        }
        Ok(false)
    }

    /// A validator: removes its vote.
    #[entry]
    fn withdraw() -> Result<(), Error> {
        let validator = env::caller();
        power_of(&validator).ok_or(Error::NotAValidator)?;
        close();
        ensure!(VOTES.remove(&validator), Error::NoVote);
        VoteWithdrawn { validator }.emit();
        Ok(())
    }

    /// Anyone: rejects the plans whose height was reached without
    /// acceptance (`PlanRejected` each).
    #[entry]
    fn close_expired() {
        close();
    }

    /// Every plan with votes and the current power of its voters.
    #[view]
    fn proposals() -> Vec<Tally> {
        tallies()
    }

    /// The plan `validator` votes for.
    #[view]
    fn vote_of(validator: Address) -> Option<Plan> {
        VOTES.get(&validator)
    }

    /// The last plan this package scheduled (governance may have scheduled
    /// another since: `molt query` shows the chain's plan).
    #[view]
    fn scheduled() -> Option<Plan> {
        SCHEDULED.get()
    }
}

#[cfg(test)]
mod tests;
