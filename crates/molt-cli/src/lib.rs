//! The `molt` command: node, keys, build, publish, upgrade, call, query.
//!
//! Every command prints for people by default and, with `--json`, one JSON
//! document on stdout for programs. Progress and diagnostics go to stderr.

mod build;
mod chain;
mod inspect;
mod keys;
mod node;
mod output;
mod rpc;
mod upgrade;

use clap::{Parser, Subcommand};
use output::Output;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "molt",
    version,
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
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a node (`molt node --dev` for a local chain).
    Node(node::NodeArgs),
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
        /// Recipient: an address or a key name.
        #[arg(long)]
        to: String,
        #[arg(long)]
        amount: u64,
        #[command(flatten)]
        tx: chain::TxArgs,
    },
    /// Build a program crate to Wasm, validate it, and print its size, checksum and interface.
    Build(build::BuildArgs),
    /// Print the interface of a Wasm module.
    Inspect(inspect::InspectArgs),
    /// Publish a program: a crate directory (built first) or a .wasm file.
    Publish {
        path: PathBuf,
        #[command(flatten)]
        tx: chain::TxArgs,
    },
    /// Call an entry or public function in a transaction.
    Call {
        package: String,
        function: String,
        /// Arguments as JSON: an array in parameter order, or an object by name.
        #[arg(long, default_value = "[]")]
        args: String,
        #[command(flatten)]
        tx: chain::TxArgs,
    },
    /// Run a view function against the latest state (no transaction).
    View {
        package: String,
        function: String,
        #[arg(long, default_value = "[]")]
        args: String,
    },
    /// Upgrade a package to a new module, after checking it against the
    /// on-chain interface under the cap's policy (the node's own checker).
    Upgrade {
        /// The package: its original id (or any of its package ids).
        package: String,
        /// The new version: a crate directory (built first) or a .wasm file.
        path: PathBuf,
        /// Only check compatibility and print the findings; submit nothing.
        #[arg(long)]
        dry_run: bool,
        /// Submit even when the local check finds violations; the node runs
        /// the same checker and rejects the transaction with the same findings.
        #[arg(long, conflicts_with = "dry_run")]
        force: bool,
        /// When a program holds the UpgradeCap: the call that issues the ticket, PACKAGE::FUNCTION.
        #[arg(long)]
        ticket: Option<String>,
        /// Arguments of the ticket call, as JSON.
        #[arg(long, default_value = "[]")]
        ticket_args: String,
        #[command(flatten)]
        tx: chain::TxArgs,
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

/// Runs the CLI and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = Output::new(cli.json);
    let home = cli.home.clone().unwrap_or_else(default_home);
    let ctx = || chain::Ctx {
        rpc: rpc::RpcClient::new(&cli.rpc),
        home: home.clone(),
        out: &out,
    };
    let result = match cli.command {
        Command::Node(args) => node::run(args, &home, &out),
        Command::Keys(cmd) => keys::run(cmd, &home, &out),
        Command::Account { who } => chain::account(&ctx(), &who),
        Command::Transfer { to, amount, tx } => chain::transfer(&ctx(), &to, amount, &tx),
        Command::Build(args) => build::run(args, &out),
        Command::Inspect(args) => inspect::run(args, &out),
        Command::Publish { path, tx } => chain::publish(&ctx(), &path, &tx),
        Command::Call {
            package,
            function,
            args,
            tx,
        } => chain::call(&ctx(), &package, &function, &args, &tx),
        Command::View {
            package,
            function,
            args,
        } => chain::view(&ctx(), &package, &function, &args),
        Command::Upgrade {
            package,
            path,
            dry_run,
            force,
            ticket,
            ticket_args,
            tx,
        } => {
            let mode = match (dry_run, force) {
                (true, _) => upgrade::Mode::DryRun,
                (false, true) => upgrade::Mode::Force,
                (false, false) => upgrade::Mode::Submit,
            };
            upgrade::upgrade(
                &ctx(),
                &package,
                &path,
                mode,
                ticket.as_deref(),
                &ticket_args,
                &tx,
            )
        }
        Command::Cap(cmd) => upgrade::cap(&ctx(), cmd),
        Command::Tx(TxCommand::Status { id }) => chain::tx_status(&ctx(), &id),
        Command::Query(q) => chain::query(&ctx(), q),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            out.error(&e);
            ExitCode::FAILURE
        }
    }
}
