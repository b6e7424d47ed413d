//! The hotline's SQL: categories and their dispatch catalogue, tickets and
//! their updates, Open311 clients' keys.

pub mod community;
pub mod knowledge;

use std::collections::BTreeMap;

use sqlx::{AnyConnection, Row};
use sunshine_domain::hotline::open311::Attribute;
use sunshine_domain::hotline::{
    cells_around, place_cell, Channel, Limits, RequestKind, ServiceClass, Ticket, TicketState,
    Urgency, ALIKE_BOX_DEG,
};

use crate::supervision::corrupt;
use crate::Result;

fn json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| corrupt("hotline json", e))
}

fn parse<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| corrupt(what, e))
}

fn parse_enum<T: serde::de::DeserializeOwned>(what: &str, s: &str) -> Result<T> {
    parse(what, &format!("\"{s}\""))
}

fn as_str<T: serde::Serialize>(v: &T) -> Result<String> {
    Ok(json(v)?.trim_matches('"').to_string())
}

/// A category of request: an Open311 service, with its limits, its
/// questions and the unit that leads on it by default.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CategoryRow {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub class: ServiceClass,
    pub kind: RequestKind,
    pub urgency: Urgency,
    pub limits: Limits,
    pub description: String,
    /// Words an operator or a citizen might use, for suggesting it.
    pub keywords: Vec<String>,
    pub attributes: Vec<Attribute>,
    pub lead_unit: String,
    pub assisting: Vec<String>,
    pub active: bool,
    /// About a person (care, aid, the elderly): its requests are published
    /// with no address and a coarse location only. A flag of the category's
    /// data rather than a rule by service class, since every class holds
    /// some categories about a person and many that are not.
    #[serde(default)]
    pub personal: bool,
    #[serde(default)]
    pub version: i64,
    #[serde(default)]
    pub updated_at: i64,
}

const CATEGORY_COLUMNS: &str = "code, name, name_en, class, kind, urgency, dispatch_hours, sign_hours, \
    answer_days, description, keywords, attributes, lead_unit, assisting, active, personal, version, updated_at";

fn category_row(r: &sqlx::any::AnyRow) -> Result<CategoryRow> {
    let hours = |c: &str| -> Result<u32> {
        let v: i64 = r.try_get(c)?;
        u32::try_from(v).map_err(|e| corrupt(c, e))
    };
    Ok(CategoryRow {
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        name_en: r.try_get("name_en")?,
        class: parse_enum("class", &r.try_get::<String, _>("class")?)?,
        kind: parse_enum("kind", &r.try_get::<String, _>("kind")?)?,
        urgency: parse_enum("urgency", &r.try_get::<String, _>("urgency")?)?,
        limits: Limits {
            dispatch_hours: hours("dispatch_hours")?,
            sign_hours: hours("sign_hours")?,
            answer_days: hours("answer_days")?,
        },
        description: r.try_get("description")?,
        keywords: parse("keywords", &r.try_get::<String, _>("keywords")?)?,
        attributes: parse("attributes", &r.try_get::<String, _>("attributes")?)?,
        lead_unit: r.try_get("lead_unit")?,
        assisting: parse("assisting", &r.try_get::<String, _>("assisting")?)?,
        active: r.try_get::<i64, _>("active")? != 0,
        personal: r.try_get::<i64, _>("personal")? != 0,
        version: r.try_get("version")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// Store a category: a new one at version 1, an edit as the next version.
/// Returns the version stored.
pub async fn put_category(conn: &mut AnyConnection, c: &CategoryRow) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO hotline_categories (code, name, name_en, class, kind, urgency, dispatch_hours, sign_hours, \
         answer_days, description, keywords, attributes, lead_unit, assisting, active, version, updated_at, personal) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 1, $16, $17) \
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, name_en = excluded.name_en, class = excluded.class, \
         kind = excluded.kind, urgency = excluded.urgency, dispatch_hours = excluded.dispatch_hours, \
         sign_hours = excluded.sign_hours, answer_days = excluded.answer_days, description = excluded.description, \
         keywords = excluded.keywords, attributes = excluded.attributes, lead_unit = excluded.lead_unit, \
         assisting = excluded.assisting, active = excluded.active, personal = excluded.personal, \
         version = hotline_categories.version + 1, updated_at = excluded.updated_at \
         RETURNING version",
    )
    .bind(&c.code)
    .bind(&c.name)
    .bind(&c.name_en)
    .bind(as_str(&c.class)?)
    .bind(as_str(&c.kind)?)
    .bind(as_str(&c.urgency)?)
    .bind(i64::from(c.limits.dispatch_hours))
    .bind(i64::from(c.limits.sign_hours))
    .bind(i64::from(c.limits.answer_days))
    .bind(&c.description)
    .bind(json(&c.keywords)?)
    .bind(json(&c.attributes)?)
    .bind(&c.lead_unit)
    .bind(json(&c.assisting)?)
    .bind(i64::from(c.active))
    .bind(c.updated_at)
    .bind(i64::from(c.personal))
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get("version")?)
}

pub async fn categories(conn: &mut AnyConnection, active_only: bool) -> Result<Vec<CategoryRow>> {
    let filter = if active_only { "WHERE active = 1" } else { "" };
    let rows = sqlx::query(&format!(
        "SELECT {CATEGORY_COLUMNS} FROM hotline_categories {filter} ORDER BY code"
    ))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(category_row).collect()
}

pub async fn category(conn: &mut AnyConnection, code: &str) -> Result<Option<CategoryRow>> {
    let row = sqlx::query(&format!(
        "SELECT {CATEGORY_COLUMNS} FROM hotline_categories WHERE code = $1"
    ))
    .bind(code)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(category_row).transpose()
}

/// A district's own lead and assisting units for a category, if it has them.
pub async fn dispatch_override(
    conn: &mut AnyConnection,
    category: &str,
    region: &str,
) -> Result<Option<(String, Vec<String>)>> {
    let row = sqlx::query(
        "SELECT lead_unit, assisting FROM hotline_dispatch WHERE category = $1 AND region = $2",
    )
    .bind(category)
    .bind(region)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| {
        Ok((
            r.try_get("lead_unit")?,
            parse("assisting", &r.try_get::<String, _>("assisting")?)?,
        ))
    })
    .transpose()
}

/// A district's own dispatch entry for a category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DispatchOverride {
    pub category: String,
    pub region: String,
    pub lead_unit: String,
    pub assisting: Vec<String>,
}

/// Every district's own dispatch entries, by category and district.
pub async fn dispatch_overrides(conn: &mut AnyConnection) -> Result<Vec<DispatchOverride>> {
    let rows = sqlx::query(
        "SELECT category, region, lead_unit, assisting FROM hotline_dispatch ORDER BY category, region",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(DispatchOverride {
                category: r.try_get("category")?,
                region: r.try_get("region")?,
                lead_unit: r.try_get("lead_unit")?,
                assisting: parse("assisting", &r.try_get::<String, _>("assisting")?)?,
            })
        })
        .collect()
}

pub async fn put_dispatch_override(
    conn: &mut AnyConnection,
    category: &str,
    region: &str,
    lead: &str,
    assisting: &[String],
) -> Result<()> {
    sqlx::query(
        "INSERT INTO hotline_dispatch (category, region, lead_unit, assisting) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (category, region) DO UPDATE SET lead_unit = excluded.lead_unit, assisting = excluded.assisting",
    )
    .bind(category)
    .bind(region)
    .bind(lead)
    .bind(json(&assisting)?)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A service request (工单) as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketRow {
    pub id: i64,
    /// What an Open311 client may look the request up by before it has an id.
    pub token: String,
    /// Told to the caller with the number: to track the request and add it
    /// to their account (empty on requests taken before there were codes).
    pub query_code: String,
    pub category: String,
    pub channel: Channel,
    pub description: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub address: Option<String>,
    /// The district it belongs to (for dispatch and the indicators).
    pub region: String,
    pub caller_name: Option<String>,
    pub caller_phone: Option<String>,
    pub email: Option<String>,
    pub requester_user: Option<i64>,
    /// The Open311 client that posted it.
    pub client: Option<String>,
    pub device_id: Option<String>,
    pub account_id: Option<String>,
    pub media_url: Option<String>,
    pub answers: BTreeMap<String, Vec<String>>,
    /// The answer given (directly or by the unit).
    pub answer: Option<String>,
    pub merged_into: Option<i64>,
    pub lifecycle: Ticket,
    pub requested_at: i64,
    pub updated_at: i64,
    /// At a district's platform, a copy of the city's request: its id there.
    pub city_ticket: Option<i64>,
}

impl TicketRow {
    pub fn state(&self) -> TicketState {
        self.lifecycle.state
    }

    /// Its number, the one the requester was told: a copy of the city's
    /// request keeps the city's.
    pub fn number(&self) -> String {
        sunshine_domain::hotline::ticket_number(
            sunshine_domain::clock::from_micros(self.requested_at),
            self.city_ticket.unwrap_or(self.id),
        )
    }
}

const TICKET_COLUMNS: &str = "id, token, category, channel, state, description, lat, lon, address, region, \
    caller_name, caller_phone, email, requester_user, client, device_id, account_id, media_url, answers, \
    lead_unit, answer, merged_into, lifecycle, next_deadline, requested_at, updated_at, query_code, city_ticket";

fn ticket_row(r: &sqlx::any::AnyRow) -> Result<TicketRow> {
    let channel: String = r.try_get("channel")?;
    Ok(TicketRow {
        id: r.try_get("id")?,
        token: r.try_get("token")?,
        query_code: r.try_get("query_code")?,
        category: r.try_get("category")?,
        channel: Channel::parse(&channel).ok_or_else(|| corrupt("channel", &channel))?,
        description: r.try_get("description")?,
        lat: r.try_get("lat")?,
        lon: r.try_get("lon")?,
        address: r.try_get("address")?,
        region: r.try_get("region")?,
        caller_name: r.try_get("caller_name")?,
        caller_phone: r.try_get("caller_phone")?,
        email: r.try_get("email")?,
        requester_user: r.try_get("requester_user")?,
        client: r.try_get("client")?,
        device_id: r.try_get("device_id")?,
        account_id: r.try_get("account_id")?,
        media_url: r.try_get("media_url")?,
        answers: parse("answers", &r.try_get::<String, _>("answers")?)?,
        answer: r.try_get("answer")?,
        merged_into: r.try_get("merged_into")?,
        lifecycle: parse("lifecycle", &r.try_get::<String, _>("lifecycle")?)?,
        requested_at: r.try_get("requested_at")?,
        updated_at: r.try_get("updated_at")?,
        city_ticket: r.try_get("city_ticket")?,
    })
}

pub async fn insert_ticket(conn: &mut AnyConnection, t: &TicketRow) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO hotline_tickets (token, category, channel, state, description, lat, lon, address, region, \
         caller_name, caller_phone, email, requester_user, client, device_id, account_id, media_url, answers, \
         lead_unit, answer, merged_into, lifecycle, next_deadline, requested_at, updated_at, query_code, place_cell, city_ticket) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28) \
         RETURNING id",
    )
    // Not kept prepared: sqlx 0.8.6's `Any` driver binds a missing double
    // (a request by address, without a point) as a NULL `float4`. A
    // statement prepared that way on PostgreSQL then reads the next point's
    // eight bytes as a `float4` and fails ("incorrect binary data format").
    .persistent(false)
    .bind(&t.token)
    .bind(&t.category)
    .bind(t.channel.as_str())
    .bind(t.state().as_str())
    .bind(&t.description)
    .bind(t.lat)
    .bind(t.lon)
    .bind(&t.address)
    .bind(&t.region)
    .bind(&t.caller_name)
    .bind(&t.caller_phone)
    .bind(&t.email)
    .bind(t.requester_user)
    .bind(&t.client)
    .bind(&t.device_id)
    .bind(&t.account_id)
    .bind(&t.media_url)
    .bind(json(&t.answers)?)
    .bind(t.lifecycle.lead.as_ref().map(|o| o.to_string()))
    .bind(&t.answer)
    .bind(t.merged_into)
    .bind(json(&t.lifecycle)?)
    .bind(t.lifecycle.next_deadline())
    .bind(t.requested_at)
    .bind(t.updated_at)
    .bind(&t.query_code)
    .bind(t.lat.zip(t.lon).map(|(lat, lon)| place_cell(lat, lon)))
    .bind(t.city_ticket)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get("id")?)
}

/// Store a ticket's new lifecycle and what came with it.
/// Attach a request to the account of the citizen it was taken for.
pub async fn set_requester(conn: &mut AnyConnection, id: i64, user: i64, now: i64) -> Result<()> {
    sqlx::query("UPDATE hotline_tickets SET requester_user = $1, updated_at = $2 WHERE id = $3")
        .bind(user)
        .bind(now)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn update_ticket(conn: &mut AnyConnection, t: &TicketRow) -> Result<()> {
    sqlx::query(
        "UPDATE hotline_tickets SET state = $1, lead_unit = $2, answer = $3, merged_into = $4, lifecycle = $5, \
         next_deadline = $6, updated_at = $7 WHERE id = $8",
    )
    .bind(t.state().as_str())
    .bind(t.lifecycle.lead.as_ref().map(|o| o.to_string()))
    .bind(&t.answer)
    .bind(t.merged_into)
    .bind(json(&t.lifecycle)?)
    .bind(t.lifecycle.next_deadline())
    .bind(t.updated_at)
    .bind(t.id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn ticket(conn: &mut AnyConnection, id: i64) -> Result<Option<TicketRow>> {
    let row = sqlx::query(&format!(
        "SELECT {TICKET_COLUMNS} FROM hotline_tickets WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(ticket_row).transpose()
}

/// At a district's platform, its copy of the city's request `city_ticket`.
pub async fn ticket_of_city(
    conn: &mut AnyConnection,
    city_ticket: i64,
) -> Result<Option<TicketRow>> {
    let row = sqlx::query(&format!(
        "SELECT {TICKET_COLUMNS} FROM hotline_tickets WHERE city_ticket = $1"
    ))
    .bind(city_ticket)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(ticket_row).transpose()
}

/// What a district keeps beside its copy of the city's request: the
/// unit's replies the city has not yet taken (replayed on each word from
/// the city), and how many replies were sent.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CopyState {
    pub pending: Vec<sunshine_domain::exchange::Reply>,
    pub sent: i64,
}

pub async fn copy_state(conn: &mut AnyConnection, ticket_id: i64) -> Result<Option<CopyState>> {
    let row = sqlx::query("SELECT pending, sent FROM hotline_copies WHERE ticket_id = $1")
        .bind(ticket_id)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| {
        Ok(CopyState {
            pending: parse("pending", &r.try_get::<String, _>("pending")?)?,
            sent: r.try_get("sent")?,
        })
    })
    .transpose()
}

pub async fn put_copy_state(conn: &mut AnyConnection, ticket_id: i64, c: &CopyState) -> Result<()> {
    sqlx::query(
        "INSERT INTO hotline_copies (ticket_id, pending, sent) VALUES ($1, $2, $3) \
         ON CONFLICT (ticket_id) DO UPDATE SET pending = excluded.pending, sent = excluded.sent",
    )
    .bind(ticket_id)
    .bind(json(&c.pending)?)
    .bind(c.sent)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// At the city, the last of `district`'s replies on the request it has
/// taken (0 if none).
pub async fn replies_taken(
    conn: &mut AnyConnection,
    ticket_id: i64,
    district: &str,
) -> Result<i64> {
    let row =
        sqlx::query("SELECT seq FROM hotline_replies_taken WHERE ticket_id = $1 AND district = $2")
            .bind(ticket_id)
            .bind(district)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(row.map(|r| r.try_get("seq")).transpose()?.unwrap_or(0))
}

pub async fn set_replies_taken(
    conn: &mut AnyConnection,
    ticket_id: i64,
    district: &str,
    seq: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO hotline_replies_taken (ticket_id, district, seq) VALUES ($1, $2, $3) \
         ON CONFLICT (ticket_id, district) DO UPDATE SET seq = excluded.seq",
    )
    .bind(ticket_id)
    .bind(district)
    .bind(seq)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn ticket_by_token(conn: &mut AnyConnection, token: &str) -> Result<Option<TicketRow>> {
    let row = sqlx::query(&format!(
        "SELECT {TICKET_COLUMNS} FROM hotline_tickets WHERE token = $1"
    ))
    .bind(token)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(ticket_row).transpose()
}

/// Which tickets a list asks for. Empty lists mean "any".
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub ids: Vec<i64>,
    pub categories: Vec<String>,
    pub states: Vec<TicketState>,
    /// Requested at or after (µs).
    pub from: Option<i64>,
    /// Requested at or before (µs).
    pub until: Option<i64>,
    pub lead_units: Vec<String>,
    pub requester_user: Option<i64>,
    pub caller_phone: Option<String>,
    /// Those merged into this one.
    pub merged_into: Option<i64>,
    /// Leave out the copies of the city's requests (at a district).
    pub own_only: bool,
    pub limit: i64,
    pub offset: i64,
}

/// Tickets matching the filter, newest first.
pub async fn tickets(conn: &mut AnyConnection, f: &TicketFilter) -> Result<Vec<TicketRow>> {
    let mut sql = format!("SELECT {TICKET_COLUMNS} FROM hotline_tickets WHERE 1 = 1");
    let mut n = 0;
    let mut next = || {
        n += 1;
        format!("${n}")
    };
    let list = |sql: &mut String, column: &str, len: usize, next: &mut dyn FnMut() -> String| {
        let marks: Vec<String> = (0..len).map(|_| next()).collect();
        sql.push_str(&format!(" AND {column} IN ({})", marks.join(", ")));
    };
    if !f.ids.is_empty() {
        list(&mut sql, "id", f.ids.len(), &mut next);
    }
    if !f.categories.is_empty() {
        list(&mut sql, "category", f.categories.len(), &mut next);
    }
    if !f.states.is_empty() {
        list(&mut sql, "state", f.states.len(), &mut next);
    }
    if !f.lead_units.is_empty() {
        list(&mut sql, "lead_unit", f.lead_units.len(), &mut next);
    }
    if f.from.is_some() {
        sql.push_str(&format!(" AND requested_at >= {}", next()));
    }
    if f.until.is_some() {
        sql.push_str(&format!(" AND requested_at <= {}", next()));
    }
    if f.requester_user.is_some() {
        sql.push_str(&format!(" AND requester_user = {}", next()));
    }
    if f.caller_phone.is_some() {
        sql.push_str(&format!(" AND caller_phone = {}", next()));
    }
    if f.merged_into.is_some() {
        sql.push_str(&format!(" AND merged_into = {}", next()));
    }
    if f.own_only {
        sql.push_str(" AND city_ticket IS NULL");
    }
    sql.push_str(&format!(
        " ORDER BY requested_at DESC, id DESC LIMIT {} OFFSET {}",
        next(),
        next()
    ));
    let mut q = sqlx::query(&sql);
    for id in &f.ids {
        q = q.bind(*id);
    }
    for c in &f.categories {
        q = q.bind(c.clone());
    }
    for s in &f.states {
        q = q.bind(s.as_str());
    }
    for u in &f.lead_units {
        q = q.bind(u.clone());
    }
    if let Some(v) = f.from {
        q = q.bind(v);
    }
    if let Some(v) = f.until {
        q = q.bind(v);
    }
    if let Some(v) = f.requester_user {
        q = q.bind(v);
    }
    if let Some(v) = &f.caller_phone {
        q = q.bind(v.clone());
    }
    if let Some(v) = f.merged_into {
        q = q.bind(v);
    }
    let rows = q.bind(f.limit).bind(f.offset).fetch_all(&mut *conn).await?;
    rows.iter().map(ticket_row).collect()
}

/// What the duplicate check compares of an open ticket. One found only by
/// its point has no address or caller: its point decides it.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub id: i64,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub address: Option<String>,
    pub caller_phone: Option<String>,
    pub requested_at: i64,
}

/// Open tickets of a category requested since `since` that may duplicate a
/// new one: near its point (within `ALIKE_BOX_DEG` either way, found in the
/// four squares of the grid around it), at its address, or from its caller.
/// Only these are read, never the whole category or its history.
pub async fn alike_candidates(
    conn: &mut AnyConnection,
    category: &str,
    since: i64,
    point: Option<(f64, f64)>,
    address: Option<&str>,
    caller: Option<&str>,
) -> Result<Vec<Candidate>> {
    // One arm per way of being alike that the new request has, each on its own
    // index; PostgreSQL takes only the parameters a statement uses.
    const OPEN: &str =
        "category = $1 AND requested_at >= $2 AND state NOT IN ('archived', 'merged')";
    const COLUMNS: &str = "id, lat, lon, address, caller_phone, requested_at";
    // A point decides the requests found by theirs (`domain::hotline::alike`),
    // so that arm leaves out what only the table holds and is answered from
    // the index of (category, square, time, point, state).
    const BY_POINT: &str =
        "id, lat, lon, CAST(NULL AS TEXT) AS address, CAST(NULL AS TEXT) AS caller_phone, requested_at";
    let mut arms = vec![];
    let mut n = 2;
    let mut next = || {
        n += 1;
        format!("${n}")
    };
    if point.is_some() {
        // One arm per row of squares, each a range of two squares, so that
        // both backends bound the index's second column by it; PostgreSQL
        // 15 kept `place_cell IN (…)` out of the index bounds in its generic
        // plan and read the whole category.
        let (a, b, c, d) = (next(), next(), next(), next());
        for _ in 0..2 {
            let (west, east) = (next(), next());
            arms.push(format!(
                "SELECT {BY_POINT} FROM hotline_tickets WHERE place_cell BETWEEN {west} AND {east} \
                 AND lat BETWEEN {a} AND {b} AND lon BETWEEN {c} AND {d} AND {OPEN}"
            ));
        }
    }
    if caller.is_some() {
        arms.push(format!(
            "SELECT {COLUMNS} FROM hotline_tickets WHERE caller_phone = {} AND {OPEN}",
            next()
        ));
    }
    if address.is_some() {
        arms.push(format!(
            "SELECT {COLUMNS} FROM hotline_tickets WHERE address = {} AND {OPEN}",
            next()
        ));
    }
    if arms.is_empty() {
        return Ok(vec![]);
    }
    // A request comes once from each arm that finds it (a point arm, the
    // caller's, the address's): the newest `ALIKE_AT_MOST` distinct
    // requests are among that many rows for each arm.
    let sql = format!(
        "{} ORDER BY requested_at DESC, id DESC LIMIT {}",
        arms.join(" UNION ALL "),
        ALIKE_AT_MOST * arms.len().min(3)
    );
    let mut q = sqlx::query(&sql).bind(category).bind(since);
    if let Some((lat, lon)) = point {
        q = q
            .bind(lat - ALIKE_BOX_DEG)
            .bind(lat + ALIKE_BOX_DEG)
            .bind(lon - ALIKE_BOX_DEG)
            .bind(lon + ALIKE_BOX_DEG);
        // South-west to south-east, then north-west to north-east.
        for cell in cells_around(lat, lon) {
            q = q.bind(cell);
        }
    }
    if let Some(c) = caller {
        q = q.bind(c);
    }
    if let Some(a) = address {
        q = q.bind(a);
    }
    let rows = q.fetch_all(&mut *conn).await?;
    // A request found by its point and by its caller or address comes once,
    // with what the other arm read of it.
    let mut found: Vec<Candidate> = Vec::with_capacity(rows.len());
    for r in &rows {
        let c = Candidate {
            id: r.try_get("id")?,
            lat: r.try_get("lat")?,
            lon: r.try_get("lon")?,
            address: r.try_get("address")?,
            caller_phone: r.try_get("caller_phone")?,
            requested_at: r.try_get("requested_at")?,
        };
        match found.iter_mut().find(|f| f.id == c.id) {
            Some(f) => {
                f.address = f.address.take().or(c.address);
                f.caller_phone = f.caller_phone.take().or(c.caller_phone);
            }
            None => found.push(c),
        }
    }
    found.truncate(ALIKE_AT_MOST);
    Ok(found)
}

/// The most requests offered as alike for one new request: the newest.
const ALIKE_AT_MOST: usize = 50;

/// One step of a ticket.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct UpdateRow {
    pub id: i64,
    pub ticket_id: i64,
    pub at: i64,
    pub actor: String,
    pub event: String,
    pub state: TicketState,
    pub text: String,
    /// Whether the public (Open311, the requester) may read it.
    pub public: bool,
    pub journal_seq: i64,
}

const UPDATE_COLUMNS: &str = "id, ticket_id, at, actor, event, state, text, public, journal_seq";

fn update_row(r: &sqlx::any::AnyRow) -> Result<UpdateRow> {
    let state: String = r.try_get("state")?;
    Ok(UpdateRow {
        id: r.try_get("id")?,
        ticket_id: r.try_get("ticket_id")?,
        at: r.try_get("at")?,
        actor: r.try_get("actor")?,
        event: r.try_get("event")?,
        state: TicketState::parse(&state).ok_or_else(|| corrupt("ticket state", &state))?,
        text: r.try_get("text")?,
        public: r.try_get::<i64, _>("public")? != 0,
        journal_seq: r.try_get("journal_seq")?,
    })
}

pub async fn insert_update(conn: &mut AnyConnection, u: &UpdateRow) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO hotline_updates (ticket_id, at, actor, event, state, text, public, journal_seq) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(u.ticket_id)
    .bind(u.at)
    .bind(&u.actor)
    .bind(&u.event)
    .bind(u.state.as_str())
    .bind(&u.text)
    .bind(i64::from(u.public))
    .bind(u.journal_seq)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get("id")?)
}

/// A ticket's steps, oldest first.
pub async fn updates(conn: &mut AnyConnection, ticket_id: i64) -> Result<Vec<UpdateRow>> {
    let rows = sqlx::query(&format!(
        "SELECT {UPDATE_COLUMNS} FROM hotline_updates WHERE ticket_id = $1 ORDER BY id"
    ))
    .bind(ticket_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(update_row).collect()
}

/// Public updates between two moments (µs, inclusive), oldest first:
/// mySociety's `servicerequestupdates`.
pub async fn public_updates(
    conn: &mut AnyConnection,
    from: i64,
    until: i64,
    limit: i64,
) -> Result<Vec<UpdateRow>> {
    let rows = sqlx::query(&format!(
        "SELECT {UPDATE_COLUMNS} FROM hotline_updates WHERE public = 1 AND at >= $1 AND at <= $2 \
         ORDER BY at, id LIMIT $3"
    ))
    .bind(from)
    .bind(until)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(update_row).collect()
}

/// An Open311 client's key.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct KeyRow {
    pub id: i64,
    pub client: String,
    /// POSTs a minute this client may make.
    pub per_minute: i64,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    /// Whether it may comment on requests other clients filed.
    pub may_comment_on_all: bool,
}

pub async fn insert_key(
    conn: &mut AnyConnection,
    client: &str,
    hash: &str,
    per_minute: i64,
    may_comment_on_all: bool,
    now: i64,
) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO open311_keys (client, key_hash, per_minute, created_at, may_comment_on_all) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(client)
    .bind(hash)
    .bind(per_minute)
    .bind(now)
    .bind(i64::from(may_comment_on_all))
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get("id")?)
}

/// The live key with this hash.
pub async fn key_by_hash(conn: &mut AnyConnection, hash: &str) -> Result<Option<KeyRow>> {
    let row = sqlx::query(
        "SELECT id, client, per_minute, created_at, revoked_at, may_comment_on_all FROM open311_keys WHERE key_hash = $1 AND revoked_at IS NULL",
    )
    .bind(hash)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| key_row(&r)).transpose()
}

fn key_row(r: &sqlx::any::AnyRow) -> Result<KeyRow> {
    Ok(KeyRow {
        id: r.try_get("id")?,
        client: r.try_get("client")?,
        per_minute: r.try_get("per_minute")?,
        created_at: r.try_get("created_at")?,
        revoked_at: r.try_get("revoked_at")?,
        may_comment_on_all: r.try_get::<i64, _>("may_comment_on_all")? != 0,
    })
}

pub async fn keys(conn: &mut AnyConnection) -> Result<Vec<KeyRow>> {
    let rows = sqlx::query(
        "SELECT id, client, per_minute, created_at, revoked_at, may_comment_on_all FROM open311_keys ORDER BY id",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(key_row).collect()
}

/// Revoke a live key; false when there was none.
pub async fn revoke_key(conn: &mut AnyConnection, id: i64, now: i64) -> Result<bool> {
    let done =
        sqlx::query("UPDATE open311_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(&mut *conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// The latest public note of each of these tickets (Open311's status notes).
pub async fn latest_public_notes(
    conn: &mut AnyConnection,
    ids: &[i64],
) -> Result<BTreeMap<i64, String>> {
    let mut notes = BTreeMap::new();
    for chunk in ids.chunks(500) {
        let marks: Vec<String> = (1..=chunk.len()).map(|n| format!("${n}")).collect();
        let sql = format!(
            "SELECT ticket_id, text FROM hotline_updates WHERE public = 1 AND ticket_id IN ({}) ORDER BY id",
            marks.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&mut *conn).await? {
            notes.insert(
                r.try_get::<i64, _>("ticket_id")?,
                r.try_get::<String, _>("text")?,
            );
        }
    }
    Ok(notes)
}
