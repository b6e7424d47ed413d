//! The needs assessment: the activities of daily living of MZ/T 039-2013
//! 老年人能力评估 (the Barthel index), ten items scored 0 to 100 in all,
//! and the level of impairment the total gives.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::refusal::{FieldErrors, Refusal, Text};

/// An item of the assessment: its code, its names and the scores it allows.
pub struct Item {
    pub code: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    pub scores: &'static [u8],
}

/// The ten items, in the standard's order.
pub const ITEMS: [Item; 10] = [
    Item {
        code: "feeding",
        zh: "进食",
        en: "Feeding",
        scores: &[0, 5, 10],
    },
    Item {
        code: "bathing",
        zh: "洗澡",
        en: "Bathing",
        scores: &[0, 5],
    },
    Item {
        code: "grooming",
        zh: "修饰",
        en: "Grooming",
        scores: &[0, 5],
    },
    Item {
        code: "dressing",
        zh: "穿衣",
        en: "Dressing",
        scores: &[0, 5, 10],
    },
    Item {
        code: "bowels",
        zh: "大便控制",
        en: "Bowels",
        scores: &[0, 5, 10],
    },
    Item {
        code: "bladder",
        zh: "小便控制",
        en: "Bladder",
        scores: &[0, 5, 10],
    },
    Item {
        code: "toilet",
        zh: "如厕",
        en: "Toilet use",
        scores: &[0, 5, 10],
    },
    Item {
        code: "transfer",
        zh: "床椅转移",
        en: "Bed to chair",
        scores: &[0, 5, 10, 15],
    },
    Item {
        code: "mobility",
        zh: "平地行走",
        en: "Walking on the level",
        scores: &[0, 5, 10, 15],
    },
    Item {
        code: "stairs",
        zh: "上下楼梯",
        en: "Stairs",
        scores: &[0, 5, 10],
    },
];

/// The level of impairment in daily living (日常生活活动分级).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AdlLevel {
    /// 能力完好: 100.
    Intact = 0,
    /// 轻度受损: 65 to 95.
    Mild = 1,
    /// 中度受损: 45 to 60.
    Moderate = 2,
    /// 重度受损: 40 or less.
    Severe = 3,
}

impl AdlLevel {
    pub const ALL: [AdlLevel; 4] = [
        AdlLevel::Intact,
        AdlLevel::Mild,
        AdlLevel::Moderate,
        AdlLevel::Severe,
    ];

    /// The level a total gives.
    pub fn of(total: u8) -> AdlLevel {
        match total {
            100.. => AdlLevel::Intact,
            65..=99 => AdlLevel::Mild,
            45..=64 => AdlLevel::Moderate,
            _ => AdlLevel::Severe,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            AdlLevel::Intact => "intact",
            AdlLevel::Mild => "mild",
            AdlLevel::Moderate => "moderate",
            AdlLevel::Severe => "severe",
        }
    }
    pub fn parse(s: &str) -> Option<AdlLevel> {
        AdlLevel::ALL.into_iter().find(|l| l.as_str() == s)
    }
    pub fn name(self) -> Text {
        match self {
            AdlLevel::Intact => Text::new("能力完好", "Independent"),
            AdlLevel::Mild => Text::new("轻度受损", "Mildly impaired"),
            AdlLevel::Moderate => Text::new("中度受损", "Moderately impaired"),
            AdlLevel::Severe => Text::new("重度受损", "Severely impaired"),
        }
    }
}

/// A completed assessment: a score for each item, in the standard's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    pub scores: [u8; 10],
}

impl Assessment {
    /// An assessment from each item's score by its code: every item must be
    /// there with a score the item allows, and nothing else.
    pub fn from_scores(given: &BTreeMap<String, u8>) -> Result<Assessment, Refusal> {
        let mut faults = FieldErrors::default();
        let mut scores = [0u8; 10];
        for (i, item) in ITEMS.iter().enumerate() {
            match given.get(item.code) {
                None => faults.add(
                    item.code,
                    format!("请评估“{}”", item.zh),
                    format!("Assess \"{}\"", item.en),
                ),
                Some(s) if !item.scores.contains(s) => faults.add(
                    item.code,
                    format!("“{}”的得分只能是 {}", item.zh, list(item.scores)),
                    format!("\"{}\" scores one of {}", item.en, list(item.scores)),
                ),
                Some(s) => scores[i] = *s,
            }
        }
        for code in given.keys() {
            if !ITEMS.iter().any(|i| i.code == code) {
                faults.add(code, "评估表中没有此项", "Not an item of the assessment");
            }
        }
        faults.check()?;
        Ok(Assessment { scores })
    }

    pub fn total(&self) -> u8 {
        self.scores.iter().sum()
    }

    pub fn level(&self) -> AdlLevel {
        AdlLevel::of(self.total())
    }

    /// Each item's score by its code.
    pub fn by_code(&self) -> BTreeMap<String, u8> {
        ITEMS
            .iter()
            .zip(self.scores)
            .map(|(i, s)| (i.code.to_string(), s))
            .collect()
    }
}

fn list(scores: &[u8]) -> String {
    scores
        .iter()
        .map(u8::to_string)
        .collect::<Vec<_>>()
        .join("/")
}
