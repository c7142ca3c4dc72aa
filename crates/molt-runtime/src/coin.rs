//! Moving native coin between accounts (DESIGN.md 2): a transfer
//! transaction, coin a transaction attaches to a call, and coin a program
//! sends from its own account (`molt.coin_send`) all move it here, in the
//! block's overlay, so the checkpoint around a failed payload or call
//! undoes the move. A package's account is its original id.

use crate::error::RuntimeError;
use crate::execute::{account, put};
use crate::overlay::Overlay;
use crate::state;
use molt_types::Address;

/// Moves `amount` from `from` to `to`; `Ok(Err(balance))` moves nothing
/// when `from` holds only `balance`. The credit saturates at `u64::MAX`.
/// `from == to` leaves the balance as it was.
pub(crate) fn transfer(
    overlay: &mut Overlay<'_>,
    from: &Address,
    to: &Address,
    amount: u64,
) -> Result<Result<(), u64>, RuntimeError> {
    let mut source = account(overlay, from)?;
    if source.balance < amount {
        return Ok(Err(source.balance));
    }
    source.balance -= amount;
    put(overlay, state::account_key(from), &source);
    let mut dest = account(overlay, to)?;
    dest.balance = dest.balance.saturating_add(amount);
    put(overlay, state::account_key(to), &dest);
    Ok(Ok(()))
}
