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

mod counter;
mod holder;
mod operations;

pub use counter::{
    command, counter, counter_bike, counter_pass, counter_pass_confirm, counter_pin,
    counter_top_up, entitlement, issue,
};
use counter::{counter_page, holder_page, IssueForm};
use holder::my_page;
pub use holder::{my_bike, my_cards, my_pass, my_pass_confirm, my_report_loss, my_top_up};
pub use operations::{
    add_party, add_terminal, change_terminal, medical_roll, operations, payouts, settle,
};

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
    /// The holder's personal medical account, and whether it is shown (the
    /// holder is insured, or it holds money).
    pub medical_account: i64,
    pub shows_medical_account: bool,
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
    /// The self-paid part: from the personal medical account, from the
    /// card's account, in cash.
    pub from_medical_account: i64,
    pub from_account: i64,
    pub in_cash: i64,
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
        medical_account: v.balances.medical,
        shows_medical_account: v.balances.medical != 0
            || v.entitlements
                .iter()
                .any(|e| e.entitlement.kind == Kind::Medical),
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
                from_medical_account: m.record.from_medical_account,
                from_account: m.record.from_account,
                in_cash: m.record.in_cash,
            })
            .collect(),
        entitlements: v
            .entitlements
            .into_iter()
            .map(|e| EntitlementRow {
                kind: e.entitlement.kind.as_str().to_string(),
                name: c
                    .pick(e.entitlement.kind.name_zh(), e.entitlement.kind.name_en())
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
#[template(path = "card/pass_confirm.html")]
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
