//! Use cases. Each command loads what it needs, asks `domain` (the policy
//! and the rules) for a decision, and writes the new state together with its
//! journal entry in one transaction.

pub mod access;
pub mod backup;
pub mod backup_centre;
pub mod bundle;
pub mod card;
pub mod care;
pub mod catalog;
pub mod credentials;
pub mod demo;
pub mod desks;
pub mod disclosure;
pub mod exchange;
pub mod grants;
pub mod hall;
pub mod hotline;
pub mod identity;
pub mod journal;
pub mod journal_entry;
pub mod keys;
pub mod licence;
pub mod materials;
pub mod registry;
pub mod sharing;
pub mod specs;
pub mod supervision;
pub mod tv;
mod workers;

use std::sync::{Arc, RwLock};

use sunshine_domain::calendar::Calendar;
use sunshine_domain::clock::{to_micros, Clock};
use sunshine_domain::identity::{Actor, CityService, OrgTree, Organisation};
use sunshine_domain::ids::OrgCode;
use sunshine_domain::policy::{self, Action};
use sunshine_domain::refusal::{Refusal, RefusalKind};
use sunshine_store::{Db, StoreError};

/// What went wrong: a refusal the user may read, or an internal failure
/// that is logged and shown only as "internal error".
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    Refused(Refusal),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<Refusal> for AppError {
    fn from(r: Refusal) -> Self {
        AppError::Refused(r)
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Duplicate(_) => AppError::Refused(Refusal::conflict(
                "duplicate",
                "该记录已存在",
                "This record already exists",
            )),
            other => AppError::Internal(other.into()),
        }
    }
}

impl AppError {
    /// The refusal kind, if it is a refusal.
    pub fn kind(&self) -> Option<RefusalKind> {
        match self {
            AppError::Refused(r) => Some(r.kind),
            AppError::Internal(_) => None,
        }
    }
}

pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// The application: the store, the clock, the calendar and the organisation
/// tree that the policy consults.
pub struct App {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub calendar: Arc<Calendar>,
    /// Seals the organisations' signing keys at rest.
    kek: keys::Kek,
    orgs: RwLock<Arc<OrgDirectory>>,
    /// Held through a reload of the tree, from the read to the store.
    orgs_reload: tokio::sync::Mutex<()>,
    /// The board's changes as the disclosure consumer applies them, for live clients.
    board_changes: tokio::sync::broadcast::Sender<disclosure::BoardChanges>,
    /// Set when the process stops, so that live streams end and let it.
    live_closing: tokio::sync::watch::Sender<bool>,
    /// Library versions' specs, which never change once there.
    pub specs: specs::SpecCache,
    /// Signing keys whose creation is durable, opened once.
    keys: licence::KeyCache,
    recent_cases: licence::RecentCases,
    /// The city's standard for the population registry: its code lists.
    registry_standard: registry::StandardCell,
    /// The hotline's categories, read once and again after each edit.
    hotline_categories: hotline::CategoryCache,
    /// Where supervision posts each new signal (a mail or SMS gateway), if anywhere.
    webhook: Arc<std::sync::OnceLock<String>>,
    /// The citizen card's engine: started on first use, or run by the
    /// process that holds its lease.
    card: Arc<card::lease::CardSlot>,
    /// How much password hashing may run at once, and how long a sign-in waits for it.
    password_work: Arc<RwLock<identity::PasswordWork>>,
    /// The continuous backup, when `serve` keeps one.
    backup: Arc<std::sync::OnceLock<Arc<backup::service::BackupService>>>,
    /// The backup centre's files and who is writing them.
    centre: backup_centre::CentreFiles,
    /// The keys of the platforms this one exchanges with.
    exchange: exchange::PeerKeys,
}

/// Ask the policy with a given organisation tree (inside a write command,
/// which cannot borrow the app).
pub(crate) fn allow(orgs: &OrgDirectory, actor: &Actor, action: &Action<'_>) -> Result<()> {
    policy::authorize(actor, action, &orgs.tree).map_err(AppError::from)
}

/// Work at a city-wide service's centre, asked of the policy with the centre
/// the platform names for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CentreWork {
    /// 96345: take, dispatch, review and visit requests; look callers up.
    OperateHotline,
    /// 市民卡: serve cardholders at a counter.
    ServeCardholder,
    /// 市民卡: operators, merchants, terminals, settlement.
    OperateCards,
    /// 数据容灾集中备份中心: the departments' systems, keys and archives.
    KeepBackups,
}

/// Whether `actor` may do `work` at its service's centre.
pub(crate) fn at_centre(orgs: &OrgDirectory, actor: &Actor, work: CentreWork) -> Result<()> {
    let service = match work {
        CentreWork::OperateHotline => CityService::Hotline,
        CentreWork::ServeCardholder | CentreWork::OperateCards => CityService::Card,
        CentreWork::KeepBackups => CityService::BackupCentre,
    };
    let Some(centre) = orgs.centre(service) else {
        return Err(Refusal::forbidden(
            "forbidden",
            "您没有执行此操作的权限",
            "You are not allowed to do this",
        )
        .into());
    };
    let action = match work {
        CentreWork::OperateHotline => Action::OperateHotline { centre: &centre },
        CentreWork::ServeCardholder => Action::ServeCardholder { centre: &centre },
        CentreWork::OperateCards => Action::OperateCards { centre: &centre },
        CentreWork::KeepBackups => Action::KeepBackups { centre: &centre },
    };
    allow(orgs, actor, &action)
}

/// The organisations, cached for the policy and for showing names.
#[derive(Debug, Default)]
pub struct OrgDirectory {
    pub tree: OrgTree,
    pub list: Vec<Organisation>,
    /// The organisation that runs each city-wide service, where one is named.
    pub centres: std::collections::BTreeMap<CityService, OrgCode>,
}

impl OrgDirectory {
    /// The organisation that runs a city-wide service: the one named, or the
    /// top of the tree (so only roles held at the city count) until one is.
    pub fn centre(&self, service: CityService) -> Option<OrgCode> {
        self.centres
            .get(&service)
            .or_else(|| self.tree.root())
            .cloned()
    }

    pub fn get(&self, code: &str) -> Option<&Organisation> {
        self.list.iter().find(|o| o.code.as_str() == code)
    }
    /// The name of an organisation in the language asked for, or its code.
    pub fn name(&self, code: &str, lang: &str) -> String {
        match self.get(code) {
            Some(o) if lang.starts_with("en") => o.name_en.clone(),
            Some(o) => o.name.clone(),
            None => code.to_string(),
        }
    }
}

impl App {
    /// Open the app on a migrated database.
    pub async fn new(
        db: Db,
        clock: Arc<dyn Clock>,
        calendar: Calendar,
        kek: keys::Kek,
    ) -> Result<Arc<App>> {
        let app = Arc::new(App {
            db,
            clock,
            calendar: Arc::new(calendar),
            kek,
            orgs: RwLock::new(Arc::default()),
            orgs_reload: tokio::sync::Mutex::new(()),
            board_changes: tokio::sync::broadcast::channel(disclosure::LIVE_BACKLOG).0,
            live_closing: tokio::sync::watch::channel(false).0,
            specs: specs::SpecCache::default(),
            keys: licence::KeyCache::default(),
            recent_cases: licence::RecentCases::default(),
            registry_standard: Arc::new(RwLock::new((0, Arc::new(registry::city_standard())))),
            hotline_categories: hotline::CategoryCache::default(),
            webhook: Arc::default(),
            card: Arc::default(),
            password_work: Arc::default(),
            backup: Arc::default(),
            centre: Default::default(),
            exchange: Default::default(),
        });
        app.reload_orgs().await?;
        app.reload_registry_standard().await?;
        Ok(app)
    }

    /// Move the platform's simulated clock forward (a root administrator, for
    /// demonstrations and tests); the system clock is refused, and so is a
    /// moment in the past. Where the clock now stands.
    pub fn move_clock(&self, actor: &Actor, to: jiff::Timestamp) -> Result<jiff::Timestamp> {
        self.authorize(actor, &Action::ReadJournal)?;
        if to < self.clock.now() {
            return Err(Refusal::field("to", "时间不能倒退", "Time does not run back").into());
        }
        self.clock.move_to(to).ok_or_else(|| {
            Refusal::conflict(
                "system_clock",
                "平台使用系统时钟，不能调整",
                "The platform runs on the system clock, which cannot be moved",
            )
            .into()
        })
    }

    /// Whether the database answers: the health check's question.
    pub async fn ping(&self) -> Result<()> {
        Ok(sunshine_store::db::ping(&self.db).await?)
    }

    /// Now, as stored: microseconds since the epoch.
    pub fn now_micros(&self) -> i64 {
        to_micros(self.clock.now())
    }

    /// The same platform seen through another clock: the demo writes its
    /// history in the past, through the real commands.
    pub(crate) fn with_clock(&self, clock: Arc<dyn Clock>) -> App {
        App {
            db: self.db.clone(),
            clock,
            calendar: self.calendar.clone(),
            kek: self.kek.clone(),
            orgs: RwLock::new(self.orgs()),
            orgs_reload: tokio::sync::Mutex::new(()),
            board_changes: self.board_changes.clone(),
            live_closing: self.live_closing.clone(),
            specs: self.specs.clone(),
            keys: self.keys.clone(),
            recent_cases: self.recent_cases.clone(),
            registry_standard: self.registry_standard.clone(),
            hotline_categories: self.hotline_categories.clone(),
            webhook: self.webhook.clone(),
            card: self.card.clone(),
            password_work: self.password_work.clone(),
            backup: self.backup.clone(),
            centre: self.centre.clone(),
            exchange: self.exchange.clone(),
        }
    }

    pub fn orgs(&self) -> Arc<OrgDirectory> {
        self.orgs.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub(crate) async fn reload_orgs(&self) -> Result<()> {
        // One reload at a time, each reading after the one before stored
        // its tree: the worker's periodic reload that read before a unit
        // was added cannot store its older tree over the newer one the
        // adding command's reload read (a staff member created at once in
        // that unit was refused as in no such organisation).
        let _one = self.orgs_reload.lock().await;
        let mut conn = self.db.read().await?;
        let list = sunshine_store::identity::list_orgs(&mut conn).await?;
        let tree = OrgTree::new(list.iter().map(|o| (&o.code, o.parent.as_ref())));
        let centres = sunshine_store::identity::binding::service_centres(&mut conn)
            .await?
            .into_iter()
            .filter_map(|(service, org)| Some((CityService::parse(&service)?, org)))
            .collect();
        *self.orgs.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(OrgDirectory {
            tree,
            list,
            centres,
        });
        Ok(())
    }

    /// Ask the policy; every command calls this before it changes anything.
    pub fn authorize(&self, actor: &Actor, action: &Action<'_>) -> Result<()> {
        allow(&self.orgs(), actor, action)
    }

    /// The departments where `actor` may do any of `work`, or `refusal`
    /// when there are none (see [`policy::organisations_where`]).
    pub(crate) fn departments_where(
        &self,
        actor: &Actor,
        work: &[policy::PerOrganisation],
        refusal: impl FnOnce() -> Refusal,
    ) -> Result<Vec<String>> {
        let orgs = self.orgs();
        let found = policy::organisations_where(
            actor,
            &orgs.tree,
            orgs.list.iter().map(|o| &o.code),
            work,
            refusal,
        )?;
        Ok(found.into_iter().map(ToString::to_string).collect())
    }

    /// Whether `actor` may do `work` at the centre of its city-wide service.
    pub fn authorize_centre(&self, actor: &Actor, work: CentreWork) -> Result<()> {
        at_centre(&self.orgs(), actor, work)
    }
}
