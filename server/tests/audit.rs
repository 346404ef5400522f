//! The audit trail while acting and under load: one `action` event per request made while
//! acting, written with the change it records or not at all, and a chain that stays whole
//! under concurrent appends. SQLite and PostgreSQL.

mod common;

use app::ssr::audit::{EventKind, NewEvent};
use app::ssr::now_ms;
use common::{acting, spawn_app, user_id, Db, TestApp};
use reqwest::StatusCode;

on_both_databases!(
    every_request_made_while_acting_is_one_action_event,
    an_audit_write_failure_makes_the_action_fail,
    the_chain_stays_whole_under_concurrent_appends_and_names_an_altered_row,
);

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
    let project: i64 = sqlx::query_scalar("SELECT id FROM projects WHERE name = 'Mia''s garden'")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    let project = project.to_string();

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
    assert_eq!(
        app.store.verify_audit_chain().await.unwrap(),
        Ok(recorded[0].seq as u64)
    );
}

async fn the_chain_stays_whole_under_concurrent_appends_and_names_an_altered_row(db: Db) {
    let app = spawn_app(db).await;
    let mia = app.signed_in("mia@example.com").await;
    let before = app.store.verify_audit_chain().await.unwrap().unwrap();

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
        store.record_many(batch).await
    });
    while let Some(done) = tasks.join_next().await {
        done.unwrap().unwrap();
    }

    let last = app.store.verify_audit_chain().await.unwrap();
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
    let verdict = server::verify_audit(&app.database_url).await.unwrap();
    assert_eq!(
        verdict,
        Err(format!(
            "event {victim} was altered: its content does not match its hash"
        ))
    );
}
