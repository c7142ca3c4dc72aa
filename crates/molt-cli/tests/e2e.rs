//! End to end with real processes: `molt node --dev` and the `molt` CLI over
//! JSON-RPC on a loopback port.

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

mod support;

use support::*;

/// Builds example program `name` and writes it to `dir/<name>.wasm`.
fn example_wasm(dir: &Path, name: &str) -> String {
    let path = dir.join(format!("{name}.wasm"));
    std::fs::write(&path, molt_build::example(name).unwrap()).unwrap();
    path.to_str().unwrap().to_string()
}

fn counter_wasm(dir: &Path) -> PathBuf {
    PathBuf::from(example_wasm(dir, "counter_v1"))
}

#[test]
fn publish_call_view_survive_sigkill() {
    let home = tempfile::tempdir().unwrap();
    let wasm = counter_wasm(home.path());
    let port = free_port();
    let mut node = DevNode::start(home.path(), port);

    let published = node.ok(&["publish", wasm.to_str().unwrap()]);
    let pkg = published["package_id"].as_str().unwrap().to_string();
    assert_eq!(published["receipt"]["status"], "success");
    let inc = node.ok(&["call", &pkg, "increment"]);
    let inc_id = inc["receipt"]["transaction_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(inc["receipt"]["events"][0]["name"], "Incremented");
    // Coin attached to a call lands in the package's account.
    let paid = node.ok(&[
        "call", &pkg, "add", "--args", "[41]", "--from", "dev1", "--coin", "777",
    ]);
    let transfer = paid["receipt"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "Transfer")
        .unwrap_or_else(|| panic!("no Transfer event: {paid}"))
        .clone();
    let emitter = transfer["emitter"].as_str().unwrap();
    assert!(
        emitter.trim_start_matches("0x").bytes().all(|b| b == b'0'),
        "the system records coin moves: {paid}"
    );
    let original = published["original_id"].as_str().unwrap();
    assert_eq!(
        node.ok(&["account", original])["balance"],
        777,
        "{published}"
    );
    assert_eq!(node.ok(&["view", &pkg, "get"])["decoded"], 42);

    // Progress is for terminals: piped, each step is one plain line on
    // stderr (no spinner control codes); stdout is the result alone.
    // (`add 0`: the count stays 42 for the checks after the SIGKILL.)
    let (ok, stdout, stderr) = node.molt_text(&["call", &pkg, "add", "--args", "[0]"]);
    assert!(ok, "{stdout}{stderr}");
    assert!(stderr.contains("waiting for inclusion"), "{stderr}");
    assert!(
        !stderr.contains('\r') && !stderr.contains('\u{1b}'),
        "spinner codes in piped output: {stderr:?}"
    );
    assert!(stdout.starts_with("called add"), "{stdout}");
    let (ok, stdout, stderr) = node.molt_text(&["--json", "call", &pkg, "add", "--args", "[0]"]);
    assert!(
        ok && stderr.is_empty(),
        "JSON mode prints no progress: {stderr:?}"
    );
    let _: Value = serde_json::from_str(&stdout).unwrap();

    let pkg_info = node.ok(&["query", "package", &pkg]);
    assert_eq!(pkg_info["versions"][0]["version"], 1);
    assert_eq!(pkg_info["versions"][0]["edition"], 0);

    // Wait for a block after the last transaction, then remember the chain.
    let included_at = node.ok(&["tx", "status", &inc_id])["receipt"]["height"]
        .as_u64()
        .unwrap();
    let before = node.ok(&["query", "block", "latest"]);
    let h = before["height"].as_u64().unwrap();
    assert!(h > included_at);
    let block_h = node.rpc("molt_getBlock", json!([h]))["result"].clone();
    let receipt = node.ok(&["tx", "status", &inc_id]);

    node.sigkill();
    let node = DevNode::start(home.path(), port);
    assert_eq!(
        node.ok(&["view", &pkg, "get"])["decoded"],
        42,
        "the value survives SIGKILL"
    );
    let after = node.rpc("molt_getBlock", json!([h]))["result"].clone();
    assert_eq!(
        after, block_h,
        "block {h} is intact, with the same state root and id"
    );
    assert_eq!(
        node.ok(&["tx", "status", &inc_id]),
        receipt,
        "the receipt is intact"
    );
    assert!(
        node.ok(&["query", "block", "latest"])["height"]
            .as_u64()
            .unwrap()
            >= h
    );
    let storage = node.ok(&["query", "storage", &pkg, "state"]);
    assert!(
        storage["value"]
            .as_str()
            .unwrap()
            .starts_with("0x2a00000000000000"),
        "{storage}"
    );
}

#[test]
fn bad_inputs_are_rejected_with_clear_errors_and_change_nothing() {
    let home = tempfile::tempdir().unwrap();
    let wasm = counter_wasm(home.path());
    let node = DevNode::start(home.path(), free_port());
    let pkg = node.ok(&["publish", wasm.to_str().unwrap()])["package_id"]
        .as_str()
        .unwrap()
        .to_string();
    let balance = |n: &DevNode| n.ok(&["account", "dev2"])["balance"].as_u64().unwrap();
    let start = balance(&node);

    // Arguments that do not match the interface: refused before signing.
    let (_, text) = node
        .molt(&["call", &pkg, "add", "--args", "[\"x\"]", "--from", "dev2"])
        .unwrap_err();
    assert!(text.contains("args.n"), "{text}");
    // Unknown function: refused locally from the on-chain interface.
    let (_, text) = node
        .molt(&["call", &pkg, "nope", "--from", "dev2"])
        .unwrap_err();
    assert!(text.contains("has no function `nope`"), "{text}");
    // Unknown package.
    let (_, text) = node
        .molt(&["call", "0xdead", "get", "--from", "dev2"])
        .unwrap_err();
    assert!(text.contains("no package"), "{text}");
    // A module that fails validation.
    let bad = home.path().join("bad.wasm");
    std::fs::write(&bad, b"\0asm\x01\0\0\0garbage").unwrap();
    let (_, text) = node
        .molt(&["publish", bad.to_str().unwrap(), "--from", "dev2"])
        .unwrap_err();
    assert!(text.contains("would be rejected by the node"), "{text}");
    assert!(
        text.contains("invalid module"),
        "the VM's own error: {text}"
    );

    // Raw RPC: malformed bytes, oversized transactions.
    let r = node.rpc("molt_submitTransaction", json!(["0x0102"]));
    assert_eq!(r["error"]["code"], -32001, "{r}");
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("malformed"),
        "{r}"
    );
    let huge = format!("0x{}", "00".repeat(1024 * 1024 + 1));
    let r = node.rpc("molt_submitTransaction", json!([huge]));
    assert!(
        r["error"]["message"].as_str().unwrap().contains("limit"),
        "{r}"
    );

    // Too little gas: rejected at submission.
    let (_, text) = node
        .molt(&[
            "transfer",
            "--to",
            "dev3",
            "--amount",
            "1",
            "--from",
            "dev2",
            "--gas-budget",
            "5",
        ])
        .unwrap_err();
    assert!(text.contains("gas budget 5 is below the minimum"), "{text}");
    // A key with no balance cannot pay for gas.
    node.ok(&["keys", "new", "pauper"]);
    let (_, text) = node
        .molt(&[
            "transfer", "--to", "dev3", "--amount", "1", "--from", "pauper",
        ])
        .unwrap_err();
    assert!(text.contains("cannot pay the gas budget"), "{text}");

    // The overflow of the security review: a typed error, not a panic.
    let (code, text) = node
        .molt(&[
            "transfer",
            "--to",
            "dev3",
            "--amount",
            "1",
            "--from",
            "dev2",
            "--expires-in",
            "18446744073709551615",
        ])
        .unwrap_err();
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("--expires-in") && text.contains("too far"),
        "{text}"
    );
    // A full address with a digit missing is refused, by the CLI and the node.
    let typo = &dev_address(&node, "dev3")[..65];
    let (_, text) = node
        .molt(&["transfer", "--to", typo, "--amount", "1", "--from", "dev2"])
        .unwrap_err();
    assert!(text.contains("got 63 digits"), "{text}");
    let r = node.rpc("molt_getAccount", json!([typo]));
    assert_eq!(r["error"]["code"], -32602, "{r}");
    assert!(
        r["error"]["message"].as_str().unwrap().contains("typo"),
        "{r}"
    );
    // The short form names the reserved system address.
    let system = node.ok(&["account", "0x0"]);
    assert_eq!(system["address"], format!("0x{}", "0".repeat(64)));

    assert_eq!(
        balance(&node),
        start,
        "no rejected input changed the account"
    );
    assert_eq!(node.ok(&["account", "dev2"])["sequence_number"], 0);
}

#[test]
fn sigterm_stops_gracefully_and_the_chain_resumes() {
    let home = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut node = DevNode::start(home.path(), port);
    node.ok(&["transfer", "--to", "dev1", "--amount", "7"]);
    let h = node.ok(&["query", "block", "latest"])["height"]
        .as_u64()
        .unwrap();
    let status = node.sigterm();
    assert!(status.success(), "graceful shutdown exits 0, got {status}");
    let node = DevNode::start(home.path(), port);
    assert!(
        node.ok(&["query", "block", "latest"])["height"]
            .as_u64()
            .unwrap()
            >= h
    );
    assert_eq!(
        node.ok(&["account", "dev1"])["balance"],
        molt_runtime::DEV_ACCOUNT_BALANCE + 7
    );
    let _ = node.port;
}

/// The distinct violation codes (`E0xxx`) mentioned in a command's output.
fn codes_in(text: &str) -> std::collections::BTreeSet<String> {
    let b = text.as_bytes();
    (0..b.len().saturating_sub(4))
        .filter(|&i| {
            b[i] == b'E' && b[i + 1] == b'0' && b[i + 2..i + 5].iter().all(u8::is_ascii_digit)
        })
        .filter(|&i| i + 5 == b.len() || !b[i + 5].is_ascii_digit())
        .map(|i| text[i..i + 5].to_string())
        .collect()
}

#[test]
fn counter_upgrade_dry_run_and_transaction_report_identical_findings() {
    let home = tempfile::tempdir().unwrap();
    let write = |name: &str| example_wasm(home.path(), name);
    let (v1, v2, v3) = (
        write("counter_v1"),
        write("counter_v2"),
        write("counter_v3"),
    );
    let node = DevNode::start(home.path(), free_port());
    let pkg = node.ok(&["publish", &v1])["package_id"]
        .as_str()
        .unwrap()
        .to_string();
    node.ok(&["call", &pkg, "add", "--args", "[5]"]);

    let ok = node.ok(&["upgrade", &pkg, &v2, "--dry-run"]);
    assert_eq!(ok["compatible"], true, "{ok}");
    let (_, dry) = node.molt(&["upgrade", &pkg, &v3, "--dry-run"]).unwrap_err();
    let dry_codes = codes_in(&dry);
    assert_eq!(dry_codes.len(), 4, "{dry}");
    let (_, forced) = node.molt(&["upgrade", &pkg, &v3, "--force"]).unwrap_err();
    assert!(forced.contains("incompatible_upgrade"), "{forced}");
    assert_eq!(
        codes_in(&forced),
        dry_codes,
        "the node's findings equal the dry run's"
    );
    assert_eq!(
        node.ok(&["query", "package", &pkg])["versions"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let up = node.ok(&["upgrade", &pkg, &v2]);
    assert_eq!(up["upgraded"]["version"], 2, "{up}");
    assert_eq!(up["upgraded"]["edition"], 1, "{up}");
    node.ok(&["call", &pkg, "reset"]);
    assert_eq!(node.ok(&["view", &pkg, "get"])["decoded"], 0);
    let history = node.ok(&["query", "package", &pkg, "--history"]);
    let versions = history["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2);
    assert!(versions.iter().all(|v| v["checksum"].is_string()
        && v["transaction"].is_string()
        && v["policy"] == "compatible"));

    node.ok(&["cap", "restrict", &pkg, "--policy", "additive"]);
    let (_, text) = node
        .molt(&["cap", "restrict", &pkg, "--policy", "compatible"])
        .unwrap_err();
    assert!(text.contains("only be tightened"), "{text}");
    node.ok(&["cap", "make-immutable", &pkg]);
    let (_, text) = node.molt(&["upgrade", &pkg, &v2, "--dry-run"]).unwrap_err();
    assert!(text.contains("immutable"), "{text}");
}

#[test]
fn a_timelock_program_upgrades_a_package_through_the_cli() {
    let home = tempfile::tempdir().unwrap();
    let write = |name: &str| example_wasm(home.path(), name);
    let (v1, v2, lock_wasm) = (
        write("counter_v1"),
        write("counter_v2"),
        write("upgrader_timelock"),
    );
    // One-second blocks: the "too early" attempt must land within the
    // program's five-block delay however slow this machine is.
    let node = DevNode::start_with_block_time(home.path(), free_port(), 1000);
    let pkg = node.ok(&["publish", &v1])["package_id"]
        .as_str()
        .unwrap()
        .to_string();
    let lock = node.ok(&["publish", &lock_wasm])["package_id"]
        .as_str()
        .unwrap()
        .to_string();
    let cap = node.ok(&["query", "package", &pkg])["upgrade_cap"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let digest = node.ok(&["inspect", &v2])["checksum"]
        .as_str()
        .unwrap()
        .to_string();
    node.ok(&["cap", "transfer", &pkg, "--to", &lock]);
    let ticket = format!("{lock}::authorize");
    let ticket_args = format!(r#"["{cap}", "{digest}"]"#);

    let (_, text) = node.molt(&["upgrade", &pkg, &v2]).unwrap_err();
    assert!(text.contains("held by"), "{text}");
    node.ok(&["call", &lock, "announce", "--args", &ticket_args]);
    let (_, text) = node
        .molt(&[
            "upgrade",
            &pkg,
            &v2,
            "--ticket",
            &ticket,
            "--ticket-args",
            &ticket_args,
        ])
        .unwrap_err();
    assert!(text.contains("ticket call"), "too early: {text}");
    let h = node.ok(&["query", "block", "latest"])["height"]
        .as_u64()
        .unwrap();
    while node.ok(&["query", "block", "latest"])["height"]
        .as_u64()
        .unwrap()
        < h + 6
    {
        std::thread::sleep(Duration::from_millis(100));
    }
    let up = node.ok(&[
        "upgrade",
        &pkg,
        &v2,
        "--ticket",
        &ticket,
        "--ticket-args",
        &ticket_args,
    ]);
    assert_eq!(up["upgraded"]["version"], 2, "{up}");
}

/// The JSON document a failed `molt --json` command printed on stdout.
fn error_doc(text: &str) -> Value {
    let end = text.rfind("\n}").map(|i| i + 2).unwrap_or(text.len());
    serde_json::from_str(&text[..end]).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[test]
fn dry_runs_report_what_the_block_then_does_and_change_nothing() {
    let home = tempfile::tempdir().unwrap();
    let noupgrade = example_wasm(home.path(), "ctor_noupgrade");
    let counter = example_wasm(home.path(), "counter_v1");
    let node = DevNode::start(home.path(), free_port());
    let pkg = node.ok(&["publish", &noupgrade])["package_id"]
        .as_str()
        .unwrap()
        .to_string();
    let chain = |n: &DevNode| {
        let mut account = n.ok(&["account", "dev0"]);
        // The height the account was read at moves on with every block.
        account.as_object_mut().unwrap().remove("height");
        (
            account,
            n.ok(&["query", "block", "latest"])["state_root"].clone(),
            n.ok(&["query", "package", &pkg])["versions"].clone(),
        )
    };
    let before = chain(&node);

    // The constructor of a `noupgrade` package rejects every upgrade: the
    // dry run says so, from the node's simulation (the local compatibility
    // check alone passes).
    let (code, text) = node
        .molt(&["upgrade", &pkg, &noupgrade, "--dry-run"])
        .unwrap_err();
    assert_eq!(code, 1);
    let dry = error_doc(&text);
    assert_eq!(dry["compatible"], true, "{dry}");
    assert_eq!(dry["would_succeed"], false, "{dry}");
    let simulated = dry["simulation"]["receipt"].clone();
    assert_eq!(
        simulated["status"]["failure"]["kind"], "constructor_rejected",
        "{dry}"
    );
    assert!(
        dry["error"].as_str().unwrap().contains("constructor"),
        "{dry}"
    );
    // Dry runs that would succeed show their events.
    let t = node.ok(&["transfer", "--to", "dev1", "--amount", "5", "--dry-run"]);
    assert_eq!(t["would_succeed"], true, "{t}");
    assert_eq!(t["simulation"]["receipt"]["events"][0]["name"], "Transfer");
    let p = node.ok(&["publish", &counter, "--dry-run"]);
    let events = p["simulation"]["receipt"]["events"].as_array().unwrap();
    assert!(
        events.iter().any(|e| e["name"] == "PackagePublished"),
        "{p}"
    );
    // Without --force a failing upgrade is not submitted either.
    let (_, text) = node.molt(&["upgrade", &pkg, &noupgrade]).unwrap_err();
    assert!(
        error_doc(&text)["error"]
            .as_str()
            .unwrap()
            .contains("nothing was submitted"),
        "{text}"
    );

    // Let a few blocks pass: nothing any dry run did reached the chain.
    let h = node.ok(&["query", "block", "latest"])["height"]
        .as_u64()
        .unwrap();
    while node.ok(&["query", "block", "latest"])["height"]
        .as_u64()
        .unwrap()
        < h + 3
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(chain(&node), before, "dry runs change nothing");

    // The real transaction fails in its block exactly as simulated.
    let (_, text) = node
        .molt(&["upgrade", &pkg, &noupgrade, "--force"])
        .unwrap_err();
    let real = error_doc(&text);
    assert_eq!(real["status"], "included", "{real}");
    assert_eq!(real["receipt"]["status"], simulated["status"], "{real}");
    assert_eq!(real["receipt"]["gas_used"], simulated["gas_used"], "{real}");
    // Its budget came from the simulation: the gas used plus the margin.
    let params: molt_runtime::ChainParams =
        serde_json::from_value(node.rpc("molt_chainInfo", json!([]))["result"]["params"].clone())
            .unwrap();
    let used = real["receipt"]["gas_used"].as_u64().unwrap();
    assert_eq!(
        real["transaction"]["gas_budget"].as_u64().unwrap(),
        molt_runtime::budget_with_margin(&params, used),
        "{real}"
    );
    assert_eq!(
        node.ok(&["query", "package", &pkg])["versions"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn gov_simulate_reports_a_payloads_effects_and_its_failure() {
    use molt_payload::{Action, Payload};
    let dir = tempfile::tempdir().unwrap();
    let node = DevNode::start(dir.path(), free_port());
    let height = |n: &DevNode| {
        n.ok(&["query", "block", "latest"])["height"]
            .as_u64()
            .unwrap()
    };

    let end = dir.path().join("end.payload");
    std::fs::write(&end, Payload::new(vec![Action::EndEpoch]).encode()).unwrap();
    let sim = node.ok(&["gov", "simulate", "--payload", end.to_str().unwrap()]);
    assert_eq!(sim["status"], json!("success"), "{sim}");
    assert_eq!(sim["ends_epoch"], json!(true));
    assert_eq!(sim["actions"], json!(["end_epoch"]));
    assert!(sim["block"]["parent_height"].as_u64().unwrap() <= height(&node));

    // Hex text works too; an unknown proposal is the node's not-found.
    let hex_file = dir.path().join("end.hex");
    let hex_text = format!(
        "0x{}\n",
        hex::encode(Payload::new(vec![Action::EndEpoch]).encode())
    );
    std::fs::write(&hex_file, hex_text).unwrap();
    let again = node.ok(&["gov", "simulate", "--payload", hex_file.to_str().unwrap()]);
    assert_eq!(again["execution_hash"], sim["execution_hash"]);
    let (code, text) = node
        .molt(&[
            "gov",
            "simulate",
            "--payload",
            end.to_str().unwrap(),
            "--proposal-id",
            "7",
        ])
        .unwrap_err();
    assert_eq!(code, 1);
    assert_eq!(
        error_doc(&text)["rpc_error"]["code"],
        json!(-32002),
        "{text}"
    );

    // An incompatible framework upgrade: exit 1, the report in the document.
    let bad = dir.path().join("bad.payload");
    let module = molt_build::example("counter_v1").unwrap();
    let payload = Payload::new(vec![Action::UpgradePackage {
        package: molt_types::Address::reserved(1),
        module,
    }]);
    std::fs::write(&bad, payload.encode()).unwrap();
    let (code, text) = node
        .molt(&["gov", "simulate", "--payload", bad.to_str().unwrap()])
        .unwrap_err();
    assert_eq!(code, 1);
    let doc = error_doc(&text);
    assert_eq!(doc["failed_step"], json!("resolve"), "{doc}");
    assert_eq!(doc["compatibility"][0]["compatible"], json!(false));
    assert!(
        !doc["compatibility"][0]["violations"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_new_user_creates_builds_publishes_and_calls_a_program() {
    let dir = tempfile::tempdir().unwrap();
    let node = DevNode::start(dir.path(), free_port());
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let out = Command::new(MOLT)
        .args(["new", "hello"])
        .current_dir(&work)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("molt build"), "{text}");
    let crate_dir = work.join("hello");
    // The examples' build directory: its dependencies are built already
    // (builds are staged, so where the crate lives does not change its bytes).
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../programs/target");
    std::fs::create_dir_all(&shared).unwrap();
    std::os::unix::fs::symlink(shared.canonicalize().unwrap(), crate_dir.join("target")).unwrap();
    let hello = crate_dir.to_str().unwrap();

    let built = node.ok(&["build", hello]);
    assert_eq!(built["interface"]["name"], "hello", "{built}");
    let published = node.ok(&["publish", hello]);
    let id = published["original_id"].as_str().unwrap().to_string();
    assert!(crate_dir.join("Molt.lock").is_file());
    node.ok(&["call", &id, "increment"]);
    node.ok(&["call", &id, "add", "--args", "[41]"]);
    assert_eq!(node.ok(&["view", &id, "get"])["decoded"], 42);

    // A second crate of that name is refused, and so is a bad name.
    let again = Command::new(MOLT)
        .args(["new", "hello"])
        .current_dir(&work)
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    let bad = Command::new(MOLT)
        .args(["--json", "new", "Hello World"])
        .current_dir(&work)
        .output()
        .unwrap();
    assert!(!bad.status.success());
    let doc: Value = serde_json::from_slice(&bad.stdout).unwrap();
    assert!(
        doc["error"]
            .as_str()
            .unwrap()
            .contains("not a program name"),
        "{doc}"
    );
}

/// `molt new NAME` in `work`, sharing the examples' build directory (its
/// dependencies are built already; builds are staged, so the bytes do not
/// depend on where the crate lives).
fn new_crate(work: &Path, name: &str) -> PathBuf {
    let out = Command::new(MOLT)
        .args(["new", name])
        .current_dir(work)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let dir = work.join(name);
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../programs/target");
    std::fs::create_dir_all(&shared).unwrap();
    std::os::unix::fs::symlink(shared.canonicalize().unwrap(), dir.join("target")).unwrap();
    dir
}

/// Replaces `marker` in `file` by `text` followed by the marker.
fn insert_before(file: &Path, marker: &str, text: &str) {
    let source = std::fs::read_to_string(file).unwrap();
    assert!(
        source.contains(marker),
        "{} has no {marker:?}",
        file.display()
    );
    std::fs::write(file, source.replacen(marker, &format!("{text}{marker}"), 1)).unwrap();
}

fn lock_entry(dir: &Path) -> Value {
    let lock: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("Molt.lock")).unwrap()).unwrap();
    lock["chains"]["molt-dev"].clone()
}

/// Issue 16's new user: a program and a client that imports it by name
/// (typed, from the linked version's module on chain), each upgraded twice
/// without typing one id, and `molt verify-source` passing on both and
/// failing on an edited copy.
#[test]
fn a_program_and_its_client_by_name_upgrade_twice_without_ids_and_verify() {
    let home = tempfile::tempdir().unwrap();
    let node = DevNode::start(home.path(), free_port());
    let work = home.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let counter = new_crate(&work, "counter");
    let client = new_crate(&work, "client");
    let (counter_s, client_s) = (counter.to_str().unwrap(), client.to_str().unwrap());

    let published = node.ok(&["publish", counter_s]);
    let counter_id = published["original_id"].as_str().unwrap().to_string();

    // The client: the dependency by name in Cargo.toml, a typed import.
    let manifest = client.join("Cargo.toml");
    let mut toml = std::fs::read_to_string(&manifest).unwrap();
    toml.push_str(
        "\n[package.metadata.molt.dependencies]\ncounter = { path = \"../counter\", version = 1 }\n",
    );
    std::fs::write(&manifest, toml).unwrap();
    std::fs::write(
        client.join("src/lib.rs"),
        r#"#![cfg_attr(not(test), no_std)]

molt_sdk::import!(name = "counter");

#[molt_sdk::program(dependency(name = "counter", version = 1))]
pub mod client {
    /// Adds `n` to the counter through its typed client.
    #[entry]
    fn bump(n: u64) -> u64 {
        crate::counter::add(n)
    }
    // NEXT
}
"#,
    )
    .unwrap();
    let published = node.ok(&["publish", client_s]);
    let client_id = published["original_id"].as_str().unwrap().to_string();
    node.ok(&["call", &client_id, "bump", "--args", "[5]"]);
    assert_eq!(node.ok(&["view", &counter_id, "get"])["decoded"], 5);

    // Two upgrades of each, from the crate directory alone.
    for round in 1..=2u64 {
        insert_before(
            &counter.join("src/lib.rs"),
            "    /// Adds one (transactions only).",
            &format!(
                "    #[public]\n    #[view]\n    fn round_{round}() -> u64 {{\n        {round}\n    }}\n\n"
            ),
        );
        let up = node.ok(&["upgrade", counter_s]);
        assert_eq!(lock_entry(&counter)["version"], round + 1, "{up}");
        insert_before(
            &client.join("src/lib.rs"),
            "    // NEXT",
            &format!(
                "    #[entry]\n    fn twice_{round}(n: u64) -> u64 {{\n        crate::counter::add(n);\n        crate::counter::add(n)\n    }}\n"
            ),
        );
        let up = node.ok(&["upgrade", client_s]);
        assert_eq!(lock_entry(&client)["version"], round + 1, "{up}");
    }
    assert_eq!(lock_entry(&counter)["original_id"], counter_id.as_str());
    assert_eq!(lock_entry(&client)["original_id"], client_id.as_str());
    assert_eq!(node.ok(&["view", &counter_id, "round_2"])["decoded"], 2);
    // The client still links counter version 1, which serves it.
    node.ok(&["call", &client_id, "twice_2", "--args", "[1]"]);
    assert_eq!(node.ok(&["view", &counter_id, "get"])["decoded"], 7);

    node.ok(&["verify-source", counter_s]);
    node.ok(&["verify-source", client_s]);
    // An edited copy of the client does not verify.
    let copy = work.join("client_edited");
    let status = Command::new("cp")
        .args(["-a", client_s, copy.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success());
    insert_before(
        &copy.join("src/lib.rs"),
        "    // NEXT",
        "    #[entry]\n    fn sneaky() {}\n",
    );
    let (code, err) = node
        .molt(&["verify-source", copy.to_str().unwrap()])
        .unwrap_err();
    assert_ne!(code, 0);
    assert!(err.contains("differ"), "{err}");
}
