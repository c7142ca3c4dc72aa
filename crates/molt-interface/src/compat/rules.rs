//! The rules of each policy, one method per kind of declaration.

use super::describe::*;
use super::module_code::code_without_interface;
use super::{UpgradePolicy, Violation, ViolationCode};
use crate::model::*;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use molt_types::Address;

pub(super) struct Checker<'a> {
    old: &'a Interface,
    new: &'a Interface,
    /// `additive` or stricter: existing declarations of any visibility are frozen.
    frozen: bool,
    /// `dep_only` or stricter: only dependency versions may change.
    exact: bool,
    out: Vec<Violation>,
}

/// Indexes declarations by name for lookups; never iterated for output.
fn index<'a, T, K: Ord>(items: &'a [T], key: impl Fn(&'a T) -> K) -> BTreeMap<K, &'a T> {
    let mut map = BTreeMap::new();
    for item in items {
        // The first declaration wins, as in `Interface::function`.
        map.entry(key(item)).or_insert(item);
    }
    map
}

const MIGRATION: &str =
    "see \"Living with old versions\" (the versioned-object pattern) in docs/writing-programs.md";

impl<'a> Checker<'a> {
    pub(super) fn new(old: &'a Interface, new: &'a Interface, policy: UpgradePolicy) -> Self {
        Checker {
            old,
            new,
            frozen: policy >= UpgradePolicy::Additive,
            exact: policy >= UpgradePolicy::DepOnly,
            out: Vec::new(),
        }
    }

    pub(super) fn into_violations(self) -> Vec<Violation> {
        self.out
    }

    pub(super) fn push_violation(
        &mut self,
        code: ViolationCode,
        declaration: String,
        old: Option<String>,
        new: Option<String>,
        hint: String,
    ) {
        self.push(code, declaration, old, new, hint);
    }

    fn push(
        &mut self,
        code: ViolationCode,
        declaration: String,
        old: Option<String>,
        new: Option<String>,
        hint: String,
    ) {
        self.out.push(Violation {
            code,
            declaration,
            old,
            new,
            hint: sentence(&[hint]),
        });
    }

    pub(super) fn constructor(&mut self) {
        let show = |c: &ConstructorDecl| {
            format!("constructor {} (code digest {})", c.policy, c.code_digest)
        };
        let decl = || String::from("constructor");
        match (&self.old.constructor, &self.new.constructor) {
            (None, None) => {}
            (Some(a), Some(b)) if a == b => {}
            (Some(a), Some(b)) => self.push(
                ViolationCode::ConstructorChanged,
                decl(),
                Some(show(a)),
                Some(show(b)),
                format!(
                    "the constructor can never change: it decides every future upgrade. Restore \
                     the published `#[constructor({})]` exactly (the code digest covers its \
                     source, so edits to its code count too).",
                    policy_form(&a.policy)
                ),
            ),
            (None, Some(b)) => self.push(
                ViolationCode::ConstructorAdded,
                decl(),
                None,
                Some(show(b)),
                "a package published without a constructor is upgradable only through its \
                 UpgradeCap and can never gain one. Remove the constructor, or enforce the rule \
                 by moving the cap to a program that holds it (a custom policy), or publish a \
                 new package."
                    .into(),
            ),
            (Some(a), None) => self.push(
                ViolationCode::ConstructorRemoved,
                decl(),
                Some(show(a)),
                None,
                format!(
                    "the constructor runs at every upgrade and can never change or be removed. \
                     Restore the published `#[constructor({})]` exactly.",
                    policy_form(&a.policy)
                ),
            ),
        }
    }

    pub(super) fn init(&mut self) {
        match (self.old.init, self.new.init) {
            (false, true) => self.push(
                ViolationCode::InitAdded,
                "init".into(),
                None,
                Some("init".into()),
                "`init` runs once, at first publish, never on upgrade, so a new `#[init]` would \
                 never run. Remove it and do the set-up in an admin-only entry function (such as \
                 `migrate`) called once after the upgrade."
                    .into(),
            ),
            (true, false) if self.frozen => self.push(
                ViolationCode::InitRemoved,
                "init".into(),
                Some("init".into()),
                None,
                "`additive` keeps every existing declaration, `init` included (it never runs on \
                 upgrade, so keeping it costs nothing). Keep `#[init]`."
                    .into(),
            ),
            _ => {}
        }
    }

    pub(super) fn types(&mut self) {
        if self.old.types == self.new.types {
            return; // the common case, and nothing below can fire
        }
        let new = index(&self.new.types, |t| t.name.as_str());
        for old in &self.old.types {
            let decl = type_declaration(old);
            let Some(new) = new.get(old.name.as_str()) else {
                self.push(
                    ViolationCode::TypeRemoved,
                    decl,
                    Some(old.to_string()),
                    None,
                    format!(
                        "stored values, events and other packages may still use `{}`; keep \
                         the declaration (an unused type costs nothing).",
                        old.name
                    ),
                );
                continue;
            };
            match (&old.kind, &new.kind) {
                (TypeKind::Struct { fields: a }, TypeKind::Struct { fields: b }) if a != b => {
                    self.push(
                        ViolationCode::StructFieldsChanged,
                        decl,
                        Some(old.to_string()),
                        Some(new.to_string()),
                        format!(
                            "{}. Values are encoded field by field, so values written by the old \
                             version would no longer decode. Keep `{}` as it is, add a new struct \
                             `{}V2` and migrate; {MIGRATION}.",
                            sentence(&[describe_fields(a, b)]),
                            old.name,
                            old.name
                        ),
                    );
                }
                (TypeKind::Enum { variants: a }, TypeKind::Enum { variants: b }) => {
                    self.enum_variants(old, new, a, b, decl);
                }
                (TypeKind::Struct { .. }, TypeKind::Struct { .. }) => {}
                _ => self.push(
                    ViolationCode::TypeKindChanged,
                    decl,
                    Some(old.to_string()),
                    Some(new.to_string()),
                    format!(
                        "`{}` was {} and is now {}; its values have another encoding. Keep it \
                         and declare the new shape under a new name.",
                        old.name,
                        kind_name(&old.kind),
                        kind_name(&new.kind)
                    ),
                ),
            }
        }
        if self.exact {
            let old = index(&self.old.types, |t| t.name.as_str());
            for t in self
                .new
                .types
                .iter()
                .filter(|t| !old.contains_key(t.name.as_str()))
            {
                self.added(type_declaration(t), t.to_string());
            }
        }
    }

    fn enum_variants(
        &mut self,
        old: &TypeDef,
        new: &TypeDef,
        a: &[Variant],
        b: &[Variant],
        decl: String,
    ) {
        let mut changes = Vec::new();
        for (i, v) in a.iter().enumerate() {
            match b.get(i) {
                Some(w) if w == v => {}
                _ => {
                    if let Some(j) = b.iter().position(|w| w == v) {
                        changes.push(format!("variant `{}` moved from #{i} to #{j}", v.name));
                    } else if let Some(w) = b.iter().find(|w| w.name == v.name) {
                        changes.push(format!(
                            "variant `{}` changed its fields: {}",
                            v.name,
                            describe_fields(&v.fields, &w.fields)
                        ));
                    } else if let Some(w) = b.get(i).filter(|w| w.fields == v.fields) {
                        changes.push(format!("variant `{}` was renamed to `{}`", v.name, w.name));
                    } else {
                        changes.push(format!("variant `{}` was removed", v.name));
                    }
                }
            }
        }
        if !changes.is_empty() {
            self.push(
                ViolationCode::EnumVariantsChanged,
                decl,
                Some(old.to_string()),
                Some(new.to_string()),
                format!(
                    "{}. A variant's position is its tag in the encoding, so existing variants \
                     must keep their name, fields and order; only append new variants at the \
                     end.",
                    sentence(&changes)
                ),
            );
        } else if self.frozen && b.len() > a.len() {
            let appended: Vec<String> = b
                .iter()
                .skip(a.len())
                .map(|v| format!("`{}`", v.name))
                .collect();
            self.push(
                ViolationCode::EnumVariantsAppended,
                decl,
                Some(old.to_string()),
                Some(new.to_string()),
                format!(
                    "{} appended; `additive` freezes existing declarations (readers built \
                     against the old version cannot decode the new tags). Declare a new enum \
                     `{}V2` instead.",
                    appended.join(", "),
                    old.name
                ),
            );
        }
    }

    pub(super) fn storage(&mut self) {
        if self.old.storage == self.new.storage {
            return; // the common case, and nothing below can fire
        }
        let new = index(&self.new.storage, |s| s.name.as_str());
        for old in &self.old.storage {
            let decl = format!("storage {}", old.name);
            let Some(new) = new.get(old.name.as_str()) else {
                self.push(
                    ViolationCode::StorageRemoved,
                    decl,
                    Some(old.to_string()),
                    None,
                    format!(
                        "the data stored under `{}` stays in the package's storage and old \
                         versions still read it; keep the declaration, even if the new code no \
                         longer uses it.",
                        old.name
                    ),
                );
                continue;
            };
            let change = match (&old.kind, &new.kind) {
                (StorageKind::Singleton { value: a }, StorageKind::Singleton { value: b }) => {
                    (a != b).then(|| format!("the value type changed from {a} to {b}"))
                }
                (
                    StorageKind::Map { key: ka, value: va },
                    StorageKind::Map { key: kb, value: vb },
                ) => {
                    let mut parts = Vec::new();
                    if ka != kb {
                        parts.push(format!("the key type changed from {ka} to {kb}"));
                    }
                    if va != vb {
                        parts.push(format!("the value type changed from {va} to {vb}"));
                    }
                    (!parts.is_empty()).then(|| parts.join("; "))
                }
                _ => {
                    self.push(
                        ViolationCode::StorageKindChanged,
                        decl,
                        Some(old.to_string()),
                        Some(new.to_string()),
                        format!(
                            "`{}` was a {} and is now a {}; the stored keys are laid out \
                             differently. Keep it and declare a new item (such as `{}_v2`) that \
                             a migration fills; {MIGRATION}.",
                            old.name,
                            storage_kind_name(&old.kind),
                            storage_kind_name(&new.kind),
                            old.name
                        ),
                    );
                    continue;
                }
            };
            if let Some(change) = change {
                self.push(
                    ViolationCode::StorageTypeChanged,
                    decl,
                    Some(old.to_string()),
                    Some(new.to_string()),
                    format!(
                        "{}, but the values already stored keep their old encoding. Keep `{}` as \
                         it is and declare a new item (such as `{}_v2`) that a migration fills; \
                         {MIGRATION}.",
                        sentence(&[change]),
                        old.name,
                        old.name
                    ),
                );
            }
        }
        if self.exact {
            let old = index(&self.old.storage, |s| s.name.as_str());
            for s in self
                .new
                .storage
                .iter()
                .filter(|s| !old.contains_key(s.name.as_str()))
            {
                self.added(format!("storage {}", s.name), s.to_string());
            }
        }
    }

    pub(super) fn functions(&mut self) {
        if self.old.functions == self.new.functions {
            return; // the common case, and nothing below can fire
        }
        let new = index(&self.new.functions, |f| f.name.as_str());
        for old in &self.old.functions {
            let public = old.visibility == Visibility::Public;
            if !public && !self.frozen {
                continue;
            }
            let decl = format!("{} fn {}", old.visibility, old.name);
            let Some(new) = new.get(old.name.as_str()) else {
                let hint = if public {
                    format!(
                        "transactions and other packages call `{}` by name. Keep it with the same \
                         signature; its body may change (for example to abort with a clear \
                         error).",
                        old.name
                    )
                } else {
                    format!(
                        "`additive` keeps every existing function, of any visibility. Keep \
                         `{}` with the same signature; its body may change.",
                        old.name
                    )
                };
                self.push(
                    ViolationCode::FunctionRemoved,
                    decl,
                    Some(old.to_string()),
                    None,
                    hint,
                );
                continue;
            };
            if old.visibility != new.visibility {
                self.push(
                    ViolationCode::FunctionVisibilityChanged,
                    decl.clone(),
                    Some(old.to_string()),
                    Some(new.to_string()),
                    if public {
                        format!(
                            "`{}` was public and is now {}, but other packages call it. Keep \
                             it public; to stop such calls, make its body abort with an error.",
                            old.name, new.visibility
                        )
                    } else {
                        format!(
                            "`{}` was {} and is now {}; `additive` freezes every function's \
                             visibility. Keep it {} and add a new function instead.",
                            old.name, old.visibility, new.visibility, old.visibility
                        )
                    },
                );
            }
            if let Some(hint) = signature_change(old, new, self.frozen) {
                self.push(
                    ViolationCode::FunctionSignatureChanged,
                    decl.clone(),
                    Some(old.to_string()),
                    Some(new.to_string()),
                    hint,
                );
            }
            let lost_view = public && old.view && !new.view;
            if lost_view || (self.frozen && old.view != new.view) {
                let hint = if old.view {
                    format!(
                        "`{}` is no longer a view. RPC queries and other programs' view \
                         functions call it read-only, where a write would fail. Keep it a view \
                         and add a new function for the writing variant.",
                        old.name
                    )
                } else {
                    format!(
                        "`{}` became a view; `additive` freezes the view flag. Keep it as it \
                         was and add a new view function alongside it.",
                        old.name
                    )
                };
                self.push(
                    ViolationCode::FunctionViewChanged,
                    decl,
                    Some(old.to_string()),
                    Some(new.to_string()),
                    hint,
                );
            }
        }
        if self.exact {
            let old = index(&self.old.functions, |f| f.name.as_str());
            for f in self
                .new
                .functions
                .iter()
                .filter(|f| !old.contains_key(f.name.as_str()))
            {
                self.added(format!("{} fn {}", f.visibility, f.name), f.to_string());
            }
        }
    }

    pub(super) fn events(&mut self) {
        if self.old.events == self.new.events {
            return; // the common case, and nothing below can fire
        }
        let show = |e: &EventDecl| format!("event {}: {}", e.name, e.ty);
        let new = index(&self.new.events, |e| e.name.as_str());
        for old in &self.old.events {
            let decl = format!("event {}", old.name);
            match new.get(old.name.as_str()) {
                None => self.push(
                    ViolationCode::EventRemoved,
                    decl,
                    Some(show(old)),
                    None,
                    format!(
                        "indexers and clients decode events by name; keep declaring `{}` even \
                         if the new code no longer emits it.",
                        old.name
                    ),
                ),
                Some(new) if new.ty != old.ty => self.push(
                    ViolationCode::EventTypeChanged,
                    decl,
                    Some(show(old)),
                    Some(show(new)),
                    format!(
                        "the data type changed from {} to {}, but indexers and clients decode \
                         `{}` with the old type. Keep it and declare a new event (such as `{}V2`).",
                        old.ty, new.ty, old.name, old.name
                    ),
                ),
                Some(_) => {}
            }
        }
        if self.exact {
            let old = index(&self.old.events, |e| e.name.as_str());
            for e in self
                .new
                .events
                .iter()
                .filter(|e| !old.contains_key(e.name.as_str()))
            {
                self.added(format!("event {}", e.name), show(e));
            }
        }
    }

    pub(super) fn errors(&mut self) {
        if self.old.errors == self.new.errors {
            return; // the common case, and nothing below can fire
        }
        let show = |e: &ErrorDecl| format!("error {} {}: {:?}", e.code, e.name, e.message);
        let new = index(&self.new.errors, |e| e.code);
        for old in &self.old.errors {
            let decl = format!("error {} {}", old.code, old.name);
            let Some(new) = new.get(&old.code) else {
                self.push(
                    ViolationCode::ErrorRemoved,
                    decl,
                    Some(show(old)),
                    None,
                    format!(
                        "clients match on error code {}; keep the declaration so the code is \
                         never reused with another meaning.",
                        old.code
                    ),
                );
                continue;
            };
            if new.name != old.name {
                self.push(
                    ViolationCode::ErrorRenamed,
                    decl,
                    Some(show(old)),
                    Some(show(new)),
                    format!(
                        "code {} keeps its meaning forever. Keep the name `{}`, and declare `{}` \
                         under a new code if it means something else.",
                        old.code, old.name, new.name
                    ),
                );
            } else if self.frozen && new.message != old.message {
                self.push(
                    ViolationCode::ErrorMessageChanged,
                    decl,
                    Some(show(old)),
                    Some(show(new)),
                    "`additive` freezes existing declarations, error messages included. Keep \
                     the message, or declare a new error code with the new one."
                        .into(),
                );
            }
        }
        if self.exact {
            let old = index(&self.old.errors, |e| e.code);
            for e in self
                .new
                .errors
                .iter()
                .filter(|e| !old.contains_key(&e.code))
            {
                self.added(format!("error {} {}", e.code, e.name), show(e));
            }
        }
    }

    pub(super) fn dependencies(&mut self) {
        if self.old.dependencies == self.new.dependencies {
            return; // the common case, and nothing below can fire
        }
        let show = |d: &Dependency| format!("{} {} v{}", d.name, d.original_id, d.version);
        let new = index(&self.new.dependencies, |d| d.original_id);
        for old in &self.old.dependencies {
            let decl = format!("dependency {}", old.name);
            let Some(new) = new.get(&old.original_id) else {
                if self.frozen {
                    self.push(
                        ViolationCode::DependencyRemoved,
                        decl,
                        Some(show(old)),
                        None,
                        format!(
                            "`{}` is no longer linked; `{}` keeps every existing dependency. \
                             Keep linking it at version {} or later.",
                            old.name,
                            if self.exact { "dep_only" } else { "additive" },
                            old.version
                        ),
                    );
                }
                continue;
            };
            if new.version < old.version {
                self.push(
                    ViolationCode::DependencyDowngraded,
                    decl.clone(),
                    Some(show(old)),
                    Some(show(new)),
                    format!(
                        "a dependency's version may never go down. Link `{}` at version {} or \
                         later.",
                        old.name, old.version
                    ),
                );
            }
            if self.frozen && new.name != old.name {
                self.push(
                    ViolationCode::DependencyRenamed,
                    decl,
                    Some(show(old)),
                    Some(show(new)),
                    format!(
                        "`{}` is now named `{}` (same original id); `{}` freezes existing \
                         declarations. Keep the name `{}`.",
                        old.name,
                        new.name,
                        if self.exact { "dep_only" } else { "additive" },
                        old.name
                    ),
                );
            }
        }
        if self.exact {
            let old = index(&self.old.dependencies, |d| d.original_id);
            for d in self
                .new
                .dependencies
                .iter()
                .filter(|d| !old.contains_key(&d.original_id))
            {
                self.push(
                    ViolationCode::DependencyAdded,
                    format!("dependency {}", d.name),
                    None,
                    Some(show(d)),
                    "`dep_only` lets only the versions of existing dependencies change. Link \
                     the same packages as before."
                        .into(),
                );
            }
            let order = |list: &'a [Dependency], other: &BTreeMap<Address, &Dependency>| {
                list.iter()
                    .filter(|d| other.contains_key(&d.original_id))
                    .collect::<Vec<_>>()
            };
            let (a, b) = (
                order(&self.old.dependencies, &new),
                order(&self.new.dependencies, &old),
            );
            let ids = |l: &[&Dependency]| l.iter().map(|d| d.original_id).collect::<Vec<_>>();
            if ids(&a) != ids(&b) {
                let names =
                    |l: &[&Dependency]| l.iter().map(|d| d.name.clone()).collect::<Vec<_>>();
                let (a, b) = (names(&a), names(&b));
                self.reordered(ViolationCode::DependenciesReordered, "dependencies", &a, &b);
            }
        }
    }

    pub(super) fn header(&mut self) {
        let show = |i: &Interface| format!("program {} (format {})", i.name, i.format_version);
        if self.old.name != self.new.name || self.old.format_version != self.new.format_version {
            self.push(
                ViolationCode::ProgramHeaderChanged,
                "program".into(),
                Some(show(self.old)),
                Some(show(self.new)),
                "under `dep_only` the interface must stay identical except for dependency \
                 versions. Build from the published source with the same crate name."
                    .into(),
            );
        }
    }

    pub(super) fn declaration_order(&mut self) {
        fn common<'a, T, K: Ord>(
            a: &'a [T],
            b: &'a [T],
            key: impl Fn(&'a T) -> K + Copy,
        ) -> Vec<K> {
            let b = index(b, key);
            a.iter().map(key).filter(|k| b.contains_key(k)).collect()
        }
        fn check<'a, T: PartialEq, K: Ord + ToString>(
            c: &mut Checker<'_>,
            what: &str,
            a: &'a [T],
            b: &'a [T],
            key: impl Fn(&'a T) -> K + Copy,
        ) {
            if a == b {
                return;
            }
            let (x, y) = (common(a, b, key), common(b, a, key));
            if x != y {
                let names = |v: Vec<K>| v.iter().map(|k| k.to_string()).collect::<Vec<_>>();
                c.reordered(
                    ViolationCode::DeclarationOrderChanged,
                    what,
                    &names(x),
                    &names(y),
                );
            }
        }
        let (o, n) = (self.old, self.new);
        check(self, "types", &o.types, &n.types, |t| t.name.as_str());
        check(self, "storage", &o.storage, &n.storage, |s| s.name.as_str());
        check(self, "functions", &o.functions, &n.functions, |f| {
            f.name.as_str()
        });
        check(self, "events", &o.events, &n.events, |e| e.name.as_str());
        check(self, "errors", &o.errors, &n.errors, |e| e.code);
    }

    fn reordered(&mut self, code: ViolationCode, what: &str, a: &[String], b: &[String]) {
        self.push(
            code,
            what.into(),
            Some(a.join(", ")),
            Some(b.join(", ")),
            format!(
                "the same {what}, listed in another order; under `dep_only` the interface must \
                 stay identical except for dependency versions. Keep the published order."
            ),
        );
    }

    fn added(&mut self, declaration: String, new: String) {
        self.push(
            ViolationCode::DeclarationAdded,
            declaration,
            None,
            Some(new),
            "`dep_only` lets only dependency versions change; new declarations need a cap \
             with the `additive` or `compatible` policy (and policies only tighten), or a new \
             package."
                .into(),
        );
    }

    pub(super) fn module_code(&mut self, old: &[u8], new: &[u8]) {
        let old_code = code_without_interface(old);
        let new_code = code_without_interface(new);
        for (which, code) in [("old module", &old_code), ("new module", &new_code)] {
            if let Err(e) = code {
                self.push(
                    ViolationCode::ModuleUnreadable,
                    which.into(),
                    None,
                    None,
                    format!(
                        "{e}; `dep_only` compares the module's bytes outside the \
                         `molt:interface` section. Pass the module exactly as built."
                    ),
                );
            }
        }
        let (Ok(a), Ok(b)) = (old_code, new_code) else {
            return;
        };
        if a == b {
            return;
        }
        let show = |code: &[u8]| {
            format!(
                "{} bytes of code, SHA3-256 {}",
                code.len(),
                molt_types::sha3_256(code)
            )
        };
        let first = a
            .iter()
            .zip(&b)
            .position(|(x, y)| x != y)
            .unwrap_or(a.len().min(b.len()));
        self.push(
            ViolationCode::ModuleCodeChanged,
            "module".into(),
            Some(show(&a)),
            Some(show(&b)),
            format!(
                "outside the `molt:interface` section the modules first differ at byte {first}; \
                 `dep_only` lets only dependency versions change. Rebuild the published source \
                 with the same toolchain (`molt build`), changing only dependency versions."
            ),
        );
    }
}

/// The SDK form of a constructor policy, with its arguments elided (the
/// `old` line of the violation shows them in full).
fn policy_form(policy: &ConstructorPolicy) -> &'static str {
    match policy {
        ConstructorPolicy::NoUpgrade => "noupgrade",
        ConstructorPolicy::Admin(_) => "admin(..)",
        ConstructorPolicy::Checksum { .. } => "checksum(..)",
        ConstructorPolicy::Custom => "custom",
    }
}
