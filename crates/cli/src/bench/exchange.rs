//! `sunshine bench exchange`: the city's platform and Hangzhou's 13
//! districts and counties, each on an embedded store of its own in one
//! process, exchanging through a scratch nats-server (Debian's, started
//! here with JetStream in a temporary directory).
//!
//! Each district journals case entries through its store's writer, so each
//! message is born in its outbox exactly as a clerk's command would leave
//! it. Three measures:
//!
//! - **drain**: with the exchange stopped, each district writes a backlog;
//!   then every exchange starts, and the time until the city has applied
//!   all of it gives the drain rate (what an outage leaves behind);
//! - **throughput**: every district writes as fast as it can while the
//!   exchange runs; events a second from the first write to the city's
//!   last application;
//! - **lag**: every district writes at a steady rate; the time from a
//!   district's journal entry to the city's write that applies it (p50,
//!   p99).

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use sunshine_app::App;
use sunshine_domain::calendar::Calendar;
use sunshine_domain::clock::{to_micros, SystemClock};
use sunshine_domain::exchange::Platform;
use sunshine_domain::identity::OrgKind;
use sunshine_domain::journal::NewEntry;
use sunshine_store::Db;

use super::{percentile, TempDir};

/// A scratch nats-server, stopped when dropped.
struct Nats(Child);

impl Drop for Nats {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

async fn open(dir: std::path::PathBuf) -> anyhow::Result<Arc<App>> {
    let db = Db::open_sqlite(&dir).await?;
    db.migrate().await?;
    let app = App::new(
        db,
        Arc::new(SystemClock),
        Calendar::shipped(),
        sunshine_app::keys::Kek::random(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    sunshine_app::demo::setup_platform(&app)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(app)
}

/// Journal `n` case entries at `district`, numbered from `from`, from
/// `writers` concurrent writers, each entry `pace` after the writer's last
/// (none: as fast as the store takes them).
async fn write(
    app: &Arc<App>,
    district: &str,
    from: usize,
    n: usize,
    writers: usize,
    pace: Option<Duration>,
) -> anyhow::Result<()> {
    let mut tasks = Vec::new();
    for w in 0..writers {
        let (app, district) = (app.clone(), district.to_string());
        tasks.push(tokio::spawn(async move {
            let mut tick = pace.map(tokio::time::interval);
            for i in (w..n).step_by(writers) {
                if let Some(t) = tick.as_mut() {
                    t.tick().await;
                }
                let (subject, org) = (
                    format!("case/2026-{district}-{:06}", from + i),
                    format!("{district}-002"),
                );
                let at = to_micros(jiff::Timestamp::now());
                app.db
                    .write(async move |tx: &mut sunshine_store::WriteTx| {
                        tx.journal(
                            at,
                            NewEntry {
                                actor: "user:bench".into(),
                                org: org.clone(),
                                subject,
                                event_type: "hall.case_submitted",
                                payload: json!({"department": org, "item_id": 1, "channel": "counter"}),
                            },
                        )
                        .await
                    })
                    .await?;
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(())
}

async fn applied(city: &App) -> anyhow::Result<i64> {
    let mut conn = city.db.read().await?;
    Ok(sunshine_store::exchange::applied_count(&mut conn).await?)
}

async fn wait_applied(city: &App, total: i64) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(600);
    while applied(city).await? < total {
        anyhow::ensure!(
            Instant::now() < deadline,
            "the city did not apply every message"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(())
}

pub async fn exchange(backlog: usize, burst: usize, rate: u32, seconds: u64) -> anyhow::Result<()> {
    let tmp = TempDir(
        std::env::temp_dir().join(format!("sunshine-bench-exchange-{}", std::process::id())),
    );
    std::fs::create_dir_all(&tmp.0)?;
    let port = free_port()?;
    let _nats = Nats(
        Command::new("nats-server")
            .args([
                "-js",
                "-sd",
                &tmp.0.join("nats").display().to_string(),
                "-a",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| anyhow::anyhow!("the benchmark starts Debian's nats-server: {e}"))?,
    );
    let url = format!("nats://127.0.0.1:{port}");

    let city = open(tmp.0.join("city")).await?;
    let districts: Vec<String> = city
        .orgs()
        .list
        .iter()
        .filter(|o| matches!(o.kind, OrgKind::District | OrgKind::County))
        .map(|o| o.code.as_str().to_string())
        .collect();
    city.join_platform(Platform::City)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut apps = Vec::new();
    for d in &districts {
        let app = open(tmp.0.join(d)).await?;
        app.join_platform(Platform::District(d.clone()))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let (p, key) = app
            .exchange_key()
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        city.trust_peer_at_deployment(&p.to_string(), &key)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        apps.push((d.clone(), app));
    }
    println!(
        "platforms:   the city and {} districts and counties, each on its own SQLite store",
        apps.len()
    );
    println!("engine:      nats-server (JetStream, file storage) on this machine");

    // The backlog an outage leaves, then drained.
    let t = Instant::now();
    futures_util::future::try_join_all(
        apps.iter()
            .map(|(d, app)| write(app, d, 0, backlog, 16, None)),
    )
    .await?;
    let total = (backlog * apps.len()) as i64;
    println!(
        "backlog:     {total} messages written with the exchange stopped in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let mut exchanges = vec![sunshine_exchange::start(city.clone(), &url, 1).await?];
    let t = Instant::now();
    for (_, app) in &apps {
        exchanges.push(sunshine_exchange::start(app.clone(), &url, 1).await?);
    }
    wait_applied(&city, total).await?;
    let drained = t.elapsed().as_secs_f64();
    println!(
        "drain:       {total} messages in {drained:.2} s = {:.0} messages/s",
        total as f64 / drained
    );

    // As fast as the districts can write.
    let before = applied(&city).await?;
    let t = Instant::now();
    futures_util::future::try_join_all(
        apps.iter()
            .map(|(d, app)| write(app, d, backlog, burst, 16, None)),
    )
    .await?;
    let written = t.elapsed().as_secs_f64();
    let total = (burst * apps.len()) as i64;
    wait_applied(&city, before + total).await?;
    let all = t.elapsed().as_secs_f64();
    println!(
        "throughput:  {total} messages written in {written:.2} s, all applied at the city in {all:.2} s = {:.0} events/s",
        total as f64 / all
    );

    // At a steady rate: the lag from a district's commit to the city's effect.
    let since = to_micros(jiff::Timestamp::now());
    let before = applied(&city).await?;
    let each = (u64::from(rate) * seconds) as usize;
    futures_util::future::try_join_all(apps.iter().map(|(d, app)| {
        write(
            app,
            d,
            backlog + burst,
            each,
            1,
            Some(Duration::from_secs_f64(1.0 / f64::from(rate.max(1)))),
        )
    }))
    .await?;
    let total = (each * apps.len()) as i64;
    wait_applied(&city, before + total).await?;
    let mut lags = {
        let mut conn = city.db.read().await?;
        sunshine_store::exchange::lags_since(&mut conn, since).await?
    };
    lags.sort_unstable();
    let ms = |us: i64| us as f64 / 1000.0;
    println!(
        "lag:         {} messages at {rate}/s from each district ({}/s in all) for {seconds} s: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        lags.len(),
        u64::from(rate) * apps.len() as u64,
        ms(percentile(&lags, 0.50)),
        ms(percentile(&lags, 0.99)),
        ms(lags.last().copied().unwrap_or_default()),
    );
    for e in exchanges {
        e.stop().await;
    }
    city.db.close().await;
    for (_, app) in apps {
        app.db.close().await;
    }
    Ok(())
}
