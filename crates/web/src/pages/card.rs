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
use sunshine_domain::card::book::{NewParty, NewTerminal, Purse, TapOutcome, TerminalKind};
use sunshine_domain::card::entitlement::{Kind, Verdict};
use sunshine_domain::card::lifecycle::{in_service, steps_allowed_in, CardCommand, CardState};
use sunshine_domain::clock::{from_micros, local_date};
use sunshine_domain::money::Fen;
use sunshine_domain::refusal::Refusal;

use super::{bad_token, error_page, flash, fmt, render, Chrome};
use crate::auth::{csrf_ok, SignedIn, StaffSession};
use crate::i18n::Lang;
use crate::AppState;

/// A card as a page shows it: money in fen (the template writes it with
/// `c.money`), moments and every code in people's words.
pub struct CardRow {
    pub number: String,
    pub holder_name: String,
    pub state: String,
    pub state_name: String,
    pub wallet: i64,
    pub account: i64,
    pub owed: i64,
    /// Why terminals refuse it, in people's words.
    pub denied: Option<String>,
    pub replaces: String,
    pub replaced_by: String,
    /// Recent transactions, newest first: taps and passes bought.
    pub taps: Vec<TapRow>,
    pub entitlements: Vec<EntitlementRow>,
    pub bike_deposit: bool,
    /// Where and since when a bicycle is out, as shown.
    pub bike_out: Option<String>,
    /// Passes: product, first moment, last moment.
    pub passes: Vec<(String, Named, String, String)>,
    pub medical: Vec<MedicalRow>,
    /// The steps of its life the counter may take now, likeliest first: (value, label).
    pub steps: Vec<(&'static str, String)>,
    /// Money and services (top-up, passes, deposit, PIN) are offered.
    pub in_service: bool,
}

/// A name the platform may know in both languages, or data (a fare product
/// the books name only in Chinese) to be marked as such.
pub struct Named {
    pub text: String,
    pub data: bool,
}

/// A medical settlement, in fen.
pub struct MedicalRow {
    pub at: String,
    pub place: String,
    pub card: String,
    pub total: i64,
    pub insured: i64,
    pub self_pay: i64,
}

pub struct EntitlementRow {
    pub kind: String,
    pub name: String,
    pub until: String,
    pub verdict: String,
    pub verdict_name: String,
    pub allowed: bool,
}

/// A line of the recent transactions: a tap, or a pass bought.
pub struct TapRow {
    pub at_us: i64,
    pub at: String,
    pub place: String,
    pub terminal: String,
    pub product: Named,
    pub full: i64,
    pub charged: i64,
    pub discount: i64,
    pub outcome: String,
    pub outcome_name: String,
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

/// A step of a card's life, as the counter offers it.
fn step_name(c: &Chrome, step: &str) -> String {
    match step {
        "activate" => c.pick("启用", "Activate"),
        "report_loss" => c.pick(
            "挂失（所有终端立即停用）",
            "Report lost (refused at every terminal at once)",
        ),
        "cancel_loss" => c.pick(
            "解除挂失（卡已找回）",
            "Cancel the loss report (the card is found)",
        ),
        "freeze" => c.pick("冻结（须填原因）", "Freeze (give the reason)"),
        "unfreeze" => c.pick("解冻", "Unfreeze"),
        "replace" => c.pick(
            "补卡（余额和欠款转入新卡，旧卡作废）",
            "Replace (balances and debt move to a new card; this one dies)",
        ),
        "cancel" => c.pick("注销（退还余额）", "Cancel (the balance is paid back)"),
        _ => "",
    }
    .to_string()
}

/// Why terminals refuse a card: its state, or its debt.
fn denied_name(c: &Chrome, reason: &str) -> String {
    match CardState::ALL.into_iter().find(|s| s.as_str() == reason) {
        Some(s) => state_name(c, s),
        None if reason == "owed" => c.pick("有欠款未还", "it owes money").to_string(),
        None => c.pick("已停用", "blocked").to_string(),
    }
}

/// A fare product, or what a merchant's terminal sold, for people.
fn product_name(lang: Lang, id: &str, books_name: &str) -> Named {
    let known = match id {
        "bus_ordinary" => Some(lang.pick("普通公交单程", "Bus, single ride")),
        "bus_aircon" => Some(lang.pick("空调公交单程", "Air-conditioned bus, single ride")),
        "water_bus" => Some(lang.pick("水上巴士单程", "Water bus, single ride")),
        "bus_month" => Some(lang.pick("普通公交月票", "Monthly bus pass")),
        "purchase" => Some(lang.pick("消费", "Purchase")),
        _ => None,
    };
    match known {
        Some(t) => Named {
            text: t.to_string(),
            data: false,
        },
        None => Named {
            text: books_name.to_string(),
            data: true,
        },
    }
}

/// What became of a tap.
fn outcome_name(c: &Chrome, o: TapOutcome) -> &'static str {
    match o {
        TapOutcome::Charged => c.pick("已扣款", "paid"),
        TapOutcome::Overdrawn => c.pick("已扣款（透支，待还）", "paid by overdraft (owed)"),
        TapOutcome::Free => c.pick("免费", "free"),
        TapOutcome::Repeat => c.pick("重复上传，未重复扣款", "sent twice, charged once"),
        TapOutcome::Blocked => c.pick("卡已停用，拒绝", "refused: the card is blocked"),
        TapOutcome::UnknownCard => c.pick("无此卡", "unknown card"),
        TapOutcome::DoubleTap => c.pick("重复刷卡，未扣款", "tapped twice, charged once"),
        TapOutcome::Unpaid => c.pick("余额不足，未付", "unpaid: not enough money"),
        TapOutcome::Rejected => c.pick("无法计价，未扣款", "not priced, not charged"),
        TapOutcome::Refunded => c.pick("已退款", "refunded"),
    }
}

fn verdict_name(c: &Chrome, v: Verdict) -> &'static str {
    match v {
        Verdict::Allowed => c.pick("可用", "usable"),
        Verdict::CardDenied => c.pick("卡片停用，暂不可用", "not usable: the card is blocked"),
        Verdict::UnknownCard => c.pick("无此卡", "unknown card"),
        Verdict::NotGranted => c.pick("未开通", "not granted"),
        Verdict::Expired => c.pick("已过期", "expired"),
        Verdict::Revoked => c.pick("已撤销", "revoked"),
    }
}

/// The passes on sale: id, name, price in fen, days.
pub type PassOffer = (String, String, i64, u32);

fn card_row(c: &Chrome, v: CardView, offers: &[PassOffer]) -> CardRow {
    let state = v.card.state;
    let mut taps: Vec<TapRow> = v
        .taps
        .into_iter()
        .map(|t| TapRow {
            at_us: t.tap.at,
            at: c.when(&t.tap.at),
            place: t.place,
            terminal: t.tap.terminal,
            product: product_name(c.lang, &t.tap.product, &t.product_name),
            full: t.tap.full,
            charged: t.tap.charged,
            discount: t.tap.full - t.tap.charged,
            outcome: t.tap.outcome.as_str().to_string(),
            outcome_name: outcome_name(c, t.tap.outcome).to_string(),
        })
        .collect();
    // A pass bought is a transaction of the wallet too.
    for p in &v.passes {
        let (name, price) = offers
            .iter()
            .find(|o| o.0 == p.product)
            .map_or((p.product.as_str(), 0), |o| (o.1.as_str(), o.2));
        taps.push(TapRow {
            at_us: p.bought_at,
            at: c.when(&p.bought_at),
            place: String::new(),
            terminal: String::new(),
            product: Named {
                text: format!(
                    "{}{}",
                    c.pick("购买月票：", "Pass bought: "),
                    product_name(c.lang, &p.product, name).text
                ),
                data: product_name(c.lang, &p.product, name).data,
            },
            full: price,
            charged: price,
            discount: 0,
            outcome: "pass".into(),
            outcome_name: c.pick("已从电子钱包扣款", "paid from the wallet").into(),
        });
    }
    taps.sort_by_key(|t| std::cmp::Reverse(t.at_us));
    CardRow {
        number: v.card.number,
        holder_name: v.card.holder_name,
        state: state.as_str().to_string(),
        state_name: state_name(c, state),
        wallet: v.balances.wallet,
        account: v.balances.account,
        owed: v.balances.owed,
        denied: v.denied.map(|d| denied_name(c, &d)),
        replaces: v.card.replaces.unwrap_or_default(),
        replaced_by: v.card.replaced_by.unwrap_or_default(),
        bike_deposit: v.bike_deposit,
        passes: v
            .passes
            .iter()
            .map(|p| {
                let name = offers
                    .iter()
                    .find(|o| o.0 == p.product)
                    .map_or(p.product.as_str(), |o| o.1.as_str());
                (
                    p.product.clone(),
                    product_name(c.lang, &p.product, name),
                    c.when(&p.valid_from),
                    // The last moment it holds: it ends as that minute does.
                    c.when(&(p.valid_until - 1)),
                )
            })
            .collect(),
        bike_out: v
            .bike_out
            .map(|(dock, at)| format!("{} {} {}", c.pick("自", "from"), dock, c.when(&at))),
        medical: v
            .medical
            .into_iter()
            .map(|m| MedicalRow {
                at: c.when(&m.record.at),
                place: m.place,
                card: m.record.card,
                total: m.record.total,
                insured: m.record.insured,
                self_pay: m.record.self_pay,
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
                    .map(|u| super::fmt::day(c.lang, local_date(from_micros(u - 1))))
                    .unwrap_or_else(|| c.pick("长期", "open-ended").to_string()),
                verdict: format!("{:?}", e.verdict).to_lowercase(),
                verdict_name: verdict_name(c, e.verdict).to_string(),
                allowed: e.verdict == Verdict::Allowed,
            })
            .collect(),
        taps,
        steps: steps_allowed_in(state)
            .into_iter()
            .map(|s| (s, step_name(c, s)))
            .collect(),
        in_service: in_service(state),
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
    let amount = Fen::parse(&f.amount).map(Fen::fen).ok_or_else(|| {
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

/// A refused form: which card's, which form, and why, shown beside it.
#[derive(Default)]
pub struct Problem {
    /// The card the form was about; empty for a form of the whole page.
    pub card: String,
    /// `top-up`, `loss`, `bike`, `pass`, `command`, `pin`, `entitlement`, `issue`.
    pub form: &'static str,
    pub message: String,
}

/// The page's refused form, if any.
#[derive(Default)]
pub struct Problems(pub Option<Problem>);

impl Problems {
    fn new(card: &str, form: &'static str, message: String) -> Problems {
        Problems(Some(Problem {
            card: card.to_string(),
            form,
            message,
        }))
    }
    /// The reason beside `form` of `card`.
    pub fn at(&self, card: &str, form: &str) -> Option<&str> {
        self.0
            .as_ref()
            .filter(|p| p.card == card && p.form == form)
            .map(|p| p.message.as_str())
    }
    /// A reason for no form shown (the card gone, a general refusal).
    pub fn general(&self) -> Option<&str> {
        self.0
            .as_ref()
            .filter(|p| p.form.is_empty())
            .map(|p| p.message.as_str())
    }
    pub fn is_some(&self) -> bool {
        self.0.is_some()
    }
}

#[derive(Template)]
#[template(path = "card_my.html")]
struct MyCardsPage {
    c: Chrome,
    cards: Vec<CardRow>,
    /// Passes on sale: id, name, price in fen, days.
    pass_products: Vec<(String, Named, i64, i64)>,
    today: String,
    problem: Problems,
    form: TopUpForm,
    form_id: u64,
    /// Where the card's forms post: the holder's own pages.
    base: &'static str,
    /// No holder to look up again: the cards are the signed-in resident's.
    holder: String,
    /// The pass form's input, kept after a refusal.
    pass: PassForm,
}

/// The passes on sale, as the books price them: id, name, price in fen, days.
async fn pass_offers(s: &AppState) -> Result<Vec<PassOffer>, AppError> {
    s.app.pass_products().await
}

/// The passes on sale as the pages show them.
fn offers_shown(c: &Chrome, offers: &[PassOffer]) -> Vec<(String, Named, i64, i64)> {
    offers
        .iter()
        .map(|(id, name, price, days)| {
            (
                id.clone(),
                product_name(c.lang, id, name),
                *price,
                i64::from(*days),
            )
        })
        .collect()
}

async fn my_page(
    s: &AppState,
    lang: Lang,
    session: &Session,
    (form, pass): (TopUpForm, PassForm),
    problem: Problems,
) -> Response {
    let c = Chrome::new(lang, Some(session), "/card");
    if c.unbound {
        // Nothing registered to the number shows before the account is bound.
        return Redirect::to("/account/bind").into_response();
    }
    let offers = match pass_offers(s).await {
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
                cards: cards
                    .into_iter()
                    .map(|v| card_row(&c, v, &offers))
                    .collect(),
                pass_products: offers_shown(&c, &offers),
                today: s.app.clock.today().to_string(),
                problem,
                form_id: form.id.parse().unwrap_or_else(|_| fresh_id()),
                form,
                pass,
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
    my_page(&s, lang, &session, Default::default(), Problems::default()).await
}

/// After a holder's action: back to `/card` saying what was done, or the
/// page again with the reason beside the refused form.
async fn at_my_card(
    s: &AppState,
    lang: Lang,
    session: &Session,
    (number, form): (&str, &'static str),
    forms: (TopUpForm, PassForm),
    result: Result<(String, String), AppError>,
) -> Response {
    let c = Chrome::new(lang, Some(session), "/card");
    match result {
        Ok((zh, en)) => flash::redirect("/card", zh, en),
        Err(e) => match problem_of(&c, &e) {
            Some(p) => my_page(s, lang, session, forms, Problems::new(number, form, p)).await,
            None => error_page(c, e),
        },
    }
}

/// `POST /card/{number}/top-up`: the holder moves money from the card's
/// account into its wallet.
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
        Ok(t) => s.app.top_up(&session.actor, &number, t).await.map(|t| {
            (
                format!(
                    "已从实名账户转入电子钱包 {}",
                    fmt::money(Lang::Zh, t.amount)
                ),
                format!(
                    "{} moved from the account into the wallet",
                    fmt::money(Lang::En, t.amount)
                ),
            )
        }),
        Err(r) => Err(r.into()),
    };
    let forms = (f, PassForm::default());
    at_my_card(&s, lang, &session, (&number, "top-up"), forms, result).await
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
    CardCommand::named(&f.command, f.reason.clone())
        .ok_or_else(|| Refusal::field("command", "未知的操作", "No such step of a card's life"))
}

/// What a step of a card's life did, for the flash: (zh, en).
fn step_done(step: &str, number: &str, new_card: Option<&str>) -> (String, String) {
    let (zh, en) = match step {
        "activate" => ("已启用", "is active"),
        "report_loss" => (
            "已挂失，所有终端将拒绝此卡",
            "is reported lost; every terminal refuses it",
        ),
        "cancel_loss" => (
            "已解除挂失，恢复使用",
            "is found: the loss report is cancelled",
        ),
        "freeze" => ("已冻结", "is frozen"),
        "unfreeze" => ("已解冻", "is unfrozen"),
        "replace" => (
            "已补卡，余额转入新卡",
            "is replaced; its balances moved to the new card",
        ),
        "cancel" => (
            "已注销，余额已退还",
            "is cancelled; its balance is paid back",
        ),
        _ => ("已办理", "is done"),
    };
    match new_card {
        Some(n) => (
            format!("卡 {number} {zh}：新卡 {n}"),
            format!("Card {number} {en}: the new card is {n}"),
        ),
        None => (format!("卡 {number} {zh}"), format!("Card {number} {en}")),
    }
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
    let (command, step) = if f.command == "cancel_loss" {
        (CardCommand::CancelLoss, "cancel_loss")
    } else {
        (CardCommand::ReportLoss, "report_loss")
    };
    let result = s
        .app
        .card_command(&session.actor, &number, command)
        .await
        .map(|_| step_done(step, &number, None));
    at_my_card(
        &s,
        lang,
        &session,
        (&number, "loss"),
        Default::default(),
        result,
    )
    .await
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
    problem: Problems,
    issue: IssueForm,
    form_id: u64,
    /// Passes on sale: id, name, price in fen, days.
    pass_products: Vec<(String, Named, i64, i64)>,
    today: String,
    /// Where the card's forms post: the counter's pages.
    base: &'static str,
    /// The pass form's input, kept after a refusal.
    pass: PassForm,
}

async fn counter_page(
    s: &AppState,
    lang: Lang,
    session: &Session,
    (holder, issue, pass): (&str, IssueForm, PassForm),
    problem: Problems,
) -> Response {
    let c = Chrome::new(lang, Some(session), "/staff/card");
    let offers = match pass_offers(s).await {
        Ok(p) => p,
        Err(e) => return error_page(c, e),
    };
    let mut cards = vec![];
    if !holder.trim().is_empty() {
        match s.app.cards_of(&session.actor, holder).await {
            Ok(list) => {
                for card in list {
                    match s.app.card_view(&session.actor, &card.number).await {
                        Ok(v) => cards.push(card_row(&c, v, &offers)),
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
    let page = CounterPage {
        holder: holder.trim().to_string(),
        cards,
        problem,
        issue,
        pass,
        form_id: fresh_id(),
        pass_products: offers_shown(&c, &offers),
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
    let forms = (q.holder.as_str(), IssueForm::default(), PassForm::default());
    counter_page(&s, lang, &session, forms, Problems::default()).await
}

/// After a counter command: back to the holder's cards saying what was
/// done, or the counter page again with the reason beside the refused form
/// (an error page for anything else).
async fn at_counter(
    s: &AppState,
    lang: Lang,
    session: &Session,
    (holder, number, form): (&str, &str, &'static str),
    pass: PassForm,
    result: Result<(String, String), AppError>,
) -> Response {
    let c = Chrome::new(lang, Some(session), "/staff/card");
    match result {
        Ok((zh, en)) => flash::redirect(&holder_page(holder), zh, en),
        Err(e) => match problem_of(&c, &e) {
            Some(p) => {
                let forms = (holder, IssueForm::default(), pass);
                counter_page(s, lang, session, forms, Problems::new(number, form, p)).await
            }
            None => error_page(c, e),
        },
    }
}

/// The counter's page of a holder's cards.
fn holder_page(holder: &str) -> String {
    let q: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("holder", holder.trim())
        .finish();
    format!("/staff/card?{q}")
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
        Ok(card) => flash::redirect(
            &holder_page(&f.holder),
            format!(
                "已为{}办卡，卡号 {}，请启用后交给持卡人",
                card.holder_name, card.number
            ),
            format!(
                "Card {} is issued; activate it and hand it over",
                card.number
            ),
        ),
        Err(e) => match problem_of(&c, &e) {
            Some(p) => {
                let holder = f.holder.clone();
                let forms = (holder.as_str(), f, PassForm::default());
                counter_page(&s, lang, &session, forms, Problems::new("", "issue", p)).await
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
            .map(|(_, new)| {
                step_done(&f.command, &number, new.as_ref().map(|n| n.number.as_str()))
            }),
        Err(r) => Err(r.into()),
    };
    let at = (f.holder.as_str(), number.as_str(), "command");
    at_counter(&s, lang, &session, at, PassForm::default(), result).await
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
        Ok(t) => {
            let into = match t.purse {
                Purse::Wallet => ("电子钱包", "wallet"),
                Purse::Account => ("实名账户", "account"),
            };
            s.app.top_up(&session.actor, &number, t).await.map(|t| {
                (
                    format!(
                        "已收现金 {}，存入卡 {number} 的{}",
                        fmt::money(Lang::Zh, t.amount),
                        into.0
                    ),
                    format!(
                        "{} in cash paid into card {number}'s {}",
                        fmt::money(Lang::En, t.amount),
                        into.1
                    ),
                )
            })
        }
        Err(r) => Err(r.into()),
    };
    let at = (f.holder.as_str(), number.as_str(), "top-up");
    at_counter(&s, lang, &session, at, PassForm::default(), result).await
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
    let result = s
        .app
        .set_card_pin(&session.actor, &number, &f.pin)
        .await
        .map(|()| {
            (
                format!("卡 {number} 的密码已设置"),
                format!("Card {number}'s PIN is set"),
            )
        });
    let at = (f.holder.as_str(), number.as_str(), "pin");
    at_counter(&s, lang, &session, at, PassForm::default(), result).await
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

/// An operator's or merchant's kind, for people.
fn party_kind(lang: Lang, kind: &str) -> String {
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
    pub ledger: i64,
    pub refunds: i64,
    pub net: i64,
    pub ties_out: bool,
    pub settled: String,
}

#[derive(Template)]
#[template(path = "staff/card_operations.html")]
struct OperationsPage {
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
fn yesterday(s: &AppState) -> jiff::civil::Date {
    let today = s.app.clock.today();
    today.yesterday().unwrap_or(today)
}

async fn operations_page(
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
fn day_of(lang: Lang, text: &str) -> Result<jiff::civil::Date, String> {
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
async fn at_operations(
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
        Some(kind) => {
            let (zh, en) = match kind {
                Kind::Medical => ("医保结算", "Medical insurance"),
                Kind::Park => ("公园年卡", "The park annual card"),
                Kind::Library => ("图书馆借书证", "The library card"),
            };
            if f.action == "revoke" {
                s.app
                    .revoke_entitlement(&session.actor, &number, kind, &f.reason)
                    .await
                    .map(|_| (format!("{zh}已撤销"), format!("{en} is revoked")))
            } else {
                let grant = sunshine_app::card::Grant {
                    kind,
                    valid_until: Some(f.valid_until.clone()),
                };
                s.app
                    .grant_entitlement(&session.actor, &number, grant)
                    .await
                    .map(|_| (format!("{zh}已开通"), format!("{en} is granted")))
            }
        }
    };
    let at = (f.holder.as_str(), number.as_str(), "entitlement");
    at_counter(&s, lang, &session, at, PassForm::default(), result).await
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

/// What holding or releasing the deposit did, for the flash.
fn bike_done(hold: bool) -> (String, String) {
    if hold {
        (
            "已开通公共自行车，押金冻结在电子钱包中".into(),
            "Public bicycles are on; the deposit is held in the wallet".into(),
        )
    } else {
        (
            "押金已退还到电子钱包".into(),
            "The deposit is released back into the wallet".into(),
        )
    }
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
    let hold = f.hold == "true";
    let result = s
        .app
        .bike_deposit(&session.actor, &number, hold)
        .await
        .map(|_| bike_done(hold));
    at_my_card(
        &s,
        lang,
        &session,
        (&number, "bike"),
        Default::default(),
        result,
    )
    .await
}

#[derive(Debug, Default, Clone, Deserialize)]
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

impl PassForm {
    fn buy(self) -> sunshine_app::card::BuyPass {
        sunshine_app::card::BuyPass {
            product: self.product,
            first_day: self.first_day,
        }
    }
}

/// What buying a pass did, for the flash.
fn pass_done(p: &sunshine_domain::card::book::Pass, offers: &[PassOffer]) -> (String, String) {
    let (name, price) = offers
        .iter()
        .find(|o| o.0 == p.product)
        .map_or((p.product.as_str(), 0), |o| (o.1.as_str(), o.2));
    (
        format!(
            "已从电子钱包扣款 {}，购买{}，{}至{}有效",
            fmt::money(Lang::Zh, price),
            product_name(Lang::Zh, &p.product, name).text,
            fmt::when(Lang::Zh, p.valid_from),
            fmt::when(Lang::Zh, p.valid_until - 1)
        ),
        format!(
            "{} bought for {} from the wallet, valid {} to {}",
            product_name(Lang::En, &p.product, name).text,
            fmt::money(Lang::En, price),
            fmt::when(Lang::En, p.valid_from),
            fmt::when(Lang::En, p.valid_until - 1)
        ),
    )
}

/// A pass about to be bought, for the confirmation page.
#[derive(Template)]
#[template(path = "card_pass_confirm.html")]
struct PassConfirmPage {
    c: Chrome,
    number: String,
    /// Where the confirmed form posts, and where "back" goes.
    action: String,
    back: String,
    form: PassForm,
    product: Named,
    price: i64,
    days: i64,
    from: String,
    until: String,
}

/// `GET /card/{number}/pass?product=&first_day=` and the counter's: what
/// the pass costs and when it holds, with the button that buys it; a
/// refusal goes back beside the pass form.
async fn confirm_pass(
    s: &AppState,
    lang: Lang,
    session: &Session,
    number: &str,
    f: PassForm,
    counter: bool,
) -> Response {
    let c = Chrome::new(
        lang,
        Some(session),
        if counter { "/staff/card" } else { "/card" },
    );
    let offers = match pass_offers(s).await {
        Ok(o) => o,
        Err(e) => return error_page(c, e),
    };
    let found = offers.iter().find(|o| o.0 == f.product);
    let first = f.first_day.trim().parse::<jiff::civil::Date>();
    let (offer, first) = match (found, first) {
        (Some(o), Ok(d)) => (o, d),
        (found, _) => {
            let why = if found.is_none() {
                lang.pick("没有这种月票", "No such pass")
            } else {
                lang.pick(
                    "首日格式为 YYYY-MM-DD（年-月-日）",
                    "The first day is YYYY-MM-DD (year-month-day)",
                )
            };
            let problem = Problems::new(number, "pass", why.to_string());
            return if counter {
                let holder = f.holder.clone();
                counter_page(
                    s,
                    lang,
                    session,
                    (&holder, IssueForm::default(), f),
                    problem,
                )
                .await
            } else {
                my_page(s, lang, session, (TopUpForm::default(), f), problem).await
            };
        }
    };
    let days = i64::from(offer.3);
    let last = first
        .checked_add(jiff::Span::new().days(days - 1))
        .unwrap_or(first);
    let page = PassConfirmPage {
        number: number.to_string(),
        action: if counter {
            format!("/staff/card/{number}/pass")
        } else {
            format!("/card/{number}/pass")
        },
        back: if counter {
            holder_page(&f.holder)
        } else {
            "/card".to_string()
        },
        product: product_name(c.lang, &offer.0, &offer.1),
        price: offer.2,
        days,
        from: fmt::day(lang, first),
        until: fmt::day(lang, last),
        form: f,
        c,
    };
    render(&page)
}

/// `GET /card/{number}/pass`: the holder confirms a pass before buying it.
pub async fn my_pass_confirm(
    State(s): State<AppState>,
    lang: Lang,
    SignedIn(session): SignedIn,
    Path(number): Path<String>,
    Query(f): Query<PassForm>,
) -> Response {
    confirm_pass(&s, lang, &session, &number, f, false).await
}

/// `GET /staff/card/{number}/pass`: the counter confirms a pass with the holder.
pub async fn counter_pass_confirm(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Path(number): Path<String>,
    Query(f): Query<PassForm>,
) -> Response {
    confirm_pass(&s, lang, &session, &number, f, true).await
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
    let offers = pass_offers(&s).await.unwrap_or_default();
    let result = s
        .app
        .buy_pass(&session.actor, &number, f.clone().buy())
        .await
        .map(|p| pass_done(&p, &offers));
    let forms = (TopUpForm::default(), f);
    at_my_card(&s, lang, &session, (&number, "pass"), forms, result).await
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
    let hold = f.hold == "true";
    let result = s
        .app
        .bike_deposit(&session.actor, &number, hold)
        .await
        .map(|_| bike_done(hold));
    let at = (f.holder.as_str(), number.as_str(), "bike");
    at_counter(&s, lang, &session, at, PassForm::default(), result).await
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
    let offers = pass_offers(&s).await.unwrap_or_default();
    let holder = f.holder.clone();
    let result = s
        .app
        .buy_pass(&session.actor, &number, f.clone().buy())
        .await
        .map(|p| pass_done(&p, &offers));
    let at = (holder.as_str(), number.as_str(), "pass");
    at_counter(&s, lang, &session, at, f, result).await
}
