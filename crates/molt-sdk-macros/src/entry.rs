//! Declared functions, `init` and the custom constructor: their signatures,
//! the shims that decode arguments, the wasm32 exports, and the canonical
//! token text a custom constructor's digest is taken over.

use crate::err;
use crate::types::{last_segment, type_args};
use proc_macro2::{TokenStream as TokenStream2, TokenTree};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, Pat, ReturnType, Type};

/// A declared function, `#[init]` or the custom constructor.
pub(crate) struct Entrypoint {
    pub ident: syn::Ident,
    pub params: Vec<(syn::Ident, Type)>,
    /// The success type, `None` for `()`.
    pub returns: Option<Type>,
    /// Whether the function returns `Result<_, E>`.
    pub fallible: bool,
    /// The span of `E`, where a wrong error type is reported.
    pub error_span: proc_macro2::Span,
}

pub(crate) fn entrypoint(f: &ItemFn) -> syn::Result<Entrypoint> {
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
    let (returns, fallible, error_span) = match &sig.output {
        ReturnType::Default => (None, false, sig.ident.span()),
        ReturnType::Type(_, ty) => match last_segment(ty) {
            Some(seg) if seg.ident == "Result" => match type_args(seg).as_slice() {
                [ok, e] => (Some((*ok).clone()), true, e.span()),
                _ => {
                    return Err(err(
                        ty,
                        "use `Result<T, E>` with E an #[errors] enum or `molt_sdk::ProgramError`",
                    ));
                }
            },
            _ => (Some((**ty).clone()), false, ty.span()),
        },
    };
    let returns = returns.filter(|t| !matches!(t, Type::Tuple(t) if t.elems.is_empty()));
    Ok(Entrypoint {
        ident: sig.ident.clone(),
        params,
        returns,
        fallible,
        error_span,
    })
}

impl Entrypoint {
    /// `fn __molt_shim_<f>(args: &[u8])`: decode, call, hand back the result.
    pub(crate) fn shim(&self, shim: &syn::Ident) -> TokenStream2 {
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
            (None, true) => {
                quote_spanned!(self.error_span=> ::molt_sdk::__private::unit_result(#call);)
            }
            (Some(_), true) => {
                quote_spanned!(self.error_span=> ::molt_sdk::__private::ret_result(#call);)
            }
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
    pub(crate) fn export(&self, export: &str, shim: &syn::Ident) -> TokenStream2 {
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
pub(crate) fn canonical_text(ts: TokenStream2, out: &mut String) {
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
