//! Home care of the elderly (居家养老) through the API: the city's rules,
//! the alliance's providers, residents registered for care, their
//! allowances, and service orders from placing to rating.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use sunshine_app::care::{
    ActivityForm, ActivityView, AidForm, AidPayment, AidReview, AidView, AllowancePayment,
    AllowanceRoll, HoursDecision, HoursForm, HoursView, MyCare, MyVolunteering, OrderCommandForm,
    OrderForm, OrderView, ProviderForm, ProviderView, RecipientForm, RecipientView,
};
use sunshine_domain::care::CareRules;
use utoipa::IntoParams;

use crate::auth::ApiActor;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use crate::i18n::Lang;
use crate::AppState;

/// The city's rules for home care: age allowance bands, subsidised
/// minutes a month by assessed level, the services and their standard
/// prices, and how long a provider has to accept an order. Public.
#[utoipa::path(get, path = "/api/v1/care/rules", tag = "care",
    responses((status = 200, body = CareRules)))]
pub async fn rules(State(s): State<AppState>) -> Json<CareRules> {
    Json(s.app.care_rules().clone())
}

/// The housekeeping alliance's providers (家政联盟): what each gives and
/// in which districts. Public.
#[utoipa::path(get, path = "/api/v1/care/providers", tag = "care",
    responses((status = 200, body = Vec<ProviderView>)))]
pub async fn providers(
    State(s): State<AppState>,
    lang: Lang,
) -> Result<Json<Vec<ProviderView>>, ApiError> {
    let list = s
        .app
        .care_providers()
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(list))
}

/// Register a provider of the alliance, or change what it gives, where,
/// or whether it takes orders, as an operator of the 96345 centre. The
/// provider's people sign in with the enterprise account bound to its
/// credit code.
#[utoipa::path(post, path = "/api/v1/care/providers", tag = "care", security(("bearer" = [])),
    request_body = ProviderForm,
    responses((status = 200, body = ProviderView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn register_provider(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiJson(form): ApiJson<ProviderForm>,
) -> Result<Json<ProviderView>, ApiError> {
    let view = s
        .app
        .register_care_provider(&actor, form)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(view))
}

/// Register a resident of the caller's community for home care with a
/// needs assessment (the ten items of MZ/T 039-2013, each by its code),
/// or record a new assessment. The level sets the subsidised minutes a
/// month. Residents under the rules' age are refused; another
/// community's resident is not found.
#[utoipa::path(post, path = "/api/v1/care/recipients", tag = "care", security(("bearer" = [])),
    request_body = RecipientForm,
    responses((status = 200, body = RecipientView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn register_recipient(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiJson(form): ApiJson<RecipientForm>,
) -> Result<Json<RecipientView>, ApiError> {
    let view = s
        .app
        .register_care_recipient(&actor, form)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(view))
}

/// A community's residents registered for care, with this month's use of
/// their subsidised time (a journaled read), for its worker.
#[utoipa::path(get, path = "/api/v1/care/communities/{community}/recipients", tag = "care",
    params(("community" = String, Path, description = "The 12-digit division code")), security(("bearer" = [])),
    responses((status = 200, body = Vec<RecipientView>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn recipients(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(community): ApiPath<String>,
) -> Result<Json<Vec<RecipientView>>, ApiError> {
    let list = s
        .app
        .care_recipients(&actor, &community)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(list))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct MonthQuery {
    /// `YYYY-MM`; this month when not given.
    pub month: Option<String>,
}

/// A community's age allowances for a month by the city's bands (age on
/// the month's last day), with each band's count and sum: a journaled read
/// of the persons on it, for the community's worker.
#[utoipa::path(get, path = "/api/v1/care/communities/{community}/allowances", tag = "care",
    params(("community" = String, Path), MonthQuery), security(("bearer" = [])),
    responses((status = 200, body = AllowanceRoll), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn allowances(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(community): ApiPath<String>,
    ApiQuery(q): ApiQuery<MonthQuery>,
) -> Result<Json<AllowanceRoll>, ApiError> {
    let roll = s
        .app
        .care_allowance_roll(&actor, &community, q.month.as_deref())
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(roll))
}

/// The month of age allowances to pay.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct AllowanceMonth {
    /// `YYYY-MM`: this month or one of the twelve before it.
    pub month: String,
}

/// Pay a community's age allowances for a month onto the elders' citizen
/// cards, from civil affairs' funds, as its worker: each elder on the roll
/// once at their band's amount (paying the month again pays no one twice).
/// An elder with no card yet is paid when they hold one; one the registry
/// holds without an identity number is named in `without_number`.
#[utoipa::path(post, path = "/api/v1/care/communities/{community}/allowances/payments", tag = "care",
    params(("community" = String, Path)), security(("bearer" = [])), request_body = AllowanceMonth,
    responses((status = 200, body = AllowancePayment), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn pay_allowances(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(community): ApiPath<String>,
    ApiJson(m): ApiJson<AllowanceMonth>,
) -> Result<Json<AllowancePayment>, ApiError> {
    let paid = s
        .app
        .pay_allowances(&actor, &community, &m.month)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(paid))
}

/// Place a service order. A resident places their own (`channel`:
/// `resident`, `kiosk` or `tv`, signed in with a bound account); their
/// community's worker names them by `person_id` (`worker`); the hotline
/// names a caller by `id_number` (`hotline`). The resident must be
/// registered for care, and the provider must give the service in their
/// district. The provider has the rules' hours to accept it.
#[utoipa::path(post, path = "/api/v1/care/orders", tag = "care", security(("bearer" = [])),
    request_body = OrderForm,
    responses((status = 201, body = OrderView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn place(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiJson(form): ApiJson<OrderForm>,
) -> Result<(StatusCode, Json<OrderView>), ApiError> {
    let view = s
        .app
        .place_care_order(&actor, form)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// The orders the caller has a part in, newest first (200): a resident's
/// own, a provider's, a worker's communities', or every order for the
/// hotline. A provider's or staff member's list is a journaled read.
#[utoipa::path(get, path = "/api/v1/care/orders", tag = "care", security(("bearer" = [])),
    responses((status = 200, body = Vec<OrderView>)))]
pub async fn orders(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
) -> Result<Json<Vec<OrderView>>, ApiError> {
    let list = s
        .app
        .care_orders(&actor)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(list))
}

/// One order, for a party to it; anyone else is told it is not found.
#[utoipa::path(get, path = "/api/v1/care/orders/{number}", tag = "care",
    params(("number" = String, Path, description = "JY…")), security(("bearer" = [])),
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody)))]
pub async fn order(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(number): ApiPath<String>,
) -> Result<Json<OrderView>, ApiError> {
    let view = s
        .app
        .care_order(&actor, &number)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(view))
}

/// Act on an order: the provider `accept`s, `decline`s (`reason`) or
/// `serve`s it (`minutes`, `note`: the time is charged at the standard
/// price, the subsidy drawn from the month's subsidised minutes); the
/// resident `confirm`s it with a `rating` of 1 to 5 and a `comment`; the
/// resident or whoever placed it for them may `cancel` it (`reason`)
/// until it is served.
#[utoipa::path(post, path = "/api/v1/care/orders/{number}/{command}", tag = "care",
    params(("number" = String, Path), ("command" = String, Path, description = "accept, decline, serve, confirm or cancel")),
    security(("bearer" = [])), request_body = OrderCommandForm,
    responses((status = 200, body = OrderView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn command(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath((number, command)): ApiPath<(String, String)>,
    ApiJson(form): ApiJson<OrderCommandForm>,
) -> Result<Json<OrderView>, ApiError> {
    let run = async {
        let command = form.command(&command)?;
        s.app.care_order_command(&actor, &number, command).await
    };
    let view = run.await.map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(view))
}

/// The signed-in resident's home care: whether they are registered, their
/// level and this month's subsidised time, their age allowance, what they
/// may order from whom, and their orders. 403 until the account is bound.
#[utoipa::path(get, path = "/api/v1/me/care", tag = "care", security(("bearer" = [])),
    responses((status = 200, body = MyCare), (status = 403, body = ErrorBody)))]
pub async fn mine(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
) -> Result<Json<MyCare>, ApiError> {
    let mine = s
        .app
        .my_care(&actor)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(mine))
}

/// What a volunteer says they can do.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct VolunteerForm {
    #[serde(default)]
    pub skills: String,
}

/// Register as a volunteer of one's own community (a bound account whose
/// person the registry holds), or change one's skills.
#[utoipa::path(post, path = "/api/v1/me/volunteer", tag = "care", security(("bearer" = [])),
    request_body = VolunteerForm,
    responses((status = 200, body = MyVolunteering), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn volunteer(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiJson(form): ApiJson<VolunteerForm>,
) -> Result<Json<MyVolunteering>, ApiError> {
    let mine = s
        .app
        .register_volunteer(&actor, &form.skills)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(mine))
}

/// One's volunteering: whether registered, the time bank's balance in
/// minutes, the community's activities and one's records of time.
#[utoipa::path(get, path = "/api/v1/me/volunteer", tag = "care", security(("bearer" = [])),
    responses((status = 200, body = MyVolunteering), (status = 403, body = ErrorBody)))]
pub async fn my_volunteering(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
) -> Result<Json<MyVolunteering>, ApiError> {
    let mine = s
        .app
        .my_volunteering(&actor)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(mine))
}

/// Record the time one gave at an activity of one's community (once per
/// activity, not before its day); the community's worker confirms it.
#[utoipa::path(post, path = "/api/v1/me/volunteer/hours", tag = "care", security(("bearer" = [])),
    request_body = HoursForm,
    responses((status = 201, body = HoursView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn record_hours(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiJson(form): ApiJson<HoursForm>,
) -> Result<(StatusCode, Json<HoursView>), ApiError> {
    let view = s
        .app
        .record_volunteer_hours(&actor, form)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Announce an activity of a community, as its worker.
#[utoipa::path(post, path = "/api/v1/care/activities", tag = "care", security(("bearer" = [])),
    request_body = ActivityForm,
    responses((status = 201, body = ActivityView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn announce(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiJson(form): ApiJson<ActivityForm>,
) -> Result<(StatusCode, Json<ActivityView>), ApiError> {
    let view = s
        .app
        .create_care_activity(&actor, form)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// The records of time waiting for the community's worker, with each
/// volunteer's name (a journaled read).
#[utoipa::path(get, path = "/api/v1/care/communities/{community}/hours", tag = "care",
    params(("community" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = Vec<HoursView>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn open_hours(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(community): ApiPath<String>,
) -> Result<Json<Vec<HoursView>>, ApiError> {
    let list = s
        .app
        .open_volunteer_hours(&actor, &community)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(list))
}

/// Confirm a record of time (its minutes go into the volunteer's time
/// bank) or refuse it with a `reason`.
#[utoipa::path(post, path = "/api/v1/care/hours/{id}/decision", tag = "care",
    params(("id" = i64, Path)), security(("bearer" = [])), request_body = HoursDecision,
    responses((status = 200, body = HoursView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decide_hours(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(decision): ApiJson<HoursDecision>,
) -> Result<Json<HoursView>, ApiError> {
    let view = s
        .app
        .decide_volunteer_hours(&actor, id, decision)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(view))
}

/// Record a household's aid (低保, 优抚) with its monthly amount, as its
/// community's worker; it is reviewed a period (`data/care/rules.json`)
/// after it began, and an overdue review raises a card against the
/// community. Another community's household is not found.
#[utoipa::path(post, path = "/api/v1/care/aid", tag = "care", security(("bearer" = [])),
    request_body = AidForm,
    responses((status = 201, body = AidView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn record_aid(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiJson(form): ApiJson<AidForm>,
) -> Result<(StatusCode, Json<AidView>), ApiError> {
    let view = s
        .app
        .record_aid(&actor, form)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// A community's records of aid with the months paid and whether each
/// review is overdue (a journaled read of the households), for its worker.
#[utoipa::path(get, path = "/api/v1/care/communities/{community}/aid", tag = "care",
    params(("community" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = Vec<AidView>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn community_aid(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(community): ApiPath<String>,
) -> Result<Json<Vec<AidView>>, ApiError> {
    let list = s
        .app
        .community_aid(&actor, &community)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(list))
}

/// Review a record: `continue`, `adjust` (with the new `monthly_fen`) or
/// `end`, with a `note`; the next review is a period from today.
#[utoipa::path(post, path = "/api/v1/care/aid/{id}/reviews", tag = "care",
    params(("id" = i64, Path)), security(("bearer" = [])), request_body = AidReview,
    responses((status = 200, body = AidView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn review_aid(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(review): ApiJson<AidReview>,
) -> Result<Json<AidView>, ApiError> {
    let view = s
        .app
        .review_aid(&actor, id, review)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(view))
}

/// Record a month paid at the record's amount (once a month, from its
/// first month up to this one, while it is active).
#[utoipa::path(post, path = "/api/v1/care/aid/{id}/payments", tag = "care",
    params(("id" = i64, Path)), security(("bearer" = [])), request_body = AidPayment,
    responses((status = 200, body = AidView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn pay_aid(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(payment): ApiJson<AidPayment>,
) -> Result<Json<AidView>, ApiError> {
    let view = s
        .app
        .pay_aid(&actor, id, payment)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(view))
}

/// The code a digital TV shows, confirmed by its resident.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct TvPairing {
    /// As the TV shows it (`ABCD-EFGH`; case, spaces and dashes do not matter).
    pub code: String,
    /// What to call the TV (`客厅电视`); `电视` when empty.
    #[serde(default)]
    pub label: String,
}

/// The TV a code belongs to, before pairing it: when it asked, how its
/// browser describes itself and the network it asked from (its address's
/// last part hidden), for the resident to check that it is the TV in front
/// of them. Nothing changes; a wrong or expired code is 422.
#[utoipa::path(post, path = "/api/v1/me/tv-pairings/preview", tag = "care", security(("bearer" = [])),
    request_body = TvPairing,
    responses((status = 200, body = sunshine_app::tv::TvWaiting), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn preview_tv(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiJson(p): ApiJson<TvPairing>,
) -> Result<Json<sunshine_app::tv::TvWaiting>, ApiError> {
    let w = s
        .app
        .preview_tv_pairing(&actor, &p.code)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(w))
}

/// Pair a digital-TV set-top box with the signed-in resident's account
/// (bound to their identity): the TV's home-care page then orders, confirms
/// and rates home care in their name, and nothing else, until unpaired.
/// A code is good for ten minutes and pairs one TV.
#[utoipa::path(post, path = "/api/v1/me/tv-pairings", tag = "care", security(("bearer" = [])),
    request_body = TvPairing,
    responses((status = 201, body = sunshine_app::tv::TvDevice), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn pair_tv(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiJson(p): ApiJson<TvPairing>,
) -> Result<(StatusCode, Json<sunshine_app::tv::TvDevice>), ApiError> {
    let d = s
        .app
        .pair_tv(&actor, &p.code, &p.label)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok((StatusCode::CREATED, Json(d)))
}

/// The TVs paired with the signed-in resident's account, the latest first.
#[utoipa::path(get, path = "/api/v1/me/tv-pairings", tag = "care", security(("bearer" = [])),
    responses((status = 200, body = Vec<sunshine_app::tv::TvDevice>)))]
pub async fn tv_pairings(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
) -> Result<Json<Vec<sunshine_app::tv::TvDevice>>, ApiError> {
    let list = s
        .app
        .tv_devices(&actor)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(list))
}

/// Unpair one of the resident's TVs: it must be paired again to be used.
#[utoipa::path(post, path = "/api/v1/me/tv-pairings/{id}/unpair", tag = "care",
    params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn unpair_tv(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    s.app
        .unpair_tv(&actor, id)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(StatusCode::NO_CONTENT)
}
