//! `molt completions SHELL`: a completion script for bash, zsh or fish,
//! generated from the same command definitions that parse the arguments,
//! so it never goes stale.

use clap::CommandFactory;
use clap_complete::Shell;

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell: `bash`, `zsh` or `fish`. Install with e.g.
    /// `molt completions bash > ~/.local/share/bash-completion/completions/molt`.
    #[arg(value_parser = ["bash", "zsh", "fish"])]
    pub shell: String,
}

/// Writes the script for `args.shell` to stdout.
pub fn run(args: &CompletionsArgs) {
    let shell = match args.shell.as_str() {
        "zsh" => Shell::Zsh,
        "fish" => Shell::Fish,
        _ => Shell::Bash,
    };
    let mut cmd = crate::Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "molt", &mut script);
    crate::output::stdout(&String::from_utf8_lossy(&script));
}
