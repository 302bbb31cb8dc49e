//! The tracking caches (SPEC §9): hot tracking numbers are polled again and again, so each
//! replica keeps what it answers for them in memory (size-bounded, `moka`) — the public answer,
//! and the shipment an authenticated `GET /shipments/{tracking_number}` shows — and forgets a
//! number as soon as its shipment changes. Changes are announced by PostgreSQL itself — a
//! statement trigger on `shipments` (migration `tracking_notify`) notifies `shipments_tracking`
//! with the changed numbers at commit — and every replica listens on its own connection, so an
//! accepted scan is visible everywhere within one poll of the listener once it is acknowledged.
//! The replica that made a change does not wait for that: each of its writers forgets the numbers
//! it may have changed itself ([`Caches::forget`]), once its transaction has ended and before it
//! answers, so a read after an acknowledged write never shows what was there before.
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
/// Bytes a cache may hold unless told otherwise.
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

/// What an entry weighs against its cache's byte bound (about what it holds).
pub trait Weigh {
    fn weight(&self) -> usize;
}

impl<T> Weigh for Entry<T> {
    fn weight(&self) -> usize {
        self.answer.json().len() + self.sealed_recipient.len() + 256
    }
}

/// Taken before loading a number from the database; [`TrackingCache::insert`] stores the answer
/// only if the number was not invalidated meanwhile.
#[derive(Debug, Clone, Copy)]
pub struct Ticket {
    shard: usize,
    generation: u64,
}

/// One replica's cache of what it answers for a tracking number, `V` being the entry type.
pub struct TrackingCache<V> {
    entries: Cache<String, Arc<V>>,
    generations: Box<[AtomicU64]>,
    hasher: RandomState,
    listening: AtomicBool,
}

impl<V: Weigh + Send + Sync + 'static> Default for TrackingCache<V> {
    fn default() -> Self {
        Self::holding(MAX_BYTES)
    }
}

impl<V: Weigh + Send + Sync + 'static> TrackingCache<V> {
    /// A cache of at most `max_bytes` (as its entries weigh).
    pub fn holding(max_bytes: u64) -> Self {
        Self {
            entries: Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|k: &String, e: &Arc<V>| {
                    u32::try_from(k.len() + e.weight()).unwrap_or(u32::MAX)
                })
                .time_to_live(TIME_TO_LIVE)
                .build(),
            generations: (0..SHARDS).map(|_| AtomicU64::new(0)).collect(),
            hasher: RandomState::new(),
            listening: AtomicBool::new(false),
        }
    }

    fn shard(&self, tn: &str) -> usize {
        (self.hasher.hash_one(tn) as usize) % SHARDS
    }

    /// The cached answer, if the cache is in use and holds one.
    pub fn get(&self, tn: &str) -> Option<Arc<V>> {
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
    pub fn insert(&self, tn: String, ticket: Ticket, entry: Arc<V>) {
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

/// A cache the listener keeps true: any [`TrackingCache`].
pub trait Forget: Send + Sync {
    fn forget(&self, tn: &str);
    fn suspend(&self);
    fn resume(&self);
}

impl<V: Weigh + Send + Sync + 'static> Forget for TrackingCache<V> {
    fn forget(&self, tn: &str) {
        self.invalidate(tn);
    }
    fn suspend(&self) {
        TrackingCache::suspend(self);
    }
    fn resume(&self) {
        TrackingCache::resume(self);
    }
}

/// This replica's tracking caches, every one of them: what the listener keeps true, and what a
/// writer of this replica tells itself about the numbers it changed.
#[derive(Clone, Default)]
pub struct Caches(Arc<[Arc<dyn Forget>]>);

impl Caches {
    pub fn new(caches: Vec<Arc<dyn Forget>>) -> Self {
        Self(caches.into())
    }

    /// Forgets `tracking_numbers` in every cache. A writer calls it once its transaction has
    /// ended (committed, or in doubt) and before it answers: the notification of the commit
    /// reaches this replica's listener only on its next poll, and a read in between would be
    /// answered from the cache, the old shipment and its old `ETag` (a wrong `304`).
    pub fn forget<I>(&self, tracking_numbers: I)
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        for tn in tracking_numbers {
            self.0.iter().for_each(|c| c.forget(tn.as_ref()));
        }
    }

    fn suspend(&self) {
        self.0.iter().for_each(|c| c.suspend());
    }

    fn resume(&self) {
        self.0.iter().for_each(|c| c.resume());
    }
}

/// Listens for changed tracking numbers until shutdown, reconnecting when the connection drops;
/// the caches are in use only while connected.
pub fn spawn_listener(
    database_url: String,
    caches: Caches,
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
                    if let Err(e) = listen(&database_url, &caches, &stop) {
                        tracing::warn!(error = %e, "tracking cache listener lost its connection; caches off until it reconnects");
                    }
                    caches.suspend();
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
fn listen(url: &str, caches: &Caches, stop: &AtomicBool) -> anyhow::Result<()> {
    let mut conn = PgConnection::establish(url)?;
    diesel::sql_query(format!("LISTEN {CHANNEL}")).execute(&mut conn)?;
    caches.resume();
    let mut idle = Duration::ZERO;
    while !stop.load(Ordering::Relaxed) {
        let mut any = false;
        for n in conn.notifications_iter() {
            any = true;
            caches.forget(n?.payload.split(','));
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

#[cfg(test)]
mod tests {
    use super::*;

    struct Blob;

    impl Weigh for Blob {
        fn weight(&self) -> usize {
            64
        }
    }

    fn cached(cache: &TrackingCache<Blob>, tn: &str) {
        let ticket = cache.ticket(tn);
        cache.insert(tn.to_owned(), ticket, Arc::new(Blob));
    }

    #[test]
    fn a_writer_forgets_the_numbers_it_changed_in_every_cache_at_once() {
        let (public, shipments) = (
            Arc::new(TrackingCache::<Blob>::holding(1 << 20)),
            Arc::new(TrackingCache::<Blob>::holding(1 << 20)),
        );
        let caches = Caches::new(vec![public.clone(), shipments.clone()]);
        caches.resume();
        for c in [&public, &shipments] {
            cached(c, "KD000000019CN");
            cached(c, "KD000000027CN");
        }
        let loading = public.ticket("KD000000019CN");

        caches.forget(["KD000000019CN"]);

        for c in [&public, &shipments] {
            assert!(
                c.get("KD000000019CN").is_none(),
                "the written number is forgotten"
            );
            assert!(c.get("KD000000027CN").is_some(), "the others are kept");
        }
        public.insert("KD000000019CN".into(), loading, Arc::new(Blob));
        assert!(
            public.get("KD000000019CN").is_none(),
            "what was loaded before the write is not stored after it"
        );
    }
}
