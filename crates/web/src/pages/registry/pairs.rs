//! `/staff/registry/pairs`: a district registrar's review of records that
//! may be one person, side by side, with how each field agrees; merge,
//! keep apart, or undo either.

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::response::Response;
use serde::Deserialize;
use sunshine_app::registry::{PairDecision, PairView};
use sunshine_domain::registry::linkage::{Agreement, BirthAgreement, NameAgreement};
use sunshine_domain::registry::view::Field;

use super::super::{bad_token, error_page, flash, render, Chrome};
use super::records::shown_value;
use crate::auth::{csrf_ok, StaffSession};
use crate::i18n::Lang;
use crate::AppState;

const PLACE: &str = "/staff/registry/pairs";

pub struct PairLine {
    pub id: i64,
    pub score: String,
    /// (field, record a's value, record b's value).
    pub rows: Vec<(String, String, String)>,
    /// How each compared field agrees, in words.
    pub agreement: String,
    pub state: String,
    pub open: bool,
}

#[derive(Template)]
#[template(path = "registry/pairs.html")]
struct PairsPage {
    c: Chrome,
    open: Vec<PairLine>,
    decided: Vec<PairLine>,
}

fn agreement_words(c: &Chrome, p: &PairView) -> String {
    let x = &p.comparison;
    let name = match x.name {
        NameAgreement::Exact => c.pick("姓名相同", "same name"),
        NameAgreement::Homophone => c.pick("姓名同音", "names read alike"),
        NameAgreement::Dialect => c.pick("姓名近音", "names sound alike"),
        NameAgreement::Close => c.pick("姓名相近", "names close"),
        NameAgreement::Different => c.pick("姓名不同", "names differ"),
    };
    let birth = match x.birth {
        BirthAgreement::Exact => c.pick("出生日期相同", "same birth date"),
        BirthAgreement::SameYear => c.pick("出生年份相同", "same birth year"),
        BirthAgreement::Near => c.pick("出生日期相近", "birth dates close"),
        BirthAgreement::FromAge => c.pick("出生年份差一年", "birth years a year apart"),
        BirthAgreement::Different => c.pick("出生日期不同", "births differ"),
    };
    let other = |a: Agreement,
                 same: (&'static str, &'static str),
                 similar: (&'static str, &'static str)| match a {
        Agreement::Same => Some(c.pick(same.0, same.1)),
        Agreement::Similar => Some(c.pick(similar.0, similar.1)),
        _ => None,
    };
    let mut words = vec![name, birth];
    words.extend(other(
        x.address,
        ("地址相同", "same address"),
        ("地址相近", "addresses close"),
    ));
    words.extend(other(
        x.household,
        ("同一户", "same household"),
        ("同一社区", "same community"),
    ));
    words.extend(other(x.phone, ("电话相同", "same phone"), ("", "")));
    words.join(c.pick("，", ", "))
}

fn line(s: &AppState, lang: Lang, c: &Chrome, p: &PairView) -> PairLine {
    let rows = Field::ALL
        .into_iter()
        .filter_map(|f| {
            let (a, b) = (p.a.get(f)?, p.b.get(f)?);
            Some((
                f.label().get(lang.code()).to_string(),
                shown_value(s, lang, f, a),
                shown_value(s, lang, f, b),
            ))
        })
        .collect();
    PairLine {
        id: p.id,
        score: format!("{:.1}", p.score),
        rows,
        agreement: agreement_words(c, p),
        state: match p.state.as_str() {
            "merged" => c.pick("已合并", "Merged"),
            "apart" => c.pick("确认非同一人", "Kept apart"),
            _ => c.pick("待审核", "To review"),
        }
        .to_string(),
        open: p.state == "open",
    }
}

pub async fn page(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
) -> Response {
    let c = Chrome::new(lang, Some(&session), PLACE);
    let (open, decided) = match (
        s.app.registry_pairs(&session.actor, false).await,
        s.app.registry_pairs(&session.actor, true).await,
    ) {
        (Ok(o), Ok(d)) => (o, d),
        (Err(e), _) | (_, Err(e)) => return error_page(c, e),
    };
    let open = open.iter().map(|p| line(&s, lang, &c, p)).collect();
    let decided = decided
        .iter()
        .take(50)
        .map(|p| line(&s, lang, &c, p))
        .collect();
    render(&PairsPage { c, open, decided })
}

#[derive(Debug, Default, Deserialize)]
pub struct DecideForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub decision: String,
}

pub async fn decide(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Path(id): Path<i64>,
    Form(f): Form<DecideForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), PLACE);
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    let decision = match f.decision.as_str() {
        "merge" => PairDecision::Merge,
        "keep_apart" => PairDecision::KeepApart,
        _ => PairDecision::Reopen,
    };
    match s
        .app
        .decide_registry_pair(&session.actor, id, decision)
        .await
    {
        Ok(_) => {
            let (zh, en) = match decision {
                PairDecision::Merge => ("已合并为同一人", "Merged: one person"),
                PairDecision::KeepApart => ("已确认为不同的人", "Kept apart: two persons"),
                PairDecision::Reopen => ("已撤销，重新待审核", "Undone: open for review again"),
            };
            flash::redirect(PLACE, zh, en)
        }
        Err(e) => error_page(c, e),
    }
}
