//! `#[errors]` enums: a program's error declarations, and the SDK's reserved
//! codes they may not use.

use crate::attrs::path_text;
use crate::err;
use molt_interface::ErrorDecl;
use std::collections::BTreeMap;
use syn::{Attribute, Expr, ExprLit, Fields, Lit, LitInt, LitStr, Meta};

/// The SDK's reserved codes, compiled from the file `molt_sdk::error::codes`
/// is compiled from, so the two can never disagree.
#[allow(dead_code)]
mod reserved {
    include!("../../molt-sdk/src/error/codes.rs");
}

use reserved::SDK_CODE_BASE;

/// The SDK's reserved errors, listed after the program's in every interface.
pub(crate) fn sdk_errors() -> impl Iterator<Item = ErrorDecl> {
    reserved::ALL.iter().map(|(code, name, message)| ErrorDecl {
        code: *code,
        name: (*name).into(),
        message: (*message).into(),
    })
}

/// Why a program may not declare `code`, if it may not.
fn reserved_code(code: u32) -> Option<String> {
    let range = format!("program error codes are 1..{SDK_CODE_BASE}");
    if code == reserved::PANIC {
        return Some(format!(
            "error code {code} is the SDK's panic code; {range}"
        ));
    }
    if let Some((_, name, _)) = reserved::ALL.iter().find(|(c, ..)| *c == code) {
        return Some(format!(
            "error code {code} is reserved by the SDK ({name}); {range}"
        ));
    }
    if code >= SDK_CODE_BASE {
        return Some(format!(
            "error codes from {SDK_CODE_BASE} up are reserved by the SDK; {range}"
        ));
    }
    None
}

/// The arguments of one variant's `#[error(code = N, message = "..")]`.
struct ErrorArgs {
    code: Option<(u32, LitInt)>,
    message: Option<String>,
}

const ERROR_FORM: &str = "write #[error(code = N, message = \"..\")] (the message may instead be the variant's doc comment)";

fn error_args(attr: &Attribute) -> syn::Result<ErrorArgs> {
    if !matches!(attr.meta, Meta::List(_)) {
        return Err(err(attr, ERROR_FORM));
    }
    let mut args = ErrorArgs {
        code: None,
        message: None,
    };
    attr.parse_nested_meta(|m| {
        if m.path.is_ident("code") {
            if args.code.is_some() {
                return Err(m.error("duplicate `code`"));
            }
            let lit: LitInt = m.value()?.parse()?;
            args.code = Some((lit.base10_parse()?, lit));
        } else if m.path.is_ident("message") {
            if args.message.is_some() {
                return Err(m.error("duplicate `message`"));
            }
            let lit: LitStr = m.value()?.parse()?;
            args.message = Some(lit.value());
        } else {
            return Err(m.error(format!(
                "unknown #[error] argument `{}`: expected `code = N` or `message = \"..\"`",
                path_text(&m.path)
            )));
        }
        Ok(())
    })?;
    Ok(args)
}

/// The variant's doc comment as one line, if it has one.
fn doc_message(v: &syn::Variant) -> syn::Result<Option<String>> {
    let mut lines = Vec::new();
    for a in v.attrs.iter().filter(|a| a.path().is_ident("doc")) {
        match &a.meta {
            Meta::NameValue(nv) => match &nv.value {
                Expr::Lit(ExprLit {
                    lit: Lit::Str(s), ..
                }) => lines.push(s.value().trim().to_string()),
                other => {
                    return Err(err(
                        other,
                        "this doc comment is not a string literal, so it cannot be the error's \
                         message: write #[error(code = N, message = \"..\")]",
                    ));
                }
            },
            other => return Err(err(other, "expected a doc comment: #[doc = \"..\"]")),
        }
    }
    Ok((!lines.is_empty()).then(|| lines.join(" ").trim().to_string()))
}

/// The declarations of an `#[errors]` enum's variants, in order; removes the
/// `#[error(..)]` attributes, which are this macro's.
pub(crate) fn take_error_decls(e: &mut syn::ItemEnum) -> syn::Result<Vec<ErrorDecl>> {
    let sdk_names: Vec<&str> = reserved::ALL.iter().map(|(_, name, _)| *name).collect();
    let mut by_code: BTreeMap<u32, syn::Ident> = BTreeMap::new();
    let mut out = Vec::new();
    for v in &mut e.variants {
        if !matches!(v.fields, Fields::Unit) {
            return Err(err(&v.fields, "error variants carry no data"));
        }
        if sdk_names.iter().any(|n| v.ident == n) {
            return Err(err(
                &v.ident,
                format!(
                    "`{}` is the name of one of the SDK's errors, which every interface lists: \
                     rename the variant",
                    v.ident
                ),
            ));
        }
        let mut args = None;
        for a in v.attrs.iter().filter(|a| a.path().is_ident("error")) {
            if args.is_some() {
                return Err(err(a, "one #[error(..)] per variant"));
            }
            args = Some(error_args(a)?);
        }
        let ErrorArgs { code, message } = args.ok_or_else(|| err(&*v, ERROR_FORM))?;
        let Some((code, code_lit)) = code else {
            return Err(err(&*v, format!("this variant has no code: {ERROR_FORM}")));
        };
        if let Some(why) = reserved_code(code) {
            return Err(err(&code_lit, why));
        }
        if let Some(first) = by_code.get(&code) {
            return Err(err(
                &code_lit,
                format!("error code {code} is already used by `{first}`"),
            ));
        }
        by_code.insert(code, v.ident.clone());
        let message = match message {
            Some(m) => m,
            None => doc_message(v)?.ok_or_else(|| {
                err(
                    &*v,
                    "error variants need a message: #[error(code = N, message = \"..\")] or a doc comment",
                )
            })?,
        };
        v.attrs.retain(|a| !a.path().is_ident("error"));
        out.push(ErrorDecl {
            code,
            name: v.ident.to_string(),
            message,
        });
    }
    Ok(out)
}
