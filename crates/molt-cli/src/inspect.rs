//! `molt inspect FILE.wasm`.

use crate::output::Output;
use anyhow::{Context, Result};
use molt_interface::Interface;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// The Wasm module to read.
    pub file: PathBuf,
}

/// Reads a module's interface section, decodes and validates it.
pub fn read_interface(module: &[u8]) -> Result<Interface> {
    let section =
        molt_interface::find_section(module)?.ok_or(molt_interface::SectionError::Missing)?;
    Ok(molt_interface::decode_section(section)?)
}

/// The summary printed by `inspect` and `build`.
pub fn describe(module: &[u8], interface: &Interface) -> (String, serde_json::Value) {
    let checksum = molt_types::sha3_256(module);
    let human = format!(
        "size: {} bytes\nchecksum: {}\n{}",
        module.len(),
        checksum,
        interface.render()
    );
    let json = serde_json::json!({
        "size": module.len(),
        "checksum": checksum,
        "interface": interface,
    });
    (human, json)
}

pub fn run(args: InspectArgs, out: &Output) -> Result<()> {
    let module = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let interface = read_interface(&module)
        .with_context(|| format!("{} has no usable Molt interface", args.file.display()))?;
    let (human, json) = describe(&module, &interface);
    out.result(&human, json);
    Ok(())
}
