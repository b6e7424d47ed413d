//! The hall's SQL: case numbers, cases and their changing state.

use sqlx::{AnyConnection, Row};
use sunshine_domain::hall::{Case, Channel};
use sunshine_domain::licence::IssuedLicence;

use crate::{Result, StoreError};

/// The next sequence number of a region's cases in a year.
pub async fn next_sequence(conn: &mut AnyConnection, region: &str, year: i16) -> Result<u32> {
    let row = sqlx::query(
        "INSERT INTO case_sequences (region, year, last) VALUES ($1, $2, 1) \
         ON CONFLICT (region, year) DO UPDATE SET last = case_sequences.last + 1 RETURNING last",
    )
    .bind(region)
    .bind(i64::from(year))
    .fetch_one(&mut *conn)
    .await?;
    let last: i64 = row.try_get("last")?;
    u32::try_from(last).map_err(|_| StoreError::Corrupt(format!("case sequence {last}")))
}

fn json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn parse<T: serde::de::DeserializeOwned>(what: &str, s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

fn channel_str(c: Channel) -> &'static str {
    match c {
        Channel::Online => "online",
        Channel::Counter => "counter",
    }
}

pub async fn insert_case(conn: &mut AnyConnection, c: &Case) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO cases (number, query_code, item_id, version_id, department, region, applicant_user, applicant, applicant_public, \
         channel, answers, facts, state, submitted_at, updated_at, bundle_number, applicant_key, handled_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $15, $16, $17) RETURNING id",
    )
    .bind(&c.number)
    .bind(&c.query_code)
    .bind(c.item_id)
    .bind(c.version_id)
    .bind(&c.department)
    .bind(&c.region)
    .bind(c.applicant_user)
    .bind(json(&c.applicant)?)
    .bind(&c.applicant_public)
    .bind(channel_str(c.channel))
    .bind(json(&c.answers)?)
    .bind(json(&c.facts)?)
    .bind(c.facts.state.name())
    .bind(c.submitted_at)
    .bind(c.bundle_number.clone())
    .bind(applicant_key(&c.applicant))
    .bind(c.handled_by.clone())
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get("id")?)
}

/// The number a case is registered to: the person's identity number or the
/// enterprise's credit code.
fn applicant_key(a: &sunshine_domain::hall::Applicant) -> String {
    match a {
        sunshine_domain::hall::Applicant::Person { id_number, .. } => {
            id_number.as_str().to_string()
        }
        sunshine_domain::hall::Applicant::Enterprise { credit_code, .. } => {
            credit_code.as_str().to_string()
        }
    }
}

/// Write a case's changing parts after a command.
pub async fn update_case(conn: &mut AnyConnection, c: &Case) -> Result<()> {
    sqlx::query(
        "UPDATE cases SET facts = $1, state = $2, clock = $3, promised_due = $4, legal_due = $5, accepted_at = $6, \
         decided_at = $7, completed_at = $8, updated_at = $9, step_due = $10 WHERE id = $11",
    )
    .bind(json(&c.facts)?)
    .bind(c.facts.state.name())
    .bind(c.clock.as_ref().map(json).transpose()?)
    .bind(c.promised_due.clone())
    .bind(c.legal_due.clone())
    .bind(c.accepted_at)
    .bind(c.decided_at)
    .bind(c.completed_at)
    .bind(c.updated_at)
    .bind(c.step_due.clone())
    .bind(c.id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

const COLUMNS: &str = "id, number, query_code, item_id, version_id, department, region, applicant_user, applicant, applicant_public, channel, \
     answers, facts, clock, promised_due, legal_due, step_due, bundle_number, handled_by, submitted_at, accepted_at, decided_at, completed_at, updated_at";

fn case_row(r: &sqlx::any::AnyRow) -> Result<Case> {
    let channel: String = r.try_get("channel")?;
    let clock: Option<String> = r.try_get("clock")?;
    Ok(Case {
        id: r.try_get("id")?,
        number: r.try_get("number")?,
        query_code: r.try_get("query_code")?,
        item_id: r.try_get("item_id")?,
        version_id: r.try_get("version_id")?,
        department: r.try_get("department")?,
        region: r.try_get("region")?,
        applicant_user: r.try_get("applicant_user")?,
        applicant: parse("applicant", &r.try_get::<String, _>("applicant")?)?,
        applicant_public: r.try_get("applicant_public")?,
        channel: if channel == "counter" {
            Channel::Counter
        } else {
            Channel::Online
        },
        answers: parse("answers", &r.try_get::<String, _>("answers")?)?,
        facts: parse("facts", &r.try_get::<String, _>("facts")?)?,
        clock: clock.as_deref().map(|c| parse("clock", c)).transpose()?,
        promised_due: r.try_get("promised_due")?,
        legal_due: r.try_get("legal_due")?,
        step_due: r.try_get("step_due")?,
        bundle_number: r.try_get("bundle_number")?,
        handled_by: r.try_get("handled_by")?,
        submitted_at: r.try_get("submitted_at")?,
        accepted_at: r.try_get("accepted_at")?,
        decided_at: r.try_get("decided_at")?,
        completed_at: r.try_get("completed_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub async fn case_by_number(conn: &mut AnyConnection, number: &str) -> Result<Option<Case>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM cases WHERE number = $1"))
        .bind(number)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(case_row).transpose()
}

/// Cases of one applicant, newest first: those the account applied for,
/// and, once it is bound to `verified` (an identity number or credit code),
/// those a counter registered to that number.
pub async fn cases_of_applicant(
    conn: &mut AnyConnection,
    user_id: i64,
    verified: Option<&str>,
    limit: i64,
) -> Result<Vec<Case>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM cases WHERE applicant_user = $1 \
         OR (applicant_user IS NULL AND applicant_key = $3) ORDER BY id DESC LIMIT $2"
    ))
    .bind(user_id)
    .bind(limit)
    .bind(verified.map(str::to_string))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(case_row).collect()
}

/// The cases that make up a one-stop application, in the bundle's order.
pub async fn cases_in_bundle(conn: &mut AnyConnection, bundle_number: &str) -> Result<Vec<Case>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM cases WHERE bundle_number = $1 ORDER BY id"
    ))
    .bind(bundle_number)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(case_row).collect()
}

/// Cases of a department, optionally in one state, newest first.
pub async fn cases_of_department(
    conn: &mut AnyConnection,
    department: &str,
    state: Option<&str>,
    limit: i64,
) -> Result<Vec<Case>> {
    let rows = match state {
        Some(s) => {
            sqlx::query(&format!("SELECT {COLUMNS} FROM cases WHERE department = $1 AND state = $2 ORDER BY id DESC LIMIT $3"))
                .bind(department)
                .bind(s)
                .bind(limit)
                .fetch_all(&mut *conn)
                .await?
        }
        None => {
            sqlx::query(&format!("SELECT {COLUMNS} FROM cases WHERE department = $1 ORDER BY id DESC LIMIT $2"))
                .bind(department)
                .bind(limit)
                .fetch_all(&mut *conn)
                .await?
        }
    };
    rows.iter().map(case_row).collect()
}

/// What a clerk's inbox asks for: the departments and states to list, a
/// search over case number, applicant and item name, a promised due date
/// range, and a page.
#[derive(Debug, Clone, Default)]
pub struct InboxQuery {
    pub departments: Vec<String>,
    pub states: Vec<&'static str>,
    /// Found in the case number, the applicant (name or number) or the item's name.
    pub search: Option<String>,
    /// Only cases promised by a day before this (`YYYY-MM-DD`): the overdue.
    pub due_before: Option<String>,
    /// Only cases promised by this day or earlier.
    pub due_by: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// A `LIKE` pattern finding `term` anywhere, its wildcards escaped.
fn contains_pattern(term: &str) -> String {
    let escaped: String = term
        .chars()
        .flat_map(|c| match c {
            '\\' | '%' | '_' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    format!("%{escaped}%")
}

/// A page of a clerk's inbox, the most urgent first (the earliest promised
/// due date; cases with none yet, waiting for acceptance, after them by
/// age), and how many match in all.
pub async fn inbox(conn: &mut AnyConnection, q: &InboxQuery) -> Result<(Vec<Case>, i64)> {
    if q.departments.is_empty() || q.states.is_empty() {
        return Ok((vec![], 0));
    }
    let mut binds: Vec<String> = Vec::new();
    let place = |v: String, binds: &mut Vec<String>| {
        binds.push(v);
        format!("${}", binds.len())
    };
    let departments: Vec<String> = q
        .departments
        .iter()
        .map(|d| place(d.clone(), &mut binds))
        .collect();
    let states: Vec<String> = q
        .states
        .iter()
        .map(|s| place((*s).to_string(), &mut binds))
        .collect();
    let mut wheres = vec![
        format!("department IN ({})", departments.join(", ")),
        format!("state IN ({})", states.join(", ")),
    ];
    if let Some(term) = q.search.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let p = place(contains_pattern(term), &mut binds);
        wheres.push(format!(
            "(number LIKE {p} ESCAPE '\\' OR applicant LIKE {p} ESCAPE '\\' OR applicant_public LIKE {p} ESCAPE '\\' \
             OR version_id IN (SELECT id FROM item_versions WHERE name LIKE {p} ESCAPE '\\'))"
        ));
    }
    if let Some(d) = &q.due_before {
        let p = place(d.clone(), &mut binds);
        wheres.push(format!("promised_due IS NOT NULL AND promised_due < {p}"));
    }
    if let Some(d) = &q.due_by {
        let p = place(d.clone(), &mut binds);
        wheres.push(format!("promised_due IS NOT NULL AND promised_due <= {p}"));
    }
    let filter = wheres.join(" AND ");
    let count_sql = format!("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM cases WHERE {filter}");
    let mut count = sqlx::query(&count_sql);
    for b in &binds {
        count = count.bind(b.clone());
    }
    let total: i64 = count.fetch_one(&mut *conn).await?.try_get("n")?;
    let sql = format!(
        "SELECT {COLUMNS} FROM cases WHERE {filter} \
         ORDER BY CASE WHEN promised_due IS NULL THEN 1 ELSE 0 END, promised_due, submitted_at, id \
         LIMIT {} OFFSET {}",
        q.limit.clamp(1, 500),
        q.offset.max(0)
    );
    let mut rows = sqlx::query(&sql);
    for b in &binds {
        rows = rows.bind(b.clone());
    }
    let rows = rows.fetch_all(&mut *conn).await?;
    Ok((rows.iter().map(case_row).collect::<Result<_>>()?, total))
}

/// The names and item types (as stored, e.g. `licensing`) of item versions.
pub async fn version_names(
    conn: &mut AnyConnection,
    ids: &[i64],
) -> Result<Vec<(i64, String, String)>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let list: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT id, name, item_type FROM item_versions WHERE id IN ({})",
        list.join(", ")
    );
    let mut q = sqlx::query(&sql);
    for id in ids {
        q = q.bind(*id);
    }
    let rows = q.fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("id")?,
                r.try_get("name")?,
                r.try_get("item_type")?,
            ))
        })
        .collect()
}

/// An organisation's signing key: the public half and the sealed secret.
pub async fn org_key(conn: &mut AnyConnection, org: &str) -> Result<Option<(String, String)>> {
    let row = sqlx::query("SELECT public_key, sealed_secret FROM org_keys WHERE org = $1")
        .bind(org)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| Ok((r.try_get("public_key")?, r.try_get("sealed_secret")?)))
        .transpose()
}

pub async fn insert_org_key(
    conn: &mut AnyConnection,
    org: &str,
    public_key: &str,
    sealed_secret: &str,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO org_keys (org, public_key, sealed_secret, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(org)
    .bind(public_key)
    .bind(sealed_secret)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Every organisation's public key, for anyone to verify with: this
/// platform's own, and those its licences held from a district's platform
/// were signed with.
pub async fn public_keys(conn: &mut AnyConnection) -> Result<Vec<(String, String)>> {
    let rows = sqlx::query(
        "SELECT org, public_key FROM org_keys \
         UNION SELECT DISTINCT issuer AS org, issuer_key AS public_key FROM licences WHERE issuer_key IS NOT NULL \
         ORDER BY org, public_key",
    )
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("org")?, r.try_get("public_key")?)))
        .collect()
}

pub async fn insert_licence(conn: &mut AnyConnection, l: &IssuedLicence) -> Result<()> {
    sqlx::query("INSERT INTO licences (number, case_number, issuer, payload, signature, issued_at, revoked_at, revoked_reason, issuer_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
        .bind(&l.number)
        .bind(&l.case_number)
        .bind(&l.issuer)
        .bind(&l.payload)
        .bind(&l.signature)
        .bind(l.issued_at)
        .bind(l.revoked_at)
        .bind(&l.revoked_reason)
        .bind(&l.issuer_key)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn licence(conn: &mut AnyConnection, number: &str) -> Result<Option<IssuedLicence>> {
    let row = sqlx::query("SELECT number, case_number, issuer, payload, signature, issued_at, revoked_at, revoked_reason, issuer_key FROM licences WHERE number = $1")
        .bind(number)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| {
        Ok(IssuedLicence {
            number: r.try_get("number")?,
            case_number: r.try_get("case_number")?,
            issuer: r.try_get("issuer")?,
            payload: r.try_get("payload")?,
            signature: r.try_get("signature")?,
            issued_at: r.try_get("issued_at")?,
            revoked_at: r.try_get("revoked_at")?,
            revoked_reason: r.try_get("revoked_reason")?,
            issuer_key: r.try_get("issuer_key")?,
        })
    })
    .transpose()
}

pub async fn revoke_licence(
    conn: &mut AnyConnection,
    number: &str,
    reason: &str,
    at: i64,
) -> Result<()> {
    sqlx::query("UPDATE licences SET revoked_at = $1, revoked_reason = $2 WHERE number = $3")
        .bind(at)
        .bind(reason)
        .bind(number)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Record the applicant's rating of a case (1 to 5) and their comment.
pub async fn set_rating(
    conn: &mut AnyConnection,
    number: &str,
    rating: i64,
    comment: &str,
) -> Result<()> {
    sqlx::query("UPDATE cases SET rating = $1, rating_comment = $2 WHERE number = $3")
        .bind(rating)
        .bind(comment)
        .bind(number)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The rating of a case, if it has one.
pub async fn rating(conn: &mut AnyConnection, number: &str) -> Result<Option<i64>> {
    let row = sqlx::query("SELECT rating FROM cases WHERE number = $1")
        .bind(number)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row
        .map(|r| r.try_get::<Option<i64>, _>("rating"))
        .transpose()?
        .flatten())
}

/// Record a fee charged on a case (in fen).
pub async fn insert_charge(
    conn: &mut AnyConnection,
    number: &str,
    name: &str,
    amount_fen: i64,
    at: i64,
) -> Result<()> {
    sqlx::query("INSERT INTO case_charges (case_number, name, amount_fen, charged_at) VALUES ($1, $2, $3, $4)")
        .bind(number)
        .bind(name)
        .bind(amount_fen)
        .bind(at)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The fees charged on a case: (name, amount in fen), in order.
pub async fn charges(conn: &mut AnyConnection, number: &str) -> Result<Vec<(String, i64)>> {
    let rows =
        sqlx::query("SELECT name, amount_fen FROM case_charges WHERE case_number = $1 ORDER BY id")
            .bind(number)
            .fetch_all(&mut *conn)
            .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("name")?, r.try_get("amount_fen")?)))
        .collect()
}

/// Record a penalty case's decided circumstance, measure and amount (JSON).
pub async fn set_penalty(
    conn: &mut AnyConnection,
    number: &str,
    penalty: &serde_json::Value,
) -> Result<()> {
    sqlx::query("UPDATE cases SET penalty = $1 WHERE number = $2")
        .bind(json(penalty)?)
        .bind(number)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn penalty(conn: &mut AnyConnection, number: &str) -> Result<Option<serde_json::Value>> {
    let row = sqlx::query("SELECT penalty FROM cases WHERE number = $1")
        .bind(number)
        .fetch_optional(&mut *conn)
        .await?;
    let text: Option<String> = row
        .map(|r| r.try_get::<Option<String>, _>("penalty"))
        .transpose()?
        .flatten();
    text.map(|t| parse("penalty", &t)).transpose()
}

#[cfg(test)]
mod tests {
    use super::contains_pattern;

    #[test]
    fn a_search_term_is_found_anywhere_and_its_wildcards_are_taken_literally() {
        assert_eq!(contains_pattern("赵六"), "%赵六%");
        assert_eq!(contains_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }
}
