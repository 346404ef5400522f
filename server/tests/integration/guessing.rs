//! Guessing is slowed without locking the real person out (SPEC.md §6), and strangers cannot
//! grow the audit log with refused attempts. Each client here comes from its own loopback
//! address (127.0.0.x), as people on other machines would.

use crate::common::{spawn_app, Db, TestApp, PASSWORD};
use reqwest::StatusCode;

on_both_databases!(
    the_right_password_from_a_clean_address_signs_in_while_the_account_is_guessed_at,
    an_account_guessed_at_from_many_addresses_is_slowed_never_closed,
    refused_attempts_are_recorded_once_a_window,
);

/// A client whose requests come from `127.0.0.{host}`.
fn from(host: u8) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, host]))
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn sign_in(app: &TestApp, host: u8, email: &str, password: &str) -> StatusCode {
    app.sign_in(&from(host), email, password).await.status()
}

async fn the_right_password_from_a_clean_address_signs_in_while_the_account_is_guessed_at(db: Db) {
    let app = spawn_app(db).await;
    for _ in 0..5 {
        assert_eq!(
            sign_in(&app, 2, "max@example.com", "guess").await,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
    assert_eq!(
        sign_in(&app, 2, "max@example.com", PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS,
        "the guessing address is stopped, right password or not"
    );
    assert_eq!(
        sign_in(&app, 3, "max@example.com", PASSWORD).await,
        StatusCode::OK,
        "the owner, elsewhere, signs in"
    );
}

async fn an_account_guessed_at_from_many_addresses_is_slowed_never_closed(db: Db) {
    let app = spawn_app(db).await;
    for host in 10..22 {
        assert_eq!(
            sign_in(&app, host, "max@example.com", "guess").await,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
    let slowed = app
        .sign_in(&from(10), "max@example.com", "another-guess")
        .await;
    assert_eq!(slowed.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(slowed
        .text()
        .await
        .unwrap()
        .contains("Too many attempts on this account. Try again in a few seconds."));
    assert_eq!(
        sign_in(&app, 50, "max@example.com", PASSWORD).await,
        StatusCode::OK,
        "an address that has not failed is never slowed"
    );
}

async fn refused_attempts_are_recorded_once_a_window(db: Db) {
    let app = spawn_app(db).await;
    let rows = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM audit_events")
            .fetch_one(app.store.pool())
            .await
            .unwrap()
    };
    let before = rows().await;
    for _ in 0..60 {
        sign_in(&app, 2, "max@example.com", "guess").await;
    }
    assert_eq!(
        rows().await - before,
        6,
        "five judged failures, and one record that the limit was reached"
    );
    let notice = &app.events("sign_in_failed").await[0];
    assert!(notice.detail.contains("\"reason\":\"too many attempts\""));

    // Spread over many accounts from one address: 30 judged, then the address's limit.
    let before = rows().await;
    for _ in 0..15 {
        for account in 0..10 {
            let email = format!("someone{account}@example.com");
            sign_in(&app, 4, &email, "guess").await;
        }
    }
    let added = rows().await - before;
    assert!(
        added <= 37,
        "at most 37 rows a window from one address, got {added}"
    );
    assert_eq!(added, 31, "30 judged failures and one notice");
}
