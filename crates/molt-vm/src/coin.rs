//! Native coin in programs (DESIGN.md 2, docs/host-abi.md "Coin"): any
//! account's balance, and sending from the running package's own account.
//! (The coin a transaction attached to the call is in its
//! [`Context`](crate::Context).)
//!
//! A package's account is its original id: every version shares it, as
//! they share storage. Coin only moves by the host's
//! [`Host::coin_transfer`](crate::Host::coin_transfer), inside the call's
//! checkpoint, so a call that fails gives every coin it sent back. Each
//! move is recorded as the system's `Transfer` event (emitter
//! [`Address::ZERO`], data `(from, to, amount)`), the event a transfer
//! transaction emits, so receipts show where coin went.
//!
//! Amounts cross the ABI as `i64` carrying the bits of a `u64`.

use crate::error::VmError;
use crate::imports::{Ctx, charge, memory, read_address, write_guard};
use molt_types::{Address, Event};

/// The name of the system event recording a coin move.
pub const TRANSFER_EVENT: &str = "Transfer";

/// `coin_balance(account) -> i64`: the balance of any account or package.
pub(crate) fn balance(c: &mut Ctx<'_, '_>, account: i32) -> Result<i64, VmError> {
    let gas = &c.data().vm.config().gas;
    let cost = gas.host_call.saturating_add(gas.storage_read);
    charge(c, cost)?;
    let memory = memory(c)?;
    let (mem, s) = memory.data_and_store_mut(&mut *c);
    let account = read_address(mem, "coin_balance", account)?;
    Ok(s.host.coin_balance(&account)? as i64)
}

/// `coin_send(to, amount) -> i32`: moves `amount` from the running
/// package's account to `to`; `0` when sent, `1` when the package's
/// balance is short (nothing moved). A write: it traps in a view.
pub(crate) fn send(c: &mut Ctx<'_, '_>, to: i32, amount: i64) -> Result<i32, VmError> {
    write_guard(c, "coin_send")?;
    let gas = &c.data().vm.config().gas;
    // Two account writes and the event that records them.
    let cost = gas
        .host_call
        .saturating_add(gas.storage_write.saturating_mul(2))
        .saturating_add(gas.event);
    charge(c, cost)?;
    let amount = amount as u64;
    let memory = memory(c)?;
    let (mem, s) = memory.data_and_store_mut(&mut *c);
    let to = read_address(mem, "coin_send", to)?;
    let from = s.context.original_id;
    if s.host.coin_transfer(&from, &to, amount)?.is_err() {
        return Ok(1);
    }
    s.host.emit_event(transfer_event(from, to, amount))?;
    Ok(0)
}

/// The system's record of `amount` moving from `from` to `to`.
pub fn transfer_event(from: Address, to: Address, amount: u64) -> Event {
    Event {
        emitter: Address::ZERO,
        name: TRANSFER_EVENT.into(),
        data: molt_types::encode(&(from, to, amount)),
    }
}
