//! The scenarios: each runs on the node, the `MemoryHost` and `TestEnv`,
//! which must agree at every step (`Conformance::run`), and checks on the
//! node's answer that the rule is the documented one (docs/host-abi.md,
//! docs/conformance.md), so three hosts agreeing on a wrong answer fails
//! too.

use conformance::{Account, Conformance, Failure, Step, context_of, encode, recorded};
use molt_host_rules::TicketRefusal;
use molt_types::{Address, Digest};

type Entry = (Vec<u8>, Vec<u8>);
type Query = (Vec<u8>, Option<Vec<u8>>);

fn b(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

fn entry(k: &str, v: &str) -> Entry {
    (b(k), b(v))
}

const NOBODY: Address = Address([0xee; 32]);

/// Every edge of `storage_next`: no bound, a bound inside the prefix, on
/// the prefix itself, before it (excludes nothing), after it (finds
/// nothing), the empty prefix and key, and a prefix nothing has.
fn queries() -> Vec<Query> {
    let q = |p: &str, a: Option<&str>| (b(p), a.map(b));
    vec![
        q("", None),
        q("", Some("")),
        q("b/", None),
        q("b/", Some("b/1")),
        q("b/", Some("b/")),
        q("b/", Some("a")),
        q("b/", Some("")),
        q("b/", Some("b0")),
        q("b/", Some("b/3")),
        q("b", Some("b")),
        q("zz", None),
        q("out/", None),
    ]
}

fn scans_recorded(c: &conformance::Observed, probe: &Address) -> Vec<Vec<Entry>> {
    let bytes = recorded(c, probe, "scans").expect("the probe recorded its scans");
    molt_sdk::borsh::from_slice(&bytes).unwrap()
}

#[test]
fn storage_get_set_remove_and_next_with_prefixes() {
    let mut c = Conformance::new();
    let n = c.names().clone();
    let puts = vec![
        entry("", "empty key"),
        entry("a", "1"),
        entry("b", "2"),
        entry("b/", "3"),
        entry("b/1", "4"),
        entry("b/2", "5"),
        entry("b/3", "6"),
        entry("b0", "7"),
        entry("c", "8"),
    ];
    // Written, removed and scanned in one transaction: the node answers
    // from its block overlay.
    let removes = vec![b("b/2"), b("missing")];
    let o = c.run(Step::call(
        Account::Alice,
        n.probe,
        "edit",
        &(puts, removes, queries()),
    ));
    assert_eq!(o.result, Ok(None));
    let removed = recorded(&o, &n.probe, "removed").unwrap();
    let removed: (Vec<bool>, Vec<bool>) = molt_sdk::borsh::from_slice(&removed).unwrap();
    assert_eq!(removed, (vec![true, false], vec![false, false]));
    let scans = scans_recorded(&o, &n.probe);
    let prefixed = vec![entry("b/", "3"), entry("b/1", "4"), entry("b/3", "6")];
    assert_eq!(scans[2], prefixed, "b/ from the start");
    assert_eq!(
        scans[5], prefixed,
        "an `after` before the prefix excludes nothing"
    );
    assert_eq!(scans[6], prefixed);
    assert_eq!(scans[3], prefixed[2..], "strictly after b/1");
    assert!(scans[7].is_empty() && scans[8].is_empty() && scans[10].is_empty());

    // The same queries on committed state, as views.
    for (prefix, after) in queries() {
        c.run(Step::view(
            n.probe,
            "scan",
            &(prefix.clone(), after.clone()),
        ));
        c.run(Step::view(n.probe, "next", &(prefix, after)));
    }
    let o = c.run(Step::view(n.probe, "get", &b("b/1")));
    assert_eq!(o.result, Ok(Some(encode(&Some(b("4"))))));
    c.run(Step::view(n.probe, "get", &b("b/2")));
    c.run(Step::view(n.probe, "get", &b("")));

    // Committed keys removed and new ones written in one transaction: the
    // scans merge the store with the transaction's writes and deletions.
    let o = c.run(Step::call(
        Account::Bob,
        n.probe,
        "edit",
        &(
            vec![entry("b/5", "9"), entry("b/1", "overwritten")],
            vec![b("b/1"), b("a"), b("c")],
            queries(),
        ),
    ));
    let scans = scans_recorded(&o, &n.probe);
    assert_eq!(
        scans[5],
        vec![entry("b/", "3"), entry("b/3", "6"), entry("b/5", "9")]
    );
}

#[test]
fn foreign_reads_see_the_other_programs_namespace_read_only() {
    let mut c = Conformance::new();
    let n = c.names().clone();
    c.run(Step::call(Account::Bob, n.callee, "put", &(b("k"), b("v"))));
    let o = c.run(Step::view(n.probe, "foreign", &(n.callee, b("k"))));
    assert_eq!(o.result, Ok(Some(encode(&Some(b("v"))))));
    let o = c.run(Step::view(n.probe, "foreign", &(n.callee, b("missing"))));
    assert_eq!(o.result, Ok(Some(encode(&None::<Vec<u8>>))));
    // By a package id, not the namespace: nothing there.
    c.run(Step::view(n.probe, "foreign", &(n.callee_v2, b("k"))));
    c.run(Step::view(n.probe, "foreign", &(NOBODY, b("k"))));
    // Its own namespace through the foreign read, and a read recorded in a
    // transaction after the callee wrote in it.
    c.run(Step::view(n.probe, "foreign", &(n.probe, b("out/foreign"))));
    c.run(Step::call(
        Account::Alice,
        n.probe,
        "relay",
        &(n.callee, "put".to_string(), encode(&(b("k"), b("w")))),
    ));
    let o = c.run(Step::call(
        Account::Alice,
        n.probe,
        "record_foreign",
        &(n.callee, b("k")),
    ));
    assert_eq!(
        recorded(&o, &n.probe, "foreign"),
        Some(encode(&Some(b("w"))))
    );
}

#[test]
fn events_carry_the_emitting_program() {
    let mut c = Conformance::new();
    let n = c.names().clone();
    let o = c.run(Step::call(Account::Alice, n.probe, "note", &1u32));
    assert_eq!(o.events.len(), 1);
    assert_eq!((o.events[0].0, o.events[0].1.as_str()), (n.probe, "Noted"));
    assert_eq!(o.events[0].2, encode(&(1u32, n.alice)));
    let o = c.run(Step::call(
        Account::Alice,
        n.probe,
        "relay",
        &(n.callee, "note".to_string(), encode(&2u32)),
    ));
    // The callee emits, as itself, and saw the probe as its caller.
    assert_eq!(o.events.len(), 1);
    assert_eq!(
        (o.events[0].0, o.events[0].1.as_str()),
        (n.callee, "Pinged")
    );
    assert_eq!(o.events[0].2, encode(&(2u32, n.probe)));
    let o = c.run(Step::call(Account::Alice, n.probe, "emit_undeclared", &()));
    assert_eq!(
        o.result,
        Err(Failure::UndeclaredEvent {
            name: Some("NotDeclared".into())
        })
    );
}

#[test]
fn an_abort_keeps_no_write_and_no_event() {
    let mut c = Conformance::new();
    let n = c.names().clone();
    let before = c.run(Step::call(Account::Alice, n.probe, "note", &1u32));
    let o = c.run(Step::call(Account::Alice, n.probe, "fail", &42u32));
    assert_eq!(
        o.result,
        Err(Failure::Aborted {
            code: 42,
            message: "the probe fails, as it was asked to".into()
        })
    );
    assert!(o.events.is_empty());
    assert_eq!(o.storage, before.storage);
    // A declared error returned as `Err` is an abort with its code.
    let o = c.run(Step::call(Account::Bob, n.probe, "refuse", &()));
    assert_eq!(
        o.result,
        Err(Failure::Aborted {
            code: 7,
            message: "the probe refuses, as it was asked to".into()
        })
    );
    assert_eq!(o.storage, before.storage);
}

#[test]
fn a_failing_nested_call_undoes_the_whole_transaction() {
    let mut c = Conformance::new();
    let n = c.names().clone();
    let before = c.run(Step::call(Account::Bob, n.callee, "put", &(b("k"), b("v"))));
    let inner = encode(&(b("k"), b("changed"), 6u32, 77u32));
    let o = c.run(Step::call(
        Account::Alice,
        n.probe,
        "note_and_relay",
        &(5u32, n.callee, "put_note_fail".to_string(), inner),
    ));
    assert_eq!(
        o.result,
        Err(Failure::Aborted {
            code: 77,
            message: "the callee fails, as it was asked to".into()
        })
    );
    // Neither the caller's write and event before the call nor the
    // callee's own survive.
    assert!(o.events.is_empty());
    assert_eq!(o.storage, before.storage);
}

#[test]
fn a_callee_sees_its_own_version_and_the_callers_original_id() {
    let mut c = Conformance::new();
    let n = c.names().clone();
    let ctx = |o: &conformance::Observed, program: &Address, tag: &str| {
        context_of(&recorded(o, program, &format!("ctx/{tag}")).expect("a recorded context"))
    };

    let o = c.run(Step::call(
        Account::Bob,
        n.probe,
        "whoami",
        &"top".to_string(),
    ));
    let top = ctx(&o, &n.probe, "top");
    assert_eq!((top.caller, top.origin), (n.bob, n.bob));
    assert_eq!(
        (top.package_id, top.original_id, top.version, top.edition),
        (n.probe_v1, n.probe, 1, 0)
    );
    assert_eq!((top.owner, top.checksum), (n.alice, n.probe_checksum));
    assert!(!top.ticket_call);

    // By original id: the latest version.
    let whoami = |tag: &str| encode(&tag.to_string());
    let o = c.run(Step::call(
        Account::Alice,
        n.probe,
        "relay",
        &(n.callee, "whoami".to_string(), whoami("latest")),
    ));
    let latest = ctx(&o, &n.callee, "latest");
    assert_eq!((latest.caller, latest.origin), (n.probe, n.alice));
    assert_eq!(
        (
            latest.package_id,
            latest.original_id,
            latest.version,
            latest.edition
        ),
        (n.callee_v2, n.callee, 2, 1)
    );
    assert_eq!((latest.owner, latest.checksum), (n.bob, n.callee_checksum));
    assert_eq!(
        (latest.block_height, latest.block_time_ms),
        (top.block_height + 1, top.block_time_ms + 1_000)
    );

    // By package id: that version (sharing the namespace).
    let o = c.run(Step::call(
        Account::Alice,
        n.probe,
        "relay",
        &(n.callee_v1, "whoami".to_string(), whoami("v1")),
    ));
    let v1 = ctx(&o, &n.callee, "v1");
    assert_eq!(
        (v1.package_id, v1.original_id, v1.version, v1.edition),
        (n.callee_v1, n.callee, 1, 0)
    );

    // Calling itself, and re-entered through the callee.
    let o = c.run(Step::call(
        Account::Alice,
        n.probe,
        "relay",
        &(n.probe, "whoami".to_string(), whoami("self")),
    ));
    assert_eq!(ctx(&o, &n.probe, "self").caller, n.probe);
    let o = c.run(Step::call(
        Account::Alice,
        n.probe,
        "relay",
        &(
            n.callee,
            "relay".to_string(),
            encode(&(n.probe, "whoami".to_string(), whoami("reentry"))),
        ),
    ));
    assert_eq!(ctx(&o, &n.probe, "reentry").caller, n.callee);

    // A view outside a transaction: no caller.
    let o = c.run(Step::view(n.probe, "whoami_view", &()));
    let Ok(Some(bytes)) = o.result else {
        panic!("{o:?}")
    };
    assert_eq!(context_of(&bytes).caller, Address::ZERO);
}

#[test]
fn a_view_writes_nothing_itself_or_through_a_callee() {
    let mut c = Conformance::new();
    let n = c.names().clone();
    let refused = |operation: &str| {
        Err(Failure::WriteInView {
            operation: Some(operation.into()),
        })
    };
    for (function, operation) in [
        ("write_in_view", "storage_set"),
        ("remove_in_view", "storage_remove"),
        ("emit_in_view", "emit_event"),
    ] {
        let o = c.run(Step::call(Account::Alice, n.probe, function, &()));
        assert_eq!(o.result, refused(operation), "{function}");
        c.run(Step::view(n.probe, function, &()));
    }
    let o = c.run(Step::call(
        Account::Alice,
        n.probe,
        "authorize_in_view",
        &(n.callee_cap, n.callee_checksum),
    ));
    assert_eq!(o.result, refused("authorize_upgrade"));
    // A view's callee runs as a view, whatever it declares.
    let put = encode(&(b("k"), b("v")));
    let o = c.run(Step::call(
        Account::Alice,
        n.probe,
        "relay_view",
        &(n.callee, "put".to_string(), put.clone()),
    ));
    assert_eq!(o.result, refused("storage_set"));
    c.run(Step::view(
        n.probe,
        "relay_view",
        &(n.callee, "put".to_string(), put),
    ));
    // Reading through a callee is fine.
    let o = c.run(Step::view(
        n.probe,
        "relay_view",
        &(n.callee, "peek".to_string(), encode(&b("k"))),
    ));
    assert!(o.result.is_ok(), "{o:?}");
}

#[test]
fn programs_call_public_functions_and_transactions_entry_ones() {
    let mut c = Conformance::new();
    let n = c.names().clone();
    let relay = |c: &mut Conformance, target: Address, function: &str| {
        c.run(Step::call(
            Account::Alice,
            n.probe,
            "relay",
            &(target, function.to_string(), Vec::<u8>::new()),
        ))
        .result
    };
    let not_callable = |f: &str| Err(Failure::NotCallable { function: f.into() });
    assert_eq!(
        relay(&mut c, n.callee, "admin_only"),
        not_callable("admin_only")
    );
    assert_eq!(relay(&mut c, n.callee, "hidden"), not_callable("hidden"));
    assert_eq!(
        relay(&mut c, n.callee, "nope"),
        Err(Failure::UnknownFunction {
            function: "nope".into()
        })
    );
    assert_eq!(
        relay(&mut c, NOBODY, "whoami"),
        Err(Failure::UnknownPackage { package: NOBODY })
    );
    // Transactions: `entry` and `public`, never `internal`.
    let o = c.run(Step::call(Account::Bob, n.callee, "admin_only", &()));
    assert_eq!(o.result, Ok(None));
    let o = c.run(Step::call(Account::Alice, n.probe, "entry_only", &()));
    assert_eq!(o.result, Ok(None));
    let o = c.run(Step::call(Account::Alice, n.probe, "secret", &()));
    assert_eq!(o.result, not_callable("secret"));
    let o = c.run(Step::call(Account::Alice, n.probe, "nope", &()));
    assert_eq!(
        o.result,
        Err(Failure::UnknownFunction {
            function: "nope".into()
        })
    );
}

#[test]
fn cross_program_calls_are_depth_limited() {
    let mut c = Conformance::new();
    let n = c.names().clone();
    // The transaction's call is depth 1: seven more calls reach the limit.
    let o = c.run(Step::call(Account::Alice, n.probe, "recurse", &7u32));
    assert_eq!(o.result, Ok(None));
    let o = c.run(Step::call(Account::Alice, n.probe, "recurse", &8u32));
    assert_eq!(o.result, Err(Failure::CallDepthExceeded));
}

// ---- upgrade tickets ----

fn refused(refusal: TicketRefusal) -> Result<Option<Vec<u8>>, Failure> {
    Err(Failure::UpgradeNotAuthorized {
        reason: Some(refusal.to_string()),
    })
}

#[test]
fn the_cap_holder_issues_a_ticket_in_the_ticket_call() {
    let mut c = Conformance::new();
    let n = c.names().clone();
    let o = c.run(Step::ticket(
        Account::Alice,
        n.probe,
        "authorize",
        &(n.callee_cap, n.callee_checksum),
    ));
    assert_eq!(o.result, Ok(None));
    assert_eq!(o.tickets, Some(vec![n.callee_checksum]));
}

#[test]
fn a_second_ticket_for_the_same_cap_in_one_transaction_is_refused() {
    let mut c = Conformance::new();
    let n = c.names().clone();
    let first = Digest([1; 32]);
    let o = c.run(Step::ticket(
        Account::Alice,
        n.probe,
        "authorize_twice",
        &(n.callee_cap, first, n.callee_checksum),
    ));
    assert_eq!(
        o.result,
        refused(TicketRefusal::AlreadyIssued {
            cap: n.callee_cap,
            digest: first
        })
    );
    assert_eq!(o.tickets, Some(vec![]));
}

#[test]
fn only_the_owner_of_an_existing_cap_gets_a_ticket() {
    let mut c = Conformance::new();
    let n = c.names().clone();
    // The callee's cap belongs to the probe, not to the callee itself.
    let o = c.run(Step::ticket(
        Account::Alice,
        n.callee,
        "authorize",
        &(n.callee_cap, n.callee_checksum),
    ));
    assert_eq!(
        o.result,
        refused(TicketRefusal::NotOwner {
            cap: n.callee_cap,
            owner: n.probe,
            program: n.callee
        })
    );
    // The probe's own cap belongs to Alice, an account.
    let o = c.run(Step::ticket(
        Account::Alice,
        n.probe,
        "authorize",
        &(n.probe_cap, n.callee_checksum),
    ));
    assert_eq!(
        o.result,
        refused(TicketRefusal::NotOwner {
            cap: n.probe_cap,
            owner: n.alice,
            program: n.probe
        })
    );
    let o = c.run(Step::ticket(
        Account::Alice,
        n.probe,
        "authorize",
        &(NOBODY, n.callee_checksum),
    ));
    assert_eq!(o.result, refused(TicketRefusal::NoSuchCap { cap: NOBODY }));
}

#[test]
fn no_ticket_outside_the_ticket_call() {
    let mut c = Conformance::new();
    let n = c.names().clone();
    let args = encode(&(n.callee_cap, n.callee_checksum));
    let o = c.run(Step::call(
        Account::Alice,
        n.probe,
        "authorize",
        &(n.callee_cap, n.callee_checksum),
    ));
    assert_eq!(o.result, refused(TicketRefusal::OutsideTicketCall));
    let o = c.run(Step::call(
        Account::Alice,
        n.callee,
        "relay",
        &(n.probe, "authorize".to_string(), args),
    ));
    assert_eq!(o.result, refused(TicketRefusal::OutsideTicketCall));
}

#[test]
fn a_ticket_may_come_from_a_call_the_ticket_call_makes() {
    let mut c = Conformance::new();
    let n = c.names().clone();
    let args = encode(&(n.callee_cap, n.callee_checksum));
    let o = c.run(Step::ticket(
        Account::Bob,
        n.callee,
        "relay",
        &(n.probe, "authorize".to_string(), args),
    ));
    assert_eq!(o.result, Ok(None));
    assert_eq!(o.tickets, Some(vec![n.callee_checksum]));
}

#[test]
fn a_ticket_goes_with_its_failed_call() {
    let mut c = Conformance::new();
    let n = c.names().clone();
    let o = c.run(Step::ticket(
        Account::Alice,
        n.probe,
        "authorize_then_fail",
        &(n.callee_cap, n.callee_checksum, 13u32),
    ));
    assert_eq!(
        o.result,
        Err(Failure::Aborted {
            code: 13,
            message: "the probe fails after authorizing".into()
        })
    );
    assert_eq!(o.tickets, Some(vec![]));
}

#[test]
fn tickets_live_for_one_transaction() {
    let mut c = Conformance::new();
    let n = c.names().clone();
    // A ticket for another module: issued, but no upgrade uses it.
    let other = Digest([5; 32]);
    let o = c.run(Step::ticket(
        Account::Alice,
        n.probe,
        "authorize",
        &(n.callee_cap, other),
    ));
    assert_eq!((o.result, o.tickets), (Ok(None), Some(vec![other])));
    // A ticket call that issues none.
    let o = c.run(Step::ticket(Account::Alice, n.callee, "peek", &b("k")));
    assert_eq!((o.result, o.tickets), (Ok(None), Some(vec![])));
    // The next transaction starts without the first ticket.
    let o = c.run(Step::ticket(
        Account::Alice,
        n.probe,
        "authorize",
        &(n.callee_cap, n.callee_checksum),
    ));
    assert_eq!(o.tickets, Some(vec![n.callee_checksum]));
}

#[test]
fn the_ticket_call_and_its_callees_see_ticket_call() {
    let mut c = Conformance::new();
    let n = c.names().clone();
    let o = c.run(Step::ticket(
        Account::Bob,
        n.probe,
        "observe_and_authorize",
        &(n.callee_cap, n.callee_checksum, n.callee),
    ));
    assert_eq!(o.result, Ok(None));
    let own = context_of(&recorded(&o, &n.probe, "ctx/ticket").unwrap());
    let callee = context_of(&recorded(&o, &n.callee, "ctx/ticket").unwrap());
    assert!(own.ticket_call && callee.ticket_call);
    assert_eq!((own.caller, callee.caller), (n.bob, n.probe));
    assert_eq!(callee.package_id, n.callee_v2);
}
