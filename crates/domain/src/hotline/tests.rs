use std::collections::BTreeMap;

use jiff::civil::date;
use jiff::Timestamp;
use proptest::prelude::*;

use super::open311::{
    check_answers, check_definition, status, Attribute, AttributeValue, Datatype,
};
use super::*;
use crate::calendar::Calendar;
use crate::clock::to_micros;
use crate::ids::OrgCode;

fn at(s: &str) -> Timestamp {
    s.parse().expect("a timestamp")
}

fn cal() -> Calendar {
    Calendar::shipped()
}

fn unit(code: &str) -> OrgCode {
    OrgCode::parse(code).expect("an org code")
}

fn run(t: &Ticket, c: Command, now: &str) -> Ticket {
    decide(t, &c, at(now), &cal()).unwrap_or_else(|r| panic!("{} refused: {r}", c.name()))
}

fn consultation() -> Limits {
    Limits::default_for(Urgency::Normal, RequestKind::Consultation)
}

mod indicators;
mod lifecycle;
mod open311;
mod request;
