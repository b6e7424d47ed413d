//! The native driver's URLs, and its statements through sqlx's `Any`.

use super::*;

mod urls {
    use super::*;

    #[test]
    fn urls_name_a_file_to_write() {
        let o =
            NativeOptions::parse("sqlite-native:///tmp/a%20b/sunshine.db?mode=rwc").expect("ok");
        assert_eq!((o.path.as_str(), o.create), ("/tmp/a b/sunshine.db", true));
        let o = NativeOptions::parse("sqlite-native://data/s.db").expect("ok");
        assert_eq!((o.path.as_str(), o.create), ("data/s.db", false));
        assert!(NativeOptions::parse("sqlite-native::memory:").is_err());
        assert!(NativeOptions::parse("sqlite://x.db").is_err());
        assert!(NativeOptions::parse("sqlite-native://x.db?cache=shared").is_err());
    }
}

#[cfg(test)]
mod through_any {
    use sqlx::{Connection, Executor, Row};

    /// The writer's way of working, through sqlx's `Any` connection: a
    /// transaction of savepoints, numbered parameters out of order,
    /// RETURNING, a refused unique key, a rollback to a savepoint.
    #[tokio::test]
    async fn the_writers_statements_run_and_report_as_sqlxs_driver_does() {
        crate::db::install_drivers();
        let dir = std::env::temp_dir().join(format!("sunshine-native-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let url = format!("sqlite-native://{}?mode=rwc", dir.join("t.db").display());
        let mut c = sqlx::AnyConnection::connect(&url).await.expect("connect");
        c.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, n INTEGER, r REAL, b BLOB)")
            .await
            .expect("set up");
        c.execute("BEGIN IMMEDIATE").await.expect("begin");
        c.execute("SAVEPOINT command").await.expect("savepoint");
        let row = sqlx::query(
            "INSERT INTO t (n, name, r) VALUES ($2, $1, $3) RETURNING id, name, n, r, b",
        )
        .bind("一")
        .bind(7_i64)
        .bind(1.5_f64)
        .fetch_one(&mut c)
        .await
        .expect("insert");
        assert_eq!(row.get::<String, _>("name"), "一");
        assert_eq!(row.get::<i64, _>("n"), 7);
        assert_eq!(row.get::<f64, _>("r"), 1.5);
        assert_eq!(row.get::<Option<Vec<u8>>, _>("b"), None);
        c.execute("RELEASE SAVEPOINT command; SAVEPOINT command")
            .await
            .expect("next");
        let err = sqlx::query("INSERT INTO t (name) VALUES ($1)")
            .bind("一")
            .execute(&mut c)
            .await
            .expect_err("a taken name");
        assert!(
            err.as_database_error()
                .is_some_and(|d| d.is_unique_violation()),
            "{err}"
        );
        c.execute("ROLLBACK TO SAVEPOINT command")
            .await
            .expect("rollback to");
        let done = sqlx::query("UPDATE t SET n = n + $1 WHERE name = $2")
            .bind(1_i64)
            .bind("一")
            .execute(&mut c)
            .await
            .expect("update");
        assert_eq!(done.rows_affected(), 1);
        c.execute("COMMIT").await.expect("commit");
        let n: i64 = sqlx::query("SELECT n FROM t WHERE name = $1")
            .bind("一")
            .fetch_one(&mut c)
            .await
            .expect("read")
            .get("n");
        assert_eq!(n, 8);
        let none = sqlx::query("SELECT n FROM t WHERE name = $1")
            .bind("二")
            .fetch_optional(&mut c)
            .await
            .expect("read");
        assert!(none.is_none());
        c.close().await.expect("close");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
