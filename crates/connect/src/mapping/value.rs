//! Conversion between `serde_json::Value` and jaq's values, with depth and size limits on outputs.

use jaq_json::{Num, Val};
use serde::Deserialize;
use serde_json::{Map, Number, Value};

/// Deepest nesting of arrays and objects accepted in an output.
pub const MAX_OUTPUT_DEPTH: usize = 128;

/// Hands a JSON value to jaq.
pub(crate) fn to_jaq(input: Value) -> Result<Val, String> {
    Val::deserialize(input).map_err(|e| format!("cannot be converted: {e}"))
}

/// Converts one output of a mapping to JSON, adding its approximate size to `bytes` and failing when
/// that goes over `max_bytes`.
pub(crate) fn from_jaq(val: &Val, bytes: &mut usize, max_bytes: usize) -> Result<Value, String> {
    convert(val, 0, bytes, max_bytes)
}

fn convert(val: &Val, depth: usize, bytes: &mut usize, max_bytes: usize) -> Result<Value, String> {
    let count = |bytes: &mut usize, n: usize| {
        *bytes = bytes.saturating_add(n);
        if *bytes > max_bytes { Err(format!("is larger than the limit of {max_bytes} bytes")) } else { Ok(()) }
    };
    count(bytes, 8)?;
    Ok(match val {
        Val::Null => Value::Null,
        Val::Bool(b) => Value::Bool(*b),
        Val::Num(n) => Value::Number(number(n)?),
        Val::TStr(s) => {
            count(bytes, s.len())?;
            Value::String(String::from_utf8_lossy(s).into_owned())
        }
        Val::BStr(_) => return Err("contains a byte string, which JSON cannot hold".into()),
        Val::Arr(items) => {
            let depth = deeper(depth)?;
            let items = items.iter().map(|v| convert(v, depth, bytes, max_bytes));
            Value::Array(items.collect::<Result<_, _>>()?)
        }
        Val::Obj(entries) => {
            let depth = deeper(depth)?;
            let mut map = Map::with_capacity(entries.len());
            for (k, v) in entries.iter() {
                let Val::TStr(key) = k else {
                    return Err(format!("has an object key that is not a string: {k}"));
                };
                count(bytes, key.len())?;
                map.insert(String::from_utf8_lossy(key).into_owned(), convert(v, depth, bytes, max_bytes)?);
            }
            Value::Object(map)
        }
    })
}

fn deeper(depth: usize) -> Result<usize, String> {
    if depth >= MAX_OUTPUT_DEPTH {
        Err(format!("nests arrays and objects deeper than {MAX_OUTPUT_DEPTH} levels"))
    } else {
        Ok(depth + 1)
    }
}

fn number(n: &Num) -> Result<Number, String> {
    match n {
        Num::Int(i) => i64::try_from(*i).map(Number::from).map_err(|_| format!("has the integer {i}, too large")),
        Num::BigInt(i) => {
            let text = i.to_string();
            text.parse::<i64>()
                .map(Number::from)
                .or_else(|_| text.parse::<u64>().map(Number::from))
                .map_err(|_| format!("has the integer {text}, which does not fit in 64 bits"))
        }
        Num::Float(f) => Number::from_f64(*f).ok_or_else(|| format!("has the number {f}, which JSON cannot hold")),
        Num::Dec(d) => serde_json::from_str::<Number>(d).map_err(|_| format!("has the number {d}, which is not JSON")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(v: Value) -> Result<Value, String> {
        from_jaq(&to_jaq(v)?, &mut 0, 1 << 20)
    }

    #[test]
    fn json_survives_the_round_trip() {
        let v = json!({"a": [1, -2, 2.5, "x", null, true, {"b": 18446744073709551615u64}], "é": "ü"});
        assert_eq!(round_trip(v.clone()).unwrap(), v);
    }

    #[test]
    fn outputs_over_the_limits_are_refused() {
        let big = json!({"s": "x".repeat(100)});
        assert!(from_jaq(&to_jaq(big).unwrap(), &mut 0, 64).unwrap_err().contains("larger than the limit of 64 bytes"));
        let mut deep = json!(1);
        for _ in 0..MAX_OUTPUT_DEPTH {
            deep = json!([deep]);
        }
        assert!(round_trip(deep.clone()).is_ok());
        assert!(round_trip(json!([deep])).unwrap_err().contains("deeper than 128"));
        assert!(from_jaq(&Val::from(f64::NAN), &mut 0, 64).unwrap_err().contains("NaN"));
    }
}
