//! The alliance's parties (operators and merchants) and their terminals:
//! added, rekeyed, retired.

use super::*;

/// What kind of terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TerminalKind {
    /// A bus validator, a water-bus gate: charges a ride by the fare rules.
    Validator,
    /// A merchant's point of sale: charges what the merchant keys in.
    Pos,
    /// A gate or a desk (a park's gate, a library's desk, a hospital's
    /// counter): checks entitlements, charges nothing.
    Gate,
    /// A public-bicycle dock: a tap takes a bicycle (the deposit must be
    /// held) or returns the one out, charged by the hours past the free one.
    Dock,
}

impl TerminalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TerminalKind::Validator => "validator",
            TerminalKind::Pos => "pos",
            TerminalKind::Gate => "gate",
            TerminalKind::Dock => "dock",
        }
    }

    pub fn parse(s: &str) -> Option<TerminalKind> {
        [
            TerminalKind::Validator,
            TerminalKind::Pos,
            TerminalKind::Gate,
            TerminalKind::Dock,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// A transit operator or a merchant of the alliance: whose takings a tap credits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Party {
    pub id: u64,
    pub code: String,
    pub name: String,
    /// `operator` or `merchant`.
    pub kind: String,
    /// Which purse a payment may come from at its terminals.
    pub accepts: Vec<Purse>,
    /// What a cardholder pays of the keyed-in price, in percent (parking: 90).
    pub percent_of_price: u32,
}

/// An operator or a merchant to register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NewParty {
    pub code: String,
    pub name: String,
    /// `operator` or `merchant`.
    pub kind: String,
    pub accepts: Vec<Purse>,
    /// What a cardholder pays of the keyed-in price, in percent.
    #[serde(default = "full_price")]
    pub percent_of_price: u32,
}

pub(super) fn full_price() -> u32 {
    100
}

/// A terminal to register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NewTerminal {
    pub code: String,
    #[schema(value_type = String)]
    pub kind: TerminalKind,
    /// The operator's or merchant's code.
    pub party: String,
    /// For a validator: its fare network.
    #[serde(default)]
    pub network_id: String,
    /// Its ed25519 public key, 64 hex digits.
    pub public_key: String,
}

/// A registered terminal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Terminal {
    pub code: String,
    #[schema(value_type = String)]
    pub kind: TerminalKind,
    /// The operator or merchant it takes money for.
    pub party: u64,
    /// For a validator: the fare network it charges (GTFS's `network_id`).
    pub network_id: String,
    /// Its ed25519 public key, hex; every upload is signed with it. A key
    /// changed replaces it: requests signed with the old one are refused.
    pub public_key: String,
    pub registered_at: i64,
    /// When it was retired (microseconds UTC): it is refused from then on.
    #[serde(default)]
    pub retired_at: Option<i64>,
}

impl Terminal {
    /// Whether it still takes requests.
    pub fn in_service(&self) -> bool {
        self.retired_at.is_none()
    }

    /// Itself if it still takes requests; a refusal if it is retired.
    pub fn serving(&self) -> Result<&Terminal, Refusal> {
        if !self.in_service() {
            return Err(Refusal::forbidden(
                "terminal_retired",
                "该终端已停用",
                "This terminal is retired",
            ));
        }
        Ok(self)
    }
}

/// A terminal's ed25519 public key in 64 hex digits, as it is kept: lower case.
pub(super) fn check_public_key(public_key: &str) -> Result<String, Refusal> {
    let key = public_key.trim().to_ascii_lowercase();
    let valid = hex::decode(&key).is_ok_and(|k| {
        <[u8; 32]>::try_from(k.as_slice())
            .ok()
            .and_then(|k| ed25519_dalek::VerifyingKey::from_bytes(&k).ok())
            .is_some()
    });
    if !valid {
        return Err(Refusal::field(
            "public_key",
            "公钥须为64位十六进制的 ed25519 公钥",
            "The public key is an ed25519 key in 64 hex digits",
        ));
    }
    Ok(key)
}

/// An operator's, merchant's or terminal's code: 1 to 32 letters, digits,
/// hyphens or underscores.
pub(super) fn check_code(code: &str) -> Result<&str, Refusal> {
    let code = code.trim();
    let fine = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
    if code.is_empty() || code.len() > 32 || !code.bytes().all(fine) {
        return Err(Refusal::field(
            "code",
            "编码为1到32位字母、数字、连字符",
            "A code is 1 to 32 letters, digits or hyphens",
        ));
    }
    Ok(code)
}

impl Book {
    pub fn party(&self, code: &str) -> Option<&Party> {
        self.party_codes
            .get(code)
            .and_then(|id| self.parties.get(id))
    }

    pub fn parties(&self) -> Vec<&Party> {
        let mut v: Vec<&Party> = self.parties.values().collect();
        v.sort_by_key(|p| p.id);
        v
    }

    pub fn terminal(&self, code: &str) -> Option<&Terminal> {
        self.terminals.get(code)
    }

    /// A registered terminal, retired or not; an unknown one is refused.
    pub(super) fn known_terminal(&self, code: &str) -> Result<&Terminal, Refusal> {
        self.terminal(code)
            .ok_or_else(|| Refusal::not_found("该终端", "The terminal"))
    }

    /// A terminal that still takes requests: unknown and retired ones are refused.
    pub fn serving_terminal(&self, code: &str) -> Result<&Terminal, Refusal> {
        self.known_terminal(code)?.serving()
    }

    /// Every terminal, retired ones too, by code.
    pub fn terminals(&self) -> Vec<&Terminal> {
        let mut v: Vec<&Terminal> = self.terminals.values().collect();
        v.sort_by(|a, b| a.code.cmp(&b.code));
        v
    }

    /// Register an operator or a merchant.
    pub fn add_party(&mut self, new: &NewParty, now: i64, by: &Doer) -> Result<Party, Refusal> {
        let NewParty {
            code,
            name,
            kind,
            accepts,
            percent_of_price,
        } = new;
        let (kind, percent_of_price) = (kind.as_str(), *percent_of_price);
        let code = check_code(code)?;
        if name.trim().is_empty() || !is_one_clean_line(name) {
            return Err(Refusal::field(
                "name",
                "请填写名称（一行，不含控制字符）",
                "Give the name (one line, no control characters)",
            ));
        }
        if !matches!(kind, "operator" | "merchant" | "institution") {
            return Err(Refusal::field(
                "kind",
                "类别为 operator（交通运营）、merchant（商户）或 institution（医院、公园、图书馆）",
                "The kind is operator, merchant or institution (a hospital, a park, a library)",
            ));
        }
        if !(1..=100).contains(&percent_of_price) {
            return Err(Refusal::field(
                "percent_of_price",
                "持卡优惠比例为1到100",
                "The cardholder's share of the price is from 1 to 100 percent",
            ));
        }
        if accepts.is_empty() {
            return Err(Refusal::field(
                "accepts",
                "至少接受一种支付方式",
                "Accept at least one purse",
            ));
        }
        if self.party_codes.contains_key(code) {
            return Err(Refusal::conflict(
                "party_exists",
                "该编码已登记",
                "That code is registered already",
            ));
        }
        let id = self.parties.keys().max().copied().unwrap_or(0) + 1;
        let party = Party {
            id,
            code: code.to_string(),
            name: name.trim().to_string(),
            kind: kind.to_string(),
            accepts: accepts.to_vec(),
            percent_of_price,
        };
        let _ = self.ledger.create_account(Account::new(
            takings_of(id),
            CNY,
            account_code::TAKINGS,
            AccountFlags::default(),
        ));
        self.parties.insert(id, party.clone());
        self.party_codes.insert(party.code.clone(), id);
        self.effects.push(Effect::Party(party.clone()));
        self.effects.push(Effect::Journal {
            at: now,
            entry: NewEntry {
                actor: by.actor.clone(),
                org: by.org.clone(),
                subject: format!("card-party/{}", party.code),
                event_type: "card.party_added",
                payload: serde_json::json!({
                    "name": party.name,
                    "kind": party.kind,
                    "percent_of_price": percent_of_price,
                }),
            },
        });
        Ok(party)
    }

    /// Register a terminal of an operator or a merchant, with its public key.
    pub fn add_terminal(
        &mut self,
        new: &NewTerminal,
        now: i64,
        by: &Doer,
    ) -> Result<Terminal, Refusal> {
        let NewTerminal {
            code,
            kind,
            party: party_code,
            network_id,
            public_key,
        } = new;
        let kind = *kind;
        let code = check_code(code)?;
        let party = self
            .party(party_code)
            .ok_or_else(|| {
                Refusal::field(
                    "party",
                    "未登记的运营单位或商户",
                    "No such operator or merchant",
                )
            })?
            .id;
        let public_key = check_public_key(public_key)?;
        if kind == TerminalKind::Validator && network_id.trim().is_empty() {
            return Err(Refusal::field(
                "network_id",
                "验票机须指定线网",
                "A validator charges on a fare network: name it",
            ));
        }
        if self.terminals.contains_key(code) {
            return Err(Refusal::conflict(
                "terminal_exists",
                "该终端已登记",
                "That terminal is registered already",
            ));
        }
        let t = Terminal {
            code: code.to_string(),
            kind,
            party,
            network_id: network_id.trim().to_string(),
            public_key,
            registered_at: now,
            retired_at: None,
        };
        self.terminal_changed(
            &t,
            now,
            by,
            "card.terminal_added",
            serde_json::json!({ "kind": kind.as_str(), "party": party_code, "network": t.network_id }),
        );
        Ok(t)
    }

    /// Give a terminal a new public key (its old one lost, leaked or due for
    /// rotation): requests signed with the old key are refused from now on.
    pub fn change_terminal_key(
        &mut self,
        code: &str,
        public_key: &str,
        now: i64,
        by: &Doer,
    ) -> Result<Terminal, Refusal> {
        let public_key = check_public_key(public_key)?;
        let mut t = self.serving_terminal(code)?.clone();
        if t.public_key == public_key {
            return Err(Refusal::field(
                "public_key",
                "新公钥与现用公钥相同",
                "The new key is the one in use",
            ));
        }
        t.public_key = public_key;
        self.terminal_changed(
            &t,
            now,
            by,
            "card.terminal_key_changed",
            serde_json::json!({ "public_key": t.public_key }),
        );
        Ok(t)
    }

    /// Retire a terminal (taken out of use, broken, stolen): it is refused
    /// from now on, and what it recorded but has not uploaded is not taken.
    pub fn retire_terminal(
        &mut self,
        code: &str,
        reason: &str,
        now: i64,
        by: &Doer,
    ) -> Result<Terminal, Refusal> {
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 200 {
            return Err(Refusal::field(
                "reason",
                "请说明停用原因（200字以内）",
                "Say why it is retired (at most 200 characters)",
            ));
        }
        let mut t = self.known_terminal(code)?.clone();
        if !t.in_service() {
            return Err(Refusal::conflict(
                "terminal_retired",
                "该终端已停用",
                "This terminal is retired already",
            ));
        }
        t.retired_at = Some(now);
        self.terminal_changed(
            &t,
            now,
            by,
            "card.terminal_retired",
            serde_json::json!({ "reason": reason }),
        );
        Ok(t)
    }

    /// Keep a new or changed terminal, to be stored and journaled.
    pub(super) fn terminal_changed(
        &mut self,
        t: &Terminal,
        now: i64,
        by: &Doer,
        event_type: &'static str,
        payload: serde_json::Value,
    ) {
        self.terminals.insert(t.code.clone(), t.clone());
        self.effects.push(Effect::Terminal(t.clone()));
        self.effects.push(Effect::Journal {
            at: now,
            entry: NewEntry {
                actor: by.actor.clone(),
                org: by.org.clone(),
                subject: format!("card-terminal/{}", t.code),
                event_type,
                payload,
            },
        });
    }
}
