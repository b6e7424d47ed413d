//! The SQL of a PostgreSQL backup through pgBackRest: what the running
//! server says of itself, a named restore point with the schema's rows
//! counted exactly at it, and the checks run on a restored copy.

use std::collections::BTreeMap;

use sqlx::{AnyConnection, Connection, Executor, Row};

use crate::Result;

/// Open one plain connection (not a [`crate::Db`]: no writer, no pool).
pub async fn connect(url: &str) -> Result<AnyConnection> {
    crate::db::install_drivers();
    Ok(AnyConnection::connect(url).await?)
}

/// Close a connection from [`connect`], telling the server.
pub async fn close(conn: AnyConnection) {
    let _ = conn.close().await;
}

/// The URL of a database reached through a unix socket in `socket_dir`.
pub fn socket_url(socket_dir: &std::path::Path, port: u16, user: &str, database: &str) -> String {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!(
        "postgres://{}@localhost:{port}/{}?host={}",
        enc(user),
        enc(database),
        enc(&socket_dir.display().to_string())
    )
}

/// What pgBackRest needs to know of a running server, and how its WAL is archived.
#[derive(Debug, Clone)]
pub struct ServerFacts {
    pub data_directory: String,
    pub config_file: String,
    pub port: u16,
    /// `unix_socket_directories`, as set (comma-separated).
    pub socket_directories: String,
    pub wal_level: String,
    pub archive_mode: String,
    pub archive_command: String,
    /// The major version (`15`).
    pub major: String,
    pub user: String,
    pub database: String,
    pub schema: String,
}

pub async fn server_facts(conn: &mut AnyConnection) -> Result<ServerFacts> {
    let row = sqlx::query(
        "SELECT current_setting('data_directory') AS data_directory,
                current_setting('config_file') AS config_file,
                current_setting('port') AS port,
                current_setting('unix_socket_directories') AS sockets,
                current_setting('wal_level') AS wal_level,
                current_setting('archive_mode') AS archive_mode,
                current_setting('archive_command') AS archive_command,
                (current_setting('server_version_num')::int / 10000)::text AS major,
                current_user::text AS usr,
                current_database()::text AS db,
                current_schema()::text AS schema",
    )
    .fetch_one(&mut *conn)
    .await?;
    let port: String = row.try_get("port")?;
    Ok(ServerFacts {
        data_directory: row.try_get("data_directory")?,
        config_file: row.try_get("config_file")?,
        port: port
            .parse()
            .map_err(|_| crate::StoreError::Corrupt(format!("port {port:?} is not a number")))?,
        socket_directories: row.try_get("sockets")?,
        wal_level: row.try_get("wal_level")?,
        archive_mode: row.try_get("archive_mode")?,
        archive_command: row.try_get("archive_command")?,
        major: row.try_get("major")?,
        user: row.try_get("usr")?,
        database: row.try_get("db")?,
        schema: row.try_get("schema")?,
    })
}

/// A named restore point, and the schema as it stood there.
#[derive(Debug, Clone)]
pub struct RestorePoint {
    pub name: String,
    pub lsn: String,
    /// The server's clock at the restore point, UTC microseconds.
    pub at: i64,
    pub row_counts: BTreeMap<String, i64>,
    pub journal_head: Option<(i64, String)>,
}

/// Create the restore point `name` with every table of the current schema
/// held in SHARE mode: no write commits between the counting and the point,
/// so the counts are exactly what a recovery to the point finds. Writers
/// wait for as long as the counting takes.
pub async fn restore_point(conn: &mut AnyConnection, name: &str) -> Result<RestorePoint> {
    let mut tx = conn.begin().await?;
    tx.execute("SET LOCAL lock_timeout = '60s'").await?;
    let schema: String = sqlx::query_scalar("SELECT current_schema()::text")
        .fetch_one(&mut *tx)
        .await?;
    let tables = tables(&mut tx, &schema).await?;
    if !tables.is_empty() {
        let list: Vec<&str> = tables.iter().map(|(_, q)| q.as_str()).collect();
        tx.execute(format!("LOCK TABLE {} IN SHARE MODE", list.join(", ")).as_str())
            .await?;
    }
    let (row_counts, journal_head) = counts(&mut tx, &tables).await?;
    let row = sqlx::query(
        "SELECT pg_create_restore_point($1)::text AS lsn,
                (extract(epoch FROM clock_timestamp()) * 1000000)::bigint AS at",
    )
    .bind(name)
    .fetch_one(&mut *tx)
    .await?;
    let point = RestorePoint {
        name: name.to_string(),
        lsn: row.try_get("lsn")?,
        at: row.try_get("at")?,
        row_counts,
        journal_head,
    };
    tx.commit().await?;
    Ok(point)
}

/// Rows per table of `schema` and the journal's last entry, as the
/// connection sees them now.
pub async fn facts(
    conn: &mut AnyConnection,
    schema: &str,
) -> Result<(BTreeMap<String, i64>, Option<(i64, String)>)> {
    let tables = tables(conn, schema).await?;
    counts(conn, &tables).await
}

/// The tables of `schema`: (name, name quoted with its schema).
async fn tables(conn: &mut AnyConnection, schema: &str) -> Result<Vec<(String, String)>> {
    let rows = sqlx::query(
        "SELECT tablename::text AS name, format('%I.%I', schemaname, tablename) AS quoted
         FROM pg_tables WHERE schemaname = $1 ORDER BY tablename",
    )
    .bind(schema)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("name")?, r.try_get("quoted")?)))
        .collect()
}

async fn counts(
    conn: &mut AnyConnection,
    tables: &[(String, String)],
) -> Result<(BTreeMap<String, i64>, Option<(i64, String)>)> {
    let mut counts = BTreeMap::new();
    let mut journal = None;
    for (name, quoted) in tables {
        let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {quoted}"))
            .fetch_one(&mut *conn)
            .await?;
        counts.insert(name.clone(), n);
        if name == "journal" {
            journal = Some(quoted);
        }
    }
    let head = match journal {
        Some(quoted) => {
            sqlx::query_as::<_, (i64, String)>(&format!(
                "SELECT seq, hash FROM {quoted} ORDER BY seq DESC LIMIT 1"
            ))
            .fetch_optional(&mut *conn)
            .await?
        }
        None => None,
    };
    Ok((counts, head))
}

/// Whether the server is still recovering (not yet promoted).
pub async fn in_recovery(conn: &mut AnyConnection) -> Result<bool> {
    let r: bool = sqlx::query_scalar("SELECT pg_is_in_recovery()")
        .fetch_one(&mut *conn)
        .await?;
    Ok(r)
}

/// The bootstrap superuser's name (the role that owns the catalogue).
pub async fn superuser(conn: &mut AnyConnection) -> Result<String> {
    Ok(
        sqlx::query_scalar("SELECT rolname::text FROM pg_roles WHERE oid = 10")
            .fetch_one(&mut *conn)
            .await?,
    )
}

/// amcheck's `bt_index_check` (with every heap tuple looked up) on each
/// btree index of `schema`, as a superuser: how many were checked, or the
/// first index found wrong and what amcheck said of it.
pub async fn check_btree_indexes(
    conn: &mut AnyConnection,
    schema: &str,
) -> Result<std::result::Result<usize, (String, String)>> {
    conn.execute("CREATE EXTENSION IF NOT EXISTS amcheck")
        .await?;
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT format('%I.%I', n.nspname, c.relname)
         FROM pg_index i
         JOIN pg_class c ON c.oid = i.indexrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_am am ON am.oid = c.relam
         WHERE am.amname = 'btree' AND n.nspname = $1 AND c.relpersistence <> 't'
           AND i.indisready AND i.indisvalid
         ORDER BY 1",
    )
    .bind(schema)
    .fetch_all(&mut *conn)
    .await?;
    for name in &names {
        let checked = sqlx::query("SELECT bt_index_check($1::regclass, true)::text")
            .bind(name)
            .execute(&mut *conn)
            .await;
        if let Err(e) = checked {
            let why = match e.as_database_error() {
                Some(d) => d.message().to_string(),
                None => e.to_string(),
            };
            return Ok(Err((name.clone(), why)));
        }
    }
    Ok(Ok(names.len()))
}
