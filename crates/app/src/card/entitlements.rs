//! Entitlements granted, revoked and checked, and medical settlements.

use super::*;

/// A medical settlement as its holder and the counter see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MedicalView {
    #[serde(flatten)]
    pub record: MedicalRecord,
    /// The hospital or pharmacy.
    pub place: String,
}

/// An entitlement with what a gate would say now.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EntitlementView {
    #[serde(flatten)]
    pub entitlement: Entitlement,
    #[schema(value_type = String)]
    pub verdict: Verdict,
}

/// An entitlement to grant.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct Grant {
    #[schema(value_type = String)]
    pub kind: Kind,
    /// The last day it holds (`YYYY-MM-DD`, Asia/Shanghai); none: open-ended.
    #[serde(default)]
    pub valid_until: Option<String>,
}

/// What a gate or desk asks.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct Check {
    pub card: String,
    #[schema(value_type = String)]
    pub kind: Kind,
}

/// A medical settlement at a hospital's desk.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct Medical {
    /// The desk's own id of this request (1 to 64 printable ASCII
    /// characters): sent again, it answers the first settlement.
    pub request_id: String,
    pub card: String,
    /// What the visit cost, and what insurance pays, fen.
    pub total: i64,
    pub insured: i64,
    /// Where the insured's part beyond the personal medical account is
    /// paid from: `account` (the card's real-name account, the default) or
    /// `cash` at the desk.
    #[serde(default)]
    #[schema(value_type = String)]
    pub rest_from: RestFrom,
}

/// The medical-insurance fund's payment into a holder's personal medical
/// account, as the fund's file gives it to the card centre.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct MedicalCredit {
    /// The fund's id for this payment, 1 to 2⁶²−1: sent again, it is
    /// answered with the first payment and pays nothing. A decimal string
    /// (a JSON number is still taken).
    #[serde(with = "sunshine_domain::decimal_u64")]
    #[schema(value_type = String, pattern = "^[0-9]{1,20}$", example = "202612001")]
    pub id: u64,
    /// The holder's live card.
    pub card: String,
    /// Fen.
    pub amount: i64,
}

impl App {
    /// Grant an entitlement (a card clerk).
    pub async fn grant_entitlement(
        &self,
        actor: &Actor,
        number: &str,
        g: Grant,
    ) -> Result<Entitlement> {
        self.authorize_centre(actor, crate::CentreWork::ServeCardholder)?;
        let until = match g
            .valid_until
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(d) => {
                let day = d.parse::<jiff::civil::Date>().map_err(|_| {
                    Refusal::field(
                        "valid_until",
                        "日期格式为 YYYY-MM-DD",
                        "A day is YYYY-MM-DD",
                    )
                })?;
                // It holds to the end of its last day.
                Some(book::day_bounds(day).1)
            }
        };
        let (by, number) = (doer(actor), number.to_string());
        self.on_books(move |b, now| b.grant(&number, g.kind, until, now, &by))
            .await
    }

    /// Revoke an entitlement with the reason (a card clerk).
    pub async fn revoke_entitlement(
        &self,
        actor: &Actor,
        number: &str,
        kind: Kind,
        reason: &str,
    ) -> Result<Entitlement> {
        self.authorize_centre(actor, crate::CentreWork::ServeCardholder)?;
        let (by, number, reason) = (doer(actor), number.to_string(), reason.to_string());
        self.on_books(move |b, now| b.revoke(&number, kind, &reason, now, &by))
            .await
    }

    /// A gate or desk checks a card's entitlement (signed).
    pub async fn check_entitlement(&self, s: &Signed<'_>) -> Result<Verdict> {
        self.signed_by(s).await?;
        let c: Check = body_of(s.body)?;
        self.on_books(move |b, now| Ok(b.check_entitlement(&c.card, c.kind, now)))
            .await
    }

    /// A hospital's desk records a medical settlement (signed).
    pub async fn medical_settlement(&self, s: &Signed<'_>) -> Result<MedicalRecord> {
        let terminal = self.signed_by(s).await?;
        let m: Medical = body_of(s.body)?;
        self.on_books(move |b, now| {
            b.medical_settlement(
                &terminal.code,
                &m.request_id,
                &m.card,
                m.total,
                m.insured,
                m.rest_from,
                now,
            )
        })
        .await
    }

    /// The medical-insurance fund pays into a holder's personal medical
    /// account (a card operator, from the fund's file).
    pub async fn credit_medical(&self, actor: &Actor, c: MedicalCredit) -> Result<Transfer> {
        self.authorize_centre(actor, crate::CentreWork::OperateCards)?;
        let by = doer(actor);
        self.on_books_recalling(vec![c.id], move |b, now| {
            b.credit_medical(&c.card, c.amount, c.id, now, &by)
        })
        .await
    }
}

/// What paying the fund's roll did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RollReport {
    /// Payments in the file.
    pub lines: usize,
    /// Paid now.
    pub paid: usize,
    /// Paid before (the file, or part of it, sent again): not paid twice.
    pub repeated: usize,
    /// The file's total, fen.
    pub total_fen: i64,
}

impl App {
    /// The medical-insurance fund's roll (a card operator uploads the file
    /// it sends): read whole, every line checked against the books, and
    /// paid only if every line can be; a roll sent again pays nothing twice.
    pub async fn credit_medical_roll(&self, actor: &Actor, bytes: &[u8]) -> Result<RollReport> {
        use sunshine_domain::card::roll::{self, COLUMNS};
        self.authorize_centre(actor, crate::CentreWork::OperateCards)?;
        let refused = |faults: Vec<(u64, String, sunshine_domain::refusal::Text)>| {
            let mut r = Refusal::invalid(
                "roll_rejected",
                "划入名单未被接受：以下各行有误，未划入任何一笔",
                "The roll was not taken: the lines below are wrong, and nothing was paid",
            );
            for (line, column, why) in faults {
                r.fields
                    .entry(format!("line {line} {column}").trim_end().to_string())
                    .or_insert(why);
            }
            r
        };
        let lines = roll::parse(bytes).map_err(|e| {
            refused(
                e.into_iter()
                    .map(|c| (c.line, c.column, c.message))
                    .collect(),
            )
        })?;
        let ids: Vec<u64> = lines.iter().map(|l| l.id).collect();
        let total_fen = lines.iter().map(|l| l.amount_fen).sum();
        let entries: Vec<(u64, String, i64)> = lines
            .iter()
            .map(|l| (l.id, l.card.clone(), l.amount_fen))
            .collect();
        let by = doer(actor);
        let outcome = self
            .on_books_recalling(ids, move |b, now| {
                Ok(b.credit_medical_roll(&entries, now, &by))
            })
            .await?;
        match outcome {
            Ok((paid, repeated)) => Ok(RollReport {
                lines: lines.len(),
                paid,
                repeated,
                total_fen,
            }),
            Err(faults) => Err(refused(
                faults
                    .into_iter()
                    .map(|(i, r)| {
                        let column = match r.fields.keys().next().map(String::as_str) {
                            Some("id") => COLUMNS[0],
                            Some("amount") => COLUMNS[2],
                            _ => COLUMNS[1],
                        };
                        let why = r.fields.values().next().cloned().unwrap_or(r.message);
                        (lines[i].line, column.to_string(), why)
                    })
                    .collect(),
            )
            .into()),
        }
    }
}

/// What a hall counter asks of a card: whether its holder has one of the
/// social-security entitlements the card proves.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct CounterAsk {
    pub card: String,
    /// `medical`, `pension`, `dibao`, `housing_fund` or `affordable_housing`.
    #[schema(value_type = String)]
    pub kind: Kind,
}

/// What the counter is told: the verdict, and the holder's name to compare
/// with the person in front of it; nothing else of the card.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CounterCheck {
    /// The card, masked.
    pub card: String,
    #[schema(value_type = String)]
    pub kind: Kind,
    #[schema(value_type = String)]
    pub verdict: Verdict,
    /// The name on the card (none for a card the books do not know).
    pub holder_name: Option<String>,
}

impl App {
    /// A hall counter checks a card's social-security entitlement: a clerk
    /// who registers applications at a counter, or a card clerk. The check
    /// is a read of the holder's card, journaled for them to see.
    pub async fn check_at_hall_counter(
        &self,
        actor: &Actor,
        ask: CounterAsk,
    ) -> Result<CounterCheck> {
        let orgs = self.orgs();
        let at_counter = orgs.list.iter().any(|o| {
            self.authorize(
                actor,
                &sunshine_domain::policy::Action::RegisterAtCounter {
                    department: &o.code,
                },
            )
            .is_ok()
        });
        if !at_counter {
            self.authorize_centre(actor, crate::CentreWork::ServeCardholder)?;
        }
        if !Kind::SOCIAL_SECURITY.contains(&ask.kind) {
            return Err(Refusal::field(
                "kind",
                "窗口核验的是社保类权益：医保、养老金、低保、公积金、保障房",
                "A counter checks the social-security entitlements: medical, pension, dibao, housing fund, affordable housing",
            )
            .into());
        }
        let number = ask.card.trim().to_string();
        let kind = ask.kind;
        let (verdict, holder) = {
            let number = number.clone();
            self.on_books(move |b, now| {
                let holder = b
                    .card(&number)
                    .map(|c| (c.holder.clone(), c.holder_name.clone()));
                Ok((b.check_entitlement(&number, kind, now), holder))
            })
            .await?
        };
        let masked = mask_card_number(&number);
        if let Some((holder, _)) = &holder {
            self.record_staff_read(
                actor,
                StaffRead {
                    subject: format!("access/card/{number}"),
                    kind: ReadKind::Card,
                    purpose: ReadPurpose::CounterService,
                    payload: serde_json::json!({"view": "entitlement_check", "card": number,
                        "kind": kind.as_str(), "verdict": verdict}),
                    persons: vec![ReadOf {
                        user: None,
                        number: Some(holder.clone()),
                        what: masked.clone(),
                    }],
                },
            )
            .await?;
        }
        Ok(CounterCheck {
            card: masked,
            kind,
            verdict,
            holder_name: holder.map(|(_, name)| name),
        })
    }
}
