//! Supervision following the journal: each case's and ticket's events
//! observed in order, timers set, and the timers that come due fired.

use super::*;

impl App {
    /// Follow the journal: every case fact after the cursor is checked and
    /// the case's moments kept in the index. The number of entries read.
    pub async fn run_supervision(&self) -> Result<usize> {
        let mut total = 0;
        loop {
            let cursor = {
                let mut conn = self.db.read().await?;
                sunshine_store::journal::cursor(&mut conn, CONSUMER).await?
            };
            let page = self.read_journal_after(cursor, PAGE).await?;
            let Some(last) = page.last().map(|e| e.seq) else {
                return Ok(total);
            };
            total += page.len();
            let (calendar, specs, now) =
                (self.calendar.clone(), self.specs.clone(), self.now_micros());
            self.db
                .write(async move |tx: &mut WriteTx| -> Result<()> {
                    // Another runner may have taken this page meanwhile.
                    if sunshine_store::journal::cursor(tx.conn(), CONSUMER).await? != cursor {
                        return Ok(());
                    }
                    let (version, set) = store::rules(tx.conn()).await?;
                    for e in &page {
                        if e.subject.starts_with("case/") {
                            observe(tx, &calendar, &specs, (version, &set), e, now).await?;
                        } else if e.subject.starts_with("ticket/") {
                            let rule = RuleCode::HotlineOverdue;
                            observe_watched(tx, &calendar, (version, &set), e, now, rule).await?;
                        } else if e.subject.starts_with("care/") {
                            let rule = RuleCode::CareOrderOverdue;
                            observe_watched(tx, &calendar, (version, &set), e, now, rule).await?;
                        } else if e.subject.starts_with("aid/") {
                            let rule = RuleCode::AidReviewOverdue;
                            observe_watched(tx, &calendar, (version, &set), e, now, rule).await?;
                        }
                    }
                    sunshine_store::journal::set_cursor(tx.conn(), CONSUMER, last).await?;
                    Ok(())
                })
                .await?;
        }
    }

    /// Fire every timer due by now, earliest first; the number of signals issued.
    pub async fn run_supervision_timers(&self) -> Result<usize> {
        let mut issued = 0;
        loop {
            let now = self.now_micros();
            let due = {
                let mut conn = self.db.read().await?;
                // A timer fires only once supervision has read every entry
                // written before its moment: an entry not yet read (the unit
                // signed in time) may still replace it.
                let cursor = sunshine_store::journal::cursor(&mut conn, CONSUMER).await?;
                let horizon = match sunshine_store::journal::first_unread_at(
                    &mut conn,
                    cursor,
                    WATCHED_SUBJECTS,
                )
                .await?
                {
                    Some(unread) => now.min(unread - 1),
                    None => now,
                };
                store::due_timers(&mut conn, horizon, TIMER_PAGE).await?
            };
            if due.is_empty() {
                return Ok(issued);
            }
            let calendar = self.calendar.clone();
            issued += self
                .db
                .write(async move |tx: &mut WriteTx| -> Result<usize> {
                    let (_, set) = store::rules(tx.conn()).await?;
                    let mut issued = 0;
                    // A timer set while firing (a yellow card's follow-up)
                    // that falls before the rest of the page goes first:
                    // the page stops there and the next one begins with it.
                    let mut horizon = i64::MAX;
                    for t in due {
                        if t.due_at > horizon {
                            break;
                        }
                        // Gone: another runner fired it, or the case moved on.
                        if !store::delete_timer(tx.conn(), t.id).await? {
                            continue;
                        }
                        if let Fired::Issued { follow_up } =
                            fire(tx, &calendar, &set, &t, now).await?
                        {
                            issued += 1;
                            horizon = horizon.min(follow_up.unwrap_or(i64::MAX));
                        }
                    }
                    Ok(issued)
                })
                .await?;
        }
    }
}

/// An entry that says what supervision watches (a hotline request's, a
/// care order's): the unit answerable now and the moment its limit runs
/// out (one timer, replaced at every step, after a limit that ran out
/// before the step has fired). Entries without `watch` (a care
/// recipient's assessment) are not watched.
async fn observe_watched(
    tx: &mut WriteTx,
    calendar: &sunshine_domain::calendar::Calendar,
    (rules_version, set): (i64, &RuleSet),
    e: &Entry,
    now: i64,
    rule: RuleCode,
) -> Result<()> {
    let payload: serde_json::Value = serde_json::from_str(&e.payload)
        .map_err(|err| anyhow::anyhow!("entry {}: {err}", e.seq))?;
    let w = &payload["watch"];
    let (Some(number), Some(department), Some(region)) = (
        w["number"].as_str(),
        w["department"].as_str(),
        w["region"].as_str(),
    ) else {
        return Ok(());
    };
    catch_up(tx, calendar, set, number, e.at, now).await?;
    let watched = WatchedCase {
        number: number.to_string(),
        department: department.to_string(),
        region: region.to_string(),
        version_id: 0,
        responsible: None,
        last_seq: e.seq,
        trace: Default::default(),
    };
    store::save_watched_case(tx.conn(), &watched).await?;
    let timers: Vec<TimerRow> = w["due"]
        .as_i64()
        .map(|due_at| TimerRow {
            id: 0,
            due_at,
            case_number: watched.number.clone(),
            rule,
            step: w["key"].as_i64().unwrap_or(0),
            cause: 0,
            rules_version,
        })
        .into_iter()
        .collect();
    store::replace_case_timers(tx.conn(), &watched.number, &timers).await?;
    Ok(())
}

/// One journal entry of a case, as supervision sees it.
async fn observe(
    tx: &mut WriteTx,
    calendar: &sunshine_domain::calendar::Calendar,
    specs: &crate::specs::SpecCache,
    (version, set): (i64, &RuleSet),
    e: &Entry,
    now: i64,
) -> Result<()> {
    let Some(number) = e.subject.strip_prefix("case/") else {
        return Ok(());
    };
    // A district's case, as the city applied its platform's word on it: its
    // event and facts, at the moment the district journaled it.
    let remote = districts_entry(e);
    let e = remote.as_ref().unwrap_or(e);
    // Deadlines that passed before this entry fire before it counts.
    catch_up(tx, calendar, set, number, e.at, now).await?;
    let payload: serde_json::Value = serde_json::from_str(&e.payload).unwrap_or_default();
    let watched = match &remote {
        Some(_) => districts_case(tx, number, e, &payload).await?,
        None => watched_case(tx, number, e).await?,
    };
    let Some(mut watched) = watched else {
        return Ok(());
    };
    let state: Option<CaseState> = payload
        .get("state")
        .and_then(|s| serde_json::from_value(s.clone()).ok());
    let fact = hall_fact(e, &payload, state.as_ref())
        // A district's word carries no clerk's text, no fee's name and not
        // every move within a step: the process and fee rules are its own
        // supervision's, on its own platform. The city watches a district
        // case's deadlines (时限监察), from the due dates it sends.
        .filter(|f| {
            remote.is_none() || matches!(f, HallFact::Submitted { .. } | HallFact::Accepted)
        });
    // The clerk who signed for or passed on the step is responsible for it.
    if let (Some(HallFact::AtStep { .. }), Some(login)) = (&fact, e.actor.strip_prefix("staff:")) {
        watched.responsible = Some(login.to_string());
    }
    watched.last_seq = e.seq;
    if let Some(fact) = fact {
        let spec = specs.spec(tx.conn(), watched.version_id).await?;
        let (steps, fees) = spec
            .as_ref()
            .map_or((1, vec![]), |s| (s.steps.len().max(1), s.fees.clone()));
        let faults = rules::check_fact(
            set,
            &watched.region,
            &mut watched.trace,
            &fact,
            steps,
            &fees,
        );
        for f in faults {
            let Some(level) = set.level(f.rule) else {
                continue;
            };
            issue(
                tx,
                calendar,
                &watched,
                (version, set),
                (f.rule, level),
                (step_key(f.step), 0),
                vec![e.seq],
                (e.at, now),
            )
            .await?;
        }
    }
    store::save_watched_case(tx.conn(), &watched).await?;
    // The case's moments follow every change of its state and due dates.
    if let Some(state) = state {
        let timers = case_timers(
            calendar,
            (version, set),
            &watched.region,
            number,
            &state,
            &payload,
        );
        store::replace_case_timers(tx.conn(), number, &timers).await?;
    }
    Ok(())
}

/// The case as supervision follows it: known from its submission, or, for
/// a case seen first in the middle (supervision came later), taken from the
/// hall's record. None for a case the hall does not hold.
async fn watched_case(tx: &mut WriteTx, number: &str, e: &Entry) -> Result<Option<WatchedCase>> {
    if let Some(w) = store::watched_case(tx.conn(), number).await? {
        return Ok(Some(w));
    }
    let Some(case) = sunshine_store::hall::case_by_number(tx.conn(), number).await? else {
        return Ok(None);
    };
    Ok(Some(WatchedCase {
        number: number.to_string(),
        department: case.department.clone(),
        region: case.region.clone(),
        version_id: case.version_id,
        responsible: None,
        last_seq: e.seq,
        trace: CaseTrace {
            accepted: case.accepted_at.is_some() && e.event_type != "hall.case_accepted",
            furthest_step: case
                .facts
                .state
                .step()
                .filter(|_| e.event_type != "hall.case_submitted"),
            ..CaseTrace::default()
        },
    }))
}

/// The district's own entry behind the city's `exchange.applied` entry of
/// a district's case message: the district's event and the facts it sent,
/// at the moment the district journaled it. None for any other entry.
fn districts_entry(e: &Entry) -> Option<Entry> {
    if e.event_type != "exchange.applied" {
        return None;
    }
    let payload: serde_json::Value = serde_json::from_str(&e.payload).ok()?;
    if payload.get("flow").and_then(|f| f.as_str()) != Some("cases") {
        return None;
    }
    Some(Entry {
        seq: e.seq,
        at: payload.get("at").and_then(|a| a.as_i64()).unwrap_or(e.at),
        actor: e.actor.clone(),
        org: e.org.clone(),
        subject: e.subject.clone(),
        event_type: payload.get("event_type")?.as_str()?.to_string(),
        payload: payload.get("facts")?.to_string(),
        prev_hash: String::new(),
        hash: String::new(),
    })
}

/// A district's case as the city's supervision follows it: known from an
/// earlier word, or from this one (its department, the district, the item
/// version it names). A case the city handed down is its own record.
async fn districts_case(
    tx: &mut WriteTx,
    number: &str,
    e: &Entry,
    facts: &serde_json::Value,
) -> Result<Option<WatchedCase>> {
    if let Some(w) = watched_case(tx, number, e).await? {
        return Ok(Some(w));
    }
    let Ok(parsed) = sunshine_domain::hall::CaseNumber::parse(number) else {
        return Ok(None);
    };
    let department = facts
        .get("department")
        .and_then(|d| d.as_str())
        .unwrap_or(&e.org);
    if department.is_empty() {
        return Ok(None);
    }
    Ok(Some(WatchedCase {
        number: number.to_string(),
        department: department.to_string(),
        region: parsed.region.as_str().to_string(),
        version_id: facts
            .get("version_id")
            .and_then(|v| v.as_i64())
            .unwrap_or_default(),
        responsible: None,
        last_seq: e.seq,
        // Only submission and acceptance are checked of a district's case
        // (`observe`), which set what they need of the trace.
        trace: CaseTrace::default(),
    }))
}

/// What a hall entry tells supervision, if anything.
fn hall_fact(
    e: &Entry,
    payload: &serde_json::Value,
    state: Option<&CaseState>,
) -> Option<HallFact> {
    let at = from_micros(e.at);
    match e.event_type.as_str() {
        "hall.case_submitted" => Some(HallFact::Submitted {
            at,
            at_counter: payload.get("channel").and_then(|c| c.as_str()) == Some("counter"),
        }),
        "hall.case_accepted" => Some(HallFact::Accepted),
        "hall.case_claimed" | "hall.case_passed" | "hall.case_returned" => state
            .and_then(|s| s.step())
            .map(|step| HallFact::AtStep { step }),
        "hall.case_not_accepted" => Some(HallFact::NotAccepted {
            reason: reason(payload),
        }),
        "hall.case_approved" => Some(HallFact::Approved { at }),
        "hall.case_refused" => Some(HallFact::Refused {
            at,
            reason: reason(payload),
        }),
        "hall.fee_charged" => Some(HallFact::FeeCharged {
            name: payload
                .get("fee")
                .and_then(|f| f.as_str())
                .unwrap_or_default()
                .to_string(),
            amount_fen: payload
                .get("amount_fen")
                .and_then(|a| a.as_i64())
                .unwrap_or_default(),
        }),
        _ => None,
    }
}

/// The moments a case in `state` waits for, from the due dates its entry
/// carries: none unless it is being handled.
fn case_timers(
    calendar: &sunshine_domain::calendar::Calendar,
    (version, set): (i64, &RuleSet),
    region: &str,
    number: &str,
    state: &CaseState,
    payload: &serde_json::Value,
) -> Vec<TimerRow> {
    if !matches!(state, CaseState::InProcess { .. }) {
        // Stopped (a special procedure, a correction), decided or over: nothing runs.
        return vec![];
    }
    let date = |k: &str| {
        payload
            .get(k)
            .and_then(|d| d.as_str())
            .and_then(|d| d.parse().ok())
    };
    let deadlines = CaseDeadlines {
        promised: date("promised_due"),
        legal: date("legal_due"),
        step: state.step().zip(date("step_due")),
    };
    // A deadline beyond the shipped calendar cannot be timed; one case must
    // not stall the consumer for every other, so it is logged and left
    // without timers until the calendar is updated.
    rules::case_timers(set, region, calendar, &deadlines)
        .unwrap_or_else(|err| {
            tracing::warn!(case = number, error = %err, "deadlines not timed");
            vec![]
        })
        .into_iter()
        .map(|t| TimerRow {
            id: 0,
            due_at: to_micros(t.due),
            case_number: number.to_string(),
            rule: t.rule,
            step: step_key(t.step),
            cause: 0,
            rules_version: version,
        })
        .collect()
}

fn reason(payload: &serde_json::Value) -> String {
    payload
        .pointer("/details/reason")
        .and_then(|r| r.as_str())
        .unwrap_or_default()
        .to_string()
}

/// Fire the timers of case `number` that fell due by `at` (the moment of an
/// entry of the case, or of a command on one of its cards), earliest first,
/// with the follow-ups they set that fall due by then too. What supervision
/// issues then depends on when things happened, never on how far behind it
/// was reading: a deadline passed before the unit acted raises its card even
/// when supervision reads both afterwards.
pub(super) async fn catch_up(
    tx: &mut WriteTx,
    calendar: &sunshine_domain::calendar::Calendar,
    set: &RuleSet,
    number: &str,
    at: i64,
    now: i64,
) -> Result<()> {
    loop {
        // One at a time: firing may set a follow-up that falls before the rest.
        let Some(t) = store::earliest_due_timer(tx.conn(), number, at).await? else {
            return Ok(());
        };
        store::delete_timer(tx.conn(), t.id).await?;
        fire(tx, calendar, set, &t, now).await?;
    }
}

/// What firing a timer did.
enum Fired {
    Nothing,
    /// A signal was issued; a yellow card's follow-up falls due then.
    Issued {
        follow_up: Option<i64>,
    },
}

/// Fire one timer: issue its signal (unless the rule has fired before for
/// the same case, step and cause). For a yellow card, set the moment it
/// turns red if not rectified.
async fn fire(
    tx: &mut WriteTx,
    calendar: &sunshine_domain::calendar::Calendar,
    set: &RuleSet,
    t: &TimerRow,
    now: i64,
) -> Result<Fired> {
    let Some(watched) = store::watched_case(tx.conn(), &t.case_number).await? else {
        return Ok(Fired::Nothing);
    };
    let Some(level) = set.level(t.rule) else {
        return Ok(Fired::Nothing);
    };
    // The evidence: the entry that set the deadline, or the card followed up.
    let evidence = vec![watched.last_seq];
    let at = (t.due_at, now);
    let issued = issue(
        tx,
        calendar,
        &watched,
        (t.rules_version, set),
        (t.rule, level),
        (t.step, t.cause),
        evidence,
        at,
    )
    .await?;
    Ok(match issued {
        Some((_, follow_up)) => Fired::Issued { follow_up },
        None => Fired::Nothing,
    })
}

/// Store a signal and journal its issue; `None` when the rule had already
/// fired for the same case, step and cause. A yellow card also sets the
/// moment it turns red if not rectified: its id and that moment come back.
/// `at` is the moment the rule fired for, and now.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn issue(
    tx: &mut WriteTx,
    calendar: &sunshine_domain::calendar::Calendar,
    watched: &WatchedCase,
    (rules_version, set): (i64, &RuleSet),
    (rule, level): (RuleCode, Level),
    (step, cause): (i64, i64),
    evidence: Vec<i64>,
    (due_at, now): (i64, i64),
) -> Result<Option<(i64, Option<i64>)>> {
    let row = store::SignalRow {
        id: 0,
        case_number: watched.number.clone(),
        rule,
        step,
        cause,
        level,
        rules_version,
        department: watched.department.clone(),
        region: watched.region.clone(),
        responsible: watched.responsible.clone(),
        evidence: evidence.clone(),
        state: SignalState::Issued,
        due_at,
        issued_at: now,
        updated_at: now,
        last_text: None,
        city_signal: None,
    };
    let Some(id) = store::insert_signal(tx.conn(), &row).await? else {
        return Ok(None);
    };
    let payload = json!({
        "case": watched.number, "rule": rule.as_str(), "level": level.as_str(), "step": (step >= 0).then_some(step),
        "cause": (cause > 0).then_some(cause), "rules_version": rules_version, "department": watched.department,
        "responsible": watched.responsible, "evidence": evidence, "due_at": due_at,
    });
    let mut e = entry(
        &system_actor(),
        format!("signal/{id}"),
        "supervision.signal_issued",
        payload,
    );
    e.org = watched.department.clone();
    let issued = tx.journal(now, e).await?;
    // A card on a unit of a district that runs its own platform goes down
    // to it in this commit.
    super::across::send_down(tx, &issued, &store::SignalRow { id, ..row }).await?;
    if level != Level::Yellow {
        return Ok(Some((id, None)));
    }
    // Past the calendar's end the follow-up cannot be timed: the card stays
    // yellow rather than stalling every other timer.
    let issued_on = local_date(from_micros(due_at));
    let red = match rules::rectification_due(set, &watched.region, calendar, issued_on) {
        Ok(red) => to_micros(red),
        Err(err) => {
            tracing::warn!(case = %watched.number, error = %err, "yellow card's follow-up not timed");
            return Ok(Some((id, None)));
        }
    };
    let follow_up = TimerRow {
        id: 0,
        due_at: red,
        case_number: watched.number.clone(),
        rule: RuleCode::YellowUnrectified,
        step,
        cause: id,
        rules_version,
    };
    store::insert_timer(tx.conn(), &follow_up).await?;
    Ok(Some((id, Some(red))))
}
