//! Each failure an operator can meet, with what the visor says and the
//! promise that the state at the halt height is untouched.

use crate::*;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(90);

/// The visor run until it stops by itself; it must fail saying `message`.
fn fails_with(s: &Setup, message: &str) -> String {
    let (ok, log) = s.run_until_exit(LIMIT);
    assert!(!ok, "the visor succeeded:\n{log}");
    assert!(log.contains(message), "expected `{message}` in:\n{log}");
    log
}

/// The store is at the halt height with the halt block's root.
fn at_halt(s: &Setup) {
    let halt = s.plan_file().halt;
    assert_eq!(s.store_tip(), (halt.height, halt.state_root));
}

#[test]
fn a_binary_whose_checksum_is_not_the_plans_is_refused() {
    let b = binaries();
    let s = Setup::new(
        5,
        "0.2.0",
        &molt_types::sha3_256(b"another build").to_string(),
    );
    assert!(s.visor(&["add-version", "0.2.0", b.v2.to_str().unwrap()]).0);
    let log = fails_with(&s, "checksum mismatch");
    // Said before the height too.
    assert!(
        log.contains("will not go through as things are: checksum mismatch"),
        "{log}"
    );
    assert_eq!(s.current(), "0.1.0");
    at_halt(&s);
    let (ok, _, err) = s.visor(&["check"]);
    assert!(!ok && err.contains("[FAIL] checksum"), "{err}");
}

#[test]
fn a_binary_that_reports_another_version_is_refused() {
    let b = binaries();
    // The 0.2.0 build installed by hand as 0.3.0, the version planned.
    let s = Setup::new(5, "0.3.0", &sha3_hex(&b.v2));
    let (ok, _, err) = s.visor(&["add-version", "0.3.0", b.v2.to_str().unwrap()]);
    assert!(
        !ok && err.contains("reports release 0.2.0, not 0.3.0"),
        "{err}"
    );
    let bin = s.home.join("versions/0.3.0/bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::copy(&b.v2, bin.join("molt")).unwrap();
    std::fs::copy(
        s.home.join("versions/0.1.0/run.toml"),
        s.home.join("versions/0.3.0/run.toml"),
    )
    .unwrap();
    fails_with(&s, "wrong version");
    assert_eq!(s.current(), "0.1.0");
    at_halt(&s);
}

#[test]
fn a_new_version_that_never_starts_leaves_the_data_and_resumes_after_the_fix() {
    let b = binaries();
    let s = Setup::new(5, "0.2.0", &sha3_hex(&b.v2));
    assert!(
        s.visor(&[
            "add-version",
            "0.2.0",
            b.v2.to_str().unwrap(),
            "--",
            "node",
            "--dev",
            "--block-time",
            "0"
        ])
        .0
    );
    let log = fails_with(&s, "molt 0.2.0 failed to start 3 times");
    assert!(
        log.contains("The data is unchanged at the halt height 5"),
        "{log}"
    );
    assert!(
        log.contains("`molt-visor run` resumes the upgrade"),
        "{log}"
    );
    at_halt(&s);
    assert!(s.data.join("checkpoints/5/state.redb").is_file());
    // The fix: right arguments; one command resumes.
    let run = std::fs::read_to_string(s.home.join("versions/0.1.0/run.toml")).unwrap();
    std::fs::write(s.home.join("versions/0.2.0/run.toml"), run).unwrap();
    let mut visor = s.spawn_run();
    wait_for(&s, "the resumed upgrade", LIMIT, || {
        s.status()
            .is_some_and(|st| st.version.release == "0.2.0" && st.latest_block.height > 6)
    });
    sigterm(&visor);
    assert!(visor.wait().unwrap().success());
}

#[test]
fn a_new_version_that_damages_the_store_and_exits_is_rolled_back_to_the_checkpoint() {
    let b = binaries();
    let fake = std::env::temp_dir().join(format!("molt-visor-bad-{}", std::process::id()));
    // Answers the version probe like molt 0.2.0, then scribbles on the store.
    write_script(
        &fake,
        r#"if [ "$1" = "--version" ]; then echo '{"release":"0.2.0","commit":"bad","protocol":1}'; exit 0; fi
for a in "$@"; do d="$a"; done
printf 'garbage!garbage!' | dd of="$d/state.redb" bs=1 seek=0 conv=notrunc 2>/dev/null
echo "migration failed" >&2; exit 3"#,
    );
    let s = Setup::new(5, "0.2.0", &sha3_hex(&fake));
    assert!(s.visor(&["add-version", "0.2.0", fake.to_str().unwrap()]).0);
    let log = fails_with(&s, "had changed the store: the checkpoint of height 5");
    at_halt(&s);
    let kept: Vec<_> = std::fs::read_dir(&s.data)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("state.redb.failed-0.2.0")
        })
        .collect();
    assert_eq!(kept.len(), 1, "{log}");
    let _ = b;
    let _ = std::fs::remove_file(fake);
}

#[test]
fn a_failing_hook_stops_the_upgrade_and_a_retrying_one_is_run_again() {
    let b = binaries();
    let s = Setup::new(5, "0.2.0", &sha3_hex(&b.v2));
    assert!(s.visor(&["add-version", "0.2.0", b.v2.to_str().unwrap()]).0);
    let code = s.dir.path().join("hook-code");
    std::fs::write(&code, "30").unwrap();
    let calls = s.dir.path().join("hook-calls");
    s.add_hook(&format!(
        "echo \"$1 $3\" >> {calls:?}\nc=$(cat {code:?})\nif [ \"$c\" = 31 ]; then echo 0 > {code:?}; fi\nexit $c"
    ));
    fails_with(&s, "the pre-upgrade hook");
    assert!(
        s.log_text().contains("failed (exit status: 30)"),
        "{}",
        s.log_text()
    );
    assert_eq!(s.current(), "0.1.0");
    at_halt(&s);
    // Now the hook asks for one retry, then succeeds: the upgrade resumes.
    std::fs::write(&code, "31").unwrap();
    let mut visor = s.spawn_run();
    wait_for(&s, "the upgrade", LIMIT, || {
        s.status().is_some_and(|st| st.version.release == "0.2.0")
    });
    sigterm(&visor);
    assert!(visor.wait().unwrap().success());
    assert!(s.log_text().contains("asks to be run again (exit 31)"));
    let calls = std::fs::read_to_string(calls).unwrap();
    assert_eq!(calls.lines().collect::<Vec<_>>(), ["0.2.0 5"; 3]);
}

#[test]
fn a_visor_killed_mid_switch_resumes_and_current_is_never_missing() {
    let b = binaries();
    let s = Setup::new(5, "0.2.0", &sha3_hex(&b.v2));
    assert!(s.visor(&["add-version", "0.2.0", b.v2.to_str().unwrap()]).0);
    let marker = s.dir.path().join("hook-started");
    let slow = s.dir.path().join("slow");
    std::fs::write(&slow, "").unwrap();
    s.add_hook(&format!(
        "touch {marker:?}\nif [ -e {slow:?} ]; then sleep 30; fi\nexit 0"
    ));
    // Watch `current` the whole time.
    let link = s.home.join("current");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let (link, stop) = (link.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut looks = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let target = std::fs::canonicalize(&link).expect("current missing or dangling");
                assert!(target.join("bin/molt").is_file());
                looks += 1;
            }
            looks
        })
    };
    let mut visor = s.spawn_run();
    wait_for(&s, "the hook", LIMIT, || marker.exists());
    visor.kill().unwrap(); // SIGKILL, in the step before the switch
    visor.wait().unwrap();
    assert_eq!(s.current(), "0.1.0");
    at_halt(&s);
    std::fs::remove_file(&slow).unwrap();
    let mut visor = s.spawn_run();
    wait_for(&s, "the resumed upgrade", LIMIT, || {
        s.status()
            .is_some_and(|st| st.version.release == "0.2.0" && st.latest_block.height > 6)
    });
    sigterm(&visor);
    assert!(visor.wait().unwrap().success());
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(watcher.join().unwrap() > 0);
    assert!(
        s.log_text().contains("resuming the upgrade"),
        "{}",
        s.log_text()
    );
}

#[test]
fn a_truncated_plan_file_is_rewritten_by_the_halted_node_and_the_upgrade_goes_on() {
    let b = binaries();
    let s = Setup::new(5, "0.2.0", &sha3_hex(&b.v2));
    // Not installed yet: the visor stops at the halt and says what to do.
    fails_with(&s, "molt 0.2.0 is not installed");
    let halt = s.plan_file().halt;
    let path = s.data.join("upgrade-plan.json");
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    assert!(s.visor(&["add-version", "0.2.0", b.v2.to_str().unwrap()]).0);
    let mut visor = s.spawn_run();
    wait_for(&s, "the upgrade", LIMIT, || {
        s.status()
            .is_some_and(|st| st.version.release == "0.2.0" && st.latest_block.height > 6)
    });
    sigterm(&visor);
    assert!(visor.wait().unwrap().success());
    let log = s.log_text();
    assert!(log.contains("upgrade-plan.json is damaged"), "{log}");
    assert_eq!(s.plan_file().halt, halt);
    let store = molt_store::Store::open(&s.data.join("state.redb"), Default::default()).unwrap();
    assert_eq!(store.root(5).unwrap(), halt.state_root);
}
