//! The Hangzhou demo: organisations, staff, a citizen and an enterprise, and
//! the power items, each brought to its state through the real commands so
//! that the journal tells how it got there.

use serde::Deserialize;
use sunshine_domain::catalog::{ItemSpec, VersionState, WorkflowStep};
use sunshine_domain::identity::{Actor, Organisation};
use sunshine_domain::ids::{CreditCode, OrgCode, ResidentId};

use std::sync::Arc;

use jiff::SignedDuration;
use sunshine_domain::clock::SimulatedClock;

use crate::identity::NewStaff;
use crate::{App, Result};

mod backup_centre;
pub mod card;
mod care;
mod cases;
mod hotline;
mod registry;
pub mod sharing;
mod supervision;

const ORGANISATIONS: &str = include_str!("../../../data/demo/organisations.json");
const ITEMS: &str = include_str!("../../../data/demo/items.json");
const BUNDLES: &str = include_str!("../../../data/demo/bundles.json");

#[derive(Deserialize)]
struct DemoBundle {
    #[serde(flatten)]
    spec: sunshine_domain::bundle::BundleSpec,
    active: bool,
}

/// The one password of every demo account.
pub const DEMO_PASSWORD: &str = "sunshine-demo";

/// A demo account to print at start.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub login: String,
    pub what: &'static str,
}

#[derive(Deserialize)]
struct DemoItem {
    #[serde(flatten)]
    spec: ItemSpec,
    demo_state: VersionState,
}

/// The demo citizen's identity number (valid check digit, Xihu district, born 1990).
pub const DEMO_CITIZEN_ID: &str = "33010619900101123X";
/// The login the demo citizen chose at sign-up; once bound, the identity number signs in too.
pub const DEMO_CITIZEN_LOGIN: &str = "wang.xiaoming";
/// The login the demo enterprise chose at sign-up.
pub const DEMO_ENTERPRISE_LOGIN: &str = "yunqi.data";
/// The demo's elder in home care: 王小明's grandmother, of his household.
pub const DEMO_ELDER_LOGIN: &str = "chen.xiuying";
pub const DEMO_ELDER_NAME: &str = "陈秀英";
pub const DEMO_ELDER_BIRTH: &str = "1940-03-15";
/// The demo's provider of the housekeeping alliance (家政联盟).
pub const DEMO_PROVIDER_LOGIN: &str = "anju.care";
pub const DEMO_PROVIDER_NAME: &str = "杭州安居家政服务有限公司";

/// The demo elder's identity number (Xihu district, born 1940-03-15, a woman).
pub fn demo_elder_id() -> String {
    let first17 = "33010619400315062";
    format!(
        "{first17}{}",
        ResidentId::check_char(first17).unwrap_or('0')
    )
}

/// The demo provider's credit code.
pub fn demo_provider_code() -> String {
    let first17 = "91330106MA2CD0002";
    format!(
        "{first17}{}",
        CreditCode::check_char(first17).unwrap_or('0')
    )
}

/// The demo enterprise's legal representative (valid check digit).
const DEMO_LEGAL_REP_ID: &str = "330106198001011235";

fn demo_credit_code() -> String {
    let first17 = "91330106MA2CD0001";
    format!(
        "{first17}{}",
        CreditCode::check_char(first17).unwrap_or('0')
    )
}

/// The organisations of Hangzhou and the first administrator (`admin`), on an empty platform.
pub async fn setup_platform(app: &App) -> Result<Actor> {
    let orgs: Vec<Organisation> =
        serde_json::from_str(ORGANISATIONS).map_err(anyhow::Error::from)?;
    app.bootstrap_orgs(&orgs).await?;
    app.bootstrap_admin("admin", "系统管理员", &orgs[0].code, DEMO_PASSWORD)
        .await
}

/// How far back the demo's history begins.
const HISTORY_DAYS: i64 = 120;

/// How many cases the demo's history holds.
pub const DEMO_CASES: usize = 320;

/// Load the demo once; later starts find it there and only list the logins.
pub async fn load(app: &App) -> Result<(bool, Vec<DemoLogin>)> {
    load_with(app, DEMO_CASES).await
}

/// Who can sign in to the demo, and as what.
fn demo_logins() -> Vec<DemoLogin> {
    let mut logins = vec![
        DemoLogin {
            login: "admin".into(),
            what: "administrator, Hangzhou (330100): the first administrator, who holds every role of the city",
        },
        DemoLogin {
            login: "editor".into(),
            what: "catalogue editor, 杭州市经济和信息化委员会",
        },
        DemoLogin {
            login: "reviewer".into(),
            what: "legal reviewer, Hangzhou",
        },
        DemoLogin {
            login: "approver".into(),
            what: "approver, Hangzhou (city items)",
        },
        DemoLogin {
            login: "clerk".into(),
            what: "case clerk for every city department (the hall)",
        },
        DemoLogin {
            login: "xihu.approver".into(),
            what: "approver, 西湖区 (330106 district items)",
        },
        DemoLogin {
            login: "operator".into(),
            what: "operator of the 96345 hotline",
        },
        DemoLogin {
            login: "supervisor".into(),
            what: "supervisor (电子监察), Hangzhou: every department's signals",
        },
        DemoLogin {
            login: "xihu.supervisor".into(),
            what: "supervisor, 西湖区 (330106 departments)",
        },
        DemoLogin {
            login: REGISTRAR.into(),
            what: "population registrar, 西湖区: imports and holds the district's records",
        },
        DemoLogin {
            login: CITY_REGISTRAR.into(),
            what: "the city's population statistician: anonymous aggregates only, no persons",
        },
        DemoLogin {
            login: COMMUNITY_WORKER.into(),
            what: "community worker, 保俶塔社区 (330106001001): collects the community's records",
        },
        DemoLogin {
            login: "card.clerk".into(),
            what: "clerk of the citizen card centre (市民卡): issues cards, serves holders",
        },
        DemoLogin {
            login: "card.operator".into(),
            what: "operator of the citizen card: operators, merchants, terminals, settlement",
        },
        DemoLogin {
            login: backup_centre::KEEPER.into(),
            what: "keeper of the backup centre (数据容灾集中备份中心): departments' systems, keys, archives",
        },
        DemoLogin {
            login: DEMO_CITIZEN_ID.into(),
            what: "citizen 王小明 (signed up as wang.xiaoming; bound, so the number signs in too)",
        },
        DemoLogin {
            login: demo_credit_code(),
            what: "enterprise 杭州云栖数据科技有限公司 (signed up as yunqi.data; bound with its legal representative)",
        },
        DemoLogin {
            login: DEMO_ELDER_LOGIN.into(),
            what: "citizen 陈秀英, 86, 王小明's grandmother, registered for home care: orders at /account/care or on the TV page /tv/care",
        },
        DemoLogin {
            login: DEMO_PROVIDER_LOGIN.into(),
            what: "enterprise 杭州安居家政服务有限公司, a provider of the housekeeping alliance: its orders at /account/care",
        },
        DemoLogin {
            login: sharing::REGISTRATION_EDITOR.into(),
            what: "resource cataloguer, 杭州市工商行政管理局: registers its resources, submits the enterprise registration feed, resolves conflicts",
        },
        DemoLogin {
            login: sharing::REGISTRATION_APPROVER.into(),
            what: "approver, 杭州市工商行政管理局: approves or refuses subscriptions to its resources (/staff/sharing/subscriptions)",
        },
        DemoLogin {
            login: sharing::TAX_EDITOR.into(),
            what: "resource cataloguer, 杭州市地方税务局: submits the enterprise tax feed",
        },
        DemoLogin {
            login: sharing::QUALITY_EDITOR.into(),
            what: "resource cataloguer, 杭州市质量技术监督局: submits the organisation-code and quality feed",
        },
        DemoLogin {
            login: sharing::SOCIAL_SECURITY_CLERK.into(),
            what: "clerk, 杭州市人力资源和社会保障局: subscribes to other departments' resources, holds its keys",
        },
    ];
    logins.push(DemoLogin {
        login: "editor.<region>, approver.<region>, clerk.<region>".into(),
        what: "an editor, an approver and a case clerk for each region with items (e.g. clerk.330106)",
    });
    logins
}

/// The demo's population registrar, at 西湖区.
pub const REGISTRAR: &str = "xihu.registrar";
/// The city's registrar, who sees the city's aggregates and no person.
pub const CITY_REGISTRAR: &str = "city.registrar";
/// The demo's community worker, and the community (an organisation whose
/// code is the district's and the community's six digits).
pub const COMMUNITY_WORKER: &str = "community.worker";
pub const DEMO_COMMUNITY: &str = "330106-001001";

/// The demo with as many cases as asked (tests that need no history ask for none).
pub async fn load_with(app: &App, cases: usize) -> Result<(bool, Vec<DemoLogin>)> {
    let orgs: Vec<Organisation> =
        serde_json::from_str(ORGANISATIONS).map_err(anyhow::Error::from)?;
    let items: Vec<DemoItem> = serde_json::from_str(ITEMS).map_err(anyhow::Error::from)?;
    let logins = demo_logins();
    if !app.orgs().list.is_empty() {
        return Ok((false, logins));
    }
    // Marked first, so that a load that fails half-way still leaves a store
    // that `serve` knows for a demo; never on a store that was already there.
    mark_demo(app).await?;
    // The demo's history is written through the real commands on a clock of
    // its own, from some months ago up to now, so that the journal, the
    // cases and their clocks tell a consistent story.
    let end = app.clock.now();
    let clock = SimulatedClock::new(
        end.checked_sub(SignedDuration::from_hours(24 * HISTORY_DAYS))
            .unwrap_or(end),
    );
    let past = app.with_clock(Arc::new(clock.clone()));
    populate(&past, orgs, items).await?;
    let n = cases::load(&past, &clock, end, cases).await?;
    if n > 0 {
        supervision::load(&past, &clock, end).await?;
    }
    app.reload_orgs().await?;
    if n > 0 {
        hotline::load(app, end).await?;
    }
    // The registry first: a card is issued only to a person it holds.
    registry::load(app).await?;
    let card_centre = app
        .orgs()
        .list
        .iter()
        .find(|o| o.name.contains("市民卡"))
        .map(|o| o.code.clone());
    if let Some(centre) = card_centre {
        let admin = app.staff_actor("admin").await?;
        for (login, name, role) in [
            ("card.clerk", "郑柜员", "card_clerk"),
            ("card.operator", "冯运营", "card_operator"),
        ] {
            app.create_staff(
                &admin,
                crate::identity::NewStaff {
                    login: login.into(),
                    display_name: name.into(),
                    org: centre.to_string(),
                    password: DEMO_PASSWORD.into(),
                    roles: vec![role.into()],
                },
            )
            .await?;
        }
        // On the platform's own clock: the card engine keeps one clock.
        let clerk = app.staff_actor("card.clerk").await?;
        let operator = app.staff_actor("card.operator").await?;
        card::load(app, &clerk, &operator).await?;
    }
    backup_centre::load(app).await?;
    care::load(app).await?;
    sharing::load(app).await?;
    tracing::info!(cases = n, "demo data loaded");
    Ok((true, logins))
}

/// The organisations, the staff, the applicants, the items and the bundles.
async fn populate(app: &App, orgs: Vec<Organisation>, items: Vec<DemoItem>) -> Result<()> {
    let economy = orgs
        .iter()
        .find(|o| o.name.contains("经济和信息化"))
        .map(|o| o.code.clone())
        .unwrap_or_else(|| orgs[0].code.clone());
    app.bootstrap_orgs(&orgs).await?;
    let admin = app
        .bootstrap_admin("admin", "系统管理员", &orgs[0].code, DEMO_PASSWORD)
        .await?;
    let (city, regions) = demo_staff(app, &admin, &orgs, &items, &economy).await?;
    demo_applicants(app).await?;
    demo_clerks(app, &admin, &items, &regions, &city).await?;
    demo_items(app, items, &city).await?;
    let bundles: Vec<DemoBundle> = serde_json::from_str(BUNDLES).map_err(anyhow::Error::from)?;
    for b in bundles {
        app.define_bundle(&admin, b.spec, b.active).await?;
    }
    hotline::categories(app).await
}

/// A demo staff account with one role.
fn staff(login: &str, name: &str, org: &OrgCode, role: &str) -> NewStaff {
    NewStaff {
        login: login.into(),
        display_name: name.into(),
        org: org.to_string(),
        password: DEMO_PASSWORD.into(),
        roles: vec![role.into()],
    }
}

/// The city's staff, an editor and an approver per region, and the
/// city-wide services' centres; the city and the regions.
async fn demo_staff(
    app: &App,
    admin: &Actor,
    orgs: &[Organisation],
    items: &[DemoItem],
    economy: &OrgCode,
) -> Result<(OrgCode, Vec<OrgCode>)> {
    let city = orgs[0].code.clone();
    app.create_staff(admin, staff("editor", "陈编制", economy, "catalog_editor"))
        .await?;
    app.create_staff(admin, staff("reviewer", "李法制", &city, "legal_reviewer"))
        .await?;
    app.create_staff(admin, staff("approver", "赵审批", &city, "approver"))
        .await?;
    app.create_staff(admin, staff("clerk", "孙承办", &city, "case_clerk"))
        .await?;
    app.create_staff(admin, staff("supervisor", "周监察", &city, "supervisor"))
        .await?;
    let hotline_centre = orgs
        .iter()
        .find(|o| o.name.contains("96345"))
        .map_or_else(|| city.clone(), |o| o.code.clone());
    app.create_staff(
        admin,
        staff("operator", "钱话务", &hotline_centre, "hotline_operator"),
    )
    .await?;
    let xihu = OrgCode::parse("330106").map_err(|b| anyhow::anyhow!(b.en))?;
    app.create_staff(
        admin,
        staff("xihu.supervisor", "吴监察", &xihu, "supervisor"),
    )
    .await?;
    app.create_staff(admin, staff(REGISTRAR, "郑登记", &xihu, "registrar"))
        .await?;
    app.create_staff(admin, staff(CITY_REGISTRAR, "钟统计", &city, "registrar"))
        .await?;
    let community = OrgCode::parse(DEMO_COMMUNITY).map_err(|b| anyhow::anyhow!(b.en))?;
    app.create_staff(
        admin,
        staff(COMMUNITY_WORKER, "冯社工", &community, "community_worker"),
    )
    .await?;

    let mut regions: Vec<OrgCode> = items
        .iter()
        .map(|i| crate::catalog::region_government(&i.spec))
        .collect();
    regions.sort();
    regions.dedup();
    for r in &regions {
        app.create_staff(
            admin,
            staff(
                &format!("editor.{r}"),
                &format!("{r}事项编制员"),
                r,
                "catalog_editor",
            ),
        )
        .await?;
        if r != &city {
            let login = if r.as_str() == "330106" {
                "xihu.approver".to_string()
            } else {
                format!("approver.{r}")
            };
            app.create_staff(admin, staff(&login, &format!("{r}审批员"), r, "approver"))
                .await?;
        }
    }
    // The city-wide services' centres, whose staff alone do their work.
    for (service, needle) in [("hotline", "96345"), ("card", "市民卡")] {
        if let Some(centre) = orgs.iter().find(|o| o.name.contains(needle)) {
            app.set_service_centre(admin, service, centre.code.as_str())
                .await?;
        }
    }
    Ok((city, regions))
}

/// The demo's citizen and enterprise sign up online, then bind their
/// accounts with a code the city's counter issued after seeing their papers.
async fn demo_applicants(app: &App) -> Result<()> {
    app.register_citizen(crate::identity::NewApplicant {
        login: DEMO_CITIZEN_LOGIN.into(),
        number: DEMO_CITIZEN_ID.into(),
        name: "王小明".into(),
        password: DEMO_PASSWORD.into(),
    })
    .await?;
    app.register_enterprise(crate::identity::NewApplicant {
        login: DEMO_ENTERPRISE_LOGIN.into(),
        number: demo_credit_code(),
        name: "杭州云栖数据科技有限公司".into(),
        password: DEMO_PASSWORD.into(),
    })
    .await?;
    app.register_citizen(crate::identity::NewApplicant {
        login: DEMO_ELDER_LOGIN.into(),
        number: demo_elder_id(),
        name: DEMO_ELDER_NAME.into(),
        password: DEMO_PASSWORD.into(),
    })
    .await?;
    app.register_enterprise(crate::identity::NewApplicant {
        login: DEMO_PROVIDER_LOGIN.into(),
        number: demo_provider_code(),
        name: DEMO_PROVIDER_NAME.into(),
        password: DEMO_PASSWORD.into(),
    })
    .await?;
    let provider_rep = {
        let first17 = "33010619780606041";
        format!(
            "{first17}{}",
            ResidentId::check_char(first17).unwrap_or('0')
        )
    };
    let counter = app.staff_actor("clerk").await?;
    for (login, kind, number, name, rep) in [
        (
            DEMO_CITIZEN_LOGIN,
            "citizen",
            DEMO_CITIZEN_ID.to_string(),
            "王小明",
            None,
        ),
        (
            DEMO_ENTERPRISE_LOGIN,
            "enterprise",
            demo_credit_code(),
            "杭州云栖数据科技有限公司",
            Some(("陈云栖", DEMO_LEGAL_REP_ID)),
        ),
        (
            DEMO_ELDER_LOGIN,
            "citizen",
            demo_elder_id(),
            DEMO_ELDER_NAME,
            None,
        ),
        (
            DEMO_PROVIDER_LOGIN,
            "enterprise",
            demo_provider_code(),
            DEMO_PROVIDER_NAME,
            Some(("安居平", provider_rep.as_str())),
        ),
    ] {
        let issued = app
            .issue_binding_code(
                &counter,
                crate::identity::binding::NewBindingCode {
                    kind: kind.into(),
                    number,
                    name: name.into(),
                    legal_rep_name: rep.map(|(n, _)| n.to_string()),
                    legal_rep_id: rep.map(|(_, i)| i.to_string()),
                    counter: None,
                },
            )
            .await?;
        let account = app.account_actor(login).await?;
        app.bind_with_code(&account, &issued.code).await?;
    }

    Ok(())
}

/// The clerks hold the posts of their departments' process steps: the
/// city's clerk those of the city's items, a clerk per district the rest.
async fn demo_clerks(
    app: &App,
    admin: &Actor,
    items: &[DemoItem],
    regions: &[OrgCode],
    city: &OrgCode,
) -> Result<()> {
    let mut posts: std::collections::BTreeSet<(String, OrgCode, String)> = Default::default();
    for item in items {
        let government = crate::catalog::region_government(&item.spec);
        let clerk = if &government == city {
            "clerk".to_string()
        } else {
            format!("clerk.{government}")
        };
        for step in &item.spec.steps {
            posts.insert((
                clerk.clone(),
                item.spec.implementing_body.clone(),
                step.post.clone(),
            ));
        }
    }
    for r in regions.iter().filter(|r| *r != city) {
        app.create_staff(
            admin,
            staff(
                &format!("clerk.{r}"),
                &format!("{r}承办员"),
                r,
                "case_clerk",
            ),
        )
        .await?;
    }
    for (clerk, org, post) in posts {
        app.assign_post(admin, &clerk, org.as_str(), &post).await?;
    }
    Ok(())
}

/// The items, each brought along the workflow as far as the demo wants it.
async fn demo_items(app: &App, items: Vec<DemoItem>, city: &OrgCode) -> Result<()> {
    let actor = |login: &str| {
        let login = login.to_string();
        async move { app.staff_actor(&login).await }
    };
    let reviewer = actor("reviewer").await?;
    for (n, item) in items.into_iter().enumerate() {
        let government = crate::catalog::region_government(&item.spec);
        let editor = actor(&format!("editor.{government}")).await?;
        let approver = if &government == city {
            actor("approver").await?
        } else if government.as_str() == "330106" {
            actor("xihu.approver").await?
        } else {
            actor(&format!("approver.{government}")).await?
        };
        let v = app.create_item(&editor, item.spec).await?;
        let target = item.demo_state;
        let path = [
            (VersionState::Declared, &editor, WorkflowStep::Declare),
            (VersionState::Reviewed, &reviewer, WorkflowStep::Review),
            (VersionState::Approved, &approver, WorkflowStep::Approve),
            (
                VersionState::InLibrary,
                &approver,
                WorkflowStep::Publish {
                    effective: app.clock.today(),
                },
            ),
        ];
        for (state, who, step) in path {
            if target < state {
                break;
            }
            app.workflow_step(who, v.id, step).await?;
        }
        // A few published items get a new draft beside them, and one draft was returned once.
        if target == VersionState::InLibrary && n % 9 == 0 {
            let next = app.open_new_version(&editor, v.item_id).await?;
            if n % 18 == 0 {
                app.workflow_step(&editor, next.id, WorkflowStep::Declare)
                    .await?;
                let reason = "法律依据已修订，请按新条款更新设定依据".to_string();
                app.workflow_step(&reviewer, next.id, WorkflowStep::Return { reason })
                    .await?;
            }
        }
    }
    Ok(())
}

/// The mark a store carries once the demo was loaded into it.
const DEMO_MARK: &str = "demo";

/// The logins the demo creates with [`DEMO_PASSWORD`].
pub const DEMO_LOGINS: [&str; 24] = [
    "admin",
    "editor",
    "reviewer",
    "approver",
    "clerk",
    "xihu.approver",
    "operator",
    "supervisor",
    "xihu.supervisor",
    REGISTRAR,
    CITY_REGISTRAR,
    COMMUNITY_WORKER,
    "card.clerk",
    "card.operator",
    backup_centre::KEEPER,
    DEMO_CITIZEN_LOGIN,
    DEMO_ENTERPRISE_LOGIN,
    DEMO_ELDER_LOGIN,
    DEMO_PROVIDER_LOGIN,
    sharing::REGISTRATION_EDITOR,
    sharing::REGISTRATION_APPROVER,
    sharing::TAX_EDITOR,
    sharing::QUALITY_EDITOR,
    sharing::SOCIAL_SECURITY_CLERK,
];

async fn mark_demo(app: &App) -> Result<()> {
    let now = app.now_micros();
    app.db
        .write(
            async move |tx: &mut sunshine_store::WriteTx| -> Result<()> {
                sunshine_store::marks::set(tx.conn(), DEMO_MARK, now).await?;
                Ok(())
            },
        )
        .await
}

/// Whether the demo was loaded into this store.
pub async fn is_demo(app: &App) -> Result<bool> {
    let mut conn = app.db.read().await?;
    Ok(sunshine_store::marks::has(&mut conn, DEMO_MARK).await?)
}

/// The demo's public credentials this store would accept: a demo login
/// whose password is still [`DEMO_PASSWORD`], a terminal whose key is the
/// demo's published one for its code. A store that is not a demo must hold
/// none, or anyone who read the demo's documentation could sign in to it or
/// sign for its terminals.
pub async fn demo_credentials(app: &App) -> Result<Vec<String>> {
    let mut found = vec![];
    let (users, terminals) = {
        let mut conn = app.db.read().await?;
        let mut users = vec![];
        for login in DEMO_LOGINS {
            if let Some(u) = sunshine_store::identity::find_user_by_login(&mut conn, login).await? {
                users.push((login, u.password_hash));
            }
        }
        (
            users,
            sunshine_store::marks::terminal_keys(&mut conn).await?,
        )
    };
    for (login, hash) in users {
        if app.verify_password(DEMO_PASSWORD.to_string(), hash).await? {
            found.push(format!("account {login} with the demo password"));
        }
    }
    for (code, key) in terminals {
        let demo = hex::encode(card::demo_terminal_key(&code).verifying_key().to_bytes());
        if key.trim().eq_ignore_ascii_case(&demo) {
            found.push(format!("terminal {code} with the demo's published key"));
        }
    }
    Ok(found)
}
