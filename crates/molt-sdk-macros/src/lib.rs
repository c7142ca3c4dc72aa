//! The `#[molt_sdk::program]` attribute: exports, host-ABI lowering and the
//! `molt:interface` section of a Molt program.
//!
//! The attribute goes on an inline module. Inside it:
//!
//! | item | becomes |
//! |---|---|
//! | `#[storage] static NAME: Item<T>;` / `Map<K, V>` / `VersionGuard` | a storage declaration named `name` (lowercased; `#[storage(name = "..")]` overrides) |
//! | `#[public]`, `#[entry]`, `#[internal]` fn, optionally with `#[view]` | a declared function, exported as `molt:fn:<name>` |
//! | `#[init] fn` | `molt:init`, `init: true` |
//! | `#[constructor(custom)] fn` | `molt:constructor` with the `Custom` policy |
//! | `#[event] struct` | an event named after the struct |
//! | `#[errors] enum` with `#[error(code = N, message = "..")]` variants | error declarations |
//! | structs and enums deriving `BorshSerialize`/`BorshDeserialize` | named types |
//! | anything else | left as it is (helpers are plain Rust) |
//!
//! The attribute's own arguments: `name = ".."` (default: the module's
//! name), `dependency(name = "..", original_id = "0x..", version = N)`
//! (repeatable) and a built-in constructor `constructor(noupgrade)`,
//! `constructor(admin = "0x..")` or
//! `constructor(checksum(program = "0x..", item = "..", key = self))`.
//!
//! The interface is built here, at expansion time, validated with
//! `molt_interface`, borsh-encoded and placed in a `molt:interface` link
//! section on wasm32; on other targets the module gets `__molt_interface()`
//! and a dispatcher for the SDK's test host instead.

mod args;
mod types;

use args::{lit_str, path_name};
use molt_interface::{
    ConstructorDecl, ConstructorPolicy, ErrorDecl, EventDecl, Field, FunctionDecl, Interface,
    Param, StorageDecl, StorageKind, TypeDef, TypeKind, TypeRef, Variant, Visibility,
};
use proc_macro::TokenStream;
use proc_macro2::{Literal, Span, TokenStream as TokenStream2, TokenTree};
use quote::{ToTokens, format_ident, quote};
use syn::spanned::Spanned;
use syn::{Attribute, Fields, FnArg, Item, ItemFn, Pat, ReturnType, Type};
use types::{Declared, last_segment, type_args, type_ref};

/// Codes at and above this are the SDK's (`molt_sdk::error::SDK_CODE_BASE`).
const SDK_CODE_BASE: u32 = 1_000_000;
/// The SDK's reserved errors, listed in every interface; mirrors
/// `molt_sdk::error::codes::ALL` (a test in molt-sdk keeps them equal).
const SDK_ERRORS: &[(u32, &str, &str)] = &[
    (
        1_000_001,
        "SdkBadArguments",
        "the arguments do not decode as the function's parameters",
    ),
    (
        1_000_002,
        "SdkCorruptStorage",
        "a stored value does not decode as its declared type",
    ),
    (
        1_000_003,
        "SdkMissingStorage",
        "a required storage item is not set",
    ),
    (
        1_000_004,
        "SdkBadCallResult",
        "a cross-program call returned bytes of another type",
    ),
    (
        1_000_005,
        "SdkNotCallable",
        "the function does not exist or may not be called this way",
    ),
    (
        1_000_010,
        "SdkWrongVersion",
        "the state belongs to another version of this package",
    ),
    (
        1_000_011,
        "SdkPaused",
        "the state is paused for a migration",
    ),
    (1_000_012, "SdkNotAdmin", "only the admin may do this"),
    (
        1_000_013,
        "SdkBadMigration",
        "a migration must move the state to a newer version",
    ),
    (
        1_000_020,
        "SdkConstructorRejected",
        "the package's constructor rejected this publish or upgrade",
    ),
];

/// Turns an inline module into a Molt program. See the crate docs.
#[proc_macro_attribute]
pub fn program(attr: TokenStream, item: TokenStream) -> TokenStream {
    match expand(attr.into(), item.into()) {
        Ok(ts) => ts.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

fn err(span: &impl Spanned, msg: impl std::fmt::Display) -> syn::Error {
    syn::Error::new(span.span(), msg)
}

/// The attribute names this macro consumes inside the module.
const OWN_ATTRS: &[&str] = &[
    "storage",
    "public",
    "entry",
    "internal",
    "view",
    "init",
    "constructor",
    "event",
    "errors",
];

fn attr_name(a: &Attribute) -> String {
    path_name(a.path())
}

fn take_attrs(attrs: &mut Vec<Attribute>, names: &[&str]) -> Vec<Attribute> {
    let (taken, kept) = attrs
        .drain(..)
        .partition(|a| names.contains(&attr_name(a).as_str()));
    *attrs = kept;
    taken
}

/// The last-segment names of everything in `#[derive(..)]` attributes.
fn derives(attrs: &[Attribute]) -> Vec<String> {
    let mut out = Vec::new();
    for a in attrs.iter().filter(|a| a.path().is_ident("derive")) {
        let _ = a.parse_nested_meta(|m| {
            if let Some(seg) = m.path.segments.last() {
                out.push(seg.ident.to_string());
            }
            Ok(())
        });
    }
    out
}

fn has_borsh(attrs: &[Attribute]) -> bool {
    derives(attrs)
        .iter()
        .any(|d| d == "BorshSerialize" || d == "BorshDeserialize")
}

/// Points borsh's derives at the SDK's re-export, so programs need no direct
/// borsh dependency.
fn add_borsh_crate(attrs: &mut Vec<Attribute>) {
    let has_crate = attrs.iter().any(|a| {
        a.path().is_ident("borsh") && a.meta.to_token_stream().to_string().contains("crate")
    });
    if !has_crate {
        attrs.push(syn::parse_quote!(#[borsh(crate = "::molt_sdk::borsh")]));
    }
}

/// A `#[storage] static NAME: T;` item (no initializer: syn keeps it verbatim).
struct StorageStatic {
    attrs: Vec<Attribute>,
    vis: syn::Visibility,
    ident: syn::Ident,
    ty: Type,
}

impl syn::parse::Parse for StorageStatic {
    fn parse(input: syn::parse::ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        input.parse::<syn::Token![static]>()?;
        let ident = input.parse()?;
        input.parse::<syn::Token![:]>()?;
        let ty = input.parse()?;
        input.parse::<syn::Token![;]>()?;
        Ok(StorageStatic {
            attrs,
            vis,
            ident,
            ty,
        })
    }
}

fn public_if_inherited(vis: &mut syn::Visibility) {
    if matches!(vis, syn::Visibility::Inherited) {
        *vis = syn::parse_quote!(pub);
    }
}

/// A declared function, `#[init]` or the custom constructor.
struct Entrypoint {
    ident: syn::Ident,
    params: Vec<(syn::Ident, Type)>,
    /// The success type, `None` for `()`.
    returns: Option<Type>,
    /// Whether the function returns `Result<_, E>`.
    fallible: bool,
}

fn entrypoint(f: &ItemFn) -> syn::Result<Entrypoint> {
    let sig = &f.sig;
    if !sig.generics.params.is_empty() || sig.asyncness.is_some() || sig.variadic.is_some() {
        return Err(err(
            sig,
            "program functions cannot be generic, async or variadic",
        ));
    }
    let mut params = Vec::new();
    for input in &sig.inputs {
        let FnArg::Typed(pt) = input else {
            return Err(err(input, "program functions take no `self`"));
        };
        let Pat::Ident(pi) = &*pt.pat else {
            return Err(err(
                &pt.pat,
                "parameters must be plain names (`amount: u64`)",
            ));
        };
        params.push((pi.ident.clone(), (*pt.ty).clone()));
    }
    if params.len() > 12 {
        return Err(err(
            &sig.inputs,
            "at most 12 parameters (pass a struct for more)",
        ));
    }
    let (returns, fallible) = match &sig.output {
        ReturnType::Default => (None, false),
        ReturnType::Type(_, ty) => match last_segment(ty) {
            Some(seg) if seg.ident == "Result" => match type_args(seg).as_slice() {
                [ok, _] => (Some((*ok).clone()), true),
                _ => return Err(err(ty, "use `Result<T, E>` with E an #[errors] enum")),
            },
            _ => (Some((**ty).clone()), false),
        },
    };
    let returns = returns.filter(|t| !matches!(t, Type::Tuple(t) if t.elems.is_empty()));
    Ok(Entrypoint {
        ident: sig.ident.clone(),
        params,
        returns,
        fallible,
    })
}

impl Entrypoint {
    /// `fn __molt_shim_<f>(args: &[u8])`: decode, call, hand back the result.
    fn shim(&self, shim: &syn::Ident) -> TokenStream2 {
        let f = &self.ident;
        let fname = f.to_string();
        let names: Vec<_> = self.params.iter().map(|(n, _)| n).collect();
        let tys: Vec<_> = self.params.iter().map(|(_, t)| t).collect();
        let expected = format!(
            "({})",
            tys.iter()
                .map(|t| t.to_token_stream().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        let call = quote!(#f(#(#names),*));
        let finish = match (&self.returns, self.fallible) {
            (None, false) => quote!(#call;),
            (Some(_), false) => quote!(::molt_sdk::__private::ret(&#call);),
            (None, true) => quote!(::molt_sdk::__private::unit_result(#call);),
            (Some(_), true) => quote!(::molt_sdk::__private::ret_result(#call);),
        };
        quote! {
            #[doc(hidden)]
            #[allow(clippy::let_unit_value, unused_variables)]
            pub fn #shim(__molt_args: &[u8]) {
                let (#(#names,)*): (#(#tys,)*) =
                    ::molt_sdk::__private::decode_args(__molt_args, #fname, #expected);
                #finish
            }
        }
    }

    /// The wasm32 export `name` calling `shim` with the lowered signature.
    fn export(&self, export: &str, shim: &syn::Ident) -> TokenStream2 {
        let wrapper = format_ident!("__molt_export_{}", self.ident);
        if self.params.is_empty() {
            quote! {
                #[cfg(target_arch = "wasm32")]
                #[allow(unsafe_code)]
                #[unsafe(export_name = #export)]
                extern "C" fn #wrapper() {
                    #shim(&[])
                }
            }
        } else {
            quote! {
                #[cfg(target_arch = "wasm32")]
                #[allow(unsafe_code)]
                #[unsafe(export_name = #export)]
                extern "C" fn #wrapper(ptr: i32, len: i32) {
                    // SAFETY: the host placed the arguments with `molt_alloc`.
                    #shim(unsafe { ::molt_sdk::__private::args(ptr, len) })
                }
            }
        }
    }
}

/// Token text independent of the compiler's pretty-printer: one space after
/// every token except joint punctuation. Doc comments are excluded by the
/// caller, so editing them does not change a constructor's digest.
fn canonical_text(ts: TokenStream2, out: &mut String) {
    for tt in ts {
        match tt {
            TokenTree::Group(g) => {
                let (open, close) = match g.delimiter() {
                    proc_macro2::Delimiter::Parenthesis => ("(", ")"),
                    proc_macro2::Delimiter::Bracket => ("[", "]"),
                    proc_macro2::Delimiter::Brace => ("{", "}"),
                    proc_macro2::Delimiter::None => ("", ""),
                };
                out.push_str(open);
                out.push(' ');
                canonical_text(g.stream(), out);
                out.push_str(close);
                out.push(' ');
            }
            TokenTree::Ident(i) => {
                out.push_str(&i.to_string());
                out.push(' ');
            }
            TokenTree::Punct(p) => {
                out.push(p.as_char());
                if p.spacing() == proc_macro2::Spacing::Alone {
                    out.push(' ');
                }
            }
            TokenTree::Literal(l) => {
                out.push_str(&l.to_string());
                out.push(' ');
            }
        }
    }
}

fn fields_of(fields: &Fields, declared: &Declared) -> syn::Result<Vec<Field>> {
    let mut out = Vec::new();
    for (i, f) in fields.iter().enumerate() {
        let skipped = f.attrs.iter().any(|a| {
            a.path().is_ident("borsh") && a.meta.to_token_stream().to_string().contains("skip")
        });
        if skipped {
            continue;
        }
        let name = f
            .ident
            .as_ref()
            .map_or_else(|| i.to_string(), |id| id.to_string());
        out.push(Field {
            name,
            ty: type_ref(&f.ty, declared)?,
        });
    }
    Ok(out)
}

fn storage_kind(ty: &Type, declared: &Declared) -> syn::Result<StorageKind> {
    let seg = last_segment(ty).ok_or_else(|| {
        err(
            ty,
            "storage is declared as Item<T>, Map<K, V> or VersionGuard",
        )
    })?;
    let args = type_args(seg);
    match (seg.ident.to_string().as_str(), args.as_slice()) {
        ("Item", [v]) => Ok(StorageKind::Singleton {
            value: type_ref(v, declared)?,
        }),
        ("Map", [k, v]) => Ok(StorageKind::Map {
            key: type_ref(k, declared)?,
            value: type_ref(v, declared)?,
        }),
        ("VersionGuard", []) => Ok(StorageKind::Singleton {
            value: TypeRef::Tuple(vec![TypeRef::U64, TypeRef::Address]),
        }),
        _ => Err(err(
            ty,
            "storage is declared as Item<T>, Map<K, V> or VersionGuard",
        )),
    }
}

/// The storage name: `#[storage(name = "..")]` or the lowercased identifier.
fn storage_name(attr: &Attribute, ident: &syn::Ident) -> syn::Result<String> {
    let mut name = ident.to_string().to_lowercase();
    if let syn::Meta::List(_) = &attr.meta {
        attr.parse_nested_meta(|m| {
            if m.path.is_ident("name") {
                name = lit_str(&m.value()?.parse()?)?;
                Ok(())
            } else {
                Err(m.error("expected #[storage(name = \"..\")]"))
            }
        })?;
    }
    Ok(name)
}

/// `#[error(code = N, message = "..")]`, the message defaulting to the
/// variant's doc comment.
fn error_decl(v: &syn::Variant) -> syn::Result<ErrorDecl> {
    if !matches!(v.fields, Fields::Unit) {
        return Err(err(v, "error variants carry no data"));
    }
    let mut code = None;
    let mut message = None;
    for a in v.attrs.iter().filter(|a| a.path().is_ident("error")) {
        a.parse_nested_meta(|m| {
            if m.path.is_ident("code") {
                let n: syn::LitInt = m.value()?.parse()?;
                code = Some(n.base10_parse::<u32>()?);
            } else if m.path.is_ident("message") {
                let s: syn::LitStr = m.value()?.parse()?;
                message = Some(s.value());
            } else {
                return Err(m.error("expected code = N or message = \"..\""));
            }
            Ok(())
        })?;
    }
    if message.is_none() {
        let doc: Vec<String> = v
            .attrs
            .iter()
            .filter(|a| a.path().is_ident("doc"))
            .filter_map(|a| match &a.meta {
                syn::Meta::NameValue(nv) => lit_str(&nv.value).ok(),
                _ => None,
            })
            .map(|s| s.trim().to_string())
            .collect();
        if !doc.is_empty() {
            message = Some(doc.join(" ").trim().to_string());
        }
    }
    let Some(code) = code else {
        return Err(err(
            v,
            "error variants need #[error(code = N, message = \"..\")]",
        ));
    };
    if code == 0 || code >= SDK_CODE_BASE {
        return Err(err(
            v,
            format!("error codes are 1..{SDK_CODE_BASE} (0 is a panic; above is the SDK's)"),
        ));
    }
    let Some(message) = message else {
        return Err(err(
            v,
            "error variants need a message: #[error(code = N, message = \"..\")] or a doc comment",
        ));
    };
    Ok(ErrorDecl {
        code,
        name: v.ident.to_string(),
        message,
    })
}

fn add_missing_derives(attrs: &mut Vec<Attribute>, wanted: &[&str], path: TokenStream2) {
    let have = derives(attrs);
    let missing: Vec<_> = wanted
        .iter()
        .filter(|w| !have.iter().any(|h| h == *w))
        .map(|w| {
            let id = syn::Ident::new(w, Span::call_site());
            quote!(#path #id)
        })
        .collect();
    if !missing.is_empty() {
        attrs.push(syn::parse_quote!(#[derive(#(#missing),*)]));
    }
}

fn expand(attr: TokenStream2, item: TokenStream2) -> syn::Result<TokenStream2> {
    let program_args = args::parse(attr)?;
    let mut module: syn::ItemMod = syn::parse2(item)?;
    let Some((_, items)) = module.content.take() else {
        return Err(err(
            &module,
            "#[molt_sdk::program] goes on an inline module: `mod name { .. }`",
        ));
    };
    let name = program_args
        .name
        .clone()
        .unwrap_or_else(|| module.ident.to_string());
    let mut iface = Interface::new(name);
    iface.dependencies = program_args.dependencies.clone();

    // Pass 1: the names of interface types.
    let mut declared = Declared::new();
    for item in &items {
        match item {
            Item::Struct(s)
                if has_borsh(&s.attrs) || s.attrs.iter().any(|a| a.path().is_ident("event")) =>
            {
                declared.insert(s.ident.to_string());
            }
            Item::Enum(e)
                if has_borsh(&e.attrs) && !e.attrs.iter().any(|a| a.path().is_ident("errors")) =>
            {
                declared.insert(e.ident.to_string());
            }
            _ => {}
        }
    }

    // Pass 2: declarations and generated code.
    let mut out_items: Vec<TokenStream2> = Vec::new();
    let mut generated: Vec<TokenStream2> = Vec::new();
    let mut dispatch_arms: Vec<TokenStream2> = Vec::new();
    let mut custom_ctor: Option<(Span, ConstructorDecl, TokenStream2)> = None;
    let mut init_seen: Option<Span> = None;
    let mut errors: Vec<ErrorDecl> = Vec::new();
    let mut errors_seen = false;

    for item in items {
        match item {
            Item::Verbatim(tokens) => {
                let Ok(mut st) = syn::parse2::<StorageStatic>(tokens.clone()) else {
                    out_items.push(tokens);
                    continue;
                };
                let taken = take_attrs(&mut st.attrs, &["storage"]);
                let [storage_attr] = taken.as_slice() else {
                    out_items.push(tokens);
                    continue;
                };
                let sname = storage_name(storage_attr, &st.ident)?;
                iface.storage.push(StorageDecl {
                    name: sname.clone(),
                    kind: storage_kind(&st.ty, &declared)?,
                });
                public_if_inherited(&mut st.vis);
                let StorageStatic {
                    attrs,
                    vis,
                    ident,
                    ty,
                } = st;
                out_items.push(quote! {
                    #(#attrs)*
                    #vis static #ident: #ty = <#ty>::new(#sname);
                });
            }
            Item::Static(s) if s.attrs.iter().any(|a| a.path().is_ident("storage")) => {
                return Err(err(
                    &s,
                    "write storage declarations without an initializer: `#[storage] static NAME: Item<T>;`",
                ));
            }
            Item::Fn(mut f) => {
                let own = take_attrs(&mut f.attrs, OWN_ATTRS);
                if own.is_empty() {
                    out_items.push(f.into_token_stream());
                    continue;
                }
                let names: Vec<String> = own.iter().map(attr_name).collect();
                let has = |n: &str| names.iter().any(|x| x == n);
                let ep = entrypoint(&f)?;
                public_if_inherited(&mut f.vis);
                let fname = ep.ident.to_string();
                if has("init") || has("constructor") {
                    if names.len() > 1 {
                        return Err(err(
                            &f.sig,
                            "#[init] and #[constructor] stand alone on a function",
                        ));
                    }
                    if !ep.params.is_empty() || ep.returns.is_some() {
                        return Err(err(
                            &f.sig,
                            "#[init] and #[constructor] functions take no parameters and return () or Result<(), E>",
                        ));
                    }
                    let f_ident = &ep.ident;
                    let call = if ep.fallible {
                        quote!(::molt_sdk::__private::unit_result(#f_ident()))
                    } else {
                        quote!(#f_ident())
                    };
                    if has("init") {
                        if init_seen.is_some() {
                            return Err(err(&f.sig, "a program has at most one #[init] function"));
                        }
                        init_seen = Some(f.sig.span());
                        iface.init = true;
                        generated.push(quote! {
                            /// Runs `init` as the node does at first publish.
                            pub fn __molt_init() { #call; }
                            #[cfg(target_arch = "wasm32")]
                            #[allow(unsafe_code)]
                            #[unsafe(export_name = "molt:init")]
                            extern "C" fn __molt_export_init() { __molt_init() }
                        });
                    } else {
                        let ctor_attr = &own[0];
                        if let syn::Meta::List(l) = &ctor_attr.meta
                            && l.tokens.to_string().trim() != "custom"
                        {
                            return Err(err(
                                ctor_attr,
                                "on a function write #[constructor(custom)]; built-in forms go in #[molt_sdk::program(constructor(..))]",
                            ));
                        }
                        if custom_ctor.is_some() {
                            return Err(err(&f.sig, "a program has at most one constructor"));
                        }
                        let mut digest_item = f.clone();
                        digest_item.attrs.retain(|a| !a.path().is_ident("doc"));
                        let mut text = String::new();
                        canonical_text(digest_item.into_token_stream(), &mut text);
                        let decl = ConstructorDecl {
                            policy: ConstructorPolicy::Custom,
                            code_digest: molt_types::sha3_256(text.as_bytes()),
                        };
                        custom_ctor = Some((f.sig.span(), decl, call));
                    }
                    out_items.push(f.into_token_stream());
                    continue;
                }
                let vis_names: Vec<&String> = names
                    .iter()
                    .filter(|n| ["public", "entry", "internal"].contains(&n.as_str()))
                    .collect();
                let visibility = match vis_names.as_slice() {
                    [] if has("view") => Visibility::Public,
                    [v] => match v.as_str() {
                        "public" => Visibility::Public,
                        "entry" => Visibility::Entry,
                        _ => Visibility::Internal,
                    },
                    _ => {
                        return Err(err(
                            &f.sig,
                            "a function is exactly one of #[public], #[entry], #[internal]",
                        ));
                    }
                };
                if let Some(a) = own.iter().find(|a| {
                    !["public", "entry", "internal", "view"].contains(&attr_name(a).as_str())
                }) {
                    return Err(err(a, "this attribute does not go on a declared function"));
                }
                let view = has("view");
                let params = ep
                    .params
                    .iter()
                    .map(|(n, t)| {
                        Ok(Param {
                            name: n.to_string(),
                            ty: type_ref(t, &declared)?,
                        })
                    })
                    .collect::<syn::Result<Vec<_>>>()?;
                let returns = match &ep.returns {
                    Some(t) => type_ref(t, &declared)?,
                    None => TypeRef::Unit,
                };
                iface.functions.push(FunctionDecl {
                    name: fname.clone(),
                    visibility,
                    view,
                    params,
                    returns,
                });
                let shim = format_ident!("__molt_shim_{}", ep.ident);
                generated.push(ep.shim(&shim));
                generated.push(ep.export(&format!("molt:fn:{fname}"), &shim));
                let vis_str = match visibility {
                    Visibility::Public => "public",
                    Visibility::Entry => "entry",
                    Visibility::Internal => "internal",
                };
                dispatch_arms.push(quote! {
                    #fname => {
                        ::molt_sdk::__private::begin_call(kind, #vis_str, #view, #fname);
                        #shim(args)
                    }
                });
                out_items.push(f.into_token_stream());
            }
            Item::Struct(mut s) => {
                let own = take_attrs(&mut s.attrs, OWN_ATTRS);
                let is_event = own.iter().any(|a| a.path().is_ident("event"));
                if let Some(a) = own.iter().find(|a| !a.path().is_ident("event")) {
                    return Err(err(a, "on a struct only #[event] is allowed"));
                }
                if declared.contains(&s.ident.to_string()) {
                    if !s.generics.params.is_empty() {
                        return Err(err(&s.generics, "interface types cannot be generic"));
                    }
                    if is_event {
                        add_missing_derives(
                            &mut s.attrs,
                            &["BorshSerialize", "BorshDeserialize"],
                            quote!(::molt_sdk::),
                        );
                        let ident = &s.ident;
                        let ename = ident.to_string();
                        generated.push(quote! {
                            impl ::molt_sdk::Event for #ident {
                                const NAME: &'static str = #ename;
                            }
                        });
                        iface.events.push(EventDecl {
                            name: ename.clone(),
                            ty: TypeRef::Named(ename),
                        });
                    }
                    add_borsh_crate(&mut s.attrs);
                    iface.types.push(TypeDef {
                        name: s.ident.to_string(),
                        kind: TypeKind::Struct {
                            fields: fields_of(&s.fields, &declared)?,
                        },
                    });
                }
                out_items.push(s.into_token_stream());
            }
            Item::Enum(mut e) => {
                let own = take_attrs(&mut e.attrs, OWN_ATTRS);
                let is_errors = own.iter().any(|a| a.path().is_ident("errors"));
                if let Some(a) = own.iter().find(|a| !a.path().is_ident("errors")) {
                    return Err(err(a, "on an enum only #[errors] is allowed"));
                }
                if is_errors {
                    if errors_seen {
                        return Err(err(&e.ident, "a program has at most one #[errors] enum"));
                    }
                    errors_seen = true;
                    let mut codes = Vec::new();
                    let mut messages = Vec::new();
                    let mut idents = Vec::new();
                    for v in &mut e.variants {
                        let decl = error_decl(v)?;
                        v.attrs.retain(|a| !a.path().is_ident("error"));
                        codes.push(decl.code);
                        messages.push(decl.message.clone());
                        idents.push(v.ident.clone());
                        errors.push(decl);
                    }
                    add_missing_derives(
                        &mut e.attrs,
                        &["Debug", "Clone", "Copy", "PartialEq", "Eq"],
                        quote!(),
                    );
                    let ident = &e.ident;
                    generated.push(quote! {
                        impl ::molt_sdk::ErrorCode for #ident {
                            fn code(&self) -> u32 {
                                match self { #(Self::#idents => #codes,)* }
                            }
                            fn message(&self) -> &'static str {
                                match self { #(Self::#idents => #messages,)* }
                            }
                        }
                    });
                } else if declared.contains(&e.ident.to_string()) {
                    if !e.generics.params.is_empty() {
                        return Err(err(&e.generics, "interface types cannot be generic"));
                    }
                    add_borsh_crate(&mut e.attrs);
                    let variants = e
                        .variants
                        .iter()
                        .map(|v| {
                            Ok(Variant {
                                name: v.ident.to_string(),
                                fields: fields_of(&v.fields, &declared)?,
                            })
                        })
                        .collect::<syn::Result<Vec<_>>>()?;
                    iface.types.push(TypeDef {
                        name: e.ident.to_string(),
                        kind: TypeKind::Enum { variants },
                    });
                }
                out_items.push(e.into_token_stream());
            }
            other => out_items.push(other.into_token_stream()),
        }
    }

    // Errors: the program's, then the SDK's reserved ones.
    iface.errors = errors;
    for (code, name, message) in SDK_ERRORS {
        iface.errors.push(ErrorDecl {
            code: *code,
            name: (*name).into(),
            message: (*message).into(),
        });
    }

    // The constructor.
    match (&program_args.constructor, custom_ctor) {
        (Some(_), Some((span, _, _))) => {
            return Err(syn::Error::new(
                span,
                "a program has one constructor: either the built-in form in #[program(constructor(..))] or a #[constructor(custom)] function",
            ));
        }
        (Some(policy), None) => {
            let digest = molt_types::sha3_256(&borsh::to_vec(policy).unwrap_or_default());
            iface.constructor = Some(ConstructorDecl {
                policy: policy.clone(),
                code_digest: digest,
            });
            let body = match policy {
                ConstructorPolicy::NoUpgrade => {
                    quote!(::molt_sdk::__private::constructor::noupgrade())
                }
                ConstructorPolicy::Admin(a) => {
                    let bytes = a.0;
                    quote!(::molt_sdk::__private::constructor::admin([#(#bytes),*]))
                }
                ConstructorPolicy::Checksum { program, item, key } => {
                    let bytes = program.0;
                    let key = Literal::byte_string(key);
                    quote!(::molt_sdk::__private::constructor::checksum([#(#bytes),*], #item, #key))
                }
                ConstructorPolicy::Custom => unreachable_custom(),
            };
            generated.push(constructor_export(body));
        }
        (None, Some((_, decl, call))) => {
            iface.constructor = Some(decl);
            generated.push(constructor_export(quote!(#call;)));
        }
        (None, None) => {}
    }

    iface
        .validate()
        .map_err(|e| err(&module.ident, format!("invalid program interface: {e}")))?;
    let bytes = borsh::to_vec(&iface).map_err(|e| err(&module.ident, e))?;
    let len = bytes.len();
    let bytes_lit = Literal::byte_string(&bytes);

    let deps = if iface.dependencies.is_empty() {
        quote!()
    } else {
        let consts = iface.dependencies.iter().map(|d| {
            let id = format_ident!("{}", d.name.to_uppercase());
            let bytes = d.original_id.0;
            let doc = format!("Original id of dependency `{}` (linked at version {}).", d.name, d.version);
            quote!(#[doc = #doc] pub const #id: ::molt_sdk::Address = ::molt_sdk::Address([#(#bytes),*]);)
        });
        quote!(
            /// The dependencies declared in `#[molt_sdk::program(..)]`.
            pub mod deps { #(#consts)* }
        )
    };

    let ident = &module.ident;
    let vis = &module.vis;
    let attrs = &module.attrs;
    Ok(quote! {
        #(#attrs)*
        #vis mod #ident {
            #(#out_items)*

            #(#generated)*

            #deps

            #[cfg(target_arch = "wasm32")]
            #[allow(unsafe_code)]
            #[unsafe(link_section = "molt:interface")]
            #[used]
            static __MOLT_INTERFACE: [u8; #len] = *#bytes_lit;

            /// The borsh-encoded interface this module carries on wasm32.
            #[cfg(not(target_arch = "wasm32"))]
            #[doc(hidden)]
            pub const __MOLT_INTERFACE_BYTES: &[u8] = #bytes_lit;

            /// The program's interface, as the node will read it from the module.
            #[cfg(not(target_arch = "wasm32"))]
            pub fn __molt_interface() -> ::molt_sdk::testing::Interface {
                ::molt_sdk::__private::decode_interface(__MOLT_INTERFACE_BYTES)
            }

            /// Calls a declared function by name, as the node would (for
            /// `molt_sdk::testing::TestEnv`).
            #[cfg(not(target_arch = "wasm32"))]
            #[doc(hidden)]
            pub fn __molt_dispatch(kind: ::molt_sdk::__private::CallKind, func: &str, args: &[u8]) {
                match func {
                    #(#dispatch_arms)*
                    _ => ::molt_sdk::__private::unknown_function(func),
                }
            }
        }
    })
}

fn constructor_export(body: TokenStream2) -> TokenStream2 {
    quote! {
        /// Runs the constructor as the node does at publish and upgrade.
        pub fn __molt_constructor() { #body; }
        #[cfg(target_arch = "wasm32")]
        #[allow(unsafe_code)]
        #[unsafe(export_name = "molt:constructor")]
        extern "C" fn __molt_export_constructor() { __molt_constructor() }
    }
}

/// `Custom` never comes from the attribute's arguments (args.rs rejects it).
fn unreachable_custom() -> TokenStream2 {
    quote!(::core::compile_error!("custom constructors are functions"))
}

#[cfg(test)]
mod tests;
