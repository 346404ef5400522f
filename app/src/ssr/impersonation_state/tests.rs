//! The state machine's rules, one boundary at a time.

use super::*;
use crate::ssr::clock::HOUR_MS;

const T0: i64 = 1_800_000_000_000;

fn admin() -> Actor {
    Actor {
        id: 1,
        role: Role::Admin,
        status: UserStatus::Active,
        on_allow_list: true,
        sign_in_expires_at: T0 + 12 * HOUR_MS,
        holds_session: false,
    }
}

fn member(consent_hours: Option<i64>) -> Target {
    Target {
        id: 2,
        role: Role::Member,
        status: UserStatus::Active,
        consent: consent_hours.map(|hours| Consent {
            granted_at: T0 - 1,
            expires_at: T0 + hours * HOUR_MS,
            scope: Scope::FullAccess,
            sections: Sections::ALL,
        }),
        approval: None,
        held_by: None,
    }
}

fn start(actor: &Actor, target: &Target) -> Result<SessionPlan, StartRefusal> {
    check_start(
        actor,
        target,
        Authority::Consent,
        DEFAULT_MAX_SESSION_MS,
        T0,
    )
}

#[test]
fn a_session_lasts_until_the_earliest_of_consent_cap_and_sign_in() {
    let plan = start(&admin(), &member(Some(24))).unwrap();
    assert_eq!(
        plan,
        SessionPlan {
            scope: Scope::FullAccess,
            sections: Sections::ALL,
            expires_at: T0 + 30 * MINUTE_MS,
            approval_id: None,
        }
    );

    let mut short_consent = member(Some(24));
    short_consent.consent.as_mut().unwrap().expires_at = T0 + 5 * MINUTE_MS;
    assert_eq!(
        start(&admin(), &short_consent).unwrap().expires_at,
        T0 + 5 * MINUTE_MS
    );

    let leaving = Actor {
        sign_in_expires_at: T0 + MINUTE_MS,
        ..admin()
    };
    assert_eq!(
        start(&leaving, &member(Some(24))).unwrap().expires_at,
        T0 + MINUTE_MS
    );
}

#[test]
fn each_start_rule_refuses_with_its_name() {
    let target = member(Some(1));
    let cases: Vec<(Actor, Target, StartRefusal)> = vec![
        (
            Actor {
                on_allow_list: false,
                ..admin()
            },
            target.clone(),
            StartRefusal::NotOnAllowList,
        ),
        (
            Actor {
                role: Role::Member,
                ..admin()
            },
            target.clone(),
            StartRefusal::NotOnAllowList,
        ),
        (
            Actor {
                status: UserStatus::Suspended,
                ..admin()
            },
            target.clone(),
            StartRefusal::ActorNotActive,
        ),
        (
            Actor {
                holds_session: true,
                ..admin()
            },
            target.clone(),
            StartRefusal::AlreadyImpersonating,
        ),
        (
            admin(),
            Target {
                id: 1,
                ..target.clone()
            },
            StartRefusal::SelfTarget,
        ),
        (
            admin(),
            Target {
                role: Role::Admin,
                ..target.clone()
            },
            StartRefusal::TargetNotMember,
        ),
        (
            admin(),
            Target {
                role: Role::Owner,
                ..target.clone()
            },
            StartRefusal::TargetNotMember,
        ),
        (
            admin(),
            Target {
                status: UserStatus::Deleted,
                ..target.clone()
            },
            StartRefusal::TargetNotActive,
        ),
        (admin(), member(None), StartRefusal::NoConsent),
        (
            admin(),
            Target {
                held_by: Some("Olivia Owner".into()),
                ..target.clone()
            },
            StartRefusal::TargetBusy("Olivia Owner".into()),
        ),
    ];
    for (actor, target, refusal) in cases {
        assert_eq!(start(&actor, &target), Err(refusal));
    }
    assert_eq!(
        StartRefusal::TargetBusy("Olivia Owner".into()).to_string(),
        "Olivia Owner is already impersonating this member."
    );
}

#[test]
fn the_user_list_names_the_rule_about_the_member_that_refuses() {
    let busy = Target {
        held_by: Some("Ada Admin".into()),
        ..member(None)
    };
    assert_eq!(
        target_refusal(1, &member(None)),
        None,
        "consent is not judged"
    );
    assert_eq!(
        target_refusal(2, &member(None)),
        Some(StartRefusal::SelfTarget)
    );
    assert_eq!(
        target_refusal(1, &busy),
        Some(StartRefusal::TargetBusy("Ada Admin".into()))
    );
    let suspended_and_busy = Target {
        status: UserStatus::Suspended,
        ..busy
    };
    assert_eq!(
        target_refusal(1, &suspended_and_busy),
        Some(StartRefusal::TargetNotActive)
    );
}

#[test]
fn a_consent_expiring_exactly_now_allows_nothing() {
    let mut target = member(Some(1));
    target.consent.as_mut().unwrap().expires_at = T0;
    assert_eq!(start(&admin(), &target), Err(StartRefusal::NoConsent));
}

#[test]
fn a_support_code_allows_thirty_minutes_in_its_own_scope_without_consent() {
    let plan = check_start(
        &admin(),
        &member(None),
        Authority::SupportCode(Scope::ViewOnly, Sections::ALL),
        2 * HOUR_MS,
        T0,
    )
    .unwrap();
    assert_eq!(
        plan,
        SessionPlan {
            scope: Scope::ViewOnly,
            sections: Sections::ALL,
            expires_at: T0 + 30 * MINUTE_MS,
            approval_id: None,
        }
    );
    let capped = check_start(
        &admin(),
        &member(None),
        Authority::SupportCode(Scope::ViewOnly, Sections::ALL),
        MINUTE_MS,
        T0,
    );
    assert_eq!(capped.unwrap().expires_at, T0 + MINUTE_MS);
}

#[test]
fn an_approval_allows_its_requester_its_window_scope_and_sections() {
    use crate::model::Section;
    use crate::ssr::access_requests::Approval;
    let approval = Approval {
        approved_at: T0 - 1,
        scope: Scope::ViewOnly,
        sections: Sections::of([Section::Payout]),
        expires_at: T0 + 10 * MINUTE_MS,
    };
    let approved = Target {
        approval: Some((7, approval)),
        ..member(None)
    };
    assert_eq!(
        start(&admin(), &approved),
        Ok(SessionPlan {
            scope: Scope::ViewOnly,
            sections: Sections::of([Section::Payout]),
            expires_at: T0 + 10 * MINUTE_MS,
            approval_id: Some(7),
        })
    );
    let over = Target {
        approval: Some((
            7,
            Approval {
                expires_at: T0,
                ..approval
            },
        )),
        ..member(None)
    };
    assert_eq!(
        start(&admin(), &over),
        Err(StartRefusal::NoConsent),
        "the window is over"
    );
    let with_consent = Target {
        approval: Some((7, approval)),
        ..member(Some(24))
    };
    let plan = start(&admin(), &with_consent).unwrap();
    assert_eq!(
        (plan.approval_id, plan.scope),
        (None, Scope::FullAccess),
        "standing consent comes first"
    );
}

#[test]
fn reasons_are_10_to_500_characters() {
    assert!(Reason::parse("TICKET-123").is_ok());
    assert_eq!(Reason::parse("  short  "), Err(StartRefusal::ReasonInvalid));
    assert!(Reason::parse(&"x".repeat(500)).is_ok());
    assert_eq!(
        Reason::parse(&"x".repeat(501)),
        Err(StartRefusal::ReasonInvalid)
    );
}

fn session() -> StoredSession {
    StoredSession {
        id: 9,
        actor_id: 1,
        target_id: 2,
        scope: Scope::FullAccess,
        sections: Sections::ALL,
        via: Via::Consent,
        started_at: T0,
        expires_at: T0 + 30 * MINUTE_MS,
        ended: None,
    }
}

fn facts() -> SessionFacts {
    SessionFacts {
        consent: Some(Consent {
            granted_at: T0,
            expires_at: T0 + HOUR_MS,
            scope: Scope::FullAccess,
            sections: Sections::ALL,
        }),
        target_status: UserStatus::Active,
        actor_status: UserStatus::Active,
        actor_on_allow_list: true,
        actor_signed_in: true,
    }
}

#[test]
fn every_end_reason_is_detected_by_the_next_request() {
    let check = |facts: SessionFacts, now: i64| verdict(&session(), &facts, now);
    assert_eq!(check(facts(), T0 + 1), Verdict::Live);
    assert_eq!(
        check(facts(), T0 + 30 * MINUTE_MS),
        Verdict::EndsNow(EndReason::Expired)
    );
    assert_eq!(
        check(
            SessionFacts {
                consent: None,
                ..facts()
            },
            T0 + 1
        ),
        Verdict::EndsNow(EndReason::ConsentRevoked)
    );
    assert_eq!(
        check(
            SessionFacts {
                target_status: UserStatus::Suspended,
                ..facts()
            },
            T0 + 1
        ),
        Verdict::EndsNow(EndReason::UserSuspended)
    );
    assert_eq!(
        check(
            SessionFacts {
                actor_on_allow_list: false,
                ..facts()
            },
            T0 + 1
        ),
        Verdict::EndsNow(EndReason::PermissionRemoved)
    );
    assert_eq!(
        check(
            SessionFacts {
                actor_signed_in: false,
                ..facts()
            },
            T0 + 1
        ),
        Verdict::EndsNow(EndReason::ActorSignedOut)
    );
    // A support-code session does not depend on standing consent.
    let on_code = StoredSession {
        via: Via::SupportCode,
        ..session()
    };
    let no_consent = SessionFacts {
        consent: None,
        ..facts()
    };
    assert_eq!(verdict(&on_code, &no_consent, T0 + 1), Verdict::Live);
}

#[test]
fn an_end_on_record_is_the_verdict_and_expiry_outranks_every_other_reason() {
    let ended = StoredSession {
        ended: Some(Ended {
            at: T0 + 5,
            reason: EndReason::Exited,
        }),
        ..session()
    };
    assert_eq!(
        verdict(&ended, &facts(), T0 + 6),
        Verdict::Ended(EndReason::Exited)
    );
    let revoked = SessionFacts {
        consent: None,
        ..facts()
    };
    assert_eq!(
        verdict(&session(), &revoked, T0 + 30 * MINUTE_MS),
        Verdict::EndsNow(EndReason::Expired)
    );
}

#[test]
fn each_trigger_ends_the_sessions_it_concerns_with_its_reason() {
    let mine = session();
    let other = StoredSession {
        id: 10,
        actor_id: 3,
        target_id: 4,
        ..session()
    };
    let open = [mine.clone(), other.clone()];
    let now = T0 + 1;
    let cases = [
        (Trigger::Exited { session_id: 9 }, EndReason::Exited),
        (
            Trigger::EndedByMember { member_id: 2 },
            EndReason::EndedByUser,
        ),
        (
            Trigger::ConsentWithdrawn { member_id: 2 },
            EndReason::ConsentRevoked,
        ),
        (
            Trigger::AccountClosed { user_id: 2 },
            EndReason::UserSuspended,
        ),
        (
            Trigger::AccountClosed { user_id: 1 },
            EndReason::PermissionRemoved,
        ),
        (Trigger::RoleChanged { user_id: 2 }, EndReason::RoleChanged),
        (
            Trigger::RoleChanged { user_id: 1 },
            EndReason::PermissionRemoved,
        ),
        (
            Trigger::SignInsEnded { user_id: 1 },
            EndReason::ActorSignedOut,
        ),
        (
            Trigger::SignInEnded {
                session_id: 9,
                still_active: true,
            },
            EndReason::ActorSignedOut,
        ),
        (
            Trigger::SignInEnded {
                session_id: 9,
                still_active: false,
            },
            EndReason::PermissionRemoved,
        ),
        (
            Trigger::PermissionRemoved { actor_id: 1 },
            EndReason::PermissionRemoved,
        ),
        (
            Trigger::FoundOver {
                session_id: 9,
                reason: EndReason::UserSuspended,
            },
            EndReason::UserSuspended,
        ),
    ];
    for (trigger, reason) in cases {
        assert_eq!(ends(&trigger, &open, now), vec![(9, reason)], "{trigger:?}");
    }
    // Past its expiry, a session ended by expiring, whatever noticed it.
    let late = T0 + 30 * MINUTE_MS;
    assert_eq!(
        ends(&Trigger::ConsentWithdrawn { member_id: 2 }, &open, late),
        vec![(9, EndReason::Expired)]
    );
    // Before a start only what ran out ends; an end on record is never recorded again.
    let pending = Trigger::StartPending {
        actor_id: 1,
        target_id: 4,
    };
    assert_eq!(ends(&pending, &open, now), vec![]);
    assert_eq!(
        ends(&pending, &open, late),
        vec![(9, EndReason::Expired), (10, EndReason::Expired)]
    );
    let recorded = StoredSession {
        ended: Some(Ended {
            at: T0,
            reason: EndReason::Exited,
        }),
        ..mine
    };
    assert_eq!(
        ends(&Trigger::Exited { session_id: 9 }, &[recorded], now),
        vec![]
    );
}

#[test]
fn a_session_nobody_saw_expire_reads_as_expired_at_its_expiry() {
    let at = |ended: Option<(i64, EndReason)>| StoredSession {
        expires_at: 1_000,
        ended: ended.map(|(at, reason)| Ended { at, reason }),
        ..session()
    };
    let expired_at = |at| {
        Some(Ended {
            at,
            reason: EndReason::Expired,
        })
    };
    assert_eq!(outcome(&at(None), 999), None);
    assert_eq!(outcome(&at(None), 1_000), expired_at(1_000));
    assert_eq!(
        outcome(&at(Some((5_000, EndReason::Expired))), 6_000),
        expired_at(1_000),
        "noticed late, ended at its expiry"
    );
    assert_eq!(
        outcome(&at(Some((400, EndReason::ConsentRevoked))), 6_000),
        Some(Ended {
            at: 400,
            reason: EndReason::ConsentRevoked
        })
    );
}

#[test]
fn end_reasons_use_the_words_of_the_spec() {
    let words: Vec<_> = EndReason::ALL
        .iter()
        .map(|reason| reason.as_str())
        .collect();
    assert_eq!(
        words,
        [
            "exited",
            "ended by user",
            "consent revoked",
            "expired",
            "user suspended",
            "actor signed out",
            "permission removed",
            "role changed"
        ]
    );
    for reason in EndReason::ALL {
        assert_eq!(EndReason::parse(reason.as_str()), Some(reason));
    }
}
