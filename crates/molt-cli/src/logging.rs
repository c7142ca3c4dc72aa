//! The node's logs: `tracing` events written to stderr.
//!
//! - Format: `text` (default; one human-readable line per event) or `json`
//!   (`--log-format json`: one JSON object per line with `timestamp`,
//!   `level`, `target`, `fields` and the current spans).
//! - Levels: `--log-level` when given (a level such as `debug`, or a full
//!   filter such as `info,molt_node=debug`), otherwise `RUST_LOG`, otherwise
//!   `info`. A filter that does not parse is a typed error naming the flag
//!   or the variable, before the node starts.
//! - Every finalized block is one `info` event with target `molt::block`
//!   (see `molt_node` module `telemetry`): height, id, transactions and
//!   timings.
//!
//! Logs go to stderr; stdout keeps the command's one result (text or the
//! `--json` document).

use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One human-readable line per event.
    Text,
    /// One JSON object per line.
    Json,
}

/// Why logging could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error(
        "{source_name} is {value:?}, which is not a log filter ({why}); use a level (error, warn, info, debug, trace) or a filter such as info,molt_node=debug"
    )]
    BadFilter {
        source_name: &'static str,
        value: String,
        why: String,
    },
}

/// The filter from `--log-level`, else `RUST_LOG`, else `info`.
fn filter(level: Option<&str>) -> Result<EnvFilter, LogError> {
    let (source_name, value) = match level {
        Some(l) => ("--log-level", l.to_string()),
        None => match std::env::var("RUST_LOG") {
            Ok(v) if !v.trim().is_empty() => ("RUST_LOG", v),
            _ => return Ok(EnvFilter::new("info")),
        },
    };
    EnvFilter::builder()
        .parse(&value)
        .map_err(|e| LogError::BadFilter {
            source_name,
            value: value.clone(),
            why: e.to_string(),
        })
}

/// Checks the filter; call before starting anything, so a bad filter is
/// reported as the command's error.
pub fn check(level: Option<&str>) -> Result<(), LogError> {
    filter(level).map(|_| ())
}

/// Installs the process-wide subscriber (once; later calls, as in tests
/// that run several commands in one process, keep the first).
pub fn init(format: LogFormat, level: Option<&str>) -> Result<(), LogError> {
    let filter = filter(level)?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_ansi(false)
            .try_init(),
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_level_names_the_flag_and_a_good_one_passes() {
        let e = check(Some("molt_node=loud")).unwrap_err().to_string();
        assert!(e.contains("--log-level"), "{e}");
        assert!(check(Some("debug")).is_ok());
        assert!(check(Some("info,molt_node=trace")).is_ok());
    }
}
