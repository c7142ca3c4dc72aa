//! The `#[program(..)]` arguments: name, dependencies, built-in constructor.

use crate::attrs::path_text;
use crate::err;
use molt_interface::{ConstructorPolicy, Dependency};
use molt_types::Address;
use std::str::FromStr;
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Lit, Meta, MetaList, Token};

#[derive(Default)]
pub(crate) struct ProgramArgs {
    pub name: Option<String>,
    pub dependencies: Vec<Dependency>,
    pub constructor: Option<ConstructorPolicy>,
}

const NAME_FORM: &str = "name = \"..\"";
const DEPENDENCY_FORM: &str = "dependency(name = \"..\", original_id = \"0x..\", version = N)";
const CONSTRUCTOR_FORMS: &str = "constructor(noupgrade), constructor(admin = \"0x..\") or \
     constructor(checksum(program = \"0x..\", item = \"..\", key = self | key_hex = \"0x..\" | key_str = \"..\"))";

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

fn nested(list: &MetaList) -> syn::Result<Punctuated<Meta, Token![,]>> {
    list.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)
}

/// `key = value` inside `what(..)`: the key's name and the value.
fn name_value<'a>(m: &'a Meta, what: &str) -> syn::Result<(String, &'a Expr)> {
    match m {
        Meta::NameValue(nv) => Ok((path_text(&nv.path), &nv.value)),
        _ => Err(err(m, format!("expected `key = value` in {what}"))),
    }
}

/// Sets `slot` once; a second `key` is an error at `at`.
fn set_once<T>(
    slot: &mut Option<T>,
    value: T,
    at: &impl quote::ToTokens,
    key: &str,
) -> syn::Result<()> {
    if slot.is_some() {
        return Err(err(at, format!("duplicate `{key}`")));
    }
    *slot = Some(value);
    Ok(())
}

pub(crate) fn parse(attr: proc_macro2::TokenStream) -> syn::Result<ProgramArgs> {
    let mut out = ProgramArgs::default();
    let metas = syn::parse::Parser::parse2(Punctuated::<Meta, Token![,]>::parse_terminated, attr)?;
    let mut constructor = None;
    for m in &metas {
        let path = m.path();
        if path.is_ident("name") {
            let Meta::NameValue(nv) = m else {
                return Err(err(m, format!("write {NAME_FORM}")));
            };
            set_once(&mut out.name, lit_str(&nv.value)?, &nv.path, "name")?;
        } else if path.is_ident("dependency") {
            let Meta::List(list) = m else {
                return Err(err(m, format!("write {DEPENDENCY_FORM}")));
            };
            let dep = dependency(list)?;
            if out.dependencies.iter().any(|d| d.name == dep.name) {
                return Err(err(
                    list,
                    format!("dependency `{}` is declared twice", dep.name),
                ));
            }
            out.dependencies.push(dep);
        } else if path.is_ident("constructor") {
            let Meta::List(list) = m else {
                return Err(err(m, format!("write {CONSTRUCTOR_FORMS}")));
            };
            if constructor.is_some() {
                return Err(err(m, "a program has at most one constructor"));
            }
            constructor = Some(self::constructor(list)?);
        } else {
            return Err(err(
                path,
                format!(
                    "unknown argument `{}`: #[molt_sdk::program] takes {NAME_FORM}, \
                     {DEPENDENCY_FORM} (repeatable) and one of {CONSTRUCTOR_FORMS}",
                    path_text(path)
                ),
            ));
        }
    }
    out.constructor = constructor;
    Ok(out)
}

fn dependency(list: &MetaList) -> syn::Result<Dependency> {
    let (mut name, mut id, mut version) = (None, None, None);
    for m in nested(list)? {
        let (k, v) = name_value(&m, "dependency(..)")?;
        let at = m.path();
        match k.as_str() {
            "name" => set_once(&mut name, lit_str(v)?, at, "name")?,
            "original_id" => set_once(&mut id, address(v)?, at, "original_id")?,
            "version" => set_once(&mut version, lit_u64(v)?, at, "version")?,
            _ => {
                return Err(err(
                    at,
                    format!(
                        "unknown dependency field `{k}`: the fields are name, original_id and version"
                    ),
                ));
            }
        }
    }
    // Without `original_id`, `molt publish` and `molt upgrade` give it: the dependency's
    // `Molt.lock` entry for the target chain, in MOLT_DEP_<NAME>.
    let id = match (id, &name) {
        (None, Some(n)) => match std::env::var(crate::import::address_var(n)) {
            Ok(v) => Some(Address::from_str(v.trim()).map_err(|e| {
                err(
                    list,
                    format!(
                        "the environment variable {} is not an address ({v:?}): {e}",
                        crate::import::address_var(n)
                    ),
                )
            })?),
            Err(_) => {
                return Err(err(
                    list,
                    format!(
                        "dependency `{n}` has no original_id: give `original_id = \"0x..\"`, or \
                         declare it in Cargo.toml (`[package.metadata.molt.dependencies] {n} = \
                         {{ path = \"..\", version = N }}`) and build with `molt publish`, \
                         `molt upgrade` or `molt verify-source`, which set {}",
                        crate::import::address_var(n)
                    ),
                ));
            }
        },
        (id, _) => id,
    };
    match (name, id, version) {
        (Some(name), Some(original_id), Some(version)) => Ok(Dependency {
            name,
            original_id,
            version,
        }),
        (name, id, version) => {
            let missing: Vec<&str> = [
                ("name", name.is_none()),
                ("original_id", id.is_none()),
                ("version", version.is_none()),
            ]
            .into_iter()
            .filter_map(|(k, m)| m.then_some(k))
            .collect();
            Err(err(
                list,
                format!(
                    "dependency(..) is missing {}: write {DEPENDENCY_FORM}",
                    missing.join(", ")
                ),
            ))
        }
    }
}

fn constructor(list: &MetaList) -> syn::Result<ConstructorPolicy> {
    let forms = nested(list)?;
    let [form] = forms.iter().collect::<Vec<_>>()[..] else {
        return Err(err(
            list,
            format!("constructor(..) takes exactly one form: {CONSTRUCTOR_FORMS}"),
        ));
    };
    match form {
        Meta::Path(p) if p.is_ident("noupgrade") => Ok(ConstructorPolicy::NoUpgrade),
        Meta::NameValue(nv) if nv.path.is_ident("admin") => {
            Ok(ConstructorPolicy::Admin(address(&nv.value)?))
        }
        Meta::List(l) if l.path.is_ident("checksum") => checksum(l),
        _ if form.path().is_ident("custom") => Err(err(
            form,
            "a custom constructor is a function: put #[constructor(custom)] on it inside the module",
        )),
        _ => Err(err(
            form,
            format!("unknown constructor form: write {CONSTRUCTOR_FORMS}"),
        )),
    }
}

fn checksum(l: &MetaList) -> syn::Result<ConstructorPolicy> {
    const FIELDS: &str = "the fields are program = \"0x..\", item = \"..\" and one of \
                          key = self, key_hex = \"0x..\" (the map key's borsh bytes) or \
                          key_str = \"..\" (a String map key)";
    let (mut program, mut item, mut key) = (None, None, None);
    for m in nested(l)? {
        let (k, v) = name_value(&m, "checksum(..)")?;
        let at = m.path();
        let key_bytes = match k.as_str() {
            "program" => {
                set_once(&mut program, address(v)?, at, "program")?;
                continue;
            }
            "item" => {
                set_once(&mut item, lit_str(v)?, at, "item")?;
                continue;
            }
            // `key = self`: this package's original id, resolved when the
            // constructor runs; recorded as the empty key.
            "key" if matches!(v, Expr::Path(p) if p.path.is_ident("self")) => Vec::new(),
            "key" => {
                return Err(err(
                    v,
                    "use `key = self`, `key_hex = \"0x..\"` (the map key's borsh bytes) \
                     or `key_str = \"..\"` (a String map key)",
                ));
            }
            "key_hex" => hex_bytes(v)?,
            "key_str" => borsh::to_vec(&lit_str(v)?).unwrap_or_default(),
            _ => return Err(err(at, format!("unknown checksum field `{k}`: {FIELDS}"))),
        };
        if key.is_some() {
            return Err(err(
                at,
                "checksum(..) takes one key: key, key_hex or key_str",
            ));
        }
        key = Some(key_bytes);
    }
    match (program, item, key) {
        (Some(program), Some(item), Some(key)) => {
            Ok(ConstructorPolicy::Checksum { program, item, key })
        }
        _ => Err(err(
            l,
            format!("checksum(..) needs program, item and a key: {FIELDS}"),
        )),
    }
}
