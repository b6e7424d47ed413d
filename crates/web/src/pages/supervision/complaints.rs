//! 网上投诉: complaints filed by citizens and enterprises, and handled by
//! supervisors.

use super::*;

/// A complaint as its page shows it.
pub struct ComplaintLine {
    pub id: i64,
    pub case_number: Option<String>,
    pub department_name: String,
    pub text: String,
    pub state: &'static str,
    pub state_name: String,
    pub received: String,
    pub accept_due: String,
    pub overdue: bool,
    pub reason: Option<String>,
    pub answer: Option<String>,
    /// The commands a supervisor may give now: (value, label).
    pub commands: Vec<(&'static str, String)>,
}

fn complaint_line(x: ComplaintRow, s: &AppState, c: &Chrome) -> ComplaintLine {
    use sunshine_domain::supervision::ComplaintState as S;
    let v = complaint_view(x, s, c.lang);
    let state = sunshine_domain::supervision::ComplaintState::ALL
        .into_iter()
        .find(|st| st.as_str() == v.state);
    let state_name = match state {
        Some(S::Received) => c.pick("已收到，待受理", "Received, to be accepted"),
        Some(S::Investigating) => c.pick("已受理，调查中", "Accepted, being looked into"),
        Some(S::Refused) => c.pick("不予受理", "Refused"),
        Some(S::Answered) => c.pick("已答复", "Answered"),
        None => "",
    };
    let commands = match state {
        Some(S::Received) => vec![
            ("accept", c.pick("受理", "Accept").to_string()),
            (
                "refuse",
                c.pick("不予受理（须说明理由）", "Refuse (say why)")
                    .to_string(),
            ),
        ],
        Some(S::Investigating) => vec![("answer", c.pick("答复", "Answer").to_string())],
        _ => vec![],
    };
    ComplaintLine {
        id: v.id,
        case_number: v.case_number,
        department_name: v.department_name,
        text: v.text,
        state: state.map(|s| s.as_str()).unwrap_or(""),
        state_name: state_name.to_string(),
        received: v
            .received_at
            .parse::<jiff::Timestamp>()
            .map(|t| super::fmt::moment(c.lang, t))
            .unwrap_or_default(),
        accept_due: c.day(&v.accept_due),
        overdue: v.overdue,
        reason: v.reason,
        answer: v.answer,
        commands,
    }
}

#[derive(Template)]
#[template(path = "supervision/complaints.html")]
struct ComplaintsPage {
    c: Chrome,
    complaints: Vec<ComplaintLine>,
    /// Whether the visitor handles complaints (a supervisor) or files them.
    handles: bool,
    /// The form to file one, kept after a refusal.
    form: FileForm,
    /// Departments one may complain about: (code, name).
    departments: Vec<crate::pages::Opt>,
    /// Each field's error, beside it.
    errors: BTreeMap<String, String>,
    /// A supervisor's refused command: (complaint, reason).
    refused: Option<(i64, String)>,
}

#[derive(Debug, Deserialize)]
pub struct ComplaintsQuery {
    pub case: Option<String>,
}

async fn complaints_page(
    s: &AppState,
    lang: Lang,
    session: &Session,
    form: FileForm,
    errors: BTreeMap<String, String>,
    refused: Option<(i64, String)>,
) -> Response {
    let c = Chrome::new(lang, Some(session), "/complaints");
    let rows = match s.app.complaints(&session.actor).await {
        Ok(rows) => rows,
        Err(e) => return error_page(c, e),
    };
    let orgs = s.app.orgs();
    let mut departments: Vec<(String, String)> = orgs
        .list
        .iter()
        .map(|o| (o.code.to_string(), orgs.name(o.code.as_str(), lang.code())))
        .collect();
    departments.sort_by(|a, b| a.0.cmp(&b.0));
    departments.insert(
        0,
        (
            String::new(),
            lang.pick("（按办件投诉时不选）", "(none: the case says it)")
                .to_string(),
        ),
    );
    let status = if errors.is_empty() && refused.is_none() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = ComplaintsPage {
        handles: session.actor.kind == sunshine_domain::identity::UserKind::Staff,
        complaints: rows.into_iter().map(|x| complaint_line(x, s, &c)).collect(),
        departments: crate::pages::opts(departments, &form.department),
        form,
        errors,
        refused,
        c,
    };
    (status, render(&page)).into_response()
}

/// `/complaints`: a citizen's or an enterprise's complaints with the form to
/// file one (网上监督); for a supervisor, the complaints of their area with
/// the forms to handle them.
pub async fn complaints(
    State(s): State<AppState>,
    lang: Lang,
    SignedIn(session): SignedIn,
    Query(q): Query<ComplaintsQuery>,
) -> Response {
    let form = FileForm {
        case_number: q.case.unwrap_or_default(),
        ..FileForm::default()
    };
    complaints_page(&s, lang, &session, form, BTreeMap::new(), None).await
}

#[derive(Debug, Default, Deserialize)]
pub struct FileForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub case_number: String,
    #[serde(default)]
    pub department: String,
    #[serde(default)]
    pub text: String,
}

/// Each field's reason from a refusal; a reason for no field goes beside the text.
fn field_errors(c: &Chrome, e: &AppError) -> Option<BTreeMap<String, String>> {
    match e {
        AppError::Refused(r) => {
            let mut errors: BTreeMap<String, String> = r
                .fields
                .iter()
                .map(|(k, v)| (k.clone(), v.get(c.code()).to_string()))
                .collect();
            if errors.is_empty() {
                errors.insert("text".into(), r.message.get(c.code()).to_string());
            }
            Some(errors)
        }
        AppError::Internal(_) => None,
    }
}

/// `POST /complaints`: file a complaint.
pub async fn file(
    State(s): State<AppState>,
    lang: Lang,
    SignedIn(session): SignedIn,
    Form(f): Form<FileForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/complaints");
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    let new = sunshine_app::supervision::NewComplaint {
        case_number: Some(f.case_number.trim().to_string()),
        department: Some(f.department.trim().to_string()),
        text: f.text.clone(),
    };
    match s.app.file_complaint(&session.actor, new).await {
        Ok(x) => flash::redirect(
            &format!("/complaints#complaint-{}", x.id),
            format!(
                "投诉 #{} 已提交，监察人员将在{}前决定是否受理",
                x.id,
                fmt::day_str(Lang::Zh, &x.accept_due)
            ),
            format!(
                "Complaint #{} is filed; a supervisor decides by {} whether to take it up",
                x.id,
                fmt::day_str(Lang::En, &x.accept_due)
            ),
        ),
        Err(e) => match field_errors(&c, &e) {
            Some(errors) => complaints_page(&s, lang, &session, f, errors, None).await,
            None => error_page(c, e),
        },
    }
}

#[derive(Debug, Deserialize)]
pub struct HandleForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub command: String,
    #[serde(default)]
    pub text: String,
    /// A checkbox: present when ticked.
    pub raise_signal: Option<String>,
}

/// `POST /complaints/{id}`: accept, refuse or answer (a supervisor).
pub async fn handle(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Path(id): Path<i64>,
    Form(f): Form<HandleForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/complaints");
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    let result = match parse_complaint_command(&f.command, f.text) {
        Ok(cmd) => {
            s.app
                .complaint_command(&session.actor, id, cmd, f.raise_signal.is_some())
                .await
        }
        Err(r) => Err(r.into()),
    };
    match result {
        Ok(x) => {
            let (zh, en) = match f.command.as_str() {
                "accept" => ("已受理，请调查后答复", "accepted; look into it and answer"),
                "refuse" => (
                    "不予受理，理由已告知投诉人",
                    "refused; the complainant is told why",
                ),
                _ => ("已答复投诉人", "answered"),
            };
            let (zh_signal, en_signal) = match x.signal_id {
                Some(sig) if f.raise_signal.is_some() => (
                    format!("，并对该办件发出监察信号 #{sig}"),
                    format!(", and signal #{sig} raised on its case"),
                ),
                _ => (String::new(), String::new()),
            };
            flash::redirect(
                &format!("/complaints#complaint-{id}"),
                format!("投诉 #{id} {zh}{zh_signal}"),
                format!("Complaint #{id} {en}{en_signal}"),
            )
        }
        Err(e) => match refusal_message(&c, &e) {
            Some(m) => {
                complaints_page(
                    &s,
                    lang,
                    &session,
                    FileForm::default(),
                    BTreeMap::new(),
                    Some((id, m)),
                )
                .await
            }
            None => error_page(c, e),
        },
    }
}
