//! Access requests (SPEC.md §2, "support asks, the member decides"), as plain functions over
//! plain data with `now` passed in: what a request may say, who may send one, how a member
//! may answer it (shorten, narrow, drop sections; never widen), when it expires, and what an
//! approval allows. The store gathers the facts inside its transactions and asks these.

use super::clock::HOUR_MS;
use super::consent::Consent;
use crate::model::{RequestStatus, Role, Scope, Sections, UserStatus};

/// A request nobody answers expires this long after it was sent.
pub const REQUEST_VALID_MS: i64 = 24 * HOUR_MS;
/// Whole hours an approval may last.
pub const MIN_REQUEST_HOURS: u32 = 1;
pub const MAX_REQUEST_HOURS: u32 = 24;
/// The longest ticket reference and denial message kept.
pub const MAX_TICKET_CHARS: usize = 100;
pub const MAX_MESSAGE_CHARS: usize = 500;

/// Why a request was not sent, in the order the rules are checked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RequestRefusal {
    #[error("You are not allowed to impersonate users.")]
    NotAllowed,
    #[error("You cannot ask for access to your own account.")]
    SelfTarget,
    #[error("Only members can be impersonated.")]
    TargetNotMember,
    #[error("This account is suspended or deleted.")]
    TargetNotActive,
    #[error("This member has already given consent: use Impersonate user.")]
    ConsentActive,
    #[error("You already have a pending request for this member. Wait for the answer.")]
    AlreadyPending,
    #[error("Give a reason of 10 to 500 characters, for example a ticket number.")]
    ReasonInvalid,
    #[error("A ticket reference is at most 100 characters, on one line.")]
    TicketInvalid,
    #[error("Ask for 1 to 24 whole hours.")]
    HoursInvalid,
    #[error("Choose View only or Full access.")]
    ScopeInvalid,
    #[error("Choose sections among Profile, Projects and Payout.")]
    SectionsInvalid,
}

impl RequestRefusal {
    /// The rule's name as recorded with the refused `access_requested`.
    pub fn rule(&self) -> &'static str {
        match self {
            RequestRefusal::NotAllowed => "not_on_allow_list",
            RequestRefusal::SelfTarget => "self_target",
            RequestRefusal::TargetNotMember => "target_not_member",
            RequestRefusal::TargetNotActive => "target_not_active",
            RequestRefusal::ConsentActive => "consent_active",
            RequestRefusal::AlreadyPending => "already_pending",
            RequestRefusal::ReasonInvalid => "reason_invalid",
            RequestRefusal::TicketInvalid => "ticket_invalid",
            RequestRefusal::HoursInvalid => "hours_invalid",
            RequestRefusal::ScopeInvalid => "scope_invalid",
            RequestRefusal::SectionsInvalid => "sections_invalid",
        }
    }
}

/// Whole hours from 1 to 24: how long a request asks for, or an approval grants.
pub fn parse_hours(input: &str) -> Option<u32> {
    let text = input.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) || text.len() > 3 {
        return None;
    }
    let hours: u32 = text.parse().ok()?;
    (MIN_REQUEST_HOURS..=MAX_REQUEST_HOURS)
        .contains(&hours)
        .then_some(hours)
}

/// An optional line of text (a ticket reference, a denial message): trimmed, `None` when
/// empty, refused when longer than `max` or when it holds control characters other than
/// newlines (`newlines`).
fn optional_line(input: Option<&str>, max: usize, newlines: bool) -> Result<Option<String>, ()> {
    let text = input.unwrap_or_default().trim();
    if text.is_empty() {
        return Ok(None);
    }
    let control = text
        .chars()
        .any(|c| c.is_control() && !(newlines && c == '\n'));
    if text.chars().count() > max || control {
        return Err(());
    }
    Ok(Some(text.to_string()))
}

/// What an administrator asks for, as typed.
#[derive(Clone, Debug, Default)]
pub struct RequestForm<'a> {
    pub reason: &'a str,
    pub ticket: Option<&'a str>,
    pub scope: &'a str,
    pub sections: Option<&'a str>,
    pub hours: &'a str,
}

/// A request whose every field is valid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestDraft {
    pub reason: String,
    pub ticket: Option<String>,
    pub scope: Scope,
    pub sections: Sections,
    pub hours: u32,
}

impl RequestDraft {
    pub fn parse(form: &RequestForm<'_>) -> Result<RequestDraft, RequestRefusal> {
        let reason = super::impersonation_state::Reason::parse(form.reason)
            .map_err(|_| RequestRefusal::ReasonInvalid)?;
        let ticket = optional_line(form.ticket, MAX_TICKET_CHARS, false)
            .map_err(|()| RequestRefusal::TicketInvalid)?;
        let scope = Scope::parse(form.scope.trim()).ok_or(RequestRefusal::ScopeInvalid)?;
        let sections = Sections::parse(form.sections.unwrap_or_default())
            .ok_or(RequestRefusal::SectionsInvalid)?;
        let hours = parse_hours(form.hours).ok_or(RequestRefusal::HoursInvalid)?;
        Ok(RequestDraft {
            reason: reason.as_str().to_string(),
            ticket,
            scope,
            sections,
            hours,
        })
    }
}

/// The administrator asking, as the store found them inside the transaction.
#[derive(Clone, Debug)]
pub struct Requester {
    pub id: i64,
    pub role: Role,
    pub status: UserStatus,
    pub on_allow_list: bool,
}

/// The member asked, as the store found them inside the transaction.
#[derive(Clone, Debug)]
pub struct Asked {
    pub id: i64,
    pub role: Role,
    pub status: UserStatus,
    /// The member's standing consent, active or not.
    pub consent: Option<Consent>,
    /// Whether this administrator already has a pending request (not past its expiry) for
    /// this member.
    pub pending: bool,
}

/// Whether a request may be sent: refused with its rule when it could never lead to a
/// session (requester not allowed; the member not a member, suspended or deleted), when the
/// member has standing consent already (nothing to ask), or when one is pending.
pub fn check_request(requester: &Requester, asked: &Asked, now: i64) -> Result<(), RequestRefusal> {
    if !requester.on_allow_list
        || !requester.role.is_staff()
        || requester.status != UserStatus::Active
    {
        return Err(RequestRefusal::NotAllowed);
    }
    if requester.id == asked.id {
        return Err(RequestRefusal::SelfTarget);
    }
    if asked.role != Role::Member {
        return Err(RequestRefusal::TargetNotMember);
    }
    if asked.status != UserStatus::Active {
        return Err(RequestRefusal::TargetNotActive);
    }
    if asked.consent.is_some_and(|consent| consent.is_active(now)) {
        return Err(RequestRefusal::ConsentActive);
    }
    if asked.pending {
        return Err(RequestRefusal::AlreadyPending);
    }
    Ok(())
}

/// An approval: a consent for its requester alone, until `expires_at`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Approval {
    pub approved_at: i64,
    pub scope: Scope,
    pub sections: Sections,
    pub expires_at: i64,
}

impl Approval {
    /// The approval as the consent a session rests on.
    pub fn as_consent(&self) -> Consent {
        Consent {
            granted_at: self.approved_at,
            expires_at: self.expires_at,
            scope: self.scope,
            sections: self.sections,
        }
    }
}

/// A request as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRequest {
    pub id: i64,
    pub actor_id: i64,
    pub member_id: i64,
    pub scope: Scope,
    pub sections: Sections,
    pub hours: u32,
    pub requested_at: i64,
    pub status: RequestStatus,
    pub approval: Option<Approval>,
}

impl StoredRequest {
    pub fn expires_at(&self) -> i64 {
        self.requested_at + REQUEST_VALID_MS
    }

    /// Where it stands at `now`: a pending request past its expiry has expired, whether or
    /// not anyone recorded that yet (`expires_now`).
    pub fn status_at(&self, now: i64) -> RequestStatus {
        if self.expires_now(now) {
            RequestStatus::Expired
        } else {
            self.status
        }
    }

    /// Pending on record, and past its expiry: whoever notices first records it, once.
    pub fn expires_now(&self, now: i64) -> bool {
        self.status == RequestStatus::Pending && now >= self.expires_at()
    }

    /// The approval a session may start under at `now`, if any.
    pub fn active_approval(&self, now: i64) -> Option<Approval> {
        self.approval
            .filter(|approval| self.status == RequestStatus::Approved && now < approval.expires_at)
    }
}

/// The member's answer, as typed.
#[derive(Clone, Debug)]
pub enum AnswerForm<'a> {
    /// Approve: the hours, scope and sections granted (each may only shorten or narrow what
    /// was asked; left out, what was asked).
    Approve {
        hours: Option<&'a str>,
        scope: Option<&'a str>,
        sections: Option<&'a str>,
    },
    Deny {
        message: Option<&'a str>,
    },
}

/// What the answer does, once every rule allowed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Approved(Approval),
    Denied { message: Option<String> },
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AnswerRefusal {
    /// Not one of the member's requests (or no request at all): the same answer either way.
    #[error("There is no such access request.")]
    NotFound,
    #[error("This request has expired: nobody answered it within 24 hours.")]
    Expired,
    #[error("The administrator withdrew this request.")]
    Withdrawn,
    #[error("This request has already been answered.")]
    AlreadyAnswered,
    #[error("You can shorten the duration, not lengthen it: at most the hours asked for.")]
    Longer,
    #[error("You can narrow the scope to View only, not widen it to Full access.")]
    WiderScope,
    #[error("You can drop sections, not add them.")]
    MoreSections,
    #[error("Give the duration as 1 to 24 whole hours.")]
    HoursInvalid,
    #[error("Choose View only or Full access.")]
    ScopeInvalid,
    #[error("Choose sections among Profile, Projects and Payout.")]
    SectionsInvalid,
    #[error("A message is at most 500 characters.")]
    MessageInvalid,
}

impl AnswerRefusal {
    pub fn rule(&self) -> &'static str {
        match self {
            AnswerRefusal::NotFound => "not_found",
            AnswerRefusal::Expired => "expired",
            AnswerRefusal::Withdrawn => "withdrawn",
            AnswerRefusal::AlreadyAnswered => "already_answered",
            AnswerRefusal::Longer => "longer",
            AnswerRefusal::WiderScope => "wider_scope",
            AnswerRefusal::MoreSections => "more_sections",
            AnswerRefusal::HoursInvalid => "hours_invalid",
            AnswerRefusal::ScopeInvalid => "scope_invalid",
            AnswerRefusal::SectionsInvalid => "sections_invalid",
            AnswerRefusal::MessageInvalid => "message_invalid",
        }
    }
}

/// Whether the form is an answer at all (every field valid), before any request is read.
pub fn parse_answer(form: &AnswerForm<'_>) -> Result<ParsedAnswer, AnswerRefusal> {
    Ok(match form {
        AnswerForm::Approve {
            hours,
            scope,
            sections,
        } => ParsedAnswer::Approve {
            hours: match hours.map(str::trim).filter(|text| !text.is_empty()) {
                None => None,
                Some(text) => Some(parse_hours(text).ok_or(AnswerRefusal::HoursInvalid)?),
            },
            scope: match scope.map(str::trim).filter(|text| !text.is_empty()) {
                None => None,
                Some(text) => Some(Scope::parse(text).ok_or(AnswerRefusal::ScopeInvalid)?),
            },
            sections: match sections {
                None => None,
                Some(text) => Some(Sections::parse(text).ok_or(AnswerRefusal::SectionsInvalid)?),
            },
        },
        AnswerForm::Deny { message } => ParsedAnswer::Deny {
            message: optional_line(*message, MAX_MESSAGE_CHARS, true)
                .map_err(|()| AnswerRefusal::MessageInvalid)?,
        },
    })
}

/// An answer whose fields are valid; `None` keeps what was asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParsedAnswer {
    Approve {
        hours: Option<u32>,
        scope: Option<Scope>,
        sections: Option<Sections>,
    },
    Deny {
        message: Option<String>,
    },
}

/// Whether the member may give this answer to this request at `now`: only a pending request
/// not past its expiry, and an approval never wider than what was asked (longer, more
/// sections, `Full access` for `View only`). The approval's window opens now.
pub fn check_answer(
    request: &StoredRequest,
    answer: &ParsedAnswer,
    now: i64,
) -> Result<Decision, AnswerRefusal> {
    match request.status_at(now) {
        RequestStatus::Pending => {}
        RequestStatus::Expired => return Err(AnswerRefusal::Expired),
        RequestStatus::Withdrawn => return Err(AnswerRefusal::Withdrawn),
        RequestStatus::Approved | RequestStatus::Denied | RequestStatus::Revoked => {
            return Err(AnswerRefusal::AlreadyAnswered)
        }
    }
    match answer {
        ParsedAnswer::Deny { message } => Ok(Decision::Denied {
            message: message.clone(),
        }),
        ParsedAnswer::Approve {
            hours,
            scope,
            sections,
        } => {
            let hours = hours.unwrap_or(request.hours);
            if hours > request.hours {
                return Err(AnswerRefusal::Longer);
            }
            let scope = scope.unwrap_or(request.scope);
            if scope == Scope::FullAccess && request.scope == Scope::ViewOnly {
                return Err(AnswerRefusal::WiderScope);
            }
            let sections = sections.unwrap_or(request.sections);
            if !sections.within(request.sections) {
                return Err(AnswerRefusal::MoreSections);
            }
            Ok(Decision::Approved(Approval {
                approved_at: now,
                scope,
                sections,
                expires_at: now + i64::from(hours) * HOUR_MS,
            }))
        }
    }
}

/// Why a withdrawal did nothing.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WithdrawRefusal {
    #[error("There is no such access request.")]
    NotFound,
    #[error("This request is no longer pending.")]
    NotPending,
}

/// Whether the administrator may withdraw this request at `now`: their own, still pending.
pub fn check_withdraw(
    request: &StoredRequest,
    actor_id: i64,
    now: i64,
) -> Result<(), WithdrawRefusal> {
    if request.actor_id != actor_id {
        return Err(WithdrawRefusal::NotFound);
    }
    match request.status_at(now) {
        RequestStatus::Pending => Ok(()),
        _ => Err(WithdrawRefusal::NotPending),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Section;

    const T0: i64 = 1_800_000_000_000;

    fn requester() -> Requester {
        Requester {
            id: 2,
            role: Role::Admin,
            status: UserStatus::Active,
            on_allow_list: true,
        }
    }

    fn asked() -> Asked {
        Asked {
            id: 4,
            role: Role::Member,
            status: UserStatus::Active,
            consent: None,
            pending: false,
        }
    }

    fn pending(scope: Scope, sections: Sections, hours: u32) -> StoredRequest {
        StoredRequest {
            id: 9,
            actor_id: 2,
            member_id: 4,
            scope,
            sections,
            hours,
            requested_at: T0,
            status: RequestStatus::Pending,
            approval: None,
        }
    }

    fn approve(
        hours: Option<u32>,
        scope: Option<Scope>,
        sections: Option<Sections>,
    ) -> ParsedAnswer {
        ParsedAnswer::Approve {
            hours,
            scope,
            sections,
        }
    }

    #[test]
    fn a_request_needs_a_reason_a_scope_and_1_to_24_hours() {
        let form = RequestForm {
            reason: "  TICKET-42 payout question ",
            ticket: Some(" T-42 "),
            scope: "view_only",
            sections: Some("payout, profile"),
            hours: "24",
        };
        let draft = RequestDraft::parse(&form).unwrap();
        assert_eq!(draft.reason, "TICKET-42 payout question");
        assert_eq!(draft.ticket.as_deref(), Some("T-42"));
        assert_eq!(
            draft.sections,
            Sections::of([Section::Profile, Section::Payout])
        );
        assert_eq!(draft.hours, 24);
        let with = |change: fn(&mut RequestForm)| {
            let mut form = form.clone();
            change(&mut form);
            RequestDraft::parse(&form)
        };
        assert_eq!(
            with(|f| f.reason = "too short").unwrap_err(),
            RequestRefusal::ReasonInvalid
        );
        assert_eq!(
            with(|f| f.ticket = Some("a\u{7}b")).unwrap_err(),
            RequestRefusal::TicketInvalid
        );
        assert_eq!(with(|f| f.ticket = Some("   ")).unwrap().ticket, None);
        assert_eq!(
            with(|f| f.scope = "everything").unwrap_err(),
            RequestRefusal::ScopeInvalid
        );
        assert_eq!(
            with(|f| f.sections = Some("profile,admin")).unwrap_err(),
            RequestRefusal::SectionsInvalid
        );
        assert!(
            with(|f| f.sections = None).unwrap().sections.is_all(),
            "none chosen means all"
        );
        for hours in ["0", "25", "1.5", "-1", "", "9999999999"] {
            let mut form = form.clone();
            form.hours = hours;
            assert_eq!(
                RequestDraft::parse(&form).unwrap_err(),
                RequestRefusal::HoursInvalid,
                "{hours:?}"
            );
        }
        assert_eq!(parse_hours("1"), Some(1));
    }

    #[test]
    fn a_request_that_could_never_lead_to_a_session_is_refused_with_its_rule() {
        assert_eq!(check_request(&requester(), &asked(), T0), Ok(()));
        let not_allowed = Requester {
            on_allow_list: false,
            ..requester()
        };
        assert_eq!(
            check_request(&not_allowed, &asked(), T0),
            Err(RequestRefusal::NotAllowed)
        );
        let member_asking = Requester {
            role: Role::Member,
            ..requester()
        };
        assert_eq!(
            check_request(&member_asking, &asked(), T0),
            Err(RequestRefusal::NotAllowed)
        );
        let suspended_admin = Requester {
            status: UserStatus::Suspended,
            ..requester()
        };
        assert_eq!(
            check_request(&suspended_admin, &asked(), T0),
            Err(RequestRefusal::NotAllowed)
        );
        let me = Asked { id: 2, ..asked() };
        assert_eq!(
            check_request(&requester(), &me, T0),
            Err(RequestRefusal::SelfTarget)
        );
        let admin = Asked {
            role: Role::Admin,
            ..asked()
        };
        assert_eq!(
            check_request(&requester(), &admin, T0),
            Err(RequestRefusal::TargetNotMember)
        );
        for status in [UserStatus::Suspended, UserStatus::Deleted] {
            let closed = Asked { status, ..asked() };
            assert_eq!(
                check_request(&requester(), &closed, T0),
                Err(RequestRefusal::TargetNotActive)
            );
        }
        let consent = Consent {
            granted_at: T0 - 10,
            expires_at: T0 + 10,
            scope: Scope::ViewOnly,
            sections: Sections::ALL,
        };
        let consenting = Asked {
            consent: Some(consent),
            ..asked()
        };
        assert_eq!(
            check_request(&requester(), &consenting, T0),
            Err(RequestRefusal::ConsentActive)
        );
        assert_eq!(
            check_request(&requester(), &consenting, T0 + 10),
            Ok(()),
            "an expired consent is none"
        );
        let waiting = Asked {
            pending: true,
            ..asked()
        };
        assert_eq!(
            check_request(&requester(), &waiting, T0),
            Err(RequestRefusal::AlreadyPending)
        );
    }

    #[test]
    fn an_approval_may_shorten_narrow_and_drop_but_never_widen() {
        let request = pending(
            Scope::FullAccess,
            Sections::of([Section::Projects, Section::Payout]),
            8,
        );
        let now = T0 + HOUR_MS;
        let Decision::Approved(as_asked) =
            check_answer(&request, &approve(None, None, None), now).unwrap()
        else {
            panic!("approved");
        };
        assert_eq!(
            as_asked.expires_at,
            now + 8 * HOUR_MS,
            "the window opens at the approval"
        );
        assert_eq!(as_asked.scope, Scope::FullAccess);
        assert_eq!(as_asked.sections, request.sections);
        let narrowed = approve(
            Some(2),
            Some(Scope::ViewOnly),
            Some(Sections::of([Section::Payout])),
        );
        let Decision::Approved(narrow) = check_answer(&request, &narrowed, now).unwrap() else {
            panic!("approved");
        };
        assert_eq!(narrow.expires_at, now + 2 * HOUR_MS);
        assert_eq!(narrow.scope, Scope::ViewOnly);
        assert_eq!(narrow.sections.list(), vec![Section::Payout]);
        assert_eq!(
            check_answer(&request, &approve(Some(9), None, None), now),
            Err(AnswerRefusal::Longer)
        );
        assert_eq!(
            check_answer(&request, &approve(None, None, Some(Sections::ALL)), now),
            Err(AnswerRefusal::MoreSections),
            "all sections is more than two"
        );
        assert_eq!(
            check_answer(
                &request,
                &approve(None, None, Some(Sections::of([Section::Profile]))),
                now
            ),
            Err(AnswerRefusal::MoreSections)
        );
        let view_only = pending(Scope::ViewOnly, Sections::ALL, 4);
        assert_eq!(
            check_answer(
                &view_only,
                &approve(None, Some(Scope::FullAccess), None),
                now
            ),
            Err(AnswerRefusal::WiderScope)
        );
        assert!(check_answer(
            &view_only,
            &approve(None, None, Some(Sections::of([Section::Profile]))),
            now
        )
        .is_ok());
    }

    #[test]
    fn only_a_pending_request_within_24_hours_can_be_answered() {
        let request = pending(Scope::ViewOnly, Sections::ALL, 1);
        let deny = ParsedAnswer::Deny { message: None };
        assert!(check_answer(&request, &deny, T0 + REQUEST_VALID_MS - 1).is_ok());
        assert_eq!(
            check_answer(&request, &deny, T0 + REQUEST_VALID_MS),
            Err(AnswerRefusal::Expired)
        );
        assert!(request.expires_now(T0 + REQUEST_VALID_MS));
        assert!(!request.expires_now(T0 + REQUEST_VALID_MS - 1));
        for (status, refusal) in [
            (RequestStatus::Withdrawn, AnswerRefusal::Withdrawn),
            (RequestStatus::Expired, AnswerRefusal::Expired),
            (RequestStatus::Approved, AnswerRefusal::AlreadyAnswered),
            (RequestStatus::Denied, AnswerRefusal::AlreadyAnswered),
            (RequestStatus::Revoked, AnswerRefusal::AlreadyAnswered),
        ] {
            let answered = StoredRequest {
                status,
                ..request.clone()
            };
            assert_eq!(
                check_answer(&answered, &deny, T0 + 1),
                Err(refusal),
                "{status:?}"
            );
            assert!(
                !answered.expires_now(T0 + REQUEST_VALID_MS),
                "only a pending one expires"
            );
        }
    }

    #[test]
    fn answers_are_parsed_before_any_request_is_read() {
        let approve_form = |hours, scope, sections| AnswerForm::Approve {
            hours,
            scope,
            sections,
        };
        assert_eq!(
            parse_answer(&approve_form(Some(""), None, None)),
            Ok(approve(None, None, None))
        );
        assert_eq!(
            parse_answer(&approve_form(Some("0"), None, None)),
            Err(AnswerRefusal::HoursInvalid)
        );
        assert_eq!(
            parse_answer(&approve_form(None, Some("all"), None)),
            Err(AnswerRefusal::ScopeInvalid)
        );
        assert_eq!(
            parse_answer(&approve_form(None, None, Some("x"))),
            Err(AnswerRefusal::SectionsInvalid)
        );
        assert_eq!(
            parse_answer(&AnswerForm::Deny {
                message: Some(" Not now.\nCall me. ")
            }),
            Ok(ParsedAnswer::Deny {
                message: Some("Not now.\nCall me.".into())
            })
        );
        let long = "x".repeat(MAX_MESSAGE_CHARS + 1);
        assert_eq!(
            parse_answer(&AnswerForm::Deny {
                message: Some(&long)
            }),
            Err(AnswerRefusal::MessageInvalid)
        );
    }

    #[test]
    fn an_approval_is_for_its_window_and_only_while_approved() {
        let approval = Approval {
            approved_at: T0,
            scope: Scope::ViewOnly,
            sections: Sections::ALL,
            expires_at: T0 + HOUR_MS,
        };
        let approved = StoredRequest {
            status: RequestStatus::Approved,
            approval: Some(approval),
            ..pending(Scope::ViewOnly, Sections::ALL, 1)
        };
        assert_eq!(approved.active_approval(T0 + HOUR_MS - 1), Some(approval));
        assert_eq!(approved.active_approval(T0 + HOUR_MS), None);
        let revoked = StoredRequest {
            status: RequestStatus::Revoked,
            ..approved.clone()
        };
        assert_eq!(revoked.active_approval(T0), None);
        assert_eq!(approval.as_consent().expires_at, T0 + HOUR_MS);
    }

    #[test]
    fn only_the_requester_withdraws_and_only_while_pending() {
        let request = pending(Scope::ViewOnly, Sections::ALL, 1);
        assert_eq!(check_withdraw(&request, 2, T0), Ok(()));
        assert_eq!(
            check_withdraw(&request, 3, T0),
            Err(WithdrawRefusal::NotFound)
        );
        assert_eq!(
            check_withdraw(&request, 2, T0 + REQUEST_VALID_MS),
            Err(WithdrawRefusal::NotPending)
        );
    }
}
