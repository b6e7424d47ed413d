//! 窗口受理: what a clerk at the counter may register, and the item version
//! in force that an application taken there is for.

use crate::catalog::{VersionFilter, VersionRow, VersionSummary};
use sunshine_domain::catalog::VersionState;
use sunshine_domain::identity::Actor;
use sunshine_domain::ids::OrgCode;
use sunshine_domain::policy::Action;
use sunshine_domain::refusal::Refusal;

use crate::{App, Result};

impl App {
    /// The items in the library that the clerk may register applications
    /// for at the counter.
    pub async fn counter_items(&self, actor: &Actor) -> Result<Vec<VersionSummary>> {
        let filter = VersionFilter {
            state: Some(VersionState::InLibrary),
            latest_only: false,
            limit: 500,
            ..Default::default()
        };
        let list = self.staff_versions(actor, filter).await?.items;
        Ok(list
            .into_iter()
            .filter(|v| {
                OrgCode::parse(&v.implementing_body).is_ok_and(|department| {
                    let register = Action::RegisterAtCounter {
                        department: &department,
                    };
                    self.authorize(actor, &register).is_ok()
                })
            })
            .collect())
    }

    /// The item version in force for an item, as staff see it.
    pub async fn item_in_force(&self, actor: &Actor, item_id: i64) -> Result<VersionRow> {
        self.item_versions(actor, item_id)
            .await?
            .into_iter()
            .find(|v| v.current_version == Some(v.id) && v.state == VersionState::InLibrary)
            .ok_or_else(|| Refusal::not_found("可申请的事项", "Item open for applications").into())
    }
}
