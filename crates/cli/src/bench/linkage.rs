//! `sunshine bench linkage`: the registry's duplicate finding on a
//! generated district (`registry::linkage::synthetic`): the time and memory
//! to hold a million records, a full re-link, its F1 against the generated
//! truth, and the latency of scoring a record as it arrives.

use std::time::{Duration, Instant};

use sunshine_domain::registry::linkage::{quality, synthetic, Linker, Record, REVIEW_THRESHOLD};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Score each record as it arrives; the latencies, sorted, and how many
/// found `expected(i)` among their candidates above the threshold.
fn arrivals(
    linker: &Linker,
    records: &[Record],
    expected: impl Fn(usize) -> Option<u32>,
) -> (Vec<Duration>, usize) {
    let mut latencies = Vec::with_capacity(records.len());
    let mut found = 0;
    for (i, r) in records.iter().enumerate() {
        let t = Instant::now();
        let matches = linker.score(r, REVIEW_THRESHOLD);
        latencies.push(t.elapsed());
        if expected(i).is_some_and(|e| matches.iter().any(|m| m.0 == e)) {
            found += 1;
        }
    }
    latencies.sort_unstable();
    (latencies, found)
}

pub fn linkage(persons: usize, duplicates: f64, seed: u64, arriving: usize) -> anyhow::Result<()> {
    let t = Instant::now();
    let g = synthetic::district(persons, duplicates, seed);
    println!(
        "generated {} records of {persons} persons ({} second records) in {:.1} s",
        g.records.len(),
        g.truth.len(),
        t.elapsed().as_secs_f64()
    );

    // The last `arriving` second records arrive after the rest are held.
    let arriving = arriving.min(g.truth.len());
    let late: Vec<(u32, u32)> = g.truth[g.truth.len() - arriving..].to_vec();
    let late_places: std::collections::HashSet<u32> = late.iter().map(|p| p.1).collect();
    let t = Instant::now();
    let mut linker = Linker::new();
    let mut place = vec![u32::MAX; g.records.len()];
    for (i, p) in g.records.iter().enumerate() {
        if !late_places.contains(&(i as u32)) {
            place[i] = linker.add(Record::of(p));
        }
    }
    let held = linker.len();
    let (rss, peak) = super::resident_memory().unwrap_or((0, 0));
    println!(
        "held {held} records with their blocks in {:.1} s; resident {:.0} MiB (peak {:.0} MiB, the generated records included)",
        t.elapsed().as_secs_f64(),
        rss as f64 / 1048576.0,
        peak as f64 / 1048576.0
    );

    let comparisons = linker.comparisons();
    let t = Instant::now();
    let pairs = linker.relink(REVIEW_THRESHOLD);
    let took = t.elapsed();
    // Back from the linker's places to the generated records'.
    let mut back = vec![0u32; held];
    for (i, p) in place.iter().enumerate() {
        if *p != u32::MAX {
            back[*p as usize] = i as u32;
        }
    }
    let found: Vec<(u32, u32)> = pairs
        .iter()
        .map(|p| {
            let (a, b) = (back[p.a as usize], back[p.b as usize]);
            (a.min(b), a.max(b))
        })
        .collect();
    let truth: Vec<(u32, u32)> = g
        .truth
        .iter()
        .filter(|p| !late_places.contains(&p.1))
        .copied()
        .collect();
    let q = quality(&found, &truth);
    println!(
        "re-link: {comparisons} comparisons at most, {} pairs at or above {REVIEW_THRESHOLD} in {:.1} s",
        pairs.len(),
        took.as_secs_f64()
    );
    println!(
        "F1 {:.4}: precision {:.4}, recall {:.4} ({} of {} true pairs; {} found)",
        q.f1, q.precision, q.recall, q.correct, q.true_pairs, q.found
    );

    let late_records: Vec<Record> = late
        .iter()
        .map(|p| Record::of(&g.records[p.1 as usize]))
        .collect();
    let (latencies, hit) = arrivals(&linker, &late_records, |i| Some(place[late[i].0 as usize]));
    println!(
        "{} second records arriving: p50 {:.3} ms, p95 {:.3} ms, p99 {:.3} ms, max {:.3} ms; their person found for {hit}",
        late_records.len(),
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.95)),
        ms(percentile(&latencies, 0.99)),
        ms(*latencies.last().unwrap_or(&Duration::ZERO))
    );
    let strangers = synthetic::district(arriving, 0.0, seed ^ 0xfeed);
    let strangers: Vec<Record> = strangers.records.iter().map(Record::of).collect();
    let (latencies, _) = arrivals(&linker, &strangers, |_| None);
    println!(
        "{} new persons arriving: p50 {:.3} ms, p95 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        strangers.len(),
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.95)),
        ms(percentile(&latencies, 0.99)),
        ms(*latencies.last().unwrap_or(&Duration::ZERO))
    );
    Ok(())
}
