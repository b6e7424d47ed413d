//! The card operator's work and the terminals': parties, terminals, the
//! clearing and settlement, signed uploads and the deny list.

use super::*;

/// One operator's or merchant's line in a day's clearing report.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClearingLine {
    pub party: String,
    pub name: String,
    pub kind: String,
    /// Charged taps applied that day, and what they charged, fen.
    pub taps: u64,
    pub tapped: i64,
    /// What cards paid at the party's desks for medical settlements
    /// recorded that day, fen.
    pub medical: i64,
    /// What the ledger credited to the party's takings that day, and debited back as refunds.
    pub ledger_takings: i64,
    pub refunds: i64,
    /// Passes sold that day.
    pub passes: i64,
    /// Takings less refunds: what settlement pays.
    pub net: i64,
    /// The taps and the ledger agree to the fen.
    pub ties_out: bool,
    /// The settlement made, if the day is settled.
    pub settled: Option<book::Settlement>,
}

/// A day's clearing report (T+1).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Clearing {
    pub day: String,
    pub lines: Vec<ClearingLine>,
    /// Totals, fen.
    pub tapped: i64,
    pub medical: i64,
    pub ledger_takings: i64,
    pub net: i64,
    /// Every line ties out.
    pub ties_out: bool,
    pub settled: bool,
}

/// What an upload of taps did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UploadResult {
    pub taps: Vec<TapRecord>,
    /// Sequence numbers below the highest seen that have not arrived.
    pub missing: Vec<u64>,
    /// The deny list's version now, so the terminal knows to fetch changes.
    pub deny_version: u64,
}

/// What a terminal uploads: the taps it recorded, in any order.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct TapUpload {
    pub taps: Vec<TapInput>,
}

/// The deny list for a terminal: the full list, or the changes since a version.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DenyList {
    pub version: u64,
    /// Set for the full list: every card denied now, with why.
    pub cards: Option<Vec<DenyEntry>>,
    /// Set for changes: each change after the version asked for, in order.
    pub changes: Option<Vec<DenyChange>>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DenyEntry {
    pub card: String,
    pub reason: String,
}

/// A terminal's signed request, as it came.
pub struct Signed<'a> {
    pub terminal: &'a str,
    pub method: &'a str,
    pub path_and_query: &'a str,
    /// Seconds since the epoch, the terminal's clock.
    pub timestamp: i64,
    pub signature: &'a str,
    pub body: &'a [u8],
}

impl App {
    /// Register a transit operator or a merchant.
    pub async fn add_card_party(&self, actor: &Actor, input: NewParty) -> Result<Party> {
        self.authorize_centre(actor, crate::CentreWork::OperateCards)?;
        let by = doer(actor);
        self.on_books(move |b, now| b.add_party(&input, now, &by))
            .await
    }

    /// Register a terminal.
    pub async fn add_terminal(&self, actor: &Actor, input: NewTerminal) -> Result<Terminal> {
        self.authorize_centre(actor, crate::CentreWork::OperateCards)?;
        let by = doer(actor);
        self.on_books(move |b, now| b.add_terminal(&input, now, &by))
            .await
    }

    /// Every terminal, retired ones too, for operators.
    pub async fn card_terminals(&self, actor: &Actor) -> Result<Vec<Terminal>> {
        self.authorize_centre(actor, crate::CentreWork::OperateCards)?;
        self.on_books(|b, _| Ok(b.terminals().into_iter().cloned().collect()))
            .await
    }

    /// Give a terminal a new public key; the old one is refused from now on.
    pub async fn change_terminal_key(
        &self,
        actor: &Actor,
        code: &str,
        public_key: &str,
    ) -> Result<Terminal> {
        self.authorize_centre(actor, crate::CentreWork::OperateCards)?;
        let (by, code, key) = (doer(actor), code.to_string(), public_key.to_string());
        self.on_books(move |b, now| b.change_terminal_key(&code, &key, now, &by))
            .await
    }

    /// Retire a terminal: it is refused from now on.
    pub async fn retire_terminal(
        &self,
        actor: &Actor,
        code: &str,
        reason: &str,
    ) -> Result<Terminal> {
        self.authorize_centre(actor, crate::CentreWork::OperateCards)?;
        let (by, code, reason) = (doer(actor), code.to_string(), reason.to_string());
        self.on_books(move |b, now| b.retire_terminal(&code, &reason, now, &by))
            .await
    }

    /// The operators and merchants, for operators.
    pub async fn card_parties(&self, actor: &Actor) -> Result<Vec<Party>> {
        self.authorize_centre(actor, crate::CentreWork::OperateCards)?;
        self.on_books(|b, _| Ok(b.parties().into_iter().cloned().collect()))
            .await
    }

    /// A day's clearing report: per operator and merchant, the charged taps
    /// against what the ledger credited, refunds, what settlement pays, and
    /// whether the day is settled.
    pub async fn clearing(&self, actor: &Actor, day: jiff::civil::Date) -> Result<Clearing> {
        self.authorize_centre(actor, crate::CentreWork::OperateCards)?;
        let (from, to) = book::day_bounds(day);
        let (tapped, medical) = {
            let mut conn = self.db.read().await?;
            (
                sunshine_store::card::tapped_between(&mut conn, from, to).await?,
                sunshine_store::card::medical_paid_between(&mut conn, from, to).await?,
            )
        };
        let key = day.to_string();
        let (takings, settlements, parties) = self
            .on_books(move |b, _| {
                Ok((
                    b.day_takings(day),
                    b.settlements(Some(&key)),
                    b.parties().into_iter().cloned().collect::<Vec<_>>(),
                ))
            })
            .await?;
        let mut lines = vec![];
        for p in parties {
            let d = takings.get(&p.id).copied().unwrap_or_default();
            let (taps, tapped_fen) = tapped
                .iter()
                .find(|(id, _, _)| *id == p.id)
                .map_or((0, 0), |(_, n, s)| (*n, *s));
            let medical = medical
                .iter()
                .find(|(id, _)| *id == p.id)
                .map_or(0, |(_, paid)| *paid);
            let settled = settlements.iter().find(|s| s.party == p.id).cloned();
            if taps == 0 && d == book::DayTakings::default() && settled.is_none() {
                continue;
            }
            lines.push(ClearingLine {
                party: p.code,
                name: p.name,
                kind: p.kind,
                taps,
                tapped: tapped_fen,
                medical,
                ledger_takings: d.takings,
                refunds: d.refunds,
                passes: d.passes,
                net: d.net(),
                ties_out: taps == d.count && tapped_fen + medical == d.takings,
                settled,
            });
        }
        Ok(Clearing {
            day: day.to_string(),
            tapped: lines.iter().map(|l| l.tapped).sum(),
            medical: lines.iter().map(|l| l.medical).sum(),
            ledger_takings: lines.iter().map(|l| l.ledger_takings).sum(),
            net: lines.iter().map(|l| l.net).sum(),
            ties_out: lines.iter().all(|l| l.ties_out),
            settled: !settlements.is_empty(),
            lines,
        })
    }

    /// Settle a day that has ended: each party is paid its net.
    pub async fn settle(
        &self,
        actor: &Actor,
        day: jiff::civil::Date,
    ) -> Result<Vec<book::Settlement>> {
        self.authorize_centre(actor, crate::CentreWork::OperateCards)?;
        let by = doer(actor);
        self.on_books(move |b, now| b.settle(day, now, &by)).await
    }

    /// Check a terminal's signature; the terminal, if it holds.
    pub(super) async fn signed_by(&self, s: &Signed<'_>) -> Result<Terminal> {
        let code = s.terminal.to_string();
        let terminal = self
            .on_books(move |b, _| {
                b.terminal(&code)
                    .cloned()
                    .ok_or_else(Refusal::unauthenticated)
            })
            .await?;
        let message = signing::message(s.method, s.path_and_query, s.timestamp, s.body);
        let now = self.now_micros().div_euclid(1_000_000);
        signing::verify(
            &terminal.public_key,
            &message,
            s.signature,
            s.timestamp,
            now,
        )?;
        // Only a request signed with its key learns that it is retired.
        terminal.serving()?;
        Ok(terminal)
    }

    /// A terminal uploads taps it recorded (online or after working offline).
    pub async fn upload_taps(&self, s: &Signed<'_>) -> Result<UploadResult> {
        let terminal = self.signed_by(s).await?;
        let body: TapUpload = body_of(s.body)?;
        if body.taps.len() > 10_000 {
            return Err(Refusal::invalid(
                "too_many_taps",
                "每批最多10000条",
                "At most 10,000 taps a batch",
            )
            .into());
        }
        // A refund names its purchase, and its own id is the purchase's
        // with bit 62 set: both may have left the engine's memory.
        let named = body
            .taps
            .iter()
            .filter_map(|t| t.refund_of)
            .flat_map(|p| [p, p | book::REFUND_BIT])
            .collect();
        self.on_books_recalling(named, move |b, now| {
            let (taps, missing) = b.upload(&terminal.code, body.taps, now)?;
            Ok(UploadResult {
                taps,
                missing,
                deny_version: b.deny_version(),
            })
        })
        .await
    }

    /// The deny list for a terminal: all of it, or the changes after `since`.
    pub async fn deny_list(&self, s: &Signed<'_>, since: Option<u64>) -> Result<DenyList> {
        self.signed_by(s).await?;
        self.on_books(move |b, _| {
            let version = b.deny_version();
            Ok(match since {
                Some(v) if v <= version => DenyList {
                    version,
                    cards: None,
                    changes: Some(b.deny_changes(v).to_vec()),
                },
                _ => DenyList {
                    version,
                    cards: Some(
                        b.deny_list()
                            .into_iter()
                            .map(|(card, reason)| DenyEntry { card, reason })
                            .collect(),
                    ),
                    changes: None,
                },
            })
        })
        .await
    }
}
