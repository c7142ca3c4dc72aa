//! `molt build [DIR]`: build a program crate to wasm32, validate it, print it.

use crate::inspect::{describe, read_interface};
use crate::output::Output;
use anyhow::{Context, Result};
use molt_build::{TARGET, build_program, detect_route};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    /// The program crate (a directory with Cargo.toml). Defaults to the current directory.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
}

pub fn run(args: BuildArgs, out: &Output) -> Result<()> {
    let route = detect_route()?;
    out.progress(&format!(
        "Building {} for {TARGET} ({route})...",
        args.dir.display()
    ));
    let built = build_program(&args.dir, &route)?;
    let interface = read_interface(&built.bytes)
        .with_context(|| format!("{} is not a valid Molt program", built.path.display()))?;
    molt_vm::Vm::new(molt_vm::VmConfig::default())?
        .prepare(&built.bytes)
        .with_context(|| format!("{} would be rejected by the node", built.path.display()))?;
    let (human, mut json) = describe(&built.bytes, &interface);
    json["path"] = serde_json::json!(built.path);
    json["package"] = serde_json::json!(built.package);
    out.result(&format!("built {}\n{human}", built.path.display()), json);
    Ok(())
}
