//! 身份核验 at a counter: the name given for an identity number checked
//! against the registry, inside the write the counter's act is in. The
//! check is a read of the person's record for that purpose: journaled and
//! shown to them, though the counter learns only whether the two agree.

use serde_json::json;
use sunshine_domain::access::{ReadKind, ReadPurpose};
use sunshine_domain::identity::Actor;
use sunshine_domain::registry::identity::{check_identity, IdentityCheck};
use sunshine_store::registry as store;
use sunshine_store::WriteTx;

use crate::access::{ReadOf, StaffRead};
use crate::{App, Result};

/// What the registry says of `name` for `number`, and the records it read:
/// a read alone, so that a command can decide on it before it writes.
pub(crate) async fn verdict_of(
    conn: &mut sunshine_store::Conn,
    number: &str,
    name: &str,
) -> Result<(IdentityCheck, Vec<i64>)> {
    let held = store::persons_by_id_number(conn, &[number.to_string()]).await?;
    let names: Vec<&str> = held.iter().map(|(_, p)| p.name.as_str()).collect();
    Ok((
        check_identity(name, &names),
        held.iter().map(|(id, _)| *id).collect(),
    ))
}

/// Journal a check of the person's record (when the registry holds them)
/// as a read for `what` (a case's number, "card"), shown to the person.
pub(crate) async fn journal_check(
    tx: &mut WriteTx,
    actor: &Actor,
    number: &str,
    what: &str,
    (verdict, persons): (IdentityCheck, Vec<i64>),
    now: i64,
) -> Result<()> {
    if verdict == IdentityCheck::NotRegistered {
        return Ok(());
    }
    let read = StaffRead {
        subject: format!("access/registry/identity/{what}"),
        kind: ReadKind::RegistryRecord,
        purpose: ReadPurpose::IdentityCheck,
        payload: json!({"view": "identity_check", "for": what, "verdict": verdict.as_str(),
            "persons": persons}),
        persons: vec![ReadOf {
            user: None,
            number: Some(number.to_string()),
            what: what.to_string(),
        }],
    };
    crate::access::journal_staff_read(tx, actor, read, now).await
}

/// Check `name` against the registry's names for `number`, for `what`, and
/// journal the check as a read of the person when the registry holds them.
pub(crate) async fn check_at_counter(
    tx: &mut WriteTx,
    actor: &Actor,
    number: &str,
    name: &str,
    what: &str,
    now: i64,
) -> Result<IdentityCheck> {
    let found = verdict_of(tx.conn(), number, name).await?;
    let verdict = found.0;
    journal_check(tx, actor, number, what, found, now).await?;
    Ok(verdict)
}

impl App {
    /// A check that refused its command (a name the registry does not hold
    /// for the number) still read the person's record, but the command's
    /// write rolled back with it: journal the check again in a write of its
    /// own, so the person is shown it as any other check.
    pub(crate) async fn keep_refused_check(
        &self,
        actor: &Actor,
        number: &str,
        name: &str,
        what: &str,
    ) -> Result<()> {
        let now = self.now_micros();
        let (actor, number, name, what) = (
            actor.clone(),
            number.to_string(),
            name.to_string(),
            what.to_string(),
        );
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<()> {
                let found = verdict_of(tx.conn(), &number, &name).await?;
                journal_check(tx, &actor, &number, &what, found, now).await
            })
            .await
    }
}
