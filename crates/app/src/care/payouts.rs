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
use sunshine_store::payouts::{self as store, PayoutRow};
use sunshine_store::WriteTx;

use crate::journal_entry::{entry, system_actor};
use crate::{App, Result};

/// The most payouts carried out in one round.
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

/// Write a payout with the payment it carries, pending: false when that
/// month of that thing has one already.
pub(crate) async fn queue(tx: &mut WriteTx, row: &PayoutRow) -> Result<bool> {
    Ok(store::insert(tx.conn(), row).await?.is_some())
}

impl App {
    /// Carry out the payouts the books have not taken yet: each at most
    /// once, however often this runs and on however many nodes. Returns
    /// how many were done.
    pub async fn deliver_payouts(&self) -> Result<usize> {
        let pending = {
            let mut conn = self.db.read().await?;
            store::pending(&mut conn, ROUND).await?
        };
        let mut done = 0;
        for p in pending {
            let Some(what) = Payout::parse(&p.what) else {
                tracing::warn!(payout = p.id, what = %p.what, "a payout of an unknown kind waits");
                continue;
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
                .await?;
            let Some((card, _)) = paid else { continue };
            let now = self.now_micros();
            let finished = self
                .db
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
                .await?;
            done += usize::from(finished);
        }
        Ok(done)
    }

    /// Deliver payouts now if the books can take them; the workers try
    /// again if not. The payment is recorded either way.
    pub(crate) async fn deliver_payouts_now(&self) {
        let delivered = self.deliver_payouts().await;
        self.report("a payout could not be paid onto a card yet", delivered);
    }
}
