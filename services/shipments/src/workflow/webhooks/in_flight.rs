//! The deliveries a worker is sending: how many, and how many to each endpoint, so it claims
//! only what it has room for — overall and per endpoint — as soon as any one of them finishes.

use std::collections::HashMap;
use std::future::Future;
use tokio::task::{Id, JoinSet};
use uuid::Uuid;

/// Sends in flight, each to the endpoint (subscription) it was spawned for.
#[derive(Default)]
pub struct InFlight {
    tasks: JoinSet<()>,
    endpoint_of: HashMap<Id, Uuid>,
    per_endpoint: HashMap<Uuid, i64>,
}

impl InFlight {
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Starts `send` to `endpoint`.
    pub fn spawn<F>(&mut self, endpoint: Uuid, send: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let id = self.tasks.spawn(send).id();
        self.endpoint_of.insert(id, endpoint);
        *self.per_endpoint.entry(endpoint).or_default() += 1;
    }

    /// The endpoints with sends in flight, and how many each.
    pub fn busy(&self) -> Vec<(Uuid, i64)> {
        self.per_endpoint.iter().map(|(e, n)| (*e, *n)).collect()
    }

    /// Waits until a send finishes (at once when none is in flight), then counts off every other
    /// one finished meanwhile; returns how many finished.
    pub async fn settle(&mut self) -> usize {
        let Some(first) = self.tasks.join_next_with_id().await else {
            return 0;
        };
        let mut finished = 0;
        let mut next = Some(first);
        while let Some(done) = next {
            // A send that panicked frees its slot all the same.
            let id = done.map_or_else(|e| e.id(), |(id, ())| id);
            self.finished(id);
            finished += 1;
            next = self.tasks.try_join_next_with_id();
        }
        finished
    }

    fn finished(&mut self, id: Id) {
        let Some(endpoint) = self.endpoint_of.remove(&id) else {
            return;
        };
        if let Some(n) = self.per_endpoint.get_mut(&endpoint) {
            *n -= 1;
            if *n <= 0 {
                self.per_endpoint.remove(&endpoint);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_finished_send_frees_its_endpoints_slot_even_when_it_panicked() {
        let (slow, quick) = (Uuid::now_v7(), Uuid::now_v7());
        let mut flight = InFlight::default();
        for _ in 0..2 {
            flight.spawn(slow, tokio::time::sleep(Duration::from_secs(60)));
        }
        flight.spawn(quick, async { panic!("a send that panics") });
        let mut busy = flight.busy();
        busy.sort_by_key(|(_, n)| *n);
        assert_eq!(busy, vec![(quick, 1), (slow, 2)]);

        assert_eq!(flight.settle().await, 1, "the quick one finished");

        assert_eq!(flight.busy(), vec![(slow, 2)]);
        assert_eq!(flight.len(), 2);
    }

    #[tokio::test]
    async fn nothing_in_flight_settles_at_once() {
        assert_eq!(InFlight::default().settle().await, 0);
    }
}
