//! Progress for people while something slow runs: a spinner with the
//! elapsed time on a terminal, one plain line otherwise (piped output,
//! logs), nothing with `--json`.
//!
//! A [`Progress`] ends when it is dropped: the spinner's line is cleared,
//! so the command's result is the next thing printed. Everything goes to
//! stderr; stdout stays the command's result alone.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::time::Duration;

/// A running step; see the module docs.
#[derive(Debug)]
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// Starts showing `message`: animated on a terminal, else as one line;
    /// nothing in JSON mode.
    pub fn start(json: bool, message: &str) -> Self {
        if json {
            return Progress { bar: None };
        }
        if !std::io::stderr().is_terminal() {
            eprintln!("{message}");
            return Progress { bar: None };
        }
        let bar = ProgressBar::new_spinner();
        // The template is a constant; a parse failure would be a typo here.
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
            bar.set_style(style);
        }
        bar.set_message(message.to_string());
        bar.enable_steady_tick(Duration::from_millis(120));
        Progress { bar: Some(bar) }
    }

    /// Ends the step, leaving `line` in place of the spinner on a terminal
    /// (piped output already has the step's own line).
    pub fn done(mut self, line: &str) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
            eprintln!("{line}");
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
