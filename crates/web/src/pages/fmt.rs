//! How the pages write numbers, money, moments, distances and sizes for
//! people: one function each, in the page's language. Templates reach them
//! through `Chrome` (`c.money(..)`, `c.when(..)`, …).

use jiff::Timestamp;
use sunshine_domain::clock::{from_micros, shanghai};
use sunshine_domain::money::Fen;

use crate::i18n::Lang;

/// Fen as yuan with two decimals and grouped thousands, signed
/// (`-0.50`, `50,000.00`), without the unit.
pub fn yuan(fen: i64) -> String {
    Fen(fen).grouped().to_string()
}

/// Money for people: `50,000.00 元`, `CNY 50,000.00`.
pub fn money(lang: Lang, fen: i64) -> String {
    match lang {
        Lang::Zh => format!("{} 元", Fen(fen).grouped()),
        Lang::En => format!("CNY {}", Fen(fen).grouped()),
    }
}

/// A count with its noun, singular or plural in English (`1 day`, `3 days`,
/// `3 天`).
pub fn count(lang: Lang, n: i64, zh_unit: &str, en_one: &str, en_many: &str) -> String {
    match lang {
        Lang::Zh => format!("{n} {zh_unit}"),
        Lang::En if n == 1 || n == -1 => format!("{n} {en_one}"),
        Lang::En => format!("{n} {en_many}"),
    }
}

/// Days: `1 day`, `3 days`, `3 天`.
pub fn days(lang: Lang, n: i64) -> String {
    count(lang, n, "天", "day", "days")
}

/// Working days: `1 working day`, `20 个工作日`.
pub fn working_days(lang: Lang, n: i64) -> String {
    count(lang, n, "个工作日", "working day", "working days")
}

/// A time limit as the catalogue states it: `20 个工作日`, `1 working day`,
/// `3 months`.
pub fn limit(lang: Lang, l: &sunshine_domain::catalog::TimeLimit) -> String {
    use sunshine_domain::catalog::TimeUnit;
    let (one, many) = match l.unit {
        TimeUnit::WorkingDays => ("working day", "working days"),
        TimeUnit::Days => ("day", "days"),
        TimeUnit::Months => ("month", "months"),
        TimeUnit::Years => ("year", "years"),
    };
    match lang {
        Lang::Zh => format!("{}{}", l.value, l.unit.name_zh()),
        Lang::En => count(lang, l.value.into(), "", one, many),
    }
}

/// A moment in Hangzhou time: `2026年12月3日 21:01`, `3 Dec 2026, 21:01`.
pub fn moment(lang: Lang, t: Timestamp) -> String {
    let z = t.to_zoned(shanghai());
    match lang {
        Lang::Zh => z.strftime("%Y年%-m月%-d日 %H:%M").to_string(),
        Lang::En => z.strftime("%-d %b %Y, %H:%M").to_string(),
    }
}

/// A stored moment (microseconds since the epoch) for people.
pub fn when(lang: Lang, us: i64) -> String {
    moment(lang, from_micros(us))
}

/// A calendar day: `2026年12月3日`, `3 Dec 2026`.
pub fn day(lang: Lang, d: jiff::civil::Date) -> String {
    match lang {
        Lang::Zh => d.strftime("%Y年%-m月%-d日").to_string(),
        Lang::En => d.strftime("%-d %b %Y").to_string(),
    }
}

/// A calendar day written `YYYY-MM-DD` (as stored) for people; anything
/// else is shown as it is.
pub fn day_str(lang: Lang, iso: &str) -> String {
    iso.parse::<jiff::civil::Date>()
        .map(|d| day(lang, d))
        .unwrap_or_else(|_| iso.to_string())
}

/// A distance: `850 米`, `4.1 公里`, `850 m`, `4.1 km`.
pub fn distance(lang: Lang, metres: f64) -> String {
    let metres = metres.max(0.0);
    if metres < 1000.0 {
        format!("{:.0} {}", metres, lang.pick("米", "m"))
    } else {
        format!("{:.1} {}", metres / 1000.0, lang.pick("公里", "km"))
    }
}

/// A file's size, in the units people know (1 KB = 1,024 bytes).
pub fn size(lang: Lang, bytes: i64) -> String {
    let b = bytes.max(0) as f64;
    const K: f64 = 1024.0;
    if b < K {
        count(lang, bytes.max(0), "字节", "byte", "bytes")
    } else if b < K * K {
        format!("{:.1} KB", b / K)
    } else if b < K * K * K {
        format!("{:.1} MB", b / (K * K))
    } else {
        format!("{:.1} GB", b / (K * K * K))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_keeps_its_sign_and_groups_thousands() {
        assert_eq!(yuan(-1), "-0.01");
        assert_eq!(yuan(-99), "-0.99");
        assert_eq!(yuan(-100), "-1.00");
        assert_eq!(yuan(0), "0.00");
        assert_eq!(yuan(5_000_000), "50,000.00");
        assert_eq!(yuan(12_345_678_901), "123,456,789.01");
        assert_eq!(money(Lang::Zh, 5_000_000), "50,000.00 元");
        assert_eq!(money(Lang::En, -50), "CNY -0.50");
    }

    #[test]
    fn one_is_singular_in_english() {
        assert_eq!(days(Lang::En, 1), "1 day");
        assert_eq!(days(Lang::En, 2), "2 days");
        assert_eq!(days(Lang::En, 0), "0 days");
        assert_eq!(days(Lang::Zh, 1), "1 天");
        assert_eq!(working_days(Lang::En, 1), "1 working day");
        use sunshine_domain::catalog::{TimeLimit, TimeUnit};
        let l = |value, unit| TimeLimit { value, unit };
        assert_eq!(
            limit(Lang::En, &l(1, TimeUnit::WorkingDays)),
            "1 working day"
        );
        assert_eq!(limit(Lang::En, &l(3, TimeUnit::Months)), "3 months");
        assert_eq!(limit(Lang::Zh, &l(20, TimeUnit::WorkingDays)), "20个工作日");
    }

    #[test]
    fn moments_are_read_in_hangzhou_time() {
        let t: Timestamp = "2026-12-03T13:01:20Z".parse().unwrap();
        assert_eq!(moment(Lang::Zh, t), "2026年12月3日 21:01");
        assert_eq!(moment(Lang::En, t), "3 Dec 2026, 21:01");
        assert_eq!(day_str(Lang::Zh, "2026-01-05"), "2026年1月5日");
        assert_eq!(day_str(Lang::En, "2026-01-05"), "5 Jan 2026");
    }

    #[test]
    fn distances_and_sizes() {
        assert_eq!(distance(Lang::Zh, 4120.0), "4.1 公里");
        assert_eq!(distance(Lang::En, 850.4), "850 m");
        assert_eq!(size(Lang::En, 1), "1 byte");
        assert_eq!(size(Lang::Zh, 2048), "2.0 KB");
        assert_eq!(size(Lang::En, 3 * 1024 * 1024 + 1), "3.0 MB");
    }
}
