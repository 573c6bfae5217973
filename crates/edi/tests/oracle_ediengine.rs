//! The olmelabs/EdiEngine oracle: EdiEngine's expected JSON for its 856 and 940 test inputs,
//! compared with this crate's parse of the same inputs: the loop nesting (loops named `L_<id>`,
//! HL loops nested by parent), the segment order and every element value. The `ERR` oracle (an N4
//! outside its N1 loop) must differ, which shows the comparison sees loop placement.

mod common;

use crossdock_edi::{Mode, TransactionSet, TreeNode, parse, validate_with_schemas};
use serde_json::{Value, json};

/// EdiEngine's shape of a set body: `{"Type": "S"|"L", "Name", "Content"}`, elements `{"E": v}`.
fn ediengine_shape(nodes: &[TreeNode]) -> Vec<Value> {
    nodes
        .iter()
        .map(|n| match n {
            TreeNode::Segment(s) => {
                let elements: Vec<Value> = s
                    .segment()
                    .elements
                    .iter()
                    .map(|e| match e.as_slice() {
                        [comps] if comps.len() == 1 => json!({ "E": String::from_utf8_lossy(&comps[0]) }),
                        [comps] => json!({
                            "Type": "C",
                            "Content": comps.iter().map(|c| json!({ "E": String::from_utf8_lossy(c) })).collect::<Vec<_>>()
                        }),
                        _ => json!({ "E": "<repeated>" }),
                    })
                    .collect();
                json!({ "Type": "S", "Name": s.name(), "Content": elements })
            }
            TreeNode::Loop(l) => json!({ "Type": "L", "Name": format!("L_{}", l.id), "Content": ediengine_shape(&l.children) }),
        })
        .collect()
}

/// The oracle without what EdiEngine adds beyond content (HL id annotations on loops).
fn normalize(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            let kept = map
                .iter()
                .filter(|(k, _)| matches!(k.as_str(), "Type" | "Name" | "Content" | "E"))
                .map(|(k, v)| (k.clone(), normalize(v)))
                .collect();
            Value::Object(kept)
        }
        Value::Array(items) => Value::Array(items.iter().map(normalize).collect()),
        other => other.clone(),
    }
}

/// Reads EdiEngine's JSON, which may carry `//` comment lines.
fn read_oracle(dir: &std::path::Path, name: &str) -> Value {
    let text = std::fs::read_to_string(dir.join("oracle").join(name)).expect("oracle readable");
    let text: String = text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
    serde_json::from_str(&text).expect("oracle parses")
}

fn only_set(dir: &std::path::Path, file: &str) -> TransactionSet {
    let bytes = common::read(dir, file);
    let report = validate_with_schemas(&bytes, Mode::Strict);
    assert!(report.is_valid(), "{file}: {:?}", report.errors().map(ToString::to_string).collect::<Vec<_>>());
    let doc = parse(&bytes).expect("parses");
    let sets: Vec<&TransactionSet> = doc.sets().map(|(_, s)| s).collect();
    assert_eq!(sets.len(), 1, "{file}: one set");
    assert!(sets[0].schema, "{file}: placed by a schema");
    sets[0].clone()
}

fn first_difference(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Array(x), Value::Array(y)) => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                if let Some(d) = first_difference(p, q, &format!("{path}[{i}]")) {
                    return Some(d);
                }
            }
            (x.len() != y.len()).then(|| format!("{path}: {} items, expected {}", x.len(), y.len()))
        }
        (Value::Object(x), Value::Object(y)) => {
            for (k, p) in x {
                let q = y.get(k).unwrap_or(&Value::Null);
                if let Some(d) = first_difference(p, q, &format!("{path}.{k}")) {
                    return Some(d);
                }
            }
            None
        }
        _ => (a != b).then(|| format!("{path}: {a} != {b}")),
    }
}

#[test]
fn ediengine_856_and_940_content_matches() {
    let Some(dir) = common::corpus_dir() else { return };
    let cases = [
        ("856/ediengine__856.Crossdock.OK.edi", "ediengine__856.Crossdock.OK.json", "M_856"),
        ("940/ediengine__940.OK.edi", "ediengine__940.OK.json", "M_940"),
    ];
    let mut checked = 0;
    for (input, oracle, name) in cases {
        let set = only_set(&dir, input);
        let mine = json!({ "Type": "M", "Name": name, "Content": ediengine_shape(&set.body) });
        let expected = normalize(&read_oracle(&dir, oracle));
        if let Some(d) = first_difference(&mine, &expected, name) {
            panic!("{input} differs from EdiEngine's {oracle} at {d}");
        }
        checked += 1;
    }
    // The ERR oracle places an N4 outside its N1 loop and W76 inside the W01 loop: it must differ.
    let set = only_set(&dir, "940/ediengine__940.OK.edi");
    let mine = json!({ "Type": "M", "Name": "M_940", "Content": ediengine_shape(&set.body) });
    let wrong = normalize(&read_oracle(&dir, "ediengine__940.ERR.json"));
    assert!(first_difference(&mine, &wrong, "M_940").is_some(), "the ERR oracle must not match");
    println!("ediengine oracle: {checked} sets identical in loops, segments and elements; the ERR oracle differs");
}
