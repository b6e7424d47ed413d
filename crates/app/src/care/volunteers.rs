//! Volunteers (志愿者) and the time bank: a resident registers to give
//! time in their community; the worker announces activities; the volunteer
//! records the time given at one, the worker confirms it, and the minutes
//! are banked for the volunteer's own services later.

use serde::{Deserialize, Serialize};
use serde_json::json;
use sunshine_domain::access::ReadKind;
use sunshine_domain::care::timebank::{check_activity, check_claim, decide_claim, ClaimState};
use sunshine_domain::identity::Actor;
use sunshine_domain::refusal::{is_clean_text, Refusal};
use sunshine_domain::registry::{DivisionCode, Person};
use sunshine_store::care::{self as store, ActivityRow, HoursRow, VolunteerRow};
use sunshine_store::registry as registry_store;
use sunshine_store::WriteTx;

use super::{bound_number, person_numbered, serves};
use crate::access::ReadOf;
use crate::journal_entry::entry;
use crate::{App, Result};

/// An activity as its community's worker announces it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct ActivityForm {
    /// The community's 12-digit division code.
    pub community: String,
    pub title: String,
    /// `YYYY-MM-DD`
    pub day: String,
    pub place: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ActivityView {
    pub id: i64,
    pub community: String,
    pub title: String,
    pub day: String,
    pub place: String,
}

impl ActivityView {
    fn of(a: ActivityRow) -> ActivityView {
        ActivityView {
            id: a.id,
            community: a.community,
            title: a.title,
            day: a.day,
            place: a.place,
        }
    }
}

/// Time a volunteer gave at an activity.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct HoursForm {
    pub activity: i64,
    pub minutes: u32,
    /// What they did.
    pub note: String,
}

/// The worker's decision on a record of time.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct HoursDecision {
    pub confirm: bool,
    /// Why not, when refused.
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HoursView {
    pub id: i64,
    pub activity: i64,
    pub activity_title: String,
    pub activity_day: String,
    /// The volunteer, for the worker who confirms the time.
    pub volunteer: String,
    pub minutes: i64,
    pub note: String,
    pub state: ClaimState,
    pub recorded_at: i64,
    pub reason: Option<String>,
}

/// A resident's volunteering, as they see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MyVolunteering {
    /// The registry holds them (only then can they register).
    pub held: bool,
    pub registered: bool,
    pub community: Option<String>,
    pub skills: String,
    /// Minutes in their time bank.
    pub balance_minutes: i64,
    /// Their community's activities, the latest first.
    pub activities: Vec<ActivityView>,
    pub hours: Vec<HoursView>,
}

fn no_activity() -> Refusal {
    Refusal::not_found("该志愿活动", "The activity")
}

fn not_volunteer() -> Refusal {
    Refusal::forbidden(
        "not_volunteer",
        "请先登记为本社区志愿者",
        "Register as a volunteer of your community first",
    )
}

impl App {
    /// The signed-in resident's person in the registry, found by the
    /// identity number their account is bound to.
    async fn own_person(&self, actor: &Actor) -> Result<Option<(i64, Person)>> {
        let number = bound_number(actor, ("", ""))?;
        let mut conn = self.db.read().await?;
        person_numbered(&mut conn, number).await
    }

    /// Register as a volunteer of one's own community, with what one can do.
    pub async fn register_volunteer(&self, actor: &Actor, skills: &str) -> Result<MyVolunteering> {
        let Some((id, person)) = self.own_person(actor).await? else {
            return Err(Refusal::not_found("您的人口信息", "Your population record").into());
        };
        let skills = skills.trim().to_string();
        if skills.chars().count() > 200 || !is_clean_text(&skills) {
            return Err(Refusal::field(
                "skills",
                "特长不得超过200字",
                "At most 200 characters of skills",
            )
            .into());
        }
        let now = self.now_micros();
        let row = VolunteerRow {
            person_id: id,
            community: person.community.clone(),
            skills,
            registered_at: now,
        };
        let actor_c = actor.clone();
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<()> {
                store::upsert_volunteer(tx.conn(), &row).await?;
                let mut e = entry(
                    &actor_c,
                    format!("care/volunteer/{id}"),
                    "care.volunteer_registered",
                    json!({"person": id, "community": row.community}),
                );
                if let Ok(c) = DivisionCode::parse(&row.community) {
                    e.org = c.org().to_string();
                }
                tx.journal(now, e).await?;
                Ok(())
            })
            .await?;
        self.my_volunteering(actor).await
    }

    /// The signed-in resident's volunteering and time bank.
    pub async fn my_volunteering(&self, actor: &Actor) -> Result<MyVolunteering> {
        let found = self.own_person(actor).await?;
        let mut conn = self.db.read().await?;
        let Some((id, person)) = found else {
            return Ok(MyVolunteering {
                held: false,
                registered: false,
                community: None,
                skills: String::new(),
                balance_minutes: 0,
                activities: vec![],
                hours: vec![],
            });
        };
        let volunteer = store::volunteer(&mut conn, id).await?;
        let balance_minutes = store::bank_balance(&mut conn, id).await?;
        let activities: Vec<ActivityView> = store::activities_of(&mut conn, &person.community, 50)
            .await?
            .into_iter()
            .map(ActivityView::of)
            .collect();
        let mut hours = vec![];
        for h in store::hours_of(&mut conn, id).await? {
            hours.push(hours_view(&mut conn, h, &person.name).await?);
        }
        Ok(MyVolunteering {
            held: true,
            registered: volunteer.is_some(),
            community: Some(person.community.clone()),
            skills: volunteer.map(|v| v.skills).unwrap_or_default(),
            balance_minutes,
            activities,
            hours,
        })
    }

    /// Announce an activity of a community, as its worker.
    pub async fn create_care_activity(
        &self,
        actor: &Actor,
        form: ActivityForm,
    ) -> Result<ActivityView> {
        let code = self.served_community(actor, &form.community)?;
        let day = check_activity(&form.title, &form.day, &form.place, self.clock.today())?;
        let now = self.now_micros();
        let mut row = ActivityRow {
            id: 0,
            community: code.to_string(),
            title: form.title.trim().to_string(),
            day: day.to_string(),
            place: form.place.trim().to_string(),
            created_by: actor.display_name.clone(),
            created_at: now,
        };
        let actor_c = actor.clone();
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<ActivityView> {
                row.id = store::insert_activity(tx.conn(), &row).await?;
                let mut e = entry(
                    &actor_c,
                    format!("care/activity/{}", row.id),
                    "care.activity_announced",
                    json!({"community": row.community, "title": row.title, "day": row.day}),
                );
                e.org = code.org().to_string();
                tx.journal(now, e).await?;
                Ok(ActivityView::of(row))
            })
            .await
    }

    /// A community's activities, for its worker.
    pub async fn care_activities(
        &self,
        actor: &Actor,
        community: &str,
    ) -> Result<Vec<ActivityView>> {
        let code = self.served_community(actor, community)?;
        let mut conn = self.db.read().await?;
        Ok(store::activities_of(&mut conn, code.as_str(), 50)
            .await?
            .into_iter()
            .map(ActivityView::of)
            .collect())
    }

    /// A volunteer records the time they gave at an activity of their
    /// community, once per activity, on or after its day.
    pub async fn record_volunteer_hours(
        &self,
        actor: &Actor,
        form: HoursForm,
    ) -> Result<HoursView> {
        let Some((id, person)) = self.own_person(actor).await? else {
            return Err(not_volunteer().into());
        };
        let (today, now) = (self.clock.today(), self.now_micros());
        let actor_c = actor.clone();
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<HoursView> {
                let volunteer = store::volunteer(tx.conn(), id)
                    .await?
                    .ok_or_else(not_volunteer)?;
                let activity = store::activity(tx.conn(), form.activity)
                    .await?
                    .filter(|a| a.community == volunteer.community)
                    .ok_or_else(no_activity)?;
                let day = activity.day.parse().map_err(|_| no_activity())?;
                check_claim(form.minutes, &form.note, day, today)?;
                let row = HoursRow {
                    id: 0,
                    activity_id: activity.id,
                    person_id: id,
                    community: activity.community.clone(),
                    minutes: i64::from(form.minutes),
                    note: form.note.trim().to_string(),
                    state: ClaimState::Recorded.as_str().to_string(),
                    recorded_at: now,
                    decided_by: None,
                    decided_at: None,
                    reason: None,
                };
                let Some(hid) = store::insert_hours(tx.conn(), &row).await? else {
                    return Err(Refusal::conflict(
                        "hours_recorded",
                        "您已登记过该活动的服务时长",
                        "You recorded your time at this activity already",
                    )
                    .into());
                };
                let mut e = entry(
                    &actor_c,
                    format!("care/hours/{hid}"),
                    "care.hours_recorded",
                    json!({"activity": activity.id, "person": id, "minutes": form.minutes}),
                );
                if let Ok(c) = DivisionCode::parse(&activity.community) {
                    e.org = c.org().to_string();
                }
                tx.journal(now, e).await?;
                let held = store::hours(tx.conn(), hid)
                    .await?
                    .ok_or_else(no_activity)?;
                hours_view(tx.conn(), held, &person.name).await
            })
            .await
    }

    /// The records of time waiting for `community`'s worker, with each
    /// volunteer's name (a journaled read).
    pub async fn open_volunteer_hours(
        &self,
        actor: &Actor,
        community: &str,
    ) -> Result<Vec<HoursView>> {
        let code = self.served_community(actor, community)?;
        let mut views = vec![];
        let mut persons = vec![];
        {
            let mut conn = self.db.read().await?;
            for h in store::open_hours(&mut conn, code.as_str()).await? {
                let Some((_, p)) = registry_store::person(&mut conn, h.person_id).await? else {
                    continue;
                };
                persons.push(ReadOf {
                    user: None,
                    number: p.id_number.clone(),
                    what: format!("care/hours/{}", h.id),
                });
                views.push(hours_view(&mut conn, h, &p.name).await?);
            }
        }
        let subject = (format!("care/hours/{code}"), ReadKind::RegistryRecord);
        let payload = json!({"community": code.as_str(), "records": views.len()});
        self.record_care_read(actor, subject, payload, persons)
            .await?;
        Ok(views)
    }

    /// Confirm a record of time (the minutes go into the volunteer's time
    /// bank, in the same write) or refuse it with a reason.
    pub async fn decide_volunteer_hours(
        &self,
        actor: &Actor,
        id: i64,
        decision: HoursDecision,
    ) -> Result<HoursView> {
        let orgs = self.orgs();
        let now = self.now_micros();
        let actor_c = actor.clone();
        let not_found = || Refusal::not_found("该服务时长记录", "The record of time");
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<HoursView> {
                let h = store::hours(tx.conn(), id).await?.ok_or_else(not_found)?;
                let community = DivisionCode::parse(&h.community).map_err(|_| not_found())?;
                if !serves(&orgs, &actor_c, &community) {
                    return Err(not_found().into());
                }
                let state = ClaimState::parse(&h.state).ok_or_else(not_found)?;
                let next = decide_claim(state, decision.confirm, &decision.reason)?;
                let reason = (!decision.confirm).then(|| decision.reason.trim().to_string());
                let by = actor_c.display_name.clone();
                if !store::decide_hours(tx.conn(), id, next.as_str(), &by, now, reason.as_deref())
                    .await?
                {
                    return Err(Refusal::conflict(
                        "claim_state",
                        "该记录已处理",
                        "The record was decided already",
                    )
                    .into());
                }
                if next == ClaimState::Confirmed {
                    let why = format!("care/hours/{id}");
                    store::bank(tx.conn(), h.person_id, h.minutes, "earned", &why, now).await?;
                }
                let mut e = entry(
                    &actor_c,
                    format!("care/hours/{id}"),
                    "care.hours_decided",
                    json!({"state": next.as_str(), "minutes": h.minutes, "person": h.person_id}),
                );
                e.org = community.org().to_string();
                tx.journal(now, e).await?;
                let held = store::hours(tx.conn(), id).await?.ok_or_else(not_found)?;
                let name = registry_store::person(tx.conn(), h.person_id)
                    .await?
                    .map(|(_, p)| p.name)
                    .unwrap_or_default();
                hours_view(tx.conn(), held, &name).await
            })
            .await
    }
}

async fn hours_view(
    conn: &mut sunshine_store::Conn,
    h: HoursRow,
    volunteer: &str,
) -> Result<HoursView> {
    let activity = store::activity(conn, h.activity_id).await?;
    Ok(HoursView {
        id: h.id,
        activity: h.activity_id,
        activity_title: activity
            .as_ref()
            .map(|a| a.title.clone())
            .unwrap_or_default(),
        activity_day: activity.map(|a| a.day).unwrap_or_default(),
        volunteer: volunteer.to_string(),
        minutes: h.minutes,
        note: h.note,
        state: ClaimState::parse(&h.state).unwrap_or(ClaimState::Recorded),
        recorded_at: h.recorded_at,
        reason: h.reason,
    })
}
