//! The two-level platform over NATS JetStream.
//!
//! Each flow between platforms is one stream, with a subject per district
//! whichever way the flow goes (`SUNSHINE_CASES` holds
//! `sunshine.cases.<district>`, the districts' cases going up;
//! `SUNSHINE_APPLICATIONS` holds `sunshine.applications.<district>`, the
//! city's applications going down). The files an application names travel
//! beside it, by hash, in the receiving district's own object store
//! (`SUNSHINE_MATERIALS_330106`), which no other district need be allowed
//! to read. A platform runs two kinds of task:
//!
//! - the **relay** reads its outbox (filled by the store's writer in each
//!   journal entry's own transaction), publishes each message with
//!   `Nats-Msg-Id` set to the entry's platform-qualified id and its ed25519
//!   signature in `Sunshine-Signature`, waits for JetStream to store it, and
//!   only then marks it published. A crash between the two publishes it
//!   again; JetStream drops the copy inside its duplicate window and the
//!   receiver's inbox after it.
//! - a **receiver** per flow the platform receives pulls from a durable
//!   consumer, hands each batch to [`App::receive`] (which applies it in one
//!   transaction with the inbox), and acknowledges a message only after that
//!   transaction is durable. A message that must wait (an earlier one is
//!   missing, or its sender is not yet trusted) is delivered again later.
//!
//! Streams keep messages until the receiver acknowledges them (work-queue
//! retention): a receiver offline for a day finds its backlog waiting, and a
//! sender that publishes before its receiver ever ran loses nothing. When
//! the engine is down the relay's outbox holds and drains after.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, consumer, object_store, stream, AckKind};
use async_nats::HeaderMap;
use futures_util::StreamExt;
use sunshine_app::exchange::{Incoming, Signed, Verdict};
use sunshine_app::App;
use sunshine_domain::exchange::{Flow, Platform};
use tokio::io::AsyncReadExt;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The header that carries a message's signature (hex).
pub const SIGNATURE: &str = "Sunshine-Signature";

/// How many messages the relay publishes, and a receiver applies, at a time.
const BATCH: usize = 512;
/// How often an idle relay looks at its outbox.
const IDLE_POLL: Duration = Duration::from_millis(20);
/// How long a message that must wait is left before it is delivered again.
const REDELIVER_AFTER: Duration = Duration::from_secs(2);
/// How long to wait before trying again after the engine or the store failed.
const BACKOFF: Duration = Duration::from_millis(500);
/// The object stores the files of applications travel in, by their
/// SHA-256: this and the receiving district's code.
const MATERIALS: &str = "SUNSHINE_MATERIALS_";
/// How long a file waits there for its receiver: the receiver keeps its
/// own copy, so this only bounds how long a platform may be offline and
/// still receive the files of what was sent meanwhile.
const MATERIALS_KEPT: Duration = Duration::from_secs(90 * 24 * 3600);

/// The running exchange of one platform.
pub struct Exchange {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Exchange {
    /// Stop after the batches under way.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

/// Start the relay, and a receiver for each flow `app`'s platform receives,
/// against the NATS server at `nats_url`. The engine need not be up: the
/// tasks connect when it is, and the outbox holds until then.
/// `replicas` is how many of the cluster's servers keep each stream (1 for
/// one server, 3 for the three-node cluster of `docs/DEPLOYMENT.md`).
pub async fn start(app: Arc<App>, nats_url: &str, replicas: usize) -> anyhow::Result<Exchange> {
    let platform = app
        .platform()
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("the exchange needs a platform (--platform)"))?;
    // Make the key now, so that its creation is not in the relay's way.
    app.exchange_key()
        .await
        .map_err(|e| anyhow::anyhow!("the platform's key: {e}"))?;
    // The engine's client does not take a user and password from the URL
    // by itself: a URL that carries them signs in with them.
    let address: async_nats::ServerAddr = nats_url
        .parse()
        .map_err(|e| anyhow::anyhow!("the NATS URL {nats_url:?}: {e}"))?;
    let mut options = async_nats::ConnectOptions::new();
    if let (Some(user), Some(password)) = (address.username(), address.password()) {
        options = options.user_and_password(user.to_string(), password.to_string());
    }
    let client = options
        .name(format!("sunshine {platform}"))
        .retry_on_initial_connect()
        .connection_timeout(Duration::from_secs(5))
        .connect(nats_url)
        .await?;
    let js = Engine {
        js: jetstream::new(client),
        replicas,
        provides: platform == Platform::City,
    };
    let (stop, stopped) = watch::channel(false);
    let mut tasks = vec![tokio::spawn(relay(
        app.clone(),
        js.clone(),
        stopped.clone(),
    ))];
    for flow in Flow::ALL {
        if flow.received_by(&platform) {
            tasks.push(tokio::spawn(receive(
                app.clone(),
                js.clone(),
                platform.clone(),
                flow,
                stopped.clone(),
            )));
        }
    }
    Ok(Exchange { stop, tasks })
}

/// The engine, how many servers keep each stream, and whether this
/// platform makes the streams and the districts' file stores (the city's
/// does; a district's only finds them, so that its user in the engine
/// needs no right to make or change them).
#[derive(Clone)]
struct Engine {
    js: jetstream::Context,
    replicas: usize,
    provides: bool,
}

/// The stream of `flow`: made by the city if it is not there yet, found by a district.
async fn stream_of(e: &Engine, flow: Flow) -> anyhow::Result<stream::Stream> {
    if !e.provides {
        return e.js.get_stream(flow.stream()).await.map_err(|err| {
            anyhow::anyhow!(
                "{err} (the city's platform makes the stream {})",
                flow.stream()
            )
        });
    }
    Ok(e.js
        .get_or_create_stream(stream::Config {
            num_replicas: e.replicas.max(1),
            name: flow.stream().to_string(),
            subjects: vec![flow.subjects()],
            storage: stream::StorageType::File,
            retention: stream::RetentionPolicy::WorkQueue,
            duplicate_window: Duration::from_secs(120),
            ..Default::default()
        })
        .await?)
}

/// The object store of the files of applications to `district`, created
/// if it is not there yet.
async fn materials_of(e: &Engine, district: &str) -> anyhow::Result<object_store::ObjectStore> {
    let bucket = format!("{MATERIALS}{district}");
    match e.js.get_object_store(&bucket).await {
        Ok(store) => return Ok(store),
        Err(err) if !e.provides => {
            anyhow::bail!("{err} (the city's platform makes the file store {bucket})")
        }
        Err(_) => {}
    }
    Ok(e.js
        .create_object_store(object_store::Config {
            bucket,
            description: Some("The files of applications handed between platforms".into()),
            max_age: MATERIALS_KEPT,
            storage: stream::StorageType::File,
            num_replicas: e.replicas.max(1),
            ..Default::default()
        })
        .await?)
}

/// Put in the object store the files `batch` names that it lacks, before
/// the messages that name them are published.
async fn carry_files(app: &App, e: &Engine, batch: &[Signed]) -> anyhow::Result<()> {
    let mut buckets = std::collections::HashMap::new();
    for m in batch {
        if m.flow != Flow::Applications.as_str() {
            continue;
        }
        let files = app
            .files_to_carry(m)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let Some(district) = m.peer.strip_prefix("district:") else {
            anyhow::bail!("an application to {} is not to a district", m.peer);
        };
        for (sha256, bytes) in files {
            if !buckets.contains_key(district) {
                buckets.insert(district.to_string(), materials_of(e, district).await?);
            }
            let Some(store) = buckets.get(district) else {
                continue;
            };
            if store.info(&sha256).await.is_err() {
                store.put(sha256.as_str(), &mut bytes.as_slice()).await?;
            }
        }
    }
    Ok(())
}

/// Bring from the object store the files a delivered message names that the
/// store lacks. One that is not there (yet) is left out: the message then
/// waits, and comes again.
async fn bring_files(app: &App, e: &Engine, district: &str, m: &mut Incoming) {
    let wanted = match app.files_wanted(m).await {
        Ok(w) => w,
        Err(err) => {
            tracing::warn!(error = %err, "the exchange cannot tell which files a message needs");
            return;
        }
    };
    if wanted.is_empty() {
        return;
    }
    let store = match materials_of(e, district).await {
        Ok(s) => s,
        Err(err) => {
            tracing::warn!(error = %err, "the exchange cannot reach the files' store");
            return;
        }
    };
    for sha256 in wanted {
        let mut bytes = Vec::new();
        let got = match store.get(&sha256).await {
            Ok(mut object) => object
                .read_to_end(&mut bytes)
                .await
                .map(|_| ())
                .map_err(anyhow::Error::from),
            Err(err) => Err(err.into()),
        };
        match got {
            Ok(()) => m.files.push(bytes),
            Err(err) => {
                tracing::warn!(error = %err, file = %sha256, "a file of a message is not there yet")
            }
        }
    }
}

/// Make every flow's stream (a district's file store is made when the
/// first file for it is carried, before the message that names it).
async fn provide(e: &Engine) -> anyhow::Result<()> {
    for flow in Flow::ALL {
        stream_of(e, flow).await?;
    }
    Ok(())
}

/// Sleep `d`, or less if the exchange is stopping; whether it is.
async fn pause(stopped: &mut watch::Receiver<bool>, d: Duration) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(d) => {}
        _ = stopped.changed() => {}
    }
    *stopped.borrow()
}

/// Publish the outbox, in order, as long as the exchange runs.
async fn relay(app: Arc<App>, js: Engine, mut stopped: watch::Receiver<bool>) {
    let mut streams_ready = false;
    loop {
        if *stopped.borrow() {
            return;
        }
        // The city makes every stream as soon as the engine is there, so
        // that a district finds them whichever of the two starts first.
        if js.provides && !streams_ready {
            if let Err(e) = provide(&js).await {
                tracing::warn!(error = %e, "the exchange cannot make its streams");
                if pause(&mut stopped, BACKOFF).await {
                    return;
                }
                continue;
            }
            streams_ready = true;
        }
        let batch = match app.outgoing(BATCH as i64).await {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, "the exchange cannot read its outbox");
                if pause(&mut stopped, BACKOFF).await {
                    return;
                }
                continue;
            }
        };
        if batch.is_empty() {
            if pause(&mut stopped, IDLE_POLL).await {
                return;
            }
            continue;
        }
        if !streams_ready {
            let mut ready = true;
            for flow in Flow::ALL {
                if !batch.iter().any(|m| m.flow == flow.as_str()) {
                    continue;
                }
                if let Err(e) = stream_of(&js, flow).await {
                    tracing::warn!(error = %e, flow = flow.as_str(), "the exchange cannot reach its stream");
                    ready = false;
                }
            }
            if !ready {
                if pause(&mut stopped, BACKOFF).await {
                    return;
                }
                continue;
            }
            streams_ready = true;
        }
        if let Err(e) = carry_files(&app, &js, &batch).await {
            tracing::warn!(error = %e, "the exchange cannot put an application's files in the engine");
            if pause(&mut stopped, BACKOFF).await {
                return;
            }
            continue;
        }
        let (done, failed) = publish(&js.js, &batch).await;
        if !done.is_empty() {
            // Until this is stored the messages stay waiting and go again,
            // which the engine's and the receiver's de-duplication absorb.
            while let Err(e) = app.published(&done).await {
                tracing::warn!(error = %e, "the exchange cannot mark its messages published");
                if pause(&mut stopped, BACKOFF).await {
                    return;
                }
            }
        }
        if failed && pause(&mut stopped, BACKOFF).await {
            return;
        }
    }
}

/// Publish `batch` in order, pipelined; the ones JetStream stored, and
/// whether any was not.
async fn publish(js: &jetstream::Context, batch: &[Signed]) -> (Vec<Signed>, bool) {
    let mut pending = Vec::with_capacity(batch.len());
    let mut failed = false;
    for m in batch {
        let mut headers = HeaderMap::new();
        headers.insert("Nats-Msg-Id", m.msg_id.as_str());
        headers.insert(SIGNATURE, m.signature.as_str());
        match js
            .publish_with_headers(m.subject.clone(), headers, m.body.clone().into())
            .await
        {
            Ok(ack) => pending.push((m, ack)),
            Err(e) => {
                tracing::warn!(error = %e, "the exchange cannot publish");
                failed = true;
                break;
            }
        }
    }
    let mut done = Vec::with_capacity(pending.len());
    for (m, ack) in pending {
        match ack.await {
            Ok(_) => done.push(m.clone()),
            Err(e) => {
                if !failed {
                    tracing::warn!(error = %e, "JetStream did not store a message");
                }
                failed = true;
            }
        }
    }
    (done, failed)
}

/// The durable consumer's name for `platform` receiving `flow`.
fn consumer_name(platform: &Platform, flow: Flow) -> String {
    let who = match platform {
        Platform::City => "city".to_string(),
        Platform::District(code) => code.clone(),
    };
    format!("{who}-{}", flow.as_str())
}

/// Apply `flow`'s messages as they arrive, as long as the exchange runs.
async fn receive(
    app: Arc<App>,
    js: Engine,
    platform: Platform,
    flow: Flow,
    mut stopped: watch::Receiver<bool>,
) {
    let name = consumer_name(&platform, flow);
    'connect: loop {
        if *stopped.borrow() {
            return;
        }
        // A district takes only its own subject of a flow coming down.
        let filter_subject = platform
            .district()
            .map(|d| flow.subject(d))
            .unwrap_or_default();
        let consumer: consumer::PullConsumer = match stream_of(&js, flow).await {
            Ok(s) => match s
                .get_or_create_consumer(
                    &name,
                    consumer::pull::Config {
                        durable_name: Some(name.clone()),
                        filter_subject: filter_subject.clone(),
                        ack_policy: consumer::AckPolicy::Explicit,
                        ack_wait: Duration::from_secs(30),
                        deliver_policy: consumer::DeliverPolicy::All,
                        max_ack_pending: 8192,
                        ..Default::default()
                    },
                )
                .await
            {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, consumer = %name, "the exchange cannot open its consumer");
                    if pause(&mut stopped, BACKOFF).await {
                        return;
                    }
                    continue 'connect;
                }
            },
            Err(e) => {
                tracing::warn!(error = %e, flow = flow.as_str(), "the exchange cannot reach its stream");
                if pause(&mut stopped, BACKOFF).await {
                    return;
                }
                continue 'connect;
            }
        };
        loop {
            if *stopped.borrow() {
                return;
            }
            let mut fetched = match consumer
                .fetch()
                .max_messages(BATCH)
                .expires(Duration::from_millis(500))
                .messages()
                .await
            {
                Ok(f) => f,
                Err(e) => {
                    tracing::warn!(error = %e, consumer = %name, "the exchange cannot fetch");
                    if pause(&mut stopped, BACKOFF).await {
                        return;
                    }
                    continue 'connect;
                }
            };
            let mut messages = Vec::new();
            while let Some(m) = fetched.next().await {
                match m {
                    Ok(m) => messages.push(m),
                    Err(e) => {
                        tracing::debug!(error = %e, "a fetch ended early");
                        break;
                    }
                }
            }
            if messages.is_empty() {
                continue;
            }
            let mut batch: Vec<Incoming> = messages.iter().map(incoming).collect();
            if let Some(district) = platform.district() {
                for m in &mut batch {
                    bring_files(&app, &js, district, m).await;
                }
            }
            match app.receive(batch).await {
                Ok(verdicts) => {
                    for (m, v) in messages.iter().zip(verdicts) {
                        let kind = match v {
                            Verdict::Done => AckKind::Ack,
                            Verdict::Later => AckKind::Nak(Some(REDELIVER_AFTER)),
                        };
                        // A lost acknowledgement only brings the message
                        // again, and the inbox knows it.
                        if let Err(e) = m.ack_with(kind).await {
                            tracing::debug!(error = %e, "an acknowledgement was not sent");
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "the exchange could not apply a batch; it comes again");
                    for m in &messages {
                        let _ = m.ack_with(AckKind::Nak(Some(BACKOFF))).await;
                    }
                    if pause(&mut stopped, BACKOFF).await {
                        return;
                    }
                }
            }
        }
    }
}

/// A delivered message as the app takes it.
fn incoming(m: &jetstream::Message) -> Incoming {
    let header = |name: &str| {
        m.headers
            .as_ref()
            .and_then(|h| h.get(name))
            .map(|v| v.as_str().to_string())
            .unwrap_or_default()
    };
    Incoming {
        subject: m.subject.to_string(),
        msg_id: header("Nats-Msg-Id"),
        // A body that is not UTF-8 is refused as malformed, never mended.
        body: std::str::from_utf8(&m.payload)
            .map(str::to_string)
            .unwrap_or_default(),
        signature: header(SIGNATURE),
        files: vec![],
    }
}
