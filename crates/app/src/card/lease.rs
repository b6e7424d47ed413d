//! Who runs the card engine. Alone, a process starts it on first use. When
//! several processes serve one PostgreSQL store, each is a node with a name
//! and an address; the node that holds the lease (`card_lease`) runs the
//! engine and renews the lease every half second for three, and the others
//! answer card requests 503 with where the holder serves. When the holder
//! stops renewing (it was killed), another takes the lease once it expires,
//! opens the books from the store — every acknowledged transfer is there —
//! and serves. A batch is stored only while the lease still names the
//! engine's node and term, so an engine that lost its lease cannot write
//! once another has begun.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sunshine_domain::refusal::{Refusal, RefusalKind, Text};
use sunshine_store::card::{Fence, Lease};

use super::city_rules;
use super::engine::{Engine, SnapshotPolicy};
use crate::{App, Result};

/// How long a lease lasts unless renewed.
pub const LEASE_FOR: Duration = Duration::from_secs(3);
/// How often the holder renews it, and the others look whether it is free.
pub const LEASE_EVERY: Duration = Duration::from_millis(500);

/// A node of several serving one store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Unique among the nodes; a node restarting under its name takes its
    /// lease back at once.
    pub name: String,
    /// Where it serves, for the others to point clients to.
    pub address: String,
}

/// This process's card engine, and how it comes to run one.
#[derive(Default)]
pub struct CardSlot {
    /// Read on every card request, so a plain lock held for a clone.
    engine: std::sync::RwLock<Option<Engine>>,
    /// Held while a lone process starts its engine, so it starts once.
    starting: tokio::sync::Mutex<()>,
    /// Set when the engine runs by lease.
    node: std::sync::OnceLock<Node>,
    /// The lease's term this process holds, if it does.
    term: std::sync::Mutex<Option<i64>>,
    policy: std::sync::OnceLock<SnapshotPolicy>,
    /// Told when this node's engine opens.
    opened: tokio::sync::Notify,
    /// Set at shutdown: the lease is not taken again.
    stopping: std::sync::atomic::AtomicBool,
}

impl CardSlot {
    fn running(&self) -> Option<Engine> {
        self.engine
            .read()
            .expect("the engine's lock is never poisoned")
            .clone()
    }

    /// Put `engine` in the slot (or empty it): what was there.
    fn set(&self, engine: Option<Engine>) -> Option<Engine> {
        std::mem::replace(
            &mut *self
                .engine
                .write()
                .expect("the engine's lock is never poisoned"),
            engine,
        )
    }
}

/// A card request where another node runs the engine (or none does yet).
fn elsewhere(lease: &Lease, mine: &Node) -> Refusal {
    let free = lease.node.is_empty() || lease.node == mine.name;
    let mut r = if free {
        Refusal::new(
            RefusalKind::Busy,
            "card_engine_starting",
            Text::new(
                "市民卡账务正在启动，请稍后重试",
                "The card centre's books are opening; try again shortly",
            ),
        )
    } else {
        Refusal::new(
            RefusalKind::Busy,
            "card_engine_elsewhere",
            Text::new(
                format!(
                    "市民卡业务由 {} 办理，请稍后重试或前往该地址",
                    lease.address
                ),
                format!(
                    "The card centre is served at {}; try again shortly or go there",
                    lease.address
                ),
            ),
        )
    };
    if !free {
        r.fields.insert(
            "leader".into(),
            Text::new(lease.address.clone(), lease.address.clone()),
        );
    }
    r
}

fn micros_now() -> i64 {
    jiff::Timestamp::now().as_microsecond()
}

impl App {
    /// The card engine: this process's, started on first use when it runs
    /// alone; when nodes share it by lease, the engine if this node holds
    /// the lease, or a 503 saying where the holder serves.
    pub async fn card_engine(&self) -> Result<Engine> {
        let Some(node) = self.card.node.get() else {
            if let Some(e) = self.card.running() {
                return Ok(e);
            }
            let _once = self.card.starting.lock().await;
            if let Some(e) = self.card.running() {
                return Ok(e);
            }
            let e = Engine::start(
                self.db.clone(),
                self.clock.clone(),
                city_rules(),
                self.card_policy(),
                None,
            )
            .await?;
            self.card.set(Some(e.clone()));
            return Ok(e);
        };
        let opened = self.card.opened.notified();
        if let Some(e) = self.card.running() {
            return Ok(e);
        }
        let lease = {
            let mut conn = self.db.read().await?;
            sunshine_store::card::lease(&mut conn).await?
        };
        if lease.node != node.name && lease.expires_at > micros_now() {
            return Err(elsewhere(&lease, node).into());
        }
        // This node is taking the lease (or it is free): wait for the books.
        let _ = tokio::time::timeout(2 * LEASE_FOR, opened).await;
        match self.card.running() {
            Some(e) => Ok(e),
            None => Err(elsewhere(&lease, node).into()),
        }
    }

    fn card_policy(&self) -> SnapshotPolicy {
        self.card.policy.get().copied().unwrap_or_default()
    }

    /// How often the card engine snapshots its books; set before it starts.
    pub fn set_card_snapshots(&self, policy: SnapshotPolicy) -> Result<()> {
        self.card
            .policy
            .set(policy)
            .map_err(|_| anyhow::anyhow!("the card snapshot policy is set once").into())
    }

    /// Run the card engine by lease, as `node` of several serving one
    /// store; set before the workers start. An engine started alone before
    /// (loading the demo) stops: from now on only the lease starts one.
    pub async fn set_card_node(&self, node: Node) -> Result<()> {
        self.card
            .node
            .set(node)
            .map_err(|_| anyhow::anyhow!("the card node is set once"))?;
        if let Some(alone) = self.card.set(None) {
            alone.snapshot().await?;
        }
        Ok(())
    }

    /// Take, renew and give up the card engine's lease, until the store is
    /// closed. Without a node set, start the engine at once instead.
    pub(crate) async fn hold_card_lease(self: Arc<Self>) {
        let Some(node) = self.card.node.get().cloned() else {
            // The card engine replays its ledger now rather than at the first card request.
            let opened = self.card_engine().await.map(|_| ());
            self.report("the citizen card's books could not be opened", opened);
            return;
        };
        let mut tick = tokio::time::interval(LEASE_EVERY);
        let mut renewed = Instant::now();
        loop {
            tick.tick().await;
            if self.db.is_closed() || self.card.stopping.load(std::sync::atomic::Ordering::SeqCst) {
                return;
            }
            let held = *self
                .card
                .term
                .lock()
                .expect("the term's lock is never poisoned");
            match held {
                None => self.try_to_lead(&node).await,
                Some(term) => {
                    let (name, until) = (
                        node.name.clone(),
                        micros_now() + LEASE_FOR.as_micros() as i64,
                    );
                    let kept = self
                        .db
                        .write(async move |tx| {
                            sunshine_store::card::renew_lease(tx, &name, term, until).await
                        })
                        .await;
                    match kept {
                        Ok(true) => renewed = Instant::now(),
                        Ok(false) => self.step_down(term, "another node holds the lease").await,
                        Err(e) if renewed.elapsed() >= LEASE_FOR => {
                            self.step_down(term, &format!("the lease could not be renewed: {e}"))
                                .await
                        }
                        Err(e) => tracing::warn!(error = %e, "the card lease could not be renewed"),
                    }
                }
            }
        }
    }

    /// Take the lease if it is free, and start the engine under it.
    async fn try_to_lead(&self, node: &Node) {
        let (name, address) = (node.name.clone(), node.address.clone());
        let now = micros_now();
        let until = now + LEASE_FOR.as_micros() as i64;
        let taken = self
            .db
            .write(async move |tx| {
                sunshine_store::card::take_lease(tx, &name, &address, now, until).await
            })
            .await;
        let term = match taken {
            Ok(Some(term)) => term,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "the card lease could not be asked for");
                return;
            }
        };
        let fence = Fence {
            node: node.name.clone(),
            term,
        };
        let started = Instant::now();
        match Engine::start(
            self.db.clone(),
            self.clock.clone(),
            city_rules(),
            self.card_policy(),
            Some(fence),
        )
        .await
        {
            Ok(engine) => {
                self.card.set(Some(engine));
                *self
                    .card
                    .term
                    .lock()
                    .expect("the term's lock is never poisoned") = Some(term);
                self.card.opened.notify_waiters();
                tracing::info!(node = %node.name, term, opened_in = ?started.elapsed(), "this node runs the card engine");
            }
            Err(e) => {
                tracing::error!(error = %e, "the card books could not be opened under the lease")
            }
        }
    }

    async fn step_down(&self, term: i64, why: &str) {
        self.card.set(None);
        *self
            .card
            .term
            .lock()
            .expect("the term's lock is never poisoned") = None;
        tracing::warn!(term, "this node no longer runs the card engine: {why}");
    }

    /// At shutdown: snapshot the card books if this process runs the
    /// engine, so the next start replays nothing, and give the lease up so
    /// another node takes it at once.
    pub async fn stop_card_engine(&self) -> Result<()> {
        self.card
            .stopping
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let engine = self.card.set(None);
        if let Some(engine) = engine {
            engine.snapshot().await?;
        }
        let held = self
            .card
            .term
            .lock()
            .expect("the term's lock is never poisoned")
            .take();
        if let (Some(term), Some(node)) = (held, self.card.node.get()) {
            let name = node.name.clone();
            self.db
                .write(async move |tx| sunshine_store::card::release_lease(tx, &name, term).await)
                .await?;
        }
        Ok(())
    }
}
