//! The application form on a page: its fields and materials as inputs,
//! what was typed kept after a refusal, and refusals as field errors.

use super::*;

/// One input of an item's form, typed by its field's kind.
pub struct FieldInput {
    pub name: String,
    pub id: String,
    pub label: String,
    /// The label is the item's Chinese one (no English was written).
    pub label_zh: bool,
    /// The `type` of an `<input>`; empty for a textarea or a select.
    pub input_type: &'static str,
    pub textarea: bool,
    pub options: Vec<Opt>,
    /// The options are the item's own words (a choice), not the platform's (yes/no).
    pub options_are_data: bool,
    pub required: bool,
    pub value: String,
    pub error: String,
}

/// The inputs of an item's form, with what was typed and the errors.
pub fn field_inputs(
    lang: Lang,
    form: &[FormField],
    values: &BTreeMap<String, String>,
    errors: &FormErrors,
) -> Vec<FieldInput> {
    form.iter()
        .map(|f| {
            let name = format!("answer.{}", f.key);
            let value = values.get(&name).cloned().unwrap_or_default();
            let choices: Vec<(String, String)> = match f.kind {
                FieldKind::Choice => f.choices.iter().map(|c| (c.clone(), c.clone())).collect(),
                FieldKind::Bool => vec![
                    ("true".into(), t(lang, "yes").into()),
                    ("false".into(), t(lang, "no").into()),
                ],
                _ => vec![],
            };
            FieldInput {
                label_zh: lang.is_en() && f.label_en.is_empty(),
                id: format!("answer-{}", f.key),
                label: if lang.is_en() && !f.label_en.is_empty() {
                    f.label_en.clone()
                } else {
                    f.label.clone()
                },
                input_type: match f.kind {
                    FieldKind::Number => "number",
                    FieldKind::Date => "date",
                    FieldKind::Phone => "tel",
                    FieldKind::Email => "email",
                    FieldKind::Text | FieldKind::IdNumber | FieldKind::CreditCode => "text",
                    FieldKind::Textarea | FieldKind::Choice | FieldKind::Bool => "",
                },
                textarea: f.kind == FieldKind::Textarea,
                options: crate::pages::opts(choices, &value),
                options_are_data: f.kind == FieldKind::Choice,
                required: f.required,
                error: errors.get(&name).cloned().unwrap_or_default(),
                value,
                name,
            }
        })
        .collect()
}

/// A file input for one of the item's materials.
pub struct MaterialInput {
    pub name: String,
    pub label: String,
    pub note: String,
    pub required: bool,
    pub error: String,
    /// Files already uploaded for it on a form shown again.
    pub kept: Vec<files::KeptView>,
}

pub fn material_inputs(
    lang: Lang,
    materials: &[Material],
    errors: &FormErrors,
    kept: &[Kept],
) -> Vec<MaterialInput> {
    materials
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let name = sunshine_domain::materials::field_of(i);
            MaterialInput {
                error: errors.get(&name).cloned().unwrap_or_default(),
                name,
                label: m.name.clone(),
                note: m.note.clone(),
                required: m.required,
                kept: files::kept_views(lang, i, kept),
            }
        })
        .collect()
}

/// A form shown again: what was typed, the errors by field, the general
/// reason, and the files already uploaded.
#[derive(Default)]
pub struct Refill {
    pub values: BTreeMap<String, String>,
    pub errors: FormErrors,
    pub general: String,
    pub kept: Vec<Kept>,
}

impl Refill {
    /// A form refused: its reasons by field (an answer's key becomes
    /// `answer.<key>`, `rename` maps the app's other names to the form's).
    pub fn refused(
        r: &Refusal,
        lang: Lang,
        form: &[FormField],
        rename: &[(&str, &str)],
        values: BTreeMap<String, String>,
        kept: Vec<Kept>,
    ) -> Refill {
        let (errors, general) = form_errors(r, lang, form, rename);
        Refill {
            values,
            errors,
            general,
            kept,
        }
    }
}

/// The answers of a form, as posted: `answer.<key>` fields.
pub fn answers_of(fields: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    fields
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("answer.")
                .map(|k| (k.to_string(), v.clone()))
        })
        .collect()
}

/// A refusal's reasons keyed by the page's field names (an answer's key
/// becomes `answer.<key>`), and its message.
pub fn form_errors(
    r: &Refusal,
    lang: Lang,
    form: &[FormField],
    rename: &[(&str, &str)],
) -> (FormErrors, String) {
    let errors = r
        .fields
        .iter()
        .map(|(k, v)| {
            let key = if form.iter().any(|f| &f.key == k) {
                format!("answer.{k}")
            } else {
                rename
                    .iter()
                    .find(|(from, _)| from == k)
                    .map(|(_, to)| to.to_string())
                    .unwrap_or_else(|| k.clone())
            };
            (key, v.get(lang.code()).to_string())
        })
        .collect();
    (errors, r.message.get(lang.code()).to_string())
}
