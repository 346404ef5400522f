//! Several app instances on one PostgreSQL: a session started on one instance is ended by a
//! revocation on another, and the administrator's live channel on the first says so at once.

use crate::common::{spawn_app, spawn_app_with, user_id, Db, TestApp};
use app::ssr::store::{Store, LISTENER_NAME, PROBE_AFTER_SILENCE};
use reqwest::StatusCode;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_on_one_instance_reaches_the_live_channel_of_another() {
    let (first, second, ada, mia_on_second, mut live) = acting_across_two_instances().await;
    let revoked_at = Instant::now();
    assert_eq!(
        second
            .call(&mia_on_second, "revoke_consent", &[])
            .await
            .status(),
        StatusCode::OK
    );

    let received = hear(&mut live, "ended", Duration::from_secs(2)).await;
    assert!(revoked_at.elapsed() < Duration::from_secs(2));
    eprintln!(
        "the end reached the other instance's page {} ms after the revocation was sent",
        revoked_at.elapsed().as_millis()
    );
    assert!(received.contains("data: consent revoked"), "{received}");

    // And the first instance refuses Ada's next request under that session.
    let next = first.call(&ada, "list_projects", &[]).await;
    assert_eq!(next.status(), StatusCode::FORBIDDEN);
    assert!(next.text().await.unwrap().contains("(consent revoked)"));
}

/// Two instances on one PostgreSQL, Mia consenting on the second and Ada acting as her on the
/// first, with her live channel open there: the instances, Ada's and Mia's browsers, and
/// Ada's stream.
async fn acting_across_two_instances() -> (
    TestApp,
    TestApp,
    reqwest::Client,
    reqwest::Client,
    reqwest::Response,
) {
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
    let mia_id = user_id(&first, "mia@example.com").await.to_string();
    let ada = first.signed_in("ada@example.com").await;
    let started = first
        .call(
            &ada,
            "start_impersonation",
            &[("target_id", &mia_id), ("reason", "TICKET-9 news")],
        )
        .await;
    assert_eq!(started.status(), StatusCode::OK);
    let live = ada.get(first.url("/api/live")).send().await.unwrap();
    assert_eq!(live.status(), StatusCode::OK);
    (first, second, ada, mia_on_second, live)
}

/// Reads the stream until `event` arrives, at most `within` from now.
async fn hear(live: &mut reqwest::Response, event: &str, within: Duration) -> String {
    let until = Instant::now() + within;
    let mut received = String::new();
    while !received.contains(&format!("event: {event}")) {
        let chunk = tokio::time::timeout_at(until.into(), live.chunk())
            .await
            .unwrap_or_else(|_| panic!("no `{event}` within {within:?}; heard {received:?}"))
            .unwrap()
            .expect("the stream stays open until it has spoken");
        received.push_str(&String::from_utf8_lossy(&chunk));
    }
    received
}

/// The backends of the two instances' news listeners on this database, once both listen
/// (each connects on its own, soon after its instance starts).
async fn listeners(store: &Store) -> Vec<i32> {
    let until = Instant::now() + Duration::from_secs(5);
    loop {
        let pids: Vec<i32> = sqlx::query_scalar(
            "SELECT pid FROM pg_stat_activity WHERE application_name = $1 \
             AND datname = current_database() AND query LIKE 'LISTEN%'",
        )
        .bind(LISTENER_NAME)
        .fetch_all(store.pool())
        .await
        .unwrap();
        if pids.len() == 2 || Instant::now() > until {
            return pids;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listener_that_lost_its_connection_misses_no_end() {
    let (first, second, _ada, mia_on_second, mut live) = acting_across_two_instances().await;
    let before = listeners(&first.store).await;
    assert_eq!(before.len(), 2, "one news listener per instance");

    // Every listener loses its connection; the revocation follows at once, while they are
    // (or may be) down, so its NOTIFY can be lost: the end must still arrive.
    let cut: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE application_name = $1 AND datname = current_database()",
    )
    .bind(LISTENER_NAME)
    .fetch_all(first.store.pool())
    .await
    .unwrap();
    assert_eq!(cut, [true, true]);
    let revoked = second.call(&mia_on_second, "revoke_consent", &[]).await;
    assert_eq!(revoked.status(), StatusCode::OK);
    let received = hear(&mut live, "ended", Duration::from_secs(2)).await;
    assert!(received.contains("data: consent revoked"), "{received}");

    // Both listeners are back, on new connections.
    let after = listeners(&first.store).await;
    assert_eq!(after.len(), 2, "{after:?}");
    assert!(after.iter().all(|pid| !before.contains(pid)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_pages_cost_no_database_reads_while_nothing_happens() {
    let (first, second, _ada, mia_on_second, mut adas_live) = acting_across_two_instances().await;
    let mia = first.signed_in("mia@example.com").await;
    let mut mias_live = mia.get(first.url("/api/live")).send().await.unwrap();
    assert_eq!(mias_live.status(), StatusCode::OK);
    hear(&mut mias_live, "support", Duration::from_secs(2)).await;

    // When each connection of the app last began or ended a statement: unchanged means no
    // statement ran. The listeners wait on theirs; the watching connection is left out.
    let mut watcher = first.store.pool().acquire().await.unwrap();
    let mut last_statement = async || {
        sqlx::query_scalar::<_, String>(
            "SELECT COALESCE(MAX(state_change)::text, '') FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid() \
             AND application_name <> $1",
        )
        .bind(LISTENER_NAME)
        .fetch_one(&mut *watcher)
        .await
        .unwrap()
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let quiet_from = last_statement().await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        last_statement().await,
        quiet_from,
        "a statement ran while nothing happened"
    );
    drop(watcher);

    // News still arrives at once: Mia's revocation on the second instance reaches both open
    // pages on the first.
    let revoked = second.call(&mia_on_second, "revoke_consent", &[]).await;
    assert_eq!(revoked.status(), StatusCode::OK);
    hear(&mut adas_live, "ended", Duration::from_secs(2)).await;
    let told = hear(&mut mias_live, "support", Duration::from_secs(2)).await;
    assert!(told.contains("data: null"), "{told}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listener_whose_connection_stops_answering_misses_no_end() {
    let (_first, second, _ada, mia_on_second, mut live) = acting_across_two_instances().await;
    let before = listeners(&second.store).await;
    assert_eq!(before.len(), 2, "one news listener per instance");

    // The listeners' server processes stop where they are: their connections stay open but
    // say nothing more, as when a host or a network goes away without closing them. The
    // revocation's NOTIFY is never delivered on them. (They go on again however this test
    // ends: stopped, they would hold their connections and the database's notify queue.)
    let stopped = Stopped::processes(before.clone());
    let revoked_at = Instant::now();
    let revoked = second.call(&mia_on_second, "revoke_consent", &[]).await;
    assert_eq!(revoked.status(), StatusCode::OK);

    // Within one probe (silence, then an unanswered question), each instance takes its
    // connection for lost, listens on a new one and has every page look again.
    let within = PROBE_AFTER_SILENCE + Duration::from_secs(5);
    let received = hear(&mut live, "ended", within).await;
    eprintln!(
        "the end arrived {} ms after the revocation, past a silent listener",
        revoked_at.elapsed().as_millis()
    );
    assert!(received.contains("data: consent revoked"), "{received}");

    // The stopped ones go (waiting until they have); both listeners are on new connections.
    drop(stopped);
    for pid in &before {
        sqlx::query("SELECT pg_terminate_backend($1, 5000)")
            .bind(pid)
            .execute(second.store.pool())
            .await
            .unwrap();
    }
    let after = listeners(&second.store).await;
    assert_eq!(after.len(), 2, "{after:?}");
    assert!(after.iter().all(|pid| !before.contains(pid)));
}

/// Processes stopped (SIGSTOP) for as long as this lives.
struct Stopped(Vec<i32>);

impl Stopped {
    fn processes(pids: Vec<i32>) -> Stopped {
        signal("-STOP", &pids);
        Stopped(pids)
    }
}

impl Drop for Stopped {
    fn drop(&mut self) {
        signal("-CONT", &self.0);
    }
}

fn signal(name: &str, pids: &[i32]) {
    for pid in pids {
        let status = std::process::Command::new("kill")
            .args([name, &pid.to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill {name} {pid}");
    }
}
