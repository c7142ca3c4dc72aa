//! `molt upgrade` and `molt cap`: program upgrades and upgrade capabilities.
//!
//! `molt upgrade` runs the same compatibility checker as the node
//! (`molt_interface::check_upgrade`) against the on-chain interface before
//! anything is signed, then the node's simulation of the upgrade
//! transaction (the cap or the ticket call, module validation, the
//! compatibility check, the constructor). `--dry-run` prints both and
//! submits nothing; the findings are the ones the real transaction would
//! get.

use crate::chain::{Ctx, parse_address, parse_json_args};
use crate::lockfile;
use crate::module::{self, ValidModule};
use crate::output::Reported;
use crate::tx::{Transacted, TxArgs, finish};
use anyhow::{Result, anyhow, bail};
use molt_interface::{Interface, check_upgrade};
use molt_rpc_types::{GetModule, GetPackage, PackageVersionView};
use molt_types::{Address, TicketCall, TransactionPayload, UpgradePolicy};
use serde_json::{Value, json};
use std::path::Path;

/// Every `PACKAGE` is an original id or a crate directory whose Molt.lock
/// records the package on this chain.
#[derive(Debug, clap::Subcommand)]
pub enum CapCommand {
    /// Tighten the upgrade policy: compatible < additive < dep_only.
    /// A policy can only be tightened; to forbid every upgrade, destroy the
    /// cap with `molt cap make-immutable`.
    Restrict {
        package: String,
        /// The new policy, stricter than the current one: `additive` or
        /// `dep_only` (`dep-only`). (`compatible` is the loosest;
        /// `immutable` is `molt cap make-immutable`.)
        #[arg(long, value_parser = ["compatible", "additive", "dep_only", "dep-only", "immutable"])]
        policy: String,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// Destroy the UpgradeCap: the package can never be upgraded again.
    MakeImmutable {
        package: String,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// Give the UpgradeCap to another account, a multisig or a program.
    Transfer {
        package: String,
        /// The new holder: an address (a program's original id for a program) or a key name.
        #[arg(long)]
        to: String,
        #[command(flatten)]
        tx: TxArgs,
    },
}

/// The package's on-chain state that an upgrade is checked against.
struct OnChain {
    original_id: Address,
    latest: PackageVersionView,
    interface: Interface,
    module: Vec<u8>,
    cap: Option<(Address, UpgradePolicy, Address)>,
}

fn on_chain(ctx: &Ctx<'_>, package: &Address) -> Result<OnChain> {
    let pkg = ctx.rpc.request(&GetPackage { id: *package })?;
    let latest = pkg
        .latest_version()
        .cloned()
        .ok_or_else(|| anyhow!("package {package} has no versions"))?;
    let interface = latest.interface.clone();
    let module = ctx
        .rpc
        .request(&GetModule {
            id: latest.package_id,
        })?
        .module
        .into_bytes();
    let cap = pkg.upgrade_cap.map(|c| (c.id, c.policy, c.owner));
    Ok(OnChain {
        original_id: pkg.original_id,
        latest,
        interface,
        module,
        cap,
    })
}

/// A `--ticket PACKAGE::FUNCTION` with its `--ticket-args`, checked
/// locally before anything is sent.
struct TicketSpec {
    package: Address,
    function: String,
    args: Value,
}

fn parse_ticket(spec: &str, args_json: &str) -> Result<TicketSpec> {
    let (pkg, function) = spec
        .split_once("::")
        .ok_or_else(|| anyhow!("--ticket is PACKAGE::FUNCTION, e.g. 0x12..::authorize"))?;
    if function.is_empty() {
        bail!("--ticket {spec:?} names no function after `::`");
    }
    Ok(TicketSpec {
        package: parse_address(pkg, "the --ticket package")?,
        function: function.into(),
        args: parse_json_args(args_json, "--ticket-args")?,
    })
}

pub fn upgrade(
    ctx: &Ctx<'_>,
    package: &str,
    path: Option<&Path>,
    ticket_spec: Option<&str>,
    ticket_args: &str,
    tx: &TxArgs,
) -> Result<()> {
    let path = path.unwrap_or(Path::new(package));
    let (package, _) = lockfile::resolve_package(package, &ctx.chain_id()?)?;
    // The crate's Molt.lock is kept up to date when it records this package.
    let lock_dir = (path.is_dir()
        && lockfile::read(path, &ctx.chain_id()?)?.is_some_and(|d| d.original_id == package))
    .then_some(path);
    let ticket_spec = ticket_spec
        .map(|spec| parse_ticket(spec, ticket_args))
        .transpose()?;
    let ValidModule {
        bytes: module,
        interface: new,
        recipe,
    } = module::load_valid(ctx, path)?;
    let chain = on_chain(ctx, &package)?;
    let Some((cap_id, policy, holder)) = chain.cap else {
        // What the node answers too: under `immutable` every upgrade is
        // the one violation E0901 (docs/compatibility.md).
        let report = check_upgrade(
            &chain.interface,
            &chain.module,
            &new,
            &module,
            UpgradePolicy::Immutable,
        );
        return Err(Reported {
            message: format!(
                "package {} is immutable (its UpgradeCap was destroyed): no upgrade is possible; \
                 nothing was submitted",
                chain.original_id
            ),
            human: format!("{}\n", report.render()),
            details: json!({
                "compatible": false,
                "policy": UpgradePolicy::Immutable,
                "report": report,
                "upgrade_cap": null,
            }),
            on_stdout: tx.dry_run,
        }
        .into());
    };
    let report = check_upgrade(&chain.interface, &chain.module, &new, &module, policy);
    let compatible = report.is_compatible();
    let next_version = chain.latest.version.saturating_add(1);
    let next_edition = chain.latest.edition.saturating_add(1);
    let checksum = molt_types::sha3_256(&module);
    let n = report.violations.len();
    let check_text = if compatible {
        format!(
            "compatible under policy {policy}: would create version {next_version} (edition {next_edition}) of {}, checksum {checksum}\n\
             UpgradeCap {cap_id} is held by {holder}\n",
            chain.original_id
        )
    } else {
        format!(
            "{}\n{n} violation(s) of policy {policy}: the upgrade of {} would be rejected\n",
            report.render(),
            chain.original_id
        )
    };
    let check_json = json!({
        "compatible": compatible,
        "policy": policy,
        "report": report,
        "next_version": next_version,
        "next_edition": next_edition,
        "checksum": checksum,
        "upgrade_cap": cap_id,
        "cap_holder": holder,
    });
    if !compatible && !tx.dry_run {
        if !tx.force {
            return Err(Reported {
                message: format!(
                    "incompatible upgrade ({n} violation(s) of policy {policy}); nothing was \
                     submitted (--force submits it anyway: the node runs the same check and \
                     the transaction fails, paying for its gas)"
                ),
                human: check_text,
                details: check_json,
                on_stdout: false,
            }
            .into());
        }
        ctx.out.progress(&format!(
            "{check_text}submitting anyway (--force): the node will check it again"
        ));
    }
    let ticket = match ticket_spec {
        Some(t) => Some(TicketCall {
            args: ctx.encode_args(&t.package, &t.function, &t.args)?,
            package: t.package,
            function: t.function,
        }),
        None => None,
    };
    let what = format!(
        "the upgrade of {} to version {next_version}",
        chain.original_id
    );
    let payload = TransactionPayload::Upgrade {
        package: chain.original_id,
        module,
        ticket,
    };
    match ctx.transact(tx, payload, &what)? {
        Transacted::Simulated(dry) => {
            let mut doc = check_json;
            if let (Some(doc), Value::Object(sim)) = (doc.as_object_mut(), dry.to_json()) {
                doc.extend(sim);
            }
            let human = format!("{check_text}{}", dry.render(&what));
            let failure = match (dry.failure(), compatible) {
                (Some(f), _) => Some(format!("the node would reject the upgrade: {f}")),
                (None, false) => Some(format!(
                    "incompatible upgrade ({n} violation(s) of policy {policy})"
                )),
                (None, true) => None,
            };
            match failure {
                Some(message) => Err(Reported {
                    message,
                    human,
                    details: doc,
                    on_stdout: true,
                }
                .into()),
                None => {
                    ctx.out.result(&human, doc);
                    Ok(())
                }
            }
        }
        Transacted::Submitted(mut v) => {
            if v.succeeded() {
                let after = ctx.rpc.request(&GetPackage {
                    id: chain.original_id,
                })?;
                if let Some(latest) = after.latest_version() {
                    v.extra.insert(
                        "upgraded".into(),
                        json!({"original_id": chain.original_id, "version": latest.version, "edition": latest.edition, "package_id": latest.package_id, "checksum": latest.checksum}),
                    );
                }
            }
            if let Some(dir) = lock_dir
                && v.extra.contains_key("upgraded")
            {
                ctx.record_deployment(dir, &chain.original_id, recipe.as_ref())?;
                v.extra.insert("lock".into(), json!(lockfile::path_in(dir)));
            }
            let summary = v.extra.get("upgraded").cloned().unwrap_or(Value::Null);
            finish(ctx, Transacted::Submitted(v), &what, |_| {
                format!(
                    "upgraded {} to version {} (edition {}): package id {}",
                    chain.original_id,
                    summary["version"],
                    summary["edition"],
                    summary["package_id"].as_str().unwrap_or_default()
                )
            })
        }
    }
}

fn cap_of(ctx: &Ctx<'_>, package: &str) -> Result<(Address, UpgradePolicy)> {
    let (package, _) = lockfile::resolve_package(package, &ctx.chain_id()?)?;
    let chain = on_chain(ctx, &package)?;
    chain
        .cap
        .map(|(id, policy, _)| (id, policy))
        .ok_or_else(|| anyhow!("package {} is already immutable", chain.original_id))
}

pub fn cap(ctx: &Ctx<'_>, cmd: CapCommand) -> Result<()> {
    match cmd {
        CapCommand::Restrict {
            package,
            policy,
            tx,
        } => {
            let policy: UpgradePolicy = policy
                .parse()
                .map_err(|e| anyhow!("--policy {policy:?}: {e}"))?;
            if policy == UpgradePolicy::Immutable {
                bail!(
                    "--policy immutable would destroy the UpgradeCap; say so with \
                     `molt cap make-immutable {package}`; nothing was submitted"
                );
            }
            let (cap, current) = cap_of(ctx, &package)?;
            if policy <= current {
                bail!(
                    "UpgradeCap {cap} already has policy {current}; a policy can only be \
                     tightened ({current} -> a stricter one of {}), so {policy} is refused; \
                     nothing was submitted",
                    UpgradePolicy::ALL
                        .iter()
                        .filter(|p| **p > current && **p != UpgradePolicy::Immutable)
                        .map(|p| p.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            let payload = TransactionPayload::RestrictUpgradePolicy { cap, policy };
            let what = format!("restricting UpgradeCap {cap} to policy {policy}");
            let done = ctx.transact(&tx, payload, &what)?;
            finish(ctx, done, &what, |_| {
                format!("UpgradeCap {cap} now has policy {policy}")
            })
        }
        CapCommand::MakeImmutable { package, tx } => {
            let (cap, _) = cap_of(ctx, &package)?;
            let what = format!("destroying UpgradeCap {cap}");
            let done = ctx.transact(&tx, TransactionPayload::MakeImmutable { cap }, &what)?;
            if let Transacted::Submitted(v) = &done
                && v.succeeded()
            {
                let (original_id, dir) = lockfile::resolve_package(&package, &ctx.chain_id()?)?;
                if let Some(dir) = dir {
                    ctx.record_deployment(&dir, &original_id, None)?;
                }
            }
            finish(ctx, done, &what, |_| {
                format!("UpgradeCap {cap} destroyed: {package} is immutable")
            })
        }
        CapCommand::Transfer { package, to, tx } => {
            let to = crate::keys::resolve_address(&ctx.home, &to)?;
            let (cap, _) = cap_of(ctx, &package)?;
            let what = format!("giving UpgradeCap {cap} to {to}");
            let done = ctx.transact(
                &tx,
                TransactionPayload::TransferUpgradeCap { cap, to },
                &what,
            )?;
            finish(ctx, done, &what, |_| {
                format!("UpgradeCap {cap} transferred to {to}")
            })
        }
    }
}
