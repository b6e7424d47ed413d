//! Organisations, people and roles (统一认证).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::OrgCode;
use crate::refusal::Refusal;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    /// 市政府
    City,
    /// 区
    District,
    /// 县、县级市
    County,
    /// 开发区
    Zone,
    /// 部门
    Department,
    /// 公用事业单位
    Utility,
}

impl OrgKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::City => "city",
            OrgKind::District => "district",
            OrgKind::County => "county",
            OrgKind::Zone => "zone",
            OrgKind::Department => "department",
            OrgKind::Utility => "utility",
        }
    }
    pub fn parse(s: &str) -> Option<OrgKind> {
        [
            OrgKind::City,
            OrgKind::District,
            OrgKind::County,
            OrgKind::Zone,
            OrgKind::Department,
            OrgKind::Utility,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
    /// A government of a region (as opposed to a body under one).
    pub fn is_government(self) -> bool {
        matches!(
            self,
            OrgKind::City | OrgKind::District | OrgKind::County | OrgKind::Zone
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    pub code: OrgCode,
    pub name: String,
    pub name_en: String,
    pub kind: OrgKind,
    pub parent: Option<OrgCode>,
}

/// Whether `unit` may be added under `parent` as a unit (a department or a
/// public utility) of its government: its code is the parent's region code
/// and a number (`330100-U11`), it has both names, and the parent is a
/// government. Every fault at once.
pub fn check_new_unit(unit: &Organisation, parent: &Organisation) -> Result<(), Refusal> {
    let mut e = crate::refusal::FieldErrors::default();
    if !matches!(unit.kind, OrgKind::Department | OrgKind::Utility) {
        e.add(
            "kind",
            "单位类型应为部门或公用事业单位",
            "A unit is a department or a public utility",
        );
    }
    if !parent.kind.is_government() || unit.parent.as_ref() != Some(&parent.code) {
        e.add(
            "parent",
            "上级应为市、区县政府或开发区",
            "A unit belongs to a city, district, county or zone government",
        );
    } else if unit.code.as_str().split_once('-').map(|(r, _)| r) != Some(parent.code.as_str()) {
        e.add(
            "code",
            format!("单位代码应为“{}-序号”", parent.code),
            format!("A unit's code is \"{}-NUMBER\"", parent.code),
        );
    }
    if unit.name.trim().is_empty() || unit.name_en.trim().is_empty() {
        e.add(
            "name",
            "请填写中英文名称",
            "Give the name in both languages",
        );
    }
    e.check()
}

/// The organisation tree, for scoping roles: a role held at an organisation
/// covers it and everything beneath it.
#[derive(Debug, Clone, Default)]
pub struct OrgTree {
    parents: BTreeMap<OrgCode, Option<OrgCode>>,
}

impl OrgTree {
    pub fn new<'a>(orgs: impl IntoIterator<Item = (&'a OrgCode, Option<&'a OrgCode>)>) -> Self {
        OrgTree {
            parents: orgs
                .into_iter()
                .map(|(c, p)| (c.clone(), p.cloned()))
                .collect(),
        }
    }

    pub fn contains(&self, org: &OrgCode) -> bool {
        self.parents.contains_key(org)
    }

    /// The top of the tree: the city, which no organisation contains.
    pub fn is_root(&self, org: &OrgCode) -> bool {
        matches!(self.parents.get(org), Some(None))
    }

    /// The top of the tree, if there is one.
    pub fn root(&self) -> Option<&OrgCode> {
        self.parents
            .iter()
            .find(|(_, parent)| parent.is_none())
            .map(|(code, _)| code)
    }

    /// Whether `org` is `scope` or lies beneath it.
    pub fn is_within(&self, org: &OrgCode, scope: &OrgCode) -> bool {
        let mut current = Some(org);
        let mut hops = 0;
        while let Some(c) = current {
            if c == scope {
                return true;
            }
            hops += 1;
            if hops > 64 {
                return false;
            }
            current = self.parents.get(c).and_then(|p| p.as_ref());
        }
        false
    }
}

/// What a staff member may do, held at an organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 事项编制人员: drafts and declares the items of their department.
    CatalogEditor,
    /// 法制审核人员: legal review.
    LegalReviewer,
    /// 审批领导: approves and puts items into the library for their government.
    Approver,
    /// 系统管理员: staff accounts, imports, the journal.
    Administrator,
    /// 承办人员: accepts and handles the cases of their department's items.
    CaseClerk,
    /// 监察人员: watches the cases of the organisations beneath them, closes,
    /// escalates and revokes signals.
    Supervisor,
    /// 热线话务员: takes the 96345 hotline's requests, answers or dispatches
    /// them, reviews returns, extensions and answers, visits and urges.
    HotlineOperator,
    /// 市民卡柜员: issues cards and serves their holders at a service hall.
    CardClerk,
    /// 市民卡运营: registers operators, merchants and terminals, and settles.
    CardOperator,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Role::CatalogEditor,
        Role::LegalReviewer,
        Role::Approver,
        Role::Administrator,
        Role::CaseClerk,
        Role::Supervisor,
        Role::HotlineOperator,
        Role::CardClerk,
        Role::CardOperator,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Role::CatalogEditor => "catalog_editor",
            Role::LegalReviewer => "legal_reviewer",
            Role::Approver => "approver",
            Role::Administrator => "administrator",
            Role::CaseClerk => "case_clerk",
            Role::Supervisor => "supervisor",
            Role::HotlineOperator => "hotline_operator",
            Role::CardClerk => "card_clerk",
            Role::CardOperator => "card_operator",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
    pub fn name_zh(self) -> &'static str {
        match self {
            Role::CatalogEditor => "事项编制",
            Role::LegalReviewer => "法制审核",
            Role::Approver => "审批",
            Role::Administrator => "系统管理",
            Role::CaseClerk => "办件承办",
            Role::Supervisor => "电子监察",
            Role::HotlineOperator => "热线受理",
            Role::CardClerk => "市民卡柜员",
            Role::CardOperator => "市民卡运营",
        }
    }
    pub fn name_en(self) -> &'static str {
        match self {
            Role::CatalogEditor => "Catalogue editor",
            Role::LegalReviewer => "Legal reviewer",
            Role::Approver => "Approver",
            Role::Administrator => "Administrator",
            Role::CaseClerk => "Case clerk",
            Role::Supervisor => "Supervisor",
            Role::HotlineOperator => "Hotline operator",
            Role::CardClerk => "Card clerk",
            Role::CardOperator => "Card operator",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub role: Role,
    pub org: OrgCode,
}

/// A post (岗位) held in an organisation, named as the catalogue's process
/// steps name it (e.g. 窗口受理员, 登记注册审核员).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Post {
    pub org: OrgCode,
    pub name: String,
}

/// A post's name: 1 to 50 characters, no control characters.
pub fn validate_post_name(name: &str) -> Result<String, (&'static str, &'static str)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 50 || !crate::refusal::is_clean_text(name) {
        return Err((
            "岗位名称应为1至50个字符，且不能包含控制字符",
            "A post's name has 1 to 50 characters and no control characters",
        ));
    }
    Ok(name.to_string())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserKind {
    Staff,
    Citizen,
    Enterprise,
}

impl UserKind {
    pub fn as_str(self) -> &'static str {
        match self {
            UserKind::Staff => "staff",
            UserKind::Citizen => "citizen",
            UserKind::Enterprise => "enterprise",
        }
    }
    pub fn parse(s: &str) -> Option<UserKind> {
        [UserKind::Staff, UserKind::Citizen, UserKind::Enterprise]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// Who is acting: the signed-in user with their grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    pub user_id: i64,
    pub login: String,
    pub display_name: String,
    pub kind: UserKind,
    /// The staff member's own organisation.
    pub org: Option<OrgCode>,
    pub grants: Vec<Grant>,
    /// The posts (岗位) the staff member holds: a process step is signed for
    /// only by a holder of its post.
    pub posts: Vec<Post>,
}

impl Actor {
    /// The name written into the journal.
    pub fn journal_name(&self) -> String {
        match self.kind {
            // A citizen's login is their identity number: the journal names the account instead.
            UserKind::Citizen => format!("citizen:#{}", self.user_id),
            _ => format!("{}:{}", self.kind.as_str(), self.login),
        }
    }
    pub fn has_role(&self, role: Role) -> bool {
        self.grants.iter().any(|g| g.role == role)
    }
}

/// A login name: 3–40 characters of letters, digits, `.`, `_`, `-`.
pub fn validate_login(login: &str) -> Result<(), (&'static str, &'static str)> {
    let ok = (3..=40).contains(&login.len())
        && login
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if ok {
        Ok(())
    } else {
        Err((
            "登录名应为3至40位字母、数字或 . _ -",
            "A login is 3 to 40 letters, digits or . _ -",
        ))
    }
}

/// A password that is long enough to matter.
pub fn validate_password(password: &str) -> Result<(), (&'static str, &'static str)> {
    if password.chars().count() < 8 {
        Err(("密码至少8位", "A password has at least 8 characters"))
    } else if password.len() > 256 {
        Err((
            "密码不能超过256个字符",
            "A password has at most 256 characters",
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod unit_tests {
    use super::*;

    fn org(code: &str, kind: OrgKind, parent: Option<&str>) -> Organisation {
        Organisation {
            code: OrgCode::parse(code).expect("a code"),
            name: "单位".into(),
            name_en: "Unit".into(),
            kind,
            parent: parent.map(|p| OrgCode::parse(p).expect("a code")),
        }
    }

    #[test]
    fn a_unit_belongs_under_a_government_with_its_region_in_its_code() {
        let city = org("330100", OrgKind::City, None);
        let xihu = org("330106", OrgKind::District, Some("330100"));
        let dept = org("330100-004", OrgKind::Department, Some("330100"));
        check_new_unit(&org("330100-U11", OrgKind::Utility, Some("330100")), &city)
            .expect("a utility of the city");
        check_new_unit(
            &org("330106-009", OrgKind::Department, Some("330106")),
            &xihu,
        )
        .expect("a district's department");
        let fields = |r: Refusal| r.fields.keys().cloned().collect::<Vec<_>>();
        let r = check_new_unit(
            &org("330106-009", OrgKind::Department, Some("330100")),
            &city,
        )
        .expect_err("another region's code");
        assert_eq!(fields(r), vec!["code"]);
        let mut nameless = org("330100-U12", OrgKind::District, Some("330100"));
        nameless.name_en = " ".into();
        let r = check_new_unit(&nameless, &city).expect_err("two faults");
        assert_eq!(fields(r), vec!["kind", "name"]);
        let r = check_new_unit(
            &org("330100-U13", OrgKind::Utility, Some("330100-004")),
            &dept,
        )
        .expect_err("under a department");
        assert_eq!(fields(r), vec!["parent"]);
    }
}
