//! `molt new NAME`: a program crate that `molt build` and `molt publish`
//! accept as is.
//!
//! The crate is its own cargo workspace (so it builds wherever it is
//! created, even inside another workspace), depends on the `molt-sdk` this
//! `molt` was built with (a path dependency; `--sdk-path` names another),
//! carries the release profile programs need (size-optimized, one codegen
//! unit, LTO, `panic = "abort"`, overflow checks), and its `src/lib.rs` is
//! one of the repository's example programs with native unit tests
//! (`cargo test` runs them against the SDK's in-memory host). The module is
//! renamed after the crate, so the interface is called NAME.

use crate::output::Output;
use anyhow::{Context, Result, bail};
use serde_json::json;
use std::path::{Path, PathBuf};

/// The example programs a crate can start from: (name, the example's
/// module name, its source).
const TEMPLATES: &[(&str, &str, &str)] = &[
    (
        "counter",
        "counter",
        include_str!("../../../programs/counter_v1/src/lib.rs"),
    ),
    (
        "token",
        "token",
        include_str!("../../../programs/token/src/lib.rs"),
    ),
];

#[derive(Debug, clap::Args)]
pub struct NewArgs {
    /// The crate's name (lowercase letters, digits, `_` and `-`, starting
    /// with a letter); also its directory and its interface's name.
    pub name: String,
    /// What the program starts as.
    #[arg(long, default_value = "counter", value_parser = ["counter", "token"])]
    pub template: String,
    /// The directory to create the crate in. Default: ./NAME.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// The molt-sdk crate to depend on. Default: the one this molt was built
    /// with.
    #[arg(long)]
    pub sdk_path: Option<PathBuf>,
}

/// The molt-sdk next to the crate this binary was built from.
fn default_sdk() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../molt-sdk")
}

fn check_name(name: &str) -> Result<()> {
    let mut chars = name.chars();
    let ok = matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if !ok || name.len() > 64 {
        bail!(
            "{name:?} is not a program name: use lowercase letters, digits, `_` and `-`, \
             starting with a letter (at most 64 characters), e.g. `hello` or `my-token`"
        );
    }
    Ok(())
}

/// `src` with the example's module renamed to `module` and the example's
/// own header replaced by one for the new crate.
fn source(src: &str, example: &str, module: &str, template: &str) -> String {
    let body: String = src
        .lines()
        .skip_while(|l| l.starts_with("//!"))
        .map(|l| format!("{l}\n"))
        .collect();
    let body = body
        .replace(
            &format!("pub mod {example} {{"),
            &format!("pub mod {module} {{"),
        )
        .replace(
            &format!("super::{example}::"),
            &format!("super::{module}::"),
        )
        .replace(&format!("{example}::"), &format!("{module}::"))
        .replace(&format!("\"{example}\""), &format!("\"{module}\""));
    format!(
        "//! `{module}`: a Molt program, started from the `{template}` template of\n\
         //! `molt new`. Build it with `molt build`, test it natively with\n\
         //! `cargo test`, publish it with `molt publish .`; docs/writing-programs.md\n\
         //! describes the SDK.\n{body}"
    )
}

fn manifest(name: &str, sdk: &Path) -> String {
    let sdk = sdk
        .display()
        .to_string()
        .replace('\\', "\\\\")
        .replace('"', "\\\"");
    format!(
        r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
publish = false

# Its own workspace: it builds wherever it lives.
[workspace]

[lib]
# cdylib: the Wasm module; rlib: native tests and tooling.
crate-type = ["cdylib", "rlib"]

[dependencies]
molt-sdk = {{ path = "{sdk}" }}

# What a program module needs: small, deterministic, no unwinding, and no
# silent wrapping of state arithmetic.
[profile.release]
panic = "abort"
opt-level = "z"
lto = true
codegen-units = 1
overflow-checks = true
debug = false
strip = "symbols"

[profile.dev]
panic = "abort"
"#
    )
}

pub fn run(args: NewArgs, out: &Output) -> Result<()> {
    check_name(&args.name)?;
    let module = args.name.replace('-', "_");
    let dir = args.dir.unwrap_or_else(|| PathBuf::from(&args.name));
    if dir.exists()
        && std::fs::read_dir(&dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        bail!(
            "{} already exists and is not empty; choose another NAME or --dir",
            dir.display()
        );
    }
    let sdk = args.sdk_path.unwrap_or_else(default_sdk);
    let sdk = sdk.canonicalize().with_context(|| {
        format!(
            "the molt-sdk crate is not at {}; give its directory with --sdk-path",
            sdk.display()
        )
    })?;
    if !sdk.join("Cargo.toml").is_file() {
        bail!(
            "{} has no Cargo.toml: it is not the molt-sdk crate",
            sdk.display()
        );
    }
    let (_, example, src) = TEMPLATES
        .iter()
        .find(|(t, _, _)| *t == args.template)
        .with_context(|| format!("no template {}", args.template))?;
    std::fs::create_dir_all(dir.join("src"))
        .with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::write(dir.join("Cargo.toml"), manifest(&args.name, &sdk))?;
    std::fs::write(
        dir.join("src/lib.rs"),
        source(src, example, &module, &args.template),
    )?;
    std::fs::write(dir.join(".gitignore"), "/target\n")?;
    out.result(
        &format!(
            "created program `{module}` ({} template) in {}\n\
             next:\n  cd {}\n  cargo test          # its unit tests, natively\n  \
             molt build          # the Wasm module\n  molt publish .      # on the dev chain",
            args.template,
            dir.display(),
            dir.display()
        ),
        json!({
            "name": args.name,
            "module": module,
            "template": args.template,
            "dir": dir,
            "sdk": sdk,
        }),
    );
    Ok(())
}
