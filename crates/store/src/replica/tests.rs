use super::*;
use crate::{Db, StoreError};
use std::sync::Mutex as StdMutex;

/// A base, the segments after it (page size, frames), and whether it was sealed.
type Generation = (Vec<u8>, Vec<(u32, Vec<u8>)>, bool);

/// Generations kept in memory: each base and the segments after it.
#[derive(Default)]
struct Kept {
    generations: Vec<Generation>,
    /// The highest log cycle seen within a generation.
    cycles: u64,
}

struct MemorySink(Arc<StdMutex<Kept>>);

impl Sink for MemorySink {
    fn begin(&mut self, _page_size: u32) -> Result<(), String> {
        self.0
            .lock()
            .unwrap()
            .generations
            .push((vec![], vec![], false));
        Ok(())
    }
    fn base_bytes(&mut self, chunk: &[u8]) -> Result<(), String> {
        let mut k = self.0.lock().unwrap();
        k.generations.last_mut().unwrap().0.extend_from_slice(chunk);
        Ok(())
    }
    fn sealed(&mut self, _facts: BaseFacts) -> Result<(), String> {
        self.0.lock().unwrap().generations.last_mut().unwrap().2 = true;
        Ok(())
    }
    fn abandon(&mut self, _why: &str) {
        self.0.lock().unwrap().generations.pop();
    }
    fn frames(&mut self, s: Segment<'_>) -> Result<(), String> {
        let mut k = self.0.lock().unwrap();
        k.cycles = k.cycles.max(s.cycle);
        k.generations
            .last_mut()
            .unwrap()
            .1
            .push((s.page_size, s.frames.to_vec()));
        Ok(())
    }
}

fn rows(path: &Path) -> Vec<(i64, String)> {
    let c = rusqlite::Connection::open(path).unwrap();
    let mut s = c.prepare("SELECT id, v FROM t ORDER BY id").unwrap();
    s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

/// Writes, checkpoints (every 20 ms) and new generations interleaved at
/// random: every generation's base with its segments restores to exactly
/// the rows the live store has when it closes (for the last), and each
/// restore passes SQLite's integrity check.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_generation_restores_what_was_written() {
    let _ = tracing_subscriber::fmt().with_env_filter("warn").try_init();
    let dir = std::env::temp_dir().join(format!("replica-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let db = Db::open_sqlite_replicated(&dir).await.unwrap();
    db.migrate().await.unwrap();
    sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
        .execute(db.pool())
        .await
        .unwrap();
    let kept = Arc::new(StdMutex::new(Kept::default()));
    db.start_replica(
        Box::new(MemorySink(kept.clone())),
        Schedule {
            ship_every: Duration::from_millis(5),
            checkpoint_every: Duration::from_millis(20),
            base_every: Duration::from_secs(3600),
        },
    )
    .unwrap();
    let mut handles = vec![];
    for w in 0..4i64 {
        let db = db.clone();
        handles.push(tokio::spawn(async move {
            for i in 0..300i64 {
                let id = w * 100_000 + i;
                // Rows of a few pages, so the log grows and restarts.
                let v = format!("{id}-{}", "x".repeat((id % 7 * 900) as usize));
                db.write(async move |tx| {
                    sqlx::query("INSERT INTO t (id, v) VALUES ($1, $2)")
                        .bind(id)
                        .bind(v)
                        .execute(tx.conn())
                        .await
                        .map_err(StoreError::from)?;
                    if id % 5 == 0 {
                        sqlx::query("DELETE FROM t WHERE id = $1")
                            .bind(id - 3)
                            .execute(tx.conn())
                            .await
                            .map_err(StoreError::from)?;
                    }
                    Ok::<_, StoreError>(())
                })
                .await
                .unwrap();
            }
        }));
    }
    for k in 0..3 {
        tokio::time::sleep(Duration::from_millis(150 + k * 100)).await;
        db.replica_new_generation();
    }
    for h in handles {
        h.await.unwrap();
    }
    db.close().await;
    let live = rows(&dir.join("sunshine.db"));
    assert!(live.len() > 900, "{} rows", live.len());
    let kept = kept.lock().unwrap();
    assert!(kept.generations.len() >= 2, "new generations started");
    assert!(kept.cycles >= 1, "the log restarted within a generation");
    for (n, (base, segments, sealed)) in kept.generations.iter().enumerate() {
        assert!(sealed, "generation {n} was sealed");
        let path = dir.join(format!("restored-{n}.db"));
        std::fs::write(&path, base).unwrap();
        let mut f = File::options().write(true).open(&path).unwrap();
        for (page_size, frames) in segments {
            apply_frames(&mut f, *page_size, frames).unwrap();
        }
        drop(f);
        assert_eq!(integrity_check(&path).unwrap(), None, "generation {n}");
        if n + 1 == kept.generations.len() {
            assert_eq!(
                rows(&path),
                live,
                "the last generation restores the live rows"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
