//! Home care's SQL: the alliance's providers, the residents registered for
//! care with their assessment, and the service orders.

use sqlx::{AnyConnection, Row};

use crate::Result;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderRow {
    pub credit_code: String,
    pub name: String,
    pub services: Vec<String>,
    pub districts: Vec<String>,
    pub active: bool,
    pub registered_at: i64,
}

fn split(s: String) -> Vec<String> {
    s.split(',')
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

fn provider_row(r: &sqlx::any::AnyRow) -> Result<ProviderRow> {
    Ok(ProviderRow {
        credit_code: r.try_get("credit_code")?,
        name: r.try_get("name")?,
        services: split(r.try_get("services")?),
        districts: split(r.try_get("districts")?),
        active: r.try_get::<i64, _>("active")? != 0,
        registered_at: r.try_get("registered_at")?,
    })
}

const PROVIDER: &str =
    "SELECT credit_code, name, services, districts, active, registered_at FROM care_providers";

/// Register a provider, or change what it gives and where.
pub async fn upsert_provider(conn: &mut AnyConnection, p: &ProviderRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO care_providers (credit_code, name, services, districts, active, registered_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (credit_code) DO UPDATE SET \
         name = excluded.name, services = excluded.services, districts = excluded.districts, \
         active = excluded.active",
    )
    .bind(p.credit_code.clone())
    .bind(p.name.clone())
    .bind(p.services.join(","))
    .bind(p.districts.join(","))
    .bind(i64::from(p.active))
    .bind(p.registered_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn provider(conn: &mut AnyConnection, credit_code: &str) -> Result<Option<ProviderRow>> {
    let sql = format!("{PROVIDER} WHERE credit_code = $1");
    match sqlx::query(&sql)
        .bind(credit_code.to_string())
        .fetch_optional(&mut *conn)
        .await?
    {
        Some(r) => Ok(Some(provider_row(&r)?)),
        None => Ok(None),
    }
}

/// Every provider, by name.
pub async fn providers(conn: &mut AnyConnection) -> Result<Vec<ProviderRow>> {
    let sql = format!("{PROVIDER} ORDER BY name, credit_code");
    sqlx::query(&sql)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(provider_row)
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientRow {
    pub person_id: i64,
    pub community: String,
    /// The assessment's item scores, as JSON.
    pub scores: String,
    pub total: i64,
    pub level: String,
    /// Subsidised minutes a month.
    pub minutes: i64,
    pub assessed_at: i64,
    pub assessed_by: String,
}

const RECIPIENT: &str = "SELECT person_id, community, scores, total, level, minutes, assessed_at, assessed_by FROM care_recipients";

fn recipient_row(r: &sqlx::any::AnyRow) -> Result<RecipientRow> {
    Ok(RecipientRow {
        person_id: r.try_get("person_id")?,
        community: r.try_get("community")?,
        scores: r.try_get("scores")?,
        total: r.try_get("total")?,
        level: r.try_get("level")?,
        minutes: r.try_get("minutes")?,
        assessed_at: r.try_get("assessed_at")?,
        assessed_by: r.try_get("assessed_by")?,
    })
}

/// Register a resident for care, or record their new assessment.
pub async fn upsert_recipient(conn: &mut AnyConnection, r: &RecipientRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO care_recipients (person_id, community, scores, total, level, minutes, assessed_at, assessed_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (person_id) DO UPDATE SET \
         community = excluded.community, scores = excluded.scores, total = excluded.total, \
         level = excluded.level, minutes = excluded.minutes, assessed_at = excluded.assessed_at, \
         assessed_by = excluded.assessed_by",
    )
    .bind(r.person_id)
    .bind(r.community.clone())
    .bind(r.scores.clone())
    .bind(r.total)
    .bind(r.level.clone())
    .bind(r.minutes)
    .bind(r.assessed_at)
    .bind(r.assessed_by.clone())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn recipient(conn: &mut AnyConnection, person_id: i64) -> Result<Option<RecipientRow>> {
    let sql = format!("{RECIPIENT} WHERE person_id = $1");
    match sqlx::query(&sql)
        .bind(person_id)
        .fetch_optional(&mut *conn)
        .await?
    {
        Some(r) => Ok(Some(recipient_row(&r)?)),
        None => Ok(None),
    }
}

/// A community's residents registered for care.
pub async fn recipients_of(conn: &mut AnyConnection, community: &str) -> Result<Vec<RecipientRow>> {
    let sql = format!("{RECIPIENT} WHERE community = $1 ORDER BY person_id");
    sqlx::query(&sql)
        .bind(community.to_string())
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(recipient_row)
        .collect()
}

/// A service order as stored.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OrderRow {
    pub id: i64,
    pub person_id: i64,
    pub community: String,
    pub provider: String,
    pub service: String,
    pub channel: String,
    /// The journal name of whoever placed it.
    pub placed_by: String,
    pub placed_at: i64,
    /// `YYYY-MM-DD`
    pub wanted_on: String,
    pub request: String,
    pub state: String,
    pub due_at: Option<i64>,
    pub accepted_at: Option<i64>,
    pub served_at: Option<i64>,
    pub minutes: Option<i64>,
    pub note: Option<String>,
    /// `YYYY-MM`, the month served.
    pub month: Option<String>,
    pub total_fen: Option<i64>,
    pub subsidy_fen: Option<i64>,
    pub own_fen: Option<i64>,
    pub subsidised_minutes: Option<i64>,
    pub use_time_bank: bool,
    pub bank_fen: Option<i64>,
    pub banked_minutes: Option<i64>,
    pub rating: Option<i64>,
    pub comment: Option<String>,
    pub closed_reason: Option<String>,
    pub updated_at: i64,
}

const ORDER: &str = "SELECT id, person_id, community, provider, service, channel, placed_by, placed_at, \
     wanted_on, request, state, due_at, accepted_at, served_at, minutes, note, month, total_fen, \
     subsidy_fen, own_fen, subsidised_minutes, use_time_bank, bank_fen, banked_minutes, rating, comment, \
     closed_reason, updated_at FROM care_orders";

fn order_row(r: &sqlx::any::AnyRow) -> Result<OrderRow> {
    Ok(OrderRow {
        id: r.try_get("id")?,
        person_id: r.try_get("person_id")?,
        community: r.try_get("community")?,
        provider: r.try_get("provider")?,
        service: r.try_get("service")?,
        channel: r.try_get("channel")?,
        placed_by: r.try_get("placed_by")?,
        placed_at: r.try_get("placed_at")?,
        wanted_on: r.try_get("wanted_on")?,
        request: r.try_get("request")?,
        state: r.try_get("state")?,
        due_at: r.try_get("due_at")?,
        accepted_at: r.try_get("accepted_at")?,
        served_at: r.try_get("served_at")?,
        minutes: r.try_get("minutes")?,
        note: r.try_get("note")?,
        month: r.try_get("month")?,
        total_fen: r.try_get("total_fen")?,
        subsidy_fen: r.try_get("subsidy_fen")?,
        own_fen: r.try_get("own_fen")?,
        subsidised_minutes: r.try_get("subsidised_minutes")?,
        use_time_bank: r.try_get::<i64, _>("use_time_bank")? != 0,
        bank_fen: r.try_get("bank_fen")?,
        banked_minutes: r.try_get("banked_minutes")?,
        rating: r.try_get("rating")?,
        comment: r.try_get("comment")?,
        closed_reason: r.try_get("closed_reason")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// A new order, placed; its id.
pub async fn insert_order(conn: &mut AnyConnection, o: &OrderRow) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO care_orders (person_id, community, provider, service, channel, placed_by, \
         placed_at, wanted_on, request, state, due_at, updated_at, use_time_bank) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
    )
    .bind(o.person_id)
    .bind(o.community.clone())
    .bind(o.provider.clone())
    .bind(o.service.clone())
    .bind(o.channel.clone())
    .bind(o.placed_by.clone())
    .bind(o.placed_at)
    .bind(o.wanted_on.clone())
    .bind(o.request.clone())
    .bind(o.state.clone())
    .bind(o.due_at)
    .bind(o.updated_at)
    .bind(i64::from(o.use_time_bank))
    .fetch_one(&mut *conn)
    .await?;
    Ok(r.try_get("id")?)
}

/// Write an order's progress, if it is still in the state `was` (another
/// writer that moved it first wins): whether it was written.
pub async fn update_order(conn: &mut AnyConnection, o: &OrderRow, was: &str) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE care_orders SET state = $1, due_at = $2, accepted_at = $3, served_at = $4, \
         minutes = $5, note = $6, month = $7, total_fen = $8, subsidy_fen = $9, own_fen = $10, \
         subsidised_minutes = $11, rating = $12, comment = $13, closed_reason = $14, updated_at = $15, \
         bank_fen = $18, banked_minutes = $19 \
         WHERE id = $16 AND state = $17",
    )
    .bind(o.state.clone())
    .bind(o.due_at)
    .bind(o.accepted_at)
    .bind(o.served_at)
    .bind(o.minutes)
    .bind(o.note.clone())
    .bind(o.month.clone())
    .bind(o.total_fen)
    .bind(o.subsidy_fen)
    .bind(o.own_fen)
    .bind(o.subsidised_minutes)
    .bind(o.rating)
    .bind(o.comment.clone())
    .bind(o.closed_reason.clone())
    .bind(o.updated_at)
    .bind(o.id)
    .bind(was.to_string())
    .bind(o.bank_fen)
    .bind(o.banked_minutes)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Each provider's standing for the alliance: orders in hand (placed or
/// accepted), and, of orders placed since `since` (µs), how many it
/// declined, how many were rated and their stars.
pub async fn provider_standings(
    conn: &mut AnyConnection,
    since: i64,
) -> Result<Vec<(String, i64, i64, i64, i64)>> {
    sqlx::query(
        "SELECT provider, \
         CAST(SUM(CASE WHEN state IN ('placed', 'accepted') THEN 1 ELSE 0 END) AS BIGINT) AS open, \
         CAST(SUM(CASE WHEN state = 'declined' AND placed_at >= $1 THEN 1 ELSE 0 END) AS BIGINT) AS declined, \
         CAST(SUM(CASE WHEN rating IS NOT NULL AND placed_at >= $1 THEN 1 ELSE 0 END) AS BIGINT) AS rated, \
         CAST(SUM(CASE WHEN rating IS NOT NULL AND placed_at >= $1 THEN rating ELSE 0 END) AS BIGINT) AS stars \
         FROM care_orders GROUP BY provider",
    )
    .bind(since)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok((
            r.try_get("provider")?,
            r.try_get("open")?,
            r.try_get("declined")?,
            r.try_get("rated")?,
            r.try_get("stars")?,
        ))
    })
    .collect()
}

pub async fn order(conn: &mut AnyConnection, id: i64) -> Result<Option<OrderRow>> {
    let sql = format!("{ORDER} WHERE id = $1");
    match sqlx::query(&sql)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
    {
        Some(r) => Ok(Some(order_row(&r)?)),
        None => Ok(None),
    }
}

/// Whose orders to list.
#[derive(Debug, Clone)]
pub enum OrdersOf {
    Community(String),
    Provider(String),
    Person(i64),
    /// Every order (the hotline centre runs the alliance).
    All,
}

/// Orders, newest first, at most `limit`.
pub async fn orders(conn: &mut AnyConnection, of: &OrdersOf, limit: i64) -> Result<Vec<OrderRow>> {
    let condition = match of {
        OrdersOf::Community(_) => "WHERE community = $2",
        OrdersOf::Provider(_) => "WHERE provider = $2",
        OrdersOf::Person(_) => "WHERE person_id = $2",
        OrdersOf::All => "",
    };
    let sql = format!("{ORDER} {condition} ORDER BY id DESC LIMIT $1");
    let q = sqlx::query(&sql).bind(limit);
    let q = match of {
        OrdersOf::Community(c) => q.bind(c.clone()),
        OrdersOf::Provider(p) => q.bind(p.clone()),
        OrdersOf::Person(id) => q.bind(*id),
        OrdersOf::All => q,
    };
    q.fetch_all(&mut *conn)
        .await?
        .iter()
        .map(order_row)
        .collect()
}

/// The subsidised minutes a resident's services drew in `month`.
pub async fn subsidised_used(conn: &mut AnyConnection, person_id: i64, month: &str) -> Result<i64> {
    let r = sqlx::query(
        "SELECT CAST(COALESCE(SUM(subsidised_minutes), 0) AS BIGINT) AS used FROM care_orders \
         WHERE person_id = $1 AND month = $2",
    )
    .bind(person_id)
    .bind(month.to_string())
    .fetch_one(&mut *conn)
    .await?;
    Ok(r.try_get("used")?)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolunteerRow {
    pub person_id: i64,
    pub community: String,
    pub skills: String,
    pub registered_at: i64,
}

/// Register a volunteer, or change their skills.
pub async fn upsert_volunteer(conn: &mut AnyConnection, v: &VolunteerRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO care_volunteers (person_id, community, skills, registered_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (person_id) DO UPDATE SET community = excluded.community, skills = excluded.skills",
    )
    .bind(v.person_id)
    .bind(v.community.clone())
    .bind(v.skills.clone())
    .bind(v.registered_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn volunteer(conn: &mut AnyConnection, person_id: i64) -> Result<Option<VolunteerRow>> {
    let r = sqlx::query(
        "SELECT person_id, community, skills, registered_at FROM care_volunteers WHERE person_id = $1",
    )
    .bind(person_id)
    .fetch_optional(&mut *conn)
    .await?;
    r.map(|r| {
        Ok(VolunteerRow {
            person_id: r.try_get("person_id")?,
            community: r.try_get("community")?,
            skills: r.try_get("skills")?,
            registered_at: r.try_get("registered_at")?,
        })
    })
    .transpose()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityRow {
    pub id: i64,
    pub community: String,
    pub title: String,
    /// `YYYY-MM-DD`
    pub day: String,
    pub place: String,
    pub created_by: String,
    pub created_at: i64,
}

const ACTIVITY: &str =
    "SELECT id, community, title, day, place, created_by, created_at FROM care_activities";

fn activity_row(r: &sqlx::any::AnyRow) -> Result<ActivityRow> {
    Ok(ActivityRow {
        id: r.try_get("id")?,
        community: r.try_get("community")?,
        title: r.try_get("title")?,
        day: r.try_get("day")?,
        place: r.try_get("place")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
    })
}

pub async fn insert_activity(conn: &mut AnyConnection, a: &ActivityRow) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO care_activities (community, title, day, place, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(a.community.clone())
    .bind(a.title.clone())
    .bind(a.day.clone())
    .bind(a.place.clone())
    .bind(a.created_by.clone())
    .bind(a.created_at)
    .fetch_one(&mut *conn)
    .await?;
    Ok(r.try_get("id")?)
}

pub async fn activity(conn: &mut AnyConnection, id: i64) -> Result<Option<ActivityRow>> {
    let sql = format!("{ACTIVITY} WHERE id = $1");
    sqlx::query(&sql)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(activity_row)
        .transpose()
}

/// A community's activities, the latest day first, at most `limit`.
pub async fn activities_of(
    conn: &mut AnyConnection,
    community: &str,
    limit: i64,
) -> Result<Vec<ActivityRow>> {
    let sql = format!("{ACTIVITY} WHERE community = $1 ORDER BY day DESC, id DESC LIMIT $2");
    sqlx::query(&sql)
        .bind(community.to_string())
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(activity_row)
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoursRow {
    pub id: i64,
    pub activity_id: i64,
    pub person_id: i64,
    pub community: String,
    pub minutes: i64,
    pub note: String,
    pub state: String,
    pub recorded_at: i64,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub reason: Option<String>,
}

const HOURS: &str =
    "SELECT id, activity_id, person_id, community, minutes, note, state, recorded_at, \
     decided_by, decided_at, reason FROM care_hours";

fn hours_row(r: &sqlx::any::AnyRow) -> Result<HoursRow> {
    Ok(HoursRow {
        id: r.try_get("id")?,
        activity_id: r.try_get("activity_id")?,
        person_id: r.try_get("person_id")?,
        community: r.try_get("community")?,
        minutes: r.try_get("minutes")?,
        note: r.try_get("note")?,
        state: r.try_get("state")?,
        recorded_at: r.try_get("recorded_at")?,
        decided_by: r.try_get("decided_by")?,
        decided_at: r.try_get("decided_at")?,
        reason: r.try_get("reason")?,
    })
}

/// A volunteer's record of time at an activity; `None` when they recorded
/// time there already.
pub async fn insert_hours(conn: &mut AnyConnection, h: &HoursRow) -> Result<Option<i64>> {
    let held = sqlx::query("SELECT id FROM care_hours WHERE activity_id = $1 AND person_id = $2")
        .bind(h.activity_id)
        .bind(h.person_id)
        .fetch_optional(&mut *conn)
        .await?;
    if held.is_some() {
        return Ok(None);
    }
    let r = sqlx::query(
        "INSERT INTO care_hours (activity_id, person_id, community, minutes, note, state, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(h.activity_id)
    .bind(h.person_id)
    .bind(h.community.clone())
    .bind(h.minutes)
    .bind(h.note.clone())
    .bind(h.state.clone())
    .bind(h.recorded_at)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Some(r.try_get("id")?))
}

pub async fn hours(conn: &mut AnyConnection, id: i64) -> Result<Option<HoursRow>> {
    let sql = format!("{HOURS} WHERE id = $1");
    sqlx::query(&sql)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(hours_row)
        .transpose()
}

/// A community's records waiting for the worker, oldest first.
pub async fn open_hours(conn: &mut AnyConnection, community: &str) -> Result<Vec<HoursRow>> {
    let sql = format!("{HOURS} WHERE state = 'recorded' AND community = $1 ORDER BY id LIMIT 200");
    sqlx::query(&sql)
        .bind(community.to_string())
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(hours_row)
        .collect()
}

/// A volunteer's records, newest first.
pub async fn hours_of(conn: &mut AnyConnection, person_id: i64) -> Result<Vec<HoursRow>> {
    let sql = format!("{HOURS} WHERE person_id = $1 ORDER BY id DESC LIMIT 200");
    sqlx::query(&sql)
        .bind(person_id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(hours_row)
        .collect()
}

/// Decide a record still waiting; false if it was decided already.
pub async fn decide_hours(
    conn: &mut AnyConnection,
    id: i64,
    state: &str,
    by: &str,
    at: i64,
    reason: Option<&str>,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE care_hours SET state = $1, decided_by = $2, decided_at = $3, reason = $4 \
         WHERE id = $5 AND state = 'recorded'",
    )
    .bind(state.to_string())
    .bind(by.to_string())
    .bind(at)
    .bind(reason.map(str::to_string))
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Minutes into (positive) or out of (negative) a person's time bank.
pub async fn bank(
    conn: &mut AnyConnection,
    person_id: i64,
    minutes: i64,
    kind: &str,
    reference: &str,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO care_time_bank (person_id, minutes, kind, ref, at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(person_id)
    .bind(minutes)
    .bind(kind.to_string())
    .bind(reference.to_string())
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The minutes in a person's time bank.
pub async fn bank_balance(conn: &mut AnyConnection, person_id: i64) -> Result<i64> {
    let r = sqlx::query(
        "SELECT CAST(COALESCE(SUM(minutes), 0) AS BIGINT) AS balance FROM care_time_bank WHERE person_id = $1",
    )
    .bind(person_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(r.try_get("balance")?)
}

/// A household's record of aid.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AidRow {
    pub id: i64,
    pub district: String,
    pub household: String,
    pub community: String,
    pub kind: String,
    pub monthly_fen: i64,
    /// `YYYY-MM-DD`
    pub since: String,
    pub last_review: String,
    pub next_review: String,
    /// How many reviews it has had.
    pub reviews: i64,
    pub active: bool,
    pub created_by: String,
    pub created_at: i64,
}

const AID: &str =
    "SELECT id, district, household, community, kind, monthly_fen, since, last_review, \
     next_review, reviews, active, created_by, created_at FROM care_aid";

fn aid_row(r: &sqlx::any::AnyRow) -> Result<AidRow> {
    Ok(AidRow {
        id: r.try_get("id")?,
        district: r.try_get("district")?,
        household: r.try_get("household")?,
        community: r.try_get("community")?,
        kind: r.try_get("kind")?,
        monthly_fen: r.try_get("monthly_fen")?,
        since: r.try_get("since")?,
        last_review: r.try_get("last_review")?,
        next_review: r.try_get("next_review")?,
        reviews: r.try_get("reviews")?,
        active: r.try_get::<i64, _>("active")? != 0,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
    })
}

pub async fn insert_aid(conn: &mut AnyConnection, a: &AidRow) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO care_aid (district, household, community, kind, monthly_fen, since, last_review, \
         next_review, reviews, active, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(a.district.clone())
    .bind(a.household.clone())
    .bind(a.community.clone())
    .bind(a.kind.clone())
    .bind(a.monthly_fen)
    .bind(a.since.clone())
    .bind(a.last_review.clone())
    .bind(a.next_review.clone())
    .bind(a.reviews)
    .bind(i64::from(a.active))
    .bind(a.created_by.clone())
    .bind(a.created_at)
    .fetch_one(&mut *conn)
    .await?;
    Ok(r.try_get("id")?)
}

/// The amount of record `aid_id` from `from_month` (`YYYY-MM`) on,
/// replacing one set for that month before.
pub async fn set_aid_amount(
    conn: &mut AnyConnection,
    aid_id: i64,
    from_month: &str,
    monthly_fen: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO care_aid_amounts (aid_id, from_month, monthly_fen) VALUES ($1, $2, $3) \
         ON CONFLICT (aid_id, from_month) DO UPDATE SET monthly_fen = excluded.monthly_fen",
    )
    .bind(aid_id)
    .bind(from_month.to_string())
    .bind(monthly_fen)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A record's amounts over time: (from month, amount), the earliest first.
pub async fn aid_amounts(conn: &mut AnyConnection, aid_id: i64) -> Result<Vec<(String, i64)>> {
    sqlx::query(
        "SELECT from_month, monthly_fen FROM care_aid_amounts WHERE aid_id = $1 ORDER BY from_month",
    )
    .bind(aid_id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| Ok((r.try_get("from_month")?, r.try_get("monthly_fen")?)))
    .collect()
}

/// Write a review's result, if the record is still at `reviews` reviews.
pub async fn review_aid(conn: &mut AnyConnection, a: &AidRow, was: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE care_aid SET monthly_fen = $1, last_review = $2, next_review = $3, reviews = $4, \
         active = $5 WHERE id = $6 AND reviews = $7",
    )
    .bind(a.monthly_fen)
    .bind(a.last_review.clone())
    .bind(a.next_review.clone())
    .bind(a.reviews)
    .bind(i64::from(a.active))
    .bind(a.id)
    .bind(was)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn aid(conn: &mut AnyConnection, id: i64) -> Result<Option<AidRow>> {
    let sql = format!("{AID} WHERE id = $1");
    sqlx::query(&sql)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(aid_row)
        .transpose()
}

/// A community's records of aid, the active first.
pub async fn aid_of(conn: &mut AnyConnection, community: &str) -> Result<Vec<AidRow>> {
    let sql = format!("{AID} WHERE community = $1 ORDER BY active DESC, id LIMIT 500");
    sqlx::query(&sql)
        .bind(community.to_string())
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(aid_row)
        .collect()
}

/// Record a month's payment; false when that month was paid already.
pub async fn pay_aid(
    conn: &mut AnyConnection,
    aid_id: i64,
    month: &str,
    amount_fen: i64,
    by: &str,
    at: i64,
) -> Result<bool> {
    let held = sqlx::query("SELECT aid_id FROM care_aid_payments WHERE aid_id = $1 AND month = $2")
        .bind(aid_id)
        .bind(month.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    if held.is_some() {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO care_aid_payments (aid_id, month, amount_fen, paid_by, paid_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(aid_id)
    .bind(month.to_string())
    .bind(amount_fen)
    .bind(by.to_string())
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(true)
}

/// A record's payments: (month, amount), the latest first.
pub async fn aid_payments(conn: &mut AnyConnection, aid_id: i64) -> Result<Vec<(String, i64)>> {
    sqlx::query(
        "SELECT month, amount_fen FROM care_aid_payments WHERE aid_id = $1 ORDER BY month DESC",
    )
    .bind(aid_id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| Ok((r.try_get("month")?, r.try_get("amount_fen")?)))
    .collect()
}
