//! SPEC.md §5's receipts: the member downloads one for an ended session of theirs, and
//! `actas verify-receipt` holds the log to it; the README's own check script accepts it.
//! SQLite and PostgreSQL.

use crate::common::{acting, spawn_app, Db, TestApp, PASSWORD};
use app::model::{receipt_path, LogLine, Page};
use app::ssr::receipt::{Receipt, ReceiptError, ReceiptSession};
use reqwest::StatusCode;
use server::ReceiptCheckError;

on_both_databases!(
    a_receipt_of_an_ended_session_holds_against_the_log,
    a_receipt_names_the_first_event_changed_in_the_log,
    a_receipt_catches_a_log_cut_back_below_its_head,
    a_receipt_is_only_for_the_member_and_only_once_the_session_ended,
    the_session_log_reads_in_plain_words,
    a_receipt_with_an_edited_header_is_refused,
    a_receipt_with_an_edited_sentence_or_time_is_refused,
    a_receipt_with_an_event_left_out_is_refused,
);

/// Ada views two pages as Mia, renames her project and exits: the session of the issue.
async fn a_session_with_a_rename(app: &TestApp) -> (reqwest::Client, i64) {
    let (ada, session) = acting(app, "full_access").await;
    assert_eq!(app.get(&ada, "/account").await.status(), StatusCode::OK);
    assert_eq!(app.get(&ada, "/projects").await.status(), StatusCode::OK);
    app.call(&ada, "list_projects", &[]).await;
    let project: i64 = sqlx::query_scalar("SELECT id FROM projects WHERE name = 'Mia''s garden'")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    let renamed = app
        .call(
            &ada,
            "rename_project",
            &[
                ("project_id", &project.to_string()),
                ("name", "Mia's apple garden"),
            ],
        )
        .await;
    assert_eq!(renamed.status(), StatusCode::OK);
    app.call(&ada, "exit_impersonation", &[]).await;
    (ada, session)
}

async fn download(app: &TestApp, client: &reqwest::Client, session: i64) -> reqwest::Response {
    app.get(client, &receipt_path(session)).await
}

async fn receipt_text(app: &TestApp, session: i64) -> String {
    let mia = app.signed_in("mia@example.com").await;
    let response = download(app, &mia, session).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response
        .headers()
        .get("content-disposition")
        .unwrap()
        .to_str()
        .unwrap()
        .contains("attachment"));
    response.text().await.unwrap()
}

/// The Python block of the README's receipt section, run on `receipt`: its exit status and
/// what it printed.
fn readme_check(receipt: &str) -> (bool, String) {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("the README");
    let section = readme
        .find("### Checking a session's receipt yourself")
        .expect("the README's receipt section");
    let start = readme[section..].find("```python\n").expect("its script") + section + 10;
    let end = readme[start..].find("```").expect("the script's end") + start;
    let folder = tempfile::tempdir().unwrap();
    let script = folder.path().join("check.py");
    let file = folder.path().join("receipt.json");
    std::fs::write(&script, &readme[start..end]).unwrap();
    std::fs::write(&file, receipt).unwrap();
    let output = std::process::Command::new("python3")
        .arg(&script)
        .arg(&file)
        .output()
        .expect("python3 runs (the README's receipt check is tested with it)");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), said)
}

/// `actas verify-receipt` run on `receipt`: its exit code and what it printed.
fn on_command_line(app: &TestApp, receipt: &str) -> (Option<i32>, String) {
    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("receipt.json");
    std::fs::write(&file, receipt).unwrap();
    let cli = std::process::Command::new(env!("CARGO_BIN_EXE_actas"))
        .arg("verify-receipt")
        .arg(&file)
        .env("DATABASE_URL", &app.database_url)
        .env("ACTAS_DEMO", "0")
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&cli.stdout),
        String::from_utf8_lossy(&cli.stderr)
    );
    (cli.status.code(), said)
}

/// Why `actas verify-receipt` refuses `receipt`; a panic if it vouches for it.
async fn refusal(app: &TestApp, receipt: &Receipt) -> ReceiptError {
    let text = serde_json::to_string_pretty(receipt).unwrap();
    match server::verify_receipt(&app.database_url, &text).await {
        Err(ReceiptCheckError::Receipt(error)) => error,
        other => panic!("expected the receipt to be refused, got {other:?}"),
    }
}

/// Whoever runs the database can lift the log's append-only guard: the receipt is for then.
async fn lift_append_only_guard(app: &TestApp, db: Db) {
    let lift: &[&str] = match db {
        Db::Sqlite => &[
            "DROP TRIGGER audit_events_no_update",
            "DROP TRIGGER audit_events_no_delete",
        ],
        Db::Postgres => &["ALTER TABLE audit_events DISABLE TRIGGER USER"],
    };
    for statement in lift {
        sqlx::query(statement)
            .execute(app.store.pool())
            .await
            .unwrap();
    }
}

async fn a_receipt_of_an_ended_session_holds_against_the_log(db: Db) {
    let app = spawn_app(db).await;
    let (_, session) = a_session_with_a_rename(&app).await;
    let text = receipt_text(&app, session).await;
    let receipt: Receipt = serde_json::from_str(&text).unwrap();
    assert_eq!(receipt.session.id, session);
    assert_eq!(receipt.session.end_reason, "exited");
    assert!(receipt
        .events
        .iter()
        .any(|event| event.sentence == "Renamed project “Mia's garden” to “Mia's apple garden”"));
    assert!(receipt.chain_head.seq >= receipt.events.last().unwrap().seq);
    assert_eq!(
        receipt.hash_before_first, receipt.events[0].prev_hash,
        "the hash before the first"
    );

    let checked = server::verify_receipt(&app.database_url, &text).await;
    assert_eq!(checked.unwrap(), receipt.events.len());
    // The command line says the same.
    let (code, said) = on_command_line(&app, &text);
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("receipt holds"), "{said}");

    // The README's script, written only from its description, accepts the receipt…
    let (holds, said) = readme_check(&text);
    assert!(holds, "the README's check refused a good receipt: {said}");
    assert!(said.contains("receipt holds"), "{said}");
    // …and refuses one changed by hand, as verify-receipt does.
    let mut altered = receipt.clone();
    let renamed = altered
        .events
        .iter_mut()
        .find(|event| event.canonical.contains("project_renamed"))
        .unwrap();
    renamed.canonical = renamed.canonical.replace("apple", "pear");
    let seq = renamed.seq;
    let altered = serde_json::to_string_pretty(&altered).unwrap();
    let (holds, said) = readme_check(&altered);
    assert!(
        !holds,
        "the README's check accepted an altered receipt: {said}"
    );
    assert!(said.contains(&format!("event {seq}")), "{said}");
    assert!(matches!(
        server::verify_receipt(&app.database_url, &altered).await,
        Err(ReceiptCheckError::Receipt(ReceiptError::DoesNotLink { seq: at, .. })) if at == seq
    ));
}

async fn a_receipt_names_the_first_event_changed_in_the_log(db: Db) {
    let app = spawn_app(db).await;
    let (_, session) = a_session_with_a_rename(&app).await;
    let text = receipt_text(&app, session).await;
    let receipt: Receipt = serde_json::from_str(&text).unwrap();
    let renamed = renamed_seq(&receipt);
    // Whoever runs the database changes what the rename said, and recomputes the hash.
    lift_append_only_guard(&app, db).await;
    sqlx::query("UPDATE audit_events SET detail = $1 WHERE seq = $2")
        .bind(r#"{"from":"Mia's garden","project_id":1,"to":"Nothing happened"}"#)
        .bind(renamed)
        .execute(app.store.pool())
        .await
        .unwrap();
    let mut forged = app.store.event_at(renamed).await.unwrap().unwrap();
    forged.hash = forged.compute_hash();
    sqlx::query("UPDATE audit_events SET hash = $1 WHERE seq = $2")
        .bind(&forged.hash)
        .bind(renamed)
        .execute(app.store.pool())
        .await
        .unwrap();

    let verdict = server::verify_receipt(&app.database_url, &text).await;
    match verdict {
        Err(ReceiptCheckError::Receipt(ReceiptError::Differs { seq })) => assert_eq!(seq, renamed),
        other => panic!("expected event {renamed} to differ, got {other:?}"),
    }
    let said = server::verify_receipt(&app.database_url, &text)
        .await
        .unwrap_err()
        .to_string();
    assert!(said.contains(&format!("event {renamed} differs")), "{said}");
}

async fn a_receipt_catches_a_log_cut_back_below_its_head(db: Db) {
    let app = spawn_app(db).await;
    let (_, session) = a_session_with_a_rename(&app).await;
    let text = receipt_text(&app, session).await;
    let receipt: Receipt = serde_json::from_str(&text).unwrap();
    let head = receipt.chain_head.seq;
    let last = receipt.events.last().unwrap().seq;
    // The log cut back to the session's last event, its head moved to match: the chain
    // itself verifies, but the receipt knows it once went further.
    let kept = app.store.event_at(last).await.unwrap().unwrap();
    lift_append_only_guard(&app, db).await;
    sqlx::query("DELETE FROM audit_events WHERE seq > $1")
        .bind(last)
        .execute(app.store.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE audit_head SET last_seq = $1, last_hash = $2 WHERE id = 1")
        .bind(last)
        .bind(&kept.hash)
        .execute(app.store.pool())
        .await
        .unwrap();
    assert!(
        head > last,
        "events came after the session's last (the receipt's own download)"
    );
    let verdict = server::verify_receipt(&app.database_url, &text).await;
    match verdict {
        Err(ReceiptCheckError::Receipt(ReceiptError::CutBack { head_seq, log_end })) => {
            assert_eq!((head_seq, log_end), (head, last));
        }
        other => panic!("expected the cut to be caught, got {other:?}"),
    }
}

async fn a_receipt_is_only_for_the_member_and_only_once_the_session_ended(db: Db) {
    let app = spawn_app(db).await;
    let (ada, session) = acting(&app, "full_access").await;
    // While acting, the administrator may not download the member's receipts (SPEC.md §3),
    // and the refusal is on the member's record.
    let refused = download(&app, &ada, session).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        refused.text().await.unwrap(),
        "Not allowed during impersonation"
    );
    let recorded = app.events("action").await;
    assert!(recorded.iter().any(|event| event.path.as_deref()
        == Some(receipt_path(session).as_str())
        && event.status == Some(403)));

    let mia = app.signed_in("mia@example.com").await;
    let ongoing = download(&app, &mia, session).await;
    assert_eq!(ongoing.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(ongoing.text().await.unwrap().contains("still going on"));

    app.call(&ada, "exit_impersonation", &[]).await;
    assert_eq!(download(&app, &mia, session).await.status(), StatusCode::OK);

    // Another member, and staff in their own account, are refused Mia's receipt.
    let max = app.signed_in("max@example.com").await;
    let theirs = download(&app, &max, session).await;
    assert_eq!(theirs.status(), StatusCode::FORBIDDEN);
    assert!(theirs
        .text()
        .await
        .unwrap()
        .contains("not one on your account"));
    let staff = download(&app, &ada, session).await;
    assert_eq!(staff.status(), StatusCode::FORBIDDEN);
    let nobody = download(&app, &app.client(), session).await;
    assert_eq!(nobody.status(), StatusCode::UNAUTHORIZED);
    let nonsense = app
        .get(&mia, "/settings/impersonation/sessions/x/receipt.json")
        .await;
    assert!(nonsense.status().is_client_error());
}

async fn the_session_log_reads_in_plain_words(db: Db) {
    let app = spawn_app(db).await;
    let (_, session) = a_session_with_a_rename(&app).await;
    let mia = app.signed_in("mia@example.com").await;
    let response = app
        .call(
            &mia,
            "session_audit_log",
            &[("session_id", &session.to_string())],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let page: Page<LogLine> = response.json().await.unwrap();
    let sentences: Vec<&str> = page
        .items
        .iter()
        .map(|line| line.sentence.as_str())
        .collect();
    let expected = [
        "Started acting on the account: Full access, reason “TICKET-77 garden”, until ",
        "Viewed Account",
        "Viewed Projects",
        "Renamed project “Mia's garden” to “Mia's apple garden”",
        "The session ended: exited",
    ];
    assert_eq!(sentences.len(), expected.len(), "{sentences:#?}");
    for (got, want) in sentences.iter().zip(expected) {
        assert!(got.starts_with(want), "{sentences:#?}");
    }
    // The read behind the Projects page is folded under its view, not listed on its own.
    let projects = &page.items[2];
    assert_eq!(projects.folded, 1);
    assert_eq!(
        projects.events[1].path.as_deref(),
        Some("/api/list_projects")
    );
    // The rename and the request that asked for it are one line, both kept.
    let renamed = &page.items[3];
    assert_eq!(renamed.events[0].kind, "project_renamed");
    assert_eq!(
        renamed.events[1].path.as_deref(),
        Some("/api/rename_project")
    );
}

async fn a_receipt_with_an_edited_header_is_refused(db: Db) {
    let app = spawn_app(db).await;
    let (ada, session) = a_session_with_a_rename(&app).await;
    let text = receipt_text(&app, session).await;
    let receipt: Receipt = serde_json::from_str(&text).unwrap();
    assert_eq!(
        server::verify_receipt(&app.database_url, &text)
            .await
            .unwrap(),
        receipt.events.len()
    );

    // No hash covers the header: a better-sounding reason still links, and is refused only
    // because the session's record says otherwise.
    let mut reason = receipt.clone();
    reason.session.reason = "TICKET-77 Mia asked us to".into();
    assert_eq!(
        refusal(&app, &reason).await,
        ReceiptError::HeaderDiffers {
            field: "reason",
            receipt: "TICKET-77 Mia asked us to".into(),
            log: "TICKET-77 garden".into(),
        }
    );
    let (code, said) = on_command_line(&app, &serde_json::to_string_pretty(&reason).unwrap());
    assert_eq!(code, Some(1), "{said}");
    assert!(
        said.contains("receipt does not hold: the session's reason differs: the receipt says “TICKET-77 Mia asked us to”"),
        "{said}"
    );
    let (holds, said) = readme_check(&serde_json::to_string_pretty(&reason).unwrap());
    assert!(
        holds,
        "the README says its script cannot check the header: {said}"
    );

    /// A header field, and an edit of it.
    type Edit = (&'static str, fn(&mut ReceiptSession));
    let edits: [Edit; 5] = [
        ("impersonator", |header| {
            header.impersonator = "Support <support@example.com>".into()
        }),
        ("scope", |header| header.scope = "View only".into()),
        ("started_at", |header| {
            header.started_at = "2020-01-01T00:00:00.000Z".into()
        }),
        ("ended_at", |header| {
            header.ended_at = "2020-01-01T00:05:00.000Z".into()
        }),
        ("end_reason", |header| header.end_reason = "expired".into()),
    ];
    for (field, edit) in edits {
        let mut edited = receipt.clone();
        edit(&mut edited.session);
        assert!(
            matches!(
                refusal(&app, &edited).await,
                ReceiptError::HeaderDiffers { field: named, .. } if named == field
            ),
            "{field}"
        );
    }

    // Ada changes her email afterwards: the receipt named her as she was, and still holds;
    // one downloaded now names her new address, and holds too.
    let changed = app
        .call(
            &ada,
            "change_email",
            &[
                ("email", "ada.new@example.com"),
                ("current_password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(changed.status(), StatusCode::OK);
    assert_eq!(receipt.session.impersonator, "Ada Admin <ada@example.com>");
    server::verify_receipt(&app.database_url, &text)
        .await
        .unwrap();
    let now = receipt_text(&app, session).await;
    let later: Receipt = serde_json::from_str(&now).unwrap();
    assert!(
        later
            .session
            .impersonator
            .ends_with("<ada.new@example.com>"),
        "{}",
        later.session.impersonator
    );
    server::verify_receipt(&app.database_url, &now)
        .await
        .unwrap();
}

async fn a_receipt_with_an_edited_sentence_or_time_is_refused(db: Db) {
    let app = spawn_app(db).await;
    let (_, session) = a_session_with_a_rename(&app).await;
    let text = receipt_text(&app, session).await;
    let receipt: Receipt = serde_json::from_str(&text).unwrap();
    let at = receipt
        .events
        .iter()
        .position(|event| event.canonical.contains("project_renamed"))
        .unwrap();
    let renamed = receipt.events[at].seq;

    // The rename reads as a mere view: the canonical encoding says otherwise.
    let mut sentence = receipt.clone();
    sentence.events[at].sentence = "Viewed Projects".into();
    assert_eq!(
        refusal(&app, &sentence).await,
        ReceiptError::SentenceDiffers {
            seq: renamed,
            receipt: "Viewed Projects".into(),
            canonical: "Renamed project “Mia's garden” to “Mia's apple garden”".into(),
        }
    );
    let (code, said) = on_command_line(&app, &serde_json::to_string_pretty(&sentence).unwrap());
    assert_eq!(code, Some(1), "{said}");
    assert!(
        said.contains(&format!(
            "receipt does not hold: event {renamed}'s sentence does not match the event"
        )),
        "{said}"
    );

    // The rename moved to another day.
    let mut time = receipt.clone();
    time.events[at].time_utc = "2020-01-01T00:00:00.000Z".into();
    match refusal(&app, &time).await {
        ReceiptError::TimeDiffers {
            seq,
            receipt: said,
            canonical,
        } => {
            assert_eq!(seq, renamed);
            assert_eq!(said, "2020-01-01T00:00:00.000Z");
            assert_eq!(canonical, receipt.events[at].time_utc);
        }
        other => panic!("expected event {renamed}'s time to be refused, got {other:?}"),
    }
    // The README's script checks the time as well.
    let (holds, said) = readme_check(&serde_json::to_string_pretty(&time).unwrap());
    assert!(!holds, "the README's check accepted an edited time: {said}");
    assert!(
        said.contains(&format!("event {renamed}: its time_utc")),
        "{said}"
    );
}

async fn a_receipt_with_an_event_left_out_is_refused(db: Db) {
    let app = spawn_app(db).await;
    let (_, session) = a_session_with_a_rename(&app).await;
    let text = receipt_text(&app, session).await;
    let receipt: Receipt = serde_json::from_str(&text).unwrap();

    // The rename left out from the middle: what is left still links.
    let renamed = renamed_seq(&receipt);
    let mut middle = receipt.clone();
    middle.events.retain(|event| event.seq != renamed);
    assert!(middle.events.first().unwrap().seq < renamed);
    assert!(middle.events.last().unwrap().seq > renamed);
    assert_eq!(
        refusal(&app, &middle).await,
        ReceiptError::LeftOut { seq: renamed }
    );
    let (holds, said) = readme_check(&serde_json::to_string_pretty(&middle).unwrap());
    assert!(
        holds,
        "the README says its script cannot tell an event left out: {said}"
    );

    // The last event left out: Ada's request that ended the session.
    let mut last = receipt.clone();
    let end = last.events.pop().unwrap();
    assert!(
        end.canonical.contains("/api/exit_impersonation"),
        "{}",
        end.canonical
    );
    assert_eq!(
        refusal(&app, &last).await,
        ReceiptError::LeftOut { seq: end.seq }
    );
    let (code, said) = on_command_line(&app, &serde_json::to_string_pretty(&last).unwrap());
    assert_eq!(code, Some(1), "{said}");
    assert!(
        said.contains(&format!(
            "receipt does not hold: event {} of this session is in the log before the receipt's chain head, but the receipt leaves it out",
            end.seq
        )),
        "{said}"
    );
}

/// The sequence number of the rename among the receipt's events.
fn renamed_seq(receipt: &Receipt) -> i64 {
    receipt
        .events
        .iter()
        .find(|event| event.canonical.contains("project_renamed"))
        .expect("the session renamed a project")
        .seq
}
