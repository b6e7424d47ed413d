//! The exchange's SQL: the outbox the writer fills with each batch, the
//! inbox and cursors a receiver keeps, the trusted peers, the message log,
//! and the city's view of the districts' cases.

use std::collections::HashMap;

use sqlx::{AnyConnection, Row};
use sunshine_domain::exchange::{body_hash, outbound, Flow, Message, Platform, RemoteCaseState};
use sunshine_domain::journal::Entry;

use crate::writer::Sending;
use crate::Result;

/// Write to the outbox, in the batch's transaction, the messages of the
/// batch's entries that leave `platform` and those its commands sent, in
/// the journal's order. Each names the previous message on its subject (the
/// flow between this platform and one other), so the other applies them in
/// order.
pub(crate) async fn stage(
    conn: &mut AnyConnection,
    platform: &Platform,
    entries: &[Entry],
    sends: &[Sending],
) -> Result<()> {
    let mut out: Vec<(&Entry, Flow, Platform, serde_json::Value)> = entries
        .iter()
        .filter_map(|e| outbound(platform, e).map(|(f, facts)| (e, f, Platform::City, facts)))
        .chain(
            sends
                .iter()
                .map(|s| (&s.entry, s.flow, s.to.clone(), s.facts.clone())),
        )
        .collect();
    if out.is_empty() {
        return Ok(());
    }
    out.sort_by_key(|(e, ..)| e.seq);
    let mut prev: HashMap<String, (i64, String)> = HashMap::new();
    for (e, flow, to, facts) in out {
        let subject = flow.between(platform, &to);
        let last = match prev.remove(&subject) {
            Some(p) => p,
            None => last_staged(conn, flow, &subject).await?,
        };
        let message = Message::of(platform, &to, flow, e, last.clone(), facts);
        let body = message.body();
        sqlx::query(
            "INSERT INTO exchange_outbox (flow, seq, prev, msg_id, subject, body, created_at, peer)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(flow.as_str())
        .bind(e.seq)
        .bind(last.0)
        .bind(&message.id)
        .bind(&subject)
        .bind(&body)
        .bind(e.at)
        .bind(to.to_string())
        .execute(&mut *conn)
        .await?;
        prev.insert(subject, (e.seq, body_hash(&body)));
    }
    Ok(())
}

/// The last message staged on `subject` in `flow`: its sequence and its
/// body's hash ((0, "") before the first).
async fn last_staged(conn: &mut AnyConnection, flow: Flow, subject: &str) -> Result<(i64, String)> {
    let row = sqlx::query(
        "SELECT seq, body FROM exchange_outbox WHERE flow = $1 AND subject = $2
         ORDER BY seq DESC LIMIT 1",
    )
    .bind(flow.as_str())
    .bind(subject)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(match row {
        Some(r) => (
            r.try_get("seq")?,
            body_hash(&r.try_get::<String, _>("body")?),
        ),
        None => (0, String::new()),
    })
}

/// A message in the outbox.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The platform it goes to.
    pub peer: String,
    pub flow: String,
    pub seq: i64,
    pub msg_id: String,
    pub subject: String,
    pub body: String,
}

/// Messages not yet published, oldest first, at most `limit`.
pub async fn unpublished(conn: &mut AnyConnection, limit: i64) -> Result<Vec<Outgoing>> {
    let rows = sqlx::query(
        "SELECT peer, flow, seq, msg_id, subject, body FROM exchange_outbox
         WHERE published_at IS NULL ORDER BY seq LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Outgoing {
                peer: r.try_get("peer")?,
                flow: r.try_get("flow")?,
                seq: r.try_get("seq")?,
                msg_id: r.try_get("msg_id")?,
                subject: r.try_get("subject")?,
                body: r.try_get("body")?,
            })
        })
        .collect()
}

/// How many messages wait to be published.
pub async fn backlog(conn: &mut AnyConnection) -> Result<i64> {
    let row = sqlx::query(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM exchange_outbox WHERE published_at IS NULL",
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get("n")?)
}

/// Mark messages published (the engine has stored them) and log each sent to its peer.
pub async fn mark_published(conn: &mut AnyConnection, sent: &[Outgoing], at: i64) -> Result<()> {
    for m in sent {
        let done = sqlx::query(
            "UPDATE exchange_outbox SET published_at = $1
             WHERE flow = $2 AND seq = $3 AND published_at IS NULL",
        )
        .bind(at)
        .bind(&m.flow)
        .bind(m.seq)
        .execute(&mut *conn)
        .await?;
        if done.rows_affected() > 0 {
            log(
                conn,
                &LogLine::new(at, "sent", &m.flow, &m.msg_id, &m.peer, "sent", None),
            )
            .await?;
        }
    }
    Ok(())
}

/// A message's body as it was sent, by id.
pub async fn sent_body(conn: &mut AnyConnection, msg_id: &str) -> Result<Option<String>> {
    let row = sqlx::query("SELECT body FROM exchange_outbox WHERE msg_id = $1")
        .bind(msg_id)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| Ok(r.try_get("body")?)).transpose()
}

/// A trusted platform and its published key.
#[derive(Debug, Clone)]
pub struct Peer {
    pub platform: String,
    pub public_key: String,
    pub trusted_at: i64,
    pub trusted_by: i64,
}

/// The platform this store belongs to, if it has ever joined one.
pub async fn store_platform(conn: &mut AnyConnection) -> Result<Option<String>> {
    let row = sqlx::query("SELECT platform FROM platform_identity WHERE id = 1")
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|r| r.try_get("platform")).transpose()?)
}

/// Record the platform this store joins, the first time it joins one.
pub async fn record_store_platform(
    conn: &mut AnyConnection,
    platform: &Platform,
    at: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO platform_identity (id, platform, joined_at) VALUES (1, $1, $2) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(platform.to_string())
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn peers(conn: &mut AnyConnection) -> Result<Vec<Peer>> {
    let rows = sqlx::query(
        "SELECT platform, public_key, trusted_at, trusted_by FROM exchange_peers ORDER BY platform",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Peer {
                platform: r.try_get("platform")?,
                public_key: r.try_get("public_key")?,
                trusted_at: r.try_get("trusted_at")?,
                trusted_by: r.try_get("trusted_by")?,
            })
        })
        .collect()
}

/// Trust `platform`'s key, or replace the key it was trusted with.
pub async fn trust(conn: &mut AnyConnection, peer: &Peer) -> Result<()> {
    sqlx::query(
        "INSERT INTO exchange_peers (platform, public_key, trusted_at, trusted_by)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (platform) DO UPDATE SET public_key = excluded.public_key,
             trusted_at = excluded.trusted_at, trusted_by = excluded.trusted_by",
    )
    .bind(&peer.platform)
    .bind(&peer.public_key)
    .bind(peer.trusted_at)
    .bind(peer.trusted_by)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The last message applied from `sender` in `flow`: its sequence (0 if
/// none) and its body's hash (none if none, or applied before hashes
/// were kept).
pub async fn cursor(
    conn: &mut AnyConnection,
    sender: &str,
    flow: &str,
) -> Result<(i64, Option<String>)> {
    let row = sqlx::query(
        "SELECT last_seq, last_sha256 FROM exchange_cursors WHERE sender = $1 AND flow = $2",
    )
    .bind(sender)
    .bind(flow)
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some(r) => Ok((r.try_get("last_seq")?, r.try_get("last_sha256")?)),
        None => Ok((0, None)),
    }
}

/// Record `message` applied: its id and its body's hash in the inbox and
/// its sender's cursor moved on.
pub async fn record_applied(
    conn: &mut AnyConnection,
    message: &Message,
    body_sha256: &str,
    at: i64,
) -> Result<()> {
    let sender = message.from.to_string();
    sqlx::query(
        "INSERT INTO exchange_inbox (flow, msg_id, sender, seq, sent_at, applied_at, body_sha256)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(message.flow.as_str())
    .bind(&message.id)
    .bind(&sender)
    .bind(message.seq)
    .bind(message.at)
    .bind(at)
    .bind(body_sha256)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO exchange_cursors (sender, flow, last_seq, last_at, applied_at, last_sha256)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (sender, flow) DO UPDATE SET last_seq = excluded.last_seq,
             last_at = excluded.last_at, applied_at = excluded.applied_at,
             last_sha256 = excluded.last_sha256",
    )
    .bind(&sender)
    .bind(message.flow.as_str())
    .bind(message.seq)
    .bind(message.at)
    .bind(at)
    .bind(body_sha256)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Whether the message `msg_id` of `flow` has been applied here: `None`
/// if not, else the hash of the body applied (`Some(None)` for a message
/// applied before hashes were kept).
pub async fn applied(
    conn: &mut AnyConnection,
    flow: &str,
    msg_id: &str,
) -> Result<Option<Option<String>>> {
    let row = sqlx::query("SELECT body_sha256 FROM exchange_inbox WHERE flow = $1 AND msg_id = $2")
        .bind(flow)
        .bind(msg_id)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| Ok(r.try_get("body_sha256")?)).transpose()
}

/// Where each sender stands: its flow, last message applied, and when.
#[derive(Debug, Clone)]
pub struct SenderCursor {
    pub sender: String,
    pub flow: String,
    pub last_seq: i64,
    pub last_at: i64,
    pub applied_at: i64,
}

pub async fn cursors(conn: &mut AnyConnection) -> Result<Vec<SenderCursor>> {
    let rows = sqlx::query(
        "SELECT sender, flow, last_seq, last_at, applied_at FROM exchange_cursors ORDER BY sender, flow",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(SenderCursor {
                sender: r.try_get("sender")?,
                flow: r.try_get("flow")?,
                last_seq: r.try_get("last_seq")?,
                last_at: r.try_get("last_at")?,
                applied_at: r.try_get("applied_at")?,
            })
        })
        .collect()
}

/// One line of the message log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub id: i64,
    pub at: i64,
    /// `sent` or `received`.
    pub direction: String,
    pub flow: String,
    pub msg_id: String,
    /// The other platform.
    pub peer: String,
    /// `sent`, `applied`, `duplicate`, `held` or `refused`.
    pub status: String,
    pub reason: Option<String>,
}

impl LogLine {
    pub fn new(
        at: i64,
        direction: &str,
        flow: &str,
        msg_id: &str,
        peer: &str,
        status: &str,
        reason: Option<String>,
    ) -> LogLine {
        LogLine {
            id: 0,
            at,
            direction: direction.into(),
            flow: flow.into(),
            msg_id: msg_id.into(),
            peer: peer.into(),
            status: status.into(),
            reason,
        }
    }
}

pub async fn log(conn: &mut AnyConnection, line: &LogLine) -> Result<()> {
    sqlx::query(
        "INSERT INTO exchange_log (at, direction, flow, msg_id, peer, status, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(line.at)
    .bind(&line.direction)
    .bind(&line.flow)
    .bind(&line.msg_id)
    .bind(&line.peer)
    .bind(&line.status)
    .bind(&line.reason)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The last line logged for a message, if any.
pub async fn last_line(conn: &mut AnyConnection, msg_id: &str) -> Result<Option<LogLine>> {
    let rows = search(
        conn,
        &LogQuery {
            msg_id: Some(msg_id.to_string()),
            limit: 1,
            ..LogQuery::default()
        },
    )
    .await?;
    Ok(rows.into_iter().next())
}

/// What to look for in the log; every part optional. Newest first.
#[derive(Debug, Clone, Default)]
pub struct LogQuery {
    pub direction: Option<String>,
    pub status: Option<String>,
    pub peer: Option<String>,
    /// An exact message id.
    pub msg_id: Option<String>,
    /// Lines older than this id (the next page).
    pub before: Option<i64>,
    pub limit: i64,
}

pub async fn search(conn: &mut AnyConnection, q: &LogQuery) -> Result<Vec<LogLine>> {
    let rows = sqlx::query(
        "SELECT id, at, direction, flow, msg_id, peer, status, reason FROM exchange_log
         WHERE ($1 IS NULL OR direction = $1) AND ($2 IS NULL OR status = $2)
           AND ($3 IS NULL OR peer = $3) AND ($4 IS NULL OR msg_id = $4)
           AND ($5 IS NULL OR id < $5)
         ORDER BY id DESC LIMIT $6",
    )
    .bind(&q.direction)
    .bind(&q.status)
    .bind(&q.peer)
    .bind(&q.msg_id)
    .bind(q.before)
    .bind(q.limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(LogLine {
                id: r.try_get("id")?,
                at: r.try_get("at")?,
                direction: r.try_get("direction")?,
                flow: r.try_get("flow")?,
                msg_id: r.try_get("msg_id")?,
                peer: r.try_get("peer")?,
                status: r.try_get("status")?,
                reason: r.try_get("reason")?,
            })
        })
        .collect()
}

/// Apply a district's case message to the city's view of its cases. A
/// message older than the one the view holds changes nothing.
pub async fn apply_case(conn: &mut AnyConnection, m: &Message) -> Result<()> {
    let Some(state) = RemoteCaseState::after(&m.event_type) else {
        return Ok(());
    };
    let district = m.from.district().unwrap_or_default();
    let department = m
        .facts
        .get("department")
        .and_then(|d| d.as_str())
        .unwrap_or(&m.org);
    let item_id = m.facts.get("item_id").and_then(|i| i.as_i64());
    let fact = |k: &str| m.facts.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let submitted = (state == RemoteCaseState::Submitted).then_some(m.at);
    let accepted = (state == RemoteCaseState::Accepted).then_some(m.at);
    let decided = state.decided().then_some(m.at);
    sqlx::query(
        "INSERT INTO exchange_district_cases
             (subject, district, department, item_id, state, submitted_at, decided_at, last_seq, updated_at,
              applicant_public, version_id, channel, accepted_at, promised_due)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         ON CONFLICT (subject) DO UPDATE SET
             state = excluded.state,
             item_id = COALESCE(exchange_district_cases.item_id, excluded.item_id),
             submitted_at = COALESCE(exchange_district_cases.submitted_at, excluded.submitted_at),
             decided_at = COALESCE(excluded.decided_at, exchange_district_cases.decided_at),
             applicant_public = COALESCE(exchange_district_cases.applicant_public, excluded.applicant_public),
             version_id = COALESCE(exchange_district_cases.version_id, excluded.version_id),
             channel = COALESCE(exchange_district_cases.channel, excluded.channel),
             accepted_at = COALESCE(exchange_district_cases.accepted_at, excluded.accepted_at),
             promised_due = COALESCE(excluded.promised_due, exchange_district_cases.promised_due),
             last_seq = excluded.last_seq,
             updated_at = excluded.updated_at
         WHERE exchange_district_cases.district = excluded.district
           AND exchange_district_cases.last_seq < excluded.last_seq",
    )
    .bind(&m.subject)
    .bind(district)
    .bind(department)
    .bind(item_id)
    .bind(state.as_str())
    .bind(submitted)
    .bind(decided)
    .bind(m.seq)
    .bind(m.at)
    .bind(fact("applicant_public"))
    .bind(m.facts.get("version_id").and_then(|i| i.as_i64()))
    .bind(fact("channel"))
    .bind(accepted)
    .bind(fact("promised_due"))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A district's own case as the city learned it, for the city's board.
#[derive(Debug, Clone)]
pub struct BoardDistrictCase {
    pub number: String,
    pub district: String,
    pub department: String,
    pub item_id: Option<i64>,
    pub version_id: Option<i64>,
    pub state: RemoteCaseState,
    pub applicant_public: Option<String>,
    pub channel: Option<String>,
    pub submitted_at: Option<i64>,
    pub accepted_at: Option<i64>,
    pub promised_due: Option<String>,
    pub decided_at: Option<i64>,
}

pub async fn district_case_for_board(
    conn: &mut AnyConnection,
    number: &str,
) -> Result<Option<BoardDistrictCase>> {
    let row = sqlx::query(
        "SELECT district, department, item_id, version_id, state, applicant_public, channel,
                submitted_at, accepted_at, promised_due, decided_at
         FROM exchange_district_cases WHERE subject = $1",
    )
    .bind(format!("case/{number}"))
    .fetch_optional(&mut *conn)
    .await?;
    let Some(r) = row else {
        return Ok(None);
    };
    let state: String = r.try_get("state")?;
    Ok(Some(BoardDistrictCase {
        number: number.to_string(),
        district: r.try_get("district")?,
        department: r.try_get("department")?,
        item_id: r.try_get("item_id")?,
        version_id: r.try_get("version_id")?,
        state: RemoteCaseState::parse(&state)
            .ok_or_else(|| crate::supervision::corrupt("district case state", &state))?,
        applicant_public: r.try_get("applicant_public")?,
        channel: r.try_get("channel")?,
        submitted_at: r.try_get("submitted_at")?,
        accepted_at: r.try_get("accepted_at")?,
        promised_due: r.try_get("promised_due")?,
        decided_at: r.try_get("decided_at")?,
    }))
}

/// How many of each district's cases are in each state.
pub async fn district_case_counts(conn: &mut AnyConnection) -> Result<Vec<(String, String, i64)>> {
    let rows = sqlx::query(
        "SELECT district, state, CAST(COUNT(*) AS BIGINT) AS n FROM exchange_district_cases
         GROUP BY district, state ORDER BY district, state",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("district")?, r.try_get("state")?, r.try_get("n")?)))
        .collect()
}

/// A district case as the city holds it.
#[derive(Debug, Clone)]
pub struct DistrictCase {
    pub subject: String,
    pub district: String,
    pub department: String,
    pub item_id: Option<i64>,
    pub state: String,
    pub submitted_at: Option<i64>,
    pub decided_at: Option<i64>,
    pub updated_at: i64,
}

/// A district's cases (every district's with `None`), latest first.
pub async fn district_cases(
    conn: &mut AnyConnection,
    district: Option<&str>,
    limit: i64,
) -> Result<Vec<DistrictCase>> {
    let rows = sqlx::query(
        "SELECT subject, district, department, item_id, state, submitted_at, decided_at, updated_at
         FROM exchange_district_cases WHERE ($1 IS NULL OR district = $1)
         ORDER BY updated_at DESC, subject LIMIT $2",
    )
    .bind(district)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(DistrictCase {
                subject: r.try_get("subject")?,
                district: r.try_get("district")?,
                department: r.try_get("department")?,
                item_id: r.try_get("item_id")?,
                state: r.try_get("state")?,
                submitted_at: r.try_get("submitted_at")?,
                decided_at: r.try_get("decided_at")?,
                updated_at: r.try_get("updated_at")?,
            })
        })
        .collect()
}

/// How many messages have been applied here.
pub async fn applied_count(conn: &mut AnyConnection) -> Result<i64> {
    let row = sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM exchange_inbox")
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.try_get("n")?)
}

/// For each message applied whose sender journaled it at or after `since`:
/// how long after (microseconds) it was applied here. For the benchmarks.
pub async fn lags_since(conn: &mut AnyConnection, since: i64) -> Result<Vec<i64>> {
    let rows =
        sqlx::query("SELECT applied_at - sent_at AS lag FROM exchange_inbox WHERE sent_at >= $1")
            .bind(since)
            .fetch_all(&mut *conn)
            .await?;
    rows.iter().map(|r| Ok(r.try_get("lag")?)).collect()
}

/// Keep a district's report of its registry's aggregates, unless one it
/// sent later is kept already.
pub async fn apply_aggregates(conn: &mut AnyConnection, m: &Message, at: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO exchange_district_aggregates (district, report, reported_at, last_seq, updated_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (district) DO UPDATE SET report = excluded.report,
             reported_at = excluded.reported_at, last_seq = excluded.last_seq,
             updated_at = excluded.updated_at
         WHERE exchange_district_aggregates.last_seq < excluded.last_seq",
    )
    .bind(m.from.district().unwrap_or_default())
    .bind(m.facts.to_string())
    .bind(m.at)
    .bind(m.seq)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A district's last report of its registry's aggregates.
#[derive(Debug, Clone)]
pub struct DistrictAggregates {
    pub district: String,
    /// The report as sent (JSON).
    pub report: String,
    /// When the district journaled it.
    pub reported_at: i64,
}

/// Every district's last report, by district.
pub async fn district_aggregates(conn: &mut AnyConnection) -> Result<Vec<DistrictAggregates>> {
    let rows = sqlx::query(
        "SELECT district, report, reported_at FROM exchange_district_aggregates ORDER BY district",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(DistrictAggregates {
                district: r.try_get("district")?,
                report: r.try_get("report")?,
                reported_at: r.try_get("reported_at")?,
            })
        })
        .collect()
}
