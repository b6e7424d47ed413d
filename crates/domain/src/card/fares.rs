//! Fares, in the shape of GTFS-Fares v2: fare products (what is sold, at
//! what price), rider categories, fare media (the citizen card), leg rules
//! (which product a ride of a network between two areas costs) and transfer
//! rules (what a second leg costs after a first). Pure: the rules are data,
//! loaded from files; this computes what one tap is charged.
//!
//! The rounding rule, stated once: a percentage discount is applied per
//! ride to the fare in fen and rounded half up to the fen (91% of 150 fen is
//! 136.5, charged 137).

use serde::{Deserialize, Serialize};

/// A product sold: a single ride, a day, a month pass…
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FareProduct {
    pub fare_product_id: String,
    pub fare_product_name: String,
    /// The rider category it is for; empty for everyone.
    #[serde(default)]
    pub rider_category_id: String,
    /// The fare medium it is sold on; empty for any.
    #[serde(default)]
    pub fare_media_id: String,
    /// In fen.
    pub amount: i64,
    /// For a pass (a monthly ticket): how long it holds from its first day,
    /// in days; 0 for a single ride. Read from GTFS's proposed
    /// `duration_amount` and `duration_unit` (3: days; 4: weeks; 5: months,
    /// counted as 30 days).
    #[serde(default)]
    pub duration_days: u32,
}

/// Who rides: adults, students, the elderly…; with the discount the city
/// gives them on a card, in percent of the fare (100: full fare; 0: free).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiderCategory {
    pub rider_category_id: String,
    pub rider_category_name: String,
    pub percent_of_fare: u32,
}

/// Which product a leg costs: on a network, from an area to an area
/// (empty fields match any).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FareLegRule {
    #[serde(default)]
    pub leg_group_id: String,
    #[serde(default)]
    pub network_id: String,
    #[serde(default)]
    pub from_area_id: String,
    #[serde(default)]
    pub to_area_id: String,
    pub fare_product_id: String,
    /// Rules of higher priority are tried first (GTFS's `rule_priority`).
    #[serde(default)]
    pub rule_priority: u32,
}

/// What a leg of `to_leg_group_id` costs within `duration_limit` seconds of
/// a leg of `from_leg_group_id`: the product's amount added (or nothing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FareTransferRule {
    pub from_leg_group_id: String,
    pub to_leg_group_id: String,
    pub duration_limit: i64,
    /// The product charged for the transfer; empty: free.
    #[serde(default)]
    pub fare_product_id: String,
}

/// A city's fares.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fares {
    pub products: Vec<FareProduct>,
    pub rider_categories: Vec<RiderCategory>,
    pub leg_rules: Vec<FareLegRule>,
    pub transfer_rules: Vec<FareTransferRule>,
}

/// A tap that starts a leg.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leg<'a> {
    pub network_id: &'a str,
    pub from_area_id: &'a str,
    pub to_area_id: &'a str,
    pub rider_category_id: &'a str,
    /// Seconds since the previous leg began, and its leg group, if any.
    pub after: Option<(i64, &'a str)>,
}

/// What a leg is charged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    pub fare_product_id: String,
    /// The product's price, in fen.
    pub full: i64,
    /// What is charged, after the rider's discount, in fen.
    pub charged: i64,
    pub leg_group_id: String,
    /// A transfer rule made it cheaper (or free).
    pub transfer: bool,
}

/// `percent` of `fen`, rounded half up to the fen.
pub fn percent_of(fen: i64, percent: u32) -> i64 {
    let scaled = i128::from(fen) * i128::from(percent);
    let (q, r) = (scaled / 100, scaled % 100);
    let rounded = if r * 2 >= 100 { q + 1 } else { q };
    i64::try_from(rounded).unwrap_or(i64::MAX)
}

fn matches(rule: &str, value: &str) -> bool {
    rule.is_empty() || rule == value
}

impl Fares {
    fn product(&self, id: &str) -> Option<&FareProduct> {
        self.products.iter().find(|p| p.fare_product_id == id)
    }

    /// The rule for a leg: the highest priority, then the most specific
    /// (the most fields given), then the first.
    fn leg_rule(&self, leg: &Leg<'_>) -> Option<&FareLegRule> {
        // `max_by_key` keeps the last of equals: reversed, the first rule wins.
        self.leg_rules
            .iter()
            .rev()
            .filter(|r| self.covers(r, leg))
            // A pass is not a price: it only lets its holder ride.
            .filter(|r| {
                self.product(&r.fare_product_id)
                    .is_none_or(|p| p.duration_days == 0)
            })
            .max_by_key(|r| {
                let specific = [&r.network_id, &r.from_area_id, &r.to_area_id]
                    .iter()
                    .filter(|f| !f.is_empty())
                    .count();
                (r.rule_priority, specific)
            })
    }

    fn covers(&self, r: &FareLegRule, leg: &Leg<'_>) -> bool {
        matches(&r.network_id, leg.network_id)
            && matches(&r.from_area_id, leg.from_area_id)
            && matches(&r.to_area_id, leg.to_area_id)
    }

    /// The pass products (a duration) that a leg rule lets ride this leg.
    pub fn passes_for(&self, leg: &Leg<'_>) -> Vec<&str> {
        self.leg_rules
            .iter()
            .filter(|r| self.covers(r, leg))
            .filter(|r| {
                self.product(&r.fare_product_id)
                    .is_some_and(|p| p.duration_days > 0)
            })
            .map(|r| r.fare_product_id.as_str())
            .collect()
    }

    /// A product by id.
    pub fn product_by_id(&self, id: &str) -> Option<&FareProduct> {
        self.product(id)
    }

    /// What a leg is charged, or `None` when no rule prices it.
    pub fn charge(&self, leg: &Leg<'_>) -> Option<Charge> {
        let rule = self.leg_rule(leg)?;
        let product = self.product(&rule.fare_product_id)?;
        let percent = self
            .rider_categories
            .iter()
            .find(|c| c.rider_category_id == leg.rider_category_id)
            .map_or(100, |c| c.percent_of_fare);
        let transfer = leg.after.and_then(|(seconds, from)| {
            self.transfer_rules.iter().find(|t| {
                t.from_leg_group_id == from
                    && t.to_leg_group_id == rule.leg_group_id
                    && seconds <= t.duration_limit
            })
        });
        let (full, product_id) = match transfer {
            Some(t) if t.fare_product_id.is_empty() => (0, String::new()),
            Some(t) => {
                let p = self.product(&t.fare_product_id)?;
                (p.amount, p.fare_product_id.clone())
            }
            None => (product.amount, product.fare_product_id.clone()),
        };
        Some(Charge {
            fare_product_id: product_id,
            full,
            charged: percent_of(full, percent),
            leg_group_id: rule.leg_group_id.clone(),
            transfer: transfer.is_some(),
        })
    }
}

/// Why a set of GTFS-Fares v2 files could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadGtfs {
    pub file: &'static str,
    /// The line of the file (1 is the header); 0 for the file as a whole.
    pub line: u64,
    pub why: String,
}

impl std::fmt::Display for BadGtfs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.why)
        } else {
            write!(f, "{}, line {}: {}", self.file, self.line, self.why)
        }
    }
}

/// A file's row: column → value.
type Row = std::collections::HashMap<String, String>;

/// The rows of one file, each with its line number.
fn rows(file: &'static str, text: &str) -> Result<Vec<(u64, Row)>, BadGtfs> {
    let bad = |line: u64, why: String| BadGtfs { file, line, why };
    let mut r = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers = r.headers().map_err(|e| bad(1, e.to_string()))?.clone();
    let mut out = vec![];
    for (i, rec) in r.records().enumerate() {
        let line = i as u64 + 2;
        let rec = rec.map_err(|e| bad(line, e.to_string()))?;
        out.push((
            line,
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect(),
        ));
    }
    Ok(out)
}

impl Fares {
    /// Read fares from GTFS-Fares v2 files, given each file's text by name
    /// (`fare_products.txt`, `rider_categories.txt`, `fare_leg_rules.txt`,
    /// `fare_transfer_rules.txt`; the last two may be missing). Amounts are
    /// in yuan and must be CNY. `rider_categories.txt` may carry the
    /// column `percent_of_fare` (the card's discount; 100 when absent).
    /// Every reference is checked: a leg rule's or a transfer rule's product
    /// must exist.
    pub fn from_gtfs(file: impl Fn(&str) -> Option<String>) -> Result<Fares, BadGtfs> {
        let need = |name: &'static str| {
            file(name).ok_or(BadGtfs {
                file: name,
                line: 0,
                why: "missing".into(),
            })
        };
        let get = |row: &std::collections::HashMap<String, String>, k: &str| {
            row.get(k).cloned().unwrap_or_default()
        };
        let mut f = Fares::default();
        let name = "fare_products.txt";
        for (line, row) in rows(name, &need(name)?)? {
            let bad = |why: &str| BadGtfs {
                file: name,
                line,
                why: why.into(),
            };
            f.products.push(product_of(&row, bad)?);
        }
        if let Some(text) = file("rider_categories.txt") {
            let name = "rider_categories.txt";
            for (line, row) in rows(name, &text)? {
                let percent = match get(&row, "percent_of_fare").as_str() {
                    "" => 100,
                    p => p.parse::<u32>().ok().filter(|p| *p <= 100).ok_or(BadGtfs {
                        file: name,
                        line,
                        why: "percent_of_fare is a whole number from 0 to 100".into(),
                    })?,
                };
                f.rider_categories.push(RiderCategory {
                    rider_category_id: get(&row, "rider_category_id"),
                    rider_category_name: get(&row, "rider_category_name"),
                    percent_of_fare: percent,
                });
            }
        }
        let known = |f: &Fares, id: &str| f.products.iter().any(|p| p.fare_product_id == id);
        if let Some(text) = file("fare_leg_rules.txt") {
            let name = "fare_leg_rules.txt";
            for (line, row) in rows(name, &text)? {
                let product = get(&row, "fare_product_id");
                if !known(&f, &product) {
                    return Err(BadGtfs {
                        file: name,
                        line,
                        why: format!("no fare product {product:?}"),
                    });
                }
                let priority = match get(&row, "rule_priority").as_str() {
                    "" => 0,
                    p => p.parse().map_err(|_| BadGtfs {
                        file: name,
                        line,
                        why: "rule_priority is a whole number".into(),
                    })?,
                };
                f.leg_rules.push(FareLegRule {
                    leg_group_id: get(&row, "leg_group_id"),
                    network_id: get(&row, "network_id"),
                    from_area_id: get(&row, "from_area_id"),
                    to_area_id: get(&row, "to_area_id"),
                    fare_product_id: product,
                    rule_priority: priority,
                });
            }
        }
        if let Some(text) = file("fare_transfer_rules.txt") {
            let name = "fare_transfer_rules.txt";
            for (line, row) in rows(name, &text)? {
                let product = get(&row, "fare_product_id");
                if !product.is_empty() && !known(&f, &product) {
                    return Err(BadGtfs {
                        file: name,
                        line,
                        why: format!("no fare product {product:?}"),
                    });
                }
                let limit = get(&row, "duration_limit")
                    .parse::<i64>()
                    .ok()
                    .filter(|d| *d > 0)
                    .ok_or(BadGtfs {
                        file: name,
                        line,
                        why: "duration_limit is a number of seconds".into(),
                    })?;
                f.transfer_rules.push(FareTransferRule {
                    from_leg_group_id: get(&row, "from_leg_group_id"),
                    to_leg_group_id: get(&row, "to_leg_group_id"),
                    duration_limit: limit,
                    fare_product_id: product,
                });
            }
        }
        Ok(f)
    }
}

/// A row of `fare_products.txt` as a product, or why it is not one.
fn product_of(
    row: &std::collections::HashMap<String, String>,
    bad: impl Fn(&str) -> BadGtfs,
) -> Result<FareProduct, BadGtfs> {
    let get = |row: &std::collections::HashMap<String, String>, k: &str| {
        row.get(k).cloned().unwrap_or_default()
    };
    let id = get(row, "fare_product_id");
    if id.is_empty() {
        return Err(bad("fare_product_id is empty"));
    }
    let currency = get(row, "currency");
    if currency != "CNY" {
        return Err(bad("currency must be CNY"));
    }
    let duration_days = match (
        get(row, "duration_amount").as_str(),
        get(row, "duration_unit").as_str(),
    ) {
        ("", _) => 0,
        (n, unit) => {
            let n: u32 = n
                .parse()
                .map_err(|_| bad("duration_amount is a whole number"))?;
            let days = match unit {
                "3" => 1,
                "4" => 7,
                "5" => 30,
                _ => return Err(bad("duration_unit is 3 (days), 4 (weeks) or 5 (months)")),
            };
            n.checked_mul(days)
                .ok_or_else(|| bad("duration is too long"))?
        }
    };
    let amount = crate::money::Fen::parse(&get(row, "amount"))
        .map(crate::money::Fen::fen)
        .ok_or_else(|| bad("amount is not a sum in yuan with at most two decimals"))?;
    Ok(FareProduct {
        fare_product_id: id,
        fare_product_name: get(row, "fare_product_name"),
        rider_category_id: get(row, "rider_category_id"),
        fare_media_id: get(row, "fare_media_id"),
        amount,
        duration_days,
    })
}

/// A public bicycle's rental: free for the first hour, then `per_hour` fen
/// for each hour or part of one.
pub fn bicycle_rental(seconds: i64, free_seconds: i64, per_hour: i64) -> i64 {
    let over = (seconds - free_seconds).max(0);
    let hours = (over + 3_599) / 3_600;
    hours * per_hour
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hangzhou() -> Fares {
        Fares {
            products: vec![
                FareProduct {
                    fare_product_id: "bus_single".into(),
                    fare_product_name: "公交单程".into(),
                    rider_category_id: String::new(),
                    fare_media_id: String::new(),
                    amount: 200,
                    duration_days: 0,
                },
                FareProduct {
                    fare_product_id: "bus_aircon".into(),
                    fare_product_name: "空调车单程".into(),
                    rider_category_id: String::new(),
                    fare_media_id: String::new(),
                    amount: 150,
                    duration_days: 0,
                },
                FareProduct {
                    fare_product_id: "water_bus".into(),
                    fare_product_name: "水上巴士".into(),
                    rider_category_id: String::new(),
                    fare_media_id: String::new(),
                    amount: 300,
                    duration_days: 0,
                },
            ],
            rider_categories: vec![
                RiderCategory {
                    rider_category_id: "card".into(),
                    rider_category_name: "市民卡".into(),
                    percent_of_fare: 91,
                },
                RiderCategory {
                    rider_category_id: "senior".into(),
                    rider_category_name: "老年卡".into(),
                    percent_of_fare: 0,
                },
            ],
            leg_rules: vec![
                FareLegRule {
                    leg_group_id: "bus".into(),
                    network_id: "bus".into(),
                    from_area_id: String::new(),
                    to_area_id: String::new(),
                    fare_product_id: "bus_single".into(),
                    rule_priority: 0,
                },
                FareLegRule {
                    leg_group_id: "bus".into(),
                    network_id: "bus".into(),
                    from_area_id: "aircon".into(),
                    to_area_id: String::new(),
                    fare_product_id: "bus_aircon".into(),
                    rule_priority: 0,
                },
                FareLegRule {
                    leg_group_id: "water".into(),
                    network_id: "water_bus".into(),
                    from_area_id: String::new(),
                    to_area_id: String::new(),
                    fare_product_id: "water_bus".into(),
                    rule_priority: 0,
                },
            ],
            transfer_rules: vec![FareTransferRule {
                from_leg_group_id: "bus".into(),
                to_leg_group_id: "bus".into(),
                duration_limit: 90 * 60,
                fare_product_id: String::new(),
            }],
        }
    }

    fn leg<'a>(
        network: &'a str,
        from: &'a str,
        rider: &'a str,
        after: Option<(i64, &'a str)>,
    ) -> Leg<'a> {
        Leg {
            network_id: network,
            from_area_id: from,
            to_area_id: "",
            rider_category_id: rider,
            after,
        }
    }

    #[test]
    fn a_card_pays_91_percent_rounded_half_up_per_ride() {
        assert_eq!(percent_of(150, 91), 137, "136.5 rounds up");
        assert_eq!(percent_of(200, 91), 182);
        assert_eq!(percent_of(250, 91), 228, "227.5 rounds up");
        assert_eq!(percent_of(110, 91), 100, "100.1 rounds down");
        assert_eq!(percent_of(1_000, 90), 900, "parking 10% off");
        assert_eq!(percent_of(0, 91), 0);
        let f = hangzhou();
        let c = f.charge(&leg("bus", "", "card", None)).expect("priced");
        assert_eq!((c.full, c.charged), (200, 182));
        let c = f
            .charge(&leg("bus", "aircon", "card", None))
            .expect("priced");
        assert_eq!(
            (c.fare_product_id.as_str(), c.charged),
            ("bus_aircon", 137),
            "the more specific rule"
        );
        let c = f.charge(&leg("bus", "", "", None)).expect("priced");
        assert_eq!(c.charged, 200, "no category: the full fare");
        let c = f.charge(&leg("bus", "", "senior", None)).expect("priced");
        assert_eq!(c.charged, 0);
        assert!(
            f.charge(&leg("metro", "", "card", None)).is_none(),
            "no rule, no price"
        );
    }

    #[test]
    fn a_second_bus_within_90_minutes_is_free_and_a_boat_is_not() {
        let f = hangzhou();
        let c = f
            .charge(&leg("bus", "", "card", Some((60 * 60, "bus"))))
            .expect("priced");
        assert!(c.transfer);
        assert_eq!(c.charged, 0);
        let c = f
            .charge(&leg("bus", "", "card", Some((91 * 60, "bus"))))
            .expect("priced");
        assert_eq!(c.charged, 182, "too late for the transfer");
        let c = f
            .charge(&leg("water_bus", "", "card", Some((10, "bus"))))
            .expect("priced");
        assert_eq!((c.transfer, c.charged), (false, 273));
    }

    #[test]
    fn a_bicycle_is_free_for_the_first_hour_then_by_the_hour() {
        let (free, per_hour) = (3_600, 100);
        assert_eq!(bicycle_rental(0, free, per_hour), 0);
        assert_eq!(bicycle_rental(3_600, free, per_hour), 0);
        assert_eq!(
            bicycle_rental(3_601, free, per_hour),
            100,
            "a part of an hour is an hour"
        );
        assert_eq!(bicycle_rental(3 * 3_600, free, per_hour), 200);
        assert_eq!(bicycle_rental(3 * 3_600 + 1, free, per_hour), 300);
    }

    #[test]
    fn of_equal_rules_the_first_prices_the_leg_and_priority_comes_before_it() {
        let mut f = hangzhou();
        let mut twin = f.leg_rules[0].clone();
        twin.fare_product_id = "water_bus".into();
        f.leg_rules.push(twin.clone());
        let c = f.charge(&leg("bus", "", "", None)).expect("priced");
        assert_eq!(
            c.fare_product_id, "bus_single",
            "the first of two equal rules"
        );
        twin.rule_priority = 1;
        f.leg_rules.push(twin);
        let c = f.charge(&leg("bus", "aircon", "", None)).expect("priced");
        assert_eq!(c.fare_product_id, "water_bus", "priority over specificity");
    }

    #[test]
    fn fares_are_imported_from_gtfs_files_and_bad_ones_say_where() {
        let files = |name: &str| -> Option<String> {
            Some(match name {
                "fare_products.txt" => "fare_product_id,fare_product_name,amount,currency\nbus_single,公交单程,2.00,CNY\nbus_aircon,空调车单程,1.5,CNY\nwater_bus,水上巴士,3,CNY\n",
                "rider_categories.txt" => "rider_category_id,rider_category_name,percent_of_fare\ncard,市民卡,91\nsenior,老年卡,0\n",
                "fare_leg_rules.txt" => "leg_group_id,network_id,from_area_id,to_area_id,fare_product_id\nbus,bus,,,bus_single\nbus,bus,aircon,,bus_aircon\nwater,water_bus,,,water_bus\n",
                "fare_transfer_rules.txt" => "from_leg_group_id,to_leg_group_id,duration_limit,duration_limit_type,fare_transfer_type\nbus,bus,5400,1,0\n",
                _ => return None,
            }.to_string())
        };
        assert_eq!(Fares::from_gtfs(files).expect("read"), hangzhou());
        let broken = |name: &str| -> Option<String> {
            if name == "fare_leg_rules.txt" {
                return Some(
                    "leg_group_id,network_id,fare_product_id\nbus,bus,metro_single\n".into(),
                );
            }
            files(name)
        };
        let e = Fares::from_gtfs(broken).expect_err("an unknown product");
        assert_eq!((e.file, e.line), ("fare_leg_rules.txt", 2), "{e}");
        let dollars = |name: &str| -> Option<String> {
            if name == "fare_products.txt" {
                return Some("fare_product_id,amount,currency\nbus_single,2.005,CNY\n".into());
            }
            files(name)
        };
        assert!(Fares::from_gtfs(dollars)
            .expect_err("three decimals")
            .why
            .contains("amount"));
        assert_eq!(Fares::from_gtfs(|_| None).expect_err("no products").line, 0);
    }

    #[test]
    fn fares_are_read_as_data() {
        let json = serde_json::to_string(&hangzhou()).expect("json");
        let back: Fares = serde_json::from_str(&json).expect("read back");
        assert_eq!(back, hangzhou());
    }
}
