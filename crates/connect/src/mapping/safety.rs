//! Static checks that refuse mappings which could run forever, crash the hub or read its environment.
//!
//! Rule: a mapping may not recurse. Every `def` is a node; it has an edge to every filter called anywhere
//! in its body (nested definitions included), keyed by name and arity; a cycle among the mapping's own
//! definitions is refused. This over-approximates jq's scoping (a shadowed name counts as the outer one),
//! so it can refuse a program that would not recurse, never the other way round: jq filter arguments take
//! no arguments themselves, so a filter can only call itself by naming itself or a definition that does.
//! The library's generators that loop until a condition holds (`repeat`, `recurse(f)`, `while`, `until`,
//! `combinations`) are refused unless the mapping defines its own (checked by the same rule), and so are
//! `env`, `$ENV`, `input`, `inputs`, `halt`, `halt_error` and `stderr`. Bounded iteration (`range`,
//! `limit`, `..`, `recurse` without arguments, `walk`) stays allowed; the run-time guard counts it.

use super::error::Diagnostic;
use jaq_core::load::lex::StrPart;
use jaq_core::load::parse::{BinaryOp, Pattern, Term};
use jaq_core::path::Part;
use std::collections::{BTreeSet, HashMap};

/// Library filters (name, arity) a mapping may not call, with the reason.
const REFUSED: &[(&str, usize, &str)] = &[
    ("repeat", 1, "it can run forever"),
    ("recurse", 1, "it can run forever; use `..` or `recurse` without arguments"),
    ("recurse", 2, "it can run forever; use `..` or `recurse` without arguments"),
    ("while", 2, "it can run forever"),
    ("until", 2, "it can run forever"),
    ("combinations", 0, "its output grows exponentially"),
    ("combinations", 1, "its output grows exponentially"),
    ("env", 0, "it would expose the hub's environment"),
    ("input", 0, "a mapping reads only its own input"),
    ("inputs", 0, "a mapping reads only its own input"),
    ("halt", 0, "a mapping cannot stop the hub"),
    ("halt", 1, "a mapping cannot stop the hub"),
    ("halt_error", 0, "a mapping cannot stop the hub"),
    ("halt_error", 1, "a mapping cannot stop the hub"),
    ("stderr", 0, "a mapping cannot write to the hub's output"),
    ("stderr_empty", 0, "a mapping cannot write to the hub's output"),
];

type Key<'s> = (&'s str, usize);

struct DefNode<'s> {
    key: Key<'s>,
    calls: BTreeSet<Key<'s>>,
}

#[derive(Default)]
struct Walk<'s> {
    defs: Vec<DefNode<'s>>,
    calls: Vec<(&'s str, usize)>,
    env_vars: Vec<&'s str>,
}

/// Checks a parsed mapping; returns one diagnostic per refused construct.
pub(crate) fn check<'s>(term: &Term<&'s str>, source: &'s str) -> Vec<Diagnostic> {
    let mut walk = Walk::default();
    walk.term(term, &mut Vec::new());
    let mut out = Vec::new();
    let own: BTreeSet<Key> = walk.defs.iter().map(|d| d.key).collect();
    for name in &walk.env_vars {
        out.push(Diagnostic::at_slice(
            source,
            name,
            "`$ENV` is not allowed in mappings: it would expose the hub's environment",
        ));
    }
    for &(name, arity) in &walk.calls {
        if own.contains(&(name, arity)) {
            continue;
        }
        if let Some((_, _, why)) = REFUSED.iter().find(|(n, a, _)| *n == name && *a == arity) {
            out.push(Diagnostic::at_slice(source, name, format!("`{name}/{arity}` is not allowed in mappings: {why}")));
        }
    }
    let mut reported = BTreeSet::new();
    for def in &walk.defs {
        if reported.contains(&def.key) {
            continue;
        }
        if let Some(cycle) = cycle_through(&walk.defs, def.key) {
            reported.extend(cycle.iter().copied());
            let path: Vec<String> = cycle.iter().chain([&def.key]).map(|(n, a)| format!("{n}/{a}")).collect();
            let message = format!(
                "`{}/{}` is defined recursively ({}); recursion is not allowed in mappings, as it could run forever",
                def.key.0,
                def.key.1,
                path.join(" → ")
            );
            out.push(Diagnostic::at_slice(source, def.key.0, message));
        }
    }
    out.sort_by_key(|d| (d.line, d.column));
    out
}

/// A path of the mapping's own definitions from `start` back to itself, if there is one.
fn cycle_through<'s>(defs: &[DefNode<'s>], start: Key<'s>) -> Option<Vec<Key<'s>>> {
    let mut edges: HashMap<Key<'s>, BTreeSet<Key<'s>>> = HashMap::new();
    for def in defs {
        edges.entry(def.key).or_default().extend(def.calls.iter().copied());
    }
    // Depth-first search with an explicit stack of (node, path to it).
    let mut seen = BTreeSet::new();
    let mut stack = vec![(start, vec![start])];
    while let Some((node, path)) = stack.pop() {
        for &next in edges.get(&node).into_iter().flatten() {
            if next == start {
                return Some(path);
            }
            if edges.contains_key(&next) && seen.insert(next) {
                let mut longer = path.clone();
                longer.push(next);
                stack.push((next, longer));
            }
        }
    }
    None
}

impl<'s> Walk<'s> {
    fn call(&mut self, name: &'s str, arity: usize, enclosing: &[usize]) {
        self.calls.push((name, arity));
        for &i in enclosing {
            self.defs[i].calls.insert((name, arity));
        }
    }

    fn term(&mut self, term: &Term<&'s str>, enclosing: &mut Vec<usize>) {
        match term {
            Term::Id | Term::Recurse | Term::Num(_) | Term::Break(_) => {}
            Term::Var(name) => {
                if *name == "$ENV" {
                    self.env_vars.push(name);
                }
            }
            Term::Str(format, parts) => {
                if let Some(format) = format {
                    self.call(format, 0, enclosing);
                }
                for part in parts {
                    if let StrPart::Term(t) = part {
                        self.term(t, enclosing);
                    }
                }
            }
            Term::Arr(inner) => {
                if let Some(t) = inner {
                    self.term(t, enclosing);
                }
            }
            Term::Obj(entries) => {
                for (k, v) in entries {
                    self.term(k, enclosing);
                    if let Some(v) = v {
                        self.term(v, enclosing);
                    }
                }
            }
            Term::Neg(t) | Term::Label(_, t) => self.term(t, enclosing),
            Term::BinOp(l, op, r) => {
                self.term(l, enclosing);
                if let BinaryOp::Pipe(Some(pattern)) = op {
                    self.pattern(pattern, enclosing);
                }
                self.term(r, enclosing);
            }
            Term::Fold(_, xs, pattern, args) => {
                self.term(xs, enclosing);
                self.pattern(pattern, enclosing);
                args.iter().for_each(|t| self.term(t, enclosing));
            }
            Term::TryCatch(t, catch) => {
                self.term(t, enclosing);
                if let Some(c) = catch {
                    self.term(c, enclosing);
                }
            }
            Term::IfThenElse(branches, otherwise) => {
                for (cond, then) in branches {
                    self.term(cond, enclosing);
                    self.term(then, enclosing);
                }
                if let Some(t) = otherwise {
                    self.term(t, enclosing);
                }
            }
            Term::Def(defs, body) => {
                for def in defs {
                    self.defs.push(DefNode { key: (def.name, def.args.len()), calls: BTreeSet::new() });
                    enclosing.push(self.defs.len() - 1);
                    self.term(&def.body, enclosing);
                    enclosing.pop();
                }
                self.term(body, enclosing);
            }
            Term::Call(name, args) => {
                self.call(name, args.len(), enclosing);
                args.iter().for_each(|t| self.term(t, enclosing));
            }
            Term::Path(t, path) => {
                self.term(t, enclosing);
                for (part, _) in &path.0 {
                    match part {
                        Part::Index(i) => self.term(i, enclosing),
                        Part::Range(from, upto) => {
                            from.iter().chain(upto.iter()).for_each(|t| self.term(t, enclosing));
                        }
                    }
                }
            }
        }
    }

    fn pattern(&mut self, pattern: &Pattern<&'s str>, enclosing: &mut Vec<usize>) {
        match pattern {
            Pattern::Var(_) => {}
            Pattern::Arr(items) => items.iter().for_each(|p| self.pattern(p, enclosing)),
            Pattern::Obj(entries) => {
                for (k, p) in entries {
                    self.term(k, enclosing);
                    self.pattern(p, enclosing);
                }
            }
        }
    }
}
