//! Pairing a digital-TV set-top box (数字电视) with a resident's account, so
//! that an elder orders and rates home care with the remote control and
//! never types a password on the TV. The TV asks for a pairing and shows
//! its short code; the resident, signed in on a phone or computer (or
//! helped by family), confirms the code; the TV, which holds only a secret
//! in a cookie kept for the TV's pages, then serves that resident's home
//! care until the resident unpairs it. Pairing and unpairing are journaled.

use rand::RngCore;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use sunshine_domain::identity::{Actor, UserKind};
use sunshine_domain::refusal::Refusal;
use sunshine_store::tv as store;
use sunshine_store::WriteTx;

use crate::identity::{random_token, token_hash, Session};
use crate::journal_entry::entry;
use crate::{App, Result};

/// How long a TV's code waits for the resident, in minutes.
pub const CODE_MINUTES: i64 = 10;
/// Letters and digits a code is drawn from: none read like another.
const ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// Where a TV stands.
pub enum TvState {
    /// Waiting for its code to be confirmed.
    Waiting { code: String, expires_at: i64 },
    /// Paired: the resident's session, for the TV's pages only.
    Paired(Box<Session>),
    /// Unknown, expired or unpaired: it asks again.
    Unpaired,
}

/// A TV as its resident sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TvDevice {
    pub id: i64,
    pub label: String,
    pub paired_at: i64,
    pub last_used_at: Option<i64>,
    /// Still paired (not unpaired).
    pub active: bool,
}

impl TvDevice {
    fn of(r: &store::PairingRow) -> TvDevice {
        TvDevice {
            id: r.id,
            label: r.label.clone().unwrap_or_default(),
            paired_at: r.paired_at.unwrap_or(r.created_at),
            last_used_at: r.last_used_at,
            active: r.revoked_at.is_none(),
        }
    }
}

/// A TV waiting for its code, as the resident is shown it before
/// confirming: so that a code a stranger reads out, for a TV that is not
/// the resident's, can be told apart (RFC 8628 §5.4).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TvWaiting {
    /// The code as the TV shows it (`ABCD-EFGH`).
    pub code: String,
    /// When the TV asked for it (µs).
    pub shown_at: i64,
    pub expires_at: i64,
    /// The device, as its browser describes itself.
    pub device: String,
    /// The network it asked from, its address's last part hidden.
    pub shown_from: String,
}

/// How a TV's address is shown to the resident: the network, not the
/// house (`203.0.113.*`, `2001:db8:12::*`).
pub fn network_of(ip: std::net::IpAddr) -> String {
    match ip {
        std::net::IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.*", o[0], o[1], o[2])
        }
        std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => network_of(std::net::IpAddr::V4(v4)),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}::*", s[0], s[1], s[2])
            }
        },
    }
}

/// A browser's description of itself, as kept: printable, at most 160
/// characters; empty when it gives none.
fn device_of(agent: &str) -> String {
    // No control characters nor bidirectional overrides: the TV's owner
    // chooses this text, and it must not read otherwise than it holds.
    agent
        .chars()
        .filter(|c| !c.is_control() && sunshine_domain::refusal::is_clean_text(&c.to_string()))
        .take(160)
        .collect::<String>()
        .trim()
        .to_string()
}

/// A code as the TV shows it (`ABCD-EFGH`).
pub fn shown_code(code: &str) -> String {
    format!("{}-{}", &code[..4], &code[4..])
}

/// A code as typed: letters upper-cased, spaces and dashes dropped.
fn typed_code(given: &str) -> String {
    given
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect::<String>()
        .to_ascii_uppercase()
}

/// Eight characters of the codes' alphabet: anything else is no code,
/// refused before the store is asked.
fn well_formed(code: &str) -> bool {
    code.len() == 8 && code.bytes().all(|b| ALPHABET.contains(&b))
}

fn new_code() -> String {
    let mut bytes = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes
        .iter()
        .map(|b| ALPHABET[usize::from(b % 32)] as char)
        .collect()
}

/// The form token of a TV's pages, from its secret.
fn tv_csrf(secret: &str) -> String {
    hex::encode(Sha256::digest(format!("{secret}:csrf").as_bytes()))[..32].to_string()
}

fn bad_code() -> Refusal {
    Refusal::field(
        "code",
        "配对码无效或已过期：请在电视上重新打开养老服务页面，获取新的配对码",
        "The code is wrong or has expired: open home care on the TV again for a new one",
    )
}

/// Only a resident whose account is bound to their identity pairs a TV.
fn may_pair(actor: &Actor) -> Result<()> {
    if actor.kind != UserKind::Citizen || !actor.is_verified() {
        return Err(Refusal::forbidden(
            "not_verified",
            "请先完成实名认证，再配对电视",
            "Bind your account to your identity first, then pair a TV",
        )
        .into());
    }
    Ok(())
}

impl App {
    /// A TV asks to be paired, from `address`, describing itself as
    /// `agent`: its secret (for its cookie), its code and when the code
    /// expires.
    pub async fn start_tv_pairing(
        &self,
        agent: &str,
        address: std::net::IpAddr,
    ) -> Result<(String, String, i64)> {
        let (device, from) = (device_of(agent), network_of(address));
        let now = self.now_micros();
        let expires_at = now + CODE_MINUTES * 60_000_000;
        for _ in 0..5 {
            let (secret, code) = (random_token(), new_code());
            let (hash, c) = (token_hash(&secret), code.clone());
            let (device, from) = (device.clone(), from.clone());
            let made = self
                .db
                .write(async move |tx: &mut WriteTx| -> Result<bool> {
                    // Codes no one confirmed are forgotten a day after.
                    store::purge_unconfirmed(tx.conn(), now - 86_400_000_000).await?;
                    Ok(
                        store::insert(tx.conn(), &c, &hash, now, expires_at, &device, &from)
                            .await?,
                    )
                })
                .await?;
            if made {
                return Ok((secret, code, expires_at));
            }
        }
        Err(anyhow::anyhow!("no free TV pairing code after five draws").into())
    }

    /// Where the TV holding `secret` stands.
    pub async fn tv_state(&self, secret: &str) -> Result<TvState> {
        let now = self.now_micros();
        let mut conn = self.db.read().await?;
        let Some(p) = store::by_device(&mut conn, &token_hash(secret)).await? else {
            return Ok(TvState::Unpaired);
        };
        match (p.user_id, p.revoked_at) {
            (None, None) if p.expires_at > now => Ok(TvState::Waiting {
                code: shown_code(&p.user_code),
                expires_at: p.expires_at,
            }),
            (Some(user_id), None) => {
                let Some(user) = sunshine_store::identity::find_user(&mut conn, user_id)
                    .await?
                    .filter(|u| u.is_open())
                else {
                    return Ok(TvState::Unpaired);
                };
                let actor = crate::identity::actor_of(&mut conn, user).await?;
                drop(conn);
                // Each use noted, at most once a minute.
                if p.last_used_at.is_none_or(|at| now - at > 60_000_000) {
                    let id = p.id;
                    self.db
                        .write(async move |tx: &mut WriteTx| -> Result<()> {
                            Ok(store::touch(tx.conn(), id, now).await?)
                        })
                        .await?;
                }
                Ok(TvState::Paired(Box::new(Session {
                    token: format!("tv:{}", p.id),
                    csrf: tv_csrf(secret),
                    desks: crate::desks::Desks::default(),
                    actor,
                })))
            }
            _ => Ok(TvState::Unpaired),
        }
    }

    /// The TV waiting for `code`, as the resident is shown it before they
    /// confirm: when it asked, what it is and where from. Only for a
    /// resident who may pair one.
    pub async fn preview_tv_pairing(&self, actor: &Actor, code: &str) -> Result<TvWaiting> {
        may_pair(actor)?;
        let code = typed_code(code);
        if !well_formed(&code) {
            return Err(bad_code().into());
        }
        let mut conn = self.db.read().await?;
        let p = store::waiting(&mut conn, &code, self.now_micros())
            .await?
            .ok_or_else(bad_code)?;
        Ok(TvWaiting {
            code: shown_code(&p.user_code),
            shown_at: p.created_at,
            expires_at: p.expires_at,
            device: p.device.unwrap_or_default(),
            shown_from: p.shown_from.unwrap_or_default(),
        })
    }

    /// A resident confirms the code their TV shows: the TV is theirs until
    /// they unpair it. Only a resident whose account is bound to their
    /// identity (实名) pairs one, since the TV orders in their name.
    pub async fn pair_tv(&self, actor: &Actor, code: &str, label: &str) -> Result<TvDevice> {
        may_pair(actor)?;
        let label = match label.trim() {
            "" => "电视".to_string(),
            l if l.chars().count() <= 40
                && !l.contains(['\n', '\r', '\t'])
                && sunshine_domain::refusal::is_clean_text(l) =>
            {
                l.to_string()
            }
            _ => {
                return Err(Refusal::field(
                    "label",
                    "名称为一行文字，不超过40字",
                    "A name is one line of at most 40 characters",
                )
                .into())
            }
        };
        let code = typed_code(code);
        if !well_formed(&code) {
            return Err(bad_code().into());
        }
        let now = self.now_micros();
        let who = actor.clone();
        let id = self
            .db
            .write_decided(async move |tx: &mut WriteTx| -> Result<i64> {
                let Some(id) = store::confirm(tx.conn(), &code, who.user_id, &label, now).await?
                else {
                    return Err(bad_code().into());
                };
                tx.journal(
                    now,
                    entry(
                        &who,
                        format!("account/tv/{id}"),
                        "tv.paired",
                        json!({"label": label}),
                    ),
                )
                .await?;
                Ok(id)
            })
            .await?;
        self.tv_devices(actor)
            .await?
            .into_iter()
            .find(|d| d.id == id)
            .ok_or_else(|| bad_code().into())
    }

    /// The TVs paired to the signed-in resident, the latest first.
    pub async fn tv_devices(&self, actor: &Actor) -> Result<Vec<TvDevice>> {
        let mut conn = self.db.read().await?;
        Ok(store::of_user(&mut conn, actor.user_id)
            .await?
            .iter()
            .map(TvDevice::of)
            .collect())
    }

    /// Unpair one of the resident's TVs: it asks for a new code next time.
    pub async fn unpair_tv(&self, actor: &Actor, id: i64) -> Result<()> {
        let now = self.now_micros();
        let who = actor.clone();
        self.db
            .write_decided(async move |tx: &mut WriteTx| -> Result<()> {
                if !store::revoke(tx.conn(), id, who.user_id, now).await? {
                    return Err(Refusal::not_found("该电视", "The TV").into());
                }
                tx.journal(
                    now,
                    entry(&who, format!("account/tv/{id}"), "tv.unpaired", json!({})),
                )
                .await?;
                Ok(())
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_eight_unambiguous_characters_typed_any_way() {
        let code = new_code();
        assert_eq!(code.len(), 8);
        assert!(code.bytes().all(|b| ALPHABET.contains(&b)));
        assert!(!code.contains(['0', 'O', '1', 'I']));
        assert_eq!(typed_code(" abcd-efgh "), "ABCDEFGH");
        assert!(well_formed(&typed_code("abcd-efgh")));
        assert!(!well_formed("ABCD\0FGH") && !well_formed("ABCDEFG0") && !well_formed("ABC"));
        assert_eq!(shown_code("ABCDEFGH"), "ABCD-EFGH");
        assert_ne!(tv_csrf("a"), tv_csrf("b"));
        let ip = |s: &str| s.parse::<std::net::IpAddr>().expect("address");
        assert_eq!(network_of(ip("203.0.113.77")), "203.0.113.*");
        assert_eq!(network_of(ip("::ffff:198.51.100.9")), "198.51.100.*");
        assert_eq!(network_of(ip("2001:db8:12:34::1")), "2001:db8:12::*");
        assert_eq!(device_of("  "), "");
        assert_eq!(device_of("STB\u{202e}VT"), "STBVT");
        assert_eq!(device_of(&"x\u{7}".repeat(200)).len(), 160);
    }
}
