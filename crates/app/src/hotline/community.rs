//! The services around a home.

use crate::journal_entry::entry;
use crate::{App, Result};
use serde_json::json;
use sunshine_domain::hotline::community::{self, CommunityService};
use sunshine_domain::hotline::{self as rules};
use sunshine_domain::identity::Actor;
use sunshine_domain::policy::Action;
use sunshine_domain::refusal::Refusal;
use sunshine_store::hotline::community as communitydb;
use sunshine_store::WriteTx;

/// How far around a home its services are looked for.
pub const NEARBY_RADIUS_M: f64 = 5_000.0;

impl App {
    /// The gazetteer's places and the community services, as the demo (or
    /// an import) brings them, in one journaled transaction.
    pub async fn load_community(
        &self,
        actor: &Actor,
        places: Vec<community::Place>,
        services: Vec<CommunityService>,
    ) -> Result<()> {
        self.authorize(actor, &Action::ManageHotline)?;
        let (actor, now) = (actor.clone(), self.now_micros());
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<()> {
                for p in &places {
                    communitydb::put_place(tx.conn(), p).await?;
                }
                for s in &services {
                    communitydb::insert_service(tx.conn(), s).await?;
                }
                let payload = json!({"places": places.len(), "services": services.len()});
                tx.journal(
                    now,
                    entry(
                        &actor,
                        "community".into(),
                        "hotline.community_loaded",
                        payload,
                    ),
                )
                .await?;
                Ok(())
            })
            .await
    }

    /// The services of the kinds asked (all when none) around an address
    /// or a point, nearest first, each with its distance in metres.
    pub async fn nearby(
        &self,
        address: Option<&str>,
        point: Option<(f64, f64)>,
        kinds: &[community::ServiceKind],
        limit: usize,
    ) -> Result<((f64, f64), Vec<(CommunityService, f64)>)> {
        let mut conn = self.db.read().await?;
        let at = match (point, address.map(str::trim).filter(|a| !a.is_empty())) {
            (Some((lat, long)), _) => {
                rules::check_point(lat, long)?;
                (lat, long)
            }
            (None, Some(a)) => community::locate(a, &communitydb::places_in(&mut conn, a).await?)?,
            (None, None) => {
                return Err(Refusal::field(
                    "address",
                    "请填写地址或位置",
                    "Give an address or a point",
                )
                .into())
            }
        };
        // 5 km is under 0.05° of latitude and 0.06° of longitude here.
        let candidates = communitydb::services_near(&mut conn, at, 0.06).await?;
        let points: Vec<_> = candidates
            .iter()
            .map(|s| (s.kind, (s.lat, s.lon)))
            .collect();
        let found = community::nearest(at, &points, kinds, NEARBY_RADIUS_M, limit);
        Ok((
            at,
            found
                .into_iter()
                .map(|(i, d)| (candidates[i].clone(), d))
                .collect(),
        ))
    }
}
