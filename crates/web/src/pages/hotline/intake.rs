//! The request form every channel shares (the operator's desk, a citizen's
//! page, the kiosk): the categories with their Open311 questions, what was
//! typed, and each refusal beside its field.
//!
//! Without JavaScript every category's questions are on the form, each set
//! under its category's name; only the chosen category's answers are sent
//! on, so a question of another category never stands in the way.

use std::collections::BTreeMap;

use sunshine_app::hotline::CategoryRow;
use sunshine_app::hotline::NewRequest;
use sunshine_domain::hotline::open311::Datatype;
use sunshine_domain::refusal::Refusal;

use crate::i18n::Lang;

/// One choice of a list question.
pub struct Choice {
    pub key: String,
    pub label: String,
    /// Shown in Chinese on an English page (no English name given).
    pub zh: bool,
    pub chosen: bool,
}

/// One question as the form asks it.
pub struct Question {
    /// The form field: `answer[CATEGORY][CODE]`.
    pub name: String,
    /// The element's id.
    pub id: String,
    pub label: String,
    pub zh: bool,
    pub required: bool,
    /// `line`, `text`, `number`, `datetime`, `one` or `many`.
    pub kind: &'static str,
    pub choices: Vec<Choice>,
    /// What was typed, when the form comes back.
    pub value: String,
    pub problem: Option<String>,
}

/// A category as the form offers it.
pub struct Offered {
    pub code: String,
    /// The code made fit for an element's id.
    pub id: String,
    pub name: String,
    pub chosen: bool,
    pub questions: Vec<Question>,
}

/// The form as shown: the categories, what was typed, what is wrong.
#[derive(Default)]
pub struct Intake {
    pub categories: Vec<Offered>,
    pub description: String,
    pub address: String,
    pub caller_phone: String,
    pub caller_name: String,
    pub district: String,
    /// Why a field was refused, by the form's field name.
    pub problems: BTreeMap<String, String>,
    /// What the refusal says as a whole.
    pub problem: Option<String>,
}

impl Intake {
    /// Why this field was refused, if it was.
    pub fn problem_of(&self, field: &str) -> Option<&String> {
        self.problems.get(field)
    }
}

/// A posted request form, whichever channel's.
#[derive(Debug, Default)]
pub struct Posted {
    pub csrf: String,
    pub channel: String,
    pub category: String,
    pub description: String,
    pub address: String,
    pub caller_phone: String,
    pub caller_name: String,
    pub district: String,
    /// Answers by category, then by question: `answer[CATEGORY][CODE]`.
    pub answers: BTreeMap<String, BTreeMap<String, Vec<String>>>,
}

impl Posted {
    /// Read the form's pairs (a multivaluelist repeats its field).
    pub fn parse(pairs: Vec<(String, String)>) -> Posted {
        let mut p = Posted::default();
        for (k, v) in pairs {
            match k.as_str() {
                "csrf" => p.csrf = v,
                "channel" => p.channel = v,
                "category" => p.category = v,
                "description" => p.description = v,
                "address" => p.address = v,
                "caller_phone" => p.caller_phone = v,
                "caller_name" => p.caller_name = v,
                "district" => p.district = v,
                _ => {
                    if let Some((category, code)) = answer_field(&k) {
                        p.answers
                            .entry(category.to_string())
                            .or_default()
                            .entry(code.to_string())
                            .or_default()
                            .push(v);
                    }
                }
            }
        }
        p
    }

    /// The chosen category's answers as the app takes them: a moment typed
    /// in a `datetime-local` field is a moment in Hangzhou.
    fn answers_for(&self, category: Option<&CategoryRow>) -> BTreeMap<String, Vec<String>> {
        let mut answers = self
            .answers
            .get(self.category.trim())
            .cloned()
            .unwrap_or_default();
        if let Some(k) = category {
            for a in &k.attributes {
                if a.datatype != Datatype::Datetime {
                    continue;
                }
                if let Some(values) = answers.get_mut(&a.code) {
                    for v in values.iter_mut() {
                        if let Some(t) = local_moment(v) {
                            *v = t;
                        }
                    }
                }
            }
        }
        answers
    }

    /// The request of a form that asks for no caller (a signed-in person,
    /// whose account says who, or a kiosk): no phone, name or district is
    /// taken from what was posted.
    pub fn request_without_caller(&self, categories: &[CategoryRow]) -> NewRequest {
        NewRequest {
            caller_phone: None,
            caller_name: None,
            district: None,
            ..self.request(categories)
        }
    }

    /// The request to take (the caller's own fields only where the form has them).
    pub fn request(&self, categories: &[CategoryRow]) -> NewRequest {
        let some = |s: &str| Some(s.to_string()).filter(|s| !s.trim().is_empty());
        let category = categories.iter().find(|k| k.code == self.category.trim());
        NewRequest {
            category: self.category.clone(),
            description: self.description.clone(),
            caller_phone: some(&self.caller_phone),
            caller_name: some(&self.caller_name),
            address: some(&self.address),
            district: some(&self.district),
            answers: self.answers_for(category),
            ..NewRequest::default()
        }
    }
}

/// `answer[water.outage][scope]` → (`water.outage`, `scope`).
fn answer_field(k: &str) -> Option<(&str, &str)> {
    let inner = k.strip_prefix("answer[")?.strip_suffix(']')?;
    let (category, code) = inner.split_once("][")?;
    (!category.is_empty() && !code.is_empty()).then_some((category, code))
}

/// `2026-12-02T08:30` (as a `datetime-local` field sends it) as an ISO
/// moment in Hangzhou time; anything else is left to the domain to judge.
fn local_moment(v: &str) -> Option<String> {
    let v = v.trim();
    if v.len() > 19 || v.contains(['+', 'Z', 'z']) {
        return None;
    }
    let dt: jiff::civil::DateTime = v.parse().ok()?;
    let z = dt.to_zoned(sunshine_domain::clock::shanghai()).ok()?;
    Some(z.timestamp().to_string())
}

fn element_id(code: &str) -> String {
    code.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// Build the form: every category in force, the chosen one marked, what
/// was typed kept, each refused field's reason beside it.
pub fn intake(
    lang: Lang,
    categories: &[CategoryRow],
    posted: Option<&Posted>,
    chosen: &str,
    refusal: Option<&Refusal>,
) -> Intake {
    let code = if lang.is_en() { "en" } else { "zh-CN" };
    let mut problems = BTreeMap::new();
    let mut about_questions = BTreeMap::new();
    if let Some(r) = refusal {
        for (field, text) in &r.fields {
            let text = text.get(code).to_string();
            if let Some(q) = field
                .strip_prefix("attribute[")
                .and_then(|f| f.strip_suffix(']'))
            {
                about_questions.insert(q.to_string(), text);
                continue;
            }
            let on = match field.as_str() {
                "description" => "description",
                "address_string" | "address" => "address",
                "phone" => "caller_phone",
                "name" => "caller_name",
                "district" => "district",
                "service_code" | "category" => "category",
                _ => "other",
            };
            problems
                .entry(on.to_string())
                .and_modify(|m: &mut String| {
                    m.push('；');
                    m.push_str(&text)
                })
                .or_insert(text);
        }
    }
    let offered = categories
        .iter()
        .filter(|k| k.active)
        .map(|k| {
            let is_chosen = k.code == chosen;
            let typed = posted.and_then(|p| p.answers.get(&k.code));
            let mut attrs: Vec<_> = k.attributes.iter().filter(|a| a.variable).collect();
            attrs.sort_by_key(|a| a.order);
            let questions = attrs
                .into_iter()
                .map(|a| {
                    let given: Vec<String> = typed
                        .and_then(|t| t.get(&a.code))
                        .cloned()
                        .unwrap_or_default();
                    let q = a.question();
                    let en_missing = a.description_en.trim().is_empty();
                    Question {
                        name: format!("answer[{}][{}]", k.code, a.code),
                        id: format!("q-{}-{}", element_id(&k.code), element_id(&a.code)),
                        label: q.get(code).to_string(),
                        zh: lang.is_en() && en_missing,
                        required: a.required,
                        kind: match a.datatype {
                            Datatype::String => "line",
                            Datatype::Text => "text",
                            Datatype::Number => "number",
                            Datatype::Datetime => "datetime",
                            Datatype::Singlevaluelist => "one",
                            Datatype::Multivaluelist => "many",
                        },
                        choices: a
                            .values
                            .iter()
                            .map(|v| Choice {
                                chosen: given.contains(&v.key),
                                key: v.key.clone(),
                                label: v.label().get(code).to_string(),
                                zh: lang.is_en() && v.name_en.trim().is_empty(),
                            })
                            .collect(),
                        value: given.first().cloned().unwrap_or_default(),
                        problem: if is_chosen {
                            about_questions.get(&a.code).cloned()
                        } else {
                            None
                        },
                    }
                })
                .collect();
            Offered {
                id: element_id(&k.code),
                name: lang.pick(&k.name, &k.name_en).to_string(),
                chosen: is_chosen,
                code: k.code.clone(),
                questions,
            }
        })
        .collect();
    let p = posted;
    let text = |f: fn(&Posted) -> &String| p.map(|p| f(p).clone()).unwrap_or_default();
    Intake {
        categories: offered,
        description: text(|p| &p.description),
        address: text(|p| &p.address),
        caller_phone: text(|p| &p.caller_phone),
        caller_name: text(|p| &p.caller_name),
        district: text(|p| &p.district),
        problem: refusal.map(|r| r.message.get(code).to_string()),
        problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_by_category_and_a_local_moment_gets_its_zone() {
        let p = Posted::parse(vec![
            ("category".into(), "city.noise".into()),
            ("answer[city.noise][hours]".into(), "day".into()),
            ("answer[city.noise][hours]".into(), "night".into()),
            ("answer[water.outage][scope]".into(), "area".into()),
            ("answer[broken".into(), "x".into()),
        ]);
        assert_eq!(p.answers["city.noise"]["hours"], vec!["day", "night"]);
        assert_eq!(p.answers["water.outage"]["scope"], vec!["area"]);
        assert_eq!(p.answers.len(), 2);
        assert_eq!(
            local_moment("2026-12-02T08:30").as_deref(),
            Some("2026-12-02T00:30:00Z")
        );
        assert_eq!(local_moment("2026-12-02T08:30:00+08:00"), None);
        assert_eq!(local_moment("yesterday"), None);
    }
}
