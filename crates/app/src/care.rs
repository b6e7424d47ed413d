//! Home care of the elderly (居家养老) on the population registry: the
//! housekeeping alliance's providers, kept by the 96345 centre; residents
//! registered for care by their community's worker with a needs
//! assessment; and service orders, placed by the resident (online, at a
//! kiosk, on the TV page), their worker or the hotline, served by the
//! provider and confirmed and rated by the resident. Every order's step is
//! journaled under `care/…` with what supervision watches, so an order
//! left too long raises a card against the community.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Deserialize;
use serde_json::json;
use sunshine_domain::access::{ReadKind, ReadPurpose};
use sunshine_domain::care::alliance;
use sunshine_domain::care::order::order_id;
use sunshine_domain::care::{
    charge, next_order_state, order_number, AdlLevel, Assessment, CareRules, Channel, Charge,
    OrderCommand, OrderState, Party,
};
use sunshine_domain::clock::{end_of_local_day, from_micros, local_date, to_micros};
use sunshine_domain::identity::{Actor, OrgKind, UserKind};
use sunshine_domain::ids::{CreditCode, OrgCode};
use sunshine_domain::policy::Action;
use sunshine_domain::refusal::{is_clean_text, FieldErrors, Refusal};
use sunshine_domain::registry::{stats, DivisionCode, Person};
use sunshine_store::care::{self as store, OrderRow, OrdersOf, ProviderRow, RecipientRow};
use sunshine_store::registry as registry_store;
use sunshine_store::WriteTx;

use crate::access::{ReadOf, StaffRead};
use crate::journal_entry::entry;
use crate::{at_centre, App, CentreWork, OrgDirectory, Result};

pub(crate) mod aid;
pub(crate) mod payouts;
mod views;
mod volunteers;

pub use aid::{aid_id, aid_number, AidForm, AidPayment, AidReview, AidView};
pub use payouts::{AllowancePayment, PayoutLine, PayoutView, PayoutsReport};
pub use views::{AllowanceLine, AllowanceRoll, MyCare, OrderView, ProviderView, RecipientView};
pub use volunteers::{
    ActivityForm, ActivityView, HoursDecision, HoursForm, HoursView, MyVolunteering,
};

/// The city's rules for home care, as shipped in `data/care/rules.json`.
pub static RULES: LazyLock<CareRules> = LazyLock::new(|| {
    CareRules::from_json(include_str!("../../../data/care/rules.json"))
        .unwrap_or_else(|e| panic!("data/care/rules.json: {e}"))
});

/// Orders shown in one list.
const LIST: i64 = 200;
/// How far ahead an order may be asked for.
const AHEAD_DAYS: i64 = 30;

/// A provider of the alliance, as the hotline centre registers it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct ProviderForm {
    pub credit_code: String,
    pub name: String,
    /// Codes of the services it gives (`data/care/rules.json`).
    pub services: Vec<String>,
    /// The districts it serves (`330106`).
    pub districts: Vec<String>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// A resident registered for care, with their needs assessed.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct RecipientForm {
    /// The registry's person.
    pub person_id: i64,
    /// Each item's score by its code (`feeding`, `bathing`, …).
    pub scores: BTreeMap<String, u8>,
}

/// An order as placed.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct OrderForm {
    /// Where it is placed: a resident's own (`resident`, `kiosk`, `tv`),
    /// their worker's (`worker`) or the hotline's (`hotline`).
    pub channel: Channel,
    /// The resident, for a worker: the registry's person.
    #[serde(default)]
    pub person_id: Option<i64>,
    /// The resident, for the hotline: the identity number the caller gives.
    #[serde(default)]
    pub id_number: Option<String>,
    pub service: String,
    /// The provider's credit code; left empty on a resident's own channel,
    /// the alliance assigns one that gives the service in their district
    /// (`care::alliance::pick`: the least busy, then the most reliable and
    /// best rated lately).
    #[serde(default)]
    pub provider: String,
    /// `YYYY-MM-DD`, today or within 30 days.
    pub wanted_on: String,
    /// What is asked for, in the resident's words.
    #[serde(default)]
    pub request: String,
    /// Pay what the subsidy does not cover from the resident's time bank
    /// (the minutes they gave as a volunteer), as far as it goes.
    #[serde(default)]
    pub use_time_bank: bool,
}

/// What a command on an order carries (each command reads its own).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct OrderCommandForm {
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub minutes: Option<u32>,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub rating: Option<u8>,
    #[serde(default)]
    pub comment: String,
}

impl OrderCommandForm {
    /// The command `name` with what this form carries for it.
    pub fn command(self, name: &str) -> Result<OrderCommand> {
        Ok(match name {
            "accept" => OrderCommand::Accept,
            "decline" => OrderCommand::Decline {
                reason: self.reason,
            },
            "serve" => OrderCommand::Serve {
                minutes: self.minutes.unwrap_or(0),
                note: self.note,
            },
            "confirm" => OrderCommand::Confirm {
                rating: self.rating.unwrap_or(0),
                comment: self.comment,
            },
            "cancel" => OrderCommand::Cancel {
                reason: self.reason,
            },
            _ => return Err(no_order().into()),
        })
    }
}

fn no_order() -> Refusal {
    Refusal::not_found("该服务工单", "The care order")
}

fn not_registered() -> Refusal {
    Refusal::not_found("居家养老登记", "A home-care registration")
}

/// The community code (division) an organisation of kind community stands for.
fn division_of(org: &OrgCode) -> Option<DivisionCode> {
    DivisionCode::community(&org.as_str().replace('-', "")).ok()
}

/// Whether `actor` serves the elders of `community` as its worker.
fn serves(orgs: &OrgDirectory, actor: &Actor, community: &DivisionCode) -> bool {
    let (org, district) = (community.org(), community.district_org());
    crate::allow(
        orgs,
        actor,
        &Action::ServeCommunity {
            community: &org,
            district: &district,
        },
    )
    .is_ok()
}

fn operates_hotline(orgs: &OrgDirectory, actor: &Actor) -> bool {
    at_centre(orgs, actor, CentreWork::OperateHotline).is_ok()
}

/// The communities whose elders `actor` serves.
fn communities_served<'a>(
    orgs: &'a OrgDirectory,
    actor: &'a Actor,
) -> impl Iterator<Item = DivisionCode> + 'a {
    orgs.list
        .iter()
        .filter(|o| o.kind == OrgKind::Community)
        .filter_map(|o| division_of(&o.code))
        .filter(move |c| serves(orgs, actor, c))
}

/// The credit code of the provider `actor` signs in as, if it is one.
fn provider_code(actor: &Actor) -> Option<&str> {
    if actor.kind == UserKind::Enterprise && actor.is_verified() {
        actor.verified_id.as_deref()
    } else {
        None
    }
}

/// The party `actor` is to an order for `person`, if any.
fn party_of(orgs: &OrgDirectory, actor: &Actor, o: &OrderRow, person: &Person) -> Option<Party> {
    if actor.kind == UserKind::Citizen
        && actor.is_verified()
        && person.id_number.is_some()
        && actor.verified_id == person.id_number
    {
        return Some(Party::Resident);
    }
    if provider_code(actor) == Some(o.provider.as_str()) {
        return Some(Party::Provider);
    }
    let community = DivisionCode::parse(&o.community).ok()?;
    (actor.kind == UserKind::Staff
        && (serves(orgs, actor, &community) || operates_hotline(orgs, actor)))
    .then_some(Party::ForResident)
}

/// The identity number a citizen's account is bound to, or a refusal
/// saying that binding comes first, before `doing` (in both languages).
pub(crate) fn bound_number<'a>(actor: &'a Actor, doing: (&str, &str)) -> Result<&'a str> {
    match actor.verified_id.as_deref() {
        Some(n) if actor.kind == UserKind::Citizen && actor.is_verified() => Ok(n),
        _ => Err(Refusal::forbidden(
            "not_verified",
            &format!("请先完成实名认证{}", doing.0),
            &format!("Bind your account to your identity first{}", doing.1),
        )
        .into()),
    }
}

/// The registry's person with identity number `number`, if it holds one.
pub(crate) async fn person_numbered(
    conn: &mut sunshine_store::Conn,
    number: &str,
) -> Result<Option<(i64, Person)>> {
    Ok(
        registry_store::persons_by_id_number(conn, &[number.trim().to_ascii_uppercase()])
            .await?
            .into_iter()
            .next(),
    )
}

/// The party `actor` is to an order, as `party_of` says, except that
/// acting for a resident who has no bound account of their own is a
/// return visit (回访), which may confirm and rate for them.
async fn party_for(
    conn: &mut sunshine_store::Conn,
    orgs: &OrgDirectory,
    actor: &Actor,
    o: &OrderRow,
    person: &Person,
) -> Result<Option<Party>> {
    let party = party_of(orgs, actor, o, person);
    if party != Some(Party::ForResident) {
        return Ok(party);
    }
    let bound = match &person.id_number {
        Some(n) => sunshine_store::identity::find_bound_user(conn, UserKind::Citizen, n)
            .await?
            .is_some(),
        None => false,
    };
    Ok(Some(if bound {
        Party::ForResident
    } else {
        Party::ReturnVisit
    }))
}

/// Whether a provider takes orders for `service` in `district` now.
pub(crate) fn offers(p: &ProviderRow, service: &str, district: &str) -> bool {
    p.active && p.services.iter().any(|s| s == service) && p.districts.iter().any(|d| d == district)
}

/// The month (`YYYY-MM`) a moment falls in, locally.
fn month_of(micros: i64) -> String {
    local_date(from_micros(micros))
        .strftime("%Y-%m")
        .to_string()
}

fn refuse_text(faults: &mut FieldErrors, field: &str, text: &str, max: usize) {
    if text.trim().chars().count() > max {
        faults.add(
            field,
            format!("不得超过{max}字"),
            format!("At most {max} characters"),
        );
    } else if !is_clean_text(text) {
        faults.add(
            field,
            "含有不可见的控制字符",
            "Contains invisible control characters",
        );
    }
}

/// The moment an order's current limit runs out: to be accepted within
/// the rules' hours of being placed, to be served by the end of the day
/// asked for; none once served or closed.
fn due_at(o: &OrderRow, rules: &CareRules) -> Option<i64> {
    match OrderState::parse(&o.state)? {
        OrderState::Placed => Some(o.placed_at + i64::from(rules.accept_hours) * 3_600_000_000),
        OrderState::Accepted => {
            let day: jiff::civil::Date = o.wanted_on.parse().ok()?;
            Some(to_micros(end_of_local_day(day)))
        }
        _ => None,
    }
}

/// What supervision watches of an order (in its journal entries): the
/// community answerable for it and the moment its limit runs out, keyed by
/// stage.
fn watch(o: &OrderRow, number: &str) -> serde_json::Value {
    let (district, community) = DivisionCode::parse(&o.community)
        .map(|c| (c.district_org().to_string(), c.org().to_string()))
        .unwrap_or_default();
    let stage = match OrderState::parse(&o.state) {
        Some(OrderState::Placed) => 0,
        Some(OrderState::Accepted) => 1,
        _ => 9,
    };
    json!({"number": number, "department": community, "region": district, "due": o.due_at, "key": stage})
}

fn number_of(o: &OrderRow) -> String {
    order_number(local_date(from_micros(o.placed_at)), o.id)
}

impl App {
    /// The city's rules for home care.
    pub fn care_rules(&self) -> &'static CareRules {
        &RULES
    }

    /// The communities (division codes) whose elders `actor` serves.
    pub fn care_communities(&self, actor: &Actor) -> Vec<String> {
        communities_served(&self.orgs(), actor)
            .map(|c| c.to_string())
            .collect()
    }

    /// Whether `actor` serves any community (asked for the menu of every
    /// page, so it stops at the first).
    pub fn serves_a_community(&self, actor: &Actor) -> bool {
        communities_served(&self.orgs(), actor).next().is_some()
    }

    /// Whether `actor` runs the alliance: an operator of the hotline centre.
    pub fn runs_care_alliance(&self, actor: &Actor) -> bool {
        actor.kind == UserKind::Staff && operates_hotline(&self.orgs(), actor)
    }

    /// Register a provider of the alliance, or change what it gives and
    /// where, as an operator of the hotline centre (which runs the alliance).
    pub async fn register_care_provider(
        &self,
        actor: &Actor,
        form: ProviderForm,
    ) -> Result<ProviderView> {
        at_centre(&self.orgs(), actor, CentreWork::OperateHotline)?;
        let mut faults = FieldErrors::default();
        let code = match CreditCode::parse(form.credit_code.trim()) {
            Ok(c) => c.as_str().to_string(),
            Err(e) => {
                faults.add("credit_code", e.zh, e.en);
                String::new()
            }
        };
        let name = form.name.trim().to_string();
        if name.is_empty() {
            faults.add("name", "请填写服务商名称", "Give the provider's name");
        }
        refuse_text(&mut faults, "name", &name, 100);
        let mut services = form.services.clone();
        services.sort();
        services.dedup();
        if services.is_empty() || services.iter().any(|s| RULES.service(s).is_none()) {
            let known: Vec<&str> = RULES.services.iter().map(|s| s.code.as_str()).collect();
            faults.add(
                "services",
                format!("服务项目应为以下之一或多项：{}", known.join("、")),
                format!("Services are one or more of {}", known.join(", ")),
            );
        }
        let orgs = self.orgs();
        let mut districts: Vec<String> = form
            .districts
            .iter()
            .map(|d| d.trim().to_string())
            .collect();
        districts.sort();
        districts.dedup();
        let is_district = |d: &str| {
            orgs.get(d)
                .is_some_and(|o| matches!(o.kind, OrgKind::District | OrgKind::County))
        };
        if districts.is_empty() || !districts.iter().all(|d| is_district(d)) {
            faults.add(
                "districts",
                "请填写服务的区、县代码（如330106）",
                "Give the districts served by their codes (330106)",
            );
        }
        faults.check()?;
        let now = self.now_micros();
        let row = ProviderRow {
            credit_code: code,
            name,
            services,
            districts,
            active: form.active,
            registered_at: now,
        };
        let actor = actor.clone();
        let saved = row.clone();
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<()> {
                store::upsert_provider(tx.conn(), &row).await?;
                tx.journal(
                    now,
                    entry(
                        &actor,
                        format!("care-provider/{}", row.credit_code),
                        "care.provider_registered",
                        json!({"credit_code": row.credit_code, "name": row.name, "services": row.services,
                               "districts": row.districts, "active": row.active}),
                    ),
                )
                .await?;
                Ok(())
            })
            .await?;
        Ok(ProviderView::of(saved))
    }

    /// The alliance's providers (public: who serves where, and what).
    pub async fn care_providers(&self) -> Result<Vec<ProviderView>> {
        let mut conn = self.db.read().await?;
        Ok(store::providers(&mut conn)
            .await?
            .into_iter()
            .map(ProviderView::of)
            .collect())
    }

    /// Register a resident of the worker's community for home care with
    /// their needs assessed, or record a new assessment: the subsidised
    /// time follows the level. Only residents of the rules' age.
    pub async fn register_care_recipient(
        &self,
        actor: &Actor,
        form: RecipientForm,
    ) -> Result<RecipientView> {
        let assessment = Assessment::from_scores(&form.scores)?;
        let (today, now) = (self.clock.today(), self.now_micros());
        let orgs = self.orgs();
        let (id, person) = {
            let mut conn = self.db.read().await?;
            registry_store::person(&mut conn, form.person_id)
                .await?
                .ok_or_else(|| Refusal::not_found("该居民", "The resident"))?
        };
        let community = DivisionCode::parse(&person.community)
            .map_err(|_| Refusal::not_found("该居民", "The resident"))?;
        if !serves(&orgs, actor, &community) {
            // Another community's resident is not shown to exist.
            return Err(Refusal::not_found("该居民", "The resident").into());
        }
        let age = stats::age(&person.birth, today);
        if age.is_none_or(|a| a < i16::try_from(RULES.care_from_age).unwrap_or(i16::MAX)) {
            return Err(Refusal::field(
                "person_id",
                format!("居家养老服务对象应年满{}周岁", RULES.care_from_age),
                format!(
                    "Home care is for residents aged {} and over",
                    RULES.care_from_age
                ),
            )
            .into());
        }
        let level = assessment.level();
        let row = RecipientRow {
            person_id: id,
            community: community.to_string(),
            scores: serde_json::to_string(&assessment.by_code()).unwrap_or_default(),
            total: i64::from(assessment.total()),
            level: level.as_str().to_string(),
            minutes: i64::from(RULES.minutes_for(level)),
            assessed_at: now,
            assessed_by: actor.display_name.clone(),
        };
        let actor = actor.clone();
        let saved = row.clone();
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<()> {
                store::upsert_recipient(tx.conn(), &row).await?;
                let mut e = entry(
                    &actor,
                    format!("care/recipient/{id}"),
                    "care.assessed",
                    json!({"person": id, "community": row.community, "total": row.total,
                           "level": row.level, "minutes": row.minutes}),
                );
                e.org = community.org().to_string();
                tx.journal(now, e).await?;
                Ok(())
            })
            .await?;
        Ok(RecipientView::of(&saved, &person, today, 0))
    }

    /// The residents of `community` registered for care, with this month's
    /// use of their subsidised time: a read of their records, journaled.
    pub async fn care_recipients(
        &self,
        actor: &Actor,
        community: &str,
    ) -> Result<Vec<RecipientView>> {
        let code = self.served_community(actor, community)?;
        let (today, now) = (self.clock.today(), self.now_micros());
        let month = month_of(now);
        let mut out = vec![];
        let mut persons = vec![];
        {
            let mut conn = self.db.read().await?;
            for r in store::recipients_of(&mut conn, code.as_str()).await? {
                let Some((_, p)) = registry_store::person(&mut conn, r.person_id).await? else {
                    continue;
                };
                let used = store::subsidised_used(&mut conn, r.person_id, &month).await?;
                persons.push(ReadOf {
                    user: None,
                    number: p.id_number.clone(),
                    what: format!("care/recipient/{}", r.person_id),
                });
                out.push(RecipientView::of(&r, &p, today, used));
            }
        }
        let subject = (format!("care/recipients/{code}"), ReadKind::RegistryRecord);
        let payload = json!({"community": code.as_str(), "recipients": out.len()});
        self.record_care_read(actor, subject, payload, persons)
            .await?;
        Ok(out)
    }

    /// Journal a read of residents' records for home care (`kind` of
    /// record), against each person it names; nothing when it names none.
    async fn record_care_read(
        &self,
        actor: &Actor,
        (subject, kind): (String, ReadKind),
        payload: serde_json::Value,
        persons: Vec<ReadOf>,
    ) -> Result<()> {
        if persons.is_empty() {
            return Ok(());
        }
        let read = StaffRead {
            subject: format!("access/{subject}"),
            kind,
            purpose: ReadPurpose::CareService,
            payload,
            persons,
        };
        self.record_staff_read(actor, read).await
    }

    fn served_community(&self, actor: &Actor, community: &str) -> Result<DivisionCode> {
        let code = DivisionCode::community(community)
            .map_err(|e| Refusal::field("community", e.zh, e.en))?;
        if !serves(&self.orgs(), actor, &code) {
            return Err(Refusal::forbidden(
                "forbidden",
                "您不能查看该社区的居家养老信息",
                "You may not see this community's home care",
            )
            .into());
        }
        Ok(code)
    }

    /// The month's age allowances of a community's residents, by the city's
    /// bands (age on the month's last day): each resident with their band
    /// and amount, and the totals. A read of the persons, journaled.
    pub async fn care_allowance_roll(
        &self,
        actor: &Actor,
        community: &str,
        month: Option<&str>,
    ) -> Result<AllowanceRoll> {
        let code = self.served_community(actor, community)?;
        let month = month.map(str::trim).filter(|m| !m.is_empty());
        let first: jiff::civil::Date = match month {
            None => self.clock.today().first_of_month(),
            Some(m) => format!("{m}-01")
                .parse()
                .map_err(|_| Refusal::field("month", "月份应为“YYYY-MM”", "A month is YYYY-MM"))?,
        };
        let last = first.last_of_month();
        let persons = {
            let mut conn = self.db.read().await?;
            registry_store::persons_of_community(&mut conn, code.as_str()).await?
        };
        let month = first.strftime("%Y-%m").to_string();
        let mut lines = views::allowance_lines(&persons, last);
        {
            let mut conn = self.db.read().await?;
            let paid = sunshine_store::payouts::of_month(&mut conn, "allowance", &month).await?;
            for l in &mut lines {
                l.paid = paid
                    .iter()
                    .find(|p| p.reference == l.person_id.to_string())
                    .map(payouts::PayoutView::of);
            }
        }
        let roll = AllowanceRoll::of(code.to_string(), month, lines);
        let numbers: BTreeMap<i64, Option<String>> = persons
            .into_iter()
            .map(|(id, p)| (id, p.id_number))
            .collect();
        let read_of = |l: &AllowanceLine| ReadOf {
            user: None,
            number: numbers.get(&l.person_id).cloned().flatten(),
            what: format!("care/allowances/{}", roll.month),
        };
        let subject = (
            format!("care/allowances/{code}/{}", roll.month),
            ReadKind::RegistryRecord,
        );
        let payload =
            json!({"community": code.as_str(), "month": roll.month, "persons": roll.lines.len()});
        let persons = roll.lines.iter().map(read_of).collect();
        self.record_care_read(actor, subject, payload, persons)
            .await?;
        Ok(roll)
    }

    /// Place an order: by the resident themselves (online, kiosk, TV), by
    /// their community's worker, or by the hotline for a caller. The
    /// provider must give the service in the resident's district.
    pub async fn place_care_order(&self, actor: &Actor, form: OrderForm) -> Result<OrderView> {
        let orgs = self.orgs();
        let (today, now) = (self.clock.today(), self.now_micros());
        let mut conn = self.db.read().await?;
        // Who the order is for, as the channel finds them.
        let found = match form.channel {
            c if c.is_residents_own() => {
                if actor.kind != UserKind::Citizen {
                    return Err(channel_not_yours(c).into());
                }
                let number = bound_number(actor, ("，再预约居家养老服务", ", to order home care"))?;
                person_numbered(&mut conn, number).await?
            }
            Channel::Worker => match form.person_id {
                Some(id) => registry_store::person(&mut conn, id).await?,
                None => {
                    return Err(
                        Refusal::field("person_id", "请选择居民", "Choose the resident").into(),
                    )
                }
            },
            _ => {
                if !operates_hotline(&orgs, actor) {
                    return Err(channel_not_yours(form.channel).into());
                }
                let number = form
                    .id_number
                    .as_deref()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_uppercase();
                if number.is_empty() {
                    return Err(Refusal::field(
                        "id_number",
                        "请填写来电人的身份证号",
                        "Give the caller's identity number",
                    )
                    .into());
                }
                person_numbered(&mut conn, &number).await?
            }
        };
        let Some((person_id, person)) = found else {
            return Err(not_registered().into());
        };
        let community = DivisionCode::parse(&person.community).map_err(|_| not_registered())?;
        if form.channel == Channel::Worker && !serves(&orgs, actor, &community) {
            return Err(not_registered().into());
        }
        // Registered where they live now: a resident who moved is
        // registered again by their new community.
        let Some(recipient) = store::recipient(&mut conn, person_id)
            .await?
            .filter(|r| r.community == community.as_str())
        else {
            return Err(not_registered().into());
        };
        let mut faults = FieldErrors::default();
        if RULES.service(&form.service).is_none() {
            faults.add("service", "没有该服务项目", "No such service");
        }
        let district = community.district();
        let provider = if form.provider.trim().is_empty() && form.channel.is_residents_own() {
            // The alliance assigns one of those that give the service here:
            // the least busy, then the most reliable and best rated lately.
            let since = self.now_micros() - alliance::STANDING_DAYS * 86_400_000_000;
            let standings = store::provider_standings(&mut conn, since).await?;
            let candidates: Vec<ProviderRow> = store::providers(&mut conn)
                .await?
                .into_iter()
                .filter(|p| offers(p, &form.service, district))
                .collect();
            let standing: Vec<alliance::Standing> = candidates
                .iter()
                .map(|p| {
                    let (open, declined, rated, stars) = standings
                        .iter()
                        .find(|(code, ..)| *code == p.credit_code)
                        .map(|(_, o, d, r, s)| (*o, *d, *r, *s))
                        .unwrap_or_default();
                    alliance::Standing {
                        code: p.credit_code.clone(),
                        open,
                        declined,
                        rated,
                        stars,
                    }
                })
                .collect();
            let chosen = alliance::pick(&standing).map(|s| s.code.clone());
            candidates
                .into_iter()
                .find(|p| Some(&p.credit_code) == chosen.as_ref())
        } else {
            store::provider(&mut conn, form.provider.trim()).await?
        };
        drop(conn);
        match &provider {
            Some(p) if offers(p, &form.service, district) => {}
            _ => faults.add(
                "provider",
                "该服务商不在您所在的区提供此项服务",
                "The provider does not give this service in the resident's district",
            ),
        }
        match form.wanted_on.trim().parse::<jiff::civil::Date>() {
            Ok(d)
                if d >= today && d <= today.saturating_add(jiff::Span::new().days(AHEAD_DAYS)) => {}
            _ => faults.add(
                "wanted_on",
                "服务日期应为今天起30天内",
                "The day asked for is today or within 30 days",
            ),
        }
        refuse_text(&mut faults, "request", &form.request, 500);
        faults.check()?;
        let mut row = OrderRow {
            person_id,
            community: recipient.community.clone(),
            provider: provider.map(|p| p.credit_code).unwrap_or_default(),
            service: form.service.clone(),
            channel: form.channel.as_str().to_string(),
            placed_by: actor.journal_name(),
            placed_at: now,
            wanted_on: form.wanted_on.trim().to_string(),
            request: form.request.trim().to_string(),
            state: OrderState::Placed.as_str().to_string(),
            updated_at: now,
            // Only the resident spends their own time bank.
            use_time_bank: form.use_time_bank && form.channel.is_residents_own(),
            ..OrderRow::default()
        };
        row.due_at = due_at(&row, &RULES);
        let actor_c = actor.clone();
        let id = self
            .db
            .write(async move |tx: &mut WriteTx| -> Result<i64> {
                let id = store::insert_order(tx.conn(), &row).await?;
                row.id = id;
                let number = number_of(&row);
                let mut e = entry(
                    &actor_c,
                    format!("care/{number}"),
                    "care.order_placed",
                    json!({"person": row.person_id, "service": row.service, "provider": row.provider,
                           "channel": row.channel, "wanted_on": row.wanted_on,
                           "use_time_bank": row.use_time_bank, "watch": watch(&row, &number)}),
                );
                e.org = community.org().to_string();
                tx.journal(now, e).await?;
                Ok(id)
            })
            .await?;
        self.care_order_by_id(actor, id).await
    }

    /// An order, for a party to it; anyone else is told it is not found.
    /// A provider's or staff member's look at it is journaled as a read.
    pub async fn care_order(&self, actor: &Actor, number: &str) -> Result<OrderView> {
        let id = order_id(number).ok_or_else(no_order)?;
        let view = self.care_order_by_id(actor, id).await?;
        if view.number != number {
            return Err(no_order().into());
        }
        Ok(view)
    }

    async fn care_order_by_id(&self, actor: &Actor, id: i64) -> Result<OrderView> {
        let (o, person, provider_name, party) = {
            let mut conn = self.db.read().await?;
            let o = store::order(&mut conn, id).await?.ok_or_else(no_order)?;
            let (_, person) = registry_store::person(&mut conn, o.person_id)
                .await?
                .ok_or_else(no_order)?;
            let name = store::provider(&mut conn, &o.provider)
                .await?
                .map(|p| p.name)
                .unwrap_or_default();
            let party = party_for(&mut conn, &self.orgs(), actor, &o, &person).await?;
            (o, person, name, party.ok_or_else(no_order)?)
        };
        let view = OrderView::of(&o, &person, provider_name, party).at(self.now_micros());
        if party != Party::Resident {
            self.record_order_reads(actor, std::slice::from_ref(&view), &[person])
                .await?;
        }
        Ok(view)
    }

    async fn record_order_reads(
        &self,
        actor: &Actor,
        views: &[OrderView],
        persons: &[Person],
    ) -> Result<()> {
        let subject = if views.len() == 1 {
            format!("care/{}", views[0].number)
        } else {
            "care/orders".into()
        };
        let payload = json!({"orders": views.iter().map(|v| v.number.clone()).collect::<Vec<_>>()});
        let persons = views
            .iter()
            .zip(persons)
            .map(|(v, p)| ReadOf {
                user: None,
                number: p.id_number.clone(),
                what: v.number.clone(),
            })
            .collect();
        self.record_care_read(actor, (subject, ReadKind::CareOrder), payload, persons)
            .await
    }

    /// The orders `actor` has a part in, newest first: a resident's own, a
    /// provider's, a worker's communities', or every order for the hotline.
    pub async fn care_orders(&self, actor: &Actor) -> Result<Vec<OrderView>> {
        let orgs = self.orgs();
        let mut conn = self.db.read().await?;
        let lists: Vec<OrdersOf> = if let Some(code) = provider_code(actor) {
            vec![OrdersOf::Provider(code.to_string())]
        } else if actor.kind == UserKind::Citizen {
            let Ok(number) = bound_number(actor, ("", "")) else {
                return Ok(vec![]);
            };
            person_numbered(&mut conn, number)
                .await?
                .into_iter()
                .map(|(id, _)| OrdersOf::Person(id))
                .collect()
        } else if operates_hotline(&orgs, actor) {
            vec![OrdersOf::All]
        } else {
            communities_served(&orgs, actor)
                .map(|c| OrdersOf::Community(c.to_string()))
                .collect()
        };
        let mut rows = vec![];
        for of in &lists {
            rows.extend(store::orders(&mut conn, of, LIST).await?);
        }
        rows.sort_by_key(|r| std::cmp::Reverse(r.id));
        rows.truncate(LIST as usize);
        let providers: BTreeMap<String, String> = store::providers(&mut conn)
            .await?
            .into_iter()
            .map(|p| (p.credit_code, p.name))
            .collect();
        let mut views = vec![];
        let mut persons = vec![];
        for o in rows {
            let Some((_, person)) = registry_store::person(&mut conn, o.person_id).await? else {
                continue;
            };
            let Some(party) = party_for(&mut conn, &orgs, actor, &o, &person).await? else {
                continue;
            };
            let name = providers.get(&o.provider).cloned().unwrap_or_default();
            views.push(OrderView::of(&o, &person, name, party).at(self.now_micros()));
            persons.push(person);
        }
        drop(conn);
        if actor.kind != UserKind::Citizen {
            self.record_order_reads(actor, &views, &persons).await?;
        }
        Ok(views)
    }

    /// Act on an order as the party `actor` is to it. Serving charges the
    /// time at the service's standard price, drawing the subsidy from what
    /// is left of the resident's subsidised minutes this month.
    pub async fn care_order_command(
        &self,
        actor: &Actor,
        number: &str,
        command: OrderCommand,
    ) -> Result<OrderView> {
        let id = order_id(number).ok_or_else(no_order)?;
        let orgs = self.orgs();
        let now = self.now_micros();
        let actor_c = actor.clone();
        let number = number.to_string();
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<()> {
                let mut o = store::order(tx.conn(), id).await?.ok_or_else(no_order)?;
                if number_of(&o) != number {
                    return Err(no_order().into());
                }
                let (_, person) = registry_store::person(tx.conn(), o.person_id)
                    .await?
                    .ok_or_else(no_order)?;
                let party = party_for(tx.conn(), &orgs, &actor_c, &o, &person)
                    .await?
                    .ok_or_else(no_order)?;
                let state = OrderState::parse(&o.state).ok_or_else(no_order)?;
                let next = next_order_state(state, party, &command)?;
                let was = o.state.clone();
                o.state = next.as_str().to_string();
                o.updated_at = now;
                let mut payload = json!({});
                match &command {
                    OrderCommand::Accept => o.accepted_at = Some(now),
                    OrderCommand::Decline { reason } | OrderCommand::Cancel { reason } => {
                        o.closed_reason = Some(reason.trim().to_string());
                        payload = json!({"reason": reason.trim()});
                    }
                    OrderCommand::Serve { minutes, note } => {
                        let month = month_of(now);
                        let allowed = store::recipient(tx.conn(), o.person_id)
                            .await?
                            .map_or(0, |r| r.minutes);
                        let used = store::subsidised_used(tx.conn(), o.person_id, &month).await?;
                        let left = u32::try_from((allowed - used).max(0)).unwrap_or(0);
                        let hourly = RULES.service(&o.service).map_or(0, |s| s.hourly_fen);
                        let banked = if o.use_time_bank {
                            store::bank_balance(tx.conn(), o.person_id).await?
                        } else {
                            0
                        };
                        let banked = u32::try_from(banked.max(0)).unwrap_or(u32::MAX);
                        let c = charge(hourly, *minutes, left, banked);
                        if c.banked_minutes > 0 {
                            let spent = -i64::from(c.banked_minutes);
                            store::bank(tx.conn(), o.person_id, spent, "spent", &number, now)
                                .await?;
                        }
                        o.served_at = Some(now);
                        o.minutes = Some(i64::from(*minutes));
                        o.note = Some(note.trim().to_string());
                        o.month = Some(month.clone());
                        o.total_fen = Some(c.total_fen as i64);
                        o.subsidy_fen = Some(c.subsidy_fen as i64);
                        o.own_fen = Some(c.own_fen as i64);
                        o.subsidised_minutes = Some(i64::from(c.subsidised_minutes));
                        o.bank_fen = Some(c.bank_fen as i64);
                        o.banked_minutes = Some(i64::from(c.banked_minutes));
                        payload = json!({"minutes": minutes, "month": month, "total_fen": c.total_fen,
                                         "subsidy_fen": c.subsidy_fen, "bank_fen": c.bank_fen, "own_fen": c.own_fen,
                                         "subsidised_minutes": c.subsidised_minutes,
                                         "banked_minutes": c.banked_minutes});
                    }
                    OrderCommand::Confirm { rating, comment } => {
                        o.rating = Some(i64::from(*rating));
                        o.comment = Some(comment.trim().to_string()).filter(|c| !c.is_empty());
                        payload = json!({"rating": rating, "return_visit": party == Party::ReturnVisit});
                    }
                }
                o.due_at = due_at(&o, &RULES);
                if !store::update_order(tx.conn(), &o, &was).await? {
                    return Err(Refusal::conflict(
                        "order_state",
                        "该工单刚被他人处理，请刷新后再试",
                        "Someone else acted on the order just now; reload it",
                    )
                    .into());
                }
                if let Some(map) = payload.as_object_mut() {
                    map.insert("state".into(), json!(o.state));
                    map.insert("watch".into(), watch(&o, &number));
                }
                let event = match command {
                    OrderCommand::Accept => "care.order_accepted",
                    OrderCommand::Decline { .. } => "care.order_declined",
                    OrderCommand::Serve { .. } => "care.order_served",
                    OrderCommand::Confirm { .. } => "care.order_confirmed",
                    OrderCommand::Cancel { .. } => "care.order_cancelled",
                };
                let mut e = entry(&actor_c, format!("care/{number}"), event, payload);
                if let Ok(c) = DivisionCode::parse(&o.community) {
                    e.org = c.org().to_string();
                }
                tx.journal(now, e).await?;
                Ok(())
            })
            .await?;
        self.care_order_by_id(actor, id).await
    }

    /// The signed-in resident's home care: their registration, this
    /// month's subsidised time and allowance, their orders, and what they
    /// may order from whom.
    pub async fn my_care(&self, actor: &Actor) -> Result<MyCare> {
        let number = bound_number(actor, ("，再使用居家养老服务", ", to use home care"))?;
        let (today, now) = (self.clock.today(), self.now_micros());
        let mut conn = self.db.read().await?;
        let found = person_numbered(&mut conn, number).await?;
        let Some((id, person)) = found else {
            return Ok(MyCare::none(today));
        };
        let recipient = store::recipient(&mut conn, id).await?;
        let used = store::subsidised_used(&mut conn, id, &month_of(now)).await?;
        let banked = store::bank_balance(&mut conn, id).await?;
        let providers = store::providers(&mut conn).await?;
        drop(conn);
        let orders = self.care_orders(actor).await?;
        Ok(MyCare::of(
            &person,
            recipient.as_ref(),
            (used, banked),
            today,
            providers,
            orders,
        ))
    }
}

fn channel_not_yours(c: Channel) -> Refusal {
    Refusal::forbidden(
        "channel_not_yours",
        &format!("您不能通过“{}”下单", c.name().zh),
        &format!("You may not place orders by \"{}\"", c.name().en),
    )
}

/// A charge as stored with an order, if it was served.
fn stored_charge(o: &OrderRow) -> Option<Charge> {
    Some(Charge {
        total_fen: u64::try_from(o.total_fen?).ok()?,
        subsidy_fen: u64::try_from(o.subsidy_fen?).ok()?,
        own_fen: u64::try_from(o.own_fen?).ok()?,
        subsidised_minutes: u32::try_from(o.subsidised_minutes?).ok()?,
        bank_fen: u64::try_from(o.bank_fen.unwrap_or(0)).ok()?,
        banked_minutes: u32::try_from(o.banked_minutes.unwrap_or(0)).ok()?,
    })
}

/// The level an assessment was stored with.
fn stored_level(r: &RecipientRow) -> AdlLevel {
    AdlLevel::parse(&r.level).unwrap_or(AdlLevel::Intact)
}
