//! The audit trail while acting and under load: one `action` event per request made while
//! acting, written with the change it records or not at all, and a chain that stays whole
//! under concurrent appends. SQLite and PostgreSQL.

use crate::common::{acting, spawn_app, user_id, verified_chain, Db, TestApp};
use app::ssr::audit::{EventKind, NewEvent};
use app::ssr::now_ms;
use reqwest::StatusCode;

on_both_databases!(
    every_request_made_while_acting_is_one_action_event,
    refusals_before_any_handler_and_odd_bodies_are_on_record_too,
    an_audit_write_failure_makes_the_action_fail,
    the_chain_stays_whole_under_concurrent_appends_and_names_an_altered_row,
);

/// The id of the project `acting` creates for Mia before Ada acts.
async fn gardens_id(app: &TestApp) -> String {
    let id: i64 = sqlx::query_scalar("SELECT id FROM projects WHERE name = 'Mia''s garden'")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    id.to_string()
}

async fn actions_in(app: &TestApp, session: i64) -> Vec<app::ssr::audit::StoredEvent> {
    app.events("action")
        .await
        .into_iter()
        .filter(|event| event.impersonation_id == Some(session))
        .collect()
}

async fn every_request_made_while_acting_is_one_action_event(db: Db) {
    let app = spawn_app(db).await;
    let (ada, session) = acting(&app, "full_access").await;
    let project = gardens_id(&app).await;

    let mut expected = Vec::new();
    for path in ["/projects", "/settings/impersonation", "/admin/users"] {
        let status = app.get(&ada, path).await.status();
        expected.push(("GET", path.to_string(), status.as_u16()));
    }
    let calls: [(&str, Vec<(&str, &str)>); 7] = [
        ("list_projects", vec![]),
        (
            "rename_project",
            vec![("project_id", &project), ("name", "Garden, fixed")],
        ),
        (
            "rename_project",
            vec![("project_id", "999999"), ("name", "Nobody's")],
        ),
        ("create_project", vec![("name", "")]),
        ("update_payout", vec![("iban", "DE89370400440532013000")]),
        (
            "grant_consent",
            vec![("duration", "24"), ("scope", "full_access")],
        ),
        ("exit_impersonation", vec![]),
    ];
    for (function, form) in &calls {
        let status = app.call(&ada, function, form).await.status();
        expected.push(("POST", format!("/api/{function}"), status.as_u16()));
    }
    // Back in her own account: no longer a request made while acting.
    assert_eq!(app.get(&ada, "/admin/users").await.status(), StatusCode::OK);

    let recorded = actions_in(&app, session).await;
    let seen: Vec<(&str, String, u16)> = recorded
        .iter()
        .rev()
        .map(|event| {
            (
                event.method.as_deref().unwrap(),
                event.path.clone().unwrap(),
                event.status.unwrap() as u16,
            )
        })
        .collect();
    assert_eq!(
        seen, expected,
        "one event per request, in order, with its status"
    );
    let statuses: Vec<u16> = expected.iter().map(|(_, _, status)| *status).collect();
    assert_eq!(
        statuses,
        [200, 403, 403, 200, 200, 422, 422, 403, 403, 200],
        "looked, changed, and was refused"
    );

    let mia = user_id(&app, "mia@example.com").await;
    let ada_id = user_id(&app, "ada@example.com").await;
    for event in &recorded {
        assert_eq!(
            (event.actor_id, event.subject_id),
            (Some(ada_id), Some(mia))
        );
    }
    let rename = recorded
        .iter()
        .find(|event| {
            event.path.as_deref() == Some("/api/rename_project") && event.status == Some(200)
        })
        .unwrap();
    assert!(rename.detail.contains("Garden, fixed"), "{}", rename.detail);
    let renamed = &app.events("project_renamed").await[0];
    assert_eq!(
        rename.seq,
        renamed.seq + 1,
        "the action is written in the rename's own transaction"
    );
    let payout = recorded
        .iter()
        .find(|event| event.path.as_deref() == Some("/api/update_payout"))
        .unwrap();
    assert!(!payout.detail.contains("DE89"), "{}", payout.detail);
    assert!(payout.detail.contains("[REDACTED]"));
    assert!(payout.detail.contains("Not allowed during impersonation"));
}

/// What refuses a request before a page or server function sees it (size, origin, arguments
/// too large to record) answers on the record too; a body of any declared type is kept as
/// the form the server function reads, secrets redacted; a plain form post is recorded with
/// the redirect it gets; signing in again ends the session with its record.
async fn refusals_before_any_handler_and_odd_bodies_are_on_record_too(db: Db) {
    let app = spawn_app(db).await;
    let (ada, session) = acting(&app, "full_access").await;
    let project = gardens_id(&app).await;
    let post = |path: &str, site: &str| ada.post(app.url(path)).header("Sec-Fetch-Site", site);
    let rename = |fields: &[(&str, &str)]| {
        let mut form = vec![("project_id", project.as_str())];
        form.extend_from_slice(fields);
        post("/api/rename_project", "same-origin").form(&form)
    };
    let huge = "x".repeat(300 * 1024);
    let padding: Vec<(String, String)> = (0..120)
        .map(|n| (format!("a{n:03}"), "y".repeat(60)))
        .collect();
    let mut padded: Vec<(&str, &str)> = padding
        .iter()
        .map(|(key, value)| (key.as_str(), value.as_str()))
        .collect();
    padded.push(("name", "Hidden rename"));

    // Each request, the status it gets, and what its record says it was told.
    let requests = [
        // Over the body limit, with its Content-Length: refused before it is read.
        (
            rename(&[("name", &huge)]),
            413,
            Some("The request is too large."),
        ),
        // Padding that would push the real arguments out of the record: not carried out.
        (
            rename(&padded),
            413,
            Some("This request carries more than the audit log can record, so it was not carried out."),
        ),
        // From another site.
        (
            post("/api/create_project", "cross-site").form(&[("name", "Forged")]),
            403,
            Some("Cross-site request refused."),
        ),
        // Anything but a form is refused; its record keeps no text that is no field name.
        (
            post("/api/update_payout", "same-origin")
                .header("Content-Type", "application/json")
                .body(r#"{"iban":"DE89370400440532013000","password":"hunter2"}"#),
            415,
            Some("Send forms as application/x-www-form-urlencoded."),
        ),
        // A secret sent as a form field is redacted under its name.
        (
            post("/api/update_payout", "same-origin")
                .form(&[("iban", "DE89370400440532013000"), ("password", "hunter2")]),
            403,
            Some("Not allowed during impersonation"),
        ),
        // A plain form post (no JavaScript): redirected back to its page, and recorded so.
        (
            rename(&[("name", "Garden without JavaScript")])
                .header("Accept", "text/html")
                .header("Referer", app.url("/projects")),
            302,
            None,
        ),
        // Signing in again while acting ends the session, recorded with that sign-in.
        (
            post("/api/sign_in", "same-origin")
                .form(&[("email", "ada@example.com"), ("password", crate::common::PASSWORD)]),
            200,
            None,
        ),
    ];
    let mut expected = Vec::new();
    for (request, status, refused) in requests {
        let request = request.build().unwrap();
        let path = request.url().path().to_string();
        let answer = ada.execute(request).await.unwrap().status();
        assert_eq!(answer.as_u16(), status, "{path}");
        expected.push((path, status, refused.map(str::to_string)));
    }

    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM projects ORDER BY id")
        .fetch_all(app.store.pool())
        .await
        .unwrap();
    assert_eq!(
        names,
        ["Garden without JavaScript"],
        "only the one rename was made"
    );

    let recorded = actions_in(&app, session).await;
    let seen: Vec<(String, u16, Option<String>)> = recorded
        .iter()
        .rev()
        .map(|event| {
            let detail: serde_json::Value = serde_json::from_str(&event.detail).unwrap();
            (
                event.path.clone().unwrap(),
                event.status.unwrap() as u16,
                detail["refused"].as_str().map(str::to_string),
            )
        })
        .collect();
    assert_eq!(
        seen, expected,
        "one event per request, with what it was told"
    );
    for event in &recorded {
        for secret in ["hunter2", "DE89"] {
            assert!(!event.detail.contains(secret), "{}", event.detail);
        }
    }
    let (form, json) = (&recorded[2], &recorded[3]);
    assert!(
        form.detail.contains(r#""iban":"[REDACTED]""#),
        "{}",
        form.detail
    );
    assert!(
        json.detail.contains(r#""unreadable_fields":1"#),
        "{}",
        json.detail
    );

    let renamed = &app.events("project_renamed").await[0];
    let form_post = &recorded[1];
    assert_eq!(form_post.seq, renamed.seq + 1, "recorded with the rename");
    let ended = &app.events("impersonation_ended").await[0];
    assert!(
        ended.detail.contains("actor signed out"),
        "{}",
        ended.detail
    );
    assert_eq!(
        recorded[0].seq,
        ended.seq + 1,
        "recorded with the sign-in that ended it"
    );
}

/// Makes the database refuse every new `action` event, as a full disk or a broken audit
/// table would; `false` lifts it.
async fn refuse_action_events(app: &TestApp, db: Db, refuse: bool) {
    let statements: &[&str] = match (db, refuse) {
        (Db::Sqlite, true) => &[
            "CREATE TRIGGER refuse_actions BEFORE INSERT ON audit_events \
            WHEN NEW.kind = 'action' BEGIN SELECT RAISE(ABORT, 'audit unavailable'); END",
        ],
        (Db::Sqlite, false) => &["DROP TRIGGER refuse_actions"],
        (Db::Postgres, true) => &[
            "CREATE FUNCTION refuse_actions() RETURNS trigger AS $$ BEGIN \
             IF NEW.kind = 'action' THEN RAISE EXCEPTION 'audit unavailable'; END IF; \
             RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse_actions BEFORE INSERT ON audit_events \
             FOR EACH ROW EXECUTE FUNCTION refuse_actions()",
        ],
        (Db::Postgres, false) => &["DROP TRIGGER refuse_actions ON audit_events"],
    };
    for statement in statements {
        sqlx::query(statement)
            .execute(app.store.pool())
            .await
            .unwrap();
    }
}

async fn an_audit_write_failure_makes_the_action_fail(db: Db) {
    let app = spawn_app(db).await;
    let (ada, session) = acting(&app, "full_access").await;
    let names = || async {
        let names: Vec<String> = sqlx::query_scalar("SELECT name FROM projects ORDER BY id")
            .fetch_all(app.store.pool())
            .await
            .unwrap();
        names
    };

    refuse_action_events(&app, db, true).await;
    let created = app
        .call(&ada, "create_project", &[("name", "Off the record")])
        .await;
    assert!(created.status().is_server_error(), "{}", created.status());
    assert_eq!(names().await, ["Mia's garden"], "the change did not happen");
    assert!(app.events("project_created").await.len() == 1);
    let page = app.get(&ada, "/projects").await;
    assert_eq!(
        page.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "a page seen off the record is withheld"
    );
    assert!(!page.text().await.unwrap().contains("Mia's garden"));

    refuse_action_events(&app, db, false).await;
    let created = app
        .call(&ada, "create_project", &[("name", "On the record")])
        .await;
    assert_eq!(created.status(), StatusCode::OK);
    assert_eq!(names().await, ["Mia's garden", "On the record"]);
    let recorded = actions_in(&app, session).await;
    assert_eq!(recorded.len(), 1, "only the request that was carried out");
    assert_eq!(verified_chain(&app.store).await, Ok(recorded[0].seq as u64));
}

async fn the_chain_stays_whole_under_concurrent_appends_and_names_an_altered_row(db: Db) {
    let app = spawn_app(db).await;
    let mia = app.signed_in("mia@example.com").await;
    let before = verified_chain(&app.store).await.unwrap();

    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..24 {
        let store = app.store.clone();
        tasks.spawn(async move {
            let event = NewEvent::new(EventKind::RoleChanged).detail(serde_json::json!({"n": n}));
            store.record(event, now_ms()).await.map(|_| ())
        });
        let (client, base) = (mia.clone(), app.base.clone());
        tasks.spawn(async move {
            let response = client
                .post(format!("{base}/api/create_project"))
                .header("Sec-Fetch-Site", "same-origin")
                .form(&[("name", format!("Project {n}"))])
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            Ok(())
        });
    }
    // An import of many events at once, racing the single appends.
    let store = app.store.clone();
    tasks.spawn(async move {
        let batch = (0..1000)
            .map(|n| {
                (
                    NewEvent::new(EventKind::RoleChanged).detail(serde_json::json!({"batch": n})),
                    now_ms(),
                )
            })
            .collect();
        store.record_many(batch).await.map(drop)
    });
    while let Some(done) = tasks.join_next().await {
        done.unwrap().unwrap();
    }

    let last = verified_chain(&app.store).await;
    assert_eq!(
        last,
        Ok(before + 48 + 1000),
        "every append, one unbroken chain"
    );
    let times: Vec<i64> = sqlx::query_scalar("SELECT at_ms FROM audit_events ORDER BY seq")
        .fetch_all(app.store.pool())
        .await
        .unwrap();
    assert!(
        times.windows(2).all(|pair| pair[0] <= pair[1]),
        "time never goes backwards along the chain"
    );

    // An attacker with the database rewrites one event (lifting the append-only guard first).
    let victim = before as i64 + 10;
    let lift = match db {
        Db::Sqlite => "DROP TRIGGER audit_events_no_update",
        Db::Postgres => "ALTER TABLE audit_events DISABLE TRIGGER USER",
    };
    sqlx::query(lift).execute(app.store.pool()).await.unwrap();
    sqlx::query("UPDATE audit_events SET detail = '{\"n\":\"forged\"}' WHERE seq = $1")
        .bind(victim)
        .execute(app.store.pool())
        .await
        .unwrap();
    let verdict = server::verify_audit(&app.database_url, None)
        .await
        .map_err(|error| error.to_string());
    assert_eq!(
        verdict,
        Err(format!(
            "event {victim} was altered: its content does not match its hash"
        ))
    );
}
