//! No command line panics the CLI. Argument vectors for every subcommand
//! (numbers near `u64::MAX` and past it, odd and non-UTF-8 strings, short,
//! long and mistyped hex, paths to missing, garbage and valid modules) run
//! through the CLI's whole parse-and-build path in this process, against an
//! RPC URL where nothing listens. Every run must return (an error or Ok),
//! never panic; commands that need a node must fail, since there is none.
//!
//! What runs after the node answers (expiry heights, gas budgets, argument
//! encoding through an on-chain interface, simulations) is covered by the
//! same generators against a real dev node started in this process, with a
//! published package among the generated addresses.
//!
//! Failing cases are reproducible: proptest prints the seed and persists it
//! under `proptest-regressions/`.

use molt_cli::{CliError, NodeLaunch, try_run};
use proptest::prelude::*;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::OnceLock;

/// Nothing listens on port 1 of the loopback: every RPC call is refused.
const NOWHERE: &str = "http://127.0.0.1:1";

/// A home directory and module files shared by all cases.
struct Fixture {
    home: tempfile::TempDir,
    valid_wasm: PathBuf,
    garbage_wasm: PathBuf,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let home = tempfile::tempdir().unwrap();
        let valid_wasm = home.path().join("counter_v1.wasm");
        std::fs::write(&valid_wasm, molt_build::example("counter_v1").unwrap()).unwrap();
        let garbage_wasm = home.path().join("garbage.wasm");
        std::fs::write(&garbage_wasm, b"\0asm\x01\0\0\0garbage").unwrap();
        Fixture {
            home,
            valid_wasm,
            garbage_wasm,
        }
    })
}

/// One argument: text, or bytes that are not UTF-8.
#[derive(Debug, Clone)]
enum Arg {
    Text(String),
    Bytes(Vec<u8>),
}

impl From<&str> for Arg {
    fn from(s: &str) -> Self {
        Arg::Text(s.to_string())
    }
}

impl Arg {
    fn os(&self) -> OsString {
        match self {
            Arg::Text(s) => OsString::from(s),
            Arg::Bytes(b) => OsString::from_vec(b.clone()),
        }
    }
}

fn text(s: impl Into<String>) -> Arg {
    Arg::Text(s.into())
}

fn hex_digits(len: std::ops::RangeInclusive<usize>) -> BoxedStrategy<String> {
    proptest::collection::vec(
        prop_oneof![Just('0'), Just('1'), Just('a'), Just('f'), Just('F')],
        len,
    )
    .prop_map(|d| d.into_iter().collect())
    .boxed()
}

/// Numbers where overflow lives (most of them valid `u64`s, so that
/// commands get past parsing), and things that are almost numbers.
fn number() -> BoxedStrategy<Arg> {
    prop_oneof![
        3 => Just(text(u64::MAX.to_string())),
        2 => (u64::MAX - 1_000..=u64::MAX).prop_map(|n| text(n.to_string())),
        2 => any::<u64>().prop_map(|n| text(n.to_string())),
        3 => (0u64..200_000).prop_map(|n| text(n.to_string())),
        1 => Just(text("0")),
        1 => prop_oneof![
            Just(text("18446744073709551616")),
            Just(text("340282366920938463463374607431768211456")),
            Just(text("-1")),
            Just(text("1e3")),
            Just(text("0x10")),
            Just(text(" 7")),
            Just(text("")),
        ],
    ]
    .boxed()
}

/// Strings no command expects.
fn odd() -> BoxedStrategy<Arg> {
    prop_oneof![
        Just(text("")),
        Just(text("dev0")),
        Just(text("dev3")),
        Just(text("dev4")),
        Just(text("dev255")),
        Just(text("dev256")),
        Just(text("dev")),
        Just(text("latest")),
        Just(text("../../etc/passwd")),
        Just(text("a/b")),
        Just(text("é")),
        Just(text("名前")),
        Just(text("\u{0}")),
        Just(text("::")),
        Just(text("-")),
        Just(text("--bogus")),
        Just(text("a".repeat(5_000))),
        Just(Arg::Bytes(vec![0xff, 0xfe, b'x'])),
        Just(Arg::Bytes(b"0x\xc3".to_vec())),
        "\\PC{0,24}".prop_map(text),
    ]
    .boxed()
}

/// Addresses: reserved short forms, every wrong length, typos, non-hex.
fn address() -> BoxedStrategy<Arg> {
    prop_oneof![
        2 => Just(text("dev1")),
        3 => hex_digits(1..=4).prop_map(|h| text(format!("0x{h}"))),
        3 => hex_digits(64..=64).prop_map(|h| text(format!("0x{h}"))),
        1 => hex_digits(5..=63).prop_map(|h| text(format!("0x{h}"))),
        1 => hex_digits(63..=63).prop_map(|h| text(format!("0x{h}"))),
        1 => hex_digits(65..=65).prop_map(|h| text(format!("0x{h}"))),
        1 => hex_digits(66..=200).prop_map(|h| text(format!("0x{h}"))),
        1 => prop_oneof![
            Just(text("0x")),
            Just(text("0X1")),
            Just(text(format!("0x{}g", "0".repeat(63)))),
            Just(text("1".repeat(64))),
        ],
        2 => odd(),
    ]
    .boxed()
}

/// JSON arguments, well formed or not.
fn json_args() -> BoxedStrategy<Arg> {
    prop_oneof![
        Just(text("[]")),
        Just(text("[1]")),
        Just(text("[18446744073709551616]")),
        Just(text("[-1]")),
        Just(text("[1e400]")),
        Just(text("[\"0x1\", \"0x\"]")),
        Just(text("{\"n\": 1}")),
        Just(text("null")),
        Just(text(format!("{}1{}", "[".repeat(500), "]".repeat(500)))),
        Just(text("[")),
        odd(),
    ]
    .boxed()
}

/// Paths: missing, a garbage module, a valid module, a directory that is not
/// a crate, and odd names (never a crate directory, which would build).
fn path() -> BoxedStrategy<Arg> {
    let f = fixture();
    let home = f.home.path().to_path_buf();
    prop_oneof![
        Just(text(home.join("missing.wasm").display().to_string())),
        Just(text(f.garbage_wasm.display().to_string())),
        Just(text(f.valid_wasm.display().to_string())),
        Just(text(home.display().to_string())),
        Just(Arg::Bytes(
            [home.as_os_str().as_encoded_bytes(), b"/\xff.wasm"].concat()
        )),
        "[a-z.]{1,12}".prop_map(move |n| text(home.join("none").join(n).display().to_string())),
    ]
    .boxed()
}

/// Flags a value-taking option, or leaves it out.
fn opt(flag: &'static str, value: impl Strategy<Value = Arg> + 'static) -> BoxedStrategy<Vec<Arg>> {
    proptest::option::of(value)
        .prop_map(move |v| match v {
            Some(v) => vec![text(flag), v],
            None => vec![],
        })
        .boxed()
}

/// A switch given in one case out of eight.
fn rare_switch(flag: &'static str) -> BoxedStrategy<Vec<Arg>> {
    (0..8u8)
        .prop_map(move |n| if n == 0 { vec![text(flag)] } else { vec![] })
        .boxed()
}

fn switch(flag: &'static str) -> BoxedStrategy<Vec<Arg>> {
    any::<bool>()
        .prop_map(move |on| if on { vec![text(flag)] } else { vec![] })
        .boxed()
}

/// The options every transaction command takes.
fn tx_args() -> BoxedStrategy<Vec<Arg>> {
    (
        opt("--from", prop_oneof![1 => odd(), 3 => Just(text("dev1"))]),
        opt("--gas-budget", number()),
        opt("--gas-price", prop_oneof![number(), Just(text("1"))]),
        opt("--expires-in", number()),
        switch("--no-wait"),
        switch("--dry-run"),
        rare_switch("--force"),
    )
        .prop_map(|(a, b, c, d, e, f, g)| [a, b, c, d, e, f, g].concat())
        .boxed()
}

fn words(ws: &[&str]) -> Vec<Arg> {
    ws.iter().map(|w| Arg::from(*w)).collect()
}

/// A command that needs the node, so that it must fail here.
#[derive(Debug, Clone)]
struct Case {
    args: Vec<Arg>,
    needs_node: bool,
}

fn case(args: Vec<Arg>, needs_node: bool) -> Case {
    Case { args, needs_node }
}

fn chain_commands(address: fn() -> BoxedStrategy<Arg>) -> BoxedStrategy<Case> {
    prop_oneof![
        (prop_oneof![address(), odd()])
            .prop_map(|w| case([words(&["account"]), vec![w]].concat(), true)),
        (prop_oneof![address(), odd()], number(), tx_args()).prop_map(|(to, n, tx)| case(
            [
                words(&["transfer", "--to"]),
                vec![to, text("--amount"), n],
                tx
            ]
            .concat(),
            true
        )),
        (path(), tx_args())
            .prop_map(|(p, tx)| case([words(&["publish"]), vec![p], tx].concat(), true)),
        (address(), odd(), opt("--args", json_args()), tx_args())
            .prop_map(|(p, f, a, tx)| case([words(&["call"]), vec![p, f], a, tx].concat(), true)),
        (address(), odd(), opt("--args", json_args()))
            .prop_map(|(p, f, a)| case([words(&["view"]), vec![p, f], a].concat(), true)),
        (
            address(),
            path(),
            opt(
                "--ticket",
                prop_oneof![
                    odd(),
                    address().prop_map(|a| match a {
                        Arg::Text(t) => text(format!("{t}::authorize")),
                        bytes => bytes,
                    })
                ]
            ),
            opt("--ticket-args", json_args()),
            tx_args()
        )
            .prop_map(|(p, m, t, ta, tx)| case(
                [words(&["upgrade"]), vec![p, m], t, ta, tx].concat(),
                true
            )),
    ]
    .boxed()
}

fn other_commands(address: fn() -> BoxedStrategy<Arg>) -> BoxedStrategy<Case> {
    prop_oneof![
        (
            switch("--dev"),
            opt("--data-dir", path()),
            opt("--rpc-port", number()),
            opt("--block-time", number()),
            opt(
                "--rpc-max-connections",
                prop_oneof![number(), Just(text("4294967296"))]
            ),
            opt("--rpc-max-subscriptions", number()),
            (
                opt("--rpc-header-timeout", number()),
                opt("--rpc-body-timeout", number()),
                opt("--rpc-send-timeout", number()),
                opt("--rpc-ws-ping-interval", number()),
                opt("--rpc-ws-inactive-limit", number()),
            )
                .prop_map(|(a, b, c, d, e)| [a, b, c, d, e].concat()),
        )
            .prop_map(|(d, dir, port, bt, conns, subs, timeouts)| case(
                [words(&["node"]), d, dir, port, bt, conns, subs, timeouts].concat(),
                false
            )),
        (prop_oneof![odd(), "[a-z0-9_-]{1,10}".prop_map(text)])
            .prop_map(|n| case([words(&["keys", "new"]), vec![n]].concat(), false)),
        Just(case(words(&["keys", "list"]), false)),
        odd().prop_map(|n| case([words(&["keys", "show"]), vec![n]].concat(), false)),
        path().prop_map(|p| case([words(&["build"]), vec![p]].concat(), false)),
        path().prop_map(|p| case([words(&["inspect"]), vec![p]].concat(), false)),
        (
            address(),
            prop_oneof![
                Just(text("compatible")),
                Just(text("immutable")),
                Just(text("additive")),
                odd()
            ],
            tx_args()
        )
            .prop_map(|(p, pol, tx)| case(
                [
                    words(&["cap", "restrict"]),
                    vec![p, text("--policy"), pol],
                    tx
                ]
                .concat(),
                true
            )),
        (address(), tx_args()).prop_map(|(p, tx)| case(
            [words(&["cap", "make-immutable"]), vec![p], tx].concat(),
            true
        )),
        (address(), address(), tx_args()).prop_map(|(p, to, tx)| case(
            [words(&["cap", "transfer"]), vec![p, text("--to"), to], tx].concat(),
            true
        )),
        prop_oneof![address(), odd()]
            .prop_map(|id| case([words(&["tx", "status"]), vec![id]].concat(), true)),
        (address(), switch("--history"))
            .prop_map(|(id, h)| case([words(&["query", "package"]), vec![id], h].concat(), true)),
        prop_oneof![number(), odd()]
            .prop_map(|h| case([words(&["query", "block"]), vec![h]].concat(), true)),
        prop_oneof![address(), odd()]
            .prop_map(|id| case([words(&["query", "tx"]), vec![id]].concat(), true)),
        (
            address(),
            prop_oneof![odd(), "0x[0-9a-f]{0,9}".prop_map(text)]
        )
            .prop_map(|(p, k)| case([words(&["query", "storage"]), vec![p, k]].concat(), true)),
        proptest::collection::vec(prop_oneof![odd(), number(), address()], 0..6)
            .prop_map(|ws| case(ws, false)),
        (
            prop_oneof![number(), odd()],
            switch("--should-fail"),
            tx_args()
        )
            .prop_map(|(id, no, tx)| case(
                [words(&["gov", "vote", "--proposal-id"]), vec![id], no, tx].concat(),
                true
            )),
        prop_oneof![number(), odd()]
            .prop_map(|id| case([words(&["gov", "show"]), vec![id]].concat(), true)),
        opt("--limit", number()).prop_map(|l| case([words(&["gov", "list"]), l].concat(), true)),
        (path(), prop_oneof![number(), odd()], tx_args()).prop_map(|(d, id, tx)| case(
            [
                words(&["gov", "resolve", "--proposal-script-dir"]),
                vec![d, text("--proposal-id"), id],
                tx
            ]
            .concat(),
            true
        )),
        (path(), odd(), tx_args()).prop_map(|(d, url, tx)| case(
            [
                words(&["gov", "propose", "--proposal-script-dir"]),
                vec![d, text("--metadata-url"), url],
                tx
            ]
            .concat(),
            true
        )),
        (path(), opt("--proposal-id", number()))
            .prop_map(|(d, id)| case([words(&["gov", "simulate"]), vec![d], id].concat(), true)),
        (path(), path()).prop_map(|(o, f)| case(
            [
                words(&["framework", "upgrade", "--output-dir"]),
                vec![o, text("--framework-local-dir"), f]
            ]
            .concat(),
            true
        )),
        odd().prop_map(|sh| case([words(&["completions"]), vec![sh]].concat(), false)),
    ]
    .boxed()
}

/// The stakeholders' track, signalling and the registry (`molt gov ...`,
/// `molt registry ...`): every one needs the node (or, for `gov signal`,
/// its admin socket, which nothing serves here).
fn stake_commands(address: fn() -> BoxedStrategy<Arg>) -> BoxedStrategy<Case> {
    let id = || prop_oneof![number(), odd()];
    let hash = || prop_oneof![address(), odd(), "0x[0-9a-f]{64}".prop_map(text)];
    prop_oneof![
        (number(), opt("--beneficiary", address()), tx_args()).prop_map(|(a, b, tx)| case(
            [words(&["gov", "deposit", "--amount"]), vec![a], b, tx].concat(),
            true
        )),
        (number(), opt("--recipient", address()), tx_args()).prop_map(|(a, r, tx)| case(
            [words(&["gov", "withdraw", "--amount"]), vec![a], r, tx].concat(),
            true
        )),
        (id(), tx_args()).prop_map(|(i, tx)| case(
            [words(&["gov", "finalize-withdraw"]), vec![i], tx].concat(),
            true
        )),
        (
            proptest::collection::vec(address(), 0..2),
            opt("--at-height", number())
        )
            .prop_map(|(w, h)| case([words(&["gov", "power"]), w, h].concat(), true)),
        (
            prop_oneof![
                hash().prop_map(|h| vec![h]),
                path().prop_map(|p| vec![text("--payload"), p]),
                Just(vec![text("--clear")]),
                Just(vec![text("--show")]),
            ],
            opt("--data-dir", path()),
            opt("--admin-socket", path()),
        )
            .prop_map(|(w, d, a)| case([words(&["gov", "signal"]), w, d, a].concat(), true)),
        (
            opt("--round", number()),
            opt("--recent", number()),
            opt("--hash", hash())
        )
            .prop_map(|(r, k, h)| case([words(&["gov", "rounds"]), r, k, h].concat(), true)),
        (id(), tx_args()).prop_map(|(r, tx)| case(
            [words(&["gov", "submit-round-winner"]), vec![r], tx].concat(),
            true
        )),
        (
            prop_oneof![
                path().prop_map(|p| vec![text("--payload"), p]),
                hash().prop_map(|h| vec![text("--hash"), h]),
            ],
            opt("--recipient", address()),
            tx_args()
        )
            .prop_map(|(w, r, tx)| case(
                [words(&["gov", "propose-with-lock"]), w, r, tx].concat(),
                true
            )),
        (
            id(),
            number(),
            prop_oneof![Just(text("--yea")), Just(text("--nay"))],
            tx_args()
        )
            .prop_map(|(i, a, side, tx)| case(
                [
                    words(&["gov", "vote", "--proposal-id"]),
                    vec![i, text("--amount"), a, side],
                    tx
                ]
                .concat(),
                true
            )),
        (id(), path(), tx_args()).prop_map(|(i, d, tx)| case(
            [
                words(&["gov", "execute"]),
                vec![i, text("--payload-dir"), d],
                tx
            ]
            .concat(),
            true
        )),
        (id(), tx_args())
            .prop_map(|(i, tx)| case([words(&["gov", "drop"]), vec![i], tx].concat(), true)),
        (
            id(),
            prop_oneof![Just(text("stakeholders")), Just(text("validators")), odd()]
        )
            .prop_map(|(i, t)| case(
                [words(&["gov", "show"]), vec![i, text("--track"), t]].concat(),
                true
            )),
        opt("--limit", number()).prop_map(|l| case(
            [words(&["gov", "list", "--track", "stakeholders"]), l].concat(),
            true
        )),
        (opt("--start", number()), opt("--limit", number()))
            .prop_map(|(s, l)| case([words(&["registry", "list"]), s, l].concat(), true)),
        (
            prop_oneof![Just(text("show")), Just(text("history"))],
            odd()
        )
            .prop_map(|(c, n)| case([words(&["registry"]), vec![c, n]].concat(), true)),
    ]
    .boxed()
}

/// A dev node in this process (its own thread and runtime), with
/// counter_v1 published; lives until the test binary exits.
struct DevNode {
    rpc: String,
    package: String,
    _data: tempfile::TempDir,
}

fn dev_node() -> &'static DevNode {
    static NODE: OnceLock<DevNode> = OnceLock::new();
    NODE.get_or_init(|| {
        let data = tempfile::tempdir().unwrap();
        let config = molt_node::NodeConfig::dev(
            data.path().to_path_buf(),
            0,
            std::time::Duration::from_millis(20),
        );
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let node = molt_node::Node::start(config).await.unwrap();
                tx.send(format!("http://{}", node.rpc_addr)).unwrap();
                std::future::pending::<()>().await;
            });
        });
        let rpc = rx.recv().unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_molt"))
            .args(["--json", "--rpc", &rpc, "--home"])
            .arg(fixture().home.path())
            .arg("publish")
            .arg(&fixture().valid_wasm)
            .output()
            .unwrap();
        let published: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let package = published["package_id"].as_str().unwrap().to_string();
        DevNode {
            rpc,
            package,
            _data: data,
        }
    })
}

/// [`address`] and the package published on the dev node.
fn address_on_node() -> BoxedStrategy<Arg> {
    prop_oneof![
        4 => address(),
        3 => Just(text(dev_node().package.clone())),
        1 => Just(text(format!("{}::authorize", dev_node().package))),
    ]
    .boxed()
}

/// Runs `molt --rpc NOWHERE --home H [--json] ARGS` in process.
fn run(c: &Case, json: bool) -> Result<Result<(), CliError>, String> {
    run_at(NOWHERE, c, json)
}

fn run_at(rpc: &str, c: &Case, json: bool) -> Result<Result<(), CliError>, String> {
    let mut argv: Vec<OsString> = vec!["molt".into(), "--rpc".into(), rpc.into()];
    argv.push("--home".into());
    argv.push(fixture().home.path().into());
    if json {
        argv.push("--json".into());
    }
    argv.extend(c.args.iter().map(Arg::os));
    catch_unwind(AssertUnwindSafe(|| {
        try_run(argv.clone(), NodeLaunch::ConfigOnly)
    }))
    .map_err(|panic| {
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        format!("molt {argv:?} panicked: {message}")
    })
}

fn check(c: Case, json: bool) -> Result<(), TestCaseError> {
    let outcome = run(&c, json).map_err(TestCaseError::fail)?;
    if c.needs_node {
        prop_assert!(
            outcome.is_err(),
            "nothing listens at {NOWHERE}, yet {:?} succeeded",
            c.args
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn chain_commands_never_panic(c in chain_commands(address), json in any::<bool>()) {
        check(c, json)?;
    }

    #[test]
    fn local_commands_never_panic(c in other_commands(address), json in any::<bool>()) {
        check(c, json)?;
    }

    #[test]
    fn stakeholder_commands_never_panic(c in stake_commands(address), json in any::<bool>()) {
        check(c, json)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 160, ..ProptestConfig::default() })]

    #[test]
    fn commands_against_a_real_node_never_panic(
        c in prop_oneof![
            chain_commands(address_on_node),
            other_commands(address_on_node),
            stake_commands(address_on_node),
        ],
        json in any::<bool>(),
    ) {
        let _outcome = run_at(&dev_node().rpc, &c, json).map_err(TestCaseError::fail)?;
    }
}

#[test]
fn the_overflowing_expiry_of_the_review_is_an_error_not_a_panic() {
    let c = case(
        words(&[
            "transfer",
            "--to",
            "dev1",
            "--amount",
            "1",
            "--expires-in",
            "18446744073709551615",
        ]),
        true,
    );
    let outcome = run_at(&dev_node().rpc, &c, true).unwrap();
    let Err(CliError::Failed(e)) = outcome else {
        panic!("{outcome:?}");
    };
    assert!(e.to_string().contains("--expires-in"), "{e:#}");
    let c = case(
        words(&[
            "transfer",
            "--to",
            "dev1",
            "--amount",
            "1",
            "--expires-in",
            "18446744073709551615",
            "--gas-budget",
            "18446744073709551615",
            "--gas-price",
            "18446744073709551615",
        ]),
        true,
    );
    assert!(matches!(run(&c, true), Ok(Err(CliError::Failed(_)))));
}

#[test]
fn a_mistyped_address_is_refused_before_anything_is_sent() {
    let typo = format!("0x{}", "ab".repeat(32).split_at(63).0);
    for args in [
        vec!["transfer", "--to", &typo, "--amount", "1"],
        vec!["call", &typo, "get"],
        vec!["query", "package", &typo],
    ] {
        let Ok(Err(CliError::Failed(e))) = run(&case(words(&args), true), false) else {
            panic!("{args:?} must fail");
        };
        let text = format!("{e:#}");
        assert!(text.contains("got 63 digits"), "{text}");
        assert!(
            !text.contains("cannot reach the node"),
            "refused locally: {text}"
        );
    }
}

#[test]
fn usage_errors_are_typed() {
    let c = case(
        words(&["transfer", "--amount", "18446744073709551616"]),
        true,
    );
    assert!(matches!(run(&c, false), Ok(Err(CliError::Usage(_)))));
    let c = case(
        words(&["upgrade", "0x1", "x.wasm", "--dry-run", "--force"]),
        true,
    );
    assert!(
        matches!(run(&c, false), Ok(Err(CliError::Usage(_)))),
        "--dry-run and --force conflict"
    );
}

#[test]
fn completion_scripts_cover_the_commands_and_bash_parses_its_own() {
    let script = |shell: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_molt"))
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let bash = script("bash");
    for word in [
        "gov",
        "registry",
        "submit-round-winner",
        "framework",
        "propose",
        "resolve",
        "new",
        "--proposal-id",
    ] {
        assert!(bash.contains(word), "bash completions lack {word}");
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("molt.bash");
    std::fs::write(&file, &bash).unwrap();
    let check = std::process::Command::new("bash")
        .arg("-n")
        .arg(&file)
        .output()
        .unwrap();
    assert!(check.status.success(), "{check:?}");
    assert!(script("fish").contains("complete -c molt"));
    assert!(script("zsh").starts_with("#compdef molt"));
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_molt"))
        .args(["completions", "powershell-7"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}
