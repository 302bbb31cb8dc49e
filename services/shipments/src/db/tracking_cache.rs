//! The public tracking cache (SPEC §9): hot tracking numbers are polled again and again, so each
//! replica keeps the encoded answer and its ETag in memory (size-bounded, `moka`) and forgets a
//! number as soon as its shipment changes. Changes are announced by PostgreSQL itself — a
//! statement trigger on `shipments` (migration `tracking_notify`) notifies `shipments_tracking`
//! with the changed numbers at commit — and every replica listens on its own connection, so an
//! accepted scan is visible everywhere within one poll of the listener once it is acknowledged.
//!
//! Never stale by construction: while the listener is not connected (start-up, a lost database
//! connection) nothing is served from or stored in the cache, and it is emptied before it is used
//! again; an answer loaded while its number was being invalidated is not stored (a generation
//! per shard of numbers, taken before the load and checked before the insert).

use diesel::{Connection, PgConnection, RunQueryDsl};
use moka::sync::Cache;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;

use kuaidi_shared::events::Shutdown;
use kuaidi_shared::http::Encoded;

/// The channel the trigger notifies.
pub const CHANNEL: &str = "shipments_tracking";
/// Encoded bytes the cache may hold.
const MAX_BYTES: u64 = 32 * 1024 * 1024;
/// A backstop only: entries are forgotten on notification long before this.
const TIME_TO_LIVE: Duration = Duration::from_secs(300);
/// How often the listener reads its connection; the bound on staleness after a commit.
pub const POLL_EVERY: Duration = Duration::from_millis(10);
/// How often an idle listener checks that its connection is alive.
const PING_EVERY: Duration = Duration::from_secs(5);
const SHARDS: usize = 1024;

/// A cached public answer: what is served as it is (`answer`: the encoded body and its `ETag`
/// header) and what the `phone_last4` variant needs (`body`, `sealed_recipient`, `etag`).
pub struct Entry<T> {
    pub body: Arc<T>,
    pub sealed_recipient: Arc<Vec<u8>>,
    pub answer: Encoded,
    /// The entity tag, unquoted.
    pub etag: String,
}

/// Taken before loading a number from the database; [`TrackingCache::insert`] stores the answer
/// only if the number was not invalidated meanwhile.
#[derive(Debug, Clone, Copy)]
pub struct Ticket {
    shard: usize,
    generation: u64,
}

/// One replica's cache of public answers, `T` being the answer type.
pub struct TrackingCache<T> {
    entries: Cache<String, Arc<Entry<T>>>,
    generations: Box<[AtomicU64]>,
    hasher: RandomState,
    listening: AtomicBool,
}

impl<T: Send + Sync + 'static> Default for TrackingCache<T> {
    fn default() -> Self {
        Self {
            entries: Cache::builder()
                .max_capacity(MAX_BYTES)
                .weigher(|k: &String, e: &Arc<Entry<T>>| {
                    u32::try_from(k.len() + e.answer.json().len() + e.sealed_recipient.len() + 256)
                        .unwrap_or(u32::MAX)
                })
                .time_to_live(TIME_TO_LIVE)
                .build(),
            generations: (0..SHARDS).map(|_| AtomicU64::new(0)).collect(),
            hasher: RandomState::new(),
            listening: AtomicBool::new(false),
        }
    }
}

impl<T: Send + Sync + 'static> TrackingCache<T> {
    fn shard(&self, tn: &str) -> usize {
        (self.hasher.hash_one(tn) as usize) % SHARDS
    }

    /// The cached answer, if the cache is in use and holds one.
    pub fn get(&self, tn: &str) -> Option<Arc<Entry<T>>> {
        if !self.listening.load(Ordering::Acquire) {
            return None;
        }
        self.entries.get(tn)
    }

    /// Call before loading `tn` from the database.
    pub fn ticket(&self, tn: &str) -> Ticket {
        let shard = self.shard(tn);
        Ticket {
            shard,
            generation: self.generations[shard].load(Ordering::Acquire),
        }
    }

    /// Stores an answer loaded after `ticket` was taken, unless it may already be stale.
    pub fn insert(&self, tn: String, ticket: Ticket, entry: Arc<Entry<T>>) {
        if !self.listening.load(Ordering::Acquire)
            || self.generations[ticket.shard].load(Ordering::Acquire) != ticket.generation
        {
            return;
        }
        self.entries.insert(tn.clone(), entry);
        // An invalidation that raced with the insert wins.
        if self.generations[ticket.shard].load(Ordering::Acquire) != ticket.generation {
            self.entries.invalidate(&tn);
        }
    }

    /// Forgets `tn` (its shipment changed).
    pub fn invalidate(&self, tn: &str) {
        self.generations[self.shard(tn)].fetch_add(1, Ordering::AcqRel);
        self.entries.invalidate(tn);
    }

    /// Stops serving from the cache (the listener lost its connection).
    fn suspend(&self) {
        self.listening.store(false, Ordering::Release);
        for g in self.generations.iter() {
            g.fetch_add(1, Ordering::AcqRel);
        }
        self.entries.invalidate_all();
    }

    /// Empties the cache and serves from it again (the listener is connected).
    fn resume(&self) {
        self.suspend();
        self.listening.store(true, Ordering::Release);
    }

    /// Whether answers are served from memory (the listener is connected).
    pub fn in_use(&self) -> bool {
        self.listening.load(Ordering::Acquire)
    }
}

/// Listens for changed tracking numbers until shutdown, reconnecting when the connection drops;
/// the cache is in use only while connected.
pub fn spawn_listener<T: Send + Sync + 'static>(
    database_url: String,
    cache: Arc<TrackingCache<T>>,
    mut shutdown: Shutdown,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let stop = Arc::new(AtomicBool::new(false));
        // A thread of its own, not `spawn_blocking`: a runtime dropped without a graceful stop
        // (a test ending) must not wait for it.
        let worker = std::thread::spawn({
            let stop = stop.clone();
            move || {
                while !stop.load(Ordering::Relaxed) {
                    if let Err(e) = listen(&database_url, &cache, &stop) {
                        tracing::warn!(error = %e, "tracking cache listener lost its connection; cache off until it reconnects");
                    }
                    cache.suspend();
                    std::thread::sleep(Duration::from_millis(500));
                }
            }
        });
        while !*shutdown.borrow() {
            if shutdown.changed().await.is_err() {
                break;
            }
        }
        stop.store(true, Ordering::Relaxed);
        let _ = tokio::task::spawn_blocking(move || worker.join()).await;
    })
}

/// One connection's life: `LISTEN`, then forget every notified number until `stop` or an error.
fn listen<T: Send + Sync + 'static>(
    url: &str,
    cache: &TrackingCache<T>,
    stop: &AtomicBool,
) -> anyhow::Result<()> {
    let mut conn = PgConnection::establish(url)?;
    diesel::sql_query(format!("LISTEN {CHANNEL}")).execute(&mut conn)?;
    cache.resume();
    let mut idle = Duration::ZERO;
    while !stop.load(Ordering::Relaxed) {
        let mut any = false;
        for n in conn.notifications_iter() {
            any = true;
            for tn in n?.payload.split(',') {
                cache.invalidate(tn);
            }
        }
        if any {
            idle = Duration::ZERO;
            continue;
        }
        std::thread::sleep(POLL_EVERY);
        idle += POLL_EVERY;
        if idle >= PING_EVERY {
            diesel::sql_query("SELECT 1").execute(&mut conn)?;
            idle = Duration::ZERO;
        }
    }
    Ok(())
}
