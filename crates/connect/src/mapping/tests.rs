//! Tests of compiling and running mappings: errors with positions, refused programs, runaway programs.

use super::*;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

fn compile(source: &str) -> Result<Mapping, MappingError> {
    Mapping::compile(source, "test.jq")
}

fn run(source: &str, input: Value) -> Result<Vec<Value>, MappingError> {
    compile(source).expect("compiles").run(input)
}

/// A mapping with a generous clock, for tests about steps, stack and sizes rather than time: a debug
/// build on a busy machine is slow.
fn patient(source: &str) -> Mapping {
    compile(source).expect("compiles").with_limits(Limits { timeout: Duration::from_secs(30), ..Limits::default() })
}

fn compile_error(source: &str) -> String {
    compile(source).expect_err("does not compile").to_string()
}

#[test]
fn at_most_one_output_is_accepted() {
    let one = |source: &str| patient(source).run_at_most_one(json!({"n": 1}));
    assert_eq!(one(".n").unwrap(), Some(json!(1)));
    assert_eq!(one("empty").unwrap(), None);
    let many = one(".n, .n").unwrap_err();
    assert_eq!(many, MappingError::TooManyOutputs { origin: "test.jq".into(), count: 2 });
    assert_eq!(many.to_string(), "test.jq: the mapping produced 2 outputs; one command is expected");
}

#[test]
fn a_mapping_reshapes_its_input() {
    let out = run(
        r#"{id: .order.id, skus: [.order.lines[].sku], n: (.order.lines | length)}"#,
        json!({
            "order": {"id": "o-1", "lines": [{"sku": "A"}, {"sku": "B"}]}
        }),
    );
    assert_eq!(out.unwrap(), vec![json!({"id": "o-1", "skus": ["A", "B"], "n": 2})]);
    assert_eq!(run(".[]", json!([1, 2, 3])).unwrap(), vec![json!(1), json!(2), json!(3)]);
    assert_eq!(run("empty", json!(1)).unwrap(), Vec::<Value>::new());
}

#[test]
fn run_one_and_matches() {
    let m = compile(".a").unwrap();
    assert_eq!(m.run_one(json!({"a": 5})).unwrap(), json!(5));
    assert_eq!(
        compile("empty").unwrap().run_one(json!(1)).unwrap_err().to_string(),
        "test.jq: the mapping produced no output"
    );
    let filter = compile(r#".type | startswith("order.")"#).unwrap();
    assert!(filter.matches(json!({"type": "order.placed"})).unwrap());
    assert!(!filter.matches(json!({"type": "inventory.counted"})).unwrap());
    assert!(!compile("null").unwrap().matches(json!(1)).unwrap());
    assert!(!compile("empty").unwrap().matches(json!(1)).unwrap());
    assert!(compile("0").unwrap().matches(json!(1)).unwrap(), "0 is truthy in jq");
}

#[test]
fn syntax_errors_name_file_line_and_column() {
    assert_eq!(compile_error("{\n  a: .x,\n  b: (1 +)\n}"), "test.jq:3:10: expected term, found `)`");
    assert_eq!(compile_error(".a |"), "test.jq:1:5: expected term, found end of input");
    assert_eq!(compile_error("\"abc"), "test.jq:1:5: expected a closing delimiter for `\"`");
    let e = compile(".a\n| nosuch(1)").unwrap_err();
    assert_eq!(e.to_string(), "test.jq:2:3: undefined filter `nosuch`");
    assert_eq!(e.diagnostics(), [Diagnostic { line: 2, column: 3, message: "undefined filter `nosuch`".into() }]);
    assert_eq!(compile_error("$nope"), "test.jq:1:1: undefined variable `$nope`");
}

#[test]
fn recursive_definitions_are_refused_at_compile_time() {
    assert_eq!(
        compile_error("def f: f;\nf"),
        "test.jq:1:5: `f/0` is defined recursively (f/0 → f/0); recursion is not allowed in mappings, as it could run forever"
    );
    let mutual = compile_error("def ping: pong;\ndef pong: 1 + ping;\nping");
    assert!(mutual.starts_with("test.jq:1:5: `ping/0` is defined recursively (ping/0 → pong/0 → ping/0)"), "{mutual}");
    let nested = compile_error("def outer: def inner: outer; inner; outer");
    assert!(nested.contains("`outer/0` is defined recursively"), "{nested}");
    let through_argument = compile_error("def apply(g): g; def loop: apply(loop); loop");
    assert!(through_argument.contains("`loop/0` is defined recursively"), "{through_argument}");
    let fact = compile_error("def fact($n): if $n <= 1 then 1 else $n * fact($n - 1) end; fact(5)");
    assert!(fact.contains("`fact/1` is defined recursively"), "{fact}");
}

#[test]
fn non_recursive_definitions_are_fine() {
    assert_eq!(run("def double: . * 2; def quad: double | double; quad", json!(3)).unwrap(), [json!(12)]);
    // A filter argument named like its definition is not a recursive call.
    assert_eq!(run("def f(f): f + 1; f(10)", json!(null)).unwrap(), [json!(11)]);
    assert_eq!(run("def map(f): 42; map(.)", json!(null)).unwrap(), [json!(42)], "own definitions shadow the library");
}

#[test]
fn unbounded_generators_and_environment_access_are_refused() {
    for (source, name) in [
        ("[limit(3; repeat(1))]", "repeat/1"),
        ("recurse(. + 1)", "recurse/1"),
        ("recurse(. + 1; . < 10)", "recurse/2"),
        ("[.[] | while(. < 100; . * 2)]", "while/2"),
        ("until(. > 100; . * 2)", "until/2"),
        ("[[1,2],[3,4]] | combinations", "combinations/0"),
        ("env.HOME", "env/0"),
        ("input", "input/0"),
        ("halt_error", "halt_error/0"),
        ("halt", "halt/0"),
        ("stderr", "stderr/0"),
    ] {
        let e = compile_error(source);
        assert!(e.contains(&format!("`{name}` is not allowed in mappings")), "{source}: {e}");
    }
    assert!(compile_error("$ENV.PATH").contains("`$ENV` is not allowed"));
    // Several refusals are reported together, each with its position.
    let both = compile(".a | repeat(1),\nenv").unwrap_err();
    assert_eq!(both.diagnostics().iter().map(|d| (d.line, d.column)).collect::<Vec<_>>(), [(1, 6), (2, 1)]);
}

#[test]
fn bounded_iteration_is_allowed() {
    assert_eq!(run("[limit(3; range(10))]", json!(null)).unwrap(), [json!([0, 1, 2])]);
    assert_eq!(run("[.. | numbers]", json!({"a": [1, {"b": 2}]})).unwrap(), [json!([1, 2])]);
    assert_eq!(run("[recurse | numbers]", json!([3, [4]])).unwrap(), [json!([3, 4])]);
    assert_eq!(run("walk(if type == \"number\" then . + 1 else . end)", json!([1, [2]])).unwrap(), [json!([2, [3]])]);
    assert_eq!(
        run("[range(0; 10; 3)], [range(5; 0; -2)]", json!(null)).unwrap(),
        [json!([0, 3, 6, 9]), json!([5, 3, 1])]
    );
    assert_eq!(run(r#""[1, {\"a\": 2}]" | fromjson"#, json!(null)).unwrap(), [json!([1, {"a": 2}])]);
}

#[test]
fn a_runaway_mapping_is_stopped_by_the_clock() {
    let unlimited_steps = Limits { timeout: Duration::from_millis(300), max_steps: u64::MAX, ..Limits::default() };
    for source in ["[range(1e9)] | length", "last(range(infinite))", "reduce range(1e12) as $i (0; . + 1)"] {
        let m = compile(source).unwrap().with_limits(unlimited_steps);
        let started = Instant::now();
        let e = m.run(json!(null)).unwrap_err();
        assert_eq!(e, MappingError::Timeout { origin: "test.jq".into(), limit_ms: 300 }, "{source}");
        assert!(started.elapsed() < Duration::from_secs(2), "{source} took {:?}", started.elapsed());
    }
}

#[test]
fn a_runaway_mapping_is_stopped_by_the_step_budget() {
    let e = patient("[range(1e9)] | length").run(json!(null)).unwrap_err();
    assert_eq!(e.to_string(), "test.jq: mapping stopped after 1000000 evaluation steps: step limit exceeded");
    // Nested iteration over the input, with no generator of its own, is counted as well.
    let nested = patient("[.[] as $a | .[] as $b | .[] as $c | $a + $b + $c] | length");
    let e = nested.run(json!((0..1000).collect::<Vec<_>>()));
    assert!(matches!(e, Err(MappingError::StepLimit { .. })), "{e:?}");
}

#[test]
fn deep_values_do_not_crash_the_hub() {
    // Built step by step: bounded by the step budget, handled on the worker's large stack.
    let e = patient("reduce range(1e7) as $i (null; [.]) | tojson | length").run(json!(null)).unwrap_err();
    assert!(matches!(e, MappingError::StepLimit { .. }), "{e:?}");
    let deep = patient("reduce range(300000) as $i (null; [.]) | tojson | length").run(json!(null)).unwrap();
    assert_eq!(deep, [json!(600004)]);
    let e = run("reduce range(1000) as $i (null; [.])", json!(null)).unwrap_err();
    assert!(e.to_string().ends_with("output nests arrays and objects deeper than 128 levels"), "{e}");
    // Built in one step by parsing: refused by the nesting limit of `fromjson`.
    let e = run(r#""[" * 10000000 | fromjson"#, json!(null)).unwrap_err();
    assert!(e.to_string().starts_with("test.jq: cannot parse \"[[[[["), "{e}");
    assert!(e.to_string().contains("recursion limit exceeded"), "{e}");
}

#[test]
fn outputs_are_capped() {
    let e = run("range(2000)", json!(null)).unwrap_err();
    assert_eq!(e.to_string(), "test.jq: output has more than 1000 values");
    let e = patient("[range(600000)]").run(json!(null)).unwrap_err();
    assert_eq!(e.to_string(), format!("test.jq: output is larger than the limit of {} bytes", 4 << 20));
    let e = run(r#""abc" | tobytes"#, json!(null)).unwrap_err();
    assert_eq!(e.to_string(), "test.jq: output contains a byte string, which JSON cannot hold");
}

#[test]
fn runtime_errors_carry_the_message() {
    let e = run(r#"if .sku == null then error("line has no sku") else . end"#, json!({})).unwrap_err();
    assert_eq!(e, MappingError::Runtime { origin: "test.jq".into(), message: "line has no sku".into() });
    let e = run(".a.b", json!({"a": 1})).unwrap_err();
    assert_eq!(e.to_string(), "test.jq: cannot index 1 with \"b\"");
    let long = run(r#"error("x" * 10000)"#, json!(null)).unwrap_err().to_string();
    assert!(long.chars().count() < 600, "long messages are cut: {}", long.len());
}

#[test]
fn oversized_and_overnested_sources_are_refused_before_parsing() {
    let e = compile_error(&format!("{}1{}", "(".repeat(300), ")".repeat(300)));
    assert_eq!(e, "test.jq:1:257: brackets nest deeper than 256 levels");
    let e = compile_error(&" ".repeat(MAX_SOURCE_BYTES + 1));
    assert!(e.contains("the mapping is 131073 bytes long; the limit is 131072"), "{e}");
    // A long pipeline parses recursively; the compiler's thread has the stack for it.
    let chain = format!("{}.", ". | ".repeat(30_000));
    assert_eq!(compile(&chain).unwrap().run(json!(7)).unwrap(), [json!(7)]);
    assert!(compile_error("include \"other\"; .").contains("cannot load module \"other\""));
}

#[test]
fn runaways_do_not_hold_up_other_mappings() {
    let slow = compile("last(range(infinite))").unwrap().with_limits(Limits {
        timeout: Duration::from_millis(500),
        max_steps: u64::MAX,
        ..Limits::default()
    });
    let fast = compile(".n * 2").unwrap();
    let runaways: Vec<_> = (0..4)
        .map(|_| {
            let slow = slow.clone();
            std::thread::spawn(move || slow.run(json!(null)))
        })
        .collect();
    let started = Instant::now();
    let answers: Vec<_> = (0..50).map(|n| fast.run(json!({"n": n})).unwrap()).collect();
    assert_eq!(answers[49], [json!(98)]);
    for r in runaways {
        assert!(matches!(r.join().unwrap(), Err(MappingError::Timeout { .. })));
    }
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn mappings_are_shared_between_threads() {
    fn send_sync<T: Send + Sync + 'static>() {}
    send_sync::<Mapping>();
    send_sync::<MappingError>();
    send_sync::<crate::config::LoadedConnect>();
}
