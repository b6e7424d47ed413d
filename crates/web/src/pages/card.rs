//! Citizen card pages: the cardholder's (`/card`: balances, recent taps with
//! place and discount, top-up, report loss), the service-hall clerk's
//! (`/staff/card`: find a resident's cards, issue, every step of a card's
//! life, top-up at the counter) and the card operator's
//! (`/staff/card/operations`: operators, merchants and terminals).

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sunshine_app::card::{CardView, IssueCard, TopUp};
use sunshine_app::identity::Session;
use sunshine_app::AppError;
use sunshine_domain::card::book::{NewParty, NewTerminal, Purse, TerminalKind};
use sunshine_domain::card::entitlement::{Kind, Verdict};
use sunshine_domain::card::lifecycle::{fen_of, yuan, CardCommand, CardState};
use sunshine_domain::clock::{from_micros, local_date, local_display};
use sunshine_domain::refusal::Refusal;

use super::{bad_token, error_page, render, Chrome};
use crate::auth::{csrf_ok, SignedIn, StaffSession};
use crate::i18n::Lang;
use crate::AppState;

/// A card as a page shows it: amounts in yuan, times in Hangzhou.
pub struct CardRow {
    pub number: String,
    pub holder_name: String,
    pub state: String,
    pub state_name: String,
    pub wallet: String,
    pub account: String,
    pub owed: String,
    pub denied: Option<String>,
    pub replaces: String,
    pub replaced_by: String,
    pub taps: Vec<TapRow>,
    pub entitlements: Vec<EntitlementRow>,
    pub bike_deposit: bool,
    /// Where and since when a bicycle is out, as shown.
    pub bike_out: Option<String>,
    /// Passes: product, first moment, last moment.
    pub passes: Vec<(String, String, String)>,
    pub medical: Vec<MedicalRow>,
}

/// A medical settlement, in yuan.
pub struct MedicalRow {
    pub at: String,
    pub place: String,
    pub card: String,
    pub total: String,
    pub insured: String,
    pub self_pay: String,
}

pub struct EntitlementRow {
    pub kind: String,
    pub name: String,
    pub until: String,
    pub verdict: String,
    pub allowed: bool,
}

pub struct TapRow {
    pub at: String,
    pub place: String,
    pub terminal: String,
    pub product: String,
    pub full: String,
    pub charged: String,
    pub discount: String,
    pub outcome: String,
}

/// A card's state in the page's language.
fn state_name(c: &Chrome, s: CardState) -> String {
    match s {
        CardState::Issued => c.pick("已制卡，待启用", "issued, not yet active"),
        CardState::Active => c.pick("正常", "active"),
        CardState::Lost => c.pick("已挂失", "reported lost"),
        CardState::Frozen => c.pick("已冻结", "frozen"),
        CardState::Replaced => c.pick("已补卡（作废）", "replaced (dead)"),
        CardState::Cancelled => c.pick("已注销", "cancelled"),
    }
    .to_string()
}

fn card_row(c: &Chrome, v: CardView) -> CardRow {
    CardRow {
        number: v.card.number,
        holder_name: v.card.holder_name,
        state: v.card.state.as_str().to_string(),
        state_name: state_name(c, v.card.state),
        wallet: yuan(v.balances.wallet),
        account: yuan(v.balances.account),
        owed: yuan(v.balances.owed),
        denied: v.denied,
        replaces: v.card.replaces.unwrap_or_default(),
        replaced_by: v.card.replaced_by.unwrap_or_default(),
        bike_deposit: v.bike_deposit,
        passes: v
            .passes
            .iter()
            .map(|p| {
                (
                    p.product.clone(),
                    local_display(from_micros(p.valid_from)),
                    local_display(from_micros(p.valid_until)),
                )
            })
            .collect(),
        bike_out: v
            .bike_out
            .map(|(dock, at)| format!("{dock} {}", local_display(from_micros(at)))),
        medical: v
            .medical
            .into_iter()
            .map(|m| MedicalRow {
                at: local_display(from_micros(m.record.at)),
                place: m.place,
                card: m.record.card,
                total: yuan(m.record.total),
                insured: yuan(m.record.insured),
                self_pay: yuan(m.record.self_pay),
            })
            .collect(),
        entitlements: v
            .entitlements
            .into_iter()
            .map(|e| EntitlementRow {
                kind: e.entitlement.kind.as_str().to_string(),
                name: match e.entitlement.kind {
                    Kind::Medical => c.pick("医保结算", "Medical insurance"),
                    Kind::Park => c.pick("公园年卡", "Park annual card"),
                    Kind::Library => c.pick("图书馆借书证", "Library card"),
                }
                .to_string(),
                // The last day it holds: it ends as that day does.
                until: e
                    .entitlement
                    .valid_until
                    .map(|u| local_date(from_micros(u - 1)).to_string())
                    .unwrap_or_else(|| c.pick("长期", "open-ended").to_string()),
                verdict: format!("{:?}", e.verdict).to_lowercase(),
                allowed: e.verdict == Verdict::Allowed,
            })
            .collect(),
        taps: v
            .taps
            .into_iter()
            .map(|t| TapRow {
                at: local_display(from_micros(t.tap.at)),
                place: t.place,
                terminal: t.tap.terminal,
                product: t.product_name,
                full: yuan(t.tap.full),
                charged: yuan(t.tap.charged),
                discount: yuan(t.tap.full - t.tap.charged),
                outcome: t.tap.outcome.as_str().to_string(),
            })
            .collect(),
    }
}

/// A fresh id for a form's top-up: a second submit of the same form is the
/// same top-up, answered with the first result.
fn fresh_id() -> u64 {
    rand::random::<u64>() % sunshine_domain::card::book::MAX_CLIENT_ID + 1
}

#[derive(Debug, Default, Deserialize)]
pub struct TopUpForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub purse: String,
    #[serde(default)]
    pub amount: String,
}

/// The form's top-up, or why it cannot be one.
fn top_up_of(f: &TopUpForm) -> Result<TopUp, Refusal> {
    let amount = fen_of(&f.amount).ok_or_else(|| {
        Refusal::field(
            "amount",
            "金额须为元，最多两位小数",
            "The amount is in yuan, with at most two decimals",
        )
    })?;
    let purse = match f.purse.as_str() {
        "account" => Purse::Account,
        _ => Purse::Wallet,
    };
    let id = f.id.trim().parse::<u64>().unwrap_or_else(|_| fresh_id());
    Ok(TopUp { id, purse, amount })
}

/// A refusal as one line for a page.
fn problem_of(c: &Chrome, e: &AppError) -> Option<String> {
    match e {
        AppError::Refused(r) => {
            let mut m = c.pick(&r.message.zh, &r.message.en).to_string();
            for t in r.fields.values() {
                m.push('；');
                m.push_str(c.pick(&t.zh, &t.en));
            }
            Some(m)
        }
        AppError::Internal(_) => None,
    }
}

#[derive(Template)]
#[template(path = "card_my.html")]
struct MyCardsPage {
    c: Chrome,
    cards: Vec<CardRow>,
    /// Passes on sale: id, name, price in yuan, days.
    pass_products: Vec<(String, String, String, u32)>,
    today: String,
    problem: Option<String>,
    form: TopUpForm,
    form_id: u64,
    /// Where the card's forms post: the holder's own pages.
    base: &'static str,
    /// No holder to look up again: the cards are the signed-in resident's.
    holder: String,
}

/// The passes on sale, as the pages show them: id, name, price in yuan, days.
async fn pass_offers(s: &AppState) -> Result<Vec<(String, String, String, u32)>, AppError> {
    Ok(s.app
        .pass_products()
        .await?
        .into_iter()
        .map(|(id, name, price, days)| (id, name, yuan(price), days))
        .collect())
}

async fn my_page(
    s: &AppState,
    lang: Lang,
    session: &Session,
    form: TopUpForm,
    problem: Option<String>,
) -> Response {
    let c = Chrome::new(lang, Some(session), "/card");
    if c.unbound {
        // Nothing registered to the number shows before the account is bound.
        return Redirect::to("/account/bind").into_response();
    }
    let pass_products = match pass_offers(s).await {
        Ok(p) => p,
        Err(e) => return error_page(c, e),
    };
    match s.app.my_cards(&session.actor).await {
        Ok(cards) => {
            let status = if problem.is_some() {
                axum::http::StatusCode::UNPROCESSABLE_ENTITY
            } else {
                axum::http::StatusCode::OK
            };
            let page = MyCardsPage {
                cards: cards.into_iter().map(|v| card_row(&c, v)).collect(),
                pass_products,
                today: s.app.clock.today().to_string(),
                problem,
                form_id: form.id.parse().unwrap_or_else(|_| fresh_id()),
                form,
                base: "/card",
                holder: String::new(),
                c,
            };
            (status, render(&page)).into_response()
        }
        Err(e) => error_page(c, e),
    }
}

/// `/card`: the signed-in resident's cards.
pub async fn my_cards(
    State(s): State<AppState>,
    lang: Lang,
    SignedIn(session): SignedIn,
) -> Response {
    my_page(&s, lang, &session, TopUpForm::default(), None).await
}

/// `POST /card/{number}/top-up`: the holder tops up online.
pub async fn my_top_up(
    State(s): State<AppState>,
    lang: Lang,
    SignedIn(session): SignedIn,
    Path(number): Path<String>,
    Form(f): Form<TopUpForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/card");
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    let result = match top_up_of(&f) {
        Ok(t) => s.app.top_up(&session.actor, &number, t).await,
        Err(r) => Err(r.into()),
    };
    match result {
        Ok(_) => Redirect::to("/card").into_response(),
        Err(e) => match problem_of(&c, &e) {
            Some(p) => my_page(&s, lang, &session, f, Some(p)).await,
            None => error_page(c, e),
        },
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct CommandForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub command: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub holder: String,
}

fn command_of(f: &CommandForm) -> Result<CardCommand, Refusal> {
    Ok(match f.command.as_str() {
        "activate" => CardCommand::Activate,
        "report_loss" => CardCommand::ReportLoss,
        "cancel_loss" => CardCommand::CancelLoss,
        "freeze" => CardCommand::Freeze {
            reason: f.reason.clone(),
        },
        "unfreeze" => CardCommand::Unfreeze,
        "replace" => CardCommand::Replace,
        "cancel" => CardCommand::Cancel,
        _ => {
            return Err(Refusal::field(
                "command",
                "未知的操作",
                "No such step of a card's life",
            ))
        }
    })
}

/// `POST /card/{number}/loss`: the holder reports the card lost (挂失).
pub async fn my_report_loss(
    State(s): State<AppState>,
    lang: Lang,
    SignedIn(session): SignedIn,
    Path(number): Path<String>,
    Form(f): Form<CommandForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/card");
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    let command = if f.command == "cancel_loss" {
        CardCommand::CancelLoss
    } else {
        CardCommand::ReportLoss
    };
    match s.app.card_command(&session.actor, &number, command).await {
        Ok(_) => Redirect::to("/card").into_response(),
        Err(e) => match problem_of(&c, &e) {
            Some(p) => my_page(&s, lang, &session, TopUpForm::default(), Some(p)).await,
            None => error_page(c, e),
        },
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct HolderQuery {
    #[serde(default)]
    pub holder: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct IssueForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub holder: String,
    #[serde(default)]
    pub holder_name: String,
    #[serde(default)]
    pub rider_category: String,
}

#[derive(Template)]
#[template(path = "staff/card.html")]
struct CounterPage {
    c: Chrome,
    holder: String,
    cards: Vec<CardRow>,
    problem: Option<String>,
    issue: IssueForm,
    form_id: u64,
    /// Passes on sale: id, name, price in yuan, days.
    pass_products: Vec<(String, String, String, u32)>,
    today: String,
    /// Where the card's forms post: the counter's pages.
    base: &'static str,
}

async fn counter_page(
    s: &AppState,
    lang: Lang,
    session: &Session,
    holder: &str,
    issue: IssueForm,
    problem: Option<String>,
) -> Response {
    let c = Chrome::new(lang, Some(session), "/staff/card");
    let mut cards = vec![];
    if !holder.trim().is_empty() {
        match s.app.cards_of(&session.actor, holder).await {
            Ok(list) => {
                for card in list {
                    match s.app.card_view(&session.actor, &card.number).await {
                        Ok(v) => cards.push(card_row(&c, v)),
                        Err(e) => return error_page(c, e),
                    }
                }
            }
            Err(e) => return error_page(c, e),
        }
    } else if let Err(e) = s
        .app
        .authorize_centre(&session.actor, sunshine_app::CentreWork::ServeCardholder)
    {
        return error_page(c, e);
    }
    let status = if problem.is_some() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    let pass_products = match pass_offers(s).await {
        Ok(p) => p,
        Err(e) => return error_page(c, e),
    };
    let page = CounterPage {
        holder: holder.trim().to_string(),
        cards,
        problem,
        issue,
        form_id: fresh_id(),
        pass_products,
        today: s.app.clock.today().to_string(),
        base: "/staff/card",
        c,
    };
    (status, render(&page)).into_response()
}

/// `/staff/card?holder=`: a service-hall clerk's counter.
pub async fn counter(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Query(q): Query<HolderQuery>,
) -> Response {
    counter_page(&s, lang, &session, &q.holder, IssueForm::default(), None).await
}

/// After a counter command: back to the holder's cards, or the counter
/// page again with the refusal shown (an error page for anything else).
async fn at_counter(
    s: &AppState,
    lang: Lang,
    session: &Session,
    c: Chrome,
    holder: &str,
    result: Result<(), AppError>,
) -> Response {
    match result {
        Ok(()) => back_to(holder),
        Err(e) => match problem_of(&c, &e) {
            Some(p) => counter_page(s, lang, session, holder, IssueForm::default(), Some(p)).await,
            None => error_page(c, e),
        },
    }
}

fn back_to(holder: &str) -> Response {
    let q: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("holder", holder.trim())
        .finish();
    Redirect::to(&format!("/staff/card?{q}")).into_response()
}

/// `POST /staff/card/issue`: issue a card.
pub async fn issue(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Form(f): Form<IssueForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/card");
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    let input = IssueCard {
        holder: f.holder.clone(),
        holder_name: f.holder_name.clone(),
        rider_category: f.rider_category.clone(),
    };
    match s.app.issue_card(&session.actor, input).await {
        Ok(_) => back_to(&f.holder),
        Err(e) => match problem_of(&c, &e) {
            Some(p) => {
                let holder = f.holder.clone();
                counter_page(&s, lang, &session, &holder, f, Some(p)).await
            }
            None => error_page(c, e),
        },
    }
}

/// `POST /staff/card/{number}/command`: a step of a card's life at the counter.
pub async fn command(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Path(number): Path<String>,
    Form(f): Form<CommandForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/card");
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    let result = match command_of(&f) {
        Ok(cmd) => s
            .app
            .card_command(&session.actor, &number, cmd)
            .await
            .map(|_| ()),
        Err(r) => Err(r.into()),
    };
    at_counter(&s, lang, &session, c, &f.holder, result).await
}

#[derive(Debug, Default, Deserialize)]
pub struct CounterTopUpForm {
    #[serde(flatten)]
    pub top_up: TopUpForm,
    #[serde(default)]
    pub holder: String,
}

/// `POST /staff/card/{number}/top-up`: money paid in at the counter.
pub async fn counter_top_up(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Path(number): Path<String>,
    Form(f): Form<CounterTopUpForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/card");
    if !csrf_ok(&session, &f.top_up.csrf) {
        return bad_token(c);
    }
    let result = match top_up_of(&f.top_up) {
        Ok(t) => s.app.top_up(&session.actor, &number, t).await.map(|_| ()),
        Err(r) => Err(r.into()),
    };
    at_counter(&s, lang, &session, c, &f.holder, result).await
}

#[derive(Debug, Default, Deserialize)]
pub struct PinForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub pin: String,
    #[serde(default)]
    pub holder: String,
}

/// `POST /staff/card/{number}/pin`: the holder sets the card's PIN at the counter.
pub async fn counter_pin(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Path(number): Path<String>,
    Form(f): Form<PinForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/card");
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    let result = s.app.set_card_pin(&session.actor, &number, &f.pin).await;
    at_counter(&s, lang, &session, c, &f.holder, result).await
}

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

pub struct ClearingRow {
    pub party: String,
    pub name: String,
    pub taps: u64,
    pub tapped: String,
    pub ledger: String,
    pub refunds: String,
    pub net: String,
    pub ties_out: bool,
    pub settled: String,
}

#[derive(Template)]
#[template(path = "staff/card_operations.html")]
struct OperationsPage {
    c: Chrome,
    day: String,
    clearing: Vec<ClearingRow>,
    total_net: String,
    ties_out: bool,
    settled: bool,
    parties: Vec<PartyRow>,
    terminals: Vec<TerminalRow>,
    problem: Option<String>,
    party: PartyForm,
    terminal: TerminalForm,
}

/// Yesterday where the platform's users live: the day T+1 settles.
fn yesterday(s: &AppState) -> jiff::civil::Date {
    let today = s.app.clock.today();
    today.yesterday().unwrap_or(today)
}

async fn operations_page(
    s: &AppState,
    lang: Lang,
    session: &Session,
    (day, party, terminal): (jiff::civil::Date, PartyForm, TerminalForm),
    problem: Option<String>,
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
            registered: local_display(from_micros(t.registered_at)),
            retired: t
                .retired_at
                .map(|x| local_display(from_micros(x)))
                .unwrap_or_default(),
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
        total_net: yuan(clearing.net),
        ties_out: clearing.ties_out,
        settled: clearing.settled,
        clearing: clearing
            .lines
            .into_iter()
            .map(|l| ClearingRow {
                party: l.party,
                name: l.name,
                taps: l.taps,
                tapped: yuan(l.tapped),
                ledger: yuan(l.ledger_takings),
                refunds: yuan(l.refunds),
                net: yuan(l.net),
                ties_out: l.ties_out,
                settled: l
                    .settled
                    .map(|x| local_display(from_micros(x.settled_at)))
                    .unwrap_or_default(),
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
                code: p.code,
                name: p.name,
                kind: p.kind,
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

/// `/staff/card/operations?day=`: a day's clearing (yesterday by default),
/// operators, merchants and terminals.
pub async fn operations(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Query(q): Query<DayQuery>,
) -> Response {
    let (day, problem) = match q.day.trim() {
        "" => (yesterday(&s), None),
        d => match d.parse::<jiff::civil::Date>() {
            Ok(d) => (d, None),
            Err(_) => (
                yesterday(&s),
                Some(
                    lang.pick("日期格式为 YYYY-MM-DD", "A day is YYYY-MM-DD")
                        .to_string(),
                ),
            ),
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
    let Ok(day) = f.day.trim().parse::<jiff::civil::Date>() else {
        let p = c
            .pick("日期格式为 YYYY-MM-DD", "A day is YYYY-MM-DD")
            .to_string();
        let forms = (yesterday(&s), PartyForm::default(), TerminalForm::default());
        return operations_page(&s, lang, &session, forms, Some(p)).await;
    };
    let settled = s.app.settle(&session.actor, day).await.map(|_| ());
    let forms = (day, PartyForm::default(), TerminalForm::default());
    let done = format!("/staff/card/operations?day={day}");
    at_operations(&s, lang, &session, c, &done, forms, settled).await
}

/// After an operations command: on to `done`, or the operations page again
/// with the refusal shown and `forms` kept (an error page for anything else).
async fn at_operations(
    s: &AppState,
    lang: Lang,
    session: &Session,
    c: Chrome,
    done: &str,
    forms: (jiff::civil::Date, PartyForm, TerminalForm),
    result: Result<(), AppError>,
) -> Response {
    match result {
        Ok(()) => Redirect::to(done).into_response(),
        Err(e) => match problem_of(&c, &e) {
            Some(p) => operations_page(s, lang, session, forms, Some(p)).await,
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
    let added = s
        .app
        .add_card_party(&session.actor, input)
        .await
        .map(|_| ());
    let forms = (yesterday(&s), f, TerminalForm::default());
    at_operations(
        &s,
        lang,
        &session,
        c,
        "/staff/card/operations",
        forms,
        added,
    )
    .await
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
        "key" => app.change_terminal_key(actor, &code, &f.public_key).await,
        "retire" => app.retire_terminal(actor, &code, &f.reason).await,
        _ => return error_page(c, Refusal::not_found("该页面", "The page").into()),
    };
    let forms = (yesterday(&s), PartyForm::default(), TerminalForm::default());
    let done = "/staff/card/operations#terminals";
    at_operations(&s, lang, &session, c, done, forms, changed.map(|_| ())).await
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
    let added = s.app.add_terminal(&session.actor, input).await.map(|_| ());
    let forms = (yesterday(&s), PartyForm::default(), f);
    at_operations(
        &s,
        lang,
        &session,
        c,
        "/staff/card/operations",
        forms,
        added,
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
pub struct EntitlementForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub holder: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub valid_until: String,
    #[serde(default)]
    pub reason: String,
    /// `grant` or `revoke`.
    #[serde(default)]
    pub action: String,
}

/// `POST /staff/card/{number}/entitlements`: grant or revoke an entitlement.
pub async fn entitlement(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Path(number): Path<String>,
    Form(f): Form<EntitlementForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/card");
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    let result = match Kind::parse(&f.kind) {
        None => Err(Refusal::field("kind", "未知的权益", "No such entitlement").into()),
        Some(kind) if f.action == "revoke" => s
            .app
            .revoke_entitlement(&session.actor, &number, kind, &f.reason)
            .await
            .map(|_| ()),
        Some(kind) => {
            let grant = sunshine_app::card::Grant {
                kind,
                valid_until: Some(f.valid_until.clone()),
            };
            s.app
                .grant_entitlement(&session.actor, &number, grant)
                .await
                .map(|_| ())
        }
    };
    at_counter(&s, lang, &session, c, &f.holder, result).await
}

#[derive(Debug, Default, Deserialize)]
pub struct BikeForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub hold: String,
    /// At the counter: the holder whose cards to show again.
    #[serde(default)]
    pub holder: String,
}

/// `POST /card/{number}/bike`: the holder holds or releases the bicycle deposit.
pub async fn my_bike(
    State(s): State<AppState>,
    lang: Lang,
    SignedIn(session): SignedIn,
    Path(number): Path<String>,
    Form(f): Form<BikeForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/card");
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    match s
        .app
        .bike_deposit(&session.actor, &number, f.hold == "true")
        .await
    {
        Ok(_) => Redirect::to("/card").into_response(),
        Err(e) => match problem_of(&c, &e) {
            Some(p) => my_page(&s, lang, &session, TopUpForm::default(), Some(p)).await,
            None => error_page(c, e),
        },
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct PassForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub product: String,
    #[serde(default)]
    pub first_day: String,
    /// At the counter: the holder whose cards to show again.
    #[serde(default)]
    pub holder: String,
}

/// `POST /card/{number}/pass`: the holder buys a pass from the wallet.
pub async fn my_pass(
    State(s): State<AppState>,
    lang: Lang,
    SignedIn(session): SignedIn,
    Path(number): Path<String>,
    Form(f): Form<PassForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/card");
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    match s.app.buy_pass(&session.actor, &number, f.buy()).await {
        Ok(_) => Redirect::to("/card").into_response(),
        Err(e) => match problem_of(&c, &e) {
            Some(p) => my_page(&s, lang, &session, TopUpForm::default(), Some(p)).await,
            None => error_page(c, e),
        },
    }
}

impl PassForm {
    fn buy(self) -> sunshine_app::card::BuyPass {
        sunshine_app::card::BuyPass {
            product: self.product,
            first_day: self.first_day,
        }
    }
}

/// `POST /staff/card/{number}/bike`: the counter holds or releases a card's
/// bicycle deposit for its holder.
pub async fn counter_bike(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Path(number): Path<String>,
    Form(f): Form<BikeForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/card");
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    let result = s
        .app
        .bike_deposit(&session.actor, &number, f.hold == "true")
        .await
        .map(|_| ());
    at_counter(&s, lang, &session, c, &f.holder, result).await
}

/// `POST /staff/card/{number}/pass`: the counter sells a pass from the card's wallet.
pub async fn counter_pass(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Path(number): Path<String>,
    Form(f): Form<PassForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/card");
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    let holder = f.holder.clone();
    let result = s
        .app
        .buy_pass(&session.actor, &number, f.buy())
        .await
        .map(|_| ());
    at_counter(&s, lang, &session, c, &holder, result).await
}
