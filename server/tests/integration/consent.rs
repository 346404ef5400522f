//! The member's consent and support codes over HTTP, on SQLite and PostgreSQL.

use crate::common::{spawn_app, verified_chain, Db};
use reqwest::StatusCode;

on_both_databases!(
    a_member_grants_consent_for_a_preset_and_the_server_sets_the_expiry,
    a_custom_duration_out_of_range_is_refused_and_changes_nothing,
    enabling_again_replaces_the_consent_and_both_are_audited,
    revoking_ends_consent_at_once_and_is_audited,
    a_member_can_never_change_another_members_consent,
    staff_have_no_consent_to_give,
    support_codes_are_shown_once_and_stored_only_as_a_hash,
    concurrent_grants_and_revokes_stay_consistent,
);

async fn status(
    app: &crate::common::TestApp,
    client: &reqwest::Client,
) -> Option<app::model::ActiveConsent> {
    let response = app.call(client, "consent_status", &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn a_member_grants_consent_for_a_preset_and_the_server_sets_the_expiry(db: Db) {
    let app = spawn_app(db).await;
    let mia = app.signed_in("mia@example.com").await;
    assert_eq!(status(&app, &mia).await, None);

    let before = app::ssr::now_ms();
    let response = app
        .call(
            &mia,
            "grant_consent",
            // Whatever the client says about time is ignored.
            &[
                ("duration", "24"),
                ("scope", "full_access"),
                ("expires_at", "0"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let after = app::ssr::now_ms();

    let active = status(&app, &mia).await.expect("an active consent");
    assert_eq!(active.scope, app::model::Scope::FullAccess);
    let day = 24 * 3_600_000;
    assert!(active.expires_at >= before + day && active.expires_at <= after + day);
    let granted = app.events("consent_granted").await;
    assert_eq!(granted.len(), 1);
    assert_eq!(granted[0].subject_id, granted[0].actor_id);
    assert!(granted[0].detail.contains("\"hours\":24"));
}

async fn a_custom_duration_out_of_range_is_refused_and_changes_nothing(db: Db) {
    let app = spawn_app(db).await;
    let mia = app.signed_in("mia@example.com").await;
    for (hours, message) in [
        ("169", "The duration must be from 1 to 168 hours."),
        ("0", "The duration must be from 1 to 168 hours."),
        ("1.5", "whole number of hours"),
        ("soon", "whole number of hours"),
        ("", "whole number of hours"),
    ] {
        let response = app
            .call(
                &mia,
                "grant_consent",
                &[
                    ("duration", "custom"),
                    ("custom_hours", hours),
                    ("scope", "view_only"),
                ],
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{hours:?}"
        );
        assert!(
            response.text().await.unwrap().contains(message),
            "{hours:?}"
        );
    }
    let bad_scope = app
        .call(
            &mia,
            "grant_consent",
            &[("duration", "1"), ("scope", "everything")],
        )
        .await;
    assert_eq!(bad_scope.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let bad_preset = app
        .call(
            &mia,
            "grant_consent",
            &[("duration", "48"), ("scope", "view_only")],
        )
        .await;
    assert_eq!(bad_preset.status(), StatusCode::UNPROCESSABLE_ENTITY);

    assert_eq!(status(&app, &mia).await, None);
    assert!(app.events("consent_granted").await.is_empty());

    let ok = app
        .call(
            &mia,
            "grant_consent",
            &[
                ("duration", "custom"),
                ("custom_hours", " 168 "),
                ("scope", "view_only"),
            ],
        )
        .await;
    assert_eq!(ok.status(), StatusCode::OK);
}

async fn enabling_again_replaces_the_consent_and_both_are_audited(db: Db) {
    let app = spawn_app(db).await;
    let mia = app.signed_in("mia@example.com").await;
    app.call(
        &mia,
        "grant_consent",
        &[("duration", "72"), ("scope", "full_access")],
    )
    .await;
    let first = status(&app, &mia).await.unwrap();
    app.call(
        &mia,
        "grant_consent",
        &[("duration", "1"), ("scope", "view_only")],
    )
    .await;
    let second = status(&app, &mia).await.unwrap();

    assert_eq!(second.scope, app::model::Scope::ViewOnly);
    assert!(
        second.expires_at < first.expires_at,
        "the replacement's shorter expiry holds"
    );
    assert_eq!(app.events("consent_granted").await.len(), 2);
    let replaced = app.events("consent_revoked").await;
    assert_eq!(replaced.len(), 1);
    assert!(replaced[0].detail.contains("replaced"));
}

async fn revoking_ends_consent_at_once_and_is_audited(db: Db) {
    let app = spawn_app(db).await;
    let mia = app.signed_in("mia@example.com").await;
    app.call(
        &mia,
        "grant_consent",
        &[("duration", "24"), ("scope", "view_only")],
    )
    .await;

    let response = app.call(&mia, "revoke_consent", &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(status(&app, &mia).await, None);
    assert_eq!(app.events("consent_revoked").await.len(), 1);

    let again = app.call(&mia, "revoke_consent", &[]).await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again
        .text()
        .await
        .unwrap()
        .contains("There is no active consent to revoke."));
    assert_eq!(
        app.events("consent_revoked").await.len(),
        1,
        "nothing to revoke records nothing"
    );
}

async fn a_member_can_never_change_another_members_consent(db: Db) {
    let app = spawn_app(db).await;
    let max = app.signed_in("max@example.com").await;
    let mia = app.signed_in("mia@example.com").await;
    app.call(
        &mia,
        "grant_consent",
        &[("duration", "24"), ("scope", "view_only")],
    )
    .await;
    let mia_id = app.events("consent_granted").await[0]
        .subject_id
        .unwrap()
        .to_string();

    // Max names Mia's account every way a request could.
    for field in ["user_id", "subject_id", "member", "id"] {
        app.call(&max, "revoke_consent", &[(field, mia_id.as_str())])
            .await;
        app.call(
            &max,
            "grant_consent",
            &[
                ("duration", "72"),
                ("scope", "full_access"),
                (field, mia_id.as_str()),
            ],
        )
        .await;
    }
    let mias = status(&app, &mia).await.expect("Mia's consent stands");
    assert_eq!(mias.scope, app::model::Scope::ViewOnly);
    for event in app
        .events("consent_granted")
        .await
        .iter()
        .chain(&app.events("consent_revoked").await)
    {
        assert_eq!(
            event.actor_id, event.subject_id,
            "every consent event is the member's own"
        );
    }
}

async fn staff_have_no_consent_to_give(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in("ada@example.com").await;
    let response = app
        .call(
            &ada,
            "grant_consent",
            &[("duration", "1"), ("scope", "view_only")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let page = app.get(&ada, "/settings/impersonation").await;
    assert_eq!(page.status(), StatusCode::FORBIDDEN);
    let visitor = app
        .call(
            &app.client(),
            "grant_consent",
            &[("duration", "1"), ("scope", "view_only")],
        )
        .await;
    assert_eq!(visitor.status(), StatusCode::UNAUTHORIZED);
    assert!(app.events("consent_granted").await.is_empty());
}

async fn support_codes_are_shown_once_and_stored_only_as_a_hash(db: Db) {
    let app = spawn_app(db).await;
    let mia = app.signed_in("mia@example.com").await;
    let response = app
        .call(&mia, "generate_support_code", &[("scope", "full_access")])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let issued: app::model::IssuedSupportCode = response.json().await.unwrap();
    assert_eq!(
        app::ssr::consent::normalize_support_code(&issued.code),
        Some(issued.code.clone())
    );
    let ten_minutes = 10 * 60_000;
    assert!(issued.expires_at - app::ssr::now_ms() <= ten_minutes);

    let stored: Vec<String> = sqlx::query_scalar("SELECT code_hash FROM support_codes")
        .fetch_all(app.store.pool())
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].contains(&issued.code) && stored[0].starts_with("$argon2id$"));
    assert!(app::ssr::credentials::verify_password(
        &issued.code,
        &stored[0]
    ));

    let events = app.events("support_code_issued").await;
    assert_eq!(events.len(), 1);
    assert!(
        !events[0].detail.contains(&issued.code),
        "the audit never holds the code"
    );
}

async fn concurrent_grants_and_revokes_stay_consistent(db: Db) {
    let app = std::sync::Arc::new(spawn_app(db).await);
    let mia = app.signed_in("mia@example.com").await;
    let calls = (0..24).map(|i| {
        let (app, mia) = (app.clone(), mia.clone());
        tokio::spawn(async move {
            let response = if i % 3 == 2 {
                app.call(&mia, "revoke_consent", &[]).await
            } else {
                let hours = if i % 2 == 0 { "24" } else { "1" };
                app.call(
                    &mia,
                    "grant_consent",
                    &[("duration", hours), ("scope", "view_only")],
                )
                .await
            };
            (i % 3 == 2, response.status())
        })
    });
    let mut granted = 0;
    for call in calls {
        let (revoke, status) = call.await.unwrap();
        assert!(
            status.is_success() || (revoke && status == StatusCode::UNPROCESSABLE_ENTITY),
            "{status}"
        );
        if !revoke {
            granted += 1;
        }
    }
    assert_eq!(app.events("consent_granted").await.len(), granted);
    // Every grant that replaced an active consent says so, and every consent ended once:
    // grants = replaced + revoked + (1 if one is still active).
    let ended = app.events("consent_revoked").await.len();
    let still_active = usize::from(status(&app, &mia).await.is_some());
    assert_eq!(granted, ended + still_active);
    assert_eq!(
        verified_chain(&app.store).await,
        Ok((7 + 1 + granted + ended) as u64)
    );
}
