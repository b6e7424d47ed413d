//! What an approved case grants on the citizen card (`data/hall/grants.json`):
//! an approved 市民卡申领 issues the card to the person the form names, an
//! approved 最低生活保障 loads the allowance's entitlement onto the head's
//! card. The approval checks the person against the registry and writes
//! the grant in its own transaction; the card books carry it out after the
//! write, and a grant they could not take yet (the person has no card yet,
//! the books are on another node) waits and is tried again each minute.

use std::sync::LazyLock;

use serde_json::json;
use sunshine_domain::access::mask_card_number;
use sunshine_domain::card::book::Doer;
use sunshine_domain::care::aid::topped_up_monthly;
use sunshine_domain::catalog::ItemSpec;
use sunshine_domain::hall::grants::{AidGrant, Grant, Grants};
use sunshine_domain::hall::Case;
use sunshine_domain::identity::Actor;
use sunshine_domain::ids::ResidentId;
use sunshine_domain::money::Fen;
use sunshine_domain::refusal::Refusal;
use sunshine_domain::registry::identity::IdentityCheck;
use sunshine_domain::registry::DivisionCode;
use sunshine_store::grants::{self as store, GrantRow};
use sunshine_store::WriteTx;

use crate::journal_entry::entry;
use crate::{App, Result};

/// The grants as shipped.
pub static GRANTS: LazyLock<Grants> = LazyLock::new(|| {
    Grants::from_json(include_str!("../../../data/hall/grants.json"))
        .unwrap_or_else(|e| panic!("data/hall/grants.json: {e}"))
});

/// The code of an approval refused because the registry holds the
/// person the form names under another name.
pub(crate) const IDENTITY_REFUSED: &str = "grant_identity";

/// The most grants carried out in one round.
const ROUND: i64 = 200;

/// A grant an approval will write, decided before it writes anything.
pub(crate) struct Decided {
    grant: Grant,
    holder: ResidentId,
    name: String,
    found: (IdentityCheck, Vec<i64>),
    aid: Option<OpenedAid>,
}

/// The household's aid an approval opens: where, what kind, how much.
struct OpenedAid {
    community: DivisionCode,
    household: String,
    kind: String,
    monthly_fen: u64,
}

/// The aid an approval of `rule`'s item opens for the household of the
/// person `holder`, at the amount its kind's rule computes from the form's
/// means; refused when the means are not eligible or the household already
/// holds that aid. Reads only.
async fn decide_aid(
    tx: &mut WriteTx,
    aid: &AidGrant,
    answers: &serde_json::Value,
    holder: &ResidentId,
) -> Result<OpenedAid> {
    let means = aid.means(answers)?;
    let rule = crate::care::RULES.aid_rule(&aid.kind).ok_or_else(|| {
        anyhow::anyhow!(
            "data/hall/grants.json names aid {:?} that the care rules do not",
            aid.kind
        )
    })?;
    let monthly_fen =
        topped_up_monthly(rule, means.members, means.income_fen).ok_or_else(|| {
            let standard = rule.standard_fen.unwrap_or(0) as i64;
            Refusal::conflict(
                "grant_not_eligible",
                &format!(
                    "申请家庭人均月收入不低于标准（每人每月{}元），不能批准：请不予许可",
                    Fen(standard).short()
                ),
                &format!(
                    "The household's income for each member is not below the standard ({} yuan a member a month): refuse the case",
                    Fen(standard).short()
                ),
            )
        })?;
    let person =
        sunshine_store::registry::persons_by_id_number(tx.conn(), &[holder.as_str().to_string()])
            .await?
            .into_iter()
            .map(|(_, p)| p)
            .next()
            .ok_or_else(|| Refusal::not_found("该申领人", "The applicant"))?;
    let community = DivisionCode::parse(&person.community)
        .map_err(|_| Refusal::not_found("该申领人的社区", "The applicant's community"))?;
    if crate::care::aid::holds_aid(tx.conn(), community.as_str(), &person.household, &aid.kind)
        .await?
    {
        return Err(Refusal::conflict(
            "aid_held",
            "该户已在享受此项救助，由社区按期复核调整：请不予许可",
            "The household already receives this aid, which its community reviews: refuse the case",
        )
        .into());
    }
    Ok(OpenedAid {
        community,
        household: person.household,
        kind: aid.kind.clone(),
        monthly_fen,
    })
}

/// Before an approval writes: if the item grants something, the person the
/// form names, checked against the registry (refusing the approval when
/// the registry does not hold them under that name). Reads only.
pub(crate) async fn decide(
    tx: &mut WriteTx,
    case: &Case,
    spec: &ItemSpec,
) -> Result<Option<Decided>> {
    let Some(rule) = GRANTS.for_item(&spec.code) else {
        return Ok(None);
    };
    let (holder, name) = rule.person(&case.answers)?;
    let found = crate::registry::identity::verdict_of(tx.conn(), holder.as_str(), &name).await?;
    match found.0 {
        IdentityCheck::Matches => {
            let aid = match &rule.aid {
                Some(aid) => Some(decide_aid(tx, aid, &case.answers, &holder).await?),
                None => None,
            };
            Ok(Some(Decided {
                grant: rule.grant,
                holder,
                name,
                found,
                aid,
            }))
        }
        IdentityCheck::NameDiffers => Err(Refusal::conflict(
            IDENTITY_REFUSED,
            "申领人姓名与人口基础库中该身份号码的登记不符：核实后再批准，或不予许可",
            "The applicant's name is not the one the population registry holds for the number: check it before approving, or refuse",
        )
        .into()),
        IdentityCheck::NotRegistered => Err(Refusal::conflict(
            "grant_not_registered",
            "人口基础库中没有申领人：请其先到居住地社区登记，或不予许可",
            "The population registry does not hold the applicant: they register with their community first, or the case is refused",
        )
        .into()),
    }
}

/// In the approval's transaction, after its decision: journal the check as
/// a read of the person, write the grant, pending, and open the
/// household's aid (paid from the month of the decision).
pub(crate) async fn write(
    tx: &mut WriteTx,
    actor: &Actor,
    case: &Case,
    d: Decided,
    now: i64,
) -> Result<()> {
    crate::registry::identity::journal_check(
        tx,
        actor,
        d.holder.as_str(),
        &case.number,
        d.found,
        now,
    )
    .await?;
    store::insert_grant(
        tx.conn(),
        &GrantRow {
            case_number: case.number.clone(),
            grant_kind: d.grant.as_str().to_string(),
            holder: d.holder.as_str().to_string(),
            holder_name: d.name,
            department: case.department.clone(),
            by_actor: actor.journal_name(),
            state: "pending".into(),
            card: None,
            created_at: now,
            done_at: None,
        },
    )
    .await?;
    if let Some(a) = d.aid {
        let today = sunshine_domain::clock::local_date(
            jiff::Timestamp::from_microsecond(now).unwrap_or_default(),
        );
        let mut row = crate::care::aid::new_aid(
            &a.community,
            &a.household,
            &a.kind,
            a.monthly_fen,
            today,
            actor,
            now,
        );
        crate::care::aid::open_aid(tx, actor, &mut row, Some(&case.number), now).await?;
    }
    Ok(())
}

impl App {
    /// An approval refused for the name the form gives its person: the
    /// check read their record, so it is journaled (and shown to them) in a
    /// write of its own, the approval's having rolled back.
    pub(crate) async fn keep_refused_grant_check(&self, actor: &Actor, number: &str) -> Result<()> {
        let (specs, now) = (self.specs.clone(), self.now_micros());
        let (actor, number) = (actor.clone(), number.to_string());
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<()> {
                let (case, spec) = crate::hall::case_and_spec(tx, &specs, &number).await?;
                let Some(rule) = GRANTS.for_item(&spec.code) else {
                    return Ok(());
                };
                let (holder, name) = rule.person(&case.answers)?;
                let found =
                    crate::registry::identity::verdict_of(tx.conn(), holder.as_str(), &name)
                        .await?;
                crate::registry::identity::journal_check(
                    tx,
                    &actor,
                    holder.as_str(),
                    &case.number,
                    found,
                    now,
                )
                .await
            })
            .await
    }

    /// Carry out the grants approved cases wrote and the books have not
    /// taken yet: each at most once, however often this runs and on however
    /// many nodes (a card is issued only to one who holds none; loading an
    /// entitlement again renews it). Returns how many were done.
    pub async fn deliver_grants(&self) -> Result<usize> {
        let pending = {
            let mut conn = self.db.read().await?;
            store::pending_grants(&mut conn, ROUND).await?
        };
        let mut done = 0;
        for g in pending {
            let Some(grant) = Grant::parse(&g.grant_kind) else {
                tracing::warn!(case = %g.case_number, grant = %g.grant_kind, "an unknown grant waits");
                continue;
            };
            let holder = ResidentId::parse(&g.holder)
                .map_err(|e| anyhow::anyhow!("grant of {}: {e}", g.case_number))?;
            let by = Doer {
                actor: g.by_actor.clone(),
                org: g.department.clone(),
            };
            let name = g.holder_name.clone();
            let card = self
                .on_books(
                    move |b, now| match (grant, b.live_card_of(holder.as_str())) {
                        (Grant::CitizenCard, Some(held)) => Ok(Some(held)),
                        (Grant::CitizenCard, None) => b
                            .issue(&holder, &name, "", now, &by)
                            .map(|c| Some(c.number)),
                        // Loaded when the person has a card.
                        (Grant::Entitlement(_), None) => Ok(None),
                        (Grant::Entitlement(kind), Some(card)) => {
                            b.grant(&card, kind, None, now, &by).map(|_| Some(card))
                        }
                    },
                )
                .await?;
            let Some(card) = card else { continue };
            let now = self.now_micros();
            let finished = self
                .db
                .write(async move |tx: &mut WriteTx| -> Result<bool> {
                    if !store::finish_grant(tx.conn(), &g.case_number, &card, now).await? {
                        return Ok(false);
                    }
                    let payload = json!({"grant": g.grant_kind, "card": mask_card_number(&card)});
                    // Done by the platform, in the department that approved it.
                    let mut done = entry(
                        &crate::journal_entry::system_actor(),
                        format!("case/{}", g.case_number),
                        "hall.grant_done",
                        payload,
                    );
                    done.org = g.department.clone();
                    tx.journal(now, done).await?;
                    Ok(true)
                })
                .await?;
            done += usize::from(finished);
        }
        Ok(done)
    }
}
