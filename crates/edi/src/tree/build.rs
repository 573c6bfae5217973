//! Builds a [`Document`] from segments: envelopes by their headers and trailers, set bodies by
//! the loop placement of their schema, and 856 HL loops nested under the HL their HL02 names.

use super::{Document, Group, Interchange, LoopNode, SegmentNode, TransactionSet, TreeNode};
use crate::error::EdiError;
use crate::schema::{Structure, schema_for};
use crate::segment::Segment;
use crate::tokenizer::Segments;

/// Parses an in-memory input into interchanges, groups, sets and loops. Envelope faults do not
/// stop it (validate for those); only an input that cannot be tokenized is an error.
pub fn parse(input: &[u8]) -> Result<Document, EdiError> {
    let mut b = Builder::default();
    for seg in Segments::new(input) {
        b.push(&seg?);
    }
    Ok(b.finish())
}

struct OpenLoop {
    node: LoopNode,
    /// HL01 of an HL loop.
    hl_id: Option<Vec<u8>>,
}

struct OpenSet {
    set: TransactionSet,
    structure: Option<Structure>,
    stack: Vec<OpenLoop>,
    /// How many loops at the bottom of the stack are HL loops.
    hl_depth: usize,
    /// Set position of the last segment added (ST is 1).
    position: u32,
}

/// Builds the tree incrementally; [`Builder::take_sets`] hands out finished sets so a stream can
/// be mapped set by set without holding the whole input.
#[derive(Default)]
pub(crate) struct Builder {
    done: Vec<Interchange>,
    interchange: Option<Interchange>,
    group: Option<Group>,
    set: Option<OpenSet>,
}

fn node(seg: &Segment<'_>, position: u32) -> SegmentNode {
    SegmentNode::new(seg, position)
}

fn text(seg: &Segment<'_>, n: usize) -> String {
    seg.element_str(n).trim().to_string()
}

impl OpenSet {
    fn close_top(&mut self) {
        if let Some(open) = self.stack.pop() {
            let closed = TreeNode::Loop(open.node);
            match self.stack.last_mut() {
                Some(parent) => parent.node.children.push(closed),
                None => self.set.body.push(closed),
            }
        }
        self.hl_depth = self.hl_depth.min(self.stack.len());
    }

    fn add(&mut self, seg: &Segment<'_>) {
        self.position += 1;
        let position = self.position;
        let segment = node(seg, position);
        if let Some(structure) = self.structure.as_mut() {
            let placement = structure.place(seg.id(), position, &mut Vec::new());
            if placement.opened == Some("HL") {
                self.open_hl(seg);
            } else {
                let target = match (self.hl_depth, placement.kept) {
                    (0, kept) => kept,
                    (_, 0) => 0,
                    (hl, kept) => hl + kept - 1,
                };
                while self.stack.len() > target {
                    self.close_top();
                }
                if let Some(id) = placement.opened {
                    self.stack
                        .push(OpenLoop { node: LoopNode { id: id.to_string(), children: Vec::new() }, hl_id: None });
                }
            }
        }
        match self.stack.last_mut() {
            Some(open) => open.node.children.push(TreeNode::Segment(segment)),
            None => self.set.body.push(TreeNode::Segment(segment)),
        }
    }

    /// Opens an HL loop under the open HL whose HL01 its HL02 names (or at the top).
    fn open_hl(&mut self, seg: &Segment<'_>) {
        while self.stack.len() > self.hl_depth {
            self.close_top();
        }
        let parent = seg.element(2).unwrap_or_default();
        while self.hl_depth > 0 && self.stack.last().and_then(|l| l.hl_id.as_deref()) != Some(parent) {
            self.close_top();
        }
        let hl_id = Some(seg.element(1).unwrap_or_default().to_vec());
        self.stack.push(OpenLoop { node: LoopNode { id: "HL".into(), children: Vec::new() }, hl_id });
        self.hl_depth = self.stack.len();
    }

    fn finish(mut self) -> TransactionSet {
        while !self.stack.is_empty() {
            self.close_top();
        }
        self.set
    }
}

impl Builder {
    /// Removes and returns the sets finished so far, each with its group's GS08.
    pub(crate) fn take_sets(&mut self) -> Vec<TransactionSet> {
        let mut out = Vec::new();
        if let Some(g) = self.group.as_mut() {
            out.append(&mut g.sets);
        }
        for g in self.interchange.iter_mut().flat_map(|i| i.groups.iter_mut()) {
            out.append(&mut g.sets);
        }
        for g in self.done.iter_mut().flat_map(|i| i.groups.iter_mut()) {
            out.append(&mut g.sets);
        }
        out
    }

    /// Forgets finished interchanges (after their sets were taken), keeping the last one, to
    /// which stray groups after its IEA are attached as [`parse`] does.
    pub(crate) fn drop_finished(&mut self) {
        let keep = self.done.len().saturating_sub(1);
        self.done.drain(..keep);
    }

    pub(crate) fn push(&mut self, seg: &Segment<'_>) {
        match seg.id() {
            b"ISA" => {
                self.end_interchange();
                self.interchange = Some(Interchange {
                    control: text(seg, 13),
                    delimiters: seg.delimiters(),
                    header: node(seg, 0),
                    groups: Vec::new(),
                    other: Vec::new(),
                    trailer: None,
                });
            }
            b"IEA" => {
                self.end_group();
                if let Some(i) = self.interchange.as_mut() {
                    i.trailer = Some(node(seg, 0));
                }
                self.end_interchange();
            }
            b"GS" => {
                self.end_group();
                self.group = Some(Group {
                    functional_id: text(seg, 1),
                    control: text(seg, 6),
                    version: text(seg, 8),
                    header: Some(node(seg, 0)),
                    sets: Vec::new(),
                    trailer: None,
                });
            }
            b"GE" => {
                self.end_set();
                if let Some(g) = self.group.as_mut() {
                    g.trailer = Some(node(seg, 0));
                }
                self.end_group();
            }
            b"ST" => self.open_set(seg),
            b"SE" => {
                if let Some(s) = self.set.as_mut() {
                    s.set.trailer = Some(node(seg, s.position + 1));
                }
                self.end_set();
            }
            _ => match self.set.as_mut() {
                Some(s) => s.add(seg),
                None => self.stray(seg),
            },
        }
    }

    fn stray(&mut self, seg: &Segment<'_>) {
        if let Some(i) = self.interchange.as_mut() {
            i.other.push(node(seg, 0));
        } else if let Some(last) = self.done.last_mut() {
            last.other.push(node(seg, 0));
        }
    }

    fn open_set(&mut self, seg: &Segment<'_>) {
        self.end_set();
        let group = self.group.get_or_insert_with(|| Group {
            functional_id: String::new(),
            control: String::new(),
            version: String::new(),
            header: None,
            sets: Vec::new(),
            trailer: None,
        });
        let structure = schema_for(seg.element(1).unwrap_or_default(), group.version.as_bytes())
            .map(|(schema, version)| Structure::new(schema, version));
        let set = TransactionSet {
            id: text(seg, 1),
            control: text(seg, 2),
            schema: structure.is_some(),
            header: node(seg, 1),
            body: Vec::new(),
            trailer: None,
        };
        self.set = Some(OpenSet { set, structure, stack: Vec::new(), hl_depth: 0, position: 1 });
    }

    fn end_set(&mut self) {
        if let Some(s) = self.set.take() {
            let set = s.finish();
            if let Some(g) = self.group.as_mut() {
                g.sets.push(set);
            }
        }
    }

    fn end_group(&mut self) {
        self.end_set();
        if let Some(g) = self.group.take() {
            match self.interchange.as_mut() {
                Some(i) => i.groups.push(g),
                None => {
                    if let Some(last) = self.done.last_mut() {
                        last.groups.push(g);
                    }
                }
            }
        }
    }

    fn end_interchange(&mut self) {
        self.end_group();
        if let Some(i) = self.interchange.take() {
            self.done.push(i);
        }
    }

    pub(crate) fn finish(mut self) -> Document {
        self.end_interchange();
        Document { interchanges: self.done }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISA: &str =
        "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *260709*1200*^*00501*000000001*0*T*:~";

    fn shape(nodes: &[TreeNode]) -> String {
        nodes
            .iter()
            .map(|n| match n {
                TreeNode::Segment(s) => s.name(),
                TreeNode::Loop(l) => format!("{}[{}]", l.id, shape(&l.children)),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn body(set: &str, version: &str, segs: &str) -> String {
        let input =
            format!("{ISA}GS*XX*S*R*20260709*1200*1*X*{version}~ST*{set}*0001~{segs}SE*9*0001~GE*1*1~IEA*1*000000001~");
        let doc = parse(input.as_bytes()).expect("parses");
        let set = &doc.interchanges[0].groups[0].sets[0];
        shape(&set.body)
    }

    #[test]
    fn loops_of_an_850() {
        let segs = "BEG*00*SA*1**20260709~N1*ST*X~N3*A~PO1*1*1*EA*1**UP*1~PID*F****X~PO1*2*1*EA*1**UP*2~CTT*2~";
        assert_eq!(body("850", "004010", segs), "BEG N1[N1 N3] PO1[PO1 PID[PID]] PO1[PO1] CTT[CTT]");
    }

    #[test]
    fn hl_loops_nest_by_parent() {
        let segs = "BSN*00*1*20260709*1200~HL*1**S~TD1*CTN*1~N1*ST*X~HL*2*1*O~PRF*PO1~HL*3*2*P~MAN*GM*1~\
                    HL*4*3*I~LIN**UP*1~HL*5*2*P~HL*6*5*I~HL*7*1*O~CTT*7~";
        assert_eq!(
            body("856", "004010", segs),
            "BSN HL[HL TD1 N1[N1] HL[HL PRF HL[HL MAN HL[HL LIN]] HL[HL HL[HL]]] HL[HL]] CTT"
        );
    }

    #[test]
    fn sets_without_schema_are_flat_and_positions_count_from_st() {
        let input = format!(
            "{ISA}GS*XX*S*R*20260709*1200*1*X*003040~ST*850*0001~BEG*00~PO1*1~SE*4*0001~GE*1*1~IEA*1*000000001~TA1*1~"
        );
        let doc = parse(input.as_bytes()).expect("parses");
        let set = &doc.interchanges[0].groups[0].sets[0];
        assert!(!set.schema);
        assert_eq!(shape(&set.body), "BEG PO1");
        assert_eq!(set.all_segments().iter().map(|s| s.position).collect::<Vec<_>>(), [2, 3]);
        assert_eq!(set.trailer.as_ref().map(|s| s.position), Some(4));
        assert_eq!(doc.interchanges[0].other.len(), 1);
        let json = serde_json::to_value(&doc).unwrap_or_default();
        assert_eq!(json["interchanges"][0]["groups"][0]["sets"][0]["body"][0]["elements"][0], "00");
    }
}
