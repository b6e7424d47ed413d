//! Home care of the elderly (居家养老) on the population registry: the
//! city's rules as data (age allowances, subsidised time by assessed need,
//! the services and their standard prices), the needs assessment, and the
//! life of a service order from its request to the resident's rating, with
//! the subsidy it draws. Pure rules; the app layer stores and journals them.

pub mod aid;
pub mod alliance;
pub mod assessment;
pub mod order;
pub mod timebank;

use serde::{Deserialize, Serialize};

use crate::refusal::{Refusal, Text};

pub use assessment::{AdlLevel, Assessment, ITEMS};
pub use order::{
    charge, next_order_state, order_number, Channel, Charge, OrderCommand, OrderState, Party,
};

/// An age allowance's band: from this age up to the next band's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AllowanceBand {
    pub from_age: u32,
    pub name_zh: String,
    pub name_en: String,
    /// Paid each month, in fen.
    pub monthly_fen: u64,
}

impl AllowanceBand {
    pub fn name(&self) -> Text {
        Text::new(&self.name_zh, &self.name_en)
    }
}

/// A service of the housekeeping alliance (家政联盟), at the city's
/// standard price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Service {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// The standard price of an hour, in fen.
    pub hourly_fen: u64,
}

impl Service {
    pub fn name(&self) -> Text {
        Text::new(&self.name_zh, &self.name_en)
    }
}

/// The city's rules for home care, as shipped in `data/care/rules.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CareRules {
    /// Home care is for residents of this age and over.
    pub care_from_age: u32,
    /// A provider must accept or decline an order within this many hours.
    pub accept_hours: u32,
    /// Ascending by age; the highest band reached applies.
    pub allowances: Vec<AllowanceBand>,
    /// Subsidised minutes a month, by assessed level (0 to 3).
    pub subsidised_minutes: [u32; 4],
    /// The kinds of aid to vulnerable households, with their review interval.
    pub aid: Vec<aid::AidRule>,
    pub services: Vec<Service>,
}

impl CareRules {
    /// The rules from their file, checked: bands ascending from at least
    /// 60, services named once each with a price, limits that make sense.
    pub fn from_json(text: &str) -> Result<CareRules, String> {
        let rules: CareRules = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if rules.care_from_age < 50 || rules.care_from_age > 100 {
            return Err(format!(
                "care_from_age {} is not an age of old age",
                rules.care_from_age
            ));
        }
        if rules.accept_hours == 0 || rules.accept_hours > 24 * 7 {
            return Err("accept_hours must be between 1 and 168".into());
        }
        if rules.allowances.is_empty() {
            return Err("no allowance bands".into());
        }
        for pair in rules.allowances.windows(2) {
            if pair[0].from_age >= pair[1].from_age {
                return Err(format!(
                    "allowance bands must ascend: {} then {}",
                    pair[0].from_age, pair[1].from_age
                ));
            }
        }
        if rules.allowances[0].from_age < rules.care_from_age {
            return Err("an allowance band begins below care_from_age".into());
        }
        if rules.subsidised_minutes.windows(2).any(|w| w[0] > w[1]) {
            return Err("subsidised minutes must not fall as need grows".into());
        }
        for (i, a) in rules.aid.iter().enumerate() {
            if a.kind.is_empty() || rules.aid[..i].iter().any(|b| b.kind == a.kind) {
                return Err(format!("aid kind {:?} is empty or listed twice", a.kind));
            }
            if a.review_months == 0 || a.review_months > 60 {
                return Err(format!("aid {} is reviewed every 1 to 60 months", a.kind));
            }
        }
        if rules.services.is_empty() {
            return Err("no services".into());
        }
        for (i, s) in rules.services.iter().enumerate() {
            if s.code.is_empty() || !s.code.bytes().all(|b| b.is_ascii_lowercase()) {
                return Err(format!(
                    "service code {:?} is not lower-case letters",
                    s.code
                ));
            }
            if rules.services[..i].iter().any(|t| t.code == s.code) {
                return Err(format!("service {} is listed twice", s.code));
            }
            if s.hourly_fen == 0 || s.name_zh.trim().is_empty() || s.name_en.trim().is_empty() {
                return Err(format!("service {} lacks a price or a name", s.code));
            }
        }
        Ok(rules)
    }

    /// The allowance band of someone `age` years old, if any.
    pub fn allowance(&self, age: i16) -> Option<&AllowanceBand> {
        let age = u32::try_from(age).ok()?;
        self.allowances.iter().rev().find(|b| age >= b.from_age)
    }

    pub fn aid_rule(&self, kind: &str) -> Option<&aid::AidRule> {
        self.aid.iter().find(|a| a.kind == kind)
    }

    pub fn service(&self, code: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.code == code)
    }

    /// Subsidised minutes a month for an assessed level.
    pub fn minutes_for(&self, level: AdlLevel) -> u32 {
        self.subsidised_minutes[level as usize]
    }
}

/// How many months before this one a month's age allowances may still be
/// paid (arrears of a roll paid late).
pub const ALLOWANCE_ARREARS_MONTHS: i64 = 12;

/// The month of age allowances to pay (`YYYY-MM`): this month or one of
/// the [`ALLOWANCE_ARREARS_MONTHS`] before it, never one to come.
pub fn allowance_month(
    month: &str,
    today: jiff::civil::Date,
) -> Result<jiff::civil::Date, Refusal> {
    let wrong = || {
        Refusal::field(
            "month",
            format!("月份应为“YYYY-MM”，为本月或此前{ALLOWANCE_ARREARS_MONTHS}个月之一"),
            format!(
                "A month is YYYY-MM: this month or one of the {ALLOWANCE_ARREARS_MONTHS} before it"
            ),
        )
    };
    let first: jiff::civil::Date = format!("{}-01", month.trim())
        .parse()
        .map_err(|_| wrong())?;
    let this = today.first_of_month();
    let earliest = this
        .checked_sub(jiff::Span::new().months(ALLOWANCE_ARREARS_MONTHS))
        .map_err(|_| wrong())?;
    if first > this || first < earliest {
        return Err(wrong());
    }
    Ok(first)
}

#[cfg(test)]
mod tests;
