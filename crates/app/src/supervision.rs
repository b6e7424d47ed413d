//! Electronic supervision (电子监察). A consumer reads the journal after its
//! own cursor, checks each fact of a case against the process and fee rules
//! and keeps the case's moments in the due-time index; a timer fires what is
//! due, in order. Both run in the writer's transactions with the cursor or
//! the timer they consume, so a crash neither loses a signal nor issues one
//! twice. The hall never waits for any of it.

use std::collections::BTreeMap;

use serde_json::json;
use sunshine_domain::clock::{from_micros, local_date, to_micros};
use sunshine_domain::exchange::CardSide;
use sunshine_domain::hall::CaseState;
use sunshine_domain::identity::Actor;
use sunshine_domain::journal::Entry;
use sunshine_domain::policy::Action;
use sunshine_domain::refusal::Refusal;
use sunshine_domain::supervision::{
    self as rules, CaseDeadlines, CaseTrace, HallFact, Level, Quarter, QuarterFigures, RuleCode,
    RuleSet, SignalCommand, SignalState, Verdict,
};
use sunshine_store::supervision::{self as store, TimerRow, WatchedCase};
use sunshine_store::WriteTx;

use crate::journal_entry::{entry, system_actor};
use crate::{allow, App, Result};

mod across;
pub(crate) use across::{take_answer, take_card};
mod complaints;
mod follow;
use follow::catch_up;
pub(crate) use follow::issue;
mod view;

pub use view::{CaseTimer, ComplaintRow, DepartmentSignals, SignalFilter, SignalRow};

pub use complaints::NewComplaint;

/// The consumer's name in `consumer_cursors`.
pub const CONSUMER: &str = "supervision";

/// The journal's subjects supervision reads.
const WATCHED_SUBJECTS: &[&str] = &["case/", "ticket/", "care/", "aid/"];

/// Journal entries read at a time.
const PAGE: i64 = 500;

/// Timers fired in one transaction.
const TIMER_PAGE: i64 = 200;

/// A step of `None` is stored as -1.
fn step_key(step: Option<usize>) -> i64 {
    step.map_or(-1, |s| s as i64)
}

fn signal_not_found() -> crate::AppError {
    Refusal::not_found("监察信号", "Signal").into()
}

/// Who sees a department's signals: its supervisors, and the unit that
/// answers them.
const SIGNAL_WORK: [sunshine_domain::policy::PerOrganisation; 2] = [
    |department| Action::Supervise { department },
    |department| Action::RespondToSignal { department },
];

impl App {
    /// The supervision rules in force and their version (0: the built-in defaults).
    pub async fn supervision_rules(&self) -> Result<(i64, RuleSet)> {
        let mut conn = self.db.read().await?;
        Ok(store::rules(&mut conn).await?)
    }

    /// Put a new version of the rules in force (the city's supervisors).
    /// Timers already in the index keep the moments of the version that set
    /// them; every fact and deadline from now on follows the new one.
    pub async fn set_supervision_rules(&self, actor: &Actor, new: RuleSet) -> Result<i64> {
        new.validate()?;
        let root = self.orgs().tree.root().cloned();
        let Some(root) = root else {
            return Err(anyhow::anyhow!("no organisations").into());
        };
        self.authorize(actor, &Action::Supervise { department: &root })?;
        let now = self.now_micros();
        let actor = actor.clone();
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<i64> {
                let version = store::insert_rules(tx.conn(), &new, now, &actor.login).await?;
                let payload = json!({"version": version, "rules": new});
                tx.journal(
                    now,
                    entry(
                        &actor,
                        format!("supervision/rules/{version}"),
                        "supervision.rules_changed",
                        payload,
                    ),
                )
                .await?;
                Ok(version)
            })
            .await
    }

    /// Post each new signal to `url` (a mail or SMS gateway takes it from
    /// there) before it counts as notified. Set once, at start.
    pub fn set_supervision_webhook(&self, url: String) -> Result<()> {
        let parsed =
            reqwest::Url::parse(&url).map_err(|e| anyhow::anyhow!("webhook {url}: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(anyhow::anyhow!("webhook {url}: http or https only").into());
        }
        self.webhook
            .set(url)
            .map_err(|_| anyhow::anyhow!("the supervision webhook is set once").into())
    }

    /// Deliver new signals through the webhook, if one is set: each is
    /// posted, and once the gateway takes it, it is notified (journaled). A
    /// signal the gateway refuses stays issued and is tried again. Without a
    /// webhook signals stay issued until a supervisor marks them notified or
    /// the unit responds; the workbench shows every signal from the moment
    /// it is issued. The number notified.
    pub async fn notify_signals(&self) -> Result<usize> {
        if self.webhook.get().is_none() {
            return Ok(0);
        }
        let pending = {
            let mut conn = self.db.read().await?;
            store::undelivered(&mut conn, 100).await?
        };
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|e| anyhow::anyhow!("http client: {e}"))?;
        let Some(url) = self.webhook.get() else {
            return Ok(0);
        };
        let orgs = self.orgs();
        let mut notified = 0;
        for s in pending {
            let message = s.rule.message();
            let body = json!({
                "signal": s.id, "case": s.case_number, "rule": s.rule.as_str(), "level": s.level.as_str(),
                "message": {"zh": message.zh, "en": message.en},
                "department": s.department, "department_name": orgs.name(&s.department, "zh"),
                "responsible": s.responsible, "due_at": from_micros(s.due_at).to_string(),
            });
            match client.post(url).json(&body).send().await {
                Ok(r) if r.status().is_success() => {}
                Ok(r) => {
                    tracing::warn!(signal = s.id, status = %r.status(), "the webhook refused a signal; it will be tried again");
                    return Ok(notified);
                }
                Err(e) => {
                    tracing::warn!(signal = s.id, error = %e, "the webhook cannot be reached; it will be tried again");
                    return Ok(notified);
                }
            }
            let now = self.now_micros();
            let id = s.id;
            self.db
                .write(async move |tx: &mut WriteTx| -> Result<()> {
                        // Only once, even if two deliverers raced.
                        let current = store::signal(tx.conn(), id).await?.ok_or_else(signal_not_found)?;
                        if current.state != SignalState::Issued {
                            return Ok(());
                        }
                        let next = rules::next_signal_state(current.state, &SignalCommand::Notify)?;
                        store::set_signal_state(tx.conn(), id, next, None, now).await?;
                        let payload = json!({"case": current.case_number, "rule": current.rule.as_str(), "state": next.as_str(), "channel": "webhook"});
                        let mut e = entry(&system_actor(), format!("signal/{id}"), "supervision.signal_notified", payload);
                        e.org = current.department.clone();
                        tx.journal(now, e).await?;
                        Ok(())
                    })
                .await?;
            notified += 1;
        }
        Ok(notified)
    }

    /// Signals the actor may see: a supervisor's area, or a unit's own.
    /// Departments asked for in the filter narrow the actor's, never widen them.
    pub async fn signals(&self, actor: &Actor, mut filter: SignalFilter) -> Result<Vec<SignalRow>> {
        let allowed = self.signal_departments(actor)?;
        filter.departments = Some(match filter.departments.take() {
            Some(asked) => asked.into_iter().filter(|d| allowed.contains(d)).collect(),
            None => allowed,
        });
        let rows = {
            let mut conn = self.db.read().await?;
            store::signals(&mut conn, &filter.into()).await?
        };
        let mut rows: Vec<SignalRow> = rows.into_iter().map(SignalRow::from).collect();
        self.mark_answered_below(&mut rows);
        Ok(rows)
    }

    /// One page of the signals the actor may see, and how many match over
    /// every page.
    pub async fn signal_page(
        &self,
        actor: &Actor,
        mut filter: SignalFilter,
    ) -> Result<(Vec<SignalRow>, i64)> {
        let allowed = self.signal_departments(actor)?;
        filter.departments = Some(match filter.departments.take() {
            Some(asked) => asked.into_iter().filter(|d| allowed.contains(d)).collect(),
            None => allowed,
        });
        let filter = store::SignalFilter::from(filter);
        let (rows, total) = {
            let mut conn = self.db.read().await?;
            let rows = store::signals(&mut conn, &filter).await?;
            (rows, store::count_signals(&mut conn, &filter).await?)
        };
        let mut rows: Vec<SignalRow> = rows.into_iter().map(SignalRow::from).collect();
        self.mark_answered_below(&mut rows);
        Ok((rows, total))
    }

    /// The commands (by name) this actor may give on this signal now: what
    /// its state allows (`commands_allowed_in`), the policy lets them do
    /// and the card's side of the exchange leaves here, by the same checks
    /// `signal_command` makes.
    pub fn signal_commands(&self, actor: &Actor, signal: &SignalRow) -> Vec<&'static str> {
        let orgs = self.orgs();
        let Ok(department) = sunshine_domain::ids::OrgCode::parse(&signal.department) else {
            return vec![];
        };
        let side = card_side(signal);
        rules::commands_allowed_in(signal.state)
            .into_iter()
            .filter(|name| {
                SignalCommand::named(name, String::new())
                    .is_some_and(|c| may_give(&orgs, actor, &department, &c).is_ok())
                    && sunshine_domain::exchange::command_here(side, name).is_ok()
            })
            .collect()
    }

    /// Mark, at the city, the cards on units of districts that run a
    /// platform of their own: their units answer them there. The same rule
    /// as the write's (`across::below`), on the peers this process knows.
    fn mark_answered_below(&self, rows: &mut [SignalRow]) {
        if self.platform() != Some(&sunshine_domain::exchange::Platform::City) {
            return;
        }
        let peers = self.trusted_peers();
        for r in rows {
            r.answered_below = r.from_city.is_none()
                && sunshine_domain::exchange::goes_down(&r.case_number, &r.region)
                && sunshine_domain::exchange::handed_to(
                    self.platform(),
                    &r.region,
                    peers.iter().cloned(),
                )
                .is_some();
        }
    }

    /// One signal as read, marked as [`Self::mark_answered_below`] does.
    fn marked(&self, row: store::SignalRow) -> SignalRow {
        let mut rows = [SignalRow::from(row)];
        self.mark_answered_below(&mut rows);
        let [row] = rows;
        row
    }

    /// Open signals the actor may see, counted by region, department and
    /// level: the drill-down from the city to a district to a department.
    pub async fn open_signal_counts(
        &self,
        actor: &Actor,
    ) -> Result<Vec<(String, String, Level, i64)>> {
        let departments = self.signal_departments(actor)?;
        let mut conn = self.db.read().await?;
        Ok(store::open_counts(&mut conn, &departments).await?)
    }

    /// One signal, if the actor may see it.
    pub async fn signal(&self, actor: &Actor, id: i64) -> Result<SignalRow> {
        let mut conn = self.db.read().await?;
        let s = store::signal(&mut conn, id)
            .await?
            .ok_or_else(signal_not_found)?;
        if !self.may_see_signal(actor, &s.department) {
            return Err(signal_not_found());
        }
        Ok(self.marked(s))
    }

    /// The departments whose signals the actor sees.
    pub(crate) fn signal_departments(&self, actor: &Actor) -> Result<Vec<String>> {
        self.departments_where(actor, &SIGNAL_WORK, || {
            Refusal::forbidden(
                "forbidden",
                "您没有查看监察信号的权限",
                "You may not see any supervision signals",
            )
        })
    }

    fn may_see_signal(&self, actor: &Actor, department: &str) -> bool {
        let Ok(code) = sunshine_domain::ids::OrgCode::parse(department) else {
            return false;
        };
        let orgs = self.orgs();
        sunshine_domain::policy::organisations_where(
            actor,
            &orgs.tree,
            [&code],
            &SIGNAL_WORK,
            || Refusal::forbidden("forbidden", "", ""),
        )
        .is_ok()
    }

    /// Act on a signal: the unit responds (回告); the supervisor closes,
    /// escalates (督办) or revokes. Journaled under `signal/<id>`. A card
    /// that crosses the two levels is answered by the unit on its own
    /// platform and decided by the city's supervisors at the city
    /// (`domain::exchange::command_here`); what is done goes to the other
    /// side in the same commit.
    pub async fn signal_command(
        &self,
        actor: &Actor,
        id: i64,
        command: SignalCommand,
    ) -> Result<SignalRow> {
        let now = self.now_micros();
        let (actor, orgs, calendar) = (actor.clone(), self.orgs(), self.calendar.clone());
        let moved = self
            .db
            .write(async move |tx: &mut WriteTx| -> Result<store::SignalRow> {
                let s = store::signal(tx.conn(), id)
                    .await?
                    .ok_or_else(signal_not_found)?;
                let department = sunshine_domain::ids::OrgCode::parse(&s.department)
                    .map_err(|_| anyhow::anyhow!("stored department {}", s.department))?;
                let may_see = allow(
                    &orgs,
                    &actor,
                    &Action::Supervise {
                        department: &department,
                    },
                )
                .is_ok()
                    || allow(
                        &orgs,
                        &actor,
                        &Action::RespondToSignal {
                            department: &department,
                        },
                    )
                    .is_ok();
                if !may_see {
                    return Err(signal_not_found());
                }
                may_give(&orgs, &actor, &department, &command)?;
                let side = across::side(tx, &s).await?;
                sunshine_domain::exchange::command_here(side, command.name())?;
                let next = rules::next_signal_state(s.state, &command)?;
                let by = (
                    actor.journal_name(),
                    actor
                        .org
                        .as_ref()
                        .map(|o| o.as_str().to_string())
                        .unwrap_or_default(),
                );
                let e = move_signal(tx, &calendar, &s, &command, next, by, None, now).await?;
                let moved = store::signal(tx.conn(), id)
                    .await?
                    .ok_or_else(signal_not_found)?;
                match (side, &command) {
                    (CardSide::CopyOfCitys, SignalCommand::Respond { text }) => {
                        across::send_up(tx, &e, &moved, text.trim())?
                    }
                    (
                        CardSide::AnsweredBelow,
                        SignalCommand::Close { .. }
                        | SignalCommand::Escalate { .. }
                        | SignalCommand::Revoke { .. },
                    ) => across::send_down(tx, &e, &moved).await?,
                    _ => {}
                }
                Ok(moved)
            })
            .await?;
        Ok(self.marked(moved))
    }

    /// The timers waiting for a case, for its timeline.
    pub async fn case_supervision_timers(&self, number: &str) -> Result<Vec<CaseTimer>> {
        let mut conn = self.db.read().await?;
        let timers = store::case_timers(&mut conn, number).await?;
        Ok(timers.into_iter().map(CaseTimer::from).collect())
    }

    /// Grade every department that completed cases or drew signals in a
    /// quarter, with the figures behind each grade, by the formula of the
    /// rules in force.
    pub async fn evaluate_quarter(&self, quarter: Quarter) -> Result<Vec<Evaluation>> {
        let (from, to) = quarter.span();
        let (from, to) = (to_micros(from), to_micros(to));
        let mut conn = self.db.read().await?;
        let (_, set) = store::rules(&mut conn).await?;
        let cases = store::completed_cases(&mut conn, from, to).await?;
        let signals = store::per_department(&mut conn, from, to).await?;
        let complaints = store::complaints_per_department(&mut conn, from, to).await?;
        drop(conn);
        let today = self.clock.today().to_string();
        let mut by: BTreeMap<String, (String, QuarterFigures)> = BTreeMap::new();
        for c in cases {
            let (_, f) = by
                .entry(c.department)
                .or_insert_with(|| (c.region, QuarterFigures::default()));
            let done = local_date(from_micros(c.completed_at)).to_string();
            // Withdrawn and not-accepted cases are neither on time nor late.
            if let Some(in_time) = sunshine_domain::hall::on_time(
                &c.state,
                c.promised_due.as_deref(),
                Some(&done),
                &today,
            ) {
                f.completed += 1;
                f.on_time += u64::from(in_time);
            }
            if let Some(r) = c.rating.and_then(|r| u64::try_from(r).ok()) {
                f.ratings += 1;
                f.rating_sum += r;
            }
        }
        for s in signals {
            let (_, f) = by
                .entry(s.department)
                .or_insert_with(|| (s.region, QuarterFigures::default()));
            f.warnings = u64::try_from(s.warnings).unwrap_or(0);
            f.yellow_cards = u64::try_from(s.yellow_cards).unwrap_or(0);
            f.red_cards = u64::try_from(s.red_cards).unwrap_or(0);
        }
        for (department, region, n) in complaints {
            let (_, f) = by
                .entry(department)
                .or_insert_with(|| (region, QuarterFigures::default()));
            f.complaints = u64::try_from(n).unwrap_or(0);
        }
        Ok(by
            .into_iter()
            .map(|(department, (region, figures))| Evaluation {
                verdict: set.formula.evaluate(&figures),
                department,
                region,
                figures,
            })
            .collect())
    }

    /// Cards and warnings per department issued in `[from, to)` (µs): the
    /// public supervision board's figures, with no case or person in them.
    pub async fn supervision_board(&self, from: i64, to: i64) -> Result<Vec<DepartmentSignals>> {
        let mut conn = self.db.read().await?;
        let rows = store::per_department(&mut conn, from, to).await?;
        Ok(rows.into_iter().map(DepartmentSignals::from).collect())
    }
}

/// Which side of the exchange a card as read is on.
pub fn card_side(signal: &SignalRow) -> CardSide {
    if signal.from_city.is_some() {
        CardSide::CopyOfCitys
    } else if signal.answered_below {
        CardSide::AnsweredBelow
    } else {
        CardSide::Own
    }
}

/// Move a signal to `next` by `command`, given by `by` (who, and in which
/// organisation; `via` names the message that brought it from another
/// platform): its state and text, its follow-up, and its journal entry.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn move_signal(
    tx: &mut WriteTx,
    calendar: &sunshine_domain::calendar::Calendar,
    s: &store::SignalRow,
    command: &SignalCommand,
    next: SignalState,
    (actor, org): (String, String),
    via: Option<&str>,
    now: i64,
) -> Result<Entry> {
    let text = match command {
        SignalCommand::Notify => None,
        SignalCommand::Respond { text }
        | SignalCommand::Close { text }
        | SignalCommand::Escalate { text } => Some(text.trim().to_string()),
        SignalCommand::Revoke { reason } => Some(reason.trim().to_string()),
    };
    if next.is_rectified() {
        // Rectified after its follow-up fell due: the red card comes first.
        let (_, set) = store::rules(tx.conn()).await?;
        catch_up(tx, calendar, &set, &s.case_number, now, now).await?;
    }
    store::set_signal_state(tx.conn(), s.id, next, text.as_deref(), now).await?;
    // A rectified or withdrawn card no longer runs towards red.
    if next.is_rectified() || next == SignalState::Revoked {
        store::delete_follow_up(tx.conn(), s.id).await?;
    }
    let mut payload = json!({"case": s.case_number, "rule": s.rule.as_str(), "state": next.as_str(), "text": text});
    if let Some(msg_id) = via {
        payload["msg_id"] = json!(msg_id);
    }
    let event = match command {
        SignalCommand::Notify => "supervision.signal_notified",
        SignalCommand::Respond { .. } => "supervision.signal_responded",
        SignalCommand::Close { .. } => "supervision.signal_closed",
        SignalCommand::Escalate { .. } => "supervision.signal_escalated",
        SignalCommand::Revoke { .. } => "supervision.signal_revoked",
    };
    let e = sunshine_domain::journal::NewEntry {
        actor,
        org,
        subject: format!("signal/{}", s.id),
        event_type: event,
        payload,
    };
    Ok(tx.journal(now, e).await?)
}

/// Whether the actor may give this command on a signal of `department`:
/// the unit itself answers (回告整改), a supervisor over it does the rest.
fn may_give(
    orgs: &crate::OrgDirectory,
    actor: &Actor,
    department: &sunshine_domain::ids::OrgCode,
    command: &SignalCommand,
) -> Result<()> {
    match command {
        SignalCommand::Respond { .. } => {
            allow(orgs, actor, &Action::RespondToSignal { department })
        }
        _ => allow(orgs, actor, &Action::Supervise { department }),
    }
}

/// A department's quarter: the figures, the score and the grade.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub department: String,
    pub region: String,
    pub figures: QuarterFigures,
    /// The score and grade, held down by the cards, or nothing to judge.
    pub verdict: Verdict,
}
