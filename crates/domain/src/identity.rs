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
    /// 街道、乡镇
    SubDistrict,
    /// 社区、村
    Community,
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
            OrgKind::SubDistrict => "sub_district",
            OrgKind::Community => "community",
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
            OrgKind::SubDistrict,
            OrgKind::Community,
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

/// Whether `unit` may be added under `parent`: a department or a public
/// utility under a government, its code the parent's region code and a
/// number (`330100-U11`); a sub-district (街道) under a district or county,
/// its code the district's and its township's three digits and `000`
/// (`330106-001000`); a community (社区) under its sub-district, with the
/// same district and township and its own three digits (`330106-001001`),
/// so that a community's code is its 12-digit statistical division code.
/// Both names in every case. Every fault at once.
pub fn check_new_unit(unit: &Organisation, parent: &Organisation) -> Result<(), Refusal> {
    let mut e = crate::refusal::FieldErrors::default();
    let (region, number) = unit
        .code
        .as_str()
        .split_once('-')
        .unwrap_or((unit.code.as_str(), ""));
    let three = |s: &str| s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()) && s != "000";
    let under_parent = unit.parent.as_ref() == Some(&parent.code);
    match unit.kind {
        OrgKind::Department | OrgKind::Utility => {
            if !parent.kind.is_government() || !under_parent {
                e.add(
                    "parent",
                    "上级应为市、区县政府或开发区",
                    "A unit belongs to a city, district, county or zone government",
                );
            } else if region != parent.code.as_str() {
                e.add(
                    "code",
                    format!("单位代码应为“{}-序号”", parent.code),
                    format!("A unit's code is \"{}-NUMBER\"", parent.code),
                );
            }
        }
        OrgKind::SubDistrict => {
            if !matches!(parent.kind, OrgKind::District | OrgKind::County) || !under_parent {
                e.add(
                    "parent",
                    "街道的上级应为区、县政府",
                    "A sub-district belongs to a district or county government",
                );
            } else if region != parent.code.as_str()
                || number.len() != 6
                || !three(&number[..3])
                || &number[3..] != "000"
            {
                e.add(
                    "code",
                    format!("街道代码应为“{}-”加三位街道编号和000", parent.code),
                    format!(
                        "A sub-district's code is \"{}-\", its three-digit number and 000",
                        parent.code
                    ),
                );
            }
        }
        OrgKind::Community => {
            let sub_district = parent.code.as_str();
            if parent.kind != OrgKind::SubDistrict || !under_parent {
                e.add(
                    "parent",
                    "社区的上级应为街道",
                    "A community belongs to a sub-district",
                );
            } else if number.len() != 6
                || !three(&number[3..])
                || format!("{region}-{}000", &number[..3]) != sub_district
            {
                e.add(
                    "code",
                    format!("社区代码应为街道代码的前九位加三位社区编号（{sub_district}→…001）"),
                    format!(
                        "A community's code is its sub-district's with its own three digits for the last 000 ({sub_district} → …001)"
                    ),
                );
            }
        }
        _ => e.add(
            "kind",
            "可添加的单位为部门、公用事业单位、街道或社区",
            "A unit is a department, a public utility, a sub-district or a community",
        ),
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

/// The platform's city-wide services, each run by one organisation (its
/// centre): their roles count only where they cover it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CityService {
    /// 96345 热线
    Hotline,
    /// 市民卡
    Card,
    /// 数据容灾集中备份中心: receives and keeps the departments' backups.
    BackupCentre,
}

impl CityService {
    pub const ALL: [CityService; 3] = [
        CityService::Hotline,
        CityService::Card,
        CityService::BackupCentre,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            CityService::Hotline => "hotline",
            CityService::Card => "card",
            CityService::BackupCentre => "backup_centre",
        }
    }
    pub fn parse(s: &str) -> Option<CityService> {
        CityService::ALL.into_iter().find(|c| c.as_str() == s)
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
    /// 容灾备份中心管理员: registers the departments' systems and their keys,
    /// and keeps the archives they send to the backup centre.
    BackupKeeper,
    /// 社区工作者: collects and corrects the population records of the
    /// community where the role is held.
    CommunityWorker,
    /// 人口登记员: holds the population records of a district, imports and
    /// reviews them, at the district's government.
    Registrar,
}

impl Role {
    pub const ALL: [Role; 12] = [
        Role::CatalogEditor,
        Role::LegalReviewer,
        Role::Approver,
        Role::Administrator,
        Role::CaseClerk,
        Role::Supervisor,
        Role::HotlineOperator,
        Role::CardClerk,
        Role::CardOperator,
        Role::BackupKeeper,
        Role::CommunityWorker,
        Role::Registrar,
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
            Role::BackupKeeper => "backup_keeper",
            Role::CommunityWorker => "community_worker",
            Role::Registrar => "registrar",
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
            Role::BackupKeeper => "容灾备份中心管理员",
            Role::CommunityWorker => "社区工作者",
            Role::Registrar => "人口登记员",
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
            Role::BackupKeeper => "Backup centre keeper",
            Role::CommunityWorker => "Community worker",
            Role::Registrar => "Population registrar",
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
    /// 实名: the identity number (a citizen) or credit code (an enterprise)
    /// the account is bound to; `None` until a counter code or the citizen
    /// card binds it. Nothing registered to a number reaches an account
    /// before this says it is that number's.
    pub verified_id: Option<String>,
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
    /// A citizen or an enterprise whose account is bound to its identity.
    pub fn is_verified(&self) -> bool {
        self.kind != UserKind::Staff && self.verified_id.is_some()
    }
}

/// A login chosen at sign-up: as any login, and not shaped like an identity
/// number or a credit code, which sign in only once bound (a login must not
/// tell whether a number has an account).
pub fn validate_applicant_login(login: &str) -> Result<(), (&'static str, &'static str)> {
    validate_login(login)?;
    let upper = login.to_ascii_uppercase();
    if crate::ids::ResidentId::parse(&upper).is_ok()
        || crate::ids::CreditCode::parse(&upper).is_ok()
    {
        return Err((
            "登录名不能是身份证号或统一社会信用代码；实名核验后可用证件号登录",
            "A login cannot be an identity number or a credit code; once bound, you can sign in with your number",
        ));
    }
    Ok(())
}

/// 实名核验码: the one-time code a counter clerk hands a person whose papers
/// they have checked. Ten characters of the query codes' alphabet (no
/// look-alikes), about 49 bits: typed once, never guessed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BindingCode(String);

const BINDING_ALPHABET: &[u8; 31] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

impl BindingCode {
    /// Made from random bytes that the caller draws (the domain draws none).
    pub fn from_random(bytes: [u8; 10]) -> BindingCode {
        BindingCode(
            bytes
                .iter()
                .map(|b| BINDING_ALPHABET[usize::from(*b) % BINDING_ALPHABET.len()] as char)
                .collect(),
        )
    }
    /// As typed: spaces and dashes ignored, any case.
    pub fn parse(s: &str) -> Option<BindingCode> {
        let s: String = s
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect::<String>()
            .to_ascii_uppercase();
        (s.len() == 10 && s.bytes().all(|b| BINDING_ALPHABET.contains(&b)))
            .then_some(BindingCode(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How long a binding code can be used after the counter issued it.
pub const BINDING_CODE_DAYS: i64 = 7;

/// A citizen card's PIN, set at the counter: six digits, not all alike and
/// not a run (123456), which anyone would try first.
pub fn validate_card_pin(pin: &str) -> Result<(), (&'static str, &'static str)> {
    let digits: Vec<u8> = pin.bytes().collect();
    if digits.len() != 6 || !digits.iter().all(u8::is_ascii_digit) {
        return Err(("密码应为6位数字", "A PIN is six digits"));
    }
    let same = digits.windows(2).all(|w| w[0] == w[1]);
    let up = digits.windows(2).all(|w| w[1] == w[0] + 1);
    let down = digits.windows(2).all(|w| w[0] == w[1] + 1);
    if same || up || down {
        return Err((
            "密码过于简单（不能全部相同或连续）",
            "The PIN is too easy (all alike or a run)",
        ));
    }
    Ok(())
}

/// Wrong PINs in a row before the card's PIN locks until the counter sets a new one.
pub const PIN_ATTEMPTS: i64 = 5;

/// What an account says it is when it binds, against what the counter
/// checked: the same kind and the same number. The number alone never binds.
pub fn check_binding(
    account_kind: UserKind,
    claimed: &str,
    proven_kind: UserKind,
    proven: &str,
) -> Result<(), Refusal> {
    if account_kind != proven_kind || !claimed.eq_ignore_ascii_case(proven) {
        return Err(Refusal::forbidden(
            "binding_mismatch",
            "核验凭证与本账号登记的证件号码不符",
            "This proof is for another number than the one this account was registered with",
        ));
    }
    Ok(())
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

    #[test]
    fn a_login_is_never_an_identity_number_or_a_credit_code() {
        assert!(validate_applicant_login("wang.xiaoming").is_ok());
        assert!(validate_applicant_login("11010519491231002X").is_err());
        assert!(validate_applicant_login("11010519491231002x").is_err());
        let first17 = "91330106MA2CD0001";
        let check = crate::ids::CreditCode::check_char(first17).expect("a check character");
        assert!(validate_applicant_login(&format!("{first17}{check}")).is_err());
    }

    #[test]
    fn binding_codes_read_as_people_type_them() {
        let code = BindingCode::from_random([0, 1, 2, 3, 4, 5, 6, 7, 8, 200]);
        assert_eq!(code.as_str().len(), 10);
        let typed = format!(
            " {}-{} ",
            &code.as_str()[..5].to_ascii_lowercase(),
            &code.as_str()[5..]
        );
        assert_eq!(BindingCode::parse(&typed), Some(code));
        assert_eq!(
            BindingCode::parse("O0I1L23456"),
            None,
            "look-alikes are not in it"
        );
        assert_eq!(BindingCode::parse("23456"), None);
    }

    #[test]
    fn a_pin_is_six_digits_and_not_the_first_guess() {
        assert!(validate_card_pin("274916").is_ok());
        for bad in [
            "12345", "1234567", "12a456", "000000", "123456", "654321", "",
        ] {
            assert!(validate_card_pin(bad).is_err(), "{bad:?} must be refused");
        }
    }

    #[test]
    fn only_the_number_the_counter_checked_binds() {
        let id = "11010519491231002X";
        assert!(check_binding(UserKind::Citizen, id, UserKind::Citizen, id).is_ok());
        assert!(
            check_binding(UserKind::Citizen, &id.to_lowercase(), UserKind::Citizen, id).is_ok()
        );
        assert!(check_binding(
            UserKind::Citizen,
            "110105194912310038",
            UserKind::Citizen,
            id
        )
        .is_err());
        assert!(check_binding(UserKind::Enterprise, id, UserKind::Citizen, id).is_err());
    }

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
    fn sub_districts_and_communities_carry_their_division_codes() {
        let xihu = org("330106", OrgKind::District, Some("330100"));
        let city = org("330100", OrgKind::City, None);
        let beishan = org("330106-001000", OrgKind::SubDistrict, Some("330106"));
        check_new_unit(&beishan, &xihu).expect("a sub-district of a district");
        check_new_unit(
            &org("330106-001002", OrgKind::Community, Some("330106-001000")),
            &beishan,
        )
        .expect("a community of the sub-district");
        let fields = |r: Refusal| r.fields.keys().cloned().collect::<Vec<_>>();
        for (unit, parent, wrong) in [
            (
                org("330100-001000", OrgKind::SubDistrict, Some("330100")),
                &city,
                "parent",
            ),
            (
                org("330106-001", OrgKind::SubDistrict, Some("330106")),
                &xihu,
                "code",
            ),
            (
                org("330106-000000", OrgKind::SubDistrict, Some("330106")),
                &xihu,
                "code",
            ),
            (
                org("330106-002001", OrgKind::Community, Some("330106-001000")),
                &beishan,
                "code",
            ),
            (
                org("330106-001000", OrgKind::Community, Some("330106-001000")),
                &beishan,
                "code",
            ),
            (
                org("330106-001003", OrgKind::Community, Some("330106")),
                &xihu,
                "parent",
            ),
            (
                org("330106-001003", OrgKind::Department, Some("330106-001000")),
                &beishan,
                "parent",
            ),
        ] {
            let r = check_new_unit(&unit, parent).expect_err("refused");
            assert_eq!(fields(r), vec![wrong], "{}", unit.code);
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
