//! Splitting a module into its code and its `molt:interface` section, for
//! the `dep_only` comparison. A small section walker rather than a full
//! parser: only the section framing matters, and every other byte is kept.

use crate::model::SECTION_NAME;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// The module's bytes without its `molt:interface` custom section(s): the
/// header and every other section, in order, byte for byte.
pub(super) fn code_without_interface(module: &[u8]) -> Result<Vec<u8>, String> {
    const MAGIC: &[u8] = b"\0asm";
    let truncated = |at: usize| format!("the module is truncated or malformed at byte {at}");
    if module.get(..4) != Some(MAGIC) || module.len() < 8 {
        return Err("the module is not a Wasm binary (no `\\0asm` header)".into());
    }
    let mut out = Vec::with_capacity(module.len());
    out.extend_from_slice(&module[..8]);
    let mut pos = 8;
    while pos < module.len() {
        let start = pos;
        let (size, len) = read_leb_u32(module, pos + 1).ok_or_else(|| truncated(start))?;
        let content = pos + 1 + len;
        let end = content
            .checked_add(size as usize)
            .filter(|end| *end <= module.len())
            .ok_or_else(|| truncated(start))?;
        let is_interface = module[start] == 0 && {
            let (name_len, n) = read_leb_u32(module, content).ok_or_else(|| truncated(start))?;
            let name = content + n;
            name.checked_add(name_len as usize)
                .filter(|e| *e <= end)
                .and_then(|e| module.get(name..e))
                .ok_or_else(|| truncated(start))?
                == SECTION_NAME.as_bytes()
        };
        if !is_interface {
            out.extend_from_slice(&module[start..end]);
        }
        pos = end;
    }
    Ok(out)
}

/// Reads an unsigned LEB128 `u32` at `at`: the value and its length in bytes.
fn read_leb_u32(bytes: &[u8], at: usize) -> Option<(u32, usize)> {
    let mut value: u32 = 0;
    for i in 0..5 {
        let byte = *bytes.get(at.checked_add(i)?)?;
        let bits = u32::from(byte & 0x7f);
        if i == 4 && bits > 0x0f {
            return None;
        }
        value |= bits << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}
