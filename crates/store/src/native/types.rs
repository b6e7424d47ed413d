//! The rows, columns, values, arguments and statements of the native
//! driver, as sqlx's `Database` asks for them.

use super::*;

/// A row of the native driver used directly (the writer reads `AnyRow`s).
pub struct NativeRow {
    columns: Vec<NativeColumn>,
    values: Vec<NativeValue>,
}

impl Row for NativeRow {
    type Database = NativeSqlite;

    fn columns(&self) -> &[NativeColumn] {
        &self.columns
    }

    fn try_get_raw<I>(&self, index: I) -> Result<NativeValueRef<'_>, Error>
    where
        I: ColumnIndex<Self>,
    {
        let i = index.index(self)?;
        self.values
            .get(i)
            .map(|v| NativeValueRef(&v.0))
            .ok_or(Error::ColumnIndexOutOfBounds {
                index: i,
                len: self.values.len(),
            })
    }
}

impl ColumnIndex<NativeRow> for usize {
    fn index(&self, row: &NativeRow) -> Result<usize, Error> {
        (*self < row.values.len())
            .then_some(*self)
            .ok_or(Error::ColumnIndexOutOfBounds {
                index: *self,
                len: row.values.len(),
            })
    }
}

impl ColumnIndex<NativeRow> for &'_ str {
    fn index(&self, row: &NativeRow) -> Result<usize, Error> {
        row.columns
            .iter()
            .position(|c| c.name == *self)
            .ok_or_else(|| Error::ColumnNotFound(self.to_string()))
    }
}

#[derive(Debug, Clone)]
pub struct NativeColumn {
    ordinal: usize,
    name: String,
    type_info: AnyTypeInfo,
}

impl Column for NativeColumn {
    type Database = NativeSqlite;
    fn ordinal(&self) -> usize {
        self.ordinal
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn type_info(&self) -> &AnyTypeInfo {
        &self.type_info
    }
}

#[derive(Debug, Clone)]
pub struct NativeValue(AnyValueKind<'static>);

impl Value for NativeValue {
    type Database = NativeSqlite;
    fn as_ref(&self) -> NativeValueRef<'_> {
        NativeValueRef(&self.0)
    }
    fn type_info(&self) -> Cow<'_, AnyTypeInfo> {
        Cow::Owned(type_of(&self.0))
    }
    fn is_null(&self) -> bool {
        matches!(self.0, AnyValueKind::Null(_))
    }
}

pub struct NativeValueRef<'r>(&'r AnyValueKind<'static>);

impl<'r> ValueRef<'r> for NativeValueRef<'r> {
    type Database = NativeSqlite;
    fn to_owned(&self) -> NativeValue {
        NativeValue(self.0.clone())
    }
    fn type_info(&self) -> Cow<'_, AnyTypeInfo> {
        Cow::Owned(type_of(self.0))
    }
    fn is_null(&self) -> bool {
        matches!(self.0, AnyValueKind::Null(_))
    }
}

/// The type of a value, by its kind.
fn type_of(v: &AnyValueKind<'_>) -> AnyTypeInfo {
    let kind = match v {
        AnyValueKind::Null(k) => *k,
        AnyValueKind::Bool(_) => AnyTypeInfoKind::Bool,
        AnyValueKind::SmallInt(_) => AnyTypeInfoKind::SmallInt,
        AnyValueKind::Integer(_) => AnyTypeInfoKind::Integer,
        AnyValueKind::BigInt(_) => AnyTypeInfoKind::BigInt,
        AnyValueKind::Real(_) => AnyTypeInfoKind::Real,
        AnyValueKind::Double(_) => AnyTypeInfoKind::Double,
        AnyValueKind::Text(_) => AnyTypeInfoKind::Text,
        AnyValueKind::Blob(_) => AnyTypeInfoKind::Blob,
        #[allow(unreachable_patterns)]
        _ => AnyTypeInfoKind::Null,
    };
    AnyTypeInfo { kind }
}

#[derive(Default)]
pub struct NativeArguments<'q>(Vec<AnyValueKind<'q>>);

impl<'q> Arguments<'q> for NativeArguments<'q> {
    type Database = NativeSqlite;

    fn reserve(&mut self, additional: usize, _size: usize) {
        self.0.reserve(additional);
    }

    fn add<T>(&mut self, value: T) -> Result<(), BoxDynError>
    where
        T: 'q + Encode<'q, NativeSqlite> + Type<NativeSqlite>,
    {
        let before = self.0.len();
        let null = value.encode(&mut self.0)?;
        if null.is_null() && self.0.len() == before {
            self.0.push(AnyValueKind::Null(AnyTypeInfoKind::Null));
        }
        Ok(())
    }

    fn len(&self) -> usize {
        self.0.len()
    }
}

pub struct NativeStatement<'q> {
    sql: Cow<'q, str>,
    parameters: usize,
    columns: Vec<NativeColumn>,
}

impl<'q> Statement<'q> for NativeStatement<'q> {
    type Database = NativeSqlite;

    fn to_owned(&self) -> NativeStatement<'static> {
        NativeStatement {
            sql: Cow::Owned(self.sql.to_string()),
            parameters: self.parameters,
            columns: self.columns.clone(),
        }
    }

    fn sql(&self) -> &str {
        &self.sql
    }

    fn parameters(&self) -> Option<Either<&[AnyTypeInfo], usize>> {
        Some(Either::Right(self.parameters))
    }

    fn columns(&self) -> &[NativeColumn] {
        &self.columns
    }

    sqlx_core::impl_statement_query!(NativeArguments<'_>);
}

impl ColumnIndex<NativeStatement<'_>> for &'_ str {
    fn index(&self, statement: &NativeStatement<'_>) -> Result<usize, Error> {
        statement
            .columns
            .iter()
            .position(|c| c.name == *self)
            .ok_or_else(|| Error::ColumnNotFound(self.to_string()))
    }
}

impl ColumnIndex<NativeStatement<'_>> for usize {
    fn index(&self, statement: &NativeStatement<'_>) -> Result<usize, Error> {
        (*self < statement.columns.len())
            .then_some(*self)
            .ok_or(Error::ColumnIndexOutOfBounds {
                index: *self,
                len: statement.columns.len(),
            })
    }
}
