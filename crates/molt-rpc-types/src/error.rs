//! Error codes and the errors of the JSON-RPC API.

use serde::{Deserialize, Serialize};

/// Every error code the node answers with (`docs/rpc.md`, "Errors").
/// Codes are stable; messages are for people and may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ErrorCode {
    /// `-32700`: the body is not JSON.
    ParseError,
    /// `-32600`: JSON, but not a JSON-RPC 2.0 request.
    InvalidRequest,
    /// `-32601`: no such method (or a subscription over HTTP).
    MethodNotFound,
    /// `-32602`: a parameter is missing, of the wrong type or malformed.
    InvalidParams,
    /// `-32603`: the node itself failed (its storage or its journal).
    Internal,
    /// `-32001`: a transaction refused at submission or by simulation.
    Rejected,
    /// `-32002`: no such block, transaction, package or state version.
    NotFound,
    /// `-32003`: a view call failed.
    ViewFailed,
    /// `-32006`: too many subscriptions on this connection.
    TooManySubscriptions,
    /// `-32007`: the request body is over the limit.
    RequestTooLarge,
    /// `-32008`: the response is over the limit.
    ResponseTooLarge,
    /// `-32009`: every connection slot is taken.
    ServerBusy,
    /// `-32010`: more than 256 calls in one batch.
    BatchTooLarge,
    /// `-32020`: the request body did not arrive in time.
    RequestTimeout,
}

impl ErrorCode {
    /// Every code, in the order of `docs/rpc.md`.
    pub const ALL: [ErrorCode; 14] = [
        ErrorCode::ParseError,
        ErrorCode::InvalidRequest,
        ErrorCode::MethodNotFound,
        ErrorCode::InvalidParams,
        ErrorCode::Internal,
        ErrorCode::Rejected,
        ErrorCode::NotFound,
        ErrorCode::ViewFailed,
        ErrorCode::TooManySubscriptions,
        ErrorCode::RequestTooLarge,
        ErrorCode::ResponseTooLarge,
        ErrorCode::ServerBusy,
        ErrorCode::BatchTooLarge,
        ErrorCode::RequestTimeout,
    ];

    /// The number on the wire.
    pub const fn code(self) -> i32 {
        match self {
            ErrorCode::ParseError => -32700,
            ErrorCode::InvalidRequest => -32600,
            ErrorCode::MethodNotFound => -32601,
            ErrorCode::InvalidParams => -32602,
            ErrorCode::Internal => -32603,
            ErrorCode::Rejected => -32001,
            ErrorCode::NotFound => -32002,
            ErrorCode::ViewFailed => -32003,
            ErrorCode::TooManySubscriptions => -32006,
            ErrorCode::RequestTooLarge => -32007,
            ErrorCode::ResponseTooLarge => -32008,
            ErrorCode::ServerBusy => -32009,
            ErrorCode::BatchTooLarge => -32010,
            ErrorCode::RequestTimeout => -32020,
        }
    }

    /// The code with number `code`, `None` for a number this version does
    /// not know (a newer node, or a server that is not a Molt node).
    pub fn from_code(code: i64) -> Option<ErrorCode> {
        ErrorCode::ALL
            .into_iter()
            .find(|c| i64::from(c.code()) == code)
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.code())
    }
}

/// An error the node answered with: the `error` member of a JSON-RPC
/// response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message} (RPC error {code})")]
pub struct RpcError {
    pub code: i64,
    pub message: String,
}

impl RpcError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> RpcError {
        RpcError {
            code: code.code().into(),
            message: message.into(),
        }
    }

    /// What kind of error this is, `None` for a code this version does not
    /// know.
    pub fn kind(&self) -> Option<ErrorCode> {
        ErrorCode::from_code(self.code)
    }

    /// Whether this is an error of kind `code`.
    pub fn is(&self, code: ErrorCode) -> bool {
        self.kind() == Some(code)
    }
}

/// A parameter that is missing, of the wrong type or malformed: answered
/// with [`ErrorCode::InvalidParams`]. The message names the parameter by
/// position and name and shows at most 80 characters of the client's text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParamError(pub String);

impl From<ParamError> for RpcError {
    fn from(e: ParamError) -> RpcError {
        RpcError::new(ErrorCode::InvalidParams, e.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_reads_back_as_itself_and_unknown_codes_are_none() {
        for c in ErrorCode::ALL {
            assert_eq!(ErrorCode::from_code(c.code().into()), Some(c));
        }
        assert_eq!(ErrorCode::from_code(-1), None);
        let e = RpcError {
            code: -32002,
            message: "no block".into(),
        };
        assert!(e.is(ErrorCode::NotFound));
        assert!(!e.is(ErrorCode::Rejected));
    }
}
