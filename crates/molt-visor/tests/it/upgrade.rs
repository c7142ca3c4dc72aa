//! The upgrade a user expects: molt 0.1.0 halts at the plan's height, the
//! visor swaps in 0.2.0, the chain goes on from the next height.

use crate::*;
use molt_node::admin::AdminState;
use std::time::Duration;

#[test]
fn the_visor_swaps_the_binary_at_the_height_and_the_chain_goes_on() {
    let b = binaries();
    let s = Setup::new(30, "0.2.0", &sha3_hex(&b.v2));
    let (ok, out, err) = s.visor(&["add-version", "0.2.0", b.v2.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.contains("installed molt 0.2.0"), "{out}");
    // An installed binary is never replaced silently.
    let (ok, _, err) = s.visor(&["add-version", "0.2.0", b.v2.to_str().unwrap()]);
    assert!(!ok && err.contains("--force"), "{err}");

    let mut visor = s.spawn_run();
    wait_for(&s, "the node", Duration::from_secs(60), || {
        s.status().is_some()
    });
    // Before the height: check passes and names the plan, once the first
    // finalized block holds the plan the node was started with.
    let mut out = String::new();
    wait_for(&s, "the plan on chain", Duration::from_secs(60), || {
        let (ok, o, e) = s.visor(&["check"]);
        out = format!("{o}{e}");
        ok && o.contains("upgrade to molt 0.2.0 at height 30")
    });
    assert!(out.contains("[ok] checksum"), "{out}");

    // Done when the node runs 0.2.0 past the height and the visor has
    // recorded the upgrade (it may see the new block one poll later).
    wait_for(&s, "the upgrade", Duration::from_secs(90), || {
        s.status()
            .is_some_and(|st| st.version.release == "0.2.0" && st.latest_block.height > 31)
            && molt_visor::status::VisorStatus::load(&molt_visor::home::Home::new(s.home.clone()))
                .is_some_and(|v| v.last_upgrade.is_some())
    });
    let st = s.status().unwrap();
    assert_eq!(st.state, AdminState::Running);
    assert_eq!(st.first_block.as_ref().unwrap().height, 31);
    assert_eq!(s.current(), "0.2.0");
    let halt = s.plan_file().halt;
    assert_eq!(halt.height, 30);

    let (ok, out, _) = s.visor(&["status", "--json"]);
    assert!(ok);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["current_version"], "0.2.0");
    assert_eq!(doc["node"]["version"]["release"], "0.2.0");
    let up = &doc["visor"]["last_upgrade"];
    assert_eq!(up["from"], "0.1.0");
    assert_eq!(up["to"], "0.2.0");
    let downtime_ms = up["downtime_ms"].as_u64().unwrap();
    let x100 = up["downtime_block_times_x100"].as_u64().unwrap();
    println!(
        "single-node upgrade downtime: {downtime_ms} ms = {}.{:02} block times of {BLOCK_MS} ms",
        x100 / 100,
        x100 % 100
    );
    let log = s.log_text();
    assert!(
        log.contains("upgrade to molt 0.2.0 scheduled after height 30: installed and verified"),
        "{log}"
    );
    assert!(log.contains("switched current to versions/0.2.0"), "{log}");
    assert!(
        log.contains("upgrade to molt 0.2.0 done: height 31"),
        "{log}"
    );

    // SIGTERM stops the node and the visor cleanly.
    stop_within(&mut visor, Duration::from_secs(20));
    assert!(visor.wait().unwrap().success());
    assert!(!s.data.join("admin.sock").exists(), "the node is still up");
    // The store has the halt block's root at the halt height and more after.
    let store = molt_store::Store::open(&s.data.join("state.redb"), Default::default()).unwrap();
    assert_eq!(store.root(30).unwrap(), halt.state_root);
    assert!(store.latest_version().unwrap() > 31);
}
