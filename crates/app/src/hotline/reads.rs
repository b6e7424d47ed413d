//! Reading tickets and their updates: one by one, by worklist, and counted.

use super::{ticket_not_found, Reader};
use super::{TicketFilter, TicketRow, UpdateRow};
use crate::access::{ReadOf, StaffRead};
use crate::journal_entry::entry;
use crate::{App, Result};
use serde_json::json;
use std::collections::BTreeMap;
use sunshine_domain::access::{ReadKind, ReadPurpose};
use sunshine_domain::clock::from_micros;
use sunshine_domain::hotline::{self as rules, TicketState};
use sunshine_domain::identity::Actor;
use sunshine_domain::policy::Action;
use sunshine_domain::refusal::Refusal;
use sunshine_store::hotline as store;
use sunshine_store::WriteTx;

impl App {
    /// One ticket as the public may see it (Open311's view and the tracking
    /// page read what they may of it).
    /// A district's copy of the city's request is the city's to show.
    pub async fn ticket(&self, id: i64) -> Result<TicketRow> {
        let mut conn = self.db.read().await?;
        store::ticket(&mut conn, id)
            .await?
            .filter(|t| t.city_ticket.is_none())
            .map(Into::into)
            .ok_or_else(ticket_not_found)
    }

    pub async fn ticket_by_token(&self, token: &str) -> Result<TicketRow> {
        let mut conn = self.db.read().await?;
        store::ticket_by_token(&mut conn, token)
            .await?
            .filter(|t| t.city_ticket.is_none())
            .map(Into::into)
            .ok_or_else(ticket_not_found)
    }

    /// Which side of the exchange a request is on, for the steps a page
    /// offers: the same rule as the write's (`across::side`), on the peers
    /// this process knows.
    pub fn ticket_side(&self, t: &TicketRow) -> sunshine_domain::exchange::TicketSide {
        use sunshine_domain::exchange::{handed_to, TicketSide};
        if t.city_ticket.is_some() {
            return TicketSide::CopyOfCitys;
        }
        let below = t.lifecycle.lead.as_ref().is_some_and(|u| {
            handed_to(self.platform(), u.region().as_str(), self.trusted_peers()).is_some()
        });
        if below {
            TicketSide::HandledBelow
        } else {
            TicketSide::Own
        }
    }

    /// A request as `actor` may see it: its query code is the caller's, read
    /// out by the hotline, so only operators and the requester see it.
    pub(super) fn as_seen_by(&self, actor: &Actor, mut t: store::TicketRow) -> store::TicketRow {
        let reader = Reader::of(&self.orgs(), actor, &t);
        if !reader.operator && !reader.own {
            t.query_code.clear();
        }
        t
    }

    /// Add a request taken by phone, at a kiosk or on TV to the signed-in
    /// citizen's or enterprise's account, proved by its number and the
    /// query code the caller was told; journaled. A request that is someone
    /// else's, or a wrong code, is "not found" alike: neither says whether
    /// the number exists.
    pub async fn claim_ticket(&self, actor: &Actor, number: &str, code: &str) -> Result<TicketRow> {
        self.authorize(actor, &Action::ApplyOnline)?;
        let id = rules::ticket_id(number.trim()).ok_or_else(ticket_not_found)?;
        let code = sunshine_domain::hall::QueryCode::parse(code).ok_or_else(ticket_not_found)?;
        let (actor, now, given) = (actor.clone(), self.now_micros(), number.trim().to_string());
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<store::TicketRow> {
                let mut t = store::ticket(tx.conn(), id)
                    .await?
                    .ok_or_else(ticket_not_found)?;
                let number = rules::ticket_number(from_micros(t.requested_at), t.id);
                // The whole number, its year too, and then the code.
                if t.query_code.is_empty() || number != given || t.query_code != code.as_str() {
                    return Err(ticket_not_found());
                }
                match t.requester_user {
                    Some(user) if user == actor.user_id => return Ok(t),
                    Some(_) => return Err(ticket_not_found()),
                    None => {}
                }
                store::set_requester(tx.conn(), id, actor.user_id, now).await?;
                t.requester_user = Some(actor.user_id);
                t.updated_at = now;
                tx.journal(
                    now,
                    entry(
                        &actor,
                        format!("ticket/{id}"),
                        "hotline.claimed",
                        json!({"number": number, "user": actor.user_id}),
                    ),
                )
                .await?;
                Ok(t)
            })
            .await
            .map(Into::into)
    }

    /// A ticket for staff: operators see every one; a unit's staff those
    /// sent to them; a requester their own. Each staff read is journaled
    /// like any read of a person's record.
    pub async fn ticket_for(&self, actor: &Actor, id: i64) -> Result<(TicketRow, Vec<UpdateRow>)> {
        self.read_ticket(actor, id, None).await
    }

    /// A ticket for staff or its requester; a staff read is journaled with
    /// its purpose (by default the reader's own: a call or handling it) and
    /// shown to the requester.
    pub async fn read_ticket(
        &self,
        actor: &Actor,
        id: i64,
        purpose: Option<ReadPurpose>,
    ) -> Result<(TicketRow, Vec<UpdateRow>)> {
        let mut conn = self.db.read().await?;
        let t = store::ticket(&mut conn, id)
            .await?
            .ok_or_else(ticket_not_found)?;
        let reader = Reader::of(&self.orgs(), actor, &t);
        if !reader.sees() {
            return Err(ticket_not_found());
        }
        let Reader {
            operator,
            unit,
            own,
        } = reader;
        let mut updates = store::updates(&mut conn, id).await?;
        drop(conn);
        if !(operator || unit) {
            updates.retain(|u| u.public);
        } else if !own {
            let purpose = purpose.unwrap_or(if operator {
                ReadPurpose::HotlineCall
            } else {
                ReadPurpose::HandleTicket
            });
            let read = StaffRead {
                subject: format!("access/ticket/{id}"),
                kind: ReadKind::Ticket,
                purpose,
                payload: json!({"view": "ticket", "ticket": id}),
                persons: vec![ReadOf {
                    user: t.requester_user,
                    number: None,
                    what: t.number(),
                }],
            };
            self.record_staff_read(actor, read).await?;
        }
        Ok((
            self.as_seen_by(actor, t).into(),
            updates.into_iter().map(Into::into).collect(),
        ))
    }

    /// At a district's platform, the id here of its copy of the city's
    /// request `city_ticket` (the city's cards on it name the city's
    /// number), for staff who may read it; "not found" alike for the rest.
    pub async fn copy_of_citys_request(&self, actor: &Actor, city_ticket: i64) -> Result<i64> {
        let mut conn = self.db.read().await?;
        let copy = store::ticket_of_city(&mut conn, city_ticket)
            .await?
            .ok_or_else(ticket_not_found)?;
        let Reader { operator, unit, .. } = Reader::of(&self.orgs(), actor, &copy);
        if !(operator || unit) {
            return Err(ticket_not_found());
        }
        Ok(copy.id)
    }

    /// Tickets for the public lists (Open311's `GET requests`).
    pub async fn tickets(&self, filter: TicketFilter) -> Result<Vec<TicketRow>> {
        let filter = store::TicketFilter::from(filter);
        let mut conn = self.db.read().await?;
        let list = store::tickets(&mut conn, &filter).await?;
        Ok(list.into_iter().map(Into::into).collect())
    }

    /// A unit's inbox: what is sent to the units the actor handles for,
    /// still with them, earliest deadline first.
    pub async fn unit_inbox(&self, actor: &Actor) -> Result<Vec<TicketRow>> {
        let units =
            self.departments_where(actor, &[|unit| Action::HandleTicket { unit }], || {
                Refusal::forbidden(
                    "forbidden",
                    "您不是承办单位的工作人员",
                    "You handle no unit's requests",
                )
            })?;
        let list = self
            .worklist(units, false, |s| {
                s.with_unit() || s == TicketState::Answered
            })
            .await?;
        Ok(list
            .into_iter()
            .map(|t| self.as_seen_by(actor, t).into())
            .collect())
    }

    /// Tickets in the states a worklist holds, earliest deadline first;
    /// `own_only` leaves out a district's copies of the city's requests.
    async fn worklist(
        &self,
        lead_units: Vec<String>,
        own_only: bool,
        holds: impl Fn(TicketState) -> bool,
    ) -> Result<Vec<store::TicketRow>> {
        let mut conn = self.db.read().await?;
        let filter = store::TicketFilter {
            lead_units,
            own_only,
            states: TicketState::ALL.into_iter().filter(|s| holds(*s)).collect(),
            limit: 500,
            ..Default::default()
        };
        let mut list = store::tickets(&mut conn, &filter).await?;
        list.sort_by_key(|t| (t.lifecycle.next_deadline().unwrap_or(i64::MAX), t.id));
        Ok(list)
    }

    /// The operators' queue: what waits on the hotline, earliest deadline first.
    pub async fn hotline_queue(&self, actor: &Actor) -> Result<Vec<TicketRow>> {
        self.authorize_centre(actor, crate::CentreWork::OperateHotline)?;
        // A district's copies of the city's requests wait on the city's
        // hotline, not on any operator here.
        let list = self
            .worklist(vec![], true, TicketState::with_hotline)
            .await?;
        Ok(list.into_iter().map(Into::into).collect())
    }

    /// A requester's own tickets, newest first.
    pub async fn my_tickets(&self, actor: &Actor) -> Result<Vec<TicketRow>> {
        let mut conn = self.db.read().await?;
        let filter = store::TicketFilter {
            requester_user: Some(actor.user_id),
            limit: 200,
            ..Default::default()
        };
        let list = store::tickets(&mut conn, &filter).await?;
        Ok(list.into_iter().map(Into::into).collect())
    }

    /// Public updates between two moments, for mySociety's `servicerequestupdates`.
    pub async fn ticket_updates_between(
        &self,
        from: i64,
        until: i64,
        limit: i64,
    ) -> Result<Vec<UpdateRow>> {
        let mut conn = self.db.read().await?;
        let list = store::public_updates(&mut conn, from, until, limit).await?;
        Ok(list.into_iter().map(Into::into).collect())
    }

    /// A ticket's public updates, oldest first.
    pub async fn ticket_public_updates(&self, id: i64) -> Result<Vec<UpdateRow>> {
        let mut conn = self.db.read().await?;
        let mut list = store::updates(&mut conn, id).await?;
        list.retain(|u| u.public);
        Ok(list.into_iter().map(Into::into).collect())
    }

    /// The latest public note of each ticket, for lists.
    pub async fn ticket_status_notes(&self, ids: &[i64]) -> Result<BTreeMap<i64, String>> {
        let mut conn = self.db.read().await?;
        Ok(store::latest_public_notes(&mut conn, ids).await?)
    }

    /// The three rates and the overdue counts of the requests taken between
    /// two moments (µs), in all and by unit, district and category.
    pub async fn hotline_indicators(
        &self,
        from: i64,
        until: i64,
    ) -> Result<sunshine_domain::hotline::IndicatorTable> {
        let mut conn = self.db.read().await?;
        let filter = store::TicketFilter {
            from: Some(from),
            until: Some(until),
            own_only: true,
            limit: i64::MAX,
            ..Default::default()
        };
        let tickets = store::tickets(&mut conn, &filter).await?;
        let units: Vec<Option<String>> = tickets
            .iter()
            .map(|t| t.lifecycle.lead.as_ref().map(|o| o.to_string()))
            .collect();
        let counted = tickets.iter().zip(&units).map(|(t, unit)| rules::Counted {
            ticket: &t.lifecycle,
            unit: unit.as_deref(),
            district: &t.region,
            category: &t.category,
        });
        Ok(rules::indicators(counted, self.clock.now()))
    }
}
