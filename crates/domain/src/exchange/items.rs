//! The power-item catalogue across the two levels: the city's platform
//! keeps the one catalogue (权力事项库) and its solidification workflow;
//! an item a district handles (of the district's region, or implemented
//! by one of its bodies) goes down to the district's own platform each
//! time a version of it enters the library, comes into force or is
//! superseded, so that the district shows the items it handles and takes
//! the applications made for them. Only versions that have been in the
//! library go down: drafts and versions under review stay at the city.

use serde::{Deserialize, Serialize};

use super::Platform;
use crate::catalog::{ItemSpec, VersionState};

/// One version of an item, as it goes down.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemVersion {
    /// Its id at the city, which it keeps below (applications name it).
    pub id: i64,
    pub version_no: i64,
    pub state: VersionState,
    pub spec: ItemSpec,
    pub effective_date: Option<String>,
    pub entered_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// An item as it stands in the city's library: every version of it that
/// has been in the library, and the one in force.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogItem {
    /// Its id at the city, which it keeps below.
    pub item_id: i64,
    pub code: String,
    pub region: String,
    pub created_at: i64,
    pub current_version: Option<i64>,
    pub versions: Vec<ItemVersion>,
}

/// Whether a version is one that goes down: one that is or was in the library.
pub fn in_library(state: VersionState) -> bool {
    matches!(state, VersionState::InLibrary | VersionState::Superseded)
}

/// The district an item is handled in, given its region and implementing
/// body: its region if a district's, else the district of its body.
pub fn handled_in(region: &str, implementing_body: &str) -> Option<String> {
    let district = |code: &str| {
        let r: String = code.chars().take(6).collect();
        (r.len() == 6 && !r.ends_with("00")).then_some(r)
    };
    district(region).or_else(|| district(implementing_body))
}

/// Whether an item message from the city is one the city may send `to`: a
/// catalogue event on `item/<its id>`, about an item that district
/// handles, with only library versions of that item.
pub(super) fn citys_item(
    to: &Platform,
    subject: &str,
    event_type: &str,
    facts: &serde_json::Value,
) -> Result<CatalogItem, String> {
    if !event_type.starts_with("catalog.") {
        return Err(format!("{event_type} is not a catalogue event"));
    }
    let item: CatalogItem =
        serde_json::from_value(facts.clone()).map_err(|e| format!("the item is not whole: {e}"))?;
    if subject != format!("item/{}", item.item_id) {
        return Err(format!("{subject} is not the item {}", item.item_id));
    }
    let district = to.district().unwrap_or_default();
    for v in &item.versions {
        if v.spec.code != item.code || v.spec.region.as_str() != item.region {
            return Err(format!(
                "version {} is of {} in {}, not of the item {} in {}",
                v.id, v.spec.code, v.spec.region, item.code, item.region
            ));
        }
        if handled_in(&item.region, v.spec.implementing_body.as_str()).as_deref() != Some(district)
        {
            return Err(format!(
                "the item {} ({} in {}) is not handled in {to}",
                item.item_id, item.code, item.region
            ));
        }
        if !in_library(v.state) {
            return Err(format!(
                "version {} is {}: only versions in the library go down",
                v.id,
                v.state.as_str()
            ));
        }
    }
    if item.versions.is_empty() {
        return Err(format!("the item {} comes with no version", item.item_id));
    }
    if let Some(c) = item.current_version {
        if !item.versions.iter().any(|v| v.id == c) {
            return Err(format!(
                "the version in force {c} is not among its versions"
            ));
        }
    }
    Ok(item)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_item_is_handled_in_the_district_of_its_region_or_of_its_body() {
        assert_eq!(
            handled_in("330106", "330106-012").as_deref(),
            Some("330106")
        );
        assert_eq!(
            handled_in("330100", "330106-012").as_deref(),
            Some("330106")
        );
        assert_eq!(handled_in("330100", "330100-034"), None);
        assert_eq!(handled_in("330100", "330100"), None);
    }

    #[test]
    fn only_versions_that_were_in_the_library_go_down() {
        assert!(in_library(VersionState::InLibrary));
        assert!(in_library(VersionState::Superseded));
        for s in [
            VersionState::Draft,
            VersionState::Declared,
            VersionState::Reviewed,
            VersionState::Approved,
        ] {
            assert!(!in_library(s));
        }
    }
}
