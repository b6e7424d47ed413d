//! A request as it comes in: its channel, kind and urgency, its place, the
//! checks on what it says, likeness to an open one, and the number told to the caller.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::lifecycle::MAX_DESCRIPTION;
use crate::clock::local_date;
use crate::refusal::Refusal;
use crate::Text;

/// Where a request came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Phone,
    Web,
    Kiosk,
    Tv,
    Open311,
}

impl Channel {
    pub const ALL: [Channel; 5] = [
        Channel::Phone,
        Channel::Web,
        Channel::Kiosk,
        Channel::Tv,
        Channel::Open311,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Phone => "phone",
            Channel::Web => "web",
            Channel::Kiosk => "kiosk",
            Channel::Tv => "tv",
            Channel::Open311 => "open311",
        }
    }
    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }
    /// Whether a request by this channel must say in words what it is
    /// about: every channel a person fills in. An Open311 client's request
    /// may be its service code and place alone, as GeoReport v2 allows.
    pub fn needs_words(self) -> bool {
        self != Channel::Open311
    }
}

/// The report's four service classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceClass {
    /// 政府服务
    Government,
    /// 城市公共信息
    PublicInformation,
    /// 社区便民服务
    Community,
    /// 商务信息
    Commercial,
}

impl ServiceClass {
    pub const ALL: [ServiceClass; 4] = [
        ServiceClass::Government,
        ServiceClass::PublicInformation,
        ServiceClass::Community,
        ServiceClass::Commercial,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceClass::Government => "government",
            ServiceClass::PublicInformation => "public_information",
            ServiceClass::Community => "community",
            ServiceClass::Commercial => "commercial",
        }
    }
    pub fn parse(s: &str) -> Option<ServiceClass> {
        ServiceClass::ALL.into_iter().find(|c| c.as_str() == s)
    }
    pub fn name(self) -> Text {
        match self {
            ServiceClass::Government => Text::new("政府服务", "Government services"),
            ServiceClass::PublicInformation => Text::new("城市公共信息", "City public information"),
            ServiceClass::Community => Text::new("社区便民服务", "Community services"),
            ServiceClass::Commercial => Text::new("商务信息", "Commercial information"),
        }
    }
}

/// How fast a category must be dispatched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// 紧急: danger to people or property.
    Emergency,
    /// Water, power, gas, heating.
    Utility,
    Normal,
}

/// What the citizen asks for, which sets how long the unit has to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// 咨询
    Consultation,
    /// 求助
    Help,
    /// 投诉
    Complaint,
    /// 举报
    Report,
    /// 建议
    Suggestion,
}

impl Urgency {
    pub const ALL: [Urgency; 3] = [Urgency::Emergency, Urgency::Utility, Urgency::Normal];
    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::Emergency => "emergency",
            Urgency::Utility => "utility",
            Urgency::Normal => "normal",
        }
    }
    pub fn name(self) -> Text {
        match self {
            Urgency::Emergency => Text::new("紧急", "Emergency"),
            Urgency::Utility => Text::new("公用事业", "Utility"),
            Urgency::Normal => Text::new("一般", "Normal"),
        }
    }
}

impl RequestKind {
    pub const ALL: [RequestKind; 5] = [
        RequestKind::Consultation,
        RequestKind::Help,
        RequestKind::Complaint,
        RequestKind::Report,
        RequestKind::Suggestion,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Consultation => "consultation",
            RequestKind::Help => "help",
            RequestKind::Complaint => "complaint",
            RequestKind::Report => "report",
            RequestKind::Suggestion => "suggestion",
        }
    }
    pub fn name(self) -> Text {
        match self {
            RequestKind::Consultation => Text::new("咨询", "Consultation"),
            RequestKind::Help => Text::new("求助", "Help"),
            RequestKind::Complaint => Text::new("投诉", "Complaint"),
            RequestKind::Report => Text::new("举报", "Report"),
            RequestKind::Suggestion => Text::new("建议", "Suggestion"),
        }
    }
}

/// A request's place: a point, an address, or both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Place {
    pub lat: Option<f64>,
    pub long: Option<f64>,
    pub address: Option<String>,
}

/// Hangzhou's bounds, generously: a point outside them is a typo.
pub fn check_point(lat: f64, long: f64) -> Result<(), Refusal> {
    if !(29.0..=31.0).contains(&lat) || !(118.0..=121.0).contains(&long) {
        return Err(Refusal::field(
            "lat",
            "位置不在杭州市范围内",
            "The location is not within Hangzhou",
        ));
    }
    Ok(())
}

/// Great-circle distance in metres.
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1, la2, lo2) = (
        a.0.to_radians(),
        a.1.to_radians(),
        b.0.to_radians(),
        b.1.to_radians(),
    );
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6_371_000.0 * h.sqrt().asin()
}

/// How far either way of a new point the duplicate check looks, in degrees:
/// more than [`DUPLICATE_RADIUS_M`] here (0.002° is 222 m of latitude, and
/// 193 m of longitude at 30° north).
pub const ALIKE_BOX_DEG: f64 = 0.002;

/// The side of a square of the grid that places requests for the duplicate
/// check, in degrees: twice [`ALIKE_BOX_DEG`], so that the box around a
/// point meets at most four squares, however the point falls.
pub const PLACE_CELL_DEG: f64 = 2.0 * ALIKE_BOX_DEG;

/// The square of the grid a point lies in, as one number: its row from the
/// south pole times 100,000 plus its column from the antimeridian (a row has
/// 90,000 columns). A request is stored with it, so that the requests near a
/// point are found in the four squares around it, however many requests the
/// city has had.
pub fn place_cell(lat: f64, long: f64) -> i64 {
    row(lat) * 100_000 + column(long)
}

fn row(lat: f64) -> i64 {
    ((lat + 90.0) / PLACE_CELL_DEG).floor() as i64
}

fn column(long: f64) -> i64 {
    ((long + 180.0) / PLACE_CELL_DEG).floor() as i64
}

/// The squares that the box of [`ALIKE_BOX_DEG`] around a point meets: a
/// block of two by two, as the box is as wide as a square, given south-west,
/// south-east, north-west, north-east, so that each row's two are a range.
pub fn cells_around(lat: f64, long: f64) -> [i64; 4] {
    let (south, north) = (row(lat - ALIKE_BOX_DEG), row(lat + ALIKE_BOX_DEG));
    let (west, east) = (column(long - ALIKE_BOX_DEG), column(long + ALIKE_BOX_DEG));
    [
        south * 100_000 + west,
        south * 100_000 + east,
        north * 100_000 + west,
        north * 100_000 + east,
    ]
}

/// Two requests are alike within this distance...
pub const DUPLICATE_RADIUS_M: f64 = 100.0;
/// ...and this time.
pub const DUPLICATE_WINDOW: SignedDuration = SignedDuration::from_hours(72);

/// What the duplicate check knows of a request.
#[derive(Debug, Clone)]
pub struct Likeness<'a> {
    pub category: &'a str,
    pub point: Option<(f64, f64)>,
    pub address: Option<&'a str>,
    pub caller: Option<&'a str>,
    pub at: Timestamp,
}

/// A new request is like an open one when the same caller has it open, or
/// it is of the same category at the same place within the window.
pub fn alike(new: &Likeness<'_>, open: &Likeness<'_>) -> bool {
    if new.caller.is_some() && new.caller == open.caller && new.category == open.category {
        return true;
    }
    if new.category != open.category || new.at.duration_since(open.at).abs() > DUPLICATE_WINDOW {
        return false;
    }
    match (new.point, open.point) {
        (Some(a), Some(b)) => distance_m(a, b) <= DUPLICATE_RADIUS_M,
        _ => match (new.address, open.address) {
            (Some(a), Some(b)) => normalise_address(a) == normalise_address(b),
            _ => false,
        },
    }
}

fn normalise_address(a: &str) -> String {
    a.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, ',' | '，' | '.' | '。'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// What a new request says, before it is taken.
#[derive(Debug, Clone, Default)]
pub struct RequestText<'a> {
    pub description: &'a str,
    pub point: Option<(f64, f64)>,
    pub address: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub email: Option<&'a str>,
    pub media_url: Option<&'a str>,
    /// One-line texts: the caller's name, device and account ids.
    pub lines: Vec<(&'static str, &'a str)>,
    /// The channel a new request comes by (none for a comment on one).
    pub channel: Option<Channel>,
}

/// A new request's faults, all at once: a description (not empty when a
/// person fills the form in) of at most 4,000
/// characters, a point within the city, a phone number of digits, an e-mail
/// address with its @, a media link over http(s).
pub fn check_request(r: &RequestText<'_>) -> Result<(), Refusal> {
    let mut e = crate::refusal::FieldErrors::default();
    // A person's request says what it is about in words: a kiosk's category
    // is chosen before anyone comes, so a category alone says nothing.
    if r.channel.is_some_and(Channel::needs_words) && r.description.trim().is_empty() {
        e.add(
            "description",
            "请说明诉求内容",
            "Say what the request is about",
        );
    }
    if r.description.chars().count() > MAX_DESCRIPTION {
        e.add(
            "description",
            "描述不能超过4000字",
            "The description has more than 4,000 characters",
        );
    }
    if !crate::refusal::is_clean_text(r.description) {
        e.add(
            "description",
            "描述含有控制字符",
            "The description holds control characters",
        );
    }
    if let Some((lat, long)) = r.point {
        if let Err(refusal) = check_point(lat, long) {
            e.absorb(refusal);
        }
    }
    if r.address.is_some_and(|a| a.chars().count() > 200) {
        e.add("address_string", "地址过长", "The address is too long");
    }
    for (field, line) in &r.lines {
        if !crate::refusal::is_clean_text(line) || line.contains(['\n', '\r', '\t']) {
            crate::refusal::control_characters(&mut e, field);
        }
    }
    // An address is one line: no control characters at all.
    if r.address
        .is_some_and(|a| !crate::refusal::is_clean_text(a) || a.contains(['\n', '\r', '\t']))
    {
        crate::refusal::control_characters(&mut e, "address_string");
    }
    if let Some(phone) = r.phone {
        let digits = phone.chars().filter(|c| c.is_ascii_digit()).count();
        let clean = phone
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | ' ' | '+'));
        if !clean || !(7..=15).contains(&digits) {
            e.add("phone", "电话号码不正确", "Not a phone number");
        }
    }
    if let Some(email) = r.email {
        let ok = email.len() <= 254
            && email
                .split_once('@')
                .is_some_and(|(a, d)| !a.is_empty() && d.contains('.') && !d.contains('@'));
        if !ok {
            e.add("email", "电子邮箱不正确", "Not an e-mail address");
        }
    }
    if let Some(url) = r.media_url {
        if !(url.starts_with("https://") || url.starts_with("http://")) || url.len() > 2000 {
            e.add(
                "media_url",
                "图片链接应以 http(s):// 开头",
                "A media URL is an http(s) link",
            );
        }
    }
    e.check()
}

/// The number told to a caller: `96345-YEAR-ID`.
pub fn ticket_number(requested: Timestamp, id: i64) -> String {
    format!("96345-{}-{id:07}", local_date(requested).year())
}

/// The request a number made by [`ticket_number`] names.
pub fn ticket_id(number: &str) -> Option<i64> {
    let rest = number.strip_prefix("96345-")?;
    let (year, id) = rest.split_once('-')?;
    if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    id.parse().ok().filter(|id| *id > 0)
}
