//! Nothing acknowledged is lost (SPEC.md §5, issue 14): the real binary is killed with
//! SIGKILL in the middle of acting load, twenty times on each database. Afterwards every
//! request that got an answer has its `action` event, and only one; every change on record
//! has its `action` event (nothing changed without one); and the chain verifies.

use crate::common::{fresh_database, Db, PASSWORD};
use app::ssr::store::Store;
use reqwest::StatusCode;
use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

crate::on_both_databases!(a_killed_instance_loses_nothing_it_acknowledged);

const ROUNDS: usize = 20;
/// Requests in flight at once.
const CLIENTS: usize = 8;

/// The real `actas` binary on a port of its own, with the demo accounts.
struct Instance {
    child: Child,
    base: String,
}

impl Instance {
    async fn start(database_url: &str, site_root: &std::path::Path) -> Instance {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_actas"))
            .env("DATABASE_URL", database_url)
            .env("ACTAS_ADDR", format!("127.0.0.1:{port}"))
            .env("ACTAS_DEMO_PASSWORD", PASSWORD)
            .env("LEPTOS_SITE_ROOT", site_root)
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the actas binary starts");
        // Killed when dropped, a failing test's too.
        let instance = Instance {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let probe = reqwest::Client::new();
        for _ in 0..300 {
            if let Ok(ready) = probe.get(format!("{}/readyz", instance.base)).send().await {
                if ready.status() == StatusCode::OK {
                    return instance;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the actas binary did not become ready");
    }

    /// SIGKILL, now (see `Drop`).
    fn kill(self) {
        drop(self);
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        // `Child::kill` is SIGKILL on Unix: no shutdown, no flushing, nothing.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a client asked for, by the text that marks it, and whether an answer came back.
#[derive(Clone, Debug)]
struct Sent {
    mark: String,
    changes: bool,
    answered: Option<StatusCode>,
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

async fn call(
    client: &reqwest::Client,
    base: &str,
    function: &str,
    form: &[(&str, &str)],
) -> reqwest::Result<reqwest::Response> {
    client
        .post(format!("{base}/api/{function}"))
        .header("Sec-Fetch-Site", "same-origin")
        .form(form)
        .send()
        .await
}

async fn a_killed_instance_loses_nothing_it_acknowledged(db: Db) {
    let folder = tempfile::tempdir().unwrap();
    let database_url = fresh_database(db, &folder).await;
    let site_root = folder.path().join("site");

    // Ada acts as Mia; her sign-in and session live in the database, so they outlast a kill.
    let ada = client();
    {
        let instance = Instance::start(&database_url, &site_root).await;
        let base = &instance.base;
        let mia = client();
        let signed_in = call(
            &mia,
            base,
            "sign_in",
            &[("email", "mia@example.com"), ("password", PASSWORD)],
        );
        assert_eq!(signed_in.await.unwrap().status(), StatusCode::OK);
        let granted = call(
            &mia,
            base,
            "grant_consent",
            &[("duration", "24"), ("scope", "full_access")],
        );
        assert_eq!(granted.await.unwrap().status(), StatusCode::OK);
        let store = Store::open_existing(&database_url).await.unwrap();
        let mia_id: i64 =
            sqlx::query_scalar("SELECT id FROM users WHERE email = 'mia@example.com'")
                .fetch_one(store.pool())
                .await
                .unwrap();
        let signed_in = call(
            &ada,
            base,
            "sign_in",
            &[("email", "ada@example.com"), ("password", PASSWORD)],
        );
        assert_eq!(signed_in.await.unwrap().status(), StatusCode::OK);
        let mia_id = mia_id.to_string();
        let started = call(
            &ada,
            base,
            "start_impersonation",
            &[("target_id", &mia_id), ("reason", "TICKET-6 crash")],
        )
        .await;
        assert_eq!(started.unwrap().status(), StatusCode::OK);
        instance.kill();
    }

    let (mut answered, mut unanswered, mut kept_unanswered) = (0, 0, 0);
    for round in 0..ROUNDS {
        let instance = Instance::start(&database_url, &site_root).await;
        let sent = Arc::new(Mutex::new(Vec::<Sent>::new()));
        let load: Vec<_> = (0..CLIENTS)
            .map(|client_no| {
                let (ada, base, sent) = (ada.clone(), instance.base.clone(), Arc::clone(&sent));
                tokio::spawn(async move {
                    for n in 0.. {
                        let mark = format!("r{round}-c{client_no}-n{n}");
                        // Mostly page loads (read-only, recorded by the audit writer), and
                        // every fourth a change (recorded in the change's own transaction).
                        let changes = n % 4 == 3;
                        let index = {
                            let mut sent = sent.lock().unwrap();
                            sent.push(Sent {
                                mark: mark.clone(),
                                changes,
                                answered: None,
                            });
                            sent.len() - 1
                        };
                        let answer = if changes {
                            call(&ada, &base, "create_project", &[("name", &mark)]).await
                        } else {
                            ada.get(format!("{base}/projects?probe={mark}"))
                                .header("Accept", "text/html")
                                .send()
                                .await
                        };
                        // Answered means the whole answer arrived.
                        let Ok(answer) = answer else { break };
                        let status = answer.status();
                        if answer.bytes().await.is_err() {
                            break;
                        }
                        sent.lock().unwrap()[index].answered = Some(status);
                    }
                })
            })
            .collect();
        // Killed at a random moment once answers are flowing.
        let answers_flow = async {
            while !sent
                .lock()
                .unwrap()
                .iter()
                .any(|sent| sent.answered.is_some())
            {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(20), answers_flow)
            .await
            .unwrap_or_else(|_| panic!("round {round}: no answer came"));
        let under_load = rand::random::<u64>() % 500;
        tokio::time::sleep(Duration::from_millis(under_load)).await;
        instance.kill();
        for client in load {
            client.await.unwrap();
        }

        let store = Store::open_existing(&database_url).await.unwrap();
        let verified = store.verify_audit_chain(None).await;
        assert!(verified.is_ok(), "round {round}: the chain does not verify");
        let marks: Vec<String> = sqlx::query_scalar::<_, String>(
            "SELECT detail FROM audit_events WHERE kind = 'action'",
        )
        .fetch_all(store.pool())
        .await
        .unwrap()
        .into_iter()
        .filter_map(|detail| {
            let detail: serde_json::Value = serde_json::from_str(&detail).ok()?;
            let arguments = &detail["arguments"];
            let mark = arguments.get("probe").or(arguments.get("name"))?;
            Some(mark.as_str()?.to_string())
        })
        .collect();
        let recorded: HashSet<String> = marks.iter().cloned().collect();
        assert_eq!(
            recorded.len(),
            marks.len(),
            "round {round}: a request has more than one action event"
        );
        let projects: HashSet<String> =
            sqlx::query_scalar::<_, String>("SELECT name FROM projects")
                .fetch_all(store.pool())
                .await
                .unwrap()
                .into_iter()
                .collect();
        let sent = sent.lock().unwrap().clone();
        for request in &sent {
            match request.answered {
                Some(status) => {
                    assert!(
                        status.is_success(),
                        "round {round}: {} was answered {status}",
                        request.mark
                    );
                    assert!(
                        recorded.contains(&request.mark),
                        "round {round}: {} was answered, but its action event is missing",
                        request.mark
                    );
                    if request.changes {
                        assert!(
                            projects.contains(&request.mark),
                            "round {round}: {} was answered, but the project is missing",
                            request.mark
                        );
                    }
                    answered += 1;
                }
                None => {
                    unanswered += 1;
                    if recorded.contains(&request.mark) {
                        // Committed, and the kill came before the answer left.
                        kept_unanswered += 1;
                    }
                }
            }
            if request.changes && projects.contains(&request.mark) {
                assert!(
                    recorded.contains(&request.mark),
                    "round {round}: project {} exists without its action event",
                    request.mark
                );
            }
        }
    }
    eprintln!(
        "{db:?}: {ROUNDS} kills; {answered} requests answered, every one on record; \
         {unanswered} cut off by the kill, {kept_unanswered} of them committed before it; \
         the chain verified after each kill"
    );
}
