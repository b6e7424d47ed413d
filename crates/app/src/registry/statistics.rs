//! The registry's anonymous aggregates for a region: counts by division,
//! sex, age band and ethnic group, with small counts hidden
//! (`registry::stats::suppress`). No person is read.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sunshine_domain::identity::{Actor, Role};
use sunshine_domain::ids::OrgCode;
use sunshine_domain::policy::Action;
use sunshine_domain::refusal::Refusal;
use sunshine_domain::registry::stats::{suppress, AgeBand};
use sunshine_domain::registry::Sex;
use sunshine_store::registry as store;

use crate::{App, Result};

/// One breakdown of the region's persons.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Breakdown {
    /// `division`, `sex`, `age` or `ethnicity`.
    pub dimension: String,
    pub rows: Vec<BreakdownRow>,
    /// The breakdown's total; absent where it would give away a hidden count.
    pub total: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BreakdownRow {
    /// A division code, a GB/T 2261.1 or GB/T 3304 code, or an age band.
    pub key: String,
    pub label_zh: String,
    pub label_en: String,
    /// Absent where fewer than five people (or what would give them away).
    pub persons: Option<u64>,
}

/// A region's aggregates.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Statistics {
    /// The organisation whose region is counted.
    pub region: String,
    pub region_zh: String,
    pub region_en: String,
    pub breakdowns: Vec<Breakdown>,
}

/// The division codes a region's persons' communities start with: a
/// district's six digits, a sub-district's nine, a community's twelve, or,
/// for a city (`330100`), its first four.
fn prefix(region: &OrgCode) -> String {
    let code = region.as_str();
    match code.split_once('-') {
        Some((district, unit)) if unit.len() == 6 => {
            let unit = unit.trim_end_matches("000");
            format!("{district}{unit}")
        }
        Some(_) => code.to_string(),
        None => {
            let mut c = code;
            while c.len() > 2 && c.ends_with("00") {
                c = &c[..c.len() - 2];
            }
            c.to_string()
        }
    }
}

/// The division a community is counted under in a region: the next level
/// down (districts of a city, sub-districts of a district, communities of
/// a sub-district), as the organisation code that names it.
fn division_of(community: &str, prefix_len: usize) -> String {
    let (district, rest) = community.split_at(6.min(community.len()));
    if prefix_len < 6 {
        district.to_string()
    } else if prefix_len < 9 {
        format!("{district}-{}000", &rest[..3.min(rest.len())])
    } else {
        format!("{district}-{rest}")
    }
}

fn breakdown(dimension: &str, rows: Vec<(String, String, String, u64)>) -> Breakdown {
    let counts: Vec<u64> = rows.iter().map(|r| r.3).collect();
    let shown = suppress(&counts);
    Breakdown {
        dimension: dimension.to_string(),
        rows: rows
            .into_iter()
            .zip(shown.cells)
            .map(|((key, label_zh, label_en, _), persons)| BreakdownRow {
                key,
                label_zh,
                label_en,
                persons,
            })
            .collect(),
        total: shown.total,
    }
}

impl App {
    /// The aggregates of `region` (the one where the actor's registrar
    /// role is held, when none is named): for a registrar over it.
    pub async fn registry_statistics(
        &self,
        actor: &Actor,
        region: Option<&str>,
    ) -> Result<Statistics> {
        let orgs = self.orgs();
        let region = match region.map(str::trim).filter(|r| !r.is_empty()) {
            Some(r) => OrgCode::parse(r).map_err(|e| Refusal::field("region", e.zh, e.en))?,
            None => actor
                .grants
                .iter()
                .find(|g| g.role == Role::Registrar)
                .map(|g| g.org.clone())
                .ok_or_else(|| {
                    Refusal::forbidden("forbidden", "您不是人口登记员", "You are not a registrar")
                })?,
        };
        crate::allow(
            &orgs,
            actor,
            &Action::ViewRegistryStatistics { region: &region },
        )?;
        self.statistics_of(&region).await
    }

    /// The aggregates of `region`, whoever asks (the caller has checked).
    pub(crate) async fn statistics_of(&self, region: &OrgCode) -> Result<Statistics> {
        let orgs = self.orgs();
        let prefix = prefix(region);
        let today = self.clock.today();
        let month_day = format!("{:02}-{:02}", today.month(), today.day());
        let rows = {
            let mut conn = self.db.read().await?;
            store::counts(&mut conn, &prefix, &month_day).await?
        };
        let mut divisions: BTreeMap<String, u64> = BTreeMap::new();
        let mut sexes: BTreeMap<String, u64> = BTreeMap::new();
        let mut ages: BTreeMap<AgeBand, u64> = BTreeMap::new();
        let mut ethnicities: BTreeMap<String, u64> = BTreeMap::new();
        let this_year = i64::from(today.year());
        for r in rows {
            let n = r.persons as u64;
            *divisions
                .entry(division_of(&r.community, prefix.len()))
                .or_default() += n;
            *sexes.entry(r.sex).or_default() += n;
            *ethnicities.entry(r.ethnicity).or_default() += n;
            let age = this_year - r.birth_year - i64::from(!r.birthday_past);
            let band = AgeBand::of_age(age.clamp(i64::from(i16::MIN), i64::from(i16::MAX)) as i16);
            *ages.entry(band).or_default() += n;
        }
        let standard = self.registry_standard();
        let names = |code: &str| (orgs.name(code, "zh"), orgs.name(code, "en"));
        let division = divisions
            .into_iter()
            .map(|(code, n)| {
                let (zh, en) = names(&code);
                (code, zh, en, n)
            })
            .collect();
        let sex = Sex::ALL
            .into_iter()
            .filter_map(|s| {
                let n = sexes.get(s.code()).copied()?;
                Some((s.code().to_string(), s.label().zh, s.label().en, n))
            })
            .collect();
        let age = AgeBand::ALL
            .into_iter()
            .map(|b| {
                let key = serde_json::to_value(b)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                (
                    key,
                    b.label().zh,
                    b.label().en,
                    ages.get(&b).copied().unwrap_or(0),
                )
            })
            .collect();
        let ethnicity = ethnicities
            .into_iter()
            .map(|(code, n)| {
                let name = standard
                    .ethnicities
                    .name(&code)
                    .unwrap_or(&code)
                    .to_string();
                (code, name.clone(), name, n)
            })
            .collect();
        let (region_zh, region_en) = names(region.as_str());
        Ok(Statistics {
            region: region.to_string(),
            region_zh,
            region_en,
            breakdowns: vec![
                breakdown("division", division),
                breakdown("sex", sex),
                breakdown("age", age),
                breakdown("ethnicity", ethnicity),
            ],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_regions_persons_are_found_by_the_start_of_their_communitys_code() {
        let org = |s: &str| OrgCode::parse(s).expect("org");
        assert_eq!(prefix(&org("330100")), "3301");
        assert_eq!(prefix(&org("330106")), "330106");
        assert_eq!(prefix(&org("330106-001000")), "330106001");
        assert_eq!(prefix(&org("330106-001001")), "330106001001");
        assert_eq!(division_of("330106001001", 4), "330106");
        assert_eq!(division_of("330106001001", 6), "330106-001000");
        assert_eq!(division_of("330106001001", 9), "330106-001001");
    }
}
