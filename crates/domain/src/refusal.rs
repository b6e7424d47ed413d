//! A refusal: the domain's "no", with a reason a user may read in both
//! languages and, where the input was at fault, the fields that were wrong.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

/// A user-facing sentence in both languages of the platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Text {
    pub zh: String,
    pub en: String,
}

impl Text {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Text {
            zh: zh.into(),
            en: en.into(),
        }
    }

    /// The sentence in the language asked for; zh-CN is the default.
    pub fn get(&self, lang: &str) -> &str {
        if lang.starts_with("en") {
            &self.en
        } else {
            &self.zh
        }
    }
}

/// Why a command was refused. `code` is stable for programs; the message is
/// for people; `fields` name the inputs at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub kind: RefusalKind,
    pub code: &'static str,
    pub message: Text,
    pub fields: BTreeMap<String, Text>,
}

/// What sort of "no" it is, which the web layer maps to a status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    /// The input is malformed or breaks a rule (400/422).
    Invalid,
    /// The actor is not allowed to do this (403).
    Forbidden,
    /// Not signed in, or the credentials are wrong (401).
    Unauthenticated,
    /// The thing does not exist, or must not be seen (404).
    NotFound,
    /// The command does not fit the current state (409).
    Conflict,
    /// The platform is too busy to take this now; try again shortly (503).
    Busy,
}

impl Refusal {
    pub fn new(kind: RefusalKind, code: &'static str, message: Text) -> Self {
        Refusal {
            kind,
            code,
            message,
            fields: BTreeMap::new(),
        }
    }
    pub fn invalid(code: &'static str, zh: &str, en: &str) -> Self {
        Self::new(RefusalKind::Invalid, code, Text::new(zh, en))
    }
    pub fn forbidden(code: &'static str, zh: &str, en: &str) -> Self {
        Self::new(RefusalKind::Forbidden, code, Text::new(zh, en))
    }
    pub fn conflict(code: &'static str, zh: &str, en: &str) -> Self {
        Self::new(RefusalKind::Conflict, code, Text::new(zh, en))
    }
    pub fn not_found(what_zh: &str, what_en: &str) -> Self {
        Self::new(
            RefusalKind::NotFound,
            "not_found",
            Text::new(format!("未找到{what_zh}"), format!("{what_en} not found")),
        )
    }
    pub fn unauthenticated() -> Self {
        Self::new(
            RefusalKind::Unauthenticated,
            "unauthenticated",
            Text::new("请先登录", "Please sign in first"),
        )
    }
    /// A refusal about one input field.
    pub fn field(field: &str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        let mut fields = FieldErrors::default();
        fields.add(field, zh, en);
        fields
            .into_refusal()
            .unwrap_or_else(|| unreachable!("one field error was added"))
    }
}

impl Refusal {
    /// Each field's reason in the language asked for.
    pub fn field_messages<C: FromIterator<(String, String)>>(&self, lang: &str) -> C {
        self.fields
            .iter()
            .map(|(k, v)| (k.clone(), v.get(lang).to_string()))
            .collect()
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message.en)?;
        for (k, v) in &self.fields {
            write!(f, "; {k}: {}", v.en)?;
        }
        Ok(())
    }
}

impl std::error::Error for Refusal {}

/// Collects every field error of an input before refusing it, so a form
/// shows all its faults at once.
#[derive(Debug, Default, Clone)]
pub struct FieldErrors(BTreeMap<String, Text>);

impl FieldErrors {
    pub fn add(&mut self, field: &str, zh: impl Into<String>, en: impl Into<String>) {
        self.0
            .entry(field.to_string())
            .or_insert_with(|| Text::new(zh, en));
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Take over a refusal's field errors (the first reason for a field stays).
    pub fn absorb(&mut self, refusal: Refusal) {
        for (field, text) in refusal.fields {
            self.0.entry(field).or_insert(text);
        }
    }
    /// `None` when there was nothing wrong.
    pub fn into_refusal(self) -> Option<Refusal> {
        if self.0.is_empty() {
            return None;
        }
        let mut r = Refusal::invalid(
            "invalid_input",
            "输入有误，请检查标出的项目",
            "The input has errors; see the marked fields",
        );
        r.fields = self.0;
        Some(r)
    }
    pub fn check(self) -> Result<(), Refusal> {
        match self.into_refusal() {
            Some(r) => Err(r),
            None => Ok(()),
        }
    }
}

/// Text a person could have typed: no control characters (C0, DEL, C1) but
/// line breaks and tabs, and no bidirectional overrides or isolates, which
/// make text read differently from what it holds. (PostgreSQL cannot store
/// NUL at all; the others only hide things, or break an XML feed.)
pub fn is_clean_text(s: &str) -> bool {
    !s.chars().any(|c| {
        (c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    })
}

/// The field error for text with control characters.
pub fn control_characters(e: &mut FieldErrors, field: &str) {
    e.add(
        field,
        "不能包含控制字符",
        "Control characters are not allowed",
    );
}
