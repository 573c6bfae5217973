//! A minimal X12 writer and reader for the simulated trading partners (the B2B buyer and the 3PL): they
//! build their own interchanges (ISA/GS/ST … SE/GE/IEA, 004010, `*` `:` `~`) and read the hub's, as an
//! outside system would, without the hub's EDI crate.

use chrono::{DateTime, Utc};

/// Element, component and segment separators written.
const ELEMENT: char = '*';
const COMPONENT: char = ':';
const SEGMENT: char = '~';

/// One side of an interchange: ISA qualifier and id, GS id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    pub qualifier: String,
    pub isa_id: String,
    pub gs_id: String,
}

impl Party {
    pub fn new(qualifier: &str, id: &str) -> Self {
        Self { qualifier: qualifier.into(), isa_id: id.into(), gs_id: id.into() }
    }
}

/// One segment: its id and elements, `["BEG", "00", "SA", …]`.
pub type Segment = Vec<String>;

/// Builds a segment from its id and elements.
pub fn seg(parts: &[&str]) -> Segment {
    parts.iter().map(|p| clean(p)).collect()
}

/// Takes the separators out of a value (the writer never escapes).
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if c == ELEMENT || c == COMPONENT || c == SEGMENT || c.is_control() { ' ' } else { c })
        .collect()
}

/// One transaction set to write: ST01 and the segments between ST and SE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetToWrite {
    pub id: String,
    pub body: Vec<Segment>,
}

/// An interchange of one functional group `functional_id` holding `sets`, from `from` to `to`, with
/// interchange and group control number `control` (1 to 999,999,999), dated `at`.
pub fn interchange(
    from: &Party,
    to: &Party,
    control: u32,
    at: DateTime<Utc>,
    functional_id: &str,
    sets: &[SetToWrite],
) -> Vec<u8> {
    let control = control.clamp(1, 999_999_999);
    let (date6, date8, time) =
        (at.format("%y%m%d").to_string(), at.format("%Y%m%d").to_string(), at.format("%H%M").to_string());
    let mut segments: Vec<Segment> = vec![
        vec![
            "ISA".into(),
            "00".into(),
            " ".repeat(10),
            "00".into(),
            " ".repeat(10),
            from.qualifier.clone(),
            format!("{:<15}", from.isa_id),
            to.qualifier.clone(),
            format!("{:<15}", to.isa_id),
            date6,
            time.clone(),
            "U".into(),
            "00401".into(),
            format!("{control:09}"),
            "0".into(),
            "P".into(),
            COMPONENT.to_string(),
        ],
        seg(&["GS", functional_id, &from.gs_id, &to.gs_id, &date8, &time, &control.to_string(), "X", "004010"]),
    ];
    for (n, set) in sets.iter().enumerate() {
        let st_control = format!("{:04}", n + 1);
        segments.push(seg(&["ST", &set.id, &st_control]));
        segments.extend(set.body.iter().cloned());
        segments.push(seg(&["SE", &(set.body.len() + 2).to_string(), &st_control]));
    }
    segments.push(seg(&["GE", &sets.len().to_string(), &control.to_string()]));
    segments.push(seg(&["IEA", "1", &format!("{control:09}")]));
    let mut out = String::new();
    for s in segments {
        out.push_str(&s.join(&ELEMENT.to_string()));
        out.push(SEGMENT);
        out.push('\n');
    }
    out.into_bytes()
}

/// A transaction set read from an interchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadSet {
    /// GS01 and GS06 of its group.
    pub functional_id: String,
    pub group_control: String,
    /// ST01 and ST02.
    pub id: String,
    pub control: String,
    /// The segments between ST and SE.
    pub body: Vec<Segment>,
}

impl ReadSet {
    /// The first segment with this id.
    pub fn first(&self, id: &str) -> Option<&Segment> {
        self.body.iter().find(|s| s[0] == id)
    }

    /// The segments with this id.
    pub fn all<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Segment> + 'a {
        self.body.iter().filter(move |s| s[0] == id)
    }
}

/// Element `n` of a segment (1-based), or "".
pub fn element(segment: &Segment, n: usize) -> &str {
    segment.get(n).map_or("", |e| e.trim())
}

/// A read interchange: ISA13 and sender, and its sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadInterchange {
    pub control: String,
    pub sender: String,
    pub sets: Vec<ReadSet>,
}

/// Why an input could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum X12Error {
    #[error("the input does not start with a 106-character ISA segment")]
    NoIsa,
    #[error("segment {index} ({id}) is outside a {expected}")]
    Misplaced { index: usize, id: String, expected: &'static str },
}

/// Reads every interchange's sets from `input`, taking the separators from the ISA.
pub fn read(input: &[u8]) -> Result<Vec<ReadInterchange>, X12Error> {
    let text = String::from_utf8_lossy(input);
    let text = text.trim_start();
    let bytes = text.as_bytes();
    if bytes.len() < 106 || !text.starts_with("ISA") {
        return Err(X12Error::NoIsa);
    }
    let (element, terminator) = (bytes[3] as char, bytes[105] as char);
    let mut out: Vec<ReadInterchange> = Vec::new();
    let mut group = (String::new(), String::new());
    let mut open: Option<ReadSet> = None;
    for (index, raw) in text.split(terminator).enumerate() {
        let raw = raw.trim_matches(|c: char| c == '\r' || c == '\n' || c == ' ');
        if raw.is_empty() {
            continue;
        }
        let segment: Segment = raw.split(element).map(str::to_string).collect();
        match segment[0].as_str() {
            "ISA" => out.push(ReadInterchange {
                control: element_of(&segment, 13),
                sender: element_of(&segment, 6),
                sets: Vec::new(),
            }),
            "GS" => group = (element_of(&segment, 1), element_of(&segment, 6)),
            "ST" => {
                open = Some(ReadSet {
                    functional_id: group.0.clone(),
                    group_control: group.1.clone(),
                    id: element_of(&segment, 1),
                    control: element_of(&segment, 2),
                    body: Vec::new(),
                })
            }
            "SE" => {
                let set = open.take().ok_or(X12Error::Misplaced { index, id: "SE".into(), expected: "set" })?;
                let interchange =
                    out.last_mut().ok_or(X12Error::Misplaced { index, id: "SE".into(), expected: "interchange" })?;
                interchange.sets.push(set);
            }
            "GE" | "IEA" => {}
            id => match open.as_mut() {
                Some(set) => set.body.push(segment),
                None => return Err(X12Error::Misplaced { index, id: id.into(), expected: "set" }),
            },
        }
    }
    Ok(out)
}

fn element_of(segment: &Segment, n: usize) -> String {
    element(segment, n).to_string()
}

/// A 997 accepting every set of `received` (one AK1 group per functional group read).
pub fn functional_ack(received: &ReadInterchange) -> Vec<SetToWrite> {
    let mut groups: Vec<(String, String, Vec<&ReadSet>)> = Vec::new();
    for set in &received.sets {
        match groups.iter_mut().find(|g| g.1 == set.group_control && g.0 == set.functional_id) {
            Some(g) => g.2.push(set),
            None => groups.push((set.functional_id.clone(), set.group_control.clone(), vec![set])),
        }
    }
    groups
        .into_iter()
        .map(|(fid, control, sets)| {
            let mut body = vec![seg(&["AK1", &fid, &control])];
            for s in &sets {
                body.push(seg(&["AK2", &s.id, &s.control]));
                body.push(seg(&["AK5", "A"]));
            }
            let n = sets.len().to_string();
            body.push(seg(&["AK9", "A", &n, &n, &n]));
            SetToWrite { id: "997".into(), body }
        })
        .collect()
}

/// Whether a 997 text accepts (AK9 `A` or `E`) every group it acknowledges; `None` when it holds no AK9.
pub fn ack_accepts(ack: &[u8]) -> Option<bool> {
    let interchanges = read(ack).ok()?;
    let ak9: Vec<String> = interchanges
        .iter()
        .flat_map(|i| &i.sets)
        .filter(|s| s.id == "997")
        .flat_map(|s| s.all("AK9").map(|a| element(a, 1).to_string()).collect::<Vec<_>>())
        .collect();
    if ak9.is_empty() { None } else { Some(ak9.iter().all(|c| c == "A" || c == "E")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let from = Party::new("ZZ", "BUYER");
        let to = Party::new("ZZ", "HUB");
        let set = SetToWrite {
            id: "850".into(),
            body: vec![seg(&["BEG", "00", "SA", "PO*1~", "", "20260709"]), seg(&["PO1", "1", "2", "EA"])],
        };
        let at = DateTime::parse_from_rfc3339("2026-07-09T17:45:00Z").map(|d| d.with_timezone(&Utc)).expect("time");
        interchange(&from, &to, 42, at, "PO", &[set])
    }

    #[test]
    fn writes_a_well_formed_envelope() {
        let text = String::from_utf8(sample()).expect("utf-8");
        let first = text.lines().next().expect("ISA");
        assert_eq!(first.len(), 106, "{first}");
        assert!(first.starts_with("ISA*00*          *00*          *ZZ*BUYER          *ZZ*HUB            *260709*1745"));
        assert!(first.ends_with("*000000042*0*P*:~"));
        assert!(text.contains("GS*PO*BUYER*HUB*20260709*1745*42*X*004010~"));
        assert!(text.contains("BEG*00*SA*PO 1 **20260709~"), "separators in values are blanked: {text}");
        assert!(text.contains("SE*4*0001~\nGE*1*42~\nIEA*1*000000042~"));
    }

    #[test]
    fn reads_back_what_it_writes_and_acknowledges_it() {
        let read = read(&sample()).expect("reads");
        assert_eq!(read.len(), 1);
        assert_eq!((read[0].control.as_str(), read[0].sender.as_str()), ("000000042", "BUYER"));
        let set = &read[0].sets[0];
        assert_eq!((set.functional_id.as_str(), set.group_control.as_str(), set.id.as_str()), ("PO", "42", "850"));
        assert_eq!(element(set.first("PO1").expect("PO1"), 2), "2");
        assert_eq!(set.all("BEG").count(), 1);
        let ack = functional_ack(&read[0]);
        assert_eq!(ack[0].body[0], seg(&["AK1", "PO", "42"]));
        assert_eq!(ack[0].body.last(), Some(&seg(&["AK9", "A", "1", "1", "1"])));
        let ack_bytes = interchange(&Party::new("ZZ", "HUB"), &Party::new("ZZ", "BUYER"), 7, Utc::now(), "FA", &ack);
        assert_eq!(ack_accepts(&ack_bytes), Some(true));
        assert_eq!(ack_accepts(&sample()), None, "an 850 is no acknowledgement");
    }

    #[test]
    fn refuses_what_is_not_x12() {
        assert_eq!(read(b"hello"), Err(X12Error::NoIsa));
        let mut broken = sample();
        let text = String::from_utf8_lossy(&broken).replace("ST*850*0001~\n", "");
        broken = text.into_bytes();
        assert!(matches!(read(&broken), Err(X12Error::Misplaced { .. })));
    }
}
