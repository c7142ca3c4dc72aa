//! `molt node --dev`: run a local chain; `molt node --config FILE`: run a
//! validator or (`--full`) a follower of a network.

use crate::NodeLaunch;
use crate::output::Output;
use anyhow::{Context, Result, anyhow, bail};
use molt_node::{Node, NodeConfig, RpcConfig};
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn default_ms(pick: fn(&RpcConfig) -> Duration) -> u64 {
    pick(&RpcConfig::default()).as_millis() as u64
}

#[derive(Debug, clap::Args)]
pub struct NodeArgs {
    /// Run a single-validator local chain with funded dev accounts (dev0..dev3).
    #[arg(long, conflicts_with = "config")]
    pub dev: bool,
    /// Run a node of a network from a TOML config file (key file, listen
    /// address, peers, genesis file, data directory, RPC address; see
    /// docs/network.md). `molt testnet` writes such files.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// With --config: follow the chain and serve RPC without voting.
    #[arg(long, requires = "config")]
    pub full: bool,
    /// Where the chain's state, blocks and receipts live. Default: <home>/dev.
    /// (--dev only: a config file names its data directory.)
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// JSON-RPC port on 127.0.0.1 (HTTP and WebSocket). (--dev only.)
    #[arg(long, default_value_t = molt_node::DEFAULT_RPC_PORT)]
    pub rpc_port: u16,
    /// Milliseconds between blocks. (--dev only: a config file has block_time_ms.)
    #[arg(long, default_value_t = 500)]
    pub block_time: u64,
    /// Most RPC connections (HTTP and WebSocket) open at once; beyond it a
    /// new connection is answered 503 and closed.
    #[arg(long, value_name = "N", default_value_t = RpcConfig::default().max_connections)]
    pub rpc_max_connections: NonZeroU32,
    /// Most subscriptions one WebSocket connection may hold.
    #[arg(long, value_name = "N", default_value_t = RpcConfig::default().max_subscriptions_per_connection)]
    pub rpc_max_subscriptions: NonZeroU32,
    /// Milliseconds a client has to send a request's headers (also how long
    /// an idle kept-alive connection stays open).
    #[arg(long, value_name = "MS", default_value_t = default_ms(|c| c.header_read_timeout))]
    pub rpc_header_timeout: u64,
    /// Milliseconds a client has to send a request's body after its headers.
    #[arg(long, value_name = "MS", default_value_t = default_ms(|c| c.body_read_timeout))]
    pub rpc_body_timeout: u64,
    /// Milliseconds the node's response may stay unread before the
    /// connection is dropped.
    #[arg(long, value_name = "MS", default_value_t = default_ms(|c| c.send_timeout))]
    pub rpc_send_timeout: u64,
    /// Milliseconds between WebSocket pings.
    #[arg(long, value_name = "MS", default_value_t = default_ms(|c| c.ws_ping_interval))]
    pub rpc_ws_ping_interval: u64,
    /// Milliseconds without a pong after which a WebSocket connection is closed.
    #[arg(long, value_name = "MS", default_value_t = default_ms(|c| c.ws_inactive_limit))]
    pub rpc_ws_inactive_limit: u64,
    /// Dev chains: schedule this protocol upgrade plan (a JSON file:
    /// {"version": "0.2.0", "height": 100, "binaries": {"linux-x86_64":
    /// "0x<SHA3-256 of the binary>"}}) in the next block, unless chain state
    /// already holds it. At the height this binary halts, unless it is that
    /// release or later; molt-visor then switches binaries.
    #[arg(long, value_name = "FILE")]
    pub upgrade_plan: Option<PathBuf>,
    /// As a validator, signal for this payload execution hash (0x and 64
    /// hex digits) in every block this node proposes: the proposer
    /// signalling of the stakeholders' track. `molt gov signal` changes it
    /// while the node runs. A network node's config file may set `signal`.
    #[arg(long, value_name = "HASH")]
    pub signal: Option<molt_types::Digest>,
    /// How log lines on stderr are written: text for people, or one JSON
    /// object per line.
    #[arg(long, value_enum, default_value_t = crate::logging::LogFormat::Text)]
    pub log_format: crate::logging::LogFormat,
    /// Which log events are written: a level (error, warn, info, debug,
    /// trace) or a filter such as info,molt_node=debug. Default: RUST_LOG,
    /// else info.
    #[arg(long, value_name = "FILTER")]
    pub log_level: Option<String>,
}

use molt_node::MAX_BLOCK_TIME_MS;

/// Checks the arguments and builds the node's configuration.
fn config(args: NodeArgs, home: &Path) -> Result<NodeConfig> {
    if let Some(file) = &args.config {
        let mut config =
            molt_node::load_node_config(file, args.full).map_err(|e| anyhow!("{e}"))?;
        config.rpc = rpc_config(&args)?;
        config.version = crate::version::node_version();
        if let Some(signal) = args.signal {
            if args.full {
                bail!("--signal is for validators: a full node proposes no blocks");
            }
            config.signal = Some(signal);
        }
        if args.upgrade_plan.is_some() {
            bail!(
                "--upgrade-plan is for dev chains (--dev): on a network a plan is scheduled by the chain (validator proposals, governance), not by one node's flag"
            );
        }
        return Ok(config);
    }
    if !args.dev {
        bail!("give --dev for a local chain, or --config FILE for a node of a network");
    }
    if !(1..=MAX_BLOCK_TIME_MS).contains(&args.block_time) {
        bail!(
            "--block-time is {} ms; it must be from 1 to {MAX_BLOCK_TIME_MS} milliseconds (one hour)",
            args.block_time
        );
    }
    let data_dir = args.data_dir.clone().unwrap_or_else(|| home.join("dev"));
    if data_dir.is_file() {
        bail!(
            "--data-dir {} is a file; give a directory (it is created if missing)",
            data_dir.display()
        );
    }
    let mut config = NodeConfig::dev(
        data_dir,
        args.rpc_port,
        Duration::from_millis(args.block_time),
    );
    config.rpc = rpc_config(&args)?;
    config.version = crate::version::node_version();
    config.signal = args.signal;
    if let Some(path) = &args.upgrade_plan {
        let bytes = std::fs::read(path)
            .map_err(|e| anyhow!("cannot read --upgrade-plan {}: {e}", path.display()))?;
        let plan: molt_types::UpgradePlan = serde_json::from_slice(&bytes).map_err(|e| {
            anyhow!(
                "--upgrade-plan {} is not a plan ({e}); expected {{\"version\": \"0.2.0\", \"height\": 100, \"binaries\": {{\"linux-x86_64\": \"0x...\"}}}}",
                path.display()
            )
        })?;
        molt_runtime::parse_release(&plan.version)
            .map_err(|e| anyhow!("--upgrade-plan {}: {e}", path.display()))?;
        config.schedule_upgrade = Some(plan);
    }
    Ok(config)
}

/// The RPC limits from the --rpc-* flags.
fn rpc_config(args: &NodeArgs) -> Result<RpcConfig> {
    let rpc = RpcConfig {
        max_connections: args.rpc_max_connections,
        max_subscriptions_per_connection: args.rpc_max_subscriptions,
        header_read_timeout: Duration::from_millis(args.rpc_header_timeout),
        body_read_timeout: Duration::from_millis(args.rpc_body_timeout),
        send_timeout: Duration::from_millis(args.rpc_send_timeout),
        ws_ping_interval: Duration::from_millis(args.rpc_ws_ping_interval),
        ws_inactive_limit: Duration::from_millis(args.rpc_ws_inactive_limit),
        ..RpcConfig::default()
    };
    // Checked here too so a bad flag is reported before the chain is opened.
    rpc.check()
        .map_err(|e| anyhow!("{e} (see `molt node --help` for the --rpc-* options)"))?;
    Ok(rpc)
}

pub fn run(args: NodeArgs, home: &Path, out: &Output, launch: NodeLaunch) -> Result<()> {
    let dev = args.config.is_none();
    let (log_format, log_level) = (args.log_format, args.log_level.clone());
    crate::logging::check(log_level.as_deref())?;
    let config = config(args, home)?;
    let role = match config.network.as_ref().map(|n| n.role) {
        Some(molt_node::Role::Full) => "full",
        _ => "validator",
    };
    if launch == NodeLaunch::ConfigOnly {
        return Ok(());
    }
    crate::logging::init(log_format, log_level.as_deref())?;
    let data_dir = config.data_dir.clone();
    let admin = config.admin_socket.clone().unwrap_or_default();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let mut node = Node::start(config).await.map_err(|e| anyhow!("the node could not start: {e}"))?;
        let height = node.shared.runtime.height();
        let url = format!("http://{}", node.rpc_addr);
        let dash = molt_node::DASHBOARD_PATH;
        let mut text = if dev {
            format!(
                "molt dev node {}: chain {} at height {height}\nJSON-RPC (HTTP and WebSocket): {url}\ndashboard: {url}{dash}\ndata directory: {}\nadmin socket: {}\ndev accounts (use --from devN):\n",
                crate::version::LONG,
                node.shared.runtime.chain_id(),
                data_dir.display(),
                admin.display(),
            )
        } else {
            format!(
                "molt {role} node {}: chain {} at height {height}\nJSON-RPC (HTTP and WebSocket): {url}\ndashboard: {url}{dash}\ndata directory: {}\nadmin socket: {}\n",
                crate::version::LONG,
                node.shared.runtime.chain_id(),
                data_dir.display(),
                admin.display(),
            )
        };
        if dev {
            for i in 0..molt_runtime::DEV_ACCOUNTS {
                text.push_str(&format!("  dev{i}  {}\n", molt_runtime::dev_key(i).address()));
            }
        }
        text.push_str("press Ctrl-C to stop");
        out.result(&text, serde_json::json!({"rpc": url, "dashboard": format!("{url}{dash}"), "chain_id": node.shared.runtime.chain_id(), "height": height, "data_dir": data_dir, "admin_socket": admin, "version": crate::version::json(), "role": if dev { "dev" } else { role }}));
        let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        let fatal = tokio::select! {
            _ = tokio::signal::ctrl_c() => None,
            _ = sigterm.recv() => None,
            r = node.producer_finished() => Some(r),
        };
        if let Some(r) = fatal {
            // A storage fault (or any failure) in block production stops
            // the node; nothing of the failed block was kept.
            let height = node.shared.runtime.height();
            r.with_context(|| {
                format!(
                    "block production failed, so the node stopped; \
                     the chain is at height {height}, its last block confirmed durable; fix the \
                     cause below (disk full? file size limit? failing disk?) and start the node \
                     again on the same data directory to resume from there"
                )
            })?;
            bail!("block production stopped unexpectedly at height {height}");
        }
        out.progress("shutting down after the current block...");
        let height = node.shared.runtime.height();
        node.stop().await?;
        out.progress(&format!("stopped at height {height}"));
        Ok(())
    })
}
