//! Rust types to interface [`TypeRef`]s, syntactically.

use crate::err;
use molt_interface::TypeRef;
use std::collections::BTreeSet;
use syn::{GenericArgument, PathArguments, Type};

/// The names a `Named` reference may use: the module's interface types.
pub(crate) type Declared = BTreeSet<String>;

/// The generic arguments of the last path segment, as types.
pub(crate) fn type_args(seg: &syn::PathSegment) -> Vec<&Type> {
    match &seg.arguments {
        PathArguments::AngleBracketed(a) => a
            .args
            .iter()
            .filter_map(|g| match g {
                GenericArgument::Type(t) => Some(t),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The last segment of a path type, if the type is a path.
pub(crate) fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
        Type::Group(g) => last_segment(&g.elem),
        Type::Paren(p) => last_segment(&p.elem),
        _ => None,
    }
}

/// Maps `ty`; every `Named` must be in `declared`.
pub(crate) fn type_ref(ty: &Type, declared: &Declared) -> syn::Result<TypeRef> {
    match ty {
        Type::Group(g) => type_ref(&g.elem, declared),
        Type::Paren(p) => type_ref(&p.elem, declared),
        Type::Tuple(t) if t.elems.is_empty() => Ok(TypeRef::Unit),
        Type::Tuple(t) => Ok(TypeRef::Tuple(
            t.elems
                .iter()
                .map(|e| type_ref(e, declared))
                .collect::<syn::Result<_>>()?,
        )),
        Type::Array(a) => {
            let len = match &a.len {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Int(n),
                    ..
                }) => n.base10_parse::<u32>()?,
                other => {
                    return Err(err(
                        other,
                        "array lengths in interface types must be integer literals",
                    ));
                }
            };
            Ok(TypeRef::Array(Box::new(type_ref(&a.elem, declared)?), len))
        }
        Type::Reference(_) => Err(err(
            ty,
            "references cannot cross the program ABI: take and return owned values",
        )),
        Type::Path(p) if p.qself.is_none() => {
            let Some(seg) = p.path.segments.last() else {
                return Err(err(ty, "empty type path"));
            };
            let name = seg.ident.to_string();
            let args = type_args(seg);
            let one = |what: &str| -> syn::Result<&Type> {
                match args.as_slice() {
                    [t] => Ok(t),
                    _ => Err(err(seg, format!("`{what}` takes one type argument"))),
                }
            };
            let plain = |r: TypeRef| -> syn::Result<TypeRef> {
                if args.is_empty() {
                    Ok(r)
                } else {
                    Err(err(seg, format!("`{name}` takes no type arguments")))
                }
            };
            match name.as_str() {
                "u8" => plain(TypeRef::U8),
                "u16" => plain(TypeRef::U16),
                "u32" => plain(TypeRef::U32),
                "u64" => plain(TypeRef::U64),
                "u128" => plain(TypeRef::U128),
                "i8" => plain(TypeRef::I8),
                "i16" => plain(TypeRef::I16),
                "i32" => plain(TypeRef::I32),
                "i64" => plain(TypeRef::I64),
                "i128" => plain(TypeRef::I128),
                "bool" => plain(TypeRef::Bool),
                "String" => plain(TypeRef::String),
                "Address" => plain(TypeRef::Address),
                "Digest" => plain(TypeRef::Digest),
                "Vec" => {
                    let inner = type_ref(one("Vec")?, declared)?;
                    Ok(if inner == TypeRef::U8 {
                        TypeRef::Bytes
                    } else {
                        TypeRef::Vec(Box::new(inner))
                    })
                }
                "Option" => Ok(TypeRef::Option(Box::new(type_ref(
                    one("Option")?,
                    declared,
                )?))),
                // Borsh encodes a box as its content.
                "Box" => type_ref(one("Box")?, declared),
                "usize" | "isize" => Err(err(
                    seg,
                    format!("`{name}` has a platform-dependent size: use u32/u64 or i32/i64"),
                )),
                "f32" | "f64" => Err(err(seg, "floating point is not allowed in Molt programs")),
                "char" => Err(err(
                    seg,
                    "`char` is not an interface type: use String or u32",
                )),
                _ if !args.is_empty() => Err(err(
                    seg,
                    format!("generic type `{name}<..>` is not an interface type"),
                )),
                _ if declared.contains(&name) => Ok(TypeRef::Named(name)),
                _ => Err(err(
                    seg,
                    format!(
                        "type `{name}` is not declared in the program module: declare it inside \
                         the module with #[derive(BorshSerialize, BorshDeserialize)] (interface \
                         types are u8..u128, i8..i128, bool, String, Vec<T>, Option<T>, tuples, \
                         [T; N], Address, Digest and the module's own structs and enums)"
                    ),
                )),
            }
        }
        _ => Err(err(ty, "this type cannot appear in a program interface")),
    }
}
