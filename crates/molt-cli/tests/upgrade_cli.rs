//! The upgrade commands as a user meets them, against a real `molt node
//! --dev`: where findings are printed, exit codes, refusals before any gas
//! is spent, what `query package` and `view` show, and `Molt.lock` (no id
//! typed after the first publish).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const MOLT: &str = env!("CARGO_BIN_EXE_molt");

struct DevNode {
    child: Child,
    home: tempfile::TempDir,
    rpc: String,
}

/// What one `molt` run printed.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl DevNode {
    fn start() -> DevNode {
        let home = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = std::fs::File::create(home.path().join("node.log")).unwrap();
        let child = Command::new(MOLT)
            .args(["node", "--dev", "--rpc-port", &port.to_string()])
            .args(["--block-time", "100"])
            .env("MOLT_HOME", home.path())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let node = DevNode {
            child,
            home,
            rpc: format!("http://127.0.0.1:{port}"),
        };
        let start = Instant::now();
        while node.run(&["--json", "query", "block", "latest"]).code != 0 {
            assert!(start.elapsed() < Duration::from_secs(60), "no node");
            std::thread::sleep(Duration::from_millis(100));
        }
        node
    }

    fn run(&self, args: &[&str]) -> Run {
        // Crates copied out of the repository reuse its built dependencies.
        let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../programs/target");
        let out = Command::new(MOLT)
            .args(["--rpc", &self.rpc])
            .args(args)
            .env("MOLT_HOME", self.home.path())
            .env("CARGO_TARGET_DIR", target)
            .output()
            .unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into(),
            stderr: String::from_utf8_lossy(&out.stderr).into(),
        }
    }

    /// `molt --json ARGS`: the exit code and the one JSON document on stdout.
    fn json(&self, args: &[&str]) -> (i32, Value) {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let r = self.run(&all);
        let doc = serde_json::from_str(&r.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout of molt {args:?} is not one JSON document ({e}):\n{}\nstderr:\n{}",
                r.stdout, r.stderr
            )
        });
        (r.code, doc)
    }

    fn ok(&self, args: &[&str]) -> Value {
        let (code, doc) = self.json(args);
        assert_eq!(code, 0, "molt {args:?}: {doc:#}");
        doc
    }

    fn wasm(&self, name: &str) -> PathBuf {
        let path = self.home.path().join(format!("{name}.wasm"));
        std::fs::write(&path, molt_build::example(name).unwrap()).unwrap();
        path
    }

    fn publish(&self, name: &str) -> String {
        let wasm = self.wasm(name);
        let doc = self.ok(&["publish", s(&wasm)]);
        assert_eq!(doc["original_id"], doc["package_id"]);
        doc["original_id"].as_str().unwrap().to_string()
    }

    fn sequence(&self, who: &str) -> u64 {
        self.ok(&["account", who])["sequence_number"]
            .as_u64()
            .unwrap()
    }
}

impl Drop for DevNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn dry_run_findings_are_on_stdout_and_the_exit_code_is_the_verdict() {
    let node = DevNode::start();
    let pkg = node.publish("counter_v1");
    let v2 = node.wasm("counter_v2");
    let v3 = node.wasm("counter_v3");

    let good = node.run(&["upgrade", &pkg, s(&v2), "--dry-run"]);
    assert_eq!(good.code, 0, "{}{}", good.stdout, good.stderr);
    assert!(good.stdout.contains("compatible under policy compatible"));
    assert!(good.stdout.contains("would create version 2"));

    let bad = node.run(&["upgrade", &pkg, s(&v3), "--dry-run"]);
    assert_eq!(bad.code, 1, "an incompatible dry run fails");
    assert!(
        bad.stdout.contains("E0") && bad.stdout.contains("violation(s) of policy compatible"),
        "the findings are on stdout:\n{}",
        bad.stdout
    );
    assert!(bad.stderr.contains("error:"), "{}", bad.stderr);

    // With --json, one document on stdout, also for the failure.
    let (code, doc) = node.json(&["upgrade", &pkg, s(&v3), "--dry-run"]);
    assert_eq!(code, 1);
    assert_eq!(doc["compatible"], false);
    assert!(doc["error"].as_str().unwrap().contains("incompatible"));
    assert!(!doc["report"]["violations"].as_array().unwrap().is_empty());
    let (code, doc) = node.json(&["upgrade", &pkg, "/no/such/module.wasm"]);
    assert_eq!(code, 1);
    assert!(doc["error"].is_string(), "{doc}");
}

#[test]
fn cap_restrict_refuses_immutable_and_looser_policies_before_spending_gas() {
    let node = DevNode::start();
    let pkg = node.publish("counter_v1");
    let before = node.sequence("dev0");

    let (code, doc) = node.json(&["cap", "restrict", &pkg, "--policy", "immutable"]);
    assert_eq!(code, 1);
    assert!(
        doc["error"].as_str().unwrap().contains("make-immutable"),
        "{doc}"
    );

    node.ok(&["cap", "restrict", &pkg, "--policy", "additive"]);
    assert_eq!(node.sequence("dev0"), before + 1);
    for looser in ["compatible", "additive"] {
        let (code, doc) = node.json(&["cap", "restrict", &pkg, "--policy", looser]);
        assert_eq!(code, 1);
        assert!(
            doc["error"].as_str().unwrap().contains("only be tightened"),
            "{doc}"
        );
    }
    assert_eq!(node.sequence("dev0"), before + 1, "nothing was submitted");

    let help = node.run(&["cap", "restrict", "--help"]);
    for value in ["additive", "dep_only", "make-immutable"] {
        assert!(
            help.stdout.contains(value),
            "--help names {value}:\n{}",
            help.stdout
        );
    }
}

#[test]
fn an_immutable_packages_dry_run_reports_e0901() {
    let node = DevNode::start();
    let pkg = node.publish("counter_v1");
    node.ok(&["cap", "make-immutable", &pkg]);
    let v2 = node.wasm("counter_v2");
    let r = node.run(&["upgrade", &pkg, s(&v2), "--dry-run"]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("E0901"), "{}", r.stdout);
    let (_, doc) = node.json(&["upgrade", &pkg, s(&v2), "--dry-run"]);
    assert_eq!(doc["report"]["violations"][0]["code"], "E0901", "{doc}");
    let info = node.run(&["query", "package", &pkg]);
    assert!(info.stdout.contains("immutable"), "{}", info.stdout);
}

#[test]
fn query_package_shows_the_cap_holder_and_each_versions_submitter() {
    let node = DevNode::start();
    let pkg = node.publish("counter_v1");
    let dev0 = node.ok(&["keys", "show", "dev0"])["address"]
        .as_str()
        .unwrap()
        .to_string();
    let dev1 = node.ok(&["keys", "show", "dev1"])["address"]
        .as_str()
        .unwrap()
        .to_string();
    let shown = node.run(&["query", "package", &pkg]).stdout;
    assert!(
        shown.contains(&format!("held by {dev0}, policy compatible")),
        "{shown}"
    );

    node.ok(&["cap", "transfer", &pkg, "--to", "dev1"]);
    let v2 = node.wasm("counter_v2");
    let up = node.ok(&["upgrade", &pkg, s(&v2), "--from", "dev1"]);
    assert_eq!(up["upgraded"]["original_id"], pkg.as_str());
    let shown = node.run(&["query", "package", &pkg, "--history"]).stdout;
    assert!(shown.contains(&format!("held by {dev1}")), "{shown}");
    let doc = node.ok(&["query", "package", &pkg]);
    assert_eq!(doc["versions"][0]["owner"], dev0.as_str());
    assert_eq!(doc["versions"][1]["owner"], dev1.as_str(), "the submitter");
}

#[test]
fn view_shows_an_absent_optional_as_none() {
    let node = DevNode::start();
    let pkg = node.publish("checksum_registry");
    let args = format!("[\"{pkg}\"]");
    let r = node.run(&["view", &pkg, "approved", "--args", &args]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.trim(), "none");
    let (_, doc) = node.json(&["view", &pkg, "approved", "--args", &args]);
    assert!(doc["decoded"].is_null());
}

/// A copy of `programs/<name>` as a crate of its own, named `package`.
fn crate_copy(dir: &Path, name: &str, package: &str) {
    let programs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../programs");
    let programs = programs.canonicalize().unwrap();
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::copy(
        programs.join(name).join("src/lib.rs"),
        dir.join("src/lib.rs"),
    )
    .unwrap();
    std::fs::copy(programs.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    let sdk = programs.join("../crates/molt-sdk").canonicalize().unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"{package}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
             [lib]\ncrate-type = [\"cdylib\", \"rlib\"]\n\n\
             [dependencies]\nmolt-sdk = {{ path = {:?} }}\n\n[workspace]\n",
            sdk.display().to_string()
        ),
    )
    .unwrap();
}

#[test]
fn molt_lock_records_the_package_so_no_id_is_typed() {
    let node = DevNode::start();
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("my counter");
    crate_copy(&dir, "counter_v1", "my-counter");
    let published = node.ok(&["publish", s(&dir)]);
    let original = published["original_id"].as_str().unwrap().to_string();
    let chain = node.ok(&["query", "block", "latest"]);
    assert!(chain["height"].is_u64());
    let lock: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("Molt.lock")).unwrap()).unwrap();
    let (chain_id, entry) = lock["chains"].as_object().unwrap().iter().next().unwrap();
    assert!(!chain_id.is_empty());
    assert_eq!(entry["original_id"], original.as_str());
    assert_eq!(entry["version"], 1);
    assert!(entry["upgrade_cap"].is_string());
    assert!(
        entry["build"]["rustc"]
            .as_str()
            .unwrap()
            .starts_with("rustc ")
    );

    // Publishing the same crate again on this chain is refused.
    let (code, doc) = node.json(&["publish", s(&dir)]);
    assert_eq!(code, 1);
    assert!(
        doc["error"].as_str().unwrap().contains("molt upgrade"),
        "{doc}"
    );

    // The next version, from the same directory, without an id.
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../programs/counter_v2/src/lib.rs"),
        dir.join("src/lib.rs"),
    )
    .unwrap();
    let up = node.ok(&["upgrade", s(&dir)]);
    assert_eq!(up["upgraded"]["version"], 2, "{up}");
    let lock: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("Molt.lock")).unwrap()).unwrap();
    let entry = &lock["chains"][chain_id];
    assert_eq!(entry["version"], 2);
    assert_eq!(entry["package_id"], up["upgraded"]["package_id"]);
    assert_eq!(entry["checksum"], up["upgraded"]["checksum"]);

    // The source verifies, also from a copy elsewhere; an edited copy does not.
    let verified = node.ok(&["verify-source", s(&dir)]);
    assert_eq!(verified["verified"], true, "{verified}");
    assert_eq!(verified["version"], 2);
    let edited = work.path().join("edited");
    crate_copy(&edited, "counter_v1", "edited-counter");
    std::fs::copy(dir.join("Molt.lock"), edited.join("Molt.lock")).unwrap();
    let (code, doc) = node.json(&["verify-source", s(&edited)]);
    assert_eq!(code, 1);
    assert_eq!(doc["verified"], false);
    assert!(
        doc["first_difference"]
            .as_str()
            .unwrap()
            .contains("section"),
        "{doc}"
    );
    let text = node.run(&["verify-source", s(&edited)]);
    assert!(text.stdout.contains("NOT verified"), "{}", text.stdout);

    // `molt cap` reads it too.
    node.ok(&["cap", "restrict", s(&dir), "--policy", "additive"]);
    let info = node.ok(&["query", "package", &original]);
    assert_eq!(info["upgrade_cap"]["policy"], "additive");
    node.ok(&["cap", "make-immutable", s(&dir)]);
    let lock: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("Molt.lock")).unwrap()).unwrap();
    assert!(lock["chains"][chain_id]["upgrade_cap"].is_null());
}
