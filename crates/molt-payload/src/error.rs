//! Why bytes are not a payload.

use alloc::string::String;

/// Why [`Payload::decode`](crate::Payload::decode) refused its input. Every
/// variant says what to fix; none changes anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadError {
    /// Over the byte limit the caller allows (the governance payload limit).
    TooLarge { size: usize, limit: usize },
    /// Not the borsh encoding of a payload (truncated, unknown action,
    /// trailing bytes ...).
    Malformed { reason: String },
    /// A format this code does not know: build the payload with a matching
    /// `molt framework` release.
    UnknownFormat { found: u16, expected: u16 },
    /// A payload must do something.
    Empty,
    /// More than [`MAX_ACTIONS`](crate::MAX_ACTIONS) actions: split it into
    /// chained steps.
    TooManyActions { count: usize, limit: usize },
    /// `NextStep` at `index` is not the last action (or appears twice).
    NextStepNotLast { index: usize },
}

impl core::fmt::Display for PayloadError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            PayloadError::TooLarge { size, limit } => write!(
                f,
                "the payload is {size} bytes, over the governance limit of {limit} bytes: split it into chained steps"
            ),
            PayloadError::Malformed { reason } => {
                write!(f, "the bytes are not a governance payload: {reason}")
            }
            PayloadError::UnknownFormat { found, expected } => write!(
                f,
                "payload format {found} is unknown (this framework reads format {expected}): rebuild it with a matching release"
            ),
            PayloadError::Empty => write!(f, "the payload has no actions"),
            PayloadError::TooManyActions { count, limit } => write!(
                f,
                "the payload has {count} actions, over the limit of {limit}: split it into chained steps"
            ),
            PayloadError::NextStepNotLast { index } => write!(
                f,
                "action {index} is a next-step hash but not the last action; a payload chains at most one next step, at its end"
            ),
        }
    }
}

impl core::error::Error for PayloadError {}
