//! The record of a request an administrator makes while acting (SPEC.md §5: every one is an
//! `action` event): what it asked, read as the server function reads it, and whether that
//! can be kept whole.

use super::audit::{EventKind, NewEvent};
use super::redaction::{escaped_chars, is_secret_key, redact, MAX_TEXT_CHARS};
use serde_json::{Map, Value};
use std::sync::atomic::{AtomicBool, Ordering};

/// A request an administrator made while acting (SPEC.md §5: every one is an `action`
/// event). The change it makes records it in its own transaction; a request that changes
/// nothing is recorded once its answer is known.
#[derive(Debug)]
pub struct ActingRequest {
    pub actor_id: i64,
    pub member_id: i64,
    pub session_id: i64,
    pub method: String,
    pub path: String,
    /// What the request carried (query and form fields); redacted when the event is sealed.
    pub arguments: Value,
    /// How many fields it carried under names that are no field names (not kept).
    pub unreadable_fields: usize,
    /// The status the client gets when the change it asks for is made: a plain form post
    /// (no JavaScript) is answered with a redirect back to its page.
    pub done_status: u16,
    recorded: AtomicBool,
}

impl ActingRequest {
    pub fn new(
        actor_id: i64,
        member_id: i64,
        session_id: i64,
        method: &str,
        path: &str,
        arguments: RequestArguments,
        done_status: u16,
    ) -> Self {
        ActingRequest {
            actor_id,
            member_id,
            session_id,
            method: method.to_string(),
            path: path.to_string(),
            arguments: arguments.fields,
            unreadable_fields: arguments.unreadable,
            done_status,
            recorded: AtomicBool::new(false),
        }
    }

    /// The `action` event for this request answered with `status`; `refused` is what the
    /// administrator was told when it was refused or failed.
    pub fn event(&self, status: u16, refused: Option<String>) -> NewEvent {
        let mut detail = Map::new();
        detail.insert("arguments".into(), self.arguments.clone());
        if self.unreadable_fields > 0 {
            detail.insert(
                "unreadable_fields".into(),
                Value::from(self.unreadable_fields),
            );
        }
        if let Some(refused) = refused {
            detail.insert("refused".into(), Value::String(refused));
        }
        NewEvent::new(EventKind::Action)
            .actor(self.actor_id)
            .subject(self.member_id)
            .session(self.session_id)
            .request(&self.method, &self.path, status)
            .detail(Value::Object(detail))
    }

    /// Its event is committed: nothing else may record the request again.
    pub fn mark_recorded(&self) {
        self.recorded.store(true, Ordering::SeqCst);
    }

    pub fn is_recorded(&self) -> bool {
        self.recorded.load(Ordering::SeqCst)
    }
}

/// What a request carried, as the audit keeps it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RequestArguments {
    /// Query and body fields by name (a repeated name keeps every value).
    pub fields: Value,
    /// Pairs whose name is no field name (`model::is_field_name`): counted, not kept.
    pub unreadable: usize,
}

/// What a page's address says about the form post that led to it: Leptos' `__path` and
/// `__err`, the server's `__done` and `__said` (see the server's `note_form_outcome`).
pub const FORM_OUTCOME_FIELDS: [&str; 4] = ["__path", "__err", "__done", "__said"];

/// The arguments of a request as the audit keeps them. The body is read as a form, as
/// server functions read it: what the handler acts on is what is kept, and a secret it would
/// find under its key is found, and redacted, under the same key. Text that is no field name
/// is not kept at all, since it could be anything. What the server itself wrote in a page's
/// address about the post before it (`FORM_OUTCOME_FIELDS`, in the query) is that post's, on
/// record there.
pub fn request_arguments(query: Option<&str>, body: &[u8]) -> RequestArguments {
    let mut args = Map::new();
    let mut unreadable = 0;
    let written_by_us = |(key, _): &(std::borrow::Cow<str>, std::borrow::Cow<str>)| {
        FORM_OUTCOME_FIELDS.contains(&key.as_ref())
    };
    let pairs = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .filter(|pair| !written_by_us(pair))
        .chain(form_urlencoded::parse(body));
    for (key, value) in pairs {
        if !crate::model::is_field_name(&key) {
            unreadable += 1;
            continue;
        }
        let value = Value::String(value.into_owned());
        match args.get_mut(key.as_ref()) {
            None => {
                args.insert(key.into_owned(), value);
            }
            Some(Value::Array(values)) => values.push(value),
            Some(first) => *first = Value::Array(vec![first.take(), value]),
        }
    }
    RequestArguments {
        fields: Value::Object(args),
        unreadable,
    }
}

/// The most the arguments of one request may take in its event, in characters of JSON. Every
/// form in Actas is far smaller; a request carrying more is refused rather than done with
/// only part of it on record (see `arguments_kept_whole`).
pub const MAX_ARGUMENTS_CHARS: usize = 6_000;

/// Whether sealing keeps these arguments whole: no key or value cut at the string cap, and
/// all of it within `MAX_ARGUMENTS_CHARS`. Otherwise the event could not say what was asked.
pub fn arguments_kept_whole(arguments: &Value) -> bool {
    fn strings_fit(value: &Value) -> bool {
        match value {
            Value::String(text) => escaped_chars(text) <= MAX_TEXT_CHARS,
            Value::Array(items) => items.iter().all(strings_fit),
            Value::Object(fields) => fields.iter().all(|(key, value)| {
                escaped_chars(key) <= MAX_TEXT_CHARS && (is_secret_key(key) || strings_fit(value))
            }),
            _ => true,
        }
    }
    strings_fit(arguments)
        && redact(arguments.clone()).to_string().chars().count() <= MAX_ARGUMENTS_CHARS
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_body_is_read_as_the_form_a_server_function_sees() {
        let arguments = request_arguments(
            Some("page=2&tag=a&tag=b&filter[kind]=action"),
            b"name=Orchard&password=hunter2",
        );
        assert_eq!(arguments.fields["page"], "2");
        assert_eq!(arguments.fields["tag"], json!(["a", "b"]));
        assert_eq!(arguments.fields["filter[kind]"], "action");
        assert_eq!(arguments.fields["name"], "Orchard");
        assert_eq!(arguments.unreadable, 0);
        assert!(!redact(arguments.fields).to_string().contains("hunter2"));
    }

    #[test]
    fn text_that_is_no_field_name_is_counted_not_kept() {
        for body in [
            &br#"{"email":"ada@example.com","password":"hunter2"}"#[..],
            b"--b\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\nhunter2\r\n--b--",
            b"a; refused: Not allowed=hunter2",
        ] {
            let arguments = request_arguments(None, body);
            assert_eq!(
                arguments.fields,
                json!({}),
                "{}",
                String::from_utf8_lossy(body)
            );
            assert_eq!(arguments.unreadable, 1);
        }
        let mixed = request_arguments(None, br#"name=Orchard&{"password":"hunter2"}"#);
        assert_eq!(mixed.fields, json!({"name": "Orchard"}));
        assert_eq!(mixed.unreadable, 1);
    }

    #[test]
    fn arguments_are_kept_whole_or_the_request_is_not_carried_out() {
        assert!(arguments_kept_whole(
            &json!({"name": "Orchard", "project_id": "3"})
        ));
        assert!(arguments_kept_whole(
            &json!({"name": "x".repeat(MAX_TEXT_CHARS)})
        ));
        assert!(!arguments_kept_whole(
            &json!({"name": "x".repeat(MAX_TEXT_CHARS + 1)})
        ));
        assert!(!arguments_kept_whole(&json!({"name": "\n".repeat(200)})));
        assert!(
            arguments_kept_whole(&json!({"password": "x".repeat(50_000)})),
            "a secret is replaced whole, whatever its length"
        );
        let padded: Map<String, Value> = (0..100)
            .map(|n| (format!("pad{n:03}"), json!("y".repeat(60))))
            .collect();
        assert!(!arguments_kept_whole(&Value::Object(padded)));
    }
}
