//! An applicant's answers to the item's form, checked field by field against
//! the form's definition in the catalogue.

use std::collections::BTreeMap;

use jiff::civil::Date;
use serde_json::Value;

use crate::catalog::{FieldKind, FormField};
use crate::ids::{CreditCode, ResidentId};
use crate::refusal::{is_clean_text, FieldErrors, Refusal};

/// Check every answer and return them typed (numbers as numbers, booleans as
/// booleans, the rest as text), or refuse with every fault at once.
pub fn check_answers(
    form: &[FormField],
    answers: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, Value>, Refusal> {
    let mut e = FieldErrors::default();
    let mut typed = BTreeMap::new();
    for key in answers.keys() {
        if !form.iter().any(|f| &f.key == key) {
            e.add(key, "表单中没有此项", "The form has no such field");
        }
    }
    for field in form {
        let raw = answers.get(&field.key).map(|v| v.trim()).unwrap_or("");
        if raw.is_empty() {
            if field.required {
                e.add(
                    &field.key,
                    format!("请填写“{}”", field.label),
                    format!(
                        "'{}' is required",
                        if field.label_en.is_empty() {
                            &field.label
                        } else {
                            &field.label_en
                        }
                    ),
                );
            }
            continue;
        }
        if !is_clean_text(raw) {
            e.add(
                &field.key,
                "不能包含控制字符",
                "Control characters are not allowed",
            );
            continue;
        }
        match typed_value(field, raw) {
            Ok(v) => {
                typed.insert(field.key.clone(), v);
            }
            Err((zh, en)) => e.add(&field.key, zh, en),
        }
    }
    e.check()?;
    Ok(typed)
}

fn typed_value(field: &FormField, raw: &str) -> Result<Value, (String, String)> {
    let err = |zh: &str, en: &str| Err((zh.to_string(), en.to_string()));
    match field.kind {
        FieldKind::Text if raw.chars().count() > 200 => {
            err("不能超过200个字符", "At most 200 characters")
        }
        FieldKind::Textarea if raw.chars().count() > 4000 => {
            err("不能超过4000个字符", "At most 4000 characters")
        }
        FieldKind::Text | FieldKind::Textarea => Ok(Value::from(raw)),
        FieldKind::Number => match raw.parse::<f64>() {
            Ok(n) if n.is_finite() && raw.len() <= 20 => Ok(serde_json::Number::from_f64(n)
                .map(Value::Number)
                .unwrap_or(Value::Null)),
            _ => err("应为数字", "A number is expected"),
        },
        FieldKind::Date => match raw.parse::<Date>() {
            Ok(d) => Ok(Value::from(d.to_string())),
            Err(_) => err("日期格式应为YYYY-MM-DD", "A date is written YYYY-MM-DD"),
        },
        FieldKind::Choice if field.choices.iter().any(|c| c == raw) => Ok(Value::from(raw)),
        FieldKind::Choice => err("请从选项中选择", "Choose one of the options"),
        FieldKind::Bool => match raw {
            "true" | "yes" | "on" | "1" | "是" => Ok(Value::Bool(true)),
            "false" | "no" | "off" | "0" | "否" => Ok(Value::Bool(false)),
            _ => err("应为是或否", "Yes or no is expected"),
        },
        FieldKind::Phone => {
            let digits = raw.replace(['-', ' '], "");
            let mobile = digits.len() == 11 && digits.starts_with('1');
            let landline = (10..=12).contains(&digits.len()) && digits.starts_with('0');
            if digits.bytes().all(|b| b.is_ascii_digit()) && (mobile || landline) {
                Ok(Value::from(digits))
            } else {
                err(
                    "电话号码应为11位手机号或带区号的固定电话",
                    "A phone number is an 11-digit mobile or a landline with its area code",
                )
            }
        }
        FieldKind::Email => {
            let ok = raw.len() <= 254
                && raw.split_once('@').is_some_and(|(user, host)| {
                    !user.is_empty()
                        && host.contains('.')
                        && !host.starts_with('.')
                        && !host.ends_with('.')
                        && !raw.contains(char::is_whitespace)
                });
            if ok {
                Ok(Value::from(raw))
            } else {
                err("电子邮箱格式不正确", "The e-mail address is not valid")
            }
        }
        FieldKind::IdNumber => ResidentId::parse(raw)
            .map(|id| Value::from(id.as_str()))
            .map_err(|b| (b.zh, b.en)),
        FieldKind::CreditCode => CreditCode::parse(raw)
            .map(|c| Value::from(c.as_str()))
            .map_err(|b| (b.zh, b.en)),
    }
}
