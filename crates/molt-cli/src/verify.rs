//! `molt verify-source DIR [--package P]`: does this source build to what
//! is on chain?
//!
//! Rebuilds the crate with `molt build` (reproducible: see
//! `docs/building-programs.md`) and compares the module's SHA3-256 with the
//! checksum of the package version on chain: `--package` (an original id,
//! for its latest version, or a package id, for that version), else the
//! package that `DIR/Molt.lock` records on this chain. On a mismatch it
//! names the first Wasm section that differs and the likely cause: a
//! different toolchain or SDK than the recorded build, changed
//! declarations (the `molt:interface` section), or changed code.

use crate::chain::{Ctx, parse_address};
use crate::lockfile;
use crate::module;
use crate::output::Reported;
use anyhow::{Result, anyhow, bail};
use molt_rpc_types::{GetModule, GetPackage};
use serde_json::{Value, json};
use std::path::Path;

/// One section of a module: its id, its name if custom, its bytes.
struct Section<'a> {
    id: u8,
    name: Option<String>,
    bytes: &'a [u8],
}

impl Section<'_> {
    fn describe(&self) -> String {
        const NAMES: [&str; 14] = [
            "custom",
            "type",
            "import",
            "function",
            "table",
            "memory",
            "global",
            "export",
            "start",
            "element",
            "code",
            "data",
            "data count",
            "tag",
        ];
        match &self.name {
            Some(n) => format!("custom section `{n}`"),
            None => format!(
                "{} section",
                NAMES.get(usize::from(self.id)).unwrap_or(&"unknown")
            ),
        }
    }
}

fn leb(bytes: &[u8], mut at: usize) -> Option<(usize, usize)> {
    let mut value = 0usize;
    for shift in (0..35).step_by(7) {
        let b = *bytes.get(at)?;
        at += 1;
        value |= usize::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some((value, at));
        }
    }
    None
}

fn sections(module: &[u8]) -> Vec<Section<'_>> {
    let mut out = Vec::new();
    let mut at = 8;
    while at < module.len() {
        let id = module[at];
        let Some((size, start)) = leb(module, at + 1) else {
            break;
        };
        let Some(bytes) = module.get(start..start.saturating_add(size)) else {
            break;
        };
        let name = (id == 0)
            .then(|| leb(bytes, 0))
            .flatten()
            .and_then(|(n, s)| bytes.get(s..s + n))
            .map(|n| String::from_utf8_lossy(n).into_owned());
        out.push(Section { id, name, bytes });
        at = start + size;
    }
    out
}

/// The first difference between `built` and `on_chain`, for people.
fn first_difference(built: &[u8], on_chain: &[u8]) -> String {
    let (a, b) = (sections(built), sections(on_chain));
    for (x, y) in a.iter().zip(b.iter()) {
        if x.id != y.id || x.name != y.name {
            return format!(
                "the sections differ: the build has a {} where the chain has a {}",
                x.describe(),
                y.describe()
            );
        }
        if x.bytes != y.bytes {
            let cause = if x.name.as_deref() == Some(molt_interface::SECTION_NAME) {
                "the declarations differ (functions, types, storage, dependencies or \
                 constructor changed in the source)"
            } else {
                "the code differs: the source, a dependency (Cargo.lock) or the toolchain changed"
            };
            return format!(
                "the {} differs ({} bytes built, {} on chain): {cause}",
                x.describe(),
                x.bytes.len(),
                y.bytes.len()
            );
        }
    }
    format!(
        "the build has {} sections, the chain's module {}",
        a.len(),
        b.len()
    )
}

pub fn run(ctx: &Ctx<'_>, dir: &Path, package: Option<&str>) -> Result<()> {
    if !dir.join("Cargo.toml").is_file() {
        bail!(
            "{} is not a program crate: it has no Cargo.toml",
            dir.display()
        );
    }
    let chain = ctx.chain_id()?;
    let recorded = lockfile::read(dir, &chain)?;
    let id = match (package, &recorded) {
        (Some(p), _) => parse_address(p, "--package")?,
        (None, Some(d)) => d.package_id,
        (None, None) => bail!(
            "{} records no deployment on chain {chain}; name the package with --package",
            lockfile::path_in(dir).display()
        ),
    };
    let pkg = ctx.rpc.request(&GetPackage { id })?;
    let version = pkg
        .requested
        .ok_or_else(|| anyhow!("the node reported package {id} without versions"))?;
    let on_chain_checksum = version.checksum.to_string();
    let (built, recipe) = module::load(ctx, dir)?;
    let checksum = molt_types::sha3_256(&built).to_string();
    let mut doc = json!({
        "verified": checksum == on_chain_checksum,
        "original_id": pkg.original_id,
        "package_id": version.package_id,
        "version": version.version,
        "checksum": checksum,
        "on_chain_checksum": on_chain_checksum,
        "build": recipe.as_ref().map(|r| r.to_json()),
    });
    let what = format!(
        "version {} of {} (package id {})",
        version.version, pkg.original_id, version.package_id
    );
    if checksum == on_chain_checksum {
        ctx.out.result(
            &format!(
                "verified: {} builds to {checksum}, the checksum of {what}",
                dir.display()
            ),
            doc,
        );
        return Ok(());
    }
    let on_chain = ctx
        .rpc
        .request(&GetModule {
            id: version.package_id,
        })?
        .module
        .into_bytes();
    let mut difference = first_difference(&built, &on_chain);
    // A different toolchain or SDK than the recorded build explains any difference.
    if let (Some(r), Some(d)) = (&recipe, &recorded)
        && !d.build.is_null()
        && d.build != r.to_json()
    {
        difference = format!(
            "{difference}; note: this build ({}, molt-sdk {}) is not the recorded one ({}, molt-sdk {}), \
             rebuild with the recorded toolchain",
            r.rustc,
            r.sdk.as_deref().unwrap_or("none"),
            d.build["rustc"].as_str().unwrap_or("?"),
            d.build["sdk"].as_str().unwrap_or("none")
        );
    }
    doc["first_difference"] = Value::String(difference.clone());
    Err(Reported {
        message: format!("{} does not build to {what}", dir.display()),
        human: format!(
            "NOT verified: {} builds to {checksum}, {what} has {on_chain_checksum}\n{difference}\n",
            dir.display()
        ),
        details: doc,
        on_stdout: true,
    }
    .into())
}
