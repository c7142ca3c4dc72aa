//! The canonical crate a program is built as.
//!
//! Rustc names every symbol after its crate and cargo's hash of the
//! package's identity (name, version, path relative to the workspace
//! root); those names decide the order in which link-time optimization
//! lays out functions, so a crate copied elsewhere or renamed would give
//! other bytes. `molt build` therefore never builds the crate where it is:
//! it writes a one-crate workspace, `<target>/molt-wasm/stage/`, whose
//! package and library are both called `program`, whose `[lib] path` is the
//! crate's own `src/lib.rs` (read in place, never copied), whose
//! dependencies are the crate's, resolved by the crate's own `Cargo.lock`
//! (copied next to it), and builds that.
//!
//! Every other local (path) package the crate depends on, such as this
//! repository's `molt-sdk`, is staged too: a manifest of its own under
//! `stage/deps/<name>-<version>/`, written from its `cargo metadata` entry
//! (so workspace inheritance is already resolved), whose `[lib] path` is its
//! source in place and whose path dependencies point at their staged
//! siblings. Cargo hashes a path package inside the workspace root by its
//! path relative to that root and one outside by its absolute path, so
//! without this two checkouts of one repository in different directories
//! would give different bytes; with it, nothing in the hash depends on
//! where the sources are.
//!
//! What stays: the crate's version (`CARGO_PKG_VERSION` is the author's),
//! its edition, its features and its build script. What is lost:
//! `[patch]` and `[replace]` of the original workspace, and
//! `CARGO_PKG_NAME`/`CARGO_MANIFEST_DIR` (which would tie the bytes to a
//! name or a place).

use anyhow::{Result, bail};
use serde_json::Value;
use std::fmt::Write;
use std::path::Path;

/// The package and library name of every staged build.
pub const STAGE_NAME: &str = "program";

/// The folder of the stage that holds the staged local dependencies.
pub const DEPS_DIR: &str = "deps";

/// Where a local package is staged, relative to `stage/deps/`.
pub fn staged_dir_name(package: &Value) -> String {
    format!(
        "{}-{}",
        package["name"].as_str().unwrap_or_default(),
        package["version"].as_str().unwrap_or_default()
    )
}

/// The staged locations of the local packages: (the package's directory,
/// its folder under `stage/deps/`).
pub type StagedLocals = [(String, String)];

fn staged_path(locals: &StagedLocals, path: &str) -> Option<String> {
    let path = Path::new(path);
    locals
        .iter()
        .find(|(dir, _)| Path::new(dir) == path)
        .map(|(_, name)| name.clone())
}

fn quoted(s: &str) -> String {
    // A JSON string is a valid TOML basic string (same escapes).
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// One dependency line; a path dependency on a staged local package points
/// at its staged folder, `prefix` + its name.
fn dependency(dep: &Value, locals: &StagedLocals, prefix: &str) -> Result<(String, String)> {
    let name = dep["name"].as_str().unwrap_or_default();
    let key = dep["rename"].as_str().unwrap_or(name);
    let mut fields = vec![format!("package = {}", quoted(name))];
    match (dep["path"].as_str(), dep["source"].as_str()) {
        (Some(path), _) => {
            let path = match staged_path(locals, path) {
                Some(staged) => format!("{prefix}{staged}"),
                None => path.to_string(),
            };
            fields.push(format!("path = {}", quoted(&path)))
        }
        (None, Some(s)) if s.starts_with("registry+") || s.starts_with("sparse+") => {
            if s != "registry+https://github.com/rust-lang/crates.io-index" {
                let index = s.split_once('+').map(|(_, u)| u).unwrap_or(s);
                fields.push(format!("registry-index = {}", quoted(index)));
            }
        }
        (None, source) => bail!(
            "dependency `{key}` comes from {}: molt build supports registry and path \
             dependencies; vendor it as a path dependency",
            source.unwrap_or("an unknown source")
        ),
    }
    fields.push(format!(
        "version = {}",
        quoted(dep["req"].as_str().unwrap_or("*"))
    ));
    if dep["uses_default_features"] == false {
        fields.push("default-features = false".into());
    }
    if dep["optional"] == true {
        fields.push("optional = true".into());
    }
    let features: Vec<String> = dep["features"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f.as_str().map(quoted))
        .collect();
    if !features.is_empty() {
        fields.push(format!("features = [{}]", features.join(", ")));
    }
    Ok((
        key.to_string(),
        format!("{key} = {{ {} }}\n", fields.join(", ")),
    ))
}

/// The `Cargo.toml` of the stage for `package` (its `cargo metadata` entry),
/// whose library source is `lib_path`, with its local dependencies staged
/// at `locals`.
pub fn manifest(package: &Value, lib_path: &str, locals: &StagedLocals) -> Result<String> {
    let mut toml = String::new();
    let _ = writeln!(
        toml,
        "# Written by molt build; see molt-build's `stage` module."
    );
    let _ = writeln!(toml, "[package]\nname = \"{STAGE_NAME}\"");
    let _ = writeln!(
        toml,
        "version = {}",
        quoted(package["version"].as_str().unwrap_or("0.0.0"))
    );
    let _ = writeln!(
        toml,
        "edition = {}",
        quoted(package["edition"].as_str().unwrap_or("2021"))
    );
    let _ = writeln!(toml, "publish = false");
    build_script(&mut toml, package);
    let _ = writeln!(
        toml,
        "\n[lib]\nname = \"{STAGE_NAME}\"\npath = {}\ncrate-type = [\"cdylib\"]",
        quoted(lib_path)
    );
    dependencies_and_features(&mut toml, package, locals, &format!("{DEPS_DIR}/"))?;
    let _ = writeln!(toml, "\n[workspace]");
    Ok(toml)
}

/// The `Cargo.toml` of a staged local dependency: `package` (its `cargo
/// metadata` entry) under its own name, its library read in place.
pub fn dependency_manifest(package: &Value, locals: &StagedLocals) -> Result<String> {
    let name = package["name"].as_str().unwrap_or_default();
    let lib = package["targets"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| {
            t["kind"].as_array().is_some_and(|k| {
                k.iter().any(|k| {
                    matches!(
                        k.as_str(),
                        Some("lib" | "rlib" | "dylib" | "cdylib" | "staticlib" | "proc-macro")
                    )
                })
            })
        });
    let Some(lib) = lib else {
        bail!("the local dependency `{name}` has no library target");
    };
    let mut toml = String::new();
    let _ = writeln!(
        toml,
        "# Written by molt build; see molt-build's `stage` module."
    );
    let _ = writeln!(toml, "[package]\nname = {}", quoted(name));
    let _ = writeln!(
        toml,
        "version = {}",
        quoted(package["version"].as_str().unwrap_or("0.0.0"))
    );
    let _ = writeln!(
        toml,
        "edition = {}",
        quoted(package["edition"].as_str().unwrap_or("2021"))
    );
    let _ = writeln!(toml, "publish = false");
    let _ = writeln!(
        toml,
        "autobins = false\nautoexamples = false\nautotests = false\nautobenches = false"
    );
    if let Some(links) = package["links"].as_str() {
        let _ = writeln!(toml, "links = {}", quoted(links));
    }
    build_script(&mut toml, package);
    let _ = writeln!(
        toml,
        "\n[lib]\nname = {}\npath = {}",
        quoted(lib["name"].as_str().unwrap_or(name)),
        quoted(lib["src_path"].as_str().unwrap_or_default())
    );
    let kinds: Vec<&str> = lib["crate_types"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if kinds.contains(&"proc-macro") {
        let _ = writeln!(toml, "proc-macro = true");
    } else if !kinds.is_empty() {
        let list: Vec<String> = kinds.iter().map(|k| quoted(k)).collect();
        let _ = writeln!(toml, "crate-type = [{}]", list.join(", "));
    }
    dependencies_and_features(&mut toml, package, locals, "../")?;
    Ok(toml)
}

fn build_script(toml: &mut String, package: &Value) {
    match package["targets"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| {
            t["kind"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == "custom-build"))
        })
        .and_then(|t| t["src_path"].as_str())
    {
        Some(build) => {
            let _ = writeln!(toml, "build = {}", quoted(build));
        }
        None => {
            let _ = writeln!(toml, "build = false");
        }
    }
}

fn dependencies_and_features(
    toml: &mut String,
    package: &Value,
    locals: &StagedLocals,
    prefix: &str,
) -> Result<()> {
    // Grouped by section, each in the order cargo metadata lists them.
    let mut sections: Vec<(String, String)> = Vec::new();
    for dep in package["dependencies"].as_array().into_iter().flatten() {
        let kind = match dep["kind"].as_str() {
            None => "dependencies",
            Some("build") => "build-dependencies",
            Some(_) => continue,
        };
        let section = match dep["target"].as_str() {
            Some(t) => format!("target.{}.{kind}", quoted(t)),
            None => kind.to_string(),
        };
        let (_, line) = dependency(dep, locals, prefix)?;
        match sections.iter_mut().find(|(s, _)| *s == section) {
            Some((_, body)) => body.push_str(&line),
            None => sections.push((section, line)),
        }
    }
    for (section, body) in sections {
        let _ = write!(toml, "\n[{section}]\n{body}");
    }
    if let Some(features) = package["features"].as_object()
        && !features.is_empty()
    {
        let _ = writeln!(toml, "\n[features]");
        for (name, enables) in features {
            let list: Vec<String> = enables
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| f.as_str().map(quoted))
                .collect();
            let _ = writeln!(toml, "{} = [{}]", quoted(name), list.join(", "));
        }
    }
    Ok(())
}
