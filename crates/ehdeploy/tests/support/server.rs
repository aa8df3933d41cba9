//! A server of the tests, run on loopback: a [`Server`] owns a new temporary folder, the child
//! process and its log (in that folder). [`Server::start`] starts the program under coreutils
//! `timeout` (so it can never outlive the tests) on a free port of 127.0.0.1, trying another
//! port should that one be taken before the program binds it, and waits until a probe says it
//! is ready, it exits, or 30 s pass. Dropping it stops the program and removes the folder.
//!
//! It uses only `std`. `support/registry.rs` and `support/prometheus.rs` include it as their
//! own `server` module (`#[path = "server.rs"] mod server;`); each keeps what is its own: the
//! program's configuration and its readiness probe.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::fs::{self, File};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long to wait for a server to be ready.
pub const READY_WITHIN: Duration = Duration::from_secs(30);

/// How many ports [`Server::start`] tries.
const PORT_TRIES: usize = 3;

/// A server's folder, log and process; stopped, and its folder removed, on drop.
pub struct Server {
    /// Its folder: the log, and whatever the server is given.
    pub dir: PathBuf,
    log: PathBuf,
    child: Option<Child>,
}

impl Server {
    /// A server yet to start, with a new, empty folder `ehdeploy-<prefix>-…` under the temp
    /// dir (unique to this process and call) and its log `log` in it.
    pub fn new(prefix: &str, log: &str) -> Server {
        static COUNT: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let dir = std::env::temp_dir().join(format!(
            "ehdeploy-{prefix}-{}-{}-{nanos}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Server {
            log: dir.join(log),
            dir,
            child: None,
        }
    }

    /// What the server has written to its log so far.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Starts `program` on a free port, living at most `max_lifetime` seconds, until `probe`
    /// says it is ready; its port. `configure` is given each port tried, the folder and the
    /// command (`program`, under `timeout`), to write the configuration and add the
    /// arguments. Panics, naming it `what` and with its log, if it cannot be started.
    pub fn start(
        &mut self,
        what: &str,
        program: &Path,
        max_lifetime: u64,
        mut configure: impl FnMut(u16, &Path, &mut Command),
        probe: impl Fn(&SocketAddr) -> bool,
    ) -> u16 {
        // A port is free when asked, but could be taken before the server binds it: try again.
        for _ in 0..PORT_TRIES {
            let port = free_port();
            let mut command = match on_path("timeout") {
                Some(timeout) => {
                    let mut c = Command::new(timeout);
                    c.args(["--kill-after=10", &max_lifetime.to_string()])
                        .arg(program);
                    c
                }
                None => Command::new(program),
            };
            configure(port, &self.dir, &mut command);
            let file = File::create(&self.log).unwrap();
            command
                .stdin(Stdio::null())
                .stdout(file.try_clone().unwrap())
                .stderr(file);
            let child = command
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
            self.child = Some(child);
            match self.wait_ready(port, &probe) {
                Ok(()) => return port,
                Err(why) => {
                    self.stop();
                    let log = self.log();
                    if !log.contains("address already in use") {
                        panic!(
                            "{what} did not start: {why}\n--- {} ---\n{log}",
                            self.dir.display()
                        );
                    }
                }
            }
        }
        panic!(
            "{what} did not start: no free port after {PORT_TRIES} tries\n--- log ---\n{}",
            self.log()
        );
    }

    /// Waits until `probe` of 127.0.0.1:`port` is true, the server exits, or
    /// [`READY_WITHIN`] passes.
    pub fn wait_ready(
        &mut self,
        port: u16,
        probe: impl Fn(&SocketAddr) -> bool,
    ) -> Result<(), String> {
        let started = Instant::now();
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        loop {
            if let Some(child) = self.child.as_mut() {
                if let Some(status) = child.try_wait().unwrap() {
                    return Err(format!("it exited ({status})"));
                }
            }
            if probe(&address) {
                return Ok(());
            }
            if started.elapsed() > READY_WITHIN {
                return Err(format!("not ready within {} s", READY_WITHIN.as_secs()));
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// Stops the server, if it runs: SIGTERM (that `timeout` passes on), at most 10 s for it
    /// to end, then SIGKILL; and reaps it.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .stderr(Stdio::null())
            .status();
        let until = Instant::now() + Duration::from_secs(10);
        while Instant::now() < until {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// Whether `request` (an HTTP/1.0 request) to `address` gets an answer whose first bytes are
/// accepted by `head_ok`, reading `head.len()` bytes: the usual readiness probe.
pub fn http_probe<const N: usize>(
    address: &SocketAddr,
    request: &[u8],
    head_ok: impl Fn(&[u8; N]) -> bool,
) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(address, Duration::from_secs(1)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream.write_all(request).is_err() {
        return false;
    }
    let mut head = [0u8; N];
    stream.read_exact(&mut head).is_ok() && head_ok(&head)
}

/// A port of 127.0.0.1 free now (and closed: nothing listens on it once returned).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The path of `program` on `PATH`, if any.
pub fn on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| {
            use std::os::unix::fs::PermissionsExt;
            fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}
