//! People (SPEC.md §1, §6): owners run the directory, everyone owns their own sign-in. Every
//! rule over HTTP against the real app, on SQLite and PostgreSQL, races included.

use crate::common::{acting, spawn_app, spawn_app_with, user_id, Db, TestApp, PASSWORD};
use app::model::{IssuedLink, SignInSettings};
use reqwest::StatusCode;

on_both_databases!(
    an_owner_adds_a_user_who_sets_a_password_through_the_link_once,
    a_used_expired_or_forged_link_is_refused_clearly,
    new_passwords_follow_the_rules_and_change_nothing_when_refused,
    create_owner_makes_the_first_owner_of_an_empty_database,
    only_owners_change_people_and_only_staff_sign_members_out,
    a_role_change_ends_every_session_the_person_is_part_of,
    leaving_staff_takes_the_right_to_impersonate_away,
    nobody_changes_their_own_account_and_the_last_owner_stays,
    suspension_reinstatement_and_deletion,
    a_password_reset_ends_every_sign_in_and_the_old_password,
    staff_sign_a_member_out_everywhere,
    changing_ones_password_ends_every_other_sign_in,
    a_wrong_current_password_counts_as_a_failed_sign_in,
    changing_ones_email,
    where_youre_signed_in_and_signing_out_elsewhere,
    a_member_deletes_their_own_account,
    an_acting_administrator_is_refused_every_credential_change,
    two_owners_demoting_each_other_at_once_leave_an_owner,
    a_role_change_racing_a_start_leaves_no_session_under_the_old_role,
    nothing_checked_against_the_old_password_outlives_a_reset,
);

async fn json<T: serde::de::DeserializeOwned>(response: reqwest::Response) -> T {
    assert_eq!(response.status(), StatusCode::OK, "a successful call");
    response.json().await.expect("a JSON answer")
}

/// The error message a refused server function answered with.
async fn refusal(response: reqwest::Response, status: StatusCode) -> String {
    assert_eq!(response.status(), status);
    let error: app::error::AppError = response.json().await.expect("an error");
    error.to_string()
}

/// The token a link's path carries.
fn token_of(link: &IssuedLink) -> String {
    link.path
        .split_once("token=")
        .map(|(_, token)| token.to_string())
        .expect("a token in the link")
}

async fn add_user(app: &TestApp, owner: &reqwest::Client, email: &str, role: &str) -> IssuedLink {
    json(
        app.call(
            owner,
            "add_user",
            &[("name", "Nina New"), ("email", email), ("role", role)],
        )
        .await,
    )
    .await
}

async fn set_password(app: &TestApp, token: &str, password: &str) -> reqwest::Response {
    app.call(
        &app.client(),
        "set_password",
        &[
            ("token", token),
            ("new_password", password),
            ("repeat_password", password),
        ],
    )
    .await
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(app.store.pool())
        .await
        .unwrap()
}

async fn an_owner_adds_a_user_who_sets_a_password_through_the_link_once(db: Db) {
    let app = spawn_app(db).await;
    let owner = app.signed_in("owner@example.com").await;
    let link = add_user(&app, &owner, "  Nina@Example.com ", "member").await;
    assert_eq!(link.email, "nina@example.com");
    assert!(link.path.starts_with("/set-password?token="));
    let token = token_of(&link);
    let stored: String = sqlx::query_scalar("SELECT token_digest FROM password_links")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert_ne!(stored, token, "only a hash of the token is stored");
    assert_eq!(
        stored,
        app::ssr::credentials::token_digest(&token),
        "the hash of the very token shown"
    );

    // No password yet: nothing signs in, not even an empty one.
    let before = app.sign_in(&app.client(), "nina@example.com", "").await;
    assert_eq!(before.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let page = app.get(&app.client(), &link.path).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("nina@example.com"));

    let set = set_password(&app, &token, "nina-new-password").await;
    assert!(set.status().is_success(), "{}", set.status());
    let signed_in = app
        .sign_in(&app.client(), "nina@example.com", "nina-new-password")
        .await;
    assert!(signed_in.status().is_success());

    let again = set_password(&app, &token, "another-password-1").await;
    assert_eq!(
        refusal(again, StatusCode::UNPROCESSABLE_ENTITY).await,
        "This link has already been used. Ask an owner for a new one."
    );
    let nina = user_id(&app, "nina@example.com").await;
    let owner_id = user_id(&app, "owner@example.com").await;
    let created = &app.events("user_created").await[0];
    assert_eq!(created.subject_id, Some(nina));
    assert_eq!(created.actor_id, Some(owner_id), "recorded with who added");
    let changed = &app.events("password_changed").await[0];
    assert_eq!(changed.subject_id, Some(nina));
}

async fn a_used_expired_or_forged_link_is_refused_clearly(db: Db) {
    let app = spawn_app(db).await;
    let owner = app.signed_in("owner@example.com").await;
    let forged = set_password(&app, &"ab".repeat(32), "a-good-password-1").await;
    assert_eq!(
        refusal(forged, StatusCode::UNPROCESSABLE_ENTITY).await,
        "This link is not valid. Ask an owner for a new one."
    );
    let page = app.get(&app.client(), "/set-password?token=nonsense").await;
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("This link is not valid"));

    let link = add_user(&app, &owner, "late@example.com", "member").await;
    sqlx::query("UPDATE password_links SET expires_at = 1")
        .execute(app.store.pool())
        .await
        .unwrap();
    let expired = set_password(&app, &token_of(&link), "a-good-password-1").await;
    assert_eq!(
        refusal(expired, StatusCode::UNPROCESSABLE_ENTITY).await,
        "This link has expired. Ask an owner for a new one."
    );

    // A newer link replaces an unused one.
    let late = user_id(&app, "late@example.com").await;
    let first: IssuedLink = json(
        app.call(&owner, "reset_password", &[("user_id", &late.to_string())])
            .await,
    )
    .await;
    let second: IssuedLink = json(
        app.call(&owner, "reset_password", &[("user_id", &late.to_string())])
            .await,
    )
    .await;
    let replaced = set_password(&app, &token_of(&first), "a-good-password-1").await;
    assert_eq!(replaced.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let latest = set_password(&app, &token_of(&second), "a-good-password-1").await;
    assert!(latest.status().is_success());
}

async fn new_passwords_follow_the_rules_and_change_nothing_when_refused(db: Db) {
    let app = spawn_app(db).await;
    let owner = app.signed_in("owner@example.com").await;
    let link = add_user(&app, &owner, "rules@example.com", "member").await;
    let token = token_of(&link);
    for (password, repeated, message) in [
        (
            "short-one",
            "short-one",
            "Choose a password of at least 12 characters.",
        ),
        (
            "rules@example.com",
            "rules@example.com",
            "Choose a password that is not your email address.",
        ),
        (
            "a-good-password-1",
            "a-good-password-2",
            "The two passwords do not match. Type the same password twice.",
        ),
    ] {
        let answer = app
            .call(
                &app.client(),
                "set_password",
                &[
                    ("token", token.as_str()),
                    ("new_password", password),
                    ("repeat_password", repeated),
                ],
            )
            .await;
        assert_eq!(
            refusal(answer, StatusCode::UNPROCESSABLE_ENTITY).await,
            message
        );
    }
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM password_links WHERE used_at IS NOT NULL"
        )
        .await,
        0,
        "a refused password leaves the link unused"
    );
    assert!(set_password(&app, &token, "a-good-password-1")
        .await
        .status()
        .is_success());
}

async fn create_owner_makes_the_first_owner_of_an_empty_database(db: Db) {
    let app = spawn_app_with(db, |config| config.demo = false).await;
    assert_eq!(count(&app, "SELECT COUNT(*) FROM users").await, 0);
    let mut config = server::config::Config::from_lookup(|_| None).unwrap();
    config.database_url = app.database_url.clone();
    let link = server::create_owner(&config, "first@example.com", "First Owner")
        .await
        .expect("the owner is created");
    assert!(
        link.starts_with("http://127.0.0.1:3000/set-password?token="),
        "{link}"
    );
    let refused = server::create_owner(&config, "FIRST@example.com", "Again").await;
    assert_eq!(
        refused.unwrap_err().to_string(),
        "An account with this email already exists."
    );
    let created = &app.events("user_created").await[0];
    assert_eq!(created.actor_id, None, "created by the system");
    let token = link.split_once("token=").unwrap().1;
    assert!(set_password(&app, token, "first-owner-password")
        .await
        .status()
        .is_success());
    let owner = app.client();
    let signed_in = app
        .sign_in(&owner, "first@example.com", "first-owner-password")
        .await;
    assert!(signed_in.status().is_success());
    let users = app.get(&owner, "/admin/users").await;
    assert_eq!(users.status(), StatusCode::OK, "an owner's own page");
}

async fn only_owners_change_people_and_only_staff_sign_members_out(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in("ada@example.com").await;
    let mia = app.signed_in("mia@example.com").await;
    let max = user_id(&app, "max@example.com").await.to_string();
    let events_before = count(&app, "SELECT COUNT(*) FROM audit_events").await;
    for (function, form) in [
        (
            "add_user",
            vec![
                ("name", "Eve"),
                ("email", "eve@example.com"),
                ("role", "owner"),
            ],
        ),
        (
            "change_role",
            vec![("user_id", max.as_str()), ("role", "owner")],
        ),
        ("suspend_user", vec![("user_id", max.as_str())]),
        ("reinstate_user", vec![("user_id", max.as_str())]),
        ("delete_user", vec![("user_id", max.as_str())]),
        ("reset_password", vec![("user_id", max.as_str())]),
    ] {
        for client in [&ada, &mia] {
            let answer = app.call(client, function, &form).await;
            assert_eq!(answer.status(), StatusCode::FORBIDDEN, "{function}");
        }
    }
    let by_member = app
        .call(&mia, "sign_out_everywhere", &[("user_id", max.as_str())])
        .await;
    assert_eq!(by_member.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM audit_events").await,
        events_before,
        "nothing changed, nothing recorded"
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM users WHERE email = 'eve@example.com'"
        )
        .await,
        0
    );
}

async fn a_role_change_ends_every_session_the_person_is_part_of(db: Db) {
    let app = spawn_app(db).await;
    let owner = app.signed_in("owner@example.com").await;
    let (ada, session) = acting(&app, "full_access").await;
    let ada_id = user_id(&app, "ada@example.com").await;
    let demoted = app
        .call(
            &owner,
            "change_role",
            &[("user_id", &ada_id.to_string()), ("role", "member")],
        )
        .await;
    assert_eq!(demoted.status(), StatusCode::OK);
    let record = app
        .store
        .impersonation_session(session)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.end_reason.as_deref(), Some("permission removed"));
    let changed = &app.events("role_changed").await[0];
    assert_eq!(changed.subject_id, Some(ada_id));
    assert!(changed.detail.contains("\"from\":\"admin\""));
    assert!(changed.detail.contains("\"to\":\"member\""));
    let ended = &app.events("impersonation_ended").await[0];
    assert!(
        ended.seq > changed.seq && ended.seq <= changed.seq + 2,
        "ended in the role change's own transaction"
    );
    let refused = app.call(&ada, "list_projects", &[]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    // The member's side: promoted, they can no longer be acted as. Olivia acts as Mia; a
    // second owner (an acting one may not change roles) promotes Mia.
    let second_link = add_user(&app, &owner, "second@example.com", "owner").await;
    set_password(&app, &token_of(&second_link), "second-owner-password").await;
    let second_owner = app.client();
    app.sign_in(&second_owner, "second@example.com", "second-owner-password")
        .await;
    let mia_id = user_id(&app, "mia@example.com").await;
    let started = app
        .call(
            &owner,
            "start_impersonation",
            &[
                ("target_id", &mia_id.to_string()),
                ("reason", "TICKET-88 check"),
            ],
        )
        .await;
    assert_eq!(started.status(), StatusCode::OK);
    let second = app.events("impersonation_started").await[0]
        .impersonation_id
        .unwrap();
    let promoted = app
        .call(
            &second_owner,
            "change_role",
            &[("user_id", &mia_id.to_string()), ("role", "admin")],
        )
        .await;
    assert_eq!(promoted.status(), StatusCode::OK);
    let record = app
        .store
        .impersonation_session(second)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.end_reason.as_deref(), Some("role changed"));
}

async fn leaving_staff_takes_the_right_to_impersonate_away(db: Db) {
    let app = spawn_app(db).await;
    let owner = app.signed_in("owner@example.com").await;
    let ada_id = user_id(&app, "ada@example.com").await;
    let on_list = |app: &TestApp| {
        let pool = app.store.pool().clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM impersonators WHERE user_id = $1")
                .bind(ada_id)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(on_list(&app).await, 1);
    app.call(
        &owner,
        "change_role",
        &[("user_id", &ada_id.to_string()), ("role", "owner")],
    )
    .await;
    assert_eq!(on_list(&app).await, 1, "staff to staff keeps the grant");
    app.call(
        &owner,
        "change_role",
        &[("user_id", &ada_id.to_string()), ("role", "member")],
    )
    .await;
    assert_eq!(on_list(&app).await, 0, "leaving staff takes it away");
    let revoked = &app.events("allowlist_revoked").await[0];
    assert_eq!(revoked.subject_id, Some(ada_id));
}

async fn nobody_changes_their_own_account_and_the_last_owner_stays(db: Db) {
    let app = spawn_app(db).await;
    let owner = app.signed_in("owner@example.com").await;
    let owner_id = user_id(&app, "owner@example.com").await.to_string();
    for (function, form, message) in [
        (
            "change_role",
            vec![("user_id", owner_id.as_str()), ("role", "admin")],
            "This is the last active owner: make someone else an owner first.",
        ),
        (
            "suspend_user",
            vec![("user_id", owner_id.as_str())],
            "This is the last active owner: make someone else an owner first.",
        ),
        (
            "delete_user",
            vec![("user_id", owner_id.as_str())],
            "This is the last active owner: make someone else an owner first.",
        ),
        (
            "reset_password",
            vec![("user_id", owner_id.as_str())],
            "You cannot do this to your own account.",
        ),
        (
            "change_role",
            vec![("user_id", owner_id.as_str()), ("role", "boss")],
            "Choose a role: member, admin or owner.",
        ),
    ] {
        let answer = app.call(&owner, function, &form).await;
        assert_eq!(
            refusal(answer, StatusCode::UNPROCESSABLE_ENTITY).await,
            message,
            "{function}"
        );
    }
    // With a second owner, the first still cannot demote themself.
    let ada_id = user_id(&app, "ada@example.com").await.to_string();
    app.call(
        &owner,
        "change_role",
        &[("user_id", &ada_id), ("role", "owner")],
    )
    .await;
    let own = app
        .call(
            &owner,
            "change_role",
            &[("user_id", owner_id.as_str()), ("role", "admin")],
        )
        .await;
    assert_eq!(
        refusal(own, StatusCode::UNPROCESSABLE_ENTITY).await,
        "You cannot do this to your own account."
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM users WHERE role = 'owner' AND status = 'active'"
        )
        .await,
        2
    );
}

async fn suspension_reinstatement_and_deletion(db: Db) {
    let app = spawn_app(db).await;
    let owner = app.signed_in("owner@example.com").await;
    let sam = app.signed_in("sam@example.com").await;
    let sam_id = user_id(&app, "sam@example.com").await.to_string();
    let suspended = app
        .call(&owner, "suspend_user", &[("user_id", &sam_id)])
        .await;
    assert_eq!(suspended.status(), StatusCode::OK);
    assert_eq!(
        app.call(&sam, "whoami", &[]).await.text().await.unwrap(),
        "null",
        "their sign-in ended"
    );
    let reinstated = app
        .call(&owner, "reinstate_user", &[("user_id", &sam_id)])
        .await;
    assert_eq!(reinstated.status(), StatusCode::OK);
    assert!(app
        .sign_in(&app.client(), "sam@example.com", PASSWORD)
        .await
        .status()
        .is_success());
    let twice = app
        .call(&owner, "reinstate_user", &[("user_id", &sam_id)])
        .await;
    assert_eq!(
        refusal(twice, StatusCode::UNPROCESSABLE_ENTITY).await,
        "This account is not suspended."
    );
    assert_eq!(app.events("user_reinstated").await.len(), 1);

    // Deleted: never signs in again; its trail stays.
    let (ada, session) = acting(&app, "full_access").await;
    let mia_id = user_id(&app, "mia@example.com").await.to_string();
    let trail_before = count(&app, "SELECT COUNT(*) FROM audit_events").await;
    let deleted = app
        .call(&owner, "delete_user", &[("user_id", &mia_id)])
        .await;
    assert_eq!(deleted.status(), StatusCode::OK);
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
    let again = app
        .sign_in(&app.client(), "mia@example.com", PASSWORD)
        .await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(count(&app, "SELECT COUNT(*) FROM audit_events").await > trail_before);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM users WHERE email = 'mia@example.com'"
        )
        .await,
        1,
        "marked deleted, not removed"
    );
    for function in ["reinstate_user", "delete_user", "change_role"] {
        let answer = app
            .call(&owner, function, &[("user_id", &mia_id), ("role", "admin")])
            .await;
        assert_eq!(
            refusal(answer, StatusCode::UNPROCESSABLE_ENTITY).await,
            "This account has been deleted.",
            "{function}"
        );
    }
}

async fn a_password_reset_ends_every_sign_in_and_the_old_password(db: Db) {
    let app = spawn_app(db).await;
    let owner = app.signed_in("owner@example.com").await;
    let (ada, session) = acting(&app, "full_access").await;
    let ada_id = user_id(&app, "ada@example.com").await;
    let link: IssuedLink = json(
        app.call(
            &owner,
            "reset_password",
            &[("user_id", &ada_id.to_string())],
        )
        .await,
    )
    .await;
    assert_eq!(link.email, "ada@example.com");
    let record = app
        .store
        .impersonation_session(session)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.end_reason.as_deref(), Some("actor signed out"));
    assert_eq!(
        app.call(&ada, "whoami", &[]).await.text().await.unwrap(),
        "null"
    );
    let old = app
        .sign_in(&app.client(), "ada@example.com", PASSWORD)
        .await;
    assert_eq!(old.status(), StatusCode::UNPROCESSABLE_ENTITY);
    set_password(&app, &token_of(&link), "ada-fresh-password").await;
    assert!(app
        .sign_in(&app.client(), "ada@example.com", "ada-fresh-password")
        .await
        .status()
        .is_success());
    let issued = &app.events("password_reset_issued").await[0];
    assert_eq!(issued.subject_id, Some(ada_id));
}

async fn staff_sign_a_member_out_everywhere(db: Db) {
    let app = spawn_app(db).await;
    let sam = app.signed_in("sam@example.com").await;
    let mia_phone = app.signed_in("mia@example.com").await;
    let mia_laptop = app.signed_in("mia@example.com").await;
    let mia_id = user_id(&app, "mia@example.com").await.to_string();
    let done = app
        .call(&sam, "sign_out_everywhere", &[("user_id", &mia_id)])
        .await;
    assert_eq!(done.status(), StatusCode::OK);
    for mia in [&mia_phone, &mia_laptop] {
        assert_eq!(
            app.call(mia, "whoami", &[]).await.text().await.unwrap(),
            "null"
        );
    }
    let event = &app.events("signed_out_everywhere").await[0];
    assert_eq!(event.actor_id, Some(user_id(&app, "sam@example.com").await));
    let admin_id = user_id(&app, "ada@example.com").await.to_string();
    let staff = app
        .call(&sam, "sign_out_everywhere", &[("user_id", &admin_id)])
        .await;
    assert_eq!(
        refusal(staff, StatusCode::UNPROCESSABLE_ENTITY).await,
        "This is only done for member accounts."
    );
}

async fn change_password(
    app: &TestApp,
    client: &reqwest::Client,
    current: &str,
    new: &str,
) -> reqwest::Response {
    app.call(
        client,
        "change_password",
        &[
            ("current_password", current),
            ("new_password", new),
            ("repeat_password", new),
        ],
    )
    .await
}

async fn changing_ones_password_ends_every_other_sign_in(db: Db) {
    let app = spawn_app(db).await;
    let here = app.signed_in("mia@example.com").await;
    let elsewhere = app.signed_in("mia@example.com").await;
    let changed = change_password(&app, &here, PASSWORD, "mias-new-password").await;
    assert_eq!(json::<u64>(changed).await, 1, "one other sign-in ended");
    assert_ne!(
        app.call(&here, "whoami", &[]).await.text().await.unwrap(),
        "null"
    );
    assert_eq!(
        app.call(&elsewhere, "whoami", &[])
            .await
            .text()
            .await
            .unwrap(),
        "null"
    );
    assert!(app
        .sign_in(&app.client(), "mia@example.com", "mias-new-password")
        .await
        .status()
        .is_success());
    let short = change_password(&app, &here, "mias-new-password", "short").await;
    assert_eq!(
        refusal(short, StatusCode::UNPROCESSABLE_ENTITY).await,
        "Choose a password of at least 12 characters."
    );
    // The member's export lists it.
    let export = here
        .get(app.url("/settings/impersonation/audit-log.csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(export.contains("\"password_changed\""), "{export}");
}

async fn a_wrong_current_password_counts_as_a_failed_sign_in(db: Db) {
    let app = spawn_app(db).await;
    let mia = app.signed_in("mia@example.com").await;
    let wrong = change_password(&app, &mia, "not-my-password", "mias-new-password").await;
    assert_eq!(
        refusal(wrong, StatusCode::UNPROCESSABLE_ENTITY).await,
        "Your current password is incorrect."
    );
    assert_eq!(app.events("sign_in_failed").await.len(), 1);
    for _ in 0..4 {
        change_password(&app, &mia, "not-my-password", "mias-new-password").await;
    }
    let limited = change_password(&app, &mia, PASSWORD, "mias-new-password").await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let signed_in = app
        .sign_in(&app.client(), "mia@example.com", PASSWORD)
        .await;
    assert_eq!(
        signed_in.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the same limit as signing in"
    );
}

async fn changing_ones_email(db: Db) {
    let app = spawn_app(db).await;
    let mia = app.signed_in("mia@example.com").await;
    let change = |email: &'static str, password: &'static str| {
        let (app, mia) = (&app, &mia);
        async move {
            app.call(
                mia,
                "change_email",
                &[("email", email), ("current_password", password)],
            )
            .await
        }
    };
    for (email, message) in [
        (
            "max@example.com",
            "An account with this email already exists.",
        ),
        (
            "MAX@example.com",
            "An account with this email already exists.",
        ),
        (
            "not an email",
            "Enter a valid email address, like name@example.com.",
        ),
        ("mia@example.com", "This is already your email address."),
    ] {
        assert_eq!(
            refusal(
                change(email, PASSWORD).await,
                StatusCode::UNPROCESSABLE_ENTITY
            )
            .await,
            message
        );
    }
    let wrong = change("mia.new@example.com", "wrong-password").await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let done = change("Mia.New@Example.com", PASSWORD).await;
    assert_eq!(json::<String>(done).await, "mia.new@example.com");
    assert!(app
        .sign_in(&app.client(), "mia.new@example.com", PASSWORD)
        .await
        .status()
        .is_success());
    let event = &app.events("email_changed").await[0];
    assert!(event.detail.contains("\"from\":\"mia@example.com\""));
    assert!(event.detail.contains("\"to\":\"mia.new@example.com\""));
}

async fn where_youre_signed_in_and_signing_out_elsewhere(db: Db) {
    let app = spawn_app(db).await;
    let here = app.client();
    here.post(app.url("/api/sign_in"))
        .header("Sec-Fetch-Site", "same-origin")
        .header(
            "User-Agent",
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        )
        .form(&[("email", "ada@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let phone = app.signed_in("ada@example.com").await;
    let tablet = app.signed_in("ada@example.com").await;
    let settings: SignInSettings = json(app.call(&here, "sign_in_settings", &[]).await).await;
    assert_eq!(settings.sign_ins.len(), 3);
    assert!(
        !settings.may_delete_account,
        "staff do not delete themselves"
    );
    let this = settings
        .sign_ins
        .iter()
        .find(|entry| entry.this_browser)
        .unwrap();
    assert_eq!(this.browser, "Firefox on Linux");
    assert_eq!(this.address, "127.0.0.1");
    let other = settings
        .sign_ins
        .iter()
        .find(|entry| !entry.this_browser)
        .unwrap();
    let one = app
        .call(&here, "sign_out_sign_in", &[("handle", &other.handle)])
        .await;
    assert_eq!(one.status(), StatusCode::OK);
    let still = [&phone, &tablet];
    let mut signed_out = 0;
    for client in still {
        if app.call(client, "whoami", &[]).await.text().await.unwrap() == "null" {
            signed_out += 1;
        }
    }
    assert_eq!(signed_out, 1, "exactly the one named");
    let unknown = app
        .call(&here, "sign_out_sign_in", &[("handle", "0000")])
        .await;
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let rest = app.call(&here, "sign_out_everywhere_else", &[]).await;
    assert_eq!(json::<u64>(rest).await, 1);
    for client in still {
        assert_eq!(
            app.call(client, "whoami", &[]).await.text().await.unwrap(),
            "null"
        );
    }
    assert_ne!(
        app.call(&here, "whoami", &[]).await.text().await.unwrap(),
        "null"
    );
    assert_eq!(app.events("signed_out_everywhere").await.len(), 1);
}

async fn a_member_deletes_their_own_account(db: Db) {
    let app = spawn_app(db).await;
    let mia = app.signed_in("mia@example.com").await;
    let delete = |password: &'static str, confirmation: &'static str| {
        let (app, mia) = (&app, &mia);
        async move {
            app.call(
                mia,
                "delete_my_account",
                &[
                    ("current_password", password),
                    ("confirmation", confirmation),
                ],
            )
            .await
        }
    };
    assert_eq!(
        refusal(
            delete(PASSWORD, "delete").await,
            StatusCode::UNPROCESSABLE_ENTITY
        )
        .await,
        "Type DELETE to confirm that the account should be deleted."
    );
    assert_eq!(
        refusal(
            delete("wrong-password", "DELETE").await,
            StatusCode::UNPROCESSABLE_ENTITY
        )
        .await,
        "Your current password is incorrect."
    );
    let done = delete(PASSWORD, "DELETE").await;
    assert!(done.status().is_success(), "{}", done.status());
    assert_eq!(
        app.call(&mia, "whoami", &[]).await.text().await.unwrap(),
        "null"
    );
    let again = app
        .sign_in(&app.client(), "mia@example.com", PASSWORD)
        .await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let deleted = &app.events("user_deleted").await[0];
    assert_eq!(deleted.actor_id, deleted.subject_id, "by themself");

    let ada = app.signed_in("ada@example.com").await;
    let staff = app
        .call(
            &ada,
            "delete_my_account",
            &[("current_password", PASSWORD), ("confirmation", "DELETE")],
        )
        .await;
    assert_eq!(
        refusal(staff, StatusCode::UNPROCESSABLE_ENTITY).await,
        "Only members can delete their own account; ask an owner."
    );
}

async fn an_acting_administrator_is_refused_every_credential_change(db: Db) {
    let app = spawn_app(db).await;
    let owner = app.signed_in("owner@example.com").await;
    let link = add_user(&app, &owner, "link@example.com", "member").await;
    let token = token_of(&link);
    let (ada, session) = acting(&app, "full_access").await;
    let hash_before: String =
        sqlx::query_scalar("SELECT password_hash FROM users WHERE email = 'mia@example.com'")
            .fetch_one(app.store.pool())
            .await
            .unwrap();
    let page = app.get(&ada, "/settings/sign-in").await;
    assert_eq!(page.status(), StatusCode::FORBIDDEN);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("Not allowed during impersonation"));
    for (function, form) in [
        ("sign_in_settings", vec![]),
        (
            "change_password",
            vec![
                ("current_password", PASSWORD),
                ("new_password", "stolen-password-1"),
                ("repeat_password", "stolen-password-1"),
            ],
        ),
        (
            "change_email",
            vec![
                ("email", "ada-owns@example.com"),
                ("current_password", PASSWORD),
            ],
        ),
        ("sign_out_sign_in", vec![("handle", "x")]),
        ("sign_out_everywhere_else", vec![]),
        (
            "delete_my_account",
            vec![("current_password", PASSWORD), ("confirmation", "DELETE")],
        ),
        (
            "set_password",
            vec![
                ("token", token.as_str()),
                ("new_password", "stolen-password-1"),
                ("repeat_password", "stolen-password-1"),
            ],
        ),
        ("sign_out_everywhere", vec![("user_id", "1")]),
        (
            "add_user",
            vec![("name", "E"), ("email", "e@example.com"), ("role", "owner")],
        ),
    ] {
        let answer = app.call(&ada, function, &form).await;
        assert_eq!(
            refusal(answer, StatusCode::FORBIDDEN).await,
            "Not allowed during impersonation",
            "{function}"
        );
    }
    let hash_after: String =
        sqlx::query_scalar("SELECT password_hash FROM users WHERE email = 'mia@example.com'")
            .fetch_one(app.store.pool())
            .await
            .unwrap();
    assert_eq!(hash_before, hash_after);
    let recorded: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE kind = 'action' AND impersonation_id = $1 AND status = 403",
    )
    .bind(session)
    .fetch_one(app.store.pool())
    .await
    .unwrap();
    assert!(recorded >= 10, "every refusal is on record ({recorded})");
}

async fn two_owners_demoting_each_other_at_once_leave_an_owner(db: Db) {
    let app = spawn_app(db).await;
    let olivia = app.signed_in("owner@example.com").await;
    let ada_id = user_id(&app, "ada@example.com").await;
    let olivia_id = user_id(&app, "owner@example.com").await;
    app.call(
        &olivia,
        "change_role",
        &[("user_id", &ada_id.to_string()), ("role", "owner")],
    )
    .await;
    let ada = app.signed_in("ada@example.com").await;
    let (ada_text, olivia_text) = (ada_id.to_string(), olivia_id.to_string());
    let demote_ada = [("user_id", ada_text.as_str()), ("role", "admin")];
    let demote_olivia = [("user_id", olivia_text.as_str()), ("role", "admin")];
    for _ in 0..3 {
        let (first, second) = tokio::join!(
            app.call(&olivia, "change_role", &demote_ada),
            app.call(&ada, "change_role", &demote_olivia),
        );
        let succeeded = [first.status(), second.status()]
            .iter()
            .filter(|status| **status == StatusCode::OK)
            .count();
        assert_eq!(succeeded, 1, "exactly one demotion lands");
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM users WHERE role = 'owner' AND status = 'active'"
            )
            .await,
            1
        );
        // Put both back as owners for the next round, by whoever is the owner now.
        let (owner, other_id) = if first.status() == StatusCode::OK {
            (&olivia, ada_id)
        } else {
            (&ada, olivia_id)
        };
        let restored = app
            .call(
                owner,
                "change_role",
                &[("user_id", &other_id.to_string()), ("role", "owner")],
            )
            .await;
        assert_eq!(restored.status(), StatusCode::OK);
    }
}

async fn a_role_change_racing_a_start_leaves_no_session_under_the_old_role(db: Db) {
    let app = spawn_app(db).await;
    let owner = app.signed_in("owner@example.com").await;
    let mia = app.signed_in("mia@example.com").await;
    app.call(
        &mia,
        "grant_consent",
        &[("duration", "24"), ("scope", "full_access")],
    )
    .await;
    let mia_id = user_id(&app, "mia@example.com").await.to_string();
    let ada_id = user_id(&app, "ada@example.com").await.to_string();
    for round in 0..4 {
        let ada = app.signed_in("ada@example.com").await;
        // Alternate which side the change is about: the administrator, or the member.
        let (changed, to, back) = if round % 2 == 0 {
            (&ada_id, "member", "admin")
        } else {
            (&mia_id, "admin", "member")
        };
        let start = [("target_id", mia_id.as_str()), ("reason", "TICKET-90 race")];
        let change = [("user_id", changed.as_str()), ("role", to)];
        tokio::join!(
            app.call(&ada, "start_impersonation", &start),
            app.call(&owner, "change_role", &change),
        );
        let live: i64 = count(
            &app,
            "SELECT COUNT(*) FROM impersonation_sessions WHERE ended_at IS NULL",
        )
        .await;
        assert_eq!(live, 0, "no session outlives the role it started under");
        app.call(
            &owner,
            "change_role",
            &[("user_id", changed.as_str()), ("role", back)],
        )
        .await;
        if to == "member" {
            // Leaving staff took the grant; give it back for the next round.
            app.call(
                &owner,
                "grant_impersonator",
                &[("user_id", changed.as_str())],
            )
            .await;
        }
    }
}

/// Sign-ins and password changes checked against the old password, racing an owner's reset:
/// whatever the order, none of them survives it.
async fn nothing_checked_against_the_old_password_outlives_a_reset(db: Db) {
    let app = spawn_app(db).await;
    let owner = app.signed_in("owner@example.com").await;
    let mia_id = user_id(&app, "mia@example.com").await.to_string();
    let changers: Vec<reqwest::Client> = signed_in_as_mia(&app, 3).await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..6 {
        let (client, url) = (app.client(), app.url("/api/sign_in"));
        tasks.spawn(async move {
            client
                .post(url)
                .header("Sec-Fetch-Site", "same-origin")
                .form(&[("email", "mia@example.com"), ("password", PASSWORD)])
                .send()
                .await
                .map(|answer| answer.status())
        });
    }
    for client in changers {
        let url = app.url("/api/change_password");
        tasks.spawn(async move {
            client
                .post(url)
                .header("Sec-Fetch-Site", "same-origin")
                .form(&[
                    ("current_password", PASSWORD),
                    ("new_password", "the-attackers-pick"),
                    ("repeat_password", "the-attackers-pick"),
                ])
                .send()
                .await
                .map(|answer| answer.status())
        });
    }
    let reset = app
        .call(&owner, "reset_password", &[("user_id", &mia_id)])
        .await;
    assert_eq!(reset.status(), StatusCode::OK);
    while let Some(done) = tasks.join_next().await {
        done.unwrap().unwrap();
    }
    let sign_ins = count(
        &app,
        "SELECT COUNT(*) FROM sign_in_sessions s JOIN users u ON u.id = s.user_id \
         WHERE u.email = 'mia@example.com'",
    )
    .await;
    assert_eq!(sign_ins, 0, "no sign-in outlives the reset");
    let hash: String =
        sqlx::query_scalar("SELECT password_hash FROM users WHERE email = 'mia@example.com'")
            .fetch_one(app.store.pool())
            .await
            .unwrap();
    assert_eq!(
        hash, "",
        "no password chosen with the old one outlives the reset"
    );
}

/// Clients signed in as Mia, each in a browser of its own.
async fn signed_in_as_mia(app: &TestApp, n: usize) -> Vec<reqwest::Client> {
    let mut clients = Vec::new();
    for _ in 0..n {
        clients.push(app.signed_in("mia@example.com").await);
    }
    clients
}
