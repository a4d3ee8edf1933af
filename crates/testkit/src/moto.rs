//! `moto_server` (PyPI `moto[server]`: S3 without signature checks) on a free loopback port: the
//! S3-compatible endpoint that backs a Region in the storage and end-to-end suites.
//!
//! The binary is `$MOTO_SERVER_BIN`, else `moto_server` on `PATH` (`deploy/local/test` installs
//! it). It runs under a watchdog shell that stops it once the test process is gone, so a server
//! held in a `static` (never dropped) or left by a panicking test does not outlive the tests.

use std::{
    io::{Read as _, Write as _},
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// How long moto may take to answer (it imports slowly).
const START_TIMEOUT: Duration = Duration::from_secs(30);

pub struct MotoServer {
    watchdog: Child,
    pub port: u16,
}

impl MotoServer {
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts the server and waits until it answers HTTP. Blocks (briefly) the calling thread.
    pub fn start() -> Result<MotoServer, String> {
        let bin = binary()?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("probing for a free port: {e}"))?
            .port();
        let script = r#""$1" -H 127.0.0.1 -p "$2" >/dev/null 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; exit 0' TERM
while kill -0 "$3" 2>/dev/null && kill -0 "$server" 2>/dev/null; do sleep 1; done
kill "$server" 2>/dev/null"#;
        let watchdog = Command::new("sh")
            .args(["-c", script, "moto-watchdog"])
            .arg(&bin)
            .arg(port.to_string())
            .arg(std::process::id().to_string())
            .stdin(Stdio::null())
            .spawn()
            .map_err(|e| format!("spawning {}: {e}", bin.display()))?;
        let mut server = MotoServer { watchdog, port };
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(Some(status)) = server.watchdog.try_wait() {
                return Err(format!("{} exited with {status}", bin.display()));
            }
            if answers_http(port) {
                return Ok(server);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "{} did not answer on port {port} within {START_TIMEOUT:?}",
                    bin.display()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for MotoServer {
    /// The watchdog stops the server when told to (SIGTERM).
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg(self.watchdog.id().to_string())
            .status();
        let _ = self.watchdog.wait();
    }
}

fn binary() -> Result<PathBuf, String> {
    std::env::var_os("MOTO_SERVER_BIN")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
                .map(|d| d.join("moto_server"))
                .find(|p| p.is_file())
        })
        .ok_or_else(|| {
            "no moto_server found: set MOTO_SERVER_BIN or `pip install 'moto[server]'` \
             (deploy/local/test installs it)"
                .to_owned()
        })
}

fn answers_http(port: u16) -> bool {
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET / HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut buf = [0u8; 7];
    s.read_exact(&mut buf).is_ok() && buf.starts_with(b"HTTP/1.")
}
