//! Code lists for the ID elements the mappings and acknowledgements read. Lists that the standard
//! keeps open-ended or very long (entity identifiers, product id qualifiers, units of measure) are
//! not checked here; the mappings check the few codes they act on.
//!
//! The functional identifier codes (479) and the acknowledgement code lists follow
//! xlate/staedi's `EDISchema997.xml` and azoner/pyx12's `999.5010.xml` (Apache-2.0 and
//! BSD-3-Clause), as stored in the shared corpus.

/// 353 Transaction Set Purpose Code (BEG01, BAK01, BSN01, BIA01).
pub const PURPOSE: &[&str] = &[
    "00", "01", "02", "03", "04", "05", "06", "07", "08", "10", "11", "12", "13", "14", "15", "16", "17", "18", "19",
    "20", "21", "22", "24", "25", "26", "27", "28", "30", "31", "32", "33", "34", "35", "36", "37", "38", "39", "40",
    "41", "42", "43", "44", "45", "46", "47", "48", "49", "50", "51", "52", "53", "54", "55", "56", "77", "CN", "CO",
    "EX", "GR", "PR", "RH", "RV", "SU", "ZZ",
];

/// 587 Acknowledgment Type (BAK02).
pub const ACK_TYPE: &[&str] = &["AC", "AD", "AE", "AH", "AK", "AP", "AT", "NA", "RD", "RF", "RJ", "RN", "RO", "ZZ"];

/// 668 Line Item Status Code (ACK01, SN108).
pub const LINE_STATUS: &[&str] = &[
    "AC", "AR", "BP", "DR", "IA", "IB", "IC", "ID", "IE", "IF", "IH", "IP", "IQ", "IR", "IS", "IW", "R1", "R2", "R3",
    "R4", "R5", "R6", "R7", "R8", "SP",
];

/// 479 Functional Identifier Code (GS01, AK101): the codes staedi's 997 schema lists.
pub const FUNCTIONAL_IDS: &[&str] = &[
    "AA", "AB", "AC", "AD", "AE", "AF", "AG", "AH", "AI", "AK", "AL", "AM", "AN", "AO", "AP", "AQ", "AR", "AS", "AT",
    "AU", "AV", "AW", "AX", "AY", "AZ", "BA", "BB", "BC", "BD", "BE", "BF", "BL", "BS", "CA", "CB", "CC", "CD", "CE",
    "CF", "CH", "CI", "CJ", "CK", "CL", "CM", "CN", "CO", "CP", "CQ", "CR", "CS", "CT", "CU", "CV", "CW", "D3", "D4",
    "D5", "DA", "DD", "DF", "DI", "DM", "DS", "DX", "EC", "ED", "EI", "EN", "EP", "ER", "ES", "EV", "EX", "FA", "FB",
    "FC", "FG", "FR", "FT", "GC", "GE", "GF", "GL", "GP", "GR", "GT", "HB", "HC", "HI", "HN", "HP", "HR", "HS", "HU",
    "HV", "IA", "IB", "IC", "ID", "IE", "IF", "IG", "IH", "IJ", "IM", "IN", "IO", "IR", "IS", "JB", "KM", "LA", "LB",
    "LI", "LN", "LR", "LS", "LT", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MI", "MJ", "MK", "MM", "MN", "MO", "MP",
    "MQ", "MR", "MS", "MT", "MV", "MW", "MX", "MY", "MZ", "NC", "NL", "NP", "NR", "NT", "OC", "OG", "OR", "OW", "PA",
    "PB", "PC", "PD", "PE", "PF", "PG", "PH", "PI", "PJ", "PK", "PL", "PN", "PO", "PQ", "PR", "PS", "PT", "PU", "PV",
    "PW", "PY", "QG", "QM", "QO", "RA", "RB", "RC", "RD", "RE", "RF", "RG", "RH", "RI", "RJ", "RK", "RL", "RM", "RN",
    "RO", "RP", "RQ", "RR", "RS", "RT", "RU", "RV", "RW", "RX", "RY", "RZ", "SA", "SB", "SC", "SD", "SE", "SH", "SI",
    "SJ", "SL", "SM", "SN", "SO", "SP", "SQ", "SR", "SS", "ST", "SU", "SV", "SW", "TA", "TB", "TD", "TE", "TF", "TI",
    "TJ", "TM", "TN", "TO", "TP", "TR", "TS", "TT", "TU", "TX", "UA", "UB", "UC", "UD", "UI", "UP", "UW", "VA", "VB",
    "VC", "VD", "VE", "VH", "VI", "VS", "WA", "WB", "WG", "WI", "WL", "WR", "WT",
];

/// 717 Transaction Set Acknowledgment Code (AK501, IK501).
pub const SET_ACK: &[&str] = &["A", "E", "M", "R", "W", "X"];

/// 715 Functional Group Acknowledge Code (AK901).
pub const GROUP_ACK: &[&str] = &["A", "E", "M", "P", "R", "W", "X"];

/// 718 Transaction Set Syntax Error Code (AK502–AK506).
pub const SET_ERRORS: &[&str] = &[
    "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "15", "16", "17", "18", "19", "23", "24",
    "25", "26", "27",
];

/// 618 Implementation Transaction Set Syntax Error Code (IK502–IK506).
pub const IMPLEMENTATION_SET_ERRORS: &[&str] = &[
    "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "15", "16", "17", "18", "19", "23", "24",
    "25", "26", "27", "I5", "I6",
];

/// 716 Functional Group Syntax Error Code (AK905–AK909).
pub const GROUP_ERRORS: &[&str] =
    &["1", "2", "3", "4", "5", "6", "10", "11", "12", "13", "14", "15", "16", "17", "18", "19", "23", "24", "25", "26"];

/// 720 Segment Syntax Error Code (AK304).
pub const SEGMENT_ERRORS: &[&str] = &["1", "2", "3", "4", "5", "6", "7", "8"];

/// 620 Implementation Segment Syntax Error Code (IK304).
pub const IMPLEMENTATION_SEGMENT_ERRORS: &[&str] =
    &["1", "2", "3", "4", "5", "6", "7", "8", "I4", "I6", "I7", "I8", "I9"];

/// 723 Data Element Syntax Error Code (AK403).
pub const ELEMENT_ERRORS: &[&str] = &["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "12", "13"];

/// 621 Implementation Data Element Syntax Error Code (IK403).
pub const IMPLEMENTATION_ELEMENT_ERRORS: &[&str] =
    &["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "12", "13", "I10", "I11", "I12", "I13", "I6", "I9"];

/// 248 Allowance or Charge Indicator (SAC01).
pub const ALLOWANCE_OR_CHARGE: &[&str] = &["A", "C", "N"];

/// 662 Relationship Code (SLN03).
pub const RELATIONSHIP: &[&str] = &["A", "D", "I", "O", "S"];
