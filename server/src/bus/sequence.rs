//! What both buses share about envelopes: a [`Publisher`] numbers and
//! encodes them (inline when they fit the transport's payload limit, else
//! by reference), and an [`Inbox`] decodes them, notices a gap in a
//! publisher's numbers and has the receiver catch up before it hands on
//! what came after the gap.
//!
//! Neither transport tells a listener what it lost: PostgreSQL drops a
//! NOTIFY that failed to send, core NATS drops whatever was published
//! while a connection was down. Numbers make every loss visible at the
//! publisher's next envelope; a publisher that reconnects sends an empty
//! one ([`Publisher::hello`]) so that a loss is noticed even when nothing
//! else follows it.

use std::collections::HashMap;

use super::{Body, Envelope, Receiver};

/// Bytes an id takes in a reference, at most: 20 digits and sign, and a comma.
const ID_BYTES: usize = 21;

/// One node's numbering of what it publishes. A process starts a new
/// incarnation (random), numbered from 1, so a restarted node with the
/// same name is a new publisher to everyone listening.
pub struct Publisher {
    node: String,
    incarnation: u64,
    next: u64,
}

impl Publisher {
    /// Numbering for node `node`, from 1.
    pub fn new(node: &str) -> Self {
        Self {
            node: node.to_owned(),
            incarnation: rand::random(),
            next: 1,
        }
    }

    /// The payloads that carry `body`, each of at most `limit` bytes: a
    /// batch's messages inline if they fit, else their ids (in as many
    /// payloads as they need); an event, which is always small, as it is.
    pub fn payloads(&mut self, body: Body, limit: usize) -> Vec<String> {
        let (ids, before): (Vec<i64>, _) = match &body {
            Body::Messages { messages, before } => {
                (messages.iter().map(|m| m.id).collect(), before.clone())
            }
            _ => (Vec::new(), Vec::new()),
        };
        let inline = self.encode(body, self.next);
        if inline.len() <= limit || ids.is_empty() {
            self.next += 1;
            return vec![inline];
        }
        let empty = self.encode(
            Body::Reference {
                ids: Vec::new(),
                before: before.clone(),
            },
            u64::MAX,
        );
        let per_payload = (limit.saturating_sub(empty.len()) / ID_BYTES).max(1);
        ids.chunks(per_payload)
            .map(|chunk| {
                let ids = chunk.to_vec();
                let before = before.clone();
                let payload = self.encode(Body::Reference { ids, before }, self.next);
                self.next += 1;
                payload
            })
            .collect()
    }

    /// An envelope with nothing in it but the next number: sent after a
    /// reconnect, so that listeners notice what this node's cut lost.
    pub fn hello(&mut self) -> String {
        let hello = Body::Reference {
            ids: Vec::new(),
            before: Vec::new(),
        };
        let payload = self.encode(hello, self.next);
        self.next += 1;
        payload
    }

    fn encode(&self, body: Body, seq: u64) -> String {
        let envelope = Envelope {
            node: self.node.clone(),
            incarnation: self.incarnation,
            seq,
            body,
        };
        serde_json::to_string(&envelope).expect("a bus body always encodes")
    }
}

/// The last number heard from one publisher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Heard {
    incarnation: u64,
    seq: u64,
}

/// The listening side of the numbering, for node `node`.
pub struct Inbox {
    node: String,
    heard: HashMap<String, Heard>,
}

impl Inbox {
    /// An inbox that has heard nobody yet.
    pub fn new(node: &str) -> Self {
        Self {
            node: node.to_owned(),
            heard: HashMap::new(),
        }
    }

    /// Hands `payload` to `receiver`, unless this node published it (its
    /// hub has delivered it already), it carries nothing (a hello) or it
    /// does not decode (which is logged); if something from its publisher
    /// went missing before it, has `receiver` catch up first.
    pub async fn accept(&mut self, payload: &[u8], receiver: &impl Receiver) {
        let envelope = match serde_json::from_slice::<Envelope>(payload) {
            Ok(envelope) if envelope.node == self.node => return,
            Ok(envelope) => envelope,
            Err(error) => {
                tracing::warn!(%error, "an unreadable payload on the bus");
                return;
            }
        };
        if self.missed_before(&envelope) {
            tracing::info!(node = %envelope.node, seq = envelope.seq, "missed something on the bus; catching up from the table");
            receiver.catch_up().await;
        }
        if !matches!(&envelope.body, Body::Reference { ids, .. } if ids.is_empty()) {
            receiver.receive(&envelope.node, envelope.body).await;
        }
    }

    /// Whether envelopes of this one's publisher went missing before it:
    /// numbers skipped, or a publisher heard of for the first time (or
    /// restarted) whose first envelope heard is not its first. An envelope
    /// with no number (from a node that does not number them) is never
    /// counted as a gap.
    fn missed_before(&mut self, envelope: &Envelope) -> bool {
        if envelope.seq == 0 {
            return false;
        }
        let now = Heard {
            incarnation: envelope.incarnation,
            seq: envelope.seq,
        };
        match self.heard.get_mut(&envelope.node) {
            Some(last) if last.incarnation == now.incarnation => {
                let missed = now.seq > last.seq + 1;
                last.seq = last.seq.max(now.seq);
                missed
            }
            Some(last) => {
                *last = now;
                now.seq != 1
            }
            None => {
                self.heard.insert(envelope.node.clone(), now);
                now.seq != 1
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope(node: &str, incarnation: u64, seq: u64) -> Envelope {
        Envelope {
            node: node.to_owned(),
            incarnation,
            seq,
            body: Body::Reference {
                ids: vec![1],
                before: Vec::new(),
            },
        }
    }

    #[test]
    fn a_skipped_number_is_a_gap_and_the_next_in_line_is_not() {
        let mut inbox = Inbox::new("me");
        assert!(!inbox.missed_before(&envelope("a", 7, 1)));
        assert!(!inbox.missed_before(&envelope("a", 7, 2)));
        assert!(inbox.missed_before(&envelope("a", 7, 4)));
        assert!(!inbox.missed_before(&envelope("a", 7, 5)));
        // Another publisher's numbers are its own.
        assert!(!inbox.missed_before(&envelope("b", 9, 1)));
    }

    #[test]
    fn a_publisher_first_heard_after_its_first_envelope_may_have_lost_some() {
        let mut inbox = Inbox::new("me");
        assert!(inbox.missed_before(&envelope("a", 7, 3)));
        assert!(!inbox.missed_before(&envelope("a", 7, 4)));
        // Restarted (a new incarnation): numbered from 1 again.
        assert!(!inbox.missed_before(&envelope("a", 8, 1)));
        assert!(inbox.missed_before(&envelope("a", 9, 2)));
    }

    #[test]
    fn a_batch_too_large_for_the_limit_goes_by_reference_in_numbered_payloads() {
        let mut publisher = Publisher::new("a");
        let first = publisher.payloads(
            Body::Typing {
                room: "general".parse().unwrap(),
                username: "alice".parse().unwrap(),
            },
            100,
        );
        assert_eq!(first.len(), 1);
        let messages: Vec<_> = (1..=50).map(message).collect();
        let payloads = publisher.payloads(
            Body::Messages {
                messages,
                before: Vec::new(),
            },
            300,
        );
        assert!(payloads.len() > 1, "split: {payloads:?}");
        let mut ids = Vec::new();
        for (n, payload) in payloads.iter().enumerate() {
            assert!(payload.len() <= 300, "{payload}");
            let envelope: Envelope = serde_json::from_str(payload).unwrap();
            assert_eq!(envelope.seq, n as u64 + 2);
            match envelope.body {
                Body::Reference { ids: chunk, .. } => ids.extend(chunk),
                other => panic!("expected a reference, got {other:?}"),
            }
        }
        assert_eq!(ids, (1..=50).collect::<Vec<_>>());
    }

    #[test]
    fn a_change_keeps_its_own_seq_beside_the_envelope_number() {
        let mut publisher = Publisher::new("a");
        let change = Body::Changed {
            room: "general".parse().unwrap(),
            id: 41,
            seq: 12,
        };
        let payload = publisher.payloads(change.clone(), 8000).remove(0);
        let envelope: Envelope = serde_json::from_str(&payload).unwrap();
        assert_eq!((envelope.seq, envelope.body), (1, change));
    }

    fn message(id: i64) -> sapa_protocol::MessageView {
        serde_json::from_value(serde_json::json!({
            "id": id, "room": "general", "username": "alice",
            "content": "hello", "timestamp": "2026-01-01T00:00:00Z"
        }))
        .unwrap()
    }
}
