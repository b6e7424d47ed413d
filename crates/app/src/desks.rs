//! The places a person works: which of the staff pages an actor may open,
//! asked of the same checks those pages' commands and reads make, so a menu
//! never offers a door that answers 403. And the one page each person starts
//! the day on.

use sunshine_domain::identity::{Actor, Role, UserKind};
use sunshine_domain::policy::Action;

use crate::{App, CentreWork};

/// The staff places an actor may open. Each is true exactly when the read
/// behind the page would not refuse the actor.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Desks {
    /// The catalogue workbench and panorama (事项库): catalogue roles.
    pub catalog: bool,
    /// Importing the catalogue from a file: administrators.
    pub import_catalog: bool,
    /// The case inbox and extranet view of cases (办件).
    pub cases: bool,
    /// Registering a case at a counter (窗口收件).
    pub counter_cases: bool,
    /// Supervision signals: a supervisor's area or a unit's own.
    pub signals: bool,
    /// Complaints about departments, as a supervisor.
    pub complaints: bool,
    /// The 96345 desk: the operators' queue or a unit's inbox.
    pub hotline: bool,
    /// The hotline's categories, dispatch rules, units and keys.
    pub hotline_admin: bool,
    /// The citizen-card counter.
    pub card_counter: bool,
    /// Citizen-card operations: parties, terminals, settlement.
    pub card_operations: bool,
    /// Staff accounts of the actor's organisation.
    pub users: bool,
    /// Issuing real-name binding codes at a counter.
    pub binding: bool,
    /// The platform's own backup: its administrators.
    pub backup: bool,
    /// The backup centre: the departments' systems and their archives.
    pub backup_centre: bool,
    /// The population registry's import: community workers and registrars.
    pub registry: bool,
    /// The registry's anonymous aggregates: registrars, the city's too.
    pub registry_statistics: bool,
    /// The review queue of records that may be one person: a district's registrars.
    pub registry_review: bool,
    /// The city's named reads (市级具名查阅): the city's registrar asks, a
    /// district's registrar answers.
    pub registry_named_reads: bool,
    /// Home care (居家养老): a community's worker, or the hotline centre,
    /// which runs the housekeeping alliance.
    pub care: bool,
    /// The exchange between platforms (两级平台): on a city's or a
    /// district's platform, for staff who read the journal.
    pub exchange: bool,
    /// Resource sharing (资源共享): the catalogue, for any member of staff.
    pub sharing: bool,
}

impl App {
    /// Which staff places `actor` may open.
    pub fn desks(&self, actor: &Actor) -> Desks {
        if actor.kind != UserKind::Staff {
            return Desks::default();
        }
        let orgs = self.orgs();
        let any_org = |f: &dyn Fn(&sunshine_domain::ids::OrgCode) -> bool| {
            orgs.list.iter().any(|o| f(&o.code))
        };
        let may = |a: &Action<'_>| self.authorize(actor, a).is_ok();
        let catalogue_role = [
            Role::CatalogEditor,
            Role::LegalReviewer,
            Role::Approver,
            Role::Administrator,
        ]
        .into_iter()
        .any(|r| actor.has_role(r));
        let operates_hotline = self
            .authorize_centre(actor, CentreWork::OperateHotline)
            .is_ok();
        let handles_tickets = any_org(&|o| may(&Action::HandleTicket { unit: o }));
        Desks {
            catalog: catalogue_role && may(&Action::ViewStaffCatalog),
            import_catalog: any_org(&|o| {
                may(&Action::ImportCatalog {
                    region_government: o,
                })
            }),
            cases: self.viewable_departments(actor).is_ok(),
            counter_cases: any_org(&|o| may(&Action::RegisterAtCounter { department: o })),
            signals: self.signal_departments(actor).is_ok(),
            complaints: any_org(&|o| may(&Action::Supervise { department: o })),
            hotline: operates_hotline || handles_tickets,
            hotline_admin: may(&Action::ManageHotline),
            card_counter: self
                .authorize_centre(actor, CentreWork::ServeCardholder)
                .is_ok(),
            card_operations: self
                .authorize_centre(actor, CentreWork::OperateCards)
                .is_ok(),
            users: self.manages_staff(actor),
            binding: actor
                .org
                .as_ref()
                .is_some_and(|counter| may(&Action::IssueBindingCode { counter })),
            backup: self.may_see_backup(actor),
            exchange: self.platform().is_some() && may(&Action::ReadJournal),
            backup_centre: self
                .authorize_centre(actor, CentreWork::KeepBackups)
                .is_ok(),
            // Records are collected for communities: a role held above the
            // districts (the city's registrar) collects none.
            registry: orgs
                .list
                .iter()
                .filter(|o| o.kind == sunshine_domain::identity::OrgKind::Community)
                .any(|o| {
                    sunshine_domain::ids::OrgCode::parse(o.code.region().as_str()).is_ok_and(
                        |district| {
                            may(&Action::CollectResidents {
                                community: &o.code,
                                district: &district,
                            })
                        },
                    )
                }),
            registry_review: orgs.list.iter().any(|o| {
                matches!(
                    o.kind,
                    sunshine_domain::identity::OrgKind::District
                        | sunshine_domain::identity::OrgKind::County
                        | sunshine_domain::identity::OrgKind::Zone
                ) && may(&Action::ReadResidents {
                    community: &o.code,
                    district: &o.code,
                    purpose: sunshine_domain::access::ReadPurpose::RegistryReview,
                })
            }),
            registry_statistics: any_org(&|o| may(&Action::ViewRegistryStatistics { region: o })),
            registry_named_reads: {
                let (asks, decides) = self.named_read_desk(actor);
                asks || decides
            },
            care: operates_hotline || self.serves_a_community(actor),
            sharing: may(&Action::ViewStaffCatalog),
        }
    }

    /// Where `actor` starts after signing in: the place of their main role.
    /// An administrator, who may hold every role, starts on the accounts.
    pub fn home(&self, actor: &Actor) -> &'static str {
        if actor.kind != UserKind::Staff {
            return if actor.is_verified() {
                "/hall/my"
            } else {
                "/account/bind"
            };
        }
        let d = self.desks(actor);
        let by_role = [
            (Role::Administrator, d.users, "/staff/users"),
            (Role::CaseClerk, d.cases, "/staff/cases"),
            (Role::HotlineOperator, d.hotline, "/staff/hotline"),
            (Role::CardClerk, d.card_counter, "/staff/card"),
            (
                Role::CardOperator,
                d.card_operations,
                "/staff/card/operations",
            ),
            (Role::Supervisor, d.signals, "/staff/signals"),
            (Role::BackupKeeper, d.backup_centre, "/staff/backup-centre"),
            (Role::CommunityWorker, d.registry, "/staff/registry"),
            (Role::Registrar, d.registry, "/staff/registry"),
            (
                Role::Registrar,
                d.registry_statistics,
                "/staff/registry/statistics",
            ),
            (Role::CatalogEditor, d.catalog, "/staff/"),
            (Role::LegalReviewer, d.catalog, "/staff/"),
            (Role::Approver, d.catalog, "/staff/"),
        ];
        by_role
            .into_iter()
            .find(|(role, open, _)| *open && actor.has_role(*role))
            .map(|(_, _, path)| path)
            .unwrap_or("/account")
    }
}
