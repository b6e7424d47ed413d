//! The cardholder's pages (`/card`): balances, recent taps, top-up,
//! report loss, the bicycle deposit and passes.

use super::*;

#[derive(Template)]
#[template(path = "card/my.html")]
pub(super) struct MyCardsPage {
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

pub(super) async fn my_page(
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
pub(super) async fn at_my_card(
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
