//! The backup centre in miniature, at the report's scale: the 23 city
//! departments and 20 district departments each register a system, and each
//! sends a few days of small archives through the same signed uploads a
//! real system uses; one system stopped sending three days ago, so it is
//! overdue and its department carries the warning.

use ed25519_dalek::SigningKey;
use sha2::{Digest, Sha256};
use sunshine_domain::backup_centre::NewSystem;
use sunshine_domain::identity::{OrgKind, Organisation};
use sunshine_domain::ids::OrgCode;

use crate::backup_centre::{sign_archive, sign_request, SignedRequest};
use crate::identity::NewStaff;
use crate::{App, Result};

use super::DEMO_PASSWORD;

/// The keeper's login.
pub const KEEPER: &str = "backup.keeper";

/// Kinds of system a department runs, named as the report names them.
const SYSTEMS: [&str; 8] = [
    "行政审批业务系统",
    "综合办公系统",
    "业务数据库",
    "政务信息资源共享平台",
    "门户网站群",
    "档案管理系统",
    "地理信息系统",
    "视频会商系统",
];

const LINKS: [&str; 3] = ["政务外网 100Mbps", "政务外网 1000Mbps", "裸光纤 10Gbps"];

const HOUR: i64 = 3_600_000_000;

/// The department whose system is overdue: the last district department taken.
const OVERDUE_AT: usize = 42;

pub(super) async fn load(app: &App) -> Result<()> {
    let orgs = app.orgs();
    let Some(centre) = orgs
        .list
        .iter()
        .find(|o| o.name.contains("数据容灾"))
        .map(|o| o.code.clone())
    else {
        return Ok(());
    };
    let root = orgs.tree.root().cloned();
    let admin = app.staff_actor("admin").await?;
    app.set_service_centre(&admin, "backup_centre", centre.as_str())
        .await?;
    app.create_staff(
        &admin,
        NewStaff {
            login: KEEPER.into(),
            display_name: "何备份".into(),
            org: centre.to_string(),
            password: DEMO_PASSWORD.into(),
            roles: vec!["backup_keeper".into()],
        },
    )
    .await?;
    let keeper = app.staff_actor(KEEPER).await?;
    let departments = departments(&orgs.list, root.as_ref(), &centre);
    let sends = app.centre_dir().is_ok();
    for (i, department) in departments.iter().enumerate() {
        let registered = app
            .register_backup_system(
                &keeper,
                NewSystem {
                    name: SYSTEMS[i % SYSTEMS.len()].into(),
                    department: department.to_string(),
                    data_size: ((i as i64 * 37) % 50 + 5) << 30,
                    rpo_minutes: [24 * 60, 12 * 60, 4 * 60][i % 3],
                    rto_minutes: [8 * 60, 24 * 60][i % 2],
                    link: LINKS[i % LINKS.len()].into(),
                    quota: 10 << 20,
                    keep_last: Some(7),
                    keep_days: Some(30),
                    public_key: None,
                },
            )
            .await?;
        let Some(seed) = registered
            .key
            .private_key
            .and_then(|k| hex::decode(k).ok())
            .and_then(|k| <[u8; 32]>::try_from(k.as_slice()).ok())
        else {
            continue;
        };
        if !sends {
            continue;
        }
        let key = SigningKey::from_bytes(&seed);
        // Daily archives three and two days back and yesterday, and one two
        // hours ago; the overdue system's stopped four days back.
        let ago: &[i64] = if i == OVERDUE_AT {
            &[120, 96, 72]
        } else {
            &[72, 48, 24, 2]
        };
        for (n, hours) in ago.iter().enumerate() {
            let bytes = archive_bytes(i, n);
            let taken = app.now_micros() - hours * HOUR;
            send(app, registered.system.id, &key, taken, &bytes).await?;
        }
    }
    app.raise_overdue_backups().await?;
    Ok(())
}

/// The 23 city departments and 20 district departments: the city's own
/// first (not the centres that run city-wide services), then the
/// districts' in turn, one from each district before a second from any.
fn departments(list: &[Organisation], root: Option<&OrgCode>, centre: &OrgCode) -> Vec<OrgCode> {
    let is_department = |o: &&Organisation| o.kind == OrgKind::Department && &o.code != centre;
    let city: Vec<OrgCode> = list
        .iter()
        .filter(is_department)
        .filter(|o| o.parent.as_ref() == root)
        .take(23)
        .map(|o| o.code.clone())
        .collect();
    let mut districts: Vec<Vec<OrgCode>> = vec![];
    for o in list
        .iter()
        .filter(is_department)
        .filter(|o| o.parent.as_ref() != root)
    {
        match districts
            .iter_mut()
            .find(|d| d.first().map(|c| c.region()) == Some(o.code.region()))
        {
            Some(d) => d.push(o.code.clone()),
            None => districts.push(vec![o.code.clone()]),
        }
    }
    let mut district = vec![];
    for round in 0.. {
        let before = district.len();
        for d in &districts {
            if district.len() < 20 {
                if let Some(c) = d.get(round) {
                    district.push(c.clone());
                }
            }
        }
        if district.len() == before || district.len() == 20 {
            break;
        }
    }
    city.into_iter().chain(district).collect()
}

/// A small archive that grows a little every day.
fn archive_bytes(system: usize, day: usize) -> Vec<u8> {
    let line = format!("system {system} day {day}: records of the day\n");
    line.repeat(40 + 4 * day + system % 7).into_bytes()
}

/// Send one archive as a department's system does: announce, one chunk, finish.
async fn send(app: &App, system: i64, key: &SigningKey, taken: i64, bytes: &[u8]) -> Result<()> {
    let sha = hex::encode(Sha256::digest(bytes));
    let taken_at = sunshine_domain::clock::from_micros(taken).to_string();
    let body = serde_json::to_vec(&serde_json::json!({
        "name": format!("backup-{}.tar.zst", &taken_at[..10]),
        "taken_at": taken_at,
        "size": bytes.len(),
        "sha256": sha,
        "signature": sign_archive(key, &sha),
    }))
    .map_err(anyhow::Error::from)?;
    let signed = |method: &'static str, path: String, body: &[u8]| {
        let millis = app.now_micros() / 1000;
        let signature = sign_request(key, method, &path, millis, body);
        (path, millis, signature)
    };
    let (path, millis, signature) = signed(
        "POST",
        format!("/api/v1/backup-centre/systems/{system}/uploads"),
        &body,
    );
    let upload = app
        .start_backup_upload(
            system,
            &SignedRequest {
                method: "POST",
                path_and_query: &path,
                millis,
                signature: &signature,
                body: &body,
            },
        )
        .await?;
    let (path, millis, signature) = signed(
        "PUT",
        format!("/api/v1/backup-centre/uploads/{}?offset=0", upload.id),
        bytes,
    );
    app.put_backup_chunk(
        upload.id,
        0,
        &SignedRequest {
            method: "PUT",
            path_and_query: &path,
            millis,
            signature: &signature,
            body: bytes,
        },
    )
    .await?;
    let (path, millis, signature) = signed(
        "POST",
        format!("/api/v1/backup-centre/uploads/{}/finish", upload.id),
        b"",
    );
    app.finish_backup_upload(
        upload.id,
        &SignedRequest {
            method: "POST",
            path_and_query: &path,
            millis,
            signature: &signature,
            body: b"",
        },
    )
    .await?;
    Ok(())
}
