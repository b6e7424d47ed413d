//! A temporary postgres on a restored data directory, for verification.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use sunshine_store::pg_backup;

use super::programs::{private_dir, RunAs};

/// A postgres of our own on a restored directory: no TCP, its socket in
/// the work directory, its own configuration and `trust` for local
/// connections, no archiving (its WAL must not reach the repository).
/// Stopped when dropped.
pub(super) struct TempServer {
    bin: PathBuf,
    who: RunAs,
    pgdata: PathBuf,
    socket: PathBuf,
    port: u16,
    child: Option<std::process::Child>,
}

impl TempServer {
    pub(super) async fn start(
        bin: &Path,
        who: RunAs,
        work: &Path,
        pgdata: &Path,
        (user, database): (&str, &str),
    ) -> anyhow::Result<TempServer> {
        let socket = work.join("sock");
        private_dir(&socket, who)?;
        let port = free_port()?;
        let socket_file = socket.join(format!(".s.PGSQL.{port}"));
        if socket_file.as_os_str().len() > 100 {
            bail!(
                "{}: too long a path for a unix socket; give a shorter scratch directory",
                socket_file.display()
            );
        }
        let conf = work.join("postgresql.conf");
        let hba = work.join("pg_hba.conf");
        let ident = work.join("pg_ident.conf");
        for (path, text) in [
            (
                &conf,
                "# The verification's own server: see the command line.\n",
            ),
            (&hba, "local all all trust\n"),
            (&ident, ""),
        ] {
            std::fs::write(path, text)?;
            who.give(path)?;
        }
        let log_path = work.join("server.log");
        let log = std::fs::File::create(&log_path)?;
        who.give(&log_path)?;
        let mut command = who.command(&bin.join("postgres"));
        command
            .arg("-D")
            .arg(pgdata)
            .arg("-c")
            .arg(format!("config_file={}", conf.display()))
            .arg("-c")
            .arg(format!("hba_file={}", hba.display()))
            .arg("-c")
            .arg(format!("ident_file={}", ident.display()))
            .arg("-c")
            .arg(format!("port={port}"))
            .arg("-c")
            .arg("listen_addresses=")
            .arg("-c")
            .arg(format!("unix_socket_directories={}", socket.display()))
            .arg("-c")
            .arg("archive_mode=off")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        let child = command
            .spawn()
            .with_context(|| format!("{}: cannot be started", bin.join("postgres").display()))?;
        let mut server = TempServer {
            bin: bin.to_path_buf(),
            who,
            pgdata: pgdata.to_path_buf(),
            socket,
            port,
            child: Some(child),
        };
        server.wait_promoted(&log_path, user, database).await?;
        Ok(server)
    }

    pub(super) fn url(&self, user: &str, database: &str) -> String {
        pg_backup::socket_url(&self.socket, self.port, user, database)
    }

    /// Wait until recovery has reached its target and the server is promoted.
    async fn wait_promoted(
        &mut self,
        log: &Path,
        user: &str,
        database: &str,
    ) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(600);
        let url = self.url(user, database);
        let mut last = String::new();
        while Instant::now() < deadline {
            if let Some(child) = self.child.as_mut() {
                if let Some(status) = child.try_wait()? {
                    self.child = None;
                    bail!(
                        "the restored database's server stopped ({status}) before recovery finished: {}",
                        tail(log)
                    );
                }
            }
            match pg_backup::connect(&url).await {
                Ok(mut c) => match pg_backup::in_recovery(&mut c).await {
                    Ok(false) => {
                        pg_backup::close(c).await;
                        return Ok(());
                    }
                    Ok(true) => last = "still recovering".into(),
                    Err(e) => last = e.to_string(),
                },
                Err(e) => last = e.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        bail!(
            "the restored database did not finish recovery within 10 minutes ({last}): {}",
            tail(log)
        )
    }

    /// Stop the server (fast: open sessions are ended) and wait for it.
    pub(super) fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let mut pg_ctl = self.who.command(&self.bin.join("pg_ctl"));
        pg_ctl
            .arg("stop")
            .arg("-D")
            .arg(&self.pgdata)
            .args(["-m", "fast", "-w", "-t", "60"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if !pg_ctl.status().is_ok_and(|s| s.success()) {
            let _ = child.kill();
        }
        let _ = child.wait();
    }
}

impl Drop for TempServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The last lines of a server's log, for an error.
fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(8)..].join("\n")
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}
