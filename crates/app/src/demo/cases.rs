//! The demo's history of the hall: a few hundred cases across departments
//! and districts, submitted over the past months and taken through the real
//! commands to every state — some on time, some late, some still open past
//! their promised date — so that the board, the statistics and supervision
//! have something true to show.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use jiff::{SignedDuration, Timestamp};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sunshine_domain::catalog::{FieldKind, FormField, ItemSpec, ItemType, VersionState};
use sunshine_domain::clock::SimulatedClock;
use sunshine_domain::hall::{Applicant, SpecialProcedure};
use sunshine_domain::identity::Actor;
use sunshine_domain::ids::{CreditCode, OrgCode, ResidentId};

use crate::materials::Upload;
use crate::{App, Result};
use sunshine_domain::hall::CaseCommand;

/// What a demo case comes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Submitted,
    CorrectionRequested,
    NotAccepted,
    Withdrawn,
    InProcess,
    Suspended,
    Approved,
    Refused,
    Delivered,
}

/// How often each fate comes up, out of 100.
const FATES: [(Fate, u32); 9] = [
    (Fate::Delivered, 40),
    (Fate::InProcess, 16),
    (Fate::Approved, 8),
    (Fate::Refused, 7),
    (Fate::Submitted, 7),
    (Fate::Suspended, 6),
    (Fate::CorrectionRequested, 6),
    (Fate::NotAccepted, 5),
    (Fate::Withdrawn, 5),
];

const SURNAMES: [&str; 16] = [
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林",
];
const GIVEN: [&str; 12] = [
    "建国", "秀英", "伟", "芳", "敏", "静", "丽娟", "强", "磊", "洋", "婷", "晓东",
];
const COMPANIES: [&str; 10] = [
    "杭州湖畔餐饮管理有限公司",
    "杭州钱塘数据服务有限公司",
    "杭州西溪文化传媒有限公司",
    "杭州之江建设工程有限公司",
    "杭州良渚生物科技有限公司",
    "杭州运河物流有限公司",
    "杭州龙井茶业有限公司",
    "杭州滨江软件技术有限公司",
    "杭州千岛湖旅游开发有限公司",
    "杭州富春环保设备有限公司",
];
const STREETS: [&str; 8] = [
    "文三路",
    "天目山路",
    "解放路",
    "延安路",
    "莫干山路",
    "江南大道",
    "丰潭路",
    "古墩路",
];

/// Someone applying at a counter.
fn counter_applicant(rng: &mut StdRng) -> Applicant {
    if rng.gen_bool(0.35) {
        let name = COMPANIES[rng.gen_range(0..COMPANIES.len())];
        let first17 = format!("91330100MA2{:06}", rng.gen_range(0..1_000_000u32));
        let check = CreditCode::check_char(&first17).unwrap_or('0');
        if let Ok(code) = CreditCode::parse(&format!("{first17}{check}")) {
            return Applicant::Enterprise {
                name: name.into(),
                credit_code: code,
            };
        }
    }
    Applicant::Person {
        name: format!(
            "{}{}",
            SURNAMES[rng.gen_range(0..SURNAMES.len())],
            GIVEN[rng.gen_range(0..GIVEN.len())]
        ),
        id_number: resident_id(rng),
    }
}

fn resident_id(rng: &mut StdRng) -> ResidentId {
    loop {
        let first17 = format!(
            "330106{}{:02}{:02}{:03}",
            rng.gen_range(1950..2005),
            rng.gen_range(1..=12),
            rng.gen_range(1..=28),
            rng.gen_range(0..1000)
        );
        if let Some(c) = ResidentId::check_char(&first17) {
            if let Ok(id) = ResidentId::parse(&format!("{first17}{c}")) {
                return id;
            }
        }
    }
}

/// Plausible answers to an item's form.
fn answers(
    form: &[FormField],
    rng: &mut StdRng,
    today: jiff::civil::Date,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for f in form {
        if !f.required && rng.gen_bool(0.3) {
            continue;
        }
        let key = f.key.as_str();
        let v = match f.kind {
            FieldKind::Number => rng.gen_range(1..500).to_string(),
            FieldKind::Date => today
                .checked_add(jiff::Span::new().days(rng.gen_range(10..60)))
                .unwrap_or(today)
                .to_string(),
            FieldKind::Choice => f
                .choices
                .get(rng.gen_range(0..f.choices.len().max(1)))
                .cloned()
                .unwrap_or_default(),
            FieldKind::Bool => "true".into(),
            FieldKind::Phone => format!(
                "13{}{:08}",
                rng.gen_range(3..10),
                rng.gen_range(0..100_000_000u32)
            ),
            FieldKind::Email => format!("applicant{}@example.cn", rng.gen_range(100..999)),
            FieldKind::IdNumber => resident_id(rng).as_str().to_string(),
            FieldKind::CreditCode => {
                let first17 = format!("91330100MA2{:06}", rng.gen_range(0..1_000_000u32));
                format!(
                    "{first17}{}",
                    CreditCode::check_char(&first17).unwrap_or('0')
                )
            }
            FieldKind::Text | FieldKind::Textarea if key.contains("address") => format!(
                "杭州市西湖区{}{}号",
                STREETS[rng.gen_range(0..STREETS.len())],
                rng.gen_range(1..400)
            ),
            FieldKind::Text | FieldKind::Textarea if key.contains("name") => {
                COMPANIES[rng.gen_range(0..COMPANIES.len())].to_string()
            }
            FieldKind::Text => "按申请表填写".into(),
            FieldKind::Textarea => "申请事项说明：材料齐全，按规定申请办理。".into(),
        };
        out.insert(f.key.clone(), v);
    }
    out
}

/// A small PDF for each of the materials (all of them at a counter, where
/// they are scanned; the required ones online).
fn files(materials: &[sunshine_domain::catalog::Material], all: bool) -> Vec<Upload> {
    materials
        .iter()
        .enumerate()
        .filter(|(_, m)| all || m.required)
        .map(|(slot, m)| Upload {
            slot,
            file_name: format!("{}.pdf", m.name),
            bytes: format!(
                "%PDF-1.4\n% {}\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
                m.name
            )
            .into_bytes(),
        })
        .collect()
}

/// One demo case's plan: who handles it and what it comes to.
struct Plan {
    item_id: i64,
    spec: ItemSpec,
    clerk: Actor,
    approver: Actor,
    fate: Fate,
    /// Days each step takes; a late case dawdles.
    pace_days: i64,
    online: Option<Actor>,
}

/// A demo case on its way: its plan, what is left to do, and its number
/// once submitted.
type Running = (
    Plan,
    std::vec::IntoIter<(SignedDuration, Do)>,
    Option<String>,
);

/// Something done to a demo case, some time after the thing before it.
enum Do {
    Act(Actor, CaseCommand),
    Fee(Actor, String, i64),
    Penalty(Actor, usize, i64),
    Rate(Actor, i64, &'static str),
}

fn hours(h: i64) -> SignedDuration {
    SignedDuration::from_hours(h)
}

/// What happens to a case after it is submitted, and when.
fn script(p: &Plan, rng: &mut StdRng) -> Vec<(SignedDuration, Do)> {
    if let Some(out) = settled_before_acceptance(p) {
        return out;
    }
    let clerk = || p.clerk.clone();
    let mut out = vec![(
        hours(rng.gen_range(1..20)),
        Do::Act(clerk(), CaseCommand::Accept),
    )];
    let steps = p.spec.steps.len().max(1);
    let stop_at = match p.fate {
        Fate::InProcess | Fate::Suspended => rng.gen_range(0..steps),
        _ => steps,
    };
    for step in 0..steps {
        let pace = hours(p.pace_days * 24 + rng.gen_range(1..6));
        out.push((pace, Do::Act(clerk(), CaseCommand::Claim { clerk: 0 })));
        if step == stop_at {
            if p.fate == Fate::Suspended {
                out.push((hours(1), suspension(p, rng)));
            }
            return out;
        }
        if step == 0 {
            out.extend(while_handled(p, rng));
        }
        if step + 1 < steps {
            out.push((hours(1), Do::Act(clerk(), CaseCommand::Pass { clerk: 0 })));
        }
    }
    out.extend(decision_and_delivery(p, rng));
    out
}

/// The script of a case that never gets accepted (or, for `Submitted`,
/// has nothing done to it yet); `None` for one that does.
fn settled_before_acceptance(p: &Plan) -> Option<Vec<(SignedDuration, Do)>> {
    let clerk = || p.clerk.clone();
    let mut out = vec![];
    match p.fate {
        Fate::Submitted => Some(out),
        Fate::Withdrawn if p.online.is_some() => {
            if let Some(applicant) = &p.online {
                out.push((hours(5), Do::Act(applicant.clone(), CaseCommand::Withdraw)));
            }
            Some(out)
        }
        Fate::NotAccepted | Fate::Withdrawn => {
            let reason = "申请事项不属于本机关职权范围，依据《行政许可法》第三十二条第一款第（二）项不予受理，请向有关行政机关申请".into();
            out.push((
                hours(3),
                Do::Act(clerk(), CaseCommand::NotAccept { reason }),
            ));
            Some(out)
        }
        Fate::CorrectionRequested => {
            let what = "请补充提交经营场所产权证明复印件，并在申请表上加盖公章".into();
            out.push((
                hours(2),
                Do::Act(clerk(), CaseCommand::RequestCorrection { what }),
            ));
            Some(out)
        }
        _ => None,
    }
}

/// A suspension for one of the special procedures, drawn at random.
fn suspension(p: &Plan, rng: &mut StdRng) -> Do {
    let procedure = [
        SpecialProcedure::Inspection,
        SpecialProcedure::ExpertReview,
        SpecialProcedure::Testing,
        SpecialProcedure::Hearing,
    ][rng.gen_range(0..4)];
    Do::Act(
        p.clerk.clone(),
        CaseCommand::Suspend {
            clerk: 0,
            procedure,
        },
    )
}

/// What is settled while the first step is handled: the fee, the penalty,
/// and for a late case sometimes an extension.
fn while_handled(p: &Plan, rng: &mut StdRng) -> Vec<(SignedDuration, Do)> {
    let clerk = || p.clerk.clone();
    let mut out = vec![];
    // Fees and penalties are settled while the case is handled.
    if let Some(fee) = p.spec.fees.first() {
        out.push((
            hours(1),
            Do::Fee(clerk(), fee.name.clone(), fee.standard_fen),
        ));
    }
    if p.spec.item_type == ItemType::Penalty && !p.spec.discretion.is_empty() {
        let c = rng.gen_range(0..p.spec.discretion.len());
        out.push((
            hours(1),
            Do::Penalty(clerk(), c, p.spec.discretion[c].min_fen),
        ));
    }
    if p.pace_days > 5 && rng.gen_bool(0.5) {
        out.push((
            hours(2),
            Do::Act(
                p.approver.clone(),
                CaseCommand::Extend {
                    days: 5,
                    max: sunshine_domain::hall::MAX_EXTENSION,
                },
            ),
        ));
    }
    out
}

/// The decision after the last step, then delivery and the applicant's
/// rating where the case gets that far.
fn decision_and_delivery(p: &Plan, rng: &mut StdRng) -> Vec<(SignedDuration, Do)> {
    let clerk = || p.clerk.clone();
    let decision = if p.fate == Fate::Refused {
        CaseCommand::Refuse {
            clerk: 0,
            reason: "经审查，申请人不符合法定条件，依据《行政许可法》第三十八条第二款不予许可"
                .into(),
        }
    } else {
        CaseCommand::Approve { clerk: 0 }
    };
    let mut out = vec![(hours(2), Do::Act(clerk(), decision))];
    let delivered = match p.fate {
        Fate::Delivered => true,
        Fate::Refused => rng.gen_bool(0.5),
        _ => false,
    };
    if delivered {
        out.push((hours(24), Do::Act(clerk(), CaseCommand::Deliver)));
        if let Some(applicant) = &p.online {
            let comment =
                ["办事效率高", "窗口服务态度好", "网上办理很方便", ""][rng.gen_range(0..4)];
            out.push((
                hours(4),
                Do::Rate(applicant.clone(), rng.gen_range(3..=5), comment),
            ));
        }
    }
    out
}

/// Two one-stop applications for a restaurant by the demo citizen: one
/// decided by all three departments, one still being handled.
async fn bundles(
    past: &App,
    clock: &SimulatedClock,
    citizen: &Actor,
    rng: &mut StdRng,
) -> Result<()> {
    let offer = past.bundle("OPEN-RESTAURANT").await?;
    if !offer.available() {
        return Ok(());
    }
    let tick = || {
        clock.set(
            past.clock
                .now()
                .checked_add(hours(1))
                .unwrap_or(past.clock.now()),
        )
    };
    for finished in [true, false] {
        let form = answers(&offer.form(), rng, past.clock.today());
        let uploads = files(&offer.materials(), false);
        let application = past
            .apply_bundle(citizen, "OPEN-RESTAURANT", form, uploads)
            .await?;
        for case in application.cases {
            let login = if case.region == "330100" {
                "clerk".to_string()
            } else {
                format!("clerk.{}", case.region)
            };
            let clerk = past.staff_actor(&login).await?;
            let mut script = vec![CaseCommand::Accept];
            if finished {
                for step in 0..case.facts.steps {
                    script.push(CaseCommand::Claim { clerk: 0 });
                    script.push(if step + 1 < case.facts.steps {
                        CaseCommand::Pass { clerk: 0 }
                    } else {
                        CaseCommand::Approve { clerk: 0 }
                    });
                }
                script.push(CaseCommand::Deliver);
            }
            for action in script {
                tick();
                past.case_command(&clerk, &case.number, action).await?;
            }
        }
    }
    tick();
    Ok(())
}

/// Load `count` cases written over the months before `end`, through `past`
/// (the platform on the demo's own clock, which `clock` moves forward).
pub(super) async fn load(
    past: &App,
    clock: &SimulatedClock,
    end: Timestamp,
    count: usize,
) -> Result<usize> {
    let mut rng = StdRng::seed_from_u64(2009);
    let items = library_items(past).await?;
    if items.is_empty() || count == 0 {
        return Ok(0);
    }
    let citizen = past.account_actor(super::DEMO_CITIZEN_ID).await?;
    let enterprise = past.account_actor(&super::demo_credit_code()).await?;
    let city = OrgCode::parse("330100").map_err(|b| anyhow::anyhow!(b.en))?;
    bundles(past, clock, &citizen, &mut rng).await?;
    // Cases arrive one after another over the months; what would happen
    // after `end` has not happened yet, so late cases are still open.
    let start = past.clock.now();
    let span = end.duration_since(start).as_secs().max(1);
    // (when, case, its next thing to do); the case's number once submitted.
    let mut queue: BinaryHeap<Reverse<(Timestamp, usize)>> = BinaryHeap::new();
    let mut cases: Vec<Running> = Vec::with_capacity(count);
    for i in 0..count {
        let (item_id, spec) = items[i % items.len()].clone();
        let online = [&citizen, &enterprise];
        let plan = plan_case(past, &mut rng, item_id, spec, &city, online).await?;
        let steps = script(&plan, &mut rng).into_iter();
        let arrive = start
            .checked_add(SignedDuration::from_secs(span * i as i64 / count as i64))
            .unwrap_or(start);
        queue.push(Reverse((arrive, i)));
        cases.push((plan, steps, None));
    }
    play(past, clock, end, &mut rng, queue, cases).await?;
    Ok(count)
}

/// The items in the library, each with its specification.
async fn library_items(past: &App) -> Result<Vec<(i64, ItemSpec)>> {
    let mut items: Vec<(i64, ItemSpec)> = vec![];
    let live = {
        let mut conn = past.db.read().await?;
        sunshine_store::catalog::live_versions(&mut conn).await?
    };
    for v in live {
        if v.state == VersionState::InLibrary {
            items.push((v.item_id, v.spec));
        }
    }
    Ok(items)
}

/// The logins of the clerk and the approver who handle a government's cases.
fn handlers(government: &OrgCode, city: &OrgCode) -> (String, String) {
    if government == city {
        ("clerk".to_string(), "approver".to_string())
    } else if government.as_str() == "330106" {
        (format!("clerk.{government}"), "xihu.approver".to_string())
    } else {
        (
            format!("clerk.{government}"),
            format!("approver.{government}"),
        )
    }
}

/// A fate drawn with the weights of [`FATES`].
fn roll_fate(rng: &mut StdRng) -> Fate {
    let mut roll = rng.gen_range(0..100);
    let mut fate = Fate::Delivered;
    for (f, weight) in FATES {
        if roll < weight {
            fate = f;
            break;
        }
        roll -= weight;
    }
    fate
}

/// A case's plan for an item: its handlers, its fate, its pace, and
/// whether one of the `online` applicants (the citizen, the enterprise)
/// submits it rather than a counter.
async fn plan_case(
    past: &App,
    rng: &mut StdRng,
    item_id: i64,
    spec: ItemSpec,
    city: &OrgCode,
    [citizen, enterprise]: [&Actor; 2],
) -> Result<Plan> {
    let government = crate::catalog::region_government(&spec);
    let (clerk, approver) = handlers(&government, city);
    let mut fate = roll_fate(rng);
    // An approval's grant goes to a person the registry holds, and the
    // demo's invented applicants are not held: such items are refused.
    if crate::grants::GRANTS.for_item(&spec.code).is_some()
        && matches!(fate, Fate::Approved | Fate::Delivered)
    {
        fate = Fate::Refused;
    }
    let online = (!spec.sensitive && rng.gen_bool(0.3)).then(|| {
        if rng.gen_bool(0.5) {
            citizen.clone()
        } else {
            enterprise.clone()
        }
    });
    Ok(Plan {
        item_id,
        spec,
        clerk: past.staff_actor(&clerk).await?,
        approver: past.staff_actor(&approver).await?,
        fate,
        pace_days: if rng.gen_bool(0.12) {
            rng.gen_range(4..9)
        } else {
            rng.gen_range(0..2)
        },
        online,
    })
}

/// Play the cases in time order on the demo's clock: each submitted when
/// it arrives, then its script a step at a time; nothing at or after `end`.
async fn play(
    past: &App,
    clock: &SimulatedClock,
    end: Timestamp,
    rng: &mut StdRng,
    mut queue: BinaryHeap<Reverse<(Timestamp, usize)>>,
    mut cases: Vec<Running>,
) -> Result<()> {
    while let Some(Reverse((at, i))) = queue.pop() {
        if at >= end {
            continue;
        }
        clock.set(at);
        let (plan, steps, number) = &mut cases[i];
        match number.clone() {
            None => *number = Some(submit(past, plan, rng).await?),
            Some(n) => {
                if let Some((_, d)) = steps.next() {
                    carry_out(past, &n, d).await?;
                }
            }
        }
        if let Some((after, _)) = steps.as_slice().first() {
            queue.push(Reverse((at.checked_add(*after).unwrap_or(end), i)));
        }
    }
    Ok(())
}

/// Submit a planned case, online or at a counter; its number.
async fn submit(past: &App, plan: &Plan, rng: &mut StdRng) -> Result<String> {
    let today = past.clock.today();
    let form = answers(&plan.spec.form, rng, today);
    let case = match &plan.online {
        Some(applicant) => {
            let uploads = files(&plan.spec.materials, false);
            past.apply(applicant, plan.item_id, form, uploads).await?
        }
        None => {
            let applicant = counter_applicant(rng);
            let uploads = files(&plan.spec.materials, true);
            past.register_at_counter(&plan.clerk, plan.item_id, applicant, form, uploads)
                .await?
        }
    };
    Ok(case.number)
}

/// Do one thing of a case's script to case `n`.
async fn carry_out(past: &App, n: &str, d: Do) -> Result<()> {
    match d {
        Do::Act(who, action) => {
            past.case_command(&who, n, action).await?;
        }
        Do::Fee(who, name, fen) => {
            past.charge_fee(&who, n, &name, fen).await?;
        }
        Do::Penalty(who, c, fen) => {
            past.decide_penalty(&who, n, c, fen).await?;
        }
        Do::Rate(who, rating, comment) => {
            past.rate_case(&who, n, rating, comment).await?;
        }
    }
    Ok(())
}
