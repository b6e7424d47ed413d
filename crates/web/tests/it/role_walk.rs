//! Each role's day, in a real browser, from sign-in: the person lands on
//! their own work, every place their menu offers opens (no 4xx or 5xx), and
//! so does the first thing listed there (a case, a ticket, a signal…). Every
//! page is read as shown and fails on the machine's words: codes, raw
//! timestamps, unit codes, journal actors, and on the English pages any
//! platform text left in Chinese. Then the same day again in English.

use fantoccini::Locator;
use sunshine_testkit::browser::Browser;
use sunshine_testkit::shared_demo;

/// Sign in with the demo password and say where the platform took us.
async fn sign_in(b: &Browser, base: &str, login: &str) -> anyhow::Result<String> {
    b.goto(&format!("{base}/login")).await?;
    b.fill("#login", login).await?;
    b.fill("#password", sunshine_app::demo::DEMO_PASSWORD)
        .await?;
    b.click("#sign-in").await?;
    b.wait_for("form[action='/logout']").await?;
    let url = b.client.current_url().await?;
    Ok(url.path().to_string())
}

/// Hrefs of the elements `css` selects, in order, without repeats.
async fn hrefs(b: &Browser, css: &str) -> anyhow::Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for e in b.client.find_all(Locator::Css(css)).await? {
        if let Some(h) = e.attr("href").await? {
            if h.starts_with('/') && !out.contains(&h) {
                out.push(h);
            }
        }
    }
    Ok(out)
}

fn shots() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// Walk `login`'s day: land on `home`, open every place of the menu and
/// the first thing listed in each, in Chinese and then in English.
async fn walk(login: &str, home: &str) -> anyhow::Result<()> {
    walk_as(Some(login), home, "header nav > a:not([href^='/lang'])").await
}

/// The walk itself; `None` walks as a visitor who has not signed in,
/// through `menu` (a CSS selector of the menu's links).
async fn walk_as(login: Option<&str>, home: &str, menu: &str) -> anyhow::Result<()> {
    let base = &shared_demo().base;
    let b = Browser::start().await?;
    let login = match login {
        Some(login) => {
            let landed = sign_in(&b, base, login).await?;
            assert_eq!(landed, home, "{login} starts the day on their own work");
            login
        }
        None => "visitor",
    };
    for english in [false, true] {
        let lang = if english { "en" } else { "zh" };
        b.goto(&format!("{base}/lang?to={lang}&next={home}"))
            .await?;
        b.check_page(english)
            .await
            .map_err(|e| anyhow::anyhow!("{login}'s home ({lang}): {e}"))?;
        b.screenshot(&shots().join(format!("role-{login}-{lang}.png")))
            .await?;
        // The person's own places come first in the menu, before the
        // public pages everyone has.
        let places = hrefs(&b, menu).await?;
        assert!(!places.is_empty(), "{login} has places of their own");
        for place in &places {
            b.goto(&format!("{base}{place}")).await?;
            b.check_page(english)
                .await
                .map_err(|e| anyhow::anyhow!("{login} at {place} ({lang}): {e}"))?;
            // The first thing the place lists, opened as the person would.
            let listed = hrefs(&b, "main table a, main ul.list a, main .cards a")
                .await?
                .into_iter()
                .find(|h| h != place && !h.starts_with("/lang") && !h.contains("/file"));
            if let Some(first) = listed {
                b.goto(&format!("{base}{first}")).await?;
                b.check_page(english).await.map_err(|e| {
                    anyhow::anyhow!("{login} opening {first} from {place} ({lang}): {e}")
                })?;
            }
        }
    }
    b.goto(&format!("{base}/lang?to=zh&next=/")).await?;
    b.close().await
}

/// A visitor reads the public pages.
#[tokio::test]
async fn a_visitors_day() -> anyhow::Result<()> {
    walk_as(None, "/", "header nav a:not([href^='/lang'])").await
}

/// A citizen's day takes in the public pages too.
#[tokio::test]
async fn a_citizens_day() -> anyhow::Result<()> {
    walk_as(
        Some(sunshine_app::demo::DEMO_CITIZEN_LOGIN),
        "/hall/my",
        "header nav a:not([href^='/lang'])",
    )
    .await
}

#[tokio::test]
async fn an_enterprises_day() -> anyhow::Result<()> {
    walk(sunshine_app::demo::DEMO_ENTERPRISE_LOGIN, "/hall/my").await
}

/// The elder in home care: their orders and the TV page, in both languages.
#[tokio::test]
async fn an_elders_day() -> anyhow::Result<()> {
    walk_as(
        Some(sunshine_app::demo::DEMO_ELDER_LOGIN),
        "/hall/my",
        "header nav a:not([href^='/lang'])",
    )
    .await
}

/// The housekeeping alliance's provider and its orders.
#[tokio::test]
async fn a_care_providers_day() -> anyhow::Result<()> {
    walk(sunshine_app::demo::DEMO_PROVIDER_LOGIN, "/hall/my").await
}

/// The community worker: the records, home care and its orders.
#[tokio::test]
async fn a_community_workers_day() -> anyhow::Result<()> {
    walk(sunshine_app::demo::COMMUNITY_WORKER, "/staff/registry").await
}

#[tokio::test]
async fn a_case_clerks_day() -> anyhow::Result<()> {
    walk("clerk", "/staff/cases").await
}

#[tokio::test]
async fn a_hotline_operators_day() -> anyhow::Result<()> {
    walk("operator", "/staff/hotline").await
}

/// A district's clerk answers the hotline requests sent to their unit.
#[tokio::test]
async fn a_units_day() -> anyhow::Result<()> {
    walk("clerk.330106", "/staff/cases").await
}

#[tokio::test]
async fn a_supervisors_day() -> anyhow::Result<()> {
    walk("supervisor", "/staff/signals").await
}

#[tokio::test]
async fn a_card_clerks_day() -> anyhow::Result<()> {
    walk("card.clerk", "/staff/card").await
}

#[tokio::test]
async fn a_card_operators_day() -> anyhow::Result<()> {
    walk("card.operator", "/staff/card/operations").await
}

#[tokio::test]
async fn a_backup_keepers_day() -> anyhow::Result<()> {
    walk("backup.keeper", "/staff/backup-centre").await
}

#[tokio::test]
async fn a_catalogue_editors_day() -> anyhow::Result<()> {
    walk("editor", "/staff/").await
}

#[tokio::test]
async fn an_administrators_day() -> anyhow::Result<()> {
    walk("admin", "/staff/users").await
}

/// Every staff place, and whether the menu must offer it exactly when it
/// opens (`true`), or only never offer it when it would not (`false`: the
/// catalogue's pages open to all staff but are the catalogue roles' work).
const PLACES: [(&str, bool); 20] = [
    ("/staff/cases", true),
    ("/staff/care", true),
    ("/staff/registry", true),
    ("/staff/registry/households", false),
    ("/staff/registry/statistics", false),
    ("/staff/registry/pairs", false),
    ("/account/registry", false),
    ("/staff/backup-centre", true),
    ("/staff/hotline", true),
    ("/staff/hotline/admin", true),
    ("/staff/card", true),
    ("/staff/card/operations", true),
    ("/staff/signals", true),
    ("/complaints", true),
    ("/staff/board", true),
    ("/staff/users", true),
    ("/staff/binding", true),
    ("/staff/backup", true),
    ("/staff/", false),
    ("/staff/panorama", false),
];

/// The menu offers each person the places that open for them and none that
/// would answer 403, for every demo role.
#[tokio::test]
async fn the_menu_offers_exactly_the_places_that_open() {
    let base = &shared_demo().base;
    let applicants = [
        sunshine_app::demo::DEMO_CITIZEN_LOGIN,
        sunshine_app::demo::DEMO_ENTERPRISE_LOGIN,
        sunshine_app::demo::DEMO_ELDER_LOGIN,
        sunshine_app::demo::DEMO_PROVIDER_LOGIN,
    ];
    let staff = sunshine_app::demo::DEMO_LOGINS
        .into_iter()
        .filter(|l| !applicants.contains(l));
    // A district's clerk too, who answers the hotline for their units.
    for login in staff.chain(["clerk.330106"]) {
        let (c, _) = crate::pages::signed_in(login).await;
        let home = c
            .get(format!("{base}/account"))
            .send()
            .await
            .expect("account")
            .text()
            .await
            .expect("html");
        let nav = home
            .split("<nav>")
            .nth(1)
            .and_then(|n| n.split("</nav>").next())
            .expect("a menu");
        for (place, exactly) in PLACES {
            let offered = nav.contains(&format!("href=\"{place}\""));
            let status = c
                .get(format!("{base}{place}"))
                .send()
                .await
                .expect("place")
                .status();
            let opens = status == reqwest::StatusCode::OK;
            if offered {
                assert!(
                    opens,
                    "{login}'s menu offers {place}, which answers {status}"
                );
            } else if exactly {
                assert!(!opens, "{login} may open {place} but the menu hides it");
            }
        }
    }
}

/// With script, the operator's form shows only the chosen category's
/// questions, and the others' when the category changes.
#[tokio::test]
async fn the_hotline_form_asks_only_the_chosen_categorys_questions() -> anyhow::Result<()> {
    let base = &shared_demo().base;
    let b = Browser::start().await?;
    sign_in(&b, base, "operator").await?;
    b.goto(&format!("{base}/staff/hotline")).await?;
    let shown = |code: &'static str| {
        let b = &b;
        async move {
            let set = b
                .client
                .find(Locator::Css(&format!("fieldset[data-category='{code}']")))
                .await?;
            anyhow::Ok(set.is_displayed().await?)
        }
    };
    b.set("#call-category", "power.outage").await?;
    b.client
        .execute(
            "document.getElementById('call-category').dispatchEvent(new Event('change', {bubbles: true}));",
            vec![],
        )
        .await?;
    assert!(
        shown("power.outage").await?,
        "the outage's questions are asked"
    );
    assert!(!shown("city.noise").await?, "the noise questions are not");
    b.set("#call-category", "city.noise").await?;
    b.client
        .execute(
            "document.getElementById('call-category').dispatchEvent(new Event('change', {bubbles: true}));",
            vec![],
        )
        .await?;
    assert!(shown("city.noise").await?);
    assert!(!shown("power.outage").await?);
    b.close().await
}
