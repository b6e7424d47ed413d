//! The card operator's page (`/staff/card/operations`): operators,
//! merchants, terminals and the day's settlement.

use super::*;

#[derive(Debug, Default, Deserialize)]
pub struct PartyForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub account: String,
    #[serde(default)]
    pub percent_of_price: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct TerminalForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub party: String,
    #[serde(default)]
    pub network_id: String,
    #[serde(default)]
    pub public_key: String,
}

pub struct TerminalRow {
    pub code: String,
    pub kind: &'static str,
    pub party: String,
    pub network_id: String,
    /// The key's first and last digits: enough to tell keys apart.
    pub key: String,
    pub registered: String,
    /// When it was retired, shown; empty while in service.
    pub retired: String,
}

/// A terminal's new key or its retirement, from its row on the operations page.
#[derive(Debug, Default, Deserialize)]
pub struct TerminalChangeForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub public_key: String,
    #[serde(default)]
    pub reason: String,
}

pub struct PartyRow {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub accepts: String,
    pub percent: u32,
}

/// An operator's or merchant's kind, for people.
pub(super) fn party_kind(lang: Lang, kind: &str) -> String {
    match kind {
        "merchant" => lang.pick("联盟商户", "merchant").to_string(),
        "operator" => lang.pick("交通运营", "transit operator").to_string(),
        other => other.to_string(),
    }
}

pub struct ClearingRow {
    pub party: String,
    pub name: String,
    pub taps: u64,
    pub tapped: i64,
    /// What cards paid at the party's desks for medical settlements.
    pub medical: i64,
    pub ledger: i64,
    pub refunds: i64,
    pub net: i64,
    pub ties_out: bool,
    pub settled: String,
}

#[derive(Template)]
#[template(path = "card/operations.html")]
pub(super) struct OperationsPage {
    c: Chrome,
    day: String,
    day_name: String,
    clearing: Vec<ClearingRow>,
    total_net: i64,
    ties_out: bool,
    settled: bool,
    parties: Vec<PartyRow>,
    terminals: Vec<TerminalRow>,
    problem: Problems,
    party: PartyForm,
    terminal: TerminalForm,
}

/// Yesterday where the platform's users live: the day T+1 settles.
pub(super) fn yesterday(s: &AppState) -> jiff::civil::Date {
    let today = s.app.clock.today();
    today.yesterday().unwrap_or(today)
}

pub(super) async fn operations_page(
    s: &AppState,
    lang: Lang,
    session: &Session,
    (day, party, terminal): (jiff::civil::Date, PartyForm, TerminalForm),
    problem: Problems,
) -> Response {
    let c = Chrome::new(lang, Some(session), "/staff/card/operations");
    let loaded = async {
        Ok::<_, AppError>((
            s.app.clearing(&session.actor, day).await?,
            s.app.card_parties(&session.actor).await?,
            s.app.card_terminals(&session.actor).await?,
        ))
    };
    let (clearing, parties, terminals) = match loaded.await {
        Ok(l) => l,
        Err(e) => return error_page(c, e),
    };
    let terminals = terminals
        .into_iter()
        .map(|t| TerminalRow {
            kind: match t.kind {
                TerminalKind::Validator => c.pick("验票机", "validator"),
                TerminalKind::Pos => c.pick("商户POS", "point of sale"),
                TerminalKind::Gate => c.pick("闸机或窗口", "gate or desk"),
                TerminalKind::Dock => c.pick("自行车桩", "bicycle dock"),
            },
            party: parties
                .iter()
                .find(|p| p.id == t.party)
                .map_or_else(|| t.party.to_string(), |p| p.name.clone()),
            key: format!(
                "{}…{}",
                t.public_key.get(..8).unwrap_or_default(),
                t.public_key.get(56..).unwrap_or_default()
            ),
            registered: c.when(&t.registered_at),
            retired: t.retired_at.map(|x| c.when(&x)).unwrap_or_default(),
            network_id: t.network_id,
            code: t.code,
        })
        .collect();
    let status = if problem.is_some() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    let page = OperationsPage {
        day: day.to_string(),
        day_name: fmt::day(lang, day),
        total_net: clearing.net,
        ties_out: clearing.ties_out,
        settled: clearing.settled,
        clearing: clearing
            .lines
            .into_iter()
            .map(|l| ClearingRow {
                party: l.party,
                name: l.name,
                taps: l.taps,
                tapped: l.tapped,
                medical: l.medical,
                ledger: l.ledger_takings,
                refunds: l.refunds,
                net: l.net,
                ties_out: l.ties_out,
                settled: l.settled.map(|x| c.when(&x.settled_at)).unwrap_or_default(),
            })
            .collect(),
        parties: parties
            .into_iter()
            .map(|p| PartyRow {
                accepts: p
                    .accepts
                    .iter()
                    .map(|a| match a {
                        Purse::Wallet => c.pick("电子钱包", "wallet"),
                        Purse::Account => c.pick("实名账户", "account"),
                    })
                    .collect::<Vec<_>>()
                    .join(" / "),
                kind: party_kind(lang, &p.kind),
                code: p.code,
                name: p.name,
                percent: p.percent_of_price,
            })
            .collect(),
        terminals,
        problem,
        party,
        terminal,
        c,
    };
    (status, render(&page)).into_response()
}

#[derive(Debug, Default, Deserialize)]
pub struct DayQuery {
    #[serde(default)]
    pub day: String,
}

/// A day as the forms take it, or the reason beside the day's field.
pub(super) fn day_of(lang: Lang, text: &str) -> Result<jiff::civil::Date, String> {
    text.trim().parse::<jiff::civil::Date>().map_err(|_| {
        lang.pick(
            "日期格式为 YYYY-MM-DD（年-月-日）",
            "A day is YYYY-MM-DD (year-month-day)",
        )
        .to_string()
    })
}

/// `/staff/card/operations?day=`: a day's clearing (yesterday by default),
/// operators, merchants and terminals.
pub async fn operations(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Query(q): Query<DayQuery>,
) -> Response {
    let (day, problem) = match q.day.trim() {
        "" => (yesterday(&s), Problems::default()),
        d => match day_of(lang, d) {
            Ok(d) => (d, Problems::default()),
            Err(p) => (yesterday(&s), Problems::new("", "day", p)),
        },
    };
    let forms = (day, PartyForm::default(), TerminalForm::default());
    operations_page(&s, lang, &session, forms, problem).await
}

#[derive(Debug, Default, Deserialize)]
pub struct SettleForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub day: String,
}

/// `POST /staff/card/settle`: settle a day that has ended.
pub async fn settle(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Form(f): Form<SettleForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/card/operations");
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    let day = match day_of(lang, &f.day) {
        Ok(d) => d,
        Err(p) => {
            let forms = (yesterday(&s), PartyForm::default(), TerminalForm::default());
            return operations_page(&s, lang, &session, forms, Problems::new("", "settle", p))
                .await;
        }
    };
    let settled = s.app.settle(&session.actor, day).await.map(|paid| {
        let total: i64 = paid.iter().map(|x| x.net).sum();
        (
            format!(
                "{}已结算：{} 家单位，共 {}",
                fmt::day(Lang::Zh, day),
                paid.len(),
                fmt::money(Lang::Zh, total)
            ),
            format!(
                "{} is settled: {} paid out to {} operators and merchants",
                fmt::day(Lang::En, day),
                fmt::money(Lang::En, total),
                paid.len()
            ),
        )
    });
    let forms = (day, PartyForm::default(), TerminalForm::default());
    let done = format!("/staff/card/operations?day={day}");
    at_operations(&s, lang, &session, (&done, "settle"), forms, settled).await
}

/// After an operations command: on to `done` saying what was done, or the
/// operations page again with the refusal beside its form and `forms` kept
/// (an error page for anything else).
pub(super) async fn at_operations(
    s: &AppState,
    lang: Lang,
    session: &Session,
    (done, form): (&str, &'static str),
    forms: (jiff::civil::Date, PartyForm, TerminalForm),
    result: Result<(String, String), AppError>,
) -> Response {
    let c = Chrome::new(lang, Some(session), "/staff/card/operations");
    match result {
        Ok((zh, en)) => flash::redirect(done, zh, en),
        Err(e) => match problem_of(&c, &e) {
            Some(p) => operations_page(s, lang, session, forms, Problems::new("", form, p)).await,
            None => error_page(c, e),
        },
    }
}

/// `POST /staff/card/parties`: register an operator or a merchant.
pub async fn add_party(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Form(f): Form<PartyForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/card/operations");
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    let mut accepts = vec![Purse::Wallet];
    if f.account == "on" {
        accepts.push(Purse::Account);
    }
    let input = NewParty {
        code: f.code.clone(),
        name: f.name.clone(),
        kind: f.kind.clone(),
        accepts,
        percent_of_price: f.percent_of_price.trim().parse().unwrap_or(0),
    };
    let added = s.app.add_card_party(&session.actor, input).await.map(|p| {
        (
            format!("已登记{}：{}", party_kind(Lang::Zh, &p.kind), p.name),
            format!("Registered {} {}", party_kind(Lang::En, &p.kind), p.code),
        )
    });
    let forms = (yesterday(&s), f, TerminalForm::default());
    let at = ("/staff/card/operations#parties", "party");
    at_operations(&s, lang, &session, at, forms, added).await
}

/// `POST /staff/card/terminals/{code}/key` gives a terminal a new public
/// key; `POST /staff/card/terminals/{code}/retire` retires it. Back to the
/// terminals on the operations page, or the page with the refusal.
pub async fn change_terminal(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Path((code, change)): Path<(String, String)>,
    Form(f): Form<TerminalChangeForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/card/operations");
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    let (app, actor) = (&s.app, &session.actor);
    let changed = match change.as_str() {
        "key" => app
            .change_terminal_key(actor, &code, &f.public_key)
            .await
            .map(|_| {
                (
                    format!("终端 {code} 已换用新公钥，旧钥签名的上传将被拒绝"),
                    format!("Terminal {code} has a new key; uploads signed with the old one are refused"),
                )
            }),
        "retire" => app.retire_terminal(actor, &code, &f.reason).await.map(|_| {
            (
                format!("终端 {code} 已停用，此后的上传将被拒绝"),
                format!("Terminal {code} is retired; what it uploads from now on is refused"),
            )
        }),
        _ => return error_page(c, Refusal::not_found("该页面", "The page").into()),
    };
    let forms = (yesterday(&s), PartyForm::default(), TerminalForm::default());
    let done = "/staff/card/operations#terminals";
    at_operations(
        &s,
        lang,
        &session,
        (done, "terminal-change"),
        forms,
        changed,
    )
    .await
}

/// `POST /staff/card/terminals`: register a terminal with its public key.
pub async fn add_terminal(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Form(f): Form<TerminalForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/card/operations");
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    let input = NewTerminal {
        code: f.code.clone(),
        kind: TerminalKind::parse(&f.kind).unwrap_or(TerminalKind::Validator),
        party: f.party.clone(),
        network_id: f.network_id.clone(),
        public_key: f.public_key.clone(),
    };
    let added = s.app.add_terminal(&session.actor, input).await.map(|t| {
        (
            format!("终端 {} 已登记", t.code),
            format!("Terminal {} is registered", t.code),
        )
    });
    let forms = (yesterday(&s), PartyForm::default(), f);
    let at = ("/staff/card/operations#terminals", "terminal");
    at_operations(&s, lang, &session, at, forms, added).await
}

/// `POST /staff/card/medical-roll`: the medical-insurance fund's roll,
/// uploaded by a card operator: paid whole or not at all, and once.
pub async fn medical_roll(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    multipart: axum::extract::Multipart,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/card/operations");
    let posted = match super::super::Posted::read(multipart).await {
        Ok(p) => p,
        Err(e) => return error_page(c, e),
    };
    if !csrf_ok(&session, &posted.text("csrf")) {
        return bad_token(c);
    }
    let Some((_, bytes)) = posted.file("file") else {
        let r = sunshine_domain::refusal::Refusal::field(
            "file",
            "请选择医保基金的划入名单文件",
            "Choose the fund's roll file",
        );
        return error_page(c, r.into());
    };
    match s.app.credit_medical_roll(&session.actor, bytes).await {
        Ok(r) => flash::redirect(
            "/staff/card/operations#medical-roll",
            format!(
                "划入名单共{}笔、{}：本次划入{}笔，此前已划入{}笔（不重复划入）",
                r.lines,
                fmt::money(Lang::Zh, r.total_fen),
                r.paid,
                r.repeated
            ),
            format!(
                "The roll of {} payments, {}: {} paid now, {} paid before (not paid twice)",
                r.lines,
                fmt::money(Lang::En, r.total_fen),
                r.paid,
                r.repeated
            ),
        ),
        Err(AppError::Refused(mut r)) => {
            // Each fault with its line, as people say it.
            let lines: Vec<String> = r
                .fields
                .iter()
                .map(|(k, v)| {
                    let place = match k.strip_prefix("line ") {
                        Some(rest) if !lang.is_en() => {
                            let (line, column) = rest.split_once(' ').unwrap_or((rest, ""));
                            format!("第{line}行 {column}")
                        }
                        _ => k.clone(),
                    };
                    format!("{place}：{}", v.get(lang.code()))
                })
                .collect();
            r.fields.clear();
            let mut message = r.message.clone();
            message.zh = format!("{}：{}", message.zh, lines.join("；"));
            message.en = format!("{}: {}", message.en, lines.join("; "));
            r.message = message;
            error_page(c, r.into())
        }
        Err(e) => error_page(c, e),
    }
}

#[derive(Template)]
#[template(path = "card/payouts.html")]
struct PayoutsPage {
    c: Chrome,
    month: String,
    report: Option<sunshine_app::care::PayoutsReport>,
    problem: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct MonthQuery {
    #[serde(default)]
    pub month: String,
}

/// `GET /staff/card/payouts?month=YYYY-MM`: what civil affairs paid onto
/// cards in a month, by kind and community, and whether its account on
/// the books ties out with the payouts recorded.
pub async fn payouts(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Query(q): Query<MonthQuery>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/card/operations");
    let month = match q.month.trim() {
        "" => s.app.clock.today().strftime("%Y-%m").to_string(),
        m => m.chars().take(20).collect(),
    };
    match s.app.payouts_report(&session.actor, &month).await {
        Ok(report) => render(&PayoutsPage {
            c,
            month,
            report: Some(report),
            problem: String::new(),
        }),
        Err(AppError::Refused(r)) if r.kind == sunshine_domain::refusal::RefusalKind::Invalid => {
            let problem = r
                .field_messages::<Vec<(String, String)>>(lang.code())
                .into_iter()
                .map(|(_, why)| why)
                .collect::<Vec<_>>()
                .join(" ");
            let page = PayoutsPage {
                c,
                month,
                report: None,
                problem,
            };
            (axum::http::StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response()
        }
        Err(e) => error_page(c, e),
    }
}
