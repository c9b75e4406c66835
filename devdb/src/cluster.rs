//! A private PostgreSQL cluster that lives exactly as long as the process that started it.
//!
//! - PostgreSQL refuses to run as root, so under euid 0 the cluster belongs to the `postgres`
//!   system user and its processes run as that user.
//! - The postmaster gets SIGQUIT (immediate shutdown) when its parent goes away, even by
//!   SIGKILL or a test binary that never runs destructors: the parent-death signal is tied to
//!   the thread that forked, so a dedicated thread forks and stays until postgres exits.
//! - Leftovers of a crashed owner are removed by the next start ([`sweep_stale`]).

use std::fs;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use nix::sys::signal::{Signal, kill};
use nix::unistd::{Gid, Pid, Uid, User, chown};

use crate::binaries::{PgBinaries, find_binaries};

const READY_TIMEOUT: Duration = Duration::from_secs(30);
const STOP_TIMEOUT: Duration = Duration::from_secs(10);
const OWNER_FILE: &str = "owner.pid";
const LOG_FILE: &str = "postgres.log";

#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// Where cluster directories go (e.g. `<workspace>/target/devdb`).
    pub base_dir: PathBuf,
    /// Names the cluster's directory (`server`, `tests`...).
    pub prefix: String,
    /// A port to use when it is free, so a long-running local cluster keeps a stable URL.
    pub preferred_port: Option<u16>,
}

impl ClusterOptions {
    pub fn new(base_dir: impl Into<PathBuf>, prefix: &str) -> Self {
        Self {
            base_dir: base_dir.into(),
            prefix: prefix.to_string(),
            preferred_port: None,
        }
    }

    pub fn preferred_port(mut self, port: u16) -> Self {
        self.preferred_port = Some(port);
        self
    }
}

/// The user the server runs as: ourselves, or `postgres` when we are root.
#[derive(Debug, Clone, Copy)]
struct RunAs {
    uid: Uid,
    gid: Gid,
    switch: bool,
}

impl RunAs {
    fn detect() -> anyhow::Result<Self> {
        if !Uid::effective().is_root() {
            return Ok(Self {
                uid: Uid::effective(),
                gid: Gid::effective(),
                switch: false,
            });
        }
        let user = User::from_name("postgres")
            .context("looking up the postgres user")?
            .context(
                "running as root, and PostgreSQL refuses to run as root: create a `postgres` \
                 system user (the PostgreSQL packages do) or run as an ordinary user",
            )?;
        Ok(Self {
            uid: user.uid,
            gid: user.gid,
            switch: true,
        })
    }

    fn command(&self, program: &Path) -> Command {
        let mut cmd = Command::new(program);
        if self.switch {
            cmd.uid(self.uid.as_raw()).gid(self.gid.as_raw());
        }
        cmd
    }

    fn give(&self, path: &Path) -> anyhow::Result<()> {
        if self.switch {
            chown(path, Some(self.uid), Some(self.gid))
                .with_context(|| format!("chown {}", path.display()))?;
        }
        Ok(())
    }

    /// Whether this user can create files in `dir` (its parents must be traversable too).
    fn can_write(&self, dir: &Path) -> bool {
        if !self.switch {
            return true;
        }
        self.command(Path::new("test"))
            .arg("-w")
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success())
    }
}

/// A running cluster. Stop it with [`Cluster::stop`]; dropping it stops it too.
#[derive(Debug)]
pub struct Cluster {
    root: PathBuf,
    port: u16,
    pid: Pid,
    exited: Option<mpsc::Receiver<()>>,
}

fn free_port(preferred: Option<u16>) -> anyhow::Result<u16> {
    if let Some(port) = preferred
        && TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok()
    {
        return Ok(port);
    }
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

fn unique_dir(base: &Path, prefix: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    base.join(format!("{prefix}-{}-{nanos:08x}", std::process::id()))
}

/// Lines that say why a server stopped answering. After a crash every refused connection adds
/// a line, which pushes these out of a plain tail.
const CRASH_SIGNS: [&str; 5] = [
    "PANIC",
    "terminated by signal",
    "No space left",
    "out of memory",
    "reinitializing",
];

/// The log's first lines that name a crash, then its last lines.
fn log_tail(root: &Path) -> String {
    let text = fs::read_to_string(root.join(LOG_FILE)).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let crash: Vec<&str> = (lines.iter().copied())
        .filter(|line| CRASH_SIGNS.iter().any(|sign| line.contains(sign)))
        .take(20)
        .collect();
    let tail = lines[lines.len().saturating_sub(15)..].join("\n");
    if crash.is_empty() {
        return tail;
    }
    format!("{}\n...\n{tail}", crash.join("\n"))
}

fn initdb(bins: &PgBinaries, run_as: RunAs, data: &Path, root: &Path) -> anyhow::Result<()> {
    let out = run_as
        .command(&bins.initdb())
        .args([
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ])
        .arg("-D")
        .arg(data)
        .current_dir(root)
        .stdin(Stdio::null())
        .output()
        .context("running initdb")?;
    if !out.status.success() {
        bail!(
            "initdb failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// Starts postgres from a thread that lives until postgres exits, so the parent-death signal
/// fires only when this whole process dies. Returns the pid and a channel closed on exit.
fn spawn_postmaster(
    bins: &PgBinaries,
    run_as: RunAs,
    data: &Path,
    root: &Path,
    port: u16,
) -> anyhow::Result<(Pid, mpsc::Receiver<()>)> {
    let log = fs::File::create(root.join(LOG_FILE)).context("creating the server log")?;
    let mut cmd = run_as.command(&bins.postgres());
    cmd.arg("-D")
        .arg(data)
        .args(["-c", "listen_addresses=127.0.0.1"])
        .args(["-c", &format!("port={port}")])
        .args(["-c", "unix_socket_directories="])
        .args(["-c", "fsync=off"])
        .args(["-c", "synchronous_commit=off"])
        .args(["-c", "full_page_writes=off"])
        .args(["-c", "max_connections=400"])
        .args(["-c", "shared_buffers=128MB"])
        .args(["-c", "log_min_messages=warning"])
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    let parent = nix::unistd::getpid();
    // SAFETY: only async-signal-safe calls (prctl, getppid) between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            // std runs this after the uid/gid switch, which would have cleared the setting.
            nix::sys::prctl::set_pdeathsig(Signal::SIGQUIT).map_err(std::io::Error::from)?;
            if nix::unistd::getppid() != parent {
                // The parent died before the signal was armed.
                return Err(std::io::Error::other("parent exited"));
            }
            Ok(())
        });
    }
    let (started_tx, started_rx) = mpsc::channel();
    let (exited_tx, exited_rx) = mpsc::channel::<()>();
    std::thread::Builder::new()
        .name(format!("postgres-{port}"))
        .spawn(move || match cmd.spawn() {
            Ok(mut child) => {
                let _ = started_tx.send(Ok(child.id()));
                let _ = child.wait();
                drop(exited_tx);
            }
            Err(err) => {
                let _ = started_tx.send(Err(err));
            }
        })
        .context("starting the postgres supervisor thread")?;
    let pid = started_rx
        .recv()
        .context("postgres supervisor thread vanished")?
        .context("starting postgres")?;
    let pid = Pid::from_raw(i32::try_from(pid).context("pid out of range")?);
    Ok((pid, exited_rx))
}

fn has_exited(rx: &mpsc::Receiver<()>) -> bool {
    matches!(rx.try_recv(), Err(mpsc::TryRecvError::Disconnected))
}

async fn wait_ready(port: u16, exited: &mpsc::Receiver<()>) -> anyhow::Result<bool> {
    let deadline = Instant::now() + READY_TIMEOUT;
    let url = format!("postgres://postgres@127.0.0.1:{port}/postgres?connect_timeout=2");
    while Instant::now() < deadline {
        if has_exited(exited) {
            return Ok(false);
        }
        if TcpStream::connect_timeout(
            &SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            Duration::from_millis(200),
        )
        .is_ok()
            && let Ok((client, conn)) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await
        {
            let task = tokio::spawn(conn);
            let ok = client.simple_query("SELECT 1").await.is_ok();
            drop(client);
            let _ = task.await;
            if ok {
                return Ok(true);
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("PostgreSQL did not become ready within {READY_TIMEOUT:?}")
}

/// Chooses where cluster directories go: `base` if the server's user can write there,
/// otherwise a directory under the system temp dir (e.g. a checkout under a private /root).
fn usable_base(base: &Path, run_as: RunAs) -> anyhow::Result<PathBuf> {
    fs::create_dir_all(base).with_context(|| format!("creating {}", base.display()))?;
    if !run_as.switch {
        return Ok(base.to_path_buf());
    }
    fs::set_permissions(base, fs::Permissions::from_mode(0o755))?;
    let probe = base.join(format!(".probe-{}", std::process::id()));
    fs::create_dir_all(&probe)?;
    run_as.give(&probe)?;
    let ok = run_as.can_write(&probe);
    let _ = fs::remove_dir(&probe);
    if ok {
        return Ok(base.to_path_buf());
    }
    let fallback = std::env::temp_dir().join("devdb");
    tracing::info!(
        base = %base.display(),
        fallback = %fallback.display(),
        "the postgres user cannot reach the cluster directory; using the temp dir"
    );
    fs::create_dir_all(&fallback)?;
    fs::set_permissions(&fallback, fs::Permissions::from_mode(0o755))?;
    Ok(fallback)
}

impl Cluster {
    /// Initialises and starts a new cluster, after removing stale ones of dead owners.
    pub async fn start(opts: ClusterOptions) -> anyhow::Result<Self> {
        let bins = find_binaries()?;
        let run_as = RunAs::detect()?;
        let base = usable_base(&opts.base_dir, run_as)?;
        sweep_stale(&base);
        let root = unique_dir(&base, &opts.prefix);
        let data = root.join("data");
        fs::create_dir_all(&root)?;
        fs::write(root.join(OWNER_FILE), std::process::id().to_string())?;
        run_as.give(&root)?;
        let started = async {
            initdb(&bins, run_as, &data, &root)?;
            let mut preferred = opts.preferred_port;
            for _ in 0..3 {
                let port = free_port(preferred.take())?;
                let (pid, exited) = spawn_postmaster(&bins, run_as, &data, &root, port)?;
                if wait_ready(port, &exited).await? {
                    return Ok(Self {
                        root: root.clone(),
                        port,
                        pid,
                        exited: Some(exited),
                    });
                }
                // Most likely another process took the port in between: try another.
                tracing::debug!(port, log = %log_tail(&root), "postgres exited at start");
            }
            bail!("PostgreSQL would not start:\n{}", log_tail(&root))
        }
        .await;
        if started.is_err() {
            let _ = fs::remove_dir_all(&root);
        }
        started
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A connection URL for `database` as the superuser `postgres`.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// The cluster's own directory (under the base directory, or under the temp dir when the
    /// server's user cannot enter the base directory).
    pub fn dir(&self) -> &Path {
        &self.root
    }

    /// What the server's log says of a crash, and its last lines.
    pub fn log_tail(&self) -> String {
        log_tail(&self.root)
    }

    /// The postmaster's process id.
    pub fn pid(&self) -> u32 {
        self.pid.as_raw().unsigned_abs()
    }

    /// Stops the postmaster if it runs; the data stays.
    fn halt_blocking(&mut self) {
        let Some(exited) = self.exited.take() else {
            return;
        };
        // SIGINT is PostgreSQL's fast shutdown: disconnect clients, stop cleanly.
        let _ = kill(self.pid, Signal::SIGINT);
        if exited.recv_timeout(STOP_TIMEOUT) != Err(mpsc::RecvTimeoutError::Disconnected) {
            let _ = kill(self.pid, Signal::SIGKILL);
            let _ = exited.recv_timeout(STOP_TIMEOUT);
        }
    }

    fn shutdown(&mut self) {
        self.halt_blocking();
        let _ = fs::remove_dir_all(&self.root);
    }

    /// Stops the server but keeps its data, like an outage: clients are disconnected and
    /// new connections refused until [`Cluster::resume`]. Blocks until the server is gone.
    pub fn halt(&mut self) {
        self.halt_blocking();
    }

    /// Starts a halted server again on the same port with the same data.
    pub async fn resume(&mut self) -> anyhow::Result<()> {
        if self.exited.is_some() {
            return Ok(());
        }
        let bins = find_binaries()?;
        let run_as = RunAs::detect()?;
        let data = self.root.join("data");
        let (pid, exited) = spawn_postmaster(&bins, run_as, &data, &self.root, self.port)?;
        if !wait_ready(self.port, &exited).await? {
            bail!(
                "PostgreSQL would not start again:\n{}",
                log_tail(&self.root)
            );
        }
        self.pid = pid;
        self.exited = Some(exited);
        Ok(())
    }

    /// Stops the server and removes its directory.
    pub async fn stop(mut self) {
        let _ = tokio::task::spawn_blocking(move || self.shutdown()).await;
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn alive(pid: i32) -> bool {
    pid > 0 && kill(Pid::from_raw(pid), None).is_ok()
}

fn read_pid(path: &Path) -> Option<i32> {
    fs::read_to_string(path)
        .ok()?
        .lines()
        .next()?
        .trim()
        .parse()
        .ok()
}

/// Removes cluster directories whose owning process is gone, stopping a postmaster still
/// running from one. Directories of live owners are never touched.
pub fn sweep_stale(base: &Path) {
    let Ok(entries) = fs::read_dir(base) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let dir = entry.path();
        let Some(owner) = read_pid(&dir.join(OWNER_FILE)) else {
            continue;
        };
        if alive(owner) {
            continue;
        }
        let data = dir.join("data");
        if let Some(postmaster) = read_pid(&data.join("postmaster.pid")) {
            // Pids are reused (pid_max can be 32768): only a postmaster working in this very
            // data directory (PostgreSQL changes into it) is stopped, never whatever process
            // holds its old pid now.
            let cwd = fs::read_link(format!("/proc/{postmaster}/cwd")).ok();
            if cwd.is_some() && cwd == fs::canonicalize(&data).ok() {
                let _ = kill(Pid::from_raw(postmaster), Signal::SIGQUIT);
                let deadline = Instant::now() + STOP_TIMEOUT;
                while alive(postmaster) && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
        }
        let _ = fs::remove_dir_all(&dir);
    }
}
