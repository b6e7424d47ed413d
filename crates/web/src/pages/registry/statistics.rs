//! The registry's anonymous aggregates for a registrar: bar charts of a
//! region's persons by division, sex, age band and ethnic group, drawn on
//! the server as SVG (no script), each with its table.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use sunshine_app::registry::Breakdown;

use super::super::{error_page, render, Chrome};
use crate::auth::StaffSession;
use crate::i18n::Lang;
use crate::AppState;

const PLACE: &str = "/staff/registry/statistics";
/// The width of the longest bar, in the SVG's units.
const BAR: u64 = 360;
const ROW: u64 = 26;

pub struct Bar {
    pub label: String,
    /// The count, or "<5" where hidden.
    pub shown: String,
    pub width: u64,
    pub y: u64,
    pub text_y: u64,
    pub hidden: bool,
    /// The label is Chinese by nature (an ethnic group's name as the
    /// standard gives it), or the page is Chinese.
    pub lang: &'static str,
}

pub struct Chart {
    pub id: String,
    pub title: String,
    pub total: String,
    pub height: u64,
    pub bars: Vec<Bar>,
}

#[derive(Template)]
#[template(path = "registry/statistics.html")]
struct StatisticsPage {
    c: Chrome,
    region: String,
    charts: Vec<Chart>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RegionQuery {
    #[serde(default)]
    pub region: String,
}

fn hidden(c: &Chrome) -> String {
    c.pick("少于5人", "under 5").to_string()
}

fn chart(c: &Chrome, b: &Breakdown) -> Chart {
    let title = match b.dimension.as_str() {
        "division" => c.pick("按区划", "By division"),
        "sex" => c.pick("按性别", "By sex"),
        "age" => c.pick("按年龄", "By age"),
        _ => c.pick("按民族", "By ethnic group"),
    };
    let max = b
        .rows
        .iter()
        .filter_map(|r| r.persons)
        .max()
        .unwrap_or(0)
        .max(1);
    let bars = b
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let i = i as u64;
            Bar {
                label: if c.lang.is_en() {
                    r.label_en.clone()
                } else {
                    r.label_zh.clone()
                },
                shown: r
                    .persons
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| hidden(c)),
                width: r.persons.map(|n| n * BAR / max).unwrap_or(0),
                y: i * ROW,
                text_y: i * ROW + 17,
                hidden: r.persons.is_none(),
                lang: if c.lang.is_en() && b.dimension != "ethnicity" {
                    "en"
                } else {
                    "zh-CN"
                },
            }
        })
        .collect::<Vec<_>>();
    Chart {
        id: format!("chart-{}", b.dimension),
        title: title.to_string(),
        total: b
            .total
            .map(|n| n.to_string())
            .unwrap_or_else(|| c.pick("不显示", "not shown").to_string()),
        height: (bars.len() as u64).max(1) * ROW,
        bars,
    }
}

pub async fn page(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Query(q): Query<RegionQuery>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), PLACE);
    let region = Some(q.region.as_str()).filter(|r| !r.is_empty());
    match s.app.registry_statistics(&session.actor, region).await {
        Ok(stats) => {
            let charts = stats.breakdowns.iter().map(|b| chart(&c, b)).collect();
            let region = if lang.is_en() {
                stats.region_en
            } else {
                stats.region_zh
            };
            render(&StatisticsPage { c, region, charts })
        }
        Err(e) => error_page(c, e),
    }
}
