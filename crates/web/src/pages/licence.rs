//! E-licence pages (电子证照): a licence with its verdict and QR code, its
//! file for download, public verification by number or signed data, the
//! published keys, and revocation by an approver.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sunshine_app::licence::{LicenceAnswer, LicenceRecord};
use sunshine_app::AppError;
use sunshine_domain::identity::Actor;
use sunshine_domain::ids::OrgCode;
use sunshine_domain::licence::{self as rules, Verdict};
use sunshine_domain::policy::Action;

mod pdf;

use super::{bad_token, error_page, render, Chrome};
use crate::auth::{csrf_ok, url_escape, MaybeSession, StaffSession};
use crate::i18n::Lang;
use crate::views::licence::licence_view;
use crate::AppState;

/// A licence and its verdict, ready to show: with the number alone what
/// the public board shows, in full for its holder, the issuer's staff or
/// the QR code's token.
pub struct LicenceShown {
    pub number: String,
    pub case_number: String,
    pub item_code: String,
    pub item_name: String,
    pub holder: String,
    /// In full only.
    pub holder_id: Option<String>,
    pub issuer: String,
    pub issuer_name: String,
    pub decided_on: String,
    pub issued_at: String,
    /// `valid`, `revoked` or `forged`, for the style.
    pub verdict: &'static str,
    /// The verdict in plain words.
    pub verdict_text: String,
    /// The token, the signature, the public key and the signed text.
    pub full: Option<LicenceRecord>,
    /// Where the file downloads from (with the token when that is what showed it).
    pub file_href: String,
    /// The full licence's page, for whoever holds the token.
    pub full_href: String,
}

impl LicenceShown {
    fn new(answer: LicenceAnswer, lang: Lang, by_token: bool) -> LicenceShown {
        match answer {
            LicenceAnswer::Full(r) => {
                let p = r.payload.clone();
                let escaped = url_escape(&p.number);
                // Whoever sees the full licence sees its QR code's token, so its
                // file's link carries it: the file opens wherever it is taken.
                let token = url_escape(&r.token);
                let file_href = format!("/licences/{escaped}/file?token={token}");
                let full_href = if by_token {
                    format!("/licences/{escaped}?token={token}")
                } else {
                    format!("/licences/{escaped}")
                };
                LicenceShown {
                    issued_at: super::fmt::when(lang, r.row.issued_at),
                    verdict: verdict_code(&r.verdict),
                    verdict_text: verdict_words(&r.verdict, &p.issuer_name, r.row.revoked_at, lang),
                    number: p.number,
                    case_number: p.case_number,
                    item_code: p.item_code,
                    item_name: p.item_name,
                    holder: p.holder,
                    holder_id: Some(p.holder_id),
                    issuer: p.issuer,
                    issuer_name: p.issuer_name,
                    decided_on: p.decided_on,
                    file_href,
                    full_href,
                    full: Some(r),
                }
            }
            LicenceAnswer::Public(p) => {
                let escaped = url_escape(&p.number);
                LicenceShown {
                    issued_at: super::fmt::when(lang, p.issued_at),
                    verdict: verdict_code(&p.verdict),
                    verdict_text: verdict_words(&p.verdict, &p.issuer_name, p.revoked_at, lang),
                    file_href: format!("/licences/{escaped}/file"),
                    full_href: format!("/licences/{escaped}"),
                    number: p.number,
                    case_number: p.case_number,
                    item_code: p.item_code,
                    item_name: p.item_name,
                    holder: p.holder,
                    holder_id: None,
                    issuer: p.issuer,
                    issuer_name: p.issuer_name,
                    decided_on: p.decided_on,
                    full: None,
                }
            }
        }
    }
}

fn verdict_code(v: &Verdict) -> &'static str {
    match v {
        Verdict::Valid => "valid",
        Verdict::Revoked { .. } => "revoked",
        Verdict::Forged => "forged",
    }
}

/// What a verdict means, said plainly; a revocation's reason only when it
/// is shown (in full).
fn verdict_words(v: &Verdict, issuer: &str, revoked_at: Option<i64>, lang: Lang) -> String {
    match v {
        // In English the issuer's (Chinese) name is left to the licence's fields.
        Verdict::Valid if lang.is_en() => "Valid: this licence was signed by the issuer named on it, has not been altered, and is in force.".to_string(),
        Verdict::Valid => format!("有效：该证照由{issuer}签发，内容未被改动，目前有效。"),
        Verdict::Revoked { reason } => {
            let on = revoked_at
                .map(|t| super::fmt::when(lang, t))
                .unwrap_or_default();
            let mut words = if lang.is_en() {
                format!("Revoked: this licence was genuinely signed by the issuer named on it, but was revoked on {on}.")
            } else {
                format!("已撤销：该证照确由{issuer}签发，但已于{on}撤销。")
            };
            if !reason.is_empty() && !lang.is_en() {
                words.push_str(&format!("撤销理由：{reason}"));
            }
            words
        }
        Verdict::Forged => lang
            .pick(
                "无效：平台上没有与此一致的证照——编号不存在、签名不符或内容被改动。请勿采信。",
                "Not genuine: the platform holds no licence that matches — the number does not exist, the signature does not match, or the content was altered. Do not rely on it.",
            )
            .to_string(),
    }
}

/// The site's address for links printed in QR codes: `--public-url` when it
/// is set, else the `Host` the request came to. `X-Forwarded-*` headers are
/// never believed: anyone can send them, and a printed link must not point
/// to a host the sender chose.
pub(crate) fn public_origin(config: &crate::config::WebConfig, headers: &HeaderMap) -> String {
    if let Some(origin) = config.public_origin() {
        return origin;
    }
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .unwrap_or("127.0.0.1:8080");
    format!("http://{host}")
}

/// A QR code of `text` as inline SVG.
pub(crate) fn qr_svg(text: &str) -> String {
    match qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::L) {
        Ok(code) => {
            let svg = code
                .render::<qrcode::render::svg::Color>()
                .quiet_zone(true)
                .build();
            // Inline in HTML: drop the XML declaration.
            match svg.find("<svg") {
                Some(i) => svg[i..].to_string(),
                None => svg,
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "the QR code could not be made");
            String::new()
        }
    }
}

#[derive(Template)]
#[template(path = "licence/licence.html")]
struct LicencePage {
    c: Chrome,
    l: LicenceShown,
    /// The QR code's link and picture, in full only.
    verify_url: String,
    qr: String,
    can_revoke: bool,
    reason: String,
    reason_error: String,
}

fn may_revoke(s: &AppState, actor: Option<&Actor>, issuer: &str) -> bool {
    let (Some(actor), Ok(issuer)) = (actor, OrgCode::parse(issuer)) else {
        return false;
    };
    s.app
        .authorize(
            actor,
            &Action::RevokeLicence {
                department: &issuer,
            },
        )
        .is_ok()
}

#[allow(clippy::too_many_arguments)]
fn licence_page(
    s: &AppState,
    c: Chrome,
    headers: &HeaderMap,
    answer: LicenceAnswer,
    by_token: bool,
    actor: Option<&Actor>,
    reason: String,
    reason_error: String,
) -> LicencePage {
    let revocable = answer.revocable_here();
    let l = LicenceShown::new(answer, c.lang, by_token);
    let verify_url = match &l.full {
        Some(r) => verify_url_of(s, headers, r),
        None => String::new(),
    };
    let revoked = l.verdict == "revoked";
    LicencePage {
        qr: if verify_url.is_empty() {
            String::new()
        } else {
            qr_svg(&verify_url)
        },
        verify_url,
        can_revoke: !revoked && revocable && may_revoke(s, actor, &l.issuer),
        l,
        reason,
        reason_error,
        c,
    }
}

#[derive(Deserialize, Default)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// `/licences/{number}`: the licence and its verdict; in full, with its QR
/// code, for its holder, the issuer's staff or the QR code's token.
pub async fn show(
    State(s): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    MaybeSession(session): MaybeSession,
    Path(number): Path<String>,
    Query(q): Query<TokenQuery>,
) -> Response {
    let here = format!("/licences/{}", url_escape(&number));
    let c = Chrome::new(lang, session.as_ref(), &here);
    let actor = session.as_ref().map(|s| &s.actor);
    let token = Some(q.token.as_str()).filter(|t| !t.trim().is_empty());
    match s.app.licence(actor, &number, token).await {
        Ok(answer) => {
            let by_token = token.is_some() && matches!(answer, LicenceAnswer::Full(_));
            render(&licence_page(
                &s,
                c,
                &headers,
                answer,
                by_token,
                actor,
                String::new(),
                String::new(),
            ))
        }
        Err(e) => error_page(c, e),
    }
}

#[derive(Deserialize, Default)]
pub struct FileQuery {
    #[serde(default)]
    token: String,
    /// `json` for the signed data, for machines; else the printable PDF.
    #[serde(default)]
    format: String,
}

/// The link a licence's QR code carries: its verification with its token.
fn verify_url_of(s: &AppState, headers: &HeaderMap, record: &LicenceRecord) -> String {
    format!(
        "{}/licences/verify?token={}",
        public_origin(&s.guard.config, headers),
        url_escape(&record.token)
    )
}

/// `/licences/{number}/file`: the licence as a document to print, a PDF
/// with its QR code (for those who may see it in full; else what the board
/// shows, without one); with `?format=json`, its signed data (the canonical
/// text, the signature, the issuer's public key and the token) for machines.
/// A revoked licence is not handed out as a document to show.
pub async fn download(
    State(s): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    MaybeSession(session): MaybeSession,
    Path(number): Path<String>,
    Query(q): Query<FileQuery>,
) -> Response {
    let c = Chrome::new(lang, session.as_ref(), "/licences/verify");
    let actor = session.as_ref().map(|s| &s.actor);
    let token = Some(q.token.as_str()).filter(|t| !t.trim().is_empty());
    let answer = match s.app.licence(actor, &number, token).await {
        Ok(answer) => answer,
        Err(e) => return error_page(c, e),
    };
    let attachment = |kind: &str, name: String, body: Vec<u8>| {
        (
            [
                (header::CONTENT_TYPE, kind.to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            ],
            body,
        )
            .into_response()
    };
    if q.format == "json" {
        let name = format!("{}.json", answer.number());
        let body = serde_json::to_string_pretty(&licence_view(answer)).unwrap_or_default();
        return attachment("application/json", name, body.into_bytes());
    }
    match answer.verdict() {
        Verdict::Valid => {}
        Verdict::Revoked { .. } => {
            let message = c
                .pick(
                    "该证照已撤销，不再提供可打印的证照文件。可在本页查看撤销情况。",
                    "This licence has been revoked: it is no longer given out as a document to print. Its page says when and why.",
                )
                .to_string();
            return refusal_page(c, StatusCode::GONE, message);
        }
        Verdict::Forged => {
            let message = c
                .pick(
                    "平台上没有与此一致的证照，不能下载。",
                    "The platform holds no licence that matches: there is nothing to download.",
                )
                .to_string();
            return refusal_page(c, StatusCode::NOT_FOUND, message);
        }
    }
    let verify_url = match &answer {
        LicenceAnswer::Full(r) => Some(verify_url_of(&s, &headers, r)),
        LicenceAnswer::Public(_) => None,
    };
    let shown = LicenceShown::new(answer, Lang::Zh, false);
    let body = pdf::licence_pdf(&shown, verify_url.as_deref());
    attachment("application/pdf", format!("{}.pdf", shown.number), body)
}

/// An error page with its status and words.
fn refusal_page(c: Chrome, status: StatusCode, message: String) -> Response {
    let title = c.t("error").to_string();
    (status, render(&super::ErrorPage { c, title, message })).into_response()
}

#[derive(Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

/// The approver's revocation form on the licence page.
pub async fn revoke(
    State(s): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    StaffSession(session): StaffSession,
    Path(number): Path<String>,
    Form(f): Form<RevokeForm>,
) -> Response {
    let here = format!("/licences/{}", url_escape(&number));
    let c = Chrome::new(lang, Some(&session), &here);
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    match s
        .app
        .revoke_licence(&session.actor, &number, &f.reason)
        .await
    {
        Ok(()) => super::flash::redirect(
            &here,
            format!("已撤销证照 {number}"),
            format!("Licence {number} revoked"),
        ),
        Err(AppError::Refused(r)) if r.fields.contains_key("reason") => {
            let message = r
                .fields
                .get("reason")
                .map(|t| t.get(lang.code()).to_string())
                .unwrap_or_default();
            match s.app.licence(Some(&session.actor), &number, None).await {
                Ok(answer) => (
                    crate::error::status_of(r.kind),
                    render(&licence_page(
                        &s,
                        c,
                        &headers,
                        answer,
                        false,
                        Some(&session.actor),
                        f.reason,
                        message,
                    )),
                )
                    .into_response(),
                Err(e) => error_page(c, e),
            }
        }
        Err(e) => error_page(c, e),
    }
}

#[derive(Deserialize, Default)]
pub struct VerifyQuery {
    #[serde(default)]
    number: String,
    #[serde(default)]
    token: String,
}

#[derive(Template)]
#[template(path = "licence/verify.html")]
struct VerifyPage {
    c: Chrome,
    number: String,
    token: String,
    /// The verdict's style and words, once something was checked.
    result: Option<(&'static str, String)>,
    licence: Option<LicenceShown>,
}

/// What was pasted, as a token: the token itself, a verification link, or a
/// downloaded licence file.
fn token_from_paste(pasted: &str) -> String {
    let pasted = pasted.trim();
    if let Some((_, rest)) = pasted.split_once("token=") {
        return rest.split('&').next().unwrap_or("").to_string();
    }
    if let Ok(file) = serde_json::from_str::<serde_json::Value>(pasted) {
        if let Some(t) = file["token"].as_str() {
            return t.to_string();
        }
        if let (Some(text), Some(sig)) = (file["canonical"].as_str(), file["signature"].as_str()) {
            return rules::token(text, sig);
        }
    }
    pasted.to_string()
}

/// `/licences/verify`: anyone checks a licence by number (and sees what the
/// board shows) or by its signed data (and sees it in full, with a link to
/// its page).
pub async fn verify(
    State(s): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    Query(q): Query<VerifyQuery>,
) -> Response {
    let c = Chrome::new(lang, session.as_ref(), "/licences/verify");
    let actor = session.as_ref().map(|s| &s.actor);
    let checked = if !q.token.trim().is_empty() {
        s.app
            .verify_licence_token(&token_from_paste(&q.token))
            .await
            .map(|(verdict, record)| {
                let words = match &record {
                    Some(r) => {
                        verdict_words(&verdict, &r.payload.issuer_name, r.row.revoked_at, lang)
                    }
                    None => verdict_words(&verdict, "", None, lang),
                };
                let shown = record.map(|r| LicenceShown::new(LicenceAnswer::Full(r), lang, true));
                Some((verdict_code(&verdict), words, shown))
            })
    } else if !q.number.trim().is_empty() {
        match s.app.licence(actor, &q.number, None).await {
            Ok(answer) => {
                let shown = LicenceShown::new(answer, lang, false);
                Ok(Some((
                    shown.verdict,
                    shown.verdict_text.clone(),
                    Some(shown),
                )))
            }
            Err(AppError::Refused(_)) => Ok(Some((
                verdict_code(&Verdict::Forged),
                verdict_words(&Verdict::Forged, "", None, lang),
                None,
            ))),
            Err(e) => Err(e),
        }
    } else {
        Ok(None)
    };
    let (result, licence) = match checked {
        Ok(Some((code, words, shown))) => (Some((code, words)), shown),
        Ok(None) => (None, None),
        Err(e) => return error_page(c, e),
    };
    render(&VerifyPage {
        c,
        number: q.number,
        token: q.token,
        result,
        licence,
    })
}

#[derive(Template)]
#[template(path = "licence/keys.html")]
struct KeysPage {
    c: Chrome,
    /// (organisation code, name, public key).
    keys: Vec<(String, String, String)>,
}

/// `/licences/keys`: every issuer's public key.
pub async fn keys(
    State(s): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
) -> Response {
    let c = Chrome::new(lang, session.as_ref(), "/licences/keys");
    match s.app.public_keys().await {
        Ok(keys) => {
            let orgs = s.app.orgs();
            render(&KeysPage {
                keys: keys
                    .into_iter()
                    .map(|(org, key)| {
                        let name = orgs.name(&org, lang.code());
                        (org, name, key)
                    })
                    .collect(),
                c,
            })
        }
        Err(e) => error_page(c, e),
    }
}
