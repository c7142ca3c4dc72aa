//! Building Molt programs to wasm32.
//!
//! The build route, tried in order (see `docs/building-programs.md`):
//! 1. rustup's `wasm32-unknown-unknown` target, if installed;
//! 2. Debian's `rustc-web` + `rust-web-src` + `lld`, building `core` and
//!    `alloc` from source (`-Zbuild-std`);
//! 3. otherwise an error naming what to install.
//!
//! What determines the bytes of a build, and how `molt build` makes them
//! independent of the machine, is [`recipe`].
//!
//! [`example`] builds the repository's example programs for tests.

use anyhow::{Context, Result, anyhow, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

pub const TARGET: &str = "wasm32-unknown-unknown";

pub mod recipe;
pub mod stage;

pub use recipe::{BuildRecipe, LocalPackage, PROFILE, STACK_SIZE, recorded_flags, remappings};

/// How wasm32 modules are built on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildRoute {
    /// `rustup target add wasm32-unknown-unknown` has been done.
    Rustup,
    /// Debian's rustc-web toolchain with the library source for `-Zbuild-std`.
    Debian {
        cargo: PathBuf,
        rustc: PathBuf,
        library: PathBuf,
    },
}

impl std::fmt::Display for BuildRoute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BuildRoute::Rustup => write!(f, "rustup target {TARGET}"),
            BuildRoute::Debian { rustc, .. } => {
                write!(f, "Debian rustc-web ({}) with -Zbuild-std", rustc.display())
            }
        }
    }
}

/// A built module.
#[derive(Debug, Clone)]
pub struct WasmBuild {
    pub package: String,
    pub path: PathBuf,
    pub bytes: Vec<u8>,
    /// The toolchain and flags it was built with (see [`recipe`]).
    pub recipe: BuildRecipe,
}

fn rustup_has_target() -> bool {
    Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .any(|l| l.trim() == TARGET)
        })
        .unwrap_or(false)
}

fn debian_route() -> Option<BuildRoute> {
    let cargo = PathBuf::from("/usr/bin/cargo");
    let rustc = PathBuf::from("/usr/bin/rustc");
    if !cargo.exists() || !rustc.exists() {
        return None;
    }
    let has_wasm_ld = Command::new("wasm-ld").arg("--version").output().is_ok();
    if !has_wasm_ld {
        return None;
    }
    // The library source must match the Debian rustc's version exactly.
    let version = Command::new(&rustc).arg("--version").output().ok()?;
    let version = String::from_utf8_lossy(&version.stdout);
    let number = version.split_whitespace().nth(1)?;
    let library = PathBuf::from(format!("/usr/src/rustc-{number}/library"));
    library.is_dir().then_some(BuildRoute::Debian {
        cargo,
        rustc,
        library,
    })
}

/// Picks the first available route, or says what to install.
pub fn detect_route() -> Result<BuildRoute> {
    if rustup_has_target() {
        return Ok(BuildRoute::Rustup);
    }
    if let Some(route) = debian_route() {
        return Ok(route);
    }
    bail!(
        "no way to build wasm32 programs was found; install one of:\n  \
         rustup target add {TARGET}\n  \
         apt-get install rustc-web cargo-web rust-web-src lld   (Debian; or run scripts/setup.sh)"
    )
}

struct CrateInfo {
    package: String,
    lib_name: String,
    dir: PathBuf,
    workspace_root: PathBuf,
    target_dir: PathBuf,
    /// Every other local (path) package of the workspace's build graph.
    locals: Vec<LocalPackage>,
    /// Their `cargo metadata` entries, staged as dependencies.
    local_metadata: Vec<serde_json::Value>,
    sdk: Option<String>,
    /// The crate's `cargo metadata` entry.
    metadata: serde_json::Value,
    lib_path: String,
}

fn cdylib_name(package: &serde_json::Value) -> Option<String> {
    package["targets"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| {
            t["kind"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == "cdylib"))
        })
        .and_then(|t| t["name"].as_str())
        .map(|n| n.replace('-', "_"))
}

fn crate_info(dir: &Path) -> Result<CrateInfo> {
    let manifest = dir.join("Cargo.toml");
    if !manifest.is_file() {
        bail!(
            "{} is not a program crate: it has no Cargo.toml",
            dir.display()
        );
    }
    let manifest = manifest.canonicalize()?;
    let out = Command::new("cargo")
        .args(["metadata", "--format-version", "1", "--manifest-path"])
        .arg(&manifest)
        .output()
        .context("cannot run `cargo metadata`")?;
    if !out.status.success() {
        bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let packages: Vec<&serde_json::Value> =
        meta["packages"].as_array().into_iter().flatten().collect();
    let package = packages
        .iter()
        .find(|p| p["manifest_path"].as_str().map(Path::new) == Some(manifest.as_path()))
        .ok_or_else(|| anyhow!("{} is a workspace root, not a program crate", dir.display()))?;
    let lib_path = package["targets"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| {
            t["kind"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == "cdylib"))
        })
        .and_then(|t| t["src_path"].as_str())
        .unwrap_or_default()
        .to_string();
    let lib_name = cdylib_name(package).ok_or_else(|| {
        anyhow!("the crate has no cdylib target; add `[lib] crate-type = [\"cdylib\", \"rlib\"]`")
    })?;
    let name = package["name"].as_str().unwrap_or_default().to_string();
    let members: Vec<&str> = meta["workspace_members"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m.as_str())
        .collect();
    // Cargo writes every cdylib of a workspace to `<target>/release/<lib
    // name>.wasm`: two with one name would overwrite each other's module.
    if let Some(other) = packages.iter().find(|p| {
        p["id"] != package["id"]
            && members.contains(&p["id"].as_str().unwrap_or_default())
            && cdylib_name(p).as_deref() == Some(lib_name.as_str())
    }) {
        bail!(
            "the workspace has two program crates whose library is named `{lib_name}`: {} ({}) \
             and {} ({}); their modules would overwrite each other in the target directory. \
             Give one of them another name (`[lib] name = \"..\"` or its package name)",
            name,
            manifest.display(),
            other["name"].as_str().unwrap_or_default(),
            other["manifest_path"].as_str().unwrap_or_default()
        );
    }
    let crate_dir = manifest.parent().unwrap_or(dir).to_path_buf();
    let locals = packages
        .iter()
        .filter(|p| p["source"].is_null() && p["id"] != package["id"])
        .filter_map(|p| {
            Some(LocalPackage {
                dir: Path::new(p["manifest_path"].as_str()?)
                    .parent()?
                    .to_path_buf(),
                name: p["name"].as_str()?.to_string(),
                version: p["version"].as_str()?.to_string(),
            })
        })
        .collect();
    let needed = build_dependencies(&meta, package["id"].as_str().unwrap_or_default());
    let local_metadata = packages
        .iter()
        .filter(|p| {
            p["source"].is_null()
                && p["id"] != package["id"]
                && needed.contains(p["id"].as_str().unwrap_or_default())
        })
        .map(|p| (*p).clone())
        .collect();
    let sdk = packages
        .iter()
        .find(|p| p["name"] == "molt-sdk")
        .and_then(|p| p["version"].as_str())
        .map(String::from);
    Ok(CrateInfo {
        package: name,
        lib_name,
        dir: crate_dir,
        workspace_root: PathBuf::from(meta["workspace_root"].as_str().unwrap_or_default()),
        target_dir: PathBuf::from(meta["target_directory"].as_str().unwrap_or("target")),
        locals,
        local_metadata,
        sdk,
        metadata: (*package).clone(),
        lib_path,
    })
}

/// The ids of every package `root` needs to build (normal and build
/// dependencies, transitively), from `cargo metadata`'s resolve graph.
fn build_dependencies(meta: &serde_json::Value, root: &str) -> std::collections::BTreeSet<String> {
    let nodes: Vec<&serde_json::Value> = meta["resolve"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    let mut todo = vec![root.to_string()];
    while let Some(id) = todo.pop() {
        let Some(node) = nodes.iter().find(|n| n["id"] == id.as_str()) else {
            continue;
        };
        for dep in node["deps"].as_array().into_iter().flatten() {
            let not_dev_only = dep["dep_kinds"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|k| k["kind"].as_str() != Some("dev"));
            if let Some(pkg) = dep["pkg"].as_str()
                && not_dev_only
                && seen.insert(pkg.to_string())
            {
                todo.push(pkg.to_string());
            }
        }
    }
    seen
}

/// Writes `bytes` to `path` unless it already holds them (cargo decides
/// freshness by modification times).
fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<()> {
    if std::fs::read(path).ok().as_deref() == Some(bytes) {
        return Ok(());
    }
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

fn rustc_version(route: &BuildRoute) -> Result<String> {
    let rustc = match route {
        BuildRoute::Rustup => PathBuf::from("rustc"),
        BuildRoute::Debian { rustc, .. } => rustc.clone(),
    };
    let out = Command::new(&rustc)
        .arg("--version")
        .output()
        .with_context(|| format!("cannot run {}", rustc.display()))?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Builds the program crate in `dir` to a wasm32 module, with the flags of
/// [`recipe`] whatever the workspace's profile says.
pub fn build_program(dir: &Path, route: &BuildRoute) -> Result<WasmBuild> {
    build_program_into(dir, route, None)
}

/// Builds a framework package (`framework/<name>`) for a release: exactly
/// [`build_program`], whose staged, remapped build already makes the bytes
/// independent of where the checkout and the registry sources sit.
pub fn build_release(dir: &Path, route: &BuildRoute) -> Result<WasmBuild> {
    build_program(dir, route)
}

/// The repository's root directory.
pub fn repository_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}

/// The repository's `framework/` workspace.
pub fn framework_dir() -> PathBuf {
    repository_root().join("framework")
}

/// The framework's packages in release order (each after what it uses).
pub const FRAMEWORK_PACKAGES: &[&str] = &[
    "system",
    "governance",
    "stakeholders",
    "signalling",
    "registry",
    "protocol",
];

static VERBOSE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Shows cargo's output of every build from now on (`molt --verbose`). By
/// default builds are quiet and cargo's output is shown only when a build
/// fails, as the error. The environment variable `MOLT_VERBOSE` (any value)
/// does the same.
pub fn set_verbose(on: bool) {
    VERBOSE.store(on, std::sync::atomic::Ordering::Relaxed);
}

fn verbose() -> bool {
    VERBOSE.load(std::sync::atomic::Ordering::Relaxed) || std::env::var_os("MOLT_VERBOSE").is_some()
}

/// Cargo's output without its progress lines, at most the last 200
/// lines (the errors are last).
fn compiler_output(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .trim_end()
        .lines()
        .filter(|l| {
            let t = l.trim_start();
            !(t.starts_with("Compiling ")
                || t.starts_with("Blocking ")
                || t.starts_with("Updating "))
        })
        .collect();
    let from = lines.len().saturating_sub(200);
    lines[from..].join("\n")
}

/// [`build_program`] with environment variables for the compiler, such as
/// the `MOLT_DEP_<NAME>` and `MOLT_DEP_<NAME>_WASM` that give
/// `molt_sdk::import!` and `#[program(dependency(..))]` a dependency
/// declared by name. They decide the bytes only through what the macros
/// read from them, which the macros also make cargo track.
pub fn build_program_with_env(
    dir: &Path,
    route: &BuildRoute,
    env: &[(String, String)],
) -> Result<WasmBuild> {
    build(dir, route, None, env)
}

/// [`build_program`] with another target directory than the crate's own
/// (so that a crate outside any workspace can reuse built dependencies).
pub fn build_program_into(
    dir: &Path,
    route: &BuildRoute,
    target_dir: Option<&Path>,
) -> Result<WasmBuild> {
    build(dir, route, target_dir, &[])
}

fn build(
    dir: &Path,
    route: &BuildRoute,
    target_dir: Option<&Path>,
    env: &[(String, String)],
) -> Result<WasmBuild> {
    let info = crate_info(dir)?;
    let target_dir = target_dir.unwrap_or(&info.target_dir).join("molt-wasm");
    let stage_dir = target_dir.join("stage");
    std::fs::create_dir_all(&stage_dir)
        .with_context(|| format!("cannot create {}", stage_dir.display()))?;
    // One build at a time per target directory: every build is staged as
    // the same crate and so writes the same output file.
    let lock = std::fs::File::create(target_dir.join("stage.lock"))
        .with_context(|| format!("cannot create the build lock in {}", target_dir.display()))?;
    lock.lock()
        .with_context(|| format!("cannot lock {}", target_dir.display()))?;
    let staged: Vec<(String, String)> = info
        .local_metadata
        .iter()
        .filter_map(|p| {
            let dir = Path::new(p["manifest_path"].as_str()?).parent()?;
            Some((dir.display().to_string(), stage::staged_dir_name(p)))
        })
        .collect();
    for package in &info.local_metadata {
        let dir = stage_dir
            .join(stage::DEPS_DIR)
            .join(stage::staged_dir_name(package));
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        write_if_changed(
            &dir.join("Cargo.toml"),
            stage::dependency_manifest(package, &staged)?.as_bytes(),
        )?;
    }
    write_if_changed(
        &stage_dir.join("Cargo.toml"),
        stage::manifest(&info.metadata, &info.lib_path, &staged)?.as_bytes(),
    )?;
    let original_lock = info.workspace_root.join("Cargo.lock");
    if original_lock.is_file() {
        write_if_changed(
            &stage_dir.join("Cargo.lock"),
            &std::fs::read(&original_lock)?,
        )?;
    }
    let debian = matches!(route, BuildRoute::Debian { .. });
    let mut cmd = match route {
        BuildRoute::Rustup => Command::new("cargo"),
        BuildRoute::Debian {
            cargo,
            rustc,
            library,
        } => {
            let mut c = Command::new(cargo);
            c.env("RUSTC", rustc)
                .env("RUSTC_BOOTSTRAP", "1")
                .env("__CARGO_TESTS_ONLY_SRC_ROOT", library)
                .arg("-Zbuild-std=core,alloc");
            c
        }
    };
    // A 64 KiB shadow stack instead of rustc's default 1 MiB keeps a
    // program's memory well under the node's limit (docs/host-abi.md).
    let mut rustflags = vec![format!("-Clink-arg=-zstack-size={STACK_SIZE}")];
    if debian {
        rustflags.push("-Clinker=wasm-ld".into());
    }
    rustflags.extend(recipe::remappings(
        &info.dir,
        &stage_dir,
        &info.locals,
        recipe::cargo_home().as_deref(),
    ));
    cmd.arg("build")
        .args(["--release", "--target", TARGET, "-p", stage::STAGE_NAME])
        .arg("--manifest-path")
        .arg(stage_dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir);
    for (key, value) in recipe::PROFILE {
        cmd.arg("--config")
            .arg(format!("profile.release.{key}={value}"));
    }
    // Separated by 0x1f, so paths with spaces stay one argument.
    cmd.envs(env.iter().map(|(k, v)| (k, v)));
    cmd.env("CARGO_ENCODED_RUSTFLAGS", rustflags.join("\u{1f}"))
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR");
    if verbose() {
        let status = cmd.status().context("cannot start cargo")?;
        if !status.success() {
            bail!("cargo build for {TARGET} failed (see the compiler output above)");
        }
    } else {
        // Quiet unless it fails: then the compiler's output is the error.
        let out = cmd.output().context("cannot start cargo")?;
        if !out.status.success() {
            bail!(
                "cargo build for {TARGET} failed:\n{}",
                compiler_output(&String::from_utf8_lossy(&out.stderr))
            );
        }
    }
    let release = target_dir.join(TARGET).join("release");
    let staged = release.join(format!("{}.wasm", stage::STAGE_NAME));
    let bytes = std::fs::read(&staged)
        .with_context(|| format!("the build produced no {}", staged.display()))?;
    let path = release.join(format!("{}.wasm", info.lib_name));
    std::fs::write(&path, &bytes).with_context(|| format!("cannot write {}", path.display()))?;
    drop(lock);
    let recipe = BuildRecipe {
        rustc: rustc_version(route)?,
        route: if debian { "debian" } else { "rustup" }.into(),
        sdk: info.sdk,
        flags: recipe::recorded_flags(debian),
    };
    Ok(WasmBuild {
        package: info.package,
        path,
        bytes,
        recipe,
    })
}

/// The repository's `programs/` workspace.
pub fn programs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../programs")
}

/// Builds the example program `programs/<name>` (once per process) and
/// returns its module bytes. For tests and benchmarks.
pub fn example(name: &str) -> Result<Vec<u8>> {
    use std::collections::BTreeMap;
    use std::sync::Mutex;
    static BUILT: Mutex<BTreeMap<String, Vec<u8>>> = Mutex::new(BTreeMap::new());
    let mut built = BUILT.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(bytes) = built.get(name) {
        return Ok(bytes.clone());
    }
    let route = detect_route()?;
    let out = build_program(&programs_dir().join(name), &route)?;
    built.insert(name.to_string(), out.bytes.clone());
    Ok(out.bytes)
}
