//! The backup centre's pages for its keepers: `/staff/backup-centre`, every
//! department's systems with their last good backup, size, growth and
//! whether each meets its promised RPO, with the form to register one; and
//! `/staff/backup-centre/systems/{id}`, a system's archives and keys.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sunshine_app::backup_centre::{IssuedKey, SystemView};
use sunshine_app::identity::Session;
use sunshine_app::AppError;
use sunshine_domain::backup_centre::{NewSystem, RpoStatus};
use sunshine_domain::identity::OrgKind;

use super::{bad_token, error_page, flash, fmt, refusal_message, render, Chrome, Opt};
use crate::auth::{csrf_ok, StaffSession};
use crate::i18n::Lang;
use crate::AppState;

const HERE: &str = "/staff/backup-centre";

/// A system's line in the overview, in people's words.
pub struct SystemLine {
    pub id: i64,
    pub name: String,
    pub department: String,
    /// `met` or `overdue`, for scripts and tests (never shown).
    pub status: &'static str,
    pub status_name: String,
    pub last_good: String,
    pub size: String,
    pub growth: String,
    pub rpo: String,
    pub rto: String,
    pub link: String,
    pub used: String,
    pub quota: String,
    pub retention: String,
    pub verified: String,
    pub damaged: usize,
    pub archives: usize,
}

/// A duration in minutes as people say it: `24 小时`, `30 minutes`.
fn duration(lang: Lang, minutes: i64) -> String {
    if minutes % (24 * 60) == 0 && minutes >= 24 * 60 {
        fmt::days(lang, minutes / (24 * 60))
    } else if minutes % 60 == 0 {
        fmt::count(lang, minutes / 60, "小时", "hour", "hours")
    } else {
        fmt::count(lang, minutes, "分钟", "minute", "minutes")
    }
}

fn line(s: &SystemView, c: &Chrome, orgs: &sunshine_app::OrgDirectory) -> SystemLine {
    let lang = c.lang;
    let retention = match (s.retention.keep_last, s.retention.keep_days) {
        (None, None) => c.pick("全部保留", "Keeps everything").to_string(),
        (Some(n), None) => fmt::count(lang, n, "份", "archive", "archives"),
        (None, Some(d)) => fmt::days(lang, d),
        (Some(n), Some(d)) => format!(
            "{} / {}",
            fmt::count(lang, n, "份", "archive", "archives"),
            fmt::days(lang, d)
        ),
    };
    SystemLine {
        id: s.id,
        name: s.name.clone(),
        department: orgs.name(&s.department, c.code()),
        status: s.status.as_str(),
        status_name: s.status.name().get(c.code()).to_string(),
        last_good: s
            .last_good_at
            .map(|t| c.when(&t))
            .unwrap_or_else(|| c.pick("尚无", "None yet").to_string()),
        size: s
            .last_good_size
            .map(|b| c.size(&b))
            .unwrap_or_else(|| "—".into()),
        growth: match s.growth_7d {
            Some(g) if g >= 0 => format!("+{}", c.size(&g)),
            Some(g) => format!("−{}", c.size(&-g)),
            None => "—".into(),
        },
        rpo: duration(lang, s.rpo_minutes),
        rto: duration(lang, s.rto_minutes),
        link: s.link.clone(),
        used: c.size(&s.used),
        quota: c.size(&s.quota),
        retention,
        verified: match (s.last_verified_at, s.damaged) {
            (None, _) => "—".into(),
            (Some(t), 0) => format!("{} · {}", c.pick("完好", "Intact"), c.when(&t)),
            (Some(t), n) => format!(
                "{} · {}",
                fmt::count(lang, n as i64, "份损坏", "damaged", "damaged"),
                c.when(&t)
            ),
        },
        damaged: s.damaged,
        archives: s.archives,
    }
}

/// The registration form as typed, kept when it comes back refused.
#[derive(Debug, Default, Deserialize)]
pub struct SystemForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub department: String,
    /// In GiB, as people think of a system's data.
    #[serde(default)]
    pub data_gib: String,
    /// In hours.
    #[serde(default)]
    pub rpo_hours: String,
    #[serde(default)]
    pub rto_hours: String,
    #[serde(default)]
    pub link: String,
    /// In MiB.
    #[serde(default)]
    pub quota_mib: String,
    #[serde(default)]
    pub keep_last: String,
    #[serde(default)]
    pub keep_days: String,
    #[serde(default)]
    pub public_key: String,
}

/// The form's reasons by field, in the page's language.
type Reasons = BTreeMap<String, String>;

#[derive(Template)]
#[template(path = "backup_centre/index.html")]
struct CentrePage {
    c: Chrome,
    systems: Vec<SystemLine>,
    overdue: usize,
    departments: Vec<Opt>,
    f: SystemForm,
    reasons: Reasons,
    /// The refusal's message, when the form came back.
    problem: Option<String>,
    /// A system just registered and its private key, shown this once.
    issued: Option<(i64, String, String)>,
}

impl CentrePage {
    /// The reason beside a field, or nothing.
    fn err(&self, field: &str) -> &str {
        self.reasons.get(field).map_or("", String::as_str)
    }
}

async fn centre_page(
    s: &AppState,
    lang: Lang,
    session: &Session,
    f: SystemForm,
    refusal: Option<AppError>,
    issued: Option<(i64, String, String)>,
) -> Response {
    let c = Chrome::new(lang, Some(session), HERE);
    let systems = match s.app.backup_systems(&session.actor).await {
        Ok(list) => list,
        Err(e) => return error_page(c, e),
    };
    let orgs = s.app.orgs();
    let mut departments: Vec<(String, String)> = orgs
        .list
        .iter()
        .filter(|o| matches!(o.kind, OrgKind::Department | OrgKind::Utility))
        .map(|o| (o.code.to_string(), orgs.name(o.code.as_str(), c.code())))
        .collect();
    departments.insert(0, (String::new(), c.pick("请选择", "Choose").to_string()));
    let departments = super::opts(departments, f.department.trim());
    let (status, problem, reasons) = match refusal {
        None if issued.is_some() => (StatusCode::CREATED, None, Reasons::new()),
        None => (StatusCode::OK, None, Reasons::new()),
        Some(e) => {
            let Some(message) = refusal_message(&c, &e) else {
                return error_page(c, e);
            };
            let reasons = match &e {
                AppError::Refused(r)
                    if r.kind == sunshine_domain::refusal::RefusalKind::Forbidden =>
                {
                    return error_page(c, e)
                }
                AppError::Refused(r) => r.field_messages(c.code()),
                AppError::Internal(_) => Reasons::new(),
            };
            let status = match &e {
                AppError::Refused(r) => crate::error::status_of(r.kind),
                AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            };
            (status, Some(message), reasons)
        }
    };
    let mut lines: Vec<SystemLine> = systems.iter().map(|x| line(x, &c, &orgs)).collect();
    // What needs the keeper first: overdue systems, then damaged archives.
    lines.sort_by_key(|l| (l.status != RpoStatus::Overdue.as_str(), l.damaged == 0));
    let page = CentrePage {
        overdue: systems
            .iter()
            .filter(|x| x.status == RpoStatus::Overdue)
            .count(),
        systems: lines,
        departments,
        f,
        reasons,
        problem,
        issued,
        c,
    };
    (status, render(&page)).into_response()
}

/// `/staff/backup-centre`: every department's systems, overdue first.
pub async fn centre(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
) -> Response {
    centre_page(&s, lang, &session, SystemForm::default(), None, None).await
}

/// A number a form field holds, or the reason beside it.
fn number(
    reasons: &mut sunshine_domain::refusal::FieldErrors,
    field: &str,
    text: &str,
    scale: f64,
) -> Option<i64> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 && v * scale < 9.0e18 => Some((v * scale) as i64),
        _ => {
            reasons.add(field, "请填写数字", "Give a number");
            None
        }
    }
}

/// `POST /staff/backup-centre/systems`: register a system; its private
/// key, when the centre made it, is shown on the page this once.
pub async fn register(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Form(f): Form<SystemForm>,
) -> Response {
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(Chrome::new(lang, Some(&session), HERE));
    }
    let mut e = sunshine_domain::refusal::FieldErrors::default();
    const GIB: f64 = (1u64 << 30) as f64;
    const MIB: f64 = (1u64 << 20) as f64;
    let data_size = number(&mut e, "data_size", &f.data_gib, GIB);
    let rpo = number(&mut e, "rpo_minutes", &f.rpo_hours, 60.0);
    let rto = number(&mut e, "rto_minutes", &f.rto_hours, 60.0);
    let quota = number(&mut e, "quota", &f.quota_mib, MIB);
    let keep_last = number(&mut e, "keep_last", &f.keep_last, 1.0);
    let keep_days = number(&mut e, "keep_days", &f.keep_days, 1.0);
    let input = NewSystem {
        name: f.name.clone(),
        department: f.department.clone(),
        data_size: data_size.unwrap_or(-1),
        rpo_minutes: rpo.unwrap_or(0),
        rto_minutes: rto.unwrap_or(0),
        link: f.link.clone(),
        quota: quota.unwrap_or(0),
        keep_last,
        keep_days,
        public_key: Some(f.public_key.trim().to_string()).filter(|k| !k.is_empty()),
    };
    // The form's own faults and the rules' together, each beside its field.
    if let Err(r) = sunshine_domain::backup_centre::check_new_system(&input) {
        e.absorb(r);
    }
    if let Some(r) = e.into_refusal() {
        return centre_page(&s, lang, &session, f, Some(r.into()), None).await;
    }
    match s.app.register_backup_system(&session.actor, input).await {
        Ok(r) => {
            let issued = Some((
                r.system.id,
                r.system.name.clone(),
                r.key.private_key.unwrap_or_default(),
            ));
            centre_page(&s, lang, &session, SystemForm::default(), None, issued).await
        }
        Err(err) => centre_page(&s, lang, &session, f, Some(err), None).await,
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

/// `POST /staff/backup-centre/verification`: re-read every archive now.
pub async fn verify(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Form(f): Form<CsrfForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), HERE);
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    match s
        .app
        .verify_backup_archives(Some(&session.actor), true)
        .await
    {
        Ok(v) => flash::redirect(
            HERE,
            format!(
                "已校验 {} 份备份数据，发现损坏 {} 份",
                v.checked,
                v.damaged.len()
            ),
            format!(
                "{} archives re-read; {} found damaged",
                v.checked,
                v.damaged.len()
            ),
        ),
        Err(e) => error_page(c, e),
    }
}

/// An archive's line on a system's page.
pub struct ArchiveLine {
    pub name: String,
    pub taken: String,
    pub size: String,
    pub sha256: String,
    pub received: String,
    pub verified: String,
    pub damaged: bool,
}

pub struct KeyLine {
    pub id: i64,
    pub public_key: String,
    pub created: String,
    pub revoked: Option<String>,
}

pub struct UploadLine {
    pub name: String,
    pub progress: String,
    pub expires: String,
}

#[derive(Template)]
#[template(path = "backup_centre/system.html")]
struct SystemPage {
    c: Chrome,
    s: SystemLine,
    archives: Vec<ArchiveLine>,
    keys: Vec<KeyLine>,
    uploads: Vec<UploadLine>,
    problem: Option<String>,
    /// A private key just made, shown this once.
    private_key: Option<String>,
}

async fn system_page(
    s: &AppState,
    lang: Lang,
    session: &Session,
    id: i64,
    refusal: Option<AppError>,
    private_key: Option<String>,
) -> Response {
    let c = Chrome::new(lang, Some(session), &format!("{HERE}/systems/{id}"));
    let d = match s.app.backup_system(&session.actor, id).await {
        Ok(d) => d,
        Err(e) => return error_page(c, e),
    };
    let problem = match refusal {
        Some(e @ AppError::Refused(_)) => refusal_message(&c, &e),
        Some(e) => return error_page(c, e),
        None => None,
    };
    let orgs = s.app.orgs();
    let page = SystemPage {
        s: line(&d.system, &c, &orgs),
        archives: d
            .archives
            .iter()
            .map(|a| ArchiveLine {
                name: a.name.clone(),
                taken: c.when(&a.taken_at),
                size: c.size(&a.size),
                sha256: a.sha256.clone(),
                received: c.when(&a.received_at),
                verified: a.verified_at.map(|t| c.when(&t)).unwrap_or_default(),
                damaged: a.damaged,
            })
            .collect(),
        keys: d
            .keys
            .iter()
            .map(|k| KeyLine {
                id: k.id,
                public_key: k.public_key.clone(),
                created: c.when(&k.created_at),
                revoked: k.revoked_at.map(|t| c.when(&t)),
            })
            .collect(),
        uploads: d
            .uploads
            .iter()
            .map(|u| UploadLine {
                name: u.name.clone(),
                progress: format!("{} / {}", c.size(&u.offset), c.size(&u.size)),
                expires: c.when(&u.expires_at),
            })
            .collect(),
        problem: problem.clone(),
        private_key: private_key.filter(|k| !k.is_empty()),
        c,
    };
    let status = if problem.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    (status, render(&page)).into_response()
}

/// `/staff/backup-centre/systems/{id}`: a system's archives and keys.
pub async fn system(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Path(id): Path<i64>,
) -> Response {
    system_page(&s, lang, &session, id, None, None).await
}

#[derive(Debug, Default, Deserialize)]
pub struct KeyForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub public_key: String,
}

/// `POST /staff/backup-centre/systems/{id}/keys`: a new key in force.
pub async fn rotate_key(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Path(id): Path<i64>,
    Form(f): Form<KeyForm>,
) -> Response {
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(Chrome::new(lang, Some(&session), HERE));
    }
    let given = Some(f.public_key.trim().to_string()).filter(|k| !k.is_empty());
    match s.app.rotate_backup_key(&session.actor, id, given).await {
        Ok(IssuedKey {
            private_key: Some(k),
            ..
        }) => system_page(&s, lang, &session, id, None, Some(k)).await,
        Ok(_) => flash::redirect(
            &format!("{HERE}/systems/{id}"),
            "新公钥已启用，旧密钥已吊销",
            "The new public key is in force; the old keys are revoked",
        ),
        Err(e) => system_page(&s, lang, &session, id, Some(e), None).await,
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub reason: String,
}

/// `POST /staff/backup-centre/systems/{id}/keys/{key}/revoke`.
pub async fn revoke_key(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Path((id, key)): Path<(i64, i64)>,
    Form(f): Form<RevokeForm>,
) -> Response {
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(Chrome::new(lang, Some(&session), HERE));
    }
    match s
        .app
        .revoke_backup_key(&session.actor, key, &f.reason)
        .await
    {
        Ok(_) => flash::redirect(
            &format!("{HERE}/systems/{id}"),
            "密钥已吊销",
            "The key is revoked",
        ),
        Err(e) => system_page(&s, lang, &session, id, Some(e), None).await,
    }
}
