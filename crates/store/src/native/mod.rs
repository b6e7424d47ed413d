//! The writer's SQLite connection, native: SQLite called on the writer's own
//! thread, statements prepared once and kept.
//!
//! sqlx's SQLite driver runs each connection on a thread of its own and
//! hands every statement to it and its rows back: two thread wake-ups a
//! statement, which cost more than the statement itself on a small machine.
//! The group-commit writer runs whole batches of commands one statement
//! after another, so for it those wake-ups were most of the work. This
//! module is a driver for sqlx's `Any` connection (scheme `sqlite-native:`)
//! over rusqlite, which runs each statement as a plain function call on the
//! calling thread; the store's SQL is the same for every connection, the
//! writer's included. Durability is set by the writer when it connects: WAL
//! with `synchronous = NORMAL`, and the log synced by `logsync` before a
//! caller hears that its batch committed.
//!
//! Only the writer uses it, through `Any`: results are `AnyRow`s whose
//! values carry SQLite's own types (integer, real, text, blob, null), as
//! sqlx's driver gives them. `describe` (for compile-time checked queries)
//! is not offered.

use std::borrow::Cow;
use std::collections::HashMap as StdHashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use rusqlite::types::{ToSqlOutput, Value as SqlValue, ValueRef as SqlValueRef};
use rusqlite::{OpenFlags, ToSql};
use sqlx_core::any::driver::AnyDriver;
use sqlx_core::any::{
    Any, AnyArguments, AnyColumn, AnyConnectOptions, AnyConnectionBackend, AnyQueryResult, AnyRow,
    AnyStatement, AnyTypeInfo, AnyTypeInfoKind, AnyValueKind,
};
use sqlx_core::arguments::Arguments;
use sqlx_core::column::{Column, ColumnIndex};
use sqlx_core::connection::{ConnectOptions, Connection};
use sqlx_core::database::Database;
use sqlx_core::describe::Describe;
use sqlx_core::encode::Encode;
use sqlx_core::error::{BoxDynError, DatabaseError, ErrorKind};
use sqlx_core::ext::ustr::UStr;
use sqlx_core::row::Row;
use sqlx_core::statement::Statement;
use sqlx_core::transaction::{Transaction, TransactionManager};
use sqlx_core::types::Type;
use sqlx_core::value::{Value, ValueRef};
use sqlx_core::{Either, Error, HashMap};

mod types;
pub use types::{
    NativeArguments, NativeColumn, NativeRow, NativeStatement, NativeValue, NativeValueRef,
};

/// The `Any` driver of the native connection.
pub const DRIVER: AnyDriver = AnyDriver::without_migrate::<NativeSqlite>();

/// The URL scheme the writer connects with.
pub const SCHEME: &str = "sqlite-native";

/// Statements each connection keeps prepared.
const PREPARED: usize = 256;

#[derive(Debug)]
pub struct NativeSqlite;

impl Database for NativeSqlite {
    type Connection = NativeConnection;
    type TransactionManager = NativeTransactions;
    type Row = NativeRow;
    type QueryResult = AnyQueryResult;
    type Column = NativeColumn;
    type TypeInfo = AnyTypeInfo;
    type Value = NativeValue;
    type ValueRef<'r> = NativeValueRef<'r>;
    type Arguments<'q> = NativeArguments<'q>;
    type ArgumentBuffer<'q> = Vec<AnyValueKind<'q>>;
    type Statement<'q> = NativeStatement<'q>;
    const NAME: &'static str = "SQLite (native)";
    const URL_SCHEMES: &'static [&'static str] = &[SCHEME];
}

/// Where the database file is: `sqlite-native://PATH?mode=rwc` (or `rw`),
/// the path as in sqlx's SQLite URLs.
#[derive(Debug, Clone)]
pub struct NativeOptions {
    path: String,
    create: bool,
}

impl NativeOptions {
    fn parse(url: &str) -> Result<NativeOptions, Error> {
        let bad = |why: &str| Error::Configuration(format!("{url}: {why}").into());
        let rest = url
            .strip_prefix(SCHEME)
            .and_then(|r| r.strip_prefix(':'))
            .ok_or_else(|| bad("not a sqlite-native URL"))?;
        let rest = rest.strip_prefix("//").unwrap_or(rest);
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let path = sqlx_core::percent_encoding::percent_decode_str(path)
            .decode_utf8()
            .map_err(|_| bad("the path is not UTF-8"))?
            .to_string();
        if path.is_empty() || path.starts_with(':') {
            return Err(bad("the writer needs a database file"));
        }
        let mut create = false;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("mode", "rwc")) => create = true,
                Some(("mode", "rw")) => create = false,
                _ => return Err(bad(&format!("unknown parameter {pair}"))),
            }
        }
        Ok(NativeOptions { path, create })
    }
}

impl NativeOptions {
    /// The database file.
    pub fn path(&self) -> &std::path::Path {
        std::path::Path::new(&self.path)
    }
}

impl FromStr for NativeOptions {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        NativeOptions::parse(s)
    }
}

impl<'a> TryFrom<&'a AnyConnectOptions> for NativeOptions {
    type Error = Error;
    fn try_from(o: &'a AnyConnectOptions) -> Result<Self, Error> {
        NativeOptions::parse(o.database_url.as_str())
    }
}

impl ConnectOptions for NativeOptions {
    type Connection = NativeConnection;

    fn from_url(url: &sqlx_core::Url) -> Result<Self, Error> {
        NativeOptions::parse(url.as_str())
    }

    fn connect(&self) -> BoxFuture<'_, Result<NativeConnection, Error>> {
        Box::pin(async move { NativeConnection::open(self) })
    }

    fn log_statements(self, _level: log::LevelFilter) -> Self {
        self
    }

    fn log_slow_statements(self, _level: log::LevelFilter, _duration: std::time::Duration) -> Self {
        self
    }
}

/// What a statement's rows are called, kept with the statement's text.
struct Shape {
    names: Arc<HashMap<UStr, usize>>,
    columns: Vec<AnyColumn>,
    /// For each parameter (1-based, in SQLite's order), the argument it
    /// takes: `$3` the third, a bare `?` the next.
    params: Result<Vec<usize>, String>,
}

pub struct NativeConnection {
    conn: rusqlite::Connection,
    /// Transactions opened through sqlx's API (not `BEGIN` run as SQL).
    depth: usize,
    shapes: StdHashMap<String, Arc<Shape>>,
    /// Texts of several statements, split into one each.
    parts: StdHashMap<String, Arc<Vec<String>>>,
}

impl fmt::Debug for NativeConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NativeConnection")
            .field("depth", &self.depth)
            .finish()
    }
}

/// One statement's rows and what it changed.
type Outcome = Vec<Either<AnyQueryResult, AnyRow>>;

impl NativeConnection {
    fn open(o: &NativeOptions) -> Result<NativeConnection, Error> {
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        if o.create {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        let conn = rusqlite::Connection::open_with_flags(&o.path, flags).map_err(db_error)?;
        conn.set_prepared_statement_cache_capacity(PREPARED);
        Ok(NativeConnection {
            conn,
            depth: 0,
            shapes: StdHashMap::new(),
            parts: StdHashMap::new(),
        })
    }

    /// Run `sql` (one statement or several) with `args` bound by number
    /// (`$1`, `?1`) or in order (`?`): every row of every statement, each
    /// statement's changes after its rows.
    fn run(&mut self, sql: &str, args: Option<&AnyArguments<'_>>) -> Result<Outcome, Error> {
        let args: &[AnyValueKind<'_>] = args.map_or(&[], |a| a.values.0.as_slice());
        let mut out = Vec::new();
        if let Some(parts) = self.parts.get(sql).cloned() {
            for part in parts.iter() {
                let mut stmt = self.conn.prepare_cached(part).map_err(db_error)?;
                let shape = shape_of(&mut self.shapes, part, &stmt);
                step(&self.conn, &mut stmt, &shape, args, &mut out)?;
            }
        } else if several(sql) {
            // Several statements (`RELEASE SAVEPOINT a; SAVEPOINT a`): each
            // is prepared once the one before it has run; without
            // parameters, the split is kept and each part prepared and kept
            // like any other statement.
            let mut texts = Vec::new();
            let mut batch = rusqlite::Batch::new(&self.conn, sql);
            while let Some(mut stmt) = batch.next().map_err(db_error)? {
                texts.push(
                    (stmt.parameter_count() == 0)
                        .then(|| stmt.expanded_sql())
                        .flatten(),
                );
                let shape = shape_fresh(&stmt);
                step(&self.conn, &mut stmt, &shape, args, &mut out)?;
            }
            if let Some(texts) = texts.into_iter().collect::<Option<Vec<String>>>() {
                self.parts.insert(sql.to_string(), Arc::new(texts));
            }
        } else {
            let mut stmt = self.conn.prepare_cached(sql).map_err(db_error)?;
            let shape = shape_of(&mut self.shapes, sql, &stmt);
            step(&self.conn, &mut stmt, &shape, args, &mut out)?;
        }
        Ok(out)
    }

    fn exec(&mut self, sql: &str) -> Result<(), Error> {
        self.conn.execute_batch(sql).map_err(db_error)
    }

    fn begin_now(&mut self, statement: Option<Cow<'static, str>>) -> Result<(), Error> {
        let sql = match (self.depth, statement) {
            (0, Some(s)) => s.into_owned(),
            (0, None) => "BEGIN".to_string(),
            (d, _) => format!("SAVEPOINT _sqlx_savepoint_{d}"),
        };
        self.exec(&sql)?;
        self.depth += 1;
        Ok(())
    }

    fn commit_now(&mut self) -> Result<(), Error> {
        let sql = match self.depth {
            0 => return Ok(()),
            1 => "COMMIT".to_string(),
            d => format!("RELEASE SAVEPOINT _sqlx_savepoint_{}", d - 1),
        };
        self.exec(&sql)?;
        self.depth -= 1;
        Ok(())
    }

    fn rollback_now(&mut self) -> Result<(), Error> {
        let sql = match self.depth {
            0 => return Ok(()),
            1 => "ROLLBACK".to_string(),
            d => format!(
                "ROLLBACK TO SAVEPOINT _sqlx_savepoint_{n}; RELEASE SAVEPOINT _sqlx_savepoint_{n}",
                n = d - 1
            ),
        };
        self.exec(&sql)?;
        self.depth -= 1;
        Ok(())
    }
}

/// Whether `sql` may hold more than one statement (a `;` before its end).
fn several(sql: &str) -> bool {
    sql.trim_end().trim_end_matches(';').contains(';')
}

/// The shape of a cached statement's rows, made once.
fn shape_of(
    shapes: &mut StdHashMap<String, Arc<Shape>>,
    sql: &str,
    stmt: &rusqlite::Statement<'_>,
) -> Arc<Shape> {
    if let Some(s) = shapes.get(sql) {
        return s.clone();
    }
    let s = Arc::new(shape_fresh(stmt));
    shapes.insert(sql.to_string(), s.clone());
    s
}

fn shape_fresh(stmt: &rusqlite::Statement<'_>) -> Shape {
    let mut names = HashMap::new();
    let mut columns = Vec::with_capacity(stmt.column_count());
    for (ordinal, name) in stmt.column_names().into_iter().enumerate() {
        let name = UStr::new(name);
        names.insert(name.clone(), ordinal);
        columns.push(AnyColumn {
            ordinal,
            name,
            type_info: AnyTypeInfo {
                kind: AnyTypeInfoKind::Null,
            },
        });
    }
    let params = (1..=stmt.parameter_count())
        .map(|i| match stmt.parameter_name(i) {
            Some(name) => name[1..]
                .parse::<usize>()
                .map_err(|_| format!("parameter {name}: only numbered parameters are bound")),
            None => Ok(i),
        })
        .collect();
    Shape {
        names: Arc::new(names),
        columns,
        params,
    }
}

/// Bind, step through the rows, and record the changes.
fn step(
    conn: &rusqlite::Connection,
    stmt: &mut rusqlite::Statement<'_>,
    shape: &Shape,
    args: &[AnyValueKind<'_>],
    out: &mut Outcome,
) -> Result<(), Error> {
    let params = shape
        .params
        .as_ref()
        .map_err(|e| Error::Protocol(e.clone()))?;
    for (i, &n) in params.iter().enumerate() {
        let i = i + 1;
        let value = args
            .get(n.wrapping_sub(1))
            .ok_or_else(|| Error::Protocol(format!("no argument for parameter {n}")))?;
        stmt.raw_bind_parameter(i, Arg(value)).map_err(db_error)?;
    }
    let readonly = stmt.readonly();
    let width = stmt.column_count();
    let mut rows = stmt.raw_query();
    while let Some(row) = rows.next().map_err(db_error)? {
        let mut values = Vec::with_capacity(width);
        for i in 0..width {
            values.push(sqlx_core::any::AnyValue {
                kind: value_of(row.get_ref(i).map_err(db_error)?)?,
            });
        }
        out.push(Either::Right(AnyRow {
            column_names: shape.names.clone(),
            columns: shape.columns.clone(),
            values,
        }));
    }
    drop(rows);
    out.push(Either::Left(AnyQueryResult {
        rows_affected: if readonly { 0 } else { conn.changes() },
        last_insert_id: Some(conn.last_insert_rowid()),
    }));
    Ok(())
}

/// A value as sqlx's SQLite driver gives it through `Any`: by its storage class.
fn value_of(v: SqlValueRef<'_>) -> Result<AnyValueKind<'static>, Error> {
    Ok(match v {
        SqlValueRef::Null => AnyValueKind::Null(AnyTypeInfoKind::Null),
        SqlValueRef::Integer(i) => AnyValueKind::BigInt(i),
        SqlValueRef::Real(f) => AnyValueKind::Double(f),
        SqlValueRef::Text(t) => AnyValueKind::Text(Cow::Owned(
            std::str::from_utf8(t)
                .map_err(|e| Error::Decode(Box::new(e)))?
                .to_string(),
        )),
        SqlValueRef::Blob(b) => AnyValueKind::Blob(Cow::Owned(b.to_vec())),
    })
}

/// An argument bound without copying its text or bytes.
struct Arg<'a, 'q>(&'a AnyValueKind<'q>);

impl ToSql for Arg<'_, '_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self.0 {
            AnyValueKind::Null(_) => ToSqlOutput::Owned(SqlValue::Null),
            AnyValueKind::Bool(b) => ToSqlOutput::Owned(SqlValue::Integer(i64::from(*b))),
            AnyValueKind::SmallInt(i) => ToSqlOutput::Owned(SqlValue::Integer(i64::from(*i))),
            AnyValueKind::Integer(i) => ToSqlOutput::Owned(SqlValue::Integer(i64::from(*i))),
            AnyValueKind::BigInt(i) => ToSqlOutput::Owned(SqlValue::Integer(*i)),
            AnyValueKind::Real(f) => ToSqlOutput::Owned(SqlValue::Real(f64::from(*f))),
            AnyValueKind::Double(f) => ToSqlOutput::Owned(SqlValue::Real(*f)),
            AnyValueKind::Text(t) => ToSqlOutput::Borrowed(SqlValueRef::Text(t.as_bytes())),
            AnyValueKind::Blob(b) => ToSqlOutput::Borrowed(SqlValueRef::Blob(b)),
            // `AnyValueKind` may grow; a kind this driver does not know is refused.
            #[allow(unreachable_patterns)]
            _ => {
                return Err(rusqlite::Error::ToSqlConversionFailure(
                    "an argument of a kind the native driver does not know".into(),
                ))
            }
        })
    }
}

/// SQLite's refusal, with its extended code, as sqlx's driver reports it.
#[derive(Debug)]
pub struct NativeDbError {
    message: String,
    code: i32,
}

impl fmt::Display for NativeDbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "(code: {}) {}", self.code, self.message)
    }
}

impl std::error::Error for NativeDbError {}

impl DatabaseError for NativeDbError {
    fn message(&self) -> &str {
        &self.message
    }
    fn code(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Owned(self.code.to_string()))
    }
    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }
    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }
    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }
    fn kind(&self) -> ErrorKind {
        use rusqlite::ffi;
        match self.code {
            ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                ErrorKind::UniqueViolation
            }
            ffi::SQLITE_CONSTRAINT_FOREIGNKEY => ErrorKind::ForeignKeyViolation,
            ffi::SQLITE_CONSTRAINT_NOTNULL => ErrorKind::NotNullViolation,
            ffi::SQLITE_CONSTRAINT_CHECK => ErrorKind::CheckViolation,
            _ => ErrorKind::Other,
        }
    }
}

fn db_error(e: rusqlite::Error) -> Error {
    match e {
        rusqlite::Error::SqliteFailure(f, message) => Error::Database(Box::new(NativeDbError {
            message: message.unwrap_or_else(|| f.to_string()),
            code: f.extended_code,
        })),
        other => Error::Protocol(other.to_string()),
    }
}

impl AnyConnectionBackend for NativeConnection {
    fn name(&self) -> &str {
        NativeSqlite::NAME
    }

    fn close(self: Box<Self>) -> BoxFuture<'static, sqlx_core::Result<()>> {
        let result = self.conn.close().map_err(|(_, e)| db_error(e));
        Box::pin(async move { result })
    }

    fn close_hard(self: Box<Self>) -> BoxFuture<'static, sqlx_core::Result<()>> {
        drop(self);
        Box::pin(async { Ok(()) })
    }

    fn ping(&mut self) -> BoxFuture<'_, sqlx_core::Result<()>> {
        let result = self.exec("SELECT 1");
        Box::pin(async move { result })
    }

    fn begin(
        &mut self,
        statement: Option<Cow<'static, str>>,
    ) -> BoxFuture<'_, sqlx_core::Result<()>> {
        let result = self.begin_now(statement);
        Box::pin(async move { result })
    }

    fn commit(&mut self) -> BoxFuture<'_, sqlx_core::Result<()>> {
        let result = self.commit_now();
        Box::pin(async move { result })
    }

    fn rollback(&mut self) -> BoxFuture<'_, sqlx_core::Result<()>> {
        let result = self.rollback_now();
        Box::pin(async move { result })
    }

    fn start_rollback(&mut self) {
        if let Err(e) = self.rollback_now() {
            tracing::warn!(error = %e, "rolling back on drop failed");
        }
    }

    fn get_transaction_depth(&self) -> usize {
        self.depth
    }

    fn cached_statements_size(&self) -> usize {
        self.shapes.len()
    }

    fn shrink_buffers(&mut self) {}

    fn flush(&mut self) -> BoxFuture<'_, sqlx_core::Result<()>> {
        Box::pin(async { Ok(()) })
    }

    fn should_flush(&self) -> bool {
        false
    }

    fn fetch_many<'q>(
        &'q mut self,
        query: &'q str,
        _persistent: bool,
        arguments: Option<AnyArguments<'q>>,
    ) -> BoxStream<'q, sqlx_core::Result<Either<AnyQueryResult, AnyRow>>> {
        let items: Vec<sqlx_core::Result<_>> = match self.run(query, arguments.as_ref()) {
            Ok(out) => out.into_iter().map(Ok).collect(),
            Err(e) => vec![Err(e)],
        };
        Box::pin(futures_util::stream::iter(items))
    }

    fn fetch_optional<'q>(
        &'q mut self,
        query: &'q str,
        _persistent: bool,
        arguments: Option<AnyArguments<'q>>,
    ) -> BoxFuture<'q, sqlx_core::Result<Option<AnyRow>>> {
        let result = self.run(query, arguments.as_ref()).map(|out| {
            out.into_iter().find_map(|item| match item {
                Either::Right(row) => Some(row),
                Either::Left(_) => None,
            })
        });
        Box::pin(async move { result })
    }

    fn prepare_with<'c, 'q: 'c>(
        &'c mut self,
        sql: &'q str,
        _parameters: &[AnyTypeInfo],
    ) -> BoxFuture<'c, sqlx_core::Result<AnyStatement<'q>>> {
        let result = self.conn.prepare(sql).map_err(db_error).map(|stmt| {
            let shape = shape_fresh(&stmt);
            AnyStatement {
                sql: Cow::Borrowed(sql),
                parameters: Some(Either::Right(stmt.parameter_count())),
                column_names: shape.names,
                columns: shape.columns,
            }
        });
        Box::pin(async move { result })
    }

    fn describe<'q>(
        &'q mut self,
        _sql: &'q str,
    ) -> BoxFuture<'q, sqlx_core::Result<Describe<Any>>> {
        Box::pin(async {
            Err(Error::Protocol(
                "the native writer connection does not describe statements".into(),
            ))
        })
    }
}

impl Connection for NativeConnection {
    type Database = NativeSqlite;
    type Options = NativeOptions;

    fn close(self) -> BoxFuture<'static, Result<(), Error>> {
        AnyConnectionBackend::close(Box::new(self))
    }

    fn close_hard(self) -> BoxFuture<'static, Result<(), Error>> {
        AnyConnectionBackend::close_hard(Box::new(self))
    }

    fn ping(&mut self) -> BoxFuture<'_, Result<(), Error>> {
        AnyConnectionBackend::ping(self)
    }

    fn begin(&mut self) -> BoxFuture<'_, Result<Transaction<'_, NativeSqlite>, Error>> {
        Transaction::begin(self, None)
    }

    fn shrink_buffers(&mut self) {}

    fn flush(&mut self) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(async { Ok(()) })
    }

    fn should_flush(&self) -> bool {
        false
    }
}

pub struct NativeTransactions;

impl TransactionManager for NativeTransactions {
    type Database = NativeSqlite;

    fn begin<'conn>(
        conn: &'conn mut NativeConnection,
        statement: Option<Cow<'static, str>>,
    ) -> BoxFuture<'conn, Result<(), Error>> {
        AnyConnectionBackend::begin(conn, statement)
    }

    fn commit(conn: &mut NativeConnection) -> BoxFuture<'_, Result<(), Error>> {
        AnyConnectionBackend::commit(conn)
    }

    fn rollback(conn: &mut NativeConnection) -> BoxFuture<'_, Result<(), Error>> {
        AnyConnectionBackend::rollback(conn)
    }

    fn start_rollback(conn: &mut NativeConnection) {
        AnyConnectionBackend::start_rollback(conn)
    }

    fn get_transaction_depth(conn: &NativeConnection) -> usize {
        conn.depth
    }
}

#[cfg(test)]
mod tests;
