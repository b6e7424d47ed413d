//! The one place that decides who may do what, in which organisation.
//! Every app-layer command asks `authorize` before it changes anything.

use crate::access::ReadPurpose;
use crate::identity::{Actor, OrgTree, Role, UserKind};
use crate::ids::OrgCode;
use crate::refusal::Refusal;

/// Something an actor wants to do, with the organisations it touches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action<'a> {
    /// 编制: create an item or a new version, edit a draft.
    DraftItem { implementing_body: &'a OrgCode },
    /// 申报
    DeclareItem { implementing_body: &'a OrgCode },
    /// 审核
    ReviewItem { implementing_body: &'a OrgCode },
    /// 批准, for the government of the item's region.
    ApproveItem { region_government: &'a OrgCode },
    /// 入库
    PublishItem { region_government: &'a OrgCode },
    /// 退回: by the reviewer of the department or the approver of the region.
    ReturnItem {
        implementing_body: &'a OrgCode,
        region_government: &'a OrgCode,
    },
    /// Bulk import into a region's catalogue.
    ImportCatalog { region_government: &'a OrgCode },
    /// Staff-only views: the panoramic view, export, drafts.
    ViewStaffCatalog,
    /// 人口采集: import, collect and correct the population records of a
    /// community, as its community worker or a registrar of its district.
    CollectResidents {
        community: &'a OrgCode,
        district: &'a OrgCode,
    },
    /// 查阅人口信息: read a community's population records for a purpose:
    /// keeping them, as its community worker; reviewing them, as a
    /// registrar of its district. A role held above the district (the
    /// city's) never reads persons.
    ReadResidents {
        community: &'a OrgCode,
        district: &'a OrgCode,
        purpose: ReadPurpose,
    },
    /// 社区服务: home care (register and assess a community's elderly
    /// residents, place and follow their orders), aid to its vulnerable
    /// households and its volunteers' activities, as the community's
    /// worker (held at the district or beneath it).
    ServeCommunity {
        community: &'a OrgCode,
        district: &'a OrgCode,
    },
    /// 人口统计: see the registry's anonymous aggregates of a region, as a
    /// registrar over it (the city's registrar sees the whole city's).
    ViewRegistryStatistics { region: &'a OrgCode },
    /// Ask a district to let the city read a named person's record
    /// (市级具名查阅): the city's registrar, whose role is held at the root.
    AskNamedRead,
    /// 定义标准: change the city's code lists for the registry (add, rename,
    /// retire and restore codes): the city's registrar, held at the root.
    DefineRegistryStandard,
    /// Approve or refuse the city's request to read a person the district
    /// holds: the district's registrar, within the district.
    DecideNamedRead { district: &'a OrgCode },
    /// Create staff accounts and grant roles in an organisation.
    ManageStaff { org: &'a OrgCode },
    /// Read and verify the whole journal.
    ReadJournal,
    /// 网上申报: a citizen or an enterprise applies for an item.
    ApplyOnline,
    /// 网上监督: a citizen or an enterprise complains about a case or a department.
    FileComplaint,
    /// 窗口受理: staff register an application taken at a counter.
    RegisterAtCounter { department: &'a OrgCode },
    /// Accept, handle and decide the cases of a department's items.
    HandleCase { department: &'a OrgCode },
    /// 签收: sign for a process step, as a clerk of the department holding the step's post.
    ClaimStep {
        department: &'a OrgCode,
        post: &'a str,
    },
    /// Consent to extending a case's time limit (the head's approval).
    ExtendCase { department: &'a OrgCode },
    /// See a department's cases with the applicants' details.
    ViewCases { department: &'a OrgCode },
    /// Configure the one-stop bundles (一件事) a government offers.
    DefineBundle { region_government: &'a OrgCode },
    /// Revoke an e-licence the department issued.
    RevokeLicence { department: &'a OrgCode },
    /// 电子监察: see the signals on a department's cases, close, escalate
    /// (督办) or revoke them, as a supervisor over the department.
    Supervise { department: &'a OrgCode },
    /// 回告: answer a signal on the department's cases with its rectification,
    /// as the department's own clerk or approver.
    RespondToSignal { department: &'a OrgCode },
    /// 96345: take, answer, dispatch, review, visit and urge the hotline's
    /// requests, and look a caller up, as an operator of the hotline centre.
    OperateHotline { centre: &'a OrgCode },
    /// Sign for, return, ask more time for and answer the hotline's
    /// requests sent to a unit, as the unit's clerk or approver.
    HandleTicket { unit: &'a OrgCode },
    /// Edit the hotline's categories and dispatch catalogue, and issue or
    /// revoke Open311 clients' keys, as an administrator of the city.
    ManageHotline,
    /// 市民卡: issue cards and do their holders' business at a counter, as a
    /// clerk of the card centre (which serves the whole city).
    ServeCardholder { centre: &'a OrgCode },
    /// 市民卡: register operators, merchants and terminals, and settle with
    /// them, as an operator of the card centre.
    OperateCards { centre: &'a OrgCode },
    /// 数据容灾集中备份中心: register the departments' systems and their keys,
    /// and see and verify the archives they send, as a keeper of the centre.
    KeepBackups { centre: &'a OrgCode },
    /// Grant a role held at an organisation: an administrator over it who
    /// holds that role there (or above) themselves.
    GrantRole { role: Role, org: &'a OrgCode },
    /// 实名核验: issue a one-time binding code to a person whose papers a
    /// counter clerk (hall or card centre) has checked at the counter.
    IssueBindingCode { counter: &'a OrgCode },
    /// Name the organisations that run the platform's city-wide services
    /// (the hotline centre, the card centre), as a root administrator.
    ConfigurePlatform,
    /// 资源目录编制: register a department's information resources, publish
    /// their data and submit its feeds, and resolve where its feed and
    /// another disagree, as the department's catalogue editor or
    /// administrator.
    CatalogueResources { owner: &'a OrgCode },
    /// 订阅审核: approve, refuse and revoke the subscriptions to a
    /// department's resources, as its approver or administrator.
    DecideSubscriptions { owner: &'a OrgCode },
    /// 申请订阅: subscribe to other departments' resources for a department,
    /// hold its keys and read its read log, as its staff who work with data
    /// (catalogue editor, case clerk, approver, administrator).
    UseResources { subscriber: &'a OrgCode },
}

impl Action<'_> {
    pub fn name(&self) -> &'static str {
        match self {
            Action::DraftItem { .. } => "draft_item",
            Action::DeclareItem { .. } => "declare_item",
            Action::ReviewItem { .. } => "review_item",
            Action::ApproveItem { .. } => "approve_item",
            Action::PublishItem { .. } => "publish_item",
            Action::ReturnItem { .. } => "return_item",
            Action::ImportCatalog { .. } => "import_catalog",
            Action::ViewStaffCatalog => "view_staff_catalog",
            Action::ManageStaff { .. } => "manage_staff",
            Action::CollectResidents { .. } => "collect_residents",
            Action::ReadResidents { .. } => "read_residents",
            Action::ViewRegistryStatistics { .. } => "view_registry_statistics",
            Action::AskNamedRead => "ask_named_read",
            Action::DefineRegistryStandard => "define_registry_standard",
            Action::DecideNamedRead { .. } => "decide_named_read",
            Action::ServeCommunity { .. } => "serve_community",
            Action::ReadJournal => "read_journal",
            Action::ApplyOnline => "apply_online",
            Action::FileComplaint => "file_complaint",
            Action::RegisterAtCounter { .. } => "register_at_counter",
            Action::HandleCase { .. } => "handle_case",
            Action::ClaimStep { .. } => "claim_step",
            Action::ExtendCase { .. } => "extend_case",
            Action::ViewCases { .. } => "view_cases",
            Action::DefineBundle { .. } => "define_bundle",
            Action::RevokeLicence { .. } => "revoke_licence",
            Action::Supervise { .. } => "supervise",
            Action::OperateHotline { .. } => "operate_hotline",
            Action::HandleTicket { .. } => "handle_ticket",
            Action::ManageHotline => "manage_hotline",
            Action::ServeCardholder { .. } => "serve_cardholder",
            Action::OperateCards { .. } => "operate_cards",
            Action::KeepBackups { .. } => "keep_backups",
            Action::GrantRole { .. } => "grant_role",
            Action::IssueBindingCode { .. } => "issue_binding_code",
            Action::ConfigurePlatform => "configure_platform",
            Action::RespondToSignal { .. } => "respond_to_signal",
            Action::CatalogueResources { .. } => "catalogue_resources",
            Action::DecideSubscriptions { .. } => "decide_subscriptions",
            Action::UseResources { .. } => "use_resources",
        }
    }
}

/// Allow or refuse, with the reason.
pub fn authorize(actor: &Actor, action: &Action<'_>, tree: &OrgTree) -> Result<(), Refusal> {
    // Applying is for citizens and enterprises; everything else is staff work.
    if let Action::ApplyOnline | Action::FileComplaint = action {
        return match actor.kind {
            UserKind::Citizen | UserKind::Enterprise => Ok(()),
            UserKind::Staff => Err(refuse(action)),
        };
    }
    if actor.kind != UserKind::Staff {
        return Err(refuse(action));
    }
    // A role held at `scope` covers `org` when org lies beneath it.
    let covers = |role: Role, org: &OrgCode| {
        actor
            .grants
            .iter()
            .any(|g| g.role == role && tree.is_within(org, &g.org))
    };
    // Approval belongs to the government of the item's own level, not a higher one.
    let holds_at =
        |role: Role, org: &OrgCode| actor.grants.iter().any(|g| g.role == role && &g.org == org);
    // Population records are the district's: a role over them counts only
    // where it is held at the district or beneath it, never from above.
    let in_district = |role: Role, org: &OrgCode, district: &OrgCode| {
        actor.grants.iter().any(|g| {
            g.role == role && tree.is_within(org, &g.org) && tree.is_within(&g.org, district)
        })
    };
    let allowed = match action {
        Action::DraftItem { implementing_body } | Action::DeclareItem { implementing_body } => {
            covers(Role::CatalogEditor, implementing_body)
        }
        Action::ReviewItem { implementing_body } => covers(Role::LegalReviewer, implementing_body),
        Action::ApproveItem { region_government } | Action::PublishItem { region_government } => {
            holds_at(Role::Approver, region_government)
        }
        Action::ReturnItem {
            implementing_body,
            region_government,
        } => {
            covers(Role::LegalReviewer, implementing_body)
                || holds_at(Role::Approver, region_government)
        }
        Action::ImportCatalog { region_government }
        | Action::DefineBundle { region_government } => {
            covers(Role::Administrator, region_government)
        }
        Action::ViewStaffCatalog => !actor.grants.is_empty(),
        Action::ManageStaff { org } => covers(Role::Administrator, org),
        Action::CollectResidents {
            community,
            district,
        } => {
            in_district(Role::CommunityWorker, community, district)
                || in_district(Role::Registrar, district, district)
        }
        Action::ReadResidents {
            community,
            district,
            purpose,
        } => match purpose {
            ReadPurpose::KeepRecords => in_district(Role::CommunityWorker, community, district),
            ReadPurpose::RegistryReview => in_district(Role::Registrar, district, district),
            _ => false,
        },
        Action::ViewRegistryStatistics { region } => covers(Role::Registrar, region),
        Action::AskNamedRead | Action::DefineRegistryStandard => actor
            .grants
            .iter()
            .any(|g| g.role == Role::Registrar && tree.is_root(&g.org)),
        Action::DecideNamedRead { district } => in_district(Role::Registrar, district, district),
        Action::ServeCommunity {
            community,
            district,
        } => in_district(Role::CommunityWorker, community, district),
        Action::ReadJournal | Action::ConfigurePlatform | Action::ManageHotline => actor
            .grants
            .iter()
            .any(|g| g.role == Role::Administrator && tree.is_root(&g.org)),
        Action::ApplyOnline | Action::FileComplaint => false,
        Action::RegisterAtCounter { department } | Action::HandleCase { department } => {
            covers(Role::CaseClerk, department)
        }
        Action::ClaimStep { department, post } => {
            covers(Role::CaseClerk, department)
                && actor
                    .posts
                    .iter()
                    .any(|p| p.name == *post && tree.is_within(department, &p.org))
        }
        Action::ExtendCase { department } | Action::RevokeLicence { department } => {
            covers(Role::Approver, department)
        }
        // A community answers for its own services' signals (overdue care
        // orders, late aid reviews), as its worker within the district;
        // a worker answers for no department's cases.
        Action::RespondToSignal { department } => {
            covers(Role::CaseClerk, department)
                || covers(Role::Approver, department)
                || community_of(department).is_some_and(|c| {
                    in_district(Role::CommunityWorker, department, &c.district_org())
                })
        }
        // Supervisors read the cases they watch, each read journaled like any staff read.
        Action::ViewCases { department } => {
            covers(Role::CaseClerk, department)
                || covers(Role::Approver, department)
                || covers(Role::Supervisor, department)
        }
        Action::Supervise { department } => covers(Role::Supervisor, department),
        // The city-wide services are run by their centres: a role counts
        // only where it covers the centre, never from a district's grant.
        Action::OperateHotline { centre } => covers(Role::HotlineOperator, centre),
        Action::HandleTicket { unit } => {
            covers(Role::CaseClerk, unit) || covers(Role::Approver, unit)
        }
        Action::ServeCardholder { centre } => covers(Role::CardClerk, centre),
        Action::OperateCards { centre } => covers(Role::CardOperator, centre),
        Action::KeepBackups { centre } => covers(Role::BackupKeeper, centre),
        // Nobody hands on a role they do not hold, or above where they hold it.
        Action::GrantRole { role, org } => covers(Role::Administrator, org) && covers(*role, org),
        Action::IssueBindingCode { counter } => {
            covers(Role::CaseClerk, counter) || covers(Role::CardClerk, counter)
        }
        Action::CatalogueResources { owner } => {
            covers(Role::CatalogEditor, owner) || covers(Role::Administrator, owner)
        }
        Action::DecideSubscriptions { owner } => {
            covers(Role::Approver, owner) || covers(Role::Administrator, owner)
        }
        Action::UseResources { subscriber } => [
            Role::CatalogEditor,
            Role::CaseClerk,
            Role::Approver,
            Role::Administrator,
        ]
        .into_iter()
        .any(|r| covers(r, subscriber)),
    };
    if allowed {
        Ok(())
    } else {
        Err(refuse(action))
    }
}

/// One kind of work asked of each organisation in turn (`ViewCases` of
/// this department, `HandleTicket` for this unit).
pub type PerOrganisation = for<'c> fn(&'c OrgCode) -> Action<'c>;

/// The organisations among `orgs` where `actor` may do any of `work`, or
/// `refusal` when there are none: the one answer to "whose cases, tickets,
/// signals or complaints may this person see".
pub fn organisations_where<'o>(
    actor: &Actor,
    tree: &OrgTree,
    orgs: impl IntoIterator<Item = &'o OrgCode>,
    work: &[PerOrganisation],
    refusal: impl FnOnce() -> Refusal,
) -> Result<Vec<&'o OrgCode>, Refusal> {
    let found: Vec<&OrgCode> = orgs
        .into_iter()
        .filter(|org| work.iter().any(|w| authorize(actor, &w(org), tree).is_ok()))
        .collect();
    if found.is_empty() {
        return Err(refusal());
    }
    Ok(found)
}

/// The community an organisation is, if it is one (`330106-001001`).
fn community_of(org: &OrgCode) -> Option<crate::registry::DivisionCode> {
    crate::registry::DivisionCode::community(&org.as_str().replace('-', "")).ok()
}

fn refuse(action: &Action<'_>) -> Refusal {
    let mut r = Refusal::forbidden(
        "forbidden",
        "您没有执行此操作的权限",
        "You are not allowed to do this",
    );
    r.message.en = format!("You are not allowed to do this ({})", action.name());
    r
}

#[cfg(test)]
mod tests;
