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
//! A marker is recognised by its path, a plain name (`#[public]`, not
//! `#[molt_sdk::public]`), and its arguments are parsed (module `attrs`);
//! nothing is read from token text. Arguments on a marker that takes none,
//! unknown or repeated arguments and a marker on an item it does not go on
//! are compile errors at the offending tokens. `#[errors]` codes may not use
//! the SDK's reserved codes, which come from the file that `molt_sdk::error::codes`
//! is compiled from (module `errors`).
//!
//! The attribute's own arguments: `name = ".."` (default: the module's
//! name), `dependency(name = "..", original_id = "0x..", version = N)`
//! (repeatable; without `original_id`, the environment variable
//! `MOLT_DEP_<NAME>` that `molt publish`/`molt upgrade` set from the
//! dependency's `Molt.lock`) and a built-in constructor `constructor(noupgrade)`,
//! `constructor(admin = "0x..")` or
//! `constructor(checksum(program = "0x..", item = "..", key = self))`.
//!
//! The interface is built here, at expansion time, validated with
//! `molt_interface`, borsh-encoded and placed in a `molt:interface` link
//! section on wasm32; on other targets the module gets `__molt_interface()`
//! and a dispatcher for the SDK's test host instead.

mod args;
mod attrs;
mod entry;
mod errors;
mod import;
mod types;

use attrs::{Marked, Marker, MarkerKind, take_markers};
use entry::{Entrypoint, canonical_text, entrypoint};
use molt_interface::{
    ConstructorDecl, ConstructorPolicy, ErrorDecl, EventDecl, Field, FunctionDecl, Interface,
    Param, StorageDecl, StorageKind, TypeDef, TypeKind, TypeRef, Variant, Visibility,
};
use proc_macro::TokenStream;
use proc_macro2::{Literal, Span, TokenStream as TokenStream2};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Attribute, Fields, Item, ItemEnum, ItemFn, ItemStruct, Type};
use types::{Declared, last_segment, type_args, type_ref};

/// Turns an inline module into a Molt program. See the crate docs.
#[proc_macro_attribute]
pub fn program(attr: TokenStream, item: TokenStream) -> TokenStream {
    match expand(attr.into(), item.into()) {
        Ok(ts) => ts.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// A typed client of another package, generated from its module's
/// interface: `molt_sdk::import!(name = "..", wasm = "..", address = "0x..")`.
/// See module `import`.
#[proc_macro]
pub fn import(input: TokenStream) -> TokenStream {
    // Relative to the invoking file, as `include_bytes!` resolves paths.
    let base = proc_macro::Span::call_site()
        .local_file()
        .and_then(|f| f.parent().map(std::path::Path::to_path_buf));
    match import::expand(input.into(), base.as_deref()) {
        Ok(ts) => ts.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// An error pointing at all of `tokens` (first to last token).
fn err(tokens: &impl ToTokens, msg: impl std::fmt::Display) -> syn::Error {
    syn::Error::new_spanned(tokens, msg)
}

/// A marker on an item it does not belong on.
fn misplaced(kind: MarkerKind, attr: &Attribute) -> syn::Error {
    let goes_on = match kind {
        MarkerKind::Storage => {
            "a static without an initializer: `#[storage] static NAME: Item<T>;`"
        }
        MarkerKind::Public
        | MarkerKind::Entry
        | MarkerKind::Internal
        | MarkerKind::View
        | MarkerKind::Init
        | MarkerKind::Constructor => "a function",
        MarkerKind::Event => "a struct",
        MarkerKind::Errors => "an enum",
    };
    err(
        attr,
        format!(
            "#[{}] does not go on this item: it goes on {goes_on}",
            kind.name()
        ),
    )
}

/// The attributes of the items the program macro does not otherwise read.
fn other_item_attrs(item: &Item) -> &[Attribute] {
    match item {
        Item::Const(i) => &i.attrs,
        Item::ExternCrate(i) => &i.attrs,
        Item::ForeignMod(i) => &i.attrs,
        Item::Impl(i) => &i.attrs,
        Item::Macro(i) => &i.attrs,
        Item::Mod(i) => &i.attrs,
        Item::Trait(i) => &i.attrs,
        Item::TraitAlias(i) => &i.attrs,
        Item::Type(i) => &i.attrs,
        Item::Union(i) => &i.attrs,
        Item::Use(i) => &i.attrs,
        _ => &[],
    }
}

/// Points borsh's derives at the SDK's re-export, so programs need no direct
/// borsh dependency.
fn add_borsh_crate(attrs: &mut Vec<Attribute>) -> syn::Result<()> {
    if !attrs::borsh_names_crate(attrs)? {
        attrs.push(syn::parse_quote!(#[borsh(crate = "::molt_sdk::borsh")]));
    }
    Ok(())
}

fn add_missing_derives(
    attrs: &mut Vec<Attribute>,
    wanted: &[&str],
    path: TokenStream2,
) -> syn::Result<()> {
    let have = attrs::derive_names(attrs)?;
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
    Ok(())
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

/// The outer attributes at the start of verbatim tokens, if they parse.
fn leading_attrs(tokens: TokenStream2) -> Option<Vec<Attribute>> {
    syn::parse::Parser::parse2(
        |input: syn::parse::ParseStream| {
            let attrs = input.call(Attribute::parse_outer)?;
            input.parse::<TokenStream2>()?;
            Ok(attrs)
        },
        tokens,
    )
    .ok()
}

fn public_if_inherited(vis: &mut syn::Visibility) {
    if matches!(vis, syn::Visibility::Inherited) {
        *vis = syn::parse_quote!(pub);
    }
}

fn fields_of(fields: &Fields, declared: &Declared) -> syn::Result<Vec<Field>> {
    let mut out = Vec::new();
    for (i, f) in fields.iter().enumerate() {
        attrs::reject_borsh_encoding_overrides(&f.attrs)?;
        if attrs::borsh_skips(&f.attrs)? {
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

/// The program as it is read, item by item, in declaration order.
struct Program {
    iface: Interface,
    /// The names of the module's interface types (the first pass).
    declared: Declared,
    /// The module's items, rewritten.
    out_items: Vec<TokenStream2>,
    /// Shims, exports and trait impls, after the items.
    generated: Vec<TokenStream2>,
    dispatch_arms: Vec<TokenStream2>,
    custom_ctor: Option<(Span, ConstructorDecl, TokenStream2)>,
    init_seen: bool,
    errors: Option<Vec<ErrorDecl>>,
    /// Each declaration's interface name and the item that declares it, in
    /// order, so that an invalid interface is reported at the item.
    declared_at: Vec<(String, Span)>,
}

impl Program {
    /// Where the declaration an interface error names is: the second of two
    /// with one name, else the first with that name.
    fn item_span(&self, e: &molt_interface::InterfaceError) -> Option<Span> {
        use molt_interface::InterfaceError as E;
        let named = |n: &String| {
            let n = n.clone();
            self.declared_at.iter().filter(move |(name, _)| *name == n)
        };
        match e {
            E::Duplicate { name, .. } => named(name).next_back(),
            E::BadName { name, .. } | E::InternalView { name } => named(name).next(),
            _ => None,
        }
        .map(|(_, span)| *span)
    }

    fn item(&mut self, item: Item) -> syn::Result<()> {
        match item {
            Item::Verbatim(tokens) => self.verbatim(tokens),
            Item::Static(s) => {
                if let Some((kind, a)) = s
                    .attrs
                    .iter()
                    .find_map(|a| MarkerKind::of(a).map(|k| (k, a)))
                {
                    return Err(if kind == MarkerKind::Storage {
                        err(
                            &s,
                            "write storage declarations without an initializer: `#[storage] static NAME: Item<T>;`",
                        )
                    } else {
                        misplaced(kind, a)
                    });
                }
                self.out_items.push(s.into_token_stream());
                Ok(())
            }
            Item::Fn(f) => self.function(f),
            Item::Struct(s) => self.structure(s),
            Item::Enum(e) => self.enumeration(e),
            other => {
                let mut attrs = other_item_attrs(&other).to_vec();
                if let Some(m) = take_markers(&mut attrs)?.first() {
                    return Err(misplaced(m.kind, &m.attr));
                }
                self.out_items.push(other.into_token_stream());
                Ok(())
            }
        }
    }

    /// Storage: syn keeps `static NAME: T;` (no initializer) as verbatim tokens.
    fn verbatim(&mut self, tokens: TokenStream2) -> syn::Result<()> {
        let Some(mut leading) = leading_attrs(tokens.clone()) else {
            self.out_items.push(tokens);
            return Ok(());
        };
        let markers = take_markers(&mut leading)?;
        if markers.is_empty() {
            self.out_items.push(tokens);
            return Ok(());
        }
        let mut name = None;
        for m in markers {
            match m.marker {
                Marker::Storage { name: n } => name = n,
                _ => return Err(misplaced(m.kind, &m.attr)),
            }
        }
        let mut st: StorageStatic = syn::parse2(tokens).map_err(|e| {
            syn::Error::new(
                e.span(),
                format!(
                    "#[storage] goes on `static NAME: Item<T>;` (or Map<K, V>, VersionGuard) \
                     without an initializer: {e}"
                ),
            )
        })?;
        // The same attributes again, now without the marker (read above).
        take_markers(&mut st.attrs)?;
        let sname = name.unwrap_or_else(|| st.ident.to_string().to_lowercase());
        self.declared_at.push((sname.clone(), st.ident.span()));
        self.iface.storage.push(StorageDecl {
            name: sname.clone(),
            kind: storage_kind(&st.ty, &self.declared)?,
        });
        public_if_inherited(&mut st.vis);
        let StorageStatic {
            attrs,
            vis,
            ident,
            ty,
        } = st;
        self.out_items.push(quote! {
            #(#attrs)*
            #vis static #ident: #ty = <#ty>::new(#sname);
        });
        Ok(())
    }

    fn function(&mut self, mut f: ItemFn) -> syn::Result<()> {
        let markers = take_markers(&mut f.attrs)?;
        if markers.is_empty() {
            self.out_items.push(f.into_token_stream());
            return Ok(());
        }
        if let Some(m) = markers.iter().find(|m| {
            matches!(
                m.marker,
                Marker::Storage { .. } | Marker::Event | Marker::Errors
            )
        }) {
            return Err(misplaced(m.kind, &m.attr));
        }
        let ep = entrypoint(&f)?;
        public_if_inherited(&mut f.vis);
        let special = markers
            .iter()
            .any(|m| matches!(m.marker, Marker::Init | Marker::CustomConstructor));
        if special {
            self.init_or_constructor(&f, &markers, &ep)?;
        } else {
            self.declared_function(&f, &markers, &ep)?;
        }
        self.out_items.push(f.into_token_stream());
        Ok(())
    }

    fn init_or_constructor(
        &mut self,
        f: &ItemFn,
        markers: &[Marked],
        ep: &Entrypoint,
    ) -> syn::Result<()> {
        let [marked] = markers else {
            return Err(err(
                &f.sig,
                "#[init] and #[constructor] stand alone on a function",
            ));
        };
        if !ep.params.is_empty() || ep.returns.is_some() {
            return Err(err(
                &f.sig,
                "#[init] and #[constructor] functions take no parameters and return () or Result<(), E>",
            ));
        }
        let f_ident = &ep.ident;
        let call = if ep.fallible {
            let at = ep.error_span;
            quote_spanned!(at=> ::molt_sdk::__private::unit_result(#f_ident()))
        } else {
            quote!(#f_ident())
        };
        if marked.marker == Marker::Init {
            if self.init_seen {
                return Err(err(&f.sig, "a program has at most one #[init] function"));
            }
            self.init_seen = true;
            self.iface.init = true;
            self.generated.push(quote! {
                /// Runs `init` as the node does at first publish.
                pub fn __molt_init() { #call; }
                #[cfg(target_arch = "wasm32")]
                #[allow(unsafe_code)]
                #[unsafe(export_name = "molt:init")]
                extern "C" fn __molt_export_init() { __molt_init() }
            });
            return Ok(());
        }
        if self.custom_ctor.is_some() {
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
        self.custom_ctor = Some((f.sig.span(), decl, call));
        Ok(())
    }

    fn declared_function(
        &mut self,
        f: &ItemFn,
        markers: &[Marked],
        ep: &Entrypoint,
    ) -> syn::Result<()> {
        let view = markers.iter().any(|m| m.marker == Marker::View);
        let visibilities: Vec<Visibility> = markers
            .iter()
            .filter_map(|m| match m.marker {
                Marker::Visibility(v) => Some(v),
                _ => None,
            })
            .collect();
        let visibility = match visibilities[..] {
            [] if view => Visibility::Public,
            [v] => v,
            _ => {
                return Err(err(
                    &f.sig,
                    "a function is exactly one of #[public], #[entry], #[internal]",
                ));
            }
        };
        let fname = ep.ident.to_string();
        self.declared_at.push((fname.clone(), ep.ident.span()));
        let params = ep
            .params
            .iter()
            .map(|(n, t)| {
                Ok(Param {
                    name: n.to_string(),
                    ty: type_ref(t, &self.declared)?,
                })
            })
            .collect::<syn::Result<Vec<_>>>()?;
        let returns = match &ep.returns {
            Some(t) => type_ref(t, &self.declared)?,
            None => TypeRef::Unit,
        };
        self.iface.functions.push(FunctionDecl {
            name: fname.clone(),
            visibility,
            view,
            params,
            returns,
        });
        let shim = format_ident!("__molt_shim_{}", ep.ident);
        self.generated.push(ep.shim(&shim));
        self.generated
            .push(ep.export(&format!("molt:fn:{fname}"), &shim));
        let vis_str = match visibility {
            Visibility::Public => "public",
            Visibility::Entry => "entry",
            Visibility::Internal => "internal",
        };
        self.dispatch_arms.push(quote! {
            #fname => {
                ::molt_sdk::__private::begin_call(kind, #vis_str, #view, #fname);
                #shim(args)
            }
        });
        Ok(())
    }

    fn structure(&mut self, mut s: ItemStruct) -> syn::Result<()> {
        let markers = take_markers(&mut s.attrs)?;
        if let Some(m) = markers.iter().find(|m| m.marker != Marker::Event) {
            return Err(misplaced(m.kind, &m.attr));
        }
        let is_event = !markers.is_empty();
        if self.declared.contains(&s.ident.to_string()) {
            self.declared_at.push((s.ident.to_string(), s.ident.span()));
            if !s.generics.params.is_empty() {
                return Err(err(&s.generics, "interface types cannot be generic"));
            }
            if is_event {
                add_missing_derives(
                    &mut s.attrs,
                    &["BorshSerialize", "BorshDeserialize"],
                    quote!(::molt_sdk::),
                )?;
                let ident = &s.ident;
                let ename = ident.to_string();
                self.generated.push(quote! {
                    impl ::molt_sdk::Event for #ident {
                        const NAME: &'static str = #ename;
                    }
                });
                self.iface.events.push(EventDecl {
                    name: ename.clone(),
                    ty: TypeRef::Named(ename),
                });
            }
            add_borsh_crate(&mut s.attrs)?;
            self.iface.types.push(TypeDef {
                name: s.ident.to_string(),
                kind: TypeKind::Struct {
                    fields: fields_of(&s.fields, &self.declared)?,
                },
            });
        }
        self.out_items.push(s.into_token_stream());
        Ok(())
    }

    fn enumeration(&mut self, mut e: ItemEnum) -> syn::Result<()> {
        let markers = take_markers(&mut e.attrs)?;
        if let Some(m) = markers.iter().find(|m| m.marker != Marker::Errors) {
            return Err(misplaced(m.kind, &m.attr));
        }
        if !markers.is_empty() {
            if self.errors.is_some() {
                return Err(err(&e.ident, "a program has at most one #[errors] enum"));
            }
            let decls = errors::take_error_decls(&mut e)?;
            let codes: Vec<u32> = decls.iter().map(|d| d.code).collect();
            let messages: Vec<&String> = decls.iter().map(|d| &d.message).collect();
            let idents: Vec<&syn::Ident> = e.variants.iter().map(|v| &v.ident).collect();
            let ident = &e.ident;
            let error_code_impl = quote! {
                impl ::molt_sdk::ErrorCode for #ident {
                    fn code(&self) -> u32 {
                        match self { #(Self::#idents => #codes,)* }
                    }
                    fn message(&self) -> &'static str {
                        match self { #(Self::#idents => #messages,)* }
                    }
                }
            };
            self.errors = Some(decls);
            add_missing_derives(
                &mut e.attrs,
                &["Debug", "Clone", "Copy", "PartialEq", "Eq"],
                quote!(),
            )?;
            self.generated.push(error_code_impl);
        } else if self.declared.contains(&e.ident.to_string()) {
            self.declared_at.push((e.ident.to_string(), e.ident.span()));
            if !e.generics.params.is_empty() {
                return Err(err(&e.generics, "interface types cannot be generic"));
            }
            attrs::reject_borsh_encoding_overrides(&e.attrs)?;
            add_borsh_crate(&mut e.attrs)?;
            let variants = e
                .variants
                .iter()
                .map(|v| {
                    Ok(Variant {
                        name: v.ident.to_string(),
                        fields: fields_of(&v.fields, &self.declared)?,
                    })
                })
                .collect::<syn::Result<Vec<_>>>()?;
            self.iface.types.push(TypeDef {
                name: e.ident.to_string(),
                kind: TypeKind::Enum { variants },
            });
        }
        self.out_items.push(e.into_token_stream());
        Ok(())
    }
}

/// Pass 1: the names of the module's interface types, so that signatures
/// may use a type declared further down.
fn declared_types(items: &[Item]) -> syn::Result<Declared> {
    let mut declared = Declared::new();
    for item in items {
        match item {
            Item::Struct(s)
                if attrs::derives_borsh(&s.attrs)?
                    || attrs::has_marker(&s.attrs, MarkerKind::Event) =>
            {
                declared.insert(s.ident.to_string());
            }
            Item::Enum(e)
                if attrs::derives_borsh(&e.attrs)?
                    && !attrs::has_marker(&e.attrs, MarkerKind::Errors) =>
            {
                declared.insert(e.ident.to_string());
            }
            _ => {}
        }
    }
    Ok(declared)
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

    let mut program = Program {
        iface,
        declared: declared_types(&items)?,
        out_items: Vec::new(),
        generated: Vec::new(),
        dispatch_arms: Vec::new(),
        custom_ctor: None,
        init_seen: false,
        errors: None,
        declared_at: Vec::new(),
    };
    // Pass 2: declarations and generated code.
    for item in items {
        program.item(item)?;
    }
    if let Err(e) = program.iface.validate() {
        let at = program.item_span(&e).unwrap_or_else(|| module.ident.span());
        return Err(syn::Error::new(
            at,
            format!("invalid program interface: {e}"),
        ));
    }
    let Program {
        mut iface,
        out_items,
        mut generated,
        dispatch_arms,
        custom_ctor,
        errors: program_errors,
        ..
    } = program;

    // Errors: the program's, then the SDK's reserved ones.
    iface.errors = program_errors.unwrap_or_default();
    iface.errors.extend(errors::sdk_errors());

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
            // Rebuilt when the CLI resolves the id to another one.
            let var = import::address_var(&d.name);
            quote!(
                #[doc = #doc] pub const #id: ::molt_sdk::Address = ::molt_sdk::Address([#(#bytes),*]);
                const _: ::core::option::Option<&str> = ::core::option_env!(#var);
            )
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
            // No `#[used]`: on wasm32 a link-section static is kept as the
            // custom section anyway, and `#[used]` would also keep a second
            // copy in the data section, where `dep_only` sees it as code.
            #[unsafe(link_section = "molt:interface")]
            static __MOLT_INTERFACE: [u8; #len] = [#(#bytes),*];

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
