//! The service-hall clerk's counter (`/staff/card`): find a resident's
//! cards, issue, every step of a card's life, top-up, PIN, bicycle,
//! passes and entitlements.

use super::*;

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
#[template(path = "card/counter.html")]
pub(super) struct CounterPage {
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
    /// What a clerk may grant or revoke.
    entitlement_kinds: [Kind; 7],
}

pub(super) async fn counter_page(
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
        entitlement_kinds: Kind::ALL,
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
pub(super) async fn at_counter(
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
pub(super) fn holder_page(holder: &str) -> String {
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
            let (zh, en) = (kind.name_zh(), kind.name_en());
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
