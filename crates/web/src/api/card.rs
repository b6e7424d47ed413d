//! `/api/v1/cards` and `/api/v1/card`: the citizen card. Cards, their life
//! and their purses for clerks and holders; operators, merchants and
//! terminals for card operators; and the terminal API, where every request
//! is signed with the terminal's ed25519 key (`X-Timestamp`: seconds since
//! the epoch; `X-Signature`: hex of the signature over the method, the path
//! with its query, the timestamp and the SHA-256 of the body, one per line).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use sunshine_app::card::{
    CardView, Check, Clearing, CounterAsk, CounterCheck, DenyList, Grant, IssueCard, Medical,
    MedicalCredit, Signed, TapUpload, TopUp, UploadResult,
};
use sunshine_domain::card::book::{Card, NewParty, NewTerminal, Party, Settlement, Terminal};
use sunshine_domain::card::entitlement::{Entitlement, Kind, MedicalRecord, Verdict};
use sunshine_domain::card::ledger::Transfer;
use sunshine_domain::card::lifecycle::CardCommand;
use sunshine_domain::refusal::Refusal;
use utoipa::{IntoParams, ToSchema};

use crate::api::account::PurposeQuery;
use crate::auth::ApiActor;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use crate::i18n::Lang;
use crate::AppState;
use sunshine_domain::access::ReadPurpose;

/// Issue a card to a resident (a card clerk).
#[utoipa::path(post, path = "/api/v1/cards", tag = "card", request_body = IssueCard, security(("bearer" = [])),
    responses((status = 201, body = Card), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn issue(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<IssueCard>,
) -> Result<(StatusCode, Json<Card>), ApiError> {
    let card = s
        .app
        .issue_card(&actor, input)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok((StatusCode::CREATED, Json(card)))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct HolderQuery {
    /// The resident's identity number.
    pub holder: String,
    /// Why the clerk reads them (`counter_service` when not given).
    pub purpose: Option<String>,
}

/// A resident's cards (a card clerk).
#[utoipa::path(get, path = "/api/v1/cards", tag = "card", params(HolderQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<Card>), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<HolderQuery>,
) -> Result<Json<Vec<Card>>, ApiError> {
    let purpose = ReadPurpose::parse_or(q.purpose.as_deref(), ReadPurpose::CounterService)
        .map_err(|r| ApiError::from_refusal(&r, lang))?;
    s.app
        .cards_of_for(&actor, &q.holder, purpose)
        .await
        .map(Json)
        .map_err(|e| ApiError::from_app(e, lang))
}

/// The signed-in resident's cards, with balances and recent taps.
#[utoipa::path(get, path = "/api/v1/cards/mine", tag = "card", security(("bearer" = [])),
    responses((status = 200, body = Vec<CardView>), (status = 403, body = ErrorBody)))]
pub async fn mine(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
) -> Result<Json<Vec<CardView>>, ApiError> {
    s.app
        .my_cards(&actor)
        .await
        .map(Json)
        .map_err(|e| ApiError::from_app(e, lang))
}

/// A card with its balances and recent taps (its holder, or a card clerk).
#[utoipa::path(get, path = "/api/v1/cards/{number}", tag = "card", params(("number" = String, Path), PurposeQuery), security(("bearer" = [])),
    responses((status = 200, body = CardView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(number): ApiPath<String>,
    ApiQuery(q): ApiQuery<PurposeQuery>,
) -> Result<Json<CardView>, ApiError> {
    let purpose = q.or(ReadPurpose::CounterService, lang)?;
    s.app
        .read_card(&actor, &number, purpose)
        .await
        .map(Json)
        .map_err(|e| ApiError::from_app(e, lang))
}

/// What a step of a card's life gives back.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommandResult {
    pub card: Card,
    /// The new card, after a replacement.
    pub replacement: Option<Card>,
}

/// A step of a card's life: `activate`, `report_loss` and `cancel_loss`
/// (also its holder), `freeze` (with `reason`), `unfreeze`, `replace`,
/// `cancel` (a card clerk).
#[utoipa::path(post, path = "/api/v1/cards/{number}/commands", tag = "card", params(("number" = String, Path)),
    request_body(content = Object, description = "{\"command\": \"report_loss\"} or {\"command\": \"freeze\", \"reason\": \"…\"}"),
    security(("bearer" = [])),
    responses((status = 200, body = CommandResult), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn command(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(number): ApiPath<String>,
    ApiJson(command): ApiJson<CardCommand>,
) -> Result<Json<CommandResult>, ApiError> {
    let (card, replacement) = s
        .app
        .card_command(&actor, &number, command)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(CommandResult { card, replacement }))
}

/// The ledger's transfer, as the API shows it. Its ids are decimal strings:
/// the ledger's ids go past 2⁵³ − 1, where a JSON number read as a double
/// loses digits.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransferView {
    /// The transfer: the client's id (a top-up's), or from 2⁶³ up one the
    /// books made. A decimal string: it can exceed 2⁵³ − 1.
    #[serde(with = "sunshine_domain::decimal_u64")]
    #[schema(value_type = String, pattern = "^[0-9]{1,20}$", example = "9223372036854775809")]
    pub id: u64,
    /// The account debited. A decimal string: it can exceed 2⁵³ − 1.
    #[serde(with = "sunshine_domain::decimal_u64")]
    #[schema(value_type = String, pattern = "^[0-9]{1,20}$", example = "9223372036854775809")]
    pub debit_account_id: u64,
    /// The account credited. A decimal string: it can exceed 2⁵³ − 1.
    #[serde(with = "sunshine_domain::decimal_u64")]
    #[schema(value_type = String, pattern = "^[0-9]{1,20}$", example = "9223372036854775809")]
    pub credit_account_id: u64,
    /// Fen.
    pub amount: i64,
    pub code: u16,
    /// Microseconds since the epoch; unique and increasing.
    pub timestamp: i64,
}

impl From<Transfer> for TransferView {
    fn from(t: Transfer) -> Self {
        TransferView {
            id: t.request.id,
            debit_account_id: t.request.debit_account_id,
            credit_account_id: t.request.credit_account_id,
            amount: t.amount,
            code: t.request.code,
            timestamp: t.timestamp,
        }
    }
}

/// Put money on a card's wallet or account (its holder online, or a card
/// clerk at a counter). A retry with the same `id` is answered with the
/// first top-up.
#[utoipa::path(post, path = "/api/v1/cards/{number}/top-ups", tag = "card", params(("number" = String, Path)), request_body = TopUp, security(("bearer" = [])),
    responses((status = 200, body = TransferView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn top_up(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(number): ApiPath<String>,
    ApiJson(input): ApiJson<TopUp>,
) -> Result<Json<TransferView>, ApiError> {
    s.app
        .top_up(&actor, &number, input)
        .await
        .map(|t| Json(t.into()))
        .map_err(|e| ApiError::from_app(e, lang))
}

/// Register a transit operator or a merchant (a card operator).
#[utoipa::path(post, path = "/api/v1/card/parties", tag = "card", request_body = NewParty, security(("bearer" = [])),
    responses((status = 201, body = Party), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_party(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<NewParty>,
) -> Result<(StatusCode, Json<Party>), ApiError> {
    let p = s
        .app
        .add_card_party(&actor, input)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok((StatusCode::CREATED, Json(p)))
}

/// The operators and merchants (a card operator).
#[utoipa::path(get, path = "/api/v1/card/parties", tag = "card", security(("bearer" = [])),
    responses((status = 200, body = Vec<Party>), (status = 403, body = ErrorBody)))]
pub async fn parties(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
) -> Result<Json<Vec<Party>>, ApiError> {
    s.app
        .card_parties(&actor)
        .await
        .map(Json)
        .map_err(|e| ApiError::from_app(e, lang))
}

/// Register a terminal with its public key (a card operator).
#[utoipa::path(post, path = "/api/v1/card/terminals", tag = "card", request_body = NewTerminal, security(("bearer" = [])),
    responses((status = 201, body = Terminal), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_terminal(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<NewTerminal>,
) -> Result<(StatusCode, Json<Terminal>), ApiError> {
    let t = s
        .app
        .add_terminal(&actor, input)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok((StatusCode::CREATED, Json(t)))
}

/// Every terminal, retired ones too (a card operator).
#[utoipa::path(get, path = "/api/v1/card/terminals", tag = "card", security(("bearer" = [])),
    responses((status = 200, body = [Terminal]), (status = 403, body = ErrorBody)))]
pub async fn terminals(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
) -> Result<Json<Vec<Terminal>>, ApiError> {
    s.app
        .card_terminals(&actor)
        .await
        .map(Json)
        .map_err(|e| ApiError::from_app(e, lang))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewKey {
    /// The terminal's new ed25519 public key, 64 hex digits.
    pub public_key: String,
}

/// Give a terminal a new public key (a card operator): requests signed with
/// the old key are refused from now on.
#[utoipa::path(put, path = "/api/v1/card/terminals/{code}/key", tag = "card", params(("code" = String, Path)), request_body = NewKey, security(("bearer" = [])),
    responses((status = 200, body = Terminal), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn change_terminal_key(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(code): ApiPath<String>,
    ApiJson(input): ApiJson<NewKey>,
) -> Result<Json<Terminal>, ApiError> {
    s.app
        .change_terminal_key(&actor, &code, &input.public_key)
        .await
        .map(Json)
        .map_err(|e| ApiError::from_app(e, lang))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Retirement {
    /// Why it is retired (taken out of use, broken, stolen).
    pub reason: String,
}

/// Retire a terminal (a card operator): it is refused from now on, and what
/// it recorded but has not uploaded is not taken.
#[utoipa::path(post, path = "/api/v1/card/terminals/{code}/retirement", tag = "card", params(("code" = String, Path)), request_body = Retirement, security(("bearer" = [])),
    responses((status = 200, body = Terminal), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn retire_terminal(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(code): ApiPath<String>,
    ApiJson(input): ApiJson<Retirement>,
) -> Result<Json<Terminal>, ApiError> {
    s.app
        .retire_terminal(&actor, &code, &input.reason)
        .await
        .map(Json)
        .map_err(|e| ApiError::from_app(e, lang))
}

/// A terminal's request as it came (`/api/v1/card/terminals/{code}/…`):
/// what it asked, with the signature over it (`X-Timestamp`: seconds since
/// the epoch; `X-Signature`: ed25519, hex). The app checks the signature.
pub struct TerminalRequest {
    code: String,
    method: String,
    path_and_query: String,
    signature: SignatureHeaders,
    body: Bytes,
    lang: Lang,
}

/// The signature headers every terminal request carries.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct SignatureHeaders {
    /// Seconds since the epoch, the terminal's clock.
    #[param(rename = "X-Timestamp")]
    timestamp: i64,
    /// ed25519, hex, over the method, the path with its query, the
    /// timestamp and the body's SHA-256, one per line.
    #[param(rename = "X-Signature")]
    signature: String,
}

impl TerminalRequest {
    fn signed(&self) -> Signed<'_> {
        Signed {
            terminal: &self.code,
            method: &self.method,
            path_and_query: &self.path_and_query,
            timestamp: self.signature.timestamp,
            signature: &self.signature.signature,
            body: &self.body,
        }
    }

    /// The app's refusal in the terminal's language.
    fn refused(&self, e: sunshine_app::AppError) -> ApiError {
        ApiError::from_app(e, self.lang)
    }
}

impl<S: Send + Sync> FromRequest<S> for TerminalRequest {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let (mut parts, body) = req.into_parts();
        let lang = Lang::of(&parts);
        let ApiPath(code) = ApiPath::<String>::from_request_parts(&mut parts, state).await?;
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let (Some(timestamp), Some(signature)) = (header("x-timestamp"), header("x-signature"))
        else {
            let unsigned = Refusal::new(
                sunshine_domain::refusal::RefusalKind::Unauthenticated,
                "unsigned",
                sunshine_domain::refusal::Text::new(
                    "终端请求须带 X-Timestamp 与 X-Signature",
                    "A terminal's request carries X-Timestamp and X-Signature",
                ),
            );
            return Err(ApiError::from_refusal(&unsigned, lang));
        };
        let timestamp = timestamp.parse::<i64>().map_err(|_| {
            let bad = Refusal::invalid(
                "bad_timestamp",
                "X-Timestamp 须为秒数",
                "X-Timestamp is seconds since the epoch",
            );
            ApiError::from_refusal(&bad, lang)
        })?;
        let method = parts.method.as_str().to_string();
        let path_and_query = parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_string();
        let body = Bytes::from_request(Request::from_parts(parts, body), state).await?;
        Ok(TerminalRequest {
            code,
            method,
            path_and_query,
            signature: SignatureHeaders {
                timestamp,
                signature,
            },
            body,
            lang,
        })
    }
}

/// Upload taps a terminal recorded, online or after working offline
/// (signed). Taps are applied in order of their sequence numbers; one
/// already uploaded is answered `repeat` and changes nothing. The answer
/// lists each tap's outcome, the sequence numbers still missing, and the
/// deny list's version.
#[utoipa::path(post, path = "/api/v1/card/terminals/{code}/taps", tag = "card", params(("code" = String, Path), SignatureHeaders),
    request_body(content = TapUpload, description = "A validator's rides, a POS's purchases (amount, purse) and refunds (refund_of: the purchase's transfer, a decimal string; amount: what is given back), a dock's takes and returns"),
    responses((status = 200, body = UploadResult), (status = 401, body = ErrorBody), (status = 400, body = ErrorBody)))]
pub async fn upload(
    State(s): State<AppState>,
    r: TerminalRequest,
) -> Result<Json<UploadResult>, ApiError> {
    s.app
        .upload_taps(&r.signed())
        .await
        .map(Json)
        .map_err(|e| r.refused(e))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct DenyQuery {
    /// The version the terminal holds: only the changes after it. Without
    /// it (or with a version the list has not reached) the full list.
    pub since: Option<u64>,
}

/// The deny list (lost, frozen, dead and owing cards), in full or as the
/// changes since a version (signed).
#[utoipa::path(get, path = "/api/v1/card/terminals/{code}/deny-list", tag = "card", params(("code" = String, Path), DenyQuery, SignatureHeaders),
    responses((status = 200, body = DenyList), (status = 401, body = ErrorBody)))]
pub async fn deny_list(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<DenyQuery>,
    r: TerminalRequest,
) -> Result<Json<DenyList>, ApiError> {
    s.app
        .deny_list(&r.signed(), q.since)
        .await
        .map(Json)
        .map_err(|e| r.refused(e))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct DayQuery {
    /// The day, `YYYY-MM-DD` (Asia/Shanghai).
    pub day: String,
}

fn day_of(s: &str, lang: Lang) -> Result<jiff::civil::Date, ApiError> {
    s.trim().parse::<jiff::civil::Date>().map_err(|_| {
        ApiError::from_refusal(
            &Refusal::field("day", "日期格式为 YYYY-MM-DD", "A day is YYYY-MM-DD"),
            lang,
        )
    })
}

/// A day's clearing report (a card operator): per operator and merchant,
/// the charged taps against what the ledger credited, refunds, what
/// settlement pays, whether it ties out to the fen, and the settlement.
#[utoipa::path(get, path = "/api/v1/card/clearing", tag = "card", params(DayQuery), security(("bearer" = [])),
    responses((status = 200, body = Clearing), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn clearing(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<DayQuery>,
) -> Result<Json<Clearing>, ApiError> {
    let day = day_of(&q.day, lang)?;
    s.app
        .clearing(&actor, day)
        .await
        .map(Json)
        .map_err(|e| ApiError::from_app(e, lang))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SettleRequest {
    /// The day to settle, `YYYY-MM-DD`; it must have ended (T+1).
    pub day: String,
}

/// Settle a day that has ended (a card operator): each operator and
/// merchant is paid its takings less refunds, one transfer each. A day is
/// settled once.
#[utoipa::path(post, path = "/api/v1/card/settlements", tag = "card", request_body = SettleRequest, security(("bearer" = [])),
    responses((status = 201, body = Vec<Settlement>), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn settle(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiJson(r): ApiJson<SettleRequest>,
) -> Result<(StatusCode, Json<Vec<Settlement>>), ApiError> {
    let day = day_of(&r.day, lang)?;
    let rows = s
        .app
        .settle(&actor, day)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok((StatusCode::CREATED, Json(rows)))
}

/// Grant an entitlement to a card's holder (a card clerk): `medical`,
/// `park`, `library`, `pension`, `dibao`, `housing_fund` or
/// `affordable_housing`, until a day or open-ended. Granting again renews it.
#[utoipa::path(post, path = "/api/v1/cards/{number}/entitlements", tag = "card", params(("number" = String, Path)), request_body = Grant, security(("bearer" = [])),
    responses((status = 201, body = Entitlement), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn grant(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(number): ApiPath<String>,
    ApiJson(g): ApiJson<Grant>,
) -> Result<(StatusCode, Json<Entitlement>), ApiError> {
    let e = s
        .app
        .grant_entitlement(&actor, &number, g)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok((StatusCode::CREATED, Json(e)))
}

/// A hall counter checks a card's social-security entitlement (`medical`,
/// `pension`, `dibao`, `housing_fund`, `affordable_housing`): a clerk who
/// registers applications at a counter, or a card clerk. It is told the
/// verdict and the name on the card, and the read is journaled for the
/// holder to see.
#[utoipa::path(post, path = "/api/v1/hall/entitlement-checks", tag = "card", request_body = CounterAsk, security(("bearer" = [])),
    responses((status = 200, body = CounterCheck), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn counter_check(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiJson(ask): ApiJson<CounterAsk>,
) -> Result<Json<CounterCheck>, ApiError> {
    s.app
        .check_at_hall_counter(&actor, ask)
        .await
        .map(Json)
        .map_err(|e| ApiError::from_app(e, lang))
}

/// Revoke an entitlement, with the reason (a card clerk).
#[utoipa::path(post, path = "/api/v1/cards/{number}/entitlements/{kind}/revoke", tag = "card", params(("number" = String, Path), ("kind" = String, Path)), request_body = crate::api::licence::RevokeRequest, security(("bearer" = [])),
    responses((status = 200, body = Entitlement), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn revoke_entitlement(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath((number, kind)): ApiPath<(String, String)>,
    ApiJson(r): ApiJson<crate::api::licence::RevokeRequest>,
) -> Result<Json<Entitlement>, ApiError> {
    let kind = Kind::parse(&kind).ok_or_else(|| {
        ApiError::from_refusal(&Refusal::not_found("该权益", "The entitlement"), lang)
    })?;
    s.app
        .revoke_entitlement(&actor, &number, kind, &r.reason)
        .await
        .map(Json)
        .map_err(|e| ApiError::from_app(e, lang))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckResult {
    /// `allowed`, `card_denied`, `unknown_card`, `not_granted`, `expired` or `revoked`.
    #[schema(value_type = String)]
    pub verdict: Verdict,
}

/// A gate or desk checks a card's entitlement (signed): `{"card", "kind"}`.
#[utoipa::path(post, path = "/api/v1/card/terminals/{code}/checks", tag = "card", params(("code" = String, Path), SignatureHeaders),
    request_body = Check,
    responses((status = 200, body = CheckResult), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn check(
    State(s): State<AppState>,
    r: TerminalRequest,
) -> Result<Json<CheckResult>, ApiError> {
    s.app
        .check_entitlement(&r.signed())
        .await
        .map(|verdict| Json(CheckResult { verdict }))
        .map_err(|e| r.refused(e))
}

/// A hospital's desk settles a visit with the card as the insured's
/// identity (signed): `{"request_id", "card", "total", "insured",
/// "rest_from"}`, amounts in fen. The insured's part is paid from the
/// personal medical account first, then from the card's account (409
/// `insufficient_balance` if it holds too little) or in cash.
#[utoipa::path(post, path = "/api/v1/card/terminals/{code}/medical", tag = "card", params(("code" = String, Path), SignatureHeaders),
    request_body = Medical,
    responses((status = 201, body = MedicalRecord), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn medical(
    State(s): State<AppState>,
    r: TerminalRequest,
) -> Result<(StatusCode, Json<MedicalRecord>), ApiError> {
    let record = s
        .app
        .medical_settlement(&r.signed())
        .await
        .map_err(|e| r.refused(e))?;
    Ok((StatusCode::CREATED, Json(record)))
}

/// The medical-insurance fund pays into a holder's personal medical
/// account (a card operator, from the fund's file). A retry with the same
/// `id` is answered with the first payment.
#[utoipa::path(post, path = "/api/v1/card/medical-credits", tag = "card", request_body = MedicalCredit, security(("bearer" = [])),
    responses((status = 200, body = TransferView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn credit_medical(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<MedicalCredit>,
) -> Result<Json<TransferView>, ApiError> {
    s.app
        .credit_medical(&actor, input)
        .await
        .map(|t| Json(t.into()))
        .map_err(|e| ApiError::from_app(e, lang))
}

/// The medical-insurance fund's monthly roll, as the fund sends it (CSV
/// in UTF-8, header `划入编号,卡号,金额`, amounts in yuan): every line is
/// checked against the books and nothing is paid unless every line can
/// be; a fault is named in `fields` as `line N COLUMN`. A roll sent again
/// pays nothing twice (each line's 划入编号 is the payment's id).
#[utoipa::path(post, path = "/api/v1/card/medical-credits/rolls", tag = "card", security(("bearer" = [])),
    request_body(content = String, content_type = "text/csv", description = "The roll, with its header line"),
    responses((status = 200, body = sunshine_app::card::RollReport), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn credit_medical_roll(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    body: axum::body::Bytes,
) -> Result<Json<sunshine_app::card::RollReport>, ApiError> {
    s.app
        .credit_medical_roll(&actor, &body)
        .await
        .map(Json)
        .map_err(|e| ApiError::from_app(e, lang))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct MonthQuery {
    /// `YYYY-MM`
    pub month: String,
}

/// A month's payouts from civil affairs' funds onto cards (低保 aid, age
/// allowances) by kind and community: how many and how much were paid and
/// are waiting for a live card; and, over every month, civil affairs'
/// account on the books against the payouts recorded (`ties_out`). For the
/// card centre's operators.
#[utoipa::path(get, path = "/api/v1/card/payouts", tag = "card", params(MonthQuery), security(("bearer" = [])),
    responses((status = 200, body = sunshine_app::care::PayoutsReport), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn payouts(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<MonthQuery>,
) -> Result<Json<sunshine_app::care::PayoutsReport>, ApiError> {
    s.app
        .payouts_report(&actor, &q.month)
        .await
        .map(Json)
        .map_err(|e| ApiError::from_app(e, lang))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DepositRequest {
    /// `true` to hold the deposit in the wallet, `false` to release it.
    pub hold: bool,
}

/// Hold the public-bicycle deposit (200 yuan) in the card's wallet, as a
/// pending transfer, or release it when no bicycle is out (its holder, or a
/// card clerk).
#[utoipa::path(post, path = "/api/v1/cards/{number}/bike-deposit", tag = "card", params(("number" = String, Path)), request_body = DepositRequest, security(("bearer" = [])),
    responses((status = 200, body = TransferView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn bike_deposit(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(number): ApiPath<String>,
    ApiJson(r): ApiJson<DepositRequest>,
) -> Result<Json<TransferView>, ApiError> {
    s.app
        .bike_deposit(&actor, &number, r.hold)
        .await
        .map(|t| Json(t.into()))
        .map_err(|e| ApiError::from_app(e, lang))
}

/// Buy a pass (月票) from the card's wallet (its holder, or a card clerk):
/// its network's rides are free from its first day to the end of its last.
#[utoipa::path(post, path = "/api/v1/cards/{number}/passes", tag = "card", params(("number" = String, Path)), request_body = sunshine_app::card::BuyPass, security(("bearer" = [])),
    responses((status = 201, body = sunshine_domain::card::book::Pass), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn buy_pass(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(number): ApiPath<String>,
    ApiJson(input): ApiJson<sunshine_app::card::BuyPass>,
) -> Result<(StatusCode, Json<sunshine_domain::card::book::Pass>), ApiError> {
    let p = s
        .app
        .buy_pass(&actor, &number, input)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok((StatusCode::CREATED, Json(p)))
}
