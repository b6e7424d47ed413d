//! The two-level platform's use cases: which platform this is, its key as
//! published, the peers it trusts, the outbox signed for the messaging
//! engine, the messages that arrive applied once and in order, and the
//! message log and the city's view of the districts' cases for staff.
//!
//! The engine itself (NATS JetStream) is the `sunshine-exchange` crate's:
//! it carries what [`App::outgoing`] gives it and hands what arrives to
//! [`App::receive`], acknowledging only what this says is done.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use serde_json::json;
use sha2::{Digest, Sha256};
use sunshine_domain::exchange::{
    self as rules, admit, Admit, Application, Flow, Message, Platform, Refused,
};
use sunshine_domain::hall::{Case, CaseFacts};
use sunshine_domain::identity::{Actor, OrgKind};
use sunshine_domain::licence::public_key_hex;
use sunshine_domain::policy::Action;
use sunshine_domain::refusal::{is_clean_text, Refusal};
use sunshine_store::exchange as store;
use sunshine_store::WriteTx;

use crate::journal_entry::entry;
use crate::{App, AppError, Result};

use store::LogLine;

/// One line of the message log, for staff.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct MessageLine {
    pub id: i64,
    /// Microseconds since the Unix epoch, UTC.
    pub at: i64,
    /// `sent` or `received`.
    pub direction: String,
    pub flow: String,
    /// The entry's platform-qualified id, e.g. `district:330106/1234`.
    pub msg_id: String,
    /// The other platform.
    pub peer: String,
    /// `sent`, `applied`, `duplicate`, `held` or `refused`.
    pub status: String,
    /// Why a message was held or refused.
    pub reason: Option<String>,
}

/// What to look for in the message log; every part optional.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MessageQuery {
    /// `sent` or `received`.
    pub direction: Option<String>,
    /// `sent`, `applied`, `duplicate`, `held` or `refused`.
    pub status: Option<String>,
    /// The other platform, e.g. `district:330106`.
    pub peer: Option<String>,
    /// One message's id.
    pub msg_id: Option<String>,
    /// Lines older than this line's id (the next page).
    pub before: Option<i64>,
    /// At most this many, 1 to 100 (default 100).
    pub limit: Option<i64>,
}

/// Where a sender's flow stands here: the last message applied and when.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct SenderView {
    pub sender: String,
    pub flow: String,
    pub last_seq: i64,
    /// When the sender journaled it (microseconds, UTC).
    pub last_at: i64,
    /// When it was applied here.
    pub applied_at: i64,
}

/// A district's case as the city learnt it from the district (never the applicant).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct RemoteCase {
    /// `case/` and the case's number.
    pub subject: String,
    pub district: String,
    pub department: String,
    /// The department's name in Chinese and English, as this platform's
    /// organisation tree has it (its code when the tree has it not).
    pub department_name: String,
    pub department_name_en: String,
    pub item_id: Option<i64>,
    /// `submitted`, `accepted`, `in_progress`, `approved`, `refused`, …
    pub state: String,
    pub submitted_at: Option<i64>,
    pub decided_at: Option<i64>,
    pub updated_at: i64,
}

/// How many of a district's cases are in a state.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct DistrictCount {
    pub district: String,
    /// The district's name in Chinese and English.
    pub district_name: String,
    pub district_name_en: String,
    pub state: String,
    pub cases: i64,
}

/// A district's population registry as it last reported it to the city:
/// anonymous aggregates, small counts hidden.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct DistrictAggregates {
    pub district: String,
    pub district_name: String,
    pub district_name_en: String,
    /// When the district journaled the report (microseconds, UTC).
    pub reported_at: i64,
    pub statistics: crate::registry::Statistics,
}

/// The peers' keys, read once and again after each change.
#[derive(Clone, Default)]
pub struct PeerKeys(Arc<RwLock<Option<HashMap<Platform, String>>>>);

impl PeerKeys {
    fn get(&self) -> Option<HashMap<Platform, String>> {
        self.0.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
    fn set(&self, keys: HashMap<Platform, String>) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = Some(keys);
    }
}

/// A message from the outbox, signed, ready for the engine.
#[derive(Debug, Clone)]
pub struct Signed {
    /// The platform it goes to.
    pub peer: String,
    pub flow: String,
    pub seq: i64,
    pub msg_id: String,
    pub subject: String,
    pub body: String,
    pub signature: String,
}

/// A message as the engine delivered it.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub subject: String,
    pub msg_id: String,
    pub body: String,
    pub signature: String,
    /// The files the message names that the engine brought beside it (see
    /// [`App::files_wanted`]); each is checked against its hash.
    pub files: Vec<Vec<u8>>,
}

/// What the engine should do with a delivered message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Done with (applied, a duplicate, or refused for good): acknowledge.
    Done,
    /// Not yet (an earlier one is missing, or the sender is not yet
    /// trusted): deliver it again later.
    Later,
}

/// A trusted peer, for staff.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PeerView {
    pub platform: String,
    pub public_key: String,
    pub trusted_at: i64,
}

/// The exchange at a glance, for staff.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Overview {
    /// `city` or `district:<code>`; none when one process runs all.
    #[schema(value_type = Option<String>)]
    pub platform: Option<Platform>,
    pub public_key: Option<String>,
    /// Messages written but not yet taken by the engine.
    pub backlog: i64,
    pub peers: Vec<PeerView>,
    pub senders: Vec<SenderView>,
    /// For the city: each district's cases by state.
    pub district_counts: Vec<DistrictCount>,
    /// For the city: each district's registry as last reported.
    pub district_aggregates: Vec<DistrictAggregates>,
}

/// How many log lines a page shows at most.
pub const LOG_PAGE: i64 = 100;

impl App {
    /// Make this process the platform `platform`: its organisation must be
    /// in the tree (the city's government for the city, a district's or
    /// county's for a district), and from now on the journal entries that
    /// leave it go to its outbox in their own transactions.
    ///
    /// A store belongs to the first platform it joined, recorded in the
    /// store and journaled: joining it as another is refused, before
    /// anything is sent from it.
    pub async fn join_platform(&self, platform: Platform) -> Result<()> {
        self.check_store_platform(Some(&platform)).await?;
        self.db
            .join_platform(platform.clone())
            .map_err(|e| AppError::Internal(e.into()))?;
        self.check_platform()?;
        let now = self.now_micros();
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<()> {
                if store::record_store_platform(tx.conn(), &platform, now).await? {
                    let e = crate::journal_entry::entry(
                        &crate::journal_entry::system_actor(),
                        "platform".into(),
                        "exchange.platform_joined",
                        json!({"platform": platform}),
                    );
                    tx.journal(now, e).await?;
                }
                Ok(())
            })
            .await?;
        self.reload_peer_keys().await
    }

    /// Whether this store may run as `platform` (`None`: the whole of
    /// Sunshine in one process): only as the platform it first joined, if
    /// it has joined one.
    pub async fn check_store_platform(&self, platform: Option<&Platform>) -> Result<()> {
        let recorded = {
            let mut conn = self.db.read().await?;
            store::store_platform(&mut conn).await?
        };
        let asked = platform.map(|p| p.to_string());
        match recorded {
            Some(r) if Some(&r) != asked.as_ref() => Err(anyhow::anyhow!(
                "this store is platform {r}'s: start it with --platform {r} (its outbox, inbox and message chains are that platform's){}",
                asked
                    .map(|a| format!(", not as {a}"))
                    .unwrap_or_else(|| ", not as one process without a platform".into())
            )
            .into()),
            _ => Ok(()),
        }
    }

    /// Whether the platform this process joined is in the organisation
    /// tree, once there is one (a store is joined before the demo loads it).
    pub fn check_platform(&self) -> Result<()> {
        let orgs = self.orgs();
        let (Some(root), Some(Platform::District(code))) = (orgs.tree.root(), self.platform())
        else {
            return Ok(());
        };
        let known = orgs.list.iter().any(|o| {
            o.code.as_str() == code
                && matches!(o.kind, OrgKind::District | OrgKind::County)
                && o.parent.as_ref() == Some(root)
        });
        if known {
            Ok(())
        } else {
            Err(anyhow::anyhow!(
                "district:{code}: no district or county {code} under {root} in the organisation tree"
            )
            .into())
        }
    }

    /// The platform this process is, if it is one of several.
    pub fn platform(&self) -> Option<&Platform> {
        self.db.platform()
    }

    fn signing_org(&self, platform: &Platform) -> Result<String> {
        let orgs = self.orgs();
        let root = orgs
            .tree
            .root()
            .ok_or_else(|| anyhow::anyhow!("the organisation tree is empty"))?;
        Ok(platform.signing_org(root.as_str()).to_string())
    }

    /// This platform's public key, as it publishes it for its peers (made
    /// on first use, its creation journaled).
    pub async fn exchange_key(&self) -> Result<(Platform, String)> {
        let platform = self.platform().cloned().ok_or_else(not_a_platform)?;
        let key = self.platform_signing_key(&platform).await?;
        Ok((platform, public_key_hex(&key)))
    }

    /// Trust `peer`'s messages signed with `public_key` (a root administrator).
    pub async fn trust_peer(
        &self,
        actor: &Actor,
        peer: &str,
        public_key: &str,
    ) -> Result<PeerView> {
        self.authorize(actor, &Action::ConfigurePlatform)?;
        self.record_trust(actor, peer, public_key).await
    }

    async fn record_trust(&self, actor: &Actor, peer: &str, public_key: &str) -> Result<PeerView> {
        let peer: Platform = peer.trim().parse().map_err(|e: rules::BadPlatform| {
            Refusal::field(
                "platform",
                "平台名称无效：city 或 district:六位区划代码",
                e.to_string(),
            )
        })?;
        let public_key = public_key.trim().to_ascii_lowercase();
        let valid = public_key.len() == 64
            && is_clean_text(&public_key)
            && hex::decode(&public_key)
                .ok()
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
                .is_some_and(|b| ed25519_dalek::VerifyingKey::from_bytes(&b).is_ok());
        if !valid {
            return Err(Refusal::field(
                "public_key",
                "公钥应为 64 位十六进制的 ed25519 公钥",
                "A public key is an ed25519 key in 64 hex characters",
            )
            .into());
        }
        if self.platform() == Some(&peer) {
            return Err(Refusal::field(
                "platform",
                "不能信任本平台自己",
                "A platform does not trust itself as a peer",
            )
            .into());
        }
        let row = store::Peer {
            platform: peer.to_string(),
            public_key: public_key.clone(),
            trusted_at: self.now_micros(),
            trusted_by: actor.user_id,
        };
        let actor = actor.clone();
        let stored = row.clone();
        self.db
            .write_decided(async move |tx: &mut WriteTx| {
                store::trust(tx.conn(), &stored).await?;
                tx.journal(
                    stored.trusted_at,
                    entry(
                        &actor,
                        format!("platform/{}", stored.platform),
                        "exchange.peer_trusted",
                        json!({"public_key": stored.public_key}),
                    ),
                )
                .await?;
                Ok::<_, AppError>(())
            })
            .await?;
        self.reload_peer_keys().await?;
        Ok(PeerView {
            platform: row.platform,
            public_key: row.public_key,
            trusted_at: row.trusted_at,
        })
    }

    /// Trust `peer`'s key as the deployment says (the `sunshine exchange
    /// trust` command, or the demo's platforms trusting each other),
    /// journaled as the platform's own act.
    pub async fn trust_peer_at_deployment(&self, peer: &str, public_key: &str) -> Result<PeerView> {
        self.record_trust(&crate::journal_entry::system_actor(), peer, public_key)
            .await
    }

    /// The peers this platform trusts (for the deployment's command line;
    /// staff see them in [`App::exchange_overview`]).
    pub async fn exchange_peers(&self) -> Result<Vec<PeerView>> {
        let mut conn = self.db.read().await?;
        Ok(peer_views(store::peers(&mut conn).await?))
    }

    /// The platforms this one trusts, as last read from the store (on
    /// joining, on each trust, and before each batch received).
    pub(crate) fn trusted_peers(&self) -> Vec<Platform> {
        self.exchange
            .get()
            .map(|keys| keys.into_keys().collect())
            .unwrap_or_default()
    }

    async fn reload_peer_keys(&self) -> Result<()> {
        let mut conn = self.db.read().await?;
        let keys = store::peers(&mut conn)
            .await?
            .into_iter()
            .filter_map(|p| Some((p.platform.parse().ok()?, p.public_key)))
            .collect();
        self.exchange.set(keys);
        Ok(())
    }

    /// The outbox's next messages, signed with this platform's key, oldest first.
    pub async fn outgoing(&self, limit: i64) -> Result<Vec<Signed>> {
        let platform = self.platform().cloned().ok_or_else(not_a_platform)?;
        let waiting = {
            let mut conn = self.db.read().await?;
            store::unpublished(&mut conn, limit).await?
        };
        if waiting.is_empty() {
            return Ok(vec![]);
        }
        // A message read here may be of a batch not yet synced: it leaves
        // only once it is, so that the store never loses what a peer took.
        self.db.make_log_durable().await?;
        let key = self.platform_signing_key(&platform).await?;
        Ok(waiting
            .into_iter()
            .map(|m| Signed {
                signature: rules::sign(&key, &m.subject, &m.body),
                peer: m.peer,
                flow: m.flow,
                seq: m.seq,
                msg_id: m.msg_id,
                subject: m.subject,
                body: m.body,
            })
            .collect())
    }

    async fn platform_signing_key(&self, platform: &Platform) -> Result<ed25519_dalek::SigningKey> {
        let org = self.signing_org(platform)?;
        if let Some(key) = self.keys.get(&org) {
            return Ok(key);
        }
        let (kek, keys, now) = (self.kek.clone(), self.keys.clone(), self.now_micros());
        let key = self
            .db
            .write(async move |tx: &mut WriteTx| {
                crate::licence::org_signing_key(tx, &kek, &keys, &org, now).await
            })
            .await?;
        self.keys.learn(&self.signing_org(platform)?, key.clone());
        Ok(key)
    }

    /// Say that the engine has stored `sent`: they leave the outbox's
    /// waiting list and are logged sent.
    pub async fn published(&self, sent: &[Signed]) -> Result<()> {
        let rows: Vec<store::Outgoing> = sent
            .iter()
            .map(|s| store::Outgoing {
                peer: s.peer.clone(),
                flow: s.flow.clone(),
                seq: s.seq,
                msg_id: s.msg_id.clone(),
                subject: s.subject.clone(),
                body: s.body.clone(),
            })
            .collect();
        let now = self.now_micros();
        self.db
            .write(async move |tx: &mut WriteTx| {
                store::mark_published(tx.conn(), &rows, now).await?;
                Ok::<_, AppError>(())
            })
            .await
    }

    /// The files an outgoing message names, with their bytes, for the
    /// engine to carry beside it (an application handed down names the
    /// materials handed in with it).
    pub async fn files_to_carry(&self, m: &Signed) -> Result<Vec<(String, Vec<u8>)>> {
        let hashes = named_files(&m.body);
        let mut conn = self.db.read().await?;
        let mut files = Vec::with_capacity(hashes.len());
        for h in hashes {
            let bytes = sunshine_store::materials::blob(&mut conn, &h)
                .await?
                .ok_or_else(|| {
                    anyhow::anyhow!("the file {h} of message {} is not stored here", m.msg_id)
                })?;
            files.push((h, bytes));
        }
        Ok(files)
    }

    /// The files a delivered message names that this store does not hold
    /// yet: the engine brings them before it hands the message over.
    pub async fn files_wanted(&self, m: &Incoming) -> Result<Vec<String>> {
        let hashes = named_files(&m.body);
        if hashes.is_empty() {
            return Ok(hashes);
        }
        let mut conn = self.db.read().await?;
        Ok(sunshine_store::materials::missing_blobs(&mut conn, &hashes).await?)
    }

    /// Apply what the engine delivered, in the order delivered, in one
    /// write: each message's effect, its id in the inbox and its log line
    /// together. A verdict for each, to be given to the engine only now
    /// that the write is durable.
    ///
    /// Should the batch's write fail, each message is tried in a write of
    /// its own, so that one message that cannot be applied here (a fault
    /// of this platform's, not of the message) holds back only itself and
    /// what follows it in its own chain: it is logged as held with the
    /// error and comes again. Only when even that log cannot be written
    /// does the batch come back as an error.
    pub async fn receive(&self, batch: Vec<Incoming>) -> Result<Vec<Verdict>> {
        let me = self.platform().cloned().ok_or_else(not_a_platform)?;
        // The peers' keys as the store has them now: a key trusted or
        // replaced by another process (the command line) counts at once.
        self.reload_peer_keys().await?;
        let keys = Arc::new(self.exchange.get().unwrap_or_default());
        let failed = match self.receive_in_one_write(&me, &keys, batch.clone()).await {
            Ok(verdicts) => return Ok(verdicts),
            Err(e) => e,
        };
        tracing::warn!(error = %failed, messages = batch.len(), "a batch could not be applied; its messages are tried one at a time");
        let mut verdicts = Vec::with_capacity(batch.len());
        for m in batch {
            let alone = self.receive_in_one_write(&me, &keys, vec![m.clone()]).await;
            match alone {
                Ok(mut v) => verdicts.push(v.pop().unwrap_or(Verdict::Later)),
                Err(e) => {
                    tracing::warn!(error = %e, msg_id = %m.msg_id, "a message could not be applied; it comes again");
                    let now = self.now_micros();
                    let (flow, peer) = flow_and_peer(&me, &m.subject);
                    let why = format!("it could not be applied here, and comes again: {e}");
                    self.db
                        .write(async move |tx: &mut WriteTx| {
                            note(tx, now, &flow, &m.msg_id, &peer, "held", Some(why)).await
                        })
                        .await?;
                    verdicts.push(Verdict::Later);
                }
            }
        }
        Ok(verdicts)
    }

    async fn receive_in_one_write(
        &self,
        me: &Platform,
        keys: &Arc<HashMap<Platform, String>>,
        batch: Vec<Incoming>,
    ) -> Result<Vec<Verdict>> {
        let (me, keys) = (me.clone(), keys.clone());
        let now = self.now_micros();
        let (calendar, orgs) = (self.calendar.clone(), self.orgs());
        self.db
            .write(async move |tx: &mut WriteTx| {
                let mut verdicts = Vec::with_capacity(batch.len());
                for m in &batch {
                    let here = Here {
                        calendar: &calendar,
                        orgs: &orgs,
                    };
                    verdicts.push(receive_one(tx, &me, &keys, here, m, now).await?);
                }
                Ok::<_, AppError>(verdicts)
            })
            .await
    }

    /// The exchange at a glance (staff who read the journal).
    pub async fn exchange_overview(&self, actor: &Actor) -> Result<Overview> {
        self.authorize(actor, &Action::ReadJournal)?;
        let platform = self.platform().cloned();
        let public_key = match &platform {
            Some(_) => Some(self.exchange_key().await?.1),
            None => None,
        };
        let district_aggregates = self.district_aggregates_read().await?;
        let mut conn = self.db.read().await?;
        Ok(Overview {
            district_aggregates,
            platform,
            public_key,
            backlog: store::backlog(&mut conn).await?,
            peers: peer_views(store::peers(&mut conn).await?),
            senders: store::cursors(&mut conn)
                .await?
                .into_iter()
                .map(|c| SenderView {
                    sender: c.sender,
                    flow: c.flow,
                    last_seq: c.last_seq,
                    last_at: c.last_at,
                    applied_at: c.applied_at,
                })
                .collect(),
            district_counts: store::district_case_counts(&mut conn)
                .await?
                .into_iter()
                .map(|(district, state, cases)| {
                    let (district_name, district_name_en) = self.org_names(&district);
                    DistrictCount {
                        district,
                        district_name,
                        district_name_en,
                        state,
                        cases,
                    }
                })
                .collect(),
        })
    }

    /// The message log, newest first, filtered (staff who read the journal).
    pub async fn exchange_log(&self, actor: &Actor, q: MessageQuery) -> Result<Vec<MessageLine>> {
        self.authorize(actor, &Action::ReadJournal)?;
        for (field, value) in [("direction", &q.direction), ("status", &q.status)] {
            let allowed: &[&str] = if field == "direction" {
                &["sent", "received"]
            } else {
                &["sent", "applied", "duplicate", "held", "refused"]
            };
            if let Some(v) = value {
                if !allowed.contains(&v.as_str()) {
                    return Err(Refusal::field(
                        field,
                        format!("只能是：{}", allowed.join("、")),
                        format!("One of: {}", allowed.join(", ")),
                    )
                    .into());
                }
            }
        }
        for value in [&q.peer, &q.msg_id].into_iter().flatten() {
            if !is_clean_text(value) || value.len() > 100 {
                return Err(Refusal::invalid(
                    "bad_query",
                    "查询条件含有无效字符或过长",
                    "The query holds characters it cannot, or is too long",
                )
                .into());
            }
        }
        let q = store::LogQuery {
            direction: q.direction,
            status: q.status,
            peer: q.peer,
            msg_id: q.msg_id,
            before: q.before,
            limit: q.limit.unwrap_or(LOG_PAGE).clamp(1, LOG_PAGE),
        };
        let mut conn = self.db.read().await?;
        Ok(store::search(&mut conn, &q)
            .await?
            .into_iter()
            .map(|l| MessageLine {
                id: l.id,
                at: l.at,
                direction: l.direction,
                flow: l.flow,
                msg_id: l.msg_id,
                peer: l.peer,
                status: l.status,
                reason: l.reason,
            })
            .collect())
    }

    /// The districts' cases as the city has learnt them (staff who read the journal).
    pub async fn district_cases(
        &self,
        actor: &Actor,
        district: Option<&str>,
        limit: i64,
    ) -> Result<Vec<RemoteCase>> {
        self.authorize(actor, &Action::ReadJournal)?;
        if let Some(d) = district {
            if !(d.len() == 6 && d.bytes().all(|b| b.is_ascii_digit())) {
                return Err(Refusal::field(
                    "district",
                    "区县代码为六位数字",
                    "A district's code is six digits",
                )
                .into());
            }
        }
        let mut conn = self.db.read().await?;
        Ok(
            store::district_cases(&mut conn, district, limit.clamp(1, 500))
                .await?
                .into_iter()
                .map(|c| {
                    let (department_name, department_name_en) = self.org_names(&c.department);
                    RemoteCase {
                        subject: c.subject,
                        district: c.district,
                        department_name,
                        department_name_en,
                        department: c.department,
                        item_id: c.item_id,
                        state: c.state,
                        submitted_at: c.submitted_at,
                        decided_at: c.decided_at,
                        updated_at: c.updated_at,
                    }
                })
                .collect(),
        )
    }
}

impl App {
    /// Each district's registry as it last reported it (staff who read the journal).
    pub async fn district_aggregates(&self, actor: &Actor) -> Result<Vec<DistrictAggregates>> {
        self.authorize(actor, &Action::ReadJournal)?;
        self.district_aggregates_read().await
    }

    async fn district_aggregates_read(&self) -> Result<Vec<DistrictAggregates>> {
        let rows = {
            let mut conn = self.db.read().await?;
            store::district_aggregates(&mut conn).await?
        };
        rows.into_iter()
            .map(|r| {
                let (district_name, district_name_en) = self.org_names(&r.district);
                let statistics = serde_json::from_str(&r.report).map_err(|e| {
                    anyhow::anyhow!("{}'s report as kept is not a report: {e}", r.district)
                })?;
                Ok(DistrictAggregates {
                    district: r.district,
                    district_name,
                    district_name_en,
                    reported_at: r.reported_at,
                    statistics,
                })
            })
            .collect()
    }

    /// On a district's platform: report the district's registry to the
    /// city as anonymous aggregates, when they differ from the last
    /// report (journaled, and so sent in the same commit). Whether a
    /// report was made.
    pub async fn report_registry_aggregates(&self) -> Result<bool> {
        let Some(district) = self
            .platform()
            .and_then(|p| p.district())
            .map(str::to_string)
        else {
            return Ok(false);
        };
        let region = sunshine_domain::ids::OrgCode::parse(&district)
            .map_err(|e| anyhow::anyhow!("district {district}: {}", e.en))?;
        let report = serde_json::to_value(self.statistics_of(&region).await?)
            .map_err(anyhow::Error::from)?;
        // What leaves is checked by the rule the city checks it with.
        rules::only_aggregates(&district, &report)
            .map_err(|why| anyhow::anyhow!("the district's report: {why}"))?;
        let subject = rules::aggregates_subject(&district);
        let last = {
            let mut conn = self.db.read().await?;
            sunshine_store::journal::by_subject(&mut conn, &subject)
                .await?
                .into_iter()
                .rev()
                .find(|e| e.event_type == rules::AGGREGATES_REPORTED)
        };
        let unchanged = last
            .and_then(|e| serde_json::from_str::<serde_json::Value>(&e.payload).ok())
            .is_some_and(|p| p == report);
        if unchanged {
            return Ok(false);
        }
        let now = self.now_micros();
        self.db
            .write(async move |tx: &mut WriteTx| {
                tx.journal(
                    now,
                    entry(
                        &crate::journal_entry::system_actor(),
                        subject,
                        rules::AGGREGATES_REPORTED,
                        report,
                    ),
                )
                .await?;
                Ok::<_, AppError>(())
            })
            .await?;
        Ok(true)
    }

    /// An organisation's names, Chinese and English, or its code twice.
    fn org_names(&self, code: &str) -> (String, String) {
        self.orgs()
            .list
            .iter()
            .find(|o| o.code.as_str() == code)
            .map(|o| (o.name.clone(), o.name_en.clone()))
            .unwrap_or_else(|| (code.to_string(), code.to_string()))
    }
}

fn peer_views(peers: Vec<store::Peer>) -> Vec<PeerView> {
    peers
        .into_iter()
        .map(|p| PeerView {
            platform: p.platform,
            public_key: p.public_key,
            trusted_at: p.trusted_at,
        })
        .collect()
}

fn not_a_platform() -> AppError {
    Refusal::conflict(
        "not_a_platform",
        "本平台以单一进程运行，未加入两级平台",
        "This platform runs as one process, not as a city or district platform",
    )
    .into()
}

/// What applying a message reads of this platform besides its store.
#[derive(Clone, Copy)]
struct Here<'a> {
    calendar: &'a sunshine_domain::calendar::Calendar,
    orgs: &'a crate::OrgDirectory,
}

/// One delivered message, inside the receiving write.
async fn receive_one(
    tx: &mut WriteTx,
    me: &Platform,
    keys: &HashMap<Platform, String>,
    here: Here<'_>,
    m: &Incoming,
    now: i64,
) -> Result<Verdict> {
    let opened = rules::open(me, &m.subject, &m.msg_id, &m.body, &m.signature, |p| {
        keys.get(p).cloned()
    });
    let message = match opened {
        Ok(message) => message,
        Err(why) => {
            let (flow, peer) = flow_and_peer(me, &m.subject);
            note(
                tx,
                now,
                &flow,
                &m.msg_id,
                &peer,
                "refused",
                Some(why.to_string()),
            )
            .await?;
            // A sender not yet trusted may be trusted soon, and a signature
            // that does not verify may be a key trusted wrongly and then
            // mended: such messages wait. The rest can never apply.
            return Ok(match why {
                Refused::UnknownSender(_) | Refused::BadSignature(_) => Verdict::Later,
                _ => Verdict::Done,
            });
        }
    };
    let (flow, sender) = (message.flow.as_str(), message.from.to_string());
    let body_sha256 = rules::body_hash(&m.body);
    if let Some(kept) = store::applied(tx.conn(), flow, &message.id).await? {
        // The same id with another body is not a copy: the sender numbers
        // anew (restored from an old backup) or someone forged it.
        if kept.is_some_and(|k| k != body_sha256) {
            let why = "another message was applied under this id: the sender's outbox was rewound"
                .to_string();
            note(tx, now, flow, &message.id, &sender, "refused", Some(why)).await?;
        } else {
            note(tx, now, flow, &message.id, &sender, "duplicate", None).await?;
        }
        return Ok(Verdict::Done);
    }
    let (last, last_hash) = store::cursor(tx.conn(), &sender, flow).await?;
    match admit(
        last,
        last_hash.as_deref(),
        message.seq,
        message.prev,
        &message.prev_hash,
    ) {
        Admit::Apply => match apply(tx, here, &message, &m.files, now).await? {
            Effect::Done => {
                store::record_applied(tx.conn(), &message, &body_sha256, now).await?;
                note(tx, now, flow, &message.id, &sender, "applied", None).await?;
                Ok(Verdict::Done)
            }
            Effect::Hold(why) => {
                note(tx, now, flow, &message.id, &sender, "held", Some(why)).await?;
                Ok(Verdict::Later)
            }
            Effect::Refused(why) => {
                // Taken, so that the sender's next message follows it, but
                // with no effect here, and logged with why.
                store::record_applied(tx.conn(), &message, &body_sha256, now).await?;
                note(tx, now, flow, &message.id, &sender, "refused", Some(why)).await?;
                Ok(Verdict::Done)
            }
        },
        Admit::Duplicate => {
            // Below the last applied, yet not in the inbox: never one of
            // the messages applied, so the sender numbers anew.
            let why = format!(
                "its sequence {} is below the last applied ({last}) but it was never applied: the sender's outbox was rewound",
                message.seq
            );
            note(tx, now, flow, &message.id, &sender, "refused", Some(why)).await?;
            Ok(Verdict::Done)
        }
        Admit::Wait => {
            let why = format!(
                "waiting for {}'s message {} (last applied {last})",
                sender, message.prev
            );
            note(tx, now, flow, &message.id, &sender, "held", Some(why)).await?;
            Ok(Verdict::Later)
        }
        Admit::Rewound => {
            let why = format!(
                "the sender's previous message is {} ({}) but {last} was applied already, with another body: its outbox was rewound",
                message.prev,
                message.prev_hash
            );
            note(tx, now, flow, &message.id, &sender, "refused", Some(why)).await?;
            Ok(Verdict::Done)
        }
    }
}

/// The flow and the sending platform of what arrived on `subject` at
/// `me`, as told before the message is opened: a district hears only the
/// city; the city hears the district whose subject it is
/// (`sunshine.<flow>.<district>`).
fn flow_and_peer(me: &Platform, subject: &str) -> (String, String) {
    let flow = subject.split('.').nth(1).unwrap_or_default().to_string();
    let peer = match me {
        Platform::District(_) => Platform::City.to_string(),
        Platform::City => subject
            .rsplit('.')
            .next()
            .map(|t| format!("district:{t}"))
            .unwrap_or_default(),
    };
    (flow, peer)
}

/// What applying a message came to.
pub(crate) enum Effect {
    /// Its effect is written (with its journal entry here).
    Done,
    /// Not yet: what it needs is not here (an item version, a file). It
    /// comes again, and nothing of it is written meanwhile.
    Hold(String),
    /// Never: it came whole and in order, but what it acts on here does not
    /// allow it (a card decided meanwhile). Nothing of its effect is
    /// written; this platform may answer with its own word (a request's
    /// state sent back down to the copy that replied).
    Refused(String),
}

/// A message's effect, by flow, and its journal entry here.
async fn apply(
    tx: &mut WriteTx,
    here: Here<'_>,
    m: &Message,
    files: &[Vec<u8>],
    now: i64,
) -> Result<Effect> {
    let mut payload = json!({"msg_id": m.id, "event_type": m.event_type, "flow": m.flow});
    match m.flow {
        Flow::Cases => {
            store::apply_case(tx.conn(), m).await?;
            follow_handed_down(tx, m).await?;
            // The city's supervision follows the district's case from here:
            // what the district said, and when.
            payload["at"] = json!(m.at);
            payload["facts"] = m.facts.clone();
        }
        Flow::Applications => {
            // Its entry here is the case's submission, which names the message.
            return take_application(tx, m, files, now).await;
        }
        Flow::Aggregates => store::apply_aggregates(tx.conn(), m, now).await?,
        Flow::Items => {
            let item: sunshine_domain::exchange::CatalogItem =
                serde_json::from_value(m.facts.clone())
                    .map_err(|e| anyhow::anyhow!("an item checked whole is not: {e}"))?;
            if let Some(why) = sunshine_store::catalog::put_item_from_city(tx.conn(), &item).await?
            {
                return Ok(Effect::Refused(why));
            }
            payload["current_version"] = json!(item.current_version);
        }
        // Their entries here are the card's own (`signal/<id>`).
        Flow::Cards => return crate::supervision::take_card(tx, m, now).await,
        // Its entry here is the case's own (`hall.licence_issued` or `_revoked`).
        Flow::Licences => return crate::licence::take_licence(tx, m, now).await,
        Flow::Answers => {
            return Ok(
                match crate::supervision::take_answer(tx, here.calendar, m, now).await? {
                    None => Effect::Done,
                    Some(why) => Effect::Refused(why),
                },
            )
        }
        // Their entries here are the request's own (`ticket/<id>`).
        Flow::Tickets => {
            return Ok(
                match crate::hotline::take_request(tx, here.calendar, m, now).await? {
                    None => Effect::Done,
                    Some(why) => Effect::Refused(why),
                },
            )
        }
        Flow::Replies => {
            return Ok(
                match crate::hotline::take_reply(tx, here.orgs, here.calendar, m, now).await? {
                    None => Effect::Done,
                    Some(why) => Effect::Refused(why),
                },
            )
        }
    }
    tx.journal(
        now,
        sunshine_domain::journal::NewEntry {
            actor: format!("platform:{}", m.from),
            org: m.org.clone(),
            subject: m.subject.clone(),
            event_type: "exchange.applied",
            payload,
        },
    )
    .await?;
    Ok(Effect::Done)
}

/// The city's copy of a case it handed down follows the district's word.
async fn follow_handed_down(tx: &mut WriteTx, m: &Message) -> Result<()> {
    let Some(number) = m.subject.strip_prefix("case/") else {
        return Ok(());
    };
    let Some(mut case) = sunshine_store::hall::case_by_number(tx.conn(), number).await? else {
        return Ok(());
    };
    if rules::follow(&mut case, m) {
        sunshine_store::hall::update_case(tx.conn(), &case).await?;
    }
    Ok(())
}

/// A district's platform takes an application the city's portal handed
/// down, as its own portal would have: the case, its files, and its
/// submission journaled here (which goes back up as the case's first word).
async fn take_application(
    tx: &mut WriteTx,
    m: &Message,
    files: &[Vec<u8>],
    now: i64,
) -> Result<Effect> {
    // `open` has checked it whole, numbered for this district, from the city.
    let a: Application = serde_json::from_value(m.facts.clone())
        .map_err(|e| anyhow::anyhow!("an application checked whole is not: {e}"))?;
    if sunshine_store::hall::case_by_number(tx.conn(), &a.number)
        .await?
        .is_some()
    {
        return Err(anyhow::anyhow!(
            "a case numbered {} is here already, not from the city's message {}",
            a.number,
            m.id
        )
        .into());
    }
    let version = sunshine_store::catalog::get_version(tx.conn(), a.version_id).await?;
    let Some(version) = version.filter(|v| v.item_id == a.item_id) else {
        return Ok(Effect::Hold(format!(
            "item {} version {} is not in this platform's catalogue yet",
            a.item_id, a.version_id
        )));
    };
    let spec = version.spec;
    let brought: HashMap<String, &Vec<u8>> = files
        .iter()
        .map(|b| (hex::encode(Sha256::digest(b)), b))
        .collect();
    let hashes: Vec<String> = a.materials.iter().map(|f| f.sha256.clone()).collect();
    let missing = sunshine_store::materials::missing_blobs(tx.conn(), &hashes).await?;
    if let Some(h) = missing.iter().find(|h| !brought.contains_key(*h)) {
        return Ok(Effect::Hold(format!("the file {h} has not arrived")));
    }
    for h in &missing {
        sunshine_store::materials::put_blob(tx.conn(), h, brought[h], now).await?;
    }
    let from = format!("platform:{}", m.from);
    let case = Case {
        id: 0,
        number: a.number.clone(),
        query_code: a.query_code.clone(),
        item_id: a.item_id,
        version_id: a.version_id,
        department: spec.implementing_body.to_string(),
        region: spec.region.to_string(),
        // The account is the city's: here the applicant is found by the
        // number their bound account holds.
        applicant_user: None,
        applicant_public: a.applicant.public_name(),
        applicant: a.applicant.clone(),
        channel: a.channel,
        answers: a.answers.clone(),
        facts: CaseFacts::new(spec.steps.len()),
        clock: None,
        promised_due: None,
        legal_due: None,
        step_due: None,
        bundle_number: a.bundle_number.clone(),
        handled_by: None,
        submitted_at: m.at,
        accepted_at: None,
        decided_at: None,
        completed_at: None,
        updated_at: now,
    };
    sunshine_store::hall::insert_case(tx.conn(), &case).await?;
    for f in &a.materials {
        sunshine_store::materials::insert_material(
            tx.conn(),
            &sunshine_domain::materials::MaterialFile {
                case_number: a.number.clone(),
                material: f.material.clone(),
                file_name: f.file_name.clone(),
                sha256: f.sha256.clone(),
                size: f.size,
                content_type: f.content_type.clone(),
                added_by: from.clone(),
                added_at: m.at,
            },
        )
        .await?;
    }
    let materials: Vec<serde_json::Value> = a
        .materials
        .iter()
        .map(|f| {
            json!({"name": f.material, "file_name": f.file_name, "sha256": f.sha256,
            "size": f.size, "type": f.content_type})
        })
        .collect();
    tx.journal(
        now,
        sunshine_domain::journal::NewEntry {
            actor: from,
            org: String::new(),
            subject: m.subject.clone(),
            event_type: "hall.case_submitted",
            payload: json!({"item_id": a.item_id, "version_id": a.version_id,
                "department": case.department, "channel": a.channel,
                "applicant": case.applicant_public, "bundle": a.bundle_number,
                "materials": materials, "via": m.from, "msg_id": m.id}),
        },
    )
    .await?;
    Ok(Effect::Done)
}

/// The hashes of the files a message's body names (an application's
/// materials); none for any other message, or a body that is not one.
fn named_files(body: &str) -> Vec<String> {
    let Ok(m) = serde_json::from_str::<Message>(body) else {
        return vec![];
    };
    if m.flow != Flow::Applications {
        return vec![];
    }
    serde_json::from_value::<Application>(m.facts)
        .map(|a| a.materials.into_iter().map(|f| f.sha256).collect())
        .unwrap_or_default()
}

/// The district that handles a case of `region` this platform takes: the
/// city hands a district's applications to the district's own platform
/// when it trusts one (read in the case's own write).
pub(crate) async fn hand_to(tx: &mut WriteTx, region: &str) -> Result<Option<Platform>> {
    if tx.platform() != Some(&Platform::City) {
        return Ok(None);
    }
    let peers = store::peers(tx.conn()).await?;
    Ok(rules::handed_to(
        tx.platform(),
        region,
        peers.into_iter().filter_map(|p| p.platform.parse().ok()),
    ))
}

/// Send the case just opened down to `district`, in the same commit as its
/// submission `submitted`: the applicant, answers and the files' list (the
/// engine carries the files' bytes beside it).
pub(crate) fn hand_down(
    tx: &mut WriteTx,
    submitted: &sunshine_domain::journal::Entry,
    district: Platform,
    case: &Case,
    files: &[crate::materials::Prepared],
) -> Result<()> {
    let application = Application {
        number: case.number.clone(),
        query_code: case.query_code.clone(),
        item_id: case.item_id,
        version_id: case.version_id,
        applicant: case.applicant.clone(),
        channel: case.channel,
        answers: case.answers.clone(),
        materials: files.iter().map(|f| f.sent()).collect(),
        bundle_number: case.bundle_number.clone(),
    };
    let facts = serde_json::to_value(application).map_err(anyhow::Error::from)?;
    tx.send(submitted, Flow::Applications, district, facts);
    Ok(())
}

/// Why a case handed down is not acted on here.
pub(crate) fn handled_elsewhere(platform: &str) -> Refusal {
    Refusal::conflict(
        "handled_elsewhere",
        &format!("该办件已转由区县平台（{platform}）办理，请在该平台办理"),
        &format!("This case is handled on the platform {platform}: act on it there"),
    )
}

/// Log a received message's fate, unless the last line for it says the same
/// (a message held or refused is delivered again and again).
async fn note(
    tx: &mut WriteTx,
    now: i64,
    flow: &str,
    msg_id: &str,
    peer: &str,
    status: &str,
    reason: Option<String>,
) -> Result<()> {
    if status != "applied" {
        if let Some(last) = store::last_line(tx.conn(), msg_id).await? {
            if last.direction == "received" && last.status == status && last.reason == reason {
                return Ok(());
            }
        }
    }
    store::log(
        tx.conn(),
        &LogLine::new(now, "received", flow, msg_id, peer, status, reason),
    )
    .await?;
    Ok(())
}
