//! What determines a module's bytes: the build recipe.
//!
//! A program built by [`build_program`](crate::build_program) is a pure
//! function of:
//!
//! 1. the source: the crate's files and its dependencies' (exact versions,
//!    from `Cargo.lock`), including the `molt-sdk` version;
//! 2. the toolchain: the `rustc` release (`rustc -vV`) and, on the Debian
//!    route, `wasm-ld`;
//! 3. the flags below, which `molt build` sets itself, so that neither the
//!    workspace's `[profile.release]` nor `RUSTFLAGS` can change them.
//!
//! Nothing else: not where the crate lives on disk, not the name of its
//! directory, not its package name, not the cargo home. Paths that rustc
//! would embed (panic locations) are remapped:
//!
//! | path on disk | in the module |
//! |---|---|
//! | the crate's own directory (absolute, and relative to its workspace root) | removed: `src/lib.rs` |
//! | another local (path) dependency | `/molt/<name>-<version>` |
//! | the cargo home (`$CARGO_HOME`, by default `~/.cargo`) | `/cargo` |
//!
//! The standard library's paths are already `/rustc/<commit>/..`. The
//! package name does not reach the bytes because symbols are stripped and
//! the interface section is named after the `#[program]` module.
//!
//! [`BuildRecipe`] is the record of 2 and 3 for one build; `molt build`
//! prints it and `Molt.lock` keeps it next to the checksum, so that a
//! verifier knows which toolchain to rebuild with.

use std::path::{Path, PathBuf};

/// The shadow-stack size programs are linked with.
pub const STACK_SIZE: u32 = 64 * 1024;

/// The release profile every build gets, as `cargo --config` overrides
/// (they win over the workspace's `[profile.release]`).
pub const PROFILE: &[(&str, &str)] = &[
    ("panic", "\"abort\""),
    ("opt-level", "\"z\""),
    ("lto", "true"),
    ("codegen-units", "1"),
    ("overflow-checks", "true"),
    ("debug", "false"),
    ("strip", "\"symbols\""),
    ("incremental", "false"),
];

/// What one build was made with, besides the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildRecipe {
    /// `rustc --version` of the compiler that built it.
    pub rustc: String,
    /// The build route (`rustup` or `debian`).
    pub route: String,
    /// The `molt-sdk` version the program links, if it uses the SDK.
    pub sdk: Option<String>,
    /// The profile settings and code-generation flags, without the path
    /// remappings (which depend on the machine and not on the bytes).
    pub flags: Vec<String>,
}

impl BuildRecipe {
    /// The recipe as one JSON object (for `molt build --json` and `Molt.lock`).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "rustc": self.rustc,
            "route": self.route,
            "sdk": self.sdk,
            "flags": self.flags,
        })
    }
}

/// The flags that determine the bytes, for the record.
pub fn recorded_flags(debian: bool) -> Vec<String> {
    let mut flags: Vec<String> = PROFILE
        .iter()
        .map(|(k, v)| format!("profile.release.{k}={v}"))
        .collect();
    flags.push(format!("-C link-arg=-zstack-size={STACK_SIZE}"));
    if debian {
        flags.push("-C linker=wasm-ld".into());
        flags.push("-Zbuild-std=core,alloc".into());
    }
    flags
}

/// A local package of the build graph: its directory and how it is named
/// in the module.
#[derive(Debug, Clone)]
pub struct LocalPackage {
    pub dir: PathBuf,
    pub name: String,
    pub version: String,
}

/// The `--remap-path-prefix` arguments for building the crate in
/// `crate_dir` of the workspace at `workspace_root`, whose other local
/// packages are `others`. Ordered from the shortest path to the longest,
/// since rustc applies the last matching remapping.
pub fn remappings(
    crate_dir: &Path,
    workspace_root: &Path,
    others: &[LocalPackage],
    cargo_home: Option<&Path>,
) -> Vec<String> {
    let mut maps: Vec<(PathBuf, String)> = Vec::new();
    let mut both = |dir: &Path, to: String| {
        maps.push((dir.to_path_buf(), to.clone()));
        // Cargo names workspace members by their path relative to the root.
        if let Ok(rel) = dir.strip_prefix(workspace_root)
            && !rel.as_os_str().is_empty()
        {
            maps.push((rel.to_path_buf(), to));
        }
    };
    if let Some(home) = cargo_home {
        both(home, "/cargo".into());
    }
    for p in others {
        both(&p.dir, format!("/molt/{}-{}", p.name, p.version));
    }
    both(crate_dir, String::new());
    maps.sort_by_key(|(from, _)| from.as_os_str().len());
    maps.into_iter()
        .map(|(from, to)| format!("--remap-path-prefix={}={to}", from.display()))
        .collect()
}

/// The cargo home that holds the registry sources: `$CARGO_HOME`, else `~/.cargo`.
pub fn cargo_home() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .map(|p| p.canonicalize().unwrap_or(p))
}
