//! Acting as a member: the act-as marker resolved on every request, the member's view with
//! the member's permissions, SPEC.md §3's restrictions, and each way a session ends, observed
//! by the administrator's next request. SQLite and PostgreSQL.

use crate::common::{
    acting, spawn_app, spawn_app_with, user_id, verified_chain, Db, TestApp, PASSWORD,
};
use reqwest::StatusCode;

on_both_databases!(
    an_administrator_acts_on_the_members_projects_and_it_is_recorded_as_theirs,
    a_view_only_session_refuses_every_change,
    what_an_administrator_cannot_do_while_acting_is_refused,
    a_revoked_consent_refuses_the_next_request_and_then_returns_the_admin,
    expiry_suspension_permission_and_sign_out_each_end_the_session_once,
    the_member_sees_who_acts_and_ends_the_session,
    the_live_channel_ends_with_its_sign_in_and_holds_a_few_streams_each,
    the_live_channel_ends_when_an_owner_resets_the_password_or_another_sign_in_replaces_it,
    the_members_live_channel_says_when_support_arrives_and_leaves,
    no_change_lands_after_the_revoke_that_ended_the_session,
    starts_revokes_and_exits_at_once_leave_no_session_outliving_its_consent,
    requests_racing_the_end_of_a_session_keep_the_administrator_signed_in,
);

/// The sign-in token a response sets, if it sets one (`""` when it clears the cookie).
fn set_token(response: &reqwest::Response) -> Option<String> {
    let cookie = response.headers().get("set-cookie")?.to_str().ok()?;
    let value = cookie.split(';').next()?.split_once('=')?.1;
    Some(value.to_string())
}

/// Calls a server function carrying exactly this sign-in token, as a browser tab would.
async fn call_with_token(app: &TestApp, token: &str, function: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url(&format!("/api/{function}")))
        .header("Sec-Fetch-Site", "same-origin")
        .header("Cookie", format!("actas_session={token}"))
        .send()
        .await
        .unwrap()
}

/// A page's requests under way when the member revokes: one rotation wins, every answer
/// carries its id or leaves the cookie alone, and the administrator stays signed in.
async fn requests_racing_the_end_of_a_session_keep_the_administrator_signed_in(db: Db) {
    let app = spawn_app(db).await;
    let mia = app.signed_in("mia@example.com").await;
    app.call(
        &mia,
        "grant_consent",
        &[("duration", "24"), ("scope", "full_access")],
    )
    .await;
    let signed_in = reqwest::Client::new()
        .post(app.url("/api/sign_in"))
        .header("Sec-Fetch-Site", "same-origin")
        .form(&[
            ("email", "ada@example.com"),
            ("password", crate::common::PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    let own = set_token(&signed_in).expect("signed in");
    let mia_id = crate::common::user_id(&app, "mia@example.com")
        .await
        .to_string();
    let started = reqwest::Client::new()
        .post(app.url("/api/start_impersonation"))
        .header("Sec-Fetch-Site", "same-origin")
        .header("Cookie", format!("actas_session={own}"))
        .form(&[
            ("target_id", mia_id.as_str()),
            ("reason", "TICKET-12 races"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), StatusCode::OK);
    let acting = set_token(&started).expect("rotated at the start");
    app.call(&mia, "revoke_consent", &[]).await;

    let answers =
        futures::future::join_all((0..8).map(|_| call_with_token(&app, &acting, "whoami"))).await;
    let set: Vec<String> = answers.iter().filter_map(set_token).collect();
    assert!(
        !set.contains(&String::new()),
        "no answer clears the cookie: {set:?}"
    );
    assert!(!set.is_empty(), "the rotation is handed out");
    assert!(
        set.iter().all(|token| *token == set[0]),
        "one rotation wins: {set:?}"
    );
    let me: Option<app::model::Me> = call_with_token(&app, &set[0], "whoami")
        .await
        .json()
        .await
        .unwrap();
    let me = me.expect("still signed in");
    assert_eq!(me.email, "ada@example.com");
    assert_eq!(me.acting, None, "in her own view");
    let late: Option<app::model::Me> = call_with_token(&app, &acting, "whoami")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        late.map(|me| me.email).as_deref(),
        Some("ada@example.com"),
        "a request still under way with the old token is hers too"
    );
}

/// Sign-ins ended by someone else's change end their open pages too, at once, though the
/// change's own event names no sign-in: an owner's `Reset password`, and signing in again in
/// the same browser (which replaces the sign-in, whoever it was).
async fn the_live_channel_ends_when_an_owner_resets_the_password_or_another_sign_in_replaces_it(
    db: Db,
) {
    let app = spawn_app(db).await;
    let ends_within_2_seconds = |mut live: reqwest::Response| async move {
        tokio::time::timeout(std::time::Duration::from_secs(2), async move {
            while live
                .chunk()
                .await
                .expect("the stream ends cleanly")
                .is_some()
            {}
        })
        .await
        .is_ok()
    };

    let mia = app.signed_in("mia@example.com").await;
    let live = mia.get(app.url("/api/live")).send().await.unwrap();
    assert_eq!(live.status(), StatusCode::OK);
    let owner = app.signed_in("owner@example.com").await;
    let mia_id = user_id(&app, "mia@example.com").await.to_string();
    let reset = app
        .call(&owner, "reset_password", &[("user_id", &mia_id)])
        .await;
    assert_eq!(reset.status(), StatusCode::OK);
    assert!(
        ends_within_2_seconds(live).await,
        "a reset left a page live"
    );

    let max = app.signed_in("max@example.com").await;
    let live = max.get(app.url("/api/live")).send().await.unwrap();
    assert_eq!(live.status(), StatusCode::OK);
    let signed_in = app.sign_in(&max, "sam@example.com", PASSWORD).await;
    assert!(signed_in.status().is_success());
    assert!(
        ends_within_2_seconds(live).await,
        "a replaced sign-in left a page live"
    );
}

/// The member's open pages learn who acts on the account only while the member is signed
/// in: signing out ends every stream of that sign-in; and one sign-in cannot hold open more
/// than a few.
async fn the_live_channel_ends_with_its_sign_in_and_holds_a_few_streams_each(db: Db) {
    let app = spawn_app(db).await;
    let mia = app.signed_in("mia@example.com").await;
    let mut streams = Vec::new();
    for _ in 0..server::live_channel::STREAMS_PER_SIGN_IN {
        let live = mia.get(app.url("/api/live")).send().await.unwrap();
        assert_eq!(live.status(), StatusCode::OK);
        streams.push(live);
    }
    let one_too_many = mia.get(app.url("/api/live")).send().await.unwrap();
    assert_eq!(one_too_many.status(), StatusCode::TOO_MANY_REQUESTS);
    // Another sign-in has its own.
    let max = app.signed_in("max@example.com").await;
    let theirs = max.get(app.url("/api/live")).send().await.unwrap();
    assert_eq!(theirs.status(), StatusCode::OK);

    assert_eq!(
        app.call(&mia, "sign_out", &[]).await.status(),
        StatusCode::OK
    );
    for mut live in streams {
        let ended = tokio::time::timeout(std::time::Duration::from_secs(4), async move {
            while live
                .chunk()
                .await
                .expect("the stream ends cleanly")
                .is_some()
            {}
        })
        .await;
        assert!(ended.is_ok(), "a stream outlived its sign-in");
    }
}

async fn the_members_live_channel_says_when_support_arrives_and_leaves(db: Db) {
    let app = spawn_app(db).await;
    let mia = app.signed_in("mia@example.com").await;
    let mut live = mia.get(app.url("/api/live")).send().await.unwrap();
    assert_eq!(live.status(), StatusCode::OK);
    let mut received = String::new();
    let mut read_until = async |wanted: &str| {
        while !received.contains(wanted) {
            let chunk = tokio::time::timeout(std::time::Duration::from_secs(3), live.chunk())
                .await
                .unwrap_or_else(|_| panic!("no {wanted:?} within 3 seconds: {received:?}"))
                .unwrap()
                .expect("the stream stays open");
            received.push_str(&String::from_utf8_lossy(&chunk));
        }
    };
    let (ada, _) = acting(&app, "full_access").await;
    read_until("event: support\ndata: \"Ada Admin\"").await;
    assert_eq!(
        app.call(&ada, "exit_impersonation", &[]).await.status(),
        StatusCode::OK
    );
    // "Nobody" is written as `null`: a browser would drop an event with empty data.
    read_until("event: support\ndata: null").await;
}

async fn projects(app: &TestApp, client: &reqwest::Client) -> reqwest::Response {
    app.call(client, "list_projects", &[]).await
}

async fn an_administrator_acts_on_the_members_projects_and_it_is_recorded_as_theirs(db: Db) {
    let app = spawn_app(db).await;
    let (ada, session) = acting(&app, "full_access").await;

    let seen: Vec<app::model::Project> = projects(&app, &ada).await.json().await.unwrap();
    assert_eq!(
        seen.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["Mia's garden"]
    );
    let me: Option<app::model::Me> = app.call(&ada, "whoami", &[]).await.json().await.unwrap();
    assert_eq!(
        me.unwrap().email,
        "mia@example.com",
        "pages show the member's view"
    );

    assert_eq!(
        app.call(&ada, "create_project", &[("name", "Fixed by support")])
            .await
            .status(),
        StatusCode::OK
    );
    let created = app.events("project_created").await;
    let by_support = created
        .iter()
        .find(|event| event.detail.contains("Fixed by support"))
        .unwrap();
    let (ada_id, mia_id): (i64, i64) = (
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'ada@example.com'")
            .fetch_one(app.store.pool())
            .await
            .unwrap(),
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'mia@example.com'")
            .fetch_one(app.store.pool())
            .await
            .unwrap(),
    );
    assert_eq!(
        (
            by_support.actor_id,
            by_support.subject_id,
            by_support.impersonation_id
        ),
        (Some(ada_id), Some(mia_id), Some(session)),
        "done by Ada, to Mia's account, in this session"
    );
    let mias: Vec<app::model::Project> = projects(&app, &app.signed_in("mia@example.com").await)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mias.len(), 2, "the project is in Mia's account");
}

async fn a_view_only_session_refuses_every_change(db: Db) {
    let app = spawn_app(db).await;
    let (ada, _) = acting(&app, "view_only").await;
    assert_eq!(
        projects(&app, &ada).await.status(),
        StatusCode::OK,
        "looking is allowed"
    );
    for (function, form) in [
        ("create_project", vec![("name", "Nope")]),
        (
            "update_profile",
            vec![
                ("display_name", "Hacked"),
                ("phone", ""),
                ("time_zone", "UTC"),
            ],
        ),
    ] {
        let response = app.call(&ada, function, &form).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{function}");
        assert!(
            response.text().await.unwrap().contains("View only session"),
            "{function}"
        );
    }
    assert_eq!(
        app.events("project_created").await.len(),
        1,
        "only Mia's own project"
    );
    assert!(app.events("profile_updated").await.is_empty());
}

async fn what_an_administrator_cannot_do_while_acting_is_refused(db: Db) {
    let app = spawn_app(db).await;
    let (ada, _) = acting(&app, "full_access").await;
    let max_id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE email = 'max@example.com'")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    let max_id = max_id.to_string();
    let refused: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "update_payout",
            vec![("iban", "DE89 3704 0044 0532 0130 00")],
        ),
        ("consent_status", vec![]),
        (
            "grant_consent",
            vec![("duration", "72"), ("scope", "full_access")],
        ),
        ("revoke_consent", vec![]),
        ("generate_support_code", vec![("scope", "full_access")]),
        ("list_users", vec![("search", ""), ("page", "1")]),
        (
            "start_impersonation",
            vec![
                ("target_id", max_id.as_str()),
                ("reason", "TICKET-78 chaining"),
            ],
        ),
    ];
    for (function, form) in refused {
        let response = app.call(&ada, function, &form).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{function}");
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("Not allowed during impersonation"),
            "{function}"
        );
    }
    let page = app.get(&ada, "/admin/users").await;
    assert_eq!(
        page.status(),
        StatusCode::FORBIDDEN,
        "no admin page is reachable"
    );
    let refusals: Vec<_> = app
        .events("action")
        .await
        .into_iter()
        .filter(|event| event.status == Some(403))
        .collect();
    assert_eq!(refusals.len(), 8, "every refusal is on record");
    assert!(refusals
        .iter()
        .all(|event| event.impersonation_id.is_some() && event.subject_id.is_some()));
    assert!(refusals
        .iter()
        .any(|event| event.path.as_deref() == Some("/api/update_payout")
            && event.detail.contains("Not allowed during impersonation")));
    assert_eq!(
        app.call(&ada, "get_payout", &[]).await.status(),
        StatusCode::OK,
        "the masked IBAN may be seen"
    );
    assert!(app.events("payout_updated").await.is_empty());
    assert_eq!(
        app.events("consent_granted").await.len(),
        1,
        "only Mia's own grant"
    );
}

async fn ended_with(app: &TestApp, session: i64) -> Option<String> {
    app.store
        .impersonation_session(session)
        .await
        .unwrap()
        .unwrap()
        .end_reason
}

async fn a_revoked_consent_refuses_the_next_request_and_then_returns_the_admin(db: Db) {
    let app = spawn_app(db).await;
    let (ada, session) = acting(&app, "full_access").await;
    let mia = app.signed_in("mia@example.com").await;
    assert_eq!(
        app.call(&mia, "revoke_consent", &[]).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        ended_with(&app, session).await.as_deref(),
        Some("consent revoked"),
        "ended in the revocation's own transaction, before Ada asks anything"
    );

    let next = projects(&app, &ada).await;
    assert_eq!(next.status(), StatusCode::FORBIDDEN);
    assert!(
        next.headers().contains_key("set-cookie"),
        "the sign-in id rotates as the session ends"
    );
    assert!(next
        .text()
        .await
        .unwrap()
        .contains("Your impersonation session has ended (consent revoked)."));
    assert_eq!(
        ended_with(&app, session).await.as_deref(),
        Some("consent revoked")
    );

    // The marker is gone: Ada is herself again.
    assert_eq!(
        app.call(&ada, "list_users", &[("search", ""), ("page", "1")])
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        projects(&app, &ada).await.status(),
        StatusCode::FORBIDDEN,
        "staff have no projects of their own"
    );
    assert_eq!(
        app.events("impersonation_ended").await.len(),
        1,
        "the end is recorded once"
    );
}

async fn expiry_suspension_permission_and_sign_out_each_end_the_session_once(db: Db) {
    // Expiry, with a one-second cap.
    let app = spawn_app_with(db, |config| config.max_session_seconds = 1).await;
    let (ada, session) = acting(&app, "full_access").await;
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let late = projects(&app, &ada).await;
    assert!(late.text().await.unwrap().contains("(expired)"));
    assert_eq!(ended_with(&app, session).await.as_deref(), Some("expired"));

    for (cause, reason) in [
        ("UPDATE users SET status = 'suspended' WHERE email = 'mia@example.com'", "user suspended"),
        (
            "DELETE FROM impersonators WHERE user_id = (SELECT id FROM users WHERE email = 'ada@example.com')",
            "permission removed",
        ),
    ] {
        let app = spawn_app(db).await;
        let (ada, session) = acting(&app, "full_access").await;
        sqlx::query(cause).execute(app.store.pool()).await.unwrap();
        let next = projects(&app, &ada).await;
        assert_eq!(next.status(), StatusCode::FORBIDDEN, "{reason}");
        assert!(next.text().await.unwrap().contains(reason));
        assert_eq!(ended_with(&app, session).await.as_deref(), Some(reason));
        assert_eq!(app.events("impersonation_ended").await.len(), 1);
    }

    let app = spawn_app(db).await;
    let (ada, session) = acting(&app, "full_access").await;
    assert_eq!(
        app.call(&ada, "sign_out", &[]).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        ended_with(&app, session).await.as_deref(),
        Some("actor signed out")
    );
    assert_eq!(app.events("impersonation_ended").await.len(), 1);
}

async fn the_member_sees_who_acts_and_ends_the_session(db: Db) {
    let app = spawn_app(db).await;
    let (ada, session) = acting(&app, "full_access").await;
    let mia = app.signed_in("mia@example.com").await;
    let me: Option<app::model::Me> = app.call(&mia, "whoami", &[]).await.json().await.unwrap();
    assert_eq!(me.unwrap().support_acting.as_deref(), Some("Ada Admin"));
    let page = app.get(&mia, "/account").await.text().await.unwrap();
    assert!(page.contains("Support is acting on your account") && page.contains("End session"));

    assert_eq!(
        app.call(&mia, "end_session", &[]).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        ended_with(&app, session).await.as_deref(),
        Some("ended by user")
    );
    let next = projects(&app, &ada).await;
    assert_eq!(next.status(), StatusCode::FORBIDDEN);
    assert!(next.text().await.unwrap().contains("(ended by user)"));
    let again = app.call(&mia, "end_session", &[]).await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.events("impersonation_ended").await.len(), 1);
}

async fn no_change_lands_after_the_revoke_that_ended_the_session(db: Db) {
    let app = std::sync::Arc::new(spawn_app(db).await);
    let (ada, session) = acting(&app, "full_access").await;
    let mia = app.signed_in("mia@example.com").await;
    let changes = (0..30).map(|i| {
        let (app, ada) = (app.clone(), ada.clone());
        tokio::spawn(async move {
            let name = format!("race {i}");
            app.call(&ada, "create_project", &[("name", name.as_str())])
                .await
                .status()
        })
    });
    let changes: Vec<_> = changes.collect();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    assert_eq!(
        app.call(&mia, "revoke_consent", &[]).await.status(),
        StatusCode::OK
    );
    for change in changes {
        let status = change.await.unwrap();
        assert!(
            status == StatusCode::OK || status == StatusCode::FORBIDDEN,
            "{status}"
        );
    }

    let revoked_at = app.events("consent_revoked").await[0].seq;
    let made_by_support: Vec<_> = app
        .events("project_created")
        .await
        .into_iter()
        .filter(|event| event.impersonation_id == Some(session))
        .collect();
    for event in &made_by_support {
        assert!(
            event.seq < revoked_at,
            "event {} landed after the revocation ({revoked_at})",
            event.seq
        );
    }
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM projects WHERE name LIKE 'race %'")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert_eq!(
        stored as usize,
        made_by_support.len(),
        "every change has its record, and only those"
    );
    assert_eq!(
        ended_with(&app, session).await.as_deref(),
        Some("consent revoked")
    );
    assert!(verified_chain(&app.store).await.is_ok());
}

async fn starts_revokes_and_exits_at_once_leave_no_session_outliving_its_consent(db: Db) {
    let app = std::sync::Arc::new(spawn_app(db).await);
    let mia = app.signed_in("mia@example.com").await;
    let mia_id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE email = 'mia@example.com'")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    let admins = [
        app.signed_in("ada@example.com").await,
        app.signed_in("owner@example.com").await,
    ];
    let mut tasks = Vec::new();
    for round in 0..8 {
        let (app_m, mia) = (app.clone(), mia.clone());
        tasks.push(tokio::spawn(async move {
            let function = if round % 2 == 0 {
                "grant_consent"
            } else {
                "revoke_consent"
            };
            app_m
                .call(
                    &mia,
                    function,
                    &[("duration", "1"), ("scope", "full_access")],
                )
                .await
                .status()
        }));
        for admin in &admins {
            let (app_a, admin) = (app.clone(), admin.clone());
            let target = mia_id.to_string();
            tasks.push(tokio::spawn(async move {
                let form = [
                    ("target_id", target.as_str()),
                    ("reason", "TICKET-99 storm of calls"),
                ];
                let started = app_a
                    .call(&admin, "start_impersonation", &form)
                    .await
                    .status();
                if round % 3 == 0 {
                    app_a.call(&admin, "exit_impersonation", &[]).await;
                }
                started
            }));
        }
    }
    for task in tasks {
        assert!(
            !task.await.unwrap().is_server_error(),
            "no request failed on the server"
        );
    }

    // Read the history in chain order: a session started on consent must end no later than
    // the revocation that ended that consent (in the same transaction, so right after it).
    let mut events: Vec<_> = Vec::new();
    for kind in [
        "impersonation_started",
        "impersonation_ended",
        "consent_revoked",
        "consent_granted",
    ] {
        events.extend(app.events(kind).await);
    }
    events.sort_by_key(|event| event.seq);
    let mut live: Option<i64> = None;
    for event in &events {
        match event.kind.as_str() {
            "impersonation_started" => {
                assert!(
                    live.is_none(),
                    "two live sessions on one member at event {}",
                    event.seq
                );
                live = event.impersonation_id;
            }
            "impersonation_ended" if live == event.impersonation_id => live = None,
            "consent_revoked" if event.detail.contains("revoked by member") => {
                // The very next event must end any live session.
                let next = events.iter().find(|later| later.seq > event.seq);
                if let Some(session) = live {
                    let next = next.expect("an end follows the revocation");
                    assert_eq!(
                        (next.kind.as_str(), next.impersonation_id),
                        ("impersonation_ended", Some(session)),
                        "session {session} outlived the revocation at event {}",
                        event.seq
                    );
                }
            }
            _ => {}
        }
    }
    assert!(verified_chain(&app.store).await.is_ok());
}
