//! A real headless Chromium, driven over WebDriver by chromedriver. Debian's
//! `chromium` and `chromium-driver` are installed when missing and the test
//! runs as root; otherwise the test fails saying what to install. It never
//! skips.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// A browser session and the driver process behind it.
pub struct Browser {
    pub client: Client,
    driver: Child,
    profile: std::path::PathBuf,
    /// One browser at a time: on two cores, several Chromiums beside the
    /// servers under test make each other's pages miss their waits.
    _turn: tokio::sync::OwnedSemaphorePermit,
}

static TURNS: std::sync::LazyLock<std::sync::Arc<tokio::sync::Semaphore>> =
    std::sync::LazyLock::new(|| std::sync::Arc::new(tokio::sync::Semaphore::new(1)));

/// Debian's chromium and chromium-driver, installed when missing.
fn ensure_installed() -> anyhow::Result<()> {
    crate::apt_ensure(
        &[CHROMEDRIVER, CHROMIUM],
        &["chromium", "chromium-driver"],
        "the browser tests",
    )
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

impl Browser {
    pub async fn start() -> anyhow::Result<Browser> {
        let turn = TURNS.clone().acquire_owned().await?;
        ensure_installed()?;
        // Two TLS back ends are linked in; pick one for the (plain HTTP) driver connection.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let port = free_port()?;
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let mut last = None;
        // chromedriver takes a moment to listen; a Chromium that exited at
        // launch leaves its profile locked, so each try has a profile of its own.
        for attempt in 0..50 {
            let profile = std::env::temp_dir().join(format!(
                "sunshine-chromium-{}-{port}-{attempt}",
                std::process::id()
            ));
            let caps = serde_json::json!({
                "goog:chromeOptions": {
                    "binary": CHROMIUM,
                    "prefs": {"intl.accept_languages": "zh-CN,zh"},
                    "args": [
                        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        "--window-size=1280,1000", "--lang=zh-CN", format!("--user-data-dir={}", profile.display())
                    ]
                }
            });
            let caps = match caps {
                serde_json::Value::Object(m) => m,
                _ => unreachable!("a JSON object literal"),
            };
            match ClientBuilder::rustls()?
                .capabilities(caps)
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(client) => {
                    return Ok(Browser {
                        client,
                        driver,
                        profile,
                        _turn: turn,
                    })
                }
                Err(e) => {
                    let _ = std::fs::remove_dir_all(&profile);
                    last = Some(e)
                }
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        anyhow::bail!("chromedriver did not accept a session: {last:?}")
    }

    pub async fn goto(&self, url: &str) -> anyhow::Result<()> {
        Ok(self.client.goto(url).await?)
    }

    pub async fn fill(&self, css: &str, value: &str) -> anyhow::Result<()> {
        let e = self.client.find(Locator::Css(css)).await?;
        e.clear().await?;
        e.send_keys(value).await?;
        Ok(())
    }

    /// Set a field's value directly (for textareas with many lines and selects).
    pub async fn set(&self, css: &str, value: &str) -> anyhow::Result<()> {
        let e = self.client.find(Locator::Css(css)).await?;
        self.client
            .execute(
                "arguments[0].value = arguments[1];",
                vec![serde_json::to_value(&e)?, serde_json::Value::from(value)],
            )
            .await?;
        Ok(())
    }

    pub async fn click(&self, css: &str) -> anyhow::Result<()> {
        self.client.find(Locator::Css(css)).await?.click().await?;
        Ok(())
    }

    /// Wait (up to thirty seconds: the whole suite shares two cores) until an element is on the page.
    pub async fn wait_for(&self, css: &str) -> anyhow::Result<()> {
        self.client
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::Css(css))
            .await?;
        Ok(())
    }

    /// Wait until the element's text is `expected`, and say what it was if it never is.
    pub async fn wait_text(&self, css: &str, expected: &str) -> anyhow::Result<()> {
        let mut last = String::new();
        for _ in 0..150 {
            if let Ok(e) = self.client.find(Locator::Css(css)).await {
                last = e.text().await.unwrap_or_default();
                if last == expected {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        anyhow::bail!("{css} reads {last:?}, not {expected:?}")
    }

    pub async fn text(&self, css: &str) -> anyhow::Result<String> {
        Ok(self.client.find(Locator::Css(css)).await?.text().await?)
    }

    pub async fn page_text(&self) -> anyhow::Result<String> {
        self.text("body").await
    }

    /// The status of the page now shown (Chromium's navigation timing).
    pub async fn status(&self) -> anyhow::Result<u16> {
        let v = self
            .client
            .execute(
                "const e = performance.getEntriesByType('navigation')[0]; return e ? e.responseStatus : 0;",
                vec![],
            )
            .await?;
        Ok(v.as_u64().unwrap_or(0) as u16)
    }

    /// Fail unless the page now shown answered 2xx and speaks people's words
    /// (see `words`): no codes, raw timestamps or unit codes, and on an
    /// English page no platform text left in Chinese.
    pub async fn check_page(&self, english: bool) -> anyhow::Result<()> {
        let url = self.client.current_url().await?;
        let status = self.status().await?;
        if !(200..300).contains(&status) {
            anyhow::bail!("{url} answered {status}: {}", self.page_text().await?);
        }
        let shown: Vec<crate::words::Shown> = serde_json::from_value(
            self.client
                .execute(crate::words::SHOWN_SCRIPT, vec![])
                .await?,
        )?;
        let problems = crate::words::problems(&shown, english);
        if !problems.is_empty() {
            anyhow::bail!(
                "{url} shows the machine's words:\n  {}",
                problems.join("\n  ")
            );
        }
        Ok(())
    }

    pub async fn screenshot(&self, path: &Path) -> anyhow::Result<()> {
        let png = self.client.screenshot().await?;
        std::fs::write(path, png)?;
        Ok(())
    }

    pub async fn close(mut self) -> anyhow::Result<()> {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
        Ok(())
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}
