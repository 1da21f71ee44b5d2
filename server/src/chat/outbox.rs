//! A connection's outbound queue: the hub pushes frames, the connection's
//! task takes everything queued at once and writes it with one flush.
//!
//! Why not a channel: a tokio mpsc channel allocates about 1.6 KB per socket
//! before anything is sent (a cache-padded header and a first block of 32
//! slots) and keeps grown blocks; with ten thousand idle sockets that is the
//! largest per-connection cost after the socket itself. This queue is a few
//! dozen bytes while empty, and taking the whole batch leaves it empty.
//!
//! It also knows two kinds of push. A message wakes the connection at once.
//! A presence change does not: the hub wakes every connection holding one
//! on its next presence tick (see [`super::hub::Hub::wake_due`]), so a burst
//! of joins reaches each member as one write instead of one per join, and
//! anything urgent pushed meanwhile carries the presence frames with it.
//!
//! The hub pushes here and the connection's socket task (in
//! `crate::realtime`) drains it; it lives beside the hub so that the chat
//! layer never imports the WebSocket layer above it.

use std::{
    collections::VecDeque,
    sync::{
        Arc, Mutex, MutexGuard,
        atomic::{AtomicBool, Ordering},
    },
    task::{Context, Poll},
};

use futures_util::task::AtomicWaker;
use tungstenite::Utf8Bytes;

use super::recent::EncodedMessage;

/// What the hub puts in a connection's queue: one pointer either way.
#[derive(Debug, Clone)]
pub enum Outbound {
    /// A frame for this connection as is (presence changes).
    Frame(Arc<Utf8Bytes>),
    /// A stored message; the connection skips it if its join's history
    /// already contained it.
    Message(Arc<EncodedMessage>),
}

/// One connection's queue; clones share it.
#[derive(Debug, Clone)]
pub struct Outbox(Arc<Shared>);

#[derive(Debug)]
struct Shared {
    queue: Mutex<Queue>,
    waker: AtomicWaker,
    /// Frames the queue holds before its reader counts as too slow.
    capacity: usize,
    /// The queue overflowed: its connection closes with 1013, and nothing
    /// more is queued. Set under the queue's lock, read without it.
    kicked: AtomicBool,
}

#[derive(Debug, Default)]
struct Queue {
    items: VecDeque<Outbound>,
    /// A deferred frame is waiting for the hub's next tick, which holds a
    /// clone of this outbox; later deferred frames need not register again.
    due: bool,
}

/// When the connection should learn of a pushed frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    Now,
    /// At the hub's next presence tick (or with anything urgent before it).
    Later,
}

/// What a push did.
#[derive(Debug, PartialEq, Eq)]
pub enum Pushed {
    Queued,
    /// Queued with [`Wake::Later`] as the first deferred frame since the last
    /// tick: the caller must have the next tick wake this outbox.
    QueuedDue,
    /// The queue was full: the frame was dropped and the connection kicked.
    Kicked,
    /// The connection was kicked before: the frame was dropped.
    Dropped,
}

impl Outbox {
    pub fn new(capacity: usize) -> Self {
        Self(Arc::new(Shared {
            queue: Mutex::default(),
            waker: AtomicWaker::new(),
            capacity: capacity.max(1),
            kicked: AtomicBool::new(false),
        }))
    }

    fn queue(&self) -> MutexGuard<'_, Queue> {
        // Every update is a single push or take: a panic elsewhere cannot
        // leave the queue half-changed.
        self.0
            .queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queues `item`; a full queue kicks its connection instead of growing.
    pub fn push(&self, item: Outbound, wake: Wake) -> Pushed {
        let pushed = {
            let mut queue = self.queue();
            if self.0.kicked.load(Ordering::Relaxed) {
                Pushed::Dropped
            } else if queue.items.len() >= self.0.capacity {
                self.0.kicked.store(true, Ordering::Release);
                Pushed::Kicked
            } else {
                queue.items.push_back(item);
                match wake {
                    Wake::Now => Pushed::Queued,
                    Wake::Later if queue.due => Pushed::Queued,
                    Wake::Later => {
                        queue.due = true;
                        Pushed::QueuedDue
                    }
                }
            }
        };
        match pushed {
            Pushed::Kicked => self.0.waker.wake(),
            Pushed::Queued if wake == Wake::Now => self.0.waker.wake(),
            Pushed::Queued | Pushed::QueuedDue | Pushed::Dropped => {}
        }
        pushed
    }

    /// The hub's tick: deliver what was deferred.
    pub fn wake_due(&self) {
        self.queue().due = false;
        self.0.waker.wake();
    }

    /// Resolves once the queue has overflowed: its reader is too slow.
    pub async fn kicked(&self) {
        std::future::poll_fn(|cx| {
            self.0.waker.register(cx.waker());
            if self.0.kicked.load(Ordering::Acquire) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await;
    }

    /// Everything queued, once there is something.
    pub fn poll_take(&self, cx: &mut Context<'_>) -> Poll<VecDeque<Outbound>> {
        // Register before looking, so a push between the look and the
        // registration still wakes us.
        self.0.waker.register(cx.waker());
        let mut queue = self.queue();
        if queue.items.is_empty() {
            Poll::Pending
        } else {
            Poll::Ready(std::mem::take(&mut queue.items))
        }
    }

    /// Waits for frames and takes them all.
    pub async fn take(&self) -> VecDeque<Outbound> {
        std::future::poll_fn(|cx| self.poll_take(cx)).await
    }
}

#[cfg(test)]
mod tests {
    use std::{future::Future, task::Waker};

    use super::*;

    fn frame(text: &'static str) -> Outbound {
        Outbound::Frame(Arc::new(Utf8Bytes::from_static(text)))
    }

    fn texts(batch: VecDeque<Outbound>) -> Vec<String> {
        batch
            .into_iter()
            .map(|item| match item {
                Outbound::Frame(bytes) => bytes.to_string(),
                Outbound::Message(message) => message.frame.to_string(),
            })
            .collect()
    }

    /// A waker that counts its wakes.
    struct Count(std::sync::atomic::AtomicUsize);
    impl std::task::Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    fn counting_waker() -> (Arc<Count>, Waker) {
        let count = Arc::new(Count(0.into()));
        (count.clone(), Waker::from(count))
    }

    fn wakes(count: &Arc<Count>) -> usize {
        count.0.load(std::sync::atomic::Ordering::SeqCst)
    }

    #[test]
    fn takes_everything_queued_in_order() {
        let outbox = Outbox::new(8);
        let (count, waker) = counting_waker();
        let mut cx = Context::from_waker(&waker);
        assert!(outbox.poll_take(&mut cx).is_pending());
        assert_eq!(outbox.push(frame("a"), Wake::Now), Pushed::Queued);
        assert_eq!(outbox.push(frame("b"), Wake::Now), Pushed::Queued);
        assert_eq!(wakes(&count), 1, "one wake until the reader looks again");
        let Poll::Ready(batch) = outbox.poll_take(&mut cx) else {
            panic!("frames were queued");
        };
        assert_eq!(texts(batch), ["a", "b"]);
        assert!(outbox.poll_take(&mut cx).is_pending(), "taking empties it");
    }

    #[test]
    fn deferred_frames_wait_for_the_tick_or_something_urgent() {
        let outbox = Outbox::new(8);
        let (count, waker) = counting_waker();
        let mut cx = Context::from_waker(&waker);
        assert!(outbox.poll_take(&mut cx).is_pending());
        assert_eq!(outbox.push(frame("joined"), Wake::Later), Pushed::QueuedDue);
        assert_eq!(outbox.push(frame("left"), Wake::Later), Pushed::Queued);
        assert_eq!(wakes(&count), 0, "presence alone does not wake");
        outbox.wake_due();
        assert_eq!(wakes(&count), 1);
        assert_eq!(outbox.push(frame("joined"), Wake::Later), Pushed::QueuedDue);
        outbox.push(frame("message"), Wake::Now);
        let Poll::Ready(batch) = outbox.poll_take(&mut cx) else {
            panic!("frames were queued");
        };
        assert_eq!(texts(batch), ["joined", "left", "joined", "message"]);
    }

    #[test]
    fn overflow_kicks_instead_of_growing() {
        let outbox = Outbox::new(2);
        let (count, waker) = counting_waker();
        let mut cx = Context::from_waker(&waker);
        let mut kicked = std::pin::pin!(outbox.kicked());
        assert!(kicked.as_mut().poll(&mut cx).is_pending());
        outbox.push(frame("1"), Wake::Later);
        outbox.push(frame("2"), Wake::Later);
        assert_eq!(outbox.push(frame("3"), Wake::Later), Pushed::Kicked);
        assert_eq!(wakes(&count), 1, "a kick wakes the connection at once");
        assert!(kicked.as_mut().poll(&mut cx).is_ready());
        assert_eq!(outbox.push(frame("4"), Wake::Now), Pushed::Dropped);
    }
}
