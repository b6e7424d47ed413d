//! The e-licence as a printable PDF: its fields in Chinese and English and,
//! for a licence shown in full, the QR code of its verification link.
//!
//! Chinese needs a font, and none is installed nor fetched: the text uses
//! the PDF standard CJK font `STSong-Light` (Adobe-GB1) through a Type0 font
//! with the `UniGB-UCS2-H` encoding, which viewers supply without embedding.
//! Text is written as UCS-2, big-endian.

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo};
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use qrcode::{Color, EcLevel, QrCode};

use super::LicenceShown;

const A4: (f32, f32) = (595.0, 842.0);
const FONT: Name<'static> = Name(b"F1");

/// A line of text as the font's codes: UCS-2 big-endian, a character
/// outside the Basic Multilingual Plane shown as `?`.
fn ucs2(text: &str) -> Vec<u8> {
    text.chars()
        .flat_map(|ch| {
            let code = u16::try_from(u32::from(ch)).unwrap_or(u16::from(b'?'));
            code.to_be_bytes()
        })
        .collect()
}

fn line(content: &mut Content, x: f32, y: f32, size: f32, text: &str) {
    let bytes = ucs2(text);
    content
        .begin_text()
        .set_font(FONT, size)
        .set_text_matrix([1.0, 0.0, 0.0, 1.0, x, y])
        .show(Str(&bytes))
        .end_text();
}

/// Draw a QR code of `text` with its bottom-left corner at (x, y), `side` wide.
/// Returns whether it could be made.
fn qr(content: &mut Content, text: &str, x: f32, y: f32, side: f32) -> bool {
    let Ok(code) = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M) else {
        return false;
    };
    let width = code.width();
    let module = side / width as f32;
    content.save_state().set_fill_gray(0.0);
    for (i, color) in code.to_colors().into_iter().enumerate() {
        if color == Color::Dark {
            let (col, row) = (i % width, i / width);
            content.rect(
                x + col as f32 * module,
                y + side - (row + 1) as f32 * module,
                module,
                module,
            );
        }
    }
    content.fill_nonzero().restore_state();
    true
}

/// The built-in Song font (STSong-Light), which every PDF reader has.
fn song_font(pdf: &mut Pdf, font: Ref, cid_font: Ref, descriptor: Ref) {
    pdf.type0_font(font)
        .base_font(Name(b"STSong-Light"))
        .encoding_predefined(Name(b"UniGB-UCS2-H"))
        .descendant_font(cid_font);
    let mut cid = pdf.cid_font(cid_font);
    cid.subtype(CidFontType::Type0)
        .base_font(Name(b"STSong-Light"))
        .system_info(SystemInfo {
            registry: Str(b"Adobe"),
            ordering: Str(b"GB1"),
            supplement: 2,
        })
        .font_descriptor(descriptor)
        .default_width(1000.0);
    // Latin letters and digits (CIDs 1–95 under UniGB-UCS2-H) are half as wide.
    cid.widths().same(1, 95, 500.0);
    cid.finish();
    pdf.font_descriptor(descriptor)
        .name(Name(b"STSong-Light"))
        .flags(FontFlags::SERIF | FontFlags::SYMBOLIC)
        .bbox(Rect::new(-25.0, -254.0, 1000.0, 880.0))
        .italic_angle(0.0)
        .ascent(857.0)
        .descent(-143.0)
        .cap_height(857.0)
        .stem_v(91.0);
}

/// The licence as a one-page PDF; `verify_url` (a licence shown in full)
/// becomes its QR code.
pub fn licence_pdf(l: &LicenceShown, verify_url: Option<&str>) -> Vec<u8> {
    let mut pdf = Pdf::new();
    let (catalog, pages, page, contents) = (Ref::new(1), Ref::new(2), Ref::new(3), Ref::new(4));
    let (font, cid_font, descriptor, info) = (Ref::new(5), Ref::new(6), Ref::new(7), Ref::new(8));
    pdf.catalog(catalog).pages(pages);
    pdf.pages(pages).kids([page]).count(1);
    let mut p = pdf.page(page);
    p.media_box(Rect::new(0.0, 0.0, A4.0, A4.1))
        .parent(pages)
        .contents(contents);
    p.resources().fonts().pair(FONT, font);
    p.finish();

    song_font(&mut pdf, font, cid_font, descriptor);

    let mut c = Content::new();
    // A frame, as on a printed certificate.
    c.set_line_width(2.0)
        .rect(40.0, 40.0, A4.0 - 80.0, A4.1 - 80.0)
        .stroke();
    line(&mut c, 72.0, 760.0, 26.0, "电子证照");
    line(&mut c, 72.0, 735.0, 13.0, "Electronic licence");
    let rows: Vec<(&str, &str, String)> = vec![
        ("证照编号", "Licence number", l.number.clone()),
        ("事项", "Item", format!("{} ({})", l.item_name, l.item_code)),
        ("持证人", "Holder", l.holder.clone()),
        (
            "证件号码",
            "Identity number",
            l.holder_id.clone().unwrap_or_else(|| "—".into()),
        ),
        ("签发机关", "Issuer", l.issuer_name.clone()),
        ("决定日期", "Decided on", l.decided_on.clone()),
        ("签发时间", "Issued at", l.issued_at.clone()),
        ("办件编号", "Case number", l.case_number.clone()),
        ("核验结果", "Verdict", l.verdict_text.clone()),
    ];
    let mut y = 690.0;
    for (zh, en, value) in &rows {
        line(&mut c, 72.0, y, 11.0, &format!("{zh} {en}"));
        // A long value (the verdict) is cut into lines that fit the page.
        let chars: Vec<char> = value.chars().collect();
        for chunk in chars.chunks(30) {
            line(&mut c, 230.0, y, 12.0, &chunk.iter().collect::<String>());
            y -= 18.0;
        }
        y -= 8.0;
    }
    match verify_url {
        Some(url) if qr(&mut c, url, A4.0 - 72.0 - 150.0, 90.0, 150.0) => {
            line(
                &mut c,
                72.0,
                210.0,
                11.0,
                "扫描二维码核验本证照的真伪与状态",
            );
            line(
                &mut c,
                72.0,
                194.0,
                10.0,
                "Scan the QR code to check that this licence is genuine and in force",
            );
            let chars: Vec<char> = url.chars().collect();
            let mut uy = 170.0;
            for chunk in chars.chunks(60).take(6) {
                line(&mut c, 72.0, uy, 7.0, &chunk.iter().collect::<String>());
                uy -= 10.0;
            }
        }
        _ => {
            line(
                &mut c,
                72.0,
                210.0,
                11.0,
                "凭编号查看的公示信息；持证人登录后可下载带二维码的证照",
            );
            line(
                &mut c,
                72.0,
                194.0,
                10.0,
                "What the public board shows; its holder signs in for the copy with the QR code",
            );
        }
    }
    let stream = c.finish();
    pdf.stream(contents, &stream);
    pdf.document_info(info)
        .title(TextStr(&l.number))
        .subject(TextStr(&l.case_number))
        .producer(TextStr("Sunshine"));
    pdf.finish()
}
