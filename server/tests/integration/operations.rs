//! What an operator watches and what a proxy passes on: health and readiness, compression.

use crate::common::{acting, spawn_app, Db};
use reqwest::StatusCode;

on_both_databases!(health_answers_and_html_is_compressed_but_the_live_channel_is_not);

async fn health_answers_and_html_is_compressed_but_the_live_channel_is_not(db: Db) {
    let app = spawn_app(db).await;
    let client = app.client();
    for (path, body) in [("/healthz", "ok"), ("/readyz", "ready")] {
        let answer = client.get(app.url(path)).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::OK, "{path}");
        assert_eq!(answer.text().await.unwrap(), body);
    }
    let page = client
        .get(app.url("/sign-in"))
        .header("Accept-Encoding", "br, gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(page.headers()["content-encoding"], "br");
    let (ada, _) = acting(&app, "full_access").await;
    let live = ada
        .get(app.url("/api/live"))
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(live.headers()["content-type"], "text/event-stream");
    assert!(
        live.headers().get("content-encoding").is_none(),
        "events flow as they happen, never held back to compress"
    );
}

/// `/readyz` fails while the database refuses connections, and recovers when it is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_follows_the_database() {
    let app = spawn_app(Db::Postgres).await;
    let client = app.client();
    let ready = |client: reqwest::Client| {
        let url = app.url("/readyz");
        async move { client.get(url).send().await.unwrap().status() }
    };
    assert_eq!(ready(client.clone()).await, StatusCode::OK);

    let name = app.database_url.rsplit_once('/').unwrap().1.to_string();
    let admin_url = std::env::var("ACTAS_TEST_POSTGRES_URL").unwrap();
    let mut admin = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin_url)
        .await
        .unwrap();
    sqlx::query(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"))
        .execute(&mut admin)
        .await
        .unwrap();
    sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1")
        .bind(&name)
        .execute(&mut admin)
        .await
        .unwrap();
    assert_eq!(
        ready(client.clone()).await,
        StatusCode::SERVICE_UNAVAILABLE,
        "the database is down"
    );
    assert_eq!(
        client
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK,
        "the process still runs"
    );

    sqlx::query(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
        .execute(&mut admin)
        .await
        .unwrap();
    let mut recovered = false;
    for _ in 0..40 {
        if ready(client.clone()).await == StatusCode::OK {
            recovered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert!(recovered, "ready again once the database is back");
}
