//! The dashboard in a real headless Chromium, driven through WebDriver
//! (Debian's `chromium` and `chromium-driver`; `scripts/setup.sh` installs
//! them): a dev node publishes and upgrades a package and opens a
//! proposal, then each page is loaded and checked for what a person would
//! see. Screenshots go to `target/tmp/dashboard-screenshots/`.

mod support;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::{DevNode, free_port};

const BLOCK_MS: u64 = 200;

/// A chromedriver process, killed on drop.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in names {
        for dir in std::env::split_paths(&path).chain([PathBuf::from("/usr/bin")]) {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

fn start_driver() -> (Driver, u16, PathBuf) {
    let driver = find_program(&["chromedriver"]).expect(
        "chromedriver is not installed: the browser test needs Debian's chromium and \
         chromium-driver packages (bash scripts/setup.sh installs them)",
    );
    let browser = find_program(&["chromium", "chromium-browser", "google-chrome"])
        .expect("chromium is not installed (bash scripts/setup.sh installs it)");
    let port = free_port();
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "chromedriver did not listen"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (Driver(child), port, browser)
}

async fn browser(driver_port: u16, binary: &Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": binary,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,1400", "--no-first-run", "--disable-background-networking",
                "--disable-extensions", "--disable-sync",
            ],
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{driver_port}"))
        .await
        .expect("a WebDriver session with headless Chromium")
}

/// The visible text of the element `at`. A live page swaps its `<main>`
/// after each block, so an element found just before a swap is stale by
/// the time its text is read: find it again, as a person's eye would.
async fn text_at(c: &Client, at: Locator<'_>) -> String {
    let start = Instant::now();
    loop {
        let read = match c.find(at).await {
            Ok(element) => element.text().await,
            Err(e) => Err(e),
        };
        match read {
            Ok(text) => return text,
            Err(e) => assert!(
                start.elapsed() < Duration::from_secs(5),
                "{at:?} could not be read: {e}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The visible text of the page's `<main>`.
async fn main_text(c: &Client) -> String {
    text_at(c, Locator::Css("main")).await
}

/// Loads `url` and returns its `<main>` text once it holds `expect`.
async fn open(c: &Client, url: &str, expect: &str) -> String {
    c.goto(url).await.unwrap();
    wait_for(c, expect, Duration::from_secs(5)).await
}

async fn wait_for(c: &Client, expect: &str, limit: Duration) -> String {
    let start = Instant::now();
    loop {
        let text = main_text(c).await;
        if text.contains(expect) {
            return text;
        }
        assert!(
            start.elapsed() < limit,
            "{expect:?} did not appear on {}: {text}",
            c.current_url().await.unwrap()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The head height the page's frame shows (`height N`).
async fn head_height(c: &Client) -> u64 {
    let t = text_at(c, Locator::Id("head")).await;
    t.trim_start_matches("height ")
        .parse()
        .unwrap_or_else(|_| panic!("head reads {t:?}"))
}

/// Clicks the link reading `text`. A live page swaps its `<main>` after
/// each block, so a link found just before a swap is stale by the click:
/// find it again, as a person's second click would.
async fn click_link(c: &Client, text: &str) {
    let start = Instant::now();
    loop {
        let clicked = match c.find(Locator::LinkText(text)).await {
            Ok(link) => link.click().await.map(|_| ()),
            Err(e) => Err(e),
        };
        match clicked {
            Ok(()) => return,
            Err(e) => assert!(
                start.elapsed() < Duration::from_secs(5),
                "the link {text:?} could not be clicked: {e}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn screenshot(c: &Client, dir: &Path, name: &str) {
    let png = c.screenshot().await.unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "{name}: not a real screenshot ({} bytes)",
        png.len()
    );
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

/// The page's HTML loads nothing from outside the node.
async fn self_contained(c: &Client) {
    let source = c.source().await.unwrap();
    for attr in [
        "src=\"http",
        "href=\"http",
        "src=\"//",
        "href=\"//",
        "@import",
    ] {
        assert!(!source.contains(attr), "the page refers outside: {attr}");
    }
}

fn status_of(url: &str) -> u16 {
    match ureq::get(url).call() {
        Ok(r) => r.status(),
        Err(ureq::Error::Status(code, _)) => code,
        Err(e) => panic!("{url}: {e}"),
    }
}

#[test]
fn the_dashboard_shows_packages_proposals_and_live_blocks_in_a_real_browser() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dashboard-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let node = DevNode::start_with_block_time(home, free_port(), BLOCK_MS);

    // A package with two versions, and an open proposal.
    let write = |name: &str| {
        let p = home.join(format!("{name}.wasm"));
        std::fs::write(&p, molt_build::example(name).unwrap()).unwrap();
        p.to_str().unwrap().to_string()
    };
    let (v1, v2) = (write("counter_v1"), write("counter_v2"));
    let pkg = node.ok(&["publish", &v1])["package_id"]
        .as_str()
        .unwrap()
        .to_string();
    node.ok(&["call", &pkg, "add", "--args", "[5]"]);
    node.ok(&["upgrade", &pkg, &v2]);
    let history = node.ok(&["query", "package", &pkg]);
    let versions = history["versions"].as_array().unwrap().clone();
    assert_eq!(versions.len(), 2, "{history}");
    let payload = molt_payload::Payload::new(vec![molt_payload::Action::EndEpoch]).encode();
    let payload_file = home.join("end-epoch.payload");
    std::fs::write(&payload_file, &payload).unwrap();
    let metadata = home.join("proposal.md");
    std::fs::write(&metadata, "End the epoch.\n").unwrap();
    let proposed = node.ok(&[
        "gov",
        "propose",
        "--proposal-script-dir",
        payload_file.to_str().unwrap(),
        "--metadata-url",
        "https://example.org/end-epoch.md",
        "--metadata-file",
        metadata.to_str().unwrap(),
    ]);
    let proposal = proposed["proposal_id"].as_u64().unwrap();
    let shown = node.ok(&["gov", "show", &proposal.to_string()]);
    let (needed, total) = (
        shown["yes_needed"].as_u64().unwrap(),
        shown["proposal"]["total_power"].as_u64().unwrap(),
    );

    let base = format!("{}/dashboard", node.rpc);
    // Bad input is a page that says so, with the right status.
    assert_eq!(status_of(&format!("{base}/package/zz")), 400);
    assert_eq!(status_of(&format!("{base}/block/99999999")), 404);
    assert_eq!(status_of(&format!("{base}/governance/77")), 404);
    assert_eq!(status_of(&format!("{base}/nothing-here")), 404);

    let (_driver, driver_port, binary) = start_driver();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let c = browser(driver_port, &binary).await;

        // Overview: the dev validator and its power, a moving head.
        let text = open(&c, &base, "Validators").await;
        let info = node.rpc("molt_chainInfo", json!([]));
        let dev = info["result"]["validators"][0]["address"].as_str().unwrap();
        assert!(text.contains(dev), "{text}");
        assert!(
            text.to_lowercase().contains("framework\nrelease 1"),
            "{text}"
        );
        self_contained(&c).await;
        // The live badge turns on once the block subscription answers, and
        // the head in the frame follows the chain without a reload.
        c.wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css("#live.on"))
            .await
            .expect("the live subscription connects");
        let before = head_height(&c).await;
        tokio::time::sleep(Duration::from_millis(BLOCK_MS * 6)).await;
        let after = head_height(&c).await;
        assert!(
            after > before,
            "the head did not move: {before} then {after}"
        );
        screenshot(&c, &shots, "overview").await;

        // Packages: found by name, with both versions and their checksums.
        let text = open(&c, &format!("{base}/packages?q=counter"), "counter").await;
        assert!(text.contains("counter"), "{text}");
        click_link(&c, "counter").await;
        let text = wait_for(&c, "Versions", Duration::from_secs(5)).await;
        for v in &versions {
            let checksum = v["checksum"].as_str().unwrap();
            assert!(
                text.contains(checksum),
                "checksum {checksum} missing: {text}"
            );
        }
        assert!(text.contains("v1 → v2"), "{text}");
        assert!(text.contains("compatible"), "{text}");
        assert!(text.contains("Storage items"), "{text}");
        screenshot(&c, &shots, "package").await;

        // Governance: the proposal is open, with its tally against 2/3.
        let gov = format!("{base}/governance");
        let text = open(&c, &gov, "Validators' track").await;
        assert!(text.contains("Voting"), "{text}");
        assert!(text.contains(&format!("0 / {needed} of {total}")), "{text}");
        screenshot(&c, &shots, "governance-voting").await;
        // A vote shows up on the open page by itself (live update).
        node.ok(&[
            "gov",
            "vote",
            "--proposal-id",
            &proposal.to_string(),
            "--from",
            "dev-validator",
        ]);
        let text = wait_for(&c, "Accepted", Duration::from_secs(15)).await;
        assert!(
            text.contains(&format!("{total} / {needed} of {total}")),
            "{text}"
        );
        screenshot(&c, &shots, "governance-accepted").await;
        let text = open(&c, &format!("{gov}/{proposal}"), "Timeline").await;
        assert!(
            text.contains("Accepted") && text.contains(&format!("yes {total}")),
            "{text}"
        );
        screenshot(&c, &shots, "proposal").await;

        // The payload's simulation, from the form.
        let text = open(&c, &format!("{base}/simulate"), "Simulate").await;
        assert!(!text.contains("Result"), "{text}");
        let form = c.form(Locator::Css("form")).await.unwrap();
        form.set_by_name("payload", &format!("0x{}", hex::encode(&payload)))
            .await
            .unwrap();
        form.set_by_name("proposal", &proposal.to_string())
            .await
            .unwrap();
        form.submit().await.unwrap();
        let text = wait_for(&c, "Result", Duration::from_secs(10)).await;
        assert!(
            text.contains("end_epoch") && text.contains("success"),
            "{text}"
        );
        screenshot(&c, &shots, "simulate").await;

        // The block holding the upgrade, with its receipt.
        let upgrade_height = versions
            .iter()
            .map(|v| v["height"].as_u64().unwrap())
            .max()
            .unwrap();
        let text = open(
            &c,
            &format!("{base}/block/{upgrade_height}"),
            "Transactions",
        )
        .await;
        assert!(text.contains("success"), "{text}");
        screenshot(&c, &shots, "block").await;

        let text = open(&c, &format!("{base}/protocol"), "The plan").await;
        assert!(text.contains("No protocol upgrade is scheduled"), "{text}");
        assert!(text.contains("Validators' readiness"), "{text}");
        screenshot(&c, &shots, "protocol").await;
        let text = open(&c, &format!("{base}/registry"), "service(s)").await;
        assert!(
            text.contains("Registry") || text.contains("service"),
            "{text}"
        );
        screenshot(&c, &shots, "registry").await;

        // A protocol upgrade voted in: the plan, its countdown, readiness.
        let head = node.ok(&["query", "block", "latest"])["height"]
            .as_u64()
            .unwrap();
        let halt = head + 100_000;
        let binary = format!("linux-x86_64=0x{}", "ab".repeat(32));
        node.ok(&[
            "protocol",
            "propose",
            "--version",
            "0.2.0",
            "--height",
            &halt.to_string(),
            "--binary",
            &binary,
            "--from",
            "dev-validator",
        ]);
        // One validator: its vote accepts the plan at once, and acceptance
        // clears the votes.
        let text = open(&c, &format!("{base}/protocol"), "accepted; votes cleared").await;
        assert!(text.contains("No plan has votes"), "{text}");
        assert!(text.contains("0.2.0"), "{text}");
        assert!(text.contains(&format!("old release: {halt}")), "{text}");
        assert!(
            text.contains("linux-x86_64") && text.contains(&"ab".repeat(32)),
            "{text}"
        );
        assert!(text.contains("blocks"), "{text}");
        screenshot(&c, &shots, "protocol-plan").await;

        c.close().await.unwrap();
    });
    for name in [
        "overview",
        "package",
        "governance-voting",
        "governance-accepted",
        "proposal",
        "simulate",
        "block",
        "protocol",
        "registry",
        "protocol-plan",
    ] {
        assert!(shots.join(format!("{name}.png")).is_file(), "{name}.png");
    }
}
