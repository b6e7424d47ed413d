//! The population registry's SQL: households, persons, their addresses with
//! the days each held, and the imports that wrote them.

use sqlx::{AnyConnection, Row};
use sunshine_domain::registry::Person;

use crate::Result;

/// The kinds of address a person has, as stored.
pub const REGISTERED: &str = "registered";
pub const RESIDENCE: &str = "residence";

const PERSON: &str = "SELECT p.id, p.id_number, p.name, p.sex, p.birth, p.ethnicity, p.phone, p.community, \
     h.number AS household, p.relationship, \
     (SELECT a.text FROM registry_addresses a WHERE a.person_id = p.id AND a.kind = 'registered' AND a.valid_to IS NULL) AS registered, \
     (SELECT a.text FROM registry_addresses a WHERE a.person_id = p.id AND a.kind = 'residence' AND a.valid_to IS NULL) AS residence \
     FROM registry_persons p JOIN registry_households h ON h.id = p.household_id";

fn person_row(r: &sqlx::any::AnyRow) -> Result<(i64, Person)> {
    Ok((
        r.try_get("id")?,
        Person {
            id_number: r.try_get("id_number")?,
            name: r.try_get("name")?,
            sex: r.try_get("sex")?,
            birth: r.try_get("birth")?,
            ethnicity: r.try_get("ethnicity")?,
            registered_address: r
                .try_get::<Option<String>, _>("registered")?
                .unwrap_or_default(),
            residence_address: r
                .try_get::<Option<String>, _>("residence")?
                .unwrap_or_default(),
            community: r.try_get("community")?,
            household: r.try_get("household")?,
            relationship: r.try_get("relationship")?,
            phone: r.try_get("phone")?,
        },
    ))
}

/// How many values one `IN (…)` list binds.
const CHUNK: usize = 500;

fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The persons `WHERE` picks, asked for `values` a chunk at a time: `head`
/// values bound first, then the chunk's as `$n…` in `{IN}`.
async fn persons_in(
    conn: &mut AnyConnection,
    condition: &str,
    head: &[String],
    values: &[String],
) -> Result<Vec<(i64, Person)>> {
    let mut found = vec![];
    for chunk in values.chunks(CHUNK) {
        let list = placeholders(head.len() + 1, chunk.len());
        let sql = format!("{PERSON} WHERE {}", condition.replace("{IN}", &list));
        let mut q = sqlx::query(&sql);
        for v in head.iter().chain(chunk) {
            q = q.bind(v.clone());
        }
        for r in q.fetch_all(&mut *conn).await? {
            found.push(person_row(&r)?);
        }
    }
    Ok(found)
}

/// The persons held under any of these identity numbers.
pub async fn persons_by_id_number(
    conn: &mut AnyConnection,
    numbers: &[String],
) -> Result<Vec<(i64, Person)>> {
    persons_in(conn, "p.id_number IN ({IN})", &[], numbers).await
}

/// The persons held in these households of a district.
pub async fn members_of_households(
    conn: &mut AnyConnection,
    district: &str,
    households: &[String],
) -> Result<Vec<(i64, Person)>> {
    persons_in(
        conn,
        "p.merged_into IS NULL AND h.district = $1 AND h.number IN ({IN})",
        &[district.to_string()],
        households,
    )
    .await
}

/// An import as written: who, when, the file's digest and what it did.
pub async fn insert_import(
    conn: &mut AnyConnection,
    actor: i64,
    at: i64,
    sha256: &str,
    rows: i64,
    added: i64,
    changed: i64,
) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO registry_imports (actor, at, sha256, rows, added, changed) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(actor)
    .bind(at)
    .bind(sha256.to_string())
    .bind(rows)
    .bind(added)
    .bind(changed)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get("id")?)
}

/// The household `number` of a district, made in `community` on `today`
/// if there is none, moved to `community` if it was elsewhere.
pub async fn household(
    conn: &mut AnyConnection,
    district: &str,
    number: &str,
    community: &str,
    today: &str,
    now: i64,
) -> Result<i64> {
    let found = sqlx::query(
        "SELECT id, community FROM registry_households WHERE district = $1 AND number = $2",
    )
    .bind(district.to_string())
    .bind(number.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(r) = found {
        let id: i64 = r.try_get("id")?;
        let held: String = r.try_get("community")?;
        if held != community {
            sqlx::query(
                "UPDATE registry_households SET community = $1, updated_at = $2 WHERE id = $3",
            )
            .bind(community.to_string())
            .bind(now)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        }
        return Ok(id);
    }
    let r = sqlx::query(
        "INSERT INTO registry_households (district, number, community, valid_from, updated_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(district.to_string())
    .bind(number.to_string())
    .bind(community.to_string())
    .bind(today.to_string())
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    Ok(r.try_get("id")?)
}

/// A new person, with both addresses valid from `today`.
pub async fn insert_person(
    conn: &mut AnyConnection,
    p: &Person,
    birth_year: i64,
    household_id: i64,
    import_id: i64,
    today: &str,
    now: i64,
) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO registry_persons (id_number, name, sex, birth, birth_year, ethnicity, phone, district, \
         community, household_id, relationship, import_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id",
    )
    .bind(p.id_number.clone())
    .bind(p.name.clone())
    .bind(p.sex.clone())
    .bind(p.birth.clone())
    .bind(birth_year)
    .bind(p.ethnicity.clone())
    .bind(p.phone.clone())
    .bind(p.community.get(..6).unwrap_or_default().to_string())
    .bind(p.community.clone())
    .bind(household_id)
    .bind(p.relationship.clone())
    .bind(import_id)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    let id: i64 = r.try_get("id")?;
    insert_address(conn, id, REGISTERED, &p.registered_address, today).await?;
    insert_address(conn, id, RESIDENCE, &p.residence_address, today).await?;
    Ok(id)
}

/// A person's record changed to `p`. An address that changed is kept with
/// `valid_to = today` (the first day it no longer holds), and the new one
/// holds from `today`.
#[allow(clippy::too_many_arguments)]
pub async fn update_person(
    conn: &mut AnyConnection,
    id: i64,
    held: &Person,
    p: &Person,
    birth_year: i64,
    household_id: i64,
    import_id: Option<i64>,
    today: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE registry_persons SET id_number = $1, name = $2, sex = $3, birth = $4, birth_year = $5, \
         ethnicity = $6, phone = $7, district = $8, community = $9, household_id = $10, relationship = $11, \
         import_id = $12, updated_at = $13 WHERE id = $14",
    )
    .bind(p.id_number.clone())
    .bind(p.name.clone())
    .bind(p.sex.clone())
    .bind(p.birth.clone())
    .bind(birth_year)
    .bind(p.ethnicity.clone())
    .bind(p.phone.clone())
    .bind(p.community.get(..6).unwrap_or_default().to_string())
    .bind(p.community.clone())
    .bind(household_id)
    .bind(p.relationship.clone())
    .bind(import_id)
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    for (kind, before, after) in [
        (REGISTERED, &held.registered_address, &p.registered_address),
        (RESIDENCE, &held.residence_address, &p.residence_address),
    ] {
        if before != after {
            sqlx::query(
                "UPDATE registry_addresses SET valid_to = $1 WHERE person_id = $2 AND kind = $3 AND valid_to IS NULL",
            )
            .bind(today.to_string())
            .bind(id)
            .bind(kind)
            .execute(&mut *conn)
            .await?;
            insert_address(conn, id, kind, after, today).await?;
        }
    }
    Ok(())
}

async fn insert_address(
    conn: &mut AnyConnection,
    person: i64,
    kind: &str,
    text: &str,
    today: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO registry_addresses (person_id, kind, text, valid_from) VALUES ($1, $2, $3, $4)",
    )
    .bind(person)
    .bind(kind)
    .bind(text.to_string())
    .bind(today.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A person's addresses of one kind, newest first, with the days each held.
pub async fn address_history(
    conn: &mut AnyConnection,
    person: i64,
    kind: &str,
) -> Result<Vec<(String, String, Option<String>)>> {
    sqlx::query(
        "SELECT text, valid_from, valid_to FROM registry_addresses WHERE person_id = $1 AND kind = $2 ORDER BY id DESC",
    )
    .bind(person)
    .bind(kind)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| Ok((r.try_get("text")?, r.try_get("valid_from")?, r.try_get("valid_to")?)))
    .collect()
}

/// The person held under `id`.
pub async fn person(conn: &mut AnyConnection, id: i64) -> Result<Option<(i64, Person)>> {
    let sql = format!("{PERSON} WHERE p.id = $1");
    match sqlx::query(&sql)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
    {
        Some(r) => Ok(Some(person_row(&r)?)),
        None => Ok(None),
    }
}

/// The members of household `number` of a district, the head first.
pub async fn household_members(
    conn: &mut AnyConnection,
    district: &str,
    number: &str,
) -> Result<Vec<(i64, Person)>> {
    let sql = format!(
        "{PERSON} WHERE h.district = $1 AND h.number = $2 AND p.merged_into IS NULL \
         ORDER BY p.relationship, p.id"
    );
    sqlx::query(&sql)
        .bind(district.to_string())
        .bind(number.to_string())
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(person_row)
        .collect()
}

/// A household as a list shows it: no one's name, only how many.
#[derive(Debug, Clone)]
pub struct HouseholdRow {
    pub district: String,
    pub number: String,
    pub members: i64,
}

/// The households of a community, by number, `limit` after `after`.
pub async fn households_of(
    conn: &mut AnyConnection,
    community: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<HouseholdRow>> {
    sqlx::query(
        "SELECT h.district, h.number, COUNT(p.id) AS members FROM registry_households h \
         JOIN registry_persons p ON p.household_id = h.id AND p.merged_into IS NULL \
         WHERE h.community = $1 AND h.number > $2 GROUP BY h.district, h.number ORDER BY h.number LIMIT $3",
    )
    .bind(community.to_string())
    .bind(after.to_string())
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok(HouseholdRow {
            district: r.try_get("district")?,
            number: r.try_get("number")?,
            members: r.try_get("members")?,
        })
    })
    .collect()
}

/// A person's record changed by a correction: the record and its
/// addresses' history as an import would change them.
pub async fn correct_person(
    conn: &mut AnyConnection,
    id: i64,
    held: &Person,
    p: &Person,
    birth_year: i64,
    today: &str,
    now: i64,
) -> Result<()> {
    let household: i64 = sqlx::query("SELECT household_id FROM registry_persons WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *conn)
        .await?
        .try_get("household_id")?;
    update_person(conn, id, held, p, birth_year, household, None, today, now).await
}

/// How many persons of a kind there are, grouped for the aggregates: by
/// community, sex, ethnic group, year of birth, and whether the birthday
/// is past on `month_day` (`MM-DD`; a year alone counts as past).
#[derive(Debug, Clone)]
pub struct CountRow {
    pub community: String,
    pub sex: String,
    pub ethnicity: String,
    pub birth_year: i64,
    pub birthday_past: bool,
    pub persons: i64,
}

/// The counts of the persons whose district starts with `prefix` (a
/// district's six digits, or a city's first four).
pub async fn counts(
    conn: &mut AnyConnection,
    prefix: &str,
    month_day: &str,
) -> Result<Vec<CountRow>> {
    sqlx::query(
        "SELECT community, sex, ethnicity, birth_year, \
         CAST(CASE WHEN LENGTH(birth) = 4 OR SUBSTR(birth, 6, 5) <= $2 THEN 1 ELSE 0 END AS BIGINT) AS past, \
         COUNT(*) AS persons FROM registry_persons WHERE district LIKE $1 AND merged_into IS NULL \
         GROUP BY community, sex, ethnicity, birth_year, \
         CASE WHEN LENGTH(birth) = 4 OR SUBSTR(birth, 6, 5) <= $2 THEN 1 ELSE 0 END",
    )
    .bind(format!("{prefix}%"))
    .bind(month_day.to_string())
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok(CountRow {
            community: r.try_get("community")?,
            sex: r.try_get("sex")?,
            ethnicity: r.try_get("ethnicity")?,
            birth_year: r.try_get("birth_year")?,
            birthday_past: r.try_get::<i64, _>("past")? == 1,
            persons: r.try_get("persons")?,
        })
    })
    .collect()
}

/// A correction a resident asked for, as kept.
#[derive(Debug, Clone)]
pub struct CorrectionRow {
    pub id: i64,
    pub person_id: i64,
    pub community: String,
    pub requester: i64,
    /// JSON: column → value asked.
    pub changes: String,
    pub reason: String,
    pub state: String,
    pub asked_at: i64,
    pub decided_at: Option<i64>,
    pub answer: Option<String>,
}

const CORRECTION: &str =
    "SELECT id, person_id, community, requester, changes, reason, state, asked_at, \
     decided_at, answer FROM registry_corrections";

fn correction_row(r: &sqlx::any::AnyRow) -> Result<CorrectionRow> {
    Ok(CorrectionRow {
        id: r.try_get("id")?,
        person_id: r.try_get("person_id")?,
        community: r.try_get("community")?,
        requester: r.try_get("requester")?,
        changes: r.try_get("changes")?,
        reason: r.try_get("reason")?,
        state: r.try_get("state")?,
        asked_at: r.try_get("asked_at")?,
        decided_at: r.try_get("decided_at")?,
        answer: r.try_get("answer")?,
    })
}

/// A resident's request for a correction, open.
pub async fn insert_correction(
    conn: &mut AnyConnection,
    person_id: i64,
    community: &str,
    requester: i64,
    changes: &str,
    reason: &str,
    now: i64,
) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO registry_corrections (person_id, community, requester, changes, reason, state, asked_at) \
         VALUES ($1, $2, $3, $4, $5, 'open', $6) RETURNING id",
    )
    .bind(person_id)
    .bind(community.to_string())
    .bind(requester)
    .bind(changes.to_string())
    .bind(reason.to_string())
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    Ok(r.try_get("id")?)
}

pub async fn correction(conn: &mut AnyConnection, id: i64) -> Result<Option<CorrectionRow>> {
    let sql = format!("{CORRECTION} WHERE id = $1");
    match sqlx::query(&sql)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
    {
        Some(r) => Ok(Some(correction_row(&r)?)),
        None => Ok(None),
    }
}

/// The open requests, oldest first, at most `limit`.
pub async fn open_corrections(conn: &mut AnyConnection, limit: i64) -> Result<Vec<CorrectionRow>> {
    let sql = format!("{CORRECTION} WHERE state = 'open' ORDER BY id LIMIT $1");
    sqlx::query(&sql)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(correction_row)
        .collect()
}

/// A person's requests, newest first.
pub async fn corrections_of(
    conn: &mut AnyConnection,
    person_id: i64,
) -> Result<Vec<CorrectionRow>> {
    let sql = format!("{CORRECTION} WHERE person_id = $1 ORDER BY id DESC");
    sqlx::query(&sql)
        .bind(person_id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(correction_row)
        .collect()
}

/// Answer an open request; false if it was answered already.
pub async fn decide_correction(
    conn: &mut AnyConnection,
    id: i64,
    state: &str,
    by: i64,
    answer: &str,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE registry_corrections SET state = $1, decided_by = $2, decided_at = $3, answer = $4 \
         WHERE id = $5 AND state = 'open'",
    )
    .bind(state.to_string())
    .bind(by)
    .bind(now)
    .bind(answer.to_string())
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A person's blocking keys, replacing those they had.
pub async fn set_blocks(conn: &mut AnyConnection, person: i64, keys: &[u64]) -> Result<()> {
    sqlx::query("DELETE FROM registry_blocks WHERE person_id = $1")
        .bind(person)
        .execute(&mut *conn)
        .await?;
    for k in keys {
        sqlx::query(
            "INSERT INTO registry_blocks (key, person_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(*k as i64)
        .bind(person)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// How many persons hold a blocking key.
pub async fn block_size(conn: &mut AnyConnection, key: u64) -> Result<i64> {
    let r = sqlx::query("SELECT COUNT(*) AS n FROM registry_blocks WHERE key = $1")
        .bind(key as i64)
        .fetch_one(&mut *conn)
        .await?;
    Ok(r.try_get("n")?)
}

/// The most records one arrival is compared with.
const MOST_MATES: i64 = 5000;

/// The persons (not merged away) who share a block with `keys`, but `person`.
pub async fn block_mates(
    conn: &mut AnyConnection,
    keys: &[u64],
    person: i64,
) -> Result<Vec<(i64, Person)>> {
    if keys.is_empty() {
        return Ok(vec![]);
    }
    let list = placeholders(3, keys.len());
    let sql = format!(
        "{PERSON} WHERE p.merged_into IS NULL AND p.id <> $1 AND p.id IN \
         (SELECT person_id FROM registry_blocks WHERE key IN ({list}) LIMIT $2)"
    );
    let mut q = sqlx::query(&sql).bind(person).bind(MOST_MATES);
    for k in keys {
        q = q.bind(*k as i64);
    }
    q.fetch_all(&mut *conn)
        .await?
        .iter()
        .map(person_row)
        .collect()
}

/// A candidate pair as kept.
#[derive(Debug, Clone)]
pub struct PairRow {
    pub id: i64,
    pub district: String,
    pub a: i64,
    pub b: i64,
    pub score: f64,
    /// JSON of the field-by-field comparison.
    pub comparison: String,
    /// `open`, `merged` or `apart`.
    pub state: String,
    pub found_at: i64,
    pub decided_at: Option<i64>,
}

const PAIR: &str =
    "SELECT id, district, a, b, score, comparison, state, found_at, decided_at FROM registry_pairs";

fn pair_row(r: &sqlx::any::AnyRow) -> Result<PairRow> {
    Ok(PairRow {
        id: r.try_get("id")?,
        district: r.try_get("district")?,
        a: r.try_get("a")?,
        b: r.try_get("b")?,
        score: r.try_get("score")?,
        comparison: r.try_get("comparison")?,
        state: r.try_get("state")?,
        found_at: r.try_get("found_at")?,
        decided_at: r.try_get("decided_at")?,
    })
}

/// A pair found, open for review, unless the two were paired before
/// (whatever became of it).
pub async fn insert_pair(
    conn: &mut AnyConnection,
    district: &str,
    a: i64,
    b: i64,
    score: f64,
    comparison: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO registry_pairs (district, a, b, score, comparison, state, found_at) \
         VALUES ($1, $2, $3, $4, $5, 'open', $6) ON CONFLICT (a, b) DO NOTHING",
    )
    .bind(district.to_string())
    .bind(a.min(b))
    .bind(a.max(b))
    .bind(score)
    .bind(comparison.to_string())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A district's pairs in a state, the highest score first (the latest
/// decided first for decided ones).
pub async fn pairs(
    conn: &mut AnyConnection,
    district: &str,
    state: &str,
    limit: i64,
) -> Result<Vec<PairRow>> {
    let order = if state == "open" {
        "score DESC, id"
    } else {
        "decided_at DESC, id DESC"
    };
    let sql = format!("{PAIR} WHERE district = $1 AND state = $2 ORDER BY {order} LIMIT $3");
    sqlx::query(&sql)
        .bind(district.to_string())
        .bind(state.to_string())
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(pair_row)
        .collect()
}

pub async fn pair(conn: &mut AnyConnection, id: i64) -> Result<Option<PairRow>> {
    let sql = format!("{PAIR} WHERE id = $1");
    match sqlx::query(&sql)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
    {
        Some(r) => Ok(Some(pair_row(&r)?)),
        None => Ok(None),
    }
}

/// Move a pair from state `from` to `to`; false if it was not in `from`.
pub async fn set_pair_state(
    conn: &mut AnyConnection,
    id: i64,
    from: &str,
    to: &str,
    by: i64,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE registry_pairs SET state = $1, decided_by = $2, decided_at = $3 WHERE id = $4 AND state = $5",
    )
    .bind(to.to_string())
    .bind(by)
    .bind(now)
    .bind(id)
    .bind(from.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether a record has been merged into another.
pub async fn merged_into(conn: &mut AnyConnection, person: i64) -> Result<Option<i64>> {
    let r = sqlx::query("SELECT merged_into FROM registry_persons WHERE id = $1")
        .bind(person)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(match r {
        Some(r) => r.try_get("merged_into")?,
        None => None,
    })
}

/// Record `from` as the same person as `into` (`None`: undo it).
pub async fn set_merged(
    conn: &mut AnyConnection,
    from: i64,
    into: Option<i64>,
    now: i64,
) -> Result<()> {
    sqlx::query("UPDATE registry_persons SET merged_into = $1, updated_at = $2 WHERE id = $3")
        .bind(into)
        .bind(now)
        .bind(from)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Every person of a district not merged away, by id.
pub async fn persons_of_district(
    conn: &mut AnyConnection,
    district: &str,
) -> Result<Vec<(i64, Person)>> {
    let sql = format!("{PERSON} WHERE p.district = $1 AND p.merged_into IS NULL ORDER BY p.id");
    sqlx::query(&sql)
        .bind(district.to_string())
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(person_row)
        .collect()
}

/// How many pairs a district has had found, whatever became of them.
pub async fn pair_count(conn: &mut AnyConnection, district: &str) -> Result<i64> {
    let r = sqlx::query("SELECT COUNT(*) AS n FROM registry_pairs WHERE district = $1")
        .bind(district.to_string())
        .fetch_one(&mut *conn)
        .await?;
    Ok(r.try_get("n")?)
}

/// Every person of a community not merged away, by id.
pub async fn persons_of_community(
    conn: &mut AnyConnection,
    community: &str,
) -> Result<Vec<(i64, Person)>> {
    let sql = format!("{PERSON} WHERE p.community = $1 AND p.merged_into IS NULL ORDER BY p.id");
    sqlx::query(&sql)
        .bind(community.to_string())
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(person_row)
        .collect()
}

pub mod named_reads;
pub mod standard;
