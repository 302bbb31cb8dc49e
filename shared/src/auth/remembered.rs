//! The tokens a verifier has verified, remembered per thread until they expire.
//!
//! A worker asks its own map: no lock, no shared counter, no eviction bookkeeping on a read
//! (callgrind, shipments service, authenticated read: a lookup in `moka`'s shared cache cost
//! ~1,100 instructions, this ~430, most of it hashing the token). Each worker verifies a token
//! once for itself: one Ed25519 check per worker and token, where a shared cache did one per
//! token. A map holds at most [`CAPACITY`] tokens: when full, the expired ones go, then half
//! of the rest. A new key set ([`Remembered::forget_all`]) empties every thread's map before
//! its next lookup, through a generation number.

use foldhash::fast::RandomState;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use thread_local::ThreadLocal;

use super::Claims;

/// Tokens remembered at most per thread (about 1 KiB each with their claims).
pub const CAPACITY: usize = 10_000;

#[derive(Default)]
pub struct Remembered {
    generation: AtomicU64,
    threads: ThreadLocal<RefCell<Tokens>>,
}

#[derive(Default)]
struct Tokens {
    generation: u64,
    /// The whole token → its claims, kept until `exp` + `leeway` (Unix seconds).
    map: HashMap<Box<[u8]>, (Arc<Claims>, i64), RandomState>,
}

impl Remembered {
    /// The claims of `token` if this thread verified it and it has not expired at `now`.
    pub fn get(&self, token: &[u8], now: i64) -> Option<Arc<Claims>> {
        let tokens = self.threads.get()?.borrow();
        if tokens.generation != self.generation() {
            return None;
        }
        let (claims, until) = tokens.map.get(token)?;
        (now < *until).then(|| claims.clone())
    }

    /// The key set's generation now: pass it to [`Remembered::insert`] for a token verified
    /// from here on.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Remembers a token that passed every check under key-set `generation`, until `until`
    /// (Unix seconds); not when the key set changed meanwhile.
    pub fn insert(&self, token: &[u8], claims: Arc<Claims>, until: i64, now: i64, generation: u64) {
        if generation != self.generation() {
            return;
        }
        let mut tokens = self.threads.get_or_default().borrow_mut();
        if tokens.generation != generation {
            tokens.map.clear();
            tokens.generation = generation;
        }
        if tokens.map.len() >= CAPACITY {
            tokens.map.retain(|_, (_, until)| now < *until);
        }
        if tokens.map.len() >= CAPACITY {
            let mut keep = false;
            tokens.map.retain(|_, _| {
                keep = !keep;
                keep
            });
        }
        tokens.map.insert(token.into(), (claims, until));
    }

    /// Forgets every token on every thread (their next lookup finds nothing).
    pub fn forget_all(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// How many tokens this thread remembers (expired ones included until they are dropped).
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.threads.get().map_or(0, |t| t.borrow().map.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;

    fn claims(sub: &str) -> Arc<Claims> {
        Arc::new(crate::testing::claims(Role::Agent, sub))
    }

    #[test]
    fn a_token_is_answered_until_it_expires_and_only_on_its_thread() {
        let r = Remembered::default();
        assert!(r.get(b"t", 10).is_none());
        r.insert(b"t", claims("u1"), 130, 10, 0);
        assert_eq!(r.get(b"t", 129).expect("remembered").sub, "u1");
        assert!(r.get(b"t", 130).is_none(), "answered after it expired");
        assert!(r.get(b"other", 10).is_none());
        std::thread::scope(|s| {
            s.spawn(|| assert!(r.get(b"t", 10).is_none(), "another thread's token"));
        });
    }

    #[test]
    fn forgetting_all_empties_the_map_of_every_thread() {
        let r = Remembered::default();
        r.insert(b"t", claims("u1"), 130, 10, 0);
        std::thread::scope(|s| {
            s.spawn(|| r.forget_all());
        });
        assert!(
            r.get(b"t", 10).is_none(),
            "a token of the old key set answered"
        );
        r.insert(b"late", claims("u3"), 130, 10, 0);
        assert!(
            r.get(b"late", 10).is_none(),
            "a token verified under the old key set kept"
        );
        r.insert(b"u", claims("u2"), 130, 10, r.generation());
        assert_eq!(r.len(), 1, "the old generation's tokens were kept");
        assert!(r.get(b"u", 10).is_some());
    }

    #[test]
    fn a_full_map_drops_the_expired_tokens_then_half_of_the_rest() {
        let r = Remembered::default();
        let c = claims("u");
        for i in 0..CAPACITY / 4 {
            r.insert(format!("old{i}").as_bytes(), c.clone(), 50, 10, 0);
        }
        for i in CAPACITY / 4..CAPACITY {
            r.insert(format!("live{i}").as_bytes(), c.clone(), 500, 10, 0);
        }
        assert_eq!(r.len(), CAPACITY);
        r.insert(b"next", c.clone(), 500, 60, 0);
        assert_eq!(r.len(), CAPACITY * 3 / 4 + 1, "only the expired ones go");
        for i in 0..CAPACITY {
            r.insert(format!("more{i}").as_bytes(), c.clone(), 500, 60, 0);
        }
        assert!(r.len() <= CAPACITY, "{} tokens", r.len());
        assert!(r.get(b"more9999", 60).is_some(), "the newest token dropped");
    }
}
