//! Privileged host calls (DESIGN.md section 3): who may use them.
//!
//! The framework's packages live at the *framework addresses*, the reserved
//! addresses `0x1` to `0xff` ([`FRAMEWORK_LIMIT`]). Only code whose running
//! package's **original id** is a framework address may use the privileged
//! calls ([`PrivilegedCall`]). The decision is made when the call starts,
//! from the original id the host recorded for the package version that runs
//! (never from anything in the module's bytes), so a module cannot claim
//! privilege, and a framework package keeps it across its upgrades (every
//! version shares the original id). A program called *by* the framework runs
//! with its own original id: privilege never flows down a call.
//!
//! Only packages installed by genesis can have a framework address: every
//! published package's original id is a hash. The rest of the reserved
//! range (`0x100`..`0xffff`) is for system accounts and fixtures, without
//! privilege.
//!
//! A governance upgrade ([`PrivilegedCall::UpgradePackage`]) may target only
//! a framework package ([`may_upgrade_as_governance`]): governance upgrades
//! the framework without its cap, but never a user's package, whose cap
//! stays the only way to upgrade it.

use molt_types::Address;

/// Framework addresses are the reserved addresses `0x1` up to, not
/// including, this value.
pub const FRAMEWORK_LIMIT: u64 = 0x100;

/// The privileged host calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PrivilegedCall {
    /// `molt.gov_upgrade_package`: upgrade a framework package without its cap.
    UpgradePackage,
    /// `molt.gov_set_params`: schedule chain parameters for the next epoch.
    SetParams,
    /// `molt.gov_set_next_validators`: schedule the next epoch's validators.
    SetNextValidators,
    /// `molt.gov_end_epoch`: the next block starts a new epoch.
    EndEpoch,
    /// `molt.gov_call`: call any `public` or `entry` function as governance.
    CallAsGovernance,
    /// `molt.gov_schedule_upgrade`: schedule a protocol (binary) upgrade plan.
    ScheduleUpgrade,
}

impl PrivilegedCall {
    /// The ABI import name.
    pub fn import_name(self) -> &'static str {
        match self {
            PrivilegedCall::UpgradePackage => "gov_upgrade_package",
            PrivilegedCall::SetParams => "gov_set_params",
            PrivilegedCall::SetNextValidators => "gov_set_next_validators",
            PrivilegedCall::EndEpoch => "gov_end_epoch",
            PrivilegedCall::CallAsGovernance => "gov_call",
            PrivilegedCall::ScheduleUpgrade => "gov_schedule_upgrade",
        }
    }
}

/// A privileged call refused to a program that is not a framework package.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotPrivileged {
    pub call: PrivilegedCall,
    /// The running package's original id.
    pub program: Address,
}

impl core::fmt::Display for NotPrivileged {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "`molt.{}` is a privileged call: only framework packages (installed by genesis at 0x1..0xff) may use it, and program {} is not one; submit a governance proposal instead",
            self.call.import_name(),
            self.program
        )
    }
}

/// Whether `address` is a framework address (`0x1`..`0xff`).
pub fn is_framework(address: &Address) -> bool {
    let value = &address.0;
    value[..31].iter().all(|b| *b == 0) && value[31] != 0
}

/// Admits `call` for the running package whose original id is
/// `running_original_id`, or refuses it.
pub fn admit(call: PrivilegedCall, running_original_id: &Address) -> Result<(), NotPrivileged> {
    if is_framework(running_original_id) {
        Ok(())
    } else {
        Err(NotPrivileged {
            call,
            program: *running_original_id,
        })
    }
}

/// Whether governance may upgrade `package` (an original id) without its
/// cap: only framework packages.
pub fn may_upgrade_as_governance(package: &Address) -> bool {
    is_framework(package)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framework_addresses_are_0x1_to_0xff() {
        assert!(!is_framework(&Address::ZERO));
        assert!(is_framework(&Address::reserved(1)));
        assert!(is_framework(&Address::reserved(0xff)));
        assert!(!is_framework(&Address::reserved(0x100)));
        assert!(!is_framework(&Address::reserved(0x7e57)));
        assert!(!is_framework(&Address([0x01; 32])));
        assert!(admit(PrivilegedCall::EndEpoch, &Address::reserved(2)).is_ok());
        let refused = admit(PrivilegedCall::SetParams, &Address([9; 32])).unwrap_err();
        assert_eq!(refused.program, Address([9; 32]));
    }
}
