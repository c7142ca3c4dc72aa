//! What a user can see of one step, in one form for all three hosts, and
//! how each host's own report turns into it.
//!
//! The node reports failures in receipts, which carry codes and structured
//! data only (`FailureReason`: never the engine's or the host's text), the
//! `MemoryHost` as a `VmError`, `TestEnv` as a `ProgramError` whose code
//! says which refusal it is (`molt_sdk::testing::refusals`). [`Failure`] is
//! the kind a user would act on, with the detail the hosts report: the abort
//! code and message, the function, and, where the host says it (not in a
//! node receipt), the refused operation, the ticket refusal's text (which
//! comes from one `Display` in `molt-host-rules`) and the event's name.
//! [`Failure::agrees`] compares what both sides carry.

use molt_sdk::ProgramError;
use molt_sdk::error::codes;
use molt_sdk::testing::refusals;
use molt_types::{Address, Digest, FailureReason, LimitKind, TrapCode};
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
    /// A write, event or ticket in a view call (the operation, where the
    /// host says it).
    WriteInView {
        operation: Option<String>,
    },
    /// `molt.authorize_upgrade` refused (the reason, where the host says it).
    UpgradeNotAuthorized {
        reason: Option<String>,
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
        name: Option<String>,
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
    /// Whether `self` (the node's) and `other` name the same failure: equal,
    /// except that a detail `self` does not carry matches any.
    pub fn agrees(&self, other: &Failure) -> bool {
        match (self, other) {
            (Failure::WriteInView { operation: None }, Failure::WriteInView { .. })
            | (
                Failure::UpgradeNotAuthorized { reason: None },
                Failure::UpgradeNotAuthorized { .. },
            )
            | (Failure::UndeclaredEvent { name: None }, Failure::UndeclaredEvent { .. }) => true,
            (a, b) => a == b,
        }
    }

    /// Whether a detail is missing that another host may supply.
    pub fn lacks_detail(&self) -> bool {
        matches!(
            self,
            Failure::WriteInView { operation: None }
                | Failure::UpgradeNotAuthorized { reason: None }
                | Failure::UndeclaredEvent { name: None }
        )
    }

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
            FailureReason::LimitExceeded(LimitKind::CallDepth { .. }) => Failure::CallDepthExceeded,
            FailureReason::Trap(TrapCode::WriteInView) => Failure::WriteInView { operation: None },
            FailureReason::Trap(TrapCode::UpgradeNotAuthorized) => {
                Failure::UpgradeNotAuthorized { reason: None }
            }
            FailureReason::Trap(TrapCode::UndeclaredEvent) => {
                Failure::UndeclaredEvent { name: None }
            }
            other => Failure::Other(other.to_string()),
        }
    }

    /// From a `VmError`'s text (a failed node view).
    pub fn from_vm_text(text: &str) -> Failure {
        if let Some(rest) = text.strip_prefix("program aborted with code ") {
            return aborted(rest).unwrap_or_else(|| Failure::Other(text.into()));
        }
        if let Some(reason) = text.strip_prefix("upgrade not authorized: ") {
            return Failure::UpgradeNotAuthorized {
                reason: Some(reason.into()),
            };
        }
        if text.starts_with('`') && text.contains("` in a view call") {
            return Failure::WriteInView {
                operation: quoted(text),
            };
        }
        if text.starts_with("event `")
            && text.ends_with("is not declared in the package's interface")
        {
            return Failure::UndeclaredEvent { name: quoted(text) };
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
                operation: Some((*operation).into()),
            },
            VmError::UpgradeNotAuthorized { message } => Failure::UpgradeNotAuthorized {
                reason: Some(message.clone()),
            },
            VmError::NotCallable { name, .. } => Failure::NotCallable {
                function: name.clone(),
            },
            VmError::UnknownFunction { name } => Failure::UnknownFunction {
                function: name.clone(),
            },
            VmError::UnknownPackage { package } => Failure::UnknownPackage { package: *package },
            VmError::CallDepthExceeded { .. } => Failure::CallDepthExceeded,
            VmError::UndeclaredEvent { name } => Failure::UndeclaredEvent {
                name: Some(name.clone()),
            },
            other => Failure::Other(other.to_string()),
        }
    }

    /// From `TestEnv`.
    pub fn from_program_error(e: &ProgramError) -> Failure {
        let message = e.message.as_str();
        match e.code {
            refusals::UPGRADE_NOT_AUTHORIZED => Failure::UpgradeNotAuthorized {
                reason: Some(e.message.clone()),
            },
            refusals::WRITE_IN_VIEW => Failure::WriteInView {
                operation: quoted(message),
            },
            refusals::UNKNOWN_PACKAGE => Failure::from_vm_text(message),
            refusals::UNKNOWN_FUNCTION => Failure::UnknownFunction {
                function: quoted(message).unwrap_or_default(),
            },
            refusals::CALL_DEPTH_EXCEEDED => Failure::CallDepthExceeded,
            refusals::UNDECLARED_EVENT => Failure::UndeclaredEvent {
                name: quoted(message),
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
        let detailed = Failure::WriteInView {
            operation: Some("storage_set".into()),
        };
        assert_eq!(Failure::from_vm(&vm), detailed);
        let native = ProgramError::new(refusals::WRITE_IN_VIEW, vm.to_string());
        assert_eq!(Failure::from_program_error(&native), detailed);
        assert_eq!(Failure::from_vm_text(&vm.to_string()), detailed);
        // A receipt carries the kind only, which agrees with any operation.
        let node = Failure::from_receipt(&FailureReason::Trap(TrapCode::WriteInView));
        assert!(node.agrees(&detailed) && node.lacks_detail());
        assert!(!detailed.agrees(&Failure::WriteInView {
            operation: Some("emit_event".into())
        }));
        assert!(!node.agrees(&Failure::UpgradeNotAuthorized { reason: None }));
    }

    #[test]
    fn unknown_receipts_are_kept_as_text() {
        let reason = FailureReason::Trap(TrapCode::IntegerOverflow);
        assert!(matches!(Failure::from_receipt(&reason), Failure::Other(_)));
        assert!(matches!(
            Failure::from_vm_text("something new"),
            Failure::Other(_)
        ));
    }
}
