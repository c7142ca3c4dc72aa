//! `molt framework upgrade`: the artifacts of a framework upgrade, ready
//! for `molt gov propose` and `molt gov resolve`.
//!
//! 1. Every framework package in `--framework-local-dir` (`system`,
//!    `governance`) is built reproducibly (`molt_build::build_release`, the
//!    build the committed releases come from), so anyone can rebuild the
//!    payload from the same source and compare its hash.
//! 2. Each build is compared with the package on chain (`--rpc`); packages
//!    whose bytes are unchanged are left out.
//! 3. The changed packages are ordered so that a package comes after the
//!    packages it depends on (cargo dependencies between them; otherwise the
//!    release order, `system` before `governance`), or as `--order` says.
//! 4. One payload per package is written, from the last to the first, so
//!    that each carries the next step's execution hash (`NextStep`): one
//!    vote approves the chain, and the steps resolve in order. With
//!    `--end-epoch` the last step also ends the epoch.
//! 5. Each step is simulated on the node (`molt_govSimulate`, nothing
//!    written): its compatibility report against the chain goes into the
//!    step's README. An incompatible or failing step stops the command before
//!    anything is written.
//!
//! The layout is [`crate::script`]'s: `<output>/framework_upgrade/<n>-<package>/`.

use crate::chain::Ctx;
use crate::gov::{check_line, simulate_script};
use crate::output::Reported;
use crate::script::{self, ProposalScript, StepInfo};
use anyhow::{Context, Result, anyhow, bail};
use molt_build::{FRAMEWORK_PACKAGES, build_release, detect_route};
use molt_payload::{Action, Payload};
use molt_rpc_types::{GetPackage, GovSimulationView, StatusView};

use molt_types::{Address, Digest, sha3_256};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The directory under `--output-dir` that holds the steps.
pub const UPGRADE_DIR: &str = "framework_upgrade";

#[derive(Debug, clap::Subcommand)]
pub enum FrameworkCommand {
    /// Build the framework reproducibly and write one governance payload per
    /// changed package to OUTPUT_DIR/framework_upgrade/<n>-<package>/
    /// (payload, hash, README with the compatibility report against the
    /// chain), chained by next-step hashes in dependency order.
    Upgrade(UpgradeArgs),
}

#[derive(Debug, clap::Args)]
pub struct UpgradeArgs {
    /// Where to write `framework_upgrade/` (replaced if it exists).
    #[arg(long)]
    pub output_dir: PathBuf,
    /// The framework workspace to build (this repository's `framework/`,
    /// with your changes).
    #[arg(long)]
    pub framework_local_dir: PathBuf,
    /// The order of the steps, by package name (e.g. `system,governance`):
    /// every changed package, once. Default: dependencies first.
    #[arg(long, value_delimiter = ',')]
    pub order: Option<Vec<String>>,
    /// The last step also ends the epoch, so scheduled parameters and
    /// validator sets take effect at the next block.
    #[arg(long)]
    pub end_epoch: bool,
}

/// A framework package's crate name and its reserved address.
fn address_of(name: &str) -> Option<Address> {
    molt_runtime::framework_address(name)
}

/// A built package that differs from the chain's.
#[derive(Debug)]
struct Changed {
    name: String,
    address: Address,
    module: Vec<u8>,
    from_version: u64,
    from_checksum: Digest,
}

pub fn run(ctx: &Ctx<'_>, cmd: FrameworkCommand) -> Result<()> {
    match cmd {
        FrameworkCommand::Upgrade(args) => upgrade(ctx, &args),
    }
}

/// Cargo dependencies between the framework packages of `dir`:
/// package -> the framework packages it depends on.
fn dependencies(dir: &Path) -> Result<BTreeMap<String, BTreeSet<String>>> {
    let out = std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--manifest-path",
        ])
        .arg(dir.join("Cargo.toml"))
        .output()
        .context("cannot run `cargo metadata` on the framework workspace")?;
    if !out.status.success() {
        bail!(
            "`cargo metadata` failed on {}: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let meta: Value = serde_json::from_slice(&out.stdout)?;
    let mut deps = BTreeMap::new();
    for p in meta["packages"].as_array().into_iter().flatten() {
        let Some(name) = p["name"].as_str() else {
            continue;
        };
        let on: BTreeSet<String> = p["dependencies"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|d| d["name"].as_str())
            .filter(|d| FRAMEWORK_PACKAGES.contains(d))
            .map(String::from)
            .collect();
        deps.insert(name.to_string(), on);
    }
    Ok(deps)
}

/// `changed` in step order: `--order`, or dependencies first with ties in
/// release order.
fn order(
    mut changed: Vec<Changed>,
    explicit: Option<&[String]>,
    deps: &BTreeMap<String, BTreeSet<String>>,
) -> Result<Vec<Changed>> {
    let names: BTreeSet<String> = changed.iter().map(|c| c.name.clone()).collect();
    let sequence: Vec<String> = match explicit {
        Some(list) => {
            let given: BTreeSet<String> = list.iter().cloned().collect();
            if given.len() != list.len() {
                bail!("--order names a package twice: {}", list.join(","));
            }
            if given != names {
                bail!(
                    "--order must name every changed package once: the changed packages are {}",
                    names.iter().cloned().collect::<Vec<_>>().join(",")
                );
            }
            list.to_vec()
        }
        None => {
            let mut done: Vec<String> = Vec::new();
            while done.len() < names.len() {
                let next = FRAMEWORK_PACKAGES
                    .iter()
                    .map(|n| n.to_string())
                    .filter(|n| names.contains(n) && !done.contains(n))
                    .find(|n| {
                        deps.get(n)
                            .into_iter()
                            .flatten()
                            .all(|d| !names.contains(d) || done.contains(d))
                    })
                    .ok_or_else(|| {
                        anyhow!("the framework packages depend on each other in a cycle")
                    })?;
                done.push(next);
            }
            done
        }
    };
    let mut ordered = Vec::new();
    for name in sequence {
        let i = changed
            .iter()
            .position(|c| c.name == name)
            .ok_or_else(|| anyhow!("no changed package {name}"))?;
        ordered.push(changed.remove(i));
    }
    Ok(ordered)
}

/// One step, before it is written.
struct Step {
    info: StepInfo,
    changed: Changed,
    payload: Vec<u8>,
    actions: Vec<String>,
    simulation: GovSimulationView,
}

fn upgrade(ctx: &Ctx<'_>, args: &UpgradeArgs) -> Result<()> {
    let dir = &args.framework_local_dir;
    if !dir.join("Cargo.toml").is_file() {
        bail!(
            "{} is not the framework workspace: it has no Cargo.toml (give this repository's \
             `framework/` directory)",
            dir.display()
        );
    }
    let route = detect_route()?;
    let mut changed = Vec::new();
    let mut unchanged = Vec::new();
    for name in FRAMEWORK_PACKAGES {
        let address = address_of(name).ok_or_else(|| anyhow!("no address for {name}"))?;
        let building = ctx
            .out
            .step(&format!("building {name} reproducibly ({route})..."));
        let built = build_release(&dir.join(name), &route)
            .with_context(|| format!("cannot build framework package {name}"))?;
        drop(building);
        let on_chain = ctx
            .rpc
            .request(&GetPackage { id: address })?
            .requested
            .ok_or_else(|| anyhow!("the chain has no framework package at {address}"))?;
        if on_chain.checksum == sha3_256(&built.bytes) {
            unchanged.push(json!({"package": name, "address": address, "version": on_chain.version, "checksum": on_chain.checksum}));
            continue;
        }
        changed.push(Changed {
            name: name.to_string(),
            address,
            module: built.bytes,
            from_version: on_chain.version,
            from_checksum: on_chain.checksum,
        });
    }
    if changed.is_empty() {
        bail!(
            "nothing to upgrade: every framework package in {} builds to the bytes the chain runs",
            dir.display()
        );
    }
    let changed = order(changed, args.order.as_deref(), &dependencies(dir)?)?;
    let steps = build_steps(ctx, changed, args.end_epoch)?;

    let root = args.output_dir.join(UPGRADE_DIR);
    if root.exists() {
        std::fs::remove_dir_all(&root)
            .with_context(|| format!("cannot replace {}", root.display()))?;
    }
    let mut listed = Vec::new();
    let mut human = format!(
        "wrote {} step(s) to {} (one proposal approves them all; resolve them in order):\n",
        steps.len(),
        root.display()
    );
    let step_dirs: Vec<PathBuf> = steps
        .iter()
        .map(|s| root.join(format!("{}-{}", s.info.step, s.info.package)))
        .collect();
    for (i, s) in steps.iter().enumerate() {
        let d = &step_dirs[i];
        std::fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
        std::fs::write(d.join(script::PAYLOAD_FILE), &s.payload)?;
        std::fs::write(
            d.join(script::HASH_FILE),
            format!("{}\n", s.info.execution_hash),
        )?;
        std::fs::write(
            d.join(script::STEP_FILE),
            serde_json::to_string_pretty(&s.info)? + "\n",
        )?;
        std::fs::write(
            d.join(script::README_FILE),
            readme(s, &step_dirs, &args.output_dir),
        )?;
        // Read back as `molt gov` will.
        ProposalScript::load(d)?;
        let _ = writeln!(
            human,
            "  {}  {} {} version {} -> {} ({} bytes), compatible; hash {}",
            d.display(),
            s.info.package,
            s.info.address,
            s.changed.from_version,
            s.changed.from_version + 1,
            s.payload.len(),
            s.info.execution_hash
        );
        listed.push(json!({
            "step": s.info.step,
            "package": s.info.package,
            "address": s.info.address,
            "dir": d,
            "execution_hash": s.info.execution_hash,
            "next_step": s.info.next_step,
            "payload_bytes": s.payload.len(),
            "from_version": s.changed.from_version,
            "from_checksum": s.changed.from_checksum,
            "to_checksum": sha3_256(&s.changed.module),
            "actions": s.actions,
            "compatibility": s.simulation.compatibility,
            "gas_used": s.simulation.gas_used,
        }));
    }
    for u in &unchanged {
        let _ = writeln!(
            human,
            "  unchanged: {} (version {})",
            u["package"].as_str().unwrap_or("?"),
            u["version"]
        );
    }
    let _ = write!(
        human,
        "next: molt gov propose --proposal-script-dir {} --metadata-url URL",
        step_dirs[0].display()
    );
    ctx.out.result(
        &human,
        json!({ "dir": root, "steps": listed, "unchanged": unchanged }),
    );
    Ok(())
}

/// The payloads, built from the last step to the first so that each
/// carries the next one's hash, each simulated on the node.
fn build_steps(ctx: &Ctx<'_>, changed: Vec<Changed>, end_epoch: bool) -> Result<Vec<Step>> {
    let n = changed.len() as u64;
    let mut steps: Vec<Step> = Vec::new();
    let mut next: Option<Digest> = None;
    for (i, c) in changed.into_iter().enumerate().rev() {
        let mut actions = vec![Action::UpgradePackage {
            package: c.address,
            module: c.module.clone(),
        }];
        if end_epoch && next.is_none() {
            actions.push(Action::EndEpoch);
        }
        if let Some(h) = next {
            actions.push(Action::NextStep { hash: h });
        }
        let payload = Payload::new(actions);
        payload
            .check()
            .with_context(|| format!("the payload for {} is not valid", c.name))?;
        let bytes = payload.encode();
        let hash = molt_payload::execution_hash(&bytes);
        let info = StepInfo {
            step: i as u64 + 1,
            of: n,
            package: c.name.clone(),
            address: c.address,
            execution_hash: hash,
            next_step: next,
        };
        ctx.out.progress(&format!(
            "simulating step {} of {n} ({}) on the node...",
            info.step, c.name
        ));
        let script = ProposalScript {
            path: PathBuf::from(&c.name),
            payload: bytes.clone(),
            hash,
            step: Some(info.clone()),
            readme: None,
        };
        let simulation = simulate_script(ctx, &script, None)?;
        if let StatusView::Failure(f) = &simulation.status {
            let mut report = String::new();
            for check in &simulation.compatibility {
                report.push_str(&check_line(check));
            }
            return Err(Reported {
                message: format!(
                    "step {} ({}) would fail on chain at {}: {}; nothing was written",
                    info.step,
                    c.name,
                    simulation.failed_step.as_deref().unwrap_or("resolve"),
                    f.message
                ),
                human: report,
                details: serde_json::to_value(&simulation)?,
                on_stdout: false,
            }
            .into());
        }
        next = Some(hash);
        steps.push(Step {
            info,
            changed: c,
            actions: simulation.actions.clone(),
            payload: bytes,
            simulation,
        });
    }
    steps.reverse();
    Ok(steps)
}

/// A step's README: what it does, its checks, and the commands.
fn readme(s: &Step, dirs: &[PathBuf], output: &Path) -> String {
    let i = &s.info;
    let c = &s.changed;
    let mut r = format!(
        "# Framework upgrade, step {} of {}: `{}` ({})\n\n",
        i.step, i.of, i.package, i.address
    );
    let _ = writeln!(
        r,
        "- execution hash (SHA3-256 of `payload.bin`): `{}`",
        i.execution_hash
    );
    let _ = writeln!(r, "- payload: {} bytes", s.payload.len());
    let _ = writeln!(
        r,
        "- upgrades `{}` from version {} (`{}`) to version {} (`{}`, {} bytes)",
        i.package,
        c.from_version,
        c.from_checksum,
        c.from_version + 1,
        sha3_256(&c.module),
        c.module.len()
    );
    let _ = writeln!(r, "- actions: {}", s.actions.join(", "));
    match i.next_step {
        Some(h) => {
            let _ = writeln!(r, "- approves next: `{h}` (step {})", i.step + 1);
        }
        None => {
            let _ = writeln!(r, "- the last step");
        }
    }
    r.push_str("\n## Compatibility against the chain\n\n```\n");
    for check in &s.simulation.compatibility {
        r.push_str(&check_line(check));
    }
    let _ = writeln!(
        r,
        "```\n\nSimulated on the chain's state at height {} (state root `{}`): success, {} gas.\n",
        s.simulation.block.parent_height,
        s.simulation.block.parent_state_root,
        s.simulation.gas_used
    );
    r.push_str("## The chain of steps\n\n");
    for (k, d) in dirs.iter().enumerate() {
        let rel = d.strip_prefix(output).unwrap_or(d);
        let mark = if k as u64 + 1 == i.step {
            " (this one)"
        } else {
            ""
        };
        let _ = writeln!(r, "{}. `{}`{mark}", k + 1, rel.display());
    }
    r.push_str("\n## Commands\n\n```\n");
    if i.step == 1 {
        let _ = writeln!(
            r,
            "molt gov propose --proposal-script-dir {} --metadata-url URL",
            dirs[0].display()
        );
        r.push_str("molt gov vote --proposal-id N          # each validator\n");
    }
    let _ = writeln!(
        r,
        "molt gov simulate {} --proposal-id N\nmolt gov resolve --proposal-script-dir {} --proposal-id N\n```",
        dirs[(i.step - 1) as usize].display(),
        dirs[(i.step - 1) as usize].display()
    );
    r
}
