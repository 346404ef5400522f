//! SPEC.md §1, the owner's side: who may change the allow-list and people's accounts (role,
//! suspension, deletion, password links), and staff's `Sign out everywhere`. Plain functions
//! over plain data; the store supplies the facts from inside its transaction.

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
    #[error("This is only done for member accounts.")]
    NotAMember,
    #[error("This account is already suspended.")]
    AlreadySuspended,
    #[error("This account is not suspended.")]
    NotSuspended,
    #[error("This account has been deleted.")]
    Deleted,
    #[error("You cannot do this to your own account.")]
    OwnAccount,
    #[error("This is the last active owner: make someone else an owner first.")]
    LastOwner,
    #[error("This account already has that role.")]
    SameRole,
    #[error("Only staff can sign a member out everywhere.")]
    StaffOnly,
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

/// The facts an owner's change to an account is judged on, read under the write lock.
#[derive(Clone, Debug)]
pub struct AccountFacts {
    pub actor: UserSummary,
    pub target: Option<UserSummary>,
    /// How many owners are active, the target included if it is one.
    pub active_owners: i64,
}

impl AccountFacts {
    /// The account, if an active owner other than its holder may change it at all.
    fn changeable(&self) -> Result<&UserSummary, OwnerRefusal> {
        owner(&self.actor)?;
        let target = self.target.as_ref().ok_or(OwnerRefusal::NoSuchAccount)?;
        if target.status == UserStatus::Deleted {
            return Err(OwnerRefusal::Deleted);
        }
        Ok(target)
    }

    /// Whether the target is the one active owner left: the platform always keeps one.
    fn is_last_owner(&self, target: &UserSummary) -> bool {
        target.role == Role::Owner && target.status == UserStatus::Active && self.active_owners <= 1
    }

    /// The rules every change that takes power away shares: never the last owner, never
    /// oneself.
    fn removable(&self) -> Result<&UserSummary, OwnerRefusal> {
        let target = self.changeable()?;
        if self.is_last_owner(target) {
            return Err(OwnerRefusal::LastOwner);
        }
        if target.id == self.actor.id {
            return Err(OwnerRefusal::OwnAccount);
        }
        Ok(target)
    }
}

/// `Change role`: an owner gives someone else another role; the last owner keeps theirs.
pub fn check_role_change(facts: &AccountFacts, role: Role) -> Result<(), OwnerRefusal> {
    let target = facts.changeable()?;
    if target.role == role {
        return Err(OwnerRefusal::SameRole);
    }
    if role != Role::Owner {
        facts.removable()?;
    } else if target.id == facts.actor.id {
        return Err(OwnerRefusal::OwnAccount);
    }
    Ok(())
}

/// `Suspend`: anyone but oneself and the last active owner.
pub fn check_suspension(facts: &AccountFacts) -> Result<(), OwnerRefusal> {
    let target = facts.removable()?;
    if target.status == UserStatus::Suspended {
        return Err(OwnerRefusal::AlreadySuspended);
    }
    Ok(())
}

/// `Reinstate`: a suspended account becomes active again.
pub fn check_reinstatement(facts: &AccountFacts) -> Result<(), OwnerRefusal> {
    let target = facts.changeable()?;
    if target.status != UserStatus::Suspended {
        return Err(OwnerRefusal::NotSuspended);
    }
    Ok(())
}

/// `Delete account`: anyone but oneself and the last active owner; deleted stays deleted.
pub fn check_deletion(facts: &AccountFacts) -> Result<(), OwnerRefusal> {
    facts.removable().map(|_| ())
}

/// `Reset password`: a new link for someone else (one's own password is changed in
/// `Sign-in settings`, with the current one).
pub fn check_password_reset(facts: &AccountFacts) -> Result<(), OwnerRefusal> {
    let target = facts.changeable()?;
    if target.id == facts.actor.id {
        return Err(OwnerRefusal::OwnAccount);
    }
    Ok(())
}

/// Staff's `Sign out everywhere`, for a member's account.
pub fn check_sign_out_everywhere(
    actor: &UserSummary,
    target: Option<&UserSummary>,
) -> Result<(), OwnerRefusal> {
    if !actor.role.is_staff() || actor.status != UserStatus::Active {
        return Err(OwnerRefusal::StaffOnly);
    }
    let target = target.ok_or(OwnerRefusal::NoSuchAccount)?;
    if target.role != Role::Member {
        return Err(OwnerRefusal::NotAMember);
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

    fn facts(actor: UserSummary, target: UserSummary, active_owners: i64) -> AccountFacts {
        AccountFacts {
            actor,
            target: Some(target),
            active_owners,
        }
    }

    fn owner_with_id(id: i64) -> UserSummary {
        UserSummary {
            id,
            ..user(Role::Owner, UserStatus::Active)
        }
    }

    #[test]
    fn nobody_changes_their_own_role_and_the_last_owner_stays_one() {
        let me = owner_with_id(1);
        let other = owner_with_id(2);
        let member = user(Role::Member, UserStatus::Active);
        assert_eq!(
            check_role_change(&facts(me.clone(), member.clone(), 1), Role::Admin),
            Ok(())
        );
        assert_eq!(
            check_role_change(&facts(me.clone(), member.clone(), 1), Role::Member),
            Err(OwnerRefusal::SameRole)
        );
        assert_eq!(
            check_role_change(&facts(me.clone(), other.clone(), 2), Role::Admin),
            Ok(())
        );
        assert_eq!(
            check_role_change(&facts(me.clone(), me.clone(), 2), Role::Admin),
            Err(OwnerRefusal::OwnAccount)
        );
        assert_eq!(
            check_role_change(&facts(me.clone(), me.clone(), 1), Role::Member),
            Err(OwnerRefusal::LastOwner)
        );
        assert_eq!(
            check_role_change(&facts(member.clone(), other, 2), Role::Admin),
            Err(OwnerRefusal::OwnersOnly)
        );
    }

    #[test]
    fn suspension_deletion_and_reinstatement_follow_the_same_guards() {
        let me = owner_with_id(1);
        let member = user(Role::Member, UserStatus::Active);
        let suspended = user(Role::Member, UserStatus::Suspended);
        let deleted = user(Role::Member, UserStatus::Deleted);
        let admin = user(Role::Admin, UserStatus::Active);
        assert_eq!(
            check_suspension(&facts(me.clone(), member.clone(), 1)),
            Ok(())
        );
        assert_eq!(
            check_suspension(&facts(me.clone(), admin.clone(), 1)),
            Ok(())
        );
        assert_eq!(
            check_suspension(&facts(me.clone(), suspended.clone(), 1)),
            Err(OwnerRefusal::AlreadySuspended)
        );
        assert_eq!(
            check_suspension(&facts(me.clone(), me.clone(), 2)),
            Err(OwnerRefusal::OwnAccount)
        );
        assert_eq!(
            check_suspension(&facts(me.clone(), owner_with_id(2), 1)),
            Err(OwnerRefusal::LastOwner)
        );
        assert_eq!(
            check_reinstatement(&facts(me.clone(), suspended, 1)),
            Ok(())
        );
        assert_eq!(
            check_reinstatement(&facts(me.clone(), member.clone(), 1)),
            Err(OwnerRefusal::NotSuspended)
        );
        assert_eq!(
            check_deletion(&facts(me.clone(), member.clone(), 1)),
            Ok(())
        );
        assert_eq!(
            check_deletion(&facts(me.clone(), deleted.clone(), 1)),
            Err(OwnerRefusal::Deleted)
        );
        assert_eq!(
            check_deletion(&facts(me.clone(), me.clone(), 2)),
            Err(OwnerRefusal::OwnAccount)
        );
        assert_eq!(check_password_reset(&facts(me.clone(), admin, 1)), Ok(()));
        assert_eq!(
            check_password_reset(&facts(me.clone(), me, 1)),
            Err(OwnerRefusal::OwnAccount)
        );
    }

    #[test]
    fn staff_sign_members_out_everywhere() {
        let admin = user(Role::Admin, UserStatus::Active);
        let member = user(Role::Member, UserStatus::Active);
        assert_eq!(check_sign_out_everywhere(&admin, Some(&member)), Ok(()));
        assert_eq!(
            check_sign_out_everywhere(&member, Some(&member)),
            Err(OwnerRefusal::StaffOnly)
        );
        assert_eq!(
            check_sign_out_everywhere(&admin, Some(&admin)),
            Err(OwnerRefusal::NotAMember)
        );
    }
}
