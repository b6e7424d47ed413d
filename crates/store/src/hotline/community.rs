//! Community services around a home, and the gazetteer of places.

use sqlx::{AnyConnection, Row};
use sunshine_domain::hotline::community::{CommunityService, Place, ServiceKind};

use crate::supervision::corrupt;
use crate::Result;

pub async fn insert_service(conn: &mut AnyConnection, s: &CommunityService) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO community_services (name, kind, address, lat, lon, phone, hours, region) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(&s.name)
    .bind(s.kind.as_str())
    .bind(&s.address)
    .bind(s.lat)
    .bind(s.lon)
    .bind(&s.phone)
    .bind(&s.hours)
    .bind(&s.region)
    .fetch_one(&mut *conn)
    .await?;
    Ok(r.try_get("id")?)
}

pub async fn put_place(conn: &mut AnyConnection, p: &Place) -> Result<()> {
    sqlx::query(
        "INSERT INTO community_places (name, lat, lon) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO UPDATE SET lat = excluded.lat, lon = excluded.lon",
    )
    .bind(&p.name)
    .bind(p.lat)
    .bind(p.long)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The places whose names the address contains (the domain picks the best).
pub async fn places_in(conn: &mut AnyConnection, address: &str) -> Result<Vec<Place>> {
    // `||` and LIKE read the same on SQLite and PostgreSQL.
    let rows =
        sqlx::query("SELECT name, lat, lon FROM community_places WHERE $1 LIKE '%' || name || '%'")
            .bind(address)
            .fetch_all(&mut *conn)
            .await?;
    rows.iter()
        .map(|r| {
            Ok(Place {
                name: r.try_get("name")?,
                lat: r.try_get("lat")?,
                long: r.try_get("lon")?,
            })
        })
        .collect()
}

/// The services within a box of `deg` degrees around a point.
pub async fn services_near(
    conn: &mut AnyConnection,
    at: (f64, f64),
    deg: f64,
) -> Result<Vec<CommunityService>> {
    let rows = sqlx::query(
        "SELECT id, name, kind, address, lat, lon, phone, hours, region FROM community_services \
         WHERE lat BETWEEN $1 AND $2 AND lon BETWEEN $3 AND $4",
    )
    .bind(at.0 - deg)
    .bind(at.0 + deg)
    .bind(at.1 - deg)
    .bind(at.1 + deg)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let kind: String = r.try_get("kind")?;
            Ok(CommunityService {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                kind: ServiceKind::parse(&kind).ok_or_else(|| corrupt("service kind", &kind))?,
                address: r.try_get("address")?,
                lat: r.try_get("lat")?,
                lon: r.try_get("lon")?,
                phone: r.try_get("phone")?,
                hours: r.try_get("hours")?,
                region: r.try_get("region")?,
            })
        })
        .collect()
}
