//! The hotline's views that both the pages and the JSON API show: a command
//! as a form or body gives it, the indicators, the knowledge-base query and
//! the services near a home.

use crate::i18n::Lang;
use crate::AppState;
use serde::{Deserialize, Serialize};
use sunshine_app::hotline::CategoryRow;
use sunshine_domain::hotline::Command;
use sunshine_domain::ids::OrgCode;
use sunshine_domain::refusal::Refusal;
use utoipa::{IntoParams, ToSchema};

/// A lifecycle command. Fields by command: `answer_directly` (answer),
/// `dispatch` (lead, assisting), `sign`, `return` (reason), `review_return`
/// (approve, note), `request_extension` (days, reason), `review_extension`
/// (approve, note), `answer` (text), `review_answer` (approve, note),
/// `visit` (satisfied, comment), `urge` (note).
#[derive(Debug, Deserialize, ToSchema)]
pub struct TicketCommandBody {
    pub command: String,
    pub lead: Option<String>,
    #[serde(default)]
    pub assisting: Vec<String>,
    #[serde(default)]
    pub answer: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub comment: String,
    pub approve: Option<bool>,
    pub satisfied: Option<bool>,
    pub days: Option<u32>,
}

/// A command by its name, as forms and the API send it.
pub fn parse_command(b: TicketCommandBody) -> Result<Command, Refusal> {
    let need_bool = |v: Option<bool>, field: &str| {
        v.ok_or_else(|| {
            Refusal::field(field, "请选择是或否", format!("Say {field}: true or false"))
        })
    };
    let unit = |s: &str, field: &str| {
        OrgCode::parse(s)
            .map_err(|_| Refusal::field(field, "单位代码不正确", format!("Not a unit code: {s}")))
    };
    Ok(match b.command.as_str() {
        "answer_directly" => Command::AnswerDirectly { answer: b.answer },
        "dispatch" => {
            let lead = b
                .lead
                .as_deref()
                .filter(|s| !s.trim().is_empty())
                .ok_or_else(|| Refusal::field("lead", "请选择主办单位", "Name the lead unit"))?;
            Command::Dispatch {
                lead: unit(lead, "lead")?,
                assisting: b
                    .assisting
                    .iter()
                    .filter(|s| !s.trim().is_empty())
                    .map(|s| unit(s, "assisting"))
                    .collect::<Result<_, _>>()?,
            }
        }
        "sign" => Command::Sign,
        "return" => Command::Return { reason: b.reason },
        "review_return" => Command::ReviewReturn {
            approve: need_bool(b.approve, "approve")?,
            note: b.note,
        },
        "request_extension" => Command::RequestExtension {
            days: b.days.ok_or_else(|| {
                Refusal::field("days", "请填写延期天数", "Say how many working days")
            })?,
            reason: b.reason,
        },
        "review_extension" => Command::ReviewExtension {
            approve: need_bool(b.approve, "approve")?,
            note: b.note,
        },
        "answer" => Command::Answer { text: b.text },
        "review_answer" => Command::ReviewAnswer {
            approve: need_bool(b.approve, "approve")?,
            note: b.note,
        },
        "visit" => Command::Visit {
            satisfied: need_bool(b.satisfied, "satisfied")?,
            comment: b.comment,
        },
        "urge" => Command::Urge { note: b.note },
        other => {
            return Err(Refusal::field(
                "command",
                "没有这个操作",
                format!("No such command: {other}"),
            ))
        }
    })
}

/// One group's indicators.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorsView {
    /// The unit's, district's or category's code (empty for all).
    pub code: String,
    pub name: String,
    pub taken: u64,
    pub signed: u64,
    pub signed_in_time: u64,
    pub closed: u64,
    pub visits: u64,
    pub satisfied: u64,
    pub overdue: u64,
    /// 响应率: signed for within the limit, of those signed for.
    pub response_rate: Option<f64>,
    /// 解决率: closed, of those taken.
    pub resolution_rate: Option<f64>,
    /// 满意率: satisfied, of those visited.
    pub satisfaction_rate: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorTableView {
    pub from: String,
    pub until: String,
    pub all: IndicatorsView,
    pub by_unit: Vec<IndicatorsView>,
    pub by_district: Vec<IndicatorsView>,
    pub by_category: Vec<IndicatorsView>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct IndicatorQuery {
    /// First day (YYYY-MM-DD); 30 days before `until` when left out; at most 366 days before it.
    pub from: Option<String>,
    /// Last day (YYYY-MM-DD); today when left out.
    pub until: Option<String>,
}

pub(super) fn indicators_view(
    code: &str,
    name: String,
    i: &sunshine_domain::hotline::Indicators,
) -> IndicatorsView {
    IndicatorsView {
        code: code.to_string(),
        name,
        taken: i.taken,
        signed: i.signed,
        signed_in_time: i.signed_in_time,
        closed: i.closed,
        visits: i.visits,
        satisfied: i.satisfied,
        overdue: i.overdue,
        response_rate: i.response_rate(),
        resolution_rate: i.resolution_rate(),
        satisfaction_rate: i.satisfaction_rate(),
    }
}

pub(super) fn day(field: &str, v: &Option<String>) -> Result<Option<jiff::civil::Date>, Refusal> {
    v.as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            s.trim().parse::<jiff::civil::Date>().map_err(|_| {
                Refusal::field(field, "日期格式应为 YYYY-MM-DD", "A date is YYYY-MM-DD")
            })
        })
        .transpose()
}

/// The longest span of days the indicators are counted over in one request.
pub const MAX_INDICATOR_DAYS: i32 = 366;

/// The indicators table for the API and the dashboard page.
pub async fn indicators_of(
    s: &AppState,
    q: &IndicatorQuery,
    lang: Lang,
) -> sunshine_app::Result<IndicatorTableView> {
    let until = day("until", &q.until)?
        .unwrap_or_else(|| sunshine_domain::clock::local_date(s.app.clock.now()));
    let from =
        day("from", &q.from)?.unwrap_or_else(|| until.saturating_sub(jiff::Span::new().days(30)));
    if from > until {
        return Err(Refusal::field("from", "开始日期晚于结束日期", "from is after until").into());
    }
    // The table is counted from every request in the span: a public caller
    // may not make it read all of history at once.
    if until
        .since(from)
        .map_or(true, |span| span.get_days() > MAX_INDICATOR_DAYS)
    {
        return Err(Refusal::field(
            "from",
            format!("统计区间最长{MAX_INDICATOR_DAYS}天"),
            format!("The span is at most {MAX_INDICATOR_DAYS} days"),
        )
        .into());
    }
    let table = s
        .app
        .hotline_indicators(
            sunshine_domain::clock::to_micros(sunshine_domain::clock::start_of_local_day(from)),
            sunshine_domain::clock::to_micros(sunshine_domain::clock::end_of_local_day(until)),
        )
        .await?;
    let orgs = s.app.orgs();
    let org_name = |code: &str| {
        orgs.get(code).map_or_else(
            || code.to_string(),
            |o| lang.pick(&o.name, &o.name_en).to_string(),
        )
    };
    let categories: std::collections::BTreeMap<String, CategoryRow> = s
        .app
        .hotline_categories(false)
        .await?
        .into_iter()
        .map(|c| (c.code.clone(), c))
        .collect();
    let category_name = |code: &str| {
        categories.get(code).map_or_else(
            || code.to_string(),
            |c| lang.pick(&c.name, &c.name_en).to_string(),
        )
    };
    Ok(IndicatorTableView {
        from: from.to_string(),
        until: until.to_string(),
        all: indicators_view("", String::new(), &table.all),
        by_unit: table
            .by_unit
            .iter()
            .map(|(k, v)| indicators_view(k, org_name(k), v))
            .collect(),
        by_district: table
            .by_district
            .iter()
            .map(|(k, v)| indicators_view(k, org_name(k), v))
            .collect(),
        by_category: table
            .by_category
            .iter()
            .map(|(k, v)| indicators_view(k, category_name(k), v))
            .collect(),
    })
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct KnowledgeQuery {
    /// The question, in words (Chinese is cut into words, not characters).
    pub q: Option<String>,
    /// At most this many answers (1–50, 10 by default).
    pub limit: Option<usize>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct NearbyQuery {
    /// A home address (placed by the street or community it names)…
    pub address: Option<String>,
    /// …or a point.
    pub lat: Option<f64>,
    pub long: Option<f64>,
    /// `community_service`, `housekeeping` or `elderly_care`; all when left out.
    pub kind: Option<String>,
    /// At most this many (1–50, 10 by default).
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NearbyService {
    pub name: String,
    pub kind: String,
    pub kind_name: String,
    pub address: String,
    pub phone: String,
    pub hours: String,
    pub lat: f64,
    pub long: f64,
    /// From the home, in metres.
    pub distance_m: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NearbyView {
    /// The point the services are around.
    pub lat: f64,
    pub long: f64,
    pub services: Vec<NearbyService>,
}

/// The lookup for the API and the page.
pub async fn nearby_of(s: &AppState, q: &NearbyQuery) -> sunshine_app::Result<NearbyView> {
    use sunshine_domain::hotline::community::ServiceKind;
    let kinds: Vec<ServiceKind> = match q.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        None => vec![],
        Some(k) => vec![ServiceKind::parse(k).ok_or_else(|| {
            Refusal::field(
                "kind",
                "没有这种服务",
                format!("No such kind of service: {k}"),
            )
        })?],
    };
    let point = match (q.lat, q.long) {
        (Some(lat), Some(long)) => Some((lat, long)),
        (None, None) => None,
        _ => {
            return Err(Refusal::field("long", "经纬度须同时提供", "Give both lat and long").into())
        }
    };
    let (at, found) = s
        .app
        .nearby(
            q.address.as_deref(),
            point,
            &kinds,
            q.limit.unwrap_or(10).clamp(1, 50),
        )
        .await?;
    Ok(NearbyView {
        lat: at.0,
        long: at.1,
        services: found
            .into_iter()
            .map(|(sv, d)| NearbyService {
                kind: sv.kind.as_str().into(),
                kind_name: sv.kind.label_zh().into(),
                name: sv.name,
                address: sv.address,
                phone: sv.phone,
                hours: sv.hours,
                lat: sv.lat,
                long: sv.lon,
                distance_m: d.round(),
            })
            .collect(),
    })
}
