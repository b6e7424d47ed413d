//! One-stop bundles' SQL: their configuration and their applications.

use sqlx::{AnyConnection, Row};
use sunshine_domain::bundle::{ConfiguredBundle, OneStopApplication};

use crate::{Result, StoreError};

fn bundle_row(r: &sqlx::any::AnyRow) -> Result<ConfiguredBundle> {
    let spec: String = r.try_get("spec")?;
    Ok(ConfiguredBundle {
        spec: serde_json::from_str(&spec)
            .map_err(|e| StoreError::Corrupt(format!("bundle spec: {e}")))?,
        active: r.try_get::<i64, _>("active")? != 0,
        updated_at: r.try_get("updated_at")?,
    })
}

/// Insert or replace a bundle's configuration; whether it was new.
pub async fn upsert_bundle(conn: &mut AnyConnection, b: &ConfiguredBundle) -> Result<bool> {
    let existed = get_bundle(conn, &b.spec.code).await?.is_some();
    let spec = serde_json::to_string(&b.spec).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    sqlx::query(
        "INSERT INTO bundles (code, region, spec, active, updated_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (code) DO UPDATE SET region = excluded.region, spec = excluded.spec, \
         active = excluded.active, updated_at = excluded.updated_at",
    )
    .bind(&b.spec.code)
    .bind(b.spec.region.as_str())
    .bind(spec)
    .bind(i64::from(b.active))
    .bind(b.updated_at)
    .execute(&mut *conn)
    .await?;
    Ok(!existed)
}

pub async fn get_bundle(conn: &mut AnyConnection, code: &str) -> Result<Option<ConfiguredBundle>> {
    let row = sqlx::query("SELECT spec, active, updated_at FROM bundles WHERE code = $1")
        .bind(code)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(bundle_row).transpose()
}

pub async fn list_bundles(conn: &mut AnyConnection) -> Result<Vec<ConfiguredBundle>> {
    let rows = sqlx::query("SELECT spec, active, updated_at FROM bundles ORDER BY code")
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(bundle_row).collect()
}

pub async fn insert_application(conn: &mut AnyConnection, a: &OneStopApplication) -> Result<()> {
    sqlx::query(
        "INSERT INTO bundle_applications (number, query_code, bundle_code, applicant_user, applicant_public, channel, submitted_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&a.number)
    .bind(&a.query_code)
    .bind(&a.bundle_code)
    .bind(a.applicant_user)
    .bind(&a.applicant_public)
    .bind(&a.channel)
    .bind(a.submitted_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

const COLUMNS: &str =
    "number, query_code, bundle_code, applicant_user, applicant_public, channel, submitted_at";

fn application_row(r: &sqlx::any::AnyRow) -> Result<OneStopApplication> {
    Ok(OneStopApplication {
        number: r.try_get("number")?,
        query_code: r.try_get("query_code")?,
        bundle_code: r.try_get("bundle_code")?,
        applicant_user: r.try_get("applicant_user")?,
        applicant_public: r.try_get("applicant_public")?,
        channel: r.try_get("channel")?,
        submitted_at: r.try_get("submitted_at")?,
    })
}

pub async fn application(
    conn: &mut AnyConnection,
    number: &str,
) -> Result<Option<OneStopApplication>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM bundle_applications WHERE number = $1"
    ))
    .bind(number)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(application_row).transpose()
}

pub async fn applications_of(
    conn: &mut AnyConnection,
    user_id: i64,
    limit: i64,
) -> Result<Vec<OneStopApplication>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM bundle_applications WHERE applicant_user = $1 ORDER BY submitted_at DESC, number DESC LIMIT $2"
    ))
    .bind(user_id)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(application_row).collect()
}
