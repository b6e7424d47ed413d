//! Aid to vulnerable households (弱势群体帮扶): the community's worker
//! records a household's aid (低保, 优抚) with its monthly amount, reviews
//! it by its day (an overdue review is a card against the community) and
//! records each month paid. Every step is journaled under `aid/…` with
//! what supervision watches.

use serde::{Deserialize, Serialize};
use serde_json::json;
use sunshine_domain::access::ReadKind;
use sunshine_domain::card::book::Payout;
use sunshine_domain::care::aid::{
    adjusted_from, amount_in, check_payment, check_record, check_review, first_review, next_review,
    ReviewOutcome,
};
use sunshine_domain::clock::{end_of_local_day, to_micros};
use sunshine_domain::identity::Actor;
use sunshine_domain::refusal::Refusal;
use sunshine_domain::registry::{DivisionCode, HEAD_OF_HOUSEHOLD};
use sunshine_store::care::{self as store, AidRow};
use sunshine_store::payouts::PayoutRow;
use sunshine_store::registry as registry_store;
use sunshine_store::WriteTx;

use super::payouts::PayoutView;
use super::{serves, RULES};
use crate::access::ReadOf;
use crate::journal_entry::entry;
use crate::{App, Result};

/// A household's aid as its worker records it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct AidForm {
    /// The household's district (`330106`) and number.
    pub district: String,
    pub household: String,
    /// A kind of `data/care/rules.json` (`dibao`, `youfu`).
    pub kind: String,
    pub monthly_fen: u64,
    /// `YYYY-MM-DD`, not after today: the first review is a period later.
    pub since: String,
}

/// What a review found.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct AidReview {
    pub outcome: ReviewOutcome,
    /// The new amount, when adjusted.
    #[serde(default)]
    pub monthly_fen: Option<u64>,
    pub note: String,
}

/// A month paid.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct AidPayment {
    /// `YYYY-MM`
    pub month: String,
}

/// A household's aid, with its members' names for the worker.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AidView {
    pub id: i64,
    pub number: String,
    pub district: String,
    pub household: String,
    pub members: Vec<String>,
    pub kind: String,
    pub monthly_fen: i64,
    pub since: String,
    pub last_review: String,
    pub next_review: String,
    pub overdue: bool,
    pub active: bool,
    /// The months paid, the latest first, with the amount.
    pub payments: Vec<(String, i64)>,
    /// The monthly amount over time: (first month in force, fen), the
    /// earliest first. A month is paid at the amount in force in it.
    pub amounts: Vec<(String, i64)>,
    /// Each month's payment onto the head's card, the latest first.
    pub to_card: Vec<PayoutView>,
}

fn no_aid() -> Refusal {
    Refusal::not_found("该救助记录", "The record of aid")
}

/// The number signals name a record by.
pub fn aid_number(id: i64) -> String {
    format!("AID{id:08}")
}

/// The id in an aid record's number, if it is one.
pub fn aid_id(number: &str) -> Option<i64> {
    let digits = number.strip_prefix("AID")?;
    (digits.len() == 8 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

/// What supervision watches of a record: the community answerable and the
/// end of its review day, keyed by how many reviews it has had.
fn watch(a: &AidRow) -> serde_json::Value {
    let (district, community) = DivisionCode::parse(&a.community)
        .map(|c| (c.district_org().to_string(), c.org().to_string()))
        .unwrap_or_default();
    let due = a
        .active
        .then(|| a.next_review.parse().ok())
        .flatten()
        .map(|d| to_micros(end_of_local_day(d)));
    json!({"number": aid_number(a.id), "department": community, "region": district,
           "due": due, "key": a.reviews})
}

/// A household's new record of aid, from `since`, reviewed a period on.
pub(crate) fn new_aid(
    community: &DivisionCode,
    household: &str,
    kind: &str,
    monthly_fen: u64,
    since: jiff::civil::Date,
    actor: &Actor,
    now: i64,
) -> AidRow {
    let today = sunshine_domain::clock::local_date(
        jiff::Timestamp::from_microsecond(now).unwrap_or_default(),
    );
    let months = RULES.aid_rule(kind).map_or(12, |r| r.review_months);
    AidRow {
        district: community.district().to_string(),
        household: household.to_string(),
        community: community.to_string(),
        kind: kind.to_string(),
        monthly_fen: monthly_fen as i64,
        since: since.to_string(),
        last_review: since.to_string(),
        next_review: first_review(since, months, today).to_string(),
        reviews: 0,
        active: true,
        created_by: actor.display_name.clone(),
        created_at: now,
        ..AidRow::default()
    }
}

/// Whether the household holds an active record of this kind of aid.
pub(crate) async fn holds_aid(
    conn: &mut sunshine_store::Conn,
    community: &str,
    household: &str,
    kind: &str,
) -> Result<bool> {
    Ok(store::aid_of(conn, community)
        .await?
        .iter()
        .any(|a| a.active && a.kind == kind && a.household == household))
}

/// Write a household's new record of aid and journal it (with what
/// supervision watches of its review), in the community's name; `case`
/// names the approved case that granted it, if one did. Its id.
pub(crate) async fn open_aid(
    tx: &mut WriteTx,
    actor: &Actor,
    row: &mut AidRow,
    case: Option<&str>,
    now: i64,
) -> Result<i64> {
    row.id = store::insert_aid(tx.conn(), row).await?;
    store::set_aid_amount(tx.conn(), row.id, &row.since[..7], row.monthly_fen).await?;
    let org = DivisionCode::parse(&row.community)
        .map(|c| c.org().to_string())
        .unwrap_or_default();
    let mut e = entry(
        actor,
        format!("aid/{}", aid_number(row.id)),
        "aid.recorded",
        json!({"household": format!("{}/{}", row.district, row.household), "kind": row.kind,
               "monthly_fen": row.monthly_fen, "since": row.since, "case": case,
               "watch": watch(row)}),
    );
    e.org = org;
    tx.journal(now, e).await?;
    Ok(row.id)
}

impl App {
    /// Record a household's aid, as its community's worker.
    pub async fn record_aid(&self, actor: &Actor, form: AidForm) -> Result<AidView> {
        let today = self.clock.today();
        let rule = RULES.aid_rule(&form.kind);
        let since = check_record(rule, form.monthly_fen, &form.since, today)?;
        let members = {
            let mut conn = self.db.read().await?;
            registry_store::household_members(
                &mut conn,
                form.district.trim(),
                &form.household.trim().to_ascii_uppercase(),
            )
            .await?
        };
        let Some((_, head)) = members.first() else {
            return Err(Refusal::not_found("该户", "The household").into());
        };
        let community = DivisionCode::parse(&head.community)
            .map_err(|_| Refusal::not_found("该户", "The household"))?;
        if !serves(&self.orgs(), actor, &community) {
            return Err(Refusal::not_found("该户", "The household").into());
        }
        let now = self.now_micros();
        let already = {
            let mut conn = self.db.read().await?;
            holds_aid(&mut conn, community.as_str(), &head.household, &form.kind).await?
        };
        if already {
            return Err(Refusal::conflict(
                "aid_held",
                "该户已有同类在助记录，请复核调整，不要重复登记",
                "The household already has this aid: review it rather than record it twice",
            )
            .into());
        }
        let mut row = new_aid(
            &community,
            &head.household,
            &form.kind,
            form.monthly_fen,
            since,
            actor,
            now,
        );
        let actor_c = actor.clone();
        let id = self
            .db
            .write(async move |tx: &mut WriteTx| -> Result<i64> {
                open_aid(tx, &actor_c, &mut row, None, now).await
            })
            .await?;
        self.aid_record(actor, id).await
    }

    async fn aid_record(&self, actor: &Actor, id: i64) -> Result<AidView> {
        let mut views = self.aid_views(actor, None, Some(id)).await?;
        views.pop().ok_or_else(|| no_aid().into())
    }

    /// A community's records of aid, with the households' members named: a
    /// journaled read, for its worker.
    pub async fn community_aid(&self, actor: &Actor, community: &str) -> Result<Vec<AidView>> {
        let code = self.served_community(actor, community)?;
        self.aid_views(actor, Some(code), None).await
    }

    async fn aid_views(
        &self,
        actor: &Actor,
        community: Option<DivisionCode>,
        one: Option<i64>,
    ) -> Result<Vec<AidView>> {
        let today = self.clock.today().to_string();
        let orgs = self.orgs();
        let mut views = vec![];
        let mut persons = vec![];
        {
            let mut conn = self.db.read().await?;
            let rows = match (&community, one) {
                (Some(c), _) => store::aid_of(&mut conn, c.as_str()).await?,
                (None, Some(id)) => store::aid(&mut conn, id).await?.into_iter().collect(),
                (None, None) => vec![],
            };
            for a in rows {
                let code = DivisionCode::parse(&a.community).map_err(|_| no_aid())?;
                if !serves(&orgs, actor, &code) {
                    return Err(no_aid().into());
                }
                let members =
                    registry_store::household_members(&mut conn, &a.district, &a.household).await?;
                persons.extend(members.iter().map(|(_, p)| ReadOf {
                    user: None,
                    number: p.id_number.clone(),
                    what: aid_number(a.id),
                }));
                views.push(AidView {
                    number: aid_number(a.id),
                    payments: store::aid_payments(&mut conn, a.id).await?,
                    amounts: store::aid_amounts(&mut conn, a.id).await?,
                    to_card: sunshine_store::payouts::of(&mut conn, "aid", &a.id.to_string())
                        .await?
                        .iter()
                        .map(PayoutView::of)
                        .collect(),
                    members: members.into_iter().map(|(_, p)| p.name).collect(),
                    overdue: a.active && a.next_review < today,
                    id: a.id,
                    district: a.district,
                    household: a.household,
                    kind: a.kind,
                    monthly_fen: a.monthly_fen,
                    since: a.since,
                    last_review: a.last_review,
                    next_review: a.next_review,
                    active: a.active,
                });
            }
        }
        let subject = match (&community, one) {
            (Some(c), _) => format!("aid/community/{c}"),
            _ => format!("aid/{}", one.map(aid_number).unwrap_or_default()),
        };
        let payload =
            json!({"records": views.iter().map(|v| v.number.clone()).collect::<Vec<_>>()});
        self.record_care_read(actor, (subject, ReadKind::RegistryRecord), payload, persons)
            .await?;
        Ok(views)
    }

    /// Review a record: it continues, at the same or a new amount, until
    /// its next review a period on; or it ends.
    pub async fn review_aid(&self, actor: &Actor, id: i64, review: AidReview) -> Result<AidView> {
        let (today, now) = (self.clock.today(), self.now_micros());
        let orgs = self.orgs();
        let actor_c = actor.clone();
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<()> {
                let mut a = store::aid(tx.conn(), id).await?.ok_or_else(no_aid)?;
                let code = DivisionCode::parse(&a.community).map_err(|_| no_aid())?;
                if !serves(&orgs, &actor_c, &code) {
                    return Err(no_aid().into());
                }
                check_review(review.outcome, review.monthly_fen, &review.note, a.active)?;
                let was = a.reviews;
                let months = RULES.aid_rule(&a.kind).map_or(12, |r| r.review_months);
                a.reviews += 1;
                a.last_review = today.to_string();
                a.next_review = next_review(today, months).to_string();
                match review.outcome {
                    ReviewOutcome::Continue => {}
                    ReviewOutcome::Adjust => {
                        a.monthly_fen = review.monthly_fen.unwrap_or(0) as i64;
                    }
                    ReviewOutcome::End => a.active = false,
                }
                if let ReviewOutcome::Adjust = review.outcome {
                    // From the next month: this one is paid as decided.
                    let from = adjusted_from(today).strftime("%Y-%m").to_string();
                    store::set_aid_amount(tx.conn(), a.id, &from, a.monthly_fen).await?;
                }
                if !store::review_aid(tx.conn(), &a, was).await? {
                    return Err(Refusal::conflict(
                        "aid_reviewed",
                        "该记录刚被他人复核，请刷新",
                        "Someone reviewed the record just now; reload it",
                    )
                    .into());
                }
                let mut e = entry(
                    &actor_c,
                    format!("aid/{}", aid_number(a.id)),
                    "aid.reviewed",
                    json!({"outcome": review.outcome, "monthly_fen": a.monthly_fen,
                           "next_review": a.next_review, "active": a.active,
                           "note": review.note.trim(), "watch": watch(&a)}),
                );
                e.org = code.org().to_string();
                tx.journal(now, e).await?;
                Ok(())
            })
            .await?;
        self.aid_record(actor, id).await
    }

    /// Record a month's aid paid (once a month, at the amount in force in
    /// that month) and pay it onto the head's card.
    pub async fn pay_aid(&self, actor: &Actor, id: i64, payment: AidPayment) -> Result<AidView> {
        let (today, now) = (self.clock.today(), self.now_micros());
        let orgs = self.orgs();
        let actor_c = actor.clone();
        let queued = self
            .db
            .write(async move |tx: &mut WriteTx| -> Result<Option<i64>> {
                let a = store::aid(tx.conn(), id).await?.ok_or_else(no_aid)?;
                let code = DivisionCode::parse(&a.community).map_err(|_| no_aid())?;
                if !serves(&orgs, &actor_c, &code) {
                    return Err(no_aid().into());
                }
                let since = a.since.parse().map_err(|_| no_aid())?;
                // An ended record's last review is the day it ended.
                let ended_on = (!a.active).then(|| a.last_review.parse().ok()).flatten();
                let month = check_payment(&payment.month, since, today, ended_on)?
                    .strftime("%Y-%m")
                    .to_string();
                // Paid to the head's card, so the head must be known by number.
                let members =
                    registry_store::household_members(tx.conn(), &a.district, &a.household)
                        .await?;
                let Some(head) = members
                    .iter()
                    .find(|(_, p)| p.relationship == HEAD_OF_HOUSEHOLD)
                    .and_then(|(_, p)| p.id_number.clone())
                else {
                    return Err(Refusal::conflict(
                        "aid_no_head_number",
                        "该户户主在人口库中没有身份证号，救助金无法发放到其市民卡：请先更正户主记录",
                        "The household's head has no identity number in the registry, so the aid cannot be paid to their card: correct the head's record first",
                    )
                    .into());
                };
                // At the amount in force that month, however late it is paid.
                let amounts: Vec<(jiff::civil::Date, i64)> = store::aid_amounts(tx.conn(), id)
                    .await?
                    .into_iter()
                    .filter_map(|(m, fen)| format!("{m}-01").parse().ok().map(|d| (d, fen)))
                    .collect();
                let first_day: jiff::civil::Date = format!("{month}-01").parse().map_err(|_| no_aid())?;
                let amount = amount_in(first_day, &amounts).unwrap_or(a.monthly_fen);
                let by = actor_c.display_name.clone();
                if !store::pay_aid(tx.conn(), id, &month, amount, &by, now).await? {
                    return Err(Refusal::conflict(
                        "aid_paid",
                        "该月救助已发放",
                        "That month was paid already",
                    )
                    .into());
                }
                let mut e = entry(
                    &actor_c,
                    format!("aid/{}", aid_number(a.id)),
                    "aid.paid",
                    json!({"month": month, "amount_fen": amount}),
                );
                e.org = code.org().to_string();
                tx.journal(now, e).await?;
                let queued = super::payouts::queue(
                    tx,
                    &PayoutRow {
                        what: Payout::Aid.as_str().into(),
                        reference: a.id.to_string(),
                        month,
                        holder: head,
                        amount_fen: amount,
                        subject: format!("aid/{}", aid_number(a.id)),
                        org: code.org().to_string(),
                        by_actor: actor_c.journal_name(),
                        state: "pending".into(),
                        created_at: now,
                        ..PayoutRow::default()
                    },
                )
                .await?;
                Ok(queued)
            })
            .await?;
        self.deliver_payouts_now(queued.as_slice()).await;
        self.aid_record(actor, id).await
    }
}
