//! Printing for people or, with `--json`, for programs.
//!
//! A command prints exactly one JSON document on stdout in JSON mode: its
//! result, or on failure `{"error": .., "causes": [..]}`, merged with the
//! details of a [`Reported`] failure (a failed simulation, an incompatible
//! upgrade) so that a program sees them in the same document. An error the
//! node answered with also carries `rpc_error: {code, message}`.

use serde_json::Value;

#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub json: bool,
}

/// A failure that comes with a full report: the text people read before the
/// error line, and the fields that the JSON error document carries.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Reported {
    pub message: String,
    pub human: String,
    pub details: Value,
    /// The text is the command's result (a dry run's findings): printed on
    /// stdout, with the error line on stderr and a failing exit code.
    pub on_stdout: bool,
}

impl Output {
    pub fn new(json: bool) -> Self {
        Output { json }
    }

    /// Prints the result of a command: `human` as text, or `json` as one document.
    pub fn result(&self, human: &str, json: Value) {
        if self.json {
            stdout(&format!(
                "{}\n",
                serde_json::to_string_pretty(&json).unwrap_or_default()
            ));
        } else if human.ends_with('\n') {
            stdout(human);
        } else {
            stdout(&format!("{human}\n"));
        }
    }

    /// Progress for people, on stderr; silent in JSON mode.
    pub fn progress(&self, message: &str) {
        if !self.json {
            eprintln!("{message}");
        }
    }

    /// A slow step for people (a build, a wait): a spinner on a terminal,
    /// one line when stderr is piped, nothing in JSON mode; it ends when the
    /// returned guard is dropped.
    pub fn step(&self, message: &str) -> crate::progress::Progress {
        crate::progress::Progress::start(self.json, message)
    }

    /// A failure: on stderr as text, or as `{"error": ...}` on stdout in JSON mode.
    pub fn error(&self, error: &anyhow::Error) {
        let reported = error.chain().find_map(|e| e.downcast_ref::<Reported>());
        if self.json {
            let chain: Vec<String> = error.chain().map(|e| e.to_string()).collect();
            let mut doc = match reported.map(|r| &r.details) {
                Some(Value::Object(fields)) => Value::Object(fields.clone()),
                _ => Value::Object(Default::default()),
            };
            doc["error"] = Value::String(error.to_string());
            // The node's typed error, for programs to match by code.
            if let Some(e) = error
                .chain()
                .find_map(|e| e.downcast_ref::<molt_rpc_types::RpcError>())
            {
                doc["rpc_error"] = serde_json::json!({"code": e.code, "message": e.message});
            }
            doc["causes"] = serde_json::json!(chain);
            stdout(&format!(
                "{}\n",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            ));
        } else {
            if let Some(r) = reported.filter(|r| !r.human.is_empty()) {
                let newline = if r.human.ends_with('\n') { "" } else { "\n" };
                if r.on_stdout {
                    stdout(&format!("{}{newline}", r.human));
                } else {
                    eprint!("{}{newline}", r.human);
                }
            }
            eprintln!("error: {error}");
            for cause in error.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
        }
    }
}

/// Writes to stdout; a reader that went away (`molt ... | head`) is not an
/// error worth a panic.
pub(crate) fn stdout(text: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}
