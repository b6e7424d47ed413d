//! Subscriptions (申请订阅): a department asks for some of a resource's
//! fields with its purpose; the owner approves or refuses where the class
//! asks it (`domain::sharing::subscription`); the subscriber holds access
//! keys, shown once and kept as their hash; every read through a key is
//! logged, refused ones too, and the owner and the subscriber read the log.

use serde::{Deserialize, Serialize};
use serde_json::json;
use sunshine_domain::identity::Actor;
use sunshine_domain::journal::NewEntry;
use sunshine_domain::policy::Action;
use sunshine_domain::refusal::{is_clean_text, FieldErrors, Refusal};
use sunshine_domain::sharing::subscription::{
    self as rules, Side, SubscriptionCommand, SubscriptionState,
};
use sunshine_domain::sharing::{chosen_fields, rows, ResourceSpec};
use sunshine_store::sharing::{self as store, ReadRow, ResourceRow, Step, SubscriptionRow};
use sunshine_store::{Conn, WriteTx};

use super::{department, resource_row, spec_of, Names, FROM_ENTERPRISES};
use crate::identity::{random_token, token_hash};
use crate::journal_entry::entry;
use crate::{allow, App, OrgDirectory, Result};

/// The most rows one read returns.
pub const MAX_READ: i64 = 1000;
/// Reads shown on a page of the log.
pub const READ_PAGE: i64 = 100;

/// A department's request.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct SubscribeForm {
    /// The subscribing department's code; the actor's own organisation if left out.
    #[serde(default)]
    pub subscriber: Option<String>,
    /// The fields wanted, by name.
    pub fields: Vec<String>,
    /// What the data is for (用途).
    pub purpose: String,
    /// The legal basis or duty it serves (依据).
    #[serde(default)]
    pub basis: String,
}

/// An access key, without its secret.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KeyView {
    pub id: i64,
    pub name: String,
    pub created_by: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// A key just issued: its secret is shown this once.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IssuedKey {
    pub id: i64,
    pub subscription_id: i64,
    pub name: String,
    /// Send as the `Sharing-Key` header; it is kept only as its hash.
    pub secret: String,
}

/// A subscription with the people and places named.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SubscriptionView {
    pub id: i64,
    pub resource_id: i64,
    pub resource_name: String,
    pub owner: String,
    pub owner_name: String,
    pub owner_name_en: String,
    pub subscriber: String,
    pub subscriber_name: String,
    pub subscriber_name_en: String,
    pub fields: Vec<String>,
    pub purpose: String,
    pub basis: String,
    pub state: SubscriptionState,
    pub asked_by: String,
    pub asked_at: i64,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub decision: String,
    pub revoked_by: Option<String>,
    pub revoked_at: Option<i64>,
    pub revocation: String,
    /// The commands the signed-in member of staff may give it now.
    pub commands: Vec<String>,
    /// The signed-in member of staff may issue keys for it.
    pub may_issue_keys: bool,
    pub keys: Vec<KeyView>,
}

/// Which subscriptions to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Queue {
    /// To the resources of the departments where the actor decides: the
    /// approvals queue.
    Owned,
    /// Of the departments the actor subscribes for.
    Subscribed,
}

/// One read through a key.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReadView {
    pub id: i64,
    pub key_id: i64,
    pub key_name: String,
    pub at: i64,
    pub rows: i64,
    /// The client's address.
    pub client: String,
    /// `read`, or the code of the refusal.
    pub outcome: String,
}

/// A subscription's read log, newest first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReadLog {
    pub subscription: SubscriptionView,
    pub reads: Vec<ReadView>,
}

/// A page of a resource's rows, each with the subscribed fields only.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DataPage {
    pub resource_id: i64,
    pub subscription_id: i64,
    pub fields: Vec<String>,
    pub offset: i64,
    /// All rows the resource holds.
    pub total: i64,
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<serde_json::Map<String, serde_json::Value>>,
}

/// A read asked through a key.
#[derive(Debug, Clone)]
pub struct KeyRead {
    pub secret: String,
    pub resource_id: i64,
    pub offset: i64,
    pub limit: i64,
    /// Where the read came from, for the log.
    pub client: String,
}

/// A journal entry about a subscription.
fn on_subscription(
    who: &Actor,
    id: i64,
    event_type: &'static str,
    payload: serde_json::Value,
) -> NewEntry {
    entry(
        who,
        format!("sharing/subscription/{id}"),
        event_type,
        payload,
    )
}

fn subscription_not_found() -> Refusal {
    Refusal::not_found("订阅", "The subscription")
}

fn key_unknown() -> Refusal {
    let mut r = Refusal::unauthenticated();
    r.code = "key_unknown";
    r.message = sunshine_domain::Text::new(
        "访问密钥无效：请在请求头 Sharing-Key 中提供有效的密钥",
        "The access key is not valid: send a valid one as the Sharing-Key header",
    );
    r
}

/// The sides of a subscription `actor` may act for.
fn sides(orgs: &OrgDirectory, actor: &Actor, owner: &str, subscriber: &str) -> Vec<Side> {
    let mut v = vec![];
    if let Some(o) = orgs.get(owner) {
        if allow(orgs, actor, &Action::DecideSubscriptions { owner: &o.code }).is_ok() {
            v.push(Side::Owner);
        }
    }
    if let Some(o) = orgs.get(subscriber) {
        if allow(
            orgs,
            actor,
            &Action::UseResources {
                subscriber: &o.code,
            },
        )
        .is_ok()
        {
            v.push(Side::Subscriber);
        }
    }
    v
}

/// Who may see a subscription: the owner's staff (those who catalogue or
/// decide) and the subscriber's.
fn may_see(orgs: &OrgDirectory, actor: &Actor, owner: &str, subscriber: &str) -> bool {
    !sides(orgs, actor, owner, subscriber).is_empty()
        || orgs.get(owner).is_some_and(|o| {
            allow(orgs, actor, &Action::CatalogueResources { owner: &o.code }).is_ok()
        })
}

fn state_of(s: &SubscriptionRow) -> Result<SubscriptionState> {
    SubscriptionState::parse(&s.state)
        .ok_or_else(|| anyhow::anyhow!("subscription {}: state {}", s.id, s.state).into())
}

fn fields_of(s: &SubscriptionRow) -> Result<Vec<String>> {
    Ok(serde_json::from_str(&s.fields).map_err(anyhow::Error::from)?)
}

/// A subscription that must be there, with its resource.
async fn subscription_row(conn: &mut Conn, id: i64) -> Result<(SubscriptionRow, ResourceRow)> {
    let s = store::subscription(conn, id)
        .await?
        .ok_or_else(subscription_not_found)?;
    let r = resource_row(conn, s.resource_id).await?;
    Ok((s, r))
}

fn text_field(e: &mut FieldErrors, field: &str, value: &str, min: usize, max: usize) {
    let n = value.chars().count();
    if n < min {
        e.add(field, "请填写", "Please fill this in");
    } else if n > max || !is_clean_text(value) {
        e.add(
            field,
            format!("不超过{max}个字符，且不含控制字符"),
            format!("At most {max} characters, without control characters"),
        );
    }
}

impl App {
    /// Subscriptions with names, commands and keys, as `actor` sees them.
    pub(crate) async fn subscription_views(
        &self,
        conn: &mut Conn,
        orgs: &OrgDirectory,
        actor: &Actor,
        rows: Vec<SubscriptionRow>,
        resources: &[(ResourceRow, ResourceSpec)],
    ) -> Result<Vec<SubscriptionView>> {
        let mut names = Names::new();
        let mut views = vec![];
        for s in rows {
            let Some((r, spec)) = resources.iter().find(|(r, _)| r.id == s.resource_id) else {
                continue;
            };
            if !may_see(orgs, actor, &r.owner, &s.subscriber) {
                continue;
            }
            let state = state_of(&s)?;
            let sides = sides(orgs, actor, &r.owner, &s.subscriber);
            let mut commands: Vec<String> = vec![];
            for side in &sides {
                for c in rules::available(state, *side) {
                    if !commands.iter().any(|x| x == c) {
                        commands.push((*c).to_string());
                    }
                }
            }
            let mut keys = vec![];
            for k in store::keys_of(conn, s.id).await? {
                keys.push(KeyView {
                    id: k.id,
                    name: k.name,
                    created_by: names.of(conn, k.created_by).await?,
                    created_at: k.created_at,
                    revoked_at: k.revoked_at,
                });
            }
            views.push(SubscriptionView {
                id: s.id,
                resource_id: r.id,
                resource_name: spec.name.clone(),
                owner: r.owner.clone(),
                owner_name: orgs.name(&r.owner, "zh"),
                owner_name_en: orgs.name(&r.owner, "en"),
                subscriber_name: orgs.name(&s.subscriber, "zh"),
                subscriber_name_en: orgs.name(&s.subscriber, "en"),
                fields: fields_of(&s)?,
                purpose: s.purpose,
                basis: s.basis,
                state,
                asked_by: names.of(conn, s.asked_by).await?,
                asked_at: s.asked_at,
                decided_by: names.maybe(conn, s.decided_by).await?,
                decided_at: s.decided_at,
                decision: s.decision,
                revoked_by: names.maybe(conn, s.revoked_by).await?,
                revoked_at: s.revoked_at,
                revocation: s.revocation,
                commands,
                may_issue_keys: state == SubscriptionState::Approved
                    && sides.contains(&Side::Subscriber),
                keys,
                subscriber: s.subscriber,
            });
        }
        Ok(views)
    }

    /// One subscription, for either side.
    pub async fn subscription(&self, actor: &Actor, id: i64) -> Result<SubscriptionView> {
        let orgs = self.orgs();
        let mut conn = self.db.read().await?;
        let (s, r) = subscription_row(&mut conn, id).await?;
        let spec = spec_of(&r)?;
        self.subscription_views(&mut conn, &orgs, actor, vec![s], &[(r, spec)])
            .await?
            .pop()
            .ok_or_else(|| subscription_not_found().into())
    }

    /// The approvals queue (`owned`: every subscription to the resources of
    /// the departments where the actor decides, those waiting first) or the
    /// actor's departments' own subscriptions.
    pub async fn subscriptions(
        &self,
        actor: &Actor,
        queue: Queue,
    ) -> Result<Vec<SubscriptionView>> {
        let orgs = self.orgs();
        allow(&orgs, actor, &Action::ViewStaffCatalog)?;
        let mut conn = self.db.read().await?;
        let mut resources = vec![];
        for r in store::resources(&mut conn).await? {
            let spec = spec_of(&r)?;
            resources.push((r, spec));
        }
        let decides = |owner: &str| {
            orgs.get(owner).is_some_and(|o| {
                allow(
                    &orgs,
                    actor,
                    &Action::DecideSubscriptions { owner: &o.code },
                )
                .is_ok()
            })
        };
        let uses = |subscriber: &str| {
            orgs.get(subscriber).is_some_and(|o| {
                allow(
                    &orgs,
                    actor,
                    &Action::UseResources {
                        subscriber: &o.code,
                    },
                )
                .is_ok()
            })
        };
        let rows: Vec<SubscriptionRow> = store::subscriptions(&mut conn)
            .await?
            .into_iter()
            .filter(|s| {
                let owner = resources
                    .iter()
                    .find(|(r, _)| r.id == s.resource_id)
                    .map_or("", |(r, _)| r.owner.as_str());
                match queue {
                    Queue::Owned => decides(owner),
                    Queue::Subscribed => uses(&s.subscriber),
                }
            })
            .collect();
        let mut views = self
            .subscription_views(&mut conn, &orgs, actor, rows, &resources)
            .await?;
        if queue == Queue::Owned {
            views.sort_by_key(|v| (v.state != SubscriptionState::Requested, -v.id));
        }
        Ok(views)
    }

    /// A department asks for a resource: granted at once when it is shared
    /// unconditionally, waiting for the owner when on conditions, refused
    /// when not shared.
    pub async fn subscribe(
        &self,
        actor: &Actor,
        resource_id: i64,
        form: SubscribeForm,
    ) -> Result<SubscriptionView> {
        let orgs = self.orgs();
        let code = form
            .subscriber
            .clone()
            .or_else(|| actor.org.as_ref().map(ToString::to_string))
            .unwrap_or_default();
        let subscriber = department(&orgs, &code).map_err(|_| {
            Refusal::field(
                "subscriber",
                "没有这个单位",
                "There is no such organisation",
            )
        })?;
        allow(
            &orgs,
            actor,
            &Action::UseResources {
                subscriber: &subscriber,
            },
        )?;
        let purpose = form.purpose.trim().to_string();
        let basis = form.basis.trim().to_string();
        let mut e = FieldErrors::default();
        text_field(&mut e, "purpose", &purpose, 2, 500);
        text_field(&mut e, "basis", &basis, 0, 500);
        e.check()?;
        let (now, who) = (self.now_micros(), actor.clone());
        let id = self
            .db
            .write(async move |tx: &mut WriteTx| -> Result<i64> {
                let r = resource_row(tx.conn(), resource_id).await?;
                if r.owner == subscriber.as_str() {
                    return Err(Refusal::conflict(
                        "own_resource",
                        "本单位的资源无需订阅",
                        "A department does not subscribe to its own resource",
                    )
                    .into());
                }
                let spec = spec_of(&r)?;
                let state = rules::opening(spec.class)?;
                let live = store::subscriptions_of(tx.conn(), resource_id)
                    .await?
                    .into_iter()
                    .any(|s| {
                        s.subscriber == subscriber.as_str()
                            && SubscriptionState::parse(&s.state).is_some_and(|st| !st.is_final())
                    });
                if live {
                    return Err(Refusal::conflict(
                        "already_subscribed",
                        "本单位已订阅或正在申请该资源",
                        "The department has subscribed to this resource, or asked already",
                    )
                    .into());
                }
                if spec.class == sunshine_domain::sharing::SharingClass::Conditional
                    && basis.is_empty()
                {
                    return Err(Refusal::field(
                        "basis",
                        "有条件共享的资源须写明申请依据",
                        "A resource shared on conditions is asked for with a basis",
                    )
                    .into());
                }
                let fields = chosen_fields(&spec.fields, &form.fields)?;
                let fields_json = serde_json::to_string(&fields).map_err(anyhow::Error::from)?;
                let id = store::insert_subscription(
                    tx.conn(),
                    resource_id,
                    subscriber.as_str(),
                    &fields_json,
                    &purpose,
                    &basis,
                    state.as_str(),
                    who.user_id,
                    now,
                )
                .await?;
                if state == SubscriptionState::Approved {
                    store::step(
                        tx.conn(),
                        id,
                        Step::Decision,
                        state.as_str(),
                        who.user_id,
                        now,
                        "",
                    )
                    .await?;
                }
                tx.journal(
                    now,
                    on_subscription(
                        &who,
                        id,
                        "sharing.subscription_requested",
                        json!({"resource": resource_id, "subscriber": subscriber.as_str(),
                            "fields": fields, "purpose": purpose, "basis": basis,
                            "state": state.as_str()}),
                    ),
                )
                .await?;
                Ok(id)
            })
            .await?;
        self.subscription(actor, id).await
    }

    /// Approve, refuse or revoke a subscription, as its owner or (revoking)
    /// its subscriber.
    pub async fn subscription_command(
        &self,
        actor: &Actor,
        id: i64,
        command: SubscriptionCommand,
    ) -> Result<SubscriptionView> {
        let orgs = self.orgs();
        let (now, who, tree) = (self.now_micros(), actor.clone(), orgs.clone());
        self.db
            .write_decided(async move |tx: &mut WriteTx| -> Result<()> {
                let (s, r) = subscription_row(tx.conn(), id).await?;
                let sides = sides(&tree, &who, &r.owner, &s.subscriber);
                if !may_see(&tree, &who, &r.owner, &s.subscriber) {
                    return Err(subscription_not_found().into());
                }
                let state = state_of(&s)?;
                // Deciding is the owner's; revoking either side's, the owner's
                // word first (`sides` lists the owner first).
                let side = match command {
                    SubscriptionCommand::Revoke { .. } => sides.first().copied(),
                    _ => sides.contains(&Side::Owner).then_some(Side::Owner),
                };
                let Some(side) = side else {
                    let owner = department(&tree, &r.owner)?;
                    allow(&tree, &who, &Action::DecideSubscriptions { owner: &owner })?;
                    return Err(subscription_not_found().into());
                };
                let next = rules::decide(state, side, &command)?;
                let reason = command.reason().to_string();
                let step = match command {
                    SubscriptionCommand::Revoke { .. } => Step::Revocation,
                    _ => Step::Decision,
                };
                store::step(tx.conn(), id, step, next.as_str(), who.user_id, now, &reason).await?;
                tx.journal(
                    now,
                    on_subscription(&who, id,
                        match command {
                            SubscriptionCommand::Approve { .. } => "sharing.subscription_approved",
                            SubscriptionCommand::Refuse { .. } => "sharing.subscription_refused",
                            SubscriptionCommand::Revoke { .. } => "sharing.subscription_revoked",
                        },
                        json!({"reason": reason, "by": if side == Side::Owner { "owner" } else { "subscriber" }}),
                    ),
                )
                .await?;
                Ok(())
            })
            .await?;
        self.subscription(actor, id).await
    }

    /// The subscriber issues an access key for an approved subscription;
    /// its secret is shown once.
    pub async fn issue_sharing_key(&self, actor: &Actor, id: i64, name: &str) -> Result<IssuedKey> {
        let name = name.trim().to_string();
        let mut e = FieldErrors::default();
        text_field(&mut e, "name", &name, 1, 60);
        e.check()?;
        let (now, who, tree) = (self.now_micros(), actor.clone(), self.orgs());
        self.db
            .write_decided(async move |tx: &mut WriteTx| -> Result<IssuedKey> {
                let (s, r) = subscription_row(tx.conn(), id).await?;
                if !sides(&tree, &who, &r.owner, &s.subscriber).contains(&Side::Subscriber) {
                    if !may_see(&tree, &who, &r.owner, &s.subscriber) {
                        return Err(subscription_not_found().into());
                    }
                    let subscriber = department(&tree, &s.subscriber)?;
                    allow(
                        &tree,
                        &who,
                        &Action::UseResources {
                            subscriber: &subscriber,
                        },
                    )?;
                }
                rules::may_issue_key(state_of(&s)?)?;
                let secret = random_token();
                let key =
                    store::insert_key(tx.conn(), id, &name, &token_hash(&secret), who.user_id, now)
                        .await?;
                tx.journal(
                    now,
                    on_subscription(
                        &who,
                        id,
                        "sharing.key_issued",
                        json!({"key": key, "name": name}),
                    ),
                )
                .await?;
                Ok(IssuedKey {
                    id: key,
                    subscription_id: id,
                    name,
                    secret,
                })
            })
            .await
    }

    /// The owner or the subscriber revokes a key: it opens nothing after.
    pub async fn revoke_sharing_key(&self, actor: &Actor, key_id: i64) -> Result<SubscriptionView> {
        let (now, who, tree) = (self.now_micros(), actor.clone(), self.orgs());
        let id = self
            .db
            .write_decided(async move |tx: &mut WriteTx| -> Result<i64> {
                let not_found = || Refusal::not_found("访问密钥", "The key");
                let key = store::key(tx.conn(), key_id).await?.ok_or_else(not_found)?;
                let (s, r) = subscription_row(tx.conn(), key.subscription_id).await?;
                if sides(&tree, &who, &r.owner, &s.subscriber).is_empty() {
                    if !may_see(&tree, &who, &r.owner, &s.subscriber) {
                        return Err(not_found().into());
                    }
                    let owner = department(&tree, &r.owner)?;
                    allow(&tree, &who, &Action::DecideSubscriptions { owner: &owner })?;
                }
                if key.revoked_at.is_some() {
                    return Err(Refusal::conflict(
                        "key_revoked",
                        "该访问密钥已撤销",
                        "This access key has been revoked already",
                    )
                    .into());
                }
                store::revoke_key(tx.conn(), key_id, who.user_id, now).await?;
                tx.journal(
                    now,
                    on_subscription(
                        &who,
                        s.id,
                        "sharing.key_revoked",
                        json!({"key": key_id, "name": key.name}),
                    ),
                )
                .await?;
                Ok(s.id)
            })
            .await?;
        self.subscription(actor, id).await
    }

    /// A subscription's reads, for the owner's staff and the subscriber's.
    pub async fn sharing_reads(
        &self,
        actor: &Actor,
        id: i64,
        before: Option<i64>,
    ) -> Result<ReadLog> {
        let subscription = self.subscription(actor, id).await?;
        let mut conn = self.db.read().await?;
        let names: std::collections::BTreeMap<i64, String> = subscription
            .keys
            .iter()
            .map(|k| (k.id, k.name.clone()))
            .collect();
        let reads = store::reads_of(&mut conn, id, before, READ_PAGE)
            .await?
            .into_iter()
            .map(|r| ReadView {
                id: r.id,
                key_id: r.key_id,
                key_name: names.get(&r.key_id).cloned().unwrap_or_default(),
                at: r.at,
                rows: r.row_count,
                client: r.client,
                outcome: r.outcome,
            })
            .collect();
        Ok(ReadLog {
            subscription,
            reads,
        })
    }

    /// Read a resource's rows through a key: only the fields subscribed,
    /// and only while the key is live and the subscription approved. Every
    /// read of a known key is logged in the same write as it is answered,
    /// refused ones with the refusal's code; a try with a key that is
    /// nobody's is counted against the resource, by client and hour.
    pub async fn read_with_key(&self, read: KeyRead) -> Result<DataPage> {
        let hash = token_hash(read.secret.trim());
        // The client's address as logged: at most 64 characters.
        let client: String = read.client.chars().take(64).collect();
        let now = self.now_micros();
        let limit = read.limit.clamp(1, MAX_READ);
        let offset = read.offset.max(0);
        let answer = self
            .db
            .write(
                async move |tx: &mut WriteTx| -> Result<std::result::Result<DataPage, Refusal>> {
                    let Some(key) = store::key_by_hash(tx.conn(), &hash).await? else {
                        // Nobody's key: counted against the resource for its
                        // owner to see, by client and hour.
                        if store::resource(tx.conn(), read.resource_id)
                            .await?
                            .is_some()
                        {
                            let hour = rules::attempt_hour(now);
                            store::note_unknown_key(
                                tx.conn(),
                                read.resource_id,
                                &client,
                                hour,
                                now,
                            )
                            .await?;
                        }
                        return Ok(Err(key_unknown()));
                    };
                    let (s, r) = subscription_row(tx.conn(), key.subscription_id).await?;
                    let decided = if r.id != read.resource_id {
                        Err(Refusal::forbidden(
                            "key_for_another_resource",
                            "该访问密钥不是为这一资源签发的",
                            "This access key was not issued for this resource",
                        ))
                    } else {
                        rules::may_read(state_of(&s)?, key.revoked_at.is_some())
                    };
                    let page = match decided {
                        Ok(()) => Ok(page_of(tx.conn(), &r, &s, offset, limit).await?),
                        Err(refusal) => Err(refusal),
                    };
                    let (count, outcome) = match &page {
                        Ok(p) => (p.rows.len() as i64, "read".to_string()),
                        Err(refusal) => (0, refusal.code.to_string()),
                    };
                    store::insert_read(
                        tx.conn(),
                        &ReadRow {
                            id: 0,
                            subscription_id: s.id,
                            key_id: key.id,
                            at: now,
                            row_count: count,
                            client: client.clone(),
                            outcome: outcome.clone(),
                        },
                    )
                    .await?;
                    tx.journal(
                        now,
                        NewEntry {
                            actor: format!("key:{}", key.id),
                            org: s.subscriber.clone(),
                            subject: format!("sharing/subscription/{}", s.id),
                            event_type: "sharing.read",
                            payload: json!({"key": key.id, "resource": r.id, "rows": count,
                            "offset": offset, "outcome": outcome}),
                        },
                    )
                    .await?;
                    Ok(page)
                },
            )
            .await?;
        Ok(answer?)
    }
}

/// The rows of a page, with the subscribed fields only.
async fn page_of(
    conn: &mut Conn,
    r: &ResourceRow,
    s: &SubscriptionRow,
    offset: i64,
    limit: i64,
) -> Result<DataPage> {
    let fields = fields_of(s)?;
    let data = if r.source == FROM_ENTERPRISES {
        sunshine_store::sharing::enterprise::records(conn, offset, limit)
            .await?
            .iter()
            .map(|d| super::enterprise::record_of(d).map(|rec| rec.values))
            .collect::<Result<Vec<_>>>()?
    } else {
        store::rows(conn, r.id, offset, limit)
            .await?
            .iter()
            .map(|d| serde_json::from_str(d).map_err(|e| anyhow::Error::from(e).into()))
            .collect::<Result<Vec<_>>>()?
    };
    Ok(DataPage {
        resource_id: r.id,
        subscription_id: s.id,
        total: r.row_count,
        offset,
        rows: data.iter().map(|v| rows::project(v, &fields)).collect(),
        fields,
    })
}
