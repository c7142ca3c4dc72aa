//! Plain-language descriptions of what changed, for hints.

use crate::model::*;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

pub(super) fn type_declaration(t: &TypeDef) -> String {
    format!("{} {}", kind_name(&t.kind), t.name)
}

pub(super) fn kind_name(kind: &TypeKind) -> &'static str {
    match kind {
        TypeKind::Struct { .. } => "struct",
        TypeKind::Enum { .. } => "enum",
    }
}

pub(super) fn storage_kind_name(kind: &StorageKind) -> &'static str {
    match kind {
        StorageKind::Singleton { .. } => "singleton",
        StorageKind::Map { .. } => "map",
    }
}

/// Joins clauses into one sentence with a capital first letter.
pub(super) fn sentence(parts: &[String]) -> String {
    let joined = parts.join("; ");
    let mut chars = joined.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => joined,
    }
}

/// What changed between two field lists, as lower-case clauses.
pub(super) fn describe_fields(a: &[Field], b: &[Field]) -> String {
    let mut parts = Vec::new();
    let same_set = a.len() == b.len() && a.iter().all(|f| b.contains(f));
    if same_set {
        parts.push(String::from("the fields were reordered"));
    } else {
        for (x, y) in a.iter().zip(b) {
            if x == y {
                continue;
            }
            if x.name == y.name {
                parts.push(format!(
                    "field `{}` changed type from {} to {}",
                    x.name, x.ty, y.ty
                ));
            } else if x.ty == y.ty {
                parts.push(format!("field `{}` was renamed to `{}`", x.name, y.name));
            } else {
                parts.push(format!(
                    "field `{}: {}` became `{}: {}`",
                    x.name, x.ty, y.name, y.ty
                ));
            }
        }
        let list = |fs: &[Field]| {
            fs.iter()
                .map(|f| format!("`{}`", f.name))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if b.len() > a.len() {
            parts.push(format!("field {} added", list(&b[a.len()..])));
        }
        if a.len() > b.len() {
            parts.push(format!("field {} removed", list(&a[b.len()..])));
        }
    }
    parts.join("; ")
}

/// Describes how `new`'s signature breaks `old`'s callers, if it does. Under
/// `compatible` parameter names are free (arguments are positional); under
/// `additive` they are frozen too.
pub(super) fn signature_change(
    old: &FunctionDecl,
    new: &FunctionDecl,
    frozen: bool,
) -> Option<String> {
    let mut parts = Vec::new();
    let mut suffix = None;
    let mut breaks_callers = false;
    for (i, (p, q)) in old.params.iter().zip(&new.params).enumerate() {
        if p.ty != q.ty {
            breaks_callers = true;
            parts.push(format!(
                "parameter {} `{}` changed type from {} to {}, and callers built against the \
                 old version encode it as {}",
                i + 1,
                p.name,
                p.ty,
                q.ty,
                p.ty
            ));
            suffix = Some(suffix.map_or_else(|| q.ty.to_string(), |_| String::from("v2")));
        } else if frozen && p.name != q.name {
            parts.push(format!(
                "parameter {} `{}` was renamed to `{}` (JSON arguments may name it)",
                i + 1,
                p.name,
                q.name
            ));
        }
    }
    if old.params.len() != new.params.len() {
        breaks_callers = true;
        parts.push(format!(
            "it takes {} parameter{} instead of {}, and old callers pass {}",
            new.params.len(),
            if new.params.len() == 1 { "" } else { "s" },
            old.params.len(),
            old.params.len()
        ));
        suffix = Some("v2".into());
    }
    if old.returns != new.returns {
        breaks_callers = true;
        parts.push(format!(
            "the result changed from {} to {}, and old callers decode it as {}",
            old.returns, new.returns, old.returns
        ));
        suffix = Some("v2".into());
    }
    if parts.is_empty() {
        return None;
    }
    let suffix = suffix
        .filter(|s| s.bytes().all(|b| b.is_ascii_alphanumeric()))
        .unwrap_or_else(|| "v2".into());
    let fix = if !breaks_callers {
        format!(
            "`additive` freezes existing declarations; keep `{}` exactly as published.",
            old.name
        )
    } else {
        format!(
            "Keep `{}` as it is and add `{}_{suffix}` alongside it.",
            old.name, old.name
        )
    };
    Some(format!("{}. {fix}", sentence(&parts)))
}
