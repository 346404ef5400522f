//! Redaction (SPEC.md §5), before anything is stored: secret keys' values replaced at any
//! depth, control characters escaped, strings capped.

use serde_json::Value;

/// Longest string kept in an event, in characters, after redaction and escaping.
pub const MAX_TEXT_CHARS: usize = 1000;

pub const REDACTED: &str = "[REDACTED]";

/// Does this key hold a secret? SPEC.md §5: a fixed list of fragments, plus `code` and `*_code`.
pub fn is_secret_key(key: &str) -> bool {
    // SPEC.md's fragments with their separators dropped, and matched against the key with
    // its separators dropped: `api_key`, `api-key`, `apiKey` and `pass_word` all match.
    const FRAGMENTS: [&str; 7] = [
        "password",
        "secret",
        "token",
        "authorization",
        "cookie",
        "apikey",
        "iban",
    ];
    let key = key.to_lowercase();
    let joined: String = key
        .chars()
        .filter(|c| !matches!(c, '_' | '-' | ' ' | '.'))
        .collect();
    let is_code = |name: &str| name == "code" || name.ends_with("_code");
    // Form fields name nested values as `profile[code]` or `codes[]`: each part counts.
    FRAGMENTS.iter().any(|fragment| joined.contains(fragment))
        || is_code(&key)
        || key
            .split(['[', ']', '.'])
            .any(|part| is_code(part) || is_code(part.trim_end_matches('s')))
}

/// Replaces the value of every secret key, at any depth, and cleans every string.
pub fn redact(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, value)| {
                    let value = if is_secret_key(&key) {
                        Value::String(REDACTED.into())
                    } else {
                        redact(value)
                    };
                    (clean_text(&key), value)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(redact).collect()),
        Value::String(text) => Value::String(clean_text(&text)),
        other => other,
    }
}

/// Escapes control characters (so no value can start a new line in an export) and caps the
/// length, escaping first so the escapes cannot push a value over the cap.
pub fn clean_text(text: &str) -> String {
    clean_text_within(text, MAX_TEXT_CHARS)
}

/// `clean_text` with another cap, in characters after escaping.
pub fn clean_text_within(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars + 16));
    let mut chars = 0usize;
    for c in text.chars() {
        if chars >= max_chars {
            out.push_str("…[truncated]");
            break;
        }
        if breaks_lines(c) {
            // `\u000a` is six characters; counted as such toward the cap.
            let escaped = format!("\\u{:04x}", c as u32);
            chars += escaped.chars().count();
            out.push_str(&escaped);
        } else {
            chars += 1;
            out.push(c);
        }
    }
    out
}

/// Control characters, and the Unicode line and paragraph separators that some readers
/// also take for the end of a line: all are escaped.
fn breaks_lines(c: char) -> bool {
    c.is_control() || c == '\u{2028}' || c == '\u{2029}'
}

/// How many characters `clean_text` makes of `text` before any cap.
pub fn escaped_chars(text: &str) -> usize {
    text.chars()
        .map(|c| if breaks_lines(c) { 6 } else { 1 })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_keys_are_redacted_at_any_depth_and_casing() {
        let detail = json!({
            "Password": "hunter2",
            "nested": {"deeper": [{"X-API_KEY": "k"}, {"sessionToken": "t"}]},
            "support_code": "ABCD2345",
            "code": "ABCD2345",
            "IBAN": "DE89370400440532013000",
            "Authorization": "Bearer x",
            "set-cookie": "a=b",
            "client_secret": "s",
            "monkey": "banana",
            "author": "Ada",
            "codename": "kept",
            "profile[support_code]": "ABCD2345",
            "x[code]": "ABCD2345",
            "support_codes[]": "ABCD2345",
            "codes.code": "ABCD2345",
            "barcodes": "kept too",
            "apiKey": "k",
            "X-Api-Key": "k",
            "pass_word": "hunter2",
        });
        let redacted = redact(detail).to_string();
        for secret in [
            "hunter2", "\"k\"", "\"t\"", "ABCD2345", "DE89", "Bearer", "a=b", "\"s\"",
        ] {
            assert!(!redacted.contains(secret), "{secret} leaked in {redacted}");
        }
        for kept in ["banana", "Ada", "kept", "kept too"] {
            assert!(redacted.contains(kept), "{kept} was hidden in {redacted}");
        }
    }

    #[test]
    fn control_characters_are_escaped_and_long_text_capped() {
        assert_eq!(clean_text("a\nb\r\u{1b}"), "a\\u000ab\\u000d\\u001b");
        assert_eq!(clean_text("a\u{2028}b\u{2029}"), "a\\u2028b\\u2029");
        let long = "x".repeat(5_000);
        let cleaned = clean_text(&long);
        assert!(cleaned.starts_with(&"x".repeat(MAX_TEXT_CHARS)));
        assert!(cleaned.chars().count() < MAX_TEXT_CHARS + 20);
        let newlines = "\n".repeat(5_000);
        assert!(clean_text(&newlines).chars().count() < MAX_TEXT_CHARS + 20);
    }
}
