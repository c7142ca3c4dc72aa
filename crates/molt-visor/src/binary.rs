//! Node binaries: their checksum, the version they report, installing them.

use anyhow::{Context, Result, anyhow, bail};
use molt_types::Digest;
use sha3::{Digest as _, Sha3_256};
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// This machine's platform name in upgrade plans: `<os>-<arch>`.
pub fn platform() -> String {
    format!("{}-{}", std::env::consts::OS, std::env::consts::ARCH)
}

/// SHA3-256 of the file at `path`.
pub fn checksum(path: &Path) -> Result<Digest> {
    let mut f =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut hasher = Sha3_256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f
            .read(&mut buf)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(Digest(hasher.finalize().into()))
}

/// What `molt --version --json` reports.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Reported {
    pub release: String,
    pub commit: String,
    pub protocol: u32,
}

/// How long a binary has to answer `--version --json`.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs `path --version --json` and parses its answer.
pub fn reported_version(path: &Path) -> Result<Reported> {
    let mut child = Command::new(path)
        .args(["--version", "--json"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot run {}", path.display()))?;
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait()? {
            break s;
        }
        if started.elapsed() > PROBE_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            bail!(
                "{} --version --json did not answer within {PROBE_TIMEOUT:?}",
                path.display()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut out = String::new();
    if let Some(mut stdout) = child.stdout.take() {
        let _ = stdout.read_to_string(&mut out);
    }
    if !status.success() {
        bail!("{} --version --json failed ({status})", path.display());
    }
    serde_json::from_str(&out).map_err(|e| {
        anyhow!(
            "{} --version --json printed no version document ({e}); is it a molt binary?",
            path.display()
        )
    })
}

/// Copies `src` to `dest` (executable) through a temporary file and a rename.
pub fn install(src: &Path, dest: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let dir = dest.parent().ok_or_else(|| anyhow!("bad path"))?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let tmp = dir.join(".molt.installing");
    std::fs::copy(src, &tmp)
        .with_context(|| format!("cannot copy {} to {}", src.display(), tmp.display()))?;
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755))?;
    std::fs::File::open(&tmp)?.sync_all()?;
    std::fs::rename(&tmp, dest).with_context(|| format!("cannot install {}", dest.display()))?;
    crate::home::sync_dir(dir)
}
