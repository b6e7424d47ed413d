//! `sunshine`: serve the platform, load the demo, migrate, verify the journal,
//! import and export the catalogue, and run the benchmarks.

mod backup;
mod bench;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use sunshine_app::journal::Verification;
use sunshine_app::App;
use sunshine_domain::calendar::Calendar;
use sunshine_domain::clock::{Clock, SimulatedClock, SystemClock};
use sunshine_store::Db;

#[derive(Parser, Clone)]
#[command(
    name = "sunshine",
    version,
    about = "Sunshine (阳光政务): a city's e-government platform"
)]
struct Cli {
    /// Where the embedded SQLite store keeps its files.
    #[arg(
        long,
        env = "SUNSHINE_DATA",
        default_value = "./sunshine-data",
        global = true
    )]
    data: PathBuf,
    /// Use PostgreSQL instead of the embedded store, e.g. postgres://postgres@127.0.0.1/sunshine.
    #[arg(long, env = "SUNSHINE_DATABASE_URL", global = true)]
    database_url: Option<String>,
    /// Extra or updated working-day calendar years (YYYY.json files).
    #[arg(long, env = "SUNSHINE_CALENDAR_DIR", global = true)]
    calendar_dir: Option<PathBuf>,
    /// `system`, or `simulated` (only with --allow-simulated-clock: for demonstrations and tests).
    #[arg(long, env = "SUNSHINE_CLOCK", default_value = "system", global = true)]
    clock: String,
    #[arg(long, env = "SUNSHINE_ALLOW_SIMULATED_CLOCK", global = true)]
    allow_simulated_clock: bool,
    /// 64 hex characters: the key that seals the organisations' signing keys at rest.
    #[arg(
        long,
        env = "SUNSHINE_KEY_ENCRYPTION_KEY",
        global = true,
        hide_env_values = true
    )]
    key_encryption_key: Option<String>,
    /// Log as JSON lines instead of text.
    #[arg(long, env = "SUNSHINE_LOG_JSON", global = true)]
    log_json: bool,
    /// Post each new supervision signal (JSON) to this URL, e.g. a mail or SMS gateway.
    #[arg(long, env = "SUNSHINE_SUPERVISION_WEBHOOK", global = true)]
    supervision_webhook: Option<String>,
    /// The card engine snapshots its books after this many transfers…
    #[arg(
        long,
        env = "SUNSHINE_CARD_SNAPSHOT_TRANSFERS",
        default_value_t = 250_000,
        global = true
    )]
    card_snapshot_transfers: usize,
    /// …or this many seconds, whichever comes first (and at shutdown).
    #[arg(
        long,
        env = "SUNSHINE_CARD_SNAPSHOT_SECONDS",
        default_value_t = 60,
        global = true
    )]
    card_snapshot_seconds: u64,
    /// Run as one platform of several, each with its own store: `city`,
    /// or `district:` and the district's or county's code (e.g.
    /// district:330106). Needs --nats-url. Without it one process runs all.
    #[arg(long, env = "SUNSHINE_PLATFORM", global = true)]
    platform: Option<sunshine_domain::exchange::Platform>,
    /// The NATS server (with JetStream) the platforms exchange through,
    /// e.g. nats://127.0.0.1:4222.
    #[arg(long, env = "SUNSHINE_NATS_URL", global = true)]
    nats_url: Option<String>,
    /// How many NATS servers keep each of the exchange's streams: 1 for one
    /// server, 3 in a three-node cluster (docs/DEPLOYMENT.md).
    #[arg(
        long,
        env = "SUNSHINE_NATS_REPLICAS",
        default_value_t = 1,
        global = true
    )]
    nats_replicas: usize,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Clone)]
enum Command {
    /// Serve the platform.
    Serve {
        #[arg(long, env = "SUNSHINE_LISTEN", default_value = "127.0.0.1:8080")]
        listen: String,
        #[command(flatten)]
        web: WebFlags,
        #[command(flatten)]
        backup: backup::BackupFlags,
    },
    /// Load the Hangzhou demo (once) and serve it.
    Demo {
        #[arg(long, env = "SUNSHINE_LISTEN", default_value = "127.0.0.1:8080")]
        listen: String,
        /// How many cases of history to write when the demo is first loaded.
        #[arg(long, default_value_t = sunshine_app::demo::DEMO_CASES)]
        cases: usize,
        #[command(flatten)]
        web: WebFlags,
        #[command(flatten)]
        backup: backup::BackupFlags,
        /// Run the demo as a city and districts in one process, each with a
        /// store of its own under --data and its own port counting up from
        /// --listen's, exchanging through --nats-url (default
        /// nats://127.0.0.1:4222): e.g. city,330106,330108.
        #[arg(long, value_delimiter = ',')]
        platforms: Vec<String>,
    },
    /// Bring the database schema up to date.
    Migrate,
    /// The journal of every state change.
    Journal {
        #[command(subcommand)]
        command: JournalCommand,
    },
    /// Import or export the power-item catalogue.
    Catalog {
        #[command(subcommand)]
        command: CatalogCommand,
    },
    /// The community population registry (社区人口基础库).
    Registry {
        #[command(subcommand)]
        command: RegistryCommand,
    },
    /// Open311 GeoReport v2: the keys of the client systems.
    Open311 {
        #[command(subcommand)]
        command: Open311Command,
    },
    /// The citizen card's ledger.
    Ledger {
        #[command(subcommand)]
        command: LedgerCommand,
    },
    /// The platform's own backup: archives, verification, restore.
    Backup {
        #[command(subcommand)]
        command: backup::BackupCommand,
    },
    /// The two-level platform: this platform's key, and the peers it trusts.
    Exchange {
        #[command(subcommand)]
        command: ExchangeCommand,
    },
    /// Measure throughput (release builds only give meaningful figures).
    Bench {
        #[command(subcommand)]
        command: bench::BenchCommand,
    },
}

/// How the web face is deployed, and its abuse limits.
#[derive(clap::Args, Clone)]
struct WebFlags {
    /// The address people reach the site at, e.g. https://zwfw.example.cn:
    /// QR links start with it, writes must come from its origin, and when it
    /// is https cookies are Secure and responses carry HSTS. Without it the
    /// request's Host is the site; X-Forwarded-* headers are never believed.
    #[arg(long, env = "SUNSHINE_PUBLIC_URL")]
    public_url: Option<url::Url>,
    /// Reverse proxies (addresses, comma-separated) whose X-Forwarded-For
    /// names the client for the abuse limits.
    #[arg(long, env = "SUNSHINE_TRUSTED_PROXIES", value_delimiter = ',')]
    trusted_proxy: Vec<std::net::IpAddr>,
    /// This node's name among the nodes serving one store: the card engine
    /// runs on the node that holds its lease, and a node restarting under
    /// its name takes the lease back at once. Two nodes on one host need
    /// names of their own. Default: the host's name.
    #[arg(long, env = "SUNSHINE_NODE_NAME")]
    node_name: Option<String>,
    /// Where this node serves, as the other nodes point card clients to it
    /// while it runs the card engine. Default: http:// and the listen address.
    #[arg(long, env = "SUNSHINE_ADVERTISE")]
    advertise: Option<String>,
    /// Serve /metrics on this address of its own (for the monitoring network).
    #[arg(long, env = "SUNSHINE_METRICS_LISTEN")]
    metrics_listen: Option<String>,
    /// Serve /metrics on the main address too, to `Authorization: Bearer <token>`.
    #[arg(long, env = "SUNSHINE_METRICS_TOKEN", hide_env_values = true)]
    metrics_token: Option<String>,
    /// Failed sign-ins one login may have before it must wait (one is forgiven a minute).
    #[arg(
        long,
        env = "SUNSHINE_SIGN_IN_FAILURES_PER_LOGIN",
        default_value_t = 10
    )]
    sign_in_failures_per_login: u32,
    /// Failed sign-ins one client address may have over all logins (one is forgiven each 20 s).
    #[arg(
        long,
        env = "SUNSHINE_SIGN_IN_FAILURES_PER_ADDRESS",
        default_value_t = 30
    )]
    sign_in_failures_per_address: u32,
    /// Sign-ups one client address may make an hour.
    #[arg(long, env = "SUNSHINE_SIGN_UPS_PER_HOUR", default_value_t = 10)]
    sign_ups_per_hour: u32,
    /// Case trackings, hotline claims, account bindings and TV pairing codes one client address may try a minute.
    #[arg(long, env = "SUNSHINE_LOOKUPS_PER_MINUTE", default_value_t = 30)]
    lookups_per_minute: u32,
    /// Kiosk requests one client address may post a minute.
    #[arg(long, env = "SUNSHINE_KIOSK_PER_MINUTE", default_value_t = 20)]
    kiosk_per_minute: u32,
    /// Reads of public aggregates one client address may make a minute.
    #[arg(long, env = "SUNSHINE_AGGREGATES_PER_MINUTE", default_value_t = 120)]
    aggregates_per_minute: u32,
    /// Password hashes that may run at once (default: one per core).
    #[arg(long, env = "SUNSHINE_PASSWORD_HASHES")]
    password_hashes: Option<usize>,
    /// Seconds a sign-in waits for a free hasher before it is told the platform is busy.
    #[arg(long, env = "SUNSHINE_PASSWORD_WAIT_SECS", default_value_t = 5)]
    password_wait_secs: u64,
}

impl WebFlags {
    fn config(&self) -> sunshine_web::WebConfig {
        use std::time::Duration;
        use sunshine_web::Rate;
        let defaults = sunshine_web::Limits::default();
        let limits = sunshine_web::Limits {
            sign_in_failures_per_login: Rate {
                burst: self.sign_in_failures_per_login,
                ..defaults.sign_in_failures_per_login
            },
            sign_in_failures_per_client: Rate {
                burst: self.sign_in_failures_per_address,
                ..defaults.sign_in_failures_per_client
            },
            sign_ups: Rate::new(
                self.sign_ups_per_hour,
                Duration::from_secs(3600 / u64::from(self.sign_ups_per_hour.max(1))),
            ),
            lookups: Rate::per_minute(self.lookups_per_minute),
            kiosk: Rate::per_minute(self.kiosk_per_minute),
            aggregates: Rate::per_minute(self.aggregates_per_minute),
            ..defaults
        };
        sunshine_web::WebConfig {
            public_url: self.public_url.clone(),
            trusted_proxies: self.trusted_proxy.clone(),
            metrics_token: self.metrics_token.clone().filter(|t| !t.is_empty()),
            limits,
        }
    }

    /// Bound the password hashing, open the metrics listener if asked, and
    /// serve until told to stop.
    async fn serve(
        &self,
        app: std::sync::Arc<App>,
        listener: tokio::net::TcpListener,
    ) -> anyhow::Result<()> {
        let at_once = self
            .password_hashes
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
        app.bound_password_work(
            at_once,
            std::time::Duration::from_secs(self.password_wait_secs),
        );
        if let Some(addr) = &self.metrics_listen {
            let metrics = listen(addr).await?;
            println!("Metrics at http://{}/metrics", metrics.local_addr()?);
            tokio::spawn(async move {
                if let Err(e) = axum::serve(metrics, sunshine_web::metrics::router()).await {
                    tracing::error!(error = %e, "the metrics listener stopped");
                }
            });
        }
        sunshine_web::serve_with(app.clone(), listener, self.config()).await?;
        // Let the writer finish what is queued and the backup ship it.
        app.db.close().await;
        Ok(())
    }
}

#[derive(Subcommand, Clone)]
enum ExchangeCommand {
    /// Print this platform's public key (--platform), for its peers to trust.
    Key,
    /// Trust a peer platform's messages signed with its public key.
    Trust {
        /// `city` or `district:<code>`.
        peer: String,
        /// The peer's public key, as its `sunshine exchange key` printed it.
        public_key: String,
    },
    /// List the peers this platform trusts.
    Peers,
}

#[derive(Subcommand, Clone)]
enum Open311Command {
    /// Issue a key to a client system and print it (it is shown only once).
    IssueKey {
        #[arg(long)]
        client: String,
        /// POSTs a minute the client may make; more are refused with 429.
        #[arg(long, default_value_t = sunshine_app::hotline::DEFAULT_PER_MINUTE)]
        per_minute: i64,
        /// Let it comment on requests other clients filed, not only its own.
        #[arg(long)]
        may_comment_on_all: bool,
    },
    /// List the keys issued, live and revoked.
    Keys,
    /// Revoke a key by its number (as `keys` lists them).
    RevokeKey { id: i64 },
}

#[derive(Subcommand, Clone)]
enum LedgerCommand {
    /// Replay the ledger's whole history under every rule, check that debits
    /// equal credits and no balance breaks its flags, and tie every charged
    /// tap out to its transfer. Exits 2 if anything is wrong.
    Check,
}

#[derive(Subcommand, Clone)]
enum JournalCommand {
    /// Walk the hash chain and report the first broken link.
    Verify,
}

#[derive(Subcommand, Clone)]
enum CatalogCommand {
    /// Write the latest version of every item to a file (json or csv by extension).
    Export {
        file: PathBuf,
        /// The administrator the export is made as.
        #[arg(long, default_value = "admin")]
        as_user: String,
    },
    /// Import items from a file; all rows or none.
    Import {
        file: PathBuf,
        #[arg(long, default_value = "admin")]
        as_user: String,
    },
}

#[derive(Subcommand, Clone)]
enum RegistryCommand {
    /// Import persons and households from a CSV file in the city's layout
    /// (身份证号, 姓名, 性别, 出生日期, 民族, 户籍地址, 居住地址, 社区代码, 户号,
    /// 与户主关系, 联系电话): every row or none.
    Import {
        file: PathBuf,
        /// The community worker or registrar the import is made by.
        #[arg(long)]
        by: String,
        /// Say what the file would add and change, and write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Score every pair of a district's records again and queue those at or
    /// above the threshold for review (pairs found before keep their state).
    Relink {
        /// The district's code (`330106`).
        #[arg(long)]
        district: String,
        /// The district's registrar.
        #[arg(long)]
        by: String,
    },
}

/// mimalloc instead of glibc's allocator, for Rust and (by its `override`
/// feature) for SQLite alike: the writer thread frees much of what the
/// request tasks allocated, and glibc's allocator makes such a free take a
/// lock on the other thread's arena. It was about a fifth of the writer's time
/// (docs/BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (`mi_option_t` in mimalloc.h, the
/// same in its versions 2 and 3).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Memory freed is given back to the system after a second instead of
/// mimalloc's 10 ms: the card engine's books grow and shrink by large
/// blocks, and giving them back at once made it fault fresh zeroed pages in
/// again, a third of its time (docs/BENCHMARKS.md).
fn tune_allocator() {
    // SAFETY: mi_option_set only stores an option's value; any value is
    // valid for this option, and it may be set at any time.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 1000) };
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tune_allocator();
    let matches = <Cli as clap::CommandFactory>::command().get_matches();
    let cli = match <Cli as clap::FromArgMatches>::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    // Whether --data was said, not defaulted (a restore must be told where).
    let data_given = matches.value_source("data") != Some(clap::parser::ValueSource::DefaultValue);
    init_logging(cli.log_json);
    match run(cli, data_given).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn open_db(cli: &Cli) -> anyhow::Result<Db> {
    open_db_for(cli, false).await
}

/// Open the store; `replicated`, for a continuous backup (see `backup`).
async fn open_db_for(cli: &Cli, replicated: bool) -> anyhow::Result<Db> {
    let db = match &cli.database_url {
        Some(url) => Db::connect(url)
            .await
            .with_context(|| "cannot connect to the database")?,
        None if replicated => Db::open_sqlite_replicated(&cli.data)
            .await
            .with_context(|| format!("cannot open the store in {}", cli.data.display()))?,
        None => Db::open_sqlite(&cli.data)
            .await
            .with_context(|| format!("cannot open the store in {}", cli.data.display()))?,
    };
    db.migrate().await.context("migrations failed")?;
    Ok(db)
}

fn calendar(cli: &Cli) -> anyhow::Result<Calendar> {
    let mut cal = Calendar::shipped();
    if let Some(dir) = &cli.calendar_dir {
        for entry in
            std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?
        {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "json") {
                let text = std::fs::read_to_string(&path)?;
                let year = Calendar::parse_year(&text)
                    .with_context(|| format!("calendar file {}", path.display()))?;
                tracing::info!(year = year.year, file = %path.display(), "calendar year loaded");
                cal.insert(year);
            }
        }
    }
    Ok(cal)
}

fn clock(cli: &Cli) -> anyhow::Result<Arc<dyn Clock>> {
    match cli.clock.as_str() {
        "system" => Ok(Arc::new(SystemClock)),
        "simulated" if cli.allow_simulated_clock => {
            Ok(Arc::new(SimulatedClock::new(jiff::Timestamp::now())))
        }
        "simulated" => {
            anyhow::bail!("the simulated clock is refused unless --allow-simulated-clock is given")
        }
        other => anyhow::bail!("unknown clock {other:?}: use system or simulated"),
    }
}

async fn open_app(cli: &Cli) -> anyhow::Result<Arc<App>> {
    open_app_for(cli, false).await
}

async fn open_app_for(cli: &Cli, replicated: bool) -> anyhow::Result<Arc<App>> {
    let db = open_db_for(cli, replicated).await?;
    let app = App::new(db, clock(cli)?, calendar(cli)?, key_encryption_key(cli)?)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    // The backup centre's archives live beside the store, on either backend.
    app.set_backup_centre_dir(cli.data.join("centre"));
    app.set_card_snapshots(sunshine_app::card::engine::SnapshotPolicy {
        every: std::time::Duration::from_secs(cli.card_snapshot_seconds.max(1)),
        every_transfers: cli.card_snapshot_transfers.max(1),
    })
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    if let Some(url) = &cli.supervision_webhook {
        app.set_supervision_webhook(url.clone())
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok(app)
}

/// `serve` refuses a store that holds the demo's public credentials (its
/// password on a demo login, its published terminal keys) unless the demo
/// was loaded into it, which marks it: such a store would let anyone in.
async fn refuse_demo_credentials(app: &App) -> anyhow::Result<()> {
    let fail = |e: sunshine_app::AppError| anyhow::anyhow!("{e}");
    if sunshine_app::demo::is_demo(app).await.map_err(fail)? {
        eprintln!("warning: this store holds the demo; its passwords and terminal keys are public");
        return Ok(());
    }
    let found = sunshine_app::demo::demo_credentials(app)
        .await
        .map_err(fail)?;
    anyhow::ensure!(
        found.is_empty(),
        "this store is not a demo but holds the demo's public credentials ({}); \
         change those passwords and terminal keys before serving it",
        found.join(", ")
    );
    Ok(())
}

/// The key that seals signing keys: from configuration, or for a store
/// without one, a key file made once in the data directory.
fn key_encryption_key(cli: &Cli) -> anyhow::Result<sunshine_app::keys::Kek> {
    use sunshine_app::keys::Kek;
    if let Some(hex) = &cli.key_encryption_key {
        return Kek::from_hex(hex);
    }
    let path = cli.data.join("key-encryption-key");
    if let Ok(text) = std::fs::read_to_string(&path) {
        return Kek::from_hex(&text).with_context(|| format!("{}", path.display()));
    }
    std::fs::create_dir_all(&cli.data)?;
    let kek = Kek::random();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    std::io::Write::write_all(&mut options.open(&path)?, kek.to_hex().as_bytes())?;
    tracing::warn!(file = %path.display(), "made a key-encryption key file for the signing keys; in production give --key-encryption-key (SUNSHINE_KEY_ENCRYPTION_KEY) and keep it apart from the data");
    Ok(kek)
}

async fn listen(addr: &str) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))
}

impl WebFlags {
    /// This node, as the card engine's lease names it.
    fn card_node(&self, listen: &str) -> sunshine_app::card::lease::Node {
        let host = std::fs::read_to_string("/etc/hostname")
            .ok()
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .or_else(|| std::env::var("HOSTNAME").ok())
            .unwrap_or_else(|| "sunshine".into());
        sunshine_app::card::lease::Node {
            name: self.node_name.clone().unwrap_or(host),
            address: self
                .advertise
                .clone()
                .unwrap_or_else(|| format!("http://{listen}")),
        }
    }
}

async fn run(cli: Cli, data_given: bool) -> anyhow::Result<std::process::ExitCode> {
    use std::process::ExitCode;
    match &cli.command {
        Command::Serve {
            listen: addr,
            web,
            backup,
        } => {
            let app = open_app_for(&cli, backup.replicates(&cli)?).await?;
            refuse_demo_credentials(&app).await?;
            let exchange = join_platform(&cli, &app).await?;
            backup.start(&app, &cli).await?;
            app.set_card_node(web.card_node(addr))
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let _exchange = start_exchange(&cli, &app, exchange).await?;
            app.spawn_workers();
            let listener = listen(addr).await?;
            println!("Sunshine is serving at http://{}", listener.local_addr()?);
            web.serve(app, listener).await?;
        }
        Command::Demo {
            listen: addr,
            cases,
            web,
            backup,
            platforms,
        } if !platforms.is_empty() => demo_platforms(&cli, addr, *cases, web, platforms).await?,
        Command::Demo {
            listen: addr,
            cases,
            web,
            backup,
            ..
        } => demo(&cli, addr, *cases, web, backup).await?,
        Command::Exchange { command } => exchange(&cli, command).await?,
        Command::Ledger {
            command: LedgerCommand::Check,
        } => {
            let db = open_db(&cli).await?;
            match sunshine_app::card::check_ledger(&db).await {
                Ok(r) => println!("ledger sound: {}", r.summary()),
                Err(why) => {
                    println!("ledger BROKEN: {why}");
                    return Ok(ExitCode::from(2));
                }
            }
        }
        Command::Backup { command } => {
            return backup::run(&cli, command, data_given).await;
        }
        Command::Migrate => {
            open_db(&cli).await?;
            println!("the schema is up to date");
        }
        Command::Journal {
            command: JournalCommand::Verify,
        } => {
            let app = open_app(&cli).await?;
            match app
                .verify_journal()
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?
            {
                Verification::Intact { entries } => {
                    println!("journal intact: {entries} entries, every link holds")
                }
                Verification::Broken(b) => {
                    println!("journal BROKEN at entry {}: {}", b.seq, b.reason);
                    return Ok(ExitCode::from(2));
                }
            }
        }
        Command::Open311 { command } => open311(&cli, command).await?,
        Command::Registry { command } => {
            if let Some(code) = registry(&cli, command).await? {
                return Ok(code);
            }
        }
        Command::Catalog { command } => {
            if let Some(code) = catalog(&cli, command).await? {
                return Ok(code);
            }
        }
        Command::Bench { command } => bench::run(&cli, command).await?,
    }
    Ok(ExitCode::SUCCESS)
}

/// `sunshine demo`: load the demo once, then serve it and say how to sign in.
async fn demo(
    cli: &Cli,
    addr: &str,
    cases: usize,
    web: &WebFlags,
    backup: &backup::BackupFlags,
) -> anyhow::Result<()> {
    let app = open_app_for(cli, backup.replicates(cli)?).await?;
    let listener = listen(addr).await?;
    let exchange = join_platform(cli, &app).await?;
    let (loaded, logins) = sunshine_app::demo::load_with(&app, cases)
        .await
        .map_err(|e| anyhow::anyhow!("loading the demo: {e}"))?;
    app.check_platform().map_err(|e| anyhow::anyhow!("{e}"))?;
    backup.start(&app, cli).await?;
    app.set_card_node(web.card_node(addr))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let _exchange = start_exchange(cli, &app, exchange).await?;
    app.spawn_workers();
    let where_ = cli
        .database_url
        .clone()
        .map(|_| "PostgreSQL".to_string())
        .unwrap_or_else(|| cli.data.display().to_string());
    println!(
        "Sunshine demo ({}) — {}",
        if loaded {
            "demo data loaded"
        } else {
            "demo data already present"
        },
        where_
    );
    println!();
    println!("  Public portal:    http://{}/", listener.local_addr()?);
    println!(
        "  Staff workbench:  http://{}/staff/",
        listener.local_addr()?
    );
    println!(
        "  API document:     http://{}/api/v1/openapi.json",
        listener.local_addr()?
    );
    println!();
    println!(
        "  Demo logins (password: {}):",
        sunshine_app::demo::DEMO_PASSWORD
    );
    for l in &logins {
        println!("    {:<36} {}", l.login, l.what);
    }
    println!();
    web.serve(app, listener).await?;
    Ok(())
}

/// Join the platform `--platform` names, if it names one; the NATS URL to
/// start the exchange with once the platform is ready.
async fn join_platform(cli: &Cli, app: &Arc<App>) -> anyhow::Result<Option<String>> {
    match (&cli.platform, &cli.nats_url) {
        (None, None) => {
            // A store that is one platform's is not run as the whole.
            app.check_store_platform(None)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            Ok(None)
        }
        (None, Some(_)) => anyhow::bail!("--nats-url needs --platform: which platform is this?"),
        (Some(p), None) => anyhow::bail!("--platform {p} needs --nats-url to exchange through"),
        (Some(p), Some(url)) => {
            app.join_platform(p.clone())
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            Ok(Some(url.clone()))
        }
    }
}

async fn start_exchange(
    cli: &Cli,
    app: &Arc<App>,
    nats_url: Option<String>,
) -> anyhow::Result<Option<sunshine_exchange::Exchange>> {
    let Some(url) = nats_url else { return Ok(None) };
    let platform = app.platform().cloned();
    let exchange = sunshine_exchange::start(app.clone(), &url, cli.nats_replicas).await?;
    if let Some(p) = platform {
        println!("Platform {p}, exchanging through {url}");
    }
    Ok(Some(exchange))
}

/// `sunshine exchange`: this platform's key and its peers.
async fn exchange(cli: &Cli, command: &ExchangeCommand) -> anyhow::Result<()> {
    let app = open_app(cli).await?;
    let fail = |e: sunshine_app::AppError| anyhow::anyhow!("{e}");
    match command {
        ExchangeCommand::Key => {
            let Some(p) = &cli.platform else {
                anyhow::bail!("which platform's key? say --platform");
            };
            app.join_platform(p.clone()).await.map_err(fail)?;
            let (platform, key) = app.exchange_key().await.map_err(fail)?;
            eprintln!("{platform}'s public key:");
            println!("{key}");
        }
        ExchangeCommand::Trust { peer, public_key } => {
            if let Some(p) = &cli.platform {
                app.join_platform(p.clone()).await.map_err(fail)?;
            }
            let row = app
                .trust_peer_at_deployment(peer, public_key)
                .await
                .map_err(fail)?;
            println!("trusted {} with key {}", row.platform, row.public_key);
        }
        ExchangeCommand::Peers => {
            for p in app.exchange_peers().await.map_err(fail)? {
                println!("{}\t{}", p.platform, p.public_key);
            }
        }
    }
    Ok(())
}

/// `sunshine demo --platforms city,330106,…`: the demo as a city and its
/// districts in one process, each a platform with a store of its own under
/// --data and a port of its own, trusting each other's keys, exchanging
/// through NATS.
async fn demo_platforms(
    cli: &Cli,
    addr: &str,
    cases: usize,
    web: &WebFlags,
    names: &[String],
) -> anyhow::Result<()> {
    use sunshine_domain::exchange::Platform;
    if cli.database_url.is_some() {
        anyhow::bail!(
            "--platforms runs each platform on an embedded store of its own under --data"
        );
    }
    let url = cli
        .nats_url
        .clone()
        .unwrap_or_else(|| "nats://127.0.0.1:4222".to_string());
    let base: std::net::SocketAddr = addr
        .parse()
        .with_context(|| format!("--listen {addr} is not an address and port"))?;
    let mut platforms = Vec::new();
    for name in names {
        let p: Platform = if name == "city" {
            Platform::City
        } else {
            format!("district:{name}").parse()?
        };
        if platforms.contains(&p) {
            anyhow::bail!("{p} is named twice");
        }
        platforms.push(p);
    }
    let mut apps = Vec::new();
    for (i, p) in platforms.iter().enumerate() {
        let mut one = cli.clone();
        one.data = cli.data.join(p.to_string().replace(':', "-"));
        one.platform = Some(p.clone());
        let app = open_app(&one).await?;
        app.join_platform(p.clone())
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        sunshine_app::demo::load_with(&app, cases)
            .await
            .map_err(|e| anyhow::anyhow!("loading the demo for {p}: {e}"))?;
        app.check_platform().map_err(|e| anyhow::anyhow!("{e}"))?;
        let port_addr = std::net::SocketAddr::new(base.ip(), base.port() + i as u16);
        apps.push((p.clone(), app, port_addr));
    }
    // Each platform trusts the others' keys, as a deployment would by
    // exchanging them with `sunshine exchange key` and `trust`.
    let mut keys = Vec::new();
    for (p, app, _) in &apps {
        keys.push((
            p.clone(),
            app.exchange_key()
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .1,
        ));
    }
    for (p, app, _) in &apps {
        for (peer, key) in &keys {
            if peer != p {
                app.trust_peer_at_deployment(&peer.to_string(), key)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
            }
        }
    }
    println!(
        "Sunshine demo as {} platforms, exchanging through {url}",
        apps.len()
    );
    println!();
    let mut served = Vec::new();
    for (p, app, at) in apps {
        let listener = listen(&at.to_string()).await?;
        app.set_card_node(web.card_node(&at.to_string()))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let exchange = sunshine_exchange::start(app.clone(), &url, cli.nats_replicas).await?;
        app.spawn_workers();
        println!(
            "  {:<18} http://{}/   (store {})",
            p.to_string(),
            listener.local_addr()?,
            cli.data.join(p.to_string().replace(':', "-")).display()
        );
        let web = web.clone();
        served.push(tokio::spawn(async move {
            let _exchange = exchange;
            web.serve(app, listener).await
        }));
    }
    println!();
    println!(
        "  Demo logins on each (password: {}): admin, clerk, xihu.registrar, wang.xiaoming, …",
        sunshine_app::demo::DEMO_PASSWORD
    );
    println!("  The exchange's messages: /staff/exchange on each platform.");
    for s in served {
        s.await??;
    }
    Ok(())
}

/// `sunshine open311`: the keys of Open311 clients.
async fn open311(cli: &Cli, command: &Open311Command) -> anyhow::Result<()> {
    let app = open_app(cli).await?;
    let fail = |e: sunshine_app::AppError| anyhow::anyhow!("{e}");
    match command {
        Open311Command::IssueKey {
            client,
            per_minute,
            may_comment_on_all,
        } => {
            let (row, key) = app
                .issue_open311_key(None, client, *per_minute, *may_comment_on_all)
                .await
                .map_err(fail)?;
            eprintln!(
                "key {} issued to {}; it is shown only this once:",
                row.id, row.client
            );
            println!("{key}");
        }
        Open311Command::Keys => {
            for k in app.open311_keys(None).await.map_err(fail)? {
                let state = if k.revoked_at.is_some() {
                    "revoked"
                } else {
                    "live"
                };
                println!(
                    "{}\t{}\t{}/min\t{}\t{state}",
                    k.id,
                    k.client,
                    k.per_minute,
                    sunshine_app::hotline::iso(k.created_at)
                );
            }
        }
        Open311Command::RevokeKey { id } => {
            app.revoke_open311_key(None, *id).await.map_err(fail)?;
            println!("key {id} revoked");
        }
    }
    Ok(())
}

/// `sunshine catalog`: export and import the catalogue; the exit code when
/// an import is refused.
async fn catalog(
    cli: &Cli,
    command: &CatalogCommand,
) -> anyhow::Result<Option<std::process::ExitCode>> {
    let app = open_app(cli).await?;
    match command {
        CatalogCommand::Export { file, as_user } => {
            let actor = app
                .staff_actor(as_user)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let bytes = app
                .export_catalog(&actor, format_of(file)?)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            std::fs::write(file, bytes)?;
            println!("exported to {}", file.display());
        }
        CatalogCommand::Import { file, as_user } => {
            let actor = app
                .staff_actor(as_user)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let bytes = std::fs::read(file)?;
            match app.import_catalog(&actor, format_of(file)?, &bytes).await {
                Ok(r) => println!("imported {} items", r.imported),
                Err(e) => return refused_import(e).map(Some),
            }
        }
    }
    Ok(None)
}

/// `sunshine registry`: the exit code when an import is refused.
async fn registry(
    cli: &Cli,
    command: &RegistryCommand,
) -> anyhow::Result<Option<std::process::ExitCode>> {
    let (file, by, dry_run) = match command {
        RegistryCommand::Import { file, by, dry_run } => (file, by, dry_run),
        RegistryCommand::Relink { district, by } => {
            let app = open_app(cli).await?;
            let actor = app
                .staff_actor(by)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let started = std::time::Instant::now();
            return match app.relink_registry(&actor, district).await {
                Ok(r) => {
                    println!(
                        "{} records re-linked in {:.1} s: {} pairs for review, {} of them new",
                        r.records,
                        started.elapsed().as_secs_f64(),
                        r.pairs,
                        r.new_pairs
                    );
                    Ok(None)
                }
                Err(e) => refused_import(e).map(Some),
            };
        }
    };
    let bytes =
        std::fs::read(file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    let app = open_app(cli).await?;
    let actor = app
        .staff_actor(by)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    match app.import_registry(&actor, &bytes, *dry_run).await {
        Ok(r) => {
            let verb = if r.dry_run { "would add" } else { "added" };
            println!(
                "{} rows: {verb} {}, {} {}, {} unchanged",
                r.rows,
                r.added.len(),
                if r.dry_run { "would change" } else { "changed" },
                r.changed.len(),
                r.unchanged
            );
            for c in &r.changed {
                println!("  line {}: {}", c.line, c.columns.join(", "));
            }
            if let Some(id) = r.import_id {
                println!("import {id} recorded and journaled");
            }
        }
        Err(e) => return refused_import(e).map(Some),
    }
    Ok(None)
}

/// An import's refusal printed with every line at fault, and exit code 2;
/// any other failure as it is.
fn refused_import(e: sunshine_app::AppError) -> anyhow::Result<std::process::ExitCode> {
    match e {
        sunshine_app::AppError::Refused(r) => {
            println!("{}", r.message.en);
            for (k, v) in &r.fields {
                println!("  {k}: {}", v.en);
            }
            Ok(std::process::ExitCode::from(2))
        }
        e => Err(anyhow::anyhow!("{e}")),
    }
}

fn format_of(file: &std::path::Path) -> anyhow::Result<sunshine_app::catalog::io::Format> {
    match file.extension().and_then(|e| e.to_str()) {
        Some("json") => Ok(sunshine_app::catalog::io::Format::Json),
        Some("csv") => Ok(sunshine_app::catalog::io::Format::Csv),
        _ => anyhow::bail!("the file must end in .json or .csv"),
    }
}
