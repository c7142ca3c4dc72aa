//! A real network of processes on loopback through `molt testnet`: four
//! validators agree block by block; one SIGKILLed, the chain goes on; two
//! down, nothing is finalized; both restarted, they catch up and the chain
//! goes on; a full node started late syncs from genesis. Also: bad config
//! and genesis files are refused with the field named.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const MOLT: &str = env!("CARGO_BIN_EXE_molt");

fn call(url: &str, method: &str, params: Value) -> Result<Value, String> {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let r: Value = ureq::post(url)
        .timeout(Duration::from_secs(5))
        .send_json(body)
        .map_err(|e| e.to_string())?
        .into_json()
        .map_err(|e| e.to_string())?;
    match r.get("error") {
        Some(e) => Err(e.to_string()),
        None => Ok(r["result"].clone()),
    }
}

fn height(url: &str) -> Option<u64> {
    call(url, "molt_chainInfo", json!([])).ok()?["height"].as_u64()
}

fn wait_for(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(
            start.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Sends dev0's coin with the CLI (simulated, signed, submitted).
fn transfer(url: &str, seq_from: &str, to: &str, amount: u64) -> String {
    let out = Command::new(MOLT)
        .args([
            "--json",
            "--rpc",
            url,
            "transfer",
            "--to",
            to,
            "--amount",
            &amount.to_string(),
            "--from",
            seq_from,
            "--no-wait",
        ])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    assert!(
        out.status.success(),
        "transfer failed: {doc} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    doc["id"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| panic!("no id in {doc}"))
}

fn included(url: &str, id: &str) -> bool {
    call(url, "molt_getTransaction", json!([id]))
        .map(|r| r["status"] == "included")
        .unwrap_or(false)
}

fn block(url: &str, h: u64) -> Value {
    call(url, "molt_getBlock", json!([h])).unwrap()
}

/// Every node in `urls` holds the same block id and state root at every
/// height up to the lowest of their heights.
fn agree(urls: &[&str]) -> u64 {
    let top = urls.iter().map(|u| height(u).unwrap()).min().unwrap();
    for h in 0..=top {
        let first = block(urls[0], h);
        for u in &urls[1..] {
            let b = block(u, h);
            assert_eq!(b["id"], first["id"], "block id at height {h}");
            assert_eq!(
                b["state_root"], first["state_root"],
                "state root at height {h}"
            );
        }
    }
    top
}

fn kill9(pid: u64) {
    assert!(
        Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status()
            .unwrap()
            .success()
    );
}

fn start_node(config: &Path, extra: &[&str]) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(config.with_file_name("node.log"))
        .unwrap();
    Command::new(MOLT)
        .arg("node")
        .arg("--config")
        .arg(config)
        .args(extra)
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap()
}

/// Stops the processes when the test ends; when it ends in a failure, the
/// tail of every node's log is printed first, so a CI run says why.
struct Stop(Vec<Child>, std::path::PathBuf);
impl Drop for Stop {
    fn drop(&mut self) {
        if std::thread::panicking() {
            dump_logs(&self.1);
        }
        for c in &mut self.0 {
            let _ = Command::new("kill")
                .args(["-TERM", &c.id().to_string()])
                .status();
            let _ = c.wait();
        }
    }
}

#[test]
fn four_validators_agree_survive_a_crash_stall_without_quorum_catch_up_and_a_follower_syncs() {
    let dir = tempfile::tempdir().unwrap();
    let net = dir.path().join("net");
    // Ports below Linux's ephemeral range (32768 and up), so no outgoing
    // connection can hold a port a restarted node must listen on again.
    let base = 20_000 + (std::process::id() % 60) as u16 * 200;
    let mut testnet = Command::new(MOLT)
        .args([
            "--json",
            "testnet",
            "--validators",
            "4",
            "--block-time",
            "200",
            "--base-port",
            &base.to_string(),
            "--dir",
        ])
        .arg(&net)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The one JSON document: printed once every validator serves RPC.
    let mut lines = BufReader::new(testnet.stdout.take().unwrap()).lines();
    let mut text = String::new();
    let doc: Value = loop {
        let line = lines.next().expect("testnet printed no document").unwrap();
        text.push_str(&line);
        if let Ok(v) = serde_json::from_str(&text) {
            break v;
        }
    };
    let mut guard = Stop(vec![testnet], net.clone());
    let urls: Vec<String> = doc["validators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["rpc"].as_str().unwrap().to_string())
        .collect();
    let pids: Vec<u64> = doc["validators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["pid"].as_u64().unwrap())
        .collect();
    let u: Vec<&str> = urls.iter().map(String::as_str).collect();
    assert_eq!(u.len(), 4);

    // Transfers submitted to different nodes are final on all four.
    wait_for("height 2 on all", Duration::from_secs(120), || {
        u.iter().all(|x| height(x).unwrap_or(0) >= 2)
    });
    let a = transfer(u[1], "dev0", "dev2", 5);
    let b = transfer(u[2], "dev1", "dev3", 6);
    wait_for(
        "both transfers on every node",
        Duration::from_secs(60),
        || u.iter().all(|x| included(x, &a) && included(x, &b)),
    );
    agree(&u);

    // One validator SIGKILLed: the other three go on.
    kill9(pids[3]);
    let h = height(u[0]).unwrap();
    wait_for("progress with 3 of 4", Duration::from_secs(60), || {
        height(u[0]).unwrap() >= h + 5
    });
    agree(&u[..3]);

    // Two down: nothing new is finalized.
    kill9(pids[2]);
    std::thread::sleep(Duration::from_secs(2));
    let stalled = height(u[0]).unwrap().max(height(u[1]).unwrap());
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(
        height(u[0]).unwrap().max(height(u[1]).unwrap()),
        stalled,
        "finalized without a quorum"
    );

    // Both restart: they catch up (backfill) and the chain goes on.
    guard
        .0
        .push(start_node(&net.join("node2").join("node.toml"), &[]));
    guard
        .0
        .push(start_node(&net.join("node3").join("node.toml"), &[]));
    wait_for(
        "progress after the restarts",
        Duration::from_secs(120),
        || u.iter().all(|x| height(x).unwrap_or(0) >= stalled + 3),
    );
    agree(&u);

    // A full node started late syncs from genesis and serves the same state.
    let full_url = doc["full"]["rpc"].as_str().unwrap().to_string();
    guard.0.push(start_node(
        &net.join("full0").join("node.toml"),
        &["--full"],
    ));
    let target = height(u[0]).unwrap();
    wait_for("the follower to sync", Duration::from_secs(120), || {
        height(&full_url).unwrap_or(0) >= target
    });
    agree(&[u[0], u[1], u[2], u[3], &full_url]);
    assert!(included(&full_url, &a) && included(&full_url, &b));
}

fn dump_logs(net: &Path) {
    let Ok(entries) = std::fs::read_dir(net) else {
        return;
    };
    let mut logs: Vec<_> = entries
        .flatten()
        .map(|e| e.path().join("node.log"))
        .filter(|p| p.exists())
        .collect();
    logs.sort();
    for log in logs {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        eprintln!("==== {} (last 40 of {} lines)", log.display(), lines.len());
        for l in &lines[lines.len().saturating_sub(40)..] {
            eprintln!("{l}");
        }
    }
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

fn node_error(config: &Path) -> String {
    let out = Command::new(MOLT)
        .arg("--json")
        .arg("node")
        .arg("--config")
        .arg(config)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["error"].as_str().unwrap().to_string()
}

#[test]
fn bad_configs_and_genesis_files_are_refused_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let net = dir.path().join("net");
    let out = Command::new(MOLT)
        .args([
            "--json",
            "testnet",
            "--validators",
            "2",
            "--no-start",
            "--dir",
        ])
        .arg(&net)
        .output()
        .unwrap();
    assert!(out.status.success());
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["created"], true);
    // A second run finds the same files (resume), and a different size is refused.
    let again: Value = serde_json::from_slice(
        &Command::new(MOLT)
            .args([
                "--json",
                "testnet",
                "--validators",
                "2",
                "--no-start",
                "--dir",
            ])
            .arg(&net)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(again["created"], false);
    let other = Command::new(MOLT)
        .args([
            "--json",
            "testnet",
            "--validators",
            "3",
            "--no-start",
            "--dir",
        ])
        .arg(&net)
        .output()
        .unwrap();
    assert!(!other.status.success());

    let node0 = net.join("node0");
    let good = std::fs::read_to_string(node0.join("node.toml")).unwrap();
    let genesis = std::fs::read_to_string(net.join("genesis.json")).unwrap();
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "bad-listen.toml",
            good.replace("listen = \"127.0.0.1:", "listen = \"nowhere:"),
            "`listen`",
        ),
        (
            "bad-peer.toml",
            good.replacen("public_key = \"0x", "public_key = \"0xzz", 1),
            "`peers[0].public_key`",
        ),
        (
            "unknown.toml",
            format!("{good}\ncolour = \"red\"\n"),
            "colour",
        ),
        (
            "no-peers.toml",
            good.split("[[peers]]").next().unwrap().to_string(),
            "`peers`",
        ),
        (
            "bad-block-time.toml",
            good.replace("block_time_ms = 500", "block_time_ms = 0"),
            "`block_time_ms`",
        ),
        (
            "no-key.toml",
            good.replace("validator.key", "missing.key"),
            "missing.key",
        ),
    ];
    for (name, text, expected) in cases {
        write(&node0, name, &text);
        let e = node_error(&node0.join(name));
        assert!(e.contains(expected), "{name}: {e}");
    }
    let genesis_cases: Vec<(String, &str)> = vec![
        (genesis.replace("\"molt-testnet\"", "\"\""), "`chain_id`"),
        (
            genesis.replace("\"voting_power\": 1", "\"voting_power\": 5"),
            "`validators[0].voting_power`",
        ),
        (
            genesis.replacen("\"public_key\": \"0x", "\"public_key\": \"0x1", 1),
            "`validators[0].public_key`",
        ),
        (
            genesis.replace(
                "\"timestamp_ms\": 0",
                "\"timestamp_ms\": 0, \"params\": {\"epoch_lenght\": 5}",
            ),
            "`params.epoch_lenght`",
        ),
        (genesis.replace("\"balance\"", "\"balanse\""), "balanse"),
    ];
    for (i, (text, expected)) in genesis_cases.into_iter().enumerate() {
        write(&net, "genesis.json", &text);
        let e = node_error(&node0.join("node.toml"));
        assert!(e.contains(expected), "genesis case {i}: {e}");
    }
    // Nothing was opened: no data directory was created.
    assert!(!node0.join("data").exists());

    // A p2p port held by another process is named at start, not reported
    // later as a stopped engine.
    write(&net, "genesis.json", &genesis);
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let held = holder.local_addr().unwrap();
    let listen_line = good
        .lines()
        .find(|l| l.starts_with("listen = "))
        .unwrap()
        .to_string();
    write(
        &node0,
        "busy.toml",
        &good.replace(&listen_line, &format!("listen = \"{held}\"")),
    );
    let e = node_error(&node0.join("busy.toml"));
    assert!(
        e.contains(&format!("cannot listen for peers on {held}")),
        "{e}"
    );
}
