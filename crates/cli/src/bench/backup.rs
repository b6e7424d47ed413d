//! `sunshine bench backup`: what the platform's backup costs. On a kept
//! store (e.g. a peak day of transit, `bench transit --keep DIR`): the time
//! to archive it, beside `sqlite3 .backup` on the same file, to verify the
//! archive (first and again), and to restore it (the RTO). Then, on a fresh
//! demo serving Open311 POSTs at full rate with a continuous backup: the
//! RPO achieved, and a restore that holds every acknowledged request.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use sunshine_app::backup::{self, Opener};
use sunshine_app::App;
use sunshine_store::Db;

use super::{app_err, TempDir};
use crate::Cli;

fn gib(bytes: u64) -> String {
    format!("{:.2} GiB", bytes as f64 / (1u64 << 30) as f64)
}

fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

fn dir_bytes(p: &Path) -> u64 {
    walk(p)
        .iter()
        .filter_map(|f| f.metadata().ok())
        .map(|m| m.len())
        .sum()
}

fn walk(p: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    for e in std::fs::read_dir(p).into_iter().flatten().flatten() {
        let path = e.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

async fn open(data: &Path, replicated: bool) -> anyhow::Result<Arc<App>> {
    let db = if replicated {
        Db::open_sqlite_replicated(data).await?
    } else {
        Db::open_sqlite(data).await?
    };
    db.migrate().await?;
    let kek = match std::fs::read_to_string(data.join("key-encryption-key")) {
        Ok(hex) => sunshine_app::keys::Kek::from_hex(&hex)?,
        Err(_) => sunshine_app::keys::Kek::from_bytes([9; 32]),
    };
    App::new(
        db,
        Arc::new(sunshine_domain::clock::SystemClock),
        sunshine_domain::calendar::Calendar::shipped(),
        kek,
    )
    .await
    .map_err(app_err)
}

pub(super) async fn backup(
    _cli: &Cli,
    store: Option<&Path>,
    seconds: u64,
    clients: usize,
) -> anyhow::Result<()> {
    if let Some(store) = store {
        on_store(store).await?;
    }
    // The same load without a backup first: what the backup costs the writer.
    under_load(seconds, clients, false).await?;
    under_load(seconds, clients, true).await
}

/// Archive, verify and restore a kept store, with `sqlite3 .backup` beside.
async fn on_store(store: &Path) -> anyhow::Result<()> {
    let file = store.join("sunshine.db");
    let size = std::fs::metadata(&file)
        .with_context(|| format!("{}: no store", file.display()))?
        .len();
    let work = store
        .parent()
        .unwrap_or(Path::new("."))
        .join(format!("sunshine-bench-backup-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    let _cleanup = TempDir(work.clone());
    println!("store {}: {}", file.display(), gib(size));

    let peer = work.join("peer.db");
    let started = Instant::now();
    let peer_ran = std::process::Command::new("sqlite3")
        .arg(&file)
        .arg(format!(".backup '{}'", peer.display()))
        .status();
    match peer_ran {
        Ok(s) if s.success() => println!("sqlite3 .backup: {}", secs(started.elapsed())),
        Ok(s) => println!("sqlite3 .backup failed: {s}"),
        Err(e) => println!("sqlite3 .backup: not installed ({e})"),
    }
    let _ = std::fs::remove_file(&peer);
    let _ = std::process::Command::new("sync").status();

    let app = open(store, false).await?;
    let sealer = app.backup_sealer(&[]).await.map_err(app_err)?;
    app.db.close().await;
    let archives = work.join("archives");
    let started = Instant::now();
    let manifest = tokio::task::spawn_blocking({
        let (file, archives, scratch) = (file.clone(), archives.clone(), work.join("scratch"));
        move || backup::archive::create_snapshot(&file, &archives, &scratch, &sealer)
    })
    .await??;
    let create = started.elapsed();
    println!(
        "sunshine backup create: {} ({} rows in {} tables counted, signed)",
        secs(create),
        manifest.row_counts.values().sum::<i64>(),
        manifest.row_counts.len()
    );
    let archive = archives.join(&manifest.id);
    let scratch = work.join("verify");
    for (n, full) in [(1, true), (2, false)] {
        let started = Instant::now();
        let v = backup::restore::verify_sqlite(&archive, &Opener::default(), None, &scratch, full)
            .await?;
        println!(
            "sunshine backup verify ({}): {} — journal {} entries, ledger {}",
            if n == 1 { "first" } else { "again" },
            secs(started.elapsed()),
            v.journal_entries,
            v.ledger
        );
    }
    let _ = std::fs::remove_dir_all(&scratch);
    let started = Instant::now();
    let restored = tokio::task::spawn_blocking({
        let (archive, into) = (archive.clone(), work.join("restored"));
        move || backup::restore::restore_sqlite(&archive, &into, None, &Opener::default(), None)
    })
    .await??;
    println!(
        "sunshine backup restore (RTO, integrity check included): {} (as of {})",
        secs(started.elapsed()),
        restored.as_of
    );
    Ok(())
}

/// A fresh demo, with a continuous backup when `backed_up`, under Open311
/// POSTs at full rate.
async fn under_load(seconds: u64, clients: usize, backed_up: bool) -> anyhow::Result<()> {
    let work = std::env::temp_dir().join(format!("sunshine-bench-rpo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    let _cleanup = TempDir(work.clone());
    let app = open(&work.join("data"), backed_up).await?;
    sunshine_app::demo::load_with(&app, 0)
        .await
        .map_err(app_err)?;
    if backed_up {
        start_continuous_backup(&app, &work).await?;
    }
    let (_, key) = app
        .issue_open311_key(None, "bench", 1_000_000, false)
        .await
        .map_err(app_err)?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}/open311/v2/requests.json", listener.local_addr()?);
    let server = tokio::spawn(sunshine_web::serve_with(
        app.clone(),
        listener,
        sunshine_web::WebConfig::default(),
    ));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let client = reqwest::Client::new();
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..clients {
        let (client, base, key) = (client.clone(), base.clone(), key.clone());
        tasks.spawn(post_until(client, base, key, c, deadline));
    }
    let load = Instant::now();
    let mut worst_recent = Duration::ZERO;
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if let Some(s) = app.db.replica_status() {
            worst_recent = worst_recent.max(s.rpo_recent);
        }
    }
    let mut acked = vec![];
    while let Some(done) = tasks.join_next().await {
        acked.extend(done??);
    }
    let took = load.elapsed();
    let status = app.db.replica_status().unwrap_or_default();
    server.abort();
    app.db.close().await;
    println!(
        "Open311 POSTs at full rate ({clients} clients, {}, {}): {} acknowledged, {:.0} a second",
        secs(took),
        if backed_up {
            "continuous backup"
        } else {
            "no backup"
        },
        acked.len(),
        acked.len() as f64 / took.as_secs_f64()
    );
    if !backed_up {
        return Ok(());
    }
    println!(
        "RPO achieved under that load (longest wait from commit to durable in the backup): {} ms; {} segments, {} shipped",
        worst_recent.max(status.rpo_worst).as_millis(),
        status.segments,
        gib(status.bytes_shipped)
    );
    check_restore(&work, &acked)
}

/// Start the continuous backup into `work`, and wait (up to two minutes)
/// for its first base to be sealed.
async fn start_continuous_backup(app: &Arc<App>, work: &Path) -> anyhow::Result<()> {
    app.start_backup(backup::service::BackupConfig {
        root: work.join("backup"),
        recipients: vec![],
        opener: Opener::default(),
        plan: Default::default(),
        schedule: Default::default(),
        drill_every: Duration::from_secs(24 * 3600),
        scratch: work.join("drill"),
    })
    .await
    .map_err(app_err)?;
    let sealed = Instant::now();
    while app
        .db
        .replica_status()
        .is_none_or(|s| s.base_sealed_us.is_none())
    {
        if sealed.elapsed() > Duration::from_secs(120) {
            bail!("the first base was not sealed");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

/// Client `c`'s Open311 POSTs, one after another until `deadline`: the
/// ids of the requests acknowledged.
async fn post_until(
    client: reqwest::Client,
    base: String,
    key: String,
    c: usize,
    deadline: Instant,
) -> anyhow::Result<Vec<String>> {
    let mut ids = vec![];
    let mut n = 0u64;
    while Instant::now() < deadline {
        n += 1;
        let r = client
            .post(&base)
            .form(&[
                ("api_key", key.as_str()),
                ("service_code", "streetlight.out"),
                ("lat", "30.2803"),
                ("long", "120.1303"),
                ("description", &format!("基准 {c}-{n} 路灯不亮")),
            ])
            .send()
            .await?;
        if r.status() != reqwest::StatusCode::CREATED {
            bail!("a POST was refused: {} {}", r.status(), r.text().await?);
        }
        let v: serde_json::Value = r.json().await?;
        ids.push(
            v[0]["service_request_id"]
                .as_str()
                .unwrap_or("")
                .to_string(),
        );
    }
    Ok(ids)
}

/// Restore the backup in `work` and check that every acknowledged request
/// is in it.
fn check_restore(work: &Path, acked: &[String]) -> anyhow::Result<()> {
    let restored = work.join("restored");
    let r = backup::restore::restore_sqlite(
        &work.join("backup"),
        &restored,
        None,
        &Opener::default(),
        None,
    )?;
    let db = rusqlite::Connection::open(restored.join("sunshine.db"))?;
    let mut missing = 0;
    for id in acked {
        let n: i64 = db.query_row(
            "SELECT count(*) FROM hotline_tickets WHERE id = ?1",
            [id.parse::<i64>().unwrap_or(-1)],
            |r| r.get(0),
        )?;
        missing += usize::from(n != 1);
    }
    drop(db);
    println!(
        "restored as of {}: {} of {} acknowledged requests present; backup on disk {}",
        r.as_of,
        acked.len() - missing,
        acked.len(),
        gib(dir_bytes(&work.join("backup")))
    );
    if missing > 0 {
        bail!("{missing} acknowledged requests are not in the backup");
    }
    Ok(())
}
