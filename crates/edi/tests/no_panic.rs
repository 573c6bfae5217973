//! No panic on any input: corpus files mutated (truncated, bytes flipped, segments dropped,
//! duplicated or swapped, delimiters changed, garbage inserted) go through every entry point:
//! validation with and without schemas, acknowledgements, parsing to a tree and JSON, mapping to
//! canonical (in memory and streaming), and reading acknowledgements for reconciliation. BIN
//! segments with random data and random, often wrong, lengths go through the same entry points.

mod common;

use crossdock_edi::{
    AckOptions, ControlNumbers, Delimiters, InboundOptions, Mode, Rule, SegmentReader, Segments, acknowledge,
    map_reader, parse, read_segments, reconcile, to_canonical, validate, validate_reader, validate_reader_with_schemas,
    validate_with_schemas, write_to_vec,
};
use proptest::prelude::*;
use std::io::Read;
use std::sync::OnceLock;

const FALLBACK: &str = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *260709*1200*^*00501*000000001*0*T*:~\
GS*PO*SENDER*RECEIVER*20260709*1200*1*X*005010~ST*850*0001~BEG*00*SA*PO1**20260709~PO1*1*2*EA*1.5**UP*012345678905~\
CTT*1~SE*5*0001~GE*1*1~IEA*1*000000001~";

fn inputs() -> &'static Vec<Vec<u8>> {
    static INPUTS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    INPUTS.get_or_init(|| {
        let mut out = vec![FALLBACK.as_bytes().to_vec()];
        if let Some(dir) = common::corpus_dir() {
            for e in common::manifest(&dir) {
                out.push(common::read(&dir, &e.file));
            }
        }
        out
    })
}

/// Byte ranges of the segments of `input` (each including its terminator).
fn segment_spans(input: &[u8]) -> Vec<(usize, usize)> {
    let starts: Vec<usize> = Segments::new(input).filter_map(Result::ok).map(|s| s.offset() as usize).collect();
    starts.iter().enumerate().map(|(i, s)| (*s, starts.get(i + 1).copied().unwrap_or(input.len()))).collect()
}

#[derive(Debug, Clone)]
enum Mutation {
    Truncate(usize),
    Flip(usize, u8),
    Drop(usize),
    Duplicate(usize),
    Swap(usize, usize),
    Replace(u8, u8),
    Insert(usize, Vec<u8>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        any::<usize>().prop_map(Mutation::Drop),
        any::<usize>().prop_map(Mutation::Duplicate),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Swap(a, b)),
        (prop::sample::select(b"*~:^>\n|!".to_vec()), any::<u8>()).prop_map(|(a, b)| Mutation::Replace(a, b)),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 0..16)).prop_map(|(i, v)| Mutation::Insert(i, v)),
    ]
}

fn apply(mut input: Vec<u8>, m: &Mutation) -> Vec<u8> {
    let n = input.len().max(1);
    let spans = segment_spans(&input);
    let span = |i: usize| spans.get(i % spans.len().max(1)).copied();
    match m {
        Mutation::Truncate(i) => input.truncate(i % n),
        Mutation::Flip(i, b) => {
            if let Some(x) = input.get_mut(i % n) {
                *x = *b;
            }
        }
        Mutation::Drop(i) => {
            if let Some((s, e)) = span(*i) {
                input.drain(s..e);
            }
        }
        Mutation::Duplicate(i) => {
            if let Some((s, e)) = span(*i) {
                let copy = input[s..e].to_vec();
                input.splice(e..e, copy);
            }
        }
        Mutation::Swap(a, b) => {
            if let (Some((s1, e1)), Some((s2, e2))) = (span(*a), span(*b))
                && e1 <= s2
            {
                let (first, second) = (input[s1..e1].to_vec(), input[s2..e2].to_vec());
                input.splice(s2..e2, first);
                input.splice(s1..e1, second);
            }
        }
        Mutation::Replace(a, b) => input.iter_mut().filter(|x| **x == *a).for_each(|x| *x = *b),
        Mutation::Insert(i, v) => {
            let at = i % (input.len() + 1);
            input.splice(at..at, v.iter().copied());
        }
    }
    input
}

/// Hands out at most 3 bytes per read.
struct Trickle<'a>(&'a [u8]);

impl Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = 3.min(out.len()).min(self.0.len());
        out[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

fn exercise(input: &[u8]) {
    for mode in [Mode::Strict, Mode::Lenient] {
        let report = validate(input, mode);
        let streamed = validate_reader(Trickle(input), mode).expect("reading a slice cannot fail");
        assert_eq!(report.issues, streamed.issues, "streaming and in-memory validation disagree");
        let schemas = validate_with_schemas(input, mode);
        let streamed = validate_reader_with_schemas(Trickle(input), mode).expect("reading a slice cannot fail");
        assert_eq!(schemas.issues, streamed.issues, "streaming and in-memory schema validation disagree");
        let _ = acknowledge(&report, &AckOptions::default(), &mut ControlNumbers::after(0, 0));
        for issue in &report.issues {
            let _ = issue.to_string();
        }
    }
    if let Ok(segments) = read_segments(input) {
        let _ = write_to_vec(&segments, Delimiters::DEFAULT);
    }
    if let Ok(doc) = parse(input) {
        let _ = serde_json::to_string(&doc);
    }
    let opts = InboundOptions::new("fuzz");
    let in_memory = to_canonical(input, &opts);
    let mut outcomes = Vec::new();
    let streamed = map_reader(Trickle(input), &opts, |m| outcomes.push(m));
    if let (Ok(all), Ok(_)) = (&in_memory, &streamed) {
        // The same sets; a mangled envelope can make completion order differ from tree order.
        let sorted = |v: &[crossdock_edi::Mapped]| {
            let mut s: Vec<String> = v.iter().map(|m| format!("{m:?}")).collect();
            s.sort();
            s
        };
        assert_eq!(sorted(all), sorted(&outcomes), "streaming and in-memory mapping disagree");
    }
    let _ = reconcile::read_acks(input, chrono::DateTime::UNIX_EPOCH);
    let mut reader = SegmentReader::with_limit(Trickle(input), 64);
    while let Ok(Some(seg)) = reader.next_segment() {
        let _ = (seg.element_count(), seg.components(1), seg.repetitions(2));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_corpus_never_panics(file in any::<usize>(), mutations in prop::collection::vec(mutation(), 1..4)) {
        let inputs = inputs();
        let mut input = inputs[file % inputs.len()].clone();
        for m in &mutations {
            input = apply(input, m);
        }
        exercise(&input);
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512), isa in any::<bool>()) {
        let input = if isa { [FALLBACK.as_bytes()[..106].to_vec(), bytes].concat() } else { bytes };
        exercise(&input);
    }
}

/// What a BIN segment declares in BIN01.
#[derive(Debug, Clone)]
enum BinLength {
    /// The length of its data.
    Exact,
    /// Any number, most likely not the length of its data.
    Number(u64),
    /// `-n`.
    Negative(u64),
    /// Bytes that do not start with a digit.
    Text(Vec<u8>),
}

fn bin_length() -> impl Strategy<Value = BinLength> {
    prop_oneof![
        3 => Just(BinLength::Exact),
        1 => (0u64..400).prop_map(BinLength::Number),
        1 => any::<u64>().prop_map(BinLength::Number),
        1 => any::<u64>().prop_map(BinLength::Negative),
        1 => (any::<u8>().prop_filter("not a digit", |b| !b.is_ascii_digit()), prop::collection::vec(any::<u8>(), 0..8))
            .prop_map(|(first, rest)| BinLength::Text([vec![first], rest].concat())),
    ]
}

/// An 850 whose fourth segment (index 4) is `BIN*<declared>*<data>~`.
fn with_bin(declared: &[u8], data: &[u8]) -> Vec<u8> {
    let mut out = FALLBACK.as_bytes()[..FALLBACK.find("~PO1*").map_or(0, |i| i + 1)].to_vec();
    out.extend_from_slice(b"BIN*");
    out.extend_from_slice(declared);
    out.push(b'*');
    out.extend_from_slice(data);
    out.extend_from_slice(b"~PO1*1*2*EA*1.5**UP*012345678905~CTT*1~SE*6*0001~GE*1*1~IEA*1*000000001~");
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, failure_persistence: None, ..ProptestConfig::default() })]

    /// Random bytes in a BIN come back whole when BIN01 is their length; any other BIN01 is an error or
    /// another framing, never a panic, in every entry point and at every truncation.
    #[test]
    fn random_binary_lengths_and_data_never_panic(
        data in prop::collection::vec(any::<u8>(), 0..300),
        length in bin_length(),
        cut in any::<usize>(),
    ) {
        let declared = match &length {
            BinLength::Exact => data.len().to_string().into_bytes(),
            BinLength::Number(n) => n.to_string().into_bytes(),
            BinLength::Negative(n) => format!("-{n}").into_bytes(),
            BinLength::Text(t) => t.clone(),
        };
        let input = with_bin(&declared, &data);
        let read: Vec<_> = Segments::new(&input).collect();
        match &length {
            BinLength::Exact => {
                let segs: Vec<_> = read.iter().filter_map(|s| s.as_ref().ok()).collect();
                let ids: Vec<String> = segs.iter().map(|s| s.id_str()).collect();
                prop_assert_eq!(ids, ["ISA", "GS", "ST", "BEG", "BIN", "PO1", "CTT", "SE", "GE", "IEA"]);
                prop_assert_eq!(segs[4].element(2), Some(&data[..]));
                prop_assert!(validate(&input, Mode::Strict).is_valid());
            }
            BinLength::Negative(_) | BinLength::Text(_) => {
                let issue = read.iter().find_map(|s| s.as_ref().err()).and_then(|e| e.issue().cloned());
                let at = issue.map(|i| (i.rule, i.position.segment_index, i.position.element));
                prop_assert_eq!(at, Some((Rule::BinaryLengthInvalid, 4, Some(1))));
            }
            BinLength::Number(_) => {}
        }
        exercise(&input);
        exercise(&input[..cut % (input.len() + 1)]);
    }
}
