//! Modules for `publish` and `upgrade`: read from a `.wasm` file or built
//! from a program crate, then validated locally exactly as the node
//! validates them, before anything is signed.
//!
//! Validation is `molt_vm::Vm::prepare` under the chain's own VM limits
//! (`ChainParams::vm`, read from the node: they are chain state and can
//! change by governance), the code every node runs: size limits,
//! determinism (no floats, SIMD, threads), imports against the host ABI,
//! the exported memory, the `molt:interface` section and the exports it
//! declares. A module that fails here is one the node would refuse; the
//! error is the VM's own typed error, so nobody pays gas to learn it. What
//! needs chain state beyond the limits (that declared dependencies exist,
//! the compatibility of an upgrade, the constructor) is checked by the
//! node's simulation instead. A crate's dependencies declared by name are
//! resolved on the chain first and passed to the build (module `deps`). `molt build`, which needs no node, validates
//! under the limits a new chain starts with (`VmLimits::default()`).

use crate::chain::Ctx;
use anyhow::{Context, Result};
use molt_build::{build_program_with_env, detect_route};
use molt_interface::Interface;
use molt_runtime::VmLimits;
use std::path::Path;

/// A module that passed the node's validation.
#[derive(Debug)]
pub struct ValidModule {
    pub bytes: Vec<u8>,
    pub interface: Interface,
    /// How it was built, when it was built from a crate.
    pub recipe: Option<molt_build::BuildRecipe>,
}

/// Reads a module from a `.wasm` file or builds a program crate directory.
pub fn load(ctx: &Ctx<'_>, path: &Path) -> Result<(Vec<u8>, Option<molt_build::BuildRecipe>)> {
    if path.is_dir() {
        if !path.join("Cargo.toml").is_file() {
            anyhow::bail!(
                "{} is a directory but not a program crate (it has no Cargo.toml); \
                 pass a crate directory or a .wasm file",
                path.display()
            );
        }
        // Dependencies declared by name, resolved on this chain (module `deps`).
        let (resolved, env) = crate::deps::resolve(ctx, path)?;
        let route = detect_route()?;
        let building = ctx
            .out
            .step(&format!("building {} ({route})...", path.display()));
        let built = build_program_with_env(path, &route, &env)?;
        drop(building);
        if !resolved.is_empty() {
            let section = molt_interface::find_section(&built.bytes)
                .ok()
                .flatten()
                .ok_or_else(|| {
                    anyhow::anyhow!("{} has no molt:interface section", built.path.display())
                })?;
            let interface = molt_interface::decode_section(section)
                .with_context(|| format!("the interface of {} is invalid", built.path.display()))?;
            crate::deps::check_linked(&interface, &resolved)?;
        }
        Ok((built.bytes, Some(built.recipe)))
    } else {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        Ok((bytes, None))
    }
}

/// Validates `bytes` as a node with VM limits `limits` does; `origin`
/// names them in the error.
pub fn validate(bytes: Vec<u8>, origin: &Path, limits: &VmLimits) -> Result<ValidModule> {
    // The module cache capacity is node-local and decides nothing.
    let vm = molt_vm::Vm::new(limits.vm_config(1))
        .context("the chain's VM limits do not form a valid VM configuration")?;
    let prepared = vm.prepare(&bytes).with_context(|| {
        format!(
            "{} would be rejected by the node; nothing was submitted",
            origin.display()
        )
    })?;
    let interface = prepared.interface().clone();
    Ok(ValidModule {
        bytes,
        interface,
        recipe: None,
    })
}

/// [`load`], then [`validate`] under the VM limits of the chain `ctx` talks to.
pub fn load_valid(ctx: &Ctx<'_>, path: &Path) -> Result<ValidModule> {
    let (bytes, recipe) = load(ctx, path)?;
    let params = ctx.chain_params()?;
    let mut valid = validate(bytes, path, &params.vm)?;
    valid.recipe = recipe;
    Ok(valid)
}
