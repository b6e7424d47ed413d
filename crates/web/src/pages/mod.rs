//! Server-rendered pages. They work without JavaScript: every action is a
//! form with a CSRF token, every error is shown next to its field.

pub mod account;
pub mod backup;
pub mod backup_centre;
pub mod bundle;
pub mod card;
pub mod care;
pub mod catalog;
pub mod disclosure;
pub mod exchange;
pub mod flash;
pub mod fmt;
pub mod hall;
pub mod hotline;
pub mod identity;
pub mod licence;
pub mod real_name;
pub mod registry;
pub mod sharing;
pub mod supervision;

use askama::Template;
use axum::extract::Query;
use axum::handler::Handler;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use sunshine_app::identity::Session;
use sunshine_app::AppError;

use crate::guard::Bucket::{Aggregates, Kiosk, Lookups, SignUps};
use crate::guard::PerClient;
use crate::i18n::{t, Lang};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(catalog_routes())
        .merge(disclosure_routes())
        .merge(supervision_routes())
        .merge(hotline_routes())
        .merge(card_routes())
        .merge(backup_routes())
        .merge(licence_routes())
        .merge(identity_routes())
        .merge(hall_routes())
        .merge(bundle_routes())
        .merge(sharing_routes())
        .layer(axum::middleware::from_fn(flash::layer))
}

/// Resource sharing: the catalogue, subscriptions, keys, conflicts.
fn sharing_routes() -> Router<AppState> {
    Router::new()
        .route("/staff/sharing", get(sharing::catalogue))
        .route(
            "/staff/sharing/new",
            get(sharing::new_form).post(sharing::register),
        )
        .route("/staff/sharing/resources/{id}", get(sharing::resource))
        .route(
            "/staff/sharing/resources/{id}/subscribe",
            post(sharing::subscribe),
        )
        .route("/staff/sharing/subscriptions", get(sharing::queue))
        .route(
            "/staff/sharing/subscriptions/{id}",
            get(sharing::subscription),
        )
        .route(
            "/staff/sharing/subscriptions/{id}/command",
            post(sharing::command),
        )
        .route(
            "/staff/sharing/subscriptions/{id}/keys",
            post(sharing::issue_key),
        )
        .route("/staff/sharing/keys/{id}/revoke", post(sharing::revoke_key))
        .route("/staff/sharing/conflicts", get(sharing::conflicts))
        .route("/staff/sharing/conflicts/{code}", post(sharing::resolve))
}

/// The catalogue: the public portal and the staff workbench.
fn catalog_routes() -> Router<AppState> {
    Router::new()
        .route("/", get(catalog::public::index))
        .route("/catalog", get(catalog::public::catalog))
        .route("/catalog/{item_id}", get(catalog::public::item))
        .route("/staff/", get(catalog::staff::workbench))
        .route("/staff", get(|| async { Redirect::permanent("/staff/") }))
        .route(
            "/staff/items/new",
            get(catalog::staff::new_item_form).post(catalog::staff::create_item),
        )
        .route("/staff/versions/{id}", get(catalog::staff::version))
        .route(
            "/staff/versions/{id}/edit",
            get(catalog::staff::edit_form).post(catalog::staff::update_item),
        )
        .route("/staff/versions/{id}/step", post(catalog::staff::step))
        .route(
            "/staff/items/{item_id}/new-version",
            post(catalog::staff::new_version),
        )
        .route("/staff/panorama", get(catalog::staff::panorama))
        .route(
            "/staff/transfer",
            get(catalog::staff::transfer_page).post(catalog::staff::import),
        )
        .route(
            "/staff/registry",
            get(registry::page).post(registry::import),
        )
        .route(
            "/staff/registry/households",
            get(registry::records::households).post(registry::records::lookup),
        )
        .route(
            "/staff/registry/households/{district}/{number}",
            get(registry::records::household),
        )
        .route(
            "/staff/registry/persons/{id}/correct",
            post(registry::records::correct),
        )
        .route(
            "/staff/registry/corrections",
            get(registry::records::corrections),
        )
        .route(
            "/staff/registry/corrections/{id}",
            post(registry::records::decide),
        )
        .route(
            "/staff/registry/named-reads",
            get(registry::named_reads::page).post(registry::named_reads::ask),
        )
        .route(
            "/staff/registry/named-reads/{id}",
            post(registry::named_reads::decide),
        )
        .route(
            "/staff/registry/named-reads/{id}/person",
            get(registry::named_reads::person),
        )
        .route(
            "/staff/registry/standard",
            get(registry::standard::page).post(registry::standard::change),
        )
        .route("/staff/registry/pairs", get(registry::pairs::page))
        .route("/staff/registry/pairs/{id}", post(registry::pairs::decide))
        .route(
            "/staff/registry/statistics",
            get(registry::statistics::page),
        )
        .route(
            "/account/registry",
            get(registry::resident::page).post(registry::resident::ask),
        )
        .route("/account/care", get(care::page).post(care::place))
        .route("/tv/care", get(care::tv::page).post(care::tv::place))
        .route("/tv/pair", get(care::tv::pair))
        .route(
            "/tv/care/orders/{number}/{command}",
            post(care::tv::command),
        )
        .route(
            "/account/tv",
            get(care::tv::account).post(care::tv::confirm.layer(PerClient(Lookups))),
        )
        .route("/account/tv/{id}/unpair", post(care::tv::unpair))
        .route("/kiosk/care", get(care::page).post(care::place))
        .route("/care/orders/{number}/{command}", post(care::command))
        .route("/staff/care", get(care::staff))
        .route("/staff/care/recipients", post(care::assess))
        .route("/staff/care/orders", post(care::staff_place))
        .route("/staff/care/allowances", post(care::pay_allowances))
        .route("/staff/care/orders/{number}", get(care::order))
        .route("/staff/care/providers", post(care::register_provider))
        .route("/staff/care/activities", post(care::announce))
        .route("/staff/care/hours/{id}", post(care::decide_hours))
        .route(
            "/account/volunteer",
            get(care::volunteer).post(care::register_volunteer),
        )
        .route("/account/volunteer/hours", post(care::record_hours))
        .route("/staff/care/aid", get(care::aid).post(care::record_aid))
        .route("/staff/care/aid/{id}/reviews", post(care::review_aid))
        .route("/staff/care/aid/{id}/payments", post(care::pay_aid))
        .route("/staff/export", get(catalog::staff::export))
}

/// Sunshine disclosure: the public board and the staff extranet.
fn disclosure_routes() -> Router<AppState> {
    Router::new()
        .route("/board", get(disclosure::board))
        .route(
            "/board/stats",
            get(disclosure::stats.layer(PerClient(Aggregates))),
        )
        .route("/staff/board", get(disclosure::extranet))
}

/// Electronic supervision: the public board, complaints, signals.
fn supervision_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/supervision",
            get(supervision::board.layer(PerClient(Aggregates))),
        )
        .route(
            "/complaints",
            get(supervision::complaints).post(supervision::file),
        )
        .route("/complaints/{id}", axum::routing::post(supervision::handle))
        .route("/staff/signals", get(supervision::workbench))
        .route(
            "/staff/signals/{id}",
            get(supervision::signal).post(supervision::command),
        )
}

/// The 96345 hotline: the public pages, the kiosk, the console, its administration.
fn hotline_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/hotline",
            get(hotline::dashboard.layer(PerClient(Aggregates))),
        )
        .route("/hotline/knowledge", get(hotline::knowledge))
        .route("/hotline/nearby", get(hotline::nearby))
        .route(
            "/kiosk",
            get(hotline::kiosk).post(hotline::kiosk_request.layer(PerClient(Kiosk))),
        )
        .route(
            "/hotline/my",
            get(hotline::my_requests).post(hotline::new_request),
        )
        .route(
            "/hotline/my/claim",
            post(hotline::claim_request.layer(PerClient(Lookups))),
        )
        .route(
            "/hotline/my/{id}",
            get(hotline::my_ticket).post(hotline::my_command),
        )
        .route(
            "/staff/hotline",
            get(hotline::console).post(hotline::take_call),
        )
        .route("/staff/hotline/admin", get(hotline::admin::admin))
        .route(
            "/staff/hotline/admin/categories",
            post(hotline::admin::put_category),
        )
        .route(
            "/staff/hotline/admin/dispatch",
            post(hotline::admin::put_dispatch),
        )
        .route("/staff/hotline/admin/units", post(hotline::admin::add_unit))
        .route(
            "/staff/hotline/admin/units/rename",
            post(hotline::admin::rename_unit),
        )
        .route("/staff/hotline/admin/keys", post(hotline::admin::issue_key))
        .route(
            "/staff/hotline/admin/keys/{id}/revoke",
            post(hotline::admin::revoke_key),
        )
        .route(
            "/staff/hotline/{id}",
            get(hotline::staff_ticket).post(hotline::staff_command),
        )
        .route(
            "/staff/hotline/from-city/{city_id}",
            get(hotline::copy_of_citys),
        )
}

/// The citizen card: the holder's pages, the counter, operations.
fn card_routes() -> Router<AppState> {
    Router::new()
        .route("/card", get(card::my_cards))
        .route("/card/{number}/top-up", post(card::my_top_up))
        .route("/card/{number}/loss", post(card::my_report_loss))
        .route("/card/{number}/bike", post(card::my_bike))
        .route(
            "/card/{number}/pass",
            get(card::my_pass_confirm).post(card::my_pass),
        )
        .route("/staff/card", get(card::counter))
        .route("/staff/card/issue", post(card::issue))
        .route("/staff/card/{number}/command", post(card::command))
        .route("/staff/card/{number}/top-up", post(card::counter_top_up))
        .route("/staff/card/{number}/bike", post(card::counter_bike))
        .route(
            "/staff/card/{number}/pass",
            get(card::counter_pass_confirm).post(card::counter_pass),
        )
        .route("/staff/card/operations", get(card::operations))
        .route("/staff/card/medical-roll", post(card::medical_roll))
        .route("/staff/card/payouts", get(card::payouts))
        .route("/staff/card/parties", post(card::add_party))
        .route("/staff/card/settle", post(card::settle))
        .route("/staff/card/{number}/entitlements", post(card::entitlement))
        .route("/staff/card/terminals", post(card::add_terminal))
        .route(
            "/staff/card/terminals/{code}/{change}",
            post(card::change_terminal),
        )
        .route("/staff/card/{number}/pin", post(card::counter_pin))
}

/// Backup and the backup centre.
fn backup_routes() -> Router<AppState> {
    Router::new()
        .route("/staff/backup-centre", get(backup_centre::centre))
        .route(
            "/staff/backup-centre/systems",
            post(backup_centre::register),
        )
        .route(
            "/staff/backup-centre/verification",
            post(backup_centre::verify),
        )
        .route(
            "/staff/backup-centre/systems/{id}",
            get(backup_centre::system),
        )
        .route(
            "/staff/backup-centre/systems/{id}/keys",
            post(backup_centre::rotate_key),
        )
        .route(
            "/staff/backup-centre/systems/{id}/keys/{key}/revoke",
            post(backup_centre::revoke_key),
        )
        .route("/staff/backup", get(backup::page))
        .route("/staff/exchange", get(exchange::page))
        .route("/staff/backup/drill", axum::routing::post(backup::drill))
}

/// E-licences: verification, keys, files, revocation.
fn licence_routes() -> Router<AppState> {
    Router::new()
        .route("/licences/verify", get(licence::verify))
        .route("/licences/keys", get(licence::keys))
        .route("/licences/{number}", get(licence::show))
        .route("/licences/{number}/file", get(licence::download))
        .route("/licences/{number}/revoke", post(licence::revoke))
}

/// Signing in and up, real names, accounts, staff, the language.
fn identity_routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(identity::login_form).post(identity::login))
        .route(
            "/signup",
            get(real_name::signup_form).post(real_name::signup.layer(PerClient(SignUps))),
        )
        .route(
            "/account/bind",
            get(real_name::bind_form).post(real_name::bind.layer(PerClient(Lookups))),
        )
        .route(
            "/staff/binding",
            get(real_name::counter).post(real_name::issue),
        )
        .route("/logout", post(identity::logout))
        .route("/lang", get(switch_lang))
        .route("/staff/users", get(identity::list).post(identity::create))
        .route("/staff/users/{login}/{change}", post(identity::change))
        .route("/account", get(account::show))
        .route("/account/sessions/end-all", post(account::end_all))
        .route("/account/sessions/{id}/end", post(account::end_session))
        .route("/account/tokens", post(account::issue_token))
        .route("/account/tokens/{id}/revoke", post(account::revoke_token))
}

/// The online hall: applying, tracking, the clerk's inbox and case.
fn hall_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/hall/apply/{item_id}",
            get(hall::apply_form).post(hall::apply).layer(uploads()),
        )
        .route("/hall/my", get(hall::my_cases))
        .route("/hall/track", get(hall::track.layer(PerClient(Lookups))))
        .route("/hall/cases/{number}", get(hall::case))
        .route("/hall/cases/{number}/withdraw", post(hall::withdraw))
        .route(
            "/hall/cases/{number}/materials",
            post(hall::add_materials).layer(uploads()),
        )
        .route(
            "/hall/cases/{number}/materials/{sha256}",
            get(hall::download),
        )
        .route("/hall/cases/{number}/rating", post(hall::rate))
        .route("/staff/cases", get(hall::clerk::inbox))
        .route(
            "/staff/cases/new",
            get(hall::clerk::counter_form)
                .post(hall::clerk::register)
                .layer(uploads()),
        )
        .route(
            "/staff/cases/entitlement-check",
            get(hall::entitlement::form).post(hall::entitlement::check),
        )
        .route("/staff/cases/{number}", get(hall::clerk::case))
        .route("/staff/cases/{number}/command", post(hall::clerk::command))
        .route("/staff/cases/{number}/fee", post(hall::clerk::charge_fee))
        .route(
            "/staff/cases/{number}/penalty",
            post(hall::clerk::decide_penalty),
        )
}

/// One-stop bundles.
fn bundle_routes() -> Router<AppState> {
    Router::new()
        .route("/hall/bundles", get(bundle::list))
        .route(
            "/hall/bundles/{code}",
            get(bundle::apply_form).post(bundle::apply).layer(uploads()),
        )
        .route(
            "/hall/bundle-applications/{number}",
            get(bundle::application),
        )
}

/// The body limit of a page that takes files.
fn uploads() -> axum::extract::DefaultBodyLimit {
    axum::extract::DefaultBodyLimit::max(crate::uploads::UPLOAD_BODY_LIMIT)
}

/// What every page's frame needs: language, the signed-in user, the CSRF token.
pub struct Chrome {
    pub lang: Lang,
    pub user: Option<String>,
    pub is_staff: bool,
    /// A citizen or an enterprise, who may apply online.
    pub is_applicant: bool,
    /// An applicant whose account is not bound to its identity yet (实名).
    pub unbound: bool,
    /// A citizen, who may hold a citizen card.
    pub is_citizen: bool,
    pub csrf: String,
    /// The current path, for the language switch to come back to.
    pub here: String,
    /// The staff places the signed-in person may open: the menu shows these only.
    pub desks: sunshine_app::desks::Desks,
    /// What the last action did, shown once (see `flash`).
    pub flash: Option<String>,
}

impl Chrome {
    pub fn new(lang: Lang, session: Option<&Session>, here: &str) -> Chrome {
        Chrome {
            lang,
            user: session.map(|s| s.actor.display_name.clone()),
            is_staff: session
                .map(|s| s.actor.kind == sunshine_domain::identity::UserKind::Staff)
                .unwrap_or(false),
            is_applicant: session
                .map(|s| s.actor.kind != sunshine_domain::identity::UserKind::Staff)
                .unwrap_or(false),
            is_citizen: session
                .map(|s| s.actor.kind == sunshine_domain::identity::UserKind::Citizen)
                .unwrap_or(false),
            unbound: session
                .map(|s| {
                    s.actor.kind != sunshine_domain::identity::UserKind::Staff
                        && !s.actor.is_verified()
                })
                .unwrap_or(false),
            csrf: session.map(|s| s.csrf.clone()).unwrap_or_default(),
            here: crate::auth::url_escape(here),
            desks: session.map(|s| s.desks).unwrap_or_default(),
            flash: flash::current(lang),
        }
    }
    pub fn t(&self, key: &str) -> &'static str {
        t(self.lang, key)
    }
    pub fn code(&self) -> &'static str {
        if self.lang.is_en() {
            "en"
        } else {
            "zh-CN"
        }
    }
    pub fn other_lang(&self) -> &'static str {
        if self.lang.is_en() {
            "zh"
        } else {
            "en"
        }
    }
    pub fn other_lang_name(&self) -> &'static str {
        if self.lang.is_en() {
            "中文"
        } else {
            "English"
        }
    }
    pub fn pick<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        self.lang.pick(zh, en)
    }
    /// Money for people: `50,000.00 元`.
    pub fn money(&self, fen: &i64) -> String {
        fmt::money(self.lang, *fen)
    }
    /// A stored moment for people: `2026年12月3日 21:01`.
    pub fn when(&self, us: &i64) -> String {
        fmt::when(self.lang, *us)
    }
    /// A `YYYY-MM-DD` day for people: `2026年12月3日`.
    pub fn day(&self, iso: &str) -> String {
        fmt::day_str(self.lang, iso)
    }
    /// `1 day`, `3 days`, `3 天`.
    pub fn days(&self, n: &i64) -> String {
        fmt::days(self.lang, *n)
    }
    /// `1 working day`, `20 个工作日`.
    pub fn working_days(&self, n: &i64) -> String {
        fmt::working_days(self.lang, *n)
    }
    /// `850 米`, `4.1 公里`.
    pub fn distance(&self, metres: &f64) -> String {
        fmt::distance(self.lang, *metres)
    }
    /// A file's size: `2.0 KB`.
    pub fn size(&self, bytes: &i64) -> String {
        fmt::size(self.lang, *bytes)
    }
}

/// An option of a select box.
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// Options from (value, label) pairs, with `selected` marked.
pub fn opts<V: Into<String>, L: Into<String>>(list: Vec<(V, L)>, selected: &str) -> Vec<Opt> {
    list.into_iter()
        .map(|(v, l)| {
            let value = v.into();
            Opt {
                selected: value == selected,
                value,
                label: l.into(),
            }
        })
        .collect()
}

/// Render a template, or a plain 500 if the template itself fails.
/// A posted multipart form read whole: each field's file name (if it is a
/// file) and bytes, by the field's name (the last one of a name wins).
pub(crate) struct Posted(std::collections::BTreeMap<String, (Option<String>, axum::body::Bytes)>);

impl Posted {
    pub(crate) async fn read(mut form: axum::extract::Multipart) -> Result<Posted, AppError> {
        let mut fields = std::collections::BTreeMap::new();
        loop {
            match form.next_field().await {
                Ok(Some(field)) => {
                    let name = field.name().unwrap_or("").to_string();
                    let file_name = field.file_name().map(str::to_string);
                    let bytes = field.bytes().await.map_err(|_| {
                        sunshine_domain::refusal::Refusal::field(
                            "file",
                            "上传失败",
                            "The upload failed",
                        )
                    })?;
                    fields.insert(name, (file_name, bytes));
                }
                Ok(None) => return Ok(Posted(fields)),
                Err(_) => {
                    return Err(sunshine_domain::refusal::Refusal::field(
                        "file",
                        "上传格式有误",
                        "The upload is malformed",
                    )
                    .into())
                }
            }
        }
    }

    /// A field's text, empty when it was not sent.
    pub(crate) fn text(&self, name: &str) -> String {
        self.0
            .get(name)
            .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default()
    }

    /// A file field's name and bytes, when a file that is not empty was sent.
    pub(crate) fn file(&self, name: &str) -> Option<(Option<&str>, &axum::body::Bytes)> {
        self.0
            .get(name)
            .filter(|(_, b)| !b.is_empty())
            .map(|(n, b)| (n.as_deref(), b))
    }
}

pub fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub c: Chrome,
    pub title: String,
    pub message: String,
}

/// What a refusal says, with each field's reason, in the page's language;
/// `None` for an internal error.
pub fn refusal_message(c: &Chrome, e: &AppError) -> Option<String> {
    match e {
        AppError::Refused(r) => {
            let mut m = r.message.get(c.code()).to_string();
            for v in r.fields.values() {
                m.push_str(" — ");
                m.push_str(v.get(c.code()));
            }
            Some(m)
        }
        AppError::Internal(_) => None,
    }
}

/// A readable error page with the right status.
pub fn error_page(c: Chrome, e: AppError) -> Response {
    let (status, message) = match &e {
        AppError::Refused(r) => (
            crate::error::status_of(r.kind),
            refusal_message(&c, &e).unwrap_or_default(),
        ),
        AppError::Internal(cause) => {
            tracing::error!(error = ?cause, "internal error");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                c.pick(
                    "系统内部错误，请稍后再试",
                    "Internal error; please try again later",
                )
                .to_string(),
            )
        }
    };
    let title = c.t("error").to_string();
    (status, render(&ErrorPage { c, title, message })).into_response()
}

/// A form whose CSRF token is not the session's.
pub fn bad_token(c: Chrome) -> Response {
    let r = sunshine_domain::Refusal::forbidden(
        "bad_csrf",
        "表单已过期，请返回刷新后重试",
        "The form has expired; go back, reload and try again",
    );
    error_page(c, r.into())
}

pub async fn not_found(lang: Lang, uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        let r = sunshine_domain::Refusal::not_found("接口", "API route");
        return crate::error::ApiError::from_refusal(&r, lang).into_response();
    }
    let c = Chrome::new(lang, None, "/");
    let title = c.t("not_found").to_string();
    (
        StatusCode::NOT_FOUND,
        render(&ErrorPage {
            c,
            message: title.clone(),
            title,
        }),
    )
        .into_response()
}

pub async fn method_not_allowed(lang: Lang, uri: axum::http::Uri) -> Response {
    let r = sunshine_domain::Refusal::new(
        sunshine_domain::refusal::RefusalKind::Invalid,
        "method_not_allowed",
        sunshine_domain::Text::new("此地址不支持该请求方法", "This method is not allowed here"),
    );
    if uri.path().starts_with("/api/") {
        let mut e = crate::error::ApiError::from_refusal(&r, lang);
        e.status = StatusCode::METHOD_NOT_ALLOWED;
        return e.into_response();
    }
    let c = Chrome::new(lang, None, "/");
    let title = c.t("error").to_string();
    let message = r.message.get(c.code()).to_string();
    (
        StatusCode::METHOD_NOT_ALLOWED,
        render(&ErrorPage { c, title, message }),
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct LangQuery {
    to: Option<String>,
    next: Option<String>,
}

/// Remember the chosen language in a cookie and go back.
async fn switch_lang(Query(q): Query<LangQuery>) -> impl IntoResponse {
    let lang = if q.to.as_deref() == Some("en") {
        "en"
    } else {
        "zh"
    };
    let next = q
        .next
        .as_deref()
        .and_then(crate::auth::safe_path)
        .unwrap_or_else(|| "/".into());
    let mut headers = HeaderMap::new();
    if let Ok(v) = format!("lang={lang}; Path=/; SameSite=Lax; Max-Age=31536000").parse() {
        headers.insert(header::SET_COOKIE, v);
    }
    (headers, Redirect::to(&next))
}

/// Fen as a form field's value in yuan (`-0.50`, `50000.00`): plain
/// digits that the form's parser reads back. Pages show money with
/// `fmt::money` (`c.money(..)`).
pub fn yuan(fen: &i64) -> String {
    sunshine_domain::money::Fen(*fen).to_string()
}
