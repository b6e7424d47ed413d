//! A service order (服务工单) of home care: placed for an elderly resident
//! by the resident, their community's worker, the hotline, a kiosk or the
//! TV page; accepted or declined by the provider; served, with the time it
//! took; confirmed and rated by the resident. The time is charged at the
//! service's standard price, the subsidy drawn from the month's subsidised
//! minutes and the rest paid by the resident.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::refusal::{is_clean_text, Refusal, Text};

/// Where an order was placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The resident, online.
    Resident,
    /// The community's worker, for the resident.
    Worker,
    /// The 96345 hotline, for a caller.
    Hotline,
    /// A community's self-service kiosk (96345便民服务信息亭).
    Kiosk,
    /// The digital-TV page (数字电视96345专区).
    Tv,
}

impl Channel {
    pub const ALL: [Channel; 5] = [
        Channel::Resident,
        Channel::Worker,
        Channel::Hotline,
        Channel::Kiosk,
        Channel::Tv,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Resident => "resident",
            Channel::Worker => "worker",
            Channel::Hotline => "hotline",
            Channel::Kiosk => "kiosk",
            Channel::Tv => "tv",
        }
    }
    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }
    pub fn name(self) -> Text {
        match self {
            Channel::Resident => Text::new("网上", "Online"),
            Channel::Worker => Text::new("社区代办", "Community worker"),
            Channel::Hotline => Text::new("96345热线", "96345 hotline"),
            Channel::Kiosk => Text::new("便民服务亭", "Kiosk"),
            Channel::Tv => Text::new("数字电视", "Digital TV"),
        }
    }
    /// Whether the resident places the order themselves on this channel
    /// (signed in as themselves), rather than someone for them.
    pub fn is_residents_own(self) -> bool {
        matches!(self, Channel::Resident | Channel::Kiosk | Channel::Tv)
    }
}

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    /// Placed, waiting for the provider.
    Placed,
    /// The provider will serve it.
    Accepted,
    /// Served: the provider has recorded the time; waiting for the resident.
    Served,
    /// Confirmed and rated by the resident (final).
    Confirmed,
    /// The provider declined it, with the reason (final).
    Declined,
    /// Withdrawn before it was served (final).
    Cancelled,
}

impl OrderState {
    pub const ALL: [OrderState; 6] = [
        OrderState::Placed,
        OrderState::Accepted,
        OrderState::Served,
        OrderState::Confirmed,
        OrderState::Declined,
        OrderState::Cancelled,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            OrderState::Placed => "placed",
            OrderState::Accepted => "accepted",
            OrderState::Served => "served",
            OrderState::Confirmed => "confirmed",
            OrderState::Declined => "declined",
            OrderState::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Option<OrderState> {
        OrderState::ALL.into_iter().find(|x| x.as_str() == s)
    }
    pub fn name(self) -> Text {
        match self {
            OrderState::Placed => Text::new("待接单", "Waiting for the provider"),
            OrderState::Accepted => Text::new("已接单", "Accepted"),
            OrderState::Served => Text::new("已服务，待确认", "Served, to be confirmed"),
            OrderState::Confirmed => Text::new("已确认评价", "Confirmed and rated"),
            OrderState::Declined => Text::new("服务商已拒单", "Declined by the provider"),
            OrderState::Cancelled => Text::new("已取消", "Cancelled"),
        }
    }
    pub fn is_final(self) -> bool {
        matches!(
            self,
            OrderState::Confirmed | OrderState::Declined | OrderState::Cancelled
        )
    }
}

/// Who acts on an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    /// The elderly resident the order is for.
    Resident,
    /// Someone acting for the resident: their community's worker, or the
    /// 96345 centre, which runs the alliance and follows up every order
    /// (callers phone about orders placed anywhere).
    ForResident,
    /// Someone acting for a resident who has no account of their own, as
    /// `ForResident`, who also confirms and rates the service on a return
    /// visit (回访), in the resident's words.
    ReturnVisit,
    /// The provider the order was sent to.
    Provider,
}

/// What can be done to an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderCommand {
    Accept,
    Decline {
        reason: String,
    },
    /// The time served, in minutes, and what was done.
    Serve {
        minutes: u32,
        note: String,
    },
    /// The resident's rating, 1 to 5, and a comment if they wish.
    Confirm {
        rating: u8,
        comment: String,
    },
    Cancel {
        reason: String,
    },
}

impl OrderCommand {
    pub fn name(&self) -> &'static str {
        match self {
            OrderCommand::Accept => "accept",
            OrderCommand::Decline { .. } => "decline",
            OrderCommand::Serve { .. } => "serve",
            OrderCommand::Confirm { .. } => "confirm",
            OrderCommand::Cancel { .. } => "cancel",
        }
    }
}

/// The longest single service recorded: ten hours.
pub const MAX_MINUTES: u32 = 600;
/// The longest text an order's command carries.
const MAX_TEXT: usize = 500;

fn text(field: &str, t: &str, required: bool) -> Result<(), Refusal> {
    let n = t.trim().chars().count();
    if required && n == 0 {
        return Err(Refusal::field(field, "请填写说明", "Say why"));
    }
    if n > MAX_TEXT {
        return Err(Refusal::field(
            field,
            "不得超过500字",
            "At most 500 characters",
        ));
    }
    if !is_clean_text(t) {
        return Err(Refusal::field(
            field,
            "含有不可见的控制字符",
            "Contains invisible control characters",
        ));
    }
    Ok(())
}

/// The life of an order: the state `command` by `party` leads to, or why not.
pub fn next_order_state(
    state: OrderState,
    party: Party,
    command: &OrderCommand,
) -> Result<OrderState, Refusal> {
    use OrderState as S;
    match command {
        OrderCommand::Decline { reason } | OrderCommand::Cancel { reason } => {
            text("reason", reason, true)?
        }
        OrderCommand::Serve { minutes, note } => {
            if *minutes == 0 || *minutes > MAX_MINUTES {
                return Err(Refusal::field(
                    "minutes",
                    "服务时长应在1至600分钟之间",
                    "The time served is 1 to 600 minutes",
                ));
            }
            text("note", note, true)?
        }
        OrderCommand::Confirm { rating, comment } => {
            if !(1..=5).contains(rating) {
                return Err(Refusal::field(
                    "rating",
                    "评价为1至5星",
                    "Rate from 1 to 5 stars",
                ));
            }
            text("comment", comment, false)?
        }
        OrderCommand::Accept => {}
    }
    let whose = match command {
        OrderCommand::Accept | OrderCommand::Decline { .. } | OrderCommand::Serve { .. } => {
            party == Party::Provider
        }
        OrderCommand::Confirm { .. } => matches!(party, Party::Resident | Party::ReturnVisit),
        OrderCommand::Cancel { .. } => party != Party::Provider,
    };
    if !whose {
        return Err(Refusal::forbidden(
            "not_your_part",
            "您不能对该工单执行此操作",
            "This is not yours to do on the order",
        ));
    }
    match (state, command) {
        (S::Placed, OrderCommand::Accept) => Ok(S::Accepted),
        (S::Placed, OrderCommand::Decline { .. }) => Ok(S::Declined),
        (S::Accepted, OrderCommand::Serve { .. }) => Ok(S::Served),
        (S::Served, OrderCommand::Confirm { .. }) => Ok(S::Confirmed),
        (S::Placed | S::Accepted, OrderCommand::Cancel { .. }) => Ok(S::Cancelled),
        _ => Err(Refusal::conflict(
            "order_state",
            "该工单当前状态下不能执行此操作",
            "The order's state does not allow this",
        )),
    }
}

/// The commands a party may give in a state, asked of `next_order_state`
/// itself so that the pages cannot offer what it refuses.
pub fn commands_for(state: OrderState, party: Party) -> Vec<&'static str> {
    let samples = [
        OrderCommand::Accept,
        OrderCommand::Decline { reason: "-".into() },
        OrderCommand::Serve {
            minutes: 1,
            note: "-".into(),
        },
        OrderCommand::Confirm {
            rating: 5,
            comment: String::new(),
        },
        OrderCommand::Cancel { reason: "-".into() },
    ];
    samples
        .iter()
        .filter(|c| next_order_state(state, party, c).is_ok())
        .map(OrderCommand::name)
        .collect()
}

/// The order's number: `JY`, the day it was placed and its id.
pub fn order_number(placed_on: Date, id: i64) -> String {
    format!("JY{}{:06}", placed_on.strftime("%Y%m%d"), id)
}

/// The id in an order's number, if it is one.
pub fn order_id(number: &str) -> Option<i64> {
    let rest = number.strip_prefix("JY")?;
    if rest.len() < 14 || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    rest[8..].parse().ok()
}

/// What a service costs and who pays it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Charge {
    /// The time at the standard price, in fen.
    pub total_fen: u64,
    /// The part the subsidy pays.
    pub subsidy_fen: u64,
    /// The part paid with minutes from the resident's time bank.
    #[serde(default)]
    pub bank_fen: u64,
    /// The part the resident pays.
    pub own_fen: u64,
    /// The subsidised minutes the service used.
    pub subsidised_minutes: u32,
    /// The banked minutes it used.
    #[serde(default)]
    pub banked_minutes: u32,
}

/// The cost of `minutes` at `hourly_fen` (to the nearest fen, halves up):
/// as much of it subsidised as the `left` subsidised minutes of the month
/// cover, then as much of the rest as the `banked` minutes of the time
/// bank cover, and the rest paid. The parts always add up to the whole.
pub fn charge(hourly_fen: u64, minutes: u32, left: u32, banked: u32) -> Charge {
    let at = |m: u32| (hourly_fen * u64::from(m) + 30) / 60;
    let subsidised_minutes = minutes.min(left);
    let banked_minutes = (minutes - subsidised_minutes).min(banked);
    let total_fen = at(minutes);
    let subsidy_fen = at(subsidised_minutes).min(total_fen);
    // Priced together, so that rounding never makes the two exceed the whole.
    let bank_fen =
        (at(subsidised_minutes + banked_minutes) - subsidy_fen).min(total_fen - subsidy_fen);
    Charge {
        total_fen,
        subsidy_fen,
        bank_fen,
        own_fen: total_fen - subsidy_fen - bank_fen,
        subsidised_minutes,
        banked_minutes,
    }
}
