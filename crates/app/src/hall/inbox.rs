//! What staff and applicants read about cases: a clerk's inbox across the
//! departments the policy lets them see, and a case's whole file.

use sunshine_domain::catalog::{ItemSpec, ItemType};
use sunshine_domain::hall::Case;
use sunshine_domain::hall::{CaseState, SpecialProcedure};
use sunshine_domain::identity::Actor;
use sunshine_domain::licence::licence_number;
use sunshine_domain::materials::MaterialFile;
use sunshine_domain::policy::Action;
use sunshine_domain::refusal::Refusal;
use sunshine_store::hall as store;

use crate::{App, Result};

/// Every state a case can be in, by name.
pub fn state_names() -> Vec<&'static str> {
    every_state().iter().map(CaseState::name).collect()
}

fn every_state() -> [CaseState; 9] {
    [
        CaseState::Submitted,
        CaseState::CorrectionRequested,
        CaseState::InProcess { step: 0 },
        CaseState::Suspended {
            step: 0,
            procedure: SpecialProcedure::Hearing,
        },
        CaseState::Approved,
        CaseState::Refused,
        CaseState::Delivered,
        CaseState::NotAccepted,
        CaseState::Withdrawn,
    ]
}

/// Which cases an inbox lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboxFilter {
    /// Every case not yet finished (the default).
    Open,
    All,
    /// One state, by name.
    State(String),
}

impl InboxFilter {
    pub fn parse(s: &str) -> Result<InboxFilter> {
        match s.trim() {
            "" | "open" => Ok(InboxFilter::Open),
            "all" => Ok(InboxFilter::All),
            s if state_names().contains(&s) => Ok(InboxFilter::State(s.to_string())),
            _ => Err(Refusal::field("state", "未知的办件状态", "Unknown case state").into()),
        }
    }

    fn states(&self) -> Vec<&'static str> {
        every_state()
            .iter()
            .filter(|s| match self {
                InboxFilter::Open => !s.is_final(),
                InboxFilter::All => true,
                InboxFilter::State(name) => s.name() == name,
            })
            .map(CaseState::name)
            .collect()
    }
}

/// Which promised due dates an inbox lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueFilter {
    Any,
    /// Promised by a day already past.
    Overdue,
    /// Promised within this many days from today (overdue ones included).
    Within(u32),
}

/// A clerk's inbox as asked for: state, search, due dates and page.
#[derive(Debug, Clone)]
pub struct InboxAsk {
    pub state: InboxFilter,
    pub search: String,
    pub due: DueFilter,
    /// From 1.
    pub page: u32,
}

/// How many cases a page of the inbox shows.
pub const INBOX_PAGE: u32 = 50;

impl InboxAsk {
    /// The inbox's query from its form: `state`, `q`, `due` (`overdue` or
    /// `within`) with `days`, and `page`; anything else is refused by field.
    pub fn parse(state: &str, search: &str, due: &str, days: &str, page: &str) -> Result<InboxAsk> {
        let state = InboxFilter::parse(state)?;
        let search = search.trim().to_string();
        if search.chars().count() > 100 || !sunshine_domain::refusal::is_clean_text(&search) {
            return Err(Refusal::field(
                "q",
                "搜索词应为1至100个字符",
                "A search has 1 to 100 characters",
            )
            .into());
        }
        let due = match due.trim() {
            "" | "any" => DueFilter::Any,
            "overdue" => DueFilter::Overdue,
            "within" => match days.trim().parse::<u32>() {
                Ok(n) if (1..=365).contains(&n) => DueFilter::Within(n),
                _ => {
                    return Err(Refusal::field(
                        "days",
                        "天数应为1至365的整数",
                        "Days are a whole number from 1 to 365",
                    )
                    .into())
                }
            },
            _ => {
                return Err(
                    Refusal::field("due", "未知的期限筛选", "Unknown due-date filter").into(),
                )
            }
        };
        let page = match page.trim() {
            "" => 1,
            p => p
                .parse::<u32>()
                .ok()
                .filter(|p| (1..=100_000).contains(p))
                .ok_or_else(|| {
                    Refusal::field(
                        "page",
                        "页码应为正整数",
                        "A page is a positive whole number",
                    )
                })?,
        };
        Ok(InboxAsk {
            state,
            search,
            due,
            page,
        })
    }
}

/// A page of the inbox.
#[derive(Debug, Clone)]
pub struct InboxPage {
    pub lines: Vec<CaseLine>,
    pub total: i64,
    /// The applicants' full names, by case number, where the clerk handles
    /// the case's department (their read is journaled).
    pub full_names: std::collections::HashMap<String, String>,
}

/// A case in a list, with the name of its item.
#[derive(Debug, Clone)]
pub struct CaseLine {
    pub case: Case,
    pub item_name: String,
    /// What kind of item: it names the case's decision.
    pub item_type: ItemType,
}

/// A case with everything its page shows.
#[derive(Debug, Clone)]
pub struct CaseFile {
    pub case: Case,
    /// The item version the case began on.
    pub spec: ItemSpec,
    pub materials: Vec<MaterialFile>,
    /// Fees charged: (name, fen).
    pub charges: Vec<(String, i64)>,
    pub penalty: Option<serde_json::Value>,
    pub rating: Option<i64>,
    /// The e-licence's number, once the approval issued one.
    pub licence: Option<String>,
}

impl App {
    /// Supervision's signals on a case, those the actor may see.
    pub async fn case_signals(
        &self,
        actor: &Actor,
        number: &str,
    ) -> Result<Vec<crate::supervision::SignalRow>> {
        let filter = crate::supervision::SignalFilter {
            open_only: false,
            case_number: Some(number.to_string()),
            limit: 200,
            ..Default::default()
        };
        self.signals(actor, filter).await
    }

    /// The departments whose cases the policy lets the actor see; refused
    /// when there are none.
    pub fn viewable_departments(&self, actor: &Actor) -> Result<Vec<String>> {
        self.departments_where(
            actor,
            &[|department| Action::ViewCases { department }],
            || {
                Refusal::forbidden(
                    "forbidden",
                    "您没有查看任何部门办件的权限",
                    "You may not view any department's cases",
                )
            },
        )
    }

    /// A page of a clerk's inbox: the cases of the departments the actor may
    /// view, searched and filtered, the most urgent first. Where the actor
    /// handles a case's department the applicant's full name is shown, and
    /// that is journaled as a staff read of each applicant.
    pub async fn inbox_page(&self, actor: &Actor, ask: &InboxAsk) -> Result<InboxPage> {
        let departments = self.viewable_departments(actor)?;
        let today = self.clock.today();
        let day = |n: i64| -> Result<String> {
            Ok(today
                .checked_add(jiff::Span::new().days(n))
                .map_err(|e| anyhow::anyhow!("date: {e}"))?
                .to_string())
        };
        let (due_before, due_by) = match ask.due {
            DueFilter::Any => (None, None),
            DueFilter::Overdue => (Some(today.to_string()), None),
            DueFilter::Within(n) => (None, Some(day(i64::from(n))?)),
        };
        let query = store::InboxQuery {
            departments,
            states: ask.state.states(),
            search: Some(ask.search.clone()).filter(|s| !s.is_empty()),
            due_before,
            due_by,
            limit: i64::from(INBOX_PAGE),
            offset: i64::from(ask.page.saturating_sub(1)) * i64::from(INBOX_PAGE),
        };
        let (cases, total) = {
            let mut conn = self.db.read().await?;
            store::inbox(&mut conn, &query).await?
        };
        let handled: Vec<&Case> = cases
            .iter()
            .filter(|c| {
                sunshine_domain::ids::OrgCode::parse(&c.department).is_ok_and(|d| {
                    self.authorize(actor, &Action::HandleCase { department: &d })
                        .is_ok()
                })
            })
            .collect();
        let full_names: std::collections::HashMap<String, String> = handled
            .iter()
            .map(|c| {
                let name = match &c.applicant {
                    sunshine_domain::hall::Applicant::Person { name, .. }
                    | sunshine_domain::hall::Applicant::Enterprise { name, .. } => name.clone(),
                };
                (c.number.clone(), name)
            })
            .collect();
        if !handled.is_empty() {
            let shown: Vec<&str> = handled.iter().map(|c| c.number.as_str()).collect();
            let read = crate::access::StaffRead {
                subject: "access/inbox".into(),
                kind: sunshine_domain::access::ReadKind::CaseList,
                purpose: sunshine_domain::access::ReadPurpose::HandleCase,
                payload: serde_json::json!({"view": "inbox", "cases": shown}),
                persons: handled
                    .iter()
                    .map(|c| crate::access::ReadOf::case(&c.number, c.applicant_user, &c.applicant))
                    .collect(),
            };
            self.record_staff_read(actor, read).await?;
        }
        Ok(InboxPage {
            lines: self.with_item_names(cases).await?,
            total,
            full_names,
        })
    }

    /// Cases with the names of their items, for lists.
    pub async fn with_item_names(&self, cases: Vec<Case>) -> Result<Vec<CaseLine>> {
        let mut ids: Vec<i64> = cases.iter().map(|c| c.version_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let names: std::collections::HashMap<i64, (String, ItemType)> = {
            let mut conn = self.db.read().await?;
            store::version_names(&mut conn, &ids)
                .await?
                .into_iter()
                .map(|(id, name, t)| (id, (name, ItemType::parse(&t).unwrap_or(ItemType::Other))))
                .collect()
        };
        Ok(cases
            .into_iter()
            .map(|case| {
                let (item_name, item_type) = names
                    .get(&case.version_id)
                    .cloned()
                    .unwrap_or((String::new(), ItemType::Other));
                CaseLine {
                    item_name,
                    item_type,
                    case,
                }
            })
            .collect())
    }

    /// A case with its item version, files, charges, penalty, rating and
    /// licence, for its applicant or the staff who may view it.
    pub async fn case_file(&self, actor: &Actor, number: &str) -> Result<CaseFile> {
        let case = self.case_for(actor, number).await?;
        let mut conn = self.db.read().await?;
        let spec = sunshine_store::catalog::get_version(&mut conn, case.version_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("case {number} without its version"))?
            .spec;
        let licence = store::licence(&mut conn, &licence_number(&case.number))
            .await?
            .map(|l| l.number);
        Ok(CaseFile {
            materials: sunshine_store::materials::of_case(&mut conn, &case.number).await?,
            charges: store::charges(&mut conn, &case.number).await?,
            penalty: store::penalty(&mut conn, &case.number).await?,
            rating: store::rating(&mut conn, &case.number).await?,
            licence,
            spec,
            case,
        })
    }
}

/// A member of staff named in a case's history: their name and posts.
#[derive(Debug, Clone)]
pub struct StaffName {
    pub name: String,
    pub org: String,
    pub posts: Vec<String>,
}

impl App {
    /// The staff a case's history names by journal name (`staff:<login>`),
    /// with their names and posts, for people to read instead of logins.
    pub async fn staff_names(
        &self,
        journal_names: &[String],
    ) -> Result<std::collections::HashMap<String, StaffName>> {
        let mut conn = self.db.read().await?;
        let mut found = std::collections::HashMap::new();
        for who in journal_names {
            let Some(login) = who.strip_prefix("staff:") else {
                continue;
            };
            if found.contains_key(who) {
                continue;
            }
            let Some(user) = sunshine_store::identity::find_user_by_login(&mut conn, login).await?
            else {
                continue;
            };
            let posts = sunshine_store::identity::posts_of(&mut conn, user.id)
                .await?
                .into_iter()
                .map(|p| p.name)
                .collect();
            found.insert(
                who.clone(),
                StaffName {
                    name: user.display_name,
                    org: user.org.map(|o| o.to_string()).unwrap_or_default(),
                    posts,
                },
            );
        }
        Ok(found)
    }
}

impl App {
    /// The kind of item a version is (it names a case's decision).
    pub async fn item_type_of(&self, version_id: i64) -> Result<ItemType> {
        let mut conn = self.db.read().await?;
        Ok(self
            .specs
            .spec(&mut conn, version_id)
            .await?
            .map(|s| s.item_type)
            .unwrap_or(ItemType::Other))
    }
}
