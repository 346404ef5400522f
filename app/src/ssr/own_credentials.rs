//! `Sign-in settings` (SPEC.md §6): a person's own password, email and sign-ins, and a
//! member's `Delete account`. Every change asks for the current password, and a wrong one
//! counts as a failed sign-in attempt (the same limits, the same record).

use super::authentication::{
    check_password, EmailAddress, SignInError, SignedIn, MAX_PASSWORD_CHARS,
};
use super::credentials::{hash_password, hashing};
use super::owner_rules::OwnerRefusal;
use super::password_policy::{NewPassword, PasswordRefusal};
use super::store::{ChangeEmailError, Deleter, OwnerActionError, Store, StoreError};
use crate::model::{Role, SignInEntry, UserStatus};
use std::net::IpAddr;

/// What a member types to confirm `Delete account`.
pub const DELETE_CONFIRMATION: &str = "DELETE";

/// Why a change to one's own sign-in was not made.
#[derive(Debug, thiserror::Error)]
pub enum OwnChangeError {
    #[error("Enter your current password.")]
    CurrentPasswordMissing,
    #[error("Your current password is incorrect.")]
    WrongCurrentPassword,
    /// The limit was reached (or the store failed): said as sign-in says it.
    #[error(transparent)]
    CurrentPassword(SignInError),
    #[error("Your password or sign-in changed meanwhile. Sign in again and retry.")]
    CredentialsChanged,
    #[error(transparent)]
    NewPassword(#[from] PasswordRefusal),
    #[error("{0}")]
    InvalidEmail(&'static str),
    #[error("This is already your email address.")]
    SameEmail,
    #[error("An account with this email already exists.")]
    EmailTaken,
    #[error("Type DELETE to confirm that the account should be deleted.")]
    NotConfirmed,
    #[error("Only members can delete their own account; ask an owner.")]
    NotAMember,
    #[error("There is no such sign-in of yours (it may have ended already).")]
    NoSuchSignIn,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<ChangeEmailError> for OwnChangeError {
    fn from(error: ChangeEmailError) -> Self {
        match error {
            ChangeEmailError::EmailTaken => OwnChangeError::EmailTaken,
            ChangeEmailError::CredentialsChanged => OwnChangeError::CredentialsChanged,
            ChangeEmailError::Store(error) => error.into(),
        }
    }
}

impl From<SignInError> for OwnChangeError {
    fn from(error: SignInError) -> Self {
        match error {
            SignInError::WrongCredentials => OwnChangeError::WrongCurrentPassword,
            other => OwnChangeError::CurrentPassword(other),
        }
    }
}

/// The current password, right, or the change is refused; counted as a sign-in attempt and
/// taken back out of the limits when right. The hash it was checked against: the change is
/// made only while the account still has it.
async fn confirm_current(
    store: &Store,
    me: &SignedIn,
    current: String,
    address: Option<IpAddr>,
    now: i64,
) -> Result<String, OwnChangeError> {
    if current.is_empty() {
        return Err(OwnChangeError::CurrentPasswordMissing);
    }
    if current.chars().count() > MAX_PASSWORD_CHARS {
        return Err(OwnChangeError::WrongCurrentPassword);
    }
    let email = EmailAddress::parse(&me.user.email).map_err(OwnChangeError::InvalidEmail)?;
    let checked = check_password(store, &email, current, address, now).await?;
    store.release_attempt(&checked.attempt_id).await?;
    Ok(checked.password_hash)
}

/// `Change password`: the current one, then the new one twice; every other sign-in ends.
#[tracing::instrument(skip_all, fields(user_id = me.user.id))]
pub async fn change_password(
    store: &Store,
    me: &SignedIn,
    current: String,
    new: &str,
    repeated: &str,
    address: Option<IpAddr>,
    now: i64,
) -> Result<u64, OwnChangeError> {
    let new = NewPassword::parse(new, repeated, &me.user.email)?;
    let checked = confirm_current(store, me, current, address, now).await?;
    let password = new.as_str().to_string();
    let hash = hashing(move || hash_password(&password)).await;
    store
        .change_password(me.user.id, &me.token_digest, &checked, &hash, now)
        .await?
        .ok_or(OwnChangeError::CredentialsChanged)
}

/// `Change email`: the current password, and an address no other account has.
#[tracing::instrument(skip_all, fields(user_id = me.user.id))]
pub async fn change_email(
    store: &Store,
    me: &SignedIn,
    current: String,
    new_email: &str,
    address: Option<IpAddr>,
    now: i64,
) -> Result<EmailAddress, OwnChangeError> {
    let email = EmailAddress::parse(new_email).map_err(OwnChangeError::InvalidEmail)?;
    if email.as_str() == me.user.email {
        return Err(OwnChangeError::SameEmail);
    }
    let checked = confirm_current(store, me, current, address, now).await?;
    store
        .change_email(me.user.id, &me.token_digest, &checked, email.as_str(), now)
        .await?;
    Ok(email)
}

/// `Where you're signed in`: every sign-in of the person, this one marked.
pub async fn sign_ins(store: &Store, me: &SignedIn) -> Result<Vec<SignInEntry>, StoreError> {
    Ok(store
        .sign_ins_of(me.user.id)
        .await?
        .into_iter()
        .map(|listing| SignInEntry {
            this_browser: listing.token_digest == me.token_digest,
            browser: browser_summary(&listing.user_agent),
            handle: listing.handle,
            started_at: listing.created_at,
            last_seen_at: listing.last_seen_at,
            address: listing.address,
        })
        .collect())
}

/// `Sign out` one of the person's other sign-ins.
pub async fn sign_out_other(
    store: &Store,
    me: &SignedIn,
    handle: &str,
    now: i64,
) -> Result<(), OwnChangeError> {
    let ended = store
        .end_sign_in_by_handle(me.user.id, handle.trim(), &me.token_digest, now)
        .await?;
    ended.then_some(()).ok_or(OwnChangeError::NoSuchSignIn)
}

/// A member's `Delete account`: the current password and `DELETE` typed.
#[tracing::instrument(skip_all, fields(user_id = me.user.id))]
pub async fn delete_own_account(
    store: &Store,
    me: &SignedIn,
    current: String,
    confirmation: &str,
    address: Option<IpAddr>,
    now: i64,
) -> Result<(), OwnChangeError> {
    if me.user.role != Role::Member {
        return Err(OwnChangeError::NotAMember);
    }
    if confirmation.trim() != DELETE_CONFIRMATION {
        return Err(OwnChangeError::NotConfirmed);
    }
    let checked = confirm_current(store, me, current, address, now).await?;
    let by = Deleter::Themself {
        keep_digest: &me.token_digest,
        checked_hash: &checked,
    };
    let still_a_member = |facts: &crate::ssr::owner_rules::AccountFacts| match &facts.target {
        Some(target) if target.role == Role::Member && target.status != UserStatus::Deleted => {
            Ok(())
        }
        _ => Err(OwnerRefusal::NotAMember),
    };
    match store
        .delete_account(by, me.user.id, still_a_member, now)
        .await
    {
        Ok(()) => Ok(()),
        Err(OwnerActionError::Refused(_)) => Err(OwnChangeError::NotAMember),
        Err(OwnerActionError::CredentialsChanged) => Err(OwnChangeError::CredentialsChanged),
        Err(OwnerActionError::Store(error)) => Err(error.into()),
    }
}

/// A browser in a few words, from its `User-Agent`: `Firefox on Linux`, `Chrome on Android`.
/// Shown to the person so they recognise their devices; never trusted for anything.
pub fn browser_summary(user_agent: &str) -> String {
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chromium/", "Chromium"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
    ]
    .into_iter()
    .find(|(token, _)| user_agent.contains(token))
    .map(|(_, name)| name);
    let system = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .into_iter()
    .find(|(token, _)| user_agent.contains(token))
    .map(|(_, name)| name);
    match (browser, system) {
        (Some(browser), Some(system)) => format!("{browser} on {system}"),
        (Some(browser), None) => browser.to_string(),
        (None, Some(system)) => format!("A browser on {system}"),
        (None, None) => "An unknown browser".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::browser_summary;

    #[test]
    fn browsers_read_in_a_few_words() {
        assert_eq!(
            browser_summary(
                "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
            ),
            "Firefox on Linux"
        );
        assert_eq!(
            browser_summary("Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36"),
            "Chrome on Android"
        );
        assert_eq!(
            browser_summary("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari/605.1.15"),
            "Safari on macOS"
        );
        assert_eq!(browser_summary(""), "An unknown browser");
    }
}
