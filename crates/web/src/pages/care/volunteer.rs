//! Volunteering's pages: a resident's own (`/account/volunteer`) and the
//! worker's activities and records of time on `/staff/care`.

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::response::Response;
use serde::Deserialize;
use sunshine_app::care::{ActivityForm, HoursDecision, HoursForm, MyVolunteering};
use sunshine_domain::refusal::Refusal;

use super::super::{bad_token, error_page, flash, render, Chrome};
use super::STAFF;
use crate::auth::{csrf_ok, SignedIn, StaffSession};
use crate::i18n::Lang;
use crate::AppState;

/// An activity on the volunteer's page: whether time can be recorded now.
pub struct ActivityLine {
    pub id: i64,
    pub title: String,
    pub day: String,
    pub place: String,
    pub open: bool,
    pub why_not: String,
}

/// A record of time on the volunteer's page.
pub struct HoursLine {
    pub activity: String,
    pub minutes: i64,
    pub note: String,
    pub state: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "care/volunteer.html")]
struct VolunteerPage {
    c: Chrome,
    mine: MyVolunteering,
    activities: Vec<ActivityLine>,
    hours: Vec<HoursLine>,
}

const VOLUNTEER: &str = "/account/volunteer";

/// `/account/volunteer`: a resident's volunteering and time bank.
pub async fn volunteer(
    State(s): State<AppState>,
    lang: Lang,
    SignedIn(session): SignedIn,
) -> Response {
    let c = Chrome::new(lang, Some(&session), VOLUNTEER);
    let mine = match s.app.my_volunteering(&session.actor).await {
        Ok(m) => m,
        Err(e) => return error_page(c, e),
    };
    let today = s.app.clock.today().to_string();
    let activities = mine
        .activities
        .iter()
        .map(|a| {
            let recorded = mine.hours.iter().any(|h| h.activity == a.id);
            let early = a.day > today;
            ActivityLine {
                id: a.id,
                title: a.title.clone(),
                day: c.day(&a.day),
                place: a.place.clone(),
                open: !recorded && !early,
                why_not: if recorded {
                    c.pick("已登记", "Recorded")
                } else {
                    c.pick(
                        "活动当天起可登记时长",
                        "Time can be recorded from the activity's day",
                    )
                }
                .to_string(),
            }
        })
        .collect();
    let hours = mine
        .hours
        .iter()
        .map(|h| HoursLine {
            activity: h.activity_title.clone(),
            minutes: h.minutes,
            note: h.note.clone(),
            state: h.state.name().get(c.code()).to_string(),
            reason: h.reason.clone().unwrap_or_default(),
        })
        .collect();
    render(&VolunteerPage {
        c,
        mine,
        activities,
        hours,
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct VolunteerForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub skills: String,
    #[serde(default)]
    pub activity: String,
    #[serde(default)]
    pub minutes: String,
    #[serde(default)]
    pub note: String,
}

/// `POST /account/volunteer`: register as a volunteer.
pub async fn register_volunteer(
    State(s): State<AppState>,
    lang: Lang,
    SignedIn(session): SignedIn,
    Form(f): Form<VolunteerForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), VOLUNTEER);
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    match s.app.register_volunteer(&session.actor, &f.skills).await {
        Ok(_) => flash::redirect(
            VOLUNTEER,
            "已登记为志愿者",
            "You are registered as a volunteer",
        ),
        Err(e) => error_page(c, e),
    }
}

/// `POST /account/volunteer/hours`: record the time given at an activity.
pub async fn record_hours(
    State(s): State<AppState>,
    lang: Lang,
    SignedIn(session): SignedIn,
    Form(f): Form<VolunteerForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), VOLUNTEER);
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    let (Ok(activity), Ok(minutes)) = (f.activity.trim().parse(), f.minutes.trim().parse()) else {
        return error_page(
            c,
            Refusal::field("minutes", "请填写整数分钟", "Give whole minutes").into(),
        );
    };
    let form = HoursForm {
        activity,
        minutes,
        note: f.note,
    };
    match s.app.record_volunteer_hours(&session.actor, form).await {
        Ok(_) => flash::redirect(
            VOLUNTEER,
            "已登记，社区确认后存入时间银行",
            "Recorded: once the community confirms it, it goes into your time bank",
        ),
        Err(e) => error_page(c, e),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct WorkerVolunteerForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub community: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub day: String,
    #[serde(default)]
    pub place: String,
    #[serde(default)]
    pub confirm: String,
    #[serde(default)]
    pub reason: String,
}

/// `POST /staff/care/activities`: announce an activity.
pub async fn announce(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Form(f): Form<WorkerVolunteerForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), STAFF);
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    let back = super::staff_page_of(&f.community);
    let form = ActivityForm {
        community: f.community,
        title: f.title,
        day: f.day,
        place: f.place,
    };
    match s.app.create_care_activity(&session.actor, form).await {
        Ok(a) => flash::redirect(
            &back,
            format!("已发布活动：{}", a.title),
            format!("Announced: {}", a.title),
        ),
        Err(e) => error_page(c, e),
    }
}

/// `POST /staff/care/hours/{id}`: confirm or refuse a record of time.
pub async fn decide_hours(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Path(id): Path<i64>,
    Form(f): Form<WorkerVolunteerForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), STAFF);
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    let decision = HoursDecision {
        confirm: f.confirm == "yes",
        reason: f.reason,
    };
    match s
        .app
        .decide_volunteer_hours(&session.actor, id, decision)
        .await
    {
        Ok(h) => flash::redirect(
            &super::staff_page_of(&f.community),
            format!("{}：{}", h.volunteer, h.state.name().zh),
            format!("{}: {}", h.volunteer, h.state.name().en),
        ),
        Err(e) => error_page(c, e),
    }
}
