//! The backup centre (数据容灾集中备份中心): the city's departments send their
//! systems' archives to one centre, which checks each on receipt, keeps it
//! by its SHA-256 within the system's quota and retention, re-reads what it
//! keeps, and watches that every system meets the recovery point it
//! promised. Pure rules: what a registration may hold, when a system is
//! overdue, which archives retention lets go, what a request signs.

use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::refusal::{FieldErrors, Refusal, RefusalKind, Text};

/// Microseconds in a minute, for durations kept in minutes.
const MINUTE: i64 = 60_000_000;
/// Microseconds in a day.
const DAY: i64 = 24 * 60 * MINUTE;

/// How far a system's clock may be from the centre's: requests older or
/// newer than this are refused, so a captured request cannot be sent again
/// later (and within the window its signature is remembered and refused).
pub const SKEW_MILLIS: i64 = 300_000;

/// An upload not added to for this long is abandoned and removed.
pub const UPLOAD_EXPIRES_MICROS: i64 = DAY;

/// The most one request may carry of an archive: larger archives come in
/// several chunks.
pub const MAX_CHUNK: usize = 8 * 1024 * 1024;

/// The largest archive the centre takes (1 TiB).
pub const MAX_ARCHIVE: i64 = 1 << 40;

/// A system as the keeper registers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NewSystem {
    /// The system's name, e.g. 人口信息管理系统.
    pub name: String,
    /// The code of the department that owns it.
    pub department: String,
    /// How much data the system holds, in bytes.
    pub data_size: i64,
    /// The promised recovery point objective (RPO), in minutes: at most this
    /// much of the latest data may be lost, so a backup at least this often.
    pub rpo_minutes: i64,
    /// The promised recovery time objective (RTO), in minutes.
    pub rto_minutes: i64,
    /// The line the backups come over, e.g. 政务外网 100Mbps.
    pub link: String,
    /// The most the system's archives may take at the centre, in bytes.
    pub quota: i64,
    /// Keep the last N archives (with `keep_days`, an archive either keeps is kept).
    pub keep_last: Option<i64>,
    /// Keep the archives of the last D days.
    pub keep_days: Option<i64>,
    /// The department's own ed25519 public key (64 hex digits); without it
    /// the centre makes a key pair and shows the private key once.
    pub public_key: Option<String>,
}

/// The longest name and link.
const MAX_TEXT: usize = 100;

/// Every fault of a registration at once (the department's existence is the app's to check).
pub fn check_new_system(s: &NewSystem) -> Result<(), Refusal> {
    let mut e = FieldErrors::default();
    let text = |e: &mut FieldErrors, field: &str, v: &str, zh: &str, en: &str| {
        let n = v.trim().chars().count();
        if n == 0 || n > MAX_TEXT || !crate::refusal::is_clean_text(v) {
            e.add(field, zh, en);
        }
    };
    text(
        &mut e,
        "name",
        &s.name,
        "请填写系统名称（1至100个字符）",
        "Give the system's name (1 to 100 characters)",
    );
    text(
        &mut e,
        "link",
        &s.link,
        "请填写传输线路（1至100个字符），如“政务外网 100Mbps”",
        "Give the line the backups come over (1 to 100 characters), e.g. \"extranet 100Mbps\"",
    );
    if s.department.trim().is_empty() {
        e.add(
            "department",
            "请选择所属部门",
            "Choose the owning department",
        );
    }
    if !(0..=MAX_ARCHIVE).contains(&s.data_size) {
        e.add(
            "data_size",
            "数据量应为0至1 TiB之间的字节数",
            "The data size is 0 to 1 TiB, in bytes",
        );
    }
    // From a minute to a year.
    for (field, v) in [
        ("rpo_minutes", s.rpo_minutes),
        ("rto_minutes", s.rto_minutes),
    ] {
        if !(1..=366 * 24 * 60).contains(&v) {
            e.add(
                field,
                "应为1分钟至1年之间",
                "Between one minute and one year",
            );
        }
    }
    if !(1..=MAX_ARCHIVE * 64).contains(&s.quota) {
        e.add(
            "quota",
            "配额应为正的字节数，至多64 TiB",
            "The quota is a positive number of bytes, at most 64 TiB",
        );
    }
    if s.keep_last.is_some_and(|n| !(1..=10_000).contains(&n)) {
        e.add(
            "keep_last",
            "保留份数应为1至10000",
            "Keep 1 to 10,000 archives",
        );
    }
    if s.keep_days.is_some_and(|d| !(1..=3660).contains(&d)) {
        e.add("keep_days", "保留天数应为1至3660天", "Keep 1 to 3,660 days");
    }
    if let Some(key) = &s.public_key {
        if parse_public_key(key).is_none() {
            e.add(
                "public_key",
                "公钥应为64位十六进制的ed25519公钥",
                "The public key is an ed25519 key in 64 hex digits",
            );
        }
    }
    e.check()
}

/// An ed25519 public key from its 64 hex digits.
pub fn parse_public_key(hex_key: &str) -> Option<VerifyingKey> {
    hex::decode(hex_key.trim())
        .ok()
        .and_then(|k| <[u8; 32]>::try_from(k.as_slice()).ok())
        .and_then(|k| VerifyingKey::from_bytes(&k).ok())
}

/// The grace after the promised RPO before a system counts as overdue: a
/// quarter of the RPO, at most six hours (a daily backup may land up to six
/// hours late; an hourly one fifteen minutes).
pub fn grace(rpo_minutes: i64) -> i64 {
    (rpo_minutes * MINUTE / 4).min(6 * 60 * MINUTE)
}

/// The moment a system becomes overdue: its RPO and the grace after its
/// last good backup, or after its registration if it never had one.
pub fn overdue_at(last_good: Option<i64>, registered_at: i64, rpo_minutes: i64) -> i64 {
    last_good
        .unwrap_or(registered_at)
        .saturating_add(rpo_minutes.saturating_mul(MINUTE))
        .saturating_add(grace(rpo_minutes))
}

/// Whether a system meets its promised RPO now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RpoStatus {
    /// 达标: its last good backup is within the RPO and grace.
    Met,
    /// 超期: it is not (the supervision warning is raised).
    Overdue,
}

impl RpoStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RpoStatus::Met => "met",
            RpoStatus::Overdue => "overdue",
        }
    }
    pub fn name(self) -> Text {
        match self {
            RpoStatus::Met => Text::new("达标", "Met"),
            RpoStatus::Overdue => Text::new("超期", "Overdue"),
        }
    }
}

pub fn rpo_status(
    last_good: Option<i64>,
    registered_at: i64,
    rpo_minutes: i64,
    now: i64,
) -> RpoStatus {
    if now > overdue_at(last_good, registered_at, rpo_minutes) {
        RpoStatus::Overdue
    } else {
        RpoStatus::Met
    }
}

/// How long a system keeps its archives: the last N, the last D days, or
/// both (an archive either keeps is kept). Neither keeps everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Retention {
    pub keep_last: Option<i64>,
    pub keep_days: Option<i64>,
}

/// An archive as retention sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kept {
    pub id: i64,
    /// When the department took it (microseconds).
    pub taken_at: i64,
}

/// The archives retention lets go, by id. The newest is always kept, so a
/// system never loses its last backup to its own rule.
pub fn to_prune(archives: &[Kept], retention: Retention, now: i64) -> Vec<i64> {
    if retention.keep_last.is_none() && retention.keep_days.is_none() {
        return vec![];
    }
    let mut newest_first = archives.to_vec();
    newest_first.sort_by(|a, b| b.taken_at.cmp(&a.taken_at).then(b.id.cmp(&a.id)));
    newest_first
        .iter()
        .enumerate()
        .filter(|(rank, a)| {
            let by_count = retention.keep_last.is_some_and(|n| (*rank as i64) < n);
            let by_age = retention
                .keep_days
                .is_some_and(|d| a.taken_at >= now.saturating_sub(d.saturating_mul(DAY)));
            *rank > 0 && !by_count && !by_age
        })
        .map(|(_, a)| a.id)
        .collect()
}

/// Whether an archive of `incoming` bytes fits the quota beside what the
/// system already keeps and what its other uploads have declared.
pub fn check_quota(kept: i64, reserved: i64, incoming: i64, quota: i64) -> Result<(), Refusal> {
    let total = kept.saturating_add(reserved).saturating_add(incoming);
    if total > quota {
        let mut r = Refusal::new(
            RefusalKind::Conflict,
            "quota_exceeded",
            Text::new(
                format!(
                    "超出该系统的存储配额：已用 {kept} 字节，上传中 {reserved} 字节，本次 {incoming} 字节，配额 {quota} 字节"
                ),
                format!(
                    "This would pass the system's quota: {kept} bytes kept, {reserved} on the way, {incoming} now, quota {quota} bytes"
                ),
            ),
        );
        r.fields.insert(
            "size".into(),
            Text::new("超出存储配额", "Over the system's quota"),
        );
        return Err(r);
    }
    Ok(())
}

/// Growth over a window: the size of the newest archive less that of the
/// newest archive taken before the window began (or the oldest within it).
/// `archives` are (taken_at, size); `None` with fewer than two.
pub fn growth(archives: &[(i64, i64)], since: i64) -> Option<i64> {
    let newest = archives.iter().max_by_key(|a| a.0)?;
    let before = archives
        .iter()
        .filter(|a| a.0 < since)
        .max_by_key(|a| a.0)
        .or_else(|| archives.iter().min_by_key(|a| a.0))?;
    (before != newest).then(|| newest.1 - before.1)
}

/// What a system signs on each request: the method, the path with its
/// query, its timestamp (milliseconds since the epoch) and the SHA-256 of
/// the body, one per line — the card terminals' form.
pub fn request_message(method: &str, path_and_query: &str, millis: i64, body: &[u8]) -> Vec<u8> {
    crate::card::signing::message(method, path_and_query, millis, body)
}

/// What a department signs for an archive: its SHA-256, as lowercase hex.
pub fn archive_message(sha256_hex: &str) -> Vec<u8> {
    format!(
        "sunshine-backup-archive\n{}",
        sha256_hex.to_ascii_lowercase()
    )
    .into_bytes()
}

fn unsigned(code: &'static str, zh: &str, en: &str) -> Refusal {
    Refusal::new(RefusalKind::Unauthenticated, code, Text::new(zh, en))
}

/// Check a request's timestamp (against `now_millis`) and its signature
/// (hex) with one of the system's keys in force; the key's index.
pub fn verify_request(
    keys: &[&str],
    message: &[u8],
    signature: &str,
    millis: i64,
    now_millis: i64,
) -> Result<usize, Refusal> {
    if millis.abs_diff(now_millis) > SKEW_MILLIS.unsigned_abs() {
        return Err(unsigned(
            "stale_request",
            "请求时间与备份中心时间相差超过5分钟",
            "The request's timestamp is more than five minutes from the centre's clock",
        ));
    }
    let sig = parse_signature(signature).ok_or_else(|| {
        unsigned(
            "bad_signature",
            "签名须为128位十六进制",
            "The signature is not 128 hex digits",
        )
    })?;
    keys.iter()
        .position(|k| parse_public_key(k).is_some_and(|k| k.verify(message, &sig).is_ok()))
        .ok_or_else(|| {
            unsigned(
                "bad_signature",
                "签名与该系统在用的密钥不符（密钥错误或已吊销）",
                "The signature does not match a key the system holds (a wrong or revoked key)",
            )
        })
}

fn parse_signature(hex_sig: &str) -> Option<Signature> {
    hex::decode(hex_sig.trim())
        .ok()
        .and_then(|s| <[u8; 64]>::try_from(s.as_slice()).ok())
        .map(|s| Signature::from_bytes(&s))
}

/// Whether a department's signature (hex) of an archive's SHA-256 holds for
/// one of the system's keys.
pub fn archive_signed(keys: &[&str], sha256_hex: &str, signature: &str) -> bool {
    let Some(sig) = parse_signature(signature) else {
        return false;
    };
    let message = archive_message(sha256_hex);
    keys.iter()
        .any(|k| parse_public_key(k).is_some_and(|k| k.verify(&message, &sig).is_ok()))
}

/// An archive a system announces before sending its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NewUpload {
    /// The archive's file name, e.g. `renkou-20261126.tar.zst`.
    pub name: String,
    /// When the department took it: RFC 3339, e.g. `2026-11-26T18:00:00Z`.
    pub taken_at: String,
    /// Its size in bytes.
    pub size: i64,
    /// Its SHA-256, 64 hex digits.
    pub sha256: String,
    /// The department's ed25519 signature (hex) of
    /// `sunshine-backup-archive\n` followed by the SHA-256 in lowercase hex.
    pub signature: String,
}

/// An announced upload's faults, all at once; its time in microseconds.
pub fn check_upload(u: &NewUpload, now: i64) -> Result<i64, Refusal> {
    let mut e = FieldErrors::default();
    let n = u.name.trim().chars().count();
    if n == 0 || n > 200 || !crate::refusal::is_clean_text(&u.name) || u.name.contains(['/', '\\'])
    {
        e.add(
            "name",
            "文件名应为1至200个字符，不含路径",
            "The file name has 1 to 200 characters and no path",
        );
    }
    let taken = u.taken_at.trim().parse::<jiff::Timestamp>().ok();
    let taken_at = taken.map(|t| t.as_microsecond());
    match taken_at {
        None => e.add(
            "taken_at",
            "备份时间应为RFC 3339格式，如 2026-11-26T18:00:00Z",
            "The archive's time is RFC 3339, e.g. 2026-11-26T18:00:00Z",
        ),
        Some(t) if t > now + SKEW_MILLIS * 1000 => e.add(
            "taken_at",
            "备份时间不能晚于现在",
            "The archive cannot be taken in the future",
        ),
        Some(_) => {}
    }
    if !(1..=MAX_ARCHIVE).contains(&u.size) {
        e.add(
            "size",
            "大小应为1字节至1 TiB",
            "The size is 1 byte to 1 TiB",
        );
    }
    if !is_sha256(&u.sha256) {
        e.add(
            "sha256",
            "SHA-256应为64位十六进制",
            "The SHA-256 is 64 hex digits",
        );
    }
    if parse_signature(&u.signature).is_none() {
        e.add(
            "signature",
            "签名须为128位十六进制",
            "The signature is 128 hex digits",
        );
    }
    e.check()?;
    Ok(taken_at.unwrap_or(now))
}

/// A SHA-256 in hex (either case).
pub fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Where a chunk may go: at the upload's current offset, within its size.
pub fn check_chunk(received: i64, size: i64, offset: i64, len: usize) -> Result<(), Refusal> {
    if offset != received {
        let mut r = Refusal::conflict(
            "offset_mismatch",
            "分片位置与已接收的字节数不符，请先查询当前位置",
            "The chunk's offset is not where the upload stands; ask for the current offset",
        );
        r.fields.insert(
            "offset".into(),
            Text::new(
                format!("已接收 {received} 字节"),
                format!("{received} bytes received"),
            ),
        );
        return Err(r);
    }
    if len == 0 || len > MAX_CHUNK {
        return Err(Refusal::field(
            "body",
            "分片应为1字节至8 MiB",
            "A chunk is 1 byte to 8 MiB",
        ));
    }
    if offset.saturating_add(len as i64) > size {
        return Err(Refusal::field(
            "body",
            "分片超出了声明的文件大小",
            "The chunk goes past the archive's declared size",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    const H: i64 = 60 * MINUTE;

    #[test]
    fn a_system_is_overdue_only_past_its_rpo_and_the_grace() {
        // A daily RPO has six hours' grace; an hourly one fifteen minutes.
        assert_eq!(grace(24 * 60), 6 * H);
        assert_eq!(grace(60), 15 * MINUTE);
        let last = 1_000 * DAY;
        assert_eq!(
            rpo_status(Some(last), 0, 24 * 60, last + 30 * H),
            RpoStatus::Met
        );
        assert_eq!(
            rpo_status(Some(last), 0, 24 * 60, last + 30 * H + 1),
            RpoStatus::Overdue
        );
        // Never backed up: counted from its registration.
        assert_eq!(rpo_status(None, last, 60, last + H), RpoStatus::Met);
        assert_eq!(rpo_status(None, last, 60, last + 2 * H), RpoStatus::Overdue);
    }

    fn kept(id: i64, days_ago: i64, now: i64) -> Kept {
        Kept {
            id,
            taken_at: now - days_ago * DAY,
        }
    }

    #[test]
    fn retention_keeps_the_last_n_or_the_last_days_and_always_the_newest() {
        let now = 2_000 * DAY;
        let a: Vec<Kept> = (0..6).map(|i| kept(i + 1, 5 - i, now)).collect();
        // ids 1..6 taken 5..0 days ago.
        let mut by_count = to_prune(
            &a,
            Retention {
                keep_last: Some(3),
                keep_days: None,
            },
            now,
        );
        by_count.sort();
        assert_eq!(by_count, vec![1, 2, 3]);
        let mut by_days = to_prune(
            &a,
            Retention {
                keep_last: None,
                keep_days: Some(2),
            },
            now,
        );
        by_days.sort();
        assert_eq!(by_days, vec![1, 2, 3], "kept: 2, 1 and 0 days old");
        let mut either = to_prune(
            &a,
            Retention {
                keep_last: Some(4),
                keep_days: Some(1),
            },
            now,
        );
        either.sort();
        assert_eq!(either, vec![1, 2]);
        assert!(to_prune(&a, Retention::default(), now).is_empty());
        // Even a rule that keeps no day keeps the newest archive.
        let old = [kept(9, 400, now)];
        assert!(to_prune(
            &old,
            Retention {
                keep_last: None,
                keep_days: Some(1)
            },
            now
        )
        .is_empty());
    }

    #[test]
    fn the_quota_counts_what_is_kept_and_on_the_way() {
        assert!(check_quota(600, 300, 100, 1_000).is_ok());
        let r = check_quota(600, 300, 101, 1_000).expect_err("over");
        assert_eq!(r.code, "quota_exceeded");
        assert!(check_quota(i64::MAX, 1, 1, 10).is_err(), "no overflow");
    }

    #[test]
    fn growth_is_measured_against_the_archive_before_the_window() {
        assert_eq!(growth(&[], 0), None);
        assert_eq!(growth(&[(5, 100)], 0), None);
        assert_eq!(growth(&[(1, 100), (5, 110), (9, 150)], 6), Some(40));
        assert_eq!(growth(&[(7, 100), (9, 150)], 6), Some(50));
    }

    #[test]
    fn a_request_signature_holds_for_what_was_signed_with_a_key_in_force_in_time() {
        let key = SigningKey::from_bytes(&[3; 32]);
        let public = hex::encode(key.verifying_key().to_bytes());
        let other = hex::encode(SigningKey::from_bytes(&[4; 32]).verifying_key().to_bytes());
        let m = request_message("put", "/api/v1/backup-centre/uploads/1", 1_000, b"abc");
        assert_eq!(
            String::from_utf8_lossy(&m),
            format!(
                "PUT\n/api/v1/backup-centre/uploads/1\n1000\n{}",
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
            )
        );
        let sig = hex::encode(key.sign(&m).to_bytes());
        assert_eq!(
            verify_request(&[&other, &public], &m, &sig, 1_000, 2_000),
            Ok(1)
        );
        assert_eq!(
            verify_request(&[&other], &m, &sig, 1_000, 2_000)
                .expect_err("wrong key")
                .code,
            "bad_signature"
        );
        assert_eq!(
            verify_request(&[&public], &m, &sig, 1_000, 1_000 + SKEW_MILLIS + 1)
                .expect_err("stale")
                .code,
            "stale_request"
        );
        let digest = "ab".repeat(32);
        let archive_sig = hex::encode(key.sign(&archive_message(&digest)).to_bytes());
        assert!(archive_signed(&[&public], &digest, &archive_sig));
        assert!(!archive_signed(&[&public], &"cd".repeat(32), &archive_sig));
    }

    #[test]
    fn a_registration_reports_every_fault_at_once() {
        let bad = NewSystem {
            name: " ".into(),
            department: "".into(),
            data_size: -1,
            rpo_minutes: 0,
            rto_minutes: 0,
            link: "".into(),
            quota: 0,
            keep_last: Some(0),
            keep_days: Some(0),
            public_key: Some("zz".into()),
        };
        let r = check_new_system(&bad).expect_err("bad");
        for f in [
            "name",
            "department",
            "data_size",
            "rpo_minutes",
            "rto_minutes",
            "link",
            "quota",
            "keep_last",
            "keep_days",
            "public_key",
        ] {
            assert!(r.fields.contains_key(f), "{f}: {:?}", r.fields);
        }
    }

    #[test]
    fn a_chunk_goes_only_where_the_upload_stands() {
        assert!(check_chunk(10, 100, 10, 90).is_ok());
        assert_eq!(
            check_chunk(10, 100, 0, 5).expect_err("behind").code,
            "offset_mismatch"
        );
        assert!(check_chunk(10, 100, 10, 91).is_err(), "past the size");
        assert!(check_chunk(10, 100, 10, 0).is_err(), "empty");
    }
}
