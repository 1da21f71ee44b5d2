//! The one batching task behind every write path (and the token look-ups):
//! items queue on a bounded channel, and one task handles whatever is
//! waiting with one call of its [`Job`], usually one query.
//!
//! The task takes the first pending item, then whatever else is already
//! queued, up to [`Options::batch_max`]; with [`Options::linger`] set it
//! also waits that long for more (last-seen updates, which nobody waits
//! for). A batch of one goes at once otherwise, so no latency is added at
//! low load; under load batches grow and the database sees far fewer round
//! trips. The job gives one answer per item, in item order, through
//! [`Answers`], which hands each straight to the item's waiter (if it
//! asked for one); whatever the job left unanswered is dropped after it.
//!
//! The queue is bounded: [`Batcher::submit`] waits for room (backpressure
//! on the sender), [`Batcher::try_push`] does not and says why it could
//! not queue. When the stop token fires, the task refuses new items, handles
//! what is already queued, and ends; it runs on a [`TaskTracker`] so
//! shutdown can wait for it.
//!
//! What each job does with a batch (SQL, broadcast) lives with the job:
//! `writer.rs`, `last_seen.rs`, and the token look-ups in
//! `accounts/tokens.rs`.

use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio_util::{sync::CancellationToken, task::TaskTracker};

/// What a batcher does with each batch.
pub trait Job: Send + 'static {
    /// What callers queue.
    type Item: Send + 'static;
    /// What each caller who asks is told.
    type Answer: Send + 'static;

    /// Handles one batch (never empty) and gives one answer per item to
    /// `answers`, in item order. Items left without an answer have their
    /// reply dropped, which their waiters see as the batcher having stopped.
    fn run(
        &mut self,
        batch: &[Self::Item],
        answers: &mut Answers<'_, Self::Answer>,
    ) -> impl Future<Output = ()> + Send;
}

/// Where a job's answers go: each straight to its item's waiter, in item
/// order, with no buffer between (the writer's answers are whole messages).
pub struct Answers<'a, A> {
    replies: std::slice::IterMut<'a, Option<oneshot::Sender<A>>>,
}

impl<A> Answers<'_, A> {
    /// Answers the next item, if its sender asked for an answer.
    pub fn push(&mut self, answer: A) {
        if let Some(reply) = self.replies.next().and_then(Option::take) {
            // The waiter may have gone (its socket closed); nothing to do.
            let _ = reply.send(answer);
        }
    }
}

impl<A> Extend<A> for Answers<'_, A> {
    fn extend<T: IntoIterator<Item = A>>(&mut self, answers: T) {
        for answer in answers {
            self.push(answer);
        }
    }
}

/// How a batcher queues and batches.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Items that may wait in the queue before senders wait too.
    pub queue: usize,
    /// The most items handled by one job call.
    pub batch_max: usize,
    /// How long to wait for more items after the first, before a batch
    /// that is not full goes. Zero: go at once with what is queued.
    pub linger: Duration,
}

/// One queued item and, if its sender waits for it, where the answer goes.
struct Queued<I, A> {
    item: I,
    reply: Option<oneshot::Sender<A>>,
}

/// A handle for queueing items; cheap to clone.
pub struct Batcher<I, A> {
    tx: mpsc::Sender<Queued<I, A>>,
}

impl<I, A> Clone for Batcher<I, A> {
    fn clone(&self) -> Self {
        Self {
            tx: self.tx.clone(),
        }
    }
}

/// Why [`Batcher::try_push`] did not queue an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PushError {
    /// The queue is full.
    #[error("the queue is full")]
    Full,
    /// The batcher has stopped.
    #[error("the batcher has stopped")]
    Stopped,
}

impl<I: Send + 'static, A: Send + 'static> Batcher<I, A> {
    /// Starts the batching task for `job` on `tracker`; it ends once `stop`
    /// is cancelled and what was queued by then is handled.
    pub fn spawn<J>(
        job: J,
        options: Options,
        tracker: &TaskTracker,
        stop: CancellationToken,
    ) -> Self
    where
        J: Job<Item = I, Answer = A>,
    {
        let (tx, rx) = mpsc::channel(options.queue.max(1));
        tracker.spawn(run(job, rx, options, stop));
        Self { tx }
    }

    /// Queues `item`, waiting for room, and returns where its answer will
    /// arrive: awaited alongside other work, or at once. The receiver
    /// reports an error if the batcher stopped before answering.
    pub async fn submit(&self, item: I) -> oneshot::Receiver<A> {
        let (reply, answer) = oneshot::channel();
        // If the batcher has stopped, `reply` is dropped with the item and
        // the receiver says so.
        let _ = self
            .tx
            .send(Queued {
                item,
                reply: Some(reply),
            })
            .await;
        answer
    }

    /// Queues `item` and waits for its answer; `None` if the batcher
    /// stopped first.
    pub async fn ask(&self, item: I) -> Option<A> {
        self.submit(item).await.await.ok()
    }

    /// Queues `item` without waiting for room or for an answer.
    pub fn try_push(&self, item: I) -> Result<(), PushError> {
        self.tx
            .try_send(Queued { item, reply: None })
            .map_err(|error| match error {
                mpsc::error::TrySendError::Full(_) => PushError::Full,
                mpsc::error::TrySendError::Closed(_) => PushError::Stopped,
            })
    }
}

/// The batching task: one batch at a time until stopped and drained.
async fn run<J: Job>(
    mut job: J,
    mut rx: mpsc::Receiver<Queued<J::Item, J::Answer>>,
    options: Options,
    stop: CancellationToken,
) {
    let mut batch = Batch::new(options.batch_max.max(1));
    let stopped = stop.cancelled();
    tokio::pin!(stopped);
    let mut stopping = false;
    loop {
        let first = tokio::select! {
            biased;
            () = &mut stopped, if !stopping => {
                // Refuse new items; what is already queued is still handled.
                stopping = true;
                rx.close();
                continue;
            }
            first = rx.recv() => first,
        };
        let Some(first) = first else { break };
        batch.push(first);
        batch.drain(&mut rx);
        if !options.linger.is_zero() && !stopping {
            batch.linger(&mut rx, options.linger, &stop).await;
        }
        let mut answers = Answers {
            replies: batch.replies.iter_mut(),
        };
        job.run(&batch.items, &mut answers).await;
        // Replies the job left unanswered are dropped here.
        batch.clear();
    }
}

/// The items of the batch being gathered and where their answers go, side
/// by side. Reused for every batch: no allocation per batch once warm.
struct Batch<I, A> {
    items: Vec<I>,
    replies: Vec<Option<oneshot::Sender<A>>>,
    max: usize,
}

impl<I, A> Batch<I, A> {
    fn new(max: usize) -> Self {
        Self {
            items: Vec::with_capacity(max),
            replies: Vec::with_capacity(max),
            max,
        }
    }

    fn push(&mut self, queued: Queued<I, A>) {
        self.items.push(queued.item);
        self.replies.push(queued.reply);
    }

    fn is_full(&self) -> bool {
        self.items.len() >= self.max
    }

    fn clear(&mut self) {
        self.items.clear();
        self.replies.clear();
    }

    /// Takes what is already queued, without waiting, until full.
    fn drain(&mut self, rx: &mut mpsc::Receiver<Queued<I, A>>) {
        while !self.is_full() {
            match rx.try_recv() {
                Ok(queued) => self.push(queued),
                Err(_) => break,
            }
        }
    }

    /// Waits up to `linger` for more items, until full or `stop`.
    async fn linger(
        &mut self,
        rx: &mut mpsc::Receiver<Queued<I, A>>,
        linger: Duration,
        stop: &CancellationToken,
    ) {
        let deadline = tokio::time::sleep(linger);
        tokio::pin!(deadline);
        while !self.is_full() {
            tokio::select! {
                biased;
                () = stop.cancelled() => return,
                () = &mut deadline => return,
                next = rx.recv() => match next {
                    Some(queued) => {
                        self.push(queued);
                        self.drain(rx);
                    }
                    None => return,
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tokio::sync::{Semaphore, mpsc::UnboundedReceiver};

    use super::*;

    /// Records every batch it is given, answers each item with ten times
    /// itself, and waits for a permit from `gate` before finishing a batch
    /// (so a test can hold a batch while more items queue behind it).
    struct Probe {
        batches: mpsc::UnboundedSender<Vec<u32>>,
        gate: Arc<Semaphore>,
    }

    impl Job for Probe {
        type Item = u32;
        type Answer = u32;

        async fn run(&mut self, batch: &[u32], answers: &mut Answers<'_, u32>) {
            let _ = self.batches.send(batch.to_vec());
            self.gate.acquire().await.unwrap().forget();
            answers.extend(batch.iter().map(|item| item * 10));
        }
    }

    struct Running {
        batcher: Batcher<u32, u32>,
        batches: UnboundedReceiver<Vec<u32>>,
        gate: Arc<Semaphore>,
        tracker: TaskTracker,
        stop: CancellationToken,
    }

    /// A batcher whose batches wait at the gate (closed at first).
    fn start(queue: usize, batch_max: usize, linger: Duration) -> Running {
        let (batches_tx, batches) = mpsc::unbounded_channel();
        let gate = Arc::new(Semaphore::new(0));
        let tracker = TaskTracker::new();
        let stop = CancellationToken::new();
        let probe = Probe {
            batches: batches_tx,
            gate: gate.clone(),
        };
        let options = Options {
            queue,
            batch_max,
            linger,
        };
        let batcher = Batcher::spawn(probe, options, &tracker, stop.clone());
        Running {
            batcher,
            batches,
            gate,
            tracker,
            stop,
        }
    }

    impl Running {
        /// The next batch the job was given.
        async fn next_batch(&mut self) -> Vec<u32> {
            self.batches.recv().await.expect("the batcher is running")
        }

        fn open_gate(&self) {
            self.gate.add_permits(Semaphore::MAX_PERMITS / 2);
        }

        /// Queues `items`; the receivers of their answers, in order.
        async fn submit_all(
            &self,
            items: impl IntoIterator<Item = u32>,
        ) -> Vec<oneshot::Receiver<u32>> {
            let mut answers = Vec::new();
            for item in items {
                answers.push(self.batcher.submit(item).await);
            }
            answers
        }
    }

    async fn answers(receivers: Vec<oneshot::Receiver<u32>>) -> Vec<u32> {
        let mut answers = Vec::new();
        for receiver in receivers {
            answers.push(receiver.await.expect("answered"));
        }
        answers
    }

    #[tokio::test]
    async fn a_lone_item_goes_at_once_as_a_batch_of_one() {
        let mut running = start(8, 8, Duration::ZERO);
        running.open_gate();
        assert_eq!(running.batcher.ask(7).await, Some(70));
        assert_eq!(running.next_batch().await, [7]);
    }

    #[tokio::test]
    async fn items_queued_during_a_batch_go_together_and_each_gets_its_own_answer_in_order() {
        let mut running = start(64, 64, Duration::ZERO);
        let first = running.submit_all([1]).await;
        assert_eq!(running.next_batch().await, [1], "the job holds item 1");
        let queued = running.submit_all([2, 3, 4, 5]).await;
        running.open_gate();
        assert_eq!(answers(first).await, [10]);
        assert_eq!(running.next_batch().await, [2, 3, 4, 5], "one job call");
        assert_eq!(answers(queued).await, [20, 30, 40, 50]);
    }

    #[tokio::test]
    async fn a_batch_never_holds_more_than_the_cap() {
        let mut running = start(64, 3, Duration::ZERO);
        let mut receivers = running.submit_all([0]).await;
        assert_eq!(running.next_batch().await, [0]);
        receivers.extend(running.submit_all(1..=7).await);
        running.open_gate();
        assert_eq!(running.next_batch().await, [1, 2, 3]);
        assert_eq!(running.next_batch().await, [4, 5, 6]);
        assert_eq!(running.next_batch().await, [7]);
        assert_eq!(answers(receivers).await, [0, 10, 20, 30, 40, 50, 60, 70]);
    }

    #[tokio::test]
    async fn a_full_queue_refuses_a_push_that_will_not_wait() {
        let mut running = start(2, 8, Duration::ZERO);
        running.batcher.try_push(1).unwrap();
        assert_eq!(running.next_batch().await, [1], "the job holds item 1");
        running.batcher.try_push(2).unwrap();
        running.batcher.try_push(3).unwrap();
        assert_eq!(running.batcher.try_push(4), Err(PushError::Full));
        running.open_gate();
        assert_eq!(running.next_batch().await, [2, 3], "4 was never queued");
    }

    #[tokio::test]
    async fn stopping_handles_what_is_queued_then_refuses_more() {
        let mut running = start(64, 2, Duration::ZERO);
        let mut receivers = running.submit_all([1]).await;
        assert_eq!(running.next_batch().await, [1], "the job holds item 1");
        receivers.extend(running.submit_all([2, 3, 4]).await);
        running.stop.cancel();
        running.open_gate();
        assert_eq!(answers(receivers).await, [10, 20, 30, 40]);
        running.tracker.close();
        running.tracker.wait().await;
        assert_eq!(running.next_batch().await, [2, 3]);
        assert_eq!(running.next_batch().await, [4]);
        assert_eq!(running.batcher.try_push(5), Err(PushError::Stopped));
        assert_eq!(
            running.batcher.ask(6).await,
            None,
            "refused, not lost silently"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn with_linger_items_arriving_within_it_join_the_batch() {
        let linger = Duration::from_secs(1);
        let mut running = start(64, 64, linger);
        running.open_gate();
        let started = tokio::time::Instant::now();
        let mut receivers = running.submit_all([1]).await;
        tokio::time::sleep(linger / 2).await;
        receivers.extend(running.submit_all([2]).await);
        assert_eq!(running.next_batch().await, [1, 2]);
        assert!(started.elapsed() >= linger, "the batch waited for more");
        assert_eq!(answers(receivers).await, [10, 20]);

        // A full batch does not wait out the linger.
        let running = start(64, 2, linger);
        running.open_gate();
        let started = tokio::time::Instant::now();
        let receivers = running.submit_all([3, 4]).await;
        assert_eq!(answers(receivers).await, [30, 40]);
        assert!(started.elapsed() < linger);
    }
}
