//! Events: a name and borsh-encoded data, recorded in the receipt.

use crate::__private::encode;
use borsh::BorshSerialize;

/// A type declared with `#[event]`; its name is the struct's name.
pub trait Event: BorshSerialize {
    const NAME: &'static str;

    /// Emits this event.
    fn emit(&self) {
        emit(Self::NAME, self);
    }
}

/// Emits event `name` with `value` as its data. Prefer [`Event::emit`] on a
/// declared `#[event]` type, whose name the interface lists.
pub fn emit<T: BorshSerialize + ?Sized>(name: &str, value: &T) {
    crate::sys::emit(name, &encode(value));
}
