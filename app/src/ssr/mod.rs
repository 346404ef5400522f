//! Server-only code: the rules (plain functions, `now` passed in), the domain operations
//! that apply them against the store, and what every server function shares: settings, the
//! sign-in cookie, and who may ask for what.
//!
//! | module | holds |
//! |---|---|
//! | `impersonation_state` | the impersonation state machine: start rules, verdict, ends |
//! | `consent`, `access_requests`, `inbox`, `sign_in_limits`, `owner_rules`, `password_policy`, `member_fields` | the other rules |
//! | `impersonation`, `access`, `authentication` | domain operations: start/exit, access requests and the inbox, sign in/out |
//! | `people`, `own_credentials` | owners' changes to people; a person's own sign-in settings |
//! | `forwarded` | who the client is, behind a trusted proxy |
//! | `activity_filter`, `live_watch` | the activity log's query, the live channel's watch |
//! | `audit`, `action_record`, `redaction`, `hash_chain`, `audit_export` | the audit trail |
//! | `credentials`, `clock` | passwords and tokens; the one clock |
//! | `store` | the only code that speaks SQL |

pub mod access;
pub mod access_requests;
pub mod action_record;
pub mod activity_filter;
pub mod audit;
pub mod audit_export;
pub mod authentication;
pub mod clock;
pub mod consent;
pub mod credentials;
pub mod forwarded;
pub mod hash_chain;
pub mod impersonation;
pub mod impersonation_state;
pub mod inbox;
pub mod live_watch;
pub mod member_fields;
pub mod own_credentials;
pub mod owner_rules;
pub mod page_viewer;
pub mod password_policy;
pub mod people;
pub mod plain_words;
pub mod receipt;
pub mod redaction;
pub mod session_log;
pub mod sign_in_limits;
pub mod store;

pub use clock::now_ms;

use crate::error::AppError;
use authentication::SignedIn;
use axum::extract::FromRef;
use http::header::{HeaderMap, HeaderValue, COOKIE};
use leptos::prelude::*;
use sign_in_limits::SignInLifetime;
use std::sync::Arc;
use store::Store;

/// Runtime settings the server functions and middleware need.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Whether cookies carry `Secure` (everywhere but local development).
    pub cookie_secure: bool,
    /// The origin people use (`ACTAS_PUBLIC_ORIGIN`), when the app is behind a proxy.
    pub public_origin: Option<String>,
    /// Whose forwarding headers say who the client is (`ACTAS_TRUSTED_PROXIES`).
    pub trusted_proxies: forwarded::TrustedProxies,
    pub sign_in: SignInLifetime,
    /// The longest an impersonation session may last (`ACTAS_MAX_SESSION_SECONDS`).
    pub max_session_ms: i64,
}

/// Shared by every request: axum state, and context for server functions.
#[derive(Clone, Debug, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub store: Store,
    pub settings: Arc<Settings>,
}

impl Settings {
    /// Over HTTPS the cookie carries the `__Host-` prefix: browsers then accept it only with
    /// `Secure`, `Path=/` and no `Domain`, so no sibling subdomain can plant one.
    pub fn session_cookie_name(&self) -> &'static str {
        if self.cookie_secure {
            "__Host-actas_session"
        } else {
            "actas_session"
        }
    }
}

/// The `Set-Cookie` value for a sign-in token; `None` clears the cookie.
pub fn session_cookie(token: Option<&str>, settings: &Settings) -> HeaderValue {
    let (value, max_age) = match token {
        Some(token) => (token, settings.sign_in.max_ms / 1000),
        None => ("", 0),
    };
    let secure = if settings.cookie_secure {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}",
        name = settings.session_cookie_name()
    ))
    .expect("a hex token and fixed attributes make a valid header")
}

/// Puts the sign-in cookie (or its removal, with `None`) on the response being made.
pub fn set_session_cookie(token: Option<&str>, settings: &Settings) {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.insert_header(http::header::SET_COOKIE, session_cookie(token, settings));
    }
}

/// The client's network address, as the server found it (behind a trusted proxy, the one
/// the proxy forwarded for; see `forwarded`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddress(pub std::net::IpAddr);

/// The network address the request came from.
pub fn client_address() -> Result<Option<std::net::IpAddr>, AppError> {
    let parts = request_parts()?;
    Ok(match parts.extensions.get::<ClientAddress>() {
        Some(client) => Some(client.0),
        None => parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|info| info.0.ip()),
    })
}

/// The browser's `User-Agent`, cut to what `Where you're signed in` shows.
pub fn request_user_agent() -> Result<String, AppError> {
    let parts = request_parts()?;
    let agent = parts
        .headers
        .get(http::header::USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    Ok(redaction::clean_text_within(agent, 300))
}

/// The sign-in token from the request's cookies, if any.
pub fn session_token(headers: &HeaderMap, settings: &Settings) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == settings.session_cookie_name() && !value.is_empty())
        .map(|(_, value)| value.to_string())
}

/// The application state, inside a server function or a server render.
pub fn app_state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the server function context");
        AppError::Internal
    })
}

/// The request being served.
pub fn request_parts() -> Result<http::request::Parts, AppError> {
    use_context::<http::request::Parts>().ok_or_else(|| {
        tracing::error!("request parts missing from the server function context");
        AppError::Internal
    })
}

/// The person behind the sign-in cookie, whatever state an impersonation of theirs is in.
pub fn request_person() -> Result<SignedIn, AppError> {
    request_parts()?
        .extensions
        .get::<SignedIn>()
        .cloned()
        .ok_or(AppError::SignInRequired)
}

/// Who made this request (the administrator, while acting). The one request that finds the
/// administrator's impersonation session ended is refused, saying why, so that nothing meant
/// for the member lands on the administrator's own account; the next is theirs. The one
/// exception is rendering their own user list (a GET or HEAD of a page, never a server function:
/// the server sends any other page there), which says why instead (`Me::session_ended`,
/// shown by `components::AdministratorNotices`).
pub fn signed_in() -> Result<SignedIn, AppError> {
    let parts = request_parts()?;
    let person = parts.extensions.get::<SignedIn>();
    if is_page_load(&parts.method, parts.uri.path()) {
        return person.cloned().ok_or(AppError::SignInRequired);
    }
    signed_in_as(person)
}

/// A browser loading a page (which changes nothing; a HEAD is answered as its GET), as
/// opposed to a server function, which is never reached by a GET but lives under `/api/`
/// either way.
pub fn is_page_load(method: &http::Method, path: &str) -> bool {
    matches!(*method, http::Method::GET | http::Method::HEAD) && !path.starts_with("/api/")
}

/// The record of this request when it is made while acting (the server's audit middleware
/// puts it there), for the change it asks for to write in its own transaction.
pub fn acting_request() -> Option<Arc<action_record::ActingRequest>> {
    use_context::<http::request::Parts>()?
        .extensions
        .get::<Arc<action_record::ActingRequest>>()
        .cloned()
}

pub use crate::model::NOT_WHILE_ACTING;

/// Who made this request, refused while they act as someone else.
pub fn not_while_acting() -> Result<SignedIn, AppError> {
    in_own_account(signed_in()?)
}

/// The member themself, never an administrator acting as them: consent and support codes
/// are for members only (staff accounts can never be impersonated, so they have none).
pub fn signed_in_member() -> Result<SignedIn, AppError> {
    as_member(not_while_acting()?)
}

/// Staff (admins and owners) in their own account: the admin pages.
pub fn signed_in_staff() -> Result<SignedIn, AppError> {
    as_staff(not_while_acting()?)
}

/// Owners in their own account: the allow-list and suspensions.
pub fn signed_in_owner() -> Result<SignedIn, AppError> {
    let current = not_while_acting()?;
    if current.user.role == crate::model::Role::Owner {
        Ok(current)
    } else {
        Err(owner_rules::OwnerRefusal::OwnersOnly.into())
    }
}

// The same checks for handlers outside Leptos (the exports), given the resolved sign-in.

pub fn signed_in_as(person: Option<&SignedIn>) -> Result<SignedIn, AppError> {
    let person = person.cloned().ok_or(AppError::SignInRequired)?;
    match person.ended {
        Some(reason) => Err(AppError::Forbidden(format!(
            "Your impersonation session has ended ({}). You are back in your own account.",
            reason.as_str()
        ))),
        None => Ok(person),
    }
}

pub fn in_own_account(person: SignedIn) -> Result<SignedIn, AppError> {
    if person.acting.is_some() {
        return Err(AppError::Forbidden(NOT_WHILE_ACTING.into()));
    }
    Ok(person)
}

pub fn as_member(person: SignedIn) -> Result<SignedIn, AppError> {
    if person.user.role == crate::model::Role::Member {
        Ok(person)
    } else {
        Err(members_only())
    }
}

pub fn as_staff(person: SignedIn) -> Result<SignedIn, AppError> {
    if sign_in_limits::may_view_admin_pages(person.user.role) {
        Ok(person)
    } else {
        Err(AppError::Forbidden(
            "This page is for administrators.".into(),
        ))
    }
}

/// Consent and the member's account belong to members: staff accounts are never impersonated.
fn members_only() -> AppError {
    AppError::Forbidden("This page is for members: staff accounts cannot be impersonated.".into())
}

/// The member account a request works on, and who is working on it.
#[derive(Clone, Debug)]
pub struct Effective {
    pub owner: crate::model::UserSummary,
    pub by: audit::By,
    /// The session's scope while an administrator acts; `None` for the member themself.
    pub scope: Option<crate::model::Scope>,
    /// The sections the session allows while an administrator acts; `None` for the member.
    pub sections: Option<crate::model::Sections>,
}

impl Effective {
    /// Changes are refused in a `View only` session.
    pub fn may_change(&self) -> Result<(), AppError> {
        if self.scope == Some(crate::model::Scope::ViewOnly) {
            return Err(AppError::Forbidden("View only session".into()));
        }
        Ok(())
    }
}

/// The member's own account, or the account of the member an administrator acts as, with
/// the member's permissions.
pub fn effective_member() -> Result<Effective, AppError> {
    let current = signed_in()?;
    let by = |impersonation_id| audit::By {
        actor_id: current.user.id,
        impersonation_id,
        request: acting_request(),
    };
    match &current.acting {
        Some(acting) => Ok(Effective {
            owner: acting.member.clone(),
            by: by(Some(acting.session_id)),
            scope: Some(acting.scope),
            sections: Some(acting.sections),
        }),
        None if current.user.role == crate::model::Role::Member => Ok(Effective {
            owner: current.user.clone(),
            by: by(None),
            scope: None,
            sections: None,
        }),
        None => Err(members_only()),
    }
}

/// `effective_member`, for a function of one of the member's sections: refused while an
/// administrator acts outside the sections granted. The server refuses such a request by its
/// path before it gets here (`refuse_outside_sections`); this holds as well when a page
/// rendered on the server calls the function in-process, whatever the page.
pub fn effective_member_in(section: crate::model::Section) -> Result<Effective, AppError> {
    let member = effective_member()?;
    if member
        .sections
        .is_some_and(|sections| !sections.allows(section))
    {
        return Err(AppError::Forbidden(crate::model::NOT_WITHIN_ACCESS.into()));
    }
    Ok(member)
}

/// The response header in which a server function says what it did (`say_done`); the server's
/// `note_form_outcome` moves it into the address of the page a plain form post goes back to,
/// as `__said`.
pub const DONE_SAYS: &str = "x-actas-done-says";

/// Says, for the page a plain form post goes back to, what this server function did: a name,
/// a number (`components::succeeded` reads it there).
pub fn say_done(words: &str) {
    let encoded = crate::components::encode_query_value(words);
    if let (Some(response), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(&encoded),
    ) {
        response.insert_header(http::HeaderName::from_static(DONE_SAYS), value);
    }
}

/// Sets the HTTP status of a page rendered on the server (a refusal, a missing page).
pub fn set_page_status(status: http::StatusCode) {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(status);
    }
}

impl From<store::StoreError> for AppError {
    fn from(error: store::StoreError) -> Self {
        if matches!(error, store::StoreError::SessionEnded) {
            return AppError::Forbidden(
                "Your impersonation session has ended. Nothing was changed.".into(),
            );
        }
        tracing::error!(%error, "store failure");
        AppError::Internal
    }
}

impl From<impersonation_state::StartRefusal> for AppError {
    fn from(refusal: impersonation_state::StartRefusal) -> Self {
        use impersonation_state::StartRefusal::*;
        match refusal {
            NotOnAllowList | ActorNotActive => AppError::Forbidden(refusal.to_string()),
            ReasonInvalid => AppError::field("reason", refusal),
            _ => AppError::Invalid(refusal.to_string()),
        }
    }
}

impl From<impersonation::StartError> for AppError {
    fn from(error: impersonation::StartError) -> Self {
        use impersonation::StartError::*;
        match error {
            NotWhileActing => AppError::Forbidden(NOT_WHILE_ACTING.into()),
            Refused(refusal) => refusal.into(),
            SupportCode(refusal) => AppError::field("support_code", refusal),
            TooManyAttempts { .. } => AppError::TooManyAttempts(error.to_string()),
            Store(error) => error.into(),
        }
    }
}

impl From<access::AccessError> for AppError {
    fn from(error: access::AccessError) -> Self {
        use access::AccessError::*;
        use access_requests::{AnswerRefusal as A, RequestRefusal as R};
        match error {
            NotWhileActing => AppError::Forbidden(NOT_WHILE_ACTING.into()),
            Request(R::NotAllowed) => AppError::Forbidden(error.to_string()),
            Request(R::ReasonInvalid) => AppError::field("reason", error),
            Request(R::TicketInvalid) => AppError::field("ticket", error),
            Request(R::HoursInvalid) => AppError::field("hours", error),
            Request(R::SectionsInvalid) => AppError::field("sections", error),
            Answer(A::HoursInvalid | A::Longer) => AppError::field("hours", error),
            Answer(A::MoreSections | A::SectionsInvalid) => AppError::field("sections", error),
            Answer(A::WiderScope | A::ScopeInvalid) => AppError::field("scope", error),
            Answer(A::MessageInvalid) => AppError::field("message", error),
            Store(error) => error.into(),
            _ => AppError::Invalid(error.to_string()),
        }
    }
}

impl From<impersonation::EndError> for AppError {
    fn from(error: impersonation::EndError) -> Self {
        match error {
            impersonation::EndError::Store(error) => error.into(),
            _ => AppError::Invalid(error.to_string()),
        }
    }
}

impl From<owner_rules::OwnerRefusal> for AppError {
    fn from(refusal: owner_rules::OwnerRefusal) -> Self {
        match refusal {
            owner_rules::OwnerRefusal::OwnersOnly => AppError::Forbidden(refusal.to_string()),
            _ => AppError::Invalid(refusal.to_string()),
        }
    }
}

impl From<store::OwnerActionError> for AppError {
    fn from(error: store::OwnerActionError) -> Self {
        match error {
            store::OwnerActionError::Refused(refusal) => refusal.into(),
            store::OwnerActionError::CredentialsChanged => AppError::Invalid(error.to_string()),
            store::OwnerActionError::Store(error) => error.into(),
        }
    }
}

impl From<people::PeopleError> for AppError {
    fn from(error: people::PeopleError) -> Self {
        use owner_rules::OwnerRefusal::{OwnersOnly, StaffOnly};
        match error {
            people::PeopleError::Refused(OwnersOnly | StaffOnly) => {
                AppError::Forbidden(error.to_string())
            }
            people::PeopleError::Store(error) => error.into(),
            people::PeopleError::InvalidName(_) => AppError::field("name", error),
            people::PeopleError::InvalidEmail(_) | people::PeopleError::EmailTaken => {
                AppError::field("email", error)
            }
            _ => AppError::Invalid(error.to_string()),
        }
    }
}

impl From<own_credentials::OwnChangeError> for AppError {
    fn from(error: own_credentials::OwnChangeError) -> Self {
        match error {
            own_credentials::OwnChangeError::CurrentPassword(error) => error.into(),
            own_credentials::OwnChangeError::Store(error) => error.into(),
            _ => AppError::Invalid(error.to_string()),
        }
    }
}

impl From<activity_filter::FilterError> for AppError {
    fn from(error: activity_filter::FilterError) -> Self {
        AppError::Invalid(error.to_string())
    }
}

impl From<activity_filter::ActivityQueryError> for AppError {
    fn from(error: activity_filter::ActivityQueryError) -> Self {
        match error {
            activity_filter::ActivityQueryError::Store(error) => error.into(),
            _ => AppError::Invalid(error.to_string()),
        }
    }
}

impl From<authentication::SignInError> for AppError {
    fn from(error: authentication::SignInError) -> Self {
        use authentication::SignInError::*;
        match error {
            InvalidEmail(_) | PasswordMissing | WrongCredentials | AccountNotActive => {
                AppError::Invalid(error.to_string())
            }
            TooManyAttempts { .. } | Slowed { .. } => AppError::TooManyAttempts(error.to_string()),
            Store(error) => error.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(cookie_secure: bool) -> Settings {
        Settings {
            cookie_secure,
            public_origin: None,
            trusted_proxies: Default::default(),
            sign_in: SignInLifetime::default(),
            max_session_ms: impersonation_state::DEFAULT_MAX_SESSION_MS,
        }
    }

    #[test]
    fn the_session_cookie_is_http_only_lax_and_secure_outside_development() {
        let cookie = session_cookie(Some("abc"), &settings(true));
        assert_eq!(
            cookie.to_str().unwrap(),
            "__Host-actas_session=abc; Path=/; HttpOnly; SameSite=Lax; Max-Age=43200; Secure"
        );
        let local = session_cookie(Some("abc"), &settings(false));
        assert!(!local.to_str().unwrap().contains("Secure"));
        assert!(session_cookie(None, &settings(false))
            .to_str()
            .unwrap()
            .contains("Max-Age=0"));
    }

    #[test]
    fn the_token_is_found_among_other_cookies() {
        let mut headers = HeaderMap::new();
        headers.append(
            COOKIE,
            HeaderValue::from_static("theme=dark; actas_session=t0k3n"),
        );
        assert_eq!(
            session_token(&headers, &settings(false)).as_deref(),
            Some("t0k3n")
        );
        assert_eq!(
            session_token(&headers, &settings(true)),
            None,
            "over HTTPS only __Host- counts"
        );
        let mut empty = HeaderMap::new();
        empty.append(COOKIE, HeaderValue::from_static("actas_session="));
        assert_eq!(session_token(&empty, &settings(false)), None);
    }
}
