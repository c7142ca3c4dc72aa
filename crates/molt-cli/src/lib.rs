//! The `molt` command: node, keys, build, publish, upgrade, call, query.
//!
//! Every command prints for people by default and, with `--json`, one JSON
//! document on stdout for programs, also on failure. Progress and
//! diagnostics go to stderr.
//!
//! Local inputs (addresses, ids, numbers, JSON arguments, modules) are
//! checked before anything is sent, with the node's own code where the node
//! checks them too (address parsing, module validation, the compatibility
//! checker). Transactions are simulated by the node before they are
//! submitted (`tx`). No input panics: [`try_run`] runs any argument vector
//! in process and returns a [`CliError`].

mod build;
mod chain;
mod completions;
mod deps;
mod framework;
mod gov;
mod inspect;
mod keys;
mod lockfile;
mod logging;
mod module;
mod new;
mod node;
mod output;
mod progress;
mod protocol;
mod registry;
mod rpc;
mod script;
mod testnet;
mod tx;
mod upgrade;
mod verify;
mod version;

use clap::{Parser, Subcommand};
use output::Output;
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "molt",
    version = version::LONG,
    about = "Molt: a blockchain where every layer upgrades while the chain runs"
)]
struct Cli {
    /// Print one JSON document on stdout instead of text for people.
    #[arg(long, global = true)]
    json: bool,
    /// The node's JSON-RPC URL.
    #[arg(
        long,
        global = true,
        env = "MOLT_RPC",
        default_value = "http://127.0.0.1:8645"
    )]
    rpc: String,
    /// Where keys and the default dev data directory live.
    #[arg(long, global = true, env = "MOLT_HOME")]
    home: Option<PathBuf>,
    /// Show cargo's output of program and framework builds (by default it
    /// is shown only when a build fails).
    #[arg(long, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a node (`molt node --dev` for a local chain).
    Node(node::NodeArgs),
    /// Write and start a local network of validators on loopback.
    Testnet(testnet::TestnetArgs),
    /// Manage local signing keys.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Show an account's balance and sequence number (address or key name).
    Account {
        #[arg(default_value = "dev0")]
        who: String,
    },
    /// Send native coin.
    Transfer {
        /// Recipient: an address (0x and 64 hex digits, or 0x0..0xffff for a
        /// reserved system address) or a key name.
        #[arg(long)]
        to: String,
        /// Coin to send.
        #[arg(long)]
        amount: u64,
        #[command(flatten)]
        tx: tx::TxArgs,
    },
    /// Build a program crate to Wasm, validate it, and print its size, checksum and interface.
    Build(build::BuildArgs),
    /// Create a program crate (`--template counter|token`) that `molt build`
    /// and `molt publish` accept as is, with native unit tests.
    New(new::NewArgs),
    /// Print a shell completion script (bash, zsh or fish).
    Completions(completions::CompletionsArgs),
    /// Print the interface of a Wasm module.
    Inspect(inspect::InspectArgs),
    /// Publish a program: a crate directory (built first) or a .wasm file,
    /// validated locally exactly as the node validates it before signing.
    /// A crate's ids (original id, package id, version, cap) are recorded
    /// in its Molt.lock, per chain id.
    Publish {
        path: PathBuf,
        #[command(flatten)]
        tx: tx::TxArgs,
    },
    /// Call an entry or public function in a transaction.
    Call {
        package: String,
        function: String,
        /// Arguments as JSON: an array in parameter order, or an object by name.
        #[arg(long, default_value = "[]")]
        args: String,
        /// Native coin to attach: it moves from the sender to the package's
        /// account before the function runs (and back if the call fails);
        /// the program reads it with `molt_sdk::coin::attached`.
        #[arg(long, default_value_t = 0)]
        coin: u64,
        #[command(flatten)]
        tx: tx::TxArgs,
    },
    /// Run a view function against the latest state (no transaction).
    View {
        package: String,
        function: String,
        #[arg(long, default_value = "[]")]
        args: String,
    },
    /// Upgrade a package to a new module, after checking it against the
    /// on-chain interface under the cap's policy (the node's own checker)
    /// and simulating the upgrade on the node (cap or ticket, constructor).
    /// With --dry-run: print both, submit nothing.
    Upgrade {
        /// The package: its original id (or any of its package ids), or a
        /// crate directory whose Molt.lock records it on this chain. With
        /// one argument, the crate directory: the package from its
        /// Molt.lock, the new version built from it.
        package: String,
        /// The new version: a crate directory (built first) or a .wasm file.
        path: Option<PathBuf>,
        /// When a program holds the UpgradeCap: the call that issues the ticket, PACKAGE::FUNCTION.
        #[arg(long)]
        ticket: Option<String>,
        /// Arguments of the ticket call, as JSON.
        #[arg(long, default_value = "[]")]
        ticket_args: String,
        #[command(flatten)]
        tx: tx::TxArgs,
    },
    /// Rebuild a program crate and compare it with the checksum on chain,
    /// naming the first difference and its likely cause.
    VerifySource {
        /// The program crate (a directory with Cargo.toml).
        dir: PathBuf,
        /// The package version to compare with: an original id (its latest
        /// version) or a package id. Default: the package the crate's
        /// Molt.lock records on this chain.
        #[arg(long)]
        package: Option<String>,
    },
    /// Manage a package's UpgradeCap: restrict, make-immutable, transfer.
    #[command(subcommand)]
    Cap(upgrade::CapCommand),
    /// Transactions.
    #[command(subcommand)]
    Tx(TxCommand),
    /// Read chain data.
    #[command(subcommand)]
    Query(chain::QueryCommand),
    /// Governance: the validators' track (propose, vote, resolve, show,
    /// list and simulate payloads; docs/governance.md) and the
    /// stakeholders' track (deposit, withdraw, power, signal, rounds,
    /// propose-with-lock, vote --amount, execute, drop;
    /// docs/cli-stakeholders.md).
    #[command(subcommand)]
    Gov(gov::GovCommand),
    /// The canonical deployments registry (0x5): list services, show one,
    /// and its history of versions.
    #[command(subcommand)]
    Registry(registry::RegistryCommand),
    /// Protocol (binary) upgrades proposed by validators (0x6): propose a
    /// plan (version, height, binary checksums), withdraw, show the votes.
    #[command(subcommand)]
    Protocol(protocol::ProtocolCommand),
    /// The system framework: build an upgrade's governance payloads.
    #[command(subcommand)]
    Framework(framework::FrameworkCommand),
}

#[derive(Debug, Subcommand)]
enum TxCommand {
    /// Whether a transaction is pending or included, with its receipt.
    Status { id: String },
}

fn default_home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
        .join(".molt")
}

/// What [`try_run`] does with `molt node`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeLaunch {
    /// Start the node and run until it is stopped (the `molt` binary).
    Start,
    /// Check the arguments and build the node's configuration, then return
    /// without starting it (for tests that run every command in process).
    ConfigOnly,
}

/// Why [`try_run`] failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The command line does not parse (or asked for `--help`/`--version`,
    /// which clap reports the same way).
    #[error(transparent)]
    Usage(#[from] clap::Error),
    /// The command ran and failed; it already printed the error.
    #[error(transparent)]
    Failed(anyhow::Error),
}

/// Runs the CLI and returns the process exit code.
pub fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    let json = args.iter().any(|a| a == "--json");
    match try_run(args, NodeLaunch::Start) {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::Failed(_)) => ExitCode::FAILURE,
        Err(CliError::Usage(e)) if json && e.kind() == clap::error::ErrorKind::DisplayVersion => {
            println!(
                "{}",
                serde_json::to_string_pretty(&version::json()).unwrap_or_default()
            );
            ExitCode::SUCCESS
        }
        Err(CliError::Usage(e)) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            if json && e.use_stderr() {
                let doc = serde_json::json!({ "error": e.render().to_string().trim_end(), "kind": "usage" });
                println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
            } else {
                let _ = e.print();
            }
            ExitCode::from(code)
        }
    }
}

/// Parses `args` (the program name first) and runs the command in this
/// process, printing its result or its error as `main` does. Never panics on
/// any input; every failure is a [`CliError`].
pub fn try_run<I, T>(args: I, node_launch: NodeLaunch) -> Result<(), CliError>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = Cli::try_parse_from(args)?;
    molt_build::set_verbose(cli.verbose);
    let out = Output::new(cli.json);
    run(cli, &out, node_launch).map_err(|e| {
        out.error(&e);
        CliError::Failed(e)
    })
}

fn run(cli: Cli, out: &Output, node_launch: NodeLaunch) -> anyhow::Result<()> {
    let home = cli.home.clone().unwrap_or_else(default_home);
    let ctx = || chain::Ctx {
        rpc: rpc::RpcClient::new(&cli.rpc),
        home: home.clone(),
        out,
    };
    match cli.command {
        Command::Node(args) => node::run(args, &home, out, node_launch),
        Command::Testnet(args) => testnet::run(args, out),
        Command::Keys(cmd) => keys::run(cmd, &home, out),
        Command::Account { who } => chain::account(&ctx(), &who),
        Command::Transfer { to, amount, tx } => chain::transfer(&ctx(), &to, amount, &tx),
        Command::Build(args) => build::run(args, out),
        Command::New(args) => new::run(args, out),
        Command::Completions(args) => {
            completions::run(&args);
            Ok(())
        }
        Command::Inspect(args) => inspect::run(args, out),
        Command::Publish { path, tx } => chain::publish(&ctx(), &path, &tx),
        Command::Call {
            package,
            function,
            args,
            coin,
            tx,
        } => chain::call(&ctx(), &package, &function, &args, coin, &tx),
        Command::View {
            package,
            function,
            args,
        } => chain::view(&ctx(), &package, &function, &args),
        Command::Upgrade {
            package,
            path,
            ticket,
            ticket_args,
            tx,
        } => upgrade::upgrade(
            &ctx(),
            &package,
            path.as_deref(),
            ticket.as_deref(),
            &ticket_args,
            &tx,
        ),
        Command::VerifySource { dir, package } => verify::run(&ctx(), &dir, package.as_deref()),
        Command::Cap(cmd) => upgrade::cap(&ctx(), cmd),
        Command::Tx(TxCommand::Status { id }) => chain::tx_status(&ctx(), &id),
        Command::Query(q) => chain::query(&ctx(), q),
        Command::Gov(cmd) => gov::run(&ctx(), cmd),
        Command::Registry(cmd) => registry::run(&ctx(), cmd),
        Command::Protocol(cmd) => protocol::run(&ctx(), cmd),
        Command::Framework(cmd) => framework::run(&ctx(), cmd),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        // clap's own checks: no duplicate flags (TxArgs is flattened into
        // commands with their own flags), valid defaults and conflicts.
        Cli::command().debug_assert();
    }
}
