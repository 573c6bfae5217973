//! `crossdock edi …`: parse an X12 file to its JSON tree, validate it (every issue with its position and
//! X12 code), print the 997/999 that acknowledges it, or map it to canonical commands. Exit codes: 0 valid,
//! 1 invalid, 2 usage or IO error.

mod from_canonical;

use clap::Subcommand;
use crossdock_edi::{AckKind, AckOptions, ControlNumbers, InboundOptions, Issue, Mode, X12Code};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum EdiAction {
    /// Print the parsed tree (interchanges, groups, sets, loops) as JSON.
    Parse {
        file: PathBuf,
        /// Accepted for compatibility: the output is always JSON.
        #[arg(long)]
        json: bool,
    },
    /// Validate envelopes (and with --schemas the transaction sets); every issue on its own line.
    Validate {
        file: PathBuf,
        /// Every rule is an error (the default).
        #[arg(long, conflicts_with = "lenient")]
        strict: bool,
        /// Common envelope deviations are warnings naming the rule.
        #[arg(long)]
        lenient: bool,
        /// Also check each set against its schema (850, 855, 856, 810, 846, 940, 945, 997, 999).
        #[arg(long)]
        schemas: bool,
        /// One JSON object per issue per line (control numbers, segment, element, X12 code, message).
        #[arg(long)]
        json: bool,
    },
    /// Print the acknowledgement of a file: a 997 (or a 999), with a TA1 on envelope faults.
    Ack {
        file: PathBuf,
        /// Write a 999 instead of a 997.
        #[arg(long = "999")]
        fa999: bool,
    },
    /// Map each set to canonical commands (850 → PlaceOrder, 945 → ConfirmShipment, 846 → CountInventory).
    ToCanonical {
        file: PathBuf,
        /// The partner id the orders are attributed to (channel `edi:<partner>`).
        #[arg(long, default_value = "cli")]
        partner: String,
    },
    /// Write one outbound set (855, 856, 810, 940, 846) from canonical JSON as an interchange to a partner.
    FromCanonical(from_canonical::FromCanonical),
}

/// Runs an `edi` subcommand; exits 1 when a file is invalid and 2 when it cannot be read.
pub fn run(action: EdiAction, config: Option<&std::path::Path>) -> anyhow::Result<()> {
    let code = match action {
        EdiAction::Parse { file, .. } => parse(&read(&file)?),
        EdiAction::Validate { file, lenient, schemas, json, .. } => {
            let mode = if lenient { Mode::Lenient } else { Mode::Strict };
            validate(&file, &read(&file)?, mode, schemas, json)
        }
        EdiAction::Ack { file, fa999 } => ack(&read(&file)?, if fa999 { AckKind::Fa999 } else { AckKind::Fa997 }),
        EdiAction::ToCanonical { file, partner } => to_canonical(&read(&file)?, &partner),
        EdiAction::FromCanonical(args) => match from_canonical::run(&args, config) {
            Ok(bytes) => {
                print(String::from_utf8_lossy(&bytes).trim_end_matches('\n'))?;
                Ok(0)
            }
            Err(from_canonical::Failure::Usage(e)) => {
                eprintln!("error: {e}");
                Ok(2)
            }
            Err(from_canonical::Failure::Build(e)) => {
                eprintln!("error: {e}");
                Ok(1)
            }
        },
    }?;
    std::io::stdout().flush()?;
    if code != 0 {
        std::process::exit(code);
    }
    Ok(())
}

/// Writes a line to stdout; a closed pipe (`| head`) ends the command quietly.
fn print(text: &str) -> anyhow::Result<()> {
    match writeln!(std::io::stdout().lock(), "{text}") {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        other => Ok(other?),
    }
}

fn read(file: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(file).or_else(|e| {
        eprintln!("error: reading {}: {e}", file.display());
        std::process::exit(2)
    })
}

fn parse(input: &[u8]) -> anyhow::Result<i32> {
    match crossdock_edi::parse(input) {
        Ok(doc) => {
            print(&serde_json::to_string_pretty(&doc)?)?;
            Ok(0)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(1)
        }
    }
}

/// Where an X12 acknowledgement reports the code, e.g. `AK502/IK502 5`.
fn code_text(code: X12Code) -> String {
    let place = match code {
        X12Code::Ta1(_) => "TA105",
        X12Code::Group(_) => "AK905",
        X12Code::Set(_) => "AK502/IK502",
        X12Code::Segment(_) => "AK304/IK304",
        X12Code::Element(_) => "AK403/IK403",
    };
    format!("{place} {}", code.value())
}

/// One issue on one line: file, severity, rule, message, position and X12 code.
pub fn issue_line(file: &str, issue: &Issue) -> String {
    format!("{file}: {issue} [{}]", code_text(issue.x12_code))
}

/// One issue as one JSON object: where it is (control numbers, segment, element, component), its
/// rule, X12 code and message.
pub fn issue_json(file: &str, issue: &Issue) -> serde_json::Value {
    let p = &issue.position;
    let place = code_text(issue.x12_code);
    serde_json::json!({
        "file": file,
        "severity": if issue.is_error() { "error" } else { "warning" },
        "rule": issue.rule.to_string(),
        "interchange": p.interchange,
        "group": p.group,
        "set": p.set,
        "segment_index": p.segment_index,
        "set_position": p.set_position,
        "segment_id": p.segment_id,
        "element": p.element,
        "component": p.component,
        "byte_offset": p.byte_offset,
        "x12_code": issue.x12_code.value(),
        "x12_element": place.split(' ').next().unwrap_or_default(),
        "message": issue.message,
    })
}

fn validate(file: &Path, input: &[u8], mode: Mode, schemas: bool, json: bool) -> anyhow::Result<i32> {
    let report =
        if schemas { crossdock_edi::validate_with_schemas(input, mode) } else { crossdock_edi::validate(input, mode) };
    let shown = file.display().to_string();
    if json {
        for issue in &report.issues {
            print(&issue_json(&shown, issue).to_string())?;
        }
    } else {
        for issue in &report.issues {
            print(&issue_line(&shown, issue))?;
        }
        let (errors, warnings) = (report.errors().count(), report.warnings().count());
        let verdict = if report.is_valid() { "valid" } else { "invalid" };
        let sets: usize = report.interchanges.iter().flat_map(|i| &i.groups).map(|g| g.sets.len()).sum();
        eprintln!(
            "{shown}: {verdict} ({mode:?}): {sets} sets, {} segments, {errors} errors, {warnings} warnings",
            report.segments
        );
    }
    Ok(if report.is_valid() { 0 } else { 1 })
}

fn ack(input: &[u8], kind: AckKind) -> anyhow::Result<i32> {
    let report = crossdock_edi::validate_with_schemas(input, Mode::Strict);
    if report.interchanges.is_empty() {
        for issue in &report.issues {
            eprintln!("{}", issue_line("input", issue));
        }
        eprintln!("error: no interchange to acknowledge");
        return Ok(1);
    }
    let now = chrono::Utc::now();
    let opts = AckOptions {
        kind,
        date: now.format("%y%m%d").to_string(),
        time: now.format("%H%M").to_string(),
        ..AckOptions::default()
    };
    let bytes = crossdock_edi::acknowledge(&report, &opts, &mut ControlNumbers::after(0, 0))?;
    print(String::from_utf8_lossy(&bytes).trim_end_matches('\n'))?;
    Ok(0)
}

fn to_canonical(input: &[u8], partner: &str) -> anyhow::Result<i32> {
    let opts = InboundOptions::new(partner);
    match crossdock_edi::to_canonical(input, &opts) {
        Ok(mapped) => {
            print(&serde_json::to_string_pretty(&mapped)?)?;
            Ok(if mapped.iter().any(|m| !m.errors.is_empty()) { 1 } else { 0 })
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(1)
        }
    }
}
