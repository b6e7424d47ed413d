//! PostgreSQL's backup through pgBackRest, on a cluster of the test's own:
//! setup says what to add to postgresql.conf and then holds; a backup
//! restores to a moment between two writes; verify passes, and names a
//! file of the archive that was tampered with. Needs PostgreSQL's programs
//! and pgBackRest installed: without them the test fails, it does not skip.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use sunshine_app::backup::{self, pg, ArchiveKind};
use sunshine_store::pg_backup;

/// The cluster's user when the test runs as root (PostgreSQL refuses root):
/// the `postgres` account's uid and gid.
fn cluster_user() -> Option<(u32, u32)> {
    let id = |args: &[&str]| -> u32 {
        let out = Command::new("id").args(args).output().expect("id runs");
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("id {args:?}: {}", String::from_utf8_lossy(&out.stderr)))
    };
    (id(&["-u"]) == 0).then(|| (id(&["-u", "postgres"]), id(&["-g", "postgres"])))
}

/// A PostgreSQL program run as the cluster's user.
fn program(path: &Path) -> Command {
    let mut c = match cluster_user() {
        Some((uid, gid)) => {
            let mut c = Command::new("setpriv");
            c.args([
                format!("--reuid={uid}"),
                format!("--regid={gid}"),
                "--clear-groups".into(),
                "--".into(),
            ])
            .arg(path);
            c
        }
        None => Command::new(path),
    };
    c.current_dir("/");
    c
}

fn give(path: &Path) {
    if let Some((uid, gid)) = cluster_user() {
        std::os::unix::fs::chown(path, Some(uid), Some(gid)).expect("chown");
    }
}

fn succeeds(mut c: Command, what: &str) {
    let out = c
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    assert!(
        out.status.success(),
        "{what}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A cluster of the test's own: no TCP, its socket in a directory of its
/// own. Stopped when dropped, whether the test passed or not.
struct Cluster {
    bin: PathBuf,
    data: PathBuf,
    socket: PathBuf,
    log: PathBuf,
    port: u16,
    running: bool,
}

impl Cluster {
    /// A new cluster in `root/name`.
    fn init(bin: &Path, root: &Path, name: &str) -> Cluster {
        let data = root.join(name);
        std::fs::create_dir_all(&data).expect("a data directory");
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o700)).expect("chmod");
        give(&data);
        let mut initdb = program(&bin.join("initdb"));
        initdb.arg("-D").arg(&data).args([
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ]);
        succeeds(initdb, "initdb");
        Cluster::adopt(bin, root, &data, name)
    }

    /// A data directory made elsewhere (a restore), on a port and socket of its own.
    fn adopt(bin: &Path, root: &Path, data: &Path, name: &str) -> Cluster {
        let socket = root.join(format!("{name}.sock"));
        std::fs::create_dir_all(&socket).expect("a socket directory");
        give(&socket);
        let cluster = Cluster {
            bin: bin.to_path_buf(),
            data: data.to_path_buf(),
            log: root.join(format!("{name}.log")),
            socket,
            port: super::free_port(),
            running: false,
        };
        cluster.configure(&[
            format!("port = {}", cluster.port),
            "listen_addresses = ''".into(),
            format!("unix_socket_directories = '{}'", cluster.socket.display()),
            "fsync = off".into(),
        ]);
        cluster
    }

    fn configure<S: AsRef<str>>(&self, lines: &[S]) {
        use std::io::Write;
        let mut conf = std::fs::OpenOptions::new()
            .append(true)
            .open(self.data.join("postgresql.conf"))
            .expect("postgresql.conf");
        for line in lines {
            writeln!(conf, "{}", line.as_ref()).expect("a setting written");
        }
    }

    fn pg_ctl(&self, action: &str) {
        if !self.log.exists() {
            std::fs::write(&self.log, "").expect("a log");
            give(&self.log);
        }
        let mut c = program(&self.bin.join("pg_ctl"));
        c.arg(action)
            .arg("-D")
            .arg(&self.data)
            .arg("-l")
            .arg(&self.log)
            .args(["-w", "-t", "120", "-m", "fast"]);
        let out = c.output().expect("pg_ctl runs");
        assert!(
            out.status.success(),
            "pg_ctl {action}: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(&self.log).unwrap_or_default()
        );
    }

    fn start(&mut self) {
        self.running = true;
        self.pg_ctl("start");
    }

    fn restart(&mut self) {
        self.pg_ctl("restart");
    }

    fn url(&self) -> String {
        pg_backup::socket_url(&self.socket, self.port, "postgres", "postgres")
    }

    /// Wait until a restored cluster has recovered and been promoted.
    async fn wait_promoted(&self) {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok(mut c) = pg_backup::connect(&self.url()).await {
                if let Ok(false) = pg_backup::in_recovery(&mut c).await {
                    pg_backup::close(c).await;
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "the restored cluster did not finish recovery: {}",
                std::fs::read_to_string(&self.log).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if self.running {
            let _ = program(&self.bin.join("pg_ctl"))
                .arg("stop")
                .arg("-D")
                .arg(&self.data)
                .args(["-w", "-m", "immediate"])
                .output();
        }
    }
}

fn flip_a_byte(path: &Path) {
    let mut bytes = std::fs::read(path).expect("a file to damage");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(path, bytes).expect("damaged");
}

async fn register(app: &sunshine_app::App, n: u32, login: &str) {
    app.register_citizen(sunshine_app::identity::NewApplicant {
        login: login.into(),
        number: super::id_number(n),
        name: "测试".into(),
        password: "long-enough-1".into(),
    })
    .await
    .unwrap_or_else(|e| panic!("registering {login}: {e:?}"));
}

async fn has_account(url: &str, login: &str) -> bool {
    let mut c = pg_backup::connect(url).await.expect("a connection");
    let found = sunshine_store::identity::find_user_by_login(&mut c, login)
        .await
        .expect("a lookup");
    pg_backup::close(c).await;
    found.is_some()
}

#[tokio::test]
async fn pg_backup_restores_to_a_moment_between_two_writes_and_verify_names_a_tampered_file() {
    let bin = pg::postgres_bin_dir(None).unwrap_or_else(|e| panic!("{e:#}"));
    pg::pgbackrest_bin().unwrap_or_else(|e| panic!("{e:#}"));
    let root = std::env::temp_dir().join(format!("sunshine-pg-backup-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).expect("a test directory");
    // The cluster's user reaches its directories through it.
    std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let repo = root.join("backups");

    let mut source = Cluster::init(&bin, &root, "source");
    source.start();
    let url = source.url();

    // Setup first says what is missing and that a restart is needed; with
    // exactly those lines added, it holds.
    let said = format!(
        "{:#}",
        pg::setup(&url, &repo)
            .await
            .expect_err("archiving is not set up yet")
    );
    assert!(said.contains("restart"), "says a restart is needed: {said}");
    let settings: Vec<&str> = said
        .lines()
        .filter(|l| l.starts_with("    "))
        .map(str::trim)
        .collect();
    assert!(
        settings.iter().any(|l| l.starts_with("archive_mode = on"))
            && settings.iter().any(|l| l.starts_with("archive_command = ")),
        "names the settings: {said}"
    );
    source.configure(&settings);
    source.restart();
    let done = pg::setup(&url, &repo)
        .await
        .unwrap_or_else(|e| panic!("setup: {e:#}"));
    eprintln!("setup: {done}");
    assert!(done.contains(pg::STANZA), "{done}");

    // The platform on it, with journal and ledger entries.
    let db = sunshine_store::Db::connect(&url).await.expect("the store");
    db.migrate().await.expect("migrated");
    let app = sunshine_app::App::new(
        db,
        std::sync::Arc::new(sunshine_domain::clock::SystemClock),
        sunshine_domain::calendar::Calendar::shipped(),
        sunshine_app::keys::Kek::random(),
    )
    .await
    .expect("the app");
    sunshine_app::demo::load_with(&app, 0)
        .await
        .expect("the demo");
    let sealer = app.backup_sealer(&[]).await.expect("the platform's sealer");
    let key = sealer.public_key();

    let first = pg::create(&url, &repo, &sealer)
        .await
        .unwrap_or_else(|e| panic!("the first backup: {e:#}"));
    assert_eq!(first.kind, ArchiveKind::Pgbackrest);
    assert_eq!(first.backend, "postgres");
    let extra: pg::PgExtra =
        serde_json::from_value(first.extra.clone().expect("extra")).expect("pgBackRest's facts");
    assert_eq!(extra.backup_type, "full");
    assert!(
        first.row_counts.get("journal").copied().unwrap_or(0) > 0 && first.journal_head.is_some(),
        "the demo's journal is counted: {:?}",
        first.row_counts
    );
    let listed = backup::list(&repo).expect("the archives");
    assert_eq!(
        listed.iter().map(|l| l.id.as_str()).collect::<Vec<_>>(),
        [first.id.as_str()],
        "the archive is listed, pgBackRest's own directories are not"
    );

    // Writes before and after a moment; a second (incremental) backup
    // carries the WAL past it to the repository.
    register(&app, 1, "pitr.before.1").await;
    register(&app, 2, "pitr.before.2").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let moment = jiff::Timestamp::now();
    tokio::time::sleep(Duration::from_millis(300)).await;
    register(&app, 3, "pitr.after.1").await;
    register(&app, 4, "pitr.after.2").await;
    let second = pg::create(&url, &repo, &sealer)
        .await
        .unwrap_or_else(|e| panic!("the second backup: {e:#}"));
    let second_extra: pg::PgExtra =
        serde_json::from_value(second.extra.clone().expect("extra")).expect("facts");
    assert_eq!(second_extra.backup_type, "incr", "a full one exists");
    app.db.close().await;

    // Point in time: the first writes are there, the later ones are not.
    let restored_dir = root.join("restored");
    let restored = pg::restore(&repo, &restored_dir, Some(moment), Some(&key))
        .await
        .unwrap_or_else(|e| panic!("restore to {moment}: {e:#}"));
    assert_eq!(
        restored.archive, first.id,
        "the archive taken before the moment"
    );
    assert_eq!(restored.as_of, moment);
    let mut copy = Cluster::adopt(&bin, &root, &restored_dir, "restored");
    // Its WAL must not reach the repository the test goes on verifying.
    copy.configure(&["archive_mode = off"]);
    copy.start();
    copy.wait_promoted().await;
    for login in ["pitr.before.1", "pitr.before.2"] {
        assert!(
            has_account(&copy.url(), login).await,
            "{login} was written before the moment"
        );
    }
    for login in ["pitr.after.1", "pitr.after.2"] {
        assert!(
            !has_account(&copy.url(), login).await,
            "{login} was written after the moment"
        );
    }
    drop(copy);

    // Verify: everything holds; a second run remembers the restore.
    let archive = repo.join(&first.id);
    let scratch = root.join("scratch");
    let verified = pg::verify(&archive, Some(&key), &scratch, false)
        .await
        .unwrap_or_else(|e| panic!("verify: {e:#}"));
    eprintln!("verified: {verified:?}");
    assert!(verified.base_checked);
    assert_eq!(verified.tables, first.row_counts.len());
    assert_eq!(
        Some(verified.journal_entries as i64),
        first.journal_head.as_ref().map(|h| h.seq),
        "every journal entry up to the restore point checked"
    );
    assert!(
        !scratch.join(format!("{}.pg", first.id)).exists(),
        "the scratch restore is removed"
    );
    let again = pg::verify(&archive, Some(&key), &scratch, false)
        .await
        .unwrap_or_else(|e| panic!("verify again: {e:#}"));
    assert!(!again.base_checked, "the restore is remembered");

    // One byte of a listed file changed: verify names it.
    let listed = &first.files[0];
    let path = archive.join(&listed.path);
    let original = std::fs::read(&path).expect("the listed file");
    flip_a_byte(&path);
    let said = format!(
        "{:#}",
        pg::verify(&archive, Some(&key), &scratch, true)
            .await
            .expect_err("a tampered archive does not verify")
    );
    eprintln!("verify of a tampered manifest: {said}");
    assert!(said.contains(&listed.path), "names {}: {said}", listed.path);

    // A file of the backup itself changed: pgBackRest's own checksums name it.
    std::fs::write(&path, original).expect("put back");
    let damaged = path.with_file_name("pg_data").join("PG_VERSION.zst");
    flip_a_byte(&damaged);
    let said = format!(
        "{:#}",
        pg::verify(&archive, Some(&key), &scratch, true)
            .await
            .expect_err("a damaged backup does not verify")
    );
    eprintln!("verify of a damaged backup: {said}");
    assert!(
        said.contains("pgbackrest verify") && said.contains("PG_VERSION"),
        "names the damaged file: {said}"
    );

    drop(source);
    let _ = std::fs::remove_dir_all(&root);
}
