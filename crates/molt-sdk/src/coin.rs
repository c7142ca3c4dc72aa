//! Native coin (DESIGN.md 2, docs/host-abi.md "Coin").
//!
//! Every program has an account: its original id, shared by all its
//! versions. A transaction may attach coin to the function it calls
//! (`molt call --coin N`); the node moves it into the program's account
//! before the function runs, and [`attached`] tells the function how much
//! came. A program sends from its own account with [`send`]. Both moves
//! appear in the receipt as the system's `Transfer` event, and both are
//! undone if the call fails: a function that refuses the coin it was given
//! only has to return an error.
//!
//! ```ignore
//! #[entry]
//! fn buy(item: u64) -> Result<(), Error> {
//!     ensure!(coin::attached() == PRICE, Error::WrongPrice);
//!     // the coin is now in this program's account
//!     Ok(())
//! }
//! ```

use molt_types::Address;

/// [`send`] found the program's account short of the amount; nothing moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InsufficientCoin {
    /// What the program's account holds.
    pub balance: u64,
    /// What it tried to send.
    pub amount: u64,
}

impl core::fmt::Display for InsufficientCoin {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "the program holds {} coin and cannot send {}",
            self.balance, self.amount
        )
    }
}

/// The coin the transaction attached to this call, already in this
/// program's account. 0 when none was, and in every call another program
/// makes, in constructors and in `init`.
pub fn attached() -> u64 {
    // The context's last field (the ABI freezes the order): its 8 bytes,
    // without decoding the rest.
    let bytes = crate::sys::context_bytes();
    let tail = bytes
        .len()
        .checked_sub(8)
        .and_then(|start| bytes.get(start..))
        .and_then(|b| <[u8; 8]>::try_from(b).ok());
    match tail {
        Some(b) => u64::from_le_bytes(b),
        None => crate::error::abort(
            crate::error::codes::PANIC,
            "molt-sdk: the host's context does not decode",
        ),
    }
}

/// The coin balance of `account` (an account or a program's original id).
pub fn balance(account: &Address) -> u64 {
    crate::sys::coin_balance(account)
}

/// This program's own balance.
pub fn own_balance() -> u64 {
    balance(&crate::env::context().original_id)
}

/// Sends `amount` from this program's account to `to`. A write: it ends
/// the call in a view.
pub fn send(to: &Address, amount: u64) -> Result<(), InsufficientCoin> {
    if crate::sys::coin_send(to, amount) {
        Ok(())
    } else {
        Err(InsufficientCoin {
            balance: own_balance(),
            amount,
        })
    }
}
