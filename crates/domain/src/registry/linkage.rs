//! Finding the same person twice (重复人员识别) among records without a
//! common identity number, as OpenCRVS's deduplication and Splink do:
//! candidate pairs by blocking, then each pair compared field by field and
//! scored by the Fellegi–Sunter model (a log₂ Bayes factor per field's level
//! of agreement, summed). Names are compared as they sound: their pinyin,
//! with a surname's other readings (单 dan/shan) and the southern mergers
//! people make when they write down a name they heard (z/zh, c/ch, s/sh,
//! n/l, -in/-ing, -en/-eng, -an/-ang, f/h); birth dates also when only the
//! year, or an age, is known.
//!
//! Records with two different identity numbers are two persons (GB 11643's
//! check digit catches a mistyped number); records with the same number are
//! one person already (an import matches them).

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};

use pinyin::{ToPinyin, ToPinyinMulti};
use serde::{Deserialize, Serialize};

use super::Person;

pub mod synthetic;

/// A record's features, read once, for comparing it with others.
#[derive(Debug, Clone)]
pub struct Record {
    pub id_number: Option<String>,
    pub name: String,
    /// The name's pinyin without tones, a syllable per character
    /// (`wang xiao ming`); a character without a reading stands for itself.
    pub pinyin: String,
    /// `pinyin` with the southern mergers folded (`wang xiao min`).
    pub sound: String,
    /// Every reading of the surname's character (单: dan, chan, shan).
    surname_readings: Vec<&'static str>,
    /// `sound`'s first syllable and the rest.
    surname_sound: String,
    given_sound: String,
    /// GB/T 2261.1 code: `1`, `2`, or `0`/`9` when not known.
    pub sex: u8,
    pub birth_year: i16,
    /// Month and day, when the record has the whole date.
    pub birth_day: Option<(u8, u8)>,
    pub residence: String,
    pub registered: String,
    /// District and household number.
    pub household: String,
    pub community: String,
    pub phone: Option<String>,
}

/// The syllable as people write it who do not tell these sounds apart.
fn fold(syllable: &str) -> String {
    let mut s = syllable.to_string();
    for (from, to) in [("zh", "z"), ("ch", "c"), ("sh", "s")] {
        if let Some(rest) = s.strip_prefix(from) {
            s = format!("{to}{rest}");
        }
    }
    if let Some(rest) = s.strip_prefix('l') {
        s = format!("n{rest}");
    }
    if let Some(rest) = s.strip_prefix('h') {
        // hu- and fu- are merged; other h- initials are kept.
        if rest.starts_with('u') {
            s = format!("f{rest}");
        }
    }
    for (from, to) in [("ing", "in"), ("eng", "en"), ("ang", "an")] {
        if s.ends_with(from) {
            s.truncate(s.len() - from.len());
            s.push_str(to);
            break;
        }
    }
    s
}

/// The name's pinyin without tones, a syllable per character (`·` and
/// spaces dropped; a character without a reading stands for itself).
pub fn pinyin_of(name: &str) -> Vec<String> {
    name.chars()
        .filter(|c| !matches!(c, '·' | ' '))
        .map(|c| match c.to_pinyin() {
            Some(p) => p.plain().to_string(),
            None => c.to_lowercase().to_string(),
        })
        .collect()
}

impl Record {
    /// The features of a record as the registry holds it.
    pub fn of(p: &Person) -> Record {
        let syllables = pinyin_of(&p.name);
        let sounds: Vec<String> = syllables.iter().map(|s| fold(s)).collect();
        let surname_readings = p
            .name
            .chars()
            .next()
            .and_then(|c| c.to_pinyin_multi())
            .map(|m| m.into_iter().map(|r| r.plain()).collect())
            .unwrap_or_default();
        let (year, day) = birth_parts(&p.birth);
        Record {
            id_number: p.id_number.clone(),
            name: p.name.clone(),
            pinyin: syllables.join(" "),
            sound: sounds.join(" "),
            surname_readings,
            surname_sound: sounds.first().cloned().unwrap_or_default(),
            given_sound: sounds.get(1..).map(|g| g.join(" ")).unwrap_or_default(),
            sex: p.sex.bytes().next().unwrap_or(b'0'),
            birth_year: year,
            birth_day: day,
            residence: p.residence_address.clone(),
            registered: p.registered_address.clone(),
            household: format!("{}/{}", p.community.get(..6).unwrap_or(""), p.household),
            community: p.community.clone(),
            phone: p.phone.clone(),
        }
    }

    fn district(&self) -> &str {
        self.community.get(..6).unwrap_or("")
    }
}

/// `YYYY-MM-DD` or `YYYY`: the year, and the month and day when known.
fn birth_parts(birth: &str) -> (i16, Option<(u8, u8)>) {
    let year = birth.get(..4).and_then(|y| y.parse().ok()).unwrap_or(0);
    let day = match (birth.get(5..7), birth.get(8..10)) {
        (Some(m), Some(d)) => m.parse().ok().zip(d.parse().ok()),
        _ => None,
    };
    (year, day)
}

/// How far two records' names agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NameAgreement {
    /// Written alike.
    Exact,
    /// Written differently, read alike (张晓明, 张小明; 单 read shan or dan).
    Homophone,
    /// Alike but for the southern mergers (刘星, 牛欣).
    Dialect,
    /// One character or a letter or two apart (a slip of the pen or the keys).
    Close,
    Different,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BirthAgreement {
    /// The same day.
    Exact,
    /// The same year, where a record knows only the year.
    SameYear,
    /// A slip: the same year and month, the same year with month and day
    /// swapped, or the same month and day a year apart.
    Near,
    /// A year apart where a record knows only the year (from an age).
    FromAge,
    Different,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Agreement {
    Same,
    /// Close, not the same (an address's house number).
    Similar,
    /// A record does not say.
    Unknown,
    Different,
}

/// Two records compared, field by field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Comparison {
    pub name: NameAgreement,
    pub birth: BirthAgreement,
    pub sex: Agreement,
    pub address: Agreement,
    /// The same household, the same community (`Similar`), or neither.
    pub household: Agreement,
    pub phone: Agreement,
}

fn name_agreement(a: &Record, b: &Record) -> NameAgreement {
    if a.name == b.name {
        return NameAgreement::Exact;
    }
    let surname_shared = a
        .surname_readings
        .iter()
        .any(|r| b.surname_readings.contains(r));
    let given_a = a.pinyin.split_once(' ').map_or("", |(_, g)| g);
    let given_b = b.pinyin.split_once(' ').map_or("", |(_, g)| g);
    if a.pinyin == b.pinyin || (surname_shared && given_a == given_b && !given_a.is_empty()) {
        return NameAgreement::Homophone;
    }
    if a.sound == b.sound {
        return NameAgreement::Dialect;
    }
    let (ca, cb): (Vec<char>, Vec<char>) = (a.name.chars().collect(), b.name.chars().collect());
    let one_character_apart = ca.len() == cb.len()
        && ca.len() >= 2
        && ca.iter().zip(&cb).filter(|(x, y)| x != y).count() == 1;
    if one_character_apart || strsim::jaro_winkler(&a.sound, &b.sound) >= 0.93 {
        return NameAgreement::Close;
    }
    NameAgreement::Different
}

fn birth_agreement(a: &Record, b: &Record) -> BirthAgreement {
    let years = (a.birth_year - b.birth_year).abs();
    match (a.birth_day, b.birth_day) {
        (Some(x), Some(y)) if years == 0 && x == y => BirthAgreement::Exact,
        (Some(x), Some(y)) if years == 0 && (x.0 == y.0 || (x.0, x.1) == (y.1, y.0)) => {
            BirthAgreement::Near
        }
        (Some(x), Some(y)) if years == 1 && x == y => BirthAgreement::Near,
        (Some(_), Some(_)) => BirthAgreement::Different,
        _ if years == 0 => BirthAgreement::SameYear,
        _ if years == 1 => BirthAgreement::FromAge,
        _ => BirthAgreement::Different,
    }
}

/// Character pairs shared by two addresses, of all pairs in either.
fn bigram_similarity(a: &str, b: &str) -> f64 {
    let pairs = |s: &str| -> Vec<(char, char)> {
        let cs: Vec<char> = s.chars().collect();
        let mut p: Vec<(char, char)> = cs.windows(2).map(|w| (w[0], w[1])).collect();
        p.sort_unstable();
        p.dedup();
        p
    };
    let (pa, pb) = (pairs(a), pairs(b));
    if pa.is_empty() || pb.is_empty() {
        return 0.0;
    }
    let shared = pa.iter().filter(|x| pb.binary_search(x).is_ok()).count();
    shared as f64 / (pa.len() + pb.len() - shared) as f64
}

/// The fields that compare cheaply: sex, birth, household and phone.
fn cheap_fields(a: &Record, b: &Record) -> (Agreement, BirthAgreement, Agreement, Agreement) {
    let sex = match (a.sex, b.sex) {
        (b'1' | b'2', b'1' | b'2') if a.sex == b.sex => Agreement::Same,
        (b'1' | b'2', b'1' | b'2') => Agreement::Different,
        _ => Agreement::Unknown,
    };
    let household = if a.household == b.household {
        Agreement::Same
    } else if a.community == b.community {
        Agreement::Similar
    } else {
        Agreement::Different
    };
    let phone = match (&a.phone, &b.phone) {
        (Some(x), Some(y)) if x == y => Agreement::Same,
        (Some(_), Some(_)) => Agreement::Different,
        _ => Agreement::Unknown,
    };
    (sex, birth_agreement(a, b), household, phone)
}

fn address_agreement(a: &Record, b: &Record) -> Agreement {
    if a.residence == b.residence
        || a.registered == b.registered
        || a.residence == b.registered
        || a.registered == b.residence
    {
        Agreement::Same
    } else if bigram_similarity(&a.residence, &b.residence) >= 0.6 {
        Agreement::Similar
    } else {
        Agreement::Different
    }
}

/// Compare two records field by field.
pub fn compare(a: &Record, b: &Record) -> Comparison {
    let (sex, birth, household, phone) = cheap_fields(a, b);
    Comparison {
        name: name_agreement(a, b),
        birth,
        sex,
        address: address_agreement(a, b),
        household,
        phone,
    }
}

/// [`compare`], where the comparison's weight can reach `threshold`: the
/// name and the address, the costly fields, are compared only when the
/// others leave the pair within reach of it with the best name and
/// address. A pair passed over could not have reached it.
pub fn compare_within(a: &Record, b: &Record, threshold: f64) -> Option<Comparison> {
    let (sex, birth, household, phone) = cheap_fields(a, b);
    let best = name_weight(NameAgreement::Exact)
        + address_weight(Agreement::Same)
        + birth_weight(birth)
        + sex_weight(sex)
        + household_weight(household)
        + phone_weight(phone);
    (best >= threshold).then(|| Comparison {
        name: name_agreement(a, b),
        birth,
        sex,
        address: address_agreement(a, b),
        household,
        phone,
    })
}

/// The Fellegi–Sunter weights: log₂(m/u) for each level, where m is how
/// often the level is seen between two records of one person and u between
/// two persons picked at random from a district. They are set from the
/// generator's error rates and a district's name and birth frequencies (see
/// `docs/BENCHMARKS.md` for the F1 they give), not estimated per district.
impl Comparison {
    pub fn weight(&self) -> f64 {
        name_weight(self.name)
            + birth_weight(self.birth)
            + sex_weight(self.sex)
            + address_weight(self.address)
            + household_weight(self.household)
            + phone_weight(self.phone)
    }
}

fn name_weight(a: NameAgreement) -> f64 {
    match a {
        NameAgreement::Exact => 9.0,
        NameAgreement::Homophone => 7.5,
        NameAgreement::Dialect => 5.5,
        NameAgreement::Close => 3.5,
        NameAgreement::Different => -8.0,
    }
}

fn birth_weight(a: BirthAgreement) -> f64 {
    match a {
        BirthAgreement::Exact => 8.0,
        BirthAgreement::SameYear => 4.0,
        BirthAgreement::Near => 3.5,
        BirthAgreement::FromAge => 1.5,
        BirthAgreement::Different => -7.0,
    }
}

fn sex_weight(a: Agreement) -> f64 {
    match a {
        Agreement::Same => 0.9,
        Agreement::Different => -6.0,
        _ => 0.0,
    }
}

fn address_weight(a: Agreement) -> f64 {
    match a {
        Agreement::Same => 3.0,
        Agreement::Similar => 1.5,
        _ => -1.0,
    }
}

fn household_weight(a: Agreement) -> f64 {
    match a {
        Agreement::Same => 2.0,
        Agreement::Similar => 0.5,
        _ => -0.5,
    }
}

fn phone_weight(a: Agreement) -> f64 {
    match a {
        Agreement::Same => 6.0,
        Agreement::Different => -1.0,
        _ => 0.0,
    }
}

/// How many records of a district share a name's sound before the name
/// counts for less: an agreeing name is weaker evidence the more people
/// bear it (Splink's term-frequency adjustment).
const USUAL_NAMESAKES: f64 = 16.0;

/// A comparison's weight, the name's agreement counting for less when
/// `namesakes` records of the district sound alike (the pair included).
pub fn weight_with(c: &Comparison, namesakes: usize) -> f64 {
    let common = match c.name {
        NameAgreement::Exact | NameAgreement::Homophone | NameAgreement::Dialect => {
            (namesakes as f64 / USUAL_NAMESAKES).log2().max(0.0)
        }
        _ => 0.0,
    };
    c.weight() - common
}

/// Pairs scoring this or more are put to a registrar as the same person.
pub const REVIEW_THRESHOLD: f64 = 11.0;

/// Whether two records can be one person at all: not when both carry an
/// identity number and the numbers differ.
pub fn comparable(a: &Record, b: &Record) -> bool {
    !matches!((&a.id_number, &b.id_number), (Some(x), Some(y)) if x != y)
}

/// The blocking rules, in order: a pair is compared once, under the first
/// rule whose key its records share. Keys are within a district.
pub const RULES: [&str; 5] = [
    "name as it sounds",
    "birth date and sex",
    "surname, birth year and sex",
    "given name and birth year",
    "contact number",
];

/// A record's key under each rule (none where the record lacks the field).
pub fn blocking_keys(r: &Record) -> [Option<u64>; 5] {
    let key = |rule: u8, parts: &[&str]| {
        let mut h = foldhash::quality::FixedState::with_seed(0x5eed).build_hasher();
        rule.hash(&mut h);
        r.district().hash(&mut h);
        for p in parts {
            p.hash(&mut h);
        }
        h.finish()
    };
    let year = r.birth_year.to_string();
    let sex = [r.sex];
    let sex = std::str::from_utf8(&sex).unwrap_or("0");
    [
        Some(key(0, &[&r.sound])),
        r.birth_day
            .map(|(m, d)| key(1, &[&year, &m.to_string(), &d.to_string(), sex])),
        Some(key(2, &[&r.surname_sound, &year, sex])),
        (!r.given_sound.is_empty()).then(|| key(3, &[&r.given_sound, &year])),
        r.phone.as_deref().map(|p| key(4, &[p])),
    ]
}

/// Blocks to compare within, each with the rule that made it.
type Blocks<'a> = Vec<(usize, &'a Vec<u32>)>;

/// Records held for linking, with their blocks.
#[derive(Debug, Default)]
pub struct Linker {
    records: Vec<Record>,
    keys: Vec<[Option<u64>; 5]>,
    blocks: [HashMap<u64, Vec<u32>>; 5],
}

/// A candidate pair: two records' places in the linker and their score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pair {
    pub a: u32,
    pub b: u32,
    pub score: f64,
}

impl Linker {
    pub fn new() -> Linker {
        Linker::default()
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    pub fn record(&self, i: u32) -> &Record {
        &self.records[i as usize]
    }

    /// Hold a record; its place.
    pub fn add(&mut self, r: Record) -> u32 {
        let i = self.records.len() as u32;
        let keys = blocking_keys(&r);
        for (rule, k) in keys.iter().enumerate() {
            if let Some(k) = k {
                self.blocks[rule].entry(*k).or_default().push(i);
            }
        }
        self.records.push(r);
        self.keys.push(keys);
        i
    }

    /// A new record scored against every held record it shares a block
    /// with: those at `threshold` or above, the best first.
    pub fn score(&self, r: &Record, threshold: f64) -> Vec<(u32, f64)> {
        let keys = blocking_keys(r);
        let mut candidates: Vec<u32> = keys
            .iter()
            .enumerate()
            .filter_map(|(rule, k)| k.and_then(|k| self.blocks[rule].get(&k)))
            .flatten()
            .copied()
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        let mut found: Vec<(u32, f64)> = candidates
            .into_iter()
            .filter_map(|i| {
                let held = &self.records[i as usize];
                if !comparable(r, held) {
                    return None;
                }
                let c = compare_within(r, held, threshold)?;
                let w = weight_with(&c, self.namesakes(&keys, &self.keys[i as usize]));
                (w >= threshold).then_some((i, w))
            })
            .collect();
        found.sort_by(|x, y| y.1.total_cmp(&x.1));
        found
    }

    /// [`Linker::score`] for each record of `batch` in turn, as if each
    /// were held once scored: record `i` is scored against the held
    /// records and `batch[..i]` (whose places follow the held ones, in
    /// order), with the namesakes counted as they would be then. The
    /// batch is scored on every core; the records are not held after.
    pub fn score_batch(&self, batch: &[Record], threshold: f64) -> Vec<Vec<(u32, f64)>> {
        let keys: Vec<[Option<u64>; 5]> = batch.iter().map(blocking_keys).collect();
        let mut own: [HashMap<u64, Vec<u32>>; 5] = Default::default();
        for (j, k) in keys.iter().enumerate() {
            for (rule, k) in k.iter().enumerate() {
                if let Some(k) = k {
                    own[rule].entry(*k).or_default().push(j as u32);
                }
            }
        }
        let base = self.records.len() as u32;
        // The held records and batch[..i] that sound like `key`.
        let sounding = |key: Option<u64>, i: usize| {
            key.map_or(0, |k| {
                self.blocks[0].get(&k).map_or(0, Vec::len)
                    + own[0]
                        .get(&k)
                        .map_or(0, |b| b.partition_point(|&j| (j as usize) < i))
            })
        };
        let score_one = |i: usize| -> Vec<(u32, f64)> {
            let (r, ki) = (&batch[i], &keys[i]);
            let mut candidates: Vec<u32> = ki
                .iter()
                .enumerate()
                .filter_map(|(rule, k)| k.map(|k| (rule, k)))
                .flat_map(|(rule, k)| {
                    let held = self.blocks[rule].get(&k).into_iter().flatten().copied();
                    let earlier = own[rule]
                        .get(&k)
                        .into_iter()
                        .flatten()
                        .take_while(move |&&j| (j as usize) < i)
                        .map(move |&j| base + j);
                    held.chain(earlier)
                })
                .collect();
            candidates.sort_unstable();
            candidates.dedup();
            let mut found: Vec<(u32, f64)> = candidates
                .into_iter()
                .filter_map(|place| {
                    let (other, ko) = if place < base {
                        (&self.records[place as usize], &self.keys[place as usize])
                    } else {
                        let j = (place - base) as usize;
                        (&batch[j], &keys[j])
                    };
                    if !comparable(r, other) {
                        return None;
                    }
                    let c = compare_within(r, other, threshold)?;
                    let namesakes = sounding(ki[0], i).max(sounding(ko[0], i)).max(2);
                    let w = weight_with(&c, namesakes);
                    (w >= threshold).then_some((place, w))
                })
                .collect();
            found.sort_by(|x, y| y.1.total_cmp(&x.1));
            found
        };
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(batch.len().max(1));
        let mut out: Vec<Vec<(u32, f64)>> = vec![vec![]; batch.len()];
        std::thread::scope(|scope| {
            // Strided, so that each thread gets its share of the large blocks.
            let workers: Vec<_> = (0..threads)
                .map(|t| {
                    let score_one = &score_one;
                    scope.spawn(move || {
                        (t..batch.len())
                            .step_by(threads)
                            .map(|i| (i, score_one(i)))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            for w in workers {
                // A worker that panicked takes the import down with it:
                // its pairs are not silently lost.
                let scored = w.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
                for (i, found) in scored {
                    out[i] = found;
                }
            }
        });
        out
    }

    /// How many held records sound like either of two records (the
    /// larger count, the pair included), by their keys.
    fn namesakes(&self, a: &[Option<u64>; 5], b: &[Option<u64>; 5]) -> usize {
        let of = |k: Option<u64>| k.and_then(|k| self.blocks[0].get(&k)).map_or(0, Vec::len);
        of(a[0]).max(of(b[0])).max(2)
    }

    /// Every pair of held records at `threshold` or above, each compared
    /// once (under the first rule whose key they share), on every core.
    pub fn relink(&self, threshold: f64) -> Vec<Pair> {
        let blocks: Vec<(usize, &Vec<u32>)> = (0..RULES.len())
            .flat_map(|rule| self.blocks[rule].values().map(move |b| (rule, b)))
            .filter(|(_, b)| b.len() > 1)
            .collect();
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        // Each thread gets about as many comparisons as the others: the
        // largest blocks first, each to the thread with the fewest so far.
        let mut blocks = blocks;
        blocks.sort_by_key(|(_, b)| std::cmp::Reverse(b.len()));
        let mut shares: Vec<(u64, Blocks<'_>)> = vec![(0, vec![]); threads];
        for block in blocks {
            let n = block.1.len() as u64;
            if let Some(least) = shares.iter_mut().min_by_key(|(work, _)| *work) {
                least.0 += n * n.saturating_sub(1) / 2;
                least.1.push(block);
            }
        }
        let mut pairs: Vec<Pair> = std::thread::scope(|scope| {
            let workers: Vec<_> = shares
                .iter()
                .map(|(_, share)| scope.spawn(move || self.relink_blocks(share, threshold)))
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
        pairs.sort_by_key(|p| (p.a, p.b));
        pairs
    }

    fn relink_blocks(&self, blocks: &[(usize, &Vec<u32>)], threshold: f64) -> Vec<Pair> {
        let mut pairs = vec![];
        for &(rule, block) in blocks {
            for (n, &i) in block.iter().enumerate() {
                for &j in &block[n + 1..] {
                    let (ki, kj) = (&self.keys[i as usize], &self.keys[j as usize]);
                    if (0..rule).any(|earlier| ki[earlier].is_some() && ki[earlier] == kj[earlier])
                    {
                        continue;
                    }
                    let (a, b) = (&self.records[i as usize], &self.records[j as usize]);
                    if !comparable(a, b) {
                        continue;
                    }
                    let Some(c) = compare_within(a, b, threshold) else {
                        continue;
                    };
                    let score = weight_with(&c, self.namesakes(ki, kj));
                    if score >= threshold {
                        pairs.push(Pair {
                            a: i.min(j),
                            b: i.max(j),
                            score,
                        });
                    }
                }
            }
        }
        pairs
    }

    /// How many comparisons `relink` makes.
    pub fn comparisons(&self) -> u64 {
        let mut n = 0u64;
        for rule in 0..RULES.len() {
            for block in self.blocks[rule].values() {
                let len = block.len() as u64;
                n += len * len.saturating_sub(1) / 2;
            }
        }
        n
    }
}

/// Precision, recall and F1 of found pairs against the true ones.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Quality {
    pub true_pairs: usize,
    pub found: usize,
    pub correct: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

pub fn quality(found: &[(u32, u32)], truth: &[(u32, u32)]) -> Quality {
    let truth_set: std::collections::HashSet<(u32, u32)> = truth.iter().copied().collect();
    let correct = found.iter().filter(|p| truth_set.contains(p)).count();
    let precision = if found.is_empty() {
        1.0
    } else {
        correct as f64 / found.len() as f64
    };
    let recall = if truth.is_empty() {
        1.0
    } else {
        correct as f64 / truth.len() as f64
    };
    let f1 = if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    Quality {
        true_pairs: truth.len(),
        found: found.len(),
        correct,
        precision,
        recall,
        f1,
    }
}

#[cfg(test)]
mod tests;
