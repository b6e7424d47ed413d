//! `sunshine bench`: measured throughput of journaled writes. Run from a
//! release build; the method and results are recorded in docs/BENCHMARKS.md.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

mod backup;
mod card;
mod exchange;
mod linkage;
mod registry;

use clap::Subcommand;
use sunshine_app::App;
use sunshine_domain::catalog::{ItemSpec, WorkflowStep};
use sunshine_domain::hall::Applicant;
use sunshine_domain::hall::CaseCommand;
use sunshine_domain::identity::{Actor, OrgKind, Organisation};
use sunshine_domain::ids::{OrgCode, ResidentId};
use sunshine_store::Db;

use crate::Cli;

#[derive(Subcommand, Clone)]
pub enum BenchCommand {
    /// Catalogue commands per second: items created and taken through the
    /// whole workflow (5 journaled commands each) by concurrent clients, on a
    /// fresh store (a temporary SQLite file, or a scratch PostgreSQL
    /// database beside --database-url).
    Catalog {
        /// Items to take through the workflow.
        #[arg(long, default_value_t = 2000)]
        items: usize,
        /// Concurrent clients.
        #[arg(long, default_value_t = 8)]
        clients: usize,
    },
    /// The two-level platform: the city and Hangzhou's 13 districts and
    /// counties, each on a store of its own, exchanging through a scratch
    /// nats-server (Debian's): the drain rate of a backlog, events a second
    /// at full speed, and the lag from a district's commit to the city's
    /// effect at a steady rate.
    Exchange {
        /// Messages each district writes while the exchange is stopped.
        #[arg(long, default_value_t = 5000)]
        backlog: usize,
        /// Messages each district writes as fast as it can.
        #[arg(long, default_value_t = 5000)]
        burst: usize,
        /// Messages a second each district writes for the lag.
        #[arg(long, default_value_t = 50)]
        rate: u32,
        /// For how many seconds.
        #[arg(long, default_value_t = 20)]
        seconds: u64,
    },
    /// Durable case transitions per second: cases registered at the counter,
    /// then each taken through accept, claim, approve (which signs its
    /// e-licence) and deliver (4 journaled transitions) by concurrent
    /// clients, on a fresh store as for `catalog`.
    Hall {
        /// Cases to take through the four transitions.
        #[arg(long, default_value_t = 5000)]
        cases: usize,
        /// Concurrent clients.
        #[arg(long, default_value_t = 64)]
        clients: usize,
    },
    /// Durable transfers per second through the citizen card's engine:
    /// requests of `batch` transfers from concurrent clients, each answered
    /// once durable; then single taps' latency; then the ledger's check. On
    /// PostgreSQL, a plain SQL ledger that locks and updates account rows per
    /// transfer runs after it on the same server, as the peer.
    Ledger {
        #[arg(long, default_value_t = 2_000_000)]
        transfers: usize,
        /// Transfers a request carries.
        #[arg(long, default_value_t = 100)]
        batch: usize,
        #[arg(long, default_value_t = 64)]
        clients: usize,
        /// Wallets the transfers are drawn from.
        #[arg(long, default_value_t = 100_000)]
        accounts: u64,
    },
    /// A synthetic peak day of transit replayed through the card engine:
    /// validators upload their day's taps in batches.
    Transit {
        #[arg(long, default_value_t = 6_000_000)]
        taps: usize,
        #[arg(long, default_value_t = 50_000)]
        terminals: usize,
        #[arg(long, default_value_t = 200_000)]
        cards: u64,
        /// Taps an upload carries.
        #[arg(long, default_value_t = 100)]
        upload: usize,
        /// Validators uploading at once.
        #[arg(long, default_value_t = 64)]
        clients: usize,
        /// Days replayed one after the other, each of `--taps` taps: a
        /// longer history, to show a restart and memory do not grow with it.
        #[arg(long, default_value_t = 1)]
        days: usize,
        /// Keep the store afterwards in this directory (for `bench backup --store`).
        #[arg(long)]
        keep: Option<std::path::PathBuf>,
    },
    /// A start of the card engine on the store at --data (or
    /// --database-url), e.g. what `bench transit --keep` left: the books
    /// opened from the newest snapshot and the transfers after it, as a
    /// restarted process opens them, with the time it took and the
    /// process's resident memory.
    Reopen,
    /// The platform's own backup: on a kept store (`--store`, e.g. what
    /// `bench transit --keep` left), archive, verify and restore times beside
    /// `sqlite3 .backup`; then the RPO achieved on a demo serving Open311
    /// POSTs at full rate with a continuous backup.
    Backup {
        /// The data directory of a store to archive, verify and restore.
        #[arg(long)]
        store: Option<std::path::PathBuf>,
        /// Seconds of Open311 POSTs at full rate.
        #[arg(long, default_value_t = 30)]
        seconds: u64,
        /// Concurrent Open311 clients.
        #[arg(long, default_value_t = 32)]
        clients: usize,
    },
    /// Supervision's timer: open cases whose deadlines spread over a year in
    /// the due-time index; the cost of a tick with nothing due and with a
    /// day's deadlines due, the lag from a deadline to its signal on the
    /// system clock, and the time to grade a quarter.
    Supervision {
        /// Open cases (four deadlines each) in the index.
        #[arg(long, default_value_t = 100_000)]
        cases: usize,
    },
    /// The registry's import at a city's scale: generated persons in
    /// `--districts` districts, imported by each district's registrar in
    /// files of `--file-rows` rows (all rows or none each), with the time,
    /// the rows a second and the process's memory; then single persons
    /// arriving in the last district, each imported and scored against
    /// its records in the store, with the latency.
    RegistryImport {
        #[arg(long, default_value_t = 8_000_000)]
        persons: usize,
        #[arg(long, default_value_t = 8)]
        districts: usize,
        #[arg(long, default_value_t = 100_000)]
        file_rows: usize,
        /// Single persons imported at the end, each a file of one row.
        #[arg(long, default_value_t = 200)]
        arriving: usize,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
    /// The registry's duplicate finding on a generated district: a
    /// million persons held with their blocks, a full re-link and its F1
    /// against the generated truth, and records scored as they arrive.
    Linkage {
        #[arg(long, default_value_t = 1_000_000)]
        persons: usize,
        /// The share of persons with a second record.
        #[arg(long, default_value_t = 0.15)]
        duplicates: f64,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Records scored as they arrive (second records held back from
        /// the district, and as many new persons).
        #[arg(long, default_value_t = 10_000)]
        arriving: usize,
    },
}

pub async fn run(cli: &Cli, cmd: &BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Catalog { items, clients } => catalog(cli, *items, *clients).await,
        BenchCommand::Hall { cases, clients } => hall(cli, *cases, *clients).await,
        BenchCommand::Exchange {
            backlog,
            burst,
            rate,
            seconds,
        } => exchange::exchange(*backlog, *burst, *rate, *seconds).await,
        BenchCommand::Supervision { cases } => supervision(cli, *cases).await,
        BenchCommand::Linkage {
            persons,
            duplicates,
            seed,
            arriving,
        } => linkage::linkage(*persons, *duplicates, *seed, *arriving),
        BenchCommand::RegistryImport {
            persons,
            districts,
            file_rows,
            arriving,
            seed,
        } => {
            let shape = registry::Shape {
                persons: *persons,
                districts: (*districts).clamp(1, registry::DISTRICTS.len()),
                file_rows: (*file_rows).max(1),
                arriving: *arriving,
                seed: *seed,
            };
            registry::import(cli, shape).await
        }
        BenchCommand::Ledger {
            transfers,
            batch,
            clients,
            accounts,
        } => card::ledger(cli, *transfers, *batch, *clients, *accounts).await,
        BenchCommand::Transit {
            taps,
            terminals,
            cards,
            upload,
            clients,
            days,
            keep,
        } => {
            let shape = card::Shape {
                taps: *taps,
                days: (*days).max(1),
                terminals: *terminals,
                cards: *cards,
                upload: *upload,
                clients: *clients,
            };
            card::transit(cli, shape, keep.as_deref()).await
        }
        BenchCommand::Reopen => card::reopen(cli).await,
        BenchCommand::Backup {
            store,
            seconds,
            clients,
        } => backup::backup(cli, store.as_deref(), *seconds, *clients).await,
    }
}

fn app_err(e: sunshine_app::AppError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

fn org(
    code: &str,
    name: &str,
    kind: OrgKind,
    parent: Option<&str>,
) -> anyhow::Result<Organisation> {
    Ok(Organisation {
        code: OrgCode::parse(code)?,
        name: name.into(),
        name_en: name.into(),
        kind,
        parent: parent.map(OrgCode::parse).transpose()?,
    })
}

const DEPARTMENT: &str = "330100-001";

fn item(n: usize) -> anyhow::Result<ItemSpec> {
    let mut spec: ItemSpec =
        serde_json::from_str(include_str!("../../web/tests/fixtures/item.json"))?;
    spec.code = format!("XK-{:05}-{:03}", 10_000 + n / 1000, n % 1000);
    spec.name = format!("基准测试事项{n}");
    spec.region = "330100".parse::<String>()?.try_into()?;
    spec.level = sunshine_domain::catalog::Level::City;
    spec.implementing_body = OrgCode::parse(DEPARTMENT)?;
    spec.accepting_body = OrgCode::parse(DEPARTMENT)?;
    spec.deciding_body = OrgCode::parse(DEPARTMENT)?;
    Ok(spec)
}

/// A fresh platform to measure on: a city, one department, and staff with
/// the roles given (login, role, organisation).
struct Platform {
    app: Arc<App>,
    backend: &'static str,
    scratch: Option<(String, String)>,
    admin: Actor,
    staff: Vec<Actor>,
    _tmp: Option<TempDir>,
    /// Seals the store's signing keys (kept beside a kept store).
    kek: sunshine_app::keys::Kek,
}

/// A temporary directory removed when dropped.
struct TempDir(std::path::PathBuf);

fn copy_dir(from: &std::path::Path, to: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        std::fs::copy(e.path(), to.join(e.file_name()))?;
    }
    Ok(())
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Platform {
    async fn new(cli: &Cli, staff: &[(&str, &str, &str)]) -> anyhow::Result<Platform> {
        Platform::with_units(cli, &[], staff).await
    }

    /// A platform with `units` (code, name, kind) under the city besides
    /// the bench's department, and `staff` (login, role, unit).
    async fn with_units(
        cli: &Cli,
        units: &[(String, String, OrgKind)],
        staff: &[(&str, &str, &str)],
    ) -> anyhow::Result<Platform> {
        let (db, backend, scratch, tmp) = match &cli.database_url {
            Some(admin) => {
                let url =
                    sunshine_store::db::create_scratch_database(admin, "sunshine_bench").await?;
                (
                    Db::connect(&url).await?,
                    "PostgreSQL",
                    Some((admin.clone(), url)),
                    None,
                )
            }
            None => {
                let dir =
                    std::env::temp_dir().join(format!("sunshine-bench-{}", std::process::id()));
                let _ = std::fs::remove_dir_all(&dir);
                (
                    Db::open_sqlite(&dir).await?,
                    "SQLite",
                    None,
                    Some(TempDir(dir)),
                )
            }
        };
        db.migrate().await?;
        let kek = sunshine_app::keys::Kek::random();
        let app = App::new(
            db,
            Arc::new(sunshine_domain::clock::SystemClock),
            sunshine_domain::calendar::Calendar::shipped(),
            kek.clone(),
        )
        .await
        .map_err(app_err)?;
        let mut orgs = vec![
            org("330100", "杭州市人民政府", OrgKind::City, None)?,
            org(
                DEPARTMENT,
                "基准测试局",
                OrgKind::Department,
                Some("330100"),
            )?,
        ];
        for (code, name, kind) in units {
            orgs.push(org(code, name, *kind, Some("330100"))?);
        }
        app.bootstrap_orgs(&orgs).await.map_err(app_err)?;
        let admin = app
            .bootstrap_admin("bench.admin", "管理员", &orgs[0].code, "bench-password")
            .await
            .map_err(app_err)?;
        let mut actors = vec![];
        for (login, role, org) in staff {
            let new = sunshine_app::identity::NewStaff {
                login: (*login).into(),
                display_name: (*login).into(),
                org: (*org).into(),
                password: "bench-password".into(),
                roles: vec![(*role).into()],
            };
            app.create_staff(&admin, new).await.map_err(app_err)?;
            actors.push(app.staff_actor(login).await.map_err(app_err)?);
        }
        Ok(Platform {
            app,
            backend,
            scratch,
            admin,
            staff: actors,
            _tmp: tmp,
            kek,
        })
    }

    async fn finish(self) -> anyhow::Result<()> {
        self.finish_keeping(None).await
    }

    /// Close the store; with `keep`, move an embedded store there instead
    /// of removing it (with the key file that opens its signing keys).
    async fn finish_keeping(mut self, keep: Option<&std::path::Path>) -> anyhow::Result<()> {
        self.app.db.close().await;
        if let Some((admin, url)) = self.scratch.take() {
            sunshine_store::db::drop_database(&admin, &url).await?;
        }
        if let (Some(keep), Some(tmp)) = (keep, self._tmp.take()) {
            if keep.exists() {
                anyhow::bail!("{} exists: --keep wants a new directory", keep.display());
            }
            std::fs::rename(&tmp.0, keep)
                .or_else(|_| copy_dir(&tmp.0, keep))
                .map_err(|e| anyhow::anyhow!("keeping the store in {}: {e}", keep.display()))?;
            std::fs::write(keep.join("key-encryption-key"), self.kek.to_hex())?;
            println!("store kept in {}", keep.display());
        }
        Ok(())
    }
}

/// Run `work` on each share of `inputs` in its own task (one per client)
/// and collect every command's latency and the wall time.
async fn drive<I, F, Fut>(
    inputs: Vec<I>,
    clients: usize,
    work: F,
) -> anyhow::Result<(Vec<Duration>, Duration)>
where
    I: Clone + Send + 'static,
    F: Fn(Vec<I>) -> Fut,
    Fut: Future<Output = anyhow::Result<Vec<Duration>>> + Send + 'static,
{
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for share in inputs.chunks(inputs.len().div_ceil(clients.max(1)).max(1)) {
        tasks.spawn(work(share.to_vec()));
    }
    let mut latencies = vec![];
    while let Some(done) = tasks.join_next().await {
        latencies.extend(done??);
    }
    let elapsed = start.elapsed();
    latencies.sort();
    Ok((latencies, elapsed))
}

/// The CPU time this process has used so far, all threads (Linux only):
/// on a shared machine it says what a command costs when wall time cannot.
/// The process's resident memory now and at its peak, bytes (Linux).
fn resident_memory() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|k| k * 1024)
    };
    Some((kib("VmRSS:")?, kib("VmHWM:")?))
}

fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name, which is in parentheses.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // The kernel reports in USER_HZ, which is 100 on Linux.
    Some(Duration::from_millis(ticks * 10))
}

/// Print what a run measured: `unit`s per second and the latency percentiles.
fn report(unit: &str, latencies: &[Duration], elapsed: Duration) {
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
            .as_secs_f64()
            * 1e3
    };
    let label = format!("{unit}:");
    let per_second = format!("{unit}/second:");
    println!("{label:<20}{}", latencies.len());
    println!("{:<20}{:.2} s", "wall time:", elapsed.as_secs_f64());
    println!(
        "{per_second:<20}{:.0}",
        latencies.len() as f64 / elapsed.as_secs_f64()
    );
    println!(
        "{:<20}{:.2} ms / {:.2} ms",
        "latency p50/p99:",
        pct(0.50),
        pct(0.99)
    );
}

/// The staff of a bench platform: login, role, organisation.
const STAFF: [(&str, &str, &str); 4] = [
    ("bench.editor", "catalog_editor", DEPARTMENT),
    ("bench.reviewer", "legal_reviewer", "330100"),
    ("bench.approver", "approver", "330100"),
    ("bench.clerk", "case_clerk", DEPARTMENT),
];

/// Who takes a new item's version through the workflow into the library,
/// in force from `today`, and with which steps.
fn to_library(
    staff: &[Actor],
    today: jiff::civil::Date,
) -> anyhow::Result<[(&Actor, WorkflowStep); 4]> {
    let [editor, reviewer, approver, ..] = staff else {
        anyhow::bail!("an editor, a reviewer and an approver expected");
    };
    Ok([
        (editor, WorkflowStep::Declare),
        (reviewer, WorkflowStep::Review),
        (approver, WorkflowStep::Approve),
        (approver, WorkflowStep::Publish { effective: today }),
    ])
}

async fn catalog(cli: &Cli, items: usize, clients: usize) -> anyhow::Result<()> {
    let p = Platform::new(cli, &STAFF).await?;
    let specs: Vec<ItemSpec> = (0..items).map(item).collect::<anyhow::Result<_>>()?;
    let (app, staff) = (p.app.clone(), p.staff.clone());
    let (latencies, elapsed) = drive(specs, clients, move |share| {
        let (app, staff) = (app.clone(), staff.clone());
        async move {
            let editor = staff.first().ok_or_else(|| anyhow::anyhow!("no editor"))?;
            let mut latencies = Vec::with_capacity(share.len() * 5);
            for spec in share {
                let t = Instant::now();
                let v = app.create_item(editor, spec).await.map_err(app_err)?;
                latencies.push(t.elapsed());
                for (who, step) in to_library(&staff, app.clock.today())? {
                    let t = Instant::now();
                    app.workflow_step(who, v.id, step).await.map_err(app_err)?;
                    latencies.push(t.elapsed());
                }
            }
            Ok(latencies)
        }
    })
    .await?;
    let verified = p.app.verify_journal().await.map_err(app_err)?;
    println!("backend:            {}", p.backend);
    println!("clients:            {clients}");
    println!("items:              {items} (5 journaled commands each)");
    report("commands", &latencies, elapsed);
    println!("journal:            {verified:?}");
    p.finish().await
}

/// The transitions each case goes through, in order.
const TRANSITIONS: [CaseCommand; 4] = [
    CaseCommand::Accept,
    CaseCommand::Claim { clerk: 0 },
    CaseCommand::Approve { clerk: 0 },
    CaseCommand::Deliver,
];

async fn hall(cli: &Cli, cases: usize, clients: usize) -> anyhow::Result<()> {
    let p = Platform::new(cli, &STAFF).await?;
    let (item_id, clerk) = single_step_item(&p).await?;
    let (submit_latencies, submit_elapsed, numbers) =
        register_cases(&p.app, &clerk, item_id, cases, clients).await?;

    let (app, who) = (p.app.clone(), clerk.clone());
    let cpu_before = cpu_time();
    let (latencies, elapsed) = drive(numbers, clients, move |share| {
        let (app, who) = (app.clone(), who.clone());
        async move {
            let mut latencies = Vec::with_capacity(share.len() * TRANSITIONS.len());
            for number in share {
                for action in TRANSITIONS {
                    let t = Instant::now();
                    app.case_command(&who, &number, action)
                        .await
                        .map_err(app_err)?;
                    latencies.push(t.elapsed());
                }
            }
            Ok(latencies)
        }
    })
    .await?;
    let cpu = cpu_before.zip(cpu_time()).map(|(a, b)| b.saturating_sub(a));
    let delivered = check_delivered(&p.app, cases).await?;
    let verified = p.app.verify_journal().await.map_err(app_err)?;
    println!("backend:            {}", p.backend);
    println!("clients:            {clients}");
    println!("cases:              {cases} (registered, then 4 transitions each)");
    println!(
        "registrations/s:    {:.0}",
        submit_latencies.len() as f64 / submit_elapsed.as_secs_f64()
    );
    report("transitions", &latencies, elapsed);
    if let Some(cpu) = cpu {
        println!(
            "CPU per transition: {:.1} µs (this process, all threads)",
            cpu.as_secs_f64() * 1e6 / latencies.len().max(1) as f64
        );
    }
    println!("delivered:          {delivered}");
    println!("journal:            {verified:?}");
    p.finish().await
}

/// One item in the library whose process has a single step, so that a
/// case is decided after accept, claim, approve and deliver; and the clerk,
/// holding the step's post. The item's id and the clerk.
async fn single_step_item(p: &Platform) -> anyhow::Result<(i64, Actor)> {
    let [editor, _, _, clerk] = &p.staff[..] else {
        anyhow::bail!("four staff expected");
    };
    let mut spec = item(0)?;
    spec.steps.truncate(1);
    let post = spec
        .steps
        .first()
        .map(|step| step.post.clone())
        .ok_or_else(|| anyhow::anyhow!("the bench item has no process step"))?;
    let v = p.app.create_item(editor, spec).await.map_err(app_err)?;
    for (who, step) in to_library(&p.staff, p.app.clock.today())? {
        p.app
            .workflow_step(who, v.id, step)
            .await
            .map_err(app_err)?;
    }
    // The clerk signs for the step, so holds its post.
    p.app
        .assign_post(&p.admin, &clerk.login, DEPARTMENT, &post)
        .await
        .map_err(app_err)?;
    let clerk = p.app.staff_actor(&clerk.login).await.map_err(app_err)?;
    Ok((v.item_id, clerk))
}

/// Register `cases` cases for the item at the counter from `clients`
/// concurrent clients: the latencies, the wall time and the cases' numbers.
async fn register_cases(
    app: &Arc<App>,
    clerk: &Actor,
    item_id: i64,
    cases: usize,
    clients: usize,
) -> anyhow::Result<(Vec<Duration>, Duration, Vec<String>)> {
    let applicant = Applicant::Person {
        name: "王小明".into(),
        id_number: ResidentId::parse("33010619900101123X")?,
    };
    let answers: BTreeMap<String, String> = [
        ("applicant_name", "王小明"),
        ("id_number", "33010619900101123X"),
        ("gender", "男"),
        ("birth_date", "1990-01-01"),
        ("destination", "新加坡"),
        ("purpose", "旅游"),
        ("contact_phone", "13800000000"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();

    let (app, who) = (app.clone(), clerk.clone());
    let numbers = Arc::new(std::sync::Mutex::new(vec![]));
    let registered = numbers.clone();
    let (submit_latencies, submit_elapsed) = drive((0..cases).collect(), clients, move |share| {
        let (app, who, applicant, answers) =
            (app.clone(), who.clone(), applicant.clone(), answers.clone());
        let registered = registered.clone();
        async move {
            let mut latencies = Vec::with_capacity(share.len());
            for _ in share {
                let t = Instant::now();
                let case = app
                    .register_at_counter(&who, item_id, applicant.clone(), answers.clone(), vec![])
                    .await
                    .map_err(app_err)?;
                latencies.push(t.elapsed());
                registered
                    .lock()
                    .map_err(|_| anyhow::anyhow!("poisoned"))?
                    .push(case.number);
            }
            Ok(latencies)
        }
    })
    .await?;
    let numbers = std::mem::take(&mut *numbers.lock().map_err(|_| anyhow::anyhow!("poisoned"))?);
    Ok((submit_latencies, submit_elapsed, numbers))
}

/// Check that all `cases` cases were delivered and that every approval's
/// licence verifies; how many were delivered.
async fn check_delivered(app: &App, cases: usize) -> anyhow::Result<usize> {
    let delivered = {
        let mut conn = app.db.read().await?;
        let limit = i64::try_from(cases)? + 1;
        sunshine_store::hall::cases_of_department(&mut conn, DEPARTMENT, Some("delivered"), limit)
            .await?
    };
    anyhow::ensure!(
        delivered.len() == cases,
        "{} of {cases} cases delivered",
        delivered.len()
    );
    // Every approval's licence verifies, whether it was signed ahead or in the writer.
    for case in &delivered {
        let number = sunshine_domain::licence::licence_number(&case.number);
        let record = app.licence(None, &number, None).await.map_err(app_err)?;
        anyhow::ensure!(
            *record.verdict() == sunshine_domain::licence::Verdict::Valid,
            "licence {number}: {:?}",
            record.verdict()
        );
    }
    Ok(delivered.len())
}

/// Put `count` open cases, numbered from `first`, into supervision's index:
/// their promised deadline at `due(i)` and, when `all`, also the step's and
/// the warning before it and the legal deadline after. Written 5,000 cases
/// to a transaction.
async fn watch_cases(
    app: &App,
    first: usize,
    count: usize,
    all: bool,
    due: impl Fn(usize) -> i64,
) -> anyhow::Result<()> {
    use sunshine_domain::supervision::{CaseTrace, RuleCode};
    use sunshine_store::supervision::{self as store, TimerRow, WatchedCase};
    const DAY: i64 = 86_400_000_000;
    for chunk in (first..first + count).collect::<Vec<_>>().chunks(5_000) {
        let rows: Vec<(usize, i64)> = chunk.iter().map(|i| (*i, due(*i))).collect();
        app.db
            .write(
                async move |tx: &mut sunshine_store::WriteTx| -> sunshine_app::Result<()> {
                    for (i, promised) in rows {
                        let number = format!("2026-330100-{i:07}");
                        let watched = WatchedCase {
                            number: number.clone(),
                            department: DEPARTMENT.into(),
                            region: "330100".into(),
                            version_id: 0,
                            responsible: Some("bench.clerk".into()),
                            last_seq: 0,
                            trace: CaseTrace {
                                accepted: true,
                                furthest_step: Some(0),
                                ..CaseTrace::default()
                            },
                        };
                        store::save_watched_case(tx.conn(), &watched).await?;
                        let deadlines = [
                            (RuleCode::PromisedOverdue, -1, promised),
                            (RuleCode::StepOverdue, 0, promised - 2 * DAY),
                            (RuleCode::DueSoon, -1, promised - DAY),
                            (RuleCode::LegalOverdue, -1, promised + 10 * DAY),
                        ];
                        for (rule, step, at) in deadlines.into_iter().take(if all { 4 } else { 1 })
                        {
                            let t = TimerRow {
                                id: 0,
                                due_at: at,
                                case_number: number.clone(),
                                rule,
                                step,
                                cause: 0,
                                rules_version: 0,
                            };
                            store::insert_timer(tx.conn(), &t).await?;
                        }
                    }
                    Ok(())
                },
            )
            .await
            .map_err(app_err)?;
    }
    Ok(())
}

fn percentile(sorted: &[i64], p: f64) -> i64 {
    sorted
        .get(((sorted.len() as f64 * p) as usize).min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or_default()
}

async fn supervision(cli: &Cli, cases: usize) -> anyhow::Result<()> {
    use sunshine_domain::clock::{to_micros, SimulatedClock};
    const DAY: i64 = 86_400_000_000;
    let p = Platform::new(cli, &STAFF).await?;
    let start = jiff::Timestamp::now();
    let sim = SimulatedClock::new(start);
    let simulated = App::new(
        p.app.db.clone(),
        Arc::new(sim.clone()),
        sunshine_domain::calendar::Calendar::shipped(),
        sunshine_app::keys::Kek::random(),
    )
    .await
    .map_err(app_err)?;
    // Promised deadlines spread evenly over the coming year, the first a few days out.
    let t0 = to_micros(start);
    let spread = 365 * DAY;
    let loaded = Instant::now();
    // (In i128: a year in microseconds times a million cases overflows i64.)
    watch_cases(&simulated, 0, cases, true, |i| {
        t0 + 3 * DAY + (i as i128 * spread as i128 / cases.max(1) as i128) as i64
    })
    .await?;
    let loading = loaded.elapsed();

    // A tick with nothing due: what an idle tick costs with the index full.
    let idle_runs = 200;
    let idle = Instant::now();
    for _ in 0..idle_runs {
        let fired = simulated.run_supervision_timers().await.map_err(app_err)?;
        anyhow::ensure!(fired == 0, "nothing should be due yet");
    }
    let idle = idle.elapsed() / idle_runs;

    // A day at a time, for a week: every deadline of the day fires.
    let mut days = vec![];
    for _ in 0..7 {
        sim.advance(jiff::SignedDuration::from_hours(24));
        let t = Instant::now();
        let fired = simulated.run_supervision_timers().await.map_err(app_err)?;
        days.push((fired, t.elapsed()));
    }

    // The lag on the system clock: cases whose promised deadlines fall over
    // the next ten seconds, with the serving process's tick of 250 ms.
    let lag_cases = 2_000;
    let now = to_micros(p.app.clock.now());
    watch_cases(&p.app, cases, lag_cases, false, |i| {
        now + 500_000 + ((i - cases) as i64 * 10_000_000) / lag_cases as i64
    })
    .await?;
    let ticking = {
        let app = p.app.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(250));
            loop {
                tick.tick().await;
                let _ = app.run_supervision_timers().await;
            }
        })
    };
    tokio::time::sleep(Duration::from_secs(12)).await;
    ticking.abort();
    let mut lags: Vec<i64> = {
        let mut conn = p.app.db.read().await?;
        sunshine_store::supervision::issue_lags(&mut conn, now)
            .await?
            .into_iter()
            // Only the promised deadlines of these cases, over the ten seconds.
            .filter(|(due, _)| (now..=now + 11_000_000).contains(due))
            .map(|(due, issued)| issued - due)
            .collect()
    };
    lags.sort();

    // Grading the quarter over everything issued.
    let graded = Instant::now();
    let quarter = sunshine_domain::supervision::Quarter::of(simulated.clock.today());
    let grades = simulated.evaluate_quarter(quarter).await.map_err(app_err)?;
    let grading = graded.elapsed();

    println!("backend:            {}", p.backend);
    println!(
        "open cases:         {cases} ({} deadlines in the index)",
        cases * 4
    );
    println!("loading the index:  {:.1} s", loading.as_secs_f64());
    println!(
        "idle tick:          {:.0} µs (mean of {idle_runs})",
        idle.as_secs_f64() * 1e6
    );
    for (n, (fired, took)) in days.iter().enumerate() {
        println!(
            "day {}:              {fired} signals in {:.3} s ({:.0}/s)",
            n + 1,
            took.as_secs_f64(),
            *fired as f64 / took.as_secs_f64().max(1e-9)
        );
    }
    println!(
        "lag on the system clock: {} signals, p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        lags.len(),
        percentile(&lags, 0.5) as f64 / 1e3,
        percentile(&lags, 0.99) as f64 / 1e3,
        lags.last().copied().unwrap_or_default() as f64 / 1e3
    );
    println!(
        "grading {quarter}:     {:.3} s ({} departments)",
        grading.as_secs_f64(),
        grades.len()
    );
    p.finish().await
}
