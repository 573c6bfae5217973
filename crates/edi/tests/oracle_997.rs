//! The pyx12 oracle pairs: each received interchange and the 997 pyx12 produced for it. pyx12
//! validates HIPAA implementation guides this crate has no schema for, so the comparison covers
//! what the envelope determines: AK1, the AK2 list, envelope AK5 codes (2, 3, 4), AK9 counts and
//! envelope codes (3, 4, 5), acceptance where pyx12 found no guide-level fault, and TA1 exactly.

mod common;

use crossdock_edi::{AckKind, AckOptions, ControlNumbers, Mode, OwnedSegment, read_segments, reply_segments, validate};

const SET_CODES: &[&str] = &["2", "3", "4"];
const GROUP_CODES: &[&str] = &["3", "4", "5"];

fn text(s: &OwnedSegment, n: usize) -> String {
    String::from_utf8_lossy(s.value(n).unwrap_or_default()).into_owned()
}

fn id(s: &OwnedSegment) -> &[u8] {
    &s.id
}

/// 997 sets (the segments from ST to SE) and TA1 segments of an acknowledgement.
fn split(segments: &[OwnedSegment]) -> (Vec<Vec<OwnedSegment>>, Vec<OwnedSegment>) {
    let (mut sets, mut ta1s, mut current) = (Vec::new(), Vec::new(), None::<Vec<OwnedSegment>>);
    for s in segments {
        match id(s) {
            b"TA1" => ta1s.push(s.clone()),
            b"ST" => current = Some(vec![s.clone()]),
            b"SE" => sets.extend(current.take()),
            _ => {
                if let Some(c) = current.as_mut() {
                    c.push(s.clone());
                }
            }
        }
    }
    (sets, ta1s)
}

fn codes_from(s: &OwnedSegment, first: usize, allowed: &[&str]) -> Vec<String> {
    (first..=s.elements.len()).map(|n| text(s, n)).filter(|c| allowed.contains(&c.as_str())).collect()
}

/// Compares one 997 set; returns whether it matched in full (not only the envelope part).
fn compare_set(name: &str, mine: &[OwnedSegment], expected: &[OwnedSegment]) -> Result<bool, String> {
    let pick = |set: &[OwnedSegment], seg: &[u8]| set.iter().filter(|s| s.id == seg).cloned().collect::<Vec<_>>();
    let guide_faults = !pick(expected, b"AK3").is_empty()
        || pick(expected, b"AK5").iter().any(|s| !codes_from(s, 2, &["1", "5", "6", "7"]).is_empty());
    let err = |what: &str| format!("{name}: {what} differs:\n mine {mine:?}\n expected {expected:?}");
    if pick(mine, b"AK1") != pick(expected, b"AK1") {
        return Err(err("AK1"));
    }
    if pick(mine, b"AK2") != pick(expected, b"AK2") {
        return Err(err("AK2 list"));
    }
    for (m, e) in pick(mine, b"AK5").iter().zip(pick(expected, b"AK5")) {
        if codes_from(m, 2, SET_CODES) != codes_from(&e, 2, SET_CODES) {
            return Err(err("AK5 envelope codes"));
        }
        if !guide_faults && text(m, 1) != text(&e, 1) {
            return Err(err("AK501"));
        }
    }
    let (m9, e9) = (pick(mine, b"AK9"), pick(expected, b"AK9"));
    let (Some(m9), Some(e9)) = (m9.first(), e9.first()) else { return Err(err("AK9 presence")) };
    if (2..=3).any(|n| text(m9, n) != text(e9, n)) || codes_from(m9, 5, GROUP_CODES) != codes_from(e9, 5, GROUP_CODES) {
        return Err(err("AK9"));
    }
    if !guide_faults && (text(m9, 1) != text(e9, 1) || text(m9, 4) != text(e9, 4)) {
        return Err(err("AK9 acceptance"));
    }
    let body =
        |set: &[OwnedSegment]| set.iter().filter(|s| s.id != b"ST" && s.id != b"SE").cloned().collect::<Vec<_>>();
    Ok(body(mine) == body(expected))
}

#[test]
fn pyx12_oracle_997_codes() {
    let Some(dir) = common::corpus_dir() else { return };
    let pairs = dir.join("oracle/pyx12_ack_pairs");
    let mut names: Vec<String> = std::fs::read_dir(&pairs)
        .expect("oracle folder is readable")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".expected.997.edi").map(str::to_string))
        .collect();
    names.sort();
    let (mut checked, mut exact, mut sets, mut failures) = (0, 0, 0, Vec::new());
    for name in &names {
        let input = std::fs::read(pairs.join(format!("{name}.in.edi"))).expect("input readable");
        let expected = std::fs::read(pairs.join(format!("{name}.expected.997.edi"))).expect("expected readable");
        let expected = read_segments(&expected).expect("expected 997 parses");
        let report = validate(&input, Mode::Strict);
        let opts = AckOptions { kind: AckKind::Fa997, ..AckOptions::default() };
        let mut numbers = ControlNumbers::after(0, 0);
        let mine: Vec<OwnedSegment> =
            report.interchanges.iter().flat_map(|i| reply_segments(i, &opts, &mut numbers)).collect();
        let (my_sets, my_ta1) = split(&mine);
        let (exp_sets, exp_ta1) = split(&expected);
        checked += 1;
        let result = (|| {
            if my_sets.len() != exp_sets.len() {
                return Err(format!("{name}: {} 997 sets, expected {}", my_sets.len(), exp_sets.len()));
            }
            if !exp_ta1.is_empty() && my_ta1 != exp_ta1 {
                return Err(format!("{name}: TA1 {my_ta1:?}, expected {exp_ta1:?}"));
            }
            let mut all = true;
            for (m, e) in my_sets.iter().zip(&exp_sets) {
                sets += 1;
                all &= compare_set(name, m, e)?;
            }
            Ok(all)
        })();
        match result {
            Ok(true) => exact += 1,
            Ok(false) => {}
            Err(e) => failures.push(e),
        }
    }
    println!("pyx12 oracle: {checked} pairs, {sets} 997 sets checked, {exact} pairs identical in full");
    assert!(checked >= 20, "expected 20 oracle pairs, found {checked}");
    assert!(exact >= 7, "only {exact} pairs matched pyx12 in full");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
