//! A generated district for measuring linkage: persons, and for some of
//! them a second record as another office would have written it — a
//! character of the name replaced by one that sounds the same or nearly
//! (the southern mergers), or by a slip of the keys; only the year of birth,
//! or a year from an age; another house number or another address; no
//! identity number — and which records are the same person.
//!
//! Names are drawn from the thirty commonest surnames (weighted roughly by
//! their share) and a small pool of given-name characters, so that
//! different persons share names far more often than in life: a harder
//! test than a real district.

use super::fold;
use crate::registry::Person;
use pinyin::ToPinyin;
use std::collections::HashMap;

/// SplitMix64: small, fast and the same on every machine, so that a seed
/// names a data set.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    fn pick<'a, T>(&mut self, from: &'a [T]) -> &'a T {
        &from[self.below(from.len() as u64) as usize]
    }
}

/// Surnames and their rough share in hundredths of a percent.
const SURNAMES: [(char, u32); 30] = [
    ('王', 710),
    ('李', 700),
    ('张', 670),
    ('刘', 540),
    ('陈', 450),
    ('杨', 310),
    ('黄', 220),
    ('赵', 200),
    ('吴', 200),
    ('周', 190),
    ('徐', 160),
    ('孙', 150),
    ('马', 140),
    ('朱', 130),
    ('胡', 130),
    ('郭', 110),
    ('何', 110),
    ('高', 100),
    ('林', 100),
    ('罗', 90),
    ('郑', 80),
    ('梁', 80),
    ('谢', 70),
    ('宋', 60),
    ('唐', 60),
    ('许', 60),
    ('韩', 60),
    ('冯', 50),
    ('邓', 50),
    ('曹', 50),
];

/// Characters common in given names.
const GIVEN: &str = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕彬鹏辉斌宇浩凯健俊帆帅旭宁龙林欢阳建国文佳思雨晨轩梓涵子怡欣然博宏志诚海波峰兰凤梅琳雪婷颖慧晓云飞亮成春秋冬月晶丹莉洁琴蓉倩薇露瑶嘉豪泽睿哲瑞天翔毅坤鑫鸿庆荣昌盛永福寿康";

const STREETS: [&str; 20] = [
    "保俶路",
    "北山路",
    "曙光路",
    "文三路",
    "文二路",
    "天目山路",
    "古墩路",
    "学院路",
    "教工路",
    "松木场",
    "西溪路",
    "玉古路",
    "灵隐路",
    "杨公堤",
    "龙井路",
    "转塘街",
    "留下街",
    "三墩路",
    "紫金港路",
    "申花路",
];

/// A generated district: its records, and the pairs (by place, the lower
/// first) that are one person.
#[derive(Debug, Clone)]
pub struct Generated {
    pub records: Vec<Person>,
    pub truth: Vec<(u32, u32)>,
}

/// Characters by reading, and by reading with the mergers folded, for
/// putting a character that sounds alike in a name's place.
struct Sounds {
    by_reading: HashMap<String, Vec<char>>,
    by_sound: HashMap<String, Vec<char>>,
}

impl Sounds {
    fn new() -> Sounds {
        let mut by_reading: HashMap<String, Vec<char>> = HashMap::new();
        let mut by_sound: HashMap<String, Vec<char>> = HashMap::new();
        for c in ('\u{4e00}'..='\u{9fa5}').filter(|c| c.to_pinyin().is_some()) {
            if let Some(p) = c.to_pinyin() {
                by_reading.entry(p.plain().to_string()).or_default().push(c);
                by_sound.entry(fold(p.plain())).or_default().push(c);
            }
        }
        Sounds {
            by_reading,
            by_sound,
        }
    }

    /// A different character read the same, or (`dialect`) that sounds the
    /// same only with the mergers.
    fn alike(&self, c: char, dialect: bool, rng: &mut Rng) -> Option<char> {
        let reading = c.to_pinyin()?.plain();
        let pool: Vec<char> = if dialect {
            self.by_sound
                .get(&fold(reading))?
                .iter()
                .copied()
                .filter(|o| o.to_pinyin().is_some_and(|p| p.plain() != reading))
                .collect()
        } else {
            self.by_reading
                .get(reading)?
                .iter()
                .copied()
                .filter(|o| *o != c)
                .collect()
        };
        (!pool.is_empty()).then(|| *rng.pick(&pool))
    }
}

fn surname(rng: &mut Rng) -> char {
    let total: u32 = SURNAMES.iter().map(|(_, w)| w).sum();
    let mut at = rng.below(u64::from(total)) as u32;
    for (s, w) in SURNAMES {
        if at < w {
            return s;
        }
        at -= w;
    }
    SURNAMES[0].0
}

fn id_number(district: &str, birth: (i16, u8, u8), male: bool, n: u64) -> String {
    let seq = (n % 500) * 2 + u64::from(male);
    debug_assert!(seq < 1000);
    let first17 = format!(
        "{district}{:04}{:02}{:02}{seq:03}",
        birth.0, birth.1, birth.2
    );
    let check = crate::ids::ResidentId::check_char(&first17).unwrap_or('0');
    format!("{first17}{check}")
}

/// `persons` persons of district `330106`, and a second record for
/// `duplicates` of them (a share, 0 to 1), from `seed`. The second record
/// follows its person's.
pub fn district(persons: usize, duplicates: f64, seed: u64) -> Generated {
    let mut rng = Rng::new(seed);
    let sounds = Sounds::new();
    let given: Vec<char> = GIVEN.chars().collect();
    let mut records = Vec::with_capacity(persons + persons / 4);
    let mut truth = vec![];
    // Numbers are unique: a sequence per birth date, as GB 11643 has it.
    let mut born_on: HashMap<(i16, u8, u8), u64> = HashMap::new();
    for n in 0..persons {
        let mut name = String::new();
        name.push(surname(&mut rng));
        for _ in 0..(1 + usize::from(rng.chance(0.7))) {
            name.push(*rng.pick(&given));
        }
        let birth = (
            1930 + rng.below(95) as i16,
            1 + rng.below(12) as u8,
            1 + rng.below(28) as u8,
        );
        let male = rng.chance(0.5);
        let seq = born_on.entry(birth).or_default();
        *seq += 1;
        let seq = *seq;
        let community = format!("330106{:03}{:03}", 1 + rng.below(12), 1 + rng.below(9));
        let address = format!(
            "杭州市西湖区{}{}号{}室",
            rng.pick(&STREETS),
            1 + rng.below(300),
            101 + rng.below(20)
        );
        let person = Person {
            id_number: rng
                .chance(0.7)
                .then(|| id_number("330106", birth, male, seq)),
            name,
            sex: if male { "1" } else { "2" }.into(),
            birth: format!("{:04}-{:02}-{:02}", birth.0, birth.1, birth.2),
            ethnicity: "01".into(),
            registered_address: address.clone(),
            residence_address: address,
            community,
            household: format!("G{}", n / 3),
            relationship: if n % 3 == 0 { "02" } else { "10" }.into(),
            phone: rng
                .chance(0.6)
                .then(|| format!("1{}{:09}", 3 + rng.below(7), rng.below(1_000_000_000))),
        };
        let original = records.len() as u32;
        records.push(person.clone());
        if rng.chance(duplicates) {
            let copy = second_record(&person, &sounds, &given, &mut rng, n);
            truth.push((original, records.len() as u32));
            records.push(copy);
        }
    }
    Generated { records, truth }
}

/// The person as another office wrote them down.
fn second_record(p: &Person, sounds: &Sounds, given: &[char], rng: &mut Rng, n: usize) -> Person {
    let mut q = p.clone();
    q.id_number = None;
    let mut chars: Vec<char> = q.name.chars().collect();
    let at = 1 + rng.below(chars.len() as u64 - 1) as usize;
    let roll = rng.below(100);
    let replaced = match roll {
        0..35 => sounds.alike(chars[at], false, rng),
        35..45 => sounds.alike(chars[at], true, rng),
        45..55 => Some(*rng.pick(given)).filter(|c| *c != chars[at]),
        _ => None,
    };
    if let Some(c) = replaced {
        chars[at] = c;
        q.name = chars.into_iter().collect();
    }
    let year: i16 = p.birth[..4].parse().unwrap_or(1970);
    match rng.below(100) {
        0..20 => q.birth = year.to_string(),
        20..25 => q.birth = (year + if rng.chance(0.5) { 1 } else { -1 }).to_string(),
        25..30 => {
            let day: u8 = p.birth[8..].parse().unwrap_or(1);
            q.birth = format!("{}-{:02}", &p.birth[..7], day % 28 + 1);
        }
        _ => {}
    }
    match rng.below(100) {
        0..30 => {
            q.residence_address = format!(
                "{}{}号",
                p.residence_address
                    .split(|c: char| c.is_ascii_digit())
                    .next()
                    .unwrap_or(""),
                1 + rng.below(300)
            )
        }
        30..45 => {
            q.residence_address =
                format!("杭州市西湖区{}{}号", rng.pick(&STREETS), 1 + rng.below(300));
            q.registered_address = q.residence_address.clone();
        }
        _ => {}
    }
    if rng.chance(0.7) {
        q.household = format!("D{n}");
        q.relationship = "02".into();
        if rng.chance(0.4) {
            q.community = format!("330106{:03}{:03}", 1 + rng.below(12), 1 + rng.below(9));
        }
    }
    q.phone = match rng.below(10) {
        0..5 => p.phone.clone(),
        5..9 => None,
        _ => Some(format!("139{:08}", rng.below(100_000_000))),
    };
    q
}
