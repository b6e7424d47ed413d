//! Electronic supervision's SQL: rule versions, what it remembers of each
//! case, the due-time index and the signals.

use sqlx::{AnyConnection, Row};
use sunshine_domain::supervision::{
    CaseTrace, ComplaintState, Level, RuleCode, RuleSet, SignalState,
};

use crate::{Result, StoreError};

pub(crate) fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

/// The rules in force: the latest version, or the built-in defaults as version 0.
pub async fn rules(conn: &mut AnyConnection) -> Result<(i64, RuleSet)> {
    let row =
        sqlx::query("SELECT version, rules FROM supervision_rules ORDER BY version DESC LIMIT 1")
            .fetch_optional(&mut *conn)
            .await?;
    match row {
        None => Ok((0, RuleSet::default())),
        Some(r) => {
            let text: String = r.try_get("rules")?;
            Ok((
                r.try_get("version")?,
                serde_json::from_str(&text).map_err(|e| corrupt("supervision rules", e))?,
            ))
        }
    }
}

/// Store a new version of the rules; its number.
pub async fn insert_rules(
    conn: &mut AnyConnection,
    rules: &RuleSet,
    at: i64,
    by: &str,
) -> Result<i64> {
    let (current, _) = self::rules(conn).await?;
    let version = current + 1;
    let text = serde_json::to_string(rules).map_err(|e| corrupt("supervision rules", e))?;
    sqlx::query("INSERT INTO supervision_rules (version, rules, created_at, created_by) VALUES ($1, $2, $3, $4)")
        .bind(version)
        .bind(text)
        .bind(at)
        .bind(by)
        .execute(&mut *conn)
        .await?;
    Ok(version)
}

/// What supervision remembers of a case.
#[derive(Debug, Clone)]
pub struct WatchedCase {
    pub number: String,
    pub department: String,
    pub region: String,
    pub version_id: i64,
    /// The login of the clerk who last handled it.
    pub responsible: Option<String>,
    /// The last journal entry of the case that supervision read.
    pub last_seq: i64,
    pub trace: CaseTrace,
}

pub async fn watched_case(conn: &mut AnyConnection, number: &str) -> Result<Option<WatchedCase>> {
    let row = sqlx::query(
        "SELECT number, department, region, version_id, responsible, last_seq, trace FROM supervision_cases WHERE number = $1",
    )
    .bind(number)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let trace: String = r.try_get("trace")?;
    Ok(Some(WatchedCase {
        number: r.try_get("number")?,
        department: r.try_get("department")?,
        region: r.try_get("region")?,
        version_id: r.try_get("version_id")?,
        responsible: r.try_get("responsible")?,
        last_seq: r.try_get("last_seq")?,
        trace: serde_json::from_str(&trace).map_err(|e| corrupt("case trace", e))?,
    }))
}

pub async fn save_watched_case(conn: &mut AnyConnection, c: &WatchedCase) -> Result<()> {
    let trace = serde_json::to_string(&c.trace).map_err(|e| corrupt("case trace", e))?;
    sqlx::query(
        "INSERT INTO supervision_cases (number, department, region, version_id, responsible, last_seq, trace) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (number) DO UPDATE SET \
         department = excluded.department, region = excluded.region, \
         responsible = excluded.responsible, last_seq = excluded.last_seq, trace = excluded.trace",
    )
    .bind(&c.number)
    .bind(&c.department)
    .bind(&c.region)
    .bind(c.version_id)
    .bind(&c.responsible)
    .bind(c.last_seq)
    .bind(trace)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A moment in the due-time index. `step` is -1 for a rule of the whole
/// case; `cause` is the signal a timer follows up (a yellow card), else 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimerRow {
    pub id: i64,
    pub due_at: i64,
    pub case_number: String,
    pub rule: RuleCode,
    pub step: i64,
    pub cause: i64,
    pub rules_version: i64,
}

/// Replace a case's deadline timers (every timed rule but the follow-up of
/// yellow cards) with `timers`.
pub async fn replace_case_timers(
    conn: &mut AnyConnection,
    number: &str,
    timers: &[TimerRow],
) -> Result<()> {
    sqlx::query("DELETE FROM supervision_timers WHERE case_number = $1 AND cause = 0")
        .bind(number)
        .execute(&mut *conn)
        .await?;
    for t in timers {
        insert_timer(conn, t).await?;
    }
    Ok(())
}

pub async fn insert_timer(conn: &mut AnyConnection, t: &TimerRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO supervision_timers (due_at, case_number, rule, step, cause, rules_version) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (case_number, rule, step, cause) DO UPDATE SET \
         due_at = excluded.due_at, rules_version = excluded.rules_version",
    )
    .bind(t.due_at)
    .bind(&t.case_number)
    .bind(t.rule.as_str())
    .bind(t.step)
    .bind(t.cause)
    .bind(t.rules_version)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Drop the follow-up timer of a signal (a yellow card that was rectified).
pub async fn delete_follow_up(conn: &mut AnyConnection, signal_id: i64) -> Result<()> {
    sqlx::query("DELETE FROM supervision_timers WHERE cause = $1")
        .bind(signal_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn delete_timer(conn: &mut AnyConnection, id: i64) -> Result<bool> {
    let done = sqlx::query("DELETE FROM supervision_timers WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

const TIMER_COLUMNS: &str = "id, due_at, case_number, rule, step, cause, rules_version";

fn timer_row(r: &sqlx::any::AnyRow) -> Result<TimerRow> {
    let rule: String = r.try_get("rule")?;
    Ok(TimerRow {
        id: r.try_get("id")?,
        due_at: r.try_get("due_at")?,
        case_number: r.try_get("case_number")?,
        rule: RuleCode::parse(&rule).ok_or_else(|| corrupt("timer rule", &rule))?,
        step: r.try_get("step")?,
        cause: r.try_get("cause")?,
        rules_version: r.try_get("rules_version")?,
    })
}

/// The timers due at `now` or before, earliest first: what a tick costs is
/// what is due, read from the index on `(due_at, id)`.
pub async fn due_timers(conn: &mut AnyConnection, now: i64, limit: i64) -> Result<Vec<TimerRow>> {
    let rows = sqlx::query(&format!(
        "SELECT {TIMER_COLUMNS} FROM supervision_timers WHERE due_at <= $1 ORDER BY due_at, id LIMIT $2"
    ))
    .bind(now)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(timer_row).collect()
}

/// The timers of one case, earliest first.
pub async fn case_timers(conn: &mut AnyConnection, number: &str) -> Result<Vec<TimerRow>> {
    let rows = sqlx::query(&format!(
        "SELECT {TIMER_COLUMNS} FROM supervision_timers WHERE case_number = $1 ORDER BY due_at, id"
    ))
    .bind(number)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(timer_row).collect()
}

/// The earliest timer of one case due by `at`, if any.
pub async fn earliest_due_timer(
    conn: &mut AnyConnection,
    number: &str,
    at: i64,
) -> Result<Option<TimerRow>> {
    let row = sqlx::query(&format!(
        "SELECT {TIMER_COLUMNS} FROM supervision_timers WHERE case_number = $1 AND due_at <= $2 \
         ORDER BY due_at, id LIMIT 1"
    ))
    .bind(number)
    .bind(at)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(timer_row).transpose()
}

/// A signal (监察信号): a warning or a card on a case.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SignalRow {
    pub id: i64,
    pub case_number: String,
    pub rule: RuleCode,
    /// The process step (from 0) for a step's rule, else -1.
    pub step: i64,
    /// The yellow card a red card follows up, else 0.
    pub cause: i64,
    pub level: Level,
    pub rules_version: i64,
    pub department: String,
    pub region: String,
    /// The login of the clerk responsible, when one had signed for the case.
    pub responsible: Option<String>,
    /// The journal entries (sequence numbers) that prove it.
    pub evidence: Vec<i64>,
    pub state: SignalState,
    /// The moment the rule fired for (µs); for a fact, the fact's time.
    pub due_at: i64,
    pub issued_at: i64,
    pub updated_at: i64,
    /// The last response, escalation or reason given.
    pub last_text: Option<String>,
    /// For a copy of the city's card on a unit of this district, the
    /// card's id at the city (stored with the origin `city`; a signal of
    /// this platform's own supervision has none).
    pub city_signal: Option<i64>,
}

const SIGNAL_COLUMNS: &str =
    "id, case_number, rule, step, cause, level, rules_version, department, region, \
    responsible, evidence, state, due_at, issued_at, updated_at, last_text, city_signal";

fn signal_row(r: &sqlx::any::AnyRow) -> Result<SignalRow> {
    let rule: String = r.try_get("rule")?;
    let level: String = r.try_get("level")?;
    let state: String = r.try_get("state")?;
    let evidence: String = r.try_get("evidence")?;
    Ok(SignalRow {
        id: r.try_get("id")?,
        case_number: r.try_get("case_number")?,
        rule: RuleCode::parse(&rule).ok_or_else(|| corrupt("signal rule", &rule))?,
        step: r.try_get("step")?,
        cause: r.try_get("cause")?,
        level: Level::parse(&level).ok_or_else(|| corrupt("signal level", &level))?,
        rules_version: r.try_get("rules_version")?,
        department: r.try_get("department")?,
        region: r.try_get("region")?,
        responsible: r.try_get("responsible")?,
        evidence: serde_json::from_str(&evidence).map_err(|e| corrupt("signal evidence", e))?,
        state: SignalState::parse(&state).ok_or_else(|| corrupt("signal state", &state))?,
        due_at: r.try_get("due_at")?,
        issued_at: r.try_get("issued_at")?,
        updated_at: r.try_get("updated_at")?,
        last_text: r.try_get("last_text")?,
        city_signal: r.try_get("city_signal")?,
    })
}

/// Insert a signal unless the same rule has already fired for the same case,
/// step and cause at the same level (this platform's, or the city's); the
/// new signal's id, or `None` when it had.
pub async fn insert_signal(conn: &mut AnyConnection, s: &SignalRow) -> Result<Option<i64>> {
    let evidence = serde_json::to_string(&s.evidence).map_err(|e| corrupt("signal evidence", e))?;
    let row = sqlx::query(
        "INSERT INTO signals (case_number, rule, step, cause, level, rules_version, department, region, \
         responsible, evidence, state, due_at, issued_at, updated_at, last_text, origin, city_signal) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
         ON CONFLICT (case_number, rule, step, cause, origin) DO NOTHING RETURNING id",
    )
    .bind(&s.case_number)
    .bind(s.rule.as_str())
    .bind(s.step)
    .bind(s.cause)
    .bind(s.level.as_str())
    .bind(s.rules_version)
    .bind(&s.department)
    .bind(&s.region)
    .bind(&s.responsible)
    .bind(evidence)
    .bind(s.state.as_str())
    .bind(s.due_at)
    .bind(s.issued_at)
    .bind(s.updated_at)
    .bind(&s.last_text)
    // The origin is part of the key: the city's card and this platform's
    // own on the same lateness are two.
    .bind(if s.city_signal.is_some() { sunshine_domain::exchange::ISSUED_BY_CITY } else { "" })
    .bind(s.city_signal)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|r| r.try_get("id")).transpose()?)
}

pub async fn signal(conn: &mut AnyConnection, id: i64) -> Result<Option<SignalRow>> {
    let row = sqlx::query(&format!(
        "SELECT {SIGNAL_COLUMNS} FROM signals WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(signal_row).transpose()
}

/// The copy kept here of the city's card `city_signal`, if one is.
pub async fn signal_of_city(
    conn: &mut AnyConnection,
    city_signal: i64,
) -> Result<Option<SignalRow>> {
    let row = sqlx::query(&format!(
        "SELECT {SIGNAL_COLUMNS} FROM signals WHERE city_signal = $1"
    ))
    .bind(city_signal)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(signal_row).transpose()
}

pub async fn set_signal_state(
    conn: &mut AnyConnection,
    id: i64,
    state: SignalState,
    text: Option<&str>,
    at: i64,
) -> Result<()> {
    sqlx::query("UPDATE signals SET state = $1, last_text = COALESCE($2, last_text), updated_at = $3 WHERE id = $4")
        .bind(state.as_str())
        .bind(text)
        .bind(at)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Signals still waiting to be delivered, oldest first.
pub async fn undelivered(conn: &mut AnyConnection, limit: i64) -> Result<Vec<SignalRow>> {
    let rows = sqlx::query(&format!(
        "SELECT {SIGNAL_COLUMNS} FROM signals WHERE state = 'issued' ORDER BY id LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(signal_row).collect()
}

/// What to list: signals of these departments (none: every department),
/// optionally only open ones, of one state, level, case or due span, one
/// page at a time.
#[derive(Debug, Clone, Default)]
pub struct SignalFilter {
    pub departments: Option<Vec<String>>,
    /// One district's (or the city's own) departments.
    pub region: Option<String>,
    pub open_only: bool,
    /// Only signals in this state.
    pub state: Option<SignalState>,
    pub case_number: Option<String>,
    pub level: Option<Level>,
    /// Only signals due in `[due_from, due_to)` (µs).
    pub due_from: Option<i64>,
    pub due_to: Option<i64>,
    pub limit: i64,
    /// Skip this many (a page's start).
    pub offset: i64,
}

/// A value bound to a filter's placeholder.
enum Bound<'a> {
    Text(&'a str),
    Number(i64),
}

/// The filter's `WHERE` clause and its values, `None` when it cannot match.
fn signal_where(f: &SignalFilter) -> Option<(String, Vec<Bound<'_>>)> {
    let mut sql = String::from(" WHERE 1 = 1");
    let mut binds = vec![];
    let mark = |binds: &Vec<Bound<'_>>| format!("${}", binds.len() + 1);
    if let Some(ds) = &f.departments {
        if ds.is_empty() {
            return None;
        }
        let mut marks = vec![];
        for d in ds {
            marks.push(mark(&binds));
            binds.push(Bound::Text(d));
        }
        sql.push_str(&format!(" AND department IN ({})", marks.join(", ")));
    }
    if f.open_only {
        sql.push_str(" AND state NOT IN ('closed', 'revoked')");
    }
    if let Some(state) = f.state {
        sql.push_str(&format!(" AND state = {}", mark(&binds)));
        binds.push(Bound::Text(state.as_str()));
    }
    if let Some(r) = &f.region {
        sql.push_str(&format!(" AND region = {}", mark(&binds)));
        binds.push(Bound::Text(r));
    }
    if let Some(c) = &f.case_number {
        sql.push_str(&format!(" AND case_number = {}", mark(&binds)));
        binds.push(Bound::Text(c));
    }
    if let Some(l) = f.level {
        sql.push_str(&format!(" AND level = {}", mark(&binds)));
        binds.push(Bound::Text(l.as_str()));
    }
    if let Some(from) = f.due_from {
        sql.push_str(&format!(" AND due_at >= {}", mark(&binds)));
        binds.push(Bound::Number(from));
    }
    if let Some(to) = f.due_to {
        sql.push_str(&format!(" AND due_at < {}", mark(&binds)));
        binds.push(Bound::Number(to));
    }
    Some((sql, binds))
}

fn bind_all<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    binds: Vec<Bound<'q>>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for b in binds {
        q = match b {
            Bound::Text(t) => q.bind(t),
            Bound::Number(n) => q.bind(n),
        };
    }
    q
}

/// Signals, the oldest open first (by age), then the rest newest first.
pub async fn signals(conn: &mut AnyConnection, f: &SignalFilter) -> Result<Vec<SignalRow>> {
    let Some((clause, mut binds)) = signal_where(f) else {
        return Ok(vec![]);
    };
    let n = binds.len();
    let sql = format!(
        "SELECT {SIGNAL_COLUMNS} FROM signals{clause} \
         ORDER BY CASE WHEN state IN ('closed', 'revoked') THEN 1 ELSE 0 END, \
         CASE WHEN state IN ('closed', 'revoked') THEN -issued_at ELSE issued_at END, id \
         LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    );
    binds.push(Bound::Number(f.limit.clamp(1, 1000)));
    binds.push(Bound::Number(f.offset.max(0)));
    let rows = bind_all(sqlx::query(&sql), binds)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(signal_row).collect()
}

/// How many signals the filter matches, over every page.
pub async fn count_signals(conn: &mut AnyConnection, f: &SignalFilter) -> Result<i64> {
    let Some((clause, binds)) = signal_where(f) else {
        return Ok(0);
    };
    let sql = format!("SELECT COUNT(*) AS n FROM signals{clause}");
    let row = bind_all(sqlx::query(&sql), binds)
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.try_get::<i64, _>("n")?)
}

/// Cards and warnings per department, for the public supervision board: no
/// case, no person, only counts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DepartmentSignals {
    pub department: String,
    pub region: String,
    pub warnings: i64,
    pub yellow_cards: i64,
    pub red_cards: i64,
    /// Cards (yellow and red) rectified: responded to or closed.
    pub rectified: i64,
    /// Signals still open.
    pub open: i64,
}

/// Each department's signals whose rule fired for a moment in `[from, to)`:
/// the period a signal counts in never depends on when supervision got to it.
pub async fn per_department(
    conn: &mut AnyConnection,
    from: i64,
    to: i64,
) -> Result<Vec<DepartmentSignals>> {
    let rows = sqlx::query(
        "SELECT department, region, \
         SUM(CASE WHEN level = 'warning' AND state <> 'revoked' THEN 1 ELSE 0 END) AS warnings, \
         SUM(CASE WHEN level = 'yellow' AND state <> 'revoked' THEN 1 ELSE 0 END) AS yellow_cards, \
         SUM(CASE WHEN level = 'red' AND state <> 'revoked' THEN 1 ELSE 0 END) AS red_cards, \
         SUM(CASE WHEN level <> 'warning' AND state IN ('responded', 'closed') THEN 1 ELSE 0 END) AS rectified, \
         SUM(CASE WHEN state NOT IN ('closed', 'revoked') THEN 1 ELSE 0 END) AS open \
         FROM signals WHERE due_at >= $1 AND due_at < $2 AND origin = '' \
         GROUP BY department, region ORDER BY region, department",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(DepartmentSignals {
                department: r.try_get("department")?,
                region: r.try_get("region")?,
                warnings: r.try_get("warnings")?,
                yellow_cards: r.try_get("yellow_cards")?,
                red_cards: r.try_get("red_cards")?,
                rectified: r.try_get("rectified")?,
                open: r.try_get("open")?,
            })
        })
        .collect()
}

/// A case completed in a period, as the quarterly evaluation counts it.
#[derive(Debug, Clone)]
pub struct CompletedCase {
    pub department: String,
    pub region: String,
    pub state: String,
    pub promised_due: Option<String>,
    pub completed_at: i64,
    pub rating: Option<i64>,
}

/// Cases completed in `[from, to)` (µs), every item, sensitive ones too:
/// the evaluation is not the public board.
pub async fn completed_cases(
    conn: &mut AnyConnection,
    from: i64,
    to: i64,
) -> Result<Vec<CompletedCase>> {
    let rows = sqlx::query(
        "SELECT department, region, state, promised_due, completed_at, rating FROM cases \
         WHERE completed_at >= $1 AND completed_at < $2",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(CompletedCase {
                department: r.try_get("department")?,
                region: r.try_get("region")?,
                state: r.try_get("state")?,
                promised_due: r.try_get("promised_due")?,
                completed_at: r.try_get("completed_at")?,
                rating: r.try_get("rating")?,
            })
        })
        .collect()
}

/// A citizen's complaint (网上监督).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplaintRow {
    pub id: i64,
    pub case_number: Option<String>,
    pub department: String,
    pub region: String,
    pub complainant_user: i64,
    pub text: String,
    pub state: ComplaintState,
    pub received_at: i64,
    /// The last day to accept or refuse it (YYYY-MM-DD).
    pub accept_due: String,
    pub reason: Option<String>,
    pub answer: Option<String>,
    /// The signal it raised, if any.
    pub signal_id: Option<i64>,
    pub updated_at: i64,
}

const COMPLAINT_COLUMNS: &str =
    "id, case_number, department, region, complainant_user, text, state, \
    received_at, accept_due, reason, answer, signal_id, updated_at";

fn complaint_row(r: &sqlx::any::AnyRow) -> Result<ComplaintRow> {
    let state: String = r.try_get("state")?;
    Ok(ComplaintRow {
        id: r.try_get("id")?,
        case_number: r.try_get("case_number")?,
        department: r.try_get("department")?,
        region: r.try_get("region")?,
        complainant_user: r.try_get("complainant_user")?,
        text: r.try_get("text")?,
        state: ComplaintState::parse(&state).ok_or_else(|| corrupt("complaint state", &state))?,
        received_at: r.try_get("received_at")?,
        accept_due: r.try_get("accept_due")?,
        reason: r.try_get("reason")?,
        answer: r.try_get("answer")?,
        signal_id: r.try_get("signal_id")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub async fn insert_complaint(conn: &mut AnyConnection, c: &ComplaintRow) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO complaints (case_number, department, region, complainant_user, text, state, received_at, \
         accept_due, reason, answer, signal_id, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(&c.case_number)
    .bind(&c.department)
    .bind(&c.region)
    .bind(c.complainant_user)
    .bind(&c.text)
    .bind(c.state.as_str())
    .bind(c.received_at)
    .bind(&c.accept_due)
    .bind(&c.reason)
    .bind(&c.answer)
    .bind(c.signal_id)
    .bind(c.updated_at)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get("id")?)
}

pub async fn complaint(conn: &mut AnyConnection, id: i64) -> Result<Option<ComplaintRow>> {
    let row = sqlx::query(&format!(
        "SELECT {COMPLAINT_COLUMNS} FROM complaints WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(complaint_row).transpose()
}

/// Store a complaint's new state and what came with it.
pub async fn update_complaint(conn: &mut AnyConnection, c: &ComplaintRow) -> Result<()> {
    sqlx::query(
        "UPDATE complaints SET state = $1, reason = $2, answer = $3, signal_id = $4, updated_at = $5 WHERE id = $6",
    )
    .bind(c.state.as_str())
    .bind(&c.reason)
    .bind(&c.answer)
    .bind(c.signal_id)
    .bind(c.updated_at)
    .bind(c.id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Complaints of these departments (the supervisor's area), unanswered first
/// by their deadline; or one complainant's own, newest first.
pub async fn complaints(
    conn: &mut AnyConnection,
    departments: Option<&[String]>,
    complainant: Option<i64>,
    limit: i64,
) -> Result<Vec<ComplaintRow>> {
    let mut sql = format!("SELECT {COMPLAINT_COLUMNS} FROM complaints WHERE 1 = 1");
    let mut n = 0;
    if let Some(ds) = departments {
        if ds.is_empty() {
            return Ok(vec![]);
        }
        let marks: Vec<String> = ds
            .iter()
            .map(|_| {
                n += 1;
                format!("${n}")
            })
            .collect();
        sql.push_str(&format!(" AND department IN ({})", marks.join(", ")));
    }
    if complainant.is_some() {
        n += 1;
        sql.push_str(&format!(" AND complainant_user = ${n}"));
    }
    n += 1;
    sql.push_str(&format!(
        " ORDER BY CASE WHEN state IN ('refused', 'answered') THEN 1 ELSE 0 END, accept_due, id DESC LIMIT ${n}"
    ));
    let mut q = sqlx::query(&sql);
    for d in departments.into_iter().flatten() {
        q = q.bind(d);
    }
    if let Some(u) = complainant {
        q = q.bind(u);
    }
    let rows = q.bind(limit.clamp(1, 1000)).fetch_all(&mut *conn).await?;
    rows.iter().map(complaint_row).collect()
}

/// Complaints received in `[from, to)` per department, refused ones not
/// counted: (department, region, count).
pub async fn complaints_per_department(
    conn: &mut AnyConnection,
    from: i64,
    to: i64,
) -> Result<Vec<(String, String, i64)>> {
    let rows = sqlx::query(
        "SELECT department, region, COUNT(*) AS n FROM complaints \
         WHERE received_at >= $1 AND received_at < $2 AND state <> 'refused' GROUP BY department, region",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("department")?,
                r.try_get("region")?,
                r.try_get("n")?,
            ))
        })
        .collect()
}

/// When each signal issued since `since` (µs) fell due and when it was
/// issued: the lag of the timer.
pub async fn issue_lags(conn: &mut AnyConnection, since: i64) -> Result<Vec<(i64, i64)>> {
    // A copy of the city's card is issued when it arrives, not by a timer here.
    let rows =
        sqlx::query("SELECT due_at, issued_at FROM signals WHERE issued_at >= $1 AND origin = ''")
            .bind(since)
            .fetch_all(&mut *conn)
            .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("due_at")?, r.try_get("issued_at")?)))
        .collect()
}

/// Open signals counted by region, department and level, over these departments.
pub async fn open_counts(
    conn: &mut AnyConnection,
    departments: &[String],
) -> Result<Vec<(String, String, Level, i64)>> {
    if departments.is_empty() {
        return Ok(vec![]);
    }
    let marks: Vec<String> = (1..=departments.len()).map(|n| format!("${n}")).collect();
    let sql = format!(
        "SELECT region, department, level, COUNT(*) AS n FROM signals \
         WHERE state NOT IN ('closed', 'revoked') AND department IN ({}) \
         GROUP BY region, department, level ORDER BY region, department",
        marks.join(", ")
    );
    let mut q = sqlx::query(&sql);
    for d in departments {
        q = q.bind(d);
    }
    let rows = q.fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|r| {
            let level: String = r.try_get("level")?;
            Ok((
                r.try_get("region")?,
                r.try_get("department")?,
                Level::parse(&level).ok_or_else(|| corrupt("signal level", &level))?,
                r.try_get("n")?,
            ))
        })
        .collect()
}
