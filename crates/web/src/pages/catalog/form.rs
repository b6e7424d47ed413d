//! The item editor's form: structured lists typed one per line with `|`
//! between parts, so that the page needs no JavaScript. Parsing here only
//! turns text into an `ItemSpec`; the rules are checked by the domain.

use std::collections::BTreeMap;

use serde::Deserialize;
use sunshine_domain::catalog::{
    Discretion, Fee, FieldKind, FormField, ItemSpec, ItemType, Level, Material, Step, TimeLimit,
    TimeUnit,
};
use sunshine_domain::ids::{OrgCode, RegionCode};

use crate::i18n::Lang;

/// The form as posted.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ItemForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub item_type: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub implementing_body: String,
    #[serde(default)]
    pub accepting_body: String,
    #[serde(default)]
    pub deciding_body: String,
    #[serde(default)]
    pub legal_basis: String,
    #[serde(default)]
    pub conditions: String,
    #[serde(default)]
    pub materials: String,
    #[serde(default)]
    pub legal_limit_value: String,
    #[serde(default)]
    pub legal_limit_unit: String,
    #[serde(default)]
    pub promised_limit_value: String,
    #[serde(default)]
    pub promised_limit_unit: String,
    #[serde(default)]
    pub fees: String,
    #[serde(default)]
    pub steps: String,
    #[serde(default)]
    pub min_visits: String,
    #[serde(default)]
    pub sensitive: Option<String>,
    /// Checked when the item keeps no personal record, so an account not yet
    /// bound to its identity may apply.
    #[serde(default)]
    pub open_to_unverified: Option<String>,
    #[serde(default)]
    pub supervision_phone: String,
    #[serde(default)]
    pub discretion: String,
    #[serde(default)]
    pub form: String,
}

/// Field errors keyed by form field, in the page's language.
pub type FormErrors = BTreeMap<String, String>;

fn yes(s: &str) -> bool {
    matches!(s.trim(), "是" | "y" | "Y" | "yes" | "true" | "1" | "计入")
}

fn parts(line: &str) -> Vec<String> {
    line.split('|').map(|p| p.trim().to_string()).collect()
}

fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(|(i, l)| (i + 1, l))
}

/// Yuan as typed (`50`, `50.5`, `0.01`) to fen.
pub fn parse_yuan(s: &str) -> Option<i64> {
    sunshine_domain::money::Fen::parse(s).map(sunshine_domain::money::Fen::fen)
}

fn unit(s: &str) -> Option<TimeUnit> {
    TimeUnit::parse(s.trim())
}

/// The materials, one a line: name|copies|original (yes/no)|required (yes/no)|note.
fn materials(text: &str, err: &mut dyn FnMut(&str, String, String)) -> Vec<Material> {
    let mut materials = vec![];
    for (n, line) in lines(text) {
        let p = parts(line);
        let copies = p.get(1).filter(|c| !c.is_empty()).map(|c| c.parse::<u32>());
        match copies {
            Some(Err(_)) => err(
                "materials",
                format!("第{n}行：份数应为整数"),
                format!("Line {n}: copies is a whole number"),
            ),
            _ => materials.push(Material {
                name: p[0].clone(),
                copies: copies.and_then(Result::ok).unwrap_or(1),
                original: p.get(2).map(|s| yes(s)).unwrap_or(false),
                required: p.get(3).map(|s| yes(s)).unwrap_or(true),
                note: p.get(4).cloned().unwrap_or_default(),
            }),
        }
    }
    materials
}

/// The fees, one a line: name|amount in yuan|legal basis.
fn fees(text: &str, err: &mut dyn FnMut(&str, String, String)) -> Vec<Fee> {
    let mut fees = vec![];
    for (n, line) in lines(text) {
        let p = parts(line);
        match (p.get(1).and_then(|y| parse_yuan(y)), p.get(2)) {
            (Some(fen), Some(basis)) => fees.push(Fee {
                name: p[0].clone(),
                standard_fen: fen,
                basis: basis.clone(),
            }),
            _ => err(
                "fees",
                format!("第{n}行应为：名称|金额（元）|依据"),
                format!("Line {n} should be: name|amount in yuan|legal basis"),
            ),
        }
    }
    fees
}

/// The steps, one a line: step|post|duty|limit|counted in the legal limit
/// (yes/no); a step's limit is in the legal limit's unit.
fn steps(text: &str, legal_unit: TimeUnit, err: &mut dyn FnMut(&str, String, String)) -> Vec<Step> {
    let mut steps = vec![];
    for (n, line) in lines(text) {
        let p = parts(line);
        match (p.get(1), p.get(3).and_then(|v| v.parse::<u32>().ok())) {
            (Some(post), Some(value)) => steps.push(Step {
                name: p[0].clone(),
                post: post.clone(),
                duty: p.get(2).cloned().unwrap_or_default(),
                limit: TimeLimit {
                    value,
                    unit: legal_unit,
                },
                counted_in_legal_limit: p.get(4).map(|s| yes(s)).unwrap_or(true),
            }),
            _ => err(
                "steps",
                format!("第{n}行应为：环节|岗位|职责|时限|计入法定时限(是/否)"),
                format!("Line {n} should be: step|post|duty|limit|counted (yes/no)"),
            ),
        }
    }
    steps
}

/// The discretion benchmarks, one a line: circumstance|measure|min yuan|max yuan.
fn discretion(text: &str, err: &mut dyn FnMut(&str, String, String)) -> Vec<Discretion> {
    let mut discretion = vec![];
    for (n, line) in lines(text) {
        let p = parts(line);
        match (
            p.get(1),
            p.get(2).and_then(|y| parse_yuan(y)),
            p.get(3).and_then(|y| parse_yuan(y)),
        ) {
            (Some(measure), Some(min), Some(max)) => discretion.push(Discretion {
                circumstance: p[0].clone(),
                measure: measure.clone(),
                min_fen: min,
                max_fen: max,
            }),
            _ => err(
                "discretion",
                format!("第{n}行应为：情形|措施|下限（元）|上限（元）"),
                format!("Line {n} should be: circumstance|measure|min yuan|max yuan"),
            ),
        }
    }
    discretion
}

/// The application form's fields, one a line:
/// key|label|English label|kind|required (yes/no)|option1/option2.
fn form_fields(text: &str, err: &mut dyn FnMut(&str, String, String)) -> Vec<FormField> {
    let mut form = vec![];
    for (n, line) in lines(text) {
        let p = parts(line);
        match (p.get(1), p.get(3).and_then(|k| FieldKind::parse(k))) {
            (Some(label), Some(kind)) => form.push(FormField {
                key: p[0].clone(),
                label: label.clone(),
                label_en: p.get(2).cloned().unwrap_or_default(),
                kind,
                required: p.get(4).map(|s| yes(s)).unwrap_or(false),
                choices: p.get(5).map(|c| c.split('/').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()).unwrap_or_default(),
            }),
            _ => err("form", format!("第{n}行应为：键名|标签|英文标签|类型|必填(是/否)|选项1/选项2"), format!("Line {n} should be: key|label|English label|kind|required (yes/no)|option1/option2")),
        }
    }
    form
}

impl ItemForm {
    /// Turn the form into a spec, or say which fields could not be read.
    pub fn to_spec(&self, lang: Lang) -> Result<ItemSpec, FormErrors> {
        let mut errors = FormErrors::new();
        let mut err = |field: &str, zh: String, en: String| {
            errors
                .entry(field.to_string())
                .or_insert(if lang.is_en() { en } else { zh });
        };
        let item_type = ItemType::parse(&self.item_type);
        if item_type.is_none() {
            err(
                "item_type",
                "请选择事项类型".into(),
                "Choose an item type".into(),
            );
        }
        let region = RegionCode::parse(&self.region)
            .map_err(|b| err("region", b.zh, b.en))
            .ok();
        let org = |field: &str, v: &str, err: &mut dyn FnMut(&str, String, String)| {
            OrgCode::parse(v).map_err(|b| err(field, b.zh, b.en)).ok()
        };
        let implementing_body = org("implementing_body", &self.implementing_body, &mut err);
        let accepting_body = org("accepting_body", &self.accepting_body, &mut err);
        let deciding_body = org("deciding_body", &self.deciding_body, &mut err);

        let mut limit = |prefix: &str, value: &str, u: &str| -> Option<TimeLimit> {
            let v = value
                .trim()
                .parse::<u32>()
                .map_err(|_| {
                    err(
                        prefix,
                        "时限应为正整数".into(),
                        "A time limit is a whole number".into(),
                    )
                })
                .ok()?;
            let u = unit(u).or_else(|| {
                err(prefix, "请选择时限单位".into(), "Choose the unit".into());
                None
            })?;
            Some(TimeLimit { value: v, unit: u })
        };
        let legal_limit = limit(
            "legal_limit",
            &self.legal_limit_value,
            &self.legal_limit_unit,
        );
        let promised_limit = limit(
            "promised_limit",
            &self.promised_limit_value,
            &self.promised_limit_unit,
        );
        let legal_unit = legal_limit.map(|l| l.unit).unwrap_or(TimeUnit::WorkingDays);

        let materials = materials(&self.materials, &mut err);
        let fees = fees(&self.fees, &mut err);
        let steps = steps(&self.steps, legal_unit, &mut err);
        let discretion = discretion(&self.discretion, &mut err);
        let form = form_fields(&self.form, &mut err);
        let min_visits = if self.min_visits.trim().is_empty() {
            Some(0)
        } else {
            self.min_visits
                .trim()
                .parse::<u32>()
                .map_err(|_| err("min_visits", "应为整数".into(), "A whole number".into()))
                .ok()
        };
        match (
            item_type,
            region,
            implementing_body,
            accepting_body,
            deciding_body,
            legal_limit,
            promised_limit,
            min_visits,
        ) {
            (
                Some(item_type),
                Some(region),
                Some(implementing_body),
                Some(accepting_body),
                Some(deciding_body),
                Some(legal_limit),
                Some(promised_limit),
                Some(min_visits),
            ) if errors.is_empty() => Ok(ItemSpec {
                code: self.code.trim().to_string(),
                name: self.name.trim().to_string(),
                item_type,
                level: Level::of_region(&region),
                region,
                implementing_body,
                accepting_body,
                deciding_body,
                legal_basis: self.legal_basis.trim().to_string(),
                conditions: lines(&self.conditions)
                    .map(|(_, l)| l.to_string())
                    .collect(),
                materials,
                legal_limit,
                promised_limit,
                fees,
                steps,
                min_visits,
                sensitive: self.sensitive.is_some(),
                needs_real_name: self.open_to_unverified.is_none(),
                supervision_phone: self.supervision_phone.trim().to_string(),
                discretion,
                form,
            }),
            _ => Err(errors),
        }
    }

    /// The form filled from a spec, for editing.
    pub fn from_spec(s: &ItemSpec) -> ItemForm {
        let yn = |b: bool| if b { "是" } else { "否" };
        let y = |fen: i64| crate::pages::yuan(&fen);
        ItemForm {
            csrf: String::new(),
            code: s.code.clone(),
            name: s.name.clone(),
            item_type: s.item_type.as_str().into(),
            region: s.region.to_string(),
            implementing_body: s.implementing_body.to_string(),
            accepting_body: s.accepting_body.to_string(),
            deciding_body: s.deciding_body.to_string(),
            legal_basis: s.legal_basis.clone(),
            conditions: s.conditions.join("\n"),
            materials: s
                .materials
                .iter()
                .map(|m| {
                    format!(
                        "{}|{}|{}|{}|{}",
                        m.name,
                        m.copies,
                        yn(m.original),
                        yn(m.required),
                        m.note
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
            legal_limit_value: s.legal_limit.value.to_string(),
            legal_limit_unit: s.legal_limit.unit.as_str().into(),
            promised_limit_value: s.promised_limit.value.to_string(),
            promised_limit_unit: s.promised_limit.unit.as_str().into(),
            fees: s
                .fees
                .iter()
                .map(|f| format!("{}|{}|{}", f.name, y(f.standard_fen), f.basis))
                .collect::<Vec<_>>()
                .join("\n"),
            steps: s
                .steps
                .iter()
                .map(|st| {
                    format!(
                        "{}|{}|{}|{}|{}",
                        st.name,
                        st.post,
                        st.duty,
                        st.limit.value,
                        yn(st.counted_in_legal_limit)
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
            min_visits: s.min_visits.to_string(),
            sensitive: s.sensitive.then(|| "on".to_string()),
            open_to_unverified: (!s.needs_real_name).then(|| "on".to_string()),
            supervision_phone: s.supervision_phone.clone(),
            discretion: s
                .discretion
                .iter()
                .map(|d| {
                    format!(
                        "{}|{}|{}|{}",
                        d.circumstance,
                        d.measure,
                        y(d.min_fen),
                        y(d.max_fen)
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
            form: s
                .form
                .iter()
                .map(|f| {
                    format!(
                        "{}|{}|{}|{}|{}|{}",
                        f.key,
                        f.label,
                        f.label_en,
                        f.kind.as_str(),
                        yn(f.required),
                        f.choices.join("/")
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }
}

/// Map the domain's field names (`materials[0].name`) to the form's (`materials`).
pub fn form_field(domain_field: &str) -> String {
    let base = domain_field
        .split(['[', '.'])
        .next()
        .unwrap_or(domain_field);
    match base {
        "level" => "region".to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_amounts_become_fen_exactly() {
        assert_eq!(parse_yuan("50"), Some(5000));
        assert_eq!(parse_yuan("50.5"), Some(5050));
        assert_eq!(parse_yuan("0.01"), Some(1));
        assert_eq!(parse_yuan("1.234"), None);
        assert_eq!(parse_yuan("-1"), None);
        assert_eq!(parse_yuan(""), None);
    }

    #[test]
    fn a_spec_survives_the_form_and_back() {
        let spec: ItemSpec =
            serde_json::from_str(include_str!("../../../tests/fixtures/item.json"))
                .expect("fixture");
        let form = ItemForm::from_spec(&spec);
        assert_eq!(form.to_spec(Lang::Zh), Ok(spec));
    }

    #[test]
    fn a_malformed_line_is_reported_on_its_field() {
        let spec: ItemSpec =
            serde_json::from_str(include_str!("../../../tests/fixtures/item.json"))
                .expect("fixture");
        let mut form = ItemForm::from_spec(&spec);
        form.fees = "证书工本费|abc|某文件".into();
        let errors = form.to_spec(Lang::En).expect_err("bad fee");
        assert!(errors["fees"].starts_with("Line 1"), "{errors:?}");
    }
}
