//! `molt-visor run`: the supervisor loop.
//!
//! 1. Take `<home>/visor.lock` (one visor per home), remove what an
//!    interrupted switch left (`current.new`), stop a node a killed visor
//!    left running (`node.pid`), so two nodes never share the data.
//! 2. If the data directory holds a plan file for a newer version than
//!    `current`, and the checkpoint for its halt height, the node is
//!    already halted: go to step 4 without starting it (this is how an
//!    upgrade resumes after the visor was killed). A damaged plan file is
//!    reported and the current version is started: at the halt height it
//!    rewrites the file from chain state.
//! 3. Start `current`'s binary with its `run.toml` arguments and
//!    `--data-dir`, output appended to `logs/<v>/node.log`, and look at its
//!    admin endpoint every `poll_interval_ms`. When a plan for a newer
//!    version appears, verify its binary at once (as in step 4) and log the
//!    result, so a problem is known before the height. On `ready`: stop it (SIGTERM,
//!    `stop_grace_ms`, SIGKILL) and go to 4. If it exits: start it again
//!    after `restart_delay_ms`, at most `max_restarts` times.
//! 4. Verify the plan's binary (installed, SHA3-256 equal to the plan's for
//!    this platform, `--version --json` equal to the plan's version), run
//!    the pre-upgrade hook, record the upgrade in `upgrade.json`, switch
//!    `current` atomically, and go to 3 with the new version. Any failure
//!    stops here with a message that says what to do; nothing was switched
//!    and the data is at the halt height.
//! 5. While `upgrade.json` exists, the new version has not yet committed a
//!    block past the halt: if it cannot be started `max_restarts` times,
//!    the store is compared with the checkpoint and, if it changed, moved
//!    aside and replaced by the checkpoint; the visor exits saying what to
//!    do, and `molt-visor run` after the fix resumes at 3. When the new
//!    version's first block past the halt appears, the upgrade is done and
//!    the downtime is printed in block times.
//!
//! SIGTERM or SIGINT stops the node cleanly (step 3's stop) and the visor.

use crate::home::{Home, VisorConfig};
use crate::status::{UpgradeDone, UpgradeInProgress, VisorState, VisorStatus};
use crate::upgrade::{RestoreError, Restored, pre_upgrade, restore, verify};
use anyhow::{Context, Result, anyhow, bail};
use molt_node::admin::{AdminState, AdminStatus, query_status};
use molt_node::halt::{CheckpointRecord, HaltPoint, read_checkpoint, read_plan_file};
use molt_types::UpgradePlan;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

fn log(msg: &str) {
    eprintln!("molt-visor: {msg}");
}

fn newer(a: &str, b: &str) -> bool {
    match (semver::Version::parse(a), semver::Version::parse(b)) {
        (Ok(a), Ok(b)) => a > b,
        _ => false,
    }
}

/// How a supervised node stopped.
enum Outcome {
    Ready(Box<AdminStatus>),
    Exited(ExitStatus),
    Terminated,
}

/// The supervisor.
struct Visor {
    home: Home,
    config: VisorConfig,
    status: VisorStatus,
    term: Arc<AtomicBool>,
}

/// What a successful `run` did, for its final report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RunReport {
    pub version: Option<String>,
    pub upgrades: Vec<UpgradeDone>,
}

/// Runs the visor until SIGTERM/SIGINT (`Ok`) or a failure it cannot
/// resolve by itself (`Err`, with what to do).
pub fn run(home: &Home) -> Result<RunReport> {
    let config = home.config()?;
    let lock = std::fs::File::create(home.lock_path())
        .with_context(|| format!("cannot create {}", home.lock_path().display()))?;
    rustix::fs::flock(&lock, rustix::fs::FlockOperation::NonBlockingLockExclusive).map_err(
        |_| {
            anyhow!(
                "another molt-visor is running on {}; stop it first",
                home.root.display()
            )
        },
    )?;
    let term = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(sig, Arc::clone(&term))?;
    }
    let mut visor = Visor {
        home: home.clone(),
        config,
        status: VisorStatus {
            last_upgrade: VisorStatus::load(home).and_then(|s| s.last_upgrade),
            ..VisorStatus::new()
        },
        term,
    };
    let result = visor.main_loop();
    visor.status.node_pid = None;
    match &result {
        Ok(_) => visor.status.state = VisorState::Stopped,
        Err(e) => {
            visor.status.state = VisorState::Failed;
            visor.status.last_error = Some(format!("{e:#}"));
        }
    }
    visor.status.save(home);
    drop(lock);
    result
}

impl Visor {
    fn save(&self) {
        self.status.save(&self.home);
    }

    fn fail(&mut self, e: anyhow::Error) -> anyhow::Error {
        self.status.last_error = Some(format!("{e:#}"));
        self.save();
        e
    }

    fn main_loop(&mut self) -> Result<RunReport> {
        self.home.clean_interrupted_switch();
        self.stop_orphan();
        let mut upgrades = Vec::new();
        loop {
            if self.term.load(Ordering::Relaxed) {
                return Ok(RunReport {
                    version: self.status.current_version.clone(),
                    upgrades,
                });
            }
            let current = self.home.current()?;
            self.status.current_version = Some(current.clone());
            let probation = UpgradeInProgress::load(&self.home)?;
            if let Some(p) = &probation
                && p.to != current
            {
                // Killed after recording the upgrade, before the switch.
                log(&format!("resuming the switch from {} to {}", p.from, p.to));
                let p = p.clone();
                self.upgrade(&current, p.plan, p.halt, p.checkpoint, p.block_time_ms)?;
                continue;
            }
            if probation.is_none() {
                match read_plan_file(&self.config.data_dir) {
                    Ok(Some(file)) if newer(&file.plan.version, &current) => {
                        if let Ok(Some(cp)) =
                            read_checkpoint(&self.config.data_dir, file.halt.height)
                            && cp.state_root == file.halt.state_root
                        {
                            log(&format!(
                                "the node is halted at height {} for molt {}: resuming the upgrade",
                                file.halt.height, file.plan.version
                            ));
                            self.upgrade(&current, file.plan, file.halt, cp, 0)?;
                            continue;
                        }
                    }
                    Ok(_) => {}
                    Err(e) => log(&format!("{e}; starting molt {current} to rewrite it")),
                }
            }
            match self.supervise(&current, probation.as_ref(), &mut upgrades)? {
                Outcome::Terminated => {
                    return Ok(RunReport {
                        version: Some(current),
                        upgrades,
                    });
                }
                Outcome::Ready(st) => {
                    let (Some(plan), Some(halt), Some(cp)) = (st.plan, st.halt, st.checkpoint)
                    else {
                        bail!("the node said ready without a plan, halt point and checkpoint");
                    };
                    self.upgrade(&current, plan, halt, cp, st.block_time_ms)?;
                }
                Outcome::Exited(exit) => {
                    self.status.restarts += 1;
                    let still_probation = UpgradeInProgress::load(&self.home)?;
                    if self.status.restarts > self.config.max_restarts {
                        let log_path = self.home.log_dir(&current).join("node.log");
                        if let Some(p) = still_probation {
                            let e = self.fail_upgrade(&p, exit, &log_path);
                            return Err(self.fail(e));
                        }
                        let e = anyhow!(
                            "molt {current} exited {} times ({exit}), more than max_restarts = {}; see {}; fix the cause, then `molt-visor run`",
                            self.status.restarts,
                            self.config.max_restarts,
                            log_path.display()
                        );
                        return Err(self.fail(e));
                    }
                    log(&format!(
                        "molt {current} exited ({exit}); restart {} of {} in {} ms",
                        self.status.restarts,
                        self.config.max_restarts,
                        self.config.restart_delay_ms
                    ));
                    self.status.state = VisorState::Restarting;
                    self.status.last_error = Some(format!("molt {current} exited ({exit})"));
                    self.save();
                    self.sleep(Duration::from_millis(self.config.restart_delay_ms));
                }
            }
        }
    }

    /// Sleeps, waking early on SIGTERM.
    fn sleep(&self, d: Duration) {
        let until = Instant::now() + d;
        while Instant::now() < until && !self.term.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(20).min(d));
        }
    }

    fn spawn(&mut self, version: &str) -> Result<Child> {
        let run = self.home.run_config(version)?;
        let logs = self.home.log_dir(version);
        std::fs::create_dir_all(&logs)?;
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(logs.join("node.log"))?;
        let bin = self.home.binary(version);
        let child = Command::new(&bin)
            .args(&run.args)
            .arg("--data-dir")
            .arg(&self.config.data_dir)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file)
            .spawn()
            .with_context(|| format!("cannot start {}", bin.display()))?;
        std::fs::write(self.home.pid_path(), child.id().to_string())?;
        log(&format!(
            "started molt {version} (pid {}), log {}",
            child.id(),
            logs.join("node.log").display()
        ));
        Ok(child)
    }

    fn supervise(
        &mut self,
        version: &str,
        probation: Option<&UpgradeInProgress>,
        upgrades: &mut Vec<UpgradeDone>,
    ) -> Result<Outcome> {
        let mut child = self.spawn(version)?;
        self.status.state = if probation.is_some() {
            VisorState::Upgrading
        } else {
            VisorState::Running
        };
        self.status.node_pid = Some(child.id());
        self.status.ready = false;
        self.save();
        let socket = self.config.admin_socket();
        let mut probation = probation.cloned();
        let mut reported_error: Option<String> = None;
        let mut checked_plan: Option<UpgradePlan> = None;
        loop {
            if self.term.load(Ordering::Relaxed) {
                log(&format!("stopping molt {version}"));
                self.stop_child(&mut child);
                return Ok(Outcome::Terminated);
            }
            if let Some(exit) = child.try_wait()? {
                let _ = std::fs::remove_file(self.home.pid_path());
                self.status.node_pid = None;
                return Ok(Outcome::Exited(exit));
            }
            if let Ok(st) = query_status(&socket, Duration::from_secs(2)) {
                if self.status.plan != st.plan {
                    self.status.plan = st.plan.clone();
                    self.save();
                }
                // A plan for a newer version: check its binary now, well
                // before the height, so the operator hears of a problem early.
                if let Some(plan) = st.plan.as_ref().filter(|p| newer(&p.version, version))
                    && checked_plan.as_ref() != Some(plan)
                    && st.state == AdminState::Running
                {
                    checked_plan = Some(plan.clone());
                    match verify(&self.home, plan) {
                        Ok(()) => log(&format!(
                            "upgrade to molt {} scheduled after height {}: installed and verified",
                            plan.version, plan.height
                        )),
                        Err(e) => {
                            log(&format!(
                                "upgrade to molt {} scheduled after height {} will not go through as things are: {e:#}",
                                plan.version, plan.height
                            ));
                            self.status.last_error = Some(format!("{e:#}"));
                            self.save();
                        }
                    }
                }
                if let Some(p) = &probation
                    && let Some(first) = &st.first_block
                    && first.height > p.halt.height
                {
                    let downtime_ms = first.timestamp_ms.saturating_sub(p.halt.timestamp_ms);
                    let x100 = downtime_ms * 100 / st.block_time_ms.max(1);
                    log(&format!(
                        "upgrade to molt {} done: height {} came {downtime_ms} ms after height {} ({}.{:02} block times of {} ms)",
                        p.to,
                        first.height,
                        p.halt.height,
                        x100 / 100,
                        x100 % 100,
                        st.block_time_ms
                    ));
                    let done = UpgradeDone {
                        from: p.from.clone(),
                        to: p.to.clone(),
                        halt_height: p.halt.height,
                        downtime_ms,
                        downtime_block_times_x100: x100,
                    };
                    upgrades.push(done.clone());
                    self.status.last_upgrade = Some(done);
                    self.status.restarts = 0;
                    self.status.last_error = None;
                    self.status.state = VisorState::Running;
                    UpgradeInProgress::clear(&self.home);
                    probation = None;
                    self.save();
                }
                match st.state {
                    AdminState::Ready
                        if st.plan.as_ref().is_some_and(|p| newer(&p.version, version)) =>
                    {
                        log(&format!(
                            "molt {version} is ready for the upgrade at height {}: stopping it",
                            st.latest_block.height
                        ));
                        self.status.ready = true;
                        self.save();
                        self.stop_child(&mut child);
                        return Ok(Outcome::Ready(Box::new(st)));
                    }
                    AdminState::Halted if reported_error != st.error => {
                        log(&format!(
                            "molt {version} is halted at height {} but not ready: {}; nothing is switched without a checkpoint: the node retries every {} s, so free space in {} (or fix the cause) and the upgrade goes on by itself",
                            st.latest_block.height,
                            st.error.clone().unwrap_or_default(),
                            molt_node::halt::RETRY_INTERVAL.as_secs(),
                            self.config.data_dir.display()
                        ));
                        self.status.last_error = st.error.clone();
                        self.save();
                        reported_error = st.error.clone();
                    }
                    _ => {}
                }
            }
            self.sleep(Duration::from_millis(self.config.poll_interval_ms));
        }
    }

    /// SIGTERM, then SIGKILL after the grace period; waits for the exit.
    fn stop_child(&mut self, child: &mut Child) {
        if let Some(pid) = rustix::process::Pid::from_raw(child.id() as i32) {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        }
        let until = Instant::now() + Duration::from_millis(self.config.stop_grace_ms);
        loop {
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            if Instant::now() >= until {
                log("the node did not stop within stop_grace_ms: killing it");
                let _ = child.kill();
                let _ = child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = std::fs::remove_file(self.home.pid_path());
        self.status.node_pid = None;
        self.save();
    }

    /// Stops a node that a killed visor left running, if `node.pid` names
    /// one of this home's binaries.
    fn stop_orphan(&mut self) {
        let Some(pid) = std::fs::read_to_string(self.home.pid_path())
            .ok()
            .and_then(|s| s.trim().parse::<i32>().ok())
        else {
            return;
        };
        let alive = |pid: i32| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .map(|s| {
                    // The state follows the parenthesized command name.
                    s.rsplit_once(')')
                        .map(|(_, rest)| !rest.trim_start().starts_with('Z'))
                        .unwrap_or(false)
                })
                .unwrap_or(false)
        };
        let ours = std::fs::read_link(format!("/proc/{pid}/exe"))
            .ok()
            .zip(std::fs::canonicalize(self.home.root.join("versions")).ok())
            .is_some_and(|(exe, versions)| exe.starts_with(versions));
        if ours && alive(pid) {
            log(&format!(
                "stopping the node (pid {pid}) a previous visor left running"
            ));
            if let Some(p) = rustix::process::Pid::from_raw(pid) {
                let _ = rustix::process::kill_process(p, rustix::process::Signal::TERM);
                let until = Instant::now() + Duration::from_millis(self.config.stop_grace_ms);
                while alive(pid) && Instant::now() < until {
                    std::thread::sleep(Duration::from_millis(20));
                }
                if alive(pid) {
                    let _ = rustix::process::kill_process(p, rustix::process::Signal::KILL);
                    while alive(pid) {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                }
            }
        }
        let _ = std::fs::remove_file(self.home.pid_path());
    }

    /// Step 4 of the module doc.
    fn upgrade(
        &mut self,
        from: &str,
        plan: UpgradePlan,
        halt: HaltPoint,
        checkpoint: CheckpointRecord,
        block_time_ms: u64,
    ) -> Result<()> {
        self.status.state = VisorState::Upgrading;
        self.status.plan = Some(plan.clone());
        self.status.ready = true;
        self.save();
        log(&format!(
            "halted at height {} (state root {}) for molt {}; checkpoint {} ({}, {} bytes, {} ms)",
            halt.height,
            halt.state_root,
            plan.version,
            checkpoint.file.display(),
            checkpoint.method,
            checkpoint.bytes,
            checkpoint.elapsed_ms
        ));
        if let Err(e) = verify(&self.home, &plan) {
            return Err(self.fail(e.context(format!(
                "the upgrade to molt {} at height {} cannot go on; molt {from} stays current and the data is at the halt height",
                plan.version, halt.height
            ))));
        }
        log(&format!(
            "verified molt {}: checksum and reported version match the plan",
            plan.version
        ));
        if let Err(e) = pre_upgrade(&self.config, &plan, halt.height, &log) {
            return Err(self.fail(e));
        }
        UpgradeInProgress {
            from: from.into(),
            to: plan.version.clone(),
            plan: plan.clone(),
            halt,
            checkpoint,
            block_time_ms,
        }
        .save(&self.home)?;
        self.home.switch_current(&plan.version)?;
        log(&format!("switched current to versions/{}", plan.version));
        self.status.current_version = Some(plan.version.clone());
        self.status.restarts = 0;
        self.save();
        Ok(())
    }

    /// Step 5's failure: restore if needed, say what to do.
    fn fail_upgrade(
        &self,
        p: &UpgradeInProgress,
        exit: ExitStatus,
        log_path: &Path,
    ) -> anyhow::Error {
        let tag = format!(
            "{}-{}",
            p.to,
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0)
        );
        let data = match restore(&self.config.data_dir, &p.checkpoint, &tag) {
            Ok(Restored::Unchanged) => format!(
                "The data is unchanged at the halt height {} (state root {}), checkpoint intact",
                p.halt.height, p.halt.state_root
            ),
            Ok(Restored::Restored { kept }) => format!(
                "Molt {} had changed the store: the checkpoint of height {} (state root {}) was restored, the changed store kept at {}",
                p.to,
                p.halt.height,
                p.halt.state_root,
                kept.display()
            ),
            Err(e) if e.downcast_ref::<RestoreError>().is_some() => format!("{e:#}"),
            Err(e) => format!(
                "the checkpoint could not be restored: {e:#}; restore {} to {} by hand",
                p.checkpoint.file.display(),
                molt_node::halt::STATE_FILE
            ),
        };
        anyhow!(
            "molt {} failed to start {} times (last: {exit}); see {}. {data}. Fix the cause (the log, its run.toml) or install a fixed binary with `molt-visor add-version {} PATH --force`; then `molt-visor run` resumes the upgrade",
            p.to,
            self.config.max_restarts + 1,
            log_path.display(),
            p.to
        )
    }
}
