//! Upgrade compatibility (DESIGN.md section 2.3): what a new version of a
//! package may change under the policy of its `UpgradeCap`, and diagnostics
//! in the manner of `sui client upgrade` (a stable code, the declaration, old
//! vs new, a hint). The node and `molt upgrade --dry-run` run this same code.
//!
//! The rules, per policy (each policy includes every rule of the looser ones;
//! the codes are listed in `docs/compatibility.md`):
//!
//! - every policy: `init` may not be added to a package that had none (it runs
//!   once, at first publish, never on upgrade, so it would never run); no
//!   dependency's version may go down.
//! - `compatible`: public functions keep their name, parameter types in order,
//!   result and `public` visibility, and a public `view` stays a view
//!   (read-only callers such as RPC queries and other programs' views rely on
//!   it). Parameter *names* may change: arguments are encoded by position.
//!   Structs keep their fields exactly (names, types, order; adding a field
//!   changes the encoding of every stored value); enums only append variants;
//!   struct and enum stay what they were; storage keeps its kind, key and value
//!   types; events keep their type; error codes keep their name. No public
//!   function, type, storage item, event or error code is removed. The
//!   constructor is identical, and a package without one never gains one.
//!   Entry and internal functions, bodies, the program's `name` and the set of
//!   dependencies may change (dropping a dependency only concerns the package's
//!   own code); anything may be added.
//! - `additive`: no existing declaration of any visibility changes or
//!   disappears: every function keeps its visibility, view flag, parameters
//!   (names included, since JSON arguments may be given by name) and result;
//!   enums gain no variants; error messages stay; `init` stays; dependencies
//!   are neither dropped nor renamed. New declarations may still be added.
//! - `dep_only`: the module is byte-identical once the `molt:interface`
//!   section is removed from both, and the interfaces are identical except for
//!   `dependencies[*].version` (same dependencies by name and original id, in
//!   the same order, nothing added, same program name).
//! - `immutable`: every upgrade is rejected.
//!
//! Every violation is reported, never only the first, in a fixed order:
//! constructor, `init`, types, storage, functions, events, errors,
//! dependencies, then (`dep_only`) program header, declaration order, module
//! code; within a kind, in the old interface's declaration order, then
//! additions in the new interface's order.
//!
//! The caller passes each version's interface and module; that the interface
//! is the one embedded in the module is checked when the module is accepted
//! (`decode_section`, `check_exports`), not here.

mod describe;
mod module_code;
mod rules;

use crate::model::*;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;
use rules::Checker;

/// The policies, their order and encoding live in `molt-types` (the runtime
/// stores them in `UpgradeCap`s and receipts); re-exported here for callers
/// of [`check_upgrade`].
pub use molt_types::{PolicyParseError, UpgradePolicy};

macro_rules! violation_codes {
    ($($(#[$doc:meta])* $variant:ident = $code:literal, $title:literal;)*) => {
        /// Why an upgrade is rejected. Each code is stable: its string never
        /// changes meaning and is never reused (`docs/compatibility.md`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
        pub enum ViolationCode {
            $($(#[$doc])* #[cfg_attr(feature = "std", serde(rename = $code))] $variant,)*
        }

        impl ViolationCode {
            /// Every code, in code order.
            pub const ALL: &[ViolationCode] = &[$(ViolationCode::$variant,)*];

            /// The stable code, such as `E0102`.
            pub fn code(self) -> &'static str {
                match self { $(ViolationCode::$variant => $code,)* }
            }

            /// A short title, such as `function signature changed`.
            pub fn title(self) -> &'static str {
                match self { $(ViolationCode::$variant => $title,)* }
            }

            /// The code whose string is `code` (`E0102`).
            pub fn from_code(code: &str) -> Option<ViolationCode> {
                match code { $($code => Some(ViolationCode::$variant),)* _ => None }
            }
        }
    };
}

violation_codes! {
    /// A function the policy freezes is missing from the new version.
    FunctionRemoved = "E0101", "function removed";
    /// Parameter types, their order or count, or the result changed (under
    /// `additive`, also parameter names).
    FunctionSignatureChanged = "E0102", "function signature changed";
    /// A public function is no longer public (under `additive`, any change).
    FunctionVisibilityChanged = "E0103", "function visibility changed";
    /// A public view is no longer a view (under `additive`, any change).
    FunctionViewChanged = "E0104", "function view flag changed";
    /// A declared type is missing.
    TypeRemoved = "E0201", "type removed";
    /// A struct's fields changed (renamed, retyped, reordered, added or removed).
    StructFieldsChanged = "E0202", "struct fields changed";
    /// An enum's existing variants changed (only appending is allowed).
    EnumVariantsChanged = "E0203", "enum variants changed";
    /// A struct became an enum or the other way round.
    TypeKindChanged = "E0204", "type kind changed";
    /// `additive`: variants appended to an existing enum.
    EnumVariantsAppended = "E0205", "enum variants appended";
    /// A declared storage item is missing.
    StorageRemoved = "E0301", "storage item removed";
    /// A singleton became a map or the other way round.
    StorageKindChanged = "E0302", "storage kind changed";
    /// A storage item's key or value type changed.
    StorageTypeChanged = "E0303", "storage type changed";
    /// A declared event is missing.
    EventRemoved = "E0401", "event removed";
    /// An event's data type changed.
    EventTypeChanged = "E0402", "event type changed";
    /// An error code is no longer declared.
    ErrorRemoved = "E0501", "error code removed";
    /// An error code has a new name.
    ErrorRenamed = "E0502", "error code renamed";
    /// `additive`: an error's message changed.
    ErrorMessageChanged = "E0503", "error message changed";
    /// The constructor's policy or code digest changed.
    ConstructorChanged = "E0601", "constructor changed";
    /// A package published without a constructor declares one.
    ConstructorAdded = "E0602", "constructor added";
    /// The constructor is gone.
    ConstructorRemoved = "E0603", "constructor removed";
    /// `init` declared by a package that had none.
    InitAdded = "E0604", "init added";
    /// `additive`: `init` is no longer declared.
    InitRemoved = "E0605", "init removed";
    /// A dependency is linked at a lower version than before.
    DependencyDowngraded = "E0701", "dependency version went down";
    /// `additive`: a dependency is no longer linked.
    DependencyRemoved = "E0702", "dependency removed";
    /// `dep_only`: a new dependency is linked.
    DependencyAdded = "E0703", "dependency added";
    /// `additive`: a dependency (same original id) has a new name.
    DependencyRenamed = "E0704", "dependency renamed";
    /// `dep_only`: the dependencies are listed in another order.
    DependenciesReordered = "E0705", "dependencies reordered";
    /// `dep_only`: the module differs outside the `molt:interface` section.
    ModuleCodeChanged = "E0801", "module code changed";
    /// `dep_only`: a new type, storage item, function, event or error.
    DeclarationAdded = "E0802", "declaration added";
    /// `dep_only`: the program name or interface format version changed.
    ProgramHeaderChanged = "E0803", "program header changed";
    /// `dep_only`: a module could not be split into code and interface.
    ModuleUnreadable = "E0804", "module unreadable";
    /// `dep_only`: the same declarations, listed in another order.
    DeclarationOrderChanged = "E0805", "declaration order changed";
    /// The cap is immutable: nothing may be upgraded.
    PolicyImmutable = "E0901", "package is immutable";
}

impl fmt::Display for ViolationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code(), self.title())
    }
}

/// One reason an upgrade is rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
pub struct Violation {
    pub code: ViolationCode,
    /// What it concerns, such as `public fn add`, `struct State`, `storage resets`.
    pub declaration: String,
    /// The declaration in the old version, `None` if it had none.
    pub old: Option<String>,
    /// The declaration in the new version, `None` if it has none.
    pub new: Option<String>,
    /// What changed, why it breaks, and what to do instead.
    pub hint: String,
}

/// The outcome of [`check_upgrade`]: every violation, in a deterministic order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
pub struct CompatReport {
    /// The policy the upgrade was checked under.
    pub policy: UpgradePolicy,
    pub violations: Vec<Violation>,
}

/// Width the hints of [`CompatReport::render`] are wrapped to.
const RENDER_WIDTH: usize = 100;

impl CompatReport {
    /// Whether the upgrade is allowed under the policy.
    pub fn is_compatible(&self) -> bool {
        self.violations.is_empty()
    }

    /// The codes of the violations, in report order.
    pub fn codes(&self) -> Vec<ViolationCode> {
        self.violations.iter().map(|v| v.code).collect()
    }

    /// The report as text for people: each violation, then a summary line.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for v in &self.violations {
            out.push_str(&v.to_string());
            out.push('\n');
        }
        match self.violations.len() {
            0 => out.push_str(&format!(
                "ok: the upgrade satisfies the `{}` policy\n",
                self.policy
            )),
            n => out.push_str(&format!(
                "error: the upgrade breaks the `{}` policy in {n} place{}; it would be rejected\n",
                self.policy,
                if n == 1 { "" } else { "s" }
            )),
        }
        out
    }
}

impl fmt::Display for CompatReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |s: &Option<String>| s.clone().unwrap_or_else(|| "(none)".into());
        writeln!(f, "error[{}]: {}", self.code.code(), self.code.title())?;
        writeln!(f, "  --> {}", self.declaration)?;
        if self.old.is_some() || self.new.is_some() {
            writeln!(f, "   | old: {}", show(&self.old))?;
            writeln!(f, "   | new: {}", show(&self.new))?;
        }
        f.write_str(&wrap(&self.hint, "   = hint: ", "           "))
    }
}

/// Word-wraps `text` to [`RENDER_WIDTH`], one `\n`-terminated line each.
fn wrap(text: &str, first: &str, rest: &str) -> String {
    let mut out = String::new();
    let mut line = String::from(first);
    let mut empty = true;
    for word in text.split_whitespace() {
        if !empty && line.len() + 1 + word.len() > RENDER_WIDTH {
            out.push_str(&line);
            out.push('\n');
            line = String::from(rest);
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    out.push_str(&line);
    out.push('\n');
    out
}

/// Checks an upgrade from `old` to `new` under `policy` and reports every
/// violation. The modules are compared only under `dep_only`.
pub fn check_upgrade(
    old: &Interface,
    old_module: &[u8],
    new: &Interface,
    new_module: &[u8],
    policy: UpgradePolicy,
) -> CompatReport {
    let mut c = Checker::new(old, new, policy);
    if policy == UpgradePolicy::Immutable {
        c.push_violation(
            ViolationCode::PolicyImmutable,
            "upgrade cap".into(),
            None,
            None,
            "the package's UpgradeCap has the `immutable` policy, so no new version can \
             ever be published (policies only tighten). Publish the new code as a new package."
                .into(),
        );
    } else {
        c.constructor();
        c.init();
        c.types();
        c.storage();
        c.functions();
        c.events();
        c.errors();
        c.dependencies();
        if policy >= UpgradePolicy::DepOnly {
            c.header();
            c.declaration_order();
            c.module_code(old_module, new_module);
        }
    }
    CompatReport {
        policy,
        violations: c.into_violations(),
    }
}
