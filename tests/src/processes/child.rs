//! One child process of the suite: started, killed with `kill -9`, stopped gracefully.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Once;
use std::time::Duration;

/// A free loopback port for a child to bind, below the kernel's ephemeral range
/// (`ip_local_port_range`, 32768–60999 by default). A port taken by binding port 0 and
/// released is an ephemeral one: until the child binds it, any outgoing connection of the
/// busy suite (a pool's, a client's) may be given it, and the child exits with "Address
/// already in use" (the likely cause of complaints exiting at start in one CI run, whose log
/// tail held only the backtrace). Ports below the range are never handed out that way; a
/// random one that binds now is free unless another test picks the same one in the same
/// instant.
pub(crate) fn free_port() -> u16 {
    const LOW: u16 = 20_000;
    const HIGH: u16 = 32_768;
    for _ in 0..1_000 {
        let bytes = *uuid::Uuid::new_v4().as_bytes();
        let port = LOW + u16::from_le_bytes([bytes[0], bytes[1]]) % (HIGH - LOW);
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free loopback port in {LOW}..{HIGH}")
}

/// Builds the five binaries once per test process (a no-op when they are fresh) and returns
/// the directory holding them: the profile directory above this test's `deps/`.
fn binaries() -> PathBuf {
    static BUILD: Once = Once::new();
    let exe = std::env::current_exe().expect("test executable");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>")
        .to_owned();
    BUILD.call_once(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let status = Command::new(cargo)
            .args(["build", "--bins", "--quiet"])
            .current_dir(workspace)
            .env("CARGO_TARGET_DIR", dir.parent().expect("target dir"))
            .status()
            .expect("cargo build --bins runs");
        assert!(status.success(), "cargo build --bins failed");
    });
    dir
}

/// One of the five processes: how to start it again, and the running child.
pub struct Proc {
    pub name: &'static str,
    pub port: u16,
    pub database_url: String,
    pub log: PathBuf,
    pub(crate) env: Vec<(String, String)>,
    pub(crate) child: Option<Child>,
}

impl Proc {
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Starts the process, appending its stdout and stderr to its log file.
    pub fn start(&mut self) {
        assert!(self.child.is_none(), "{} already running", self.name);
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("log file");
        let err = log.try_clone().expect("log file");
        let child = Command::new(binaries().join(format!("kuaidi-{}", self.name)))
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", self.name));
        self.child = Some(child);
    }

    /// `kill -9`: no drain, no outbox flush.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM, then waits (without blocking the runtime, whose proxies the process may still
    /// be talking through) for a graceful exit; `kill -9` after 30 s.
    pub async fn stop(&mut self) {
        let Some(child) = self.child.as_mut() else {
            return;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        for _ in 0..300 {
            if self.exited() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.kill9();
    }

    /// Whether the process has exited (it should not have).
    pub fn exited(&mut self) -> bool {
        self.child
            .as_mut()
            .is_none_or(|c| c.try_wait().ok().flatten().is_some())
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// The end of a process's log, and before it the error that stopped it: a process that exits
/// prints `Error: ...` (or a panic) and then a backtrace longer than the tail.
pub(crate) fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let from = lines.len().saturating_sub(40);
    let cause = lines[..from]
        .iter()
        .rposition(|l| l.starts_with("Error: ") || l.contains("panicked at"));
    let mut shown = Vec::new();
    if let Some(at) = cause {
        let until = (at + 12).min(from);
        shown.extend_from_slice(&lines[at..until]);
        shown.push("[...]");
    }
    shown.extend_from_slice(&lines[from..]);
    shown.join("\n")
}
