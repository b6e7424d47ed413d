//! Which PostgreSQL and pgBackRest programs to run, and as whom (see the
//! parent module's doc on running as root).

use std::ffi::OsString;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{anyhow, bail, Context};

/// PostgreSQL's programs: `/usr/lib/postgresql/<major>/bin` when `major`
/// is given and installed, else the newest version installed there, else
/// what `pg_config --bindir` names.
pub fn postgres_bin_dir(major: Option<&str>) -> anyhow::Result<PathBuf> {
    let root = Path::new("/usr/lib/postgresql");
    let has_postgres = |dir: &Path| dir.join("postgres").is_file();
    if let Some(major) = major {
        let dir = root.join(major).join("bin");
        if has_postgres(&dir) {
            return Ok(dir);
        }
    }
    let mut installed: Vec<(u32, PathBuf)> = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            has_postgres(&bin).then_some((version, bin))
        })
        .collect();
    installed.sort();
    if let Some((_, bin)) = installed.pop() {
        return Ok(bin);
    }
    if let Ok(out) = std::process::Command::new("pg_config")
        .arg("--bindir")
        .output()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && has_postgres(&dir) {
            return Ok(dir);
        }
    }
    bail!(
        "PostgreSQL's programs are not installed (no /usr/lib/postgresql/*/bin/postgres, no pg_config): install the postgresql package"
    )
}

/// The `pgbackrest` program, found on the PATH.
pub fn pgbackrest_bin() -> anyhow::Result<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_else(|| OsString::from("/usr/bin:/bin"));
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin")])
        .map(|d| d.join("pgbackrest"))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            anyhow!("pgBackRest is not installed (no pgbackrest on the PATH): install the pgbackrest package")
        })
}

/// Whether this process runs as root (its effective uid, from /proc).
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

/// The user pgBackRest and PostgreSQL's programs run as: ourselves, or,
/// when we are root, the (uid, gid) given (see [`super`]'s doc).
#[derive(Debug, Clone, Copy)]
pub(super) struct RunAs(pub(super) Option<(u32, u32)>);

impl RunAs {
    /// As the owner of `path` when we are root; as ourselves otherwise.
    pub(super) fn owner_of(path: &Path) -> anyhow::Result<RunAs> {
        if !is_root() {
            return Ok(RunAs(None));
        }
        let md = std::fs::metadata(path).with_context(|| format!("{}", path.display()))?;
        if md.uid() == 0 {
            bail!(
                "{} belongs to root, and PostgreSQL does not run as root: give it to the database's user (chown -R postgres: {})",
                path.display(),
                path.display()
            );
        }
        Ok(RunAs(Some((md.uid(), md.gid()))))
    }

    pub(super) fn command(&self, program: &Path) -> std::process::Command {
        let mut c = match self.0 {
            Some((uid, gid)) => {
                let mut c = std::process::Command::new("setpriv");
                c.arg(format!("--reuid={uid}"))
                    .arg(format!("--regid={gid}"))
                    .arg("--clear-groups")
                    .arg("--")
                    .arg(program);
                c
            }
            None => std::process::Command::new(program),
        };
        // The user may not be able to enter the caller's directory.
        c.current_dir("/");
        c
    }

    /// Hand a path we created to the user the programs run as.
    pub(super) fn give(&self, path: &Path) -> anyhow::Result<()> {
        if let Some((uid, gid)) = self.0 {
            std::os::unix::fs::chown(path, Some(uid), Some(gid))
                .with_context(|| format!("giving {} to uid {uid}", path.display()))?;
        }
        Ok(())
    }
}

/// Make a directory (mode 0700) that the programs' user owns.
pub(super) fn private_dir(path: &Path, who: RunAs) -> anyhow::Result<()> {
    std::fs::create_dir_all(path).with_context(|| format!("creating {}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))?;
    who.give(path)
}

/// Run a program to the end: its standard output, or an error that says
/// what it said.
pub(super) async fn run(mut command: std::process::Command, what: &str) -> anyhow::Result<String> {
    command.stdin(Stdio::null());
    let out = tokio::process::Command::from(command)
        .output()
        .await
        .with_context(|| format!("{what}: cannot be started"))?;
    if !out.status.success() {
        let said = String::from_utf8_lossy(&out.stderr);
        let said = if said.trim().is_empty() {
            String::from_utf8_lossy(&out.stdout)
        } else {
            said
        };
        bail!("{what} failed ({}): {}", out.status, said.trim());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
