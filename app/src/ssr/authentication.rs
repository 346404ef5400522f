//! Signing in and out, and resolving a sign-in cookie into the person behind it: the rules
//! of `sign_in_limits` applied against the store.

use super::action_record::ActingRequest;
use super::audit::{EventKind, NewEvent};
use super::credentials;
use super::impersonation::judge_session;
use super::impersonation_state::{EndReason, Trigger, Verdict};
use super::sign_in_limits::{self as rules, SignInEnded, SignInLifetime, SignInTimes};
use super::store::{self, AttemptRefused, LiveSessionRow, SignInRecord, Store, StoreError};
use crate::model::{Me, Scope, UserSummary};
use serde_json::json;
use std::net::IpAddr;

/// Longer passwords are refused before any hashing work is spent on them.
pub const MAX_PASSWORD_CHARS: usize = 1024;

/// An email address as typed, trimmed and lower-cased; only plausible addresses exist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(input: &str) -> Result<EmailAddress, &'static str> {
        let email = input.trim().to_lowercase();
        let plausible = email.len() <= 254
            && !email.chars().any(|c| c.is_whitespace() || c.is_control())
            && matches!(email.split_once('@'), Some((local, domain))
                if !local.is_empty() && domain.contains('.') && !domain.contains('@')
                    && !domain.starts_with('.') && !domain.ends_with('.'));
        if plausible {
            Ok(EmailAddress(email))
        } else {
            Err("Enter a valid email address, like name@example.com.")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The person behind a valid sign-in cookie, resolved once per request.
#[derive(Clone, Debug)]
pub struct SignedIn {
    pub token_digest: String,
    /// The person who signed in: during impersonation, the administrator (the actor).
    pub user: UserSummary,
    /// The member this request acts as, while an impersonation session is live.
    pub acting: Option<ActingAs>,
    /// The impersonation session this sign-in was acting in ended; this request is refused
    /// with the reason, and the next one is the administrator's own again.
    pub ended: Option<EndReason>,
    /// The sign-in's new token when this request rotated it (at the end of an impersonation);
    /// the response must carry it in the cookie.
    pub rotated_token: Option<String>,
}

/// The act-as marker, resolved and re-checked against the database for this request.
#[derive(Clone, Debug)]
pub struct ActingAs {
    pub session_id: i64,
    pub member: UserSummary,
    pub scope: Scope,
    /// The member's sections the session may reach.
    pub sections: crate::model::Sections,
    pub expires_at: i64,
}

impl SignedIn {
    pub fn me(&self) -> Me {
        Me {
            id: self.user.id,
            name: self.user.name.clone(),
            email: self.user.email.clone(),
            role: self.user.role,
            acting: None,
            support_acting: None,
            session_ended: self.ended.map(|reason| reason.as_str().to_string()),
            open_elsewhere: None,
            unread_notices: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("{0}")]
    InvalidEmail(&'static str),
    #[error("Enter your password.")]
    PasswordMissing,
    /// Unknown email or wrong password: deliberately the same answer.
    #[error("Email or password is incorrect.")]
    WrongCredentials,
    #[error("{}", rules::retry_message(*wait_ms))]
    TooManyAttempts { wait_ms: i64 },
    /// The account is being guessed at from many addresses, this one among those that failed.
    #[error("Too many attempts on this account. Try again in a few seconds.")]
    Slowed { wait_ms: i64 },
    #[error("This account is not active. Contact support.")]
    AccountNotActive,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An email and password as typed, checked before any hashing work is spent on them.
#[derive(Debug)]
pub struct Credentials {
    pub email: EmailAddress,
    password: String,
}

impl Credentials {
    pub fn parse(email: &str, password: String) -> Result<Credentials, SignInError> {
        let email = EmailAddress::parse(email).map_err(SignInError::InvalidEmail)?;
        if password.is_empty() {
            return Err(SignInError::PasswordMissing);
        }
        if password.chars().count() > MAX_PASSWORD_CHARS {
            return Err(SignInError::WrongCredentials);
        }
        Ok(Credentials { email, password })
    }
}

/// Where a sign-in attempt comes from.
#[derive(Clone, Copy, Debug, Default)]
pub struct Attempt<'a> {
    /// The client's network address, for the per-address limit.
    pub address: Option<IpAddr>,
    /// The sign-in this one replaces (signing in again), whose token digest it was.
    pub replaces: Option<&'a str>,
    /// The record of this request when it is made while acting.
    pub action: Option<&'a ActingRequest>,
    /// The browser's `User-Agent`, as sent (shown in `Where you're signed in`).
    pub user_agent: &'a str,
}

/// A successful sign-in: the token for the cookie and who it signs in.
#[derive(Debug)]
pub struct FreshSignIn {
    pub token: String,
    pub user: UserSummary,
}

/// Checks the password and starts a new sign-in session, replacing `replaces` if given (the
/// session id is rotated at every sign-in). Every refusal is audited as `sign_in_failed`.
/// Signing in again while acting ends the session; `action` records that request with it.
#[tracing::instrument(skip_all)]
pub async fn sign_in(
    store: &Store,
    credentials: Credentials,
    attempt: Attempt<'_>,
    now: i64,
) -> Result<FreshSignIn, SignInError> {
    let Credentials { email, password } = credentials;
    let checked = check_password(store, &email, password, attempt.address, now).await?;
    let user = checked.user;
    if !rules::may_sign_in(user.status) {
        let event = failed_event(&email, attempt.address, "account not active").subject(user.id);
        store.record(event, now).await?;
        return Err(SignInError::AccountNotActive);
    }

    let token = credentials::new_token();
    let event = NewEvent::new(EventKind::SignIn)
        .actor(user.id)
        .subject(user.id)
        // The browser in a few words (`Firefox on Linux`), never the whole User-Agent: the
        // member's log says where they signed in from without keeping a fingerprint.
        .detail(json!({
            "address": attempt.address.map(|a| a.to_string()),
            "browser": super::own_credentials::browser_summary(attempt.user_agent),
        }));
    let digest = credentials::token_digest(&token);
    let address = attempt.address.map(|a| a.to_string()).unwrap_or_default();
    let sign_in = store::NewSignIn {
        user_id: user.id,
        checked_hash: &checked.password_hash,
        token_digest: &digest,
        user_agent: attempt.user_agent,
        address: &address,
    };
    let started = store
        .start_sign_in(
            &sign_in,
            attempt.replaces,
            &checked.attempt_id,
            event,
            attempt.action,
            now,
        )
        .await?;
    if !started {
        // The password was changed or reset, or the account closed, while it was checked.
        return Err(SignInError::WrongCredentials);
    }
    Ok(FreshSignIn { token, user })
}

/// A password that was right: whose it is, and the attempt that was counted for it, which the
/// caller takes back out of the limits (in the transaction of what it was for).
pub struct CheckedPassword {
    pub user: UserSummary,
    pub attempt_id: String,
    /// The hash the password was checked against: what it allows is done only while the
    /// account still has this very hash (a reset or change in between refuses it).
    pub password_hash: String,
}

/// Judges a password for the account with `email`, counted against the sign-in limits before
/// it is judged, so guesses sent at once cannot slip past them. Every refusal is recorded as
/// `sign_in_failed`; the answer never says whether the account exists.
pub async fn check_password(
    store: &Store,
    email: &EmailAddress,
    password: String,
    address: Option<IpAddr>,
    now: i64,
) -> Result<CheckedPassword, SignInError> {
    let attempt_id = credentials::new_token();
    let buckets = rules::sign_in_buckets(email.as_str(), address);
    let judge = |used: &[rules::BucketUse]| rules::judge_sign_in(used, now);
    let reserved = store
        .reserve_attempt(&buckets, &attempt_id, judge, now)
        .await;
    if let Err(refused) = reserved {
        let (bucket, wait_ms, first_in_window, refused_before) = match refused {
            AttemptRefused::TooManyAttempts {
                bucket,
                wait_ms,
                first_in_window,
                refused_before,
            } => (bucket, wait_ms, first_in_window, refused_before),
            AttemptRefused::Store(error) => return Err(error.into()),
        };
        // Recorded once a window, with how many the window before refused: strangers cannot
        // grow the log with refusals. About the account, when there is one: its owner sees
        // the lock-out in their log.
        if first_in_window {
            let mut event = failed_event(email, address, "too many attempts");
            event.detail["limit"] = json!(buckets[bucket].key.split(':').next());
            event.detail["refused_in_the_window_before"] = json!(refused_before);
            event.subject_id = store.user_id_by_email(email.as_str()).await?;
            store.record(event, now).await?;
        }
        return Err(if bucket == 0 {
            SignInError::Slowed { wait_ms }
        } else {
            SignInError::TooManyAttempts { wait_ms }
        });
    }

    let account = store.credentials_by_email(email.as_str()).await?;
    let known_id = account.as_ref().map(|account| account.user.id);
    // An account without a password yet (new, or reset) costs the same time as any other.
    let account = account.filter(|account| account.password_hash != store::NO_PASSWORD);
    let user = match account {
        Some(account) => {
            let hash = account.password_hash.clone();
            let ok =
                credentials::hashing(move || credentials::verify_password(&password, &hash)).await;
            ok.then_some((account.user, account.password_hash))
        }
        None => {
            credentials::hashing(move || credentials::verify_against_nothing(&password)).await;
            None
        }
    };
    let Some((user, password_hash)) = user else {
        let mut event = failed_event(email, address, "wrong email or password");
        event.subject_id = known_id;
        store.record(event, now).await?;
        return Err(SignInError::WrongCredentials);
    };
    Ok(CheckedPassword {
        user,
        attempt_id,
        password_hash,
    })
}

fn failed_event(email: &EmailAddress, address: Option<IpAddr>, reason: &str) -> NewEvent {
    NewEvent::new(EventKind::SignInFailed).detail(json!({
        "email": email.as_str(),
        "address": address.map(|a| a.to_string()),
        "reason": reason,
    }))
}

/// Resolves a sign-in cookie's token. An expired sign-in, or one whose account is no longer
/// active, is ended here (and audited once) and resolves to nobody.
pub async fn resolve(
    store: &Store,
    lifetime: &SignInLifetime,
    token: &str,
    now: i64,
) -> Result<Option<SignedIn>, StoreError> {
    let presented = credentials::token_digest(token);
    let Some((record, live)) = store.sign_in_at(&presented, now).await? else {
        return Ok(None);
    };
    let token_digest = record.token_digest.clone();
    if let Some(reason) = sign_in_ended(&record, lifetime, now) {
        let event = NewEvent::new(EventKind::SignOut)
            .actor(record.user.id)
            .subject(record.user.id)
            .detail(json!({"reason": reason}));
        // A suspended administrator lost the right; otherwise their sign-in simply ended.
        let ends = record
            .impersonation_id
            .map(|session_id| Trigger::SignInEnded {
                session_id,
                still_active: rules::may_sign_in(record.user.status),
            });
        store
            .end_sign_in(&token_digest, ends, Some(event), None, now)
            .await?;
        return Ok(None);
    }
    if lifetime.should_touch(sign_in_times(&record), now) {
        store.touch_sign_in(&token_digest, now).await?;
    }
    let (acting, ended) = match live {
        None => (None, None),
        Some(live) => resolve_acting(store, live, now).await?,
    };
    // Leaving a session the marker is cleared and the sign-in gets a new id. Of several
    // requests finding the end at once, the one that rotates carries the new token; the
    // others leave the cookie alone, and the browser keeps the one that was set.
    let mut rotated_token = None;
    let mut token_digest = token_digest;
    if record.impersonation_id.is_some() && acting.is_none() {
        let token = credentials::new_token();
        let new_digest = credentials::token_digest(&token);
        if store.clear_marker(&token_digest, &new_digest, now).await? {
            rotated_token = Some(token);
            token_digest = new_digest;
        } else {
            // Another request rotated it first: this one goes on under the sign-in's new id.
            match store.sign_in_record(&presented, now).await? {
                Some(current) => token_digest = current.token_digest,
                None => return Ok(None),
            }
        }
    }
    Ok(Some(SignedIn {
        token_digest,
        rotated_token,
        user: record.user,
        acting,
        ended,
    }))
}

fn sign_in_times(record: &SignInRecord) -> SignInTimes {
    SignInTimes {
        created_at: record.created_at,
        last_seen_at: record.last_seen_at,
    }
}

/// Why a sign-in no longer stands at `now`, if it does not.
fn sign_in_ended(
    record: &SignInRecord,
    lifetime: &SignInLifetime,
    now: i64,
) -> Option<&'static str> {
    match lifetime.check(sign_in_times(record), now) {
        Err(SignInEnded::TooOld) => Some("sign-in expired"),
        Err(SignInEnded::Idle) => Some("idle timeout"),
        Ok(()) if !rules::may_sign_in(record.user.status) => Some("account not active"),
        Ok(()) => None,
    }
}

/// Until when the sign-in behind `token_digest` stands unless a request renews it, for a
/// connection that outlives the request that opened it (the live channel); `None` when it no
/// longer stands. Ending and recording it is left to the next request, which `resolve`s it.
pub async fn signed_in_until(
    store: &Store,
    lifetime: &SignInLifetime,
    token_digest: &str,
    now: i64,
) -> Result<Option<i64>, StoreError> {
    Ok(store
        .sign_in_record(token_digest, now)
        .await?
        .filter(|record| sign_in_ended(record, lifetime, now).is_none())
        .map(|record| lifetime.expires_at(sign_in_times(&record))))
}

/// Judges the session a sign-in acts in, as read with the sign-in for this request. A session
/// found ended (now, or earlier by another action) is recorded once and its marker cleared.
async fn resolve_acting(
    store: &Store,
    live: LiveSessionRow,
    now: i64,
) -> Result<(Option<ActingAs>, Option<EndReason>), StoreError> {
    let session_id = live.session.id;
    Ok(match judge_session(store, live, now).await? {
        (live, Verdict::Live) => {
            let acting = ActingAs {
                session_id,
                member: live.target,
                scope: live.session.scope,
                sections: live.session.sections,
                expires_at: live.session.expires_at,
            };
            (Some(acting), None)
        }
        (_, Verdict::Ended(reason) | Verdict::EndsNow(reason)) => (None, Some(reason)),
    })
}

/// Signs out: ends the sign-in session, audited once. While acting, the impersonation
/// session ends with it (`actor signed out`), in the same transaction as the request's
/// `action` record.
pub async fn sign_out(
    store: &Store,
    signed_in: &SignedIn,
    action: Option<&ActingRequest>,
    now: i64,
) -> Result<(), StoreError> {
    let event = NewEvent::new(EventKind::SignOut)
        .actor(signed_in.user.id)
        .subject(signed_in.user.id)
        .detail(json!({"reason": "signed out"}));
    let ends = signed_in
        .acting
        .as_ref()
        .map(|acting| Trigger::SignInEnded {
            session_id: acting.session_id,
            still_active: true,
        });
    store
        .end_sign_in(&signed_in.token_digest, ends, Some(event), action, now)
        .await?;
    Ok(())
}

/// Where a person lands after signing in, unless they were on their way somewhere.
pub fn landing_path(user: &UserSummary, next: Option<&str>) -> String {
    next.filter(|path| is_local_path(path))
        .unwrap_or(user.role.start_page())
        .to_string()
}

/// Only paths on this site: `/x`, never `//host` or `/\host` (which browsers treat as another site).
fn is_local_path(path: &str) -> bool {
    // A form error in the destination would be shown there as if our server had said it.
    let carries_form_error = path.contains("__err") || path.contains("__path");
    !carries_form_error
        && path.starts_with('/')
        && !path.starts_with("//")
        && !path.starts_with("/\\")
        && !path.chars().any(|c| c.is_control() || c == '\\')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Role, UserStatus};

    #[test]
    fn emails_are_trimmed_lower_cased_and_must_be_plausible() {
        assert_eq!(
            EmailAddress::parse("  Mia@Example.COM ").unwrap().as_str(),
            "mia@example.com"
        );
        for bad in [
            "",
            "mia",
            "mia@",
            "@example.com",
            "mia@example",
            "mia@@example.com",
            "m ia@example.com",
            "mia@.com",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(EmailAddress::parse(&format!("{}@example.com", "a".repeat(250))).is_err());
    }

    #[test]
    fn people_land_on_their_own_page_and_never_on_another_site() {
        let member = UserSummary {
            id: 1,
            name: "Mia".into(),
            email: "mia@example.com".into(),
            role: Role::Member,
            status: UserStatus::Active,
        };
        let admin = UserSummary {
            role: Role::Admin,
            ..member.clone()
        };
        assert_eq!(landing_path(&member, None), "/account");
        assert_eq!(landing_path(&admin, None), "/admin/users");
        assert_eq!(landing_path(&admin, Some("/account")), "/account");
        for hostile in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "/a\nb",
            "/account?__path=/api/x&__err=e30",
        ] {
            assert_eq!(
                landing_path(&member, Some(hostile)),
                "/account",
                "{hostile:?}"
            );
        }
    }
}
