//! Compiling a jq mapping: lex, parse, refuse what is unsafe, compile against crossdock's filter set.

use super::error::{Diagnostic, MappingError};
use super::guard::{self, Guarded};
use super::safety;
use jaq_core::load::{self, Arena, File, Lexer, Loader, Parser};
use std::sync::Arc;

/// Longest mapping source accepted, in bytes.
pub const MAX_SOURCE_BYTES: usize = 128 * 1024;
/// Deepest nesting of brackets accepted in a mapping's source.
pub const MAX_SOURCE_NESTING: usize = 256;
/// Stack of the thread that parses and compiles a mapping (parsing recurses over the source's nesting).
const COMPILE_STACK_BYTES: usize = 256 * 1024 * 1024;

/// A compiled jq program, shareable between threads.
pub(crate) type Program = Arc<jaq_core::Filter<Guarded>>;

/// Compiles `source` on a thread with a large stack; `origin` names it in errors.
pub(crate) fn compile(source: &str, origin: &str) -> Result<Program, MappingError> {
    let compile_error = |diagnostics| MappingError::Compile { origin: origin.to_string(), diagnostics };
    let precheck = precheck(source);
    if !precheck.is_empty() {
        return Err(compile_error(precheck));
    }
    let owned = source.to_string();
    let worker = std::thread::Builder::new()
        .name("crossdock-jq-compile".into())
        .stack_size(COMPILE_STACK_BYTES)
        .spawn(move || compile_here(&owned).map(Arc::new));
    let worker = worker.map_err(|e| MappingError::Worker { origin: origin.to_string(), message: e.to_string() })?;
    match worker.join() {
        Ok(result) => result.map_err(compile_error),
        Err(_) => Err(MappingError::Worker { origin: origin.to_string(), message: "the compiler panicked".into() }),
    }
}

/// Checks that need no parsing: size and bracket nesting (counted over the whole text, strings included).
fn precheck(source: &str) -> Vec<Diagnostic> {
    if source.len() > MAX_SOURCE_BYTES {
        let message = format!("the mapping is {} bytes long; the limit is {MAX_SOURCE_BYTES}", source.len());
        return vec![Diagnostic::at(source, 0, message)];
    }
    let mut depth = 0usize;
    for (offset, c) in source.char_indices() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth > MAX_SOURCE_NESTING {
            let message = format!("brackets nest deeper than {MAX_SOURCE_NESTING} levels");
            return vec![Diagnostic::at(source, offset, message)];
        }
    }
    Vec::new()
}

fn compile_here(source: &str) -> Result<jaq_core::Filter<Guarded>, Vec<Diagnostic>> {
    let defs = jaq_core::defs().chain(jaq_std::defs()).chain(jaq_json::defs());
    let arena = Arena::default();
    let modules = Loader::new(defs).load(&arena, File { code: source, path: () }).map_err(|errors| {
        errors.into_iter().flat_map(|(file, error)| load_diagnostics(source, file.code, error)).collect::<Vec<_>>()
    })?;

    // Parse again for the safety checks: the loader keeps its syntax tree to itself.
    let tokens = Lexer::new(source).lex().map_err(|_| vec![Diagnostic::at(source, 0, "the mapping does not lex")])?;
    let term = Parser::new(&tokens).parse(|p| p.term()).map_err(|errors| {
        let at = errors.first().and_then(|(_, found)| found.map(|t| t.as_str())).unwrap_or("");
        vec![Diagnostic::at_slice(source, at, "include, import and module directives are not supported in mappings")]
    })?;
    let refused = safety::check(&term, source);
    if !refused.is_empty() {
        return Err(refused);
    }

    jaq_core::Compiler::default().with_funs(guard::funs()).compile(modules).map_err(|errors| {
        let undefined = errors.into_iter().flat_map(|(_file, undefined)| undefined);
        undefined
            .map(|(name, kind)| Diagnostic::at_slice(source, name, format!("undefined {} `{name}`", kind.as_str())))
            .collect()
    })
}

fn load_diagnostics<'s>(source: &'s str, code: &'s str, error: load::Error<&'s str>) -> Vec<Diagnostic> {
    // Errors in other files (the standard library) cannot happen, but would be reported at 1:1.
    let here = |part: &'s str| if std::ptr::eq(code, source) { part } else { &source[..0] };
    match error {
        load::Error::Lex(errors) => errors
            .into_iter()
            .map(|(expect, at)| Diagnostic::at_slice(source, here(at), format!("expected {}", lex_expect(&expect))))
            .collect(),
        load::Error::Parse(errors) => errors
            .into_iter()
            .map(|(expect, found)| {
                let found_text = if found.is_empty() { "end of input".to_string() } else { format!("`{found}`") };
                let message = format!("expected {}, found {found_text}", expect.as_str());
                Diagnostic::at_slice(source, here(found), message)
            })
            .collect(),
        load::Error::Io(errors) => errors
            .into_iter()
            .map(|(path, why)| Diagnostic::at_slice(source, here(path), format!("cannot load module {path:?}: {why}")))
            .collect(),
    }
}

fn lex_expect(expect: &load::lex::Expect<&str>) -> String {
    use load::lex::Expect;
    match expect {
        Expect::Digit => "a digit".into(),
        Expect::Ident => "an identifier".into(),
        Expect::Delim(open) => format!("a closing delimiter for `{open}`"),
        Expect::Escape => "a string escape sequence".into(),
        Expect::Unicode => "a 4-digit hexadecimal code point".into(),
        Expect::Token => "a token".into(),
        _ => "something else".into(),
    }
}
