//! What home care shows: providers, recipients, orders and the allowance
//! roll, each with no more of a person than its reader needs.

use std::collections::BTreeMap;

use jiff::civil::Date;
use serde::Serialize;
use sunshine_domain::access::ReadPurpose;
use sunshine_domain::care::{AdlLevel, Channel, Charge, OrderState, Party, Service};
use sunshine_domain::registry::view::{Field, PersonView};
use sunshine_domain::registry::{stats, Person};
use sunshine_store::care::{OrderRow, ProviderRow, RecipientRow};

use sunshine_domain::care::order::commands_for;

use super::{number_of, stored_charge, stored_level, RULES};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProviderView {
    pub credit_code: String,
    pub name: String,
    pub services: Vec<String>,
    pub districts: Vec<String>,
    pub active: bool,
}

impl ProviderView {
    pub(crate) fn of(p: ProviderRow) -> ProviderView {
        ProviderView {
            credit_code: p.credit_code,
            name: p.name,
            services: p.services,
            districts: p.districts,
            active: p.active,
        }
    }
}

/// A resident registered for care, as their community's worker sees them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecipientView {
    pub person_id: i64,
    pub name: String,
    pub age: Option<i16>,
    pub community: String,
    pub household: String,
    /// The assessment's total (0 to 100) and each item's score.
    pub total: i64,
    pub scores: BTreeMap<String, u8>,
    pub level: AdlLevel,
    /// Subsidised minutes a month, and those used this month.
    pub minutes_per_month: i64,
    pub minutes_used: i64,
    pub assessed_at: i64,
    pub assessed_by: String,
}

impl RecipientView {
    pub(crate) fn of(r: &RecipientRow, p: &Person, today: Date, used: i64) -> RecipientView {
        RecipientView {
            person_id: r.person_id,
            name: p.name.clone(),
            age: stats::age(&p.birth, today),
            community: r.community.clone(),
            household: p.household.clone(),
            total: r.total,
            scores: serde_json::from_str(&r.scores).unwrap_or_default(),
            level: stored_level(r),
            minutes_per_month: r.minutes,
            minutes_used: used,
            assessed_at: r.assessed_at,
            assessed_by: r.assessed_by.clone(),
        }
    }
}

/// An order as a party to it sees it. The resident's name, address and
/// phone are there for those who serve them; the number is not.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrderView {
    pub number: String,
    pub state: OrderState,
    pub channel: Channel,
    pub service: String,
    pub provider: String,
    pub provider_name: String,
    pub name: String,
    pub address: String,
    pub phone: Option<String>,
    pub wanted_on: String,
    pub request: String,
    pub placed_at: i64,
    pub accepted_at: Option<i64>,
    pub served_at: Option<i64>,
    pub minutes: Option<i64>,
    pub note: Option<String>,
    pub charge: Option<Charge>,
    /// Whether the resident pays from their time bank what the subsidy does not cover.
    pub use_time_bank: bool,
    pub rating: Option<i64>,
    pub comment: Option<String>,
    /// Why it was declined or cancelled.
    pub closed_reason: Option<String>,
    /// When the current limit runs out (to be accepted, or served).
    pub due_at: Option<i64>,
    /// The limit has run out: shown to the provider as to the community,
    /// whose supervision card it raises.
    pub overdue: bool,
    /// What the reader may do now.
    pub commands: Vec<&'static str>,
}

impl OrderView {
    pub(crate) fn of(o: &OrderRow, p: &Person, provider_name: String, party: Party) -> OrderView {
        let state = OrderState::parse(&o.state).unwrap_or(OrderState::Placed);
        // The fields serving an order needs (`view::fields_for`), and no more.
        let shown = PersonView::of(o.person_id, p, ReadPurpose::CareService);
        let field = |f: Field| shown.get(f).unwrap_or_default().to_string();
        OrderView {
            number: number_of(o),
            state,
            channel: Channel::parse(&o.channel).unwrap_or(Channel::Worker),
            service: o.service.clone(),
            provider: o.provider.clone(),
            provider_name,
            name: field(Field::Name),
            address: field(Field::ResidenceAddress),
            phone: Some(field(Field::Phone)).filter(|p| !p.is_empty()),
            wanted_on: o.wanted_on.clone(),
            request: o.request.clone(),
            placed_at: o.placed_at,
            accepted_at: o.accepted_at,
            served_at: o.served_at,
            minutes: o.minutes,
            note: o.note.clone(),
            charge: stored_charge(o),
            use_time_bank: o.use_time_bank,
            rating: o.rating,
            comment: o.comment.clone(),
            closed_reason: o.closed_reason.clone(),
            due_at: o.due_at,
            overdue: false,
            commands: commands_for(state, party),
        }
    }

    /// The order as it stands at `now`: overdue once its limit has passed.
    pub(crate) fn at(mut self, now: i64) -> OrderView {
        self.overdue = self.due_at.is_some_and(|due| due < now);
        self
    }
}

/// One resident on a month's allowance roll.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AllowanceLine {
    pub person_id: i64,
    pub name: String,
    pub birth: String,
    /// Age on the month's last day.
    pub age: i16,
    /// The band's lower age (`data/care/rules.json`).
    pub band_from_age: u32,
    pub monthly_fen: u64,
    /// The month's allowance paid onto the elder's card, once paid.
    pub paid: Option<super::payouts::PayoutView>,
}

/// The residents among `persons` who are owed an age allowance for the
/// month ending `last`, by the city's bands (age on that day).
pub(crate) fn allowance_lines(
    persons: &[(i64, Person)],
    last: jiff::civil::Date,
) -> Vec<AllowanceLine> {
    persons
        .iter()
        .filter_map(|(id, p)| {
            let age = stats::age(&p.birth, last)?;
            let band = RULES.allowance(age)?;
            Some(AllowanceLine {
                person_id: *id,
                name: p.name.clone(),
                birth: p.birth.clone(),
                age,
                band_from_age: band.from_age,
                monthly_fen: band.monthly_fen,
                paid: None,
            })
        })
        .collect()
}

/// A community's age allowances for a month, with the count and the sum
/// of each band.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AllowanceRoll {
    pub community: String,
    /// `YYYY-MM`
    pub month: String,
    pub lines: Vec<AllowanceLine>,
    pub bands: Vec<BandTotal>,
    pub total_fen: u64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BandTotal {
    pub from_age: u32,
    pub name_zh: String,
    pub name_en: String,
    pub persons: u64,
    pub total_fen: u64,
}

impl AllowanceRoll {
    pub(crate) fn of(community: String, month: String, lines: Vec<AllowanceLine>) -> AllowanceRoll {
        let bands: Vec<BandTotal> = RULES
            .allowances
            .iter()
            .map(|b| {
                let of_band = lines.iter().filter(|l| l.band_from_age == b.from_age);
                BandTotal {
                    from_age: b.from_age,
                    name_zh: b.name_zh.clone(),
                    name_en: b.name_en.clone(),
                    persons: of_band.clone().count() as u64,
                    total_fen: of_band.map(|l| l.monthly_fen).sum(),
                }
            })
            .collect();
        AllowanceRoll {
            community,
            month,
            total_fen: lines.iter().map(|l| l.monthly_fen).sum(),
            lines,
            bands,
        }
    }
}

/// A resident's home care, as they see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MyCare {
    /// Whether the registry holds them and their community has registered
    /// them for care (only then can they order).
    pub registered: bool,
    pub name: Option<String>,
    pub age: Option<i16>,
    pub level: Option<AdlLevel>,
    pub minutes_per_month: i64,
    pub minutes_used: i64,
    /// Minutes in their time bank, given as a volunteer, to spend on services.
    pub time_bank_minutes: i64,
    /// The age allowance band they are in, and its monthly amount.
    pub allowance_from_age: Option<u32>,
    pub allowance_monthly_fen: Option<u64>,
    /// The services they may order, each with the providers in their district.
    pub services: Vec<ServiceOffer>,
    pub orders: Vec<OrderView>,
    pub today: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ServiceOffer {
    pub service: Service,
    pub providers: Vec<ProviderView>,
}

impl MyCare {
    pub(crate) fn none(today: Date) -> MyCare {
        MyCare {
            registered: false,
            name: None,
            age: None,
            level: None,
            minutes_per_month: 0,
            minutes_used: 0,
            time_bank_minutes: 0,
            allowance_from_age: None,
            allowance_monthly_fen: None,
            services: vec![],
            orders: vec![],
            today: today.to_string(),
        }
    }

    pub(crate) fn of(
        p: &Person,
        r: Option<&RecipientRow>,
        (used, banked): (i64, i64),
        today: Date,
        providers: Vec<ProviderRow>,
        orders: Vec<OrderView>,
    ) -> MyCare {
        let age = stats::age(&p.birth, today);
        let band = age.and_then(|a| RULES.allowance(a));
        let district = p.community.get(..6).unwrap_or_default();
        let services = match r {
            Some(_) => RULES
                .services
                .iter()
                .map(|s| ServiceOffer {
                    service: s.clone(),
                    providers: providers
                        .iter()
                        .filter(|p| super::offers(p, &s.code, district))
                        .cloned()
                        .map(ProviderView::of)
                        .collect(),
                })
                .filter(|o| !o.providers.is_empty())
                .collect(),
            None => vec![],
        };
        MyCare {
            registered: r.is_some(),
            name: Some(p.name.clone()),
            age,
            level: r.map(stored_level),
            minutes_per_month: r.map_or(0, |r| r.minutes),
            minutes_used: used,
            time_bank_minutes: banked,
            allowance_from_age: band.map(|b| b.from_age),
            allowance_monthly_fen: band.map(|b| b.monthly_fen),
            services,
            orders,
            today: today.to_string(),
        }
    }
}
