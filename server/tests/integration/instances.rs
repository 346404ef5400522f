//! Several app instances on one PostgreSQL: a session started on one instance is ended by a
//! revocation on another, and the administrator's live channel on the first says so at once.

use crate::common::{spawn_app, spawn_app_with, Db, PASSWORD};
use reqwest::StatusCode;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_on_one_instance_reaches_the_live_channel_of_another() {
    let first = spawn_app(Db::Postgres).await;
    let second = spawn_app_with(Db::Postgres, |config| {
        config.database_url = first.database_url.clone()
    })
    .await;

    let mia_on_second = second.signed_in("mia@example.com").await;
    let granted = second
        .call(
            &mia_on_second,
            "grant_consent",
            &[("duration", "24"), ("scope", "full_access")],
        )
        .await;
    assert_eq!(granted.status(), StatusCode::OK);
    let mia_id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE email = 'mia@example.com'")
        .fetch_one(first.store.pool())
        .await
        .unwrap();

    let ada = first.client();
    assert!(first
        .sign_in(&ada, "ada@example.com", PASSWORD)
        .await
        .status()
        .is_success());
    let started = first
        .call(
            &ada,
            "start_impersonation",
            &[
                ("target_id", &mia_id.to_string()),
                ("reason", "TICKET-8 two instances"),
            ],
        )
        .await;
    assert_eq!(started.status(), StatusCode::OK);

    let mut live = ada.get(first.url("/api/live")).send().await.unwrap();
    assert_eq!(live.status(), StatusCode::OK);
    let revoked_at = Instant::now();
    assert_eq!(
        second
            .call(&mia_on_second, "revoke_consent", &[])
            .await
            .status(),
        StatusCode::OK
    );

    let mut received = String::new();
    while !received.contains("event: ended") {
        let chunk = tokio::time::timeout(Duration::from_secs(2), live.chunk())
            .await
            .expect("the live channel speaks within 2 seconds")
            .unwrap()
            .expect("the stream stays open until it has spoken");
        received.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(revoked_at.elapsed() < Duration::from_secs(2));
    assert!(received.contains("data: consent revoked"), "{received}");

    // And the first instance refuses Ada's next request under that session.
    let next = first.call(&ada, "list_projects", &[]).await;
    assert_eq!(next.status(), StatusCode::FORBIDDEN);
    assert!(next.text().await.unwrap().contains("(consent revoked)"));
}
