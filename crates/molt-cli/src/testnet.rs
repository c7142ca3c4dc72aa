//! `molt testnet`: a local network of validators on loopback.
//!
//! The first run writes, under `--dir`:
//!
//! - `genesis.json`: chain `molt-testnet`, the dev accounts funded (so
//!   `--from dev0` works as on the dev chain), one validator per node;
//! - `node<i>/validator.key` and `node<i>/node.toml` for each validator
//!   (p2p on `--base-port + i`, RPC on `--base-port + 100 + i`);
//! - `full0/node.key` and `full0/node.toml`: a follower every validator
//!   accepts (p2p `--base-port + 99`, RPC `--base-port + 199`), started by
//!   hand with `molt node --config <dir>/full0/node.toml`.
//!
//! Then it starts every validator as a child process (`molt node --config`,
//! output in `node<i>/node.log`), waits until each serves RPC and prints the
//! URLs. Ctrl-C (or SIGTERM) stops them all. A later run on the same
//! directory reuses the files and the nodes resume from their data.

use crate::output::Output;
use anyhow::{Context, Result, anyhow, bail};
use molt_types::SecretKey;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct TestnetArgs {
    /// How many validators (1 to 32).
    #[arg(long, default_value_t = 4)]
    pub validators: u16,
    /// Where genesis, keys, configs and data live (reused if it exists).
    #[arg(long)]
    pub dir: PathBuf,
    /// Only write the files; start nothing.
    #[arg(long)]
    pub no_start: bool,
    /// Milliseconds between blocks.
    #[arg(long, default_value_t = 500)]
    pub block_time: u64,
    /// First p2p port; RPC ports start at this plus 100.
    #[arg(long, default_value_t = 9100)]
    pub base_port: u16,
}

/// The files of one node.
struct NodeFiles {
    name: String,
    config: PathBuf,
    rpc: String,
}

const GENESIS: &str = "genesis.json";

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

fn node_toml(
    key_file: &str,
    listen: u16,
    rpc: u16,
    block_time: u64,
    full: bool,
    peers: &[(String, u16)],
) -> String {
    let mut s = format!(
        "# Written by `molt testnet`; see docs/network.md.\nkey_file = \"{key_file}\"\ngenesis_file = \"../{GENESIS}\"\ndata_dir = \"data\"\nlisten = \"127.0.0.1:{listen}\"\nrpc = \"127.0.0.1:{rpc}\"\nblock_time_ms = {block_time}\nfull = {full}\n"
    );
    for (key, port) in peers {
        s.push_str(&format!(
            "\n[[peers]]\npublic_key = \"{key}\"\naddress = \"127.0.0.1:{port}\"\n"
        ));
    }
    s
}

/// Writes the files of a new testnet, or checks those of an existing one.
fn prepare(args: &TestnetArgs, out: &Output) -> Result<(Vec<NodeFiles>, NodeFiles, bool)> {
    let n = args.validators;
    if !(1..=32).contains(&n) {
        bail!("--validators is {n}; it must be from 1 to 32");
    }
    if !(1..=molt_node::MAX_BLOCK_TIME_MS).contains(&args.block_time) {
        bail!(
            "--block-time is {} ms; it must be from 1 to {} milliseconds",
            args.block_time,
            molt_node::MAX_BLOCK_TIME_MS
        );
    }
    if args.base_port < 1024 || args.base_port > 65535 - 200 {
        bail!(
            "--base-port is {}; it must be from 1024 to {}",
            args.base_port,
            65535 - 200
        );
    }
    let dir = &args.dir;
    let p2p = |i: u16| args.base_port + i;
    let rpc = |i: u16| args.base_port + 100 + i;
    let files: Vec<NodeFiles> = (0..n)
        .map(|i| NodeFiles {
            name: format!("node{i}"),
            config: dir.join(format!("node{i}")).join("node.toml"),
            rpc: format!("http://127.0.0.1:{}", rpc(i)),
        })
        .collect();
    let full = NodeFiles {
        name: "full0".into(),
        config: dir.join("full0").join("node.toml"),
        rpc: format!("http://127.0.0.1:{}", rpc(99)),
    };
    let genesis_path = dir.join(GENESIS);
    if genesis_path.exists() {
        // Resume: the files must be those of an n-validator testnet.
        let genesis = molt_node::load_genesis(&genesis_path).map_err(|e| anyhow!("{e}"))?;
        if genesis.validators.len() != n as usize {
            bail!(
                "{} already holds a testnet of {} validators, not {n}: use --validators {} or another --dir",
                dir.display(),
                genesis.validators.len(),
                genesis.validators.len()
            );
        }
        for f in files.iter().chain([&full]) {
            if !f.config.is_file() {
                bail!(
                    "{} is missing; this directory is not a complete testnet",
                    f.config.display()
                );
            }
        }
        return Ok((files, full, false));
    }
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        bail!(
            "{} exists and is not a testnet directory (no {GENESIS}); give an empty or new --dir",
            dir.display()
        );
    }
    out.progress(&format!(
        "writing a {n}-validator testnet to {}",
        dir.display()
    ));
    let keys: Vec<SecretKey> = (0..n).map(|_| SecretKey::generate()).collect();
    let full_key = SecretKey::generate();
    let validators: Vec<_> = keys
        .iter()
        .map(|k| json!({"public_key": k.public_key(), "voting_power": 1}))
        .collect();
    let accounts: Vec<_> = (0..molt_runtime::DEV_ACCOUNTS)
        .map(|i| json!({"address": molt_runtime::dev_key(i).address(), "balance": molt_runtime::DEV_ACCOUNT_BALANCE}))
        .collect();
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let genesis = json!({"chain_id": "molt-testnet", "timestamp_ms": 0, "accounts": accounts, "validators": validators, "framework_release": molt_runtime::FRAMEWORK_RELEASE});
    let mut all: Vec<(String, u16)> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| (k.public_key().to_string(), p2p(i as u16)))
        .collect();
    all.push((full_key.public_key().to_string(), p2p(99)));
    for (i, key) in keys.iter().enumerate() {
        let node_dir = dir.join(format!("node{i}"));
        std::fs::create_dir_all(&node_dir)?;
        write(
            &node_dir.join("validator.key"),
            &molt_node::key_file_json(&format!("node{i}"), key),
        )?;
        let peers: Vec<_> = all
            .iter()
            .filter(|(k, _)| *k != key.public_key().to_string())
            .cloned()
            .collect();
        write(
            &node_dir.join("node.toml"),
            &node_toml(
                "validator.key",
                p2p(i as u16),
                rpc(i as u16),
                args.block_time,
                false,
                &peers,
            ),
        )?;
    }
    let full_dir = dir.join("full0");
    std::fs::create_dir_all(&full_dir)?;
    write(
        &full_dir.join("node.key"),
        &molt_node::key_file_json("full0", &full_key),
    )?;
    write(
        &full_dir.join("node.toml"),
        &node_toml(
            "node.key",
            p2p(99),
            rpc(99),
            args.block_time,
            true,
            &all[..n as usize],
        ),
    )?;
    // Genesis last: its presence marks a complete directory.
    write(&genesis_path, &serde_json::to_string_pretty(&genesis)?)?;
    Ok((files, full, true))
}

fn answers(url: &str) -> bool {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "molt_chainInfo", "params": []});
    ureq::post(url)
        .timeout(Duration::from_secs(2))
        .send_json(body)
        .is_ok()
}

fn terminate(child: &mut Child) {
    // SIGTERM lets the node finish its block and close its stores.
    let pid = child.id().to_string();
    let asked = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !asked {
        let _ = child.kill();
    }
}

pub fn run(args: TestnetArgs, out: &Output) -> Result<()> {
    let (files, full, created) = prepare(&args, out)?;
    let doc_nodes: Vec<_> = files
        .iter()
        .map(|f| json!({"name": f.name, "rpc": f.rpc, "config": f.config}))
        .collect();
    let follower = format!("molt node --config {}", full.config.display());
    if args.no_start {
        let mut text = format!(
            "{} testnet files in {}\n",
            if created { "wrote" } else { "found" },
            args.dir.display()
        );
        for f in &files {
            text.push_str(&format!(
                "  {}  {}  (molt node --config {})\n",
                f.name,
                f.rpc,
                f.config.display()
            ));
        }
        text.push_str(&format!("  full0  {}  ({follower})\n", full.rpc));
        out.result(&text, json!({"dir": args.dir, "created": created, "validators": doc_nodes, "full": {"rpc": full.rpc, "config": full.config}}));
        return Ok(());
    }
    let exe =
        std::env::current_exe().context("cannot find the molt executable to start the nodes")?;
    let mut children: Vec<(String, Child)> = Vec::new();
    let mut start = || -> Result<()> {
        for f in &files {
            let log_path = f.config.with_file_name("node.log");
            let log = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&log_path)
                .with_context(|| format!("cannot open {}", log_path.display()))?;
            let child = Command::new(&exe)
                .arg("node")
                .arg("--config")
                .arg(&f.config)
                .stdin(Stdio::null())
                .stdout(log.try_clone()?)
                .stderr(log)
                .spawn()
                .with_context(|| format!("cannot start {}", f.name))?;
            out.progress(&format!("started {} (pid {})", f.name, child.id()));
            children.push((f.name.clone(), child));
        }
        let deadline = Instant::now() + Duration::from_secs(120);
        for (f, (_, child)) in files.iter().zip(children.iter_mut()) {
            while !answers(&f.rpc) {
                if let Some(status) = child.try_wait()? {
                    bail!(
                        "{} exited ({status}) before serving RPC; see {}",
                        f.name,
                        f.config.with_file_name("node.log").display()
                    );
                }
                if Instant::now() > deadline {
                    bail!("{} did not serve RPC at {} within 2 minutes", f.name, f.rpc);
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            out.progress(&format!("{} serves {}", f.name, f.rpc));
        }
        Ok(())
    };
    if let Err(e) = start() {
        for (_, child) in children.iter_mut() {
            terminate(child);
            let _ = child.wait();
        }
        return Err(e);
    }
    let pids: Vec<_> = children.iter().map(|(_, c)| c.id()).collect();
    let nodes: Vec<_> = doc_nodes
        .into_iter()
        .zip(&pids)
        .map(|(mut n, pid)| {
            n["pid"] = json!(pid);
            n
        })
        .collect();
    let mut text = format!(
        "molt testnet: {} validators, chain molt-testnet, data in {}\n",
        files.len(),
        args.dir.display()
    );
    for f in &files {
        text.push_str(&format!("  {}  {}\n", f.name, f.rpc));
    }
    text.push_str(&format!("a follower: {follower}\npress Ctrl-C to stop all"));
    out.result(&text, json!({"dir": args.dir, "created": created, "validators": nodes, "full": {"rpc": full.rpc, "config": full.config}}));

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let mut sigterm =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = sigterm.recv() => {}
        }
        Ok::<(), anyhow::Error>(())
    })?;
    out.progress("stopping every node...");
    for (_, child) in children.iter_mut() {
        if child.try_wait()?.is_none() {
            terminate(child);
        }
    }
    for (name, child) in children.iter_mut() {
        let status = child.wait()?;
        out.progress(&format!("{name} stopped ({status})"));
    }
    Ok(())
}
