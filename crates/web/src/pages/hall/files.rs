//! The files a form with materials brings: those chosen now and those kept
//! from its last refusal, so that one error never makes a person choose
//! every file again. The form shown again names each kept file by hash in a
//! hidden `kept.<slot>.<n>`; the app gives back only files kept for the
//! same account, and a file chosen now for a material replaces its kept ones.

use std::collections::BTreeMap;

use sunshine_app::materials::{Kept, Upload};
use sunshine_domain::catalog::Material;
use sunshine_domain::identity::Actor;

use crate::i18n::Lang;
use crate::pages::fmt;
use crate::AppState;

/// A form's files: chosen now, and kept from before.
pub struct FormFiles {
    chosen: Vec<Upload>,
    kept: Vec<(Kept, Upload)>,
}

/// The kept files a form names, as (slot, hash).
fn named(fields: &BTreeMap<String, String>) -> Vec<(usize, String)> {
    fields
        .iter()
        .filter_map(|(k, v)| {
            let rest = k.strip_prefix("kept.")?;
            let slot = rest.split('.').next()?.parse::<usize>().ok()?;
            Some((slot, v.clone()))
        })
        .collect()
}

impl FormFiles {
    /// The files of a posted form: what was chosen, and the kept files it
    /// names for materials that were not chosen again.
    pub async fn gather(
        s: &AppState,
        actor: &Actor,
        fields: &BTreeMap<String, String>,
        chosen: Vec<Upload>,
    ) -> Result<FormFiles, sunshine_app::AppError> {
        let named: Vec<(usize, String)> = named(fields)
            .into_iter()
            .filter(|(slot, _)| !chosen.iter().any(|u| u.slot == *slot))
            .collect();
        let kept = if named.is_empty() {
            vec![]
        } else {
            s.app.kept_uploads(actor, &named).await?
        };
        Ok(FormFiles { chosen, kept })
    }

    /// Every file, to send with the command.
    pub fn all(&self) -> Vec<Upload> {
        self.kept
            .iter()
            .map(|(_, u)| u.clone())
            .chain(self.chosen.iter().cloned())
            .collect()
    }

    /// After a refusal: the files kept before and those chosen now that
    /// pass on their own, kept for the form shown again.
    pub async fn keep(self, s: &AppState, actor: &Actor, materials: &[Material]) -> Vec<Kept> {
        let mut kept: Vec<Kept> = self.kept.into_iter().map(|(k, _)| k).collect();
        match s.app.keep_uploads(actor, materials, &self.chosen).await {
            Ok(more) => kept.extend(more),
            Err(e) => tracing::warn!(error = ?e, "could not keep a refused form's files"),
        }
        kept
    }

    /// The files kept before, without keeping more (a refusal no new file can mend).
    pub fn kept_only(self) -> Vec<Kept> {
        self.kept.into_iter().map(|(k, _)| k).collect()
    }
}

/// A kept file as its material's input lists it.
pub struct KeptView {
    /// The hidden input that names it: `kept.<slot>.<n>`.
    pub field: String,
    pub sha256: String,
    pub file_name: String,
    pub size: String,
}

/// The kept files of one material, for its input.
pub fn kept_views(lang: Lang, slot: usize, kept: &[Kept]) -> Vec<KeptView> {
    kept.iter()
        .filter(|k| k.slot == slot)
        .enumerate()
        .map(|(n, k)| KeptView {
            field: format!("kept.{slot}.{n}"),
            sha256: k.sha256.clone(),
            file_name: k.file_name.clone(),
            size: fmt::size(lang, k.size),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_names_its_kept_files_by_material_and_ignores_other_fields() {
        let fields: BTreeMap<String, String> = [
            ("kept.0.0", "aa"),
            ("kept.2.1", "bb"),
            ("kept.x.0", "cc"),
            ("answer.kept", "dd"),
            ("csrf", "ee"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(
            named(&fields),
            vec![(0, "aa".to_string()), (2, "bb".to_string())]
        );
    }
}
