//! The catalogue across the two levels (`domain::exchange::items`): an
//! item a district handles goes down to the district's own platform, as
//! it stands in the city's library, in the commit of each step that puts
//! a version of it in the library, in force or out of it.

use sunshine_domain::exchange::{self as exchange_rules, CatalogItem, Flow, ItemVersion};
use sunshine_domain::journal::Entry;
use sunshine_store::catalog as store;
use sunshine_store::WriteTx;

use crate::Result;

/// Send the item `item_id` as it stands now down to the district that
/// handles it, if that district runs a platform the city trusts; with the
/// entry `e` of the step that changed it.
pub(crate) async fn send_down(tx: &mut WriteTx, e: &Entry, item_id: i64) -> Result<()> {
    let Some((code, region, created_at, current_version)) =
        store::item_row(tx.conn(), item_id).await?
    else {
        return Ok(());
    };
    let versions: Vec<ItemVersion> = store::versions_of(tx.conn(), item_id)
        .await?
        .into_iter()
        .filter(|v| exchange_rules::in_library(v.state))
        .map(|v| ItemVersion {
            id: v.id,
            version_no: v.version_no,
            state: v.state,
            effective_date: v.effective_date.map(|d| d.to_string()),
            entered_at: v.entered_at,
            created_at: v.created_at,
            updated_at: v.updated_at,
            spec: v.spec,
        })
        .collect();
    let Some(latest) = versions.last() else {
        return Ok(());
    };
    let Some(district) =
        exchange_rules::handled_in(&region, latest.spec.implementing_body.as_str())
    else {
        return Ok(());
    };
    let Some(to) = crate::exchange::hand_to(tx, &district).await? else {
        return Ok(());
    };
    let item = CatalogItem {
        item_id,
        code,
        region,
        created_at,
        current_version,
        versions,
    };
    let facts = serde_json::to_value(item).map_err(anyhow::Error::from)?;
    tx.send(e, Flow::Items, to, facts);
    Ok(())
}
