//! The instance's one audit writer: events that accompany no other change (above all the
//! `action` event of every page an acting administrator loads) wait in a queue, and the
//! writer commits whatever is waiting in one transaction (group commit), extending the chain
//! in queue order. Each caller waits until its own event is committed, so a request is never
//! answered before its record is safe (SPEC.md §5), but a hundred requests share one commit
//! instead of queueing for the write lock one by one.

use super::{Store, StoreError};
use crate::ssr::audit::{NewEvent, StoredEvent};
use tokio::sync::{mpsc, oneshot};
use tracing::Instrument;

/// The most events one transaction takes: enough to drain any queue this instance builds
/// up between two commits, few enough that the first in line is not kept waiting long.
const MOST_IN_ONE_COMMIT: usize = 512;

/// At most this many turns of the runtime are given, before a commit, to events on their way.
const GATHERING_TURNS: usize = 4;

/// Events that may wait at once before callers wait to join the queue.
const QUEUE_LENGTH: usize = 8_192;

/// An event handed to the writer, and where to say it was committed.
struct Waiting {
    event: NewEvent,
    now: i64,
    committed: oneshot::Sender<Result<StoredEvent, StoreError>>,
}

#[derive(Clone, Debug)]
pub(super) struct AuditWriter {
    queue: mpsc::Sender<Waiting>,
}

impl AuditWriter {
    /// Starts the writer on the current runtime. `store` is the one it writes with, itself
    /// without a writer; the writer stops when the last `Store` holding this one is dropped.
    pub(super) fn start(store: Store) -> AuditWriter {
        let (queue, waiting) = mpsc::channel(QUEUE_LENGTH);
        tokio::spawn(write_batches(store, waiting));
        AuditWriter { queue }
    }

    /// Queues the event and waits for its commit.
    pub(super) async fn record(
        &self,
        event: NewEvent,
        now: i64,
    ) -> Result<StoredEvent, StoreError> {
        let (committed, outcome) = oneshot::channel();
        let waiting = Waiting {
            event,
            now,
            committed,
        };
        self.queue
            .send(waiting)
            .await
            .map_err(|_| StoreError::AuditWriterStopped)?;
        outcome.await.map_err(|_| StoreError::AuditWriterStopped)?
    }
}

/// The writer's loop: everything waiting goes into one transaction.
async fn write_batches(store: Store, mut queue: mpsc::Receiver<Waiting>) {
    let mut batch = Vec::with_capacity(MOST_IN_ONE_COMMIT);
    while queue.recv_many(&mut batch, MOST_IN_ONE_COMMIT).await > 0 {
        // Turns for the requests already running to reach their own records: they join this
        // commit instead of waiting for the next, and a commit's cost is shared by more. It
        // stops at the first turn that brings nothing, so a lone event waits for no one.
        for _ in 0..GATHERING_TURNS {
            tokio::task::yield_now().await;
            let before = batch.len();
            while batch.len() < MOST_IN_ONE_COMMIT {
                match queue.try_recv() {
                    Ok(waiting) => batch.push(waiting),
                    Err(_) => break,
                }
            }
            if batch.len() == before {
                break;
            }
        }
        // A caller that gave up (its request was dropped) still gets its event written: the
        // record of what was asked stands whether or not the answer was delivered.
        let events = batch
            .iter()
            .map(|waiting| (waiting.event.clone(), waiting.now))
            .collect();
        let span = tracing::debug_span!("audit_batch", events = batch.len());
        let committed = store.record_many(events).instrument(span).await;
        match committed {
            Ok(stored) => {
                tracing::debug!(events = stored.len(), "audit batch committed");
                for (waiting, stored) in batch.drain(..).zip(stored) {
                    let _ = waiting.committed.send(Ok(stored));
                }
            }
            // One event the database refuses must not take the others down with it: each is
            // tried alone, and only the refused ones fail. A database that cannot be reached
            // fails the whole batch at once instead of once an event.
            Err(error @ StoreError::Database(sqlx::Error::Database(_))) if batch.len() > 1 => {
                tracing::warn!(%error, events = batch.len(), "an audit batch failed; writing its events one at a time");
                for waiting in batch.drain(..) {
                    let outcome = store
                        .record_many(vec![(waiting.event, waiting.now)])
                        .await
                        .map(|mut stored| stored.remove(0));
                    let _ = waiting.committed.send(outcome);
                }
            }
            Err(error) => {
                tracing::error!(%error, events = batch.len(), "an audit batch failed");
                for waiting in batch.drain(..) {
                    let _ = waiting
                        .committed
                        .send(Err(StoreError::AuditBatchFailed(error.to_string())));
                }
            }
        }
    }
}
