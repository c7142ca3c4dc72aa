//! Printing for people or, with `--json`, for programs.

use serde_json::Value;

#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub json: bool,
}

impl Output {
    pub fn new(json: bool) -> Self {
        Output { json }
    }

    /// Prints the result of a command: `human` as text, or `json` as one document.
    pub fn result(&self, human: &str, json: Value) {
        if self.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&json).unwrap_or_default()
            );
        } else {
            print!("{human}");
            if !human.ends_with('\n') {
                println!();
            }
        }
    }

    /// Progress for people, on stderr; silent in JSON mode.
    pub fn progress(&self, message: &str) {
        if !self.json {
            eprintln!("{message}");
        }
    }

    /// A failure: on stderr as text, or as `{"error": ...}` on stdout in JSON mode.
    pub fn error(&self, error: &anyhow::Error) {
        if self.json {
            let chain: Vec<String> = error.chain().map(|e| e.to_string()).collect();
            let doc = serde_json::json!({ "error": error.to_string(), "causes": chain });
            println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        } else {
            eprintln!("error: {error}");
            for cause in error.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
        }
    }
}
