//! The demo's hotline: its categories, an operator, and a few weeks of
//! requests from every channel taken through the real commands, so that
//! every state, the unit's inbox and the Open311 lists have something to show.

use jiff::{SignedDuration, Timestamp};
use sunshine_domain::clock::SimulatedClock;
use sunshine_domain::hotline::Command;
use sunshine_domain::ids::OrgCode;

use crate::hotline::{CategoryRow, NewRequest, Source};
use crate::{App, Result};

const CATEGORIES: &str = include_str!("../../../../data/demo/hotline.json");
const KNOWLEDGE: &str = include_str!("../../../../data/demo/knowledge.json");
const COMMUNITY: &str = include_str!("../../../../data/demo/community.json");

#[derive(serde::Deserialize)]
struct DemoCommunity {
    services: Vec<sunshine_domain::hotline::community::CommunityService>,
    places: Vec<sunshine_domain::hotline::community::Place>,
}

#[derive(serde::Deserialize)]
struct DemoArticle {
    title: String,
    body: String,
    category: Option<String>,
}

/// The hotline's categories and its knowledge base, as the city's administrator enters them.
pub(super) async fn categories(app: &App) -> Result<()> {
    let admin = app.staff_actor("admin").await?;
    let list: Vec<CategoryRow> = serde_json::from_str(CATEGORIES).map_err(anyhow::Error::from)?;
    for c in list {
        app.put_hotline_category(&admin, c).await?;
    }
    let articles: Vec<DemoArticle> =
        serde_json::from_str(KNOWLEDGE).map_err(anyhow::Error::from)?;
    for a in articles {
        let new = crate::hotline::NewArticle {
            title: a.title,
            body: a.body,
            category: a.category,
        };
        app.put_article(&admin, 0, new).await?;
    }
    let community: DemoCommunity = serde_json::from_str(COMMUNITY).map_err(anyhow::Error::from)?;
    app.load_community(&admin, community.places, community.services)
        .await
}

/// What the demo's callers say, by category.
const CALLS: [(&str, &str, f64, f64, &str); 10] = [
    (
        "water.outage",
        "小区从早上开始停水，没有接到通知",
        30.2741,
        120.1551,
        "scope=building",
    ),
    (
        "streetlight.out",
        "文三路与学院路口路灯连续三晚不亮",
        30.2803,
        120.1303,
        "pole=WS-0231",
    ),
    (
        "road.pothole",
        "莫干山路辅道有一个大坑，电动车容易摔倒",
        30.2952,
        120.1473,
        "size=large",
    ),
    (
        "city.noise",
        "工地夜间施工到凌晨一点，严重影响休息",
        30.2588,
        120.2102,
        "source=construction",
    ),
    (
        "bus.service",
        "B1路公交早高峰班次太少，等车超过二十分钟",
        30.2670,
        120.1652,
        "route=B1",
    ),
    (
        "power.outage",
        "整幢楼停电两个小时了",
        30.3101,
        120.0901,
        "scope=building",
    ),
    (
        "social.insurance",
        "灵活就业人员如何续缴养老保险？",
        30.2741,
        120.1551,
        "",
    ),
    (
        "food.safety",
        "某餐馆后厨卫生很差，吃后腹泻",
        30.2455,
        120.1702,
        "",
    ),
    (
        "community.care",
        "独居老人需要助餐服务，如何申请？",
        30.2880,
        120.1211,
        "",
    ),
    (
        "price.complaint",
        "停车场收费高于公示标准",
        30.2522,
        120.1650,
        "",
    ),
];

/// A few weeks of requests, each taken as far along as its number says.
///
/// The hotline's history runs on a clock of its own, three weeks back from
/// `end`: its journal entries follow the cases' in sequence though their
/// moments are earlier, as a platform's would after a hotline joined it.
pub(super) async fn load(app: &App, end: Timestamp) -> Result<()> {
    let clock = SimulatedClock::new(
        end.checked_sub(SignedDuration::from_hours(24 * 21))
            .unwrap_or(end),
    );
    let past = &app.with_clock(std::sync::Arc::new(clock.clone()));
    let operator = past.staff_actor("operator").await?;
    let clerk = past.staff_actor("clerk").await?;
    const TICKETS: usize = 60;
    let start = end
        .checked_sub(SignedDuration::from_hours(24 * 21))
        .unwrap_or(end);
    // One ticket every 8.4 hours; the steps of each (at most 37 × 12 minutes)
    // end before the next one comes in, so time only moves forward.
    let slot = SignedDuration::from_hours(24 * 21) / (TICKETS as i32);
    for n in 0..TICKETS {
        clock.set(start.checked_add(slot * (n as i32)).unwrap_or(end));
        let (category, text, lat, lon, attribute) = CALLS[n % CALLS.len()];
        let mut answers = std::collections::BTreeMap::new();
        if let Some((k, v)) = attribute.split_once('=') {
            answers.insert(k.to_string(), vec![v.to_string()]);
        }
        let source = match n % 4 {
            0 | 1 => Source::Operator(operator.clone()),
            2 => Source::Kiosk,
            _ => Source::Tv,
        };
        let request = NewRequest {
            category: category.into(),
            description: text.into(),
            // Rounded as a GPS fix would be.
            lat: Some(((lat + ((n / CALLS.len()) as f64) * 0.002) * 1e6).round() / 1e6),
            lon: Some(lon),
            caller_phone: Some(format!("1380000{:04}", n)),
            answers,
            ..NewRequest::default()
        };
        let taken = past.take_request(source, request).await?;
        let id = taken.ticket.id;
        let step = |h: i64| clock.advance(SignedDuration::from_mins(h * 12));
        // Consultations the knowledge could answer are answered at once.
        if category == "social.insurance" && n % 3 == 0 {
            step(1);
            let answer =
                "灵活就业人员可在浙里办或社保经办窗口按月续缴，缴费基数在上下限之间自选。".into();
            past.ticket_command(&operator, id, Command::AnswerDirectly { answer })
                .await?;
            continue;
        }
        let stage = n % 8;
        if stage == 0 {
            step(3);
            continue;
        }
        let (lead, assisting) = past.dispatch_for(category, "330100").await?;
        let lead = OrgCode::parse(&lead).map_err(|b| anyhow::anyhow!(b.en))?;
        let assisting = assisting
            .iter()
            .filter_map(|a| OrgCode::parse(a).ok())
            .collect();
        step(1);
        past.ticket_command(&operator, id, Command::Dispatch { lead, assisting })
            .await?;
        if stage == 1 {
            continue;
        }
        step(2);
        past.ticket_command(&clerk, id, Command::Sign).await?;
        if stage == 2 {
            continue;
        }
        if stage == 3 {
            step(2);
            past.ticket_command(
                &operator,
                id,
                Command::Urge {
                    note: "群众再次来电催促".into(),
                },
            )
            .await?;
            continue;
        }
        step(20);
        let text = "经现场核实，已安排人员处理完毕，并向来电人说明情况。".into();
        past.ticket_command(&clerk, id, Command::Answer { text })
            .await?;
        if stage == 4 {
            continue;
        }
        step(2);
        past.ticket_command(
            &operator,
            id,
            Command::ReviewAnswer {
                approve: true,
                note: String::new(),
            },
        )
        .await?;
        if stage == 5 {
            continue;
        }
        step(10);
        let satisfied = stage != 6;
        past.ticket_command(
            &operator,
            id,
            Command::Visit {
                satisfied,
                comment: String::new(),
            },
        )
        .await?;
    }
    Ok(())
}
