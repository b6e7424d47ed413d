//! The knowledge base's SQL: articles and the word index they are found by
//! (`kb_terms`: word → article and count), the same on both backends.

use std::collections::{BTreeMap, HashMap};

use sqlx::{AnyConnection, Row};

use crate::Result;

/// An article of the knowledge base.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ArticleRow {
    pub id: i64,
    pub title: String,
    pub body: String,
    /// The hotline category it answers, if one.
    pub category: Option<String>,
    /// All its word occurrences, for ranking.
    pub length: i64,
    pub version: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, title, body, category, length, version, updated_at";

fn row(r: &sqlx::any::AnyRow) -> Result<ArticleRow> {
    Ok(ArticleRow {
        id: r.try_get("id")?,
        title: r.try_get("title")?,
        body: r.try_get("body")?,
        category: r.try_get("category")?,
        length: r.try_get("length")?,
        version: r.try_get("version")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// Store an article (a new one when `id` is 0, else the next version of it)
/// with its words; returns its id and version, or `None` for an unknown id.
pub async fn put_article(
    conn: &mut AnyConnection,
    a: &ArticleRow,
    words: &BTreeMap<String, u32>,
) -> Result<Option<(i64, i64)>> {
    let found = if a.id == 0 {
        let r = sqlx::query(
            "INSERT INTO kb_articles (title, body, category, length, version, updated_at) \
             VALUES ($1, $2, $3, $4, 1, $5) RETURNING id, version",
        )
        .bind(&a.title)
        .bind(&a.body)
        .bind(&a.category)
        .bind(a.length)
        .bind(a.updated_at)
        .fetch_one(&mut *conn)
        .await?;
        Some((r.try_get("id")?, r.try_get("version")?))
    } else {
        let r = sqlx::query(
            "UPDATE kb_articles SET title = $1, body = $2, category = $3, length = $4, \
             version = version + 1, updated_at = $5 WHERE id = $6 RETURNING id, version",
        )
        .bind(&a.title)
        .bind(&a.body)
        .bind(&a.category)
        .bind(a.length)
        .bind(a.updated_at)
        .bind(a.id)
        .fetch_optional(&mut *conn)
        .await?;
        match r {
            Some(r) => Some((r.try_get("id")?, r.try_get("version")?)),
            None => None,
        }
    };
    let Some((id, version)) = found else {
        return Ok(None);
    };
    sqlx::query("DELETE FROM kb_terms WHERE article_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for (term, tf) in words {
        sqlx::query("INSERT INTO kb_terms (term, article_id, tf) VALUES ($1, $2, $3)")
            .bind(term)
            .bind(id)
            .bind(i64::from(*tf))
            .execute(&mut *conn)
            .await?;
    }
    Ok(Some((id, version)))
}

pub async fn article(conn: &mut AnyConnection, id: i64) -> Result<Option<ArticleRow>> {
    let r = sqlx::query(&format!("SELECT {COLUMNS} FROM kb_articles WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    r.as_ref().map(row).transpose()
}

pub async fn articles(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<ArticleRow>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let marks: Vec<String> = (1..=ids.len()).map(|n| format!("${n}")).collect();
    let sql = format!(
        "SELECT {COLUMNS} FROM kb_articles WHERE id IN ({})",
        marks.join(", ")
    );
    let mut q = sqlx::query(&sql);
    for id in ids {
        q = q.bind(*id);
    }
    q.fetch_all(&mut *conn).await?.iter().map(row).collect()
}

/// What ranking needs for a query's words: for each article having any,
/// the count of each word and its length; each word's article count; the
/// number of articles and their mean length.
#[derive(Debug, Default)]
pub struct Matches {
    pub postings: BTreeMap<i64, (HashMap<String, u32>, u32)>,
    pub df: HashMap<String, u64>,
    pub articles: u64,
    pub average_length: f64,
}

pub async fn matches(conn: &mut AnyConnection, words: &[String]) -> Result<Matches> {
    let mut m = Matches::default();
    let totals = sqlx::query(
        "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(length), 0) AS BIGINT) AS total FROM kb_articles",
    )
    .fetch_one(&mut *conn)
    .await?;
    let n: i64 = totals.try_get("n")?;
    let total: i64 = totals.try_get("total")?;
    m.articles = u64::try_from(n).unwrap_or(0);
    m.average_length = if n > 0 { total as f64 / n as f64 } else { 1.0 };
    if words.is_empty() {
        return Ok(m);
    }
    let marks: Vec<String> = (1..=words.len()).map(|n| format!("${n}")).collect();
    let sql = format!(
        "SELECT t.term, t.article_id, t.tf, a.length FROM kb_terms t JOIN kb_articles a ON a.id = t.article_id \
         WHERE t.term IN ({})",
        marks.join(", ")
    );
    let mut q = sqlx::query(&sql);
    for w in words {
        q = q.bind(w.clone());
    }
    for r in q.fetch_all(&mut *conn).await? {
        let term: String = r.try_get("term")?;
        let id: i64 = r.try_get("article_id")?;
        let tf: i64 = r.try_get("tf")?;
        let length: i64 = r.try_get("length")?;
        *m.df.entry(term.clone()).or_default() += 1;
        let entry = m
            .postings
            .entry(id)
            .or_insert_with(|| (HashMap::new(), u32::try_from(length).unwrap_or(u32::MAX)));
        entry.0.insert(term, u32::try_from(tf).unwrap_or(u32::MAX));
    }
    Ok(m)
}
