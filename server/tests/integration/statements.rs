//! Every SQL statement of the store, prepared on a real database of each kind: a misspelt
//! column, a missing table or a syntax error fails here instead of on a user's request.
//!
//! The store (`app/src/ssr/store`) is the only code that speaks SQL, and it writes every
//! statement as a string literal. This test reads those files, keeps the literals that are
//! statements, fills in what the store splices into them with `format!` (its constants,
//! `live_session`, a local `filter`, the audit log's rows, the activity log's conditions, the
//! inbox's kinds) and
//! has the database prepare each one: parsed and every name resolved, nothing run.
//! A placeholder it cannot fill fails the test, so a new kind of dynamic statement has to be
//! taught here rather than slip by unchecked.

use crate::common::{spawn_app, Db};
use sqlx::Executor;
use std::collections::HashMap;
use std::path::Path;

on_both_databases!(every_store_statement_prepares);

/// Fewer statements than this means the extractor broke, not that the store shrank: it found
/// 74 (the activity log's statement counted twice, once per variant) when this was written.
const AT_LEAST: usize = 45;

/// The first words (in any case) of the statements the store prepares. `PRAGMA` (SQLite's
/// connection set-up) and `BEGIN IMMEDIATE` (a transaction, not a statement) are left out on
/// purpose.
const STATEMENT_KEYWORDS: [&str; 5] = ["SELECT", "INSERT", "UPDATE", "DELETE", "WITH"];

/// Store modules with no statement of their own (see `store_statements`).
const NO_STATEMENTS_OF_THEIR_OWN: [&str; 2] = ["audit_writer.rs", "news.rs"];

async fn every_store_statement_prepares(db: Db) {
    let statements = store_statements();
    assert!(
        statements.len() >= AT_LEAST,
        "found only {} store statements (expected at least {AT_LEAST}): \
         is the extractor in tests/integration/statements.rs still reading the store right?",
        statements.len()
    );

    let app = spawn_app(db).await;
    let mut conn = app.store.pool().acquire().await.expect("a connection");
    let mut failures = Vec::new();
    for statement in &statements {
        let sql = match &statement.sql {
            Ok(sql) => sql,
            Err(unknown) => {
                failures.push(format!(
                    "{}: cannot fill {unknown}; \
                     teach tests/integration/statements.rs what it stands for",
                    statement.origin
                ));
                continue;
            }
        };
        // SQLite locks the whole database instead of rows, and has no such clause.
        // Nor PostgreSQL's NOTIFY (news goes in-process there).
        if matches!(db, Db::Sqlite)
            && (sql.trim_end().ends_with("FOR UPDATE") || sql.contains("pg_notify"))
        {
            continue;
        }
        if let Err(error) = (&mut *conn).prepare(sql.as_str()).await {
            failures.push(format!("{}: {error}\n    {sql}", statement.origin));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} store statements do not prepare on {db:?}:\n\n{}",
        failures.len(),
        statements.len(),
        failures.join("\n\n")
    );
}

/// A statement of the store as the database will see it, or the placeholders left unfilled.
struct Statement {
    /// `file:line (function)`, and which variant for a statement with several.
    origin: String,
    sql: Result<String, String>,
}

/// A string literal in a source file: where it sits and its value with escapes read.
struct Literal {
    start: usize,
    end: usize,
    value: String,
}

struct SourceFile {
    name: String,
    text: String,
    literals: Vec<Literal>,
}

impl SourceFile {
    /// The name of the function the byte at `at` is in.
    fn function_at(&self, at: usize) -> &str {
        let before = &self.text[..at];
        let mut search = before.len();
        while let Some(found) = before[..search].rfind("fn ") {
            if found == 0 || !is_ident_char(before[..found].chars().next_back().unwrap()) {
                let name = &before[found + 3..];
                let len = name.find(|c: char| !is_ident_char(c)).unwrap_or(name.len());
                return &name[..len];
            }
            search = found;
        }
        "(top level)"
    }

    fn line_at(&self, at: usize) -> usize {
        self.text[..at].matches('\n').count() + 1
    }

    /// The literals between two byte offsets.
    fn literals_within(&self, from: usize, to: usize) -> impl Iterator<Item = &Literal> {
        self.literals
            .iter()
            .filter(move |literal| literal.start > from && literal.end <= to)
    }
}

/// Every statement of the store, each filled in as it reaches the database.
fn store_statements() -> Vec<Statement> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../app/src/ssr/store");
    let mut paths: Vec<_> = std::fs::read_dir(&folder)
        .unwrap_or_else(|error| panic!("read {}: {error}", folder.display()))
        .map(|entry| entry.expect("a folder entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
        .collect();
    paths.sort();
    let files: Vec<SourceFile> = paths
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path)
                .unwrap_or_else(|error| panic!("read {}: {error}", path.display()));
            SourceFile {
                name: path.file_name().unwrap().to_string_lossy().into_owned(),
                literals: literals(&text),
                text,
            }
        })
        .collect();
    let file = |name: &str| {
        files
            .iter()
            .find(|file| file.name == name)
            .unwrap_or_else(|| panic!("the store has no {name} any more"))
    };

    // `const NAME: &str = "…"` of any store file: fragments spliced in by name.
    let mut constants = HashMap::new();
    for file in &files {
        for literal in &file.literals {
            if let Some(("const", name)) = assigned_to(&file.text[..literal.start]) {
                constants.insert(name.to_string(), literal.value.clone());
            }
        }
    }
    let fragments = Fragments::read(file("mod.rs"), file("audit_log.rs"));
    let activity_filters = activity_filters(file("history.rs"));

    let mut statements = Vec::new();
    for file in &files {
        let found_before = statements.len();
        for literal in &file.literals {
            let before = &file.text[..literal.start];
            if assigned_to(before).is_some() {
                continue; // a fragment; checked where it is used
            }
            let is_template = before.trim_end().ends_with("format!(");
            if !is_statement(&literal.value, is_template, &constants) {
                continue;
            }
            let function = file.function_at(literal.start);
            let origin = format!("{}:{} ({function})", file.name, file.line_at(literal.start));
            if !is_template {
                statements.push(Statement {
                    origin,
                    sql: Ok(literal.value.clone()),
                });
                continue;
            }
            let arguments = format_arguments(&file.text, literal.end);
            // A local `let NAME = "…";` earlier in the same function.
            let local = |name: &str| {
                file.literals
                    .iter()
                    .take_while(|other| other.start < literal.start)
                    .filter(|other| file.function_at(other.start) == function)
                    .filter(|other| assigned_to(&file.text[..other.start]) == Some(("let", name)))
                    .last()
                    .map(|other| other.value.clone())
            };
            let fill_with = |extra: &HashMap<&str, String>| {
                fill(&literal.value, |name| {
                    if let Some(expression) = arguments.get(name) {
                        return fragments.expand(expression).ok_or_else(|| {
                            format!("{{{name}}}, the unknown fragment `{expression}`")
                        });
                    }
                    constants
                        .get(name)
                        .cloned()
                        .or_else(|| local(name))
                        .or_else(|| extra.get(name).cloned())
                        .ok_or_else(|| format!("{{{name}}}"))
                })
            };
            let sql = fill_with(&HashMap::new());
            // The activity log's statement is built at run time from the filter asked for.
            if sql.is_err() && file.name == "history.rs" && function == "events" {
                for (variant, extra) in &activity_filters {
                    statements.push(Statement {
                        origin: format!("{origin}, {variant}"),
                        sql: fill_with(extra),
                    });
                }
                continue;
            }
            statements.push(Statement { origin, sql });
        }
        // Each store module speaks SQL to its tables: one that yields nothing was misread.
        // Two only run the others' statements: the audit writer queues events for
        // `record_many`, and the news listener has sqlx send its `LISTEN`.
        assert!(
            statements.len() > found_before
                || NO_STATEMENTS_OF_THEIR_OWN.contains(&file.name.as_str()),
            "found no statement in the store's {}",
            file.name
        );
    }
    statements
}

/// Whether a literal is a statement: it starts with a statement's keyword, perhaps after a
/// constant that does (`{ENTRY_SELECT} WHERE …`).
fn is_statement(value: &str, is_template: bool, constants: &HashMap<String, String>) -> bool {
    let mut head = value.trim_start();
    if is_template {
        if let Some(name) = head
            .strip_prefix('{')
            .and_then(|rest| rest.split_once('}'))
            .map(|(name, _)| name)
        {
            head = constants.get(name).map_or(head, |value| value.trim_start());
        }
    }
    let word = &head[..head
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(head.len())];
    STATEMENT_KEYWORDS
        .iter()
        .any(|keyword| word.eq_ignore_ascii_case(keyword))
}

/// The store's own functions that build a piece of a statement, read from their source.
struct Fragments {
    /// `live_session(alias, now)`: its parameter names and its template.
    live_session: (Vec<String>, String),
    /// How many values `insert_events_sql` writes for each event.
    values_per_event: usize,
}

impl Fragments {
    fn read(store: &SourceFile, audit_log: &SourceFile) -> Fragments {
        let signature = store
            .text
            .find("fn live_session(")
            .expect("store/mod.rs defines live_session");
        let open = signature + "fn live_session(".len();
        let close = open + store.text[open..].find(')').unwrap();
        let parameters = store.text[open..close]
            .split(',')
            .map(|parameter| parameter.split(':').next().unwrap().trim().to_string())
            .filter(|parameter| !parameter.is_empty())
            .collect();
        let template = store
            .literals_within(close, store.text.len())
            .next()
            .expect("live_session builds its condition from a template")
            .value
            .clone();

        // `(1..=12).map(|column| format!("${}", row * 12 + column))`
        let builder = audit_log
            .text
            .find("fn insert_events_sql")
            .expect("audit_log.rs defines insert_events_sql");
        let range = builder
            + audit_log.text[builder..]
                .find("1..=")
                .expect("insert_events_sql numbers an event's values from 1..=N")
            + "1..=".len();
        let digits = &audit_log.text[range..];
        let values_per_event = digits[..digits.find(|c: char| !c.is_ascii_digit()).unwrap()]
            .parse()
            .expect("a count of values per event");

        Fragments {
            live_session: (parameters, template),
            values_per_event,
        }
    }

    /// What an argument of a statement's `format!` stands for; `None` for an unknown one.
    fn expand(&self, expression: &str) -> Option<String> {
        if expression.starts_with("live_session(") {
            let (parameters, template) = &self.live_session;
            let values: Vec<String> = literals(expression)
                .into_iter()
                .map(|literal| literal.value)
                .collect();
            if values.len() != parameters.len() {
                return None;
            }
            return fill(template, |name| {
                parameters
                    .iter()
                    .position(|parameter| parameter == name)
                    .map(|at| values[at].clone())
                    .ok_or_else(|| format!("{{{name}}}"))
            })
            .ok();
        }
        // `kinds_sql`: event kinds as a list of string literals (values: nothing to resolve).
        if expression.starts_with("kinds_sql(") {
            return Some("'access_requested', 'consent_granted'".into());
        }
        // `insert_events_sql`'s rows: one event is enough to check the statement.
        if expression == r#"values.join(", ")"# {
            let values: Vec<String> = (1..=self.values_per_event)
                .map(|at| format!("${at}"))
                .collect();
            return Some(format!("({})", values.join(", ")));
        }
        None
    }
}

/// The two ends of `Store::events`' filter: none at all, and every condition it can add, in
/// the order it adds them (numbered as it numbers them). The conditions come from the source,
/// so a misspelt column among them fails here too.
fn activity_filters(history: &SourceFile) -> Vec<(&'static str, HashMap<&'static str, String>)> {
    let teach = "history.rs no longer builds the activity filter as \
                 tests/integration/statements.rs expects: teach it the new way";
    // for (column, value) in [("e.actor_id", query.actor_id), …]
    let loop_at = history.text.find("for (column,").expect(teach);
    let open = loop_at + history.text[loop_at..].find('[').expect(teach);
    let close = open + history.text[open..].find(']').expect(teach);
    let columns: Vec<&str> = history
        .literals_within(open, close)
        .map(|literal| literal.value.as_str())
        .collect();

    let mut conditions: Vec<String> = Vec::new();
    for literal in &history.literals {
        if !history.text[..literal.start]
            .trim_end()
            .ends_with("conditions.push(format!(")
        {
            continue;
        }
        let filled_columns = if literal.value.contains("{column}") {
            columns.clone()
        } else {
            vec![""]
        };
        for column in filled_columns {
            let number = conditions.len() + 1;
            let condition = fill(&literal.value, |name| match name {
                "0" => Ok(number.to_string()),
                "column" => Ok(column.to_string()),
                _ => Err(format!("{{{name}}}")),
            })
            .unwrap_or_else(|unknown| panic!("{teach}: a condition has {unknown}"));
            conditions.push(condition);
        }
    }
    assert!(!conditions.is_empty(), "{teach}: no condition found");

    let none = HashMap::from([("filter", String::new()), ("limit_at", "1".into())]);
    let every = HashMap::from([
        ("filter", format!(" WHERE {}", conditions.join(" AND "))),
        ("limit_at", (conditions.len() + 1).to_string()),
    ]);
    vec![("no filter", none), ("every filter", every)]
}

/// Fills a `format!` template: `{name}` by name, `{}` by its position (`"0"`, `"1"`, …),
/// `{{` and `}}` as braces. Names `value` cannot fill are returned, all of them.
fn fill(
    template: &str,
    mut value: impl FnMut(&str) -> Result<String, String>,
) -> Result<String, String> {
    let mut out = String::new();
    let mut unknown = Vec::new();
    let mut next_position = 0;
    let mut rest = template;
    while let Some(at) = rest.find(['{', '}']) {
        out.push_str(&rest[..at]);
        let brace = &rest[at..];
        if brace.starts_with("{{") || brace.starts_with("}}") {
            out.push_str(&brace[..1]);
            rest = &brace[2..];
            continue;
        }
        let Some(close) = brace.find('}').filter(|_| brace.starts_with('{')) else {
            unknown.push("an unmatched brace".to_string());
            rest = &brace[1..];
            continue;
        };
        // `{name:?}` formats `name`; only the name matters here.
        let name = brace[1..close].split(':').next().unwrap().trim();
        let name = if name.is_empty() {
            next_position += 1;
            (next_position - 1).to_string()
        } else {
            name.to_string()
        };
        match value(&name) {
            Ok(text) => out.push_str(&text),
            Err(missing) => unknown.push(missing),
        }
        rest = &brace[close + 1..];
    }
    out.push_str(rest);
    if unknown.is_empty() {
        Ok(out)
    } else {
        Err(unknown.join(", "))
    }
}

/// The arguments after a `format!` template that ends at `from`: positional ones by their
/// position (`"0"`, `"1"`, …), named ones (`live = …`) by name, each as its source text.
fn format_arguments(text: &str, from: usize) -> HashMap<String, String> {
    let mut pieces = Vec::new();
    let mut depth = 0usize;
    let mut piece_start = from;
    let mut at = from;
    loop {
        if let Some((end, _)) = token_at(text, at) {
            at = end;
            continue;
        }
        let c = text[at..].chars().next().expect("format!( is closed");
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' if depth == 0 => break,
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                pieces.push(&text[piece_start..at]);
                piece_start = at + 1;
            }
            _ => {}
        }
        at += c.len_utf8();
    }
    pieces.push(&text[piece_start..at]);

    let mut arguments = HashMap::new();
    let mut position = 0;
    // The first piece is what lies between the template and its comma: nothing.
    for piece in pieces.into_iter().skip(1).map(str::trim) {
        if piece.is_empty() {
            continue; // after a trailing comma
        }
        let named = piece.split_once('=').filter(|(name, value)| {
            let name = name.trim();
            !name.is_empty() && name.chars().all(is_ident_char) && !value.starts_with('=')
        });
        match named {
            Some((name, value)) => {
                arguments.insert(name.trim().to_string(), value.trim().to_string());
            }
            None => {
                arguments.insert(position.to_string(), piece.to_string());
                position += 1;
            }
        }
    }
    arguments
}

/// The name the literal after `before` is assigned to, with the keyword that binds it:
/// `const NAME: &str =` gives `("const", NAME)`, `let NAME =` gives `("let", NAME)`.
fn assigned_to(before: &str) -> Option<(&str, &str)> {
    let rest = before.trim_end().strip_suffix('=')?.trim_end();
    let rest = match rest
        .strip_suffix("&str")
        .or_else(|| rest.strip_suffix("&'static str"))
    {
        Some(typed) => typed.trim_end().strip_suffix(':')?.trim_end(),
        None => rest,
    };
    let name = &rest[rest.trim_end_matches(is_ident_char).len()..];
    let keyword = rest[..rest.len() - name.len()].trim_end();
    let keyword = &keyword[keyword.trim_end_matches(is_ident_char).len()..];
    let keyword = if keyword == "mut" { "let" } else { keyword };
    (!name.is_empty() && matches!(keyword, "const" | "let")).then_some((keyword, name))
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Every string literal of a Rust source file, comments and character literals skipped.
fn literals(text: &str) -> Vec<Literal> {
    let mut found = Vec::new();
    let mut at = 0;
    while at < text.len() {
        match token_at(text, at) {
            Some((end, value)) => {
                if let Some(value) = value {
                    found.push(Literal {
                        start: at,
                        end,
                        value,
                    });
                }
                at = end;
            }
            None => at += text[at..].chars().next().unwrap().len_utf8(),
        }
    }
    found
}

/// Where the comment, string literal, character literal or lifetime starting at `at` ends,
/// with a string's value; `None` when none starts there. Skipping comments and character
/// literals keeps their quotes (`'"'`, "the member's") from being taken for strings.
fn token_at(text: &str, at: usize) -> Option<(usize, Option<String>)> {
    let rest = &text[at..];
    if rest.starts_with("//") {
        return Some((rest.find('\n').map_or(text.len(), |end| at + end), None));
    }
    if rest.starts_with("/*") {
        // Block comments nest in Rust.
        let mut depth = 0;
        let mut i = at;
        while i < text.len() {
            if text[i..].starts_with("/*") {
                depth += 1;
                i += 2;
            } else if text[i..].starts_with("*/") {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return Some((i, None));
                }
            } else {
                i += text[i..].chars().next().unwrap().len_utf8();
            }
        }
        return Some((text.len(), None));
    }
    let starts_token = text[..at]
        .chars()
        .next_back()
        .is_none_or(|c| !is_ident_char(c));
    if starts_token {
        // r"…", r#"…"#, br"…": no escapes, ended by the quote and as many hashes.
        for prefix in ["r", "br"] {
            let Some(after) = rest.strip_prefix(prefix) else {
                continue;
            };
            let hashes = after.len() - after.trim_start_matches('#').len();
            if after[hashes..].starts_with('"') {
                let open = at + prefix.len() + hashes + 1;
                let close = format!("\"{}", "#".repeat(hashes));
                let len = text[open..].find(&close).expect("a raw string ends");
                let value = text[open..open + len].to_string();
                return Some((open + len + close.len(), Some(value)));
            }
        }
    }
    if rest.starts_with('"') {
        let (end, value) = string_at(text, at);
        return Some((end, Some(value)));
    }
    if let Some(after) = rest.strip_prefix('\'') {
        let mut chars = after.chars();
        return Some(match (chars.next(), chars.next()) {
            // '\n', '\\', '\'', '\u{…}': the escaped character, then up to the closing quote.
            (Some('\\'), Some(escaped)) => {
                let from = at + 2 + escaped.len_utf8();
                (
                    from + text[from..].find('\'').expect("a character literal ends") + 1,
                    None,
                )
            }
            (Some(c), Some('\'')) => (at + 1 + c.len_utf8() + 1, None),
            // A lifetime or a loop label.
            _ => (at + 1, None),
        });
    }
    None
}

/// The string literal whose opening quote is at `open`: where it ends, and its value.
fn string_at(text: &str, open: usize) -> (usize, String) {
    let mut value = String::new();
    let mut chars = text[open + 1..].char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return (open + 1 + i + 1, value),
            '\\' => match chars.next().expect("an escape ends").1 {
                'n' => value.push('\n'),
                'r' => value.push('\r'),
                't' => value.push('\t'),
                '0' => value.push('\0'),
                // A line continuation: the line break and the next line's indentation vanish.
                '\n' | '\r' => while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {},
                'x' => {
                    let digits: String = chars.by_ref().take(2).map(|(_, c)| c).collect();
                    value.push(u8::from_str_radix(&digits, 16).expect("a \\x escape") as char);
                }
                'u' => {
                    let digits: String = chars
                        .by_ref()
                        .map(|(_, c)| c)
                        .take_while(|&c| c != '}')
                        .filter(|&c| c != '{' && c != '_')
                        .collect();
                    let code = u32::from_str_radix(&digits, 16).expect("a \\u escape");
                    value.push(char::from_u32(code).expect("a \\u escape"));
                }
                other => value.push(other), // \\ \" \'
            },
            c => value.push(c),
        }
    }
    panic!("a string literal at byte {open} does not end");
}
