//! What an approved case grants on the citizen card beyond its e-licence:
//! the card itself (市民卡申领), or an entitlement the card then proves
//! (最低生活保障). The rules are data (`data/hall/grants.json`): an item by
//! its catalogue code, what it grants, and which of the form's fields name
//! the person it is granted to.

use serde::{Deserialize, Serialize};

use crate::card::entitlement::Kind;
use crate::ids::ResidentId;
use crate::refusal::Refusal;

/// What an approval grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Grant {
    /// A citizen card issued to the person.
    CitizenCard,
    /// An entitlement loaded onto the person's card.
    Entitlement(Kind),
}

impl Grant {
    pub fn as_str(self) -> &'static str {
        match self {
            Grant::CitizenCard => "citizen_card",
            Grant::Entitlement(k) => k.as_str(),
        }
    }

    pub fn parse(s: &str) -> Option<Grant> {
        match s {
            "citizen_card" => Some(Grant::CitizenCard),
            other => Kind::parse(other).map(Grant::Entitlement),
        }
    }
}

/// An item's grant and where its form names the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantRule {
    pub item: String,
    pub grant: Grant,
    pub holder_field: String,
    pub name_field: String,
    /// The household's aid the approval also opens, if any.
    pub aid: Option<AidGrant>,
}

/// A household's aid an approval opens: its kind (`data/care/rules.json`)
/// and the form's fields that give the household's members and its monthly
/// income in yuan, from which the amount is computed by the kind's rule.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AidGrant {
    pub kind: String,
    pub members_field: String,
    pub income_field: String,
}

/// What an approval's form says of a household's means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Means {
    pub members: u64,
    /// A month's income, fen.
    pub income_fen: u64,
}

impl AidGrant {
    /// The household's members and income from a case's answers.
    pub fn means(&self, answers: &serde_json::Value) -> Result<Means, Refusal> {
        // A form's numbers are kept as JSON numbers (2, 2.0, 1500.5) or text.
        let text = |key: &str| match answers.get(key) {
            Some(serde_json::Value::String(s)) => Some(s.trim().to_string()),
            Some(serde_json::Value::Number(n)) => Some(match n.as_f64() {
                Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
                _ => n.to_string(),
            }),
            _ => None,
        };
        let members = text(&self.members_field)
            .and_then(|t| t.parse::<u64>().ok())
            .filter(|n| (1..=50).contains(n))
            .ok_or_else(|| {
                Refusal::conflict(
                    "grant_means",
                    "办件中的共同生活家庭成员人数应为1至50",
                    "The case's number of household members is 1 to 50",
                )
            })?;
        let income_fen = text(&self.income_field)
            .and_then(|t| crate::money::Fen::parse(&t))
            .and_then(|f| u64::try_from(f.fen()).ok())
            .ok_or_else(|| {
                Refusal::conflict(
                    "grant_means",
                    "办件中的家庭月总收入应为不小于0的金额（元）",
                    "The case's household monthly income is an amount in yuan, 0 or more",
                )
            })?;
        Ok(Means {
            members,
            income_fen,
        })
    }
}

/// Every item's grant.
#[derive(Debug, Clone, Default)]
pub struct Grants {
    rules: Vec<GrantRule>,
}

#[derive(Deserialize)]
struct File {
    grants: Vec<Line>,
}

#[derive(Deserialize)]
struct Line {
    item: String,
    grant: String,
    holder_field: String,
    name_field: String,
    #[serde(default)]
    aid: Option<AidGrant>,
}

impl Grants {
    /// The rules from their file, each checked: a known grant, both fields
    /// named, an item granted once.
    pub fn from_json(text: &str) -> Result<Grants, String> {
        let file: File = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let mut rules: Vec<GrantRule> = vec![];
        for (i, l) in file.grants.into_iter().enumerate() {
            let at = format!("grant {} ({})", i + 1, l.item);
            let grant = Grant::parse(&l.grant)
                .ok_or_else(|| format!("{at}: no such grant {:?}", l.grant))?;
            if l.item.trim().is_empty() || l.holder_field.is_empty() || l.name_field.is_empty() {
                return Err(format!("{at}: the item and both fields are named"));
            }
            if rules.iter().any(|r| r.item == l.item) {
                return Err(format!("{at}: the item is granted twice"));
            }
            if l.aid.as_ref().is_some_and(|a| {
                a.kind.trim().is_empty() || a.members_field.is_empty() || a.income_field.is_empty()
            }) {
                return Err(format!("{at}: the aid names its kind and both fields"));
            }
            rules.push(GrantRule {
                item: l.item,
                grant,
                holder_field: l.holder_field,
                name_field: l.name_field,
                aid: l.aid,
            });
        }
        Ok(Grants { rules })
    }

    /// The grant of the item with this catalogue code, if it has one.
    pub fn for_item(&self, code: &str) -> Option<&GrantRule> {
        self.rules.iter().find(|r| r.item == code)
    }
}

impl GrantRule {
    /// The person the grant is for, from a case's answers: their identity
    /// number and name as the form gave them.
    pub fn person(&self, answers: &serde_json::Value) -> Result<(ResidentId, String), Refusal> {
        let text = |key: &str| {
            answers
                .get(key)
                .and_then(|v| v.as_str())
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        let missing = || {
            Refusal::conflict(
                "grant_person",
                "办件中没有可以发放的申领人身份号码和姓名",
                "The case does not name the person to grant it to by identity number and name",
            )
        };
        let number = text(&self.holder_field).ok_or_else(missing)?;
        let name = text(&self.name_field).ok_or_else(missing)?;
        let number = ResidentId::parse(number).map_err(|_| missing())?;
        Ok((number, name.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHIPPED: &str = include_str!("../../../../data/hall/grants.json");

    #[test]
    fn the_shipped_grants_read_and_name_the_card_and_the_allowance() {
        let g = Grants::from_json(SHIPPED).expect("shipped");
        assert_eq!(
            g.for_item("GG-01101-000").map(|r| r.grant),
            Some(Grant::CitizenCard)
        );
        assert_eq!(
            g.for_item("JF-00501-000").map(|r| r.grant),
            Some(Grant::Entitlement(Kind::Dibao))
        );
        assert!(g.for_item("XK-00000-000").is_none());
    }

    #[test]
    fn the_allowance_opens_the_households_aid_from_the_forms_means() {
        let g = Grants::from_json(SHIPPED).expect("shipped");
        let aid = g
            .for_item("JF-00501-000")
            .and_then(|r| r.aid.clone())
            .expect("低保 opens the household's aid");
        assert_eq!(aid.kind, "dibao");
        let means = aid
            .means(&serde_json::json!({"household_size": 3.0, "monthly_income_total": 1500.5}))
            .expect("means");
        assert_eq!(
            means,
            Means {
                members: 3,
                income_fen: 150_050
            }
        );
        for bad in [
            serde_json::json!({"household_size": 0, "monthly_income_total": "1"}),
            serde_json::json!({"household_size": "two", "monthly_income_total": "1"}),
            serde_json::json!({"household_size": 2, "monthly_income_total": "-1"}),
            serde_json::json!({"household_size": 2}),
        ] {
            assert_eq!(
                aid.means(&bad).expect_err("refused").code,
                "grant_means",
                "{bad}"
            );
        }
        assert!(g.for_item("GG-01101-000").is_some_and(|r| r.aid.is_none()));
    }

    #[test]
    fn bad_rules_are_refused_with_where() {
        let one = |grant: &str, holder: &str| {
            format!(
                r#"{{"grants": [{{"item": "A", "grant": "{grant}", "holder_field": "{holder}", "name_field": "n"}}]}}"#
            )
        };
        assert!(Grants::from_json(&one("gold", "id"))
            .unwrap_err()
            .contains("no such grant"));
        assert!(Grants::from_json(&one("dibao", ""))
            .unwrap_err()
            .contains("both fields"));
        let twice = r#"{"grants": [
            {"item": "A", "grant": "dibao", "holder_field": "i", "name_field": "n"},
            {"item": "A", "grant": "pension", "holder_field": "i", "name_field": "n"}]}"#;
        assert!(Grants::from_json(twice).unwrap_err().contains("twice"));
    }

    #[test]
    fn the_person_comes_from_the_form_or_the_case_is_refused() {
        let g = Grants::from_json(SHIPPED).expect("shipped");
        let rule = g.for_item("GG-01101-000").expect("card");
        let answers =
            serde_json::json!({"id_number": "33010619900101123X", "applicant_name": " 王小明 "});
        let (number, name) = rule.person(&answers).expect("named");
        assert_eq!(
            (number.as_str(), name.as_str()),
            ("33010619900101123X", "王小明")
        );
        for bad in [
            serde_json::json!({"applicant_name": "王小明"}),
            serde_json::json!({"id_number": "330106199001011230", "applicant_name": "王小明"}),
            serde_json::json!({"id_number": "33010619900101123X", "applicant_name": "  "}),
        ] {
            assert_eq!(rule.person(&bad).unwrap_err().code, "grant_person", "{bad}");
        }
    }
}
