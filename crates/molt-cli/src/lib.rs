//! The `molt` command: node, keys, build, publish, upgrade, call, query.
//!
//! Every command prints for people by default and, with `--json`, one JSON
//! document on stdout for programs. Progress and diagnostics go to stderr.

mod build;
mod inspect;
mod output;

use clap::{Parser, Subcommand};
use output::Output;
use std::process::ExitCode;

pub use build::{BuildRoute, WasmBuild, build_program, detect_route};

#[derive(Debug, Parser)]
#[command(name = "molt", version, about = "Molt: a blockchain where every layer upgrades while the chain runs")]
struct Cli {
    /// Print one JSON document on stdout instead of text for people.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build a program crate to Wasm, validate it, and print its size, checksum and interface.
    Build(build::BuildArgs),
    /// Print the interface of a Wasm module.
    Inspect(inspect::InspectArgs),
}

/// Runs the CLI and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = Output::new(cli.json);
    let result = match cli.command {
        Command::Build(args) => build::run(args, &out),
        Command::Inspect(args) => inspect::run(args, &out),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            out.error(&e);
            ExitCode::FAILURE
        }
    }
}
