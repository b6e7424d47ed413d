//! The demo's supervision: once the case history is written, supervision
//! reads it and fires what fell due, and then supervisors, units and the
//! demo citizen act on what it raised, so that every signal state and both
//! boards have something to show.

use crate::supervision::SignalFilter;
use jiff::{SignedDuration, Timestamp};
use sunshine_domain::clock::SimulatedClock;
use sunshine_domain::supervision::{ComplaintCommand, SignalCommand};

use super::DEMO_CITIZEN_ID;
use crate::supervision::NewComplaint;
use crate::{App, Result};

/// Read the history and fire what is due at `end`, then follow a share of
/// the signals through each of their states and file two complaints.
pub(super) async fn load(past: &App, clock: &SimulatedClock, end: Timestamp) -> Result<()> {
    clock.set(
        end.checked_sub(SignedDuration::from_mins(30))
            .unwrap_or(end),
    );
    past.run_supervision().await?;
    past.run_supervision_timers().await?;
    let supervisor = past.staff_actor("supervisor").await?;
    let open = SignalFilter {
        open_only: true,
        limit: 1000,
        ..SignalFilter::default()
    };
    let mut signals = past.signals(&supervisor, open).await?;
    signals.sort_by_key(|s| s.id);
    for (i, s) in signals.iter().enumerate() {
        let unit = if s.region == "330100" {
            "clerk".to_string()
        } else {
            format!("clerk.{}", s.region)
        };
        let respond = SignalCommand::Respond {
            text: "已督促承办人员加快办理，并调整岗位人手".into(),
        };
        // issued, notified, responded, closed, escalated, revoked (rarely).
        let script: Vec<(&str, SignalCommand)> = match i % 12 {
            0 | 6 => vec![],
            1 | 7 | 10 => vec![("supervisor", SignalCommand::Notify)],
            2 | 8 => vec![(unit.as_str(), respond)],
            3 | 9 => vec![
                (unit.as_str(), respond),
                (
                    "supervisor",
                    SignalCommand::Close {
                        text: "整改到位，予以办结".into(),
                    },
                ),
            ],
            4 | 11 => vec![(
                "supervisor",
                SignalCommand::Escalate {
                    text: "逾期未整改，请单位负责人督办".into(),
                },
            )],
            _ => vec![(
                "supervisor",
                SignalCommand::Revoke {
                    reason: "因系统维护导致办理时间误计，予以撤销".into(),
                },
            )],
        };
        for (login, command) in script {
            let actor = past.staff_actor(login).await?;
            past.signal_command(&actor, s.id, command).await?;
        }
    }
    // The demo citizen complains about one of their cases (upheld) and about
    // a department (not yet handled).
    let citizen = past.account_actor(DEMO_CITIZEN_ID).await?;
    let mine = past.my_cases(&citizen).await?;
    if let Some(case) = mine.first() {
        let upheld = past
            .file_complaint(
                &citizen,
                NewComplaint {
                    case_number: Some(case.number.clone()),
                    department: None,
                    text: "办理期间多次电话询问进度均无人答复。".into(),
                },
            )
            .await?;
        past.complaint_command(&supervisor, upheld.id, ComplaintCommand::Accept, false)
            .await?;
        let answer = ComplaintCommand::Answer {
            text: "经查属实，已责令该部门落实首问负责制并向您致歉。".into(),
        };
        past.complaint_command(&supervisor, upheld.id, answer, true)
            .await?;
        past.file_complaint(
            &citizen,
            NewComplaint {
                case_number: None,
                department: Some(case.department.clone()),
                text: "办事指南中的材料清单与窗口要求不一致。".into(),
            },
        )
        .await?;
    }
    clock.set(end);
    Ok(())
}
