//! Community information by home address (the report's digital-TV zone):
//! the community services, housekeeping-alliance providers and elderly-care
//! services around a point, nearest first. An address becomes a point
//! through the gazetteer of the city's places: the longest place name the
//! address contains.

use serde::{Deserialize, Serialize};

use super::distance_m;
use crate::refusal::Refusal;

/// What a service around the home is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceKind {
    /// 社区服务中心
    CommunityService,
    /// 家政服务联盟
    Housekeeping,
    /// 居家养老服务
    ElderlyCare,
}

impl ServiceKind {
    pub const ALL: [ServiceKind; 3] = [
        ServiceKind::CommunityService,
        ServiceKind::Housekeeping,
        ServiceKind::ElderlyCare,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceKind::CommunityService => "community_service",
            ServiceKind::Housekeeping => "housekeeping",
            ServiceKind::ElderlyCare => "elderly_care",
        }
    }
    pub fn parse(s: &str) -> Option<ServiceKind> {
        ServiceKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            ServiceKind::CommunityService => "社区服务",
            ServiceKind::Housekeeping => "家政服务",
            ServiceKind::ElderlyCare => "居家养老",
        }
    }
    pub fn label_en(self) -> &'static str {
        match self {
            ServiceKind::CommunityService => "Community services",
            ServiceKind::Housekeeping => "Housekeeping",
            ServiceKind::ElderlyCare => "Home elderly care",
        }
    }
}

/// A service around the home.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CommunityService {
    #[serde(default)]
    pub id: i64,
    pub name: String,
    pub kind: ServiceKind,
    pub address: String,
    pub lat: f64,
    #[serde(rename = "long")]
    pub lon: f64,
    pub phone: String,
    pub hours: String,
    pub region: String,
}

/// A named place of the gazetteer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Place {
    pub name: String,
    pub lat: f64,
    pub long: f64,
}

/// The point of an address: the longest place name it contains, so that
/// 文三路学院路口 is 文三路 (or 学院路, whichever is longer, then first).
pub fn locate(address: &str, places: &[Place]) -> Result<(f64, f64), Refusal> {
    places
        .iter()
        .filter(|p| !p.name.is_empty() && address.contains(p.name.as_str()))
        .max_by_key(|p| p.name.chars().count())
        .map(|p| (p.lat, p.long))
        .ok_or_else(|| {
            Refusal::field(
                "address",
                "无法确定这个地址的位置，请写明街道或小区名",
                "This address cannot be placed: name its street or community",
            )
        })
}

/// The indexes of the services of the wanted kinds (all when none is
/// named) within `radius_m` of `at`, nearest first, with their distances.
pub fn nearest(
    at: (f64, f64),
    services: &[(ServiceKind, (f64, f64))],
    kinds: &[ServiceKind],
    radius_m: f64,
    limit: usize,
) -> Vec<(usize, f64)> {
    let mut found: Vec<(usize, f64)> = services
        .iter()
        .enumerate()
        .filter(|(_, (kind, _))| kinds.is_empty() || kinds.contains(kind))
        .map(|(i, (_, point))| (i, distance_m(at, *point)))
        .filter(|(_, d)| *d <= radius_m)
        .collect();
    found.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    found.truncate(limit);
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn places() -> Vec<Place> {
        vec![
            Place {
                name: "文三路".into(),
                lat: 30.2810,
                long: 120.1300,
            },
            Place {
                name: "翠苑一区".into(),
                lat: 30.2820,
                long: 120.1290,
            },
            Place {
                name: "长河路".into(),
                lat: 30.1930,
                long: 120.2040,
            },
        ]
    }

    #[test]
    fn an_address_is_placed_by_the_longest_place_it_names() {
        assert_eq!(
            locate("西湖区翠苑一区12幢", &places()).expect("placed"),
            (30.2820, 120.1290)
        );
        assert_eq!(
            locate("文三路100号", &places()).expect("placed"),
            (30.2810, 120.1300)
        );
        assert!(locate("月球背面", &places()).is_err());
    }

    #[test]
    fn services_come_nearest_first_within_the_radius_and_of_the_kinds_asked() {
        let services = [
            (ServiceKind::ElderlyCare, (30.2850, 120.1150)), // about 1.5 km away
            (ServiceKind::ElderlyCare, (30.2820, 120.1290)), // about 140 m
            (ServiceKind::Housekeeping, (30.2890, 120.1150)), // about 1.6 km
            (ServiceKind::ElderlyCare, (30.1930, 120.2040)), // across the river, 12 km
        ];
        let home = (30.2810, 120.1300);
        let care = nearest(home, &services, &[ServiceKind::ElderlyCare], 5_000.0, 10);
        assert_eq!(care.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [1, 0]);
        assert!(care[0].1 < care[1].1);
        let all = nearest(home, &services, &[], 5_000.0, 2);
        assert_eq!(all.len(), 2, "the limit holds");
        assert_eq!(
            ServiceKind::parse("housekeeping"),
            Some(ServiceKind::Housekeeping)
        );
    }
}
