//! Values typed by an interface: JSON to canonical bytes and back.
//!
//! The CLI turns `--args '[1, "0x2"]'` into the canonical encoding of a
//! function's parameter tuple, and the node checks that a call's argument
//! bytes decode as that tuple before any program code runs. Both use the
//! functions here, so a value the CLI accepts is a value the node accepts.
//!
//! JSON forms: integers as numbers (128-bit ones, and 64-bit ones above
//! 2^53, may also be strings); `Vec<u8>`, addresses and digests as `0x` hex;
//! `Option` as `null` or the value; tuples and fixed arrays as arrays;
//! structs as objects with exactly their fields; enums as `"Variant"` for a
//! unit variant or `{"Variant": fields}` otherwise.

use crate::model::*;
use serde_json::{Map, Value};
use std::string::{String, ToString};
use std::vec::Vec;

/// Why a value does not fit its type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct ValueError {
    /// Where in the value, e.g. `args.to` or `args.items[2]`.
    pub path: String,
    pub reason: String,
}

fn err(path: &str, reason: impl Into<String>) -> ValueError {
    ValueError {
        path: path.into(),
        reason: reason.into(),
    }
}

/// Encodes the JSON arguments of `function`: an array (positional) or an
/// object (by parameter name).
pub fn encode_args(
    interface: &Interface,
    function: &FunctionDecl,
    args: &Value,
) -> Result<Vec<u8>, ValueError> {
    let mut out = Vec::new();
    let params = &function.params;
    match args {
        Value::Array(items) => {
            if items.len() != params.len() {
                return Err(err(
                    "args",
                    format!(
                        "`{}` takes {} argument(s) ({}), got {}",
                        function.name,
                        params.len(),
                        params
                            .iter()
                            .map(|p| format!("{}: {}", p.name, p.ty))
                            .collect::<Vec<_>>()
                            .join(", "),
                        items.len()
                    ),
                ));
            }
            for (p, v) in params.iter().zip(items) {
                encode_value(
                    interface,
                    &p.ty,
                    v,
                    &format!("args.{}", p.name),
                    0,
                    &mut out,
                )?;
            }
        }
        Value::Object(map) => {
            if let Some(extra) = map.keys().find(|k| !params.iter().any(|p| &p.name == *k)) {
                return Err(err(
                    "args",
                    format!("`{}` has no parameter `{extra}`", function.name),
                ));
            }
            for p in params {
                let v = map.get(&p.name).ok_or_else(|| {
                    err("args", format!("missing parameter `{}: {}`", p.name, p.ty))
                })?;
                encode_value(
                    interface,
                    &p.ty,
                    v,
                    &format!("args.{}", p.name),
                    0,
                    &mut out,
                )?;
            }
        }
        Value::Null if params.is_empty() => {}
        _ => return Err(err("args", "arguments are a JSON array or object")),
    }
    Ok(out)
}

/// Checks that `bytes` are exactly the encoding of `function`'s parameters.
pub fn check_args(
    interface: &Interface,
    function: &FunctionDecl,
    bytes: &[u8],
) -> Result<(), ValueError> {
    let mut cursor = bytes;
    for p in &function.params {
        decode_value(
            interface,
            &p.ty,
            &mut cursor,
            &format!("args.{}", p.name),
            0,
        )?;
    }
    if !cursor.is_empty() {
        return Err(err(
            "args",
            format!("{} unexpected trailing bytes", cursor.len()),
        ));
    }
    Ok(())
}

/// Decodes exactly `bytes` as a value of `ty`, to JSON.
pub fn decode_to_json(
    interface: &Interface,
    ty: &TypeRef,
    bytes: &[u8],
) -> Result<Value, ValueError> {
    let mut cursor = bytes;
    let v = decode_value(interface, ty, &mut cursor, "value", 0)?;
    if !cursor.is_empty() {
        return Err(err(
            "value",
            format!("{} unexpected trailing bytes", cursor.len()),
        ));
    }
    Ok(v)
}

/// Encodes one JSON value of type `ty`.
pub fn encode_json(
    interface: &Interface,
    ty: &TypeRef,
    value: &Value,
) -> Result<Vec<u8>, ValueError> {
    let mut out = Vec::new();
    encode_value(interface, ty, value, "value", 0, &mut out)?;
    Ok(out)
}

fn named<'a>(interface: &'a Interface, name: &str, path: &str) -> Result<&'a TypeDef, ValueError> {
    interface
        .type_def(name)
        .ok_or_else(|| err(path, format!("unknown type `{name}`")))
}

fn int_from_json(v: &Value, path: &str, ty: &TypeRef) -> Result<i128, ValueError> {
    let parsed = match v {
        Value::Number(n) => n
            .as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from)),
        Value::String(s) => s.parse::<i128>().ok(),
        _ => None,
    };
    parsed.ok_or_else(|| err(path, format!("expected an integer ({ty}), got {v}")))
}

fn hex_from_json(v: &Value, path: &str, what: &str) -> Result<Vec<u8>, ValueError> {
    let s = v
        .as_str()
        .ok_or_else(|| err(path, format!("expected {what} as a 0x hex string")))?;
    hex::decode(s.strip_prefix("0x").unwrap_or(s)).map_err(|_| {
        err(
            path,
            format!("expected {what} as a 0x hex string, got {s:?}"),
        )
    })
}

fn encode_value(
    interface: &Interface,
    ty: &TypeRef,
    v: &Value,
    path: &str,
    depth: usize,
    out: &mut Vec<u8>,
) -> Result<(), ValueError> {
    if depth > MAX_TYPE_DEPTH * 4 {
        return Err(err(path, "value nested too deeply"));
    }
    macro_rules! int {
        ($t:ty) => {{
            let n = int_from_json(v, path, ty)?;
            let n =
                <$t>::try_from(n).map_err(|_| err(path, format!("{n} does not fit in {ty}")))?;
            out.extend_from_slice(&n.to_le_bytes());
        }};
    }
    match ty {
        TypeRef::Unit => {
            if !v.is_null() {
                return Err(err(path, "expected null for ()"));
            }
        }
        TypeRef::Bool => out.push(
            v.as_bool()
                .ok_or_else(|| err(path, "expected true or false"))? as u8,
        ),
        TypeRef::U8 => int!(u8),
        TypeRef::U16 => int!(u16),
        TypeRef::U32 => int!(u32),
        TypeRef::U64 => int!(u64),
        TypeRef::U128 => {
            let n = match v {
                Value::String(s) => s.parse::<u128>().ok(),
                Value::Number(n) => n.as_u64().map(u128::from),
                _ => None,
            }
            .ok_or_else(|| {
                err(
                    path,
                    format!("expected an unsigned integer (u128), got {v}"),
                )
            })?;
            out.extend_from_slice(&n.to_le_bytes());
        }
        TypeRef::I8 => int!(i8),
        TypeRef::I16 => int!(i16),
        TypeRef::I32 => int!(i32),
        TypeRef::I64 => int!(i64),
        TypeRef::I128 => int!(i128),
        TypeRef::String => {
            let s = v
                .as_str()
                .ok_or_else(|| err(path, format!("expected a string, got {v}")))?;
            out.extend_from_slice(&(s.len() as u32).to_le_bytes());
            out.extend_from_slice(s.as_bytes());
        }
        TypeRef::Bytes => {
            let b = hex_from_json(v, path, "bytes")?;
            out.extend_from_slice(&(b.len() as u32).to_le_bytes());
            out.extend_from_slice(&b);
        }
        TypeRef::Address => {
            let s = v
                .as_str()
                .ok_or_else(|| err(path, "expected an address like 0x1"))?;
            let a: molt_types::Address = s
                .parse()
                .map_err(|e| err(path, format!("bad address {s:?}: {e}")))?;
            out.extend_from_slice(a.as_bytes());
        }
        TypeRef::Digest => {
            let b = hex_from_json(v, path, "a 32-byte digest")?;
            if b.len() != 32 {
                return Err(err(path, format!("a digest is 32 bytes, got {}", b.len())));
            }
            out.extend_from_slice(&b);
        }
        TypeRef::Option(inner) => {
            if v.is_null() {
                out.push(0);
            } else {
                out.push(1);
                encode_value(interface, inner, v, path, depth + 1, out)?;
            }
        }
        TypeRef::Vec(inner) => {
            let items = v
                .as_array()
                .ok_or_else(|| err(path, format!("expected an array for {ty}")))?;
            out.extend_from_slice(&(items.len() as u32).to_le_bytes());
            for (i, item) in items.iter().enumerate() {
                encode_value(
                    interface,
                    inner,
                    item,
                    &format!("{path}[{i}]"),
                    depth + 1,
                    out,
                )?;
            }
        }
        TypeRef::Tuple(types) => {
            let items = v
                .as_array()
                .ok_or_else(|| err(path, format!("expected an array for {ty}")))?;
            if items.len() != types.len() {
                return Err(err(
                    path,
                    format!("{ty} has {} items, got {}", types.len(), items.len()),
                ));
            }
            for (i, (t, item)) in types.iter().zip(items).enumerate() {
                encode_value(interface, t, item, &format!("{path}[{i}]"), depth + 1, out)?;
            }
        }
        TypeRef::Array(inner, n) => {
            let items = v
                .as_array()
                .ok_or_else(|| err(path, format!("expected an array for {ty}")))?;
            if items.len() != *n as usize {
                return Err(err(
                    path,
                    format!("{ty} has {n} items, got {}", items.len()),
                ));
            }
            for (i, item) in items.iter().enumerate() {
                encode_value(
                    interface,
                    inner,
                    item,
                    &format!("{path}[{i}]"),
                    depth + 1,
                    out,
                )?;
            }
        }
        TypeRef::Named(name) => match &named(interface, name, path)?.kind {
            TypeKind::Struct { fields } => encode_fields(interface, fields, v, path, depth, out)?,
            TypeKind::Enum { variants } => {
                let (vname, payload) = match v {
                    Value::String(s) => (s.as_str(), None),
                    Value::Object(m) if m.len() == 1 => {
                        let (k, p) = m.iter().next().expect("one entry");
                        (k.as_str(), Some(p))
                    }
                    _ => {
                        return Err(err(
                            path,
                            format!("expected \"Variant\" or {{\"Variant\": ...}} for enum {name}"),
                        ));
                    }
                };
                let (index, variant) = variants
                    .iter()
                    .enumerate()
                    .find(|(_, var)| var.name == vname)
                    .ok_or_else(|| err(path, format!("enum {name} has no variant `{vname}`")))?;
                out.push(u8::try_from(index).map_err(|_| err(path, "enum has over 256 variants"))?);
                let vpath = format!("{path}.{vname}");
                match payload {
                    None if variant.fields.is_empty() => {}
                    None => return Err(err(path, format!("variant `{vname}` has fields"))),
                    Some(p) => encode_fields(interface, &variant.fields, p, &vpath, depth, out)?,
                }
            }
        },
    }
    Ok(())
}

fn encode_fields(
    interface: &Interface,
    fields: &[Field],
    v: &Value,
    path: &str,
    depth: usize,
    out: &mut Vec<u8>,
) -> Result<(), ValueError> {
    match v {
        Value::Object(map) => {
            if let Some(extra) = map.keys().find(|k| !fields.iter().any(|f| &f.name == *k)) {
                return Err(err(path, format!("unknown field `{extra}`")));
            }
            for f in fields {
                let fv = map
                    .get(&f.name)
                    .ok_or_else(|| err(path, format!("missing field `{}`", f.name)))?;
                encode_value(
                    interface,
                    &f.ty,
                    fv,
                    &format!("{path}.{}", f.name),
                    depth + 1,
                    out,
                )?;
            }
        }
        Value::Array(items) if items.len() == fields.len() => {
            for (f, item) in fields.iter().zip(items) {
                encode_value(
                    interface,
                    &f.ty,
                    item,
                    &format!("{path}.{}", f.name),
                    depth + 1,
                    out,
                )?;
            }
        }
        _ => {
            return Err(err(
                path,
                format!("expected an object with fields {}", field_list(fields)),
            ));
        }
    }
    Ok(())
}

fn field_list(fields: &[Field]) -> String {
    fields
        .iter()
        .map(|f| f.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn take<'a>(cursor: &mut &'a [u8], n: usize, path: &str) -> Result<&'a [u8], ValueError> {
    if cursor.len() < n {
        return Err(err(
            path,
            format!("needs {n} more bytes, {} left", cursor.len()),
        ));
    }
    let (head, rest) = cursor.split_at(n);
    *cursor = rest;
    Ok(head)
}

fn take_len(cursor: &mut &[u8], path: &str) -> Result<usize, ValueError> {
    let b = take(cursor, 4, path)?;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
}

fn decode_value(
    interface: &Interface,
    ty: &TypeRef,
    cursor: &mut &[u8],
    path: &str,
    depth: usize,
) -> Result<Value, ValueError> {
    if depth > MAX_TYPE_DEPTH * 4 {
        return Err(err(path, "value nested too deeply"));
    }
    macro_rules! int {
        ($t:ty, $n:expr) => {{
            let b = take(cursor, $n, path)?;
            let mut a = [0u8; $n];
            a.copy_from_slice(b);
            <$t>::from_le_bytes(a)
        }};
    }
    Ok(match ty {
        TypeRef::Unit => Value::Null,
        TypeRef::Bool => match take(cursor, 1, path)?[0] {
            0 => Value::Bool(false),
            1 => Value::Bool(true),
            b => return Err(err(path, format!("invalid bool byte {b}"))),
        },
        TypeRef::U8 => int!(u8, 1).into(),
        TypeRef::U16 => int!(u16, 2).into(),
        TypeRef::U32 => int!(u32, 4).into(),
        TypeRef::U64 => int!(u64, 8).into(),
        TypeRef::U128 => int!(u128, 16).to_string().into(),
        TypeRef::I8 => int!(i8, 1).into(),
        TypeRef::I16 => int!(i16, 2).into(),
        TypeRef::I32 => int!(i32, 4).into(),
        TypeRef::I64 => int!(i64, 8).into(),
        TypeRef::I128 => int!(i128, 16).to_string().into(),
        TypeRef::String => {
            let n = take_len(cursor, path)?;
            let b = take(cursor, n, path)?;
            String::from_utf8(b.to_vec())
                .map_err(|_| err(path, "string is not UTF-8"))?
                .into()
        }
        TypeRef::Bytes => {
            let n = take_len(cursor, path)?;
            format!("0x{}", hex::encode(take(cursor, n, path)?)).into()
        }
        TypeRef::Address | TypeRef::Digest => {
            format!("0x{}", hex::encode(take(cursor, 32, path)?)).into()
        }
        TypeRef::Option(inner) => match take(cursor, 1, path)?[0] {
            0 => Value::Null,
            1 => decode_value(interface, inner, cursor, path, depth + 1)?,
            b => return Err(err(path, format!("invalid option tag {b}"))),
        },
        TypeRef::Vec(inner) => {
            let n = take_len(cursor, path)?;
            let mut items = Vec::new();
            for i in 0..n {
                items.push(decode_value(
                    interface,
                    inner,
                    cursor,
                    &format!("{path}[{i}]"),
                    depth + 1,
                )?);
            }
            Value::Array(items)
        }
        TypeRef::Tuple(types) => Value::Array(
            types
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    decode_value(interface, t, cursor, &format!("{path}[{i}]"), depth + 1)
                })
                .collect::<Result<_, _>>()?,
        ),
        TypeRef::Array(inner, n) => {
            let mut items = Vec::new();
            for i in 0..*n {
                items.push(decode_value(
                    interface,
                    inner,
                    cursor,
                    &format!("{path}[{i}]"),
                    depth + 1,
                )?);
            }
            Value::Array(items)
        }
        TypeRef::Named(name) => match &named(interface, name, path)?.kind {
            TypeKind::Struct { fields } => decode_fields(interface, fields, cursor, path, depth)?,
            TypeKind::Enum { variants } => {
                let tag = take(cursor, 1, path)?[0] as usize;
                let variant = variants
                    .get(tag)
                    .ok_or_else(|| err(path, format!("enum {name} has no variant #{tag}")))?;
                if variant.fields.is_empty() {
                    Value::String(variant.name.clone())
                } else {
                    let inner = decode_fields(interface, &variant.fields, cursor, path, depth)?;
                    let mut m = Map::new();
                    m.insert(variant.name.clone(), inner);
                    Value::Object(m)
                }
            }
        },
    })
}

fn decode_fields(
    interface: &Interface,
    fields: &[Field],
    cursor: &mut &[u8],
    path: &str,
    depth: usize,
) -> Result<Value, ValueError> {
    let mut m = Map::new();
    for f in fields {
        let v = decode_value(
            interface,
            &f.ty,
            cursor,
            &format!("{path}.{}", f.name),
            depth + 1,
        )?;
        m.insert(f.name.clone(), v);
    }
    Ok(Value::Object(m))
}
