//! What a page must never show people: the machine's words. A page is read
//! as the browser shows it (each visible text with the language of the
//! element it sits in) and checked for raw codes, ISO timestamps, unit codes
//! and, on an English page, platform text left in Chinese.
//!
//! Data that is Chinese by nature (an item's or a person's name) is marked
//! `lang="zh-CN"` where it is shown, as WCAG 3.1.2 asks; identifiers people
//! type (logins, case numbers) sit in `<code>`, which is not checked.

use std::sync::LazyLock;

use regex::Regex;

/// `streetlight.out`, `time.due_soon`, `hall.case_submitted`: a dotted code.
static DOTTED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^\w@/.:-])([a-z]+\.[a-z_]+)(?:$|[^\w.@/-])").expect("valid")
});
/// `2026-12-03T21:01:20+08:00`.
static ISO_MOMENT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}").expect("valid"));
/// `330100-034`: an organisation's code.
static UNIT_CODE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|[^\d-])(\d{6}-\d{3})(?:$|[^\d-])").expect("valid"));
/// `citizen:#34`, `staff:clerk`: an actor as the journal writes it.
static ACTOR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(?:citizen|enterprise|staff|system):[#\w]").expect("valid"));
/// A Chinese character or punctuation mark.
static CJK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[\p{Han}\u{3000}-\u{303f}\u{ff01}-\u{ff5e}]").expect("valid"));

/// A visible text and the language of the element it is in.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Shown {
    pub text: String,
    pub lang: String,
}

/// Everything wrong with what a page shows; empty when it speaks people's
/// words. `english` is whether the page is in English.
pub fn problems(shown: &[Shown], english: bool) -> Vec<String> {
    let mut found = Vec::new();
    for s in shown {
        let t = s.text.trim();
        if t.is_empty() {
            continue;
        }
        for (what, re) in [
            ("a code", &*DOTTED),
            ("a raw timestamp", &*ISO_MOMENT),
            ("a unit code", &*UNIT_CODE),
            ("a journal actor", &*ACTOR),
        ] {
            if let Some(m) = re.find(t) {
                let m = m
                    .as_str()
                    .trim_matches(|c: char| !c.is_alphanumeric() && c != '_');
                if !is_file_name(m) {
                    found.push(format!("{what} {m:?} in {t:?}"));
                }
            }
        }
        let data_in_chinese = s.lang.to_ascii_lowercase().starts_with("zh");
        if english && !data_in_chinese && CJK.is_match(t) {
            found.push(format!("Chinese left on an English page: {t:?}"));
        }
    }
    found
}

/// A file's name as its owner gave it (`photo.png`): data, not a code.
fn is_file_name(s: &str) -> bool {
    const KINDS: [&str; 14] = [
        "pdf", "png", "jpg", "jpeg", "ofd", "csv", "json", "txt", "doc", "docx", "xls", "xlsx",
        "zip", "gif",
    ];
    s.rsplit_once('.')
        .is_some_and(|(_, ext)| KINDS.contains(&ext.to_ascii_lowercase().as_str()))
}

/// The browser script that lists each visible text with its element's
/// language, leaving out what people type or copy (inputs, `<code>`).
pub const SHOWN_SCRIPT: &str = r#"
const out = [];
const skip = new Set(['SCRIPT','STYLE','CODE','KBD','SAMP','TEXTAREA','INPUT','SELECT','NOSCRIPT','TEMPLATE']);
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let n = walker.nextNode(); n; n = walker.nextNode()) {
  const e = n.parentElement;
  if (!e || !n.textContent.trim()) continue;
  if (e.closest('script,style,code,kbd,samp,textarea,select,noscript,template')) continue;
  if (e.getClientRects().length === 0) continue;
  const l = e.closest('[lang]');
  out.push({text: n.textContent, lang: l ? l.getAttribute('lang') : ''});
}
for (const o of document.querySelectorAll('select option')) {
  if (!o.textContent.trim()) continue;
  const l = o.closest('[lang]');
  out.push({text: o.textContent, lang: l ? l.getAttribute('lang') : ''});
}
return out;
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(text: &str, lang: &str) -> Shown {
        Shown {
            text: text.into(),
            lang: lang.into(),
        }
    }

    #[test]
    fn machine_words_are_found() {
        for bad in [
            "类别：streetlight.out",
            "公共自行车 · bike.rental",
            "time.due_soon v0",
            "hall.case_submitted",
            "提交于 2026-12-03T21:01:20+08:00",
            "承办单位 330100-034",
            "citizen:#34",
            "staff:clerk",
        ] {
            assert!(!problems(&[shown(bad, "zh-CN")], false).is_empty(), "{bad}");
        }
    }

    #[test]
    fn people_words_pass() {
        for good in [
            "2026年12月3日 21:01",
            "办件编号 2026-330100-000123",
            "50,000.00 元",
            "4.1 公里",
            "e.g. see www.hangzhou.gov.cn",
            "mail help@hangzhou.gov.cn",
            "Version 1.2",
            "营业执照 photo.png",
        ] {
            assert!(problems(&[shown(good, "en")], false).is_empty(), "{good}");
        }
    }

    #[test]
    fn chinese_on_an_english_page_must_be_data_marked_as_such() {
        assert!(!problems(&[shown("已提交", "en")], true).is_empty());
        assert!(problems(&[shown("杭州市民政局", "zh-CN")], true).is_empty());
        assert!(problems(&[shown("已提交", "zh-CN")], false).is_empty());
    }
}
