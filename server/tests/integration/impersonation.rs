//! Starting and exiting impersonation over HTTP, on SQLite and PostgreSQL: each start rule of
//! SPEC.md §3, checked on the server atomically with the insert.

use crate::common::{spawn_app, spawn_app_with, Db, TestApp};
use reqwest::StatusCode;

on_both_databases!(
    an_allowed_admin_starts_on_consent_and_the_cookie_rotates,
    each_start_rule_refuses_and_is_audited,
    the_session_ends_at_the_cap_or_the_consents_expiry,
    a_support_code_starts_one_session_in_its_scope,
    wrong_support_codes_are_refused_and_rate_limited,
    concurrent_starts_leave_one_live_session_per_member,
    exiting_ends_the_session_once,
    a_session_left_behind_is_shown_elsewhere_and_ends_from_there,
    a_page_load_after_the_end_shows_the_own_view_and_says_why,
);

async fn user_id(app: &TestApp, email: &str) -> String {
    let id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    id.to_string()
}

async fn consent(app: &TestApp, email: &str, hours: &str, scope: &str) {
    let member = app.signed_in(email).await;
    let response = app
        .call(
            &member,
            "grant_consent",
            &[("duration", hours), ("scope", scope)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

async fn start(
    app: &TestApp,
    admin: &reqwest::Client,
    target: &str,
    reason: &str,
) -> reqwest::Response {
    app.call(
        admin,
        "start_impersonation",
        &[("target_id", target), ("reason", reason)],
    )
    .await
}

async fn live_sessions(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM impersonation_sessions WHERE ended_at IS NULL")
        .fetch_one(app.store.pool())
        .await
        .unwrap()
}

async fn an_allowed_admin_starts_on_consent_and_the_cookie_rotates(db: Db) {
    let app = spawn_app(db).await;
    consent(&app, "mia@example.com", "24", "full_access").await;
    let ada = app.signed_in("ada@example.com").await;
    let mia = user_id(&app, "mia@example.com").await;

    let response = start(&app, &ada, &mia, "TICKET-4711 broken invoice").await;
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cookie.starts_with("actas_session="),
        "a new sign-in id: {cookie}"
    );

    let started = app.events("impersonation_started").await;
    assert_eq!(started.len(), 1);
    assert!(started[0].detail.contains("TICKET-4711"));
    let session = app
        .store
        .impersonation_session(started[0].impersonation_id.unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(session.scope, app::model::Scope::FullAccess);
    let minutes_left = (session.expires_at - app::ssr::now_ms()) as f64 / 60_000.0;
    assert!(
        (29.0..=30.0).contains(&minutes_left),
        "capped at 30 minutes: {minutes_left}"
    );
    assert_eq!(session.ended_at, None);
}

async fn each_start_rule_refuses_and_is_audited(db: Db) {
    let app = spawn_app(db).await;
    let reason = "TICKET-1 customer cannot log in";
    let (mia, max) = (
        user_id(&app, "mia@example.com").await,
        user_id(&app, "max@example.com").await,
    );
    let (ada_id, sam_id) = (
        user_id(&app, "ada@example.com").await,
        user_id(&app, "sam@example.com").await,
    );
    let ada = app.signed_in("ada@example.com").await;
    let sam = app.signed_in("sam@example.com").await;
    let owner = app.signed_in("owner@example.com").await;

    let cases: Vec<(&reqwest::Client, &str, &str, StatusCode, &str)> = vec![
        (
            &sam,
            mia.as_str(),
            reason,
            StatusCode::FORBIDDEN,
            "You are not allowed to impersonate users.",
        ),
        (
            &ada,
            mia.as_str(),
            reason,
            StatusCode::UNPROCESSABLE_ENTITY,
            "This member has not given consent.",
        ),
        (
            &ada,
            ada_id.as_str(),
            reason,
            StatusCode::UNPROCESSABLE_ENTITY,
            "You cannot impersonate yourself.",
        ),
        (
            &ada,
            sam_id.as_str(),
            reason,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Only members can be impersonated.",
        ),
        (
            &ada,
            mia.as_str(),
            "too short",
            StatusCode::UNPROCESSABLE_ENTITY,
            "Give a reason of 10 to 500 characters",
        ),
    ];
    for (client, target, why, status, message) in cases {
        let response = start(&app, client, target, why).await;
        assert_eq!(response.status(), status, "{message}");
        assert!(
            response.text().await.unwrap().contains(message),
            "{message}"
        );
    }
    assert_eq!(live_sessions(&app).await, 0);
    let denied = app.events("impersonation_denied").await;
    assert_eq!(denied.len(), 5, "every refusal is on record");
    for rule in [
        "not_on_allow_list",
        "no_consent",
        "self_target",
        "target_not_member",
        "reason_invalid",
    ] {
        assert!(
            denied.iter().any(|event| event.detail.contains(rule)),
            "{rule}"
        );
    }
    let outsider = denied
        .iter()
        .find(|event| event.detail.contains("not_on_allow_list"))
        .unwrap();
    assert_eq!(
        outsider.subject_id, None,
        "nobody without the grant writes into a member's history"
    );

    consent(&app, "mia@example.com", "1", "view_only").await;
    consent(&app, "max@example.com", "1", "view_only").await;
    assert_eq!(
        start(&app, &ada, &mia, reason).await.status(),
        StatusCode::OK
    );
    let chained = start(&app, &ada, &max, reason).await;
    assert_eq!(chained.status(), StatusCode::FORBIDDEN, "no chaining");
    assert!(chained
        .text()
        .await
        .unwrap()
        .contains("Not allowed during impersonation"));
    let busy = start(&app, &owner, &mia, reason).await;
    assert!(busy
        .text()
        .await
        .unwrap()
        .contains("Ada Admin is already impersonating this member."));

    sqlx::query("UPDATE users SET status = 'suspended' WHERE email = 'max@example.com'")
        .execute(app.store.pool())
        .await
        .unwrap();
    let suspended = start(&app, &owner, &max, reason).await;
    assert!(suspended
        .text()
        .await
        .unwrap()
        .contains("This account is suspended or deleted."));
    assert_eq!(live_sessions(&app).await, 1);
}

async fn the_session_ends_at_the_cap_or_the_consents_expiry(db: Db) {
    let app = spawn_app_with(db, |config| config.max_session_seconds = 5).await;
    consent(&app, "mia@example.com", "1", "view_only").await;
    let ada = app.signed_in("ada@example.com").await;
    let before = app::ssr::now_ms();
    assert_eq!(
        start(
            &app,
            &ada,
            &user_id(&app, "mia@example.com").await,
            "TICKET-2 layout"
        )
        .await
        .status(),
        StatusCode::OK
    );
    let id = app.events("impersonation_started").await[0]
        .impersonation_id
        .unwrap();
    let session = app.store.impersonation_session(id).await.unwrap().unwrap();
    assert!(
        session.expires_at >= before + 5_000 && session.expires_at <= app::ssr::now_ms() + 5_000
    );
}

async fn a_support_code_starts_one_session_in_its_scope(db: Db) {
    let app = spawn_app(db).await;
    let mia_client = app.signed_in("mia@example.com").await;
    let issued: app::model::IssuedSupportCode = app
        .call(
            &mia_client,
            "generate_support_code",
            &[("scope", "view_only")],
        )
        .await
        .json()
        .await
        .unwrap();
    let mia = user_id(&app, "mia@example.com").await;
    let ada = app.signed_in("ada@example.com").await;
    let spaced = format!("{} {}", &issued.code[..4], issued.code[4..].to_lowercase());

    let response = app
        .call(
            &ada,
            "start_impersonation",
            &[
                ("target_id", &mia),
                ("reason", "Phone call 11:02"),
                ("support_code", &spaced),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let id = app.events("impersonation_started").await[0]
        .impersonation_id
        .unwrap();
    let session = app.store.impersonation_session(id).await.unwrap().unwrap();
    assert_eq!(session.scope, app::model::Scope::ViewOnly);
    app.call(&ada, "exit_impersonation", &[]).await;

    let again = app
        .call(
            &ada,
            "start_impersonation",
            &[
                ("target_id", &mia),
                ("reason", "Phone call 11:02"),
                ("support_code", &issued.code),
            ],
        )
        .await;
    assert_eq!(
        again.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a code works once"
    );
    assert_eq!(live_sessions(&app).await, 0);
}

async fn wrong_support_codes_are_refused_and_rate_limited(db: Db) {
    let app = spawn_app(db).await;
    let mia_client = app.signed_in("mia@example.com").await;
    app.call(
        &mia_client,
        "generate_support_code",
        &[("scope", "full_access")],
    )
    .await;
    let mia = user_id(&app, "mia@example.com").await;
    let ada = app.signed_in("ada@example.com").await;
    let form = [
        ("target_id", mia.as_str()),
        ("reason", "Phone call 11:02"),
        ("support_code", "AAAA2222"),
    ];
    let wrong_code = || app.call(&ada, "start_impersonation", &form);
    for _ in 0..5 {
        let response = wrong_code().await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(response
            .text()
            .await
            .unwrap()
            .contains("This support code is not valid."));
    }
    let locked = wrong_code().await;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(app.events("impersonation_denied").await.len(), 5);
    assert_eq!(live_sessions(&app).await, 0);
}

async fn concurrent_starts_leave_one_live_session_per_member(db: Db) {
    let app = std::sync::Arc::new(spawn_app(db).await);
    consent(&app, "mia@example.com", "24", "full_access").await;
    let mia = user_id(&app, "mia@example.com").await;
    let ada = app.signed_in("ada@example.com").await;
    let owner = app.signed_in("owner@example.com").await;
    let attempts = (0..12).map(|i| {
        let (app, mia) = (app.clone(), mia.clone());
        let client = if i % 2 == 0 {
            ada.clone()
        } else {
            owner.clone()
        };
        tokio::spawn(async move {
            start(&app, &client, &mia, "TICKET-9 race to help")
                .await
                .status()
        })
    });
    let mut started = 0;
    for attempt in attempts {
        let status = attempt.await.unwrap();
        // Refused (another start won), or the winner's own later attempts: it now acts
        // (403) or still sent the sign-in id the start rotated away (401).
        let refused = [
            StatusCode::UNPROCESSABLE_ENTITY,
            StatusCode::FORBIDDEN,
            StatusCode::UNAUTHORIZED,
        ];
        assert!(
            status == StatusCode::OK || refused.contains(&status),
            "{status}"
        );
        started += usize::from(status == StatusCode::OK);
    }
    assert_eq!(started, 1, "exactly one start wins");
    assert_eq!(live_sessions(&app).await, 1);
    assert_eq!(app.events("impersonation_started").await.len(), 1);
    assert!(app.events("impersonation_denied").await.len() <= 11);
}

async fn exiting_ends_the_session_once(db: Db) {
    let app = spawn_app(db).await;
    consent(&app, "mia@example.com", "24", "full_access").await;
    let ada = app.signed_in("ada@example.com").await;
    start(
        &app,
        &ada,
        &user_id(&app, "mia@example.com").await,
        "TICKET-3 check settings",
    )
    .await;

    let exit = app.call(&ada, "exit_impersonation", &[]).await;
    assert_eq!(exit.status(), StatusCode::OK);
    assert!(
        exit.headers().contains_key("set-cookie"),
        "the sign-in id rotates at the end too"
    );
    let again = app.call(&ada, "exit_impersonation", &[]).await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let ended = app.events("impersonation_ended").await;
    assert_eq!(ended.len(), 1);
    assert!(ended[0].detail.contains("exited"));
    assert_eq!(live_sessions(&app).await, 0);
    // Ada is still signed in as herself.
    assert_eq!(app.get(&ada, "/admin/users").await.status(), StatusCode::OK);
}

async fn a_session_left_behind_is_shown_elsewhere_and_ends_from_there(db: Db) {
    let app = spawn_app(db).await;
    let (laptop, session_id) = crate::common::acting(&app, "full_access").await;
    // Ada signs in on another browser: she sees the session, and whom it is on.
    let desk = app.signed_in("ada@example.com").await;
    let me: serde_json::Value = app.call(&desk, "whoami", &[]).await.json().await.unwrap();
    assert_eq!(me["open_elsewhere"]["member_name"], "Mia Member");
    assert_eq!(me["open_elsewhere"]["member_email"], "mia@example.com");
    assert!(me["acting"].is_null(), "the desk is in Ada's own view");

    // A server function is never run by a GET (a link on another site could make one), and
    // the exit names the session the page showed: nothing else is ended by a stale page.
    let stale = app
        .call(&desk, "exit_impersonation", &[("session_id", "999999")])
        .await;
    assert_eq!(stale.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let by_link = desk
        .get(app.url("/api/exit_impersonation"))
        .send()
        .await
        .unwrap();
    assert_ne!(by_link.status(), StatusCode::OK);
    assert_eq!(live_sessions(&app).await, 1);

    let shown = me["open_elsewhere"]["session_id"]
        .as_i64()
        .unwrap()
        .to_string();
    let exit = app
        .call(&desk, "exit_impersonation", &[("session_id", &shown)])
        .await;
    assert_eq!(exit.status(), StatusCode::OK);
    let record = app
        .store
        .impersonation_session(session_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.end_reason.as_deref(), Some("exited"));
    let me: serde_json::Value = app.call(&desk, "whoami", &[]).await.json().await.unwrap();
    assert!(me["open_elsewhere"].is_null());
    let again = app
        .call(&desk, "exit_impersonation", &[("session_id", &shown)])
        .await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // The laptop learns it on its next request: a change meant for Mia is refused, once.
    let late = app
        .call(&laptop, "create_project", &[("name", "Too late")])
        .await;
    assert_eq!(late.status(), StatusCode::FORBIDDEN);
    assert!(late.text().await.unwrap().contains("has ended (exited)"));
    assert_eq!(app.events("impersonation_ended").await.len(), 1);
    assert!(crate::common::verified_chain(&app.store).await.is_ok());
}

async fn a_page_load_after_the_end_shows_the_own_view_and_says_why(db: Db) {
    let app = spawn_app(db).await;
    let (ada, _) = crate::common::acting(&app, "full_access").await;
    let mia = app.signed_in("mia@example.com").await;
    assert_eq!(
        app.call(&mia, "revoke_consent", &[]).await.status(),
        StatusCode::OK
    );
    // Ada reloads the member's page: she is sent to her user list, which says why.
    let reload = app.get(&ada, "/projects").await;
    assert_eq!(reload.status(), StatusCode::SEE_OTHER);
    let location = reload.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(location, "/admin/users?ended=consent%20revoked");
    let page = app.get(&ada, &location).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Impersonation session ended"), "{html}");
    assert!(html.contains("The member revoked their consent."));
    assert!(html.contains("Mia Member"), "the list itself is there");
    assert!(!html.contains("You are impersonating"));
    // After that, she is simply herself.
    let me: serde_json::Value = app.call(&ada, "whoami", &[]).await.json().await.unwrap();
    assert!(me["acting"].is_null());
    assert!(me["session_ended"].is_null(), "said once");
}
