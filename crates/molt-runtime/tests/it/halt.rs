//! The protocol-upgrade halt: a binary older than the plan stops after the
//! plan's height, on propose and on verify; the planned release goes on.

use crate::Chain;
use molt_runtime::*;
use molt_types::*;
use std::collections::BTreeMap;

fn plan(version: &str, height: u64) -> UpgradePlan {
    UpgradePlan {
        version: version.into(),
        height,
        binaries: BTreeMap::from([("linux-x86_64".to_string(), sha3_256(b"molt 0.2.0"))]),
    }
}

fn halted(e: RuntimeError) -> (UpgradePlan, String) {
    match e {
        RuntimeError::HaltedForUpgrade { plan, running } => (*plan, running),
        other => panic!("expected HaltedForUpgrade, got {other}"),
    }
}

#[test]
fn an_older_binary_halts_after_the_height_and_the_planned_release_goes_on() {
    let c = Chain::new();
    c.rt.set_binary_release("0.1.0").unwrap();
    c.rt.schedule_protocol_upgrade(&plan("0.2.0", 3)).unwrap();
    for _ in 0..3 {
        c.block(vec![]);
    }
    assert_eq!(c.rt.height(), 3);
    assert_eq!(c.rt.upgrade_plan().unwrap(), Some(plan("0.2.0", 3)));
    assert_eq!(c.rt.halted_for_upgrade().unwrap(), Some(plan("0.2.0", 3)));
    let root = c.rt.latest_block().unwrap().header.state_root;

    let err = c.rt.produce_block(&[], c.proposer, 10_000).unwrap_err();
    let text = err.to_string();
    let (p, running) = halted(err);
    assert_eq!((p, running.as_str()), (plan("0.2.0", 3), "0.1.0"));
    assert!(text.contains("need release 0.2.0 or later"), "{text}");
    assert!(text.contains("this binary is 0.1.0"), "{text}");
    // Nothing changed: same height, same root, no pending block.
    assert_eq!(c.rt.height(), 3);
    assert_eq!(c.rt.latest_block().unwrap().header.state_root, root);
    assert!(c.rt.pending_blocks().is_empty());

    // A restart of the same binary still refuses.
    let c = c.reopen();
    c.rt.set_binary_release("0.1.9").unwrap();
    assert!(c.rt.halted_for_upgrade().unwrap().is_some());
    assert!(c.rt.produce_block(&[], c.proposer, 10_000).is_err());

    // The planned release (or a later one) continues from the next height.
    c.rt.set_binary_release("0.2.0").unwrap();
    assert_eq!(c.rt.halted_for_upgrade().unwrap(), None);
    let b = c.rt.produce_block(&[], c.proposer, 10_000).unwrap();
    assert_eq!(b.block.header.height, 4);
    assert_eq!(
        b.block.header.parent,
        c.rt.block(3).unwrap().unwrap().header.id()
    );
}

#[test]
fn a_verifier_older_than_the_plan_refuses_to_judge_the_next_block() {
    let new = Chain::new();
    let old = Chain::new();
    new.rt.set_binary_release("0.2.0").unwrap();
    old.rt.set_binary_release("0.1.0").unwrap();
    for c in [&new, &old] {
        c.rt.schedule_protocol_upgrade(&plan("0.2.0", 1)).unwrap();
    }
    // Block 1 (which writes the plan) is judged by both alike.
    let b1 = new.block(vec![]).block;
    let now = VerifyContext {
        now_ms: u64::MAX / 2,
    };
    assert_eq!(old.rt.verify(now, &b1).unwrap(), Verdict::Valid);
    old.rt.finalize(&b1.header.id()).unwrap();
    assert_eq!(old.rt.latest_block().unwrap().header, b1.header);
    // Block 2 is past the height: the old verifier refuses, typed.
    let b2 = new.block(vec![]).block;
    let (p, _) = halted(old.rt.verify(now, &b2).unwrap_err());
    assert_eq!(p.height, 1);
    assert!(old.rt.pending_blocks().is_empty());
}

#[test]
fn a_newer_binary_does_not_halt_at_all() {
    let c = Chain::new();
    c.rt.set_binary_release("1.0.0").unwrap();
    c.rt.schedule_protocol_upgrade(&plan("0.2.0", 1)).unwrap();
    for _ in 0..3 {
        c.block(vec![]);
    }
    assert_eq!(c.rt.height(), 3);
}

#[test]
fn bad_plans_are_refused_with_what_to_fix_and_change_nothing() {
    let c = Chain::new();
    c.block(vec![]);
    let cases: Vec<(UpgradePlan, &str)> = vec![
        (plan("two", 9), "not a semantic version"),
        (plan("0.2.0", 1), "height 1 has passed: the next block is 2"),
        (
            UpgradePlan {
                binaries: BTreeMap::new(),
                ..plan("0.2.0", 9)
            },
            "names no binary checksum",
        ),
        (
            UpgradePlan {
                binaries: BTreeMap::from([("Linux x86".to_string(), Digest::ZERO)]),
                ..plan("0.2.0", 9)
            },
            "is not <os>-<arch>",
        ),
    ];
    for (p, message) in cases {
        let e = c.rt.schedule_protocol_upgrade(&p).unwrap_err();
        assert!(e.to_string().contains(message), "{e}");
    }
    c.block(vec![]);
    assert_eq!(c.rt.upgrade_plan().unwrap(), None);
    assert!(c.rt.set_binary_release("latest").is_err());
}

#[test]
fn after_an_upgrade_a_new_plan_must_be_newer() {
    let c = Chain::new();
    c.rt.set_binary_release("0.2.0").unwrap();
    c.rt.schedule_protocol_upgrade(&plan("0.2.0", 1)).unwrap();
    c.block(vec![]);
    c.block(vec![]);
    let e =
        c.rt.schedule_protocol_upgrade(&plan("0.1.5", 9))
            .unwrap_err();
    assert!(matches!(e, PlanError::NotNewer { .. }), "{e}");
    assert!(e.to_string().contains("downgrades are not allowed"), "{e}");
    c.rt.schedule_protocol_upgrade(&plan("0.3.0", 9)).unwrap();
    c.block(vec![]);
    assert_eq!(c.rt.upgrade_plan().unwrap().unwrap().version, "0.3.0");
}
