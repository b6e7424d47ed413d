//! Citizens' complaints (网上监督): filed against a case or a department,
//! accepted or refused within five working days, investigated and answered
//! by the supervisors over the department; an upheld complaint about a case
//! can raise a signal on it.

use serde_json::json;
use sunshine_domain::identity::Actor;
use sunshine_domain::ids::OrgCode;
use sunshine_domain::policy::Action;
use sunshine_domain::refusal::Refusal;
use sunshine_domain::supervision::{
    self as rules, ComplaintCommand, ComplaintState, Level, RuleCode,
};
use sunshine_store::supervision::{self as store, WatchedCase};

use super::ComplaintRow;
use sunshine_store::WriteTx;

use crate::journal_entry::entry;
use crate::{allow, App, Result};

/// What a complaint is about, and what it says.
#[derive(Debug, Clone)]
pub struct NewComplaint {
    /// A case of the complainant's own.
    pub case_number: Option<String>,
    /// Or a department.
    pub department: Option<String>,
    pub text: String,
}

/// The longest complaint.
const MAX_TEXT: usize = 4000;

fn complaint_not_found() -> crate::AppError {
    Refusal::not_found("投诉", "Complaint").into()
}

impl App {
    /// A citizen or an enterprise files a complaint. About a case, only the
    /// applicant may complain (the case is theirs to name); about a
    /// department, anyone signed in.
    pub async fn file_complaint(&self, actor: &Actor, c: NewComplaint) -> Result<ComplaintRow> {
        self.authorize(actor, &Action::FileComplaint)?;
        let text = c.text.trim().to_string();
        let n = text.chars().count();
        if n == 0 || n > MAX_TEXT {
            return Err(Refusal::field(
                "text",
                "请填写投诉内容（不超过4000字）",
                "Say what the complaint is about (at most 4,000 characters)",
            )
            .into());
        }
        if !sunshine_domain::refusal::is_clean_text(&text) {
            let mut e = sunshine_domain::refusal::FieldErrors::default();
            sunshine_domain::refusal::control_characters(&mut e, "text");
            e.check()?;
        }
        let named = |s: Option<String>| s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        let (case_number, department, region) = match (named(c.case_number), named(c.department)) {
            (Some(number), None) => {
                let mut conn = self.db.read().await?;
                match sunshine_store::hall::case_by_number(&mut conn, &number).await? {
                    Some(case) if case.applicant_user == Some(actor.user_id) => {
                        (Some(case.number), case.department, case.region)
                    }
                    _ => return Err(Refusal::not_found("办件", "Case").into()),
                }
            }
            (None, Some(d)) => {
                let known = OrgCode::parse(&d)
                    .ok()
                    .filter(|code| self.orgs().tree.contains(code));
                let Some(code) = known else {
                    return Err(
                        Refusal::field("department", "没有这个部门", "No such department").into(),
                    );
                };
                (None, code.to_string(), code.region().to_string())
            }
            _ => {
                return Err(Refusal::field(
                    "case_number",
                    "请指明投诉的办件或部门（二者选一）",
                    "Name either the case or the department complained about",
                )
                .into())
            }
        };
        let now = self.now_micros();
        let accept_due = rules::complaint_answer_due(&self.calendar, self.clock.today())
            .map_err(|e| anyhow::anyhow!("complaint deadline: {e}"))?
            .to_string();
        let actor = actor.clone();
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<store::ComplaintRow> {
                    let mut row = store::ComplaintRow {
                        id: 0,
                        case_number,
                        department,
                        region,
                        complainant_user: actor.user_id,
                        text,
                        state: ComplaintState::Received,
                        received_at: now,
                        accept_due,
                        reason: None,
                        answer: None,
                        signal_id: None,
                        updated_at: now,
                    };
                    row.id = store::insert_complaint(tx.conn(), &row).await?;
                    // The text may name people: the journal keeps that it came, not what it says.
                    let payload = json!({"case": row.case_number, "department": row.department, "accept_due": row.accept_due});
                    tx.journal(now, entry(&actor, format!("complaint/{}", row.id), "supervision.complaint_received", payload)).await?;
                    Ok(row)
                })
            .await
            .map(ComplaintRow::from)
    }

    /// Complaints the actor may see: a complainant's own, or a supervisor's area.
    pub async fn complaints(&self, actor: &Actor) -> Result<Vec<ComplaintRow>> {
        let mut conn = self.db.read().await?;
        if self.authorize(actor, &Action::FileComplaint).is_ok() {
            let rows = store::complaints(&mut conn, None, Some(actor.user_id), 200).await?;
            return Ok(rows.into_iter().map(ComplaintRow::from).collect());
        }
        let departments = self.departments_where(
            actor,
            &[|department| Action::Supervise { department }],
            || {
                Refusal::forbidden(
                    "forbidden",
                    "您没有查看投诉的权限",
                    "You may not see complaints",
                )
            },
        )?;
        let rows = store::complaints(&mut conn, Some(&departments), None, 500).await?;
        Ok(rows.into_iter().map(ComplaintRow::from).collect())
    }

    /// A supervisor accepts, refuses or answers a complaint; a complaint
    /// about a case that is upheld (`raise_signal`) raises a signal on it.
    pub async fn complaint_command(
        &self,
        actor: &Actor,
        id: i64,
        command: ComplaintCommand,
        raise_signal: bool,
    ) -> Result<ComplaintRow> {
        let now = self.now_micros();
        let (actor, orgs, calendar) = (actor.clone(), self.orgs(), self.calendar.clone());
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<store::ComplaintRow> {
                    let mut c = store::complaint(tx.conn(), id).await?.ok_or_else(complaint_not_found)?;
                    let department = OrgCode::parse(&c.department)
                        .map_err(|_| anyhow::anyhow!("stored department {}", c.department))?;
                    if allow(&orgs, &actor, &Action::Supervise { department: &department }).is_err() {
                        return Err(complaint_not_found());
                    }
                    c.state = rules::next_complaint_state(c.state, &command)?;
                    match &command {
                        ComplaintCommand::Refuse { reason } => c.reason = Some(reason.trim().to_string()),
                        ComplaintCommand::Answer { text } => c.answer = Some(text.trim().to_string()),
                        ComplaintCommand::Accept => {}
                    }
                    let raise_on = if raise_signal {
                        let Some(number) = c.case_number.clone() else {
                            return Err(Refusal::field("raise_signal", "只有针对办件的投诉才能发出监察信号", "Only a complaint about a case raises a signal").into());
                        };
                        if c.state == ComplaintState::Refused {
                            return Err(Refusal::field("raise_signal", "不予受理的投诉不能发出监察信号", "A refused complaint raises no signal").into());
                        }
                        Some(number)
                    } else {
                        None
                    };
                    let event = match &command {
                        ComplaintCommand::Accept => "supervision.complaint_accepted",
                        ComplaintCommand::Refuse { .. } => "supervision.complaint_refused",
                        ComplaintCommand::Answer { .. } => "supervision.complaint_answered",
                    };
                    let payload = json!({"state": c.state.as_str(), "reason": c.reason, "raises_signal": raise_on.is_some()});
                    let journaled = tx.journal(now, entry(&actor, format!("complaint/{id}"), event, payload)).await?;
                    if let Some(number) = raise_on {
                        let watched = match store::watched_case(tx.conn(), &number).await? {
                            Some(w) => w,
                            None => WatchedCase {
                                number: number.clone(),
                                department: c.department.clone(),
                                region: c.region.clone(),
                                version_id: 0,
                                responsible: None,
                                last_seq: 0,
                                trace: Default::default(),
                            },
                        };
                        let (version, set) = store::rules(tx.conn()).await?;
                        let level = set.level(RuleCode::ComplaintUpheld).unwrap_or(Level::Yellow);
                        let rule = (RuleCode::ComplaintUpheld, level);
                        let issued = super::issue(tx, &calendar, &watched, (version, &set), rule, (-1, id), vec![journaled.seq], (now, now)).await?;
                        c.signal_id = issued.map(|(signal, _)| signal);
                    }
                    c.updated_at = now;
                    store::update_complaint(tx.conn(), &c).await?;
                    Ok(c)
                })
            .await
            .map(ComplaintRow::from)
    }
}
