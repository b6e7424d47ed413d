//! 实名: signing up online (`/signup`), binding the account to its identity
//! (`/account/bind`, with a counter's code or the citizen card and its PIN),
//! and the counter's page that issues binding codes (`/staff/binding`).

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Form, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sunshine_app::identity::binding::{IssuedBindingCode, NewBindingCode};
use sunshine_app::identity::{NewApplicant, Session};
use sunshine_app::AppError;
use sunshine_domain::clock::{from_micros, local_display};
use sunshine_domain::identity::UserKind;

use super::{bad_token, error_page, render, Chrome};
use crate::auth::{csrf_ok, session_cookie, FormToken, MaybeSession, SignedIn, StaffSession};
use crate::i18n::Lang;
use crate::AppState;

/// Field errors and the overall message of a refusal, for a form.
fn problems(lang: Lang, e: &AppError) -> Option<(BTreeMap<String, String>, String)> {
    match e {
        AppError::Refused(r) => Some((
            r.field_messages(lang.code()),
            r.message.get(lang.code()).to_string(),
        )),
        AppError::Internal(_) => None,
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct SignupForm {
    /// The pre-session form token (login CSRF's cousin: nobody else's page
    /// may sign a visitor up and in).
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    number: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_again: String,
}

#[derive(Template)]
#[template(path = "real_name/signup.html")]
struct SignupPage {
    c: Chrome,
    form_token: String,
    f: SignupForm,
    errors: BTreeMap<String, String>,
    message: String,
}

impl SignupPage {
    fn err(&self, field: &str) -> String {
        self.errors.get(field).cloned().unwrap_or_default()
    }
    fn enterprise(&self) -> bool {
        self.f.kind == "enterprise"
    }
}

/// `GET /signup`
pub async fn signup_form(
    lang: Lang,
    MaybeSession(session): MaybeSession,
    headers: HeaderMap,
) -> Response {
    let c = Chrome::new(lang, session.as_ref(), "/signup");
    let form = FormToken::for_visitor(&headers);
    (
        form.set_cookie(),
        render(&SignupPage {
            c,
            form_token: form.token,
            f: SignupForm::default(),
            errors: BTreeMap::new(),
            message: String::new(),
        }),
    )
        .into_response()
}

/// `POST /signup`: make the account, sign it in, and go to binding. The
/// answer is the same whether the number has an account already or not.
pub async fn signup(
    State(s): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    Form(f): Form<SignupForm>,
) -> Response {
    let c = Chrome::new(lang, None, "/signup");
    if !FormToken::accepts(&headers, &f.csrf) {
        return bad_token(c);
    }
    let form_token = FormToken::for_visitor(&headers).token;
    let again = |f: SignupForm, errors: BTreeMap<String, String>, message: String| {
        let f = SignupForm {
            password: String::new(),
            password_again: String::new(),
            ..f
        };
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            render(&SignupPage {
                c: Chrome::new(lang, None, "/signup"),
                form_token: form_token.clone(),
                f,
                errors,
                message,
            }),
        )
            .into_response()
    };
    if f.password != f.password_again {
        let mut errors = BTreeMap::new();
        errors.insert(
            "password_again".to_string(),
            c.pick("两次输入的密码不一致", "The two passwords differ")
                .to_string(),
        );
        return again(f, errors, String::new());
    }
    let new = NewApplicant {
        login: f.login.clone(),
        number: f.number.clone(),
        name: f.name.clone(),
        password: f.password.clone(),
    };
    let made = if f.kind == "enterprise" {
        s.app.register_enterprise(new).await
    } else {
        s.app.register_citizen(new).await
    };
    if let Err(e) = made {
        return match problems(lang, &e) {
            Some((mut errors, message)) => {
                // The form has one number field for either kind.
                for key in ["id_number", "credit_code"] {
                    if let Some(m) = errors.remove(key) {
                        errors.insert("number".into(), m);
                    }
                }
                again(f, errors, message)
            }
            None => error_page(c, e),
        };
    }
    match s.app.sign_in(&f.login, &f.password).await {
        Ok(session) => {
            let mut headers = HeaderMap::new();
            if let Ok(v) = session_cookie(&session.token).parse() {
                headers.insert(header::SET_COOKIE, v);
            }
            (headers, Redirect::to("/account/bind?new=1")).into_response()
        }
        Err(e) => error_page(c, e),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct BindForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    card_number: String,
    #[serde(default)]
    pin: String,
}

#[derive(Template)]
#[template(path = "real_name/bind.html")]
struct BindPage {
    c: Chrome,
    verified: bool,
    citizen: bool,
    name: String,
    just_signed_up: bool,
    f: BindForm,
    errors: BTreeMap<String, String>,
    message: String,
}

impl BindPage {
    fn err(&self, field: &str) -> String {
        self.errors.get(field).cloned().unwrap_or_default()
    }
}

fn bind_page(
    lang: Lang,
    session: &Session,
    f: BindForm,
    errors: BTreeMap<String, String>,
    message: String,
    just_signed_up: bool,
) -> BindPage {
    BindPage {
        c: Chrome::new(lang, Some(session), "/account/bind"),
        verified: session.actor.is_verified(),
        citizen: session.actor.kind == UserKind::Citizen,
        name: session.actor.display_name.clone(),
        just_signed_up,
        f: BindForm {
            pin: String::new(),
            ..f
        },
        errors,
        message,
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct BindQuery {
    new: Option<String>,
}

/// `GET /account/bind`
pub async fn bind_form(
    lang: Lang,
    SignedIn(session): SignedIn,
    axum::extract::Query(q): axum::extract::Query<BindQuery>,
) -> Response {
    if session.actor.kind == UserKind::Staff {
        return Redirect::to("/staff/").into_response();
    }
    render(&bind_page(
        lang,
        &session,
        BindForm::default(),
        BTreeMap::new(),
        String::new(),
        q.new.is_some(),
    ))
}

/// `POST /account/bind`: with a counter's code, or the card's number and PIN.
pub async fn bind(
    State(s): State<AppState>,
    lang: Lang,
    SignedIn(session): SignedIn,
    Form(f): Form<BindForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/account/bind");
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    let result = if !f.code.trim().is_empty() {
        s.app.bind_with_code(&session.actor, &f.code).await
    } else {
        s.app
            .bind_with_card(&session.actor, &f.card_number, &f.pin)
            .await
    };
    match result {
        Ok(_) => Redirect::to("/account/bind").into_response(),
        Err(e) => match problems(lang, &e) {
            Some((errors, message)) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                render(&bind_page(lang, &session, f, errors, message, false)),
            )
                .into_response(),
            None => error_page(c, e),
        },
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    number: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    legal_rep_name: String,
    #[serde(default)]
    legal_rep_id: String,
}

#[derive(Template)]
#[template(path = "real_name/binding.html")]
struct CounterPage {
    c: Chrome,
    f: CodeForm,
    issued: Option<(String, String, String)>,
    errors: BTreeMap<String, String>,
    message: String,
}

impl CounterPage {
    fn err(&self, field: &str) -> String {
        self.errors.get(field).cloned().unwrap_or_default()
    }
}

/// `GET /staff/binding`: the counter's form for a binding code.
pub async fn counter(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/binding");
    if let Err(e) = may_issue(&s, &session) {
        return error_page(c, e);
    }
    render(&CounterPage {
        c,
        f: CodeForm::default(),
        issued: None,
        errors: BTreeMap::new(),
        message: String::new(),
    })
}

/// Only counter clerks see the page at all.
fn may_issue(s: &AppState, session: &Session) -> Result<(), AppError> {
    let Some(org) = session.actor.org.as_ref() else {
        return Err(sunshine_domain::Refusal::forbidden(
            "forbidden",
            "您没有执行此操作的权限",
            "You are not allowed to do this",
        )
        .into());
    };
    s.app.authorize(
        &session.actor,
        &sunshine_domain::policy::Action::IssueBindingCode { counter: org },
    )
}

/// `POST /staff/binding`: issue a code and show it once.
pub async fn issue(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Form(f): Form<CodeForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/binding");
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    let enterprise = f.kind == "enterprise";
    let input = NewBindingCode {
        kind: if enterprise { "enterprise" } else { "citizen" }.into(),
        number: f.number.clone(),
        name: f.name.clone(),
        legal_rep_name: enterprise.then(|| f.legal_rep_name.clone()),
        legal_rep_id: enterprise.then(|| f.legal_rep_id.clone()),
        counter: None,
    };
    match s.app.issue_binding_code(&session.actor, input).await {
        Ok(IssuedBindingCode {
            code,
            expires_at,
            for_number,
        }) => {
            let until = local_display(from_micros(expires_at));
            render(&CounterPage {
                c,
                f: CodeForm::default(),
                issued: Some((code, for_number, until)),
                errors: BTreeMap::new(),
                message: String::new(),
            })
        }
        Err(e) => match problems(lang, &e) {
            Some((errors, message)) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                render(&CounterPage {
                    c,
                    f,
                    issued: None,
                    errors,
                    message,
                }),
            )
                .into_response(),
            None => error_page(c, e),
        },
    }
}
