//! `molt gov simulate`: what resolving a governance payload would do, by
//! the node's `molt_govSimulate` (the framework's own code on a throw-away
//! fork of the latest committed state; nothing is written).

use crate::chain::Ctx;
use crate::output::Reported;
use crate::script::ProposalScript;
use anyhow::{Context, Result};
use molt_rpc_types::{GovSimulate, GovSimulationView, StatusView, UpgradeCheckView};
use std::fmt::Write as _;
use std::path::Path;

pub fn simulate(ctx: &Ctx<'_>, path: &Path, proposal: Option<u64>) -> Result<()> {
    let script = ProposalScript::load(path)?;
    let sim = simulate_script(ctx, &script, proposal)?;
    let human = render(&sim);
    let json = serde_json::to_value(&sim)?;
    match sim.status.failure() {
        None => {
            ctx.out.result(&human, json);
            Ok(())
        }
        Some(f) => Err(Reported {
            message: format!(
                "the payload would fail at {}: {}",
                sim.failed_step.as_deref().unwrap_or("resolve"),
                f.message
            ),
            human,
            details: json,
            on_stdout: true,
        }
        .into()),
    }
}

/// Asks the node to simulate `script`'s payload (as a new proposal, or as
/// `proposal`).
pub fn simulate_script(
    ctx: &Ctx<'_>,
    script: &ProposalScript,
    proposal: Option<u64>,
) -> Result<GovSimulationView> {
    ctx.rpc
        .request(&GovSimulate {
            payload: script.payload.clone(),
            proposal,
        })
        .context("the node could not simulate the payload")
}

/// One line per checked package, with its violations.
pub fn check_line(c: &UpgradeCheckView) -> String {
    let mut s = match (&c.error, c.from_version) {
        (Some(e), _) => format!(
            "  {} -> {}: cannot be checked: {e}\n",
            c.package, c.checksum
        ),
        (None, Some(v)) => format!(
            "  {} version {v} -> {}: {}\n",
            c.package,
            c.checksum,
            if c.compatible {
                "compatible"
            } else {
                "INCOMPATIBLE"
            }
        ),
        (None, None) => format!("  {} -> {}\n", c.package, c.checksum),
    };
    for v in &c.violations {
        let _ = writeln!(s, "    {} {}: {}", v.code, v.title, v.declaration);
    }
    s
}

/// The simulation for people.
pub fn render(sim: &GovSimulationView) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "simulated proposal {} (payload {}) on block {} (state root {}), resolved in block {}; nothing was written",
        sim.proposal,
        sim.execution_hash,
        sim.block.parent_height,
        sim.block.parent_state_root,
        sim.block.height
    );
    let _ = writeln!(s, "actions: {}", sim.actions.join(", "));
    if !sim.compatibility.is_empty() {
        s.push_str("compatibility:\n");
        for c in &sim.compatibility {
            s.push_str(&check_line(c));
        }
    }
    for u in &sim.upgrades {
        let _ = writeln!(
            s,
            "upgrade {}: version {} ({}) -> {} ({})",
            u.package, u.from_version, u.from_checksum, u.to_version, u.to_checksum
        );
    }
    if let Some(p) = &sim.params {
        s.push_str("parameters scheduled for the next epoch:\n");
        for c in &p.changed {
            let _ = writeln!(s, "  {}: {} -> {}", c.name, c.old, c.new);
        }
    }
    if let Some(v) = &sim.validators {
        let _ = writeln!(
            s,
            "validator set scheduled for the next epoch: {} -> {} validators",
            v.in_force.len(),
            v.scheduled.len()
        );
        for a in &v.added {
            let _ = writeln!(s, "  added {a}");
        }
        for a in &v.removed {
            let _ = writeln!(s, "  removed {a}");
        }
        for (a, old, new) in &v.power_changed {
            let _ = writeln!(s, "  {a}: voting power {old} -> {new}");
        }
    }
    if sim.ends_epoch {
        s.push_str("ends the epoch: the next block starts a new one\n");
    }
    if let Some(h) = &sim.next_step {
        let _ = writeln!(s, "next step approved: {h}");
    }
    for p in &sim.protocol_upgrades {
        let _ = writeln!(
            s,
            "protocol upgrade requested: version {} at height {} (binary {})",
            p.version, p.height, p.binary_hash
        );
    }
    let _ = writeln!(s, "events: {}", sim.events.len());
    for e in &sim.events {
        let _ = writeln!(s, "  {} {}", e.emitter, e.name);
    }
    let _ = writeln!(s, "gas used: {}", sim.gas_used);
    match &sim.status {
        StatusView::Success => s.push_str("status: success\n"),
        StatusView::Failure(f) => {
            let _ = writeln!(
                s,
                "status: FAILED at {}: {}",
                sim.failed_step.as_deref().unwrap_or("resolve"),
                f.message
            );
        }
    }
    s
}
