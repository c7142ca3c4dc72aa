//! `Molt.lock`: where a program crate is published, kept by the CLI.
//!
//! `molt publish DIR` writes `DIR/Molt.lock`; `molt upgrade DIR` and `molt
//! cap ... DIR` read it, so no id has to be typed, and `molt upgrade`
//! updates it. The developer commits it next to `Cargo.lock`.
//!
//! The file is one JSON object, keys in a fixed order (so that it diffs
//! well), with one entry per chain id:
//!
//! ```json
//! {
//!   "chains": {
//!     "molt-dev": {
//!       "original_id": "0x..",   // the package, for ever
//!       "package_id": "0x..",    // its latest version
//!       "version": 2,
//!       "checksum": "0x..",      // of the latest version's module
//!       "upgrade_cap": "0x..",   // null once destroyed
//!       "build": { "rustc": "..", "route": "..", "sdk": "..", "flags": [..] }
//!     }
//!   }
//! }
//! ```
//!
//! `build` records what determined the module's bytes
//! (`molt_build::BuildRecipe`), so that `molt verify-source` knows which
//! toolchain to rebuild with. A crate published to several chains has
//! several entries; nothing in one entry is used for another chain.

use anyhow::{Context, Result, anyhow, bail};
use molt_types::Address;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// The file name, beside the crate's `Cargo.toml`.
pub const FILE_NAME: &str = "Molt.lock";

/// Where one chain has the package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    pub original_id: Address,
    pub package_id: Address,
    pub version: u64,
    pub checksum: String,
    pub upgrade_cap: Option<Address>,
    pub build: Value,
}

impl Deployment {
    fn to_json(&self) -> Value {
        json!({
            "original_id": self.original_id,
            "package_id": self.package_id,
            "version": self.version,
            "checksum": self.checksum,
            "upgrade_cap": self.upgrade_cap,
            "build": self.build,
        })
    }

    fn from_json(v: &Value, file: &Path, chain: &str) -> Result<Deployment> {
        let field = |name: &str| -> Result<Address> {
            v[name].as_str().and_then(|s| s.parse().ok()).ok_or_else(|| {
                anyhow!(
                    "{}: the entry for chain {chain} has no valid `{name}`; fix or delete the entry",
                    file.display()
                )
            })
        };
        Ok(Deployment {
            original_id: field("original_id")?,
            package_id: field("package_id")?,
            version: v["version"].as_u64().unwrap_or(0),
            checksum: v["checksum"].as_str().unwrap_or_default().to_string(),
            upgrade_cap: if v["upgrade_cap"].is_null() {
                None
            } else {
                Some(field("upgrade_cap")?)
            },
            build: v["build"].clone(),
        })
    }
}

/// The `Molt.lock` of the crate in `dir`.
pub fn path_in(dir: &Path) -> PathBuf {
    dir.join(FILE_NAME)
}

fn read_all(file: &Path) -> Result<Value> {
    if !file.is_file() {
        return Ok(json!({"chains": {}}));
    }
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let v: Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not valid JSON; fix it or delete it", file.display()))?;
    if !v["chains"].is_object() {
        bail!(
            "{} has no `chains` object; fix it or delete it",
            file.display()
        );
    }
    Ok(v)
}

/// The deployment on `chain` recorded in `dir/Molt.lock`, if any.
pub fn read(dir: &Path, chain: &str) -> Result<Option<Deployment>> {
    let file = path_in(dir);
    let all = read_all(&file)?;
    match all["chains"].get(chain) {
        None => Ok(None),
        Some(entry) => Deployment::from_json(entry, &file, chain).map(Some),
    }
}

/// Records `deployment` for `chain` in `dir/Molt.lock`, keeping the
/// entries of other chains.
pub fn write(dir: &Path, chain: &str, deployment: &Deployment) -> Result<()> {
    let file = path_in(dir);
    let mut all = read_all(&file)?;
    // serde_json's map is ordered by key (no `preserve_order`): stable diffs.
    all["chains"][chain] = deployment.to_json();
    let text = serde_json::to_string_pretty(&all)? + "\n";
    let tmp = file.with_extension("lock.tmp");
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, &file).with_context(|| format!("cannot write {}", file.display()))
}

/// The package a command argument names: an address, or a crate directory
/// whose `Molt.lock` has an entry for `chain`.
pub fn resolve_package(arg: &str, chain: &str) -> Result<(Address, Option<PathBuf>)> {
    if let Ok(address) = arg.parse::<Address>() {
        return Ok((address, None));
    }
    let dir = Path::new(arg);
    if dir.is_dir() {
        return match read(dir, chain)? {
            Some(d) => Ok((d.original_id, Some(dir.to_path_buf()))),
            None => bail!(
                "{} records no deployment on chain {chain}; publish it there first \
                 (`molt publish {arg}`) or give the package's original id",
                path_in(dir).display()
            ),
        };
    }
    crate::chain::parse_address(arg, "package").map(|a| (a, None))
}
