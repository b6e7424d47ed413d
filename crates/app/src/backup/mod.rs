//! The platform's own backup: archives with signed manifests, optionally
//! encrypted, and the checks that a restore from them is sound.
//!
//! An archive is a directory named by its moment (`20261202T101500123456Z`)
//! holding `manifest.json`, `manifest.sig` and the files the manifest lists
//! with their sizes and SHA-256. The manifest is signed with the platform's
//! ed25519 key (the root organisation's signing key), so a restore can tell
//! an archive the platform made from one altered since. Archives are
//! written under `.partial-<id>` and renamed into place only once whole and
//! synced: an archive that is listed is complete.
//!
//! Kinds: a `snapshot` (`sunshine backup create` on the embedded store: one
//! consistent copy), a `continuous` generation (`serve --backup-to`: a base
//! copy and the write-ahead log shipped after it, see
//! [`sunshine_store::replica`]), and `pgbackrest` (PostgreSQL, see [`pg`]).

pub mod archive;
pub mod pg;
pub mod restore;
pub mod service;

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const MANIFEST: &str = "manifest.json";
pub const SIGNATURE: &str = "manifest.sig";
/// Archives being written; never listed, removed when found stale.
pub const PARTIAL: &str = ".partial-";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArchiveKind {
    Snapshot,
    Continuous,
    Pgbackrest,
}

impl ArchiveKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ArchiveKind::Snapshot => "snapshot",
            ArchiveKind::Continuous => "continuous",
            ArchiveKind::Pgbackrest => "pgbackrest",
        }
    }
}

/// One file of an archive: its path inside the archive, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalHead {
    pub seq: i64,
    pub hash: String,
}

/// Who signed an archive: the organisation and its public key (hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedBy {
    pub org: String,
    pub public_key: String,
}

/// What an archive holds, signed as a whole.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub id: String,
    pub kind: ArchiveKind,
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// The moment the archive's base state is of.
    pub taken_at: jiff::Timestamp,
    pub platform_version: String,
    pub files: Vec<FileEntry>,
    /// SQLite's page size, for applying log frames.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u32>,
    /// Rows per table at `taken_at`.
    pub row_counts: BTreeMap<String, i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journal_head: Option<JournalHead>,
    /// age recipients the files are encrypted to; empty when not encrypted.
    #[serde(default)]
    pub encrypted_to: Vec<String>,
    pub signed_by: SignedBy,
    /// Backend-specific facts (pgBackRest's stanza, label, WAL range).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<serde_json::Value>,
}

/// Signs manifests and log segments, and encrypts archive files.
#[derive(Clone)]
pub struct Sealer {
    key: SigningKey,
    org: String,
    recipients: Vec<age::x25519::Recipient>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer")
            .field("org", &self.org)
            .field("public_key", &self.public_key())
            .field("recipients", &self.recipients.len())
            .finish()
    }
}

impl Sealer {
    pub fn new(key: SigningKey, org: String, recipients: Vec<age::x25519::Recipient>) -> Sealer {
        Sealer {
            key,
            org,
            recipients,
        }
    }

    pub fn public_key(&self) -> String {
        hex::encode(self.key.verifying_key().to_bytes())
    }

    pub fn signed_by(&self) -> SignedBy {
        SignedBy {
            org: self.org.clone(),
            public_key: self.public_key(),
        }
    }

    pub fn sign(&self, bytes: &[u8]) -> String {
        hex::encode(self.key.sign(bytes).to_bytes())
    }

    pub fn encrypts(&self) -> bool {
        !self.recipients.is_empty()
    }

    pub fn recipient_names(&self) -> Vec<String> {
        self.recipients.iter().map(|r| r.to_string()).collect()
    }

    /// A writer that encrypts to the recipients when there are any, hashing
    /// and counting what reaches `out`.
    pub fn writer<W: Write + Send + 'static>(&self, out: W) -> io::Result<SealedWriter<W>> {
        let hashed = Hashing::new(out);
        if self.recipients.is_empty() {
            return Ok(SealedWriter::Plain(hashed));
        }
        let encryptor = age::Encryptor::with_recipients(
            self.recipients.iter().map(|r| r as &dyn age::Recipient),
        )
        .map_err(|e| io::Error::other(e.to_string()))?;
        Ok(SealedWriter::Age(Box::new(encryptor.wrap_output(hashed)?)))
    }

    /// Seal bytes whole (a log segment): (stored bytes, their sha256).
    pub fn seal_bytes(&self, bytes: &[u8]) -> io::Result<Vec<u8>> {
        let mut w = self.writer(Vec::new())?;
        w.write_all(bytes)?;
        Ok(w.finish()?.0)
    }
}

/// A writer that hashes and counts the bytes it passes on.
pub struct Hashing<W> {
    inner: W,
    hash: Sha256,
    bytes: u64,
}

impl<W: Write> Hashing<W> {
    pub fn new(inner: W) -> Hashing<W> {
        Hashing {
            inner,
            hash: Sha256::new(),
            bytes: 0,
        }
    }

    /// The inner writer, the bytes written and their sha256 (hex).
    pub fn finish(self) -> (W, u64, String) {
        (self.inner, self.bytes, hex::encode(self.hash.finalize()))
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

pub enum SealedWriter<W: Write> {
    Plain(Hashing<W>),
    Age(Box<age::stream::StreamWriter<Hashing<W>>>),
}

impl<W: Write> SealedWriter<W> {
    /// End the stream: (inner writer, stored bytes, sha256 of stored bytes).
    pub fn finish(self) -> io::Result<(W, u64, String)> {
        let hashed = match self {
            SealedWriter::Plain(h) => h,
            SealedWriter::Age(s) => s.finish()?,
        };
        let (inner, bytes, sha) = hashed.finish();
        Ok((inner, bytes, sha))
    }
}

impl<W: Write> Write for SealedWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            SealedWriter::Plain(h) => h.write(buf),
            SealedWriter::Age(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            SealedWriter::Plain(h) => h.flush(),
            SealedWriter::Age(s) => s.flush(),
        }
    }
}

/// The keys that open encrypted archives.
#[derive(Clone, Default)]
pub struct Opener {
    identities: Vec<age::x25519::Identity>,
}

impl std::fmt::Debug for Opener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Opener({} identities)", self.identities.len())
    }
}

impl Opener {
    /// Identities from an age identity file (`AGE-SECRET-KEY-1…` lines; `#` comments).
    pub fn from_file(path: &Path) -> anyhow::Result<Opener> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the identity file {}", path.display()))?;
        let mut identities = Vec::new();
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            identities.push(
                line.parse::<age::x25519::Identity>()
                    .map_err(|e| anyhow!("{}: not an age identity: {e}", path.display()))?,
            );
        }
        if identities.is_empty() {
            bail!("{}: holds no age identity", path.display());
        }
        Ok(Opener { identities })
    }

    /// A reader of a stored file's plain bytes.
    pub fn reader<'a, R: Read + 'a>(
        &self,
        encrypted: bool,
        input: R,
        what: &str,
    ) -> anyhow::Result<Box<dyn Read + 'a>> {
        if !encrypted {
            return Ok(Box::new(input));
        }
        if self.identities.is_empty() {
            bail!("{what} is encrypted: give the age identity file (--identity)");
        }
        let decryptor =
            age::Decryptor::new(input).map_err(|e| anyhow!("{what}: not an age file: {e}"))?;
        let reader = decryptor
            .decrypt(self.identities.iter().map(|i| i as &dyn age::Identity))
            .map_err(|e| anyhow!("{what}: cannot be decrypted with the given identity: {e}"))?;
        Ok(Box::new(reader))
    }

    pub fn open_bytes(&self, encrypted: bool, bytes: &[u8], what: &str) -> anyhow::Result<Vec<u8>> {
        let mut out = Vec::new();
        self.reader(encrypted, bytes, what)?
            .read_to_end(&mut out)
            .map_err(|e| anyhow!("{what}: decrypting failed: {e}"))?;
        Ok(out)
    }
}

/// A new age key pair: (identity to keep secret, recipient to encrypt to).
pub fn keygen() -> (String, String) {
    use age::secrecy::ExposeSecret;
    let id = age::x25519::Identity::generate();
    (
        id.to_string().expose_secret().to_string(),
        id.to_public().to_string(),
    )
}

pub fn parse_recipient(s: &str) -> anyhow::Result<age::x25519::Recipient> {
    s.trim()
        .parse()
        .map_err(|e| anyhow!("{s:?} is not an age recipient (age1…): {e}"))
}

/// An archive's id for the moment `at`: sortable, filesystem-safe.
pub fn archive_id(at: jiff::Timestamp) -> String {
    at.strftime("%Y%m%dT%H%M%S%6fZ").to_string()
}

/// Sync a file's directory so a rename or creation in it is durable.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// Write a manifest and its signature into `dir`, synced.
pub fn write_manifest(dir: &Path, manifest: &Manifest, sealer: &Sealer) -> anyhow::Result<()> {
    let text = serde_json::to_vec_pretty(manifest)?;
    let sig = sealer.sign(&text);
    for (name, bytes) in [(MANIFEST, text.as_slice()), (SIGNATURE, sig.as_bytes())] {
        let mut f = std::fs::File::create(dir.join(name))?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    Ok(())
}

/// How an archive's signature stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trust {
    /// Signed by the key the caller pinned.
    Pinned,
    /// Signed by the key the manifest names; nothing else vouches for it.
    SelfNamed,
}

impl Trust {
    /// How the signature stands, in a sentence's words.
    pub fn describe(&self) -> String {
        match self {
            Trust::Pinned => "signed by the pinned key".into(),
            Trust::SelfNamed => "signed by the key it names (pin one with --public-key)".into(),
        }
    }
}

/// Check that a restored store's rows per table are the manifest's, and
/// that its journal ends where the manifest says; the error names the first
/// table (or the journal) that differs.
pub fn compare_facts(
    manifest: &Manifest,
    counts: &BTreeMap<String, i64>,
    head: Option<(i64, String)>,
) -> anyhow::Result<()> {
    for (table, want) in &manifest.row_counts {
        let got = counts.get(table).copied();
        if got != Some(*want) {
            bail!(
                "table {table}: the manifest counts {want} rows, the restored store has {}",
                got.map_or("no such table".to_string(), |n| n.to_string())
            );
        }
    }
    if let Some(extra) = counts
        .keys()
        .find(|t| !manifest.row_counts.contains_key(*t))
    {
        bail!("table {extra}: in the restored store but not in the manifest");
    }
    if head.map(|(seq, hash)| JournalHead { seq, hash }) != manifest.journal_head {
        bail!("the journal's last entry in the restored store differs from the manifest's");
    }
    Ok(())
}

/// Read an archive's manifest and check its signature: against `pinned`
/// (hex) when given, else against the key the manifest names.
pub fn read_manifest(dir: &Path, pinned: Option<&str>) -> anyhow::Result<(Manifest, Trust)> {
    let text = std::fs::read(dir.join(MANIFEST))
        .with_context(|| format!("{}: no {MANIFEST}", dir.display()))?;
    let manifest: Manifest = serde_json::from_slice(&text)
        .with_context(|| format!("{}: {MANIFEST} is not a manifest", dir.display()))?;
    let sig = std::fs::read_to_string(dir.join(SIGNATURE))
        .with_context(|| format!("{}: no {SIGNATURE}", dir.display()))?;
    let key_hex = pinned.unwrap_or(&manifest.signed_by.public_key);
    if !verify_signature(key_hex, &text, sig.trim()) {
        bail!(
            "{MANIFEST}: the signature does not verify under {} key {}",
            if pinned.is_some() {
                "the pinned"
            } else {
                "its named"
            },
            key_hex
        );
    }
    let trust = if pinned.is_some() {
        Trust::Pinned
    } else {
        Trust::SelfNamed
    };
    Ok((manifest, trust))
}

/// Whether `sig` (hex) is `key`'s (hex) signature of `bytes`.
pub fn verify_signature(key: &str, bytes: &[u8], sig: &str) -> bool {
    let Some(key) = hex::decode(key)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .and_then(|b| VerifyingKey::from_bytes(&b).ok())
    else {
        return false;
    };
    let Some(sig) = hex::decode(sig)
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
        .map(|b| Signature::from_bytes(&b))
    else {
        return false;
    };
    key.verify(bytes, &sig).is_ok()
}

/// The sha256 (hex) and size of a file, read in chunks.
pub fn hash_file(path: &Path) -> io::Result<(u64, String)> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0u64;
    loop {
        let k = f.read(&mut buf)?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        n += k as u64;
    }
    Ok((n, hex::encode(h.finalize())))
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// One archive as `backup list` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    pub id: String,
    pub path: PathBuf,
    pub kind: ArchiveKind,
    pub backend: String,
    pub taken_at: jiff::Timestamp,
    /// The last moment a restore can reach (a continuous generation's last
    /// shipped segment; otherwise `taken_at`).
    pub until: jiff::Timestamp,
    pub bytes: u64,
    pub encrypted: bool,
    /// Why the archive cannot be read, when it cannot.
    pub problem: Option<String>,
}

/// The archives under `root`, oldest first. Partial ones are not archives.
pub fn list(root: &Path) -> anyhow::Result<Vec<Listed>> {
    let mut out = Vec::new();
    let entries =
        std::fs::read_dir(root).with_context(|| format!("{}: cannot be read", root.display()))?;
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with('.') || !entry.file_type()?.is_dir() {
            continue;
        }
        let path = entry.path();
        if !path.join(MANIFEST).exists() {
            continue;
        }
        match read_manifest(&path, None) {
            Ok((m, _)) => {
                let (until, log_bytes) = match m.kind {
                    ArchiveKind::Continuous => {
                        let segs = archive::read_index(&path, None).unwrap_or_default();
                        let until = segs
                            .last()
                            .and_then(|s| jiff::Timestamp::from_microsecond(s.at).ok())
                            .unwrap_or(m.taken_at);
                        (until, segs.iter().map(|s| s.bytes).sum::<u64>())
                    }
                    _ => (m.taken_at, 0),
                };
                out.push(Listed {
                    id: m.id.clone(),
                    path,
                    kind: m.kind,
                    backend: m.backend.clone(),
                    taken_at: m.taken_at,
                    until,
                    bytes: m.files.iter().map(|f| f.bytes).sum::<u64>() + log_bytes,
                    encrypted: !m.encrypted_to.is_empty(),
                    problem: None,
                });
            }
            Err(e) => out.push(Listed {
                id: name,
                path,
                kind: ArchiveKind::Snapshot,
                backend: String::new(),
                taken_at: jiff::Timestamp::UNIX_EPOCH,
                until: jiff::Timestamp::UNIX_EPOCH,
                bytes: 0,
                encrypted: false,
                problem: Some(format!("{e:#}")),
            }),
        }
    }
    out.sort_by(|a, b| a.taken_at.cmp(&b.taken_at).then(a.id.cmp(&b.id)));
    Ok(out)
}
