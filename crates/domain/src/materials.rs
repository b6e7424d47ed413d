//! 申请材料: the files an application carries. The type is read from the
//! file's first bytes, never from what the sender declares; every file has a
//! size limit, and so has a case; a file belongs to one of the materials the
//! item version lists; an online application brings every required one.

use sha2::{Digest, Sha256};

use crate::catalog::Material;
use crate::hall::CaseState;
use crate::refusal::{FieldErrors, Refusal};

/// The largest file accepted: 10 MiB.
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;
/// The most all files of one case may add up to: 40 MiB.
pub const MAX_CASE_BYTES: u64 = 40 * 1024 * 1024;
/// The longest file name kept, in characters.
const MAX_NAME_CHARS: usize = 100;

/// The kinds of file the hall accepts, told by their magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileType {
    Pdf,
    Jpeg,
    Png,
    /// 版式文档 (GB/T 33190): a zip whose first entry is `OFD.xml`.
    Ofd,
}

impl FileType {
    pub const ALL: [FileType; 4] = [FileType::Pdf, FileType::Jpeg, FileType::Png, FileType::Ofd];

    /// What the bytes are, or `None` for anything the hall does not take.
    pub fn detect(bytes: &[u8]) -> Option<FileType> {
        if bytes.starts_with(b"%PDF-") {
            Some(FileType::Pdf)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(FileType::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(FileType::Png)
        } else if is_ofd(bytes) {
            Some(FileType::Ofd)
        } else {
            None
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            FileType::Pdf => "application/pdf",
            FileType::Jpeg => "image/jpeg",
            FileType::Png => "image/png",
            FileType::Ofd => "application/ofd",
        }
    }

    pub fn from_mime(mime: &str) -> Option<FileType> {
        FileType::ALL.into_iter().find(|t| t.mime() == mime)
    }

    fn extensions(self) -> &'static [&'static str] {
        match self {
            FileType::Pdf => &["pdf"],
            FileType::Jpeg => &["jpg", "jpeg"],
            FileType::Png => &["png"],
            FileType::Ofd => &["ofd"],
        }
    }
}

/// A zip archive (local file header) whose first entry is named `OFD.xml`.
fn is_ofd(bytes: &[u8]) -> bool {
    if !bytes.starts_with(b"PK\x03\x04") || bytes.len() < 30 {
        return false;
    }
    let name_len = usize::from(u16::from_le_bytes([bytes[26], bytes[27]]));
    bytes.get(30..30 + name_len) == Some(b"OFD.xml".as_slice())
}

/// A file name safe to store and to send back in a download: no directory,
/// no control or reserved characters, at most 100 characters, and the
/// extension of what the file really is.
pub fn sanitise_file_name(raw: &str, kind: FileType) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !"\"<>:|?*;".contains(*c))
        .collect();
    let cleaned = cleaned.trim().trim_matches('.').trim();
    // Keep the sender's extension only when it says what the file is.
    let (stem, ext) = match cleaned.rsplit_once('.') {
        Some((s, e)) if kind.extensions().contains(&e.to_ascii_lowercase().as_str()) => {
            (s.trim(), e.to_ascii_lowercase())
        }
        _ => (cleaned, kind.extensions()[0].to_string()),
    };
    let stem: String = stem.chars().take(MAX_NAME_CHARS - ext.len() - 1).collect();
    let stem = match stem.trim() {
        "" => "material",
        s => s,
    };
    format!("{stem}.{ext}")
}

/// A file as it arrives: which of the item's materials it is for (its place
/// in the version's list, as the form's `material.<n>` names it), the name
/// the sender gave it, and its bytes.
#[derive(Debug, Clone)]
pub struct IncomingFile<'a> {
    pub slot: usize,
    pub file_name: &'a str,
    pub bytes: &'a [u8],
}

/// A file that passed: the material it belongs to, a safe name, its type,
/// size and SHA-256 (hex), which is its address in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedFile {
    pub material: String,
    pub file_name: String,
    pub file_type: FileType,
    pub size: u64,
    pub sha256: String,
}

/// The form field of a material's files.
pub fn field_of(slot: usize) -> String {
    format!("material.{slot}")
}

/// A file a case holds, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaterialFile {
    pub case_number: String,
    /// The item's material this file is for (申请材料名称).
    pub material: String,
    pub file_name: String,
    pub sha256: String,
    pub size: i64,
    pub content_type: String,
    /// The journal name of whoever added it.
    pub added_by: String,
    pub added_at: i64,
}

/// Check every file against the item's materials and the limits, and
/// refuse with every fault at once.
pub fn check_files(
    materials: &[Material],
    files: &[IncomingFile<'_>],
) -> Result<Vec<CheckedFile>, Refusal> {
    let mut e = FieldErrors::default();
    let mut checked = Vec::with_capacity(files.len());
    for f in files {
        let field = field_of(f.slot);
        let Some(material) = materials.get(f.slot) else {
            e.add(
                &field,
                "该事项没有这项申请材料",
                "This item has no such material",
            );
            continue;
        };
        if f.bytes.is_empty() {
            e.add(&field, "文件是空的", "The file is empty");
            continue;
        }
        if f.bytes.len() > MAX_FILE_BYTES {
            e.add(
                &field,
                format!("单个文件不能超过{}MB", MAX_FILE_BYTES / 1024 / 1024),
                format!(
                    "A file may have at most {} MiB",
                    MAX_FILE_BYTES / 1024 / 1024
                ),
            );
            continue;
        }
        let Some(file_type) = FileType::detect(f.bytes) else {
            e.add(
                &field,
                "只接受PDF、JPEG、PNG或OFD文件（按文件内容识别，而非扩展名）",
                "Only PDF, JPEG, PNG or OFD files are accepted (told by their content, not their name)",
            );
            continue;
        };
        let size = f.bytes.len() as u64;
        checked.push(CheckedFile {
            material: material.name.clone(),
            file_name: sanitise_file_name(f.file_name, file_type),
            file_type,
            size,
            sha256: hex::encode(Sha256::digest(f.bytes)),
        });
    }
    e.check()?;
    check_case_bytes(0, &checked)?;
    Ok(checked)
}

/// A case's files, those it holds and those added now, stay within the case's limit.
pub fn check_case_bytes(already: u64, adding: &[CheckedFile]) -> Result<(), Refusal> {
    let total = adding
        .iter()
        .fold(already, |sum, f| sum.saturating_add(f.size));
    if total > MAX_CASE_BYTES {
        return Err(Refusal::field(
            "materials",
            format!(
                "一个办件的材料合计不能超过{}MB",
                MAX_CASE_BYTES / 1024 / 1024
            ),
            format!(
                "A case's materials may add up to at most {} MiB",
                MAX_CASE_BYTES / 1024 / 1024
            ),
        ));
    }
    Ok(())
}

/// An online application brings a file for every material the item requires.
pub fn check_required(materials: &[Material], supplied: &[CheckedFile]) -> Result<(), Refusal> {
    let mut e = FieldErrors::default();
    for (slot, m) in materials.iter().enumerate() {
        if m.required && !supplied.iter().any(|f| f.material == m.name) {
            e.add(
                &field_of(slot),
                format!("请上传必需的材料“{}”", m.name),
                format!("The required material '{}' is missing", m.name),
            );
        }
    }
    e.check()
}

/// Materials are added while the case waits to be accepted or for a correction.
pub fn check_may_add(state: &CaseState) -> Result<(), Refusal> {
    match state {
        CaseState::Submitted | CaseState::CorrectionRequested => Ok(()),
        _ => Err(Refusal::conflict(
            "materials_closed",
            "办件受理后不能再补充材料",
            "Materials can be added only before the case is accepted",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PDF: &[u8] = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n";
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F'];

    fn materials() -> Vec<Material> {
        let m = |name: &str, required| Material {
            name: name.into(),
            copies: 1,
            original: false,
            required,
            note: String::new(),
        };
        vec![m("申请表", true), m("营业执照", true), m("委托书", false)]
    }

    fn file(slot: usize, name: &'static str, bytes: &'static [u8]) -> IncomingFile<'static> {
        IncomingFile {
            slot,
            file_name: name,
            bytes,
        }
    }

    fn ofd() -> Vec<u8> {
        let mut z = b"PK\x03\x04".to_vec();
        z.extend_from_slice(&[0; 22]);
        z.extend_from_slice(&7u16.to_le_bytes());
        z.extend_from_slice(&[0, 0]);
        z.extend_from_slice(b"OFD.xml<ofd:OFD/>");
        z
    }

    #[test]
    fn the_type_is_told_by_the_bytes_not_the_name() {
        assert_eq!(FileType::detect(PDF), Some(FileType::Pdf));
        assert_eq!(FileType::detect(PNG), Some(FileType::Png));
        assert_eq!(FileType::detect(JPEG), Some(FileType::Jpeg));
        assert_eq!(FileType::detect(&ofd()), Some(FileType::Ofd));
        assert_eq!(
            FileType::detect(b"PK\x03\x04 a plain zip, not OFD.xml first............"),
            None
        );
        assert_eq!(FileType::detect(b"MZ\x90\0 an executable"), None);
        assert_eq!(FileType::detect(b"<html><script>"), None);
        let r = check_files(&materials(), &[file(0, "申请表.pdf", b"<html>x</html>")])
            .expect_err("HTML named .pdf is refused");
        assert!(r.fields.contains_key("material.0"), "{r}");
    }

    #[test]
    fn a_file_is_checked_hashed_and_named_safely() {
        let ok = check_files(&materials(), &[file(1, "C:\\Users\\王\\执照.PDF", PDF)])
            .expect("a PDF for a listed material");
        assert_eq!(ok[0].material, "营业执照");
        assert_eq!(ok[0].file_name, "执照.pdf");
        assert_eq!(ok[0].file_type, FileType::Pdf);
        assert_eq!(ok[0].size, PDF.len() as u64);
        assert_eq!(ok[0].sha256.len(), 64);
        assert_eq!(
            ok[0].sha256,
            check_files(&materials(), &[file(0, "other.pdf", PDF)]).expect("same bytes")[0].sha256,
            "the same bytes have the same address"
        );
    }

    #[test]
    fn file_names_lose_paths_controls_and_lying_extensions() {
        assert_eq!(
            sanitise_file_name("../../etc/passwd", FileType::Pdf),
            "passwd.pdf"
        );
        assert_eq!(
            sanitise_file_name("照片.exe", FileType::Jpeg),
            "照片.exe.jpg"
        );
        assert_eq!(sanitise_file_name("scan.JPEG", FileType::Jpeg), "scan.jpeg");
        assert_eq!(
            sanitise_file_name("a\"b\r\nc;d.png", FileType::Png),
            "abcd.png"
        );
        assert_eq!(sanitise_file_name("", FileType::Png), "material.png");
        assert_eq!(sanitise_file_name("...", FileType::Pdf), "material.pdf");
        let long = "长".repeat(300) + ".pdf";
        let safe = sanitise_file_name(&long, FileType::Pdf);
        assert!(
            safe.chars().count() <= 100 && safe.ends_with(".pdf"),
            "{safe}"
        );
    }

    #[test]
    fn unknown_materials_empty_and_oversized_files_are_refused_together() {
        let big: &'static [u8] = Box::leak(
            [PDF, &vec![b' '; MAX_FILE_BYTES][..]]
                .concat()
                .into_boxed_slice(),
        );
        let r = check_files(
            &materials(),
            &[
                file(9, "x.pdf", PDF),
                file(0, "empty.pdf", b""),
                file(1, "big.pdf", big),
            ],
        )
        .expect_err("three faults");
        let fields: Vec<_> = r.fields.keys().cloned().collect();
        assert_eq!(fields, ["material.0", "material.1", "material.9"]);
        assert!(r.fields["material.1"].en.contains("10 MiB"));
    }

    #[test]
    fn a_case_holds_at_most_forty_mebibytes() {
        let one = check_files(&materials(), &[file(0, "a.pdf", PDF)]).expect("ok");
        let r = check_case_bytes(MAX_CASE_BYTES, &one).expect_err("over the case's limit");
        assert!(r.fields.contains_key("materials"), "{r}");
        assert!(check_case_bytes(MAX_CASE_BYTES - PDF.len() as u64, &one).is_ok());
    }

    #[test]
    fn an_online_application_brings_every_required_material() {
        let only_form = check_files(&materials(), &[file(0, "a.pdf", PDF)]).expect("ok");
        let r = check_required(&materials(), &only_form).expect_err("licence missing");
        assert_eq!(r.fields.keys().collect::<Vec<_>>(), ["material.1"]);
        assert!(r.fields["material.1"].zh.contains("营业执照"));
        let both = check_files(
            &materials(),
            &[file(0, "a.pdf", PDF), file(1, "b.png", PNG)],
        )
        .expect("ok");
        assert!(
            check_required(&materials(), &both).is_ok(),
            "the optional one may be left out"
        );
    }

    #[test]
    fn materials_are_added_only_before_acceptance() {
        assert!(check_may_add(&CaseState::Submitted).is_ok());
        assert!(check_may_add(&CaseState::CorrectionRequested).is_ok());
        for s in [
            CaseState::InProcess { step: 0 },
            CaseState::Approved,
            CaseState::Withdrawn,
            CaseState::NotAccepted,
        ] {
            assert_eq!(
                check_may_add(&s).expect_err("closed").code,
                "materials_closed"
            );
        }
    }
}
