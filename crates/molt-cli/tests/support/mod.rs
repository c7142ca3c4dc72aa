//! A `molt node --dev` process for end-to-end tests, and the `molt` CLI
//! run against it (`--json`, one document per command).
#![allow(dead_code)]

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const MOLT: &str = env!("CARGO_BIN_EXE_molt");

pub struct DevNode {
    pub child: Option<Child>,
    pub home: PathBuf,
    pub rpc: String,
    pub port: u16,
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl DevNode {
    pub fn start(home: &Path, port: u16) -> DevNode {
        DevNode::start_with_block_time(home, port, 100)
    }

    /// A dev node producing a block every `block_ms` milliseconds.
    pub fn start_with_block_time(home: &Path, port: u16, block_ms: u64) -> DevNode {
        let log = std::fs::File::create(
            home.join(format!("node-{}.log", Instant::now().elapsed().as_nanos())),
        )
        .unwrap();
        let child = Command::new(MOLT)
            .args([
                "node",
                "--dev",
                "--rpc-port",
                &port.to_string(),
                "--block-time",
                &block_ms.to_string(),
            ])
            .env("MOLT_HOME", home)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let node = DevNode {
            child: Some(child),
            home: home.to_path_buf(),
            rpc: format!("http://127.0.0.1:{port}"),
            port,
        };
        let start = Instant::now();
        // `query block latest` answers as soon as the node is up.
        while node.molt(&["query", "block", "latest"]).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "the node did not come up"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        node
    }

    /// Runs `molt --json ARGS` against this node; Ok(JSON) on exit 0.
    pub fn molt(&self, args: &[&str]) -> Result<Value, (i32, String)> {
        let out = Command::new(MOLT)
            .args(["--json", "--rpc", &self.rpc])
            .args(args)
            .env("MOLT_HOME", &self.home)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        if out.status.success() {
            Ok(
                serde_json::from_str(&stdout)
                    .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}")),
            )
        } else {
            Err((
                out.status.code().unwrap_or(-1),
                format!("{stdout}{}", String::from_utf8_lossy(&out.stderr)),
            ))
        }
    }

    /// Runs `molt ARGS` (text mode) against this node, stdout and stderr
    /// piped; `(success, stdout, stderr)`.
    pub fn molt_text(&self, args: &[&str]) -> (bool, String, String) {
        let out = Command::new(MOLT)
            .args(["--rpc", &self.rpc])
            .args(args)
            .env("MOLT_HOME", &self.home)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    }

    pub fn ok(&self, args: &[&str]) -> Value {
        self.molt(args)
            .unwrap_or_else(|(code, text)| panic!("molt {args:?} failed ({code}): {text}"))
    }

    pub fn rpc(&self, method: &str, params: Value) -> Value {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        ureq::post(&self.rpc)
            .send_json(body)
            .unwrap()
            .into_json()
            .unwrap()
    }

    pub fn sigkill(&mut self) {
        let mut c = self.child.take().unwrap();
        c.kill().unwrap();
        c.wait().unwrap();
    }

    pub fn sigterm(&mut self) -> std::process::ExitStatus {
        let mut c = self.child.take().unwrap();
        // SAFETY-free: libc::kill with a pid we own.
        let pid = c.id() as i32;
        assert_eq!(unsafe_kill(pid, libc::SIGTERM), 0);
        c.wait().unwrap()
    }
}

#[allow(unsafe_code)]
pub fn unsafe_kill(pid: i32, sig: i32) -> i32 {
    // SAFETY: sending a signal to our own child process has no memory effects.
    unsafe { libc::kill(pid, sig) }
}

impl Drop for DevNode {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The address of key `name` (a dev account or a stored key).
pub fn dev_address(node: &DevNode, name: &str) -> String {
    node.ok(&["keys", "show", name])["address"]
        .as_str()
        .unwrap()
        .to_string()
}
