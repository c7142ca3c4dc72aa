//! The `molt:interface` custom section: finding it in a module, decoding it
//! with limits, and checking the module's exports against it.

use crate::model::*;
use crate::validate::InterfaceError;
use molt_types::codec::{self, CodecError};
use std::collections::BTreeMap;
use std::fmt;
use std::string::String;
use std::vec::Vec;
use wasmparser::{ExternalKind, Parser, Payload, ValType};

/// The largest interface section a node accepts.
pub const MAX_INTERFACE_BYTES: usize = 64 * 1024;

/// Why a module's interface cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SectionError {
    #[error("the module is not valid Wasm: {0}")]
    Wasm(String),
    #[error(
        "the module has no `molt:interface` custom section; build it with the Molt SDK (`molt build`)"
    )]
    Missing,
    #[error("the module has more than one `molt:interface` section")]
    Duplicate,
    #[error("the interface section is {len} bytes, over the limit of {limit}")]
    TooLarge { len: usize, limit: usize },
    #[error("the interface section is corrupted: {0}")]
    Corrupted(CodecError),
    #[error("the interface is not well formed: {0}")]
    Invalid(#[from] InterfaceError),
    #[error("the module does not export `{name}`, which its interface declares ({why})")]
    MissingExport { name: String, why: &'static str },
    #[error("export `{name}` has signature {found}, but the interface requires {expected}")]
    SignatureMismatch {
        name: String,
        expected: LoweredSignature,
        found: LoweredSignature,
    },
    #[error("export `{name}` must be a function")]
    NotAFunction { name: String },
    #[error("export `{name}` is present but the interface does not declare it ({why})")]
    Undeclared { name: String, why: &'static str },
}

/// A Wasm function signature in the subset the ABI uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoweredSignature {
    pub params: Vec<WasmType>,
    pub results: Vec<WasmType>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WasmType {
    I32,
    I64,
    /// Anything else (floats, references, vectors): never valid in the ABI.
    Other,
}

impl fmt::Display for WasmType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WasmType::I32 => "i32",
            WasmType::I64 => "i64",
            WasmType::Other => "<non-integer>",
        })
    }
}

impl fmt::Display for LoweredSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |ts: &[WasmType]| {
            ts.iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        write!(f, "({}) -> ({})", list(&self.params), list(&self.results))
    }
}

/// The Wasm signature that `docs/host-abi.md` lowers a declared function to.
pub fn lowered_signature(function: &FunctionDecl) -> LoweredSignature {
    let params = if function.params.is_empty() {
        Vec::new()
    } else {
        vec![WasmType::I32, WasmType::I32]
    };
    LoweredSignature {
        params,
        results: Vec::new(),
    }
}

fn wasm_err(e: wasmparser::BinaryReaderError) -> SectionError {
    SectionError::Wasm(e.to_string())
}

/// Returns the bytes of the module's `molt:interface` section, if any.
pub fn find_section(module: &[u8]) -> Result<Option<&[u8]>, SectionError> {
    let mut found = None;
    for payload in Parser::new(0).parse_all(module) {
        if let Payload::CustomSection(reader) = payload.map_err(wasm_err)?
            && reader.name() == SECTION_NAME
        {
            if found.is_some() {
                return Err(SectionError::Duplicate);
            }
            found = Some(reader.data());
        }
    }
    Ok(found)
}

/// Decodes and validates section bytes with the size limit.
pub fn decode_section(bytes: &[u8]) -> Result<Interface, SectionError> {
    if bytes.len() > MAX_INTERFACE_BYTES {
        return Err(SectionError::TooLarge {
            len: bytes.len(),
            limit: MAX_INTERFACE_BYTES,
        });
    }
    let interface: Interface = codec::decode("interface section", bytes, MAX_INTERFACE_BYTES)
        .map_err(SectionError::Corrupted)?;
    interface.validate()?;
    Ok(interface)
}

/// Encodes an interface as section bytes.
pub fn encode_section(interface: &Interface) -> Vec<u8> {
    codec::encode(interface)
}

/// Reads the module's exported functions with their signatures.
fn exported_functions(
    module: &[u8],
) -> Result<BTreeMap<String, Option<LoweredSignature>>, SectionError> {
    let mut types: Vec<LoweredSignature> = Vec::new();
    let mut func_types: Vec<u32> = Vec::new();
    let mut exports: Vec<(String, ExternalKind, u32)> = Vec::new();
    let convert = |ts: &[ValType]| {
        ts.iter()
            .map(|t| match t {
                ValType::I32 => WasmType::I32,
                ValType::I64 => WasmType::I64,
                _ => WasmType::Other,
            })
            .collect::<Vec<_>>()
    };
    for payload in Parser::new(0).parse_all(module) {
        match payload.map_err(wasm_err)? {
            Payload::TypeSection(reader) => {
                for ty in reader.into_iter_err_on_gc_types() {
                    let ty = ty.map_err(wasm_err)?;
                    types.push(LoweredSignature {
                        params: convert(ty.params()),
                        results: convert(ty.results()),
                    });
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader {
                    if let wasmparser::TypeRef::Func(idx) = import.map_err(wasm_err)?.ty {
                        func_types.push(idx);
                    }
                }
            }
            Payload::FunctionSection(reader) => {
                for idx in reader {
                    func_types.push(idx.map_err(wasm_err)?);
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export.map_err(wasm_err)?;
                    exports.push((export.name.into(), export.kind, export.index));
                }
            }
            _ => {}
        }
    }
    let mut out = BTreeMap::new();
    for (name, kind, index) in exports {
        let sig = if kind == ExternalKind::Func {
            let ty = func_types
                .get(index as usize)
                .and_then(|t| types.get(*t as usize))
                .ok_or_else(|| SectionError::Wasm(format!("export {name} has no type")))?;
            Some(ty.clone())
        } else {
            None
        };
        out.insert(name, sig);
    }
    Ok(out)
}

/// Checks that the module exports every entry point the interface declares,
/// each with its lowered signature, and `memory` and `molt_alloc`.
pub fn check_exports(module: &[u8], interface: &Interface) -> Result<(), SectionError> {
    let exports = exported_functions(module)?;
    let expect =
        |name: &str, sig: LoweredSignature, why: &'static str| -> Result<(), SectionError> {
            match exports.get(name) {
                None => Err(SectionError::MissingExport {
                    name: name.into(),
                    why,
                }),
                Some(None) => Err(SectionError::NotAFunction { name: name.into() }),
                Some(Some(found)) if *found != sig => Err(SectionError::SignatureMismatch {
                    name: name.into(),
                    expected: sig,
                    found: found.clone(),
                }),
                Some(Some(_)) => Ok(()),
            }
        };
    if !exports.contains_key(MEMORY_EXPORT) {
        return Err(SectionError::MissingExport {
            name: MEMORY_EXPORT.into(),
            why: "every program exports its memory",
        });
    }
    expect(
        ALLOC_EXPORT,
        LoweredSignature {
            params: vec![WasmType::I32],
            results: vec![WasmType::I32],
        },
        "the host calls it to pass arguments",
    )?;
    for f in &interface.functions {
        expect(
            &format!("{FUNCTION_EXPORT_PREFIX}{}", f.name),
            lowered_signature(f),
            "a declared function",
        )?;
    }
    let nullary = LoweredSignature {
        params: vec![],
        results: vec![],
    };
    if interface.init {
        expect(INIT_EXPORT, nullary.clone(), "the interface declares init")?;
    } else if exports.contains_key(INIT_EXPORT) {
        return Err(SectionError::Undeclared {
            name: INIT_EXPORT.into(),
            why: "init would never run",
        });
    }
    if interface.constructor.is_some() {
        expect(
            CONSTRUCTOR_EXPORT,
            nullary,
            "the interface declares a constructor",
        )?;
    } else if exports.contains_key(CONSTRUCTOR_EXPORT) {
        return Err(SectionError::Undeclared {
            name: CONSTRUCTOR_EXPORT.into(),
            why: "a constructor must be declared to run",
        });
    }
    Ok(())
}

/// Returns `module` with `interface` appended as its `molt:interface` custom
/// section (for tools and tests that assemble modules by hand; the SDK emits
/// the section itself). Does not remove an existing section.
pub fn embed_section(module: &[u8], interface: &Interface) -> Vec<u8> {
    fn leb128(mut n: usize, out: &mut Vec<u8>) {
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }
    let data = encode_section(interface);
    let mut body = Vec::new();
    leb128(SECTION_NAME.len(), &mut body);
    body.extend_from_slice(SECTION_NAME.as_bytes());
    body.extend_from_slice(&data);
    let mut out = module.to_vec();
    out.push(0); // custom section id
    leb128(body.len(), &mut out);
    out.extend_from_slice(&body);
    out
}
