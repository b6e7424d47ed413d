//! The one way the application writes who did what into the journal: an
//! entry by an actor, in the actor's organisation, or by the platform itself.

use sunshine_domain::identity::{Actor, UserKind};
use sunshine_domain::journal::NewEntry;

/// The platform itself, as the actor of what nobody signed in does (sign-up, set-up).
pub fn system_actor() -> Actor {
    Actor {
        user_id: 0,
        login: "system".into(),
        display_name: "系统".into(),
        kind: UserKind::Staff,
        org: None,
        grants: vec![],
        posts: vec![],
        verified_id: None,
    }
}

/// A journal entry by `actor`, in the actor's organisation.
pub fn entry(
    actor: &Actor,
    subject: String,
    event_type: &'static str,
    payload: serde_json::Value,
) -> NewEntry {
    NewEntry {
        actor: actor.journal_name(),
        org: actor
            .org
            .as_ref()
            .map(|o| o.as_str().to_string())
            .unwrap_or_default(),
        subject,
        event_type,
        payload,
    }
}
