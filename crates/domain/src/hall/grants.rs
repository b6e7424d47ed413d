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
            rules.push(GrantRule {
                item: l.item,
                grant,
                holder_field: l.holder_field,
                name_field: l.name_field,
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
