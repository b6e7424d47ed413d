//! The hotline's knowledge base (知识库): answers found by words, not by
//! characters. Text is cut into words with jieba's dictionary in search
//! mode (so 住房公积金 is found as 住房, 公积 and 公积金), and
//! articles are ranked by BM25 over those words.

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use jieba_rs::Jieba;

use crate::refusal::{FieldErrors, Refusal};

static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

/// Words too common to tell one answer from another.
const STOP: [&str; 24] = [
    "的", "了", "是", "在", "和", "与", "及", "或", "吗", "呢", "吧", "啊", "我", "你", "他", "们",
    "怎么", "如何", "什么", "哪里", "可以", "需要", "一个", "这个",
];

/// The words of a text, each with how often it occurs: lower-cased, without
/// punctuation, spaces or stop words.
pub fn terms(text: &str) -> BTreeMap<String, u32> {
    let mut out = BTreeMap::new();
    for token in JIEBA.cut_for_search(text, true) {
        let word = token.word.trim().to_lowercase();
        if word.is_empty()
            || STOP.contains(&word.as_str())
            || !word.chars().any(char::is_alphanumeric)
        {
            continue;
        }
        *out.entry(word).or_insert(0) += 1;
    }
    out
}

/// An article of the knowledge base as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article<'a> {
    pub title: &'a str,
    pub body: &'a str,
}

/// A title of 1 to 200 characters and a body of 1 to 10,000, no control characters.
pub fn check_article(a: &Article<'_>) -> Result<(), Refusal> {
    let mut e = FieldErrors::default();
    for (field, text, max) in [("title", a.title, 200), ("body", a.body, 10_000)] {
        let n = text.trim().chars().count();
        if n == 0 || n > max || !crate::refusal::is_clean_text(text) {
            e.add(
                field,
                format!("请填写（1 到 {max} 字，不含控制字符）"),
                format!("Required: 1 to {max} characters, no control characters"),
            );
        }
    }
    e.check()
}

/// The words an article is found by: its title's count twice, as a title
/// says what the article is about.
pub fn article_terms(a: &Article<'_>) -> BTreeMap<String, u32> {
    let mut all = terms(a.body);
    for (word, n) in terms(a.title) {
        *all.entry(word).or_insert(0) += 2 * n;
    }
    all
}

/// What ranking needs of one article that shares a word with the query.
#[derive(Debug, Clone, Default)]
pub struct Postings {
    /// Occurrences of each query word in the article.
    pub tf: HashMap<String, u32>,
    /// All the article's word occurrences.
    pub length: u32,
}

/// BM25's constants, the usual ones.
const K1: f64 = 1.2;
const B: f64 = 0.75;

/// Rank articles for a query's words by BM25: `df` is how many articles have
/// each word, `n` how many there are, `average` their mean length. Best
/// first; ties by id.
pub fn rank(
    query: &BTreeMap<String, u32>,
    articles: &BTreeMap<i64, Postings>,
    df: &HashMap<String, u64>,
    n: u64,
    average: f64,
) -> Vec<(i64, f64)> {
    let mut scored: Vec<(i64, f64)> = articles
        .iter()
        .map(|(id, p)| {
            let norm = K1 * (1.0 - B + B * f64::from(p.length) / average.max(1.0));
            let score = query
                .keys()
                .filter_map(|word| {
                    let tf = f64::from(*p.tf.get(word)?);
                    let d = *df.get(word)? as f64;
                    let idf = ((n as f64 - d + 0.5) / (d + 0.5) + 1.0).ln();
                    Some(idf * tf * (K1 + 1.0) / (tf + norm))
                })
                .sum::<f64>();
            (*id, score)
        })
        .filter(|(_, s)| *s > 0.0)
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    scored
}

/// The categories a caller's words suggest, best first: each category is
/// scored by the words it shares with what was said (its name and keywords,
/// cut the same way), keywords counting double.
pub fn suggest<'a>(said: &str, categories: &[(&'a str, &str, &[String])]) -> Vec<&'a str> {
    let words = terms(said);
    let mut scored: Vec<(&str, u32)> = categories
        .iter()
        .map(|(code, name, keywords)| {
            let named = terms(name);
            let keyed: BTreeMap<String, u32> = keywords.iter().flat_map(|k| terms(k)).collect();
            let score = words
                .keys()
                .map(|w| u32::from(named.contains_key(w)) + 2 * u32::from(keyed.contains_key(w)))
                .sum();
            (*code, score)
        })
        .filter(|(_, score)| *score > 0)
        .collect();
    scored.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    scored.into_iter().map(|(code, _)| code).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_cut_into_words_not_characters() {
        let t = terms("如何提取住房公积金？");
        assert!(t.contains_key("公积金") && t.contains_key("提取"), "{t:?}");
        assert!(t.contains_key("住房"), "{t:?}");
        assert!(
            !t.contains_key("如何") && !t.contains_key("？"),
            "stop words and punctuation go: {t:?}"
        );
        assert!(
            !t.contains_key("积"),
            "no single characters of a word: {t:?}"
        );
        assert_eq!(
            terms("Open311 API")["open311"],
            1,
            "latin words lower-cased"
        );
    }

    fn postings(a: &Article<'_>, query: &BTreeMap<String, u32>) -> Postings {
        let all = article_terms(a);
        Postings {
            tf: query
                .keys()
                .filter_map(|w| all.get(w).map(|n| (w.clone(), *n)))
                .collect(),
            length: all.values().sum(),
        }
    }

    /// Three articles; the question's words in another order than any text.
    #[test]
    fn the_article_about_the_question_ranks_first() {
        let articles = [
            Article {
                title: "住房公积金提取",
                body: "职工购房、租房或退休时可以申请提取住房公积金，携带身份证到公积金中心办理。",
            },
            Article {
                title: "市民卡挂失",
                body: "市民卡丢失后请拨打96345挂失，挂失后卡片立即停用。",
            },
            Article {
                title: "公交线路查询",
                body: "公交线路和班次可在杭州公交网站查询。",
            },
        ];
        let query = terms("我想把公积金取出来租房用，怎么办理");
        let mut df: HashMap<String, u64> = HashMap::new();
        let mut found = BTreeMap::new();
        let mut total = 0u32;
        for (i, a) in articles.iter().enumerate() {
            let p = postings(a, &query);
            total += article_terms(a).values().sum::<u32>();
            for w in p.tf.keys() {
                *df.entry(w.clone()).or_default() += 1;
            }
            if !p.tf.is_empty() {
                found.insert(i as i64, p);
            }
        }
        let ranked = rank(&query, &found, &df, 3, f64::from(total) / 3.0);
        assert_eq!(ranked.first().map(|r| r.0), Some(0), "{ranked:?}");
        assert!(
            ranked.iter().all(|r| r.0 != 2),
            "the bus article shares no word: {ranked:?}"
        );
    }

    #[test]
    fn what_a_caller_says_suggests_the_category() {
        let water = vec!["停水".to_string(), "没水".to_string()];
        let light = vec!["路灯".to_string()];
        let cats: Vec<(&str, &str, &[String])> = vec![
            ("water.outage", "停水", &water),
            ("streetlight.out", "路灯不亮", &light),
        ];
        assert_eq!(suggest("我家小区从早上就没水了", &cats), ["water.outage"]);
        assert_eq!(suggest("门口路灯坏了好几天", &cats)[0], "streetlight.out");
        assert!(suggest("你好", &cats).is_empty());
    }

    #[test]
    fn an_article_needs_a_title_and_a_body() {
        assert!(check_article(&Article {
            title: "",
            body: "x"
        })
        .is_err());
        assert!(check_article(&Article {
            title: "x",
            body: &"字".repeat(10_001)
        })
        .is_err());
        assert!(check_article(&Article {
            title: "市民卡挂失",
            body: "拨打96345"
        })
        .is_ok());
    }
}
