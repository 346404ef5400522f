//! What every request passes through before a page or server function sees it.

use app::components::{own_view_after, OWN_VIEW};
use app::error::AppError;
use app::model::{is_plain_path, section_of_path, section_page, NOT_WITHIN_ACCESS};
use app::ssr::action_record::{
    arguments_kept_whole, request_arguments, ActingRequest, RequestArguments,
};
use app::ssr::authentication::SignedIn;
use app::ssr::page_viewer;
use app::ssr::{
    authentication, is_page_load, now_ms, session_cookie, session_token, AppState, ClientAddress,
    NOT_WHILE_ACTING,
};
use app::Viewer;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::FutureExt;
use http::header::{ACCEPT, CONTENT_TYPE, HOST, LOCATION, ORIGIN, REFERER, SET_COOKIE};
use http::HeaderValue;
use http::{Method, StatusCode};
use leptos::server_fn::error::SERVER_FN_ERROR_HEADER;
use std::sync::Arc;
use std::time::Duration;

/// Refuses state changes that a browser made on behalf of another site.
///
/// Browsers say where a request comes from in `Sec-Fetch-Site`; older ones only in `Origin`,
/// which must then name this host. A request with neither comes from a program, not a
/// browser, so it carries no cookie it did not mean to send.
pub async fn refuse_cross_site(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let headers = request.headers();
    let header = |name| {
        headers
            .get(name)
            .and_then(|value: &http::HeaderValue| value.to_str().ok())
    };
    let same_site = match (header("sec-fetch-site"), header(ORIGIN.as_str())) {
        (Some(site), _) => site == "same-origin" || site == "none",
        (None, Some(origin)) => {
            // The public origin, when the app is behind a proxy that may rewrite `Host`.
            let origin_host = origin.split_once("://").map(|(_, host)| host);
            state.settings.public_origin.as_deref() == Some(origin)
                || (origin_host.is_some() && origin_host == header(HOST.as_str()))
        }
        (None, None) => true,
    };
    if same_site {
        next.run(request).await
    } else {
        tracing::warn!(path = %request.uri().path(), "refused a cross-site request");
        (StatusCode::FORBIDDEN, "Cross-site request refused.").into_response()
    }
}

// What a page's URL may carry about the form post that led to it: Leptos' `__path` and
// `__err` (which server function failed, and why), and our `__done` and `__said` (which
// succeeded, and what it said of itself, `app::ssr::say_done`).
use app::ssr::action_record::FORM_OUTCOME_FIELDS as FORM_OUTCOME;

/// A dialog the address asks to show (`dialog`, and the person it is `for`): once its form
/// succeeded, the page comes back without it.
const DIALOG_ASKED: [&str; 2] = ["dialog", "for"];

/// The name of a query pair, decoded as the pages read it (`%5F%5Ferr` is `__err`).
fn name_of(pair: &str) -> String {
    form_urlencoded::parse(pair.as_bytes())
        .next()
        .map(|(name, _)| name.into_owned())
        .unwrap_or_default()
}

fn is_form_outcome(pair: &str) -> bool {
    FORM_OUTCOME.contains(&name_of(pair).as_str())
}

fn asks_for_dialog(pair: &str) -> bool {
    DIALOG_ASKED.contains(&name_of(pair).as_str())
}

/// A page's URL may say how a form post went (`FORM_OUTCOME`), and the page shows it: an
/// error as an alert, a success in words. Only a redirect after our own form post may do
/// that: from anywhere else (a link in an email, another site, a typed URL) it is dropped, so
/// nobody can make our pages display words of their choosing. So is a dialog the address asks
/// for (`DIALOG_ASKED`): a link from elsewhere does not open `Delete account` over the list.
pub async fn drop_foreign_form_errors(request: Request, next: Next) -> Response {
    let query = request.uri().query().unwrap_or_default();
    let ours_only = |pair: &str| is_form_outcome(pair) || asks_for_dialog(pair);
    let carries_outcome = query.split('&').any(ours_only);
    let same_origin = request
        .headers()
        .get("sec-fetch-site")
        .is_some_and(|site| site == "same-origin");
    if request.method() != Method::GET || !carries_outcome || same_origin {
        return next.run(request).await;
    }
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| !ours_only(pair) && !pair.is_empty())
        .collect();
    let path = request.uri().path();
    axum::response::Redirect::to(&with_query(path, &kept)).into_response()
}

fn with_query(path: &str, pairs: &[&str]) -> String {
    if pairs.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", pairs.join("&"))
    }
}

/// A plain form post is answered with a redirect back to the page it was sent from. That
/// page's address then says how this post went, and only this one: a failure keeps the
/// `__path` and `__err` Leptos added (the last pair), a success gets `__done=<the server
/// function's path>` (and `__said`, what it said of itself) and loses the dialog it was sent
/// from; what an earlier post left in the address is dropped. A server function that sends the
/// browser elsewhere (sign-in to the start page) is left alone.
pub async fn note_form_outcome(request: Request, next: Next) -> Response {
    let back_to = (request.method() == Method::POST && request.uri().path().starts_with("/api/"))
        .then(|| {
            request
                .headers()
                .get(REFERER)?
                .to_str()
                .ok()
                .map(str::to_string)
        })
        .flatten();
    let server_function = request.uri().path().to_string();
    let mut response = next.run(request).await;
    let said = response.headers_mut().remove(app::ssr::DONE_SAYS);
    let Some(back_to) = back_to else {
        return response;
    };
    let page = |url: &str| {
        url.split_once('?')
            .map_or(url, |(page, _)| page)
            .to_string()
    };
    let location = response
        .headers()
        .get(LOCATION)
        .and_then(|location| location.to_str().ok())
        .filter(|location| page(location) == page(&back_to))
        .filter(|_| response.status().is_redirection());
    let Some(location) = location else {
        return response;
    };
    let (path, query) = location.split_once('?').unwrap_or((location, ""));
    let pairs: Vec<&str> = query.split('&').filter(|pair| !pair.is_empty()).collect();
    let last = |name: &str| {
        pairs
            .iter()
            .rev()
            .find(|pair| name_of(pair) == name)
            .copied()
    };
    let mut kept: Vec<&str> = pairs
        .iter()
        .copied()
        .filter(|pair| !is_form_outcome(pair))
        .collect();
    let done = format!("__done={server_function}");
    let said = said
        .as_ref()
        .and_then(|said| said.to_str().ok())
        .map(|said| format!("__said={said}"));
    match (last("__path"), last("__err")) {
        (Some(failed), Some(error)) => kept.extend([failed, error]),
        _ => {
            kept.retain(|pair| !asks_for_dialog(pair));
            kept.push(&done);
            kept.extend(said.as_deref());
        }
    }
    if let Ok(location) = HeaderValue::from_str(&with_query(path, &kept)) {
        response.headers_mut().insert(LOCATION, location);
    }
    response
}

/// Notes who the client is: the connection's peer, or behind a trusted proxy the address it
/// forwarded for. Limits, records and `Where you're signed in` all read it from here.
pub async fn note_client_address(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip());
    if let Some(peer) = peer {
        let headers = request.headers();
        // Read as bytes: a value a client made unreadable must not hide the entry a trusted
        // proxy appended to it, nor let a `Forwarded` header the proxy passed on be believed.
        let values = |name: &str| -> Vec<String> {
            headers
                .get_all(name)
                .iter()
                .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
                .collect()
        };
        let x_forwarded_for = values("x-forwarded-for");
        let forwarded = if headers.contains_key("x-forwarded-for") {
            Vec::new()
        } else {
            values("forwarded")
        };
        let x_forwarded_for: Vec<&str> = x_forwarded_for.iter().map(String::as_str).collect();
        let forwarded: Vec<&str> = forwarded.iter().map(String::as_str).collect();
        let client = state
            .settings
            .trusted_proxies
            .client(peer, &x_forwarded_for, &forwarded);
        request.extensions_mut().insert(ClientAddress(client));
    }
    next.run(request).await
}

/// Resolves the sign-in cookie into `SignedIn`, for pages and server functions to read from
/// the request's extensions. A cookie that no longer signs anyone in is cleared.
pub async fn resolve_sign_in(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    if is_static_asset(request.uri().path()) {
        return next.run(request).await;
    }
    let Some(token) = session_token(request.headers(), &state.settings) else {
        return next.run(request).await;
    };
    let resolved =
        authentication::resolve(&state.store, &state.settings.sign_in, &token, now_ms()).await;
    let signed_in = match resolved {
        Ok(signed_in) => signed_in,
        Err(error) => {
            tracing::error!(%error, "could not resolve a sign-in");
            return unavailable();
        }
    };
    let stale_cookie = signed_in.is_none();
    let rotated = signed_in
        .as_ref()
        .and_then(|person| person.rotated_token.clone());
    // A page loaded under a session that has just ended (a reload, a tab that missed the
    // live channel) takes the administrator to their own view, which says why (SPEC.md §3).
    let ended = signed_in.as_ref().and_then(|person| person.ended);
    let back_to_own_view = ended.filter(|_| {
        let path = request.uri().path();
        is_page_load(request.method(), path) && path != OWN_VIEW
    });
    if let Some(signed_in) = signed_in {
        request.extensions_mut().insert(signed_in);
    }
    let mut response = match back_to_own_view {
        Some(reason) => {
            axum::response::Redirect::to(&own_view_after(reason.as_str())).into_response()
        }
        None => next.run(request).await,
    };
    if let Some(token) = rotated.filter(|_| !response.headers().contains_key(SET_COOKIE)) {
        response
            .headers_mut()
            .append(SET_COOKIE, session_cookie(Some(&token), &state.settings));
    }
    // Clear a dead cookie, unless this very response signs someone in.
    if stale_cookie && !response.headers().contains_key(SET_COOKIE) {
        response
            .headers_mut()
            .append(SET_COOKIE, session_cookie(None, &state.settings));
    }
    response
}

/// The answer when the database cannot say who a request is from.
fn unavailable() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        "The service is unavailable. Please try again shortly.",
    )
        .into_response()
}

/// Resolves who a page is for (`page_viewer::resolve`) once, before it renders, into
/// `Viewer` in the request's extensions: every part of the page reads it from there at once.
/// It runs for pages only, after every refusal (`server::router`).
pub async fn note_page_viewer(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    // Server functions never render a page. Every other request here may (a page, or the
    // page that says there is none, whatever the method).
    if request.uri().path().starts_with("/api/") {
        return next.run(request).await;
    }
    let viewer = match request.extensions().get::<SignedIn>() {
        None => None,
        Some(person) => match page_viewer::resolve(&state.store, person, now_ms()).await {
            Ok(me) => Some(me),
            Err(error) => {
                tracing::error!(%error, "could not resolve who a page is for");
                return unavailable();
            }
        },
    };
    request.extensions_mut().insert(Viewer(viewer));
    next.run(request).await
}

/// Gives a refused server function the HTTP status its error stands for. The framework
/// answers every server-function error with 500; the error itself says which it is.
pub async fn server_fn_error_status(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    // A plain form post (no JavaScript) is answered with a redirect back to the form, the
    // error in its URL; that redirect must stay a redirect.
    let framework_default = response.status() == StatusCode::INTERNAL_SERVER_ERROR;
    if !framework_default || !response.headers().contains_key(SERVER_FN_ERROR_HEADER) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Some(bytes) = read_small_body(body).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong.").into_response();
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = error.status();
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Reads a refusal's body. Refusals are a few dozen bytes; anything over 64 KiB is not ours
/// to interpret (`None`).
async fn read_small_body(body: Body) -> Option<axum::body::Bytes> {
    axum::body::to_bytes(body, 64 * 1024).await.ok()
}

/// SPEC.md §5: every request an administrator makes while acting is an `action` event
/// (method, path, status, redacted arguments), refused and failed ones included. A change
/// writes the event in its own transaction (see `Store::commit_by`); anything else is recorded
/// here once its answer is known, before the answer leaves. If the record cannot be written,
/// the answer is withheld: nothing is done in a member's name off the record.
///
/// Everything that may refuse a request (cross-site, size, time) runs inside this layer, so
/// its refusal is on record too.
pub async fn audit_while_acting(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let acting = request.extensions().get::<SignedIn>().and_then(|person| {
        let acting = person.acting.as_ref()?;
        Some((person.user.id, acting.member.id, acting.session_id))
    });
    let Some((actor_id, member_id, session_id)) = acting else {
        return next.run(request).await;
    };
    // The outer timeout, counted from the request's arrival, answers 503 without a record;
    // this one stops the work in time to write it.
    let arrived = request
        .extensions()
        .get::<Arrived>()
        .map_or_else(tokio::time::Instant::now, |arrived| arrived.0);
    let deadline = arrived + crate::REQUEST_TIMEOUT - RECORD_TIME;
    let (mut parts, body) = request.into_parts();
    let body = tokio::time::timeout_at(
        deadline,
        axum::body::to_bytes(body, crate::MAX_REQUEST_BYTES),
    )
    .await;
    let is_form = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| {
            media
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    let query_only = || request_arguments(parts.uri.query(), b"");
    // The body to hand on, or the refusal that answers instead.
    let (arguments, body) = match body {
        Ok(Ok(body)) => {
            let arguments = request_arguments(parts.uri.query(), &body);
            if !body.is_empty() && !is_form {
                // Every form here is sent url-encoded, which is what the record reads.
                let refusal = (
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "Send forms as application/x-www-form-urlencoded.",
                );
                (arguments, Err(refusal))
            } else if !arguments_kept_whole(&arguments.fields) {
                let omitted = RequestArguments {
                    fields: serde_json::json!({ "omitted": "more than the audit log keeps", "bytes": body.len() }),
                    ..arguments
                };
                let refusal = (
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "This request carries more than the audit log can record, so it was not carried out.",
                );
                (omitted, Err(refusal))
            } else {
                (arguments, Ok(body))
            }
        }
        Ok(Err(error)) if is_over_limit(&error) => (
            query_only(),
            Err((StatusCode::PAYLOAD_TOO_LARGE, "The request is too large.")),
        ),
        Ok(Err(_)) => (
            query_only(),
            Err((StatusCode::BAD_REQUEST, "The request arrived incomplete.")),
        ),
        Err(_) => (
            query_only(),
            Err((
                StatusCode::REQUEST_TIMEOUT,
                "The request took too long to arrive.",
            )),
        ),
    };
    let accepts_html = parts
        .headers
        .get(ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.contains("text/html"));
    let record = Arc::new(ActingRequest::new(
        actor_id,
        member_id,
        session_id,
        parts.method.as_str(),
        parts.uri.path(),
        arguments,
        if accepts_html { 302 } else { 200 },
    ));
    let response = match body {
        Err(refusal) => refusal.into_response(),
        Ok(body) => {
            parts.extensions.insert(Arc::clone(&record));
            // A handler that panics or overruns would otherwise take this record with it.
            let answer = std::panic::AssertUnwindSafe(
                next.run(Request::from_parts(parts, Body::from(body))),
            )
            .catch_unwind();
            match tokio::time::timeout_at(deadline, answer).await {
                Ok(Ok(response)) => response,
                Ok(Err(panic)) => panic_response(panic),
                Err(_) => (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "This took too long and was stopped. Please try again.",
                )
                    .into_response(),
            }
        }
    };
    if record.is_recorded() {
        return response;
    }

    let status = response.status();
    let (response, refused) = refusal_words(response).await;
    match state
        .store
        .record(record.event(status.as_u16(), refused), now_ms())
        .await
    {
        Ok(_) => response,
        Err(error) => {
            tracing::error!(%error, "could not audit a request made while acting; withheld");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "This could not be recorded in the audit log, so it was not done. Please try again.",
            )
                .into_response()
        }
    }
}

/// SPEC.md §2, sections: while acting, every page, server function and download of a section
/// the session does not allow is refused with `Not within the access granted` (403), whatever
/// the request carries. This is the one place that judges it, by the request's path alone
/// (`model::section_of_path`), before any handler runs (but a section's page, which still
/// renders its frame, the refusal in its place); it sits inside `audit_while_acting`, so
/// every refusal is recorded.
pub async fn refuse_outside_sections(request: Request, next: Next) -> Response {
    let granted = request
        .extensions()
        .get::<SignedIn>()
        .and_then(|person| person.acting.as_ref())
        .map(|acting| acting.sections);
    let path = request.uri().path();
    let outside = granted
        .filter(|granted| !granted.is_all())
        .is_some_and(|granted| {
            // A path that names a section only once resolved (`/x/../payout`, `/%70ayout`) is
            // judged as the page router would read it: not at all, so it is refused.
            !is_plain_path(path)
                || section_of_path(path).is_some_and(|section| !granted.allows(section))
        });
    if !outside {
        return next.run(request).await;
    }
    tracing::warn!(path, "refused a request outside the sections granted");
    if !path.starts_with("/api/") {
        // A section's page itself (asked for, not posted to) is rendered in the frame, so the
        // banner and `Exit impersonation` stay: the page's place says the refusal
        // (`components::InSection`), and the server functions refuse its data themselves
        // (`effective_member_in`). Whatever it renders, the answer is this refusal, and is
        // recorded as one. Anything else of the section is refused here, unrendered.
        if request.method() != Method::GET || section_page(path).is_none() {
            return (StatusCode::FORBIDDEN, NOT_WITHIN_ACCESS).into_response();
        }
        let mut response = next.run(request).await;
        *response.status_mut() = StatusCode::FORBIDDEN;
        response
            .extensions_mut()
            .insert(RefusedWith(NOT_WITHIN_ACCESS));
        return response;
    }
    // A server function's refusal, as the page's client reads one.
    let error = AppError::Forbidden(NOT_WITHIN_ACCESS.into());
    let body = serde_json::to_vec(&error).unwrap_or_default();
    let mut response = (StatusCode::FORBIDDEN, body).into_response();
    response.headers_mut().insert(
        CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    if let Ok(value) = http::HeaderValue::from_str(path) {
        response.headers_mut().insert(SERVER_FN_ERROR_HEADER, value);
    }
    response
}

/// When a request arrived, noted before any other layer sees it: the time limits inside are
/// counted from it.
#[derive(Clone, Copy, Debug)]
pub struct Arrived(pub tokio::time::Instant);

pub async fn note_arrival(mut request: Request, next: Next) -> Response {
    request
        .extensions_mut()
        .insert(Arrived(tokio::time::Instant::now()));
    next.run(request).await
}

/// Of the request's time, what is kept for writing its record: a database busy enough to
/// make a request overrun is slow to take its record too.
const RECORD_TIME: Duration = Duration::from_secs(5);

/// Whether reading a body failed because it is over the size limit (not cut short).
fn is_over_limit(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = source {
        if error.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = error.source();
    }
    false
}

/// The words a response refuses with, for its record, where its body does not say them
/// plainly (a section's page, refused in the frame).
#[derive(Clone, Copy, Debug)]
struct RefusedWith(&'static str);

/// What a refused or failed request was told, for its record: the words it carries
/// (`RefusedWith`), a server function's error, or the words of a plain-text refusal. Any other
/// page refused while acting is one the administrator may not reach while acting.
async fn refusal_words(response: Response) -> (Response, Option<String>) {
    if let Some(RefusedWith(words)) = response.extensions().get::<RefusedWith>().copied() {
        return (response, Some(words.to_string()));
    }
    let status = response.status();
    let is_text = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/plain"));
    let server_fn_error = response.headers().contains_key(SERVER_FN_ERROR_HEADER);
    if server_fn_error || (is_text && (status.is_client_error() || status.is_server_error())) {
        let (parts, body) = response.into_parts();
        let bytes = read_small_body(body).await.unwrap_or_default();
        let words = if server_fn_error {
            serde_json::from_slice::<AppError>(&bytes)
                .ok()
                .map(|error| error.to_string())
        } else {
            Some(String::from_utf8_lossy(&bytes).into_owned())
        };
        return (Response::from_parts(parts, Body::from(bytes)), words);
    }
    let words = (status == StatusCode::FORBIDDEN).then(|| NOT_WHILE_ACTING.to_string());
    (response, words)
}

/// The site's own files (wasm, scripts, styles, icons): the same for everyone, so no sign-in
/// is resolved for them and fetching them is no action taken in a member's name.
/// Files under `/pkg/` named by their content never change: a browser keeps them a year
/// without asking again. Only when the names are hashed (`hash.txt` was found).
pub async fn cache_hashed_files(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    // wasm-bindgen's snippets keep their names whatever their content: not those.
    let path = request.uri().path();
    let hashed = state.leptos_options.hash_files
        && path.starts_with("/pkg/")
        && !path.starts_with("/pkg/snippets/");
    let mut response = next.run(request).await;
    if hashed && response.status() == StatusCode::OK {
        response.headers_mut().insert(
            http::header::CACHE_CONTROL,
            http::HeaderValue::from_static("public, max-age=31536000, immutable"),
        );
    }
    response
}

fn is_static_asset(path: &str) -> bool {
    path.starts_with("/pkg/") || path == "/favicon.ico" || path == "/favicon.svg"
}

/// A handler that panicked answers 500; the server goes on serving everyone else.
pub fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response<Body> {
    tracing::error!("a request handler panicked");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong on our side. Please try again.",
    )
        .into_response()
}
