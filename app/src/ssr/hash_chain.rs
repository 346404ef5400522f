//! The hash chain's verifier: walks the log in sequence order and names the first broken
//! link, optionally held to a point written down outside the database.

use super::audit::StoredEvent;
use std::fmt;

/// `prev_hash` of the first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What is wrong at the first broken link of the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BrokenLink {
    /// A sequence number is missing (rows deleted) or out of order.
    Gap { expected_seq: i64, found_seq: i64 },
    /// The row does not point at the hash of the row before it.
    PrevHashMismatch { seq: i64 },
    /// The row's content does not hash to its stored hash (the row was altered).
    HashMismatch { seq: i64 },
    /// The chain head says more rows (or other rows) exist than are there: the tail was cut.
    /// Or rows are stored past the head, where no append put them.
    HeadMismatch { head_seq: i64, last_seq: i64 },
    /// The event an anchor kept outside the database names has another hash (or is gone):
    /// the chain was rewritten up to it, hashes and all.
    AnchorMismatch { seq: i64 },
}

/// A point of the chain written down outside the database, as `seq:hash`. Every hash covers
/// every event before it, so a chain that still holds this point is unchanged up to it, even
/// against someone who could rewrite the database and recompute every hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainAnchor {
    pub seq: i64,
    pub hash: String,
}

impl ChainAnchor {
    pub fn parse(text: &str) -> Result<ChainAnchor, &'static str> {
        const EXPECTED: &str = "an anchor is SEQ:HASH, as verify-audit prints the head";
        let (seq, hash) = text.trim().split_once(':').ok_or(EXPECTED)?;
        let seq = seq
            .parse::<i64>()
            .ok()
            .filter(|seq| *seq >= 1)
            .ok_or(EXPECTED)?;
        let hash = hash.to_ascii_lowercase();
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(EXPECTED);
        }
        Ok(ChainAnchor { seq, hash })
    }
}

impl fmt::Display for ChainAnchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

impl fmt::Display for BrokenLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BrokenLink::Gap {
                expected_seq,
                found_seq,
            } => write!(
                f,
                "event {expected_seq} is missing (the next stored event is {found_seq})"
            ),
            BrokenLink::PrevHashMismatch { seq } => {
                write!(f, "event {seq} does not link to the event before it")
            }
            BrokenLink::HashMismatch { seq } => {
                write!(
                    f,
                    "event {seq} was altered: its content does not match its hash"
                )
            }
            BrokenLink::HeadMismatch { head_seq, last_seq } => write!(
                f,
                "the chain head records event {head_seq}, but the last stored event is {last_seq}"
            ),
            BrokenLink::AnchorMismatch { seq } => write!(
                f,
                "event {seq} does not match the anchor kept outside the database: the log was rewritten up to it"
            ),
        }
    }
}

/// Walks the chain in sequence order, a batch at a time, so a verifier never holds the
/// whole log in memory.
#[derive(Debug)]
pub struct ChainVerifier {
    expected_seq: i64,
    last_hash: String,
    broken: Option<BrokenLink>,
    anchor: Option<ChainAnchor>,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        ChainVerifier {
            expected_seq: 1,
            last_hash: GENESIS_HASH.to_string(),
            broken: None,
            anchor: None,
        }
    }
}

impl ChainVerifier {
    /// A verifier that also holds the chain to a point written down outside the database.
    pub fn anchored(anchor: Option<ChainAnchor>) -> Self {
        ChainVerifier {
            anchor,
            ..ChainVerifier::default()
        }
    }

    /// Checks the next event; returns false once the chain is broken (stop feeding it).
    pub fn check(&mut self, event: &StoredEvent) -> bool {
        if self.broken.is_some() {
            return false;
        }
        let broken = if event.seq != self.expected_seq {
            Some(BrokenLink::Gap {
                expected_seq: self.expected_seq,
                found_seq: event.seq,
            })
        } else if event.prev_hash != self.last_hash {
            Some(BrokenLink::PrevHashMismatch { seq: event.seq })
        } else if event.compute_hash() != event.hash {
            Some(BrokenLink::HashMismatch { seq: event.seq })
        } else if self
            .anchor
            .as_ref()
            .is_some_and(|anchor| anchor.seq == event.seq && anchor.hash != event.hash)
        {
            Some(BrokenLink::AnchorMismatch { seq: event.seq })
        } else {
            None
        };
        match broken {
            Some(link) => {
                self.broken = Some(link);
                false
            }
            None => {
                self.expected_seq += 1;
                self.last_hash = event.hash.clone();
                true
            }
        }
    }

    /// The verdict once every event up to the head was fed, given the chain head's record of
    /// the last one and the highest sequence number stored at all: the head, to keep as an
    /// anchor.
    pub fn finish(
        self,
        head_seq: i64,
        head_hash: &str,
        max_stored_seq: i64,
    ) -> Result<ChainAnchor, BrokenLink> {
        if let Some(link) = self.broken {
            return Err(link);
        }
        let last_seq = self.expected_seq - 1;
        if head_seq != last_seq || head_hash != self.last_hash {
            return Err(BrokenLink::HeadMismatch { head_seq, last_seq });
        }
        if max_stored_seq > head_seq {
            return Err(BrokenLink::HeadMismatch {
                head_seq,
                last_seq: max_stored_seq,
            });
        }
        if let Some(anchor) = self.anchor.filter(|anchor| anchor.seq > last_seq) {
            return Err(BrokenLink::AnchorMismatch { seq: anchor.seq });
        }
        Ok(ChainAnchor {
            seq: last_seq,
            hash: self.last_hash,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ssr::audit::{EventKind, NewEvent};
    use serde_json::json;

    fn chain(n: i64) -> Vec<StoredEvent> {
        let mut prev = GENESIS_HASH.to_string();
        (1..=n)
            .map(|seq| {
                let event = NewEvent::new(EventKind::SignIn)
                    .actor(seq)
                    .detail(json!({"n": seq}))
                    .seal(seq, 1_000 + seq, &prev);
                prev = event.hash.clone();
                event
            })
            .collect()
    }

    fn verify(events: &[StoredEvent], head_seq: i64, head_hash: &str) -> Result<u64, BrokenLink> {
        verify_from(ChainVerifier::default(), events, head_seq, head_hash)
    }

    fn verify_from(
        mut verifier: ChainVerifier,
        events: &[StoredEvent],
        head_seq: i64,
        head_hash: &str,
    ) -> Result<u64, BrokenLink> {
        for event in events {
            if !verifier.check(event) {
                break;
            }
        }
        let max_stored = events.last().map_or(0, |event| event.seq);
        verifier
            .finish(head_seq, head_hash, max_stored)
            .map(|head| head.seq as u64)
    }

    #[test]
    fn an_untouched_chain_verifies() {
        let events = chain(5);
        assert_eq!(verify(&events, 5, &events[4].hash), Ok(5));
        assert_eq!(verify(&[], 0, GENESIS_HASH), Ok(0));
    }

    #[test]
    fn an_altered_row_is_the_first_broken_link() {
        let mut events = chain(5);
        events[2].detail = json!({"n": 99}).to_string();
        assert_eq!(
            verify(&events, 5, &events[4].hash),
            Err(BrokenLink::HashMismatch { seq: 3 })
        );
    }

    #[test]
    fn a_row_rehashed_after_altering_breaks_the_next_link() {
        let mut events = chain(5);
        events[2].kind = "sign_out".into();
        events[2].hash = events[2].compute_hash();
        assert_eq!(
            verify(&events, 5, &events[4].hash),
            Err(BrokenLink::PrevHashMismatch { seq: 4 })
        );
    }

    #[test]
    fn a_deleted_row_and_a_cut_tail_are_caught() {
        let mut events = chain(5);
        let head_hash = events[4].hash.clone();
        events.remove(1);
        assert_eq!(
            verify(&events, 5, &head_hash),
            Err(BrokenLink::Gap {
                expected_seq: 2,
                found_seq: 3
            })
        );

        let events = chain(5);
        assert_eq!(
            verify(&events[..3], 5, &head_hash),
            Err(BrokenLink::HeadMismatch {
                head_seq: 5,
                last_seq: 3
            })
        );
    }

    #[test]
    fn rows_past_the_head_are_caught() {
        let events = chain(5);
        assert_eq!(
            verify(&events, 3, &events[2].hash),
            Err(BrokenLink::HeadMismatch {
                head_seq: 3,
                last_seq: 5
            })
        );
    }

    #[test]
    fn an_anchor_kept_outside_catches_a_chain_rewritten_hashes_and_all() {
        let events = chain(5);
        let anchor = ChainAnchor::parse(&format!("3:{}", events[2].hash.to_uppercase())).unwrap();
        let head = &events[4].hash;
        let anchored = |anchor: &ChainAnchor| ChainVerifier::anchored(Some(anchor.clone()));
        assert_eq!(verify_from(anchored(&anchor), &events, 5, head), Ok(5));

        // Someone with the database changes event 2 and recomputes every hash from there.
        let mut forged = events.clone();
        forged[1].detail = json!({"n": 99}).to_string();
        for i in 1..forged.len() {
            forged[i].prev_hash = forged[i - 1].hash.clone();
            forged[i].hash = forged[i].compute_hash();
        }
        let forged_head = forged[4].hash.clone();
        assert_eq!(
            verify(&forged, 5, &forged_head),
            Ok(5),
            "consistent on its own"
        );
        assert_eq!(
            verify_from(anchored(&anchor), &forged, 5, &forged_head),
            Err(BrokenLink::AnchorMismatch { seq: 3 })
        );
        // Or cuts the chain back before the anchor.
        assert_eq!(
            verify_from(anchored(&anchor), &events[..2], 2, &events[1].hash),
            Err(BrokenLink::AnchorMismatch { seq: 3 })
        );

        for bad in ["", "3", "0:ab", "x:ab", &format!("3:{}", "g".repeat(64))] {
            assert!(ChainAnchor::parse(bad).is_err(), "{bad:?}");
        }
    }
}
