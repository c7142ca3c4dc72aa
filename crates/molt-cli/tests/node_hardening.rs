//! The node under hostile or unlucky clients, as a real `molt node --dev`
//! process on a loopback port: connections that stall, subscription churn,
//! and a SIGKILL while accepted transactions wait for a block.

use molt_runtime::dev_key;
use molt_types::{Address, ChainId, SignedTransaction, Transaction, TransactionPayload};
use serde_json::{Value, json};
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
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

/// A `molt node --dev` process with its own data directory and port.
struct DevNode {
    child: Option<Child>,
    url: String,
    data_dir: PathBuf,
}

impl DevNode {
    fn start(home: &Path, port: u16, extra: &[&str]) -> DevNode {
        let data_dir = home.join("chain");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(home.join("node.log"))
            .unwrap();
        let child = Command::new(MOLT)
            .args([
                "node",
                "--dev",
                "--rpc-port",
                &port.to_string(),
                "--data-dir",
            ])
            .arg(&data_dir)
            .args(extra)
            .env("MOLT_HOME", home)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let node = DevNode {
            child: Some(child),
            url: format!("http://127.0.0.1:{port}"),
            data_dir,
        };
        let start = Instant::now();
        while node.try_rpc("molt_nodeStatus", json!([])).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "the node did not come up; see {}",
                home.join("node.log").display()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        node
    }

    /// One call on a fresh connection that is closed afterwards.
    fn try_rpc(&self, method: &str, params: Value) -> Result<Value, String> {
        let agent = ureq::AgentBuilder::new()
            .max_idle_connections(0)
            .timeout(Duration::from_secs(10))
            .build();
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        match agent.post(&self.url).send_json(body) {
            Ok(r) => r.into_json().map_err(|e| e.to_string()),
            Err(ureq::Error::Status(code, r)) => Err(format!(
                "HTTP {code}: {}",
                r.into_string().unwrap_or_default()
            )),
            Err(e) => Err(e.to_string()),
        }
    }

    fn rpc(&self, method: &str, params: Value) -> Value {
        self.try_rpc(method, params)
            .unwrap_or_else(|e| panic!("{method}: {e}"))
    }

    fn status(&self) -> Value {
        self.rpc("molt_nodeStatus", json!([]))["result"].clone()
    }

    fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// The node process's resident memory, from /proc.
    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS in /proc/<pid>/status")
    }

    /// CPU time the node process has used (user + system), from /proc.
    fn cpu_time(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).unwrap();
        // Fields after the command name; utime and stime are the 12th and 13th.
        let after = &stat[stat.rfind(')').unwrap() + 2..];
        let f: Vec<u64> = after
            .split(' ')
            .skip(11)
            .take(2)
            .map(|x| x.parse().unwrap())
            .collect();
        // /proc counts in USER_HZ, 100 per second on Linux.
        Duration::from_millis((f[0] + f[1]) * 10)
    }

    fn sigkill(&mut self) {
        let mut c = self.child.take().unwrap();
        c.kill().unwrap();
        c.wait().unwrap();
    }

    /// Polls `done` on the node's status until it holds or `limit` passes.
    fn wait_for(&self, what: &str, limit: Duration, done: impl Fn(&Value) -> bool) -> Value {
        let start = Instant::now();
        loop {
            let s = self.status();
            if done(&s) {
                return s;
            }
            assert!(start.elapsed() < limit, "{what}: still {s} after {limit:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for DevNode {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Writes `bytes` on a new connection to the node and leaves it open.
fn stalled(port: u16, bytes: &str) -> TcpStream {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(bytes.as_bytes()).unwrap();
    s
}

/// A WebSocket handshake done by hand, so that nothing ever answers the
/// node's pings afterwards.
fn idle_websocket(port: u16) -> TcpStream {
    let mut s = stalled(
        port,
        "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    );
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        s.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    assert!(head.starts_with("HTTP/1.1 101"), "handshake: {head}");
    s
}

/// Reads until the node closes the connection; what it sent, or None if it
/// is still open at `deadline`.
fn read_until_closed(s: &mut TcpStream, deadline: Instant) -> Option<Vec<u8>> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        s.set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .unwrap();
        match s.read(&mut buf) {
            Ok(0) => return Some(got),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return Some(got),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return None;
            }
            Err(e) => panic!("reading a stalled connection: {e}"),
        }
    }
}

#[test]
fn stalled_connections_lose_their_slots_and_a_normal_client_is_served() {
    let home = tempfile::tempdir().unwrap();
    let port = free_port();
    // 200 slots, all of which the attack below takes.
    let (header_ms, body_ms, send_ms, ping_ms, inactive_ms) = (3000, 3000, 3000, 1000, 2000);
    let node = DevNode::start(
        home.path(),
        port,
        &[
            "--rpc-max-connections",
            "200",
            "--rpc-header-timeout",
            &header_ms.to_string(),
            "--rpc-body-timeout",
            &body_ms.to_string(),
            "--rpc-send-timeout",
            &send_ms.to_string(),
            "--rpc-ws-ping-interval",
            &ping_ms.to_string(),
            "--rpc-ws-inactive-limit",
            &inactive_ms.to_string(),
        ],
    );
    // The longest any stalled connection may hold its slot.
    let stall_bound = Duration::from_millis(
        [header_ms, body_ms, send_ms, ping_ms + inactive_ms]
            .into_iter()
            .max()
            .unwrap(),
    );
    node.wait_for(
        "only the status call is connected",
        Duration::from_secs(10),
        |s| s["rpc"]["connections"] == 1,
    );

    let attack_start = Instant::now();
    // Connections that send nothing, and headers that never end.
    let mut header_stalls: Vec<TcpStream> = (0..40)
        .map(|i| {
            let partial =
                "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n";
            stalled(port, if i % 2 == 0 { "" } else { partial })
        })
        .collect();
    // Whole headers, a tenth of the body, then silence.
    let mut body_stalls: Vec<TcpStream> = (0..60)
        .map(|_| {
            stalled(
                port,
                &format!(
                    "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
                     Content-Length: 1000\r\n\r\n{}",
                    " ".repeat(100)
                ),
            )
        })
        .collect();
    // WebSockets that never answer a ping.
    let mut idle_ws: Vec<TcpStream> = (0..100).map(|_| idle_websocket(port)).collect();
    let attack_done = Instant::now();
    println!(
        "200 stalled connections open after {} ms",
        (attack_done - attack_start).as_millis()
    );

    // Every slot is taken: a normal client is refused with a typed error.
    let refused = node.try_rpc("molt_chainInfo", json!([]));
    let refusal = refused.expect_err("all 200 slots are held by stalled connections");
    assert!(refusal.starts_with("HTTP 503"), "{refusal}");
    assert!(refusal.contains("-32009"), "{refusal}");

    // ...and served once the stalled connections have timed out.
    let served_at = loop {
        if let Ok(r) = node.try_rpc("molt_chainInfo", json!([])) {
            assert!(r["result"]["height"].is_u64(), "{r}");
            break Instant::now();
        }
        assert!(
            attack_done.elapsed() < stall_bound + Duration::from_secs(5),
            "no normal client served {} ms after the attack (stalled connections hold slots for at most {} ms)",
            attack_done.elapsed().as_millis(),
            stall_bound.as_millis()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let waited = served_at - attack_done;
    println!(
        "normal client served {} ms after the attack; configured stall bound {} ms",
        waited.as_millis(),
        stall_bound.as_millis()
    );
    assert!(waited <= stall_bound + Duration::from_secs(5));

    // The node closed every stalled connection itself.
    let deadline = attack_done + stall_bound + Duration::from_secs(5);
    for s in &mut header_stalls {
        assert!(
            read_until_closed(s, deadline).is_some(),
            "a connection stalled in its headers is still open"
        );
    }
    for s in &mut body_stalls {
        let reply = read_until_closed(s, deadline).expect("a body stall is closed");
        let reply = String::from_utf8_lossy(&reply);
        assert!(reply.starts_with("HTTP/1.1 408"), "{reply}");
        assert!(reply.contains("-32020"), "{reply}");
    }
    for s in &mut idle_ws {
        assert!(
            read_until_closed(s, deadline).is_some(),
            "an idle WebSocket is still open"
        );
    }
    node.wait_for(
        "only the status call is connected",
        Duration::from_secs(5),
        |s| s["rpc"]["connections"] == 1,
    );
}

type Socket = tungstenite::WebSocket<tungstenite::stream::MaybeTlsStream<TcpStream>>;

fn next_text(ws: &mut Socket) -> Value {
    loop {
        match ws.read().unwrap() {
            tungstenite::Message::Text(t) => return serde_json::from_str(t.as_str()).unwrap(),
            _ => continue,
        }
    }
}

/// Opens a WebSocket with `n` event subscriptions whose filter never matches.
fn subscribed_socket(port: u16, n: usize) -> Socket {
    let (mut ws, _) = tungstenite::connect(format!("ws://127.0.0.1:{port}")).unwrap();
    if let tungstenite::stream::MaybeTlsStream::Plain(s) = ws.get_ref() {
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    }
    for id in 0..n {
        let req = json!({"jsonrpc": "2.0", "id": id, "method": "molt_subscribeEvents",
            "params": [{"name": "NoProgramEmitsThis"}]});
        ws.write(tungstenite::Message::Text(req.to_string().into()))
            .unwrap();
    }
    ws.flush().unwrap();
    for _ in 0..n {
        let ack = next_text(&mut ws);
        assert!(ack["result"].is_string() || ack["result"].is_u64(), "{ack}");
    }
    ws
}

#[test]
fn subscriptions_end_with_their_connections_and_leave_no_memory_behind() {
    const ROUNDS: usize = 20;
    const CONNECTIONS: usize = 20;
    const PER_CONNECTION: usize = 1024;
    let home = tempfile::tempdir().unwrap();
    let port = free_port();
    let node = DevNode::start(home.path(), port, &["--block-time", "200"]);
    let rss_start = node.rss_kib();
    let mut rss = Vec::new();
    let started = Instant::now();
    for round in 0..ROUNDS {
        let mut sockets: Vec<Socket> = std::thread::scope(|scope| {
            let opened: Vec<_> = (0..CONNECTIONS)
                .map(|_| scope.spawn(|| subscribed_socket(port, PER_CONNECTION)))
                .collect();
            opened.into_iter().map(|t| t.join().unwrap()).collect()
        });
        if round == 0 {
            let s = node.status();
            assert_eq!(
                s["rpc"]["subscriptions"],
                CONNECTIONS * PER_CONNECTION,
                "every subscription is counted: {s}"
            );
            // One more than the per-connection limit is refused; the connection stays.
            let ws = &mut sockets[0];
            let req = json!({"jsonrpc": "2.0", "id": "over", "method": "molt_subscribeEvents", "params": []});
            ws.send(tungstenite::Message::Text(req.to_string().into()))
                .unwrap();
            let r = next_text(ws);
            assert_eq!(r["error"]["code"], -32006, "{r}");
        }
        // Half say goodbye, half just vanish.
        for (i, mut ws) in sockets.into_iter().enumerate() {
            if i % 2 == 0 {
                let _ = ws.close(None);
                let _ = ws.flush();
            }
        }
        node.wait_for(
            "subscriptions end with their connections",
            Duration::from_secs(30),
            |s| s["rpc"]["subscriptions"] == 0 && s["rpc"]["connections"] == 1,
        );
        rss.push(node.rss_kib());
    }
    let churn = started.elapsed();
    println!("RSS per round (KiB): {rss:?}");
    let (cpu_before, idle_start) = (node.cpu_time(), Instant::now());
    std::thread::sleep(Duration::from_secs(2));
    let idle_cpu = node.cpu_time() - cpu_before;
    // Between rounds the allocator keeps some freed memory; the level of
    // the first rounds is the baseline.
    let (first, last) = (rss[..3].iter().copied().max().unwrap(), rss[ROUNDS - 1]);
    let peak = rss.iter().copied().max().unwrap();
    println!(
        "{ROUNDS} rounds x {CONNECTIONS} connections x {PER_CONNECTION} subscriptions in {} ms; \
         node RSS: {} MiB at start, {} MiB after rounds 1-3 (highest), {} MiB after round {ROUNDS} (peak between rounds {} MiB); \
         idle afterwards: {} ms of CPU in {} ms",
        churn.as_millis(),
        rss_start / 1024,
        first / 1024,
        last / 1024,
        peak / 1024,
        idle_cpu.as_millis(),
        idle_start.elapsed().as_millis()
    );
    // 409,600 leaked subscriptions would hold hundreds of MiB; a node that
    // frees them returns to the level of the first round.
    assert!(
        last <= first + 48 * 1024,
        "node memory grew from {first} KiB after the first rounds to {last} KiB after round {ROUNDS}"
    );
}

fn transfer(from: u8, seq: u64, to: Address, amount: u64) -> SignedTransaction {
    let key = dev_key(from);
    Transaction {
        chain_id: ChainId::dev(),
        sender: key.address(),
        sequence_number: seq,
        gas_budget: 1_000_000,
        gas_price: 1,
        expiry_height: 1_000_000,
        payload: TransactionPayload::Transfer { to, amount },
    }
    .sign(&key)
}

#[test]
fn accepted_transactions_survive_sigkill_and_are_included_after_restart() {
    let home = tempfile::tempdir().unwrap();
    let port = free_port();
    // One block at start, then none for an hour: submissions stay pending.
    let mut node = DevNode::start(home.path(), port, &["--block-time", "3600000"]);
    node.wait_for("the first block", Duration::from_secs(30), |s| {
        s["height"].as_u64() >= Some(1)
    });
    let to = Address::reserved(0x77);
    let mut ids = Vec::new();
    for from in 0..4u8 {
        for seq in 0..10 {
            let tx = transfer(from, seq, to, 1 + seq);
            let r = node.rpc(
                "molt_submitTransaction",
                json!([format!("0x{}", hex::encode(tx.encode()))]),
            );
            assert_eq!(r["result"], json!(tx.id()), "{r}");
            ids.push(tx.id());
        }
    }
    let s = node.status();
    assert_eq!(s["mempool"]["transactions"], 40, "{s}");
    assert_eq!(s["journal"]["records"], 40, "{s}");
    for id in &ids {
        assert_eq!(
            node.rpc("molt_getTransaction", json!([id]))["result"]["status"],
            "pending"
        );
    }

    node.sigkill();
    // A crash in the middle of the next append: a record head promising
    // 200 bytes, and 50 of them.
    let journal = node.data_dir.join(molt_node::JOURNAL_FILE);
    let mut torn = 200u32.to_le_bytes().to_vec();
    torn.extend_from_slice(&[0xab; 4]);
    torn.extend_from_slice(&[0xcd; 50]);
    std::fs::OpenOptions::new()
        .append(true)
        .open(&journal)
        .unwrap()
        .write_all(&torn)
        .unwrap();

    let node = DevNode::start(home.path(), port, &["--block-time", "100"]);
    let s = node.status();
    assert_eq!(
        s["journal"]["recovered_at_start"],
        json!({"readmitted": 40, "already_included": 0, "dropped_invalid": 0, "torn_bytes": torn.len()}),
        "{s}"
    );
    let start = Instant::now();
    for id in &ids {
        loop {
            let r = node.rpc("molt_getTransaction", json!([id]))["result"].clone();
            if r["status"] == "included" {
                assert_eq!(r["receipt"]["status"], "success", "{r}");
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "{id} not included: {r}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    let balance = node.rpc("molt_getAccount", json!([to]))["result"]["balance"].clone();
    assert_eq!(balance, json!(4 * (1..=10).sum::<u64>()));
    // Included transactions leave the journal.
    node.wait_for("the journal compacts", Duration::from_secs(30), |s| {
        s["journal"]["records"] == 0 && s["mempool"]["transactions"] == 0
    });
    assert_eq!(std::fs::metadata(&journal).unwrap().len(), 8);
}
