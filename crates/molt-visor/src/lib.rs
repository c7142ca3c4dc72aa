//! molt-visor: runs a Molt node and swaps its binary at an agreed
//! protocol-upgrade height (DESIGN.md 4).
//!
//! The node halts by itself at an upgrade plan's height (it commits the
//! block, writes the plan file, takes a checkpoint and says `ready` on its
//! admin socket; see `molt_node::halt`). The visor watches for that, stops
//! the node, verifies the new binary against the plan, runs an optional
//! pre-upgrade hook, switches `<home>/current` atomically and starts the new
//! version, restarting a failed start a bounded number of times and putting
//! the data back at the halt height if the new version cannot run. Its home
//! layout is in [`home`], the loop in [`run`].
//!
//! Every command prints for people, or with `--json` one JSON document on
//! stdout (also on failure); progress goes to stderr.

pub mod binary;
pub mod home;
pub mod run;
pub mod status;
pub mod upgrade;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Parser, Subcommand};
use home::{Home, RunConfig, VisorConfig};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "molt-visor",
    version,
    about = "Runs a molt node and swaps its binary at an agreed protocol-upgrade height"
)]
struct Cli {
    /// Print one JSON document on stdout.
    #[arg(long, global = true)]
    json: bool,
    /// The visor's home (config.toml, current, versions/, logs/).
    #[arg(long, global = true, env = "MOLT_VISOR_HOME")]
    home: Option<PathBuf>,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Set up a home with its first version: `init --binary PATH --data-dir DIR [-- NODE ARGS]`
    /// (node arguments default to `node --dev`; the visor adds --data-dir).
    Init {
        #[arg(long)]
        binary: PathBuf,
        /// The node's data directory.
        #[arg(long)]
        data_dir: PathBuf,
        #[arg(last = true)]
        args: Vec<String>,
    },
    /// Install another version (its checksum is recorded; it must report VERSION).
    AddVersion {
        version: String,
        binary: PathBuf,
        /// Replace an installed binary of that version.
        #[arg(long)]
        force: bool,
        /// Node arguments for this version (default: those of `current`).
        #[arg(last = true)]
        args: Vec<String>,
    },
    /// Run the node; at a planned height, swap the binary.
    Run,
    /// Before the height: is the planned version installed and sound, is
    /// there disk space for the checkpoint?
    Check,
    /// The running version, plan, readiness, restarts and last error.
    Status,
}

/// Runs the CLI and returns the exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let json = cli.json;
    match dispatch(cli) {
        Ok((human, doc)) => {
            if json {
                println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
            } else {
                println!("{}", human.trim_end());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            if json {
                let doc = json!({
                    "error": format!("{e:#}"),
                    "causes": e.chain().map(|c| c.to_string()).collect::<Vec<_>>(),
                });
                println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
            } else {
                eprintln!("error: {e:#}");
            }
            ExitCode::FAILURE
        }
    }
}

fn dispatch(cli: Cli) -> Result<(String, Value)> {
    let root = cli
        .home
        .ok_or_else(|| anyhow!("give the visor's home with --home or MOLT_VISOR_HOME"))?;
    let home = Home::new(root);
    match cli.command {
        Cmd::Init {
            binary,
            data_dir,
            args,
        } => init(&home, &binary, &data_dir, args),
        Cmd::AddVersion {
            version,
            binary,
            force,
            args,
        } => add_version(&home, &version, &binary, force, args),
        Cmd::Run => {
            let report = run::run(&home)?;
            let human = format!(
                "molt-visor stopped; current version {}",
                report.version.clone().unwrap_or_default()
            );
            Ok((human, serde_json::to_value(report)?))
        }
        Cmd::Check => check(&home),
        Cmd::Status => status(&home),
    }
}

fn init(home: &Home, binary: &Path, data_dir: &Path, args: Vec<String>) -> Result<(String, Value)> {
    if home.config_path().exists() {
        bail!(
            "{} already exists: this home is set up (add versions with `molt-visor add-version`)",
            home.config_path().display()
        );
    }
    let reported = binary::reported_version(binary)?;
    let v = reported.release.clone();
    semver::Version::parse(&v).map_err(|e| {
        anyhow!(
            "{} reports release `{v}`, not semver: {e}",
            binary.display()
        )
    })?;
    std::fs::create_dir_all(&home.root)
        .with_context(|| format!("cannot create {}", home.root.display()))?;
    let data_dir = if data_dir.is_absolute() {
        data_dir.to_path_buf()
    } else {
        std::env::current_dir()?.join(data_dir)
    };
    let config = VisorConfig::new(data_dir.clone());
    config.validate()?;
    let sum = install_version(home, &v, binary, args)?;
    home::write_atomic(&home.config_path(), toml::to_string(&config)?.as_bytes())?;
    home.switch_current(&v)?;
    let human = format!(
        "molt-visor home {} set up\ncurrent: molt {v} (SHA3-256 {sum})\ndata directory: {}\nstart it with `molt-visor run --home {}`",
        home.root.display(),
        data_dir.display(),
        home.root.display()
    );
    Ok((
        human,
        json!({"home": home.root, "version": v, "checksum": sum, "data_dir": data_dir}),
    ))
}

fn install_version(
    home: &Home,
    v: &str,
    binary: &Path,
    args: Vec<String>,
) -> Result<molt_types::Digest> {
    let dest = home.binary(v);
    binary::install(binary, &dest)?;
    let sum = binary::checksum(&dest)?;
    home::write_atomic(&home.checksum_path(v), format!("{sum}\n").as_bytes())?;
    let run_path = home.run_config_path(v);
    if !args.is_empty() || !run_path.exists() {
        let run = if !args.is_empty() {
            RunConfig { args }
        } else {
            home.current()
                .ok()
                .and_then(|c| home.run_config(&c).ok())
                .unwrap_or_default()
        };
        home::write_atomic(&run_path, toml::to_string(&run)?.as_bytes())?;
    }
    std::fs::create_dir_all(home.log_dir(v))?;
    Ok(sum)
}

fn add_version(
    home: &Home,
    v: &str,
    binary: &Path,
    force: bool,
    args: Vec<String>,
) -> Result<(String, Value)> {
    home.config()?;
    semver::Version::parse(v)
        .map_err(|e| anyhow!("`{v}` is not a semantic version (e.g. 0.2.0): {e}"))?;
    let reported = binary::reported_version(binary)?;
    if reported.release != v {
        bail!(
            "{} reports release {}, not {v}; give the binary of molt {v}",
            binary.display(),
            reported.release
        );
    }
    if home.binary(v).exists() && !force {
        bail!(
            "molt {v} is already installed at {}; add --force to replace it",
            home.binary(v).display()
        );
    }
    let sum = install_version(home, v, binary, args)?;
    let human = format!(
        "installed molt {v} (commit {}) at {}\nSHA3-256 {sum}",
        reported.commit,
        home.binary(v).display()
    );
    Ok((
        human,
        json!({"version": v, "commit": reported.commit, "checksum": sum, "path": home.binary(v)}),
    ))
}

/// The plan: from the live node, else from the plan file.
fn current_plan(
    config: &VisorConfig,
) -> (
    Option<molt_types::UpgradePlan>,
    Option<molt_node::admin::AdminStatus>,
) {
    let socket = config.admin_socket();
    match molt_node::admin::query_status(&socket, std::time::Duration::from_secs(2)) {
        Ok(st) => (st.plan.clone(), Some(st)),
        Err(_) => (
            molt_node::halt::read_plan_file(&config.data_dir)
                .ok()
                .flatten()
                .map(|f| f.plan),
            None,
        ),
    }
}

fn check(home: &Home) -> Result<(String, Value)> {
    let config = home.config()?;
    let current = home.current()?;
    let (plan, live) = current_plan(&config);
    let mut checks: Vec<(String, bool, String)> = Vec::new();
    let Some(plan) = plan.filter(|p| {
        matches!((semver::Version::parse(&p.version), semver::Version::parse(&current)), (Ok(a), Ok(b)) if a > b)
    }) else {
        let human = format!("molt {current} is current; no upgrade to a newer version is scheduled");
        return Ok((human, json!({"current": current, "plan": null, "ok": true, "checks": []})));
    };
    let v = &plan.version;
    let installed = home.binary(v).is_file();
    checks.push((
        "installed".into(),
        installed,
        if installed {
            format!("{}", home.binary(v).display())
        } else {
            format!("not installed: run `molt-visor add-version {v} PATH`")
        },
    ));
    if installed {
        let platform = binary::platform();
        let (ok, why) = match (
            plan.binary_for(&platform),
            binary::checksum(&home.binary(v)),
        ) {
            (None, _) => (false, format!("the plan has no checksum for {platform}")),
            (Some(_), Err(e)) => (false, format!("{e:#}")),
            (Some(want), Ok(got)) if *want == got => (true, format!("SHA3-256 {got}")),
            (Some(want), Ok(got)) => (false, format!("SHA3-256 {got}, the plan requires {want}")),
        };
        checks.push(("checksum".into(), ok, why));
        let (ok, why) = match binary::reported_version(&home.binary(v)) {
            Ok(r) if r.release == *v => (
                true,
                format!(
                    "reports {} (commit {}, protocol {})",
                    r.release, r.commit, r.protocol
                ),
            ),
            Ok(r) => (false, format!("reports {}, the plan needs {v}", r.release)),
            Err(e) => (false, format!("{e:#}")),
        };
        checks.push(("version".into(), ok, why));
    }
    let store = config.data_dir.join(molt_node::halt::STATE_FILE);
    let need = std::fs::metadata(&store).map(|m| m.len()).unwrap_or(0);
    let free = rustix::fs::statvfs(&config.data_dir)
        .map(|s| s.f_bavail.saturating_mul(s.f_frsize))
        .unwrap_or(0);
    checks.push((
        "disk".into(),
        free > need,
        format!("{free} bytes free in {}, a checkpoint needs up to {need} (the store's size; less where the filesystem clones)", config.data_dir.display()),
    ));
    let ok = checks.iter().all(|c| c.1);
    let mut human = format!(
        "upgrade to molt {v} at height {} (current molt {current}{})\n",
        plan.height,
        live.map(|s| format!(", chain at height {}", s.latest_block.height))
            .unwrap_or_default()
    );
    for (name, pass, why) in &checks {
        human.push_str(&format!(
            "  [{}] {name}: {why}\n",
            if *pass { "ok" } else { "FAIL" }
        ));
    }
    let doc = json!({
        "current": current,
        "plan": plan,
        "ok": ok,
        "checks": checks.iter().map(|(n, p, w)| json!({"check": n, "ok": p, "detail": w})).collect::<Vec<_>>(),
    });
    if !ok {
        print_partial(&human);
        bail!(
            "molt-visor check failed: fix the checks marked FAIL before height {}",
            plan.height
        );
    }
    Ok((human, doc))
}

fn print_partial(human: &str) {
    eprint!("{human}");
}

fn status(home: &Home) -> Result<(String, Value)> {
    let config = home.config()?;
    let saved = status::VisorStatus::load(home);
    let current = home.current().ok();
    let socket = config.admin_socket();
    let live = molt_node::admin::query_status(&socket, std::time::Duration::from_secs(2)).ok();
    let visor_alive = saved
        .as_ref()
        .is_some_and(|s| std::path::Path::new(&format!("/proc/{}", s.visor_pid)).exists());
    let mut human = format!(
        "current version: {}\n",
        current.clone().unwrap_or_else(|| "none".into())
    );
    match &saved {
        Some(s) => {
            human.push_str(&format!(
                "visor: {:?}{} (pid {}), restarts {}\n",
                s.state,
                if visor_alive { "" } else { ", not running" },
                s.visor_pid,
                s.restarts
            ));
            if let Some(e) = &s.last_error {
                human.push_str(&format!("last error: {e}\n"));
            }
            if let Some(u) = &s.last_upgrade {
                human.push_str(&format!(
                    "last upgrade: {} -> {} at height {}, downtime {} ms ({}.{:02} block times)\n",
                    u.from,
                    u.to,
                    u.halt_height,
                    u.downtime_ms,
                    u.downtime_block_times_x100 / 100,
                    u.downtime_block_times_x100 % 100
                ));
            }
        }
        None => human.push_str("visor: never run on this home\n"),
    }
    match &live {
        Some(st) => human.push_str(&format!(
            "node: {:?} at height {}, molt {}\n",
            st.state, st.latest_block.height, st.version.release
        )),
        None => human.push_str("node: not answering on its admin socket\n"),
    }
    let plan = live
        .as_ref()
        .and_then(|s| s.plan.clone())
        .or(saved.as_ref().and_then(|s| s.plan.clone()));
    if let Some(p) = &plan {
        human.push_str(&format!(
            "plan: molt {} after height {}\n",
            p.version, p.height
        ));
    }
    let doc = json!({
        "current_version": current,
        "visor": saved,
        "visor_running": visor_alive,
        "node": live,
        "plan": plan,
        "ready": live.as_ref().map(|s| s.state == molt_node::admin::AdminState::Ready).unwrap_or(false),
    });
    Ok((human, doc))
}
