//! SPEC.md §1, the owner's side: who may change the allow-list or suspend an account. Plain
//! functions over plain data; the store supplies the facts from inside its transaction.

use crate::model::{Role, UserStatus, UserSummary};

/// Why an owner's change to the allow-list or to an account was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OwnerRefusal {
    #[error("Only owners manage the allow-list and suspend accounts.")]
    OwnersOnly,
    #[error("There is no such account.")]
    NoSuchAccount,
    #[error("Only admin and owner accounts can hold the right to impersonate.")]
    NotStaff,
    #[error("Only active accounts can be given the right to impersonate.")]
    NotActive,
    #[error("This account already holds the right to impersonate.")]
    AlreadyGranted,
    #[error("This account does not hold the right to impersonate.")]
    NotGranted,
    #[error("Only member accounts can be suspended here.")]
    NotAMember,
    #[error("This account is already suspended.")]
    AlreadySuspended,
}

fn owner(actor: &UserSummary) -> Result<(), OwnerRefusal> {
    if actor.role == Role::Owner && actor.status == UserStatus::Active {
        Ok(())
    } else {
        Err(OwnerRefusal::OwnersOnly)
    }
}

/// An owner gives an active admin or owner the right to impersonate.
pub fn check_grant(
    actor: &UserSummary,
    target: Option<&UserSummary>,
    on_list: bool,
) -> Result<(), OwnerRefusal> {
    owner(actor)?;
    let target = target.ok_or(OwnerRefusal::NoSuchAccount)?;
    if !target.role.is_staff() {
        return Err(OwnerRefusal::NotStaff);
    }
    if target.status != UserStatus::Active {
        return Err(OwnerRefusal::NotActive);
    }
    if on_list {
        return Err(OwnerRefusal::AlreadyGranted);
    }
    Ok(())
}

/// An owner takes the right away (their own included).
pub fn check_removal(
    actor: &UserSummary,
    target: Option<&UserSummary>,
    on_list: bool,
) -> Result<(), OwnerRefusal> {
    owner(actor)?;
    target.ok_or(OwnerRefusal::NoSuchAccount)?;
    if !on_list {
        return Err(OwnerRefusal::NotGranted);
    }
    Ok(())
}

/// An owner suspends a member's account.
pub fn check_suspension(
    actor: &UserSummary,
    target: Option<&UserSummary>,
) -> Result<(), OwnerRefusal> {
    owner(actor)?;
    let target = target.ok_or(OwnerRefusal::NoSuchAccount)?;
    if target.role != Role::Member {
        return Err(OwnerRefusal::NotAMember);
    }
    if target.status != UserStatus::Active {
        return Err(OwnerRefusal::AlreadySuspended);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role, status: UserStatus) -> UserSummary {
        UserSummary {
            id: 7,
            name: "Someone".into(),
            email: "someone@example.com".into(),
            role,
            status,
        }
    }

    #[test]
    fn only_an_active_owner_changes_the_allow_list() {
        let admin = user(Role::Admin, UserStatus::Active);
        let owner_ = user(Role::Owner, UserStatus::Active);
        let suspended_owner = user(Role::Owner, UserStatus::Suspended);
        assert_eq!(check_grant(&owner_, Some(&admin), false), Ok(()));
        assert_eq!(
            check_grant(&admin, Some(&admin), false),
            Err(OwnerRefusal::OwnersOnly)
        );
        assert_eq!(
            check_removal(&suspended_owner, Some(&admin), true),
            Err(OwnerRefusal::OwnersOnly)
        );
        assert_eq!(check_removal(&owner_, Some(&owner_), true), Ok(()));
    }

    #[test]
    fn the_grant_goes_to_active_staff_not_yet_on_the_list() {
        let owner_ = user(Role::Owner, UserStatus::Active);
        let cases = [
            (None, false, Err(OwnerRefusal::NoSuchAccount)),
            (
                Some(user(Role::Member, UserStatus::Active)),
                false,
                Err(OwnerRefusal::NotStaff),
            ),
            (
                Some(user(Role::Admin, UserStatus::Suspended)),
                false,
                Err(OwnerRefusal::NotActive),
            ),
            (
                Some(user(Role::Admin, UserStatus::Active)),
                true,
                Err(OwnerRefusal::AlreadyGranted),
            ),
        ];
        for (target, on_list, expected) in cases {
            assert_eq!(check_grant(&owner_, target.as_ref(), on_list), expected);
        }
        assert_eq!(
            check_removal(&owner_, Some(&user(Role::Admin, UserStatus::Active)), false),
            Err(OwnerRefusal::NotGranted)
        );
    }

    #[test]
    fn only_active_members_can_be_suspended() {
        let owner_ = user(Role::Owner, UserStatus::Active);
        let member = user(Role::Member, UserStatus::Active);
        assert_eq!(check_suspension(&owner_, Some(&member)), Ok(()));
        assert_eq!(
            check_suspension(&user(Role::Admin, UserStatus::Active), Some(&member)),
            Err(OwnerRefusal::OwnersOnly)
        );
        assert_eq!(
            check_suspension(&owner_, Some(&user(Role::Admin, UserStatus::Active))),
            Err(OwnerRefusal::NotAMember)
        );
        assert_eq!(
            check_suspension(&owner_, Some(&user(Role::Member, UserStatus::Suspended))),
            Err(OwnerRefusal::AlreadySuspended)
        );
    }
}
