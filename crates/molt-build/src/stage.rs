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
//! What stays: the crate's version (`CARGO_PKG_VERSION` is the author's),
//! its edition, its features and its build script. What is lost:
//! `[patch]` and `[replace]` of the original workspace, and
//! `CARGO_PKG_NAME`/`CARGO_MANIFEST_DIR` (which would tie the bytes to a
//! name or a place).

use anyhow::{Result, bail};
use serde_json::Value;
use std::fmt::Write;

/// The package and library name of every staged build.
pub const STAGE_NAME: &str = "program";

fn quoted(s: &str) -> String {
    // A JSON string is a valid TOML basic string (same escapes).
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

fn dependency(dep: &Value) -> Result<(String, String)> {
    let name = dep["name"].as_str().unwrap_or_default();
    let key = dep["rename"].as_str().unwrap_or(name);
    let mut fields = vec![format!("package = {}", quoted(name))];
    match (dep["path"].as_str(), dep["source"].as_str()) {
        (Some(path), _) => fields.push(format!("path = {}", quoted(path))),
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
/// whose library source is `lib_path`.
pub fn manifest(package: &Value, lib_path: &str) -> Result<String> {
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
    let _ = writeln!(
        toml,
        "\n[lib]\nname = \"{STAGE_NAME}\"\npath = {}\ncrate-type = [\"cdylib\"]",
        quoted(lib_path)
    );
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
        let (_, line) = dependency(dep)?;
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
    let _ = writeln!(toml, "\n[workspace]");
    Ok(toml)
}
