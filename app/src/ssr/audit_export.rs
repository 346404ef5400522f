//! The audit log as a file: CSV (one line per event, whatever the event holds) and JSON.
//! Values were redacted and cleaned when stored; the CSV writer escapes again anyway, so
//! that no value (a name, a path) can start a line, forge a column or run as a formula.

use super::audit::MAX_DETAIL_CHARS;
use super::redaction::clean_text_within;
use crate::model::AuditEntry;
use serde_json::{json, Value};

/// The header line of a CSV export.
pub const CSV_HEADER: &str =
    "seq,time_utc,kind,actor,subject,impersonation_id,method,path,status,detail,hash\n";

/// No field of a CSV line is longer than this, in characters, quotes and escapes included.
pub const MAX_CSV_FIELD_CHARS: usize = 2 * MAX_DETAIL_CHARS + 32;

/// An instant as exports write it: `2026-11-21T10:30:00.123Z`.
pub fn export_time(at_ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(at_ms)
        .map(|at| at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_default()
}

/// An event's detail as exports carry it: every instant (a field named `…_at`, stored as
/// milliseconds) written as an ISO 8601 UTC time, like the `time_utc` column. The event's
/// `hash` is over the stored record, milliseconds and all (`actas verify-audit` checks it).
fn readable_detail(detail: &str) -> Value {
    fn rewrite(value: &mut Value) {
        match value {
            Value::Object(fields) => {
                for (key, field) in fields.iter_mut() {
                    match field.as_i64() {
                        Some(at) if key.ends_with("_at") => *field = Value::String(export_time(at)),
                        _ => rewrite(field),
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(rewrite),
            _ => {}
        }
    }
    match serde_json::from_str::<Value>(detail) {
        Ok(mut value) => {
            rewrite(&mut value);
            value
        }
        Err(_) => Value::String(detail.to_string()),
    }
}

/// One CSV field: control characters escaped (so it stays on its line), capped, a leading
/// formula sign defused, and quoted.
fn csv_field(text: &str) -> String {
    let mut cleaned = clean_text_within(text, 2 * MAX_DETAIL_CHARS);
    if cleaned.starts_with(['=', '+', '-', '@']) {
        cleaned.insert(0, '\'');
    }
    format!("\"{}\"", cleaned.replace('"', "\"\""))
}

/// One event as one CSV line, ending in a newline.
pub fn csv_line(entry: &AuditEntry) -> String {
    let number = |value: Option<i64>| value.map(|n| n.to_string()).unwrap_or_default();
    let fields = [
        entry.seq.to_string(),
        export_time(entry.at_ms),
        entry.kind.clone(),
        entry.actor.clone().unwrap_or_default(),
        entry.subject.clone().unwrap_or_default(),
        number(entry.impersonation_id),
        entry.method.clone().unwrap_or_default(),
        entry.path.clone().unwrap_or_default(),
        number(entry.status.map(i64::from)),
        match readable_detail(&entry.detail) {
            Value::String(text) => text,
            other => other.to_string(),
        },
        entry.hash.clone(),
    ];
    let mut line = fields
        .iter()
        .map(|field| csv_field(field))
        .collect::<Vec<_>>()
        .join(",");
    line.push('\n');
    line
}

/// One event as a JSON object; the detail as the JSON it is.
pub fn json_entry(entry: &AuditEntry) -> Value {
    let detail = readable_detail(&entry.detail);
    json!({
        "seq": entry.seq,
        "time_utc": export_time(entry.at_ms),
        "kind": entry.kind,
        "actor": entry.actor,
        "subject": entry.subject,
        "impersonation_id": entry.impersonation_id,
        "method": entry.method,
        "path": entry.path,
        "status": entry.status,
        "detail": detail,
        "hash": entry.hash,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports_carry_instants_as_iso_times() {
        let detail = r#"{"expires_at":1795257000000,"scope":"view_only","inner":{"granted_at":0}}"#;
        let readable = readable_detail(detail);
        assert_eq!(readable["expires_at"], "2026-11-21T10:30:00.000Z");
        assert_eq!(readable["inner"]["granted_at"], "1970-01-01T00:00:00.000Z");
        assert_eq!(readable["scope"], "view_only");
        assert_eq!(
            readable_detail("not json"),
            Value::String("not json".into())
        );
    }

    fn entry(detail: &str, actor: &str) -> AuditEntry {
        AuditEntry {
            seq: 7,
            at_ms: 1_795_257_000_123,
            kind: "action".into(),
            actor: Some(actor.into()),
            subject: None,
            impersonation_id: Some(3),
            method: Some("POST".into()),
            path: Some("/api/rename_project".into()),
            status: Some(200),
            detail: detail.into(),
            hash: "ab".into(),
            sentence: String::new(),
        }
    }

    #[test]
    fn a_csv_line_quotes_every_field_and_defuses_formulas() {
        let line = csv_line(&entry(r#"{"name":"a, \"b\""}"#, "=HYPERLINK(\"x\")"));
        assert_eq!(
            line,
            "\"7\",\"2026-11-21T10:30:00.123Z\",\"action\",\"'=HYPERLINK(\"\"x\"\")\",\"\",\"3\",\
             \"POST\",\"/api/rename_project\",\"200\",\"{\"\"name\"\":\"\"a, \\\"\"b\\\"\"\"\"}\",\"ab\"\n"
        );
    }

    #[test]
    fn a_name_with_a_line_break_stays_on_its_line() {
        let line = csv_line(&entry("{}", "Eve\r\nforged,line"));
        assert_eq!(line.matches('\n').count(), 1);
        assert!(line.contains("Eve\\u000d\\u000aforged,line"));
    }

    #[test]
    fn the_json_export_keeps_the_detail_as_json() {
        let value = json_entry(&entry(r#"{"n":1}"#, "Ada <ada@example.com>"));
        assert_eq!(value["detail"]["n"], 1);
        assert_eq!(value["time_utc"], "2026-11-21T10:30:00.123Z");
    }
}
