//! 实名核验: binding an account made online to the identity it says it is.
//!
//! An account made online only *claims* a number. It is bound by proof that
//! its holder is that number's person: a one-time code a counter clerk (hall
//! or card centre) issues after checking the papers, or the number of the
//! person's citizen card with the PIN set at the counter. Binding one
//! account closes every other unbound account that claimed the number. Each
//! step is one journaled command; the journal names numbers only masked.

use rand::RngCore;
use serde_json::json;
use sha2::{Digest, Sha256};
use sunshine_domain::access::{mask_card_number, ReadKind, ReadPurpose};
use sunshine_domain::card::lifecycle::CardState;
use sunshine_domain::identity::{
    check_binding, validate_card_pin, Actor, BindingCode, CityService, UserKind, BINDING_CODE_DAYS,
    PIN_ATTEMPTS,
};
use sunshine_domain::ids::{CreditCode, OrgCode, ResidentId};
use sunshine_domain::policy::Action;
use sunshine_domain::refusal::{is_clean_text, FieldErrors, Refusal};
use sunshine_store::identity::binding::{self as store, BindingCodeRow, Bound};
use sunshine_store::identity::{find_bound_user, find_user};
use sunshine_store::{StoreError, WriteTx};

use crate::journal_entry::entry;
use crate::{App, Result};

/// What a refusal to an account not yet bound says.
pub fn not_bound() -> Refusal {
    Refusal::forbidden(
        "not_bound",
        "请先完成实名核验：凭柜台发放的核验码，或市民卡卡号和密码，绑定本人身份",
        "Bind your account to your identity first: with the code a counter gives you, or your citizen card's number and PIN",
    )
}

fn bad_code() -> Refusal {
    Refusal::field(
        "code",
        "核验码不正确或已失效",
        "The code is wrong or no longer valid",
    )
}

fn bad_card_or_pin() -> Refusal {
    Refusal::field("pin", "卡号或密码不正确", "Wrong card number or PIN")
}

fn already_bound() -> Refusal {
    Refusal::conflict(
        "already_bound",
        "该身份已绑定另一个账号：请用那个账号登录，或到窗口办理",
        "This identity is bound to another account: sign in with that one, or ask at a counter",
    )
}

/// A counter's binding code, asked for after checking the papers.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct NewBindingCode {
    /// `citizen` or `enterprise`.
    pub kind: String,
    /// The identity number (a citizen) or credit code (an enterprise) on the papers.
    pub number: String,
    /// The name on the papers.
    pub name: String,
    /// An enterprise's legal representative, whose papers were checked too.
    #[serde(default)]
    pub legal_rep_name: Option<String>,
    #[serde(default)]
    pub legal_rep_id: Option<String>,
    /// The counter's organisation; the clerk's own by default.
    #[serde(default)]
    pub counter: Option<String>,
}

/// A code as handed to the person: shown once, kept only as its hash.
#[derive(Debug, Clone, serde::Serialize)]
pub struct IssuedBindingCode {
    pub code: String,
    /// Microseconds, UTC: the code is used before then or not at all.
    pub expires_at: i64,
    /// Whose papers were checked, masked.
    pub for_number: String,
}

fn code_hash(code: &BindingCode) -> String {
    hex::encode(Sha256::digest(code.as_str().as_bytes()))
}

/// A number fit for the journal or a slip: the middle hidden.
fn masked(number: &str) -> String {
    ResidentId::parse(number)
        .map(|i| i.masked())
        .unwrap_or_else(|_| {
            let chars: Vec<char> = number.chars().collect();
            if chars.len() > 8 {
                format!(
                    "{}******{}",
                    chars[..4].iter().collect::<String>(),
                    chars[chars.len() - 4..].iter().collect::<String>()
                )
            } else {
                "******".into()
            }
        })
}

/// What a counter checked, read and validated.
struct Papers {
    kind: UserKind,
    number: String,
    name: String,
    legal_rep_name: Option<String>,
    legal_rep_id: Option<String>,
    counter: OrgCode,
}

fn clean_name(e: &mut FieldErrors, field: &'static str, name: &str) -> String {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || !is_clean_text(name) {
        e.add(
            field,
            "姓名或名称应为1至100个字符，且不能包含控制字符",
            "A name has 1 to 100 characters and no control characters",
        );
    }
    name.to_string()
}

/// A citizen or enterprise account that is not bound yet, or why not.
fn unbound_applicant(actor: &Actor) -> Result<()> {
    match actor.kind {
        UserKind::Staff => Err(Refusal::forbidden(
            "not_an_applicant",
            "工作人员账号无需实名绑定",
            "Staff accounts are not bound this way",
        )
        .into()),
        _ if actor.verified_id.is_some() => Err(Refusal::conflict(
            "already_verified",
            "本账号已完成实名核验",
            "This account is already bound to its identity",
        )
        .into()),
        _ => Ok(()),
    }
}

/// What a counter or a card proved: whose number it is, and how.
struct Proof<'a> {
    kind: UserKind,
    number: &'a str,
    /// The name as on the papers (or the card), which becomes the account's.
    name: &'a str,
    method: &'static str,
    legal_rep_name: Option<&'a str>,
    legal_rep_id: Option<&'a str>,
    /// What the journal entry says of the proof besides its method.
    details: serde_json::Value,
}

/// Bind the signed-in account to what `proof` proved, inside a write: the
/// account must have claimed that number, and no other account may hold it;
/// every other unbound claim on it is closed, and one journal entry says so.
/// The whole of what binding does, whichever proof it came with.
async fn bind(tx: &mut WriteTx, who: &Actor, proof: Proof<'_>, at: i64) -> Result<()> {
    let user = find_user(tx.conn(), who.user_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the signed-in account is gone"))?;
    check_binding(
        user.kind,
        user.claimed_id.as_deref().unwrap_or(""),
        proof.kind,
        proof.number,
    )?;
    if let Some(other) = find_bound_user(tx.conn(), proof.kind, proof.number).await? {
        if other.id != user.id {
            return Err(already_bound().into());
        }
    }
    let bound = Bound {
        user_id: user.id,
        kind: proof.kind,
        number: proof.number,
        name: proof.name,
        method: proof.method,
        legal_rep_name: proof.legal_rep_name,
        legal_rep_id: proof.legal_rep_id,
        at,
    };
    match store::bind_account(tx.conn(), &bound).await {
        Err(StoreError::Duplicate(_)) => return Err(already_bound().into()),
        other => other?,
    }
    let closed =
        store::close_unbound_claims(tx.conn(), proof.kind, proof.number, user.id, at).await?;
    let mut payload = proof.details;
    if let Some(map) = payload.as_object_mut() {
        map.insert("method".into(), json!(proof.method));
        map.insert("closed_accounts".into(), json!(closed));
    }
    tx.journal(
        at,
        entry(
            who,
            format!("user/{}", user.id),
            "identity.account_bound",
            payload,
        ),
    )
    .await?;
    Ok(())
}

impl App {
    /// 核验码: a counter clerk (of the hall or the card centre) who has
    /// checked a person's papers issues a one-time code for their number.
    /// The code is shown once; it binds one account that says it is that
    /// number, within `BINDING_CODE_DAYS` days.
    pub async fn issue_binding_code(
        &self,
        actor: &Actor,
        input: NewBindingCode,
    ) -> Result<IssuedBindingCode> {
        let Papers {
            kind,
            number,
            name,
            legal_rep_name: rep_name,
            legal_rep_id: rep_id,
            counter,
        } = self.papers(actor, &input)?;
        self.authorize(actor, &Action::IssueBindingCode { counter: &counter })?;
        let mut bytes = [0u8; 10];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let code = BindingCode::from_random(bytes);
        let now = self.now_micros();
        let expires_at = now.saturating_add(BINDING_CODE_DAYS * 86_400_000_000);
        let row = BindingCodeRow {
            kind,
            subject: number.clone(),
            name,
            legal_rep_name: rep_name,
            legal_rep_id: rep_id,
            counter: counter.clone(),
            issued_by: actor.user_id,
            issued_at: now,
            expires_at,
            used_at: None,
        };
        let (hash, actor) = (code_hash(&code), actor.clone());
        let for_number = masked(&number);
        let shown = for_number.clone();
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<()> {
                store::insert_binding_code(tx.conn(), &hash, &row).await?;
                // The person is shown which counter issued a proof of their identity.
                let person = crate::access::ReadOf {
                    user: None,
                    number: Some(row.subject.clone()),
                    what: shown.clone(),
                };
                crate::access::record_against(
                    tx,
                    &actor,
                    ReadKind::IdentityProof,
                    ReadPurpose::CounterService,
                    vec![person],
                    now,
                )
                .await?;
                let payload = json!({
                    "kind": row.kind.as_str(),
                    "number": shown,
                    "counter": row.counter.as_str(),
                    "expires_at": row.expires_at,
                });
                tx.journal(
                    now,
                    entry(
                        &actor,
                        format!("binding/{}", &hash[..16]),
                        "identity.binding_code_issued",
                        payload,
                    ),
                )
                .await?;
                Ok(())
            })
            .await?;
        Ok(IssuedBindingCode {
            code: code.as_str().to_string(),
            expires_at,
            for_number,
        })
    }

    /// The papers a counter clerk says they checked, read from the request,
    /// or every field that cannot be read.
    fn papers(&self, actor: &Actor, input: &NewBindingCode) -> Result<Papers> {
        let mut e = FieldErrors::default();
        let kind = match input.kind.as_str() {
            "citizen" => Some(UserKind::Citizen),
            "enterprise" => Some(UserKind::Enterprise),
            _ => {
                e.add(
                    "kind",
                    "类型应为个人或企业",
                    "The kind is citizen or enterprise",
                );
                None
            }
        };
        let number = match kind {
            Some(UserKind::Enterprise) => CreditCode::parse(input.number.trim())
                .map(|c| c.to_string())
                .map_err(|b| e.add("number", b.zh, b.en))
                .ok(),
            _ => ResidentId::parse(input.number.trim())
                .map(|i| i.to_string())
                .map_err(|b| e.add("number", b.zh, b.en))
                .ok(),
        };
        let name = clean_name(&mut e, "name", &input.name);
        let (mut rep_name, mut rep_id) = (None, None);
        if kind == Some(UserKind::Enterprise) {
            rep_name = Some(clean_name(
                &mut e,
                "legal_rep_name",
                input.legal_rep_name.as_deref().unwrap_or(""),
            ));
            rep_id = ResidentId::parse(input.legal_rep_id.as_deref().unwrap_or("").trim())
                .map(|i| i.to_string())
                .map_err(|b| e.add("legal_rep_id", b.zh, b.en))
                .ok();
        }
        let counter = input
            .counter
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|c| {
                OrgCode::parse(c)
                    .ok()
                    .filter(|o| self.orgs().tree.contains(o))
            })
            .unwrap_or_else(|| actor.org.clone());
        if counter.is_none() {
            e.add(
                "counter",
                "没有这个窗口机构",
                "No such counter organisation",
            );
        }
        e.check()?;
        let (Some(kind), Some(number), Some(counter)) = (kind, number, counter) else {
            return Err(anyhow::anyhow!("checked above").into());
        };
        Ok(Papers {
            kind,
            number,
            name,
            legal_rep_name: rep_name,
            legal_rep_id: rep_id,
            counter,
        })
    }

    /// Bind the signed-in account with a counter's code: the code must be
    /// live, unused, and for the number the account said it is.
    pub async fn bind_with_code(&self, actor: &Actor, code: &str) -> Result<Actor> {
        unbound_applicant(actor)?;
        let code = BindingCode::parse(code).ok_or_else(bad_code)?;
        let (hash, now, who) = (code_hash(&code), self.now_micros(), actor.clone());
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<()> {
                let row = store::find_binding_code(tx.conn(), &hash)
                    .await?
                    .filter(|r| r.used_at.is_none() && now < r.expires_at)
                    .ok_or_else(bad_code)?;
                // A refusal below rolls the code's use back with the rest.
                if !store::use_binding_code(tx.conn(), &hash, who.user_id, now).await? {
                    return Err(bad_code().into());
                }
                let details = json!({"code": &hash[..16], "counter": row.counter.as_str()});
                let proof = Proof {
                    kind: row.kind,
                    number: &row.subject,
                    name: &row.name,
                    method: "counter_code",
                    legal_rep_name: row.legal_rep_name.as_deref(),
                    legal_rep_id: row.legal_rep_id.as_deref(),
                    details,
                };
                bind(tx, &who, proof, now).await?;
                Ok(())
            })
            .await?;
        self.account_actor_by_id(actor.user_id).await
    }

    /// A card clerk sets (or sets anew, which unlocks) a card's PIN at the
    /// counter, for its holder, whose papers they have checked.
    pub async fn set_card_pin(&self, actor: &Actor, number: &str, pin: &str) -> Result<()> {
        self.authorize_centre(actor, crate::CentreWork::ServeCardholder)?;
        validate_card_pin(pin).map_err(|(zh, en)| Refusal::field("pin", zh, en))?;
        let (holder, _, _) = self.card_holder_and_state(number).await?;
        let pin_hash = self.hash_password(pin.to_string()).await?;
        let (now, actor, number) = (self.now_micros(), actor.clone(), number.to_string());
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<()> {
                store::set_card_pin(tx.conn(), &number, &holder, &pin_hash, now).await?;
                let person = crate::access::ReadOf {
                    user: None,
                    number: Some(holder.clone()),
                    what: mask_card_number(&number),
                };
                crate::access::record_against(
                    tx,
                    &actor,
                    ReadKind::IdentityProof,
                    ReadPurpose::CounterService,
                    vec![person],
                    now,
                )
                .await?;
                tx.journal(
                    now,
                    entry(&actor, format!("card/{number}"), "card.pin_set", json!({})),
                )
                .await?;
                Ok(())
            })
            .await
    }

    /// Bind the signed-in citizen's account with their citizen card's number
    /// and the PIN set at the counter. Wrong PINs in a row lock the PIN
    /// until the counter sets a new one.
    pub async fn bind_with_card(&self, actor: &Actor, number: &str, pin: &str) -> Result<Actor> {
        unbound_applicant(actor)?;
        if actor.kind != UserKind::Citizen {
            return Err(Refusal::forbidden(
                "citizens_only",
                "企业请凭柜台核验码绑定法定代表人",
                "An enterprise binds with a counter's code, for its legal representative",
            )
            .into());
        }
        let number = number.trim().to_string();
        if number.is_empty() || number.len() > 40 || pin.len() > 12 {
            return Err(bad_card_or_pin().into());
        }
        let stored = {
            let mut conn = self.db.read().await?;
            store::card_pin(&mut conn, &number).await?
        };
        let Some(stored) = stored else {
            // Spend the time a PIN check takes, so timing tells nothing.
            let _ = self.hash_password(pin.to_string()).await;
            return Err(bad_card_or_pin().into());
        };
        if stored.failures >= PIN_ATTEMPTS {
            return Err(Refusal::forbidden(
                "pin_locked",
                "密码错误次数过多，已锁定：请到市民卡服务网点重置",
                "Too many wrong PINs: the PIN is locked until a card counter sets a new one",
            )
            .into());
        }
        let right = self
            .verify_password(pin.to_string(), stored.pin_hash.clone())
            .await?;
        let live = match self.card_holder_and_state(&number).await {
            Ok((holder, name, state)) => {
                let usable = matches!(state, CardState::Issued | CardState::Active);
                (holder == stored.holder && usable).then_some((holder, name))
            }
            Err(_) => None,
        };
        let (now, who) = (self.now_micros(), actor.clone());
        let card = number.clone();
        let bound = self
            .db
            .write(async move |tx: &mut WriteTx| -> Result<bool> {
                let Some((holder, name)) = live.filter(|_| right) else {
                    store::count_pin_attempt(tx.conn(), &card, false).await?;
                    tx.journal(
                        now,
                        entry(&who, format!("card/{card}"), "card.pin_failed", json!({})),
                    )
                    .await?;
                    return Ok(false);
                };
                store::count_pin_attempt(tx.conn(), &card, true).await?;
                let proof = Proof {
                    kind: UserKind::Citizen,
                    number: &holder,
                    name: &name,
                    method: "citizen_card",
                    legal_rep_name: None,
                    legal_rep_id: None,
                    details: json!({"card": card}),
                };
                bind(tx, &who, proof, now).await?;
                Ok(true)
            })
            .await?;
        if !bound {
            return Err(bad_card_or_pin().into());
        }
        self.account_actor_by_id(actor.user_id).await
    }

    /// Name the organisation that runs a city-wide service (the hotline
    /// centre, the card centre), as a root administrator: from then on its
    /// roles count only where they cover that organisation.
    pub async fn set_service_centre(&self, actor: &Actor, service: &str, org: &str) -> Result<()> {
        let mut e = FieldErrors::default();
        let service = CityService::parse(service).or_else(|| {
            e.add("service", "没有这项服务", "No such service");
            None
        });
        let org = OrgCode::parse(org)
            .ok()
            .filter(|o| self.orgs().tree.contains(o))
            .or_else(|| {
                e.add("org", "机构不存在", "No such organisation");
                None
            });
        e.check()?;
        let (Some(service), Some(org)) = (service, org) else {
            return Err(anyhow::anyhow!("checked above").into());
        };
        self.authorize(actor, &Action::ConfigurePlatform)?;
        let (now, actor) = (self.now_micros(), actor.clone());
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<()> {
                store::set_service_centre(tx.conn(), service.as_str(), &org).await?;
                tx.journal(
                    now,
                    entry(
                        &actor,
                        format!("platform/{}", service.as_str()),
                        "identity.service_centre_set",
                        json!({"org": org.as_str()}),
                    ),
                )
                .await?;
                Ok(())
            })
            .await?;
        self.reload_orgs().await
    }

    /// An account as an actor, by id, after a change to it.
    async fn account_actor_by_id(&self, id: i64) -> Result<Actor> {
        let mut conn = self.db.read().await?;
        let user = find_user(&mut conn, id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no account {id}"))?;
        super::actor_of(&mut conn, user).await
    }
}
