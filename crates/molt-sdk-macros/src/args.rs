//! The `#[program(..)]` arguments: name, dependencies, built-in constructor.

use molt_interface::{ConstructorPolicy, Dependency};
use molt_types::Address;
use std::str::FromStr;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Lit, Meta, Token};

#[derive(Default)]
pub(crate) struct ProgramArgs {
    pub name: Option<String>,
    pub dependencies: Vec<Dependency>,
    pub constructor: Option<ConstructorPolicy>,
}

fn err(span: &impl Spanned, msg: impl std::fmt::Display) -> syn::Error {
    syn::Error::new(span.span(), msg)
}

pub(crate) fn lit_str(e: &Expr) -> syn::Result<String> {
    match e {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => Ok(s.value()),
        _ => Err(err(e, "expected a string literal")),
    }
}

fn lit_u64(e: &Expr) -> syn::Result<u64> {
    match e {
        Expr::Lit(ExprLit {
            lit: Lit::Int(n), ..
        }) => n.base10_parse(),
        _ => Err(err(e, "expected an integer literal")),
    }
}

fn address(e: &Expr) -> syn::Result<Address> {
    let s = lit_str(e)?;
    Address::from_str(&s).map_err(|x| err(e, format!("invalid address {s:?}: {x}")))
}

fn hex_bytes(e: &Expr) -> syn::Result<Vec<u8>> {
    let s = lit_str(e)?;
    let digits = s.strip_prefix("0x").unwrap_or(&s);
    if digits.len() % 2 != 0 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(err(
            e,
            "expected \"0x\" followed by an even number of hex digits",
        ));
    }
    Ok((0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).unwrap_or(0))
        .collect())
}

fn nested(list: &syn::MetaList) -> syn::Result<Punctuated<Meta, Token![,]>> {
    list.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)
}

fn name_value<'a>(m: &'a Meta, what: &str) -> syn::Result<(String, &'a Expr)> {
    match m {
        Meta::NameValue(nv) => Ok((path_name(&nv.path), &nv.value)),
        _ => Err(err(m, format!("expected `key = value` in {what}"))),
    }
}

pub(crate) fn path_name(p: &syn::Path) -> String {
    p.segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

pub(crate) fn parse(attr: proc_macro2::TokenStream) -> syn::Result<ProgramArgs> {
    let mut out = ProgramArgs::default();
    let metas = syn::parse::Parser::parse2(Punctuated::<Meta, Token![,]>::parse_terminated, attr)?;
    for m in &metas {
        let key = path_name(m.path());
        match (key.as_str(), m) {
            ("name", Meta::NameValue(nv)) => out.name = Some(lit_str(&nv.value)?),
            ("dependency", Meta::List(list)) => out.dependencies.push(dependency(list)?),
            ("constructor", Meta::List(list)) => {
                if out.constructor.is_some() {
                    return Err(err(m, "a program has at most one constructor"));
                }
                out.constructor = Some(constructor(list)?);
            }
            _ => {
                return Err(err(
                    m,
                    "expected `name = \"..\"`, `dependency(name = .., original_id = .., version = ..)` \
                     or `constructor(noupgrade | admin = \"0x..\" | checksum(..))`",
                ));
            }
        }
    }
    Ok(out)
}

fn dependency(list: &syn::MetaList) -> syn::Result<Dependency> {
    let (mut name, mut id, mut version) = (None, None, None);
    for m in nested(list)? {
        let (k, v) = name_value(&m, "dependency(..)")?;
        match k.as_str() {
            "name" => name = Some(lit_str(v)?),
            "original_id" => id = Some(address(v)?),
            "version" => version = Some(lit_u64(v)?),
            _ => {
                return Err(err(
                    &m,
                    "dependency fields are name, original_id and version",
                ));
            }
        }
    }
    match (name, id, version) {
        (Some(name), Some(original_id), Some(version)) => Ok(Dependency {
            name,
            original_id,
            version,
        }),
        _ => Err(err(
            list,
            "dependency(..) needs name, original_id and version",
        )),
    }
}

fn constructor(list: &syn::MetaList) -> syn::Result<ConstructorPolicy> {
    let forms = nested(list)?;
    let [form] = forms.iter().collect::<Vec<_>>()[..] else {
        return Err(err(list, "constructor(..) takes exactly one form"));
    };
    let key = path_name(form.path());
    match (key.as_str(), form) {
        ("noupgrade", Meta::Path(_)) => Ok(ConstructorPolicy::NoUpgrade),
        ("admin", Meta::NameValue(nv)) => Ok(ConstructorPolicy::Admin(address(&nv.value)?)),
        ("checksum", Meta::List(l)) => {
            let (mut program, mut item, mut key) = (None, None, None);
            for m in nested(l)? {
                let (k, v) = name_value(&m, "checksum(..)")?;
                match k.as_str() {
                    "program" => program = Some(address(v)?),
                    "item" => item = Some(lit_str(v)?),
                    // `key = self`: this package's original id, resolved when
                    // the constructor runs; recorded as the empty key.
                    "key" if matches!(v, Expr::Path(p) if p.path.is_ident("self")) => {
                        key = Some(Vec::new())
                    }
                    "key" => {
                        return Err(err(
                            v,
                            "use `key = self`, `key_hex = \"0x..\"` (the map key's borsh bytes) \
                             or `key_str = \"..\"` (a String map key)",
                        ));
                    }
                    "key_hex" => key = Some(hex_bytes(v)?),
                    "key_str" => key = Some(borsh::to_vec(&lit_str(v)?).unwrap_or_default()),
                    _ => return Err(err(&m, "checksum fields are program, item and key")),
                }
            }
            match (program, item, key) {
                (Some(program), Some(item), Some(key)) => {
                    Ok(ConstructorPolicy::Checksum { program, item, key })
                }
                _ => Err(err(l, "checksum(..) needs program, item and key")),
            }
        }
        ("custom", _) => Err(err(
            form,
            "a custom constructor is a function: put #[constructor(custom)] on it inside the module",
        )),
        _ => Err(err(
            form,
            "constructor forms: noupgrade, admin = \"0x..\", checksum(program = \"0x..\", item = \"..\", key = ..)",
        )),
    }
}
