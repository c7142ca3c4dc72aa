//! Reading framework packages for the pages: a `view` call with JSON
//! arguments and a JSON result, both through the package's on-chain
//! interface (so a framework release that adds fields still reads), and
//! the typed RPC answers rendered as JSON.

use super::PageError;
use molt_runtime::Query;
use molt_types::Address;
use serde_json::Value;

/// Gas for one view call of a page (capped by the chain's budget).
const VIEW_GAS: u64 = u64::MAX;

/// `package::function(args)` at the query's height, decoded to JSON.
/// `Ok(None)` if the package has no such view (an older framework
/// release); an error if the call fails or its result does not decode.
pub(super) fn view(
    q: &Query<'_>,
    package: &Address,
    function: &str,
    args: Value,
) -> Result<Option<Value>, PageError> {
    let Some(version) = q.package(package)? else {
        return Ok(None);
    };
    let Some(decl) = version.interface.function(function) else {
        return Ok(None);
    };
    if !decl.view {
        return Ok(None);
    }
    let bytes = molt_interface::encode_args(&version.interface, decl, &args)
        .map_err(|e| PageError::BadRequest(format!("{package}::{function}: {e}")))?;
    let (out, _) = q
        .view(package, function, &bytes, VIEW_GAS)
        .map_err(|e| PageError::Node(format!("{package}::{function} failed: {e}")))?;
    molt_interface::decode_to_json(&version.interface, &decl.returns, &out)
        .map(Some)
        .map_err(|e| {
            PageError::Node(format!(
                "{package}::{function} returned bytes its interface does not describe: {e}"
            ))
        })
}

/// Like [`view`], for a number (0 if the view is missing).
pub(super) fn view_u64(
    q: &Query<'_>,
    package: &Address,
    function: &str,
    args: Value,
) -> Result<u64, PageError> {
    Ok(view(q, package, function, args)?
        .and_then(|v| v.as_u64())
        .unwrap_or(0))
}

/// A typed RPC answer as JSON, or its error message as a page error.
pub(super) fn answer<T: serde::Serialize>(
    a: Result<T, jsonrpsee::types::ErrorObjectOwned>,
) -> Result<Value, PageError> {
    match a {
        Ok(v) => serde_json::to_value(v).map_err(|e| PageError::Node(e.to_string())),
        Err(e) if e.code() == molt_rpc_types::ErrorCode::NotFound.code() => {
            Err(PageError::NotFound(e.message().to_string()))
        }
        Err(e) if e.code() == molt_rpc_types::ErrorCode::InvalidParams.code() => {
            Err(PageError::BadRequest(e.message().to_string()))
        }
        Err(e) => Err(PageError::Node(e.message().to_string())),
    }
}

/// An address from a page path or form.
pub(super) fn address(text: &str, what: &str) -> Result<Address, PageError> {
    text.parse().map_err(|_| {
        PageError::BadRequest(format!(
            "{text:?} is not {what} (0x followed by 64 hex digits)"
        ))
    })
}

/// A height or id from a page path or form.
pub(super) fn number(text: &str, what: &str) -> Result<u64, PageError> {
    text.parse()
        .map_err(|_| PageError::BadRequest(format!("{text:?} is not {what} (a whole number)")))
}
