//! `sunshine bench registry-import`: the population registry's import at a
//! city's scale. Persons generated as `registry::linkage::synthetic` makes
//! them (with second records, typos and missing numbers) in several
//! districts, each district's registrar importing its records in files of
//! the city's layout, all rows or none per file, each record blocked and
//! scored against the district's records in the store as it arrives. Then
//! single persons arrive in the last district, a file of one row each, as a
//! community worker's correction would: the latency of the import that
//! scores one record against the district in the store.

use std::time::{Duration, Instant};

use sunshine_domain::identity::OrgKind;
use sunshine_domain::registry::linkage::synthetic;
use sunshine_domain::registry::Person;

use super::{app_err, resident_memory, Platform};
use crate::Cli;

/// The districts a run fills, in order (their codes and names).
pub const DISTRICTS: [(&str, &str); 8] = [
    ("330102", "上城区"),
    ("330103", "下城区"),
    ("330104", "江干区"),
    ("330105", "拱墅区"),
    ("330106", "西湖区"),
    ("330108", "滨江区"),
    ("330109", "萧山区"),
    ("330110", "余杭区"),
];

pub struct Shape {
    pub persons: usize,
    pub districts: usize,
    pub file_rows: usize,
    pub arriving: usize,
    pub seed: u64,
}

const HEADER: &str =
    "身份证号,姓名,性别,出生日期,民族,户籍地址,居住地址,社区代码,户号,与户主关系,联系电话";

/// A generated record moved to `district` (its number and community).
fn moved(mut p: Person, district: &str) -> Person {
    if let Some(n) = &p.id_number {
        let first17 = format!("{district}{}", &n[6..17]);
        let check = sunshine_domain::ids::ResidentId::check_char(&first17).unwrap_or('0');
        p.id_number = Some(format!("{first17}{check}"));
    }
    p.community = format!("{district}{}", &p.community[6..]);
    p
}

/// Records as a registrar's file holds them: a household's members live in
/// its head's community (its first record's), and it has one head (GB/T
/// 4761 `02`); the generator draws each record's community and copies a
/// second record's relationship, as a careless clerk might.
fn households_kept(records: &mut [Person]) {
    let mut seen: std::collections::HashMap<String, (String, bool)> =
        std::collections::HashMap::new();
    for p in records.iter_mut() {
        let (community, headed) = seen
            .entry(p.household.clone())
            .or_insert_with(|| (p.community.clone(), false));
        p.community = community.clone();
        if p.relationship == "02" {
            if *headed {
                p.relationship = "10".into();
            } else {
                *headed = true;
            }
        }
    }
}

/// Records cut into files of about `rows` rows, a household never split
/// between two (its members are consecutive).
fn files_of(records: &[Person], rows: usize) -> Vec<&[Person]> {
    let mut files = vec![];
    let mut start = 0;
    while start < records.len() {
        let mut end = (start + rows).min(records.len());
        while end < records.len() && records[end].household == records[end - 1].household {
            end += 1;
        }
        files.push(&records[start..end]);
        start = end;
    }
    files
}

/// Records as a file in the city's layout.
fn csv(records: &[Person]) -> Vec<u8> {
    let mut out = String::with_capacity(records.len() * 160 + HEADER.len());
    out.push_str(HEADER);
    for p in records {
        out.push('\n');
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{}",
            p.id_number.as_deref().unwrap_or(""),
            p.name,
            p.sex,
            p.birth,
            p.ethnicity,
            p.registered_address,
            p.residence_address,
            p.community,
            p.household,
            p.relationship,
            p.phone.as_deref().unwrap_or("")
        ));
    }
    out.into_bytes()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[(((sorted.len() - 1) as f64 * p).round() as usize).min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / 1048576.0
}

fn dir_size(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

pub async fn import(cli: &Cli, shape: Shape) -> anyhow::Result<()> {
    let districts = &DISTRICTS[..shape.districts];
    let units: Vec<(String, String, OrgKind)> = districts
        .iter()
        .map(|(code, name)| (code.to_string(), name.to_string(), OrgKind::District))
        .collect();
    let logins: Vec<String> = districts
        .iter()
        .map(|(code, _)| format!("registrar.{code}"))
        .collect();
    let staff: Vec<(&str, &str, &str)> = logins
        .iter()
        .zip(districts)
        .map(|(login, (code, _))| (login.as_str(), "registrar", *code))
        .collect();
    let p = Platform::with_units(cli, &units, &staff).await?;
    println!(
        "{}: {} persons in {} districts, files of {} rows",
        p.backend, shape.persons, shape.districts, shape.file_rows
    );
    let per_district = shape.persons / shape.districts;
    let started = Instant::now();
    let (mut rows, mut files, mut pairs_rows) = (0usize, vec![], 0usize);
    let mut arriving: Vec<Person> = vec![];
    let mut last_records = 0;
    for (d, (code, name)) in districts.iter().enumerate() {
        let last = d + 1 == districts.len();
        let t = Instant::now();
        let extra = if last { shape.arriving } else { 0 };
        let g = synthetic::district(per_district + extra, 0.15, shape.seed + d as u64);
        let mut records: Vec<Person> = g.records.into_iter().map(|r| moved(r, code)).collect();
        households_kept(&mut records);
        if last {
            // The last records (new persons and second records alike)
            // arrive one at a time afterwards.
            let keep = records.len().saturating_sub(shape.arriving);
            arriving = records.split_off(keep);
        }
        let generated = t.elapsed();
        last_records = records.len();
        let t = Instant::now();
        for chunk in files_of(&records, shape.file_rows) {
            let bytes = csv(chunk);
            let f = Instant::now();
            let report = p
                .app
                .import_registry(&p.staff[d], &bytes, false)
                .await
                .map_err(app_err)?;
            files.push(f.elapsed());
            rows += report.rows;
            pairs_rows += report.added.len() + report.changed.len();
        }
        let (rss, peak) = resident_memory().unwrap_or((0, 0));
        println!(
            "{name} {code}: {} records generated in {:.1} s, imported in {:.1} s; resident {:.0} MiB (peak {:.0} MiB)",
            records.len(),
            generated.as_secs_f64(),
            t.elapsed().as_secs_f64(),
            mib(rss),
            mib(peak)
        );
    }
    let took = started.elapsed();
    files.sort_unstable();
    let (rss, peak) = resident_memory().unwrap_or((0, 0));
    println!(
        "imported {rows} rows ({pairs_rows} added or changed) in {:.1} s: {:.0} rows/s; a file of {} rows p50 {:.1} s, max {:.1} s; resident {:.0} MiB, peak {:.0} MiB",
        took.as_secs_f64(),
        rows as f64 / took.as_secs_f64(),
        shape.file_rows,
        percentile(&files, 0.5).as_secs_f64(),
        percentile(&files, 1.0).as_secs_f64(),
        mib(rss),
        mib(peak)
    );
    if let Some(tmp) = &p._tmp {
        println!("store on disk: {:.0} MiB", mib(dir_size(&tmp.0)));
    }

    // Single persons arriving in the last district, each scored against
    // the district's records in the store.
    let last = districts.len() - 1;
    let mut latencies = Vec::with_capacity(arriving.len());
    for (i, a) in arriving.iter().enumerate() {
        // Each arrives as the head of a household of its own: a file names
        // the head of every household it writes to.
        let mut a = a.clone();
        a.household = format!("A{i}");
        a.relationship = "02".into();
        let bytes = csv(std::slice::from_ref(&a));
        let t = Instant::now();
        p.app
            .import_registry(&p.staff[last], &bytes, false)
            .await
            .map_err(app_err)?;
        latencies.push(t.elapsed());
    }
    latencies.sort_unstable();
    if !latencies.is_empty() {
        println!(
            "{} single arrivals, each imported and scored against the district's {} records in the store: p50 {:.1} / p95 {:.1} / p99 {:.1} / max {:.1} ms",
            latencies.len(),
            last_records,
            ms(percentile(&latencies, 0.5)),
            ms(percentile(&latencies, 0.95)),
            ms(percentile(&latencies, 0.99)),
            ms(percentile(&latencies, 1.0))
        );
    }
    // Every import is journaled: the chain holds after them all.
    let verified = p.app.verify_journal().await.map_err(app_err)?;
    println!("journal: {verified:?}");
    p.finish().await
}
