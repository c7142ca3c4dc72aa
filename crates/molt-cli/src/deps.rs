//! Dependencies declared by name, resolved per chain.
//!
//! A program crate declares the packages it links in its Cargo.toml:
//!
//! ```toml
//! [package.metadata.molt.dependencies]
//! counter = { path = "../counter", version = 1 }
//! ```
//!
//! and its source names them without ids:
//! `#[molt_sdk::program(dependency(name = "counter", version = 1))]` and
//! `molt_sdk::import!(name = "counter")`. When `molt publish DIR`,
//! `molt upgrade DIR` or `molt verify-source DIR` builds the crate for a
//! chain, each declared dependency is resolved, in order:
//!
//! 1. its original id: the `Molt.lock` entry of the crate at `path` for
//!    this chain id (publish the dependency there first);
//! 2. on chain: the package exists and has version `version`, whose module
//!    is fetched and written to `<target-dir>/molt-deps/<name>-v<version>.wasm`;
//! 3. the build gets `MOLT_DEP_<NAME>` (the original id) and
//!    `MOLT_DEP_<NAME>_WASM` (that module), so the typed client is
//!    generated from the interface of exactly the version the program
//!    links;
//! 4. after the build, the module's interface must link each declared
//!    dependency at its original id and declared version (its
//!    `#[program(dependency(..))]`), or nothing is submitted.
//!
//! Each resolution is reported (`dependency counter: 0x.. version 1 on
//! chain molt-dev`). A crate without the table builds as before.

use crate::chain::Ctx;
use crate::lockfile;
use anyhow::{Context, Result, anyhow, bail};
use molt_interface::Interface;
use molt_rpc_types::{GetModule, GetPackage};
use molt_types::Address;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// One entry of `[package.metadata.molt.dependencies]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    pub name: String,
    /// The dependency's crate directory (its `Molt.lock` is read).
    pub dir: PathBuf,
    pub version: u64,
}

/// A declared dependency as found on one chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub declared: Declared,
    pub original_id: Address,
    /// The module of the declared version, as fetched from the chain.
    pub module_path: PathBuf,
}

/// Environment variables for the build: `(name, value)`.
pub type BuildEnv = Vec<(String, String)>;

/// The environment variable names `molt_sdk` reads for dependency `name`.
pub fn env_names(name: &str) -> (String, String) {
    let var = format!("MOLT_DEP_{}", name.to_uppercase().replace('-', "_"));
    let wasm = format!("{var}_WASM");
    (var, wasm)
}

/// The crate's `cargo metadata` entry and its target directory.
fn crate_metadata(dir: &Path) -> Result<(Value, PathBuf)> {
    let manifest = dir.join("Cargo.toml");
    let out = std::process::Command::new("cargo")
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--manifest-path",
        ])
        .arg(&manifest)
        .output()
        .context("cannot run `cargo metadata`")?;
    if !out.status.success() {
        bail!(
            "cargo metadata failed for {}: {}",
            manifest.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let meta: Value = serde_json::from_slice(&out.stdout)?;
    let wanted = manifest.canonicalize().unwrap_or(manifest.clone());
    let package = meta["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| {
            p["manifest_path"]
                .as_str()
                .is_some_and(|m| Path::new(m).canonicalize().ok().as_ref() == Some(&wanted))
        })
        .cloned()
        .ok_or_else(|| anyhow!("{} declares no package", manifest.display()))?;
    let target = PathBuf::from(meta["target_directory"].as_str().unwrap_or("target"));
    Ok((package, target))
}

/// The dependencies `dir/Cargo.toml` declares, in name order.
pub fn declared(package: &Value, dir: &Path) -> Result<Vec<Declared>> {
    let table = &package["metadata"]["molt"]["dependencies"];
    if table.is_null() {
        return Ok(Vec::new());
    }
    let form = "write `[package.metadata.molt.dependencies] NAME = { path = \"..\", version = N }`";
    let entries = table.as_object().ok_or_else(|| {
        anyhow!(
            "{}: `package.metadata.molt.dependencies` is not a table; {form}",
            dir.join("Cargo.toml").display()
        )
    })?;
    entries
        .iter()
        .map(|(name, v)| {
            let bad = |what: &str| {
                anyhow!(
                    "{}: dependency `{name}` has no valid `{what}`; {form}",
                    dir.join("Cargo.toml").display()
                )
            };
            let path = v["path"].as_str().ok_or_else(|| bad("path"))?;
            let version = v["version"]
                .as_u64()
                .filter(|v| *v >= 1)
                .ok_or_else(|| bad("version"))?;
            Ok(Declared {
                name: name.clone(),
                dir: dir.join(path),
                version,
            })
        })
        .collect()
}

/// Step 1: the original id of `d` on `chain`, from its `Molt.lock`.
pub fn original_id(d: &Declared, chain: &str) -> Result<Address> {
    match lockfile::read(&d.dir, chain)? {
        Some(deployment) => Ok(deployment.original_id),
        None => bail!(
            "dependency `{}` ({}) is not published on chain {chain}: its {} has no entry for \
             this chain; publish it first (`molt publish {}`)",
            d.name,
            d.dir.display(),
            lockfile::FILE_NAME,
            d.dir.display()
        ),
    }
}

/// Steps 1-2 for every dependency `dir` declares, and the environment of
/// step 3. Reports each resolution.
pub fn resolve(ctx: &Ctx<'_>, dir: &Path) -> Result<(Vec<Resolved>, BuildEnv)> {
    let (package, target) = crate_metadata(dir)?;
    let declared = declared(&package, dir)?;
    if declared.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let chain = ctx.chain_id()?;
    let mut resolved = Vec::new();
    let mut env = Vec::new();
    for d in declared {
        let original_id = original_id(&d, &chain)?;
        let pkg = ctx
            .rpc
            .request(&GetPackage { id: original_id })
            .with_context(|| {
                format!(
                    "dependency `{}`: {} records {original_id} on chain {chain}, which the node \
                 does not know; was the chain reset? Publish the dependency again",
                    d.name,
                    lockfile::path_in(&d.dir).display()
                )
            })?;
        let latest = pkg.versions.iter().map(|v| v.version).max().unwrap_or(0);
        let version = pkg
            .versions
            .iter()
            .find(|v| v.version == d.version)
            .ok_or_else(|| {
                anyhow!(
                    "dependency `{}` ({original_id}) has versions 1..={latest} on chain {chain}, \
                     not version {}: declare a published version in Cargo.toml",
                    d.name,
                    d.version
                )
            })?;
        let module = ctx
            .rpc
            .request(&GetModule {
                id: version.package_id,
            })?
            .module
            .into_bytes();
        let deps_dir = target.join("molt-deps");
        std::fs::create_dir_all(&deps_dir)
            .with_context(|| format!("cannot create {}", deps_dir.display()))?;
        let module_path = deps_dir.join(format!("{}-v{}.wasm", d.name, d.version));
        std::fs::write(&module_path, module)
            .with_context(|| format!("cannot write {}", module_path.display()))?;
        ctx.out.progress(&format!(
            "dependency {}: {original_id} version {} on chain {chain}",
            d.name, d.version
        ));
        let (var, wasm) = env_names(&d.name);
        env.push((var, original_id.to_string()));
        env.push((wasm, module_path.display().to_string()));
        resolved.push(Resolved {
            declared: d,
            original_id,
            module_path,
        });
    }
    Ok((resolved, env))
}

/// Step 4: the built interface links every resolved dependency as declared.
pub fn check_linked(interface: &Interface, resolved: &[Resolved]) -> Result<()> {
    for r in resolved {
        let d = &r.declared;
        match interface.dependencies.iter().find(|l| l.name == d.name) {
            Some(l) if l.original_id == r.original_id && l.version == d.version => {}
            Some(l) => bail!(
                "the program links `{}` at {} version {}, but Cargo.toml declares version {} \
                 ({} on this chain): make `#[program(dependency(name = \"{}\", version = {}))]` \
                 agree (and leave out original_id, which the build resolves); nothing was submitted",
                d.name,
                l.original_id,
                l.version,
                d.version,
                r.original_id,
                d.name,
                d.version
            ),
            None => bail!(
                "Cargo.toml declares dependency `{}` but the program does not link it: add \
                 `dependency(name = \"{}\", version = {})` to `#[molt_sdk::program(..)]`; nothing \
                 was submitted",
                d.name,
                d.name,
                d.version
            ),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use molt_interface::Dependency;
    use serde_json::json;

    #[test]
    fn declarations_are_read_from_the_package_metadata() {
        let dir = Path::new("/w/client");
        let package = json!({"metadata": {"molt": {"dependencies": {
            "counter": {"path": "../counter", "version": 2}
        }}}});
        assert_eq!(
            declared(&package, dir).unwrap(),
            [Declared {
                name: "counter".into(),
                dir: dir.join("../counter"),
                version: 2
            }]
        );
        assert!(declared(&json!({}), dir).unwrap().is_empty());
        for bad in [
            json!({"counter": {"version": 1}}),
            json!({"counter": {"path": "../c", "version": 0}}),
            json!({"counter": {"path": "../c"}}),
        ] {
            let package = json!({"metadata": {"molt": {"dependencies": bad}}});
            let e = declared(&package, dir).unwrap_err().to_string();
            assert!(e.contains("dependency `counter` has no valid"), "{e}");
        }
    }

    #[test]
    fn the_original_id_comes_from_the_dependencys_lockfile_for_the_chain() {
        let tmp = tempfile::tempdir().unwrap();
        let d = Declared {
            name: "counter".into(),
            dir: tmp.path().to_path_buf(),
            version: 1,
        };
        let e = original_id(&d, "molt-dev").unwrap_err().to_string();
        assert!(e.contains("is not published on chain molt-dev"), "{e}");
        assert!(e.contains("publish it first (`molt publish"), "{e}");
        let id = Address::reserved(0xc0);
        lockfile::write(
            tmp.path(),
            "molt-dev",
            &lockfile::Deployment {
                original_id: id,
                package_id: id,
                version: 1,
                checksum: String::new(),
                upgrade_cap: None,
                build: Value::Null,
            },
        )
        .unwrap();
        assert_eq!(original_id(&d, "molt-dev").unwrap(), id);
        assert!(original_id(&d, "other-chain").is_err());
    }

    #[test]
    fn the_build_must_link_what_cargo_toml_declares() {
        let id = Address::reserved(0xc0);
        let resolved = [Resolved {
            declared: Declared {
                name: "counter".into(),
                dir: PathBuf::from("../counter"),
                version: 2,
            },
            original_id: id,
            module_path: PathBuf::new(),
        }];
        let mut iface = Interface::new("client");
        let e = check_linked(&iface, &resolved).unwrap_err().to_string();
        assert!(e.contains("does not link it"), "{e}");
        iface.dependencies.push(Dependency {
            name: "counter".into(),
            original_id: id,
            version: 1,
        });
        let e = check_linked(&iface, &resolved).unwrap_err().to_string();
        assert!(e.contains("Cargo.toml declares version 2"), "{e}");
        iface.dependencies[0].version = 2;
        check_linked(&iface, &resolved).unwrap();
    }

    #[test]
    fn environment_names_match_the_sdk() {
        assert_eq!(
            env_names("my-counter"),
            (
                "MOLT_DEP_MY_COUNTER".into(),
                "MOLT_DEP_MY_COUNTER_WASM".into()
            )
        );
    }
}
