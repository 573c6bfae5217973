//! Running mappings: a pool of worker threads with large stacks, each run under a deadline and step budget.
//!
//! The caller waits for its result until the deadline (plus a short grace). The worker stops the run
//! itself at its next evaluation step past the deadline (see `guard`); a worker stuck in one long native
//! operation is left to finish, and a replacement is started so other mappings are not held up.

use super::compile::{self, Program};
use super::error::MappingError;
use super::guard::{self, GuardedLut, Stop};
use super::value;
use jaq_core::{Ctx, Vars};
use serde_json::Value;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

/// Stack of each mapping worker thread (reserved, touched only as used). jaq formats, compares and drops
/// values recursively, up to about 1.3 KiB of stack per level of nesting; building a level costs at least
/// two evaluation steps, so the default step budget keeps any value within about 650 MiB of stack.
const WORKER_STACK_BYTES: usize = 1024 * 1024 * 1024;
/// How long past the deadline the caller waits for the worker to report the timeout itself.
const GRACE: Duration = Duration::from_millis(50);

/// What a single run of a mapping may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock time for one run, queueing included.
    pub timeout: Duration,
    /// Evaluation steps for one run. This also bounds how deeply a mapping can nest the values it builds;
    /// raised far above the default, a pathological mapping could overflow the worker's stack.
    pub max_steps: u64,
    /// Number of output values.
    pub max_outputs: usize,
    /// Approximate size of all outputs together, in bytes.
    pub max_output_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self { timeout: Duration::from_secs(1), max_steps: 1_000_000, max_outputs: 1_000, max_output_bytes: 4 << 20 }
    }
}

/// A compiled jq mapping. Cheap to clone; runs on the shared worker pool.
#[derive(Clone)]
pub struct Mapping {
    origin: Arc<str>,
    program: Program,
    limits: Limits,
}

impl std::fmt::Debug for Mapping {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mapping").field("origin", &self.origin).field("limits", &self.limits).finish()
    }
}

impl Mapping {
    /// Compiles a jq program; `origin` (usually the file's path) names it in every error.
    pub fn compile(source: &str, origin: &str) -> Result<Mapping, MappingError> {
        let program = compile::compile(source, origin)?;
        Ok(Mapping { origin: origin.into(), program, limits: Limits::default() })
    }

    /// Reads and compiles a mapping file; its path is the origin.
    pub fn from_file(path: &std::path::Path) -> Result<Mapping, MappingError> {
        let origin = path.display().to_string();
        let source = std::fs::read_to_string(path)
            .map_err(|e| MappingError::Read { origin: origin.clone(), message: e.to_string() })?;
        Self::compile(&source, &origin)
    }

    /// The same mapping with other limits.
    pub fn with_limits(mut self, limits: Limits) -> Mapping {
        self.limits = limits;
        self
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Runs the mapping on `input` and returns every output. Blocks the calling thread for up to the
    /// time limit; from async code, call it through `spawn_blocking`.
    pub fn run(&self, input: Value) -> Result<Vec<Value>, MappingError> {
        let origin = || self.origin.to_string();
        let deadline = Instant::now() + self.limits.timeout;
        let cancel = Arc::new(AtomicBool::new(false));
        let (reply, answer) = mpsc::channel();
        let job =
            Job { program: self.program.clone(), input, limits: self.limits, deadline, cancel: cancel.clone(), reply };
        pool().submit(job).map_err(|message| MappingError::Worker { origin: origin(), message })?;
        let outcome = match answer.recv_timeout(self.limits.timeout + GRACE) {
            Ok(outcome) => outcome,
            Err(RecvTimeoutError::Timeout) => {
                cancel.store(true, Ordering::Relaxed);
                pool().replace_stuck_worker();
                Outcome::Stopped(Stop::Deadline)
            }
            Err(RecvTimeoutError::Disconnected) => Outcome::Failed("the worker stopped without an answer".into()),
        };
        match outcome {
            Outcome::Done(values) => Ok(values),
            Outcome::Stopped(Stop::Deadline) => {
                Err(MappingError::Timeout { origin: origin(), limit_ms: duration_ms(self.limits.timeout) })
            }
            Outcome::Stopped(Stop::Steps) => {
                Err(MappingError::StepLimit { origin: origin(), limit: self.limits.max_steps })
            }
            Outcome::Runtime(message) => Err(MappingError::Runtime { origin: origin(), message }),
            Outcome::Input(message) => Err(MappingError::Input { origin: origin(), message }),
            Outcome::Output(message) => Err(MappingError::Output { origin: origin(), message }),
            Outcome::Failed(message) => Err(MappingError::Worker { origin: origin(), message }),
        }
    }

    /// Runs the mapping and returns its first output; no output is an error.
    pub fn run_one(&self, input: Value) -> Result<Value, MappingError> {
        self.run(input)?.into_iter().next().ok_or_else(|| MappingError::NoOutput { origin: self.origin.to_string() })
    }

    /// Runs the mapping and returns its only output, `None` when it produced none; more than one is an error
    /// (an inbound message maps to one command or none). Blocks like [`Self::run`].
    pub fn run_at_most_one(&self, input: Value) -> Result<Option<Value>, MappingError> {
        let mut outputs = self.run(input)?;
        match outputs.len() {
            0 | 1 => Ok(outputs.pop()),
            count => Err(MappingError::TooManyOutputs { origin: self.origin.to_string(), count }),
        }
    }

    /// Runs the mapping as a filter: true when its first output is neither `false` nor `null`.
    pub fn matches(&self, input: Value) -> Result<bool, MappingError> {
        Ok(self.run(input)?.first().is_some_and(|v| !matches!(v, Value::Null | Value::Bool(false))))
    }
}

fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

struct Job {
    program: Program,
    input: Value,
    limits: Limits,
    deadline: Instant,
    cancel: Arc<AtomicBool>,
    reply: mpsc::Sender<Outcome>,
}

enum Outcome {
    Done(Vec<Value>),
    Stopped(Stop),
    Runtime(String),
    Input(String),
    Output(String),
    Failed(String),
}

/// Runs one job on this (worker) thread; true when its caller had given up on it.
fn execute(job: Job) -> bool {
    let Job { program, input, limits, deadline, cancel, reply } = job;
    let abandoned = cancel.clone();
    let outcome = match catch_unwind(AssertUnwindSafe(|| evaluate(&program, input, limits, deadline, cancel))) {
        Ok(outcome) => outcome,
        Err(payload) => match payload.downcast_ref::<Stop>() {
            Some(stop) => Outcome::Stopped(*stop),
            // This program on this input: it would panic again, so not a worker failure.
            None => Outcome::Runtime("the jq interpreter panicked".into()),
        },
    };
    let abandoned = abandoned.load(Ordering::Relaxed);
    // The caller may have given up already; then nobody listens.
    let _ = reply.send(outcome);
    abandoned
}

fn evaluate(program: &Program, input: Value, limits: Limits, deadline: Instant, cancel: Arc<AtomicBool>) -> Outcome {
    let _armed = guard::arm(deadline, limits.max_steps, cancel);
    let input = match value::to_jaq(input) {
        Ok(v) => v,
        Err(message) => return Outcome::Input(message),
    };
    let ctx = Ctx::<guard::Guarded>::new(GuardedLut(&program.lut), Vars::new([]));
    let mut outputs = Vec::new();
    let mut bytes = 0usize;
    for item in program.id.run((ctx, input)) {
        let val = match item {
            Ok(val) => val,
            Err(exn) => return Outcome::Runtime(describe_exception(exn)),
        };
        if outputs.len() == limits.max_outputs {
            return Outcome::Output(format!("has more than {} values", limits.max_outputs));
        }
        match value::from_jaq(&val, &mut bytes, limits.max_output_bytes) {
            Ok(v) => outputs.push(v),
            Err(message) => return Outcome::Output(message),
        }
    }
    Outcome::Done(outputs)
}

/// Longest error message taken over from a jq `error`, in characters.
const MAX_ERROR_CHARS: usize = 500;

fn describe_exception(exn: jaq_core::Exn<'_, jaq_json::Val>) -> String {
    match exn.get_err() {
        Ok(error) => {
            let text = error.to_string();
            // `error("text")` displays as a JSON string; show the text itself.
            let text = serde_json::from_str::<String>(&text).unwrap_or(text);
            match text.char_indices().nth(MAX_ERROR_CHARS) {
                Some((cut, _)) => format!("{}…", &text[..cut]),
                None => text,
            }
        }
        Err(exn) => match exn.get_halt() {
            Ok(code) => format!("the mapping halted with exit code {code}"),
            Err(_) => "the mapping broke out of its control flow".into(),
        },
    }
}

/// The shared pool of mapping workers.
struct Pool {
    jobs: mpsc::Sender<Job>,
    queue: Arc<Mutex<mpsc::Receiver<Job>>>,
    live: AtomicUsize,
    base: usize,
}

static POOL: OnceLock<Pool> = OnceLock::new();

fn pool() -> &'static Pool {
    POOL.get_or_init(|| {
        let (jobs, queue) = mpsc::channel();
        let base = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 16);
        Pool { jobs, queue: Arc::new(Mutex::new(queue)), live: AtomicUsize::new(0), base }
    })
}

impl Pool {
    fn submit(&'static self, job: Job) -> Result<(), String> {
        while self.live.load(Ordering::Acquire) < self.base {
            self.spawn_worker()?;
        }
        self.jobs.send(job).map_err(|_| "the mapping pool is closed".to_string())
    }

    /// Adds a worker while one is stuck past its deadline, up to four times the base number.
    fn replace_stuck_worker(&'static self) {
        if self.live.load(Ordering::Acquire) < self.base * 4 {
            // Failing to start one only leaves fewer workers; the next submit tries again.
            let _ = self.spawn_worker();
        }
    }

    fn spawn_worker(&'static self) -> Result<(), String> {
        self.live.fetch_add(1, Ordering::AcqRel);
        let spawned = std::thread::Builder::new()
            .name("crossdock-jq".into())
            .stack_size(WORKER_STACK_BYTES)
            .spawn(move || self.work());
        spawned.map(drop).map_err(|e| {
            self.live.fetch_sub(1, Ordering::AcqRel);
            format!("cannot start a mapping worker: {e}")
        })
    }

    fn work(&'static self) {
        loop {
            let job = self.queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
            let Ok(job) = job else { break };
            let abandoned = execute(job);
            // A worker whose run outlived its caller was replaced; leave if there are enough now.
            if abandoned && self.live.load(Ordering::Acquire) > self.base {
                break;
            }
        }
        self.live.fetch_sub(1, Ordering::AcqRel);
    }
}
