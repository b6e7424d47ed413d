//! A case as a page shows it: its line in a list, its steps, files,
//! history and due dates.

use super::*;

/// A case as a row of a list.
pub struct CaseLineView {
    pub number: String,
    pub item_name: String,
    pub department: String,
    pub applicant: String,
    pub state_code: &'static str,
    pub state: String,
    pub promised_due: String,
    pub legal_due: String,
    pub submitted_at: String,
}

pub fn line_views(s: &AppState, lang: Lang, lines: Vec<CaseLine>) -> Vec<CaseLineView> {
    let orgs = s.app.orgs();
    lines
        .into_iter()
        .map(|l| CaseLineView {
            state_code: l.case.facts.state.name(),
            state: state_label(lang, &l.case.facts.state, l.item_type),
            department: orgs.name(&l.case.department, lang.code()),
            applicant: l.case.applicant_public,
            promised_due: day_of(lang, l.case.promised_due.as_deref()),
            legal_due: day_of(lang, l.case.legal_due.as_deref()),
            submitted_at: fmt::when(lang, l.case.submitted_at),
            number: l.case.number,
            item_name: l.item_name,
        })
        .collect()
}

/// A stored `YYYY-MM-DD` due date for people; empty when there is none.
pub(crate) fn day_of(lang: Lang, iso: Option<&str>) -> String {
    iso.map(|d| fmt::day_str(lang, d)).unwrap_or_default()
}

/// A step of the item's process, with the case's place in it.
pub struct StepView {
    pub no: usize,
    pub name: String,
    pub post: String,
    pub limit: String,
    pub current: bool,
}

/// A stored file, ready to list.
pub struct FileView {
    pub material: String,
    pub file_name: String,
    pub size: String,
    pub content_type: String,
    pub added_by: String,
    pub added_at: String,
    pub url: String,
}

/// Everything a case's page shows, for its applicant and for staff.
pub struct CaseDetail {
    pub number: String,
    pub query_code: String,
    pub item_id: i64,
    pub item_name: String,
    pub department: String,
    pub state_code: &'static str,
    pub state: String,
    pub channel: &'static str,
    pub item_type: sunshine_domain::catalog::ItemType,
    pub applicant_public: String,
    pub applicant_full: String,
    pub steps: Vec<StepView>,
    pub current_step: String,
    pub claimed: bool,
    pub pending: Vec<String>,
    pub promised_due: String,
    pub legal_due: String,
    pub submitted_at: String,
    pub accepted_at: String,
    pub decided_at: String,
    pub completed_at: String,
    pub answers: Vec<(String, String)>,
    pub files: Vec<FileView>,
    pub charges: Vec<(String, String)>,
    /// (circumstance · measure, amount): the first is data, as written.
    pub penalty: Option<(String, String)>,
    pub rating: Option<i64>,
    pub licence: Option<String>,
    pub history: Vec<words::HistoryLine>,
    /// The platform that handles a case this one handed down, by name
    /// (the district's); empty for a case handled here.
    pub handled_by: String,
}

pub fn case_detail(s: &AppState, lang: Lang, file: CaseFile, history: History) -> CaseDetail {
    let orgs = s.app.orgs();
    let time = |us: i64| fmt::when(lang, us);
    let CaseFile {
        case,
        spec,
        materials,
        charges,
        penalty,
        rating,
        licence,
    } = file;
    let current = match case.facts.state {
        CaseState::InProcess { step } | CaseState::Suspended { step, .. } => Some(step),
        _ => None,
    };
    let limit = |l: sunshine_domain::catalog::TimeLimit| super::fmt::limit(lang, &l);
    let steps: Vec<StepView> = spec
        .steps
        .iter()
        .enumerate()
        .map(|(i, st)| StepView {
            no: i + 1,
            name: st.name.clone(),
            post: st.post.clone(),
            limit: limit(st.limit),
            current: current == Some(i),
        })
        .collect();
    let answers = answer_lines(lang, &spec, &case.answers);
    let applicant_full = match &case.applicant {
        sunshine_domain::hall::Applicant::Person { name, id_number } => {
            format!("{name}（{}）", id_number.as_str())
        }
        sunshine_domain::hall::Applicant::Enterprise { name, credit_code } => {
            format!("{name}（{}）", credit_code.as_str())
        }
    };
    CaseDetail {
        query_code: case.query_code.clone(),
        item_id: case.item_id,
        item_name: spec.name.clone(),
        department: orgs.name(&case.department, lang.code()),
        state_code: case.facts.state.name(),
        state: state_label(lang, &case.facts.state, spec.item_type),
        item_type: spec.item_type,
        channel: t(
            lang,
            match case.channel {
                Channel::Online => "channel_online",
                Channel::Counter => "channel_counter",
            },
        ),
        applicant_public: case.applicant_public.clone(),
        applicant_full,
        current_step: current
            .and_then(|i| spec.steps.get(i))
            .map(|st| st.name.clone())
            .unwrap_or_default(),
        claimed: case.facts.claimed_by.is_some(),
        pending: case
            .facts
            .pending_opinions
            .iter()
            .map(|o| orgs.name(o, lang.code()))
            .collect(),
        steps,
        handled_by: case
            .handled_by
            .as_deref()
            .map(|p| {
                let district = p.strip_prefix("district:").unwrap_or(p);
                format!("{}（{p}）", orgs.name(district, lang.code()))
            })
            .unwrap_or_default(),
        promised_due: day_of(lang, case.promised_due.as_deref()),
        legal_due: day_of(lang, case.legal_due.as_deref()),
        submitted_at: time(case.submitted_at),
        accepted_at: case.accepted_at.map(time).unwrap_or_default(),
        decided_at: case.decided_at.map(time).unwrap_or_default(),
        completed_at: case.completed_at.map(time).unwrap_or_default(),
        answers,
        files: materials
            .into_iter()
            .map(|m| file_view(lang, &case.number, m))
            .collect(),
        charges: charges
            .into_iter()
            .map(|(n, fen)| (n, fmt::money(lang, fen)))
            .collect(),
        penalty: penalty.map(|p| {
            (
                format!(
                    "{} · {}",
                    p["circumstance"].as_str().unwrap_or(""),
                    p["measure"].as_str().unwrap_or("")
                ),
                fmt::money(lang, p["amount_fen"].as_i64().unwrap_or(0)),
            )
        }),
        rating,
        licence,
        history: words::history_lines(lang, history.entries, spec.item_type, &history.staff),
        number: case.number,
    }
}

/// The form's answers as lines: each field's label in the reader's language
/// and its value in words.
fn answer_lines(
    lang: Lang,
    spec: &sunshine_domain::catalog::ItemSpec,
    answers: &serde_json::Value,
) -> Vec<(String, String)> {
    let label = |key: &str| {
        spec.form
            .iter()
            .find(|f| f.key == key)
            .map(|f| {
                if lang.is_en() && !f.label_en.is_empty() {
                    f.label_en.clone()
                } else {
                    f.label.clone()
                }
            })
            .unwrap_or_else(|| key.to_string())
    };
    answers
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let shown = match v {
                        serde_json::Value::String(s) => s.clone(),
                        serde_json::Value::Bool(true) => t(lang, "yes").to_string(),
                        serde_json::Value::Bool(false) => t(lang, "no").to_string(),
                        other => other.to_string(),
                    };
                    (label(k), shown)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A file handed in with the case, as the page lists it.
fn file_view(lang: Lang, number: &str, m: sunshine_app::materials::MaterialFile) -> FileView {
    FileView {
        url: format!("/hall/cases/{}/materials/{}", number, m.sha256),
        size: fmt::size(lang, m.size),
        content_type: file_kind(&m.content_type).to_string(),
        added_by: if m.added_by.starts_with("staff:") {
            lang.pick("工作人员", "Staff").to_string()
        } else {
            lang.pick("申请人", "Applicant").to_string()
        },
        material: m.material,
        file_name: m.file_name,
        added_at: fmt::when(lang, m.added_at),
    }
}

/// A case's journal entries and the staff they name.
pub struct History {
    pub entries: Vec<sunshine_domain::journal::Entry>,
    pub staff: std::collections::HashMap<String, sunshine_app::hall::inbox::StaffName>,
}

/// A case's file and its journal history, for one who may see it.
pub(crate) async fn load_case(
    s: &AppState,
    session: &Session,
    number: &str,
) -> Result<(CaseFile, History), AppError> {
    let file = s.app.case_file(&session.actor, number).await?;
    let entries = s.app.history(&format!("case/{}", file.case.number)).await?;
    let actors: Vec<String> = entries.iter().map(|e| e.actor.clone()).collect();
    let staff = s.app.staff_names(&actors).await?;
    Ok((file, History { entries, staff }))
}

/// A file's type in words.
fn file_kind(mime: &str) -> &'static str {
    match mime {
        "application/pdf" => "PDF",
        "image/jpeg" => "JPEG",
        "image/png" => "PNG",
        "application/ofd" => "OFD",
        _ => "",
    }
}
