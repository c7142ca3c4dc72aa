//! The attributes the program macro reads, through syn's attribute API: its
//! own markers (`#[public]`, `#[storage(name = "..")]`, ...), `#[derive(..)]`
//! and `#[borsh(..)]`. An attribute is recognised by its path and read by
//! parsing its arguments, never by looking for words in its token text.

use crate::err;
use molt_interface::Visibility;
use syn::punctuated::Punctuated;
use syn::{Attribute, Ident, LitStr, Meta, Path, Token};

/// The marker attributes the program macro consumes inside the module.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum MarkerKind {
    Storage,
    Public,
    Entry,
    Internal,
    View,
    Init,
    Constructor,
    Event,
    Errors,
}

impl MarkerKind {
    const ALL: [MarkerKind; 9] = [
        MarkerKind::Storage,
        MarkerKind::Public,
        MarkerKind::Entry,
        MarkerKind::Internal,
        MarkerKind::View,
        MarkerKind::Init,
        MarkerKind::Constructor,
        MarkerKind::Event,
        MarkerKind::Errors,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            MarkerKind::Storage => "storage",
            MarkerKind::Public => "public",
            MarkerKind::Entry => "entry",
            MarkerKind::Internal => "internal",
            MarkerKind::View => "view",
            MarkerKind::Init => "init",
            MarkerKind::Constructor => "constructor",
            MarkerKind::Event => "event",
            MarkerKind::Errors => "errors",
        }
    }

    fn of_ident(ident: &Ident) -> Option<Self> {
        Self::ALL.into_iter().find(|k| ident == k.name())
    }

    /// The marker `attr` is: its path is exactly one of the marker names.
    pub(crate) fn of(attr: &Attribute) -> Option<Self> {
        Self::of_ident(attr.path().get_ident()?)
    }
}

/// A marker, read with its arguments.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) enum Marker {
    /// `#[storage]`, or `#[storage(name = "..")]` with the name.
    Storage {
        name: Option<String>,
    },
    /// `#[public]`, `#[entry]` or `#[internal]`.
    Visibility(Visibility),
    View,
    Init,
    /// `#[constructor(custom)]`, the only form a function can carry.
    CustomConstructor,
    Event,
    Errors,
}

/// A marker and the attribute it was read from (for error spans).
#[derive(Debug)]
pub(crate) struct Marked {
    pub kind: MarkerKind,
    pub marker: Marker,
    pub attr: Attribute,
}

/// Removes the markers from `attrs` and reads them; every other attribute
/// stays. Malformed or repeated markers are errors.
pub(crate) fn take_markers(attrs: &mut Vec<Attribute>) -> syn::Result<Vec<Marked>> {
    let mut markers: Vec<Marked> = Vec::new();
    let mut kept = Vec::new();
    for attr in std::mem::take(attrs) {
        let Some(kind) = MarkerKind::of(&attr) else {
            reject_marker_path(&attr)?;
            kept.push(attr);
            continue;
        };
        if markers.iter().any(|m| m.kind == kind) {
            return Err(err(&attr, format!("duplicate #[{}]", kind.name())));
        }
        markers.push(Marked {
            kind,
            marker: read_marker(kind, &attr)?,
            attr,
        });
    }
    *attrs = kept;
    Ok(markers)
}

/// Whether `attrs` has the marker `kind`, without reading its arguments
/// (for the first pass over the module, which only collects type names).
pub(crate) fn has_marker(attrs: &[Attribute], kind: MarkerKind) -> bool {
    attrs.iter().any(|a| MarkerKind::of(a) == Some(kind))
}

/// `#[molt_sdk::public]` and the like: the markers are not attribute macros
/// of their own, so such a path would reach rustc as an unknown attribute.
fn reject_marker_path(attr: &Attribute) -> syn::Result<()> {
    let segments = &attr.path().segments;
    if let [first, last] = segments.iter().collect::<Vec<_>>()[..]
        && first.ident == "molt_sdk"
        && let Some(kind) = MarkerKind::of_ident(&last.ident)
    {
        return Err(err(
            attr.path(),
            format!(
                "write #[{0}]: inside a #[molt_sdk::program] module the markers are plain names",
                kind.name()
            ),
        ));
    }
    Ok(())
}

fn read_marker(kind: MarkerKind, attr: &Attribute) -> syn::Result<Marker> {
    let marker = match kind {
        MarkerKind::Storage => return storage_args(attr).map(|name| Marker::Storage { name }),
        MarkerKind::Constructor => {
            return constructor_args(attr).map(|()| Marker::CustomConstructor);
        }
        MarkerKind::Public => Marker::Visibility(Visibility::Public),
        MarkerKind::Entry => Marker::Visibility(Visibility::Entry),
        MarkerKind::Internal => Marker::Visibility(Visibility::Internal),
        MarkerKind::View => Marker::View,
        MarkerKind::Init => Marker::Init,
        MarkerKind::Event => Marker::Event,
        MarkerKind::Errors => Marker::Errors,
    };
    match &attr.meta {
        Meta::Path(_) => Ok(marker),
        other => Err(err(
            other,
            format!("#[{0}] takes no arguments: write #[{0}]", kind.name()),
        )),
    }
}

/// `#[storage]` or `#[storage(name = "..")]`.
fn storage_args(attr: &Attribute) -> syn::Result<Option<String>> {
    match &attr.meta {
        Meta::Path(_) => Ok(None),
        Meta::NameValue(nv) => Err(err(
            nv,
            "write #[storage] or #[storage(name = \"..\")] to choose the storage name",
        )),
        Meta::List(_) => {
            let mut name = None;
            attr.parse_nested_meta(|m| {
                if !m.path.is_ident("name") {
                    return Err(m.error(format!(
                        "unknown #[storage] argument `{}`: the only one is `name = \"..\"`",
                        path_text(&m.path)
                    )));
                }
                if name.is_some() {
                    return Err(m.error("duplicate `name`"));
                }
                let lit: LitStr = m.value()?.parse()?;
                name = Some(lit.value());
                Ok(())
            })?;
            Ok(name)
        }
    }
}

/// `#[constructor(custom)]`, nothing else.
fn constructor_args(attr: &Attribute) -> syn::Result<()> {
    const HELP: &str = "on a function write #[constructor(custom)]; built-in forms \
                        (noupgrade, admin = \"0x..\", checksum(..)) go in \
                        #[molt_sdk::program(constructor(..))]";
    let Meta::List(list) = &attr.meta else {
        return Err(err(&attr.meta, HELP));
    };
    let forms = list
        .parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)
        .map_err(|e| err(&attr.meta, format!("{HELP} ({e})")))?;
    match forms.iter().collect::<Vec<_>>()[..] {
        [Meta::Path(p)] if p.is_ident("custom") => Ok(()),
        [form] => Err(err(form, HELP)),
        _ => Err(err(&attr.meta, HELP)),
    }
}

/// A path as written, for messages.
pub(crate) fn path_text(p: &Path) -> String {
    p.segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

/// The last-segment names of everything in `#[derive(..)]` attributes.
pub(crate) fn derive_names(attrs: &[Attribute]) -> syn::Result<Vec<Ident>> {
    let mut out = Vec::new();
    for a in attrs.iter().filter(|a| a.path().is_ident("derive")) {
        a.parse_nested_meta(|m| {
            if let Some(seg) = m.path.segments.last() {
                out.push(seg.ident.clone());
            }
            Ok(())
        })?;
    }
    Ok(out)
}

/// Whether the item derives borsh's `BorshSerialize` or `BorshDeserialize`.
pub(crate) fn derives_borsh(attrs: &[Attribute]) -> syn::Result<bool> {
    Ok(derive_names(attrs)?
        .iter()
        .any(|d| d == "BorshSerialize" || d == "BorshDeserialize"))
}

/// The arguments of `#[borsh(..)]` attributes (`crate`, `skip`,
/// `use_discriminant`, `bound`, ...): each name, and its value after `=`.
/// Parenthesized arguments (`bound(..)`) are borsh's business and skipped.
fn borsh_args(attrs: &[Attribute]) -> syn::Result<Vec<(Path, Option<syn::Expr>)>> {
    let mut args = Vec::new();
    for a in attrs.iter().filter(|a| a.path().is_ident("borsh")) {
        a.parse_nested_meta(|m| {
            let mut value = None;
            if m.input.peek(Token![=]) {
                value = Some(m.value()?.parse::<syn::Expr>()?);
            } else if m.input.peek(syn::token::Paren) {
                m.input.parse::<proc_macro2::TokenTree>()?;
            }
            args.push((m.path, value));
            Ok(())
        })?;
    }
    Ok(args)
}

/// `#[borsh(crate = "..")]` on a type: the user chose borsh's path.
pub(crate) fn borsh_names_crate(attrs: &[Attribute]) -> syn::Result<bool> {
    Ok(borsh_args(attrs)?.iter().any(|(k, _)| k.is_ident("crate")))
}

/// `#[borsh(skip)]` on a field: borsh neither writes nor reads it.
pub(crate) fn borsh_skips(attrs: &[Attribute]) -> syn::Result<bool> {
    Ok(borsh_args(attrs)?.iter().any(|(k, _)| k.is_ident("skip")))
}

/// Rejects the `#[borsh(..)]` arguments under which borsh would encode an
/// interface type differently from what the interface declares: a field's
/// own `serialize_with`/`deserialize_with`, and an enum's
/// `use_discriminant = true` (the interface identifies variants by position,
/// borsh would write the discriminant values).
pub(crate) fn reject_borsh_encoding_overrides(attrs: &[Attribute]) -> syn::Result<()> {
    for (key, value) in borsh_args(attrs)? {
        if key.is_ident("serialize_with") || key.is_ident("deserialize_with") {
            return Err(err(
                &key,
                format!(
                    "`{}` gives this field an encoding of its own, which the interface cannot \
                     describe: interface types use borsh's derived encoding of their declared \
                     field types",
                    path_text(&key)
                ),
            ));
        }
        let is_true = matches!(
            value,
            Some(syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Bool(syn::LitBool { value: true, .. }),
                ..
            }))
        );
        if key.is_ident("use_discriminant") && is_true {
            return Err(err(
                &key,
                "with `use_discriminant = true` borsh writes each variant's discriminant, \
                 but the interface identifies variants by position: write \
                 `use_discriminant = false`",
            ));
        }
    }
    Ok(())
}
