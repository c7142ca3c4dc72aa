//! Fixes the release version and commit of this `molt` build.
//!
//! `MOLT_RELEASE_VERSION` (semver; default: the crate's version) names the
//! release that `molt --version` reports and upgrade plans are compared
//! with: set it to build another release of the same source, e.g. for an
//! upgrade test. `MOLT_COMMIT` overrides the commit read from git.

use std::path::Path;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
}

fn main() {
    println!("cargo:rerun-if-env-changed=MOLT_RELEASE_VERSION");
    println!("cargo:rerun-if-env-changed=MOLT_COMMIT");
    let release = std::env::var("MOLT_RELEASE_VERSION")
        .unwrap_or_else(|_| std::env::var("CARGO_PKG_VERSION").unwrap_or_default());
    let valid = {
        let core = release.split(['-', '+']).next().unwrap_or("");
        let parts: Vec<&str> = core.split('.').collect();
        parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
    };
    if !valid {
        println!(
            "cargo:warning=MOLT_RELEASE_VERSION `{release}` is not MAJOR.MINOR.PATCH; using 0.0.0"
        );
    }
    let release = if valid { release } else { "0.0.0".into() };
    let commit = std::env::var("MOLT_COMMIT")
        .ok()
        .or_else(|| git(&["rev-parse", "--short=12", "HEAD"]))
        .unwrap_or_else(|| "unknown".into());
    // Rebuild when HEAD moves, if git tells where it lives.
    for path in [git(&["rev-parse", "--git-path", "HEAD"]), head_ref()]
        .into_iter()
        .flatten()
    {
        if Path::new(&path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    println!("cargo:rustc-env=MOLT_RELEASE_VERSION={release}");
    println!("cargo:rustc-env=MOLT_COMMIT={commit}");
}

fn head_ref() -> Option<String> {
    let name = git(&["symbolic-ref", "-q", "HEAD"])?;
    git(&["rev-parse", "--git-path", &name])
}
