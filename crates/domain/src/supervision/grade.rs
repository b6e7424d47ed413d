//! Quarterly department evaluation: the figures, a configurable formula, and
//! the four grades.

use serde::{Deserialize, Serialize};

use crate::refusal::{Refusal, Text};

/// A department's figures for a quarter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QuarterFigures {
    /// Cases completed in the quarter, and how many of them on time.
    pub completed: u64,
    pub on_time: u64,
    pub warnings: u64,
    pub yellow_cards: u64,
    pub red_cards: u64,
    pub complaints: u64,
    /// Applicants' ratings (1–5): how many, and their sum.
    pub ratings: u64,
    pub rating_sum: u64,
}

impl QuarterFigures {
    /// The share completed on time; a quarter without completed cases counts as all on time.
    pub fn on_time_rate(&self) -> f64 {
        if self.completed == 0 {
            1.0
        } else {
            self.on_time as f64 / self.completed as f64
        }
    }

    /// Satisfaction from the ratings, 0 to 1 (5 stars is 1); with no ratings, 1.
    pub fn satisfaction(&self) -> f64 {
        if self.ratings == 0 {
            1.0
        } else {
            (self.rating_sum as f64 / self.ratings as f64 - 1.0) / 4.0
        }
    }
}

/// 优秀, 良好, 合格, 不合格.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    Excellent,
    Good,
    Pass,
    Fail,
}

impl Grade {
    pub fn name(self) -> Text {
        match self {
            Grade::Excellent => Text::new("优秀", "Excellent"),
            Grade::Good => Text::new("良好", "Good"),
            Grade::Pass => Text::new("合格", "Pass"),
            Grade::Fail => Text::new("不合格", "Fail"),
        }
    }
}

/// A score to one decimal, as it is shown.
fn tenths(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Why a grade is held down: the worst card of the quarter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Cap {
    /// A red card: at best 合格.
    RedCard,
    /// A yellow card: at best 良好.
    YellowCard,
}

impl Cap {
    pub fn of(f: &QuarterFigures) -> Option<Cap> {
        if f.red_cards > 0 {
            Some(Cap::RedCard)
        } else if f.yellow_cards > 0 {
            Some(Cap::YellowCard)
        } else {
            None
        }
    }

    /// The best grade the card allows.
    pub fn ceiling(self) -> Grade {
        match self {
            Cap::RedCard => Grade::Pass,
            Cap::YellowCard => Grade::Good,
        }
    }

    /// Why, for people.
    pub fn reason(self) -> Text {
        match self {
            Cap::RedCard => Text::new("有红牌，最高评为合格", "A red card: at best Pass"),
            Cap::YellowCard => Text::new("有黄牌，最高评为良好", "A yellow card: at best Good"),
        }
    }
}

/// What a department's quarter comes to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Verdict {
    /// 本季度无可评价办件: nothing completed, rated, carded or complained of.
    NothingToJudge,
    Graded {
        /// 0 to 100, to one decimal.
        score: f64,
        grade: Grade,
        /// The card that held the grade down, if one did.
        cap: Option<Cap>,
    },
}

impl Verdict {
    pub fn score(&self) -> Option<f64> {
        match self {
            Verdict::NothingToJudge => None,
            Verdict::Graded { score, .. } => Some(*score),
        }
    }
    pub fn grade(&self) -> Option<Grade> {
        match self {
            Verdict::NothingToJudge => None,
            Verdict::Graded { grade, .. } => Some(*grade),
        }
    }
    pub fn cap(&self) -> Option<Cap> {
        match self {
            Verdict::NothingToJudge => None,
            Verdict::Graded { cap, .. } => *cap,
        }
    }
    /// The grade's name, or that there was nothing to judge.
    pub fn name(&self) -> Text {
        match self {
            Verdict::NothingToJudge => {
                Text::new("本季度无可评价办件", "No case to judge this quarter")
            }
            Verdict::Graded { grade, .. } => grade.name(),
        }
    }
}

/// The score is `on_time_weight × on-time rate + satisfaction_weight ×
/// satisfaction`, less the deductions per signal and complaint, kept within
/// 0 and 100; the grade follows from the thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct GradeFormula {
    pub on_time_weight: f64,
    pub satisfaction_weight: f64,
    pub per_warning: f64,
    pub per_yellow: f64,
    pub per_red: f64,
    pub per_complaint: f64,
    pub excellent_from: f64,
    pub good_from: f64,
    pub pass_from: f64,
}

impl Default for GradeFormula {
    fn default() -> Self {
        GradeFormula {
            on_time_weight: 70.0,
            satisfaction_weight: 30.0,
            per_warning: 0.2,
            per_yellow: 2.0,
            per_red: 5.0,
            per_complaint: 1.0,
            excellent_from: 90.0,
            good_from: 80.0,
            pass_from: 60.0,
        }
    }
}

impl GradeFormula {
    pub fn validate(&self) -> Result<(), Refusal> {
        let numbers = [
            self.on_time_weight,
            self.satisfaction_weight,
            self.per_warning,
            self.per_yellow,
            self.per_red,
            self.per_complaint,
            self.excellent_from,
            self.good_from,
            self.pass_from,
        ];
        let ordered = self.excellent_from > self.good_from && self.good_from > self.pass_from;
        if numbers.iter().all(|n| n.is_finite() && *n >= 0.0)
            && ordered
            && (self.on_time_weight + self.satisfaction_weight - 100.0).abs() < 1e-9
        {
            Ok(())
        } else {
            Err(Refusal::invalid(
                "invalid_formula",
                "评价公式有误：权重之和应为100，扣分不为负，等级分数线从高到低",
                "The formula is not valid: the weights add up to 100, deductions are not negative, grade thresholds descend",
            ))
        }
    }

    pub fn score(&self, f: &QuarterFigures) -> f64 {
        let raw = self.on_time_weight * f.on_time_rate()
            + self.satisfaction_weight * f.satisfaction()
            - self.per_warning * f.warnings as f64
            - self.per_yellow * f.yellow_cards as f64
            - self.per_red * f.red_cards as f64
            - self.per_complaint * f.complaints as f64;
        raw.clamp(0.0, 100.0)
    }

    /// The quarter's verdict, the one place a grade is decided.
    ///
    /// - Nothing to judge (本季度无可评价办件): no case completed or rated,
    ///   no yellow or red card and no complaint — warnings alone are a
    ///   reminder, not a finding — so no score is given at all.
    /// - Otherwise the score (to one decimal) by the formula, then the cards
    ///   cap it: any red card and the grade is at best 合格 (the score kept
    ///   below `good_from`); any yellow card and it is at best 良好 (kept
    ///   below `excellent_from`). A grade is never better than its cards.
    pub fn evaluate(&self, f: &QuarterFigures) -> Verdict {
        if f.completed == 0
            && f.ratings == 0
            && f.yellow_cards == 0
            && f.red_cards == 0
            && f.complaints == 0
        {
            return Verdict::NothingToJudge;
        }
        let cap = Cap::of(f);
        let mut score = tenths(self.score(f));
        if let Some(cap) = cap {
            let below = match cap {
                Cap::RedCard => self.good_from,
                Cap::YellowCard => self.excellent_from,
            };
            score = score.min(tenths((below - 0.1).max(0.0)));
        }
        let mut grade = self.grade(score);
        if let Some(cap) = cap {
            // Whatever rounding did, the cards have the last word.
            grade = grade.max(cap.ceiling());
        }
        Verdict::Graded { score, grade, cap }
    }

    pub fn grade(&self, score: f64) -> Grade {
        if score >= self.excellent_from {
            Grade::Excellent
        } else if score >= self.good_from {
            Grade::Good
        } else if score >= self.pass_from {
            Grade::Pass
        } else {
            Grade::Fail
        }
    }
}

/// A quarter of a year, as departments are evaluated: `2026Q4`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Quarter {
    pub year: i16,
    /// 1 to 4.
    pub q: i8,
}

impl Quarter {
    /// The quarter a day falls in.
    pub fn of(date: jiff::civil::Date) -> Quarter {
        Quarter {
            year: date.year(),
            q: (date.month() - 1) / 3 + 1,
        }
    }

    pub fn parse(s: &str) -> Result<Quarter, Refusal> {
        let bad = || {
            Refusal::field(
                "quarter",
                "季度应写作“2026Q4”",
                "A quarter is written like 2026Q4",
            )
        };
        let (y, q) = s.trim().split_once(['Q', 'q']).ok_or_else(bad)?;
        let year: i16 = y.parse().map_err(|_| bad())?;
        let q: i8 = q.parse().map_err(|_| bad())?;
        if !(2000..=2999).contains(&year) || !(1..=4).contains(&q) {
            return Err(bad());
        }
        Ok(Quarter { year, q })
    }

    /// Its first day.
    pub fn first_day(self) -> jiff::civil::Date {
        jiff::civil::date(self.year, (self.q - 1) * 3 + 1, 1)
    }

    /// From the moment it begins to the moment the next begins, in Hangzhou.
    pub fn span(self) -> (jiff::Timestamp, jiff::Timestamp) {
        (
            crate::clock::start_of_local_day(self.first_day()),
            crate::clock::start_of_local_day(self.end()),
        )
    }

    /// The first day of the next quarter.
    pub fn end(self) -> jiff::civil::Date {
        if self.q == 4 {
            jiff::civil::date(self.year + 1, 1, 1)
        } else {
            jiff::civil::date(self.year, self.q * 3 + 1, 1)
        }
    }
}

impl std::fmt::Display for Quarter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}Q{}", self.year, self.q)
    }
}
