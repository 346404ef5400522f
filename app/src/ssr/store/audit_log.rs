//! `audit_events` and `audit_head`: appending to the hash chain, and walking it back.

use super::{Store, StoreError, Tx};
use crate::ssr::audit::{NewEvent, StoredEvent};
use crate::ssr::hash_chain::{BrokenLink, ChainAnchor, ChainVerifier};
use sqlx::AnyConnection;

/// How far the audit log's last event may be ahead of a writer's clock before it is worth a
/// warning: event times never go backwards, so a clock running ahead drags later ones along.
const CLOCK_SKEW_WARNING_MS: i64 = 5_000;

/// The chain head as `audit_head` keeps it.
#[derive(sqlx::FromRow)]
pub(super) struct Head {
    last_seq: i64,
    last_hash: String,
    last_at_ms: i64,
}

/// A point of the chain: an event's sequence number and hash (or the head's).
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct ChainPoint {
    pub seq: i64,
    pub hash: String,
}

/// Why a walk of the chain did not vouch for it.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("{0}")]
    Broken(BrokenLink),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Store {
    /// Appends an event to the chain inside the caller's transaction. Updating the head row
    /// first holds the chain's lock until the transaction ends.
    #[tracing::instrument(skip_all, fields(kind = event.kind.as_str()))]
    pub async fn append_event(
        tx: &mut Tx,
        event: NewEvent,
        now: i64,
    ) -> Result<StoredEvent, StoreError> {
        let head: Head = sqlx::query_as(
            "UPDATE audit_head SET last_seq = last_seq + 1 WHERE id = 1 RETURNING last_seq, last_hash, last_at_ms",
        )
        .fetch_one(&mut **tx)
        .await?;
        // `now` was read before the lock was won; a writer that waited must not stamp its
        // event earlier than the one before it.
        if head.last_at_ms - now > CLOCK_SKEW_WARNING_MS {
            // Waiting for the lock takes milliseconds; more means a clock that ran ahead
            // (here or on another instance) has pushed every later event's time forward.
            tracing::warn!(
                ahead_ms = head.last_at_ms - now,
                "the audit log's last event is later than this clock; check the instances' clocks"
            );
        }
        let at_ms = now.max(head.last_at_ms);
        tx.concerns(people_named(&event));
        let stored = event.seal(head.last_seq, at_ms, &head.last_hash);
        Self::insert_events(tx, std::slice::from_ref(&stored)).await?;
        sqlx::query("UPDATE audit_head SET last_hash = $1, last_at_ms = $2 WHERE id = 1")
            .bind(&stored.hash)
            .bind(stored.at_ms)
            .execute(&mut **tx)
            .await?;
        Ok(stored)
    }

    /// Writes sealed events, many rows to a statement.
    async fn insert_events(
        conn: &mut AnyConnection,
        events: &[StoredEvent],
    ) -> Result<(), StoreError> {
        // 400 rows of 12 values stay under every driver's limit on bound values.
        for chunk in events.chunks(400) {
            let sql = insert_events_sql(chunk.len());
            let mut statement = sqlx::query(&sql);
            for stored in chunk {
                statement = statement
                    .bind(stored.seq)
                    .bind(stored.at_ms)
                    .bind(&stored.kind)
                    .bind(stored.actor_id)
                    .bind(stored.subject_id)
                    .bind(stored.impersonation_id)
                    .bind(&stored.method)
                    .bind(&stored.path)
                    .bind(stored.status)
                    .bind(&stored.detail)
                    .bind(&stored.prev_hash)
                    .bind(&stored.hash);
            }
            statement.execute(&mut *conn).await?;
        }
        Ok(())
    }

    /// Records many events that accompany no other change, each at its own time, in one
    /// transaction: the audit writer's batches, imports, and the benchmark's million events.
    /// Times never go backwards along the chain, here as in `append_event`.
    pub async fn record_many(
        &self,
        events: Vec<(NewEvent, i64)>,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let (mut tx, head) = self.begin_write_at_head().await?;
        let (mut seq, mut prev_hash, mut last_at) =
            (head.last_seq, head.last_hash, head.last_at_ms);
        tx.concerns(events.iter().flat_map(|(event, _)| people_named(event)));
        let sealed: Vec<StoredEvent> = events
            .into_iter()
            .map(|(event, at_ms)| {
                seq += 1;
                last_at = last_at.max(at_ms);
                let stored = event.seal(seq, last_at, &prev_hash);
                prev_hash.clone_from(&stored.hash);
                stored
            })
            .collect();
        Self::insert_events(&mut tx, &sealed).await?;
        sqlx::query(
            "UPDATE audit_head SET last_seq = $1, last_hash = $2, last_at_ms = $3 WHERE id = 1",
        )
        .bind(seq)
        .bind(&prev_hash)
        .bind(last_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(sealed)
    }

    /// Records an event that accompanies no other change, committed before this returns.
    /// With an audit writer (a running app), it joins whichever events are waiting and is
    /// committed with them in one transaction.
    #[tracing::instrument(skip_all, fields(kind = event.kind.as_str()))]
    pub async fn record(&self, event: NewEvent, now: i64) -> Result<StoredEvent, StoreError> {
        match &self.audit_writer {
            Some(writer) => writer.record(event, now).await,
            None => {
                let mut tx = self.begin_write().await?;
                let stored = Self::append_event(&mut tx, event, now).await?;
                tx.commit().await?;
                Ok(stored)
            }
        }
    }

    /// Events of one kind, newest first (tests and the activity log).
    pub async fn recent_events(
        &self,
        kind: &str,
        limit: i64,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        Ok(sqlx::query_as::<_, StoredEvent>(
            "SELECT * FROM audit_events WHERE kind = $1 ORDER BY seq DESC LIMIT $2",
        )
        .bind(kind)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The chain head: the last event of the whole log, and its hash.
    pub async fn chain_head(&self) -> Result<ChainPoint, StoreError> {
        Ok(
            sqlx::query_as(
                "SELECT last_seq AS seq, last_hash AS hash FROM audit_head WHERE id = 1",
            )
            .fetch_one(&self.pool)
            .await?,
        )
    }

    /// The events of one session on the member's account up to the chain head `head_seq`,
    /// oldest first: what a receipt made at that head holds (events appended after it are
    /// left for a later receipt).
    pub async fn session_chain(
        &self,
        member_id: i64,
        session_id: i64,
        head_seq: i64,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        Ok(sqlx::query_as::<_, StoredEvent>(
            "SELECT * FROM audit_events WHERE impersonation_id = $1 AND subject_id = $2 AND seq <= $3 ORDER BY seq",
        )
        .bind(session_id)
        .bind(member_id)
        .bind(head_seq)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The event stored under `seq`, if any.
    pub async fn event_at(&self, seq: i64) -> Result<Option<StoredEvent>, StoreError> {
        Ok(
            sqlx::query_as::<_, StoredEvent>("SELECT * FROM audit_events WHERE seq = $1")
                .bind(seq)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// The highest sequence number stored, 0 for an empty log.
    pub async fn last_stored_seq(&self) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM audit_events")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Walks the whole chain, a batch at a time, held to `anchor` when given. `Ok` is the
    /// verified head, to write down as the next anchor; `Broken` names the first broken link.
    #[tracing::instrument(skip_all)]
    pub async fn verify_audit_chain(
        &self,
        anchor: Option<ChainAnchor>,
    ) -> Result<ChainAnchor, VerifyError> {
        const BATCH: i64 = 5_000;
        // Read the head first: events appended while we walk come after it and are not judged.
        // One statement, so the highest stored event is read in the same snapshot.
        #[derive(sqlx::FromRow)]
        struct WalkHead {
            last_seq: i64,
            last_hash: String,
            max_seq: i64,
        }
        let head: WalkHead = sqlx::query_as(
            "SELECT last_seq, last_hash, (SELECT COALESCE(MAX(seq), 0) FROM audit_events) AS max_seq \
             FROM audit_head WHERE id = 1",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(StoreError::from)?;
        let mut verifier = ChainVerifier::anchored(anchor);
        let mut after = 0i64;
        'walk: loop {
            let batch = sqlx::query_as::<_, StoredEvent>(
                "SELECT * FROM audit_events WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3",
            )
            .bind(after)
            .bind(head.last_seq)
            .bind(BATCH)
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::from)?;
            let Some(last) = batch.last() else { break };
            after = last.seq;
            for event in &batch {
                if !verifier.check(event) {
                    break 'walk;
                }
            }
        }
        verifier
            .finish(head.last_seq, &head.last_hash, head.max_seq)
            .map_err(VerifyError::Broken)
    }
}

/// Whom an event names, when it is news for them (see `news::is_news`).
fn people_named(event: &NewEvent) -> Vec<i64> {
    if !super::news::is_news(event.kind) {
        return Vec::new();
    }
    event.actor_id.into_iter().chain(event.subject_id).collect()
}

/// `INSERT INTO audit_events` for `rows` events.
fn insert_events_sql(rows: usize) -> String {
    let values: Vec<String> = (0..rows)
        .map(|row| {
            let placeholders: Vec<String> = (1..=12)
                .map(|column| format!("${}", row * 12 + column))
                .collect();
            format!("({})", placeholders.join(", "))
        })
        .collect();
    format!(
        "INSERT INTO audit_events (seq, at_ms, kind, actor_id, subject_id, impersonation_id, \
         method, path, status, detail, prev_hash, hash) VALUES {}",
        values.join(", ")
    )
}
