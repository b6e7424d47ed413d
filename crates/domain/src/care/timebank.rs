//! Volunteers and the time bank (时间银行): a volunteer records the time
//! given at a community's activity, the community's worker confirms it, and
//! the confirmed minutes are banked, to be spent later on the volunteer's
//! own home-care services, a minute of service for a minute given.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::refusal::{is_clean_text, FieldErrors, Refusal, Text};

/// The most time one record may claim: twelve hours.
pub const MAX_CLAIM_MINUTES: u32 = 720;

/// Where a record of time given stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClaimState {
    /// Recorded by the volunteer, waiting for the worker.
    Recorded,
    /// Confirmed: the minutes are in the volunteer's time bank (final).
    Confirmed,
    /// Refused, with the reason (final).
    Refused,
}

impl ClaimState {
    pub const ALL: [ClaimState; 3] = [
        ClaimState::Recorded,
        ClaimState::Confirmed,
        ClaimState::Refused,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimState::Recorded => "recorded",
            ClaimState::Confirmed => "confirmed",
            ClaimState::Refused => "refused",
        }
    }
    pub fn parse(s: &str) -> Option<ClaimState> {
        ClaimState::ALL.into_iter().find(|x| x.as_str() == s)
    }
    pub fn name(self) -> Text {
        match self {
            ClaimState::Recorded => Text::new("待社区确认", "Waiting for the community"),
            ClaimState::Confirmed => Text::new("已确认，已存入时间银行", "Confirmed and banked"),
            ClaimState::Refused => Text::new("未予确认", "Not confirmed"),
        }
    }
}

fn text(faults: &mut FieldErrors, field: &str, t: &str, max: usize, required: bool) {
    let n = t.trim().chars().count();
    if required && n == 0 {
        faults.add(field, "请填写", "Required");
    } else if n > max {
        faults.add(
            field,
            format!("不得超过{max}字"),
            format!("At most {max} characters"),
        );
    } else if !is_clean_text(t) {
        faults.add(
            field,
            "含有不可见的控制字符",
            "Contains invisible control characters",
        );
    }
}

/// A community's activity as its worker announces it: a title, the day
/// (within a year either side of today) and where.
pub fn check_activity(title: &str, day: &str, place: &str, today: Date) -> Result<Date, Refusal> {
    let mut faults = FieldErrors::default();
    text(&mut faults, "title", title, 100, true);
    text(&mut faults, "place", place, 200, true);
    let day = match day.trim().parse::<Date>() {
        Ok(d) if (d - today).get_days().abs() <= 366 => Some(d),
        _ => {
            faults.add(
                "day",
                "日期应为一年以内的“YYYY-MM-DD”",
                "A day (YYYY-MM-DD) within a year",
            );
            None
        }
    };
    faults.check()?;
    Ok(day.unwrap_or(today))
}

/// Time a volunteer records for an activity: 1 to 720 minutes, with what
/// they did, and not before the activity's day.
pub fn check_claim(minutes: u32, note: &str, day: Date, today: Date) -> Result<(), Refusal> {
    let mut faults = FieldErrors::default();
    if minutes == 0 || minutes > MAX_CLAIM_MINUTES {
        faults.add(
            "minutes",
            "时长应在1至720分钟之间",
            "The time is 1 to 720 minutes",
        );
    }
    text(&mut faults, "note", note, 500, true);
    if day > today {
        faults.add(
            "activity",
            "活动尚未开始，不能登记时长",
            "The activity has not happened yet",
        );
    }
    faults.check()
}

/// The worker's decision on a record: confirmed, or refused with a reason.
pub fn decide_claim(state: ClaimState, confirm: bool, reason: &str) -> Result<ClaimState, Refusal> {
    if state != ClaimState::Recorded {
        return Err(Refusal::conflict(
            "claim_state",
            "该记录已处理",
            "The record was decided already",
        ));
    }
    if confirm {
        return Ok(ClaimState::Confirmed);
    }
    let mut faults = FieldErrors::default();
    text(&mut faults, "reason", reason, 500, true);
    faults.check()?;
    Ok(ClaimState::Refused)
}
