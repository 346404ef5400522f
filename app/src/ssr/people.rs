//! People (SPEC.md §1), orchestrated: an owner adds accounts, changes roles, suspends,
//! reinstates, deletes and resets passwords; staff sign a member out everywhere; a `Set
//! password` link sets a password once; `actas create-owner` makes the first owner. The rules
//! are in `owner_rules` and `password_policy`, judged by the store under its write lock.

use super::authentication::EmailAddress;
use super::credentials::{hash_password, hashing, new_token, token_digest};
use super::member_fields::PersonName;
use super::owner_rules::{check_deletion, OwnerRefusal};
use super::password_policy::{
    check_link, LinkRefusal, NewPassword, PasswordRefusal, PASSWORD_LINK_VALID_MS,
};
use super::store::{
    AddUserError, Deleter, NewAccount, NewLink, OwnerActionError, Store, StoreError, UseLinkError,
};
use crate::model::{IssuedLink, Role, UserSummary};

/// Why a change to people was not made.
#[derive(Debug, thiserror::Error)]
pub enum PeopleError {
    #[error(transparent)]
    Refused(#[from] OwnerRefusal),
    #[error("{0}")]
    InvalidName(String),
    #[error("{0}")]
    InvalidEmail(&'static str),
    #[error("Choose a role: member, admin or owner.")]
    UnknownRole,
    #[error("An account with this email already exists.")]
    EmailTaken,
    #[error(transparent)]
    Link(#[from] LinkRefusal),
    #[error(transparent)]
    Password(#[from] PasswordRefusal),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<OwnerActionError> for PeopleError {
    fn from(error: OwnerActionError) -> Self {
        match error {
            OwnerActionError::Refused(refusal) => refusal.into(),
            // Only a member's own deletion checks credentials; owners' changes never do.
            OwnerActionError::CredentialsChanged => OwnerRefusal::OwnAccount.into(),
            OwnerActionError::Store(error) => error.into(),
        }
    }
}

impl From<AddUserError> for PeopleError {
    fn from(error: AddUserError) -> Self {
        match error {
            AddUserError::Refused(refusal) => refusal.into(),
            AddUserError::EmailTaken => PeopleError::EmailTaken,
            AddUserError::Store(error) => error.into(),
        }
    }
}

impl From<UseLinkError> for PeopleError {
    fn from(error: UseLinkError) -> Self {
        match error {
            UseLinkError::Refused(refusal) => refusal.into(),
            UseLinkError::Store(error) => error.into(),
        }
    }
}

/// A role as a form sends it.
pub fn parse_role(text: &str) -> Result<Role, PeopleError> {
    Role::parse(text.trim()).ok_or(PeopleError::UnknownRole)
}

/// A new link: its token goes into the path shown once, only its digest into the database.
fn new_link(email: &str, now: i64) -> (NewLink, IssuedLink) {
    let token = new_token();
    let expires_at = now + PASSWORD_LINK_VALID_MS;
    let stored = NewLink {
        token_digest: token_digest(&token),
        expires_at,
    };
    let shown = IssuedLink {
        path: format!("/set-password?token={token}"),
        expires_at,
        email: email.to_string(),
    };
    (stored, shown)
}

/// `Add user` (by an owner), or the first owner from the command line (`by` is `None`):
/// the account and its one-time `Set password` link.
#[tracing::instrument(skip_all, fields(by = by))]
pub async fn add_user(
    store: &Store,
    by: Option<i64>,
    name: &str,
    email: &str,
    role: &str,
    now: i64,
) -> Result<IssuedLink, PeopleError> {
    let name = PersonName::parse(name).map_err(PeopleError::InvalidName)?;
    let email = EmailAddress::parse(email).map_err(PeopleError::InvalidEmail)?;
    let role = parse_role(role)?;
    let (stored, shown) = new_link(email.as_str(), now);
    let account = NewAccount {
        email: email.as_str().to_string(),
        name: name.as_str().to_string(),
        role,
    };
    store.add_user(by, &account, &stored, now).await?;
    Ok(shown)
}

/// `Reset password`: a new link; the old password stops working and the sign-ins end.
pub async fn reset_password(
    store: &Store,
    owner_id: i64,
    user_id: i64,
    now: i64,
) -> Result<IssuedLink, PeopleError> {
    let (stored, mut shown) = new_link("", now);
    store
        .reset_password(owner_id, user_id, &stored, now)
        .await?;
    shown.email = store.user_email(user_id).await?.unwrap_or_default();
    Ok(shown)
}

/// `Delete account`, by an owner.
pub async fn delete_account(
    store: &Store,
    owner_id: i64,
    user_id: i64,
    now: i64,
) -> Result<(), PeopleError> {
    store
        .delete_account(Deleter::Owner(owner_id), user_id, check_deletion, now)
        .await?;
    Ok(())
}

/// The account a link sets a password for, if the link still works (the page shows whose).
pub async fn link_holder(store: &Store, token: &str, now: i64) -> Result<UserSummary, PeopleError> {
    let found = store.password_link(&token_digest(token.trim())).await?;
    let found = found.filter(|link| link.user.status == crate::model::UserStatus::Active);
    check_link(found.as_ref().map(|link| link.state()), now)?;
    found
        .map(|link| link.user)
        .ok_or(LinkRefusal::NotValid.into())
}

/// `/set-password`: the new password twice, for the account the link was issued for; the
/// link is used up at once.
#[tracing::instrument(skip_all)]
pub async fn set_password(
    store: &Store,
    token: &str,
    password: &str,
    repeated: &str,
    now: i64,
) -> Result<UserSummary, PeopleError> {
    let holder = link_holder(store, token, now).await?;
    let password = NewPassword::parse(password, repeated, &holder.email)?;
    let password = password.as_str().to_string();
    let hash = hashing(move || hash_password(&password)).await;
    Ok(store
        .use_password_link(&token_digest(token.trim()), &hash, now)
        .await?)
}
