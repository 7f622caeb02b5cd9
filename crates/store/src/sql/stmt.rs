//! Statements with their values, and the two traits a backend implements to
//! run them: [`SqlConn`] (bind the values, execute) and [`SqlRow`] (read a
//! column). The shared code names no sqlx database type, so it needs none of
//! sqlx's per-database trait bounds.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use serde::de::DeserializeOwned;
use uuid::Uuid;

/// A value to bind, typed as the column it goes to. Times stay times here;
/// each backend stores them its own way.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    Uuid(Option<Uuid>),
    Text(Option<String>),
    I32(i32),
    I64(i64),
    Time(Option<DateTime<Utc>>),
    Json(serde_json::Value),
    Bool(bool),
    Bytes(Vec<u8>),
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Bytes(v)
    }
}

impl From<Uuid> for Value {
    fn from(v: Uuid) -> Self {
        Value::Uuid(Some(v))
    }
}

impl From<Option<Uuid>> for Value {
    fn from(v: Option<Uuid>) -> Self {
        Value::Uuid(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(Some(v.to_owned()))
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(Some(v))
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(Some(v.clone()))
    }
}

impl From<&Option<String>> for Value {
    fn from(v: &Option<String>) -> Self {
        Value::Text(v.clone())
    }
}

impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Self {
        Value::Text(v)
    }
}

impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::I32(v)
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::I64(v)
    }
}

impl From<DateTime<Utc>> for Value {
    fn from(v: DateTime<Utc>) -> Self {
        Value::Time(Some(v))
    }
}

impl From<Option<DateTime<Utc>>> for Value {
    fn from(v: Option<DateTime<Utc>>) -> Self {
        Value::Time(v)
    }
}

impl From<serde_json::Value> for Value {
    fn from(v: serde_json::Value) -> Self {
        Value::Json(v)
    }
}

/// One SQL statement and the values of its `$N` placeholders, in order.
/// Both backends accept `$N`, so one text serves both.
#[derive(Debug, Clone)]
pub(crate) struct Stmt {
    text: Cow<'static, str>,
    values: Vec<Value>,
}

/// A statement whose text already holds its placeholders (`$1`, `$2`...);
/// [`Stmt::bind`] their values in order.
pub(crate) fn sql(text: impl Into<Cow<'static, str>>) -> Stmt {
    Stmt { text: text.into(), values: Vec::new() }
}

impl Stmt {
    /// The value of the next placeholder already in the text.
    pub(crate) fn bind(mut self, value: impl Into<Value>) -> Self {
        self.values.push(value.into());
        self
    }

    /// Append text to a statement being built.
    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.text.to_mut().push_str(text);
        self
    }

    /// Append a placeholder and its value.
    pub(crate) fn push_bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.values.push(value.into());
        let n = self.values.len();
        self.text.to_mut().push_str(&format!("${n}"));
        self
    }

    /// Append `$a, $b, ...`, one placeholder per value.
    pub(crate) fn push_list<V: Into<Value>>(
        &mut self,
        values: impl IntoIterator<Item = V>,
    ) -> &mut Self {
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.push_bind(value);
        }
        self
    }

    /// The text and the values, for a backend to bind and run.
    pub(crate) fn into_parts(self) -> (Cow<'static, str>, Vec<Value>) {
        (self.text, self.values)
    }

    pub(crate) async fn execute<C: SqlConn + ?Sized>(
        self,
        conn: &mut C,
    ) -> Result<u64, sqlx::Error> {
        conn.execute(self).await
    }

    pub(crate) async fn fetch_all<C: SqlConn + ?Sized>(
        self,
        conn: &mut C,
    ) -> Result<Vec<C::Row>, sqlx::Error> {
        conn.fetch_all(self).await
    }

    pub(crate) async fn fetch_optional<C: SqlConn + ?Sized>(
        self,
        conn: &mut C,
    ) -> Result<Option<C::Row>, sqlx::Error> {
        conn.fetch_optional(self).await
    }

    /// The first row; `RowNotFound` when there is none.
    pub(crate) async fn fetch_one<C: SqlConn + ?Sized>(
        self,
        conn: &mut C,
    ) -> Result<C::Row, sqlx::Error> {
        conn.fetch_optional(self).await?.ok_or(sqlx::Error::RowNotFound)
    }
}

/// A connection of one backend: binds a statement's values (times as that
/// backend stores them) and runs it.
pub(crate) trait SqlConn: Send {
    type Row: SqlRow;

    /// Run a statement; the number of rows it changed.
    fn execute(&mut self, stmt: Stmt) -> BoxFuture<'_, Result<u64, sqlx::Error>>;
    fn fetch_all(&mut self, stmt: Stmt) -> BoxFuture<'_, Result<Vec<Self::Row>, sqlx::Error>>;
    fn fetch_optional(
        &mut self,
        stmt: Stmt,
    ) -> BoxFuture<'_, Result<Option<Self::Row>, sqlx::Error>>;
}

/// A result row of one backend, read column by column (times as that
/// backend stores them).
pub(crate) trait SqlRow: Send + Sync + 'static {
    fn uuid(&self, col: &str) -> Result<Uuid, sqlx::Error>;
    fn opt_uuid(&self, col: &str) -> Result<Option<Uuid>, sqlx::Error>;
    fn text(&self, col: &str) -> Result<String, sqlx::Error>;
    fn opt_text(&self, col: &str) -> Result<Option<String>, sqlx::Error>;
    fn i32(&self, col: &str) -> Result<i32, sqlx::Error>;
    fn i64(&self, col: &str) -> Result<i64, sqlx::Error>;
    fn time(&self, col: &str) -> Result<DateTime<Utc>, sqlx::Error>;
    fn opt_time(&self, col: &str) -> Result<Option<DateTime<Utc>>, sqlx::Error>;
    fn json<T: DeserializeOwned>(&self, col: &str) -> Result<T, sqlx::Error>;
    fn bool(&self, col: &str) -> Result<bool, sqlx::Error>;
    fn bytes(&self, col: &str) -> Result<Vec<u8>, sqlx::Error>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pushed_placeholders_follow_the_bound_ones() {
        let mut stmt = sql("SELECT 1 FROM t WHERE a = $1").bind(1i64);
        stmt.push(" AND b IN (").push_list(["x", "y"]).push(") LIMIT ").push_bind(2i64);
        let (text, values) = stmt.into_parts();
        assert_eq!(text, "SELECT 1 FROM t WHERE a = $1 AND b IN ($2, $3) LIMIT $4");
        assert_eq!(values.len(), 4);
    }
}
