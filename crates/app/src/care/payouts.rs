//! Money the platform pays onto holders' cards from civil affairs' funds:
//! a month of a household's aid to its head, a month's age allowance to an
//! elder. The payment and its payout are written in one transaction; the
//! card books carry the payout out after it, into the real-name account of
//! the holder's live card, and one the books could not take yet (no card,
//! the books on another node) waits and is tried again each minute. The
//! books' transfer id follows from the payout's, so it is paid once.

use serde::Serialize;
use serde_json::json;
use sunshine_domain::access::mask_card_number;
use sunshine_domain::card::book::{payout_transfer_id, Doer, Payout};
use sunshine_domain::care::allowance_month;
use sunshine_domain::identity::Actor;
use sunshine_store::payouts::{self as store, PayoutRow};
use sunshine_store::registry as registry_store;
use sunshine_store::WriteTx;

use super::views::allowance_lines;

use crate::journal_entry::{entry, system_actor};
use crate::{App, Result};

/// The payouts read at a time.
const ROUND: i64 = 500;

/// A month's payout as its worker and the resident see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PayoutView {
    /// `YYYY-MM`
    pub month: String,
    pub amount_fen: i64,
    /// `paid` onto the card, or `waiting` (the holder has no live card yet,
    /// or the books have not taken it yet).
    pub state: String,
    /// The card paid, masked.
    pub card: Option<String>,
}

impl PayoutView {
    pub(crate) fn of(p: &PayoutRow) -> PayoutView {
        PayoutView {
            month: p.month.clone(),
            amount_fen: p.amount_fen,
            state: if p.state == "done" { "paid" } else { "waiting" }.into(),
            card: p.card.as_deref().map(mask_card_number),
        }
    }
}

/// Write a payout with the payment it carries, pending: its id, or none
/// when that month of that thing has one already.
pub(crate) async fn queue(tx: &mut WriteTx, row: &PayoutRow) -> Result<Option<i64>> {
    Ok(store::insert(tx.conn(), row).await?)
}

impl App {
    /// Carry out the payouts the books have not taken yet: each at most
    /// once, however often this runs and on however many nodes. Returns
    /// how many were done.
    pub async fn deliver_payouts(&self) -> Result<usize> {
        let (mut after, mut done) = (0, 0);
        // Every pending payout, a page at a time: those waiting for a card
        // never hold back the ones after them.
        loop {
            let page = {
                let mut conn = self.db.read().await?;
                store::pending(&mut conn, after, ROUND).await?
            };
            let Some(last) = page.last() else {
                return Ok(done);
            };
            after = last.id;
            for p in page {
                done += usize::from(self.deliver_payout(p).await?);
            }
        }
    }

    /// Carry out one payout: true once it is done now. One the books refuse
    /// is reported and left pending; the others go on.
    async fn deliver_payout(&self, p: PayoutRow) -> Result<bool> {
        let Some(what) = Payout::parse(&p.what) else {
            tracing::warn!(payout = p.id, what = %p.what, "a payout of an unknown kind waits");
            return Ok(false);
        };
        let by = Doer {
            actor: p.by_actor.clone(),
            org: p.org.clone(),
        };
        let n = u64::try_from(p.id).unwrap_or(0);
        let (holder, amount) = (p.holder.clone(), p.amount_fen);
        let paid = self
            .on_books_recalling(vec![payout_transfer_id(n)], move |b, now| {
                b.pay_out(&holder, what, amount, n, now, &by)
            })
            .await;
        let card = match paid {
            Ok(Some((card, _))) => card,
            Ok(None) => return Ok(false),
            Err(crate::AppError::Refused(r)) => {
                tracing::error!(
                    payout = p.id,
                    code = r.code,
                    "the card books refused a payout; it waits"
                );
                return Ok(false);
            }
            Err(e) => return Err(e),
        };
        let now = self.now_micros();
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<bool> {
                if !store::finish(tx.conn(), p.id, &card, now).await? {
                    return Ok(false);
                }
                let mut e = entry(
                    &system_actor(),
                    p.subject.clone(),
                    "care.paid_to_card",
                    json!({"what": p.what, "month": p.month, "amount_fen": p.amount_fen,
                           "card": mask_card_number(&card)}),
                );
                e.org = p.org.clone();
                tx.journal(now, e).await?;
                Ok(true)
            })
            .await
    }

    /// Deliver the payouts a command has just written, if the books can
    /// take them now; the workers try again for those they cannot, and for
    /// every other payout waiting. The payment is recorded either way.
    pub(crate) async fn deliver_payouts_now(&self, ids: &[i64]) {
        for id in ids {
            let delivered = async {
                let row = {
                    let mut conn = self.db.read().await?;
                    store::get(&mut conn, *id).await?
                };
                match row.filter(|r| r.state == "pending") {
                    Some(r) => self.deliver_payout(r).await,
                    None => Ok(false),
                }
            }
            .await;
            self.report("a payout could not be paid onto a card yet", delivered);
        }
    }
}

/// What paying a month's age allowances did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AllowancePayment {
    pub community: String,
    /// `YYYY-MM`
    pub month: String,
    /// Elders whose allowance was written now, to be paid onto their cards.
    pub queued: u64,
    /// What those come to, fen.
    pub queued_fen: u64,
    /// Elders whose allowance for the month was written before.
    pub already: u64,
    /// Of those written now, how many are on a card already; the rest wait
    /// for the elder to hold one.
    pub on_card: u64,
    /// Elders on the roll the registry holds without an identity number,
    /// who cannot be paid onto a card: their records are to be corrected.
    pub without_number: Vec<String>,
}

impl App {
    /// Pay a community's age allowances for a month (this month or one of
    /// the twelve before) onto the elders' cards, as its worker: each
    /// elder on the roll once, at their band's amount, in one write with
    /// the journal's entry. Paying the month again pays no one twice.
    pub async fn pay_allowances(
        &self,
        actor: &Actor,
        community: &str,
        month: &str,
    ) -> Result<AllowancePayment> {
        let code = self.served_community(actor, community)?;
        let first = allowance_month(month, self.clock.today())?;
        let month = first.strftime("%Y-%m").to_string();
        let now = self.now_micros();
        let actor_c = actor.clone();
        let (mut paid, ids) = self
            .db
            .write(async move |tx: &mut WriteTx| -> Result<(AllowancePayment, Vec<i64>)> {
                let persons =
                    registry_store::persons_of_community(tx.conn(), code.as_str()).await?;
                let lines = allowance_lines(&persons, first.last_of_month());
                let numbers: std::collections::BTreeMap<i64, Option<String>> = persons
                    .iter()
                    .map(|(id, p)| (*id, p.id_number.clone()))
                    .collect();
                let subject = format!("care/allowances/{code}/{month}");
                let mut done = AllowancePayment {
                    community: code.to_string(),
                    month: month.clone(),
                    queued: 0,
                    queued_fen: 0,
                    already: 0,
                    on_card: 0,
                    without_number: vec![],
                };
                let mut ids = vec![];
                for l in &lines {
                    let Some(holder) = numbers.get(&l.person_id).cloned().flatten() else {
                        done.without_number.push(l.name.clone());
                        continue;
                    };
                    let row = PayoutRow {
                        what: Payout::Allowance.as_str().into(),
                        reference: l.person_id.to_string(),
                        month: month.clone(),
                        holder,
                        amount_fen: l.monthly_fen as i64,
                        subject: subject.clone(),
                        org: code.org().to_string(),
                        by_actor: actor_c.journal_name(),
                        state: "pending".into(),
                        created_at: now,
                        ..PayoutRow::default()
                    };
                    if let Some(id) = queue(tx, &row).await? {
                        ids.push(id);
                        done.queued += 1;
                        done.queued_fen += l.monthly_fen;
                    } else {
                        done.already += 1;
                    }
                }
                if done.queued > 0 {
                    let mut e = entry(
                        &actor_c,
                        subject,
                        "care.allowances_paid",
                        json!({"month": month, "elders": done.queued, "amount_fen": done.queued_fen,
                               "without_number": done.without_number.len()}),
                    );
                    e.org = code.org().to_string();
                    tx.journal(now, e).await?;
                }
                Ok((done, ids))
            })
            .await?;
        self.deliver_payouts_now(&ids).await;
        let mut conn = self.db.read().await?;
        let written = store::of_month(&mut conn, Payout::Allowance.as_str(), &paid.month).await?;
        paid.on_card = written
            .iter()
            .filter(|p| ids.contains(&p.id) && p.state == "done")
            .count() as u64;
        Ok(paid)
    }
}

/// One kind of payout to one organisation's residents in a month.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PayoutLine {
    /// `aid` or `allowance`.
    pub what: String,
    /// The community (or district) whose payment it was.
    pub org: String,
    pub org_name: String,
    /// Paid onto cards: how many and how much.
    pub paid: i64,
    pub paid_fen: i64,
    /// Waiting for a live card (or for the books): how many and how much.
    pub waiting: i64,
    pub waiting_fen: i64,
}

/// What civil affairs paid onto cards in a month, and whether its account
/// on the card books agrees with the payouts recorded over every month.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PayoutsReport {
    /// `YYYY-MM`
    pub month: String,
    pub lines: Vec<PayoutLine>,
    pub paid_fen: i64,
    pub waiting_fen: i64,
    /// Every month: what civil affairs' account has paid on the books.
    pub books_paid_fen: i64,
    /// Every month: the payouts recorded as paid, and those the books have
    /// taken while their record is still being marked.
    pub recorded_paid_fen: i64,
    /// The two agree.
    pub ties_out: bool,
}

impl App {
    /// What civil affairs' account has paid on the books, and what the
    /// payouts record as paid: those done, and those pending that the
    /// books have taken while their row is still being marked.
    async fn civil_affairs_tie_out(&self) -> Result<(i64, i64)> {
        let (done_fen, pending) = {
            let mut conn = self.db.read().await?;
            store::done_and_pending(&mut conn).await?
        };
        let ids: Vec<u64> = pending
            .iter()
            .map(|(id, _)| payout_transfer_id(u64::try_from(*id).unwrap_or(0)))
            .collect();
        let (books, in_flight) = self
            .on_books_recalling(ids.clone(), move |b, _| {
                let paid = b
                    .ledger
                    .account(sunshine_domain::card::book::CIVIL_AFFAIRS_ACCOUNT)
                    .map_or(0, |a| a.debits_posted);
                let taken: i64 = pending
                    .iter()
                    .zip(&ids)
                    .filter(|(_, id)| b.ledger.transfer(**id).is_some())
                    .map(|((_, fen), _)| *fen)
                    .sum();
                Ok((paid, taken))
            })
            .await?;
        Ok((books, done_fen + in_flight))
    }

    /// A month's payouts from civil affairs' funds by kind and community,
    /// for the card centre's operators, with the tie-out of civil affairs'
    /// account on the books against every payout recorded.
    pub async fn payouts_report(&self, actor: &Actor, month: &str) -> Result<PayoutsReport> {
        self.authorize_centre(actor, crate::CentreWork::OperateCards)?;
        let month = month.trim();
        let valid = month.len() == 7
            && jiff::civil::Date::strptime("%Y-%m-%d", format!("{month}-01")).is_ok();
        if !valid {
            return Err(sunshine_domain::refusal::Refusal::field(
                "month",
                "月份应写作 YYYY-MM，例如 2026-11",
                "A month is written YYYY-MM, for example 2026-11",
            )
            .into());
        }
        let of_month = {
            let mut conn = self.db.read().await?;
            store::totals(&mut conn, month).await?
        };
        // A payout written and paid between the store's read and the
        // books' shows as a difference for that moment: a difference is
        // looked at again before it is reported.
        let (mut books_paid_fen, mut recorded_paid_fen) = self.civil_affairs_tie_out().await?;
        if books_paid_fen != recorded_paid_fen {
            (books_paid_fen, recorded_paid_fen) = self.civil_affairs_tie_out().await?;
        }
        let orgs = self.orgs();
        let mut lines: Vec<PayoutLine> = vec![];
        for t in of_month {
            let at = match lines
                .iter()
                .position(|l| l.what == t.what && l.org == t.org)
            {
                Some(at) => at,
                None => {
                    lines.push(PayoutLine {
                        what: t.what.clone(),
                        org: t.org.clone(),
                        org_name: orgs.name(&t.org, "zh"),
                        paid: 0,
                        paid_fen: 0,
                        waiting: 0,
                        waiting_fen: 0,
                    });
                    lines.len() - 1
                }
            };
            let l = &mut lines[at];
            if t.state == "done" {
                (l.paid, l.paid_fen) = (t.count, t.fen);
            } else {
                (l.waiting, l.waiting_fen) = (t.count, t.fen);
            }
        }
        Ok(PayoutsReport {
            month: month.to_string(),
            paid_fen: lines.iter().map(|l| l.paid_fen).sum(),
            waiting_fen: lines.iter().map(|l| l.waiting_fen).sum(),
            lines,
            books_paid_fen,
            recorded_paid_fen,
            ties_out: books_paid_fen == recorded_paid_fen,
        })
    }
}
