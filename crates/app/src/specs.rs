//! The specs of item versions in the library, parsed once. A version that
//! has entered the library never changes again (only drafts are edited), so
//! the spec a case began on can be kept in memory instead of being loaded
//! and parsed from its JSON on every command of the case.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sunshine_domain::catalog::{ItemSpec, VersionState};
use sunshine_store::Conn;

use crate::Result;

/// How many specs are kept before the cache starts again from empty.
const CAPACITY: usize = 4096;

/// A shared cache of library versions' specs by version id; cheap to clone
/// into a write command.
#[derive(Clone, Default)]
pub struct SpecCache(Arc<Mutex<HashMap<i64, Arc<ItemSpec>>>>);

impl SpecCache {
    /// The spec of a version, from memory when it is in the library (or has
    /// been superseded there), else from the store; `None` if there is no such version.
    pub async fn spec(&self, conn: &mut Conn, version_id: i64) -> Result<Option<Arc<ItemSpec>>> {
        if let Some(spec) = self.lock().get(&version_id) {
            return Ok(Some(spec.clone()));
        }
        let Some(version) = sunshine_store::catalog::get_version(conn, version_id).await? else {
            return Ok(None);
        };
        let spec = Arc::new(version.spec);
        if matches!(
            version.state,
            VersionState::InLibrary | VersionState::Superseded
        ) {
            let mut cache = self.lock();
            if cache.len() >= CAPACITY {
                cache.clear();
            }
            cache.insert(version_id, spec.clone());
        }
        Ok(Some(spec))
    }

    /// The spec of a version, if it is in memory.
    pub fn cached(&self, version_id: i64) -> Option<Arc<ItemSpec>> {
        self.lock().get(&version_id).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Arc<ItemSpec>>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}
