//! How long the member's history and the activity log take to render with a million audit
//! events in the database. Prints figures; asserts nothing about time.
//!
//! `cargo bench -p server --bench audit_log` runs it on SQLite; with
//! `ACTAS_BENCH_POSTGRES_URL` (a server URL ending in a database it may create databases
//! from, like the tests' `ACTAS_TEST_POSTGRES_URL`) on PostgreSQL too.
//! `ACTAS_BENCH_EVENTS` changes the million.

use app::ssr::audit::{EventKind, NewEvent};
use app::ssr::now_ms;
use app::ssr::store::Store;
use serde_json::json;
use server::config::Config;
use server::Server;
use std::time::{Duration, Instant};

const PASSWORD: &str = "benchmark-password";
const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// Mia's id on a fresh database: the demo accounts are created in a fixed order.
const MIA: i64 = 4;
const ADA: i64 = 2;
const SESSIONS: i64 = 100;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let events: i64 = std::env::var("ACTAS_BENCH_EVENTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let folder = tempfile::tempdir().expect("a temporary folder");
    let sqlite = format!("sqlite://{}", folder.path().join("bench.db").display());
    run("SQLite", &sqlite, events, &folder).await;
    if let Ok(server_url) = std::env::var("ACTAS_BENCH_POSTGRES_URL") {
        let url = fresh_postgres(&server_url).await;
        run("PostgreSQL", &url, events, &folder).await;
    }
}

async fn fresh_postgres(server_url: &str) -> String {
    sqlx::any::install_default_drivers();
    let name = format!("actas_bench_{:08x}", rand::random::<u32>());
    let mut admin = <sqlx::AnyConnection as sqlx::Connection>::connect(server_url)
        .await
        .expect("connect to PostgreSQL");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("create the benchmark database");
    let (server, _) = server_url
        .rsplit_once('/')
        .expect("a URL ending in /database");
    format!("{server}/{name}")
}

/// A year of history before today: mostly actions taken while acting, about 10,000
/// members and 20 administrators; 1 in 100 events is about Mia, in her 100 sessions.
fn history(events: i64, first: i64, count: i64, start: i64) -> Vec<(NewEvent, i64)> {
    let span = 365 * DAY_MS - 2 * 60 * 60 * 1000;
    (first..first + count)
        .map(|n| {
            let at = start + n * span / events;
            let about_mia = n % 100 == 0;
            let subject = if about_mia { MIA } else { 1_000 + n % 10_000 };
            let actor = if n % 7 == 0 { ADA } else { 100 + n % 20 };
            let kind = match n % 1000 {
                0..=699 => EventKind::Action,
                700..=849 => EventKind::SignIn,
                850..=899 => EventKind::ProjectRenamed,
                900..=949 => EventKind::ImpersonationStarted,
                950..=998 => EventKind::ImpersonationEnded,
                _ => EventKind::UserSuspended,
            };
            let mut event = NewEvent::new(kind).actor(actor).subject(subject);
            if kind == EventKind::Action {
                let session = if about_mia { 1 + n % SESSIONS } else { 10_000 + n % 5_000 };
                event = event
                    .session(session)
                    .request("POST", "/api/rename_project", 200)
                    .detail(json!({"arguments": {"project_id": (n % 50).to_string(), "name": format!("Project {n}")}}));
            }
            (event, at)
        })
        .collect()
}

async fn run(label: &str, url: &str, events: i64, folder: &tempfile::TempDir) {
    println!("\n## {label}: {events} audit events");
    let store = Store::connect(url).await.expect("the database opens");
    let start = now_ms() - 365 * DAY_MS;
    let began = Instant::now();
    let batch = 10_000;
    let mut first = 0;
    while first < events {
        let count = batch.min(events - first);
        store
            .record_many(history(events, first, count, start))
            .await
            .expect("events are written");
        first += count;
    }
    println!(
        "written in {:.1} s ({:.0} events/s)",
        began.elapsed().as_secs_f64(),
        events as f64 / began.elapsed().as_secs_f64()
    );

    let mut config = Config::from_lookup(|_| None).expect("defaults are valid");
    config.database_url = url.to_string();
    config.addr = "127.0.0.1:0".parse().unwrap();
    config.demo_password = Some(PASSWORD.to_string());
    config.site_root = folder.path().display().to_string();
    let server = Server::start(&config).await.expect("the app starts");
    let base = format!("http://{}", server.addr);
    tokio::spawn(server.serve());
    let mia_id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE email = 'mia@example.com'")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(mia_id, MIA);

    let mia = signed_in(&base, "mia@example.com").await;
    let ada = signed_in(&base, "ada@example.com").await;
    let call = |client: &reqwest::Client, function: &str, form: Vec<(&str, String)>| {
        client
            .post(format!("{base}/api/{function}"))
            .header("Sec-Fetch-Site", "same-origin")
            .form(&form)
            .send()
    };
    call(
        &mia,
        "grant_consent",
        vec![("duration", "72".into()), ("scope", "full_access".into())],
    )
    .await
    .unwrap();
    let began = Instant::now();
    for n in 0..SESSIONS {
        let started = call(
            &ada,
            "start_impersonation",
            vec![
                ("target_id", MIA.to_string()),
                ("reason", format!("TICKET-{n} benchmark run")),
            ],
        )
        .await
        .unwrap();
        assert!(started.status().is_success(), "{}", started.status());
        ada.get(format!("{base}/projects")).send().await.unwrap();
        call(&ada, "exit_impersonation", vec![]).await.unwrap();
    }
    println!(
        "{SESSIONS} sessions on Mia's account in {:.1} s (start, one page, exit)",
        began.elapsed().as_secs_f64()
    );

    let began = Instant::now();
    let verdict = store.verify_audit_chain(None).await.map(|head| head.seq);
    println!(
        "chain verified in {:.1} s: {verdict:?}",
        began.elapsed().as_secs_f64()
    );

    let middle = app::ssr::audit_export::export_time(start + 180 * DAY_MS)[..10].to_string();
    let half = (events / 2).to_string();
    println!("\n| what | median | p95 | bytes |\n|---|---|---|---|");
    let page = |client: &reqwest::Client, path: String| {
        let request = client
            .get(format!("{base}{path}"))
            .header("Accept", "text/html");
        async move { request.send().await.unwrap() }
    };
    measure(
        "member: /settings/impersonation (Sessions: first page of 100)",
        30,
        || page(&mia, "/settings/impersonation".into()),
    )
    .await;
    measure("member: Show audit log of one session", 30, || async {
        call(&mia, "session_audit_log", vec![("session_id", "1".into())])
            .await
            .unwrap()
    })
    .await;
    measure(
        "member: Export audit log (CSV, every event about Mia)",
        5,
        || page(&mia, "/settings/impersonation/audit-log.csv".into()),
    )
    .await;
    measure("member: Export audit log (JSON)", 5, || {
        page(&mia, "/settings/impersonation/audit-log.json".into())
    })
    .await;
    let activity: [(&str, String); 13] = [
        ("activity: newest page, no filter", "/admin/activity".into()),
        (
            "activity: page at the middle of the log",
            format!("/admin/activity?before={half}"),
        ),
        (
            "activity: subject = Mia",
            "/admin/activity?subject=mia%40example.com".into(),
        ),
        (
            "activity: actor = Ada",
            "/admin/activity?actor=ada%40example.com".into(),
        ),
        (
            "activity: kind = user_suspended (rare)",
            "/admin/activity?kind=user_suspended".into(),
        ),
        (
            "activity: one day, six months ago",
            format!("/admin/activity?from={middle}&to={middle}"),
        ),
        (
            "activity: subject = Mia and kind = user_suspended",
            "/admin/activity?subject=mia%40example.com&kind=user_suspended".into(),
        ),
        (
            "activity: subject = Mia, one day six months ago",
            format!("/admin/activity?subject=mia%40example.com&from={middle}&to={middle}"),
        ),
        (
            "activity: kind = sign_in, page at the middle",
            format!("/admin/activity?kind=sign_in&before={half}"),
        ),
        (
            "activity: actor = Ada and subject = Mia",
            "/admin/activity?actor=ada%40example.com&subject=mia%40example.com".into(),
        ),
        (
            "activity: actor = Ada and kind = impersonation_started",
            "/admin/activity?actor=ada%40example.com&kind=impersonation_started".into(),
        ),
        (
            "activity: actor = Ada, subject = Mia, kind = action, page at the middle",
            format!("/admin/activity?actor=ada%40example.com&subject=mia%40example.com&kind=action&before={half}"),
        ),
        (
            "activity: kind = project_renamed, one day six months ago",
            format!("/admin/activity?kind=project_renamed&from={middle}&to={middle}"),
        ),
    ];
    for (what, path) in activity {
        measure(what, 30, || page(&ada, path.clone())).await;
    }
    measure("activity: Export CSV, subject = Mia", 5, || {
        page(
            &ada,
            "/admin/activity/export.csv?subject=mia%40example.com".into(),
        )
    })
    .await;
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        if let Some(peak) = status.lines().find(|line| line.starts_with("VmHWM")) {
            println!(
                "\npeak memory of the process (app and benchmark): {}",
                peak.split_whitespace()
                    .skip(1)
                    .collect::<Vec<_>>()
                    .join(" ")
            );
        }
    }
}

async fn signed_in(base: &str, email: &str) -> reqwest::Client {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap();
    let response = client
        .post(format!("{base}/api/sign_in"))
        .header("Sec-Fetch-Site", "same-origin")
        .form(&[("email", email), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    client
}

/// Runs `request` `times` times (after one warm-up) and prints the median and p95 wall time
/// of the whole response, body included.
async fn measure<F, Fut>(what: &str, times: usize, request: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = reqwest::Response>,
{
    let warm = request().await;
    assert!(warm.status().is_success(), "{what}: {}", warm.status());
    warm.bytes().await.unwrap();
    let mut took = Vec::with_capacity(times);
    let mut bytes = 0;
    for _ in 0..times {
        let began = Instant::now();
        let response = request().await;
        bytes = response.bytes().await.unwrap().len();
        took.push(began.elapsed());
    }
    took.sort();
    let at = |q: f64| took[((took.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1000.0;
    println!(
        "| {what} | {:.1} ms | {:.1} ms | {bytes} |",
        at(0.5),
        at(0.95)
    );
}
