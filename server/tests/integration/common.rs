//! Starts the real application on a random port against a fresh database, SQLite or
//! PostgreSQL, and talks to it over HTTP like a browser would.

#![allow(dead_code)]

use app::ssr::store::Store;
use reqwest::StatusCode;
use server::config::Config;
use server::Server;
use std::net::SocketAddr;

pub const PASSWORD: &str = "correct-horse-battery";

#[derive(Clone, Copy, Debug)]
pub enum Db {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub base: String,
    pub store: Store,
    pub database_url: String,
    _folder: tempfile::TempDir,
}

/// A fresh, empty database of the given kind. PostgreSQL needs `ACTAS_TEST_POSTGRES_URL`
/// (the README's test command starts a throwaway server and sets it); without it the test
/// fails rather than passing without having run.
pub async fn fresh_database(db: Db, folder: &tempfile::TempDir) -> String {
    match db {
        Db::Sqlite => format!("sqlite://{}", folder.path().join("actas.db").display()),
        Db::Postgres => {
            let admin_url = std::env::var("ACTAS_TEST_POSTGRES_URL").expect(
                "ACTAS_TEST_POSTGRES_URL is not set: run the tests with scripts/test.sh, which starts PostgreSQL",
            );
            sqlx::any::install_default_drivers();
            let name = format!("actas_test_{:016x}", rand::random::<u64>());
            let mut admin = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin_url)
                .await
                .expect("connect to the test PostgreSQL server");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut admin)
                .await
                .expect("create a test database");
            let (server, _) = admin_url
                .rsplit_once('/')
                .expect("a URL ending in /database");
            format!("{server}/{name}")
        }
    }
}

pub async fn spawn_app(db: Db) -> TestApp {
    spawn_app_with(db, |_| {}).await
}

/// Starts the app with the demo accounts (password `PASSWORD`), after `adjust` changes the config.
pub async fn spawn_app_with(db: Db, adjust: impl FnOnce(&mut Config)) -> TestApp {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let database_url = fresh_database(db, &folder).await;
    let mut config = Config::from_lookup(|_| None).expect("defaults are valid");
    config.database_url = database_url.clone();
    config.addr = "127.0.0.1:0".parse().unwrap();
    config.demo_password = Some(PASSWORD.to_string());
    config.site_root = folder.path().display().to_string();
    adjust(&mut config);
    let server = Server::start(&config).await.expect("the app starts");
    let addr = server.addr;
    let store = server.store.clone();
    tokio::spawn(server.serve());
    TestApp {
        addr,
        base: format!("http://{addr}"),
        store,
        database_url,
        _folder: folder,
    }
}

impl TestApp {
    /// A browser-like client: keeps cookies, does not follow redirects (tests look at them).
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            // A hung response fails its test instead of hanging the whole run.
            .timeout(std::time::Duration::from_secs(20))
            .build()
            .unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Calls a server function as the browser's client does for a form it sends in place
    /// (form-encoded POST, same origin, the answer as JSON).
    pub async fn call(
        &self,
        client: &reqwest::Client,
        function: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        client
            .post(self.url(&format!("/api/{function}")))
            .header("Sec-Fetch-Site", "same-origin")
            .form(form)
            .send()
            .await
            .expect("the server answers")
    }

    pub async fn sign_in(
        &self,
        client: &reqwest::Client,
        email: &str,
        password: &str,
    ) -> reqwest::Response {
        self.call(
            client,
            "sign_in",
            &[("email", email), ("password", password)],
        )
        .await
    }

    /// A new client signed in as the given demo account.
    pub async fn signed_in(&self, email: &str) -> reqwest::Client {
        let client = self.client();
        let response = self.sign_in(&client, email, PASSWORD).await;
        assert!(
            response.status().is_success(),
            "sign-in as {email} failed: {}",
            response.status()
        );
        client
    }

    pub async fn get(&self, client: &reqwest::Client, path: &str) -> reqwest::Response {
        client
            .get(self.url(path))
            .header("Accept", "text/html")
            .send()
            .await
            .expect("the server answers")
    }

    pub async fn events(&self, kind: &str) -> Vec<app::ssr::audit::StoredEvent> {
        self.store
            .recent_events(kind, 1000)
            .await
            .expect("read events")
    }
}

/// Mia grants consent; Ada starts acting as her. Returns Ada's client and the session id.
pub async fn acting(app: &TestApp, scope: &str) -> (reqwest::Client, i64) {
    let mia = app.signed_in("mia@example.com").await;
    app.call(
        &mia,
        "grant_consent",
        &[("duration", "24"), ("scope", scope)],
    )
    .await;
    app.call(&mia, "create_project", &[("name", "Mia's garden")])
        .await;
    let mia_id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE email = 'mia@example.com'")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    let ada = app.signed_in("ada@example.com").await;
    let started = app
        .call(
            &ada,
            "start_impersonation",
            &[
                ("target_id", &mia_id.to_string()),
                ("reason", "TICKET-77 garden"),
            ],
        )
        .await;
    assert_eq!(started.status(), StatusCode::OK);
    let session = app.events("impersonation_started").await[0]
        .impersonation_id
        .unwrap();
    (ada, session)
}

/// The id of the account with this email.
pub async fn user_id(app: &TestApp, email: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(app.store.pool())
        .await
        .unwrap()
}

/// Runs each named test once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::common::Db::Sqlite).await })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::common::Db::Postgres).await })*
        }
    };
}

/// Walks the audit chain: how many events it verified, or its first broken link.
pub async fn verified_chain(store: &Store) -> Result<u64, app::ssr::hash_chain::BrokenLink> {
    match store.verify_audit_chain(None).await {
        Ok(head) => Ok(head.seq as u64),
        Err(app::ssr::store::VerifyError::Broken(link)) => Err(link),
        Err(error) => panic!("could not read the audit chain: {error}"),
    }
}
