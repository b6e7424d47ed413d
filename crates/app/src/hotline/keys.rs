//! The keys of the Open311 clients.

use super::KeyRow;
use crate::identity::random_token;
use crate::journal_entry::entry;
use crate::{App, Result};
use serde_json::json;
use sha2::{Digest, Sha256};
use sunshine_domain::identity::Actor;
use sunshine_domain::policy::Action;
use sunshine_domain::refusal::Refusal;
use sunshine_store::hotline as store;
use sunshine_store::WriteTx;

fn key_hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// POSTs a minute an Open311 key allows unless it is issued with another limit.
pub const DEFAULT_PER_MINUTE: i64 = 600;

impl App {
    /// Issue an Open311 client's key; the key itself is shown once and kept
    /// only as its hash. `actor` is `None` from the command line.
    pub async fn issue_open311_key(
        &self,
        actor: Option<&Actor>,
        client: &str,
        per_minute: i64,
        may_comment_on_all: bool,
    ) -> Result<(KeyRow, String)> {
        if let Some(a) = actor {
            self.authorize(a, &Action::ManageHotline)?;
        }
        if !(1..=1_000_000).contains(&per_minute) {
            return Err(Refusal::field(
                "per_minute",
                "每分钟请求数应在 1 到 1000000 之间",
                "Requests a minute are between 1 and 1,000,000",
            )
            .into());
        }
        let client = client.trim().to_string();
        if client.is_empty()
            || client.chars().count() > 80
            || !sunshine_domain::refusal::is_clean_text(&client)
        {
            return Err(Refusal::field(
                "client",
                "请填写客户端名称（不超过80字）",
                "Name the client system (at most 80 characters)",
            )
            .into());
        }
        let key = random_token();
        let hash = key_hash(&key);
        let actor = actor
            .cloned()
            .unwrap_or_else(crate::journal_entry::system_actor);
        let now = self.now_micros();
        let row = self
            .db
            .write(async move |tx: &mut WriteTx| -> Result<store::KeyRow> {
                    let id = store::insert_key(
                        tx.conn(),
                        &client,
                        &hash,
                        per_minute,
                        may_comment_on_all,
                        now,
                    )
                    .await?;
                    tx.journal(
                        now,
                        entry(
                            &actor,
                            format!("open311-key/{id}"),
                            "hotline.key_issued",
                            json!({"client": client, "per_minute": per_minute, "may_comment_on_all": may_comment_on_all}),
                        ),
                    )
                    .await?;
                    Ok(store::KeyRow {
                        id,
                        client,
                        per_minute,
                        created_at: now,
                        revoked_at: None,
                        may_comment_on_all,
                    })
                })
            .await?;
        Ok((row.into(), key))
    }

    pub async fn revoke_open311_key(&self, actor: Option<&Actor>, id: i64) -> Result<()> {
        if let Some(a) = actor {
            self.authorize(a, &Action::ManageHotline)?;
        }
        let actor = actor
            .cloned()
            .unwrap_or_else(crate::journal_entry::system_actor);
        let now = self.now_micros();
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<()> {
                if !store::revoke_key(tx.conn(), id, now).await? {
                    return Err(Refusal::not_found("密钥", "Key").into());
                }
                tx.journal(
                    now,
                    entry(
                        &actor,
                        format!("open311-key/{id}"),
                        "hotline.key_revoked",
                        json!({}),
                    ),
                )
                .await?;
                Ok(())
            })
            .await
    }

    pub async fn open311_keys(&self, actor: Option<&Actor>) -> Result<Vec<KeyRow>> {
        if let Some(a) = actor {
            self.authorize(a, &Action::ManageHotline)?;
        }
        let mut conn = self.db.read().await?;
        let list = store::keys(&mut conn).await?;
        Ok(list.into_iter().map(Into::into).collect())
    }

    /// The live key a client presents, if it is one.
    pub async fn open311_client(&self, key: &str) -> Result<Option<KeyRow>> {
        let mut conn = self.db.read().await?;
        let found = store::key_by_hash(&mut conn, &key_hash(key)).await?;
        Ok(found.map(Into::into))
    }
}
