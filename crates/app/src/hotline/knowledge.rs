//! The knowledge base operators answer from.

use super::ArticleRow;
use crate::journal_entry::entry;
use crate::{App, Result};
use serde_json::json;
use std::collections::BTreeMap;
use sunshine_domain::hotline::knowledge;
use sunshine_domain::identity::Actor;
use sunshine_domain::policy::Action;
use sunshine_domain::refusal::Refusal;
use sunshine_store::hotline::knowledge as kb;
use sunshine_store::WriteTx;

/// An article of the knowledge base as written by an operator.
#[derive(Debug, Clone, Default)]
pub struct NewArticle {
    pub title: String,
    pub body: String,
    pub category: Option<String>,
}

impl App {
    /// Write an article (`id` 0 for a new one) as an operator or an
    /// administrator of the hotline: its words are indexed in the same
    /// transaction, and the change is journaled.
    pub async fn put_article(&self, actor: &Actor, id: i64, a: NewArticle) -> Result<ArticleRow> {
        if self
            .authorize_centre(actor, crate::CentreWork::OperateHotline)
            .is_err()
        {
            self.authorize(actor, &Action::ManageHotline)?;
        }
        let (title, body) = (a.title.trim().to_string(), a.body.trim().to_string());
        knowledge::check_article(&knowledge::Article {
            title: &title,
            body: &body,
        })?;
        let category = a
            .category
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty());
        if let Some(c) = &category {
            if !self.all_categories().await?.contains_key(c) {
                return Err(
                    Refusal::field("category", "没有这个服务类别", "No such service").into(),
                );
            }
        }
        let words = knowledge::article_terms(&knowledge::Article {
            title: &title,
            body: &body,
        });
        let mut row = kb::ArticleRow {
            id,
            title,
            body,
            category,
            length: i64::from(words.values().sum::<u32>()),
            version: 0,
            updated_at: self.now_micros(),
        };
        let actor = actor.clone();
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<kb::ArticleRow> {
                let Some((id, version)) = kb::put_article(tx.conn(), &row, &words).await? else {
                    return Err(Refusal::not_found("知识库条目", "Article").into());
                };
                (row.id, row.version) = (id, version);
                let payload =
                    json!({"title": row.title, "category": row.category, "version": version});
                tx.journal(
                    row.updated_at,
                    entry(
                        &actor,
                        format!("knowledge/{id}"),
                        "hotline.article_put",
                        payload,
                    ),
                )
                .await?;
                Ok(row)
            })
            .await
            .map(Into::into)
    }

    /// Articles answering a question, best first, each with its score:
    /// the question is cut into words and ranked by BM25 over the index.
    pub async fn search_knowledge(
        &self,
        question: &str,
        limit: usize,
    ) -> Result<Vec<(ArticleRow, f64)>> {
        let query = knowledge::terms(question);
        let words: Vec<String> = query.keys().take(32).cloned().collect();
        let mut conn = self.db.read().await?;
        let m = kb::matches(&mut conn, &words).await?;
        let postings = m
            .postings
            .into_iter()
            .map(|(id, (tf, length))| (id, knowledge::Postings { tf, length }))
            .collect();
        let ranked = knowledge::rank(&query, &postings, &m.df, m.articles, m.average_length);
        let top: Vec<(i64, f64)> = ranked.into_iter().take(limit).collect();
        let ids: Vec<i64> = top.iter().map(|(id, _)| *id).collect();
        let mut found: BTreeMap<i64, kb::ArticleRow> = kb::articles(&mut conn, &ids)
            .await?
            .into_iter()
            .map(|a| (a.id, a))
            .collect();
        Ok(top
            .into_iter()
            .filter_map(|(id, score)| found.remove(&id).map(|a| (a.into(), score)))
            .collect())
    }

    pub async fn article(&self, id: i64) -> Result<ArticleRow> {
        let mut conn = self.db.read().await?;
        kb::article(&mut conn, id)
            .await?
            .map(Into::into)
            .ok_or_else(|| Refusal::not_found("知识库条目", "Article").into())
    }
}
