//! molt-visor end to end: real molt binaries (two builds of this source
//! reporting 0.1.0 and 0.2.0), real processes, signals, UNIX sockets and
//! the node's real store.

mod disk_full;
mod failures;
mod upgrade;

use molt_node::admin::{AdminStatus, query_status};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub const VISOR: &str = env!("CARGO_BIN_EXE_molt-visor");

/// The molt binary of this source as release 0.1.0 and as 0.2.0, built once
/// per test run (the second with `MOLT_RELEASE_VERSION=0.2.0`) and copied
/// out of the target directory.
#[derive(Debug)]
pub struct Binaries {
    pub v1: PathBuf,
    pub v2: PathBuf,
}

pub fn binaries() -> &'static Binaries {
    static BINARIES: OnceLock<Binaries> = OnceLock::new();
    BINARIES.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("target"));
        // Reused by every run (overwritten), never left in /tmp.
        let out = target.join("molt-visor-it");
        std::fs::create_dir_all(&out).unwrap();
        let build = |release: Option<&str>, name: &str| {
            let mut cmd = Command::new(env!("CARGO"));
            cmd.current_dir(&root)
                .args(["build", "-p", "molt-cli", "--bin", "molt"])
                .env_remove("MOLT_RELEASE_VERSION");
            if let Some(r) = release {
                cmd.env("MOLT_RELEASE_VERSION", r);
            }
            let status = cmd.status().expect("run cargo");
            assert!(status.success(), "building molt {release:?} failed");
            let dest = out.join(name);
            std::fs::copy(target.join("debug/molt"), &dest).unwrap();
            dest
        };
        // The default build last, so the target directory is left as found.
        let v2 = build(Some("0.2.0"), "molt-0.2.0");
        let v1 = build(None, "molt-0.1.0");
        Binaries { v1, v2 }
    })
}

pub fn sha3_hex(path: &Path) -> String {
    molt_visor::binary::checksum(path).unwrap().to_string()
}

/// A visor home and data directory with molt 0.1.0 installed and a plan
/// for 0.2.0 at `height` scheduled by the dev node's first block.
#[derive(Debug)]
pub struct Setup {
    pub dir: tempfile::TempDir,
    pub home: PathBuf,
    pub data: PathBuf,
    pub plan_path: PathBuf,
    pub height: u64,
}

pub const BLOCK_MS: u64 = 100;

impl Setup {
    pub fn new(height: u64, plan_version: &str, checksum: &str) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let data = dir.path().join("data");
        let plan_path = dir.path().join("plan.json");
        let plan = serde_json::json!({
            "version": plan_version,
            "height": height,
            "binaries": { molt_visor::binary::platform(): checksum },
        });
        std::fs::write(&plan_path, plan.to_string()).unwrap();
        let s = Setup {
            dir,
            home,
            data,
            plan_path,
            height,
        };
        let plan_arg = s.plan_path.to_string_lossy().into_owned();
        let block = BLOCK_MS.to_string();
        let (ok, _, err) = s.visor(&[
            "init",
            "--binary",
            binaries().v1.to_str().unwrap(),
            "--data-dir",
            s.data.to_str().unwrap(),
            "--",
            "node",
            "--dev",
            "--rpc-port",
            "0",
            "--block-time",
            &block,
            "--upgrade-plan",
            &plan_arg,
        ]);
        assert!(ok, "{err}");
        let config = format!(
            "data_dir = {:?}\nmax_restarts = 2\nrestart_delay_ms = 100\nstop_grace_ms = 5000\npoll_interval_ms = 50\npre_upgrade_max_retries = 2\n",
            s.data
        );
        std::fs::write(s.home.join("config.toml"), config).unwrap();
        s
    }

    pub fn add_hook(&self, script: &str) -> PathBuf {
        let hook = self.dir.path().join("hook.sh");
        write_script(&hook, script);
        let mut config = std::fs::read_to_string(self.home.join("config.toml")).unwrap();
        config.push_str(&format!("pre_upgrade = {hook:?}\n"));
        std::fs::write(self.home.join("config.toml"), config).unwrap();
        hook
    }

    /// Runs a visor command to completion: (success, stdout, stderr).
    pub fn visor(&self, args: &[&str]) -> (bool, String, String) {
        let out = Command::new(VISOR)
            .arg("--home")
            .arg(&self.home)
            .args(args)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Starts `molt-visor run`, its stderr to `visor.log`.
    pub fn spawn_run(&self) -> Child {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.visor_log())
            .unwrap();
        Command::new(VISOR)
            .arg("--home")
            .arg(&self.home)
            .arg("run")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap()
    }

    pub fn visor_log(&self) -> PathBuf {
        self.dir.path().join("visor.log")
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(self.visor_log()).unwrap_or_default()
    }

    /// Runs the visor until it exits by itself (bounded): (success, its log).
    pub fn run_until_exit(&self, limit: Duration) -> (bool, String) {
        let mut child = self.spawn_run();
        let t = Instant::now();
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return (status.success(), self.log_text());
            }
            if t.elapsed() > limit {
                let _ = child.kill();
                panic!(
                    "the visor did not exit within {limit:?}:\n{}",
                    self.log_text()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn status(&self) -> Option<AdminStatus> {
        query_status(&self.data.join("admin.sock"), Duration::from_secs(2)).ok()
    }

    pub fn current(&self) -> String {
        let target = std::fs::read_link(self.home.join("current")).unwrap();
        target.file_name().unwrap().to_string_lossy().into_owned()
    }

    /// The committed height and state root of the store (the node stopped).
    pub fn store_tip(&self) -> (u64, molt_types::Digest) {
        let store = molt_store::Store::open(&self.data.join("state.redb"), Default::default())
            .expect("open the node's store");
        let v = store.latest_version().unwrap();
        (v, store.root(v).unwrap())
    }

    pub fn plan_file(&self) -> molt_node::halt::PlanFile {
        molt_node::halt::read_plan_file(&self.data)
            .unwrap()
            .unwrap()
    }
}

pub fn write_script(path: &Path, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Waits for `cond` (bounded), panicking with `what` and the visor's log.
pub fn wait_for(s: &Setup, what: &str, limit: Duration, mut cond: impl FnMut() -> bool) {
    let t = Instant::now();
    while !cond() {
        assert!(
            t.elapsed() < limit,
            "timed out waiting for {what}:\n{}",
            s.log_text()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Sends SIGTERM to the visor and waits at most `limit` for it to exit.
pub fn stop_within(visor: &mut Child, limit: Duration) {
    sigterm(visor);
    let t = std::time::Instant::now();
    while visor.try_wait().unwrap().is_none() {
        assert!(t.elapsed() < limit, "the visor did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn sigterm(child: &Child) {
    let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
}
