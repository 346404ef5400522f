//! Property tests of SPEC.md §5's redaction and of the exports: whatever a request carries,
//! no secret's bytes reach a stored event, a CSV line, a JSON export or the event's sentence,
//! and no value can forge or bloat a line of the CSV or the sentence.

#![cfg(feature = "ssr")]

use app::model::AuditEntry;
use app::ssr::action_record::request_arguments;
use app::ssr::audit::{EventKind, NewEvent, StoredEvent};
use app::ssr::audit_export::{csv_line, json_entry, MAX_CSV_FIELD_CHARS};
use app::ssr::hash_chain::GENESIS_HASH;
use app::ssr::plain_words::{sentence, EventFacts};
use proptest::prelude::*;
use serde_json::{Map, Value};

/// A secret's value: a marker no harmless value will contain by chance.
fn secret() -> impl Strategy<Value = String> {
    "[A-Za-z0-9]{16}".prop_map(|tail| format!("S3CR3T{tail}"))
}

/// A key SPEC.md §5 calls secret, under varied casing, inside longer names.
fn secret_key() -> impl Strategy<Value = String> {
    let fragment = prop_oneof![
        Just("password"),
        Just("secret"),
        Just("token"),
        Just("authorization"),
        Just("cookie"),
        Just("api_key"),
        Just("iban"),
        Just("code"),
    ];
    (fragment, "[a-z_-]{0,6}", "[a-z_-]{0,6}", any::<u64>()).prop_map(
        |(fragment, before, after, casing)| {
            let fragment: String = fragment
                .chars()
                .enumerate()
                .map(|(i, c)| {
                    if casing >> (i % 64) & 1 == 1 {
                        c.to_ascii_uppercase()
                    } else {
                        c
                    }
                })
                .collect();
            if fragment.eq_ignore_ascii_case("code") {
                // `code` counts alone or as a `_code` ending.
                if before.is_empty() {
                    fragment
                } else {
                    format!("{before}_{fragment}")
                }
            } else {
                format!("{before}{fragment}{after}")
            }
        },
    )
}

/// Harmless text: any characters, control characters included, sometimes very long.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::collection::vec(any::<char>(), 0..40).prop_map(String::from_iter),
        1 => (any::<char>(), 1_000usize..20_000).prop_map(|(c, n)| c.to_string().repeat(n)),
        1 => Just("line\r\nforged,\"row\"\n=cmd".to_string()),
    ]
}

/// A value under a secret key: the marker itself, or the marker buried in a structure.
fn secret_value() -> impl Strategy<Value = (Value, String)> {
    (secret(), 0..3u8).prop_map(|(marker, shape)| {
        let value = match shape {
            0 => Value::String(marker.clone()),
            1 => serde_json::json!({ "inner": marker, "list": [marker] }),
            _ => serde_json::json!([[marker]]),
        };
        (value, marker)
    })
}

/// A nested detail mixing harmless fields and secrets at any depth; returns the markers.
/// Secrets enter only under secret keys, possibly deep inside harmless objects and arrays.
fn detail() -> impl Strategy<Value = (Value, Vec<String>)> {
    let leaf = prop_oneof![
        text().prop_map(|t| (Value::String(t), vec![])),
        any::<i64>().prop_map(|n| (Value::from(n), vec![])),
    ];
    leaf.prop_recursive(6, 96, 6, |inner| {
        prop_oneof![
            // Harmless keys (any text, control characters included) over anything.
            proptest::collection::vec((text(), inner.clone()), 0..6).prop_map(|fields| {
                let mut object = Map::new();
                let mut markers = vec![];
                for (key, (value, found)) in fields {
                    markers.extend(found);
                    object.insert(key, value);
                }
                (Value::Object(object), markers)
            }),
            // Secret keys over secrets, beside harmless fields.
            (
                proptest::collection::vec((secret_key(), secret_value()), 1..4),
                inner.clone(),
            )
                .prop_map(|(fields, (beside, mut markers))| {
                    let mut object = Map::new();
                    object.insert("beside".into(), beside);
                    for (key, (value, marker)) in fields {
                        object.insert(key, value);
                        markers.push(marker);
                    }
                    (Value::Object(object), markers)
                }),
            proptest::collection::vec(inner, 0..4).prop_map(|items| {
                let mut markers = vec![];
                let values = items
                    .into_iter()
                    .map(|(value, found)| {
                        markers.extend(found);
                        value
                    })
                    .collect();
                (Value::Array(values), markers)
            }),
        ]
    })
}

fn entry_of(event: &StoredEvent, actor: &str) -> AuditEntry {
    AuditEntry {
        seq: event.seq,
        at_ms: event.at_ms,
        kind: event.kind.clone(),
        actor: Some(actor.to_string()),
        subject: Some("Mia Member <mia@example.com>".into()),
        impersonation_id: event.impersonation_id,
        method: event.method.clone(),
        path: event.path.clone(),
        status: event.status,
        detail: event.detail.clone(),
        hash: event.hash.clone(),
        sentence: sentence(EventFacts {
            kind: &event.kind,
            path: event.path.as_deref(),
            status: event.status,
            detail: &event.detail,
        }),
    }
}

/// Every way the event leaves the store: as stored, as a CSV line, as JSON.
fn check_outputs(
    event: &StoredEvent,
    actor: &str,
    markers: &[String],
) -> Result<(), TestCaseError> {
    let entry = entry_of(event, actor);
    let line = csv_line(&entry);
    let json = json_entry(&entry).to_string();
    for marker in markers {
        prop_assert!(
            !event.detail.contains(marker.as_str()),
            "stored: {}",
            event.detail
        );
        prop_assert!(!line.contains(marker.as_str()), "csv: {line}");
        prop_assert!(!json.contains(marker.as_str()), "json: {json}");
        prop_assert!(
            !entry.sentence.contains(marker.as_str()),
            "sentence: {}",
            entry.sentence
        );
    }
    // A sentence is one line, whatever it quotes.
    prop_assert!(!entry.sentence.chars().any(char::is_control));
    // One event, one physical line, of bounded length.
    prop_assert_eq!(line.matches('\n').count(), 1);
    prop_assert!(line.ends_with('\n'));
    prop_assert!(!line.contains('\r'));
    prop_assert!(line.chars().count() <= 11 * (MAX_CSV_FIELD_CHARS + 1));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn no_secret_survives_in_a_detail_and_no_value_breaks_a_csv_line(
        (detail, markers) in detail(),
        path in text(),
        actor in text(),
    ) {
        let event = NewEvent::new(EventKind::Action)
            .request("POST", &path, 200)
            .detail(detail)
            .seal(1, 0, GENESIS_HASH);
        check_outputs(&event, &actor, &markers)?;
    }

    #[test]
    fn no_secret_survives_in_a_requests_arguments(
        fields in proptest::collection::vec((secret_key(), secret()), 1..6),
        harmless in proptest::collection::vec(("[a-z]{1,8}", text()), 0..6),
        in_query in any::<bool>(),
        (before, after) in (text(), text()),
    ) {
        let markers: Vec<String> = fields.iter().map(|(_, marker)| marker.clone()).collect();
        let mut form = form_urlencoded::Serializer::new(String::new());
        for (key, value) in &fields {
            form.append_pair(key, value);
        }
        for (key, value) in &harmless {
            if !app::ssr::redaction::is_secret_key(key) {
                form.append_pair(key, value);
            }
        }
        let encoded = form.finish();
        // A server function reads any body as a form: wrapped in other text, the fields are
        // still fields, and still secret; and a secret inside text that is no field name (a
        // JSON document sent as a form, say) is not kept at all.
        let document = format!(r#"{{"password":"{}"}}"#, markers[0]);
        let body = format!("{before}&{encoded}&{document}&{after}");
        let arguments = if in_query {
            request_arguments(Some(&encoded), b"")
        } else {
            request_arguments(None, body.as_bytes())
        };
        let event = NewEvent::new(EventKind::Action)
            .request("POST", "/api/update_payout", 403)
            .detail(serde_json::json!({ "arguments": arguments.fields }))
            .seal(1, 0, GENESIS_HASH);
        check_outputs(&event, "Ada Admin <ada@example.com>", &markers)?;
    }
}
