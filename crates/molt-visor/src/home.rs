//! The visor's home: its configuration, the installed versions and the
//! `current` link.
//!
//! ```text
//! <home>/config.toml            VisorConfig
//! <home>/current -> versions/<v> the version to run, switched atomically
//! <home>/versions/<v>/bin/molt  an installed binary
//! <home>/versions/<v>/run.toml  RunConfig: the node's arguments
//! <home>/versions/<v>/checksum  SHA3-256 of bin/molt when it was installed
//! <home>/logs/<v>/node.log      that version's output, appended
//! <home>/status.json            what `molt-visor status` shows
//! <home>/upgrade.json           an upgrade in progress (until the new
//!                               version is past the halt height)
//! <home>/node.pid               the node the visor started
//! ```
//!
//! `current` is switched by creating `current.new` and renaming it over
//! `current`, then fsyncing `<home>`: at every instant `current` exists and
//! names an installed version (Cosmovisor and Vega Visor remove the link and
//! create a new one, leaving a moment with none).

use anyhow::{Context, Result, anyhow, bail};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// `<home>/config.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VisorConfig {
    /// The node's data directory (passed as `--data-dir`).
    pub data_dir: PathBuf,
    /// How many times a node that exits is started again before the visor
    /// gives up (per version; reset when an upgrade completes).
    #[serde(default = "defaults::max_restarts")]
    pub max_restarts: u32,
    /// Milliseconds between a node's exit and its restart.
    #[serde(default = "defaults::restart_delay_ms")]
    pub restart_delay_ms: u64,
    /// Milliseconds a node has to exit after SIGTERM before SIGKILL.
    #[serde(default = "defaults::stop_grace_ms")]
    pub stop_grace_ms: u64,
    /// Milliseconds between two looks at the admin endpoint.
    #[serde(default = "defaults::poll_interval_ms")]
    pub poll_interval_ms: u64,
    /// A program run before switching to a new version, with the version,
    /// data directory and halt height as arguments. Exit codes as
    /// Cosmovisor's: 0 done, 1 nothing to do, 30 failed (the upgrade stops),
    /// 31 try again (up to `pre_upgrade_max_retries`).
    #[serde(default)]
    pub pre_upgrade: Option<PathBuf>,
    #[serde(default = "defaults::pre_upgrade_max_retries")]
    pub pre_upgrade_max_retries: u32,
    /// The node's admin socket, where its config file puts it
    /// (`admin_socket`); default `<data_dir>/admin.sock`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_socket: Option<PathBuf>,
}

mod defaults {
    pub fn max_restarts() -> u32 {
        3
    }
    pub fn restart_delay_ms() -> u64 {
        5_000
    }
    pub fn stop_grace_ms() -> u64 {
        15_000
    }
    pub fn poll_interval_ms() -> u64 {
        500
    }
    pub fn pre_upgrade_max_retries() -> u32 {
        3
    }
}

impl VisorConfig {
    pub fn new(data_dir: PathBuf) -> Self {
        VisorConfig {
            data_dir,
            max_restarts: defaults::max_restarts(),
            restart_delay_ms: defaults::restart_delay_ms(),
            stop_grace_ms: defaults::stop_grace_ms(),
            poll_interval_ms: defaults::poll_interval_ms(),
            pre_upgrade: None,
            pre_upgrade_max_retries: defaults::pre_upgrade_max_retries(),
            admin_socket: None,
        }
    }

    /// Where the node's admin endpoint listens.
    pub fn admin_socket(&self) -> PathBuf {
        self.admin_socket
            .clone()
            .unwrap_or_else(|| self.data_dir.join(molt_node::admin::ADMIN_SOCKET))
    }

    /// Checks what `run` relies on.
    pub fn validate(&self) -> Result<()> {
        if !self.data_dir.is_absolute() {
            bail!(
                "data_dir {} must be an absolute path",
                self.data_dir.display()
            );
        }
        if let Some(socket) = &self.admin_socket
            && !socket.is_absolute()
        {
            bail!("admin_socket {} must be an absolute path", socket.display());
        }
        if !(10..=60_000).contains(&self.poll_interval_ms) {
            bail!("poll_interval_ms must be from 10 to 60000");
        }
        if self.stop_grace_ms > 600_000 || self.restart_delay_ms > 600_000 {
            bail!("stop_grace_ms and restart_delay_ms must be at most 600000 (10 minutes)");
        }
        if self.max_restarts > 100 || self.pre_upgrade_max_retries > 100 {
            bail!("max_restarts and pre_upgrade_max_retries must be at most 100");
        }
        if let Some(hook) = &self.pre_upgrade
            && !hook.is_file()
        {
            bail!("pre_upgrade {} is not a file", hook.display());
        }
        Ok(())
    }
}

/// `<home>/versions/<v>/run.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    /// Arguments of `bin/molt`; the visor appends `--data-dir <data_dir>`.
    pub args: Vec<String>,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            args: vec!["node".into(), "--dev".into()],
        }
    }
}

/// The visor's home directory.
#[derive(Debug, Clone)]
pub struct Home {
    pub root: PathBuf,
}

impl Home {
    pub fn new(root: PathBuf) -> Self {
        Home { root }
    }

    pub fn config_path(&self) -> PathBuf {
        self.root.join("config.toml")
    }
    pub fn current_link(&self) -> PathBuf {
        self.root.join("current")
    }
    pub fn version_dir(&self, v: &str) -> PathBuf {
        self.root.join("versions").join(v)
    }
    pub fn binary(&self, v: &str) -> PathBuf {
        self.version_dir(v).join("bin").join("molt")
    }
    pub fn run_config_path(&self, v: &str) -> PathBuf {
        self.version_dir(v).join("run.toml")
    }
    pub fn checksum_path(&self, v: &str) -> PathBuf {
        self.version_dir(v).join("checksum")
    }
    pub fn log_dir(&self, v: &str) -> PathBuf {
        self.root.join("logs").join(v)
    }
    pub fn status_path(&self) -> PathBuf {
        self.root.join("status.json")
    }
    pub fn upgrade_path(&self) -> PathBuf {
        self.root.join("upgrade.json")
    }
    pub fn pid_path(&self) -> PathBuf {
        self.root.join("node.pid")
    }
    pub fn lock_path(&self) -> PathBuf {
        self.root.join("visor.lock")
    }

    pub fn config(&self) -> Result<VisorConfig> {
        let path = self.config_path();
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "cannot read {}; run `molt-visor init --home {} --binary PATH --data-dir DIR` first",
                path.display(),
                self.root.display()
            )
        })?;
        let config: VisorConfig =
            toml::from_str(&text).map_err(|e| anyhow!("{} is not valid: {e}", path.display()))?;
        config
            .validate()
            .with_context(|| format!("{} is not valid", path.display()))?;
        Ok(config)
    }

    pub fn run_config(&self, v: &str) -> Result<RunConfig> {
        let path = self.run_config_path(v);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        toml::from_str(&text).map_err(|e| anyhow!("{} is not valid: {e}", path.display()))
    }

    /// The version `current` names; an error if it is missing or dangling.
    pub fn current(&self) -> Result<String> {
        let link = self.current_link();
        let target = std::fs::read_link(&link).with_context(|| {
            format!(
                "{} is not a link to an installed version; run `molt-visor init` first",
                link.display()
            )
        })?;
        let v = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| anyhow!("{} points nowhere", link.display()))?;
        if !self.binary(&v).is_file() {
            bail!(
                "{} points to version {v}, which has no {}; reinstall it with `molt-visor add-version {v} PATH --force`",
                link.display(),
                self.binary(&v).display()
            );
        }
        Ok(v)
    }

    /// Points `current` at `v` atomically (see the module doc).
    pub fn switch_current(&self, v: &str) -> Result<()> {
        if !self.binary(v).is_file() {
            bail!("version {v} is not installed");
        }
        let tmp = self.root.join("current.new");
        let _ = std::fs::remove_file(&tmp);
        std::os::unix::fs::symlink(Path::new("versions").join(v), &tmp)
            .with_context(|| format!("cannot create {}", tmp.display()))?;
        std::fs::rename(&tmp, self.current_link())
            .with_context(|| format!("cannot rename {} over current", tmp.display()))?;
        sync_dir(&self.root)
    }

    /// Removes what an interrupted switch left behind.
    pub fn clean_interrupted_switch(&self) {
        let _ = std::fs::remove_file(self.root.join("current.new"));
    }

    /// Installed versions, in semver order.
    pub fn versions(&self) -> Vec<String> {
        let mut out: Vec<String> = std::fs::read_dir(self.root.join("versions"))
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        out.sort_by(
            |a, b| match (semver::Version::parse(a), semver::Version::parse(b)) {
                (Ok(x), Ok(y)) => x.cmp(&y),
                _ => a.cmp(b),
            },
        );
        out
    }
}

/// fsyncs a directory, so a rename in it survives a power loss.
pub fn sync_dir(dir: &Path) -> Result<()> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("cannot fsync {}", dir.display()))
}

/// Writes `text` to `path` through a temporary file and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp",
        path.file_name().unwrap_or_default().to_string_lossy()
    ));
    let mut f =
        std::fs::File::create(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    sync_dir(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_admin_socket_is_the_data_directorys_unless_the_config_moves_it() {
        let mut config = VisorConfig::new(PathBuf::from("/var/molt/data"));
        assert_eq!(
            config.admin_socket(),
            PathBuf::from("/var/molt/data/admin.sock")
        );
        config.admin_socket = Some(PathBuf::from("/run/molt/admin.sock"));
        assert_eq!(config.admin_socket(), PathBuf::from("/run/molt/admin.sock"));
        config.validate().unwrap();
        config.admin_socket = Some(PathBuf::from("admin.sock"));
        let e = config.validate().unwrap_err().to_string();
        assert!(
            e.contains("admin_socket admin.sock must be an absolute path"),
            "{e}"
        );
    }
}
