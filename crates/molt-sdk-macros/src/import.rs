//! `molt_sdk::import!`: a typed client of another package, generated from
//! the interface its module carries.
//!
//! ```ignore
//! molt_sdk::import!(name = "counter", wasm = "../../counter/counter.wasm", address = "0xc0");
//! ```
//!
//! 1. `wasm` is read, relative to the directory of the source file that
//!    invokes the macro (as `include_bytes!` resolves paths; `molt build`
//!    stages a crate, so `CARGO_MANIFEST_DIR` is not the crate's directory).
//!    Its `molt:interface` section is decoded and validated with
//!    `molt_interface`, exactly as the node reads it at publish. Without
//!    `wasm`, the path is the environment variable `MOLT_DEP_<NAME>_WASM`,
//!    which `molt publish`, `molt upgrade` and `molt verify-source` set for
//!    a dependency declared by name in the crate's Cargo.toml: the module
//!    of the linked version, fetched from the chain.
//! 2. The address is `address = "0x.."` if given, else the environment
//!    variable `MOLT_DEP_<NAME>` (the name upper-cased, `-` as `_`) if set
//!    at build time, else there is none.
//! 3. The expansion is a module named `name` holding:
//!    - every named type of the interface, as a Rust struct or enum with
//!      borsh derives (fields and variants in the interface's order, which
//!      is the encoding's);
//!    - `Client { address }`, with one method per `public` function (the
//!      only ones another program may call), taking the declared parameter
//!      types and returning the declared result type;
//!    - with an address: `ADDRESS`, and one free function per `public`
//!      function calling the package at `ADDRESS`.
//!
//! Every generated function is `molt_sdk::call(&address, "name", &args)`
//! with the arguments passed as a hand-written call passes them (the value
//! for one parameter, a tuple for several, `()` for none), so a typed call
//! costs the same gas as the untyped one. A call with a function the
//! interface does not declare, or with arguments of other types, does not
//! compile.
//!
//! The expansion depends on the file and the environment variable through
//! `include_bytes!` and `option_env!` in unused constants, so cargo rebuilds
//! the importing crate when either changes; neither ends up in the module.

use crate::err;
use molt_interface::{Field, FunctionDecl, Interface, TypeDef, TypeKind, TypeRef, Visibility};
use molt_types::Address;
use proc_macro2::{Literal, Span, TokenStream as TokenStream2};
use quote::{format_ident, quote};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use syn::punctuated::Punctuated;
use syn::{LitStr, MetaNameValue, Token};

const FORM: &str =
    "write molt_sdk::import!(name = \"..\", wasm = \"path/to/module.wasm\" [, address = \"0x..\"])";

/// The macro's arguments.
struct ImportArgs {
    name: LitStr,
    wasm: Option<LitStr>,
    address: Option<LitStr>,
}

fn parse_args(input: TokenStream2) -> syn::Result<ImportArgs> {
    let args = syn::parse::Parser::parse2(
        Punctuated::<MetaNameValue, Token![,]>::parse_terminated,
        input.clone(),
    )
    .map_err(|e| syn::Error::new(e.span(), format!("{e}: {FORM}")))?;
    let (mut name, mut wasm, mut address) = (None, None, None);
    for arg in &args {
        let key = arg
            .path
            .get_ident()
            .map(|i| i.to_string())
            .unwrap_or_default();
        let slot = match key.as_str() {
            "name" => &mut name,
            "wasm" => &mut wasm,
            "address" => &mut address,
            _ => {
                return Err(err(&arg.path, format!("unknown import argument: {FORM}")));
            }
        };
        if slot.is_some() {
            return Err(err(arg, format!("`{key}` is given twice")));
        }
        let value = crate::args::lit_str(&arg.value)?;
        *slot = Some(LitStr::new(&value, arg_span(&arg.value)));
    }
    let missing = |what: &str| err(&input, format!("missing `{what}`: {FORM}"));
    Ok(ImportArgs {
        name: name.ok_or_else(|| missing("name"))?,
        wasm,
        address,
    })
}

fn arg_span(e: &syn::Expr) -> Span {
    syn::spanned::Spanned::span(e)
}

/// The environment variable that gives the address of import `name`.
pub(crate) fn address_var(name: &str) -> String {
    format!("MOLT_DEP_{}", name.to_uppercase().replace('-', "_"))
}

/// The environment variable that gives the module of import `name`.
pub(crate) fn wasm_var(name: &str) -> String {
    format!("{}_WASM", address_var(name))
}

/// Reads `wasm` (relative to `base`) and returns its path and interface.
fn read_interface(wasm: &LitStr, base: Option<&Path>) -> syn::Result<(PathBuf, Interface)> {
    let rel = PathBuf::from(wasm.value());
    let path = match base {
        Some(b) if rel.is_relative() => b.join(&rel),
        _ => rel,
    };
    let bytes = std::fs::read(&path).map_err(|e| {
        err(
            wasm,
            format!(
                "cannot read {}: {e}. Build the dependency first (`molt build DIR`) or fix the \
                 path, which is relative to the directory of this source file",
                path.display()
            ),
        )
    })?;
    let section = molt_interface::find_section(&bytes)
        .map_err(|e| {
            err(
                wasm,
                format!("{} is not a valid module: {e}", path.display()),
            )
        })?
        .ok_or_else(|| {
            err(
                wasm,
                format!(
                    "{} has no molt:interface section: import a module built with molt-sdk",
                    path.display()
                ),
            )
        })?;
    let iface = molt_interface::decode_section(section).map_err(|e| {
        err(
            wasm,
            format!("the interface of {} is invalid: {e}", path.display()),
        )
    })?;
    Ok((path, iface))
}

/// An identifier for an interface name (raw if it is a Rust keyword).
fn ident(name: &str) -> syn::Ident {
    if syn::parse_str::<syn::Ident>(name).is_ok() {
        format_ident!("{name}")
    } else {
        syn::Ident::new_raw(name, Span::call_site())
    }
}

fn rust_type(t: &TypeRef) -> TokenStream2 {
    match t {
        TypeRef::Unit => quote!(()),
        TypeRef::Bool => quote!(bool),
        TypeRef::U8 => quote!(u8),
        TypeRef::U16 => quote!(u16),
        TypeRef::U32 => quote!(u32),
        TypeRef::U64 => quote!(u64),
        TypeRef::U128 => quote!(u128),
        TypeRef::I8 => quote!(i8),
        TypeRef::I16 => quote!(i16),
        TypeRef::I32 => quote!(i32),
        TypeRef::I64 => quote!(i64),
        TypeRef::I128 => quote!(i128),
        TypeRef::String => quote!(::molt_sdk::prelude::String),
        TypeRef::Bytes => quote!(::molt_sdk::prelude::Vec<u8>),
        TypeRef::Address => quote!(::molt_sdk::Address),
        TypeRef::Digest => quote!(::molt_sdk::Digest),
        TypeRef::Option(t) => {
            let t = rust_type(t);
            quote!(::core::option::Option<#t>)
        }
        TypeRef::Vec(t) => {
            let t = rust_type(t);
            quote!(::molt_sdk::prelude::Vec<#t>)
        }
        TypeRef::Tuple(ts) => {
            let ts = ts.iter().map(rust_type);
            quote!((#(#ts,)*))
        }
        TypeRef::Array(t, n) => {
            let t = rust_type(t);
            let n = Literal::usize_unsuffixed(*n as usize);
            quote!([#t; #n])
        }
        TypeRef::Named(n) => {
            let n = ident(n);
            quote!(#n)
        }
    }
}

/// `{ a: T, .. }`, `(T, ..)` (fields named `0`, `1`, ..) or nothing.
fn fields(fs: &[Field], public: bool) -> TokenStream2 {
    let vis = if public { quote!(pub) } else { quote!() };
    if fs.is_empty() {
        return quote!();
    }
    let tys: Vec<_> = fs.iter().map(|f| rust_type(&f.ty)).collect();
    if fs
        .iter()
        .all(|f| f.name.bytes().all(|b| b.is_ascii_digit()))
    {
        quote!((#(#vis #tys),*))
    } else {
        let names = fs.iter().map(|f| ident(&f.name));
        quote!({ #(#vis #names: #tys),* })
    }
}

fn type_def(t: &TypeDef) -> TokenStream2 {
    let name = ident(&t.name);
    let derives = quote! {
        #[derive(::molt_sdk::BorshSerialize, ::molt_sdk::BorshDeserialize, Debug, Clone, PartialEq, Eq)]
        #[borsh(crate = "::molt_sdk::borsh")]
    };
    match &t.kind {
        TypeKind::Struct { fields: fs } => {
            let body = fields(fs, true);
            let semi = if fs.is_empty() || fs[0].name == "0" {
                quote!(;)
            } else {
                quote!()
            };
            quote!(#derives pub struct #name #body #semi)
        }
        TypeKind::Enum { variants } => {
            let vs = variants.iter().map(|v| {
                let vname = ident(&v.name);
                let body = fields(&v.fields, false);
                quote!(#vname #body)
            });
            quote!(#derives pub enum #name { #(#vs),* })
        }
    }
}

fn signature(f: &FunctionDecl) -> String {
    format!("`{f}`")
}

/// The parameter names (`arg<i>` where a name cannot be a Rust
/// identifier), their types, the argument expression and the result type.
fn call_parts(
    f: &FunctionDecl,
) -> (
    Vec<syn::Ident>,
    Vec<TokenStream2>,
    TokenStream2,
    TokenStream2,
) {
    let names: Vec<syn::Ident> = f
        .params
        .iter()
        .enumerate()
        .map(|(i, p)| match p.name.as_str() {
            "self" | "Self" | "super" | "crate" | "_" => format_ident!("arg{i}"),
            n => ident(n),
        })
        .collect();
    let tys = f.params.iter().map(|p| rust_type(&p.ty)).collect();
    let args = match names.as_slice() {
        [] => quote!(&()),
        [one] => quote!(&#one),
        many => quote!(&(#(#many),*)),
    };
    (names, tys, args, rust_type(&f.returns))
}

/// The expansion for `input`, with relative paths resolved against `base`.
pub(crate) fn expand(input: TokenStream2, base: Option<&Path>) -> syn::Result<TokenStream2> {
    let args = parse_args(input)?;
    let name = args.name.value();
    if syn::parse_str::<syn::Ident>(&name).is_err() {
        return Err(err(
            &args.name,
            "the import's name is the generated module's name: a Rust identifier such as \"counter\"",
        ));
    }
    let wasm_var = wasm_var(&name);
    let wasm = match &args.wasm {
        Some(w) => w.clone(),
        None => match std::env::var(&wasm_var) {
            Ok(v) => LitStr::new(&v, args.name.span()),
            Err(_) => {
                return Err(err(
                    &args.name,
                    format!(
                        "import `{name}` has no module: give `wasm = \"path/to/module.wasm\"`, or \
                         declare `{name}` in Cargo.toml (`[package.metadata.molt.dependencies] \
                         {name} = {{ path = \"..\", version = N }}`) and build with `molt publish`, \
                         `molt upgrade` or `molt verify-source`, which set {wasm_var}"
                    ),
                ));
            }
        },
    };
    let (path, iface) = read_interface(&wasm, base)?;
    if iface.types.iter().any(|t| t.name == "Client") {
        return Err(err(
            &wasm,
            "this interface declares a type named `Client`, the name of the generated client",
        ));
    }
    let var = address_var(&name);
    let address = match &args.address {
        Some(lit) => Some(
            Address::from_str(&lit.value())
                .map_err(|e| err(lit, format!("invalid address {:?}: {e}", lit.value())))?,
        ),
        None => match std::env::var(&var) {
            Ok(v) => Some(Address::from_str(v.trim()).map_err(|e| {
                err(
                    &args.name,
                    format!("the environment variable {var} is not an address ({v:?}): {e}"),
                )
            })?),
            Err(_) => None,
        },
    };

    let module = ident(&name);
    let types = iface.types.iter().map(type_def);
    let public: Vec<&FunctionDecl> = iface
        .functions
        .iter()
        .filter(|f| f.visibility == Visibility::Public)
        .collect();
    let methods = public.iter().map(|f| {
        let fname = ident(&f.name);
        let func = &f.name;
        let doc = format!("Calls {} of the package at `self.address`.", signature(f));
        let (names, tys, call_args, ret) = call_parts(f);
        quote! {
            #[doc = #doc]
            pub fn #fname(&self, #(#names: #tys),*) -> #ret {
                ::molt_sdk::call(&self.address, #func, #call_args)
            }
        }
    });
    let at_address = address.map(|a| {
        let bytes = a.0;
        let doc = format!("The `{name}` package this program calls (its original id).");
        let fns = public.iter().map(|f| {
            let fname = ident(&f.name);
            let func = &f.name;
            let doc = format!("Calls {} of the package at [`ADDRESS`].", signature(f));
            let (names, tys, call_args, ret) = call_parts(f);
            quote! {
                #[doc = #doc]
                pub fn #fname(#(#names: #tys),*) -> #ret {
                    ::molt_sdk::call(&ADDRESS, #func, #call_args)
                }
            }
        });
        quote! {
            #[doc = #doc]
            pub const ADDRESS: ::molt_sdk::Address = ::molt_sdk::Address([#(#bytes),*]);
            #(#fns)*
        }
    });
    // `include_bytes!` resolves a relative path against the invoking file,
    // `path` is relative to the compiler's working directory.
    let tracked = std::path::absolute(&path)
        .unwrap_or(path)
        .display()
        .to_string();
    let doc = format!(
        "The typed client of package `{}`, generated by `molt_sdk::import!` from `{}`.",
        iface.name,
        wasm.value()
    );
    Ok(quote! {
        #[doc = #doc]
        #[allow(dead_code, clippy::too_many_arguments)]
        pub mod #module {
            const _: &[u8] = include_bytes!(#tracked);
            const _: ::core::option::Option<&str> = ::core::option_env!(#var);
            const _: ::core::option::Option<&str> = ::core::option_env!(#wasm_var);

            #(#types)*

            /// A package with this interface at `address`.
            #[derive(Debug, Clone, Copy, PartialEq, Eq)]
            pub struct Client {
                pub address: ::molt_sdk::Address,
            }

            impl Client {
                pub const fn new(address: ::molt_sdk::Address) -> Self {
                    Client { address }
                }
                #(#methods)*
            }

            #at_address
        }
    })
}
