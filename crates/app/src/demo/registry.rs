//! The demo's population records: a few hundred residents of 保俶塔社区 in
//! households, 王小明 among them, imported by the community's worker
//! through the real import, so that the household pages, the residents'
//! own record and the aggregates have something to show.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sunshine_domain::ids::ResidentId;

use super::{demo_elder_id, COMMUNITY_WORKER, DEMO_CITIZEN_ID, DEMO_ELDER_BIRTH, DEMO_ELDER_NAME};
use crate::{App, Result};

const SURNAMES: [&str; 12] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙",
];
const GIVEN: [&str; 16] = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明",
];
const STREETS: [&str; 4] = ["保俶路", "北山路", "宝石山下一弄", "少年宫路"];

/// The demo's households: the file a community worker would import.
pub fn demo_file(households: usize, seed: u64) -> String {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out = String::from(
        "身份证号,姓名,性别,出生日期,民族,户籍地址,居住地址,社区代码,户号,与户主关系,联系电话\n",
    );
    let mut seq = 100u32;
    // Members with a number, to be written down a second time below.
    let mut numbered: Vec<(String, String, String)> = vec![];
    let id = |birth: &str, male: bool, seq: &mut u32| {
        *seq += 1;
        let n = *seq * 2 + u32::from(male);
        let first17 = format!("330106{}{:03}", birth.replace('-', ""), n % 1000);
        let check = ResidentId::check_char(&first17).unwrap_or('0');
        format!("{first17}{check}")
    };
    for h in 0..households {
        let street = STREETS[h % STREETS.len()];
        let address = format!("杭州市西湖区{street}{}号", 1 + h / STREETS.len());
        let number = format!("BST{:04}", h + 1);
        let surname = SURNAMES[rng.gen_range(0..SURNAMES.len())];
        // 王小明 (born 1990) heads the first household.
        let head_year = if h == 0 {
            1990
        } else {
            rng.gen_range(1935..1995)
        };
        let size = rng.gen_range(1..=4);
        for m in 0..size {
            let (relationship, year, male) = match m {
                0 => ("02", head_year, rng.gen_bool(0.5)),
                1 => ("10", head_year + rng.gen_range(-3..4), rng.gen_bool(0.5)),
                _ => (
                    "20",
                    (head_year + rng.gen_range(22..34)).min(2024),
                    rng.gen_bool(0.5),
                ),
            };
            let birth = format!(
                "{year}-{:02}-{:02}",
                rng.gen_range(1..=12),
                rng.gen_range(1..=28)
            );
            let name = if h == 0 && m == 0 {
                "王小明".to_string()
            } else {
                format!(
                    "{surname}{}{}",
                    GIVEN[rng.gen_range(0..GIVEN.len())],
                    if rng.gen_bool(0.5) {
                        GIVEN[rng.gen_range(0..GIVEN.len())]
                    } else {
                        ""
                    }
                )
            };
            let (number_cell, birth, male) = if h == 0 && m == 0 {
                (DEMO_CITIZEN_ID.to_string(), "1990-01-01".to_string(), true)
            } else if year >= 2020 && rng.gen_bool(0.5) {
                // A young child not yet given a number: found by household, name and birth.
                (String::new(), birth, male)
            } else {
                (id(&birth, male, &mut seq), birth, male)
            };
            let sex = if male { "1" } else { "2" };
            let ethnicity = if rng.gen_bool(0.9) { "01" } else { "02" };
            let phone = if m < 2 {
                format!("139{:08}", rng.gen_range(0..100_000_000u32))
            } else {
                String::new()
            };
            out.push_str(&format!(
                "{number_cell},{name},{sex},{birth},{ethnicity},{address},{address},330106001001,{number},{relationship},{phone}\n"
            ));
            if !number_cell.is_empty() && h > 0 {
                numbered.push((name, sex.to_string(), birth));
            }
        }
        // 王小明's grandmother lives with him: the demo's elder in home care.
        if h == 0 {
            out.push_str(&format!(
                "{},{DEMO_ELDER_NAME},2,{DEMO_ELDER_BIRTH},01,{address},{address},330106001001,{number},62,13957100062\n",
                demo_elder_id()
            ));
        }
    }
    // A few persons registered a second time, elsewhere in the community,
    // without their number and with a character of the name written as
    // another that reads the same: the registrar's review queue has them.
    for k in 0..6 {
        let (name, sex, birth) = &numbered[(k * 37 + 11) % numbered.len()];
        let written: String = name
            .chars()
            .map(|c| match HOMOPHONES.iter().find(|(a, _)| *a == c) {
                Some((_, b)) => *b,
                None => c,
            })
            .collect();
        let address = format!("杭州市西湖区曙光路{}号", 10 + k);
        out.push_str(&format!(
            ",{written},{sex},{birth},01,{address},{address},330106001001,BSTX{k:03},02,\n"
        ));
    }
    out
}

/// Given-name characters and one that reads the same.
const HOMOPHONES: [(char, char); 16] = [
    ('伟', '玮'),
    ('芳', '方'),
    ('娜', '纳'),
    ('敏', '闽'),
    ('静', '婧'),
    ('丽', '莉'),
    ('强', '墙'),
    ('磊', '蕾'),
    ('军', '君'),
    ('洋', '阳'),
    ('勇', '涌'),
    ('艳', '燕'),
    ('杰', '洁'),
    ('娟', '涓'),
    ('涛', '韬'),
    ('明', '铭'),
];

/// Import the demo's households as the community's worker.
pub async fn load(app: &App) -> Result<()> {
    let worker = app.staff_actor(COMMUNITY_WORKER).await?;
    app.import_registry(&worker, demo_file(120, 96345).as_bytes(), false)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_file_is_to_the_standard() {
        let standard = crate::registry::city_standard();
        let today = jiff::civil::date(2026, 12, 4);
        let file = demo_file(120, 96345);
        let rows = sunshine_domain::registry::import::parse(file.as_bytes(), &standard, today)
            .unwrap_or_else(|e| panic!("{:?}", &e[..e.len().min(5)]));
        assert!(rows.len() > 200, "{} rows", rows.len());
        assert_eq!(rows[0].name, "王小明");
        assert!(rows.iter().any(|r| r.name == DEMO_ELDER_NAME
            && r.id_number.as_ref().map(|n| n.as_str().to_string()) == Some(demo_elder_id())));
    }
}
