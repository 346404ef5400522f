//! SPEC.md §5's views and §1's allow-list: the member's session history and exports, the
//! activity log, the owner's grant and removal, suspension. SQLite and PostgreSQL.

use crate::common::{acting, spawn_app, user_id, Db, TestApp};
use app::model::{AllowList, AuditEntry, LogLine, Page, SessionEntry};
use reqwest::StatusCode;

on_both_databases!(
    the_member_sees_each_session_with_its_reason_actions_and_outcome,
    the_member_pages_through_every_session_and_every_event_of_one,
    the_member_exports_every_event_about_their_account,
    an_owner_grants_and_removes_the_right_and_removal_ends_the_live_session,
    an_owner_suspends_a_member_and_the_session_on_the_account_ends,
    the_activity_log_filters_and_pages_by_cursor,
    a_sign_in_is_recorded_with_the_browser_in_a_few_words,
);

/// The log says `Signed in from Firefox on Linux`: the browser in a few words is kept, never
/// the whole User-Agent (a fingerprint the log has no need of).
async fn a_sign_in_is_recorded_with_the_browser_in_a_few_words(db: Db) {
    let app = spawn_app(db).await;
    let agent = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .user_agent(agent)
        .build()
        .unwrap();
    let response = app
        .sign_in(&client, "mia@example.com", crate::common::PASSWORD)
        .await;
    assert!(response.status().is_success());
    let event = &app.events("sign_in").await[0];
    assert!(
        event.detail.contains(r#""browser":"Firefox on Linux""#),
        "{}",
        event.detail
    );
    assert!(!event.detail.contains("Gecko"), "{}", event.detail);
    let ada = app.signed_in("ada@example.com").await;
    let page: Page<AuditEntry> = activity(&app, &ada, &[("filter[kind]", "sign_in")])
        .await
        .json()
        .await
        .unwrap();
    assert!(page
        .items
        .iter()
        .any(|entry| entry.sentence == "Signed in from Firefox on Linux"));
}

async fn history(app: &TestApp, member: &reqwest::Client) -> Vec<SessionEntry> {
    let response = app.call(member, "session_history", &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let page: Page<SessionEntry> = response.json().await.unwrap();
    page.items
}

async fn session_log(
    app: &TestApp,
    member: &reqwest::Client,
    session: i64,
    after: Option<i64>,
) -> Page<AuditEntry> {
    let session = session.to_string();
    let after = after.map(|after| after.to_string());
    let mut form = vec![("session_id", session.as_str())];
    if let Some(after) = &after {
        form.push(("after", after.as_str()));
    }
    let response = app.call(member, "session_audit_log", &form).await;
    assert_eq!(response.status(), StatusCode::OK);
    // The page's events, whatever lines they were folded into (`receipts.rs` reads the lines).
    let page: Page<LogLine> = response.json().await.unwrap();
    let mut events: Vec<AuditEntry> = page
        .items
        .into_iter()
        .flat_map(|line| line.events)
        .collect();
    events.sort_by_key(|event| event.seq);
    Page {
        items: events,
        next: page.next,
    }
}

async fn the_member_sees_each_session_with_its_reason_actions_and_outcome(db: Db) {
    let app = spawn_app(db).await;
    let (ada, session) = acting(&app, "full_access").await;
    app.call(&ada, "create_project", &[("name", "Fixed by support")])
        .await;
    let mia = app.signed_in("mia@example.com").await;

    let ongoing = history(&app, &mia).await;
    assert_eq!(ongoing.len(), 1);
    assert_eq!(ongoing[0].id, session);
    assert_eq!(ongoing[0].end_reason, None, "ongoing");
    assert_eq!(ongoing[0].reason, "TICKET-77 garden");
    assert_eq!(
        (
            ongoing[0].admin_name.as_str(),
            ongoing[0].admin_email.as_str()
        ),
        ("Ada Admin", "ada@example.com")
    );

    app.call(&ada, "exit_impersonation", &[]).await;
    let ended = history(&app, &mia).await;
    assert_eq!(ended[0].end_reason.as_deref(), Some("exited"));
    assert!(ended[0].ended_at.unwrap() >= ended[0].started_at);

    let log = session_log(&app, &mia, session, None).await;
    assert_eq!(log.next, None, "one page holds it all");
    let log = log.items;
    let described: Vec<String> = log
        .iter()
        .map(|event| match (&event.path, event.status) {
            (Some(path), Some(status)) => format!("{path} {status}"),
            _ => event.kind.clone(),
        })
        .collect();
    assert_eq!(
        described,
        [
            "impersonation_started",
            "project_created",
            "/api/create_project 200",
            "impersonation_ended",
            "/api/exit_impersonation 200",
        ]
    );
    assert!(log[1].detail.contains("Fixed by support"));

    // Another member cannot read Mia's session, whatever id they send.
    let max = app.signed_in("max@example.com").await;
    let theirs = session_log(&app, &max, session, None).await;
    assert!(theirs.items.is_empty());
    assert!(history(&app, &max).await.is_empty());
    // Staff have no history of their own to see.
    assert_eq!(
        app.call(&ada, "session_history", &[]).await.status(),
        StatusCode::FORBIDDEN
    );
}

async fn the_member_pages_through_every_session_and_every_event_of_one(db: Db) {
    use app::model::{SESSIONS_PER_PAGE, SESSION_EVENTS_PER_PAGE};
    let app = spawn_app(db).await;
    let (ada, first_session) = acting(&app, "full_access").await;
    for _ in 0..SESSION_EVENTS_PER_PAGE + 20 {
        assert_eq!(
            app.call(&ada, "list_projects", &[]).await.status(),
            StatusCode::OK
        );
    }
    app.call(&ada, "exit_impersonation", &[]).await;
    let mia = app.signed_in("mia@example.com").await;
    let mia_id = user_id(&app, "mia@example.com").await;

    // Every event of the session, each once, oldest first, a page at a time.
    let mut seen: Vec<i64> = Vec::new();
    let mut after = None;
    loop {
        let page = session_log(&app, &mia, first_session, after).await;
        assert!(page.items.len() <= SESSION_EVENTS_PER_PAGE);
        seen.extend(page.items.iter().map(|event| event.seq));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let stored: Vec<i64> = sqlx::query_scalar(
        "SELECT seq FROM audit_events WHERE impersonation_id = $1 AND subject_id = $2 ORDER BY seq",
    )
    .bind(first_session)
    .bind(mia_id)
    .fetch_all(app.store.pool())
    .await
    .unwrap();
    assert!(stored.len() > SESSION_EVENTS_PER_PAGE + 20);
    assert_eq!(seen, stored, "every event of the session, once, in order");

    // More sessions than a page holds; the last one runs out with nobody watching.
    for n in 1..=SESSIONS_PER_PAGE {
        let started = app
            .call(
                &ada,
                "start_impersonation",
                &[
                    ("target_id", &mia_id.to_string()),
                    ("reason", &format!("TICKET-{n} another look")),
                ],
            )
            .await;
        assert_eq!(started.status(), StatusCode::OK);
        if n < SESSIONS_PER_PAGE {
            app.call(&ada, "exit_impersonation", &[]).await;
        }
    }
    let last: i64 = sqlx::query_scalar("SELECT MAX(id) FROM impersonation_sessions")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    // It started two minutes ago and ran out one minute later.
    sqlx::query(
        "UPDATE impersonation_sessions SET started_at = started_at - 120000, \
         expires_at = started_at - 60000 WHERE id = $1",
    )
    .bind(last)
    .execute(app.store.pool())
    .await
    .unwrap();

    let first: Page<SessionEntry> = app
        .call(&mia, "session_history", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first.items.len(), SESSIONS_PER_PAGE);
    let newest = &first.items[0];
    assert_eq!(newest.id, last);
    assert_eq!(newest.end_reason.as_deref(), Some("expired"), "not Ongoing");
    assert_eq!(
        newest.ended_at,
        Some(newest.started_at + 60_000),
        "ended at its expiry"
    );
    let cursor = first.next.expect("an older page");
    let second: Page<SessionEntry> = app
        .call(&mia, "session_history", &[("before", &cursor.to_string())])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(second.items.len(), 1);
    assert_eq!(second.items[0].id, first_session);
    assert_eq!(second.next, None);
    let broken = app.call(&mia, "session_history", &[("before", "x")]).await;
    assert_eq!(broken.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn the_member_exports_every_event_about_their_account(db: Db) {
    let app = spawn_app(db).await;
    let (ada, _) = acting(&app, "full_access").await;
    app.call(
        &ada,
        "rename_project",
        &[("project_id", "1"), ("name", "A, \"quoted\"\nname")],
    )
    .await;
    // While acting, the member's export is not the administrator's to take.
    let refused = app.get(&ada, "/settings/impersonation/audit-log.csv").await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    app.call(&ada, "exit_impersonation", &[]).await;

    let mia = app.signed_in("mia@example.com").await;
    // Someone guesses Mia's password until they are locked out: it is about her account.
    let guesser = app.client();
    for _ in 0..6 {
        app.sign_in(&guesser, "mia@example.com", "not-her-password")
            .await;
    }

    let mia_id = user_id(&app, "mia@example.com").await;
    let about_mia: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE subject_id = $1")
            .bind(mia_id)
            .fetch_one(app.store.pool())
            .await
            .unwrap();

    let csv = app.get(&mia, "/settings/impersonation/audit-log.csv").await;
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(csv.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let csv = csv.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], app::ssr::audit_export::CSV_HEADER.trim_end());
    assert_eq!(lines.len() as i64, about_mia + 1, "one line per event");
    assert!(csv.contains("/api/rename_project"));
    assert_eq!(csv.matches("wrong email or password").count(), 5);
    assert_eq!(csv.matches("too many attempts").count(), 1);
    // The name's quotes and line break are escaped: still one line, one field.
    assert!(csv.contains(r#"A, \""quoted\""\\u000aname"#), "{csv}");

    let json = app
        .get(&mia, "/settings/impersonation/audit-log.json")
        .await;
    assert_eq!(json.status(), StatusCode::OK);
    let events: Vec<serde_json::Value> = json.json().await.unwrap();
    assert_eq!(events.len() as i64, about_mia);
    assert!(events
        .iter()
        .all(|event| event["subject"] == "Mia Member <mia@example.com>"));

    let max = app.signed_in("max@example.com").await;
    let theirs = app
        .get(&max, "/settings/impersonation/audit-log.json")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !theirs.contains("mia@example.com"),
        "only their own account"
    );
    let visitor = app
        .get(&app.client(), "/settings/impersonation/audit-log.csv")
        .await;
    assert_eq!(visitor.status(), StatusCode::UNAUTHORIZED);
}

async fn allow_list(app: &TestApp, owner: &reqwest::Client) -> AllowList {
    app.call(owner, "allow_list", &[])
        .await
        .json()
        .await
        .unwrap()
}

async fn an_owner_grants_and_removes_the_right_and_removal_ends_the_live_session(db: Db) {
    let app = spawn_app(db).await;
    let owner = app.signed_in("owner@example.com").await;
    let sam = user_id(&app, "sam@example.com").await;
    let ada_id = user_id(&app, "ada@example.com").await;

    let list = allow_list(&app, &owner).await;
    let holders: Vec<&str> = list.holders.iter().map(|h| h.user.email.as_str()).collect();
    assert_eq!(holders, ["ada@example.com", "owner@example.com"]);
    assert_eq!(list.candidates.len(), 1, "Sam could be given it");

    // Only owners; an admin is refused whatever they send.
    let (ada, session) = acting(&app, "full_access").await;
    let sam_client = app.signed_in("sam@example.com").await;
    for (client, function) in [
        (&sam_client, "grant_impersonator"),
        (&sam_client, "remove_impersonator"),
    ] {
        let response = app
            .call(client, function, &[("user_id", &sam.to_string())])
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
    }
    assert_eq!(
        app.call(&sam_client, "allow_list", &[]).await.status(),
        StatusCode::FORBIDDEN
    );
    let mia = user_id(&app, "mia@example.com").await;
    let member = app
        .call(
            &owner,
            "grant_impersonator",
            &[("user_id", &mia.to_string())],
        )
        .await;
    assert_eq!(
        member.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "members cannot hold it"
    );

    let granted = app
        .call(
            &owner,
            "grant_impersonator",
            &[("user_id", &sam.to_string())],
        )
        .await;
    assert_eq!(granted.status(), StatusCode::OK);
    let again = app
        .call(
            &owner,
            "grant_impersonator",
            &[("user_id", &sam.to_string())],
        )
        .await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let list = allow_list(&app, &owner).await;
    let sam_entry = list.holders.iter().find(|h| h.user.id == sam).unwrap();
    assert_eq!(sam_entry.granted_by.as_deref(), Some("Olivia Owner"));
    let ada_entry = list.holders.iter().find(|h| h.user.id == ada_id).unwrap();
    assert_eq!(ada_entry.sessions, 1);
    assert!(ada_entry.last_used.is_some());

    // Ada is acting; removing her grant ends that session at once.
    let removed = app
        .call(
            &owner,
            "remove_impersonator",
            &[("user_id", &ada_id.to_string())],
        )
        .await;
    assert_eq!(removed.status(), StatusCode::OK);
    let record = app
        .store
        .impersonation_session(session)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.end_reason.as_deref(), Some("permission removed"));
    let next = app.call(&ada, "list_projects", &[]).await;
    assert_eq!(next.status(), StatusCode::FORBIDDEN);
    assert!(next.text().await.unwrap().contains("permission removed"));

    let owner_id = user_id(&app, "owner@example.com").await;
    let granted = &app.events("allowlist_granted").await[0];
    let revoked = &app.events("allowlist_revoked").await[0];
    assert_eq!(
        (granted.actor_id, granted.subject_id),
        (Some(owner_id), Some(sam))
    );
    assert_eq!(
        (revoked.actor_id, revoked.subject_id),
        (Some(owner_id), Some(ada_id))
    );
    let ended = &app.events("impersonation_ended").await[0];
    assert_eq!(
        ended.seq,
        revoked.seq + 1,
        "ended in the removal's transaction"
    );
}

async fn an_owner_suspends_a_member_and_the_session_on_the_account_ends(db: Db) {
    let app = spawn_app(db).await;
    let (ada, session) = acting(&app, "full_access").await;
    let mia = app.signed_in("mia@example.com").await;
    let mia_id = user_id(&app, "mia@example.com").await;
    let owner = app.signed_in("owner@example.com").await;
    let sam = app.signed_in("sam@example.com").await;

    let by_admin = app
        .call(&sam, "suspend_user", &[("user_id", &mia_id.to_string())])
        .await;
    assert_eq!(by_admin.status(), StatusCode::FORBIDDEN);
    // Since owners run the directory (SPEC.md §1, People), staff can be suspended too; but
    // nobody suspends themselves.
    let owner_id = user_id(&app, "owner@example.com").await;
    let themself = app
        .call(
            &owner,
            "suspend_user",
            &[("user_id", &owner_id.to_string())],
        )
        .await;
    assert_eq!(themself.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let suspended = app
        .call(&owner, "suspend_user", &[("user_id", &mia_id.to_string())])
        .await;
    assert_eq!(suspended.status(), StatusCode::OK);
    let record = app
        .store
        .impersonation_session(session)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.end_reason.as_deref(), Some("user suspended"));
    assert_eq!(
        app.call(&ada, "list_projects", &[]).await.status(),
        StatusCode::FORBIDDEN
    );
    let me: Option<app::model::Me> = app.call(&mia, "whoami", &[]).await.json().await.unwrap();
    assert!(
        me.is_none(),
        "the member's sign-in ended with the suspension"
    );
    let again = app
        .sign_in(&app.client(), "mia@example.com", crate::common::PASSWORD)
        .await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let event = &app.events("user_suspended").await[0];
    assert_eq!(event.subject_id, Some(mia_id));
    assert_eq!(
        event.actor_id,
        Some(owner_id),
        "recorded with who suspended"
    );
    let ended = &app.events("impersonation_ended").await[0];
    assert_eq!(ended.impersonation_id, Some(session));
    assert_eq!(
        ended.seq,
        event.seq + 1,
        "the session ended in the suspension's own transaction"
    );
    let twice = app
        .call(&owner, "suspend_user", &[("user_id", &mia_id.to_string())])
        .await;
    assert_eq!(twice.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn activity(
    app: &TestApp,
    client: &reqwest::Client,
    form: &[(&str, &str)],
) -> reqwest::Response {
    app.call(client, "activity_log", form).await
}

async fn the_activity_log_filters_and_pages_by_cursor(db: Db) {
    let app = spawn_app(db).await;
    let (ada, _) = acting(&app, "full_access").await;
    for n in 0..60 {
        app.call(&ada, "create_project", &[("name", &format!("Bulk {n}"))])
            .await;
    }
    app.call(&ada, "exit_impersonation", &[]).await;
    let mia_id = user_id(&app, "mia@example.com").await;

    // Filtered by subject, the newest page, then the next by cursor: no event twice.
    let first: Page<AuditEntry> = activity(&app, &ada, &[("filter[subject]", "mia@example.com")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first.items.len(), app::model::EVENTS_PER_PAGE);
    assert!(first
        .items
        .iter()
        .all(|event| event.subject.as_deref() == Some("Mia Member <mia@example.com>")));
    let cursor = first.next.unwrap();
    let second: Page<AuditEntry> = activity(
        &app,
        &ada,
        &[
            ("filter[subject]", "mia@example.com"),
            ("before", &cursor.to_string()),
        ],
    )
    .await
    .json()
    .await
    .unwrap();
    assert!(second.items.iter().all(|event| event.seq < cursor));
    let about_mia: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE subject_id = $1")
            .bind(mia_id)
            .fetch_one(app.store.pool())
            .await
            .unwrap();
    let mut pages = first.items.len() + second.items.len();
    let mut older = second.next;
    while let Some(cursor) = older {
        let page: Page<AuditEntry> = activity(
            &app,
            &ada,
            &[
                ("filter[subject]", "mia@example.com"),
                ("before", &cursor.to_string()),
            ],
        )
        .await
        .json()
        .await
        .unwrap();
        pages += page.items.len();
        older = page.next;
    }
    assert_eq!(pages as i64, about_mia, "every event about Mia, once");

    // Kind, actor and a day range narrow it; today matches, tomorrow does not.
    let day = |at_ms: i64| app::ssr::audit_export::export_time(at_ms)[..10].to_string();
    let now = app::ssr::now_ms();
    let (today, tomorrow) = (day(now), day(now + 24 * 60 * 60 * 1000));
    let actions: Page<AuditEntry> = activity(
        &app,
        &ada,
        &[
            ("filter[actor]", "Ada"),
            ("filter[kind]", "project_created"),
            ("filter[from]", &today),
            ("filter[to]", &today),
        ],
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(actions.items.len(), 50);
    assert!(actions
        .items
        .iter()
        .all(|event| event.kind == "project_created"
            && event.actor.as_deref() == Some("Ada Admin <ada@example.com>")));
    let none: Page<AuditEntry> = activity(&app, &ada, &[("filter[from]", &tomorrow)])
        .await
        .json()
        .await
        .unwrap();
    assert!(none.items.is_empty());

    // Bad filters are refused with a message; a name matching several accounts or none
    // too, and so is a page link somebody changed.
    for (field, value) in [
        ("filter[kind]", "drop table"),
        ("filter[from]", "yesterday"),
        ("filter[subject]", "Member"),
        ("filter[subject]", "nobody@example.com"),
        ("before", "abc"),
        ("before", "-1"),
    ] {
        let response = activity(&app, &ada, &[(field, value)]).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{value}"
        );
    }
    let members = app.signed_in("mia@example.com").await;
    assert_eq!(
        activity(&app, &members, &[("filter[kind]", "")])
            .await
            .status(),
        StatusCode::FORBIDDEN
    );

    // The CSV export carries the same filter.
    let csv = app
        .get(
            &ada,
            "/admin/activity/export.csv?subject=mia%40example.com&kind=project_created",
        )
        .await;
    assert_eq!(csv.status(), StatusCode::OK);
    let csv = csv.text().await.unwrap();
    assert_eq!(
        csv.lines().count(),
        1 + 61,
        "header, 60 bulk projects and Mia's own"
    );
    let refused = app.get(&members, "/admin/activity/export.csv").await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}
