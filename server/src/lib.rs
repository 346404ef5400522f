//! The Actas server: start-up, the router and its middleware, and the command-line tools.

pub mod config;
pub mod downloads;
pub mod live_channel;
pub mod middleware;
mod request_owner;

use app::model::Role;
use app::ssr::credentials::{hash_password, new_password};
use app::ssr::hash_chain::{BrokenLink, ChainAnchor};
use app::ssr::receipt::{self, ReceiptError};
use app::ssr::sign_in_limits::SignInLifetime;
use app::ssr::store::{NewUser, Store, StoreError, VerifyError};
use app::ssr::{now_ms, AppState, Settings};
use app::{shell, App};
use axum::Router;
use config::Config;
use http::header::{HeaderName, HeaderValue};
use http::StatusCode;
use leptos::prelude::LeptosOptions;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// The demo accounts of SPEC.md §7: (email, name, role, on the allow-list).
pub const DEMO_ACCOUNTS: [(&str, &str, Role, bool); 5] = [
    ("owner@example.com", "Olivia Owner", Role::Owner, true),
    ("ada@example.com", "Ada Admin", Role::Admin, true),
    ("sam@example.com", "Sam Staff", Role::Admin, false),
    ("mia@example.com", "Mia Member", Role::Member, false),
    ("max@example.com", "Max Member", Role::Member, false),
];

/// How long a request may take before it is answered 503. The browser's client counts on
/// it: a form still sending after `frontend::forms::UNANSWERED_AFTER_MS` was never answered.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The largest request body accepted.
pub const MAX_REQUEST_BYTES: usize = 256 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("could not listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A server ready to accept connections.
pub struct Server {
    pub addr: SocketAddr,
    pub store: Store,
    listener: tokio::net::TcpListener,
    router: Router,
}

impl Server {
    /// Connects to the database (applying migrations), creates the demo accounts on an empty
    /// database, and binds the address.
    pub async fn start(config: &Config) -> Result<Server, StartError> {
        let store = Store::connect(&config.database_url).await?;
        if config.demo {
            create_demo_accounts(&store, config.demo_password.as_deref()).await?;
        }
        let listener = tokio::net::TcpListener::bind(config.addr)
            .await
            .map_err(|source| StartError::Bind {
                addr: config.addr,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: config.addr,
            source,
        })?;
        let leptos_options = LeptosOptions::builder()
            .output_name("actas")
            .site_root(config.site_root.as_str())
            .site_pkg_dir("pkg")
            .site_addr(addr)
            .hash_files(built_with_hashed_names())
            .build();
        let settings = Settings {
            cookie_secure: config.cookie_secure,
            public_origin: config.public_origin.clone(),
            trusted_proxies: config.trusted_proxies.clone(),
            sign_in: SignInLifetime::default(),
            max_session_ms: config.max_session_seconds.saturating_mul(1000),
        };
        let state = AppState {
            leptos_options,
            store: store.clone(),
            settings: Arc::new(settings),
        };
        Ok(Server {
            addr,
            store,
            listener,
            router: router(state),
        })
    }

    /// Serves until the process is asked to stop.
    pub async fn serve(self) -> std::io::Result<()> {
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown_signal())
        .await
    }
}

/// `cargo leptos build` names the browser's files by their content and writes the names in
/// `hash.txt` beside the binary; where that file is, pages ask for those names, and the
/// files may be cached for good. Without it (a test binary), the plain names.
fn built_with_hashed_names() -> bool {
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.join("hash.txt")))
        .is_some_and(|hashes| hashes.exists())
}

/// The app's route list, generated once per process. Generating it runs the app with resource
/// loading suppressed process-wide (a global flag in leptos_server), so a page rendering at
/// that moment in the same process would wait forever; once, before anything serves, is safe.
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

pub fn router(state: AppState) -> Router {
    let routes = route_list();
    let leptos_options = state.leptos_options.clone();
    // The pages (and their server functions), and the page that says one is not found: who
    // a page is for is resolved before it renders, after every refusal below.
    let pages = Router::new()
        .leptos_routes_with_context(
            &state,
            routes,
            request_owner::note_request_owner,
            move || shell(leptos_options.clone()),
        )
        .layer(axum::middleware::from_fn(
            request_owner::under_request_owner,
        ))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::note_page_viewer,
        ));
    Router::new()
        .route("/healthz", axum::routing::get(healthz))
        .route("/readyz", axum::routing::get(readyz))
        .route(
            app::model::LIVE_CHANNEL,
            axum::routing::get(live_channel::live),
        )
        .route(
            "/settings/impersonation/audit-log.csv",
            axum::routing::get(downloads::member_csv),
        )
        .route(
            "/settings/impersonation/audit-log.json",
            axum::routing::get(downloads::member_json),
        )
        .route(
            "/settings/impersonation/sessions/{session_id}/receipt.json",
            axum::routing::get(downloads::member_receipt),
        )
        .route(
            "/admin/activity/export.csv",
            axum::routing::get(downloads::activity_csv),
        )
        // The browser's files, precompressed where a release build made .br and .gz beside
        // them; content-named ones are cached for a year.
        .nest_service(
            "/pkg",
            ServeDir::new(format!("{}/pkg", state.leptos_options.site_root))
                .precompressed_br()
                .precompressed_gzip(),
        )
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::cache_hashed_files,
        ))
        .merge(pages)
        .layer(axum::middleware::from_fn(
            middleware::server_fn_error_status,
        ))
        // Every form in Actas is a few kilobytes; nobody may make the server buffer more.
        .layer(RequestBodyLimitLayer::new(MAX_REQUEST_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::refuse_cross_site,
        ))
        .layer(axum::middleware::from_fn(
            middleware::drop_foreign_form_errors,
        ))
        .layer(axum::middleware::from_fn(middleware::note_form_outcome))
        // A page, server function or download of a section the session does not allow.
        .layer(axum::middleware::from_fn(
            middleware::refuse_outside_sections,
        ))
        // Outside the refusals above, so that each refusal of a request made while acting
        // is recorded like any other answer.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::audit_while_acting,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::resolve_sign_in,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::note_client_address,
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("x-content-type-options"),
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("content-security-policy"),
            HeaderValue::from_static("frame-ancestors 'none'"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("referrer-policy"),
            HeaderValue::from_static("same-origin"),
        ))
        // A page or server function that has not answered by then never will: say so, rather
        // than hold the connection open.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_TIMEOUT,
        ))
        .layer(CatchPanicLayer::custom(middleware::panic_response))
        // Outside the limits, so the time limits inside count from the request's arrival.
        .layer(axum::middleware::from_fn(middleware::note_arrival))
        // One span a request, named by its id: every log line of the request carries it,
        // and the response says it, so a report can be matched to the logs.
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        // Outermost, so every layer inside reads bodies as they are (the action record reads
        // a refusal's words); server-sent events are never compressed, they must flow.
        .layer(CompressionLayer::new())
        .with_state(state)
}

/// `/healthz`: the process runs and answers.
async fn healthz() -> &'static str {
    "ok"
}

/// `/readyz`: the database answers and its migrations are applied; 503 if not, within two
/// seconds. The reason goes to the log, not to whoever asked.
async fn readyz(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let checked = tokio::time::timeout(Duration::from_secs(2), state.store.readiness()).await;
    match checked {
        Ok(Ok(())) => "ready".into_response(),
        Ok(Err(reason)) => {
            tracing::warn!(%reason, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "not ready").into_response()
        }
        Err(_) => {
            tracing::warn!("not ready: the database did not answer within 2 s");
            (StatusCode::SERVICE_UNAVAILABLE, "not ready").into_response()
        }
    }
}

/// The span every log line of one request sits in.
fn request_span(request: &http::Request<axum::body::Body>) -> tracing::Span {
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|id| id.to_str().ok())
        .unwrap_or_default();
    tracing::info_span!(
        "request",
        id = %request_id,
        method = %request.method(),
        path = %request.uri().path(),
    )
}

/// Creates the demo accounts if the database has no account yet, and prints their
/// credentials once. Returns whether it created them.
pub async fn create_demo_accounts(
    store: &Store,
    password: Option<&str>,
) -> Result<bool, StoreError> {
    // Hashing five passwords costs a noticeable moment: skip it on every start but the first.
    if store.has_users().await? {
        return Ok(false);
    }
    let accounts: Vec<(NewUser, String)> = DEMO_ACCOUNTS
        .iter()
        .map(|(email, name, role, impersonator)| {
            let password = password.map(str::to_string).unwrap_or_else(new_password);
            let user = NewUser {
                email: email.to_string(),
                name: name.to_string(),
                role: *role,
                password_hash: hash_password(&password),
                impersonator: *impersonator,
            };
            (user, password)
        })
        .collect();
    let users: Vec<NewUser> = accounts.iter().map(|(user, _)| user.clone()).collect();
    let created = store.seed_if_empty(&users, now_ms()).await?;
    if created {
        println!("Demo accounts created (shown only this once):");
        for (user, password) in &accounts {
            println!(
                "  {:<20} {:<14} {:<7} password: {password}",
                user.email,
                user.name,
                user.role.as_str()
            );
        }
    }
    Ok(created)
}

/// `actas verify-audit`: walks the audit chain, held to `anchor` when given; `Ok` is the
/// verified head (the next anchor), `Broken` names the first broken link.
pub async fn verify_audit(
    database_url: &str,
    anchor: Option<ChainAnchor>,
) -> Result<ChainAnchor, VerifyError> {
    let store = Store::open_existing(database_url).await?;
    store.verify_audit_chain(anchor).await
}

/// Why `actas verify-receipt` does not vouch for a receipt.
#[derive(Debug, thiserror::Error)]
pub enum ReceiptCheckError {
    #[error("{0}")]
    Receipt(#[from] ReceiptError),
    #[error("the audit log itself is broken: {0}")]
    Chain(BrokenLink),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// `actas verify-receipt FILE`: the receipt on its own (every hash recomputes, the events
/// link, each event's time and sentence are what it hashes), then against the log (every
/// event there byte for byte, the log not cut back below the receipt's head, that head still
/// in the chain, the session's header as Actas writes it from the session's record, and every
/// event of the session up to that head in the receipt), then the whole chain, held to the
/// receipt's head. `Ok` is the number of the session's events checked.
pub async fn verify_receipt(database_url: &str, text: &str) -> Result<usize, ReceiptCheckError> {
    let receipt = receipt::parse(text)?;
    receipt::check_links(&receipt)?;
    receipt::check_readable(&receipt)?;
    let store = Store::open_existing(database_url).await?;
    let log = receipt::log_view(&store, &receipt, now_ms()).await?;
    receipt::compare(&receipt, &log)?;
    let anchor = ChainAnchor {
        seq: receipt.chain_head.seq,
        hash: receipt.chain_head.hash.clone(),
    };
    match store.verify_audit_chain(Some(anchor)).await {
        Ok(_) => Ok(receipt.events.len()),
        Err(VerifyError::Broken(link)) => Err(ReceiptCheckError::Chain(link)),
        Err(VerifyError::Store(error)) => Err(error.into()),
    }
}

/// `actas create-owner`: an owner account, created by the system (no one signed in), and
/// the full address of its one-time `Set password` link.
pub async fn create_owner(
    config: &Config,
    email: &str,
    name: &str,
) -> Result<String, app::ssr::people::PeopleError> {
    let store = Store::connect(&config.database_url).await?;
    let link = app::ssr::people::add_user(&store, None, name, email, "owner", now_ms()).await?;
    Ok(format!("{}{}", config.link_origin(), link.path))
}

/// `actas migrate`: creates the database if needed and applies its migrations.
pub async fn migrate(config: &Config) -> Result<(), StoreError> {
    Store::connect(&config.database_url).await.map(|_| ())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

#[cfg(test)]
mod tests {
    /// Every route the server answers itself (beside the pages and server functions, which
    /// `app`'s own test walks) has words in the member's log: read from this file's source,
    /// so a route added without them fails here.
    #[test]
    fn every_route_of_the_router_has_plain_words() {
        let source = include_str!("lib.rs");
        let source = &source[..source.find("#[cfg(test)]").expect("this module")];
        let mut paths = Vec::new();
        for (at, _) in source.match_indices(".route(") {
            let rest = &source[at..];
            let open = rest.find('"').expect("a path") + 1;
            let close = rest[open..].find('"').expect("its end") + open;
            // `{session_id}` and the like stand for a number.
            let path: Vec<&str> = rest[open..close]
                .split('/')
                .map(|part| if part.starts_with('{') { "1" } else { part })
                .collect();
            paths.push(path.join("/"));
        }
        assert!(paths.len() >= 7, "found only {paths:?}");
        for path in &paths {
            assert!(
                app::ssr::plain_words::request(path).is_some(),
                "no words in plain_words::request for the route {path}"
            );
        }
    }
}
