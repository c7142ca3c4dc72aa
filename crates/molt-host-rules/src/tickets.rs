//! Upgrade-ticket admission (`molt.authorize_upgrade`, DESIGN.md 2.2,
//! docs/host-abi.md).
//!
//! A program that holds an `UpgradeCap` authorizes one exact module digest
//! for the upgrade through that cap that follows in the same transaction.
//! [`admit`] decides, in this order:
//!
//! 1. the call is (part of) the ticket call of an `Upgrade` transaction
//!    (`Context.ticket_call`), else [`TicketRefusal::OutsideTicketCall`]:
//!    a stranger's plain call can never make a policy program consume its
//!    approvals;
//! 2. the cap exists, else [`TicketRefusal::NoSuchCap`];
//! 3. the calling program (the running package's original id, not its
//!    caller) owns it, else [`TicketRefusal::NotOwner`];
//! 4. no ticket was issued for that cap earlier in the transaction, else
//!    [`TicketRefusal::AlreadyIssued`]: one ticket authorizes one upgrade,
//!    and a later ticket may not silently replace an earlier one.
//!
//! The host then records the ticket as a write of the transaction: a failed
//! call reverts it with its other writes, and it expires when the
//! transaction ends. A `view` call never gets here (the VM refuses every
//! write in a view first).

use core::fmt;
use molt_types::{Address, Digest};

/// Why `molt.authorize_upgrade` issued no ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketRefusal {
    /// Not in the ticket call of an `Upgrade` transaction.
    OutsideTicketCall,
    /// There is no `UpgradeCap` with this id.
    NoSuchCap { cap: Address },
    /// The cap is owned by someone other than the calling program.
    NotOwner {
        cap: Address,
        owner: Address,
        program: Address,
    },
    /// This transaction already holds a ticket for the cap.
    AlreadyIssued { cap: Address, digest: Digest },
}

impl fmt::Display for TicketRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TicketRefusal::OutsideTicketCall => f.write_str(
                "upgrade tickets can only be issued in the ticket call of an Upgrade \
                 transaction (molt upgrade --ticket); this call changes nothing",
            ),
            TicketRefusal::NoSuchCap { cap } => write!(f, "there is no UpgradeCap {cap}"),
            TicketRefusal::NotOwner {
                cap,
                owner,
                program,
            } => write!(
                f,
                "UpgradeCap {cap} is owned by {owner}, not by this program {program}"
            ),
            TicketRefusal::AlreadyIssued { cap, digest } => write!(
                f,
                "UpgradeCap {cap} already has a ticket in this transaction (for module \
                 {digest}); one ticket authorizes one upgrade"
            ),
        }
    }
}

/// What [`admit`] needs to know of a host's state.
pub trait TicketState {
    /// A failure of the host itself (I/O), never a refusal.
    type Error;

    /// Who owns `cap` (an account or a program's original id); `None`: no
    /// such cap.
    fn cap_owner(&mut self, cap: &Address) -> Result<Option<Address>, Self::Error>;

    /// The digest this transaction already holds a ticket for through
    /// `cap`, if any.
    fn issued(&mut self, cap: &Address) -> Result<Option<Digest>, Self::Error>;
}

/// Decides whether `program` may issue a ticket through `cap`.
///
/// `in_ticket_call` is the running call's `Context.ticket_call`. The host's
/// `state` is asked lazily, only as far as the decision needs it.
/// `Err(E)` is a failure of the host itself, passed through; `Ok(Err(_))` a
/// refusal.
pub fn admit<S: TicketState + ?Sized>(
    in_ticket_call: bool,
    program: &Address,
    cap: &Address,
    state: &mut S,
) -> Result<Result<(), TicketRefusal>, S::Error> {
    if !in_ticket_call {
        return Ok(Err(TicketRefusal::OutsideTicketCall));
    }
    let Some(owner) = state.cap_owner(cap)? else {
        return Ok(Err(TicketRefusal::NoSuchCap { cap: *cap }));
    };
    if owner != *program {
        return Ok(Err(TicketRefusal::NotOwner {
            cap: *cap,
            owner,
            program: *program,
        }));
    }
    if let Some(digest) = state.issued(cap)? {
        return Ok(Err(TicketRefusal::AlreadyIssued { cap: *cap, digest }));
    }
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    const PROGRAM: Address = Address([1; 32]);
    const CAP: Address = Address([2; 32]);
    const DIGEST: Digest = Digest([3; 32]);

    type Answer<E> = Result<Result<(), TicketRefusal>, E>;

    /// A host's state: the cap's owner and the transaction's ticket, or a
    /// failure for every question.
    struct State {
        owner: Option<Address>,
        issued: Option<Digest>,
        fail: Option<&'static str>,
    }

    impl TicketState for State {
        type Error = &'static str;
        fn cap_owner(&mut self, _: &Address) -> Result<Option<Address>, Self::Error> {
            self.fail.map_or(Ok(self.owner), Err)
        }
        fn issued(&mut self, _: &Address) -> Result<Option<Digest>, Self::Error> {
            self.fail.map_or(Ok(self.issued), Err)
        }
    }

    fn decide(
        ticket_call: bool,
        owner: Option<Address>,
        issued: Option<Digest>,
    ) -> Answer<&'static str> {
        let mut state = State {
            owner,
            issued,
            fail: None,
        };
        admit(ticket_call, &PROGRAM, &CAP, &mut state)
    }

    #[test]
    fn admits_the_owner_once_in_a_ticket_call() {
        assert_eq!(decide(true, Some(PROGRAM), None), Ok(Ok(())));
        assert_eq!(
            decide(true, Some(PROGRAM), Some(DIGEST)),
            Ok(Err(TicketRefusal::AlreadyIssued {
                cap: CAP,
                digest: DIGEST
            }))
        );
    }

    #[test]
    fn the_ticket_call_is_checked_before_any_state_is_read() {
        let mut failing = State {
            owner: None,
            issued: None,
            fail: Some("disk"),
        };
        let answer = admit(false, &PROGRAM, &CAP, &mut failing);
        assert_eq!(answer, Ok(Err(TicketRefusal::OutsideTicketCall)));
    }

    #[test]
    fn unknown_and_foreign_caps_are_refused_with_who_owns_them() {
        assert_eq!(
            decide(true, None, None),
            Ok(Err(TicketRefusal::NoSuchCap { cap: CAP }))
        );
        let other = Address([9; 32]);
        let refusal = decide(true, Some(other), None).unwrap().unwrap_err();
        assert_eq!(
            refusal,
            TicketRefusal::NotOwner {
                cap: CAP,
                owner: other,
                program: PROGRAM
            }
        );
        let text = refusal.to_string();
        assert!(text.contains(&other.to_string()), "{text}");
        assert!(text.contains(&PROGRAM.to_string()), "{text}");
    }

    #[test]
    fn host_failures_pass_through() {
        let mut failing = State {
            owner: Some(PROGRAM),
            issued: None,
            fail: Some("disk"),
        };
        assert_eq!(admit(true, &PROGRAM, &CAP, &mut failing), Err("disk"));
    }
}
