//! The 96345 hotline's use cases: requests taken from every channel, the
//! lifecycle commands of operators, units and requesters, merging alike
//! requests, the categories and their dispatch catalogue, and the keys of
//! the Open311 clients.

mod across;
mod categories;
mod community;
mod intake;
mod keys;
mod knowledge;
mod lifecycle;
mod reads;
mod view;

pub(crate) use across::{take_reply, take_request};
pub use categories::CategoryCache;
pub use community::NEARBY_RADIUS_M;
pub use intake::{Assist, NewRequest, Source, Taken};
pub use keys::DEFAULT_PER_MINUTE;
pub use knowledge::NewArticle;
/// The hotline's read models as the pages, the API and Open311 read them.
pub use view::{
    ArticleRow, CategoryRow, DispatchOverride, KeyRow, TicketFilter, TicketRow, UpdateRow,
};

use jiff::Timestamp;
use sunshine_domain::clock::from_micros;
use sunshine_domain::identity::Actor;
use sunshine_domain::ids::OrgCode;
use sunshine_domain::refusal::Refusal;

use crate::OrgDirectory;

pub(super) fn ticket_not_found() -> crate::AppError {
    Refusal::not_found("工单", "Service request").into()
}

/// How a reader stands to one request: its hotline's operator, staff of
/// the unit it is with, or the one who asked. Who is none of the three
/// is told it is not there.
pub(super) struct Reader {
    pub operator: bool,
    pub unit: bool,
    pub own: bool,
}

impl Reader {
    pub fn of(orgs: &OrgDirectory, actor: &Actor, t: &sunshine_store::hotline::TicketRow) -> Self {
        Self {
            operator: crate::at_centre(orgs, actor, crate::CentreWork::OperateHotline).is_ok(),
            unit: t.lifecycle.lead.as_ref().is_some_and(|u| {
                crate::allow(
                    orgs,
                    actor,
                    &sunshine_domain::policy::Action::HandleTicket { unit: u },
                )
                .is_ok()
            }),
            own: t.requester_user == Some(actor.user_id),
        }
    }

    pub fn sees(&self) -> bool {
        self.operator || self.unit || self.own
    }
}

pub(super) fn is_government(orgs: &OrgDirectory, code: &OrgCode) -> bool {
    orgs.get(code.as_str())
        .is_some_and(|o| o.kind.is_government())
}

/// The city, where a request with no district belongs.
pub(super) const CITY: &str = "330100";

/// The time an Open311 client is shown for a stored moment.
pub fn iso(us: i64) -> String {
    let t: Timestamp = from_micros(us);
    t.to_zoned(sunshine_domain::clock::shanghai())
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}
