//! Reading the registry: households listed without names, a household
//! read for a stated purpose with the fields that purpose shows, every read
//! journaled and recorded against each member, and a resident's own record.

use serde::Serialize;
use serde_json::json;
use sunshine_domain::access::{ReadKind, ReadPurpose};
use sunshine_domain::identity::Actor;
use sunshine_domain::policy::Action;
use sunshine_domain::refusal::Refusal;
use sunshine_domain::registry::view::PersonView;
use sunshine_domain::registry::{DivisionCode, Person};
use sunshine_store::registry as store;

use crate::access::{ReadOf, StaffRead};
use crate::{App, OrgDirectory, Result};

/// The purposes a staff member may read the registry for, in the order
/// one is chosen when they name none.
pub const REGISTRY_PURPOSES: [ReadPurpose; 2] =
    [ReadPurpose::KeepRecords, ReadPurpose::RegistryReview];

/// A household in a community's list: its number and size, no one's name.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HouseholdSummary {
    pub district: String,
    pub number: String,
    pub members: i64,
}

/// A household as a purpose shows it: its members, the head first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HouseholdView {
    pub district: String,
    pub number: String,
    pub community: String,
    /// The purpose the read was journaled with.
    pub purpose: ReadPurpose,
    pub members: Vec<PersonView>,
}

/// The purposes `actor` may read `community`'s records for.
pub(crate) fn purposes(
    orgs: &OrgDirectory,
    actor: &Actor,
    community: &DivisionCode,
) -> Vec<ReadPurpose> {
    let (org, district) = (community.org(), community.district_org());
    REGISTRY_PURPOSES
        .into_iter()
        .filter(|p| {
            crate::allow(
                orgs,
                actor,
                &Action::ReadResidents {
                    community: &org,
                    district: &district,
                    purpose: *p,
                },
            )
            .is_ok()
        })
        .collect()
}

fn no_household() -> Refusal {
    Refusal::not_found("该户", "The household")
}

/// The purpose a read is made for: the one named, if it is the reader's,
/// or the reader's own. A reader with none is told the household is not
/// found, as if it were not held, so that a read outside one's records
/// tells nothing of who is held there.
fn purpose_of(allowed: &[ReadPurpose], named: Option<ReadPurpose>) -> Result<ReadPurpose> {
    let Some(first) = allowed.first() else {
        return Err(no_household().into());
    };
    match named {
        None => Ok(*first),
        Some(p) if allowed.contains(&p) => Ok(p),
        Some(p) => Err(Refusal::forbidden(
            "purpose_not_yours",
            &format!("您不能以“{}”为目的查阅这些记录", p.name_zh()),
            &format!("You may not read these records for \"{}\"", p.as_str()),
        )
        .into()),
    }
}

impl App {
    /// The purposes `actor` may read the records of `community` for
    /// (none when the community's records are not theirs).
    pub fn registry_purposes(&self, actor: &Actor, community: &str) -> Vec<ReadPurpose> {
        match DivisionCode::community(community) {
            Ok(c) => purposes(&self.orgs(), actor, &c),
            Err(_) => vec![],
        }
    }

    /// A community's households by number, `limit` after `after`, without
    /// anyone's name: for those who read or collect its records.
    pub async fn registry_households(
        &self,
        actor: &Actor,
        community: &str,
        after: &str,
    ) -> Result<Vec<HouseholdSummary>> {
        let code = DivisionCode::community(community)
            .map_err(|e| Refusal::field("community", e.zh, e.en))?;
        let orgs = self.orgs();
        if purposes(&orgs, actor, &code).is_empty() && !super::collects(&orgs, actor, &code) {
            return Err(Refusal::forbidden(
                "forbidden",
                "您不能查阅该社区的人口信息",
                "You may not read this community's population records",
            )
            .into());
        }
        let mut conn = self.db.read().await?;
        Ok(store::households_of(&mut conn, code.as_str(), after, 200)
            .await?
            .into_iter()
            .map(|h| HouseholdSummary {
                district: h.district,
                number: h.number,
                members: h.members,
            })
            .collect())
    }

    /// A household, read for `purpose` (or the reader's own), with the
    /// fields the purpose shows; the read is journaled and each member
    /// with an identity number is shown it.
    pub async fn registry_household(
        &self,
        actor: &Actor,
        district: &str,
        number: &str,
        purpose: Option<ReadPurpose>,
    ) -> Result<HouseholdView> {
        let members = {
            let mut conn = self.db.read().await?;
            store::household_members(&mut conn, district, &number.to_ascii_uppercase()).await?
        };
        self.read_household(actor, members, purpose).await
    }

    /// The household of the person with identity number `id_number`, read
    /// as [`App::registry_household`] reads it (asked for by a body, so
    /// the number stays out of addresses and logs).
    pub async fn registry_lookup(
        &self,
        actor: &Actor,
        id_number: &str,
        purpose: Option<ReadPurpose>,
    ) -> Result<HouseholdView> {
        let number =
            sunshine_domain::ids::ResidentId::parse(&id_number.trim().to_ascii_uppercase())
                .map_err(|e| Refusal::field("id_number", e.zh, e.en))?;
        let members = {
            let mut conn = self.db.read().await?;
            let found =
                store::persons_by_id_number(&mut conn, &[number.as_str().to_string()]).await?;
            match found.first() {
                Some((_, p)) => {
                    store::household_members(&mut conn, &p.community[..6], &p.household).await?
                }
                None => vec![],
            }
        };
        self.read_household(actor, members, purpose).await
    }

    async fn read_household(
        &self,
        actor: &Actor,
        members: Vec<(i64, Person)>,
        purpose: Option<ReadPurpose>,
    ) -> Result<HouseholdView> {
        let Some((_, first)) = members.first() else {
            return Err(no_household().into());
        };
        let community = DivisionCode::parse(&first.community).map_err(|_| no_household())?;
        let purpose = purpose_of(&purposes(&self.orgs(), actor, &community), purpose)?;
        let (district, number) = (community.district().to_string(), first.household.clone());
        let what = format!("{district}/{number}");
        let read = StaffRead {
            subject: format!("registry/household/{what}"),
            kind: ReadKind::RegistryRecord,
            purpose,
            payload: json!({"district": district, "household": number, "members": members.len()}),
            persons: members
                .iter()
                .map(|(_, p)| ReadOf {
                    user: None,
                    number: p.id_number.clone(),
                    what: what.clone(),
                })
                .collect(),
        };
        self.record_staff_read(actor, read).await?;
        Ok(HouseholdView {
            district,
            number,
            community: community.to_string(),
            purpose,
            members: members
                .iter()
                .map(|(id, p)| PersonView::of(*id, p, purpose))
                .collect(),
        })
    }
}
