//! `molt build [DIR]`: build a program crate to wasm32, validate it, print it.

use crate::inspect::describe;
use crate::module::{self, ValidModule};
use crate::output::Output;
use anyhow::{Result, bail};
use molt_build::{TARGET, build_program, detect_route};
use molt_runtime::VmLimits;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    /// The program crate (a directory with Cargo.toml). Defaults to the current directory.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
}

pub fn run(args: BuildArgs, out: &Output) -> Result<()> {
    if !args.dir.join("Cargo.toml").is_file() {
        bail!(
            "{} is not a program crate: it has no Cargo.toml",
            args.dir.display()
        );
    }
    let route = detect_route()?;
    let building = out.step(&format!(
        "Building {} for {TARGET} ({route})...",
        args.dir.display()
    ));
    let built = build_program(&args.dir, &route)?;
    drop(building);
    let ValidModule {
        bytes, interface, ..
    } = module::validate(built.bytes, &built.path, &VmLimits::default())?;
    let (human, mut json) = describe(&bytes, &interface);
    json["path"] = serde_json::json!(built.path);
    json["package"] = serde_json::json!(built.package);
    json["build"] = built.recipe.to_json();
    let recipe = &built.recipe;
    out.result(
        &format!(
            "built {}\nbuilt with {} ({} route), molt-sdk {}\n{human}",
            built.path.display(),
            recipe.rustc,
            recipe.route,
            recipe.sdk.as_deref().unwrap_or("(none)")
        ),
        json,
    );
    Ok(())
}
