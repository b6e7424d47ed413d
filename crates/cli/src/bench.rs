//! `sunshine bench`: measured throughput of journaled writes. Run from a
//! release build; the method and results are recorded in docs/BENCHMARKS.md.

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Subcommand;
use sunshine_app::App;
use sunshine_domain::catalog::{ItemSpec, WorkflowStep};
use sunshine_domain::identity::{OrgKind, Organisation};
use sunshine_domain::ids::OrgCode;
use sunshine_store::Db;

use crate::Cli;

#[derive(Subcommand)]
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
}

pub async fn run(cli: &Cli, cmd: &BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Catalog { items, clients } => catalog(cli, *items, *clients).await,
    }
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

fn item(n: usize) -> anyhow::Result<ItemSpec> {
    let mut spec: ItemSpec =
        serde_json::from_str(include_str!("../../web/tests/fixtures/item.json"))?;
    spec.code = format!("XK-{:05}-{:03}", 10_000 + n / 1000, n % 1000);
    spec.name = format!("基准测试事项{n}");
    spec.region = "330100".parse::<String>()?.try_into()?;
    spec.level = sunshine_domain::catalog::Level::City;
    spec.implementing_body = OrgCode::parse("330100-001")?;
    spec.accepting_body = OrgCode::parse("330100-001")?;
    spec.deciding_body = OrgCode::parse("330100-001")?;
    Ok(spec)
}

async fn catalog(cli: &Cli, items: usize, clients: usize) -> anyhow::Result<()> {
    let tmp;
    let (db, backend, scratch) = match &cli.database_url {
        Some(admin) => {
            let url = sunshine_store::db::create_scratch_database(admin, "sunshine_bench").await?;
            (
                Db::connect(&url).await?,
                "PostgreSQL",
                Some((admin.clone(), url)),
            )
        }
        None => {
            tmp = std::env::temp_dir().join(format!("sunshine-bench-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&tmp);
            (Db::open_sqlite(&tmp).await?, "SQLite", None)
        }
    };
    db.migrate().await?;
    let app = App::new(
        db,
        Arc::new(sunshine_domain::clock::SystemClock),
        sunshine_domain::calendar::Calendar::shipped(),
        sunshine_app::keys::Kek::random(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let orgs = [
        org("330100", "杭州市人民政府", OrgKind::City, None)?,
        org(
            "330100-001",
            "基准测试局",
            OrgKind::Department,
            Some("330100"),
        )?,
    ];
    app.bootstrap_orgs(&orgs)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let admin = app
        .bootstrap_admin("bench.admin", "管理员", &orgs[0].code, "bench-password")
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    for (login, role) in [
        ("bench.editor", "catalog_editor"),
        ("bench.reviewer", "legal_reviewer"),
        ("bench.approver", "approver"),
    ] {
        let org = if role == "catalog_editor" {
            "330100-001"
        } else {
            "330100"
        };
        let new = sunshine_app::identity::NewStaff {
            login: login.into(),
            display_name: login.into(),
            org: org.into(),
            password: "bench-password".into(),
            roles: vec![role.into()],
        };
        app.create_staff(&admin, new)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let editor = app
        .staff_actor("bench.editor")
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let reviewer = app
        .staff_actor("bench.reviewer")
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let approver = app
        .staff_actor("bench.approver")
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let specs: Vec<ItemSpec> = (0..items).map(item).collect::<anyhow::Result<_>>()?;

    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    let chunks: Vec<Vec<ItemSpec>> = specs
        .chunks(items.div_ceil(clients.max(1)))
        .map(<[ItemSpec]>::to_vec)
        .collect();
    for chunk in chunks {
        let (app, editor, reviewer, approver) = (
            app.clone(),
            editor.clone(),
            reviewer.clone(),
            approver.clone(),
        );
        tasks.spawn(async move {
            let mut latencies = Vec::with_capacity(chunk.len() * 5);
            for spec in chunk {
                let t = Instant::now();
                let v = app.create_item(&editor, spec).await?;
                latencies.push(t.elapsed());
                let today = app.clock.today();
                for (who, step) in [
                    (&editor, WorkflowStep::Declare),
                    (&reviewer, WorkflowStep::Review),
                    (&approver, WorkflowStep::Approve),
                    (&approver, WorkflowStep::Publish { effective: today }),
                ] {
                    let t = Instant::now();
                    app.workflow_step(who, v.id, step).await?;
                    latencies.push(t.elapsed());
                }
            }
            Ok::<_, sunshine_app::AppError>(latencies)
        });
    }
    let mut latencies: Vec<Duration> = vec![];
    while let Some(done) = tasks.join_next().await {
        latencies.extend(done?.map_err(|e| anyhow::anyhow!("{e}"))?);
    }
    let elapsed = start.elapsed();
    latencies.sort();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    let commands = latencies.len();
    let verified = app
        .verify_journal()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("backend:            {backend}");
    println!("clients:            {clients}");
    println!("items:              {items} (5 journaled commands each)");
    println!("commands:           {commands}");
    println!("wall time:          {:.2} s", elapsed.as_secs_f64());
    println!(
        "commands/second:    {:.0}",
        commands as f64 / elapsed.as_secs_f64()
    );
    println!(
        "latency p50/p99:    {:.2} ms / {:.2} ms",
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3
    );
    println!("journal:            {verified:?}");
    app.db.close().await;
    if let Some((admin, url)) = scratch {
        sunshine_store::db::drop_database(&admin, &url).await?;
    }
    Ok(())
}
