//! `molt protocol` against a real dev node process: the validator's
//! proposal is its vote and, with all of the power, schedules the plan
//! (the node reports it); bad plans are refused before anything is signed;
//! a later height than the scheduled one is refused by the package;
//! withdrawing without a vote is explained.

mod support;

use support::*;

#[test]
fn a_validators_proposal_schedules_the_plan_and_bad_ones_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let node = DevNode::start_with_block_time(dir.path(), free_port(), 100);
    let height = node.ok(&["query", "block", "latest"])["height"]
        .as_u64()
        .unwrap()
        + 500;
    let h = height.to_string();
    let hash = format!("0x{}", "42".repeat(32));
    let binary = format!("linux-x86_64={hash}");

    // Refused locally, nothing signed.
    let (code, err) = node
        .molt(&[
            "protocol",
            "propose",
            "--version",
            "9.0",
            "--height",
            &h,
            "--binary",
            &binary,
            "--from",
            "dev-validator",
        ])
        .unwrap_err();
    assert_eq!(code, 1);
    assert!(err.contains("semantic version"), "{err}");
    let (_, err) = node
        .molt(&[
            "protocol",
            "propose",
            "--version",
            "9.0.0",
            "--height",
            "1",
            "--binary",
            &binary,
            "--from",
            "dev-validator",
        ])
        .unwrap_err();
    assert!(err.contains("is not ahead of the chain"), "{err}");
    let (_, err) = node
        .molt(&[
            "protocol",
            "propose",
            "--version",
            "9.0.0",
            "--height",
            &h,
            "--from",
            "dev-validator",
        ])
        .unwrap_err();
    assert!(err.contains("give each platform's binary"), "{err}");
    let (_, err) = node
        .molt(&["protocol", "withdraw", "--from", "dev-validator"])
        .unwrap_err();
    assert!(err.contains("has no vote to withdraw"), "{err}");
    // Not a validator: the node's simulation refuses it with the package's error.
    let (_, err) = node
        .molt(&[
            "protocol",
            "propose",
            "--version",
            "9.0.0",
            "--height",
            &h,
            "--binary",
            &binary,
        ])
        .unwrap_err();
    assert!(err.contains("only a validator"), "{err}");

    // The dev validator holds all of the power: accepted at once.
    let file = dir.path().join("molt-linux");
    std::fs::write(&file, b"a new molt build").unwrap();
    let voted = node.ok(&[
        "protocol",
        "propose",
        "--version",
        "9.0.0",
        "--height",
        &h,
        "--binary-file",
        &format!("linux-x86_64={}", file.display()),
        "--from",
        "dev-validator",
    ]);
    assert_eq!(voted["accepted"], true, "{voted}");
    let shown = node.ok(&["protocol", "show"]);
    assert_eq!(shown["scheduled"]["version"], "9.0.0", "{shown}");
    assert_eq!(shown["scheduled"]["height"], height, "{shown}");
    let plan = &shown["upgrade"]["plan"];
    assert_eq!(plan["version"], "9.0.0", "{shown}");
    let expected = format!("{}", molt_types::sha3_256(b"a new molt build"));
    assert_eq!(
        plan["binaries"]["linux-x86_64"],
        expected.as_str(),
        "{shown}"
    );

    // The earliest accepted height wins.
    let later = (height + 10).to_string();
    let (_, err) = node
        .molt(&[
            "protocol",
            "propose",
            "--version",
            "9.1.0",
            "--height",
            &later,
            "--binary",
            &binary,
            "--from",
            "dev-validator",
        ])
        .unwrap_err();
    assert!(err.contains("earliest accepted height wins"), "{err}");
}
