//! What a user can see of one step, in one form for all three hosts, and
//! how each host's own report turns into it.
//!
//! The node reports failures in receipts (`FailureReason`, whose program
//! and VM failures carry the VM's text), the `MemoryHost` as a `VmError`,
//! `TestEnv` as a `ProgramError` whose code says which refusal it is
//! (`molt_sdk::testing::refusals`). [`Failure`] is the kind a user would
//! act on, with the detail every host reports the same way: the abort code
//! and message, the refused operation, the function, the ticket refusal's
//! text (which comes from one `Display` in `molt-host-rules`).

use molt_sdk::ProgramError;
use molt_sdk::error::codes;
use molt_sdk::testing::refusals;
use molt_types::{Address, Digest, FailureReason};
use molt_vm::VmError;
use std::collections::BTreeMap;

/// Why a step failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// `molt.abort` (or a declared error) with this code and message.
    Aborted {
        code: u32,
        message: String,
    },
    /// A write, event or ticket in a view call.
    WriteInView {
        operation: String,
    },
    /// `molt.authorize_upgrade` refused, for this reason.
    UpgradeNotAuthorized {
        reason: String,
    },
    /// The function exists but may not be called this way.
    NotCallable {
        function: String,
    },
    UnknownFunction {
        function: String,
    },
    UnknownPackage {
        package: Address,
    },
    CallDepthExceeded,
    UndeclaredEvent {
        name: String,
    },
    /// Anything else, as the host said it (a scenario should not hit it).
    Other(String),
}

/// An event: emitter (an original id), name, data.
pub type EmittedEvent = (Address, String, Vec<u8>);

/// A namespace's entries in key order.
pub type Entries = Vec<(Vec<u8>, Vec<u8>)>;

/// What one host showed for one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    /// `Ok(Some(result))`, `Ok(None)` where the host cannot show the result
    /// (a node transaction: receipts carry no return data), or the failure.
    pub result: Result<Option<Vec<u8>>, Failure>,
    /// The events of the step, in order (the programs' own events only:
    /// the node's `PackageUpgraded` and such are the runtime's).
    pub events: Vec<EmittedEvent>,
    /// For a ticket step, the digests of the tickets for the upgraded cap
    /// that the ticket call left; `None` where not observable.
    pub tickets: Option<Vec<Digest>>,
    /// The storage of the probe and the callee after the step.
    pub storage: BTreeMap<Address, Entries>,
}

impl Failure {
    /// From a node receipt.
    pub fn from_receipt(reason: &FailureReason) -> Failure {
        match reason {
            FailureReason::Aborted { code, message } => Failure::Aborted {
                code: *code,
                message: message.clone(),
            },
            FailureReason::NotCallable { function, .. } => Failure::NotCallable {
                function: function.clone(),
            },
            FailureReason::UnknownFunction { function, .. } => Failure::UnknownFunction {
                function: function.clone(),
            },
            FailureReason::UnknownPackage { package } => {
                Failure::UnknownPackage { package: *package }
            }
            FailureReason::LimitExceeded { reason } => Failure::from_vm_text(reason),
            FailureReason::Trap(text) => Failure::from_vm_text(text),
            other => Failure::Other(other.to_string()),
        }
    }

    /// From the text of a `FailureReason` inside another message (a ticket
    /// call's failure in a rejected upgrade).
    pub fn from_receipt_text(text: &str) -> Failure {
        if let Some(rest) = text.strip_prefix("the program aborted with code ") {
            return aborted(rest).unwrap_or_else(|| Failure::Other(text.into()));
        }
        if let Some(rest) = text.strip_prefix("the program trapped: ") {
            return Failure::from_vm_text(rest);
        }
        if let Some(rest) = text.strip_prefix("a limit was exceeded: ") {
            return Failure::from_vm_text(rest);
        }
        if text.starts_with("function `") && text.contains("cannot be called") {
            return Failure::NotCallable {
                function: quoted(text).unwrap_or_default(),
            };
        }
        if text.starts_with("package ") && text.contains(" has no function `") {
            return Failure::UnknownFunction {
                function: quoted(text).unwrap_or_default(),
            };
        }
        Failure::from_vm_text(text)
    }

    /// From a `VmError`'s text (a node receipt's trap, a failed node view).
    pub fn from_vm_text(text: &str) -> Failure {
        if let Some(rest) = text.strip_prefix("program aborted with code ") {
            return aborted(rest).unwrap_or_else(|| Failure::Other(text.into()));
        }
        if let Some(reason) = text.strip_prefix("upgrade not authorized: ") {
            return Failure::UpgradeNotAuthorized {
                reason: reason.into(),
            };
        }
        if text.starts_with('`') && text.contains("` in a view call") {
            return Failure::WriteInView {
                operation: quoted(text).unwrap_or_default(),
            };
        }
        if text.starts_with("event `")
            && text.ends_with("is not declared in the package's interface")
        {
            return Failure::UndeclaredEvent {
                name: quoted(text).unwrap_or_default(),
            };
        }
        if text.starts_with("function `") && text.contains("cannot be called") {
            return Failure::NotCallable {
                function: quoted(text).unwrap_or_default(),
            };
        }
        if text.starts_with("package declares no function `") {
            return Failure::UnknownFunction {
                function: quoted(text).unwrap_or_default(),
            };
        }
        if let Some(id) = text.strip_prefix("no package with id ")
            && let Ok(package) = id.trim().parse()
        {
            return Failure::UnknownPackage { package };
        }
        if text.starts_with("cross-program call depth exceeds the limit") {
            return Failure::CallDepthExceeded;
        }
        Failure::Other(text.into())
    }

    /// From a `MemoryHost` call.
    pub fn from_vm(error: &VmError) -> Failure {
        match error {
            VmError::Aborted { code, message } => Failure::Aborted {
                code: *code,
                message: message.clone(),
            },
            VmError::WriteInView { operation } => Failure::WriteInView {
                operation: (*operation).into(),
            },
            VmError::UpgradeNotAuthorized { message } => Failure::UpgradeNotAuthorized {
                reason: message.clone(),
            },
            VmError::NotCallable { name, .. } => Failure::NotCallable {
                function: name.clone(),
            },
            VmError::UnknownFunction { name } => Failure::UnknownFunction {
                function: name.clone(),
            },
            VmError::UnknownPackage { package } => Failure::UnknownPackage { package: *package },
            VmError::CallDepthExceeded { .. } => Failure::CallDepthExceeded,
            VmError::UndeclaredEvent { name } => Failure::UndeclaredEvent { name: name.clone() },
            other => Failure::Other(other.to_string()),
        }
    }

    /// From `TestEnv`.
    pub fn from_program_error(e: &ProgramError) -> Failure {
        let message = e.message.as_str();
        match e.code {
            refusals::UPGRADE_NOT_AUTHORIZED => Failure::UpgradeNotAuthorized {
                reason: e.message.clone(),
            },
            refusals::WRITE_IN_VIEW => Failure::WriteInView {
                operation: quoted(message).unwrap_or_default(),
            },
            refusals::UNKNOWN_PACKAGE => Failure::from_vm_text(message),
            refusals::UNKNOWN_FUNCTION => Failure::UnknownFunction {
                function: quoted(message).unwrap_or_default(),
            },
            refusals::CALL_DEPTH_EXCEEDED => Failure::CallDepthExceeded,
            refusals::UNDECLARED_EVENT => Failure::UndeclaredEvent {
                name: quoted(message).unwrap_or_default(),
            },
            codes::NOT_CALLABLE => Failure::NotCallable {
                function: quoted(message).unwrap_or_default(),
            },
            code => Failure::Aborted {
                code,
                message: e.message.clone(),
            },
        }
    }
}

/// `N: message` after "aborted with code ".
fn aborted(rest: &str) -> Option<Failure> {
    let (code, message) = rest.split_once(": ")?;
    Some(Failure::Aborted {
        code: code.parse().ok()?,
        message: message.into(),
    })
}

/// The first `backquoted` word of `text`.
fn quoted(text: &str) -> Option<String> {
    let start = text.find('`')? + 1;
    let len = text[start..].find('`')?;
    Some(text[start..start + len].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_hosts_report_of_a_view_write_is_one_failure() {
        let vm = VmError::WriteInView {
            operation: "storage_set",
        };
        let expected = Failure::WriteInView {
            operation: "storage_set".into(),
        };
        assert_eq!(Failure::from_vm(&vm), expected);
        assert_eq!(
            Failure::from_receipt(&FailureReason::Trap(vm.to_string())),
            expected
        );
        let native = ProgramError::new(refusals::WRITE_IN_VIEW, vm.to_string());
        assert_eq!(Failure::from_program_error(&native), expected);
    }

    #[test]
    fn receipt_texts_inside_rejections_are_read_back() {
        let reason = FailureReason::Aborted {
            code: 9,
            message: "a: b".into(),
        };
        assert_eq!(
            Failure::from_receipt_text(&reason.to_string()),
            Failure::Aborted {
                code: 9,
                message: "a: b".into()
            }
        );
        let refused = VmError::UpgradeNotAuthorized {
            message: "there is no UpgradeCap 0x01".into(),
        };
        let reason = FailureReason::Trap(refused.to_string());
        assert_eq!(
            Failure::from_receipt_text(&reason.to_string()),
            Failure::UpgradeNotAuthorized {
                reason: "there is no UpgradeCap 0x01".into()
            }
        );
        assert!(matches!(
            Failure::from_receipt_text("something new"),
            Failure::Other(_)
        ));
    }
}
