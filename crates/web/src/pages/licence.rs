//! E-licence pages (电子证照): a licence with its verdict and QR code, its
//! file for download, public verification by number or signed data, the
//! published keys, and revocation by an approver.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sunshine_app::licence::LicenceRecord;
use sunshine_app::AppError;
use sunshine_domain::clock::{from_micros, local_display};
use sunshine_domain::hall::licence::{self as rules, LicencePayload, Verdict};
use sunshine_domain::identity::Actor;
use sunshine_domain::ids::OrgCode;
use sunshine_domain::policy::Action;

use super::{bad_token, error_page, render, Chrome};
use crate::api::licence::licence_view;
use crate::auth::{csrf_ok, url_escape, MaybeSession, StaffSession};
use crate::i18n::Lang;
use crate::AppState;

/// A licence's signed fields and its verdict, ready to show.
pub struct LicenceShown {
    pub p: LicencePayload,
    pub issued_at: String,
    /// `valid`, `revoked` or `forged`, for the style.
    pub verdict: &'static str,
    /// The verdict in plain words.
    pub verdict_text: String,
}

impl LicenceShown {
    fn new(r: &LicenceRecord, lang: Lang) -> LicenceShown {
        LicenceShown {
            p: r.payload.clone(),
            issued_at: local_display(from_micros(r.row.issued_at)),
            verdict: verdict_code(&r.verdict),
            verdict_text: verdict_words(&r.verdict, Some(r), lang),
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

/// What a verdict means, said plainly.
fn verdict_words(v: &Verdict, record: Option<&LicenceRecord>, lang: Lang) -> String {
    let issuer = record.map(|r| r.payload.issuer_name.as_str()).unwrap_or("");
    match v {
        Verdict::Valid if lang.is_en() => format!(
            "Valid: this licence was signed by {issuer}, has not been altered, and is in force."
        ),
        Verdict::Valid => format!("有效：该证照由{issuer}签发，内容未被改动，目前有效。"),
        Verdict::Revoked { reason } => {
            let on = record
                .and_then(|r| r.row.revoked_at)
                .map(|t| local_display(from_micros(t)))
                .unwrap_or_default();
            if lang.is_en() {
                format!("Revoked: this licence was genuinely signed by {issuer}, but was revoked on {on}. Reason: {reason}")
            } else {
                format!("已撤销：该证照确由{issuer}签发，但已于{on}撤销。撤销理由：{reason}")
            }
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
fn public_origin(config: &crate::config::WebConfig, headers: &HeaderMap) -> String {
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
fn qr_svg(text: &str) -> String {
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
#[template(path = "licence.html")]
struct LicencePage {
    c: Chrome,
    l: LicenceShown,
    verify_url: String,
    qr: String,
    issuer: String,
    public_key: String,
    signature: String,
    canonical: String,
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

fn licence_page(
    s: &AppState,
    c: Chrome,
    headers: &HeaderMap,
    r: LicenceRecord,
    actor: Option<&Actor>,
    reason: String,
    reason_error: String,
) -> LicencePage {
    let verify_url = format!(
        "{}/licences/verify?token={}",
        public_origin(&s.guard.config, headers),
        url_escape(&r.token)
    );
    LicencePage {
        l: LicenceShown::new(&r, c.lang),
        qr: qr_svg(&verify_url),
        verify_url,
        can_revoke: r.row.revoked_at.is_none() && may_revoke(s, actor, &r.row.issuer),
        issuer: r.row.issuer,
        public_key: r.public_key,
        signature: r.row.signature,
        canonical: r.row.payload,
        reason,
        reason_error,
        c,
    }
}

/// `/licences/{number}`: the licence, its verdict and its QR code.
pub async fn show(
    State(s): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    MaybeSession(session): MaybeSession,
    Path(number): Path<String>,
) -> Response {
    let here = format!("/licences/{}", url_escape(&number));
    let c = Chrome::new(lang, session.as_ref(), &here);
    match s.app.licence(&number).await {
        Ok(r) => {
            let actor = session.as_ref().map(|s| &s.actor);
            render(&licence_page(
                &s,
                c,
                &headers,
                r,
                actor,
                String::new(),
                String::new(),
            ))
        }
        Err(e) => error_page(c, e),
    }
}

/// `/licences/{number}/file`: the licence as a file: its signed canonical
/// text, the signature, the issuer's public key and the token.
pub async fn download(
    State(s): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    Path(number): Path<String>,
) -> Response {
    let c = Chrome::new(lang, session.as_ref(), "/licences/verify");
    match s.app.licence(&number).await {
        Ok(r) => {
            let name = format!("{}.json", r.row.number);
            let body = serde_json::to_string_pretty(&licence_view(r)).unwrap_or_default();
            (
                [
                    (header::CONTENT_TYPE, "application/json".to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{name}\""),
                    ),
                ],
                body,
            )
                .into_response()
        }
        Err(e) => error_page(c, e),
    }
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
        Ok(()) => Redirect::to(&here).into_response(),
        Err(AppError::Refused(r)) if r.fields.contains_key("reason") => {
            let message = r
                .fields
                .get("reason")
                .map(|t| t.get(lang.code()).to_string())
                .unwrap_or_default();
            match s.app.licence(&number).await {
                Ok(record) => (
                    crate::error::status_of(r.kind),
                    render(&licence_page(
                        &s,
                        c,
                        &headers,
                        record,
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
#[template(path = "licence_verify.html")]
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

/// `/licences/verify`: anyone checks a licence by number or by its signed data.
pub async fn verify(
    State(s): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    Query(q): Query<VerifyQuery>,
) -> Response {
    let c = Chrome::new(lang, session.as_ref(), "/licences/verify");
    let checked = if !q.token.trim().is_empty() {
        s.app
            .verify_licence_token(&token_from_paste(&q.token))
            .await
            .map(Some)
    } else if !q.number.trim().is_empty() {
        match s.app.licence(&q.number).await {
            Ok(r) => Ok(Some((r.verdict.clone(), Some(r)))),
            Err(AppError::Refused(_)) => Ok(Some((Verdict::Forged, None))),
            Err(e) => Err(e),
        }
    } else {
        Ok(None)
    };
    let (result, licence) = match checked {
        Ok(Some((verdict, record))) => (
            Some((
                verdict_code(&verdict),
                verdict_words(&verdict, record.as_ref(), lang),
            )),
            record.map(|r| LicenceShown::new(&r, lang)),
        ),
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
#[template(path = "licence_keys.html")]
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
