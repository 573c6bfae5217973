//! The run-time guard of a mapping: a step budget, a deadline and a cancel flag, checked at every jq step.
//!
//! jaq has no step hook, but it asks its data for the look-up table (`HasLut::lut`) at every evaluation
//! step; [`GuardedLut`] counts those calls. When a run is over its budget, past its deadline or cancelled,
//! the guard unwinds the worker thread with a [`Stop`] payload (via `resume_unwind`, which skips the panic
//! hook); the runner catches it and reports a timeout or step-limit error. The unwind never leaves the
//! worker thread. `range/3`, the one native generator that yields without evaluating terms, is replaced by
//! a version that counts a step per value.

use jaq_core::box_iter::box_once;
use jaq_core::data::HasLut;
use jaq_core::native::{Fun, v};
use jaq_core::{Cv, DataT, Exn, Native, ValX, ValXs};
use jaq_json::Val;
use std::cell::{Cell, RefCell};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// The jaq data kind of crossdock mappings: JSON values, and a look-up table that counts steps.
pub(crate) struct Guarded;

impl DataT for Guarded {
    type V<'a> = Val;
    type Data<'a> = GuardedLut<'a>;
}

/// The look-up table handed to jaq; every access is one evaluation step.
#[derive(Clone)]
pub(crate) struct GuardedLut<'a>(pub(crate) &'a jaq_core::Lut<Guarded>);

impl<'a> HasLut<'a, Guarded> for GuardedLut<'a> {
    fn lut(&self) -> &'a jaq_core::Lut<Guarded> {
        step();
        self.0
    }
}

/// Why the guard stopped a run; the payload of the unwind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    Deadline,
    Steps,
}

struct Active {
    deadline: Instant,
    max_steps: u64,
    cancel: Arc<AtomicBool>,
}

thread_local! {
    static STEPS: Cell<u64> = const { Cell::new(0) };
    static ACTIVE: RefCell<Option<Active>> = const { RefCell::new(None) };
}

/// How many steps pass between two looks at the clock and the cancel flag.
const CHECK_EVERY: u64 = 1024;

/// Counts one evaluation step; stops the run when it is over budget, late or cancelled.
pub(crate) fn step() {
    let n = STEPS.get().wrapping_add(1);
    STEPS.set(n);
    // Never start a second unwind while one is under way (that would abort the process).
    if n.is_multiple_of(CHECK_EVERY)
        && !std::thread::panicking()
        && let Some(stop) = ACTIVE.with_borrow(|active| active.as_ref().and_then(|a| a.check(n)))
    {
        std::panic::resume_unwind(Box::new(stop));
    }
}

impl Active {
    fn check(&self, steps: u64) -> Option<Stop> {
        if steps > self.max_steps {
            Some(Stop::Steps)
        } else if self.cancel.load(Ordering::Relaxed) || Instant::now() >= self.deadline {
            Some(Stop::Deadline)
        } else {
            None
        }
    }
}

/// Arms the guard on this thread for one run; disarmed when dropped.
pub(crate) struct Armed(());

pub(crate) fn arm(deadline: Instant, max_steps: u64, cancel: Arc<AtomicBool>) -> Armed {
    STEPS.set(0);
    ACTIVE.set(Some(Active { deadline, max_steps, cancel }));
    Armed(())
}

impl Drop for Armed {
    fn drop(&mut self) {
        ACTIVE.set(None);
    }
}

/// Native filters available to mappings: jaq's core, standard and JSON filters, with a `range/3` that
/// counts a step per value and a `fromjson` that refuses JSON nested deeper than 128 levels (jaq's own
/// parser recurses without limit, so `"[" * 1e7 | fromjson` would overflow the stack in one step).
/// The library's own definitions call `env`, `halt` and `stderr_empty`, so those stay defined;
/// `safety` refuses mappings that call them.
pub(crate) fn funs() -> impl Iterator<Item = Fun<Guarded>> {
    let replaced = |name: &str, arity: usize| matches!((name, arity), ("range", 3) | ("fromjson", 0));
    jaq_core::funs::<Guarded>()
        .chain(jaq_std::funs::<Guarded>())
        .chain(jaq_json::funs::<Guarded>())
        .filter(move |(name, args, _)| !replaced(name, args.len()))
        .chain([
            ("range", v(3), Native::<Guarded>::new(guarded_range)),
            ("fromjson", v(0), Native::<Guarded>::new(guarded_fromjson)),
        ])
}

/// `fromjson`: parses one JSON value with serde_json, which stops at 128 levels of nesting.
fn guarded_fromjson<'a>(cv: Cv<'a, Guarded>) -> ValXs<'a, Val> {
    let parsed = match &cv.1 {
        Val::TStr(text) | Val::BStr(text) => serde_json::from_slice::<Val>(text)
            .map_err(|e| jaq_json::Error::str(format!("cannot parse {} as JSON: {e}", preview(&cv.1)))),
        other => Err(jaq_json::Error::str(format!("cannot parse {} as JSON: it is not a string", preview(other)))),
    };
    box_once(parsed.map_err(Exn::from))
}

/// The start of a value's JSON text, for error messages.
pub(crate) fn preview(v: &Val) -> String {
    const MAX: usize = 40;
    let text = match v {
        Val::TStr(s) | Val::BStr(s) => format!("{:?}", String::from_utf8_lossy(&s[..s.len().min(MAX + 4)])),
        Val::Arr(_) => "an array".to_string(),
        Val::Obj(_) => "an object".to_string(),
        scalar => scalar.to_string(),
    };
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// `range($from; $upto; $by)`: like jaq's own, counting one step per value.
fn guarded_range<'a>(mut cv: Cv<'a, Guarded>) -> ValXs<'a, Val> {
    let by = cv.0.pop_var();
    let upto = cv.0.pop_var();
    let from = cv.0.pop_var();
    Box::new(range(from, upto, by))
}

fn range<'a>(from: Val, upto: Val, by: Val) -> impl Iterator<Item = ValX<'a, Val>> {
    use std::cmp::Ordering::{Equal, Greater, Less};
    let direction = by.partial_cmp(&Val::from(0isize)).unwrap_or(Equal);
    let mut next: Option<jaq_json::ValR> = Some(Ok(from));
    std::iter::from_fn(move || match next.take()? {
        Err(e) => Some(Err(Exn::from(e))),
        Ok(x) => {
            let more = match direction {
                Greater => x < upto,
                Less => x > upto,
                Equal => x != upto,
            };
            if !more {
                return None;
            }
            step();
            next = Some(x.clone() + by.clone());
            Some(Ok(x))
        }
    })
}
