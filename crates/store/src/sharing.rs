//! Resource sharing as kept: the catalogue's resources and their rows,
//! subscriptions, access keys and the read log. Enterprise basic
//! information is in [`enterprise`].

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::Result;

pub mod enterprise;

/// The row `sql` finds by `$1 = id`, read by `of`.
async fn one<T>(
    conn: &mut AnyConnection,
    sql: String,
    id: i64,
    of: fn(&AnyRow) -> Result<T>,
) -> Result<Option<T>> {
    sqlx::query(&sql)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(of)
        .transpose()
}

/// The rows `sql` finds (by `$1 = id` when given), read by `of`.
async fn all<T>(
    conn: &mut AnyConnection,
    sql: String,
    id: Option<i64>,
    of: fn(&AnyRow) -> Result<T>,
) -> Result<Vec<T>> {
    let mut q = sqlx::query(&sql);
    if let Some(id) = id {
        q = q.bind(id);
    }
    q.fetch_all(&mut *conn).await?.iter().map(of).collect()
}

/// A resource's catalogue entry; `fields` is JSON.
#[derive(Debug, Clone)]
pub struct ResourceRow {
    pub id: i64,
    pub owner: String,
    pub name: String,
    pub description: String,
    pub fields: String,
    pub cycle: String,
    pub class: String,
    pub basis: String,
    pub source: String,
    pub row_count: i64,
    pub data_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What a new or changed resource says.
#[derive(Debug, Clone)]
pub struct ResourceEntry<'a> {
    pub owner: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    pub fields: &'a str,
    pub cycle: &'a str,
    pub class: &'a str,
    pub basis: &'a str,
}

const RESOURCE: &str =
    "SELECT id, owner, name, description, fields, update_cycle, class, basis, source, \
     row_count, data_at, created_at, updated_at FROM sharing_resources";

fn resource_of(r: &AnyRow) -> Result<ResourceRow> {
    Ok(ResourceRow {
        id: r.try_get("id")?,
        owner: r.try_get("owner")?,
        name: r.try_get("name")?,
        description: r.try_get("description")?,
        fields: r.try_get("fields")?,
        cycle: r.try_get("update_cycle")?,
        class: r.try_get("class")?,
        basis: r.try_get("basis")?,
        source: r.try_get("source")?,
        row_count: r.try_get("row_count")?,
        data_at: r.try_get("data_at")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// A new resource whose rows come from `source`.
pub async fn insert_resource(
    conn: &mut AnyConnection,
    e: &ResourceEntry<'_>,
    source: &str,
    by: i64,
    at: i64,
) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO sharing_resources (owner, name, description, fields, update_cycle, class, basis, \
         source, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) \
         RETURNING id",
    )
    .bind(e.owner.to_string())
    .bind(e.name.to_string())
    .bind(e.description.to_string())
    .bind(e.fields.to_string())
    .bind(e.cycle.to_string())
    .bind(e.class.to_string())
    .bind(e.basis.to_string())
    .bind(source.to_string())
    .bind(by)
    .bind(at)
    .fetch_one(&mut *conn)
    .await?;
    Ok(r.try_get("id")?)
}

/// A resource's entry as its owner changed it (the owner stays).
pub async fn update_resource(
    conn: &mut AnyConnection,
    id: i64,
    e: &ResourceEntry<'_>,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE sharing_resources SET name = $2, description = $3, fields = $4, update_cycle = $5, \
         class = $6, basis = $7, updated_at = $8 WHERE id = $1",
    )
    .bind(id)
    .bind(e.name.to_string())
    .bind(e.description.to_string())
    .bind(e.fields.to_string())
    .bind(e.cycle.to_string())
    .bind(e.class.to_string())
    .bind(e.basis.to_string())
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn resource(conn: &mut AnyConnection, id: i64) -> Result<Option<ResourceRow>> {
    one(conn, format!("{RESOURCE} WHERE id = $1"), id, resource_of).await
}

/// The resource of enterprise basic information, once set up.
pub async fn enterprise_resource(conn: &mut AnyConnection) -> Result<Option<ResourceRow>> {
    Ok(all(
        conn,
        format!("{RESOURCE} WHERE source = 'enterprise'"),
        None,
        resource_of,
    )
    .await?
    .pop())
}

/// Every resource, by owner and name.
pub async fn resources(conn: &mut AnyConnection) -> Result<Vec<ResourceRow>> {
    all(
        conn,
        format!("{RESOURCE} ORDER BY owner, name"),
        None,
        resource_of,
    )
    .await
}

/// Replace a resource's rows with `rows` (JSON objects).
pub async fn replace_rows(
    conn: &mut AnyConnection,
    id: i64,
    rows: &[String],
    at: i64,
) -> Result<()> {
    sqlx::query("DELETE FROM sharing_rows WHERE resource_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for (seq, data) in rows.iter().enumerate() {
        sqlx::query("INSERT INTO sharing_rows (resource_id, seq, data) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(seq as i64)
            .bind(data.clone())
            .execute(&mut *conn)
            .await?;
    }
    set_row_count(conn, id, rows.len() as i64, at).await
}

/// How many rows a resource has, and when its data last changed.
pub async fn set_row_count(conn: &mut AnyConnection, id: i64, count: i64, at: i64) -> Result<()> {
    sqlx::query("UPDATE sharing_resources SET row_count = $2, data_at = $3 WHERE id = $1")
        .bind(id)
        .bind(count)
        .bind(at)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A page of a resource's published rows, in order.
pub async fn rows(
    conn: &mut AnyConnection,
    id: i64,
    offset: i64,
    limit: i64,
) -> Result<Vec<String>> {
    sqlx::query(
        "SELECT data FROM sharing_rows WHERE resource_id = $1 ORDER BY seq LIMIT $2 OFFSET $3",
    )
    .bind(id)
    .bind(limit)
    .bind(offset)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| Ok(r.try_get("data")?))
    .collect()
}

/// A subscription as kept; `fields` is JSON.
#[derive(Debug, Clone)]
pub struct SubscriptionRow {
    pub id: i64,
    pub resource_id: i64,
    pub subscriber: String,
    pub fields: String,
    pub purpose: String,
    pub basis: String,
    pub state: String,
    pub asked_by: i64,
    pub asked_at: i64,
    pub decided_by: Option<i64>,
    pub decided_at: Option<i64>,
    pub decision: String,
    pub revoked_by: Option<i64>,
    pub revoked_at: Option<i64>,
    pub revocation: String,
}

const SUBSCRIPTION: &str = "SELECT id, resource_id, subscriber, fields, purpose, basis, state, asked_by, \
     asked_at, decided_by, decided_at, decision, revoked_by, revoked_at, revocation FROM sharing_subscriptions";

fn subscription_of(r: &AnyRow) -> Result<SubscriptionRow> {
    Ok(SubscriptionRow {
        id: r.try_get("id")?,
        resource_id: r.try_get("resource_id")?,
        subscriber: r.try_get("subscriber")?,
        fields: r.try_get("fields")?,
        purpose: r.try_get("purpose")?,
        basis: r.try_get("basis")?,
        state: r.try_get("state")?,
        asked_by: r.try_get("asked_by")?,
        asked_at: r.try_get("asked_at")?,
        decided_by: r.try_get("decided_by")?,
        decided_at: r.try_get("decided_at")?,
        decision: r.try_get("decision")?,
        revoked_by: r.try_get("revoked_by")?,
        revoked_at: r.try_get("revoked_at")?,
        revocation: r.try_get("revocation")?,
    })
}

/// A new subscription, in the state its resource's class opens it in.
#[allow(clippy::too_many_arguments)]
pub async fn insert_subscription(
    conn: &mut AnyConnection,
    resource_id: i64,
    subscriber: &str,
    fields: &str,
    purpose: &str,
    basis: &str,
    state: &str,
    by: i64,
    at: i64,
) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO sharing_subscriptions (resource_id, subscriber, fields, purpose, basis, state, \
         asked_by, asked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(resource_id)
    .bind(subscriber.to_string())
    .bind(fields.to_string())
    .bind(purpose.to_string())
    .bind(basis.to_string())
    .bind(state.to_string())
    .bind(by)
    .bind(at)
    .fetch_one(&mut *conn)
    .await?;
    Ok(r.try_get("id")?)
}

pub async fn subscription(conn: &mut AnyConnection, id: i64) -> Result<Option<SubscriptionRow>> {
    one(
        conn,
        format!("{SUBSCRIPTION} WHERE id = $1"),
        id,
        subscription_of,
    )
    .await
}

/// Every subscription, newest first.
pub async fn subscriptions(conn: &mut AnyConnection) -> Result<Vec<SubscriptionRow>> {
    all(
        conn,
        format!("{SUBSCRIPTION} ORDER BY id DESC"),
        None,
        subscription_of,
    )
    .await
}

/// A resource's subscriptions, newest first.
pub async fn subscriptions_of(
    conn: &mut AnyConnection,
    resource_id: i64,
) -> Result<Vec<SubscriptionRow>> {
    all(
        conn,
        format!("{SUBSCRIPTION} WHERE resource_id = $1 ORDER BY id DESC"),
        Some(resource_id),
        subscription_of,
    )
    .await
}

/// Which step of a subscription's life a change records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The owner approved or refused it.
    Decision,
    /// One side revoked it.
    Revocation,
}

/// A subscription's new state, with who took the step, when and why.
pub async fn step(
    conn: &mut AnyConnection,
    id: i64,
    step: Step,
    state: &str,
    by: i64,
    at: i64,
    reason: &str,
) -> Result<()> {
    let sql = match step {
        Step::Decision => {
            "UPDATE sharing_subscriptions SET state = $2, decided_by = $3, decided_at = $4, \
             decision = $5 WHERE id = $1"
        }
        Step::Revocation => {
            "UPDATE sharing_subscriptions SET state = $2, revoked_by = $3, revoked_at = $4, \
             revocation = $5 WHERE id = $1"
        }
    };
    sqlx::query(sql)
        .bind(id)
        .bind(state.to_string())
        .bind(by)
        .bind(at)
        .bind(reason.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// An access key, without its secret.
#[derive(Debug, Clone)]
pub struct KeyRow {
    pub id: i64,
    pub subscription_id: i64,
    pub name: String,
    pub created_by: i64,
    pub created_at: i64,
    pub revoked_by: Option<i64>,
    pub revoked_at: Option<i64>,
}

const KEY: &str =
    "SELECT id, subscription_id, name, created_by, created_at, revoked_by, revoked_at \
     FROM sharing_keys";

fn key_of(r: &AnyRow) -> Result<KeyRow> {
    Ok(KeyRow {
        id: r.try_get("id")?,
        subscription_id: r.try_get("subscription_id")?,
        name: r.try_get("name")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        revoked_by: r.try_get("revoked_by")?,
        revoked_at: r.try_get("revoked_at")?,
    })
}

pub async fn insert_key(
    conn: &mut AnyConnection,
    subscription_id: i64,
    name: &str,
    secret_hash: &str,
    by: i64,
    at: i64,
) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO sharing_keys (subscription_id, name, secret_hash, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(subscription_id)
    .bind(name.to_string())
    .bind(secret_hash.to_string())
    .bind(by)
    .bind(at)
    .fetch_one(&mut *conn)
    .await?;
    Ok(r.try_get("id")?)
}

pub async fn key(conn: &mut AnyConnection, id: i64) -> Result<Option<KeyRow>> {
    one(conn, format!("{KEY} WHERE id = $1"), id, key_of).await
}

/// The key whose secret hashes to `hash`.
pub async fn key_by_hash(conn: &mut AnyConnection, hash: &str) -> Result<Option<KeyRow>> {
    sqlx::query(&format!("{KEY} WHERE secret_hash = $1"))
        .bind(hash.to_string())
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(key_of)
        .transpose()
}

/// A subscription's keys, newest first.
pub async fn keys_of(conn: &mut AnyConnection, subscription_id: i64) -> Result<Vec<KeyRow>> {
    all(
        conn,
        format!("{KEY} WHERE subscription_id = $1 ORDER BY id DESC"),
        Some(subscription_id),
        key_of,
    )
    .await
}

pub async fn revoke_key(conn: &mut AnyConnection, id: i64, by: i64, at: i64) -> Result<()> {
    sqlx::query("UPDATE sharing_keys SET revoked_by = $2, revoked_at = $3 WHERE id = $1")
        .bind(id)
        .bind(by)
        .bind(at)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// One read through a key.
#[derive(Debug, Clone)]
pub struct ReadRow {
    pub id: i64,
    pub subscription_id: i64,
    pub key_id: i64,
    pub at: i64,
    pub row_count: i64,
    pub client: String,
    pub outcome: String,
}

pub async fn insert_read(conn: &mut AnyConnection, r: &ReadRow) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO sharing_reads (subscription_id, key_id, at, row_count, client, outcome) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(r.subscription_id)
    .bind(r.key_id)
    .bind(r.at)
    .bind(r.row_count)
    .bind(r.client.clone())
    .bind(r.outcome.clone())
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get("id")?)
}

/// A subscription's reads, newest first, before `before` when given.
pub async fn reads_of(
    conn: &mut AnyConnection,
    subscription_id: i64,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<ReadRow>> {
    sqlx::query(
        "SELECT id, subscription_id, key_id, at, row_count, client, outcome FROM sharing_reads \
         WHERE subscription_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
    )
    .bind(subscription_id)
    .bind(before.unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok(ReadRow {
            id: r.try_get("id")?,
            subscription_id: r.try_get("subscription_id")?,
            key_id: r.try_get("key_id")?,
            at: r.try_get("at")?,
            row_count: r.try_get("row_count")?,
            client: r.try_get("client")?,
            outcome: r.try_get("outcome")?,
        })
    })
    .collect()
}

/// Tries to read a resource with a key that is nobody's, counted by the
/// client that tried and the hour it tried in.
#[derive(Debug, Clone)]
pub struct UnknownKeyRow {
    pub client: String,
    /// The hour's start (microseconds, UTC).
    pub hour: i64,
    pub attempts: i64,
    pub last_at: i64,
}

/// Count one try to read `resource_id` with an unknown key.
pub async fn note_unknown_key(
    conn: &mut AnyConnection,
    resource_id: i64,
    client: &str,
    hour: i64,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO sharing_unknown_keys (resource_id, client, hour, attempts, last_at) \
         VALUES ($1, $2, $3, 1, $4) \
         ON CONFLICT (resource_id, hour, client) \
         DO UPDATE SET attempts = sharing_unknown_keys.attempts + 1, last_at = excluded.last_at",
    )
    .bind(resource_id)
    .bind(client)
    .bind(hour)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The counts of tries on `resource_id` with unknown keys, at most
/// `limit`, the latest hour first.
pub async fn unknown_keys_of(
    conn: &mut AnyConnection,
    resource_id: i64,
    limit: i64,
) -> Result<Vec<UnknownKeyRow>> {
    sqlx::query(
        "SELECT client, hour, attempts, last_at FROM sharing_unknown_keys \
         WHERE resource_id = $1 ORDER BY hour DESC, last_at DESC LIMIT $2",
    )
    .bind(resource_id)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok(UnknownKeyRow {
            client: r.try_get("client")?,
            hour: r.try_get("hour")?,
            attempts: r.try_get("attempts")?,
            last_at: r.try_get("last_at")?,
        })
    })
    .collect()
}
