//! `molt registry`: the canonical deployments registry (`registry`,
//! framework address `0x5`, docs/cli-stakeholders.md): services by name,
//! each with its canonical (latest) version and the history of versions
//! governance added (`Action::RegistryAdd`).

use crate::chain::Ctx;
use crate::output::Reported;
use anyhow::{Result, anyhow};
use clap::Subcommand;
use molt_runtime::REGISTRY_PACKAGE;
use molt_types::Address;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::fmt::Write as _;

/// The most services the `services` view returns at once.
const PAGE: u64 = 100;

#[derive(Debug, Subcommand)]
pub enum RegistryCommand {
    /// Every service with its canonical version.
    List {
        /// The first service to list (services are numbered in the order
        /// they were first added).
        #[arg(long, default_value_t = 0)]
        start: u64,
        /// How many to list.
        #[arg(long, default_value_t = 100)]
        limit: u64,
    },
    /// A service's canonical version and how many versions it has.
    Show { name: String },
    /// Every version of a service, oldest first (the last is canonical).
    History { name: String },
    /// Write a proposal script directory whose payload makes PACKAGE the
    /// canonical version of service NAME (a `RegistryAdd` action), for
    /// `molt gov signal --payload`, `propose-with-lock` and `execute`. The
    /// payload names the canonical version it replaces (read from the chain
    /// now, or --expected / --new), so it fails instead of replacing a newer
    /// version if the service moved on before it executes.
    Payload {
        /// The service (1 to 64 bytes of a-z, 0-9, '.', '_', '-').
        name: String,
        /// The deployment to make canonical: a package id on this chain.
        #[arg(long)]
        package: String,
        /// A label for the version (`v2`, `2.1.0`).
        #[arg(long)]
        label: String,
        /// The canonical package this replaces. Default: the chain's now.
        #[arg(long, conflicts_with = "new")]
        expected: Option<String>,
        /// The service must not exist yet when the payload executes.
        #[arg(long)]
        new: bool,
        /// Where to write payload.bin, payload.hash and README.md.
        #[arg(long)]
        output_dir: std::path::PathBuf,
    },
}

/// `registry::Version`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Version {
    pub package: Address,
    pub label: String,
    pub added_height: u64,
}

/// `registry::Service`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Service {
    pub name: String,
    pub canonical: Version,
    pub versions: u64,
}

fn view(ctx: &Ctx<'_>, function: &str, args: Value) -> Result<Value> {
    ctx.view_value(&REGISTRY_PACKAGE, function, args)
}

fn decode<T: serde::de::DeserializeOwned>(v: Value, what: &str) -> Result<T> {
    serde_json::from_value(v.clone())
        .map_err(|e| anyhow!("the registry's {what} reads {v}, not what this CLI expects: {e}"))
}

fn count(ctx: &Ctx<'_>) -> Result<u64> {
    let v = view(ctx, "service_count", json!([]))?;
    v.as_u64()
        .ok_or_else(|| anyhow!("registry::service_count returned {v}, not a number"))
}

fn no_such(ctx: &Ctx<'_>, name: &str) -> anyhow::Error {
    let services = count(ctx).unwrap_or(0);
    Reported {
        message: format!(
            "the registry has no service named {name:?} ({services} service(s) registered; \
             `molt registry list` shows them); a service is added by a governance payload's \
             RegistryAdd action"
        ),
        human: String::new(),
        details: json!({ "name": name, "service_count": services }),
        on_stdout: false,
    }
    .into()
}

pub fn run(ctx: &Ctx<'_>, cmd: RegistryCommand) -> Result<()> {
    match cmd {
        RegistryCommand::List { start, limit } => list(ctx, start, limit),
        RegistryCommand::Show { name } => show(ctx, &name),
        RegistryCommand::History { name } => history(ctx, &name),
        RegistryCommand::Payload {
            name,
            package,
            label,
            expected,
            new,
            output_dir,
        } => payload(
            ctx,
            &name,
            &package,
            &label,
            expected.as_deref(),
            new,
            &output_dir,
        ),
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
}

fn payload(
    ctx: &Ctx<'_>,
    name: &str,
    package: &str,
    label: &str,
    expected: Option<&str>,
    new: bool,
    dir: &std::path::Path,
) -> Result<()> {
    if !valid_name(name) {
        anyhow::bail!(
            "{name:?} is not a service name: 1 to 64 bytes of a-z, 0-9, '.', '_' and '-'"
        );
    }
    if label.is_empty() || label.len() > 64 {
        anyhow::bail!("the label must be 1 to 64 bytes");
    }
    let package = crate::chain::parse_address(package, "--package")?;
    ctx.interface(&package).map_err(|e| {
        anyhow!("--package {package} is not a package on this chain ({e}); publish it first")
    })?;
    let current: Option<Address> = decode(view(ctx, "canonical", json!([name]))?, "canonical")?;
    let expected = match (expected, new) {
        (_, true) => None,
        (Some(e), false) => Some(crate::chain::parse_address(e, "--expected")?),
        (None, false) => current,
    };
    if current != expected {
        let now = current.map_or("none (no such service)".to_string(), |a| a.to_string());
        eprintln!(
            "warning: the canonical version of {name} is {now} on chain now, not the one this              payload expects; it will fail as stale unless that changes before it executes"
        );
    }
    if expected == Some(package) || current == Some(package) {
        anyhow::bail!("{package} is already the canonical version of {name}");
    }
    let bytes = molt_payload::Payload::new(vec![molt_payload::Action::RegistryAdd {
        name: name.into(),
        package,
        label: label.into(),
        expected,
    }])
    .encode();
    let hash = molt_payload::execution_hash(&bytes);
    std::fs::create_dir_all(dir).map_err(|e| anyhow!("cannot create {}: {e}", dir.display()))?;
    std::fs::write(dir.join(crate::script::PAYLOAD_FILE), &bytes)?;
    std::fs::write(dir.join(crate::script::HASH_FILE), format!("{hash}\n"))?;
    let replaces = expected.map_or("nothing (a new service)".to_string(), |a| a.to_string());
    let readme = format!(
        "# Registry: make {package} the canonical `{name}`\n\n\
         One action, `RegistryAdd {{ name: {name:?}, package: {package}, label: {label:?}, \
         expected: {replaces} }}`.\n\n\
         It appends the version to the service if and only if the canonical version is still \
         {replaces} when it executes; otherwise it fails as stale and changes nothing.\n\n\
         Execution hash: `{hash}` ({} bytes).\n\n\
         Registry changes pass through the stakeholders' track by default:\n\n\
         ```sh\nmolt gov signal --payload {d}          # as a validator: signal it in your blocks\n\
         molt gov rounds                            # until a round's winner has quorum\n\
         molt gov submit-round-winner ROUND\n\
         molt gov propose-with-lock --payload {d}   # or: the emergency entry\n\
         molt gov vote --proposal-id N --amount A --yea\n\
         molt gov execute N --payload-dir {d}\n```\n",
        bytes.len(),
        d = dir.display()
    );
    std::fs::write(dir.join(crate::script::README_FILE), readme)?;
    crate::script::ProposalScript::load(dir)?;
    ctx.out.result(
        &format!(
            "wrote {}: RegistryAdd {name} -> {package} ({label}), replacing {replaces}\nexecution hash {hash}",
            dir.display()
        ),
        json!({
            "dir": dir,
            "name": name,
            "package": package,
            "label": label,
            "expected": expected,
            "execution_hash": hash,
            "bytes": bytes.len(),
            "canonical_now": current,
            "stale_now": current != expected,
        }),
    );
    Ok(())
}

fn list(ctx: &Ctx<'_>, start: u64, limit: u64) -> Result<()> {
    let total = count(ctx)?;
    let end = total.min(start.saturating_add(limit));
    let mut services: Vec<Service> = Vec::new();
    let mut at = start;
    while at < end {
        let page = (end - at).min(PAGE);
        let got: Vec<Service> = decode(view(ctx, "services", json!([at, page]))?, "services")?;
        if got.is_empty() {
            break;
        }
        at += page;
        services.extend(got);
    }
    let mut text = if total == 0 {
        "the registry is empty: no service registered yet (governance adds one with a \
         payload's RegistryAdd action)"
            .to_string()
    } else {
        format!("{total} service(s)")
    };
    if total > 0 && (start > 0 || (services.len() as u64) < total) {
        let _ = write!(text, "; {} shown from {start}", services.len());
    }
    for s in &services {
        let _ = write!(
            text,
            "\n  {:<24} {}  {}  ({} version(s), canonical since height {})",
            s.name, s.canonical.package, s.canonical.label, s.versions, s.canonical.added_height
        );
    }
    ctx.out.result(
        &text,
        json!({ "service_count": total, "start": start, "services": services }),
    );
    Ok(())
}

fn show(ctx: &Ctx<'_>, name: &str) -> Result<()> {
    let v = view(ctx, "canonical_version", json!([name]))?;
    if v.is_null() {
        return Err(no_such(ctx, name));
    }
    let canonical: Version = decode(v, "canonical version")?;
    let versions = view(ctx, "version_count", json!([name]))?
        .as_u64()
        .unwrap_or_default();
    let text = format!(
        "service {name}\ncanonical: {} ({}), added at height {}\nversions: {versions} \
         (`molt registry history {name}` lists them)",
        canonical.package, canonical.label, canonical.added_height
    );
    ctx.out.result(
        &text,
        json!({ "name": name, "canonical": canonical, "versions": versions }),
    );
    Ok(())
}

fn history(ctx: &Ctx<'_>, name: &str) -> Result<()> {
    let versions: Vec<Version> = decode(view(ctx, "history", json!([name]))?, "history")?;
    if versions.is_empty() {
        return Err(no_such(ctx, name));
    }
    let mut text = format!(
        "service {name}: {} version(s), oldest first",
        versions.len()
    );
    let last = versions.len() - 1;
    for (i, v) in versions.iter().enumerate() {
        let _ = write!(
            text,
            "\n  {i:>3}  {}  {:<16} added at height {}{}",
            v.package,
            v.label,
            v.added_height,
            if i == last { "  (canonical)" } else { "" }
        );
    }
    ctx.out
        .result(&text, json!({ "name": name, "versions": versions }));
    Ok(())
}
