//! Building Molt programs to wasm32.
//!
//! The build route, tried in order (see `docs/building-programs.md`):
//! 1. rustup's `wasm32-unknown-unknown` target, if installed;
//! 2. Debian's `rustc-web` + `rust-web-src` + `lld`, building `core` and
//!    `alloc` from source (`-Zbuild-std`);
//! 3. otherwise an error naming what to install.
//!
//! [`example`] builds the repository's example programs for tests.

use anyhow::{Context, Result, anyhow, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

pub const TARGET: &str = "wasm32-unknown-unknown";

/// The shadow-stack size programs are linked with.
pub const STACK_SIZE: u32 = 64 * 1024;

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
    target_dir: PathBuf,
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
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let package = meta["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["manifest_path"].as_str().map(Path::new) == Some(manifest.as_path()))
        .ok_or_else(|| anyhow!("{} is a workspace root, not a program crate", dir.display()))?;
    let lib = package["targets"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| {
            t["kind"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == "cdylib"))
        })
        .ok_or_else(|| {
            anyhow!(
                "the crate has no cdylib target; add `[lib] crate-type = [\"cdylib\", \"rlib\"]`"
            )
        })?;
    Ok(CrateInfo {
        package: package["name"].as_str().unwrap_or_default().to_string(),
        lib_name: lib["name"].as_str().unwrap_or_default().replace('-', "_"),
        target_dir: PathBuf::from(meta["target_directory"].as_str().unwrap_or("target")),
    })
}

/// Builds the program crate in `dir` to a wasm32 module (release profile).
pub fn build_program(dir: &Path, route: &BuildRoute) -> Result<WasmBuild> {
    build_with_flags(dir, route, "")
}

/// Builds a framework package (`framework/<name>`) for a release: like
/// [`build_program`], and also with the repository root and the cargo home
/// remapped, so the bytes do not depend on where the checkout or the
/// registry sources sit on this machine (any path the compiler embeds, from
/// any crate, reads `/molt/...` or `/cargo/...`).
pub fn build_release(dir: &Path, route: &BuildRoute) -> Result<WasmBuild> {
    let root = repository_root();
    let mut flags = format!(" --remap-path-prefix={}=/molt", root.display());
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    if let Some(home) = cargo_home.and_then(|h| h.canonicalize().ok()) {
        flags.push_str(&format!(" --remap-path-prefix={}=/cargo", home.display()));
    }
    build_with_flags(dir, route, &flags)
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
pub const FRAMEWORK_PACKAGES: &[&str] = &["system", "governance"];

fn build_with_flags(dir: &Path, route: &BuildRoute, extra_flags: &str) -> Result<WasmBuild> {
    let info = crate_info(dir)?;
    let target_dir = info.target_dir.join("molt-wasm");
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
    // The same flags on every machine, so the same source gives the same bytes.
    // A 64 KiB shadow stack instead of rustc's default 1 MiB keeps a
    // program's memory well under the node's limit (docs/host-abi.md).
    // Remapping the source paths keeps the bytes independent of where the
    // crate sits on disk, so the same source gives the same checksum.
    let mut rustflags = format!(
        "-C link-arg=-zstack-size={STACK_SIZE} --remap-path-prefix={}=/molt-program",
        dir.canonicalize()
            .unwrap_or_else(|_| dir.to_path_buf())
            .display()
    );
    if let BuildRoute::Debian { .. } = route {
        rustflags.push_str(" -C linker=wasm-ld");
    }
    rustflags.push_str(extra_flags);
    cmd.arg("build")
        .args(["--release", "--target", TARGET, "-p", &info.package])
        .arg("--manifest-path")
        .arg(dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir)
        .env("RUSTFLAGS", rustflags)
        .env_remove("CARGO_TARGET_DIR");
    let status = cmd.status().context("cannot start cargo")?;
    if !status.success() {
        bail!("cargo build for {TARGET} failed (see the compiler output above)");
    }
    let path = target_dir
        .join(TARGET)
        .join("release")
        .join(format!("{}.wasm", info.lib_name));
    let bytes = std::fs::read(&path)
        .with_context(|| format!("the build produced no {}", path.display()))?;
    Ok(WasmBuild {
        package: info.package,
        path,
        bytes,
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
