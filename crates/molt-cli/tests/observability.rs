//! What an operator sees of a real `molt node --dev` process: its logs on
//! stderr (text or one JSON object per line, one event per block) and its
//! Prometheus metrics at `/metrics`, checked by `promtool`.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const MOLT: &str = env!("CARGO_BIN_EXE_molt");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A dev node whose stderr goes to `log`.
struct DevNode {
    child: Child,
    home: PathBuf,
    rpc: String,
    log: PathBuf,
}

impl DevNode {
    fn start(home: &Path, extra: &[&str]) -> DevNode {
        let port = free_port();
        let log = home.join("node.log");
        let child = Command::new(MOLT)
            .args(["node", "--dev", "--block-time", "100", "--rpc-port"])
            .arg(port.to_string())
            .args(extra)
            .env("MOLT_HOME", home)
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let node = DevNode {
            child,
            home: home.to_path_buf(),
            rpc: format!("http://127.0.0.1:{port}"),
            log,
        };
        let start = Instant::now();
        while node.molt(&["query", "block", "latest"]).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "the node did not come up: {}",
                node.log_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        node
    }

    fn molt(&self, args: &[&str]) -> Result<Value, String> {
        let out = Command::new(MOLT)
            .args(["--json", "--rpc", &self.rpc])
            .args(args)
            .env("MOLT_HOME", &self.home)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        if out.status.success() {
            Ok(serde_json::from_str(&stdout).unwrap())
        } else {
            Err(format!("{stdout}{}", String::from_utf8_lossy(&out.stderr)))
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the log satisfies `done`.
    fn wait_log(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let text = self.log_text();
            if done(&text) {
                return text;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "the log never showed {what}:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for DevNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The block events of a JSON log; panics on a line that is not JSON.
fn block_events(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| {
            serde_json::from_str::<Value>(l)
                .unwrap_or_else(|e| panic!("a log line is not JSON ({e}): {l}"))
        })
        .filter(|v| v["target"] == "molt::block")
        .collect()
}

#[test]
fn json_logs_have_one_parsable_line_per_block_with_height_and_timings() {
    let home = tempfile::tempdir().unwrap();
    let node = DevNode::start(home.path(), &["--log-format", "json"]);
    // A transfer, so one block carries a transaction.
    let to = node.molt(&["keys", "show", "dev1"]).unwrap()["address"]
        .as_str()
        .unwrap()
        .to_string();
    let sent = node
        .molt(&["transfer", "--to", &to, "--amount", "5", "--from", "dev0"])
        .unwrap();
    let included_at = sent["receipt"]["height"]
        .as_u64()
        .unwrap_or_else(|| panic!("{sent}"));
    let text = node.wait_log("blocks past the transfer", |t| {
        block_events(t)
            .iter()
            .any(|e| e["fields"]["height"].as_u64() > Some(included_at + 2))
    });
    let events = block_events(&text);
    let heights: Vec<u64> = events
        .iter()
        .map(|e| e["fields"]["height"].as_u64().unwrap())
        .collect();
    // One event per block, in order, none missing.
    for pair in heights.windows(2) {
        assert_eq!(pair[1], pair[0] + 1, "heights {heights:?}");
    }
    for e in &events {
        assert_eq!(e["level"], "INFO", "{e}");
        assert_eq!(e["fields"]["message"], "block finalized", "{e}");
        let f = &e["fields"];
        for field in [
            "execute_us",
            "commit_us",
            "transactions",
            "epoch",
            "dropped",
        ] {
            assert!(f[field].is_u64(), "{field} missing in {e}");
        }
        assert_eq!(f["id"].as_str().map(str::len), Some(66), "{e}");
    }
    // Every block after the first has an interval near the block time.
    assert!(
        events[1..]
            .iter()
            .all(|e| e["fields"]["interval_ms"].is_u64())
    );
    let with_tx = events
        .iter()
        .find(|e| e["fields"]["height"].as_u64() == Some(included_at))
        .expect("the transfer's block is logged");
    assert_eq!(with_tx["fields"]["transactions"], 1, "{with_tx}");
    // A block that executed something took measurable time to execute.
    assert!(with_tx["fields"]["execute_us"].as_u64().unwrap() > 0);
}

#[test]
fn text_logs_are_for_people_and_levels_filter_them() {
    let home = tempfile::tempdir().unwrap();
    let node = DevNode::start(home.path(), &[]);
    let text = node.wait_log("two block lines", |t| {
        t.lines().filter(|l| l.contains("block finalized")).count() >= 2
    });
    let line = text
        .lines()
        .find(|l| l.contains("block finalized"))
        .unwrap();
    assert!(line.contains("INFO") && line.contains("height="), "{line}");
    assert!(serde_json::from_str::<Value>(line).is_err(), "{line}");
    drop(node);

    // --log-level warn: no block lines at all.
    let home = tempfile::tempdir().unwrap();
    let node = DevNode::start(home.path(), &["--log-level", "warn"]);
    std::thread::sleep(Duration::from_millis(800));
    let text = node.log_text();
    assert!(!text.contains("block finalized"), "{text}");
}

#[test]
fn a_bad_log_level_is_refused_before_the_node_starts() {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(MOLT)
        .args(["--json", "node", "--dev", "--log-level", "molt_node=loud"])
        .env("MOLT_HOME", home.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = doc.to_string();
    assert!(text.contains("--log-level"), "{text}");
    assert!(!home.path().join("dev").exists(), "no chain was created");
}

/// `promtool`, which CI installs (Debian package `prometheus`, see
/// scripts/setup.sh); its absence fails the test rather than skipping it.
fn promtool() -> &'static str {
    let found = Command::new("promtool").arg("--version").output();
    assert!(
        found.is_ok_and(|o| o.status.success()),
        "promtool is not installed: run scripts/setup.sh (apt-get install prometheus)"
    );
    "promtool"
}

/// The Prometheus text format (0.0.4), as curl or promtool would get it.
fn scrape(rpc: &str) -> String {
    let response = ureq::get(&format!("{rpc}/metrics")).call().unwrap();
    assert_eq!(
        response.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    response.into_string().unwrap()
}

/// OpenMetrics, as the Prometheus server asks for it.
fn scrape_openmetrics(rpc: &str) -> String {
    let response = ureq::get(&format!("{rpc}/metrics"))
        .set(
            "accept",
            "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
        )
        .call()
        .unwrap();
    assert!(response.content_type().contains("openmetrics-text"));
    response.into_string().unwrap()
}

/// The value of the series whose line starts with `series ` (name and labels).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .map(|v| v.parse().unwrap())
}

#[test]
fn metrics_are_scraped_from_a_real_node_and_pass_promtool() {
    let home = tempfile::tempdir().unwrap();
    let node = DevNode::start(home.path(), &[]);
    let dev1 = molt_runtime::dev_key(1).address();
    let sent = node
        .molt(&[
            "transfer",
            "--to",
            &dev1.to_string(),
            "--amount",
            "5",
            "--from",
            "dev0",
        ])
        .unwrap();
    let included_at = sent["receipt"]["height"].as_u64().unwrap();
    // The same sequence number again: refused at admission as too old.
    let key = molt_runtime::dev_key(0);
    let stale = molt_types::Transaction {
        chain_id: molt_types::ChainId::dev(),
        sender: key.address(),
        sequence_number: 0,
        gas_budget: 1_000_000,
        gas_price: 1,
        expiry_height: 1_000_000,
        payload: molt_types::TransactionPayload::Transfer {
            to: dev1,
            amount: 1,
        },
    }
    .sign(&key);
    let answer: Value = ureq::post(&node.rpc)
        .send_json(serde_json::json!({"jsonrpc": "2.0", "id": 1,
            "method": "molt_submitTransaction", "params": [format!("0x{}", hex::encode(stale.encode()))]}))
        .unwrap()
        .into_json()
        .unwrap();
    assert!(answer["error"].is_object(), "{answer}");
    // A method the node does not serve, twice.
    for _ in 0..2 {
        let _ = ureq::post(&node.rpc).send_json(serde_json::json!(
            {"jsonrpc": "2.0", "id": 1, "method": "no_such_method_x", "params": []}));
    }
    let start = Instant::now();
    let text = loop {
        let text = scrape(&node.rpc);
        if sample(&text, "molt_finalized_height").unwrap() >= (included_at + 3) as f64 {
            break text;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{text}");
        std::thread::sleep(Duration::from_millis(100));
    };

    // promtool parses and lints it.
    let file = home.path().join("metrics.txt");
    std::fs::write(&file, &text).unwrap();
    let check = Command::new(promtool())
        .args(["check", "metrics"])
        .stdin(std::fs::File::open(&file).unwrap())
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "promtool check metrics failed:\n{}{}\n{text}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );

    // What an operator reads from it.
    let finalized = sample(&text, "molt_finalized_height").unwrap();
    assert!(sample(&text, "molt_block_height").unwrap() >= finalized);
    let blocks = sample(&text, "molt_block_transactions_count").unwrap();
    assert!(blocks >= 3.0, "{text}");
    // The transfer is the only transaction so far.
    assert_eq!(
        sample(&text, "molt_block_transactions_sum"),
        Some(1.0),
        "{text}"
    );
    assert!(sample(&text, "molt_block_interval_seconds_count").unwrap() >= 2.0);
    assert!(sample(&text, "molt_block_execution_seconds_count").unwrap() >= blocks);
    assert!(sample(&text, "molt_block_commit_seconds_sum").unwrap() > 0.0);
    assert_eq!(
        sample(&text, "molt_mempool_transactions"),
        Some(0.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "molt_consensus_validators"),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            "molt_transactions_rejected_total{stage=\"admission\",reason=\"sequence_too_old\"}"
        ),
        Some(1.0),
        "{text}"
    );
    let submits = sample(
        &text,
        "molt_rpc_requests_total{method=\"molt_submitTransaction\"}",
    )
    .unwrap();
    assert!(submits >= 2.0, "the CLI's submit and ours: {text}");
    assert!(
        sample(
            &text,
            "molt_rpc_request_duration_seconds_count{method=\"molt_submitTransaction\"}"
        )
        .unwrap()
            >= submits
    );
    assert_eq!(
        sample(&text, "molt_rpc_requests_total{method=\"unknown\"}"),
        Some(2.0),
        "{text}"
    );
    assert!(!text.contains("no_such_method_x"), "{text}");

    // The same series in OpenMetrics for a Prometheus server.
    let om = scrape_openmetrics(&node.rpc);
    assert!(om.ends_with("# EOF\n"), "{om}");
    assert!(om.contains("# TYPE molt_rpc_requests counter"), "{om}");
    assert!(om.contains("molt_consensus_validators 1"), "{om}");
}
