//! The stakeholders' track, proposer signalling and the registry from the
//! `molt` CLI, against a real `molt node --dev` process with real
//! transactions (docs/cli-stakeholders.md):
//!
//! - deposit, power, withdraw (power drops at once), a finalize refused
//!   while locked (nothing sent, nothing changed) and accepted once
//!   unlocked;
//! - the node's signal set, shown and cleared through its admin socket;
//!   the dev node signals in every block it proposes, so `molt gov rounds`
//!   shows the hash gaining signals; the round's winner becomes a
//!   stakeholders' proposal, voted with an amount, executed with its
//!   payload (a RegistryAdd), after which `molt registry` lists it;
//! - an empty registry, an unknown service in text and JSON, and vote
//!   arguments that mix the tracks refused by the parser.

mod support;

use serde_json::Value;
use std::process::Command;
use std::time::{Duration, Instant};
use support::*;

fn height(node: &DevNode) -> u64 {
    node.ok(&["query", "block", "latest"])["height"]
        .as_u64()
        .unwrap()
}

fn wait_for_height(node: &DevNode, h: u64) {
    let start = Instant::now();
    while height(node) < h {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "height {h} not reached"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn power(node: &DevNode, who: &str) -> u64 {
    node.ok(&["gov", "power", who])["power"].as_u64().unwrap()
}

#[test]
fn deposit_gives_power_and_a_withdrawal_lowers_it_at_once_and_unlocks_later() {
    let dir = tempfile::tempdir().unwrap();
    let node = DevNode::start_with_block_time(dir.path(), free_port(), 250);
    let dev0 = dev_address(&node, "dev0");
    let dev1 = dev_address(&node, "dev1");

    assert_eq!(power(&node, "dev0"), 0);
    let deposited = node.ok(&["gov", "deposit", "--amount", "5000"]);
    assert_eq!(deposited["power"], 5000, "{deposited}");
    assert_eq!(deposited["beneficiary"], dev0.as_str());
    let shown = node.ok(&["gov", "power", "dev0"]);
    assert_eq!(shown["power"], 5000, "{shown}");
    assert_eq!(shown["total_power"], 5000, "{shown}");
    // For another beneficiary, by key name.
    node.ok(&["gov", "deposit", "--amount", "700", "--beneficiary", "dev1"]);
    assert_eq!(power(&node, &dev1), 700);
    assert_eq!(power(&node, "dev0"), 5000);
    let (ok, text, _) = node.molt_text(&["gov", "power", "dev0"]);
    assert!(ok);
    assert!(text.contains("power: 5000"), "{text}");
    assert!(text.contains("total power: 5700"), "{text}");
    // The power before the deposit, by height.
    let deposit_height = deposited["receipt"]["height"].as_u64().unwrap();
    let before = node.ok(&[
        "gov",
        "power",
        "dev0",
        "--at-height",
        &(deposit_height - 1).to_string(),
    ]);
    assert_eq!(before["power"], 0, "{before}");

    // More than the power: refused locally.
    let (code, err) = node
        .molt(&["gov", "withdraw", "--amount", "5001"])
        .unwrap_err();
    assert_eq!(code, 1);
    assert!(err.contains("has voting power 5000"), "{err}");

    let withdrawn = node.ok(&["gov", "withdraw", "--amount", "2000", "--recipient", "dev2"]);
    let id = withdrawn["withdrawal_id"].as_u64().unwrap();
    let unlocks_at = withdrawn["unlocks_at"].as_u64().unwrap();
    let included = withdrawn["receipt"]["height"].as_u64().unwrap();
    // voting_delay / 5 + voting_duration + execution_delay of the genesis
    // configuration.
    assert_eq!(unlocks_at, included + 10 / 5 + 20 + 10, "{withdrawn}");
    assert_eq!(withdrawn["power"], 3000, "{withdrawn}");
    assert_eq!(power(&node, "dev0"), 3000);
    assert_eq!(node.ok(&["gov", "power", "dev0"])["total_power"], 3700);

    // Locked: refused before anything is sent, in JSON and in text.
    let id_s = id.to_string();
    let account_before = node.ok(&["account", "dev0"]);
    let (code, err) = node.molt(&["gov", "finalize-withdraw", &id_s]).unwrap_err();
    assert_eq!(code, 1);
    let doc: Value = serde_json::from_str(&err).unwrap_or_else(|e| panic!("{e}: {err}"));
    let message = doc["error"].as_str().unwrap();
    assert!(message.contains("still locked"), "{doc}");
    assert!(
        message.contains(&format!("unlocks at height {unlocks_at}")),
        "{doc}"
    );
    assert!(message.contains("nothing was sent"), "{doc}");
    assert!(doc["blocks_left"].as_u64().unwrap() > 0, "{doc}");
    let (ok, _, stderr) = node.molt_text(&["gov", "finalize-withdraw", &id_s]);
    assert!(!ok);
    assert!(stderr.contains("more block(s) must pass"), "{stderr}");
    // Nothing changed: no transaction, the withdrawal still open.
    let account_after = node.ok(&["account", "dev0"]);
    assert_eq!(
        account_before["sequence_number"],
        account_after["sequence_number"]
    );
    let w = node.ok(&["view", "0x3", "withdrawal", "--args", &format!("[{id}]")]);
    assert_eq!(w["decoded"]["finalized"], false, "{w}");
    assert_eq!(power(&node, "dev0"), 3000);

    // Unlocked: anyone finalizes it and the recipient is paid.
    let dev2_before = node.ok(&["account", "dev2"])["balance"].as_u64().unwrap();
    wait_for_height(&node, unlocks_at - 1);
    let done = node.ok(&["gov", "finalize-withdraw", &id_s, "--from", "dev3"]);
    assert_eq!(done["withdrawal"]["amount"], 2000, "{done}");
    let dev2_after = node.ok(&["account", "dev2"])["balance"].as_u64().unwrap();
    assert_eq!(dev2_after, dev2_before + 2000);
    let w = node.ok(&["view", "0x3", "withdrawal", "--args", &format!("[{id}]")]);
    assert_eq!(w["decoded"]["finalized"], true, "{w}");
    let (code, err) = node.molt(&["gov", "finalize-withdraw", &id_s]).unwrap_err();
    assert_eq!(code, 1);
    assert!(err.contains("already finalized"), "{err}");
}

#[test]
fn an_empty_registry_and_an_unknown_service_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let node = DevNode::start_with_block_time(dir.path(), free_port(), 50);
    let listed = node.ok(&["registry", "list"]);
    assert_eq!(listed["service_count"], 0, "{listed}");
    assert_eq!(listed["services"], serde_json::json!([]), "{listed}");
    let (ok, text, _) = node.molt_text(&["registry", "list"]);
    assert!(ok);
    assert!(text.contains("the registry is empty"), "{text}");

    for cmd in ["show", "history"] {
        let (code, out) = node.molt(&["registry", cmd, "nosuch"]).unwrap_err();
        assert_eq!(code, 1);
        let doc: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
        let e = doc["error"].as_str().unwrap();
        assert!(e.contains("no service named \"nosuch\""), "{doc}");
        assert!(e.contains("molt registry list"), "{doc}");
        assert_eq!(doc["service_count"], 0, "{doc}");
        let (ok, stdout, stderr) = node.molt_text(&["registry", cmd, "nosuch"]);
        assert!(!ok);
        assert!(stdout.is_empty(), "{stdout}");
        assert!(
            stderr.contains("error: the registry has no service named \"nosuch\""),
            "{stderr}"
        );
    }
}

#[test]
fn vote_arguments_of_the_two_tracks_do_not_mix() {
    let run = |args: &[&str]| {
        let out = Command::new(MOLT).args(args).output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (code, err) = run(&["gov", "vote", "--proposal-id", "0", "--amount", "5"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--yea"), "{err}");
    assert!(err.contains("--nay"), "{err}");
    let (code, err) = run(&["gov", "vote", "--proposal-id", "0", "--yea"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--amount"), "{err}");
    let (code, err) = run(&[
        "gov",
        "vote",
        "--proposal-id",
        "0",
        "--amount",
        "5",
        "--yea",
        "--nay",
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("cannot be used with"), "{err}");
    let (code, err) = run(&[
        "gov",
        "vote",
        "--proposal-id",
        "0",
        "--should-fail",
        "--amount",
        "5",
        "--nay",
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--should-fail"), "{err}");
    // In JSON mode, one document on stdout.
    let out = Command::new(MOLT)
        .args([
            "--json",
            "gov",
            "vote",
            "--proposal-id",
            "0",
            "--amount",
            "5",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["kind"], "usage", "{doc}");
}

/// `molt gov rounds --hash H` until some round's leader is `hash` with at
/// least `signals` signals; returns that round's entry.
fn wait_for_signals(node: &DevNode, hash: &str, signals: u64) -> Value {
    let start = Instant::now();
    loop {
        let rounds = node.ok(&["gov", "rounds", "--hash", hash]);
        for r in rounds["rounds"].as_array().unwrap() {
            if r["leader"]["execution_hash"] == hash
                && r["leader"]["signals"].as_u64().unwrap() >= signals
            {
                assert_eq!(r["signals"], r["leader"]["signals"], "{rounds}");
                return r.clone();
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{hash} never had {signals} signals: {rounds}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn stakeholders_state(node: &DevNode, id: &str) -> Value {
    node.ok(&["gov", "show", id, "--track", "stakeholders"])
}

fn wait_for_state(node: &DevNode, id: &str, state: &str) -> Value {
    let start = Instant::now();
    loop {
        let shown = stakeholders_state(node, id);
        if shown["state"] == state {
            return shown;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "proposal {id} never {state}: {shown}"
        );
        std::thread::sleep(Duration::from_millis(30));
    }
}

#[test]
fn a_signalled_payload_wins_its_round_and_is_voted_and_executed() {
    let dir = tempfile::tempdir().unwrap();
    let node = DevNode::start_with_block_time(dir.path(), free_port(), 250);
    // Power for the vote, before any proposal's snapshot.
    node.ok(&["gov", "deposit", "--amount", "10000"]);

    // A payload the stakeholders' track may execute: a registry addition.
    let payload = molt_payload::Payload::new(vec![molt_payload::Action::RegistryAdd {
        name: "dex".into(),
        package: molt_types::Address::reserved(0x77),
        label: "v1".into(),
        expected: None,
    }]);
    let bytes = payload.encode();
    let hash = format!("{}", molt_payload::execution_hash(&bytes));
    let file = dir.path().join("payload.bin");
    std::fs::write(&file, &bytes).unwrap();
    let file_s = file.to_str().unwrap();

    // Nothing in force on a fresh dev node; set, show, clear, set again.
    let shown = node.ok(&["gov", "signal", "--show"]);
    assert!(shown["signal"].is_null(), "{shown}");
    let other = format!("0x{}", "ab".repeat(32));
    let set = node.ok(&["gov", "signal", &other]);
    assert_eq!(set["signal"], other.as_str(), "{set}");
    let data_dir = dir.path().join("dev");
    let shown = node.ok(&[
        "gov",
        "signal",
        "--show",
        "--data-dir",
        data_dir.to_str().unwrap(),
    ]);
    assert_eq!(shown["signal"], other.as_str(), "{shown}");
    let (ok, text, _) = node.molt_text(&["gov", "signal", "--show"]);
    assert!(ok);
    assert!(text.contains(&other), "{text}");
    let cleared = node.ok(&["gov", "signal", "--clear"]);
    assert!(cleared["signal"].is_null(), "{cleared}");
    let socket = data_dir.join("admin.sock");
    let shown = node.ok(&[
        "gov",
        "signal",
        "--show",
        "--admin-socket",
        socket.to_str().unwrap(),
    ]);
    assert!(shown["signal"].is_null(), "{shown}");
    // No admin socket there: explained.
    let (code, err) = node
        .molt(&[
            "gov",
            "signal",
            "--show",
            "--data-dir",
            dir.path().to_str().unwrap(),
        ])
        .unwrap_err();
    assert_eq!(code, 1);
    assert!(
        err.contains("cannot reach the validator node's admin socket"),
        "{err}"
    );
    // Set by the payload file: its SHA3-256.
    let set = node.ok(&["gov", "signal", "--payload", file_s]);
    assert_eq!(set["signal"], hash.as_str(), "{set}");

    // Every block the dev node proposes signals for it.
    let early = wait_for_signals(&node, &hash, 1);
    let later = wait_for_signals(&node, &hash, 3);
    assert!(later["signals"].as_u64() >= early["signals"].as_u64());
    let (ok, text, _) = node.molt_text(&["gov", "rounds"]);
    assert!(ok);
    assert!(text.contains(&format!("leader {hash}")), "{text}");

    // A round that has not ended (the one after the current, so that no
    // round boundary races the command) cannot be submitted.
    let current = node.ok(&["gov", "rounds"])["current_round"]
        .as_u64()
        .unwrap();
    let (code, err) = node
        .molt(&["gov", "submit-round-winner", &(current + 1).to_string()])
        .unwrap_err();
    assert_eq!(code, 1);
    assert!(err.contains("is not over"), "{err}");

    // A full round of signals (round size 10, quorum 6): its winner.
    let config = node.ok(&["gov", "rounds"])["config"].clone();
    let size = config["round_size"].as_u64().unwrap();
    let round = wait_for_signals(&node, &hash, size);
    let number = round["round"].as_u64().unwrap();
    wait_for_height(&node, (number + 1) * size);
    let submitted = node.ok(&["gov", "submit-round-winner", &number.to_string()]);
    let id = submitted["proposal_id"].as_u64().unwrap();
    let id_s = id.to_string();
    let (code, err) = node
        .molt(&["gov", "submit-round-winner", &number.to_string()])
        .unwrap_err();
    assert_eq!(code, 1);
    assert!(err.contains("already submitted"), "{err}");
    node.ok(&["gov", "signal", "--clear"]);

    let shown = stakeholders_state(&node, &id_s);
    assert_eq!(
        shown["proposal"]["execution_hash"],
        hash.as_str(),
        "{shown}"
    );
    let phases = shown["phases"].clone();
    let created = shown["proposal"]["created_height"].as_u64().unwrap();
    assert_eq!(phases["pending_through"], created + 10, "{shown}");
    assert_eq!(phases["active_through"], created + 30, "{shown}");
    assert_eq!(phases["queued_through"], created + 40, "{shown}");
    assert_eq!(phases["executable_through"], created + 60, "{shown}");
    let (ok, text, _) = node.molt_text(&["gov", "show", &id_s, "--track", "stakeholders"]);
    assert!(ok);
    for phase in ["Pending", "Active", "Queued", "Executable"] {
        assert!(text.contains(phase), "{text}");
    }
    assert!(text.contains("<- now"), "{text}");
    // The validators' show is unchanged and does not know this id.
    assert!(node.molt(&["gov", "show", &id_s]).is_err());

    // Executing before it is Executable: explained, nothing sent.
    let (code, err) = node
        .molt(&["gov", "execute", &id_s, "--payload-dir", file_s])
        .unwrap_err();
    assert_eq!(code, 1);
    assert!(err.contains("executes only while Executable"), "{err}");

    wait_for_state(&node, &id_s, "Active");
    // More than the sender's power at the snapshot: refused, nothing sent.
    let (code, err) = node
        .molt(&[
            "gov",
            "vote",
            "--proposal-id",
            &id_s,
            "--amount",
            "10001",
            "--yea",
        ])
        .unwrap_err();
    assert_eq!(code, 1);
    assert!(err.contains("can cast 1..=10000"), "{err}");
    let voted = node.ok(&[
        "gov",
        "vote",
        "--proposal-id",
        &id_s,
        "--amount",
        "6000",
        "--yea",
    ]);
    assert_eq!(voted["tally"]["yea"], 6000, "{voted}");
    let voted = node.ok(&[
        "gov",
        "vote",
        "--proposal-id",
        &id_s,
        "--amount",
        "1000",
        "--nay",
    ]);
    assert_eq!(voted["tally"]["nay"], 1000, "{voted}");
    assert_eq!(voted["tally"]["total_power"], 10000, "{voted}");
    assert_eq!(voted["tally"]["quorum_needed"], 2000, "{voted}");
    assert_eq!(voted["tally"]["passes"], true, "{voted}");

    // A payload with another hash is refused.
    let wrong = dir.path().join("wrong.bin");
    std::fs::write(&wrong, molt_payload::Payload::new(vec![]).encode()).unwrap();
    let (code, err) = node
        .molt(&[
            "gov",
            "execute",
            &id_s,
            "--payload-dir",
            wrong.to_str().unwrap(),
        ])
        .unwrap_err();
    assert_eq!(code, 1);
    assert!(err.contains("hashes to"), "{err}");

    wait_for_state(&node, &id_s, "Executable");
    let executed = node.ok(&["gov", "execute", &id_s, "--payload-dir", file_s]);
    assert!(executed["receipt"].is_object(), "{executed}");
    assert_eq!(stakeholders_state(&node, &id_s)["state"], "Executed");

    let listed = node.ok(&["registry", "list"]);
    assert_eq!(listed["service_count"], 1, "{listed}");
    assert_eq!(listed["services"][0]["name"], "dex", "{listed}");
    let shown = node.ok(&["registry", "show", "dex"]);
    assert_eq!(shown["canonical"]["label"], "v1", "{shown}");
    assert_eq!(shown["versions"], 1, "{shown}");
    let history = node.ok(&["registry", "history", "dex"]);
    assert_eq!(
        history["versions"].as_array().unwrap().len(),
        1,
        "{history}"
    );

    // An emergency proposal: the lock amount of power becomes a withdrawal.
    let (code, err) = node
        .molt(&["gov", "propose-with-lock", "--payload", file_s])
        .unwrap_err();
    assert_eq!(code, 1);
    assert!(
        err.contains("locks 1000000 of the proposer's power"),
        "{err}"
    );
    node.ok(&["gov", "deposit", "--amount", "1000000"]);
    let before = power(&node, "dev0");
    let locked = node.ok(&["gov", "propose-with-lock", "--hash", &hash]);
    let emergency = locked["proposal_id"].as_u64().unwrap();
    assert_eq!(emergency, id + 1, "{locked}");
    assert!(locked["withdrawal_id"].is_u64(), "{locked}");
    assert_eq!(power(&node, "dev0"), before - 1_000_000);
    let shown = stakeholders_state(&node, &emergency.to_string());
    assert_eq!(
        shown["proposal"]["proposer"],
        format!("0x{:064x}", 3),
        "{shown}"
    );
    let listed = node.ok(&["gov", "list", "--track", "stakeholders"]);
    assert_eq!(listed["count"], emergency + 1, "{listed}");
    assert_eq!(
        listed["proposals"][0]["proposal"]["id"], emergency,
        "{listed}"
    );
    assert_eq!(listed["proposals"][1]["state"], "Executed", "{listed}");
    let (code, err) = node
        .molt(&["gov", "drop", &emergency.to_string()])
        .unwrap_err();
    assert_eq!(code, 1);
    assert!(err.contains("not Droppable"), "{err}");
}

/// docs/canonical-deployments.md's walkthrough (Aztec's upgrade manual on a
/// dev node): service v1 registered through the emergency entry, v2
/// published, a payload that makes it canonical, signals, the round winner
/// submitted, votes, the delays, execution, the registry pointing at v2,
/// v1 still callable.
#[test]
fn the_walkthrough_v2_becomes_canonical_through_signals_and_votes_and_v1_stays_callable() {
    let dir = tempfile::tempdir().unwrap();
    let node = DevNode::start_with_block_time(dir.path(), free_port(), 250);
    let publish = |name: &str| {
        let wasm = dir.path().join(format!("{name}.wasm"));
        std::fs::write(&wasm, molt_build::example(name).unwrap()).unwrap();
        node.ok(&["publish", wasm.to_str().unwrap()])["package_id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let v1 = publish("counter_v1");
    node.ok(&["gov", "deposit", "--amount", "3000000"]);

    // v1, a new service, through the emergency entry (no round needed).
    let reg1 = dir.path().join("reg-v1");
    let reg1_s = reg1.to_str().unwrap();
    let written = node.ok(&[
        "registry",
        "payload",
        "dex",
        "--package",
        &v1,
        "--label",
        "v1",
        "--output-dir",
        reg1_s,
    ]);
    assert!(written["expected"].is_null(), "{written}");
    assert_eq!(written["stale_now"], false, "{written}");
    let locked = node.ok(&["gov", "propose-with-lock", "--payload", reg1_s]);
    let first = locked["proposal_id"].as_u64().unwrap().to_string();
    wait_for_state(&node, &first, "Active");
    node.ok(&[
        "gov",
        "vote",
        "--proposal-id",
        &first,
        "--amount",
        "1000000",
        "--yea",
    ]);
    wait_for_state(&node, &first, "Executable");
    node.ok(&["gov", "execute", &first, "--payload-dir", reg1_s]);
    let shown = node.ok(&["registry", "show", "dex"]);
    assert_eq!(shown["canonical"]["package"], v1.as_str(), "{shown}");

    // v2: a new deployment, and a payload that expects v1 to be canonical.
    let v2 = publish("counter_v2");
    assert_ne!(v1, v2);
    let reg2 = dir.path().join("reg-v2");
    let reg2_s = reg2.to_str().unwrap();
    let written = node.ok(&[
        "registry",
        "payload",
        "dex",
        "--package",
        &v2,
        "--label",
        "v2",
        "--output-dir",
        reg2_s,
    ]);
    assert_eq!(written["expected"], v1.as_str(), "{written}");
    let hash = written["execution_hash"].as_str().unwrap().to_string();

    // The validator signals it in every block it proposes; a full round of
    // signals reaches the quorum, and anyone submits the winner.
    node.ok(&["gov", "signal", "--payload", reg2_s]);
    let size = node.ok(&["gov", "rounds"])["config"]["round_size"]
        .as_u64()
        .unwrap();
    let round = wait_for_signals(&node, &hash, size)["round"]
        .as_u64()
        .unwrap();
    wait_for_height(&node, (round + 1) * size);
    let submitted = node.ok(&["gov", "submit-round-winner", &round.to_string()]);
    let second = submitted["proposal_id"].as_u64().unwrap().to_string();
    node.ok(&["gov", "signal", "--clear"]);

    // Votes while Active, then the queue delay, then execution by anyone.
    let pending = stakeholders_state(&node, &second);
    assert_eq!(pending["state"], "Pending", "{pending}");
    wait_for_state(&node, &second, "Active");
    node.ok(&[
        "gov",
        "vote",
        "--proposal-id",
        &second,
        "--amount",
        "2000000",
        "--yea",
    ]);
    let queued = wait_for_state(&node, &second, "Queued");
    assert_eq!(queued["tally"]["passes"], true, "{queued}");
    let (code, err) = node
        .molt(&["gov", "execute", &second, "--payload-dir", reg2_s])
        .unwrap_err();
    assert_eq!(code, 1, "too early: {err}");
    wait_for_state(&node, &second, "Executable");
    node.ok(&[
        "gov",
        "execute",
        &second,
        "--payload-dir",
        reg2_s,
        "--from",
        "dev1",
    ]);
    assert_eq!(stakeholders_state(&node, &second)["state"], "Executed");

    // The registry points at v2; the history keeps v1, which still runs.
    let shown = node.ok(&["registry", "show", "dex"]);
    assert_eq!(shown["canonical"]["package"], v2.as_str(), "{shown}");
    assert_eq!(shown["canonical"]["label"], "v2", "{shown}");
    let history = node.ok(&["registry", "history", "dex"]);
    let packages: Vec<&str> = history["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["package"].as_str().unwrap())
        .collect();
    assert_eq!(packages, vec![v1.as_str(), v2.as_str()], "{history}");
    let called = node.ok(&["call", &v1, "increment"]);
    assert_eq!(called["receipt"]["status"], "success", "{called}");
    let called = node.ok(&["call", &v2, "increment"]);
    assert_eq!(called["receipt"]["status"], "success", "{called}");

    // The v1 payload again: v1 is no longer canonical, so it is stale now.
    let again = dir.path().join("reg-v1-again");
    let again_s = again.to_str().unwrap();
    let written = node.ok(&[
        "registry",
        "payload",
        "dex",
        "--package",
        &v1,
        "--label",
        "v1",
        "--new",
        "--output-dir",
        again_s,
    ]);
    assert_eq!(written["stale_now"], true, "{written}");
}
