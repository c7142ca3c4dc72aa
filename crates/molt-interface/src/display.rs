//! Human-readable rendering of interfaces, in Rust-like syntax. Used by
//! `molt inspect`, `molt build` and the compatibility checker's diagnostics.

use crate::model::*;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

/// Error codes at and above this are the SDK's (`molt_sdk::error::codes`),
/// shown apart from a program's own; 0 is a panic.
pub const SDK_CODE_BASE: u32 = 1_000_000;

impl fmt::Display for TypeRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TypeRef::Unit => f.write_str("()"),
            TypeRef::Bool => f.write_str("bool"),
            TypeRef::U8 => f.write_str("u8"),
            TypeRef::U16 => f.write_str("u16"),
            TypeRef::U32 => f.write_str("u32"),
            TypeRef::U64 => f.write_str("u64"),
            TypeRef::U128 => f.write_str("u128"),
            TypeRef::I8 => f.write_str("i8"),
            TypeRef::I16 => f.write_str("i16"),
            TypeRef::I32 => f.write_str("i32"),
            TypeRef::I64 => f.write_str("i64"),
            TypeRef::I128 => f.write_str("i128"),
            TypeRef::String => f.write_str("String"),
            TypeRef::Bytes => f.write_str("Vec<u8>"),
            TypeRef::Address => f.write_str("Address"),
            TypeRef::Digest => f.write_str("Digest"),
            TypeRef::Option(t) => write!(f, "Option<{t}>"),
            TypeRef::Vec(t) => write!(f, "Vec<{t}>"),
            TypeRef::Tuple(ts) => {
                let items: Vec<String> = ts.iter().map(|t| t.to_string()).collect();
                if ts.len() == 1 {
                    write!(f, "({},)", items[0])
                } else {
                    write!(f, "({})", items.join(", "))
                }
            }
            TypeRef::Array(t, n) => write!(f, "[{t}; {n}]"),
            TypeRef::Named(n) => f.write_str(n),
        }
    }
}

impl fmt::Display for Visibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Visibility::Public => "public",
            Visibility::Entry => "entry",
            Visibility::Internal => "internal",
        })
    }
}

fn fields(fs: &[Field]) -> String {
    let positional = fs.iter().enumerate().all(|(i, f)| f.name == i.to_string());
    if positional {
        let items: Vec<String> = fs.iter().map(|f| f.ty.to_string()).collect();
        format!("({})", items.join(", "))
    } else {
        let items: Vec<String> = fs.iter().map(|f| format!("{}: {}", f.name, f.ty)).collect();
        format!(" {{ {} }}", items.join(", "))
    }
}

impl fmt::Display for TypeDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            TypeKind::Struct { fields: fs } => write!(f, "struct {}{}", self.name, fields(fs)),
            TypeKind::Enum { variants } => {
                let vs: Vec<String> = variants
                    .iter()
                    .map(|v| {
                        if v.fields.is_empty() {
                            v.name.clone()
                        } else {
                            format!("{}{}", v.name, fields(&v.fields))
                        }
                    })
                    .collect();
                write!(f, "enum {} {{ {} }}", self.name, vs.join(", "))
            }
        }
    }
}

impl fmt::Display for StorageDecl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            StorageKind::Singleton { value } => write!(f, "{}: {}", self.name, value),
            StorageKind::Map { key, value } => write!(f, "{}: Map<{}, {}>", self.name, key, value),
        }
    }
}

impl fmt::Display for FunctionDecl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let params: Vec<String> = self
            .params
            .iter()
            .map(|p| format!("{}: {}", p.name, p.ty))
            .collect();
        write!(
            f,
            "{}{} fn {}({})",
            self.visibility,
            if self.view { " view" } else { "" },
            self.name,
            params.join(", ")
        )?;
        if self.returns != TypeRef::Unit {
            write!(f, " -> {}", self.returns)?;
        }
        Ok(())
    }
}

impl fmt::Display for ConstructorPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConstructorPolicy::NoUpgrade => f.write_str("noupgrade"),
            ConstructorPolicy::Admin(a) => write!(f, "admin({a})"),
            ConstructorPolicy::Checksum { program, item, key } => {
                write!(f, "checksum({program}, {item}, 0x{})", hex_string(key))
            }
            ConstructorPolicy::Custom => f.write_str("custom"),
        }
    }
}

fn hex_string(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

impl Interface {
    /// The whole interface as indented text, one declaration a line.
    pub fn render(&self) -> String {
        let mut out = format!("program {}\n", self.name);
        match &self.constructor {
            Some(c) => out.push_str(&format!(
                "  constructor: {} (code digest {})\n",
                c.policy, c.code_digest
            )),
            None => out.push_str("  constructor: none (upgradable only through its UpgradeCap)\n"),
        }
        out.push_str(&format!(
            "  init: {}\n",
            if self.init { "yes" } else { "no" }
        ));
        let mut section = |title: &str, lines: Vec<String>| {
            if lines.is_empty() {
                return;
            }
            out.push_str(&format!("  {title}:\n"));
            for l in lines {
                out.push_str(&format!("    {l}\n"));
            }
        };
        section("types", self.types.iter().map(|t| t.to_string()).collect());
        section(
            "storage",
            self.storage.iter().map(|s| s.to_string()).collect(),
        );
        section(
            "functions",
            self.functions.iter().map(|f| f.to_string()).collect(),
        );
        section(
            "events",
            self.events
                .iter()
                .map(|e| format!("{}: {}", e.name, e.ty))
                .collect(),
        );
        // The program's own codes apart from those every molt-sdk program
        // may raise (a panic is 0; the SDK's start at 1000000).
        let (reserved, own): (Vec<_>, Vec<_>) = self
            .errors
            .iter()
            .partition(|e| e.code == 0 || e.code >= SDK_CODE_BASE);
        let line = |e: &&ErrorDecl| format!("{} {}: {}", e.code, e.name, e.message);
        section("errors", own.iter().map(line).collect());
        section(
            "errors raised by the SDK (reserved codes, in every molt-sdk program)",
            reserved.iter().map(line).collect(),
        );
        section(
            "dependencies",
            self.dependencies
                .iter()
                .map(|d| format!("{} {} v{}", d.name, d.original_id, d.version))
                .collect(),
        );
        out
    }
}
