//! A pass over the module that names the first non-deterministic feature it
//! uses. wasmi's validator (configured with the same bans) is the authority;
//! this pass exists so that the rejection says *what* and *where*
//! ("floating-point instruction F32Add in function 3") instead of a bare
//! validator message.

use crate::error::VmError;
use std::fmt::Write as _;
use wasmparser::{Parser, Payload, TypeRef, ValType};

/// What a forbidden thing is and why it is forbidden, for messages.
const FLOAT: &str = "floating point is non-deterministic across platforms and not allowed";
const SIMD: &str = "SIMD is not allowed";
const THREADS: &str = "threads and atomics are not allowed";

fn invalid(reason: String) -> VmError {
    VmError::InvalidModule { reason }
}

fn malformed(e: wasmparser::BinaryReaderError) -> VmError {
    invalid(format!("malformed module: {e}"))
}

/// Rejects floating point, SIMD, threads (shared memory, atomics) and 64-bit
/// memory, naming the first use found.
pub(crate) fn scan(bytes: &[u8]) -> Result<(), VmError> {
    let mut imported_functions: u32 = 0;
    let mut code_index: u32 = 0;
    let mut op_name = String::new();
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.map_err(malformed)? {
            Payload::TypeSection(reader) => {
                for (index, ty) in reader.into_iter_err_on_gc_types().enumerate() {
                    let ty = ty.map_err(malformed)?;
                    for v in ty.params().iter().chain(ty.results()) {
                        check_value_type(*v, || format!("function type {index}"))?;
                    }
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader {
                    let import = import.map_err(malformed)?;
                    match import.ty {
                        TypeRef::Func(_) => {
                            imported_functions = imported_functions.saturating_add(1)
                        }
                        TypeRef::Global(g) => check_value_type(g.content_type, || {
                            format!("imported global `{}.{}`", import.module, import.name)
                        })?,
                        _ => {}
                    }
                }
            }
            Payload::GlobalSection(reader) => {
                for (index, global) in reader.into_iter().enumerate() {
                    let global = global.map_err(malformed)?;
                    check_value_type(global.ty.content_type, || format!("global {index}"))?;
                }
            }
            Payload::MemorySection(reader) => {
                for memory in reader {
                    let memory = memory.map_err(malformed)?;
                    if memory.shared {
                        return Err(invalid(format!("shared memory: {THREADS}")));
                    }
                    if memory.memory64 {
                        return Err(invalid("64-bit memory (memory64) is not allowed".into()));
                    }
                }
            }
            Payload::CodeSectionEntry(body) => {
                let function = imported_functions.saturating_add(code_index);
                code_index = code_index.saturating_add(1);
                let mut locals = body.get_locals_reader().map_err(malformed)?;
                for _ in 0..locals.get_count() {
                    let (_, ty) = locals.read().map_err(malformed)?;
                    check_value_type(ty, || format!("a local of function {function}"))?;
                }
                let mut ops = body.get_operators_reader().map_err(malformed)?;
                while !ops.eof() {
                    let op = ops.read().map_err(malformed)?;
                    op_name.clear();
                    // Debug of an operator starts with its variant name
                    // (`F32Add`, `I32AtomicLoad { .. }`); that name is enough
                    // to classify it and to show it to the author.
                    let _ = write!(op_name, "{op:?}");
                    let name = op_name.split([' ', '{', '(']).next().unwrap_or("");
                    if let Some(why) = classify_operator(name) {
                        return Err(invalid(format!(
                            "instruction {name} in function {function}: {why}"
                        )));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn check_value_type(ty: ValType, place: impl FnOnce() -> String) -> Result<(), VmError> {
    match ty {
        ValType::F32 | ValType::F64 => Err(invalid(format!(
            "floating-point type {ty} in {}: {FLOAT}",
            place()
        ))),
        ValType::V128 => Err(invalid(format!("v128 type in {}: {SIMD}", place()))),
        _ => Ok(()),
    }
}

/// Why the operator named `name` is forbidden, or `None` if it is allowed
/// as far as determinism goes.
fn classify_operator(name: &str) -> Option<&'static str> {
    let lanes = ["I8x16", "I16x8", "I32x4", "I64x2", "F32x4", "F64x2", "V128"];
    if lanes.iter().any(|l| name.contains(l)) {
        Some(SIMD)
    } else if name.contains("F32") || name.contains("F64") {
        Some(FLOAT)
    } else if name.contains("Atomic") {
        Some(THREADS)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::classify_operator;

    #[test]
    fn operators_are_classified_by_name() {
        assert!(classify_operator("F32Add").is_some());
        assert!(classify_operator("I32TruncF64S").is_some());
        assert!(classify_operator("F32x4Splat").is_some());
        assert!(classify_operator("I32AtomicLoad").is_some());
        assert!(classify_operator("MemoryAtomicWait32").is_some());
        assert_eq!(classify_operator("I32Add"), None);
        assert_eq!(classify_operator("I64Extend32S"), None);
        assert_eq!(classify_operator("Call"), None);
    }
}
