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

/// The persons without an identity number in these households of a district.
pub async fn unnumbered_in_households(
    conn: &mut AnyConnection,
    district: &str,
    households: &[String],
) -> Result<Vec<(i64, Person)>> {
    persons_in(
        conn,
        "p.id_number IS NULL AND h.district = $1 AND h.number IN ({IN})",
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
    import_id: i64,
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
