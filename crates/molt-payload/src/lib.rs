//! Molt governance payloads (DESIGN.md section 3): the canonical,
//! size-limited, ordered list of actions a proposal approves, and its
//! execution hash.
//!
//! # Format (version 1)
//!
//! A payload is the borsh encoding of [`Payload`]:
//!
//! ```text
//! Payload { format: u16 = 1, actions: Vec<Action> }
//! ```
//!
//! `actions` run in order, as one transaction: the first failure undoes all
//! of them. The variants of [`Action`] and their field order are frozen
//! (golden fixture `tests/fixtures/payload_v1.hex`); a new kind of action is
//! a new variant at the end, never a change to an existing one.
//!
//! The **execution hash** ([`ExecutionHash`]) is SHA3-256 of the payload's
//! bytes, untagged, so anyone can recompute it with a stock tool
//! (`sha3sum -a 256`). A proposal stores it; resolving requires bytes with
//! exactly that hash, so a tampered payload cannot run.
//!
//! # Multi-step payloads
//!
//! A payload may end with [`Action::NextStep`], the execution hash of the
//! next step. Resolving a step approves its successor: one vote approves the
//! whole chain, steps resolve in the order the builder chained them, and a
//! step out of order or replayed has no approved hash to match. `NextStep`
//! may appear at most once and only last ([`PayloadError::NextStepNotLast`]).
//!
//! # Decoding untrusted bytes
//!
//! [`Payload::decode`] refuses input over the caller's byte limit before
//! reading it, rejects trailing bytes (one payload, one encoding), an
//! unknown format version, an empty action list, more than
//! [`MAX_ACTIONS`] actions, and a misplaced `NextStep`; every refusal is a
//! typed [`PayloadError`]. It never panics.
//!
//! # What the node does with each action
//!
//! The governance framework package executes actions with the privileged
//! host calls (docs/framework.md):
//! [`Action::UpgradePackage`] upgrades a framework package without its cap,
//! still checked under `compatible`; [`Action::SetParams`] schedules a full
//! new `ChainParams` (validated by the node) for the next epoch;
//! [`Action::SetNextValidators`] schedules the next epoch's validator set;
//! [`Action::EndEpoch`] makes the next block start a new epoch;
//! [`Action::CallAsGovernance`] calls any program's `public` or `entry`
//! function with the governance package as caller.
//! [`Action::RegistryAdd`] appends a version to a registry service (the
//! `registry` package at `0x5`) if the canonical version is still the one
//! the payload expects.
//! [`Action::ScheduleUpgrade`] schedules a protocol (binary) upgrade plan
//! with one checksum per platform. [`Action::ScheduleProtocolUpgrade`], its
//! one-checksum predecessor, is frozen here and always refused. [`Action::RegistryChange`] was superseded
//! by `RegistryAdd` and is always refused.
//!
//! # Which track may run what
//!
//! An [`ActionSet`] (one bit per variant) is what a governance track may
//! execute; the governance package keeps one per track as a parameter that
//! only governance changes (docs/canonical-deployments.md).
#![no_std]

extern crate alloc;

mod action;
mod error;
mod payload;

pub use action::{Action, ActionSet, ValidatorEntry};
pub use error::PayloadError;
pub use payload::{ExecutionHash, FORMAT_VERSION, MAX_ACTIONS, Payload, execution_hash};
