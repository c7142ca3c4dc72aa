//! The node stops on a storage fault: a real `molt node --dev` process
//! whose disk refuses writes mid-run (the kernel's file size limit,
//! `RLIMIT_FSIZE`, lowered on the running process, so every write of the
//! database past its first page fails with `EFBIG`, as on a full or failing
//! disk) exits non-zero with a message that says what happened and where the
//! chain is, and a restart on the same data directory comes back at exactly
//! that height and produces blocks again.

use serde_json::{Value, json};
use std::io::Read;
use std::path::Path;
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

/// Starts `molt --json node --dev` with SIGXFSZ ignored (so a write past
/// the file size limit fails with EFBIG instead of killing the process).
#[allow(unsafe_code)]
fn start(home: &Path, port: u16) -> Child {
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new(MOLT);
    cmd.args([
        "--json",
        "node",
        "--dev",
        "--block-time",
        "20",
        "--rpc-port",
    ])
    .arg(port.to_string())
    .arg("--data-dir")
    .arg(home.join("chain"))
    .env("MOLT_HOME", home)
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    // SAFETY: between fork and exec only the async-signal-safe `signal`
    // runs, changing this child's own signal disposition.
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            Ok(())
        });
    }
    cmd.spawn().unwrap()
}

fn rpc(port: u16, method: &str) -> Result<Value, String> {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": []});
    ureq::post(&format!("http://127.0.0.1:{port}"))
        .timeout(Duration::from_secs(5))
        .send_json(body)
        .map_err(|e| e.to_string())?
        .into_json::<Value>()
        .map_err(|e| e.to_string())
}

fn height(port: u16) -> Option<u64> {
    rpc(port, "molt_chainInfo").ok()?["result"]["height"].as_u64()
}

fn wait_for_height(port: u16, at_least: u64) -> u64 {
    let start = Instant::now();
    loop {
        if let Some(h) = height(port)
            && h >= at_least
        {
            return h;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the node did not reach height {at_least}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Lowers the file size limit of the running process `pid` to `bytes`.
#[allow(unsafe_code)]
fn limit_file_size(pid: u32, bytes: u64) {
    let limit = libc::rlimit {
        rlim_cur: bytes,
        rlim_max: libc::RLIM_INFINITY,
    };
    // SAFETY: prlimit reads `limit` and writes nothing (old limit: null).
    let rc = unsafe {
        libc::prlimit(
            pid as libc::pid_t,
            libc::RLIMIT_FSIZE,
            &limit,
            std::ptr::null_mut(),
        )
    };
    assert_eq!(rc, 0, "prlimit: {}", std::io::Error::last_os_error());
}

/// Reads `pipe` to its end on a thread of its own, so the node never
/// blocks on a full pipe.
fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    })
}

/// The first JSON document a `--json` command printed.
fn first_document(stdout: &str) -> Value {
    serde_json::Deserializer::from_str(stdout)
        .into_iter::<Value>()
        .next()
        .expect("a JSON document")
        .expect("valid JSON")
}

#[test]
fn a_storage_fault_in_block_production_stops_the_node_and_a_restart_resumes() {
    let home = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut node = start(home.path(), port);
    let stdout = drain(node.stdout.take().unwrap());
    let stderr = drain(node.stderr.take().unwrap());
    wait_for_height(port, 3);

    // The disk stops taking writes past the database's first page.
    limit_file_size(node.id(), 4096);
    let since = Instant::now();
    let status = loop {
        if let Some(s) = node.try_wait().unwrap() {
            break s;
        }
        assert!(
            since.elapsed() < Duration::from_secs(60),
            "the node kept running on a failing disk"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = stdout.join().unwrap();
    let stderr = stderr.join().unwrap();
    assert!(!status.success(), "exit status {status}");
    assert_eq!(
        status.code(),
        Some(1),
        "a clean exit code, not a signal: {status}"
    );
    // With --json the failure is one JSON document too, after the start-up one.
    let docs: Vec<Value> = serde_json::Deserializer::from_str(&stdout)
        .into_iter::<Value>()
        .map(|d| d.unwrap())
        .collect();
    let failure = docs.last().unwrap();
    eprintln!("the stopped node said: {failure:#}");
    let message = failure["error"].as_str().unwrap_or_default();
    assert!(
        message.contains("block production failed, so the node stopped"),
        "{stdout}\n{stderr}"
    );
    // The runtime's own writes name the error in the failure document; when
    // the consensus engine's block storage is the first to fail, the engine
    // logs it and stops, and the node's log names it.
    assert!(
        failure.to_string().contains("File too large") || stderr.contains("File too large"),
        "the disk's error is named: {failure}\n{stderr}"
    );
    let committed: u64 = message
        .split("the chain is at height ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .and_then(|h| h.parse().ok())
        .unwrap_or_else(|| panic!("the message names the height: {message}"));
    assert!(committed >= 3, "{message}");

    // A restart on the same data directory (no limit now) opens at exactly
    // the last committed height, then produces blocks again.
    let port = free_port();
    let mut again = start(home.path(), port);
    let _stderr = drain(again.stderr.take().unwrap());
    let mut out = again.stdout.take().unwrap();
    let mut first = Vec::new();
    let mut byte = [0u8; 1];
    // The start-up document ends with a closing brace on its own line.
    while !first.ends_with(b"\n}\n") {
        assert_eq!(
            out.read(&mut byte).unwrap(),
            1,
            "start-up output ended early"
        );
        first.push(byte[0]);
    }
    let started = first_document(std::str::from_utf8(&first).unwrap());
    assert_eq!(started["height"], committed, "{started}");
    wait_for_height(port, committed + 2);
    again.kill().unwrap();
    again.wait().unwrap();
}
