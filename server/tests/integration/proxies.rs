//! Behind a reverse proxy (SPEC.md §7): only a trusted proxy's word on the client's address
//! is believed, and the public origin decides what counts as this site.

use crate::common::{spawn_app, spawn_app_with, Db, PASSWORD};
use reqwest::StatusCode;

on_both_databases!(
    a_forwarded_address_from_an_untrusted_peer_is_ignored,
    behind_a_trusted_proxy_each_client_has_its_own_limits,
    the_public_origin_is_this_site,
    an_unreadable_forwarded_header_hides_nothing,
);

/// A client that garbles the `X-Forwarded-For` its proxy appends to, and adds a `Forwarded`
/// of its own: the proxy's entry still names it, and its own claim is not read.
async fn an_unreadable_forwarded_header_hides_nothing(db: Db) {
    let app = spawn_app_with(db, |config| {
        config.trusted_proxies = app::ssr::forwarded::TrustedProxies::parse("127.0.0.9").unwrap();
    })
    .await;
    let answer = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 9]))
        .build()
        .unwrap()
        .post(app.url("/api/sign_in"))
        .header("Sec-Fetch-Site", "same-origin")
        .header(
            "X-Forwarded-For",
            reqwest::header::HeaderValue::from_bytes(b"\xff, 198.51.100.1").unwrap(),
        )
        .header("Forwarded", "for=203.0.113.77")
        .form(&[("email", "mia@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let signed_in = &app.events("sign_in").await[0];
    assert!(
        signed_in.detail.contains("198.51.100.1"),
        "{}",
        signed_in.detail
    );
}

/// A client at `127.0.0.{host}` that says it forwards for `forwarded_for`.
async fn guess(
    app: &crate::common::TestApp,
    host: u8,
    forwarded_for: &str,
    password: &str,
) -> StatusCode {
    reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, host]))
        .build()
        .unwrap()
        .post(app.url("/api/sign_in"))
        .header("Sec-Fetch-Site", "same-origin")
        .header("X-Forwarded-For", forwarded_for)
        .form(&[("email", "mia@example.com"), ("password", password)])
        .send()
        .await
        .unwrap()
        .status()
}

async fn a_forwarded_address_from_an_untrusted_peer_is_ignored(db: Db) {
    let app = spawn_app(db).await;
    for n in 0..5 {
        let spoofed = format!("198.51.100.{n}");
        assert_eq!(
            guess(&app, 2, &spoofed, "guess").await,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
    assert_eq!(
        guess(&app, 2, "198.51.100.99", PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS,
        "a new X-Forwarded-For buys nothing: the limit follows the real peer"
    );
}

async fn behind_a_trusted_proxy_each_client_has_its_own_limits(db: Db) {
    let app = spawn_app_with(db, |config| {
        config.trusted_proxies = app::ssr::forwarded::TrustedProxies::parse("127.0.0.9").unwrap();
    })
    .await;
    for _ in 0..5 {
        assert_eq!(
            guess(&app, 9, "198.51.100.1", "guess").await,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
    assert_eq!(
        guess(&app, 9, "198.51.100.1", PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        guess(&app, 9, "198.51.100.2", PASSWORD).await,
        StatusCode::OK,
        "another client behind the same proxy is not blocked by the first"
    );
    let signed_in = &app.events("sign_in").await[0];
    assert!(
        signed_in.detail.contains("198.51.100.2"),
        "{}",
        signed_in.detail
    );
}

async fn the_public_origin_is_this_site(db: Db) {
    let app = spawn_app_with(db, |config| {
        config.public_origin = Some("https://support.example.com".into());
        config.cookie_secure = true;
    })
    .await;
    let post = |origin: &'static str| {
        let url = app.url("/api/sign_in");
        async move {
            reqwest::Client::new()
                .post(url)
                .header("Origin", origin)
                .form(&[("email", "mia@example.com"), ("password", PASSWORD)])
                .send()
                .await
                .unwrap()
        }
    };
    let ours = post("https://support.example.com").await;
    assert_eq!(ours.status(), StatusCode::OK);
    let cookie = ours.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("__Host-actas_session="), "{cookie}");
    assert!(cookie.contains("; Secure"), "{cookie}");
    assert_eq!(
        post("https://evil.example").await.status(),
        StatusCode::FORBIDDEN
    );
}
