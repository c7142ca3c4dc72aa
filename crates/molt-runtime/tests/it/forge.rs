//! Forged modules, built the way the security review attacked constructors:
//! an honest module whose `molt:constructor` export is re-pointed at a new,
//! empty function, with every other byte (the `molt:interface` section, so
//! the declared policy and code digest) copied unchanged.
//!
//! A small section-level rewriter over the Wasm binary format: sections are
//! `id, size, contents`; vectors are `count, entries`; integers are LEB128.

fn read_u32(bytes: &[u8], pos: &mut usize) -> u32 {
    let (mut value, mut shift) = (0u32, 0);
    loop {
        let b = bytes[*pos];
        *pos += 1;
        value |= u32::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return value;
        }
        shift += 7;
    }
}

fn write_u32(out: &mut Vec<u8>, mut value: u32) {
    loop {
        let b = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn skip_name(bytes: &[u8], pos: &mut usize) -> String {
    let len = read_u32(bytes, pos) as usize;
    let name = String::from_utf8(bytes[*pos..*pos + len].to_vec()).unwrap();
    *pos += len;
    name
}

/// A vector section's contents with one more entry appended.
fn append_entry(contents: &[u8], entry: &[u8]) -> Vec<u8> {
    let mut pos = 0;
    let count = read_u32(contents, &mut pos);
    let mut out = Vec::new();
    write_u32(&mut out, count + 1);
    out.extend_from_slice(&contents[pos..]);
    out.extend_from_slice(entry);
    out
}

fn count(contents: &[u8]) -> u32 {
    read_u32(contents, &mut 0)
}

/// Number of imported functions (Molt modules import only functions).
fn imported_functions(contents: &[u8]) -> u32 {
    let mut pos = 0;
    let n = read_u32(contents, &mut pos);
    for _ in 0..n {
        skip_name(contents, &mut pos);
        skip_name(contents, &mut pos);
        assert_eq!(contents[pos], 0x00, "only function imports are supported");
        pos += 1;
        read_u32(contents, &mut pos);
    }
    n
}

/// The export section with `molt:constructor` pointing at function `index`.
fn repoint_constructor(contents: &[u8], index: u32) -> Vec<u8> {
    let mut pos = 0;
    let n = read_u32(contents, &mut pos);
    let mut out = Vec::new();
    write_u32(&mut out, n);
    let mut found = false;
    for _ in 0..n {
        let start = pos;
        let name = skip_name(contents, &mut pos);
        let kind = contents[pos];
        pos += 1;
        out.extend_from_slice(&contents[start..pos]);
        let old = read_u32(contents, &mut pos);
        if name == "molt:constructor" {
            assert_eq!(kind, 0x00);
            found = true;
            write_u32(&mut out, index);
        } else {
            write_u32(&mut out, old);
        }
    }
    assert!(found, "the module exports no molt:constructor");
    out
}

/// `module` with its `molt:constructor` export re-pointed at a new function
/// of type `() -> ()` whose body is empty; every other section unchanged.
pub fn with_empty_constructor(module: &[u8]) -> Vec<u8> {
    assert_eq!(&module[..8], b"\0asm\x01\0\0\0");
    let mut sections: Vec<(u8, Vec<u8>)> = Vec::new();
    let mut pos = 8;
    while pos < module.len() {
        let id = module[pos];
        pos += 1;
        let size = read_u32(module, &mut pos) as usize;
        sections.push((id, module[pos..pos + size].to_vec()));
        pos += size;
    }
    let find = |id: u8| sections.iter().find(|(i, _)| *i == id).map(|(_, c)| c);
    let types = count(find(1).expect("type section"));
    let imported = find(2).map(|c| imported_functions(c)).unwrap_or(0);
    let defined = count(find(3).expect("function section"));
    let new_function = imported + defined;

    let mut out = module[..8].to_vec();
    for (id, contents) in &sections {
        let contents = match id {
            1 => append_entry(contents, &[0x60, 0x00, 0x00]),
            3 => {
                let mut entry = Vec::new();
                write_u32(&mut entry, types);
                append_entry(contents, &entry)
            }
            7 => repoint_constructor(contents, new_function),
            // A body of 2 bytes: no locals, `end`.
            10 => append_entry(contents, &[0x02, 0x00, 0x0b]),
            _ => contents.clone(),
        };
        out.push(*id);
        write_u32(&mut out, contents.len() as u32);
        out.extend_from_slice(&contents);
    }
    out
}

/// The raw bytes of custom section `name`, if the module has it.
pub fn custom_section(module: &[u8], name: &str) -> Option<Vec<u8>> {
    let mut pos = 8;
    while pos < module.len() {
        let id = module[pos];
        pos += 1;
        let size = read_u32(module, &mut pos) as usize;
        let end = pos + size;
        if id == 0 {
            let mut p = pos;
            if skip_name(module, &mut p) == name {
                return Some(module[p..end].to_vec());
            }
        }
        pos = end;
    }
    None
}
