//! Well-formedness of an interface, checked before a module is accepted.

use crate::model::*;
use alloc::collections::BTreeSet;
use alloc::string::String;

/// Longest name of a type, field, function, storage item, event or error.
pub const MAX_NAME_LEN: usize = 64;
/// Most declarations of each kind in one interface.
pub const MAX_DECLARATIONS: usize = 1024;

/// Why an interface is not well formed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InterfaceError {
    #[error(
        "interface format version {found} is not supported (this node reads version {supported})"
    )]
    FormatVersion { found: u16, supported: u16 },
    #[error(
        "{what} name {name:?} is invalid: names are 1-{MAX_NAME_LEN} characters of A-Z, a-z, 0-9 and _, not starting with a digit"
    )]
    BadName { what: &'static str, name: String },
    #[error("{what} {name:?} is declared twice")]
    Duplicate { what: &'static str, name: String },
    #[error("error code {code} is declared twice")]
    DuplicateErrorCode { code: u32 },
    #[error("{location} refers to type {name:?}, which is not declared in the interface's types")]
    UnknownType { location: String, name: String },
    #[error("too many {what}: {count}, the limit is {MAX_DECLARATIONS}")]
    TooMany { what: &'static str, count: usize },
    #[error(
        "function {name:?} is marked view but is not callable (internal functions cannot be views)"
    )]
    InternalView { name: String },
}

fn check_name(what: &'static str, name: &str) -> Result<(), InterfaceError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !name.as_bytes()[0].is_ascii_digit();
    if ok {
        Ok(())
    } else {
        Err(InterfaceError::BadName {
            what,
            name: name.into(),
        })
    }
}

/// Field names of tuple variants and tuple structs are `0`, `1`, ...
fn check_field_name(name: &str) -> Result<(), InterfaceError> {
    if !name.is_empty() && name.len() <= 10 && name.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(());
    }
    check_name("field", name)
}

fn unique<'a>(
    what: &'static str,
    names: impl Iterator<Item = &'a str>,
) -> Result<(), InterfaceError> {
    let mut seen = BTreeSet::new();
    let mut count = 0usize;
    for name in names {
        count += 1;
        if !seen.insert(name) {
            return Err(InterfaceError::Duplicate {
                what,
                name: name.into(),
            });
        }
    }
    if count > MAX_DECLARATIONS {
        return Err(InterfaceError::TooMany { what, count });
    }
    Ok(())
}

impl Interface {
    /// Checks names, uniqueness, and that every named type reference resolves.
    pub fn validate(&self) -> Result<(), InterfaceError> {
        if self.format_version != FORMAT_VERSION {
            return Err(InterfaceError::FormatVersion {
                found: self.format_version,
                supported: FORMAT_VERSION,
            });
        }
        check_name("program", &self.name)?;
        unique("type", self.types.iter().map(|t| t.name.as_str()))?;
        unique("storage item", self.storage.iter().map(|s| s.name.as_str()))?;
        unique("function", self.functions.iter().map(|f| f.name.as_str()))?;
        unique("event", self.events.iter().map(|e| e.name.as_str()))?;
        unique("error", self.errors.iter().map(|e| e.name.as_str()))?;
        unique(
            "dependency",
            self.dependencies.iter().map(|d| d.name.as_str()),
        )?;
        let mut codes = BTreeSet::new();
        for e in &self.errors {
            check_name("error", &e.name)?;
            if !codes.insert(e.code) {
                return Err(InterfaceError::DuplicateErrorCode { code: e.code });
            }
        }
        let types: BTreeSet<&str> = self.types.iter().map(|t| t.name.as_str()).collect();
        let resolve = |location: &dyn Fn() -> String, ty: &TypeRef| -> Result<(), InterfaceError> {
            let mut missing = None;
            ty.visit_named(&mut |name| {
                if missing.is_none() && !types.contains(name) {
                    missing = Some(String::from(name));
                }
            });
            match missing {
                Some(name) => Err(InterfaceError::UnknownType {
                    location: location(),
                    name,
                }),
                None => Ok(()),
            }
        };
        for t in &self.types {
            check_name("type", &t.name)?;
            match &t.kind {
                TypeKind::Struct { fields } => {
                    unique("field", fields.iter().map(|f| f.name.as_str()))?;
                    for f in fields {
                        check_field_name(&f.name)?;
                        resolve(&|| alloc::format!("field {}.{}", t.name, f.name), &f.ty)?;
                    }
                }
                TypeKind::Enum { variants } => {
                    unique("variant", variants.iter().map(|v| v.name.as_str()))?;
                    for v in variants {
                        check_name("variant", &v.name)?;
                        unique("field", v.fields.iter().map(|f| f.name.as_str()))?;
                        for f in &v.fields {
                            check_field_name(&f.name)?;
                            resolve(
                                &|| alloc::format!("field {}::{}.{}", t.name, v.name, f.name),
                                &f.ty,
                            )?;
                        }
                    }
                }
            }
        }
        for s in &self.storage {
            check_name("storage item", &s.name)?;
            match &s.kind {
                StorageKind::Singleton { value } => {
                    resolve(&|| alloc::format!("storage {}", s.name), value)?
                }
                StorageKind::Map { key, value } => {
                    resolve(&|| alloc::format!("storage {} key", s.name), key)?;
                    resolve(&|| alloc::format!("storage {} value", s.name), value)?;
                }
            }
        }
        for f in &self.functions {
            check_name("function", &f.name)?;
            if f.view && f.visibility == Visibility::Internal {
                return Err(InterfaceError::InternalView {
                    name: f.name.clone(),
                });
            }
            unique("parameter", f.params.iter().map(|p| p.name.as_str()))?;
            for p in &f.params {
                check_name("parameter", &p.name)?;
                resolve(
                    &|| alloc::format!("parameter {} of {}", p.name, f.name),
                    &p.ty,
                )?;
            }
            resolve(&|| alloc::format!("result of {}", f.name), &f.returns)?;
        }
        for e in &self.events {
            check_name("event", &e.name)?;
            resolve(&|| alloc::format!("event {}", e.name), &e.ty)?;
        }
        for d in &self.dependencies {
            check_name("dependency", &d.name)?;
        }
        Ok(())
    }
}

impl TypeRef {
    /// Calls `f` with the name of every [`TypeRef::Named`] inside this type.
    pub fn visit_named(&self, f: &mut dyn FnMut(&str)) {
        match self {
            TypeRef::Named(n) => f(n),
            TypeRef::Option(t) | TypeRef::Vec(t) | TypeRef::Array(t, _) => t.visit_named(f),
            TypeRef::Tuple(ts) => ts.iter().for_each(|t| t.visit_named(f)),
            _ => {}
        }
    }
}
