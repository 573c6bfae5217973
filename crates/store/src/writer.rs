//! The group-commit writer: one task per store drains pending commands, applies up to [`MAX_BATCH`] of them in
//! one transaction, and answers each caller only after COMMIT has returned.

use crate::batch::Outcome;
use crate::codec::request_hash;
use crate::{CommandReceipt, CommandRequest, StoreError, SubmitError};
use async_trait::async_trait;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Most commands applied in one transaction.
pub const MAX_BATCH: usize = 512;
/// Jobs that may wait for the writer before `submit` itself waits (back-pressure).
const QUEUE_DEPTH: usize = 8 * MAX_BATCH;

/// A backend's way to apply commands: one transaction, holding the store's write lock, committed (durably)
/// before `apply` returns. An `Err` means nothing of the batch was committed.
#[async_trait]
pub(crate) trait Backend: Send + Sync + 'static {
    async fn apply(&self, requests: &[&Submitted]) -> Result<Vec<Outcome>, StoreError>;
}

/// A request with its hash (see [`request_hash`]), computed by the caller's task before it queues: the
/// writer is the one serial stage of ingest, so what does not need the store's state is done before it.
pub(crate) struct Submitted {
    pub request: CommandRequest,
    pub hash: String,
}

impl Submitted {
    pub fn new(request: CommandRequest) -> Self {
        let hash = request_hash(&request.command, request.expected_version);
        Self { request, hash }
    }
}

/// Requests from one caller, always applied in the same batch, answered together.
struct Job {
    requests: Vec<Submitted>,
    reply: oneshot::Sender<Vec<Outcome>>,
}

/// The sending side of a store's writer task; the task ends when every handle is dropped.
#[derive(Clone)]
pub(crate) struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer task on the current tokio runtime.
    pub fn spawn(backend: impl Backend) -> Self {
        let (jobs, queue) = mpsc::channel(QUEUE_DEPTH);
        tokio::spawn(run(Arc::new(backend), queue));
        Self { jobs }
    }

    pub async fn submit(&self, request: CommandRequest) -> Result<CommandReceipt, SubmitError> {
        let mut outcomes = self.send(vec![request]).await?;
        outcomes.pop().unwrap_or(Err(SubmitError::Storage(StoreError::Closed)))
    }

    /// Submits requests so that each group of up to [`MAX_BATCH`] lands in one batch, in order.
    pub async fn submit_batch(&self, mut requests: Vec<CommandRequest>) -> Vec<Outcome> {
        let mut outcomes = Vec::with_capacity(requests.len());
        while !requests.is_empty() {
            let rest = requests.split_off(requests.len().min(MAX_BATCH));
            let group = std::mem::replace(&mut requests, rest);
            let size = group.len();
            match self.send(group).await {
                Ok(answered) if answered.len() == size => outcomes.extend(answered),
                Ok(_) => outcomes.extend((0..size).map(|_| Err(SubmitError::Storage(StoreError::Closed)))),
                Err(closed) => outcomes.extend((0..size).map(|_| Err(SubmitError::Storage(clone_error(&closed))))),
            }
        }
        outcomes
    }

    async fn send(&self, requests: Vec<CommandRequest>) -> Result<Vec<Outcome>, StoreError> {
        let (reply, answer) = oneshot::channel();
        let requests = requests.into_iter().map(Submitted::new).collect();
        self.jobs.send(Job { requests, reply }).await.map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)
    }
}

async fn run<B: Backend>(backend: Arc<B>, mut queue: mpsc::Receiver<Job>) {
    // A job that did not fit in the previous batch starts the next one.
    let mut carried: Option<Job> = None;
    loop {
        let first = match carried.take() {
            Some(job) => job,
            None => match queue.recv().await {
                Some(job) => job,
                None => return,
            },
        };
        let mut total = first.requests.len();
        let mut jobs = vec![first];
        while total < MAX_BATCH {
            let Ok(job) = queue.try_recv() else { break };
            if total + job.requests.len() > MAX_BATCH {
                carried = Some(job);
                break;
            }
            total += job.requests.len();
            jobs.push(job);
        }
        // Each batch runs in a task of its own so that a panic (a bug) costs that batch's callers an error
        // (their reply channels close; the transaction is rolled back as it unwinds), not the writer.
        let backend = backend.clone();
        let batch = tokio::spawn(async move {
            let requests: Vec<&Submitted> = jobs.iter().flat_map(|j| &j.requests).collect();
            let outcomes = commit(backend.as_ref(), &requests).await;
            answer(jobs, outcomes);
        });
        if let Err(error) = batch.await {
            tracing::error!(%error, commands = total, "a batch panicked; its callers were told the store failed");
        }
    }
}

/// Sends each job its outcomes, in order.
fn answer(jobs: Vec<Job>, outcomes: Vec<Outcome>) {
    let mut outcomes = outcomes.into_iter();
    for job in jobs {
        let answered = outcomes.by_ref().take(job.requests.len()).collect();
        // The caller may have gone away; its commands are committed all the same (and replayable).
        let _ = job.reply.send(answered);
    }
}

/// Applies a batch in one transaction; if that fails as a whole, applies its commands one per transaction
/// so that one bad command cannot sink the others. (Idempotency makes this safe even when the failure was a
/// COMMIT whose fate is unknown: a command that did commit comes back as a replay.)
async fn commit(backend: &impl Backend, requests: &[&Submitted]) -> Vec<Outcome> {
    let error = match backend.apply(requests).await {
        Ok(outcomes) if outcomes.len() == requests.len() => return outcomes,
        Ok(_) => StoreError::Corrupt("a batch returned the wrong number of outcomes".into()),
        Err(error) => error,
    };
    if requests.len() == 1 {
        return vec![Err(error.into())];
    }
    tracing::warn!(%error, commands = requests.len(), "batch failed; retrying its commands one per transaction");
    let mut outcomes = Vec::with_capacity(requests.len());
    for request in requests {
        let outcome = match backend.apply(std::slice::from_ref(request)).await {
            Ok(mut one) if one.len() == 1 => one.pop().unwrap_or(Err(SubmitError::Storage(StoreError::Closed))),
            Ok(_) => Err(StoreError::Corrupt("a batch returned the wrong number of outcomes".into()).into()),
            Err(error) => Err(error.into()),
        };
        outcomes.push(outcome);
    }
    outcomes
}

fn clone_error(error: &StoreError) -> StoreError {
    match error {
        StoreError::Database(m) => StoreError::Database(m.clone()),
        StoreError::Corrupt(m) => StoreError::Corrupt(m.clone()),
        StoreError::Closed => StoreError::Closed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossdock_model::{AggregateKind, Command, LocationId, Sku};
    use std::sync::Mutex;
    use std::time::Duration;

    /// Answers every request with a receipt naming its key; fails any batch holding "poison" and panics on
    /// "panic". Records the size of every batch it is given.
    struct Fake {
        batches: Arc<Mutex<Vec<usize>>>,
        delay: Duration,
    }

    #[async_trait]
    impl Backend for Fake {
        async fn apply(&self, requests: &[&Submitted]) -> Result<Vec<Outcome>, StoreError> {
            self.batches.lock().unwrap().push(requests.len());
            let requests: Vec<&CommandRequest> = requests.iter().map(|s| &s.request).collect();
            tokio::time::sleep(self.delay).await;
            if requests.iter().any(|r| r.idempotency_key == "panic") {
                panic!("a bug in a batch");
            }
            if requests.iter().any(|r| r.idempotency_key == "poison") {
                return Err(StoreError::Database("constraint violated".into()));
            }
            Ok(requests
                .iter()
                .map(|r| {
                    Ok(CommandReceipt {
                        aggregate_kind: AggregateKind::Inventory,
                        aggregate_id: r.idempotency_key.clone(),
                        version: 1,
                        first_seq: 1,
                        last_seq: 1,
                        event_count: 1,
                        replayed: false,
                        order: None,
                    })
                })
                .collect())
        }
    }

    fn writer(delay_ms: u64) -> (Writer, Arc<Mutex<Vec<usize>>>) {
        let batches = Arc::new(Mutex::new(Vec::new()));
        (Writer::spawn(Fake { batches: batches.clone(), delay: Duration::from_millis(delay_ms) }), batches)
    }

    fn request(key: &str) -> CommandRequest {
        let command = Command::AdjustInventory {
            sku: Sku::new("S").unwrap(),
            location: LocationId::new("L").unwrap(),
            delta: 1,
            reason: "test".into(),
        };
        CommandRequest {
            idempotency_key: key.into(),
            command,
            actor: "test".into(),
            expected_version: None,
            origin: Default::default(),
        }
    }

    fn key_of(outcome: &Outcome) -> String {
        match outcome {
            Ok(receipt) => receipt.aggregate_id.clone(),
            Err(error) => format!("error: {error}"),
        }
    }

    #[tokio::test]
    async fn a_failed_batch_is_retried_one_command_per_transaction() {
        let (writer, batches) = writer(0);
        let outcomes = writer.submit_batch(vec![request("a"), request("poison"), request("b")]).await;
        let keys: Vec<String> = outcomes.iter().map(key_of).collect();
        assert_eq!(keys, ["a", "error: database error: constraint violated", "b"]);
        assert_eq!(*batches.lock().unwrap(), [3, 1, 1, 1]);
    }

    #[tokio::test]
    async fn large_submissions_are_split_at_max_batch_and_answered_in_order() {
        let (writer, batches) = writer(0);
        let keys: Vec<String> = (0..1200).map(|i| i.to_string()).collect();
        let outcomes = writer.submit_batch(keys.iter().map(|k| request(k)).collect()).await;
        assert_eq!(outcomes.iter().map(key_of).collect::<Vec<_>>(), keys);
        assert_eq!(*batches.lock().unwrap(), [512, 512, 176]);
        assert!(writer.submit_batch(Vec::new()).await.is_empty());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_submits_share_transactions() {
        let (writer, batches) = writer(20);
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..100 {
            let writer = writer.clone();
            tasks.spawn(async move { writer.submit(request(&i.to_string())).await.unwrap().aggregate_id });
        }
        let mut answered: Vec<u32> = tasks.join_all().await.iter().map(|k| k.parse().unwrap()).collect();
        answered.sort_unstable();
        assert_eq!(answered, (0..100).collect::<Vec<_>>());
        let batches = batches.lock().unwrap();
        assert_eq!(batches.iter().sum::<usize>(), 100);
        assert!(batches.len() < 10, "100 waiting commands took {} transactions: {batches:?}", batches.len());
    }

    #[tokio::test]
    async fn a_panicking_batch_fails_its_callers_but_not_the_writer() {
        let (writer, _) = writer(0);
        assert!(matches!(writer.submit(request("panic")).await, Err(SubmitError::Storage(StoreError::Closed))));
        assert_eq!(writer.submit(request("after")).await.unwrap().aggregate_id, "after");
    }
}
