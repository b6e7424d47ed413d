//! Home care's pages: a resident's own (`/account/care`, and in large type
//! for the digital-TV zone `/tv/care` and the community kiosk
//! `/kiosk/care`), a provider's orders (`/account/care` for its enterprise
//! account), and the staff page of community workers and the hotline
//! centre (`/staff/care`) with an order's own page.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Form, MatchedPath, Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use sunshine_app::care::{
    ActivityView, AllowanceRoll, HoursView, MyCare, OrderCommandForm, OrderForm, OrderView,
    ProviderForm, ProviderView, RecipientForm, RecipientView,
};
use sunshine_domain::care::{AdlLevel, Channel, ITEMS};
use sunshine_domain::identity::UserKind;
use sunshine_domain::refusal::Refusal;

use super::{bad_token, error_page, flash, render, Chrome};
use crate::auth::{csrf_ok, SignedIn, StaffSession};
use crate::i18n::Lang;
use crate::AppState;

const ACCOUNT: &str = "/account/care";
pub(crate) const TV: &str = "/tv/care";
const KIOSK: &str = "/kiosk/care";
const STAFF: &str = "/staff/care";

mod aid;
pub mod tv;
mod volunteer;

pub use aid::{aid, pay_aid, record_aid, review_aid};
pub use volunteer::{announce, decide_hours, record_hours, register_volunteer, volunteer};

/// An order as a page lists it.
pub struct OrderLine {
    pub number: String,
    /// Its limit has passed (to be accepted, or served).
    pub overdue: bool,
    pub service: String,
    pub provider: String,
    pub channel: String,
    pub state: String,
    pub state_code: String,
    pub name: String,
    pub address: String,
    pub phone: String,
    pub wanted_on: String,
    pub request: String,
    pub placed_at: String,
    pub due: String,
    pub minutes: String,
    pub note: String,
    /// Total, subsidy and own part, in words.
    pub charge: String,
    pub rating: String,
    pub comment: String,
    pub closed_reason: String,
    pub commands: Vec<&'static str>,
}

fn service_name(s: &AppState, lang: Lang, code: &str) -> String {
    s.app
        .care_rules()
        .service(code)
        .map(|x| x.name().get(lang.code()).to_string())
        .unwrap_or_else(|| code.to_string())
}

fn stars(n: i64) -> String {
    let n = n.clamp(0, 5) as usize;
    format!("{}{}", "★".repeat(n), "☆".repeat(5 - n))
}

fn order_line(s: &AppState, c: &Chrome, o: &OrderView) -> OrderLine {
    OrderLine {
        overdue: o.overdue,
        number: o.number.clone(),
        service: service_name(s, c.lang, &o.service),
        provider: o.provider_name.clone(),
        channel: o.channel.name().get(c.code()).to_string(),
        state: o.state.name().get(c.code()).to_string(),
        state_code: o.state.as_str().to_string(),
        name: o.name.clone(),
        address: o.address.clone(),
        phone: o.phone.clone().unwrap_or_default(),
        wanted_on: c.day(&o.wanted_on),
        request: o.request.clone(),
        placed_at: c.when(&o.placed_at),
        due: o.due_at.map(|d| c.when(&d)).unwrap_or_default(),
        minutes: o
            .minutes
            .map(|m| format!("{m} {}", c.pick("分钟", "min")))
            .unwrap_or_default(),
        note: o.note.clone().unwrap_or_default(),
        charge: o
            .charge
            .map(|ch| {
                let bank = if ch.banked_minutes > 0 {
                    format!(
                        " · {} {} ({} {})",
                        c.pick("时间银行", "time bank"),
                        c.money(&(ch.bank_fen as i64)),
                        ch.banked_minutes,
                        c.pick("分钟", "min")
                    )
                } else {
                    String::new()
                };
                format!(
                    "{} {} · {} {}{bank} · {} {}",
                    c.pick("合计", "Total"),
                    c.money(&(ch.total_fen as i64)),
                    c.pick("补贴", "subsidy"),
                    c.money(&(ch.subsidy_fen as i64)),
                    c.pick("自付", "you pay"),
                    c.money(&(ch.own_fen as i64)),
                )
            })
            .unwrap_or_default(),
        rating: o.rating.map(stars).unwrap_or_default(),
        comment: o.comment.clone().unwrap_or_default(),
        closed_reason: o.closed_reason.clone().unwrap_or_default(),
        commands: o.commands.clone(),
    }
}

/// The staff page of a community, from a posted code kept to its digits
/// (a form's field goes into an address, never anything else of it).
pub(super) fn staff_page_of(community: &str) -> String {
    let digits: String = community
        .chars()
        .filter(char::is_ascii_digit)
        .take(12)
        .collect();
    format!("{STAFF}?community={digits}")
}

/// A choice on a form: (value, label).
pub type Choice = (String, String);

fn days(c: &Chrome, today: &str) -> Vec<Choice> {
    let Ok(t) = today.parse::<jiff::civil::Date>() else {
        return vec![];
    };
    let names = [
        c.pick("今天", "Today"),
        c.pick("明天", "Tomorrow"),
        c.pick("后天", "The day after"),
    ];
    (0..3i64)
        .filter_map(|k| t.checked_add(jiff::Span::new().days(k)).ok())
        .zip(names)
        .map(|(d, name)| (d.to_string(), format!("{name} {}", c.day(&d.to_string()))))
        .collect()
}

#[derive(Template)]
#[template(path = "care/resident.html")]
struct ResidentPage {
    c: Chrome,
    /// Where the page is, which its forms post to: the account, the TV or the kiosk.
    place: &'static str,
    /// Large type and one choice at a time (TV, kiosk).
    big: bool,
    mine: MyCare,
    level: String,
    allowance: String,
    services: Vec<Choice>,
    providers: Vec<Choice>,
    days: Vec<Choice>,
    /// Served and waiting for the resident's rating: shown first.
    to_rate: Vec<OrderLine>,
    orders: Vec<OrderLine>,
}

#[derive(Template)]
#[template(path = "care/provider.html")]
struct ProviderPage {
    c: Chrome,
    provider: Option<String>,
    orders: Vec<OrderLine>,
    /// How many of the orders are past their limit.
    overdue: usize,
}

fn resident_page(s: &AppState, c: Chrome, place: &'static str, mine: MyCare) -> Response {
    let level = mine
        .level
        .map(|l| l.name().get(c.code()).to_string())
        .unwrap_or_default();
    let allowance = match (mine.allowance_from_age, mine.allowance_monthly_fen) {
        (Some(_), Some(fen)) => format!("{}{}", c.money(&(fen as i64)), c.pick("／月", " a month")),
        _ => String::new(),
    };
    let services = mine
        .services
        .iter()
        .map(|o| {
            (
                o.service.code.clone(),
                o.service.name().get(c.code()).to_string(),
            )
        })
        .collect();
    let mut providers: BTreeMap<String, String> = BTreeMap::new();
    for o in &mine.services {
        for p in &o.providers {
            providers.insert(p.credit_code.clone(), p.name.clone());
        }
    }
    let (to_rate, orders): (Vec<OrderLine>, Vec<OrderLine>) = mine
        .orders
        .iter()
        .map(|o| order_line(s, &c, o))
        .partition(|o| o.commands.contains(&"confirm"));
    render(&ResidentPage {
        to_rate,
        days: days(&c, &mine.today),
        big: place != ACCOUNT,
        place,
        level,
        allowance,
        services,
        providers: providers.into_iter().collect(),
        orders,
        mine,
        c,
    })
}

pub(crate) async fn show(
    s: &AppState,
    lang: Lang,
    session: &sunshine_app::identity::Session,
    place: &'static str,
) -> Response {
    let c = Chrome::new(lang, Some(session), place);
    if session.actor.kind == UserKind::Enterprise && place == ACCOUNT {
        return provider_page(s, c, session).await;
    }
    match s.app.my_care(&session.actor).await {
        Ok(mine) => resident_page(s, c, place, mine),
        Err(e) => error_page(c, e),
    }
}

async fn provider_page(
    s: &AppState,
    c: Chrome,
    session: &sunshine_app::identity::Session,
) -> Response {
    let code = session.actor.verified_id.clone().unwrap_or_default();
    let provider = match s.app.care_providers().await {
        Ok(list) => list
            .into_iter()
            .find(|p| p.credit_code == code && session.actor.is_verified())
            .map(|p| p.name),
        Err(e) => return error_page(c, e),
    };
    let orders = if provider.is_some() {
        match s.app.care_orders(&session.actor).await {
            Ok(list) => list.iter().map(|o| order_line(s, &c, o)).collect(),
            Err(e) => return error_page(c, e),
        }
    } else {
        vec![]
    };
    let overdue = orders.iter().filter(|o: &&OrderLine| o.overdue).count();
    render(&ProviderPage {
        c,
        provider,
        orders,
        overdue,
    })
}

/// The resident's places: the account's page, the digital-TV zone's (in
/// large type for the remote control's arrow keys and Enter) and the
/// community kiosk's, each ordering by its own channel.
fn place_of(path: &MatchedPath) -> (&'static str, Channel) {
    match path.as_str() {
        TV => (TV, Channel::Tv),
        KIOSK => (KIOSK, Channel::Kiosk),
        _ => (ACCOUNT, Channel::Resident),
    }
}

/// `/account/care`, `/tv/care`, `/kiosk/care`: the resident's home care
/// (on the account's page, a provider's orders instead).
pub async fn page(
    State(s): State<AppState>,
    lang: Lang,
    path: MatchedPath,
    SignedIn(session): SignedIn,
) -> Response {
    show(&s, lang, &session, place_of(&path).0).await
}

/// An order as a page's form sends it: a resident's own, or staff's for a
/// resident (`channel` `worker` with `person_id`, `hotline` with
/// `id_number`; a resident's form sends neither and they are not read).
#[derive(Debug, Default, Deserialize)]
pub struct PlaceForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub channel: String,
    #[serde(default)]
    pub person_id: String,
    #[serde(default)]
    pub id_number: String,
    #[serde(default)]
    pub service: String,
    /// Empty: the alliance assigns one (`OrderForm::provider`).
    #[serde(default)]
    pub provider: String,
    #[serde(default)]
    pub wanted_on: String,
    #[serde(default)]
    pub request: String,
    /// `yes` to pay from the time bank what the subsidy does not cover.
    #[serde(default)]
    pub use_time_bank: String,
}

pub(crate) async fn place_own(
    s: &AppState,
    lang: Lang,
    session: &sunshine_app::identity::Session,
    place: &'static str,
    channel: Channel,
    f: PlaceForm,
) -> Response {
    let c = Chrome::new(lang, Some(session), place);
    if !csrf_ok(session, &f.csrf) {
        return bad_token(c);
    }
    let form = OrderForm {
        channel,
        person_id: None,
        id_number: None,
        service: f.service,
        provider: f.provider,
        wanted_on: f.wanted_on,
        request: f.request,
        use_time_bank: f.use_time_bank == "yes",
    };
    match s.app.place_care_order(&session.actor, form).await {
        Ok(o) => flash::redirect(
            place,
            format!("已预约，工单号 {}，服务商接单后会与您联系", o.number),
            format!(
                "Ordered: {}. The provider will call you once it accepts.",
                o.number
            ),
        ),
        Err(e) => error_page(c, e),
    }
}

/// `POST` to a resident's place: an order by its channel.
pub async fn place(
    State(s): State<AppState>,
    lang: Lang,
    path: MatchedPath,
    SignedIn(session): SignedIn,
    Form(f): Form<PlaceForm>,
) -> Response {
    let (place, channel) = place_of(&path);
    place_own(&s, lang, &session, place, channel, f).await
}

#[derive(Debug, Default, Deserialize)]
pub struct CommandForm {
    #[serde(default)]
    pub csrf: String,
    /// The page to come back to.
    #[serde(default)]
    pub back: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub minutes: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub rating: String,
    #[serde(default)]
    pub comment: String,
}

/// The pages an order's command may come back to: the places that list
/// orders, or the order's own staff page.
fn back_to(back: &str, number: &str) -> String {
    let own = format!("{STAFF}/orders/{number}");
    if [ACCOUNT, TV, KIOSK, STAFF].contains(&back) || back == own {
        back.to_string()
    } else {
        ACCOUNT.to_string()
    }
}

/// `POST /care/orders/{number}/{command}`: a party acts on an order from
/// whichever page lists it.
pub async fn command(
    State(s): State<AppState>,
    lang: Lang,
    SignedIn(session): SignedIn,
    Path((number, command)): Path<(String, String)>,
    Form(f): Form<CommandForm>,
) -> Response {
    act(&s, lang, &session, &number, &command, f).await
}

/// A party's command on an order, from the page `f.back` names.
pub(crate) async fn act(
    s: &AppState,
    lang: Lang,
    session: &sunshine_app::identity::Session,
    number: &str,
    command: &str,
    f: CommandForm,
) -> Response {
    let back = back_to(&f.back, number);
    let c = Chrome::new(lang, Some(session), &back);
    if !csrf_ok(session, &f.csrf) {
        return bad_token(c);
    }
    let number_field = |v: &str, field: &str| -> Result<Option<u32>, Refusal> {
        let v = v.trim();
        if v.is_empty() {
            return Ok(None);
        }
        v.parse()
            .map(Some)
            .map_err(|_| Refusal::field(field, "请填写整数", "Give a whole number"))
    };
    let parsed = (|| -> Result<OrderCommandForm, Refusal> {
        Ok(OrderCommandForm {
            reason: f.reason.clone(),
            minutes: number_field(&f.minutes, "minutes")?,
            note: f.note.clone(),
            rating: number_field(&f.rating, "rating")?.map(|r| r.min(255) as u8),
            comment: f.comment.clone(),
        })
    })();
    let form = match parsed {
        Ok(f) => f,
        Err(r) => return error_page(c, r.into()),
    };
    let run = async {
        let command = form.command(command)?;
        s.app
            .care_order_command(&session.actor, number, command)
            .await
    };
    match run.await {
        Ok(o) => flash::redirect(
            &back,
            format!("工单 {}：{}", o.number, o.state.name().zh),
            format!("Order {}: {}", o.number, o.state.name().en),
        ),
        Err(e) => error_page(c, e),
    }
}

/// A resident on the staff page.
pub struct RecipientLine {
    pub person_id: i64,
    pub name: String,
    pub age: String,
    pub level: String,
    pub total: i64,
    pub minutes: String,
    pub assessed: String,
    pub assessed_by: String,
}

fn recipient_line(c: &Chrome, r: &RecipientView) -> RecipientLine {
    RecipientLine {
        person_id: r.person_id,
        name: r.name.clone(),
        age: r.age.map(|a| a.to_string()).unwrap_or_default(),
        level: r.level.name().get(c.code()).to_string(),
        total: r.total,
        minutes: format!("{} / {}", r.minutes_used, r.minutes_per_month),
        assessed: c.when(&r.assessed_at),
        assessed_by: r.assessed_by.clone(),
    }
}

/// A provider on the hotline centre's list: its services and districts in words.
pub struct ProviderLine {
    pub credit_code: String,
    pub name: String,
    pub services: String,
    pub districts: String,
    pub active: bool,
}

fn provider_line(s: &AppState, c: &Chrome, p: &ProviderView) -> ProviderLine {
    let orgs = s.app.orgs();
    ProviderLine {
        credit_code: p.credit_code.clone(),
        name: p.name.clone(),
        services: p
            .services
            .iter()
            .map(|x| service_name(s, c.lang, x))
            .collect::<Vec<_>>()
            .join(c.pick("、", ", ")),
        districts: p
            .districts
            .iter()
            .map(|d| orgs.name(d, c.code()))
            .collect::<Vec<_>>()
            .join(c.pick("、", ", ")),
        active: p.active,
    }
}

/// An assessment item on the form: its code, name and allowed scores.
pub struct ItemLine {
    pub code: &'static str,
    pub name: String,
    pub scores: Vec<u8>,
}

#[derive(Template)]
#[template(path = "care/staff.html")]
struct StaffPage {
    c: Chrome,
    communities: Vec<(String, String, bool)>,
    community: String,
    recipients: Vec<RecipientLine>,
    roll: Option<AllowanceRoll>,
    items: Vec<ItemLine>,
    levels: Vec<Choice>,
    person: String,
    alliance: bool,
    providers: Vec<ProviderLine>,
    provider_choices: Vec<Choice>,
    services: Vec<Choice>,
    districts: Vec<Choice>,
    days: Vec<Choice>,
    orders: Vec<OrderLine>,
    activities: Vec<ActivityView>,
    hours: Vec<HoursView>,
}

#[derive(Debug, Default, Deserialize)]
pub struct StaffQuery {
    #[serde(default)]
    pub community: String,
    /// A resident to assess (the registry's id), from a household page.
    #[serde(default)]
    pub person: String,
}

/// `/staff/care`: a worker's communities' elders, their assessments,
/// allowances and orders; the hotline centre's providers and orders.
pub async fn staff(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Query(q): Query<StaffQuery>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), STAFF);
    let actor = &session.actor;
    let mine = s.app.care_communities(actor);
    let alliance = s.app.runs_care_alliance(actor);
    if mine.is_empty() && !alliance {
        return error_page(
            c,
            Refusal::forbidden(
                "forbidden",
                "您不负责任何社区的居家养老服务",
                "You serve no community's elders",
            )
            .into(),
        );
    }
    let community = if mine.contains(&q.community) {
        q.community.clone()
    } else {
        mine.first().cloned().unwrap_or_default()
    };
    let orgs = s.app.orgs();
    let communities = mine
        .iter()
        .map(|code| {
            let org = format!("{}-{}", &code[..6], &code[6..]);
            (code.clone(), orgs.name(&org, c.code()), *code == community)
        })
        .collect();
    let (activities, hours) = if community.is_empty() {
        (vec![], vec![])
    } else {
        let activities = match s.app.care_activities(actor, &community).await {
            Ok(a) => a,
            Err(e) => return error_page(c, e),
        };
        match s.app.open_volunteer_hours(actor, &community).await {
            Ok(h) => (activities, h),
            Err(e) => return error_page(c, e),
        }
    };
    let (recipients, roll) = if community.is_empty() {
        (vec![], None)
    } else {
        let recipients = match s.app.care_recipients(actor, &community).await {
            Ok(r) => r,
            Err(e) => return error_page(c, e),
        };
        let roll = match s.app.care_allowance_roll(actor, &community, None).await {
            Ok(r) => r,
            Err(e) => return error_page(c, e),
        };
        (recipients, Some(roll))
    };
    let providers = match s.app.care_providers().await {
        Ok(p) => p,
        Err(e) => return error_page(c, e),
    };
    let orders = match s.app.care_orders(actor).await {
        Ok(o) => o.iter().map(|o| order_line(&s, &c, o)).collect(),
        Err(e) => return error_page(c, e),
    };
    let rules = s.app.care_rules();
    let today = s.app.clock.today().to_string();
    render(&StaffPage {
        recipients: recipients.iter().map(|r| recipient_line(&c, r)).collect(),
        roll,
        items: ITEMS
            .iter()
            .map(|i| ItemLine {
                code: i.code,
                name: c.pick(i.zh, i.en).to_string(),
                scores: i.scores.to_vec(),
            })
            .collect(),
        levels: AdlLevel::ALL
            .iter()
            .map(|l| {
                (
                    l.name().get(c.code()).to_string(),
                    format!(
                        "{} {}",
                        rules.minutes_for(*l),
                        c.pick("分钟／月", "min a month")
                    ),
                )
            })
            .collect(),
        person: q.person.trim().to_string(),
        provider_choices: providers
            .iter()
            .filter(|p| p.active)
            .map(|p| (p.credit_code.clone(), p.name.clone()))
            .collect(),
        services: rules
            .services
            .iter()
            .map(|x| {
                (
                    x.code.clone(),
                    format!(
                        "{} · {}{}",
                        x.name().get(c.code()),
                        c.money(&(x.hourly_fen as i64)),
                        c.pick("／小时", " an hour")
                    ),
                )
            })
            .collect(),
        districts: orgs
            .list
            .iter()
            .filter(|o| o.kind == sunshine_domain::identity::OrgKind::District)
            .map(|o| (o.code.to_string(), orgs.name(o.code.as_str(), c.code())))
            .collect(),
        days: days(&c, &today),
        providers: providers.iter().map(|p| provider_line(&s, &c, p)).collect(),
        alliance,
        communities,
        community,
        orders,
        activities,
        hours,
        c,
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct AssessForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub community: String,
    #[serde(default)]
    pub person_id: String,
    /// Every other field: an item's score by its code.
    #[serde(flatten)]
    pub scores: BTreeMap<String, String>,
}

/// `POST /staff/care/recipients`: register or reassess a resident.
pub async fn assess(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Form(f): Form<AssessForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), STAFF);
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    let Ok(person_id) = f.person_id.trim().parse::<i64>() else {
        return error_page(
            c,
            Refusal::field("person_id", "请填写居民编号", "Give the resident's number").into(),
        );
    };
    let scores: BTreeMap<String, u8> = f
        .scores
        .iter()
        .filter(|(k, _)| ITEMS.iter().any(|i| i.code == k.as_str()))
        .filter_map(|(k, v)| v.trim().parse().ok().map(|v| (k.clone(), v)))
        .collect();
    let form = RecipientForm { person_id, scores };
    match s.app.register_care_recipient(&session.actor, form).await {
        Ok(r) => flash::redirect(
            &format!("{STAFF}?community={}", r.community),
            format!("已登记{}：{}分，{}", r.name, r.total, r.level.name().zh),
            format!("{} registered: {}, {}", r.name, r.total, r.level.name().en),
        ),
        Err(e) => error_page(c, e),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct AllowancesForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub community: String,
    #[serde(default)]
    pub month: String,
}

/// `POST /staff/care/allowances`: pay a month's age allowances onto the
/// elders' cards.
pub async fn pay_allowances(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Form(f): Form<AllowancesForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), STAFF);
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    match s
        .app
        .pay_allowances(&session.actor, &f.community, &f.month)
        .await
    {
        Ok(p) => {
            let waiting = p.queued - p.on_card;
            let mut zh = format!(
                "{}高龄津贴：本次发放{}人，共{}，其中{}人已到卡、{}人待办卡后到账；此前已发{}人",
                p.month,
                p.queued,
                c.money(&(p.queued_fen as i64)),
                p.on_card,
                waiting,
                p.already
            );
            let mut en = format!(
                "Age allowances for {}: {} paid now, {} in all ({} on their cards, {} waiting for a card); {} paid before",
                p.month,
                p.queued,
                c.money(&(p.queued_fen as i64)),
                p.on_card,
                waiting,
                p.already
            );
            if !p.without_number.is_empty() {
                zh.push_str(&format!(
                    "；{}人无身份证号未能发放，请更正其记录：{}",
                    p.without_number.len(),
                    p.without_number.join("、")
                ));
                en.push_str(&format!(
                    "; {} without an identity number were not paid (correct their records): {}",
                    p.without_number.len(),
                    p.without_number.join(", ")
                ));
            }
            flash::redirect(
                &format!("{STAFF}?community={}#allowance-roll", p.community),
                zh,
                en,
            )
        }
        Err(e) => error_page(c, e),
    }
}

/// `POST /staff/care/orders`: an order placed for a resident by their
/// worker, or by the hotline for a caller.
pub async fn staff_place(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Form(f): Form<PlaceForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), STAFF);
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    let channel = if f.channel == "hotline" {
        Channel::Hotline
    } else {
        Channel::Worker
    };
    let form = OrderForm {
        channel,
        person_id: f.person_id.trim().parse().ok(),
        id_number: Some(f.id_number).filter(|n| !n.trim().is_empty()),
        service: f.service,
        provider: f.provider,
        wanted_on: f.wanted_on,
        request: f.request,
        use_time_bank: false,
    };
    match s.app.place_care_order(&session.actor, form).await {
        Ok(o) => flash::redirect(
            &format!("{STAFF}/orders/{}", o.number),
            format!("已下单：{}", o.number),
            format!("Ordered: {}", o.number),
        ),
        Err(e) => error_page(c, e),
    }
}

/// `POST /staff/care/providers`: the hotline centre registers a provider.
pub async fn register_provider(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), STAFF);
    let one = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let all = |k: &str| {
        pairs
            .iter()
            .filter(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .collect::<Vec<_>>()
    };
    if !csrf_ok(&session, &one("csrf")) {
        return bad_token(c);
    }
    let form = ProviderForm {
        credit_code: one("credit_code"),
        name: one("name"),
        services: all("services"),
        districts: all("districts"),
        active: one("active") != "no",
    };
    match s.app.register_care_provider(&session.actor, form).await {
        Ok(p) => flash::redirect(
            STAFF,
            format!("已登记服务商：{}", p.name),
            format!("Provider registered: {}", p.name),
        ),
        Err(e) => error_page(c, e),
    }
}

#[derive(Template)]
#[template(path = "care/order.html")]
struct OrderPage {
    c: Chrome,
    o: OrderLine,
    /// Where the order's commands come back to: this page.
    back: String,
}

/// `/staff/care/orders/{number}`: one order, for its worker or the hotline.
pub async fn order(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Path(number): Path<String>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), STAFF);
    match s.app.care_order(&session.actor, &number).await {
        Ok(o) => {
            let o = order_line(&s, &c, &o);
            let back = format!("{STAFF}/orders/{}", o.number);
            render(&OrderPage { c, o, back })
        }
        Err(e) => error_page(c, e),
    }
}
