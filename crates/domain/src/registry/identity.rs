//! 身份核验: whether the name given for an identity number is the one the
//! registry holds for it. A counter (the hall's, the card centre's) asks
//! this and learns nothing else: not the name held, not where the person
//! lives.

use serde::{Deserialize, Serialize};

/// What the registry says of a name given with an identity number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IdentityCheck {
    /// The registry holds the number under this name.
    Matches,
    /// The registry holds the number under another name.
    NameDiffers,
    /// The registry does not hold the number.
    NotRegistered,
}

impl IdentityCheck {
    pub fn as_str(self) -> &'static str {
        match self {
            IdentityCheck::Matches => "matches",
            IdentityCheck::NameDiffers => "name_differs",
            IdentityCheck::NotRegistered => "not_registered",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            IdentityCheck::Matches => "与人口基础库一致",
            IdentityCheck::NameDiffers => "姓名与人口基础库不符",
            IdentityCheck::NotRegistered => "人口基础库中无此人",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            IdentityCheck::Matches => "Matches the population registry",
            IdentityCheck::NameDiffers => "The name differs from the population registry's",
            IdentityCheck::NotRegistered => "Not in the population registry",
        }
    }
}

/// A name as compared: written as the registry writes names (the dots
/// people type for `·` as it, no spaces at the ends), then without spaces
/// and with Latin letters in one case, so that `ZHANG San` and `Zhang san`
/// are one name and `阿依古丽 · 买买提` is `阿依古丽·买买提`.
fn compared(name: &str) -> Option<String> {
    let written = super::name(name).ok()?;
    Some(
        written
            .chars()
            .filter(|c| *c != ' ')
            .flat_map(char::to_lowercase)
            .collect(),
    )
}

/// The verdict for `given`, against the names the registry holds for the
/// number (none: not held). A name that is not a name matches nothing.
pub fn check_identity(given: &str, held: &[&str]) -> IdentityCheck {
    if held.is_empty() {
        return IdentityCheck::NotRegistered;
    }
    let Some(given) = compared(given) else {
        return IdentityCheck::NameDiffers;
    };
    if held.iter().any(|h| compared(h).as_deref() == Some(&given)) {
        IdentityCheck::Matches
    } else {
        IdentityCheck::NameDiffers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_matches_as_written_whatever_dot_space_or_case_was_typed() {
        assert_eq!(
            check_identity("王小明", &["王小明"]),
            IdentityCheck::Matches
        );
        assert_eq!(
            check_identity(" 阿依古丽・买买提 ", &["阿依古丽·买买提"]),
            IdentityCheck::Matches
        );
        assert_eq!(
            check_identity("阿依古丽 · 买买提", &["阿依古丽·买买提"]),
            IdentityCheck::Matches
        );
        assert_eq!(
            check_identity("john SMITH", &["John Smith"]),
            IdentityCheck::Matches
        );
    }

    #[test]
    fn another_name_a_non_name_or_no_record_is_said_so() {
        assert_eq!(
            check_identity("王晓明", &["王小明"]),
            IdentityCheck::NameDiffers
        );
        assert_eq!(check_identity("", &["王小明"]), IdentityCheck::NameDiffers);
        assert_eq!(
            check_identity("王小明1", &["王小明"]),
            IdentityCheck::NameDiffers
        );
        assert_eq!(check_identity("王小明", &[]), IdentityCheck::NotRegistered);
        assert_eq!(
            check_identity("王小明", &["王晓明", "王小明"]),
            IdentityCheck::Matches,
            "two records of one number: either name is the person's"
        );
    }
}
