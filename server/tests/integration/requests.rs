//! Access requests (issue 15): support asks, the member answers in their inbox, an approval is
//! a consent for the requester alone; sections limit what a session reaches; every race and
//! bad answer is refused whole. SQLite and PostgreSQL.

use crate::common::{spawn_app, spawn_app_with, user_id, verified_chain, Db, TestApp};
use app::model::{AccessRequestView, Inbox, Me, NoticeKind, RequestStatus, Scope, UserPage};
use reqwest::{Client, StatusCode};

on_both_databases!(
    a_request_answered_in_the_inbox_lets_only_the_requester_start,
    requests_that_could_never_lead_to_a_session_are_refused_with_their_rule,
    two_answers_at_once_one_wins_and_nothing_is_half_done,
    an_answer_after_the_expiry_is_refused_and_the_expiry_recorded_once,
    an_answer_racing_a_withdrawal_is_refused_whole,
    forged_and_widening_answers_are_refused_and_change_nothing,
    an_approval_racing_a_revocation_ends_either_way_without_a_session,
    an_acting_administrator_can_neither_open_the_inbox_nor_answer,
    sections_refuse_every_page_and_function_outside_the_grant,
    the_member_and_the_administrator_hear_within_2_seconds,
    the_inbox_keeps_sessions_their_ends_and_expired_consent,
    a_session_that_ran_out_unnoticed_reaches_the_inbox_once,
);

const REASON: &str = "TICKET-900 payout question";

async fn ask(
    app: &TestApp,
    admin: &Client,
    member_id: i64,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let member = member_id.to_string();
    let mut fields = vec![("member_id", member.as_str())];
    fields.extend_from_slice(form);
    app.call(admin, "request_access", &fields).await
}

/// Ada asks Mia for `scope`, `sections` and `hours`; returns the request's id.
async fn ada_asks_mia(
    app: &TestApp,
    ada: &Client,
    scope: &str,
    sections: &str,
    hours: &str,
) -> i64 {
    let mia_id = user_id(app, "mia@example.com").await;
    let response = ask(
        app,
        ada,
        mia_id,
        &[
            ("reason", REASON),
            ("ticket", "T-900"),
            ("scope", scope),
            ("sections", sections),
            ("hours", hours),
        ],
    )
    .await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{:?}",
        response.text().await
    );
    response.json().await.unwrap()
}

async fn approve(
    app: &TestApp,
    member: &Client,
    id: i64,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let id = id.to_string();
    let mut fields = vec![("request_id", id.as_str())];
    fields.extend_from_slice(form);
    app.call(member, "approve_access_request", &fields).await
}

async fn deny(app: &TestApp, member: &Client, id: i64) -> reqwest::Response {
    let id = id.to_string();
    app.call(
        member,
        "deny_access_request",
        &[("request_id", id.as_str()), ("message", "Not today.")],
    )
    .await
}

async fn request(app: &TestApp, id: i64) -> AccessRequestView {
    app.store
        .access_request(id, app::ssr::now_ms())
        .await
        .unwrap()
        .expect("the request exists")
}

async fn start(app: &TestApp, admin: &Client, member_id: i64) -> reqwest::Response {
    app.call(
        admin,
        "start_impersonation",
        &[
            ("target_id", &member_id.to_string()),
            ("reason", "TICKET-900 start"),
        ],
    )
    .await
}

async fn inbox(app: &TestApp, member: &Client) -> Inbox {
    let response = app.call(member, "get_inbox", &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn me(app: &TestApp, client: &Client) -> Me {
    let me: Option<Me> = app.call(client, "whoami", &[]).await.json().await.unwrap();
    me.expect("signed in")
}

/// The words of a refusal.
async fn words(response: reqwest::Response) -> String {
    let error: app::error::AppError = response.json().await.expect("an error the page reads");
    error.to_string()
}

async fn count(app: &TestApp, kind: &str) -> usize {
    app.events(kind).await.len()
}

async fn a_request_answered_in_the_inbox_lets_only_the_requester_start(db: Db) {
    let app = spawn_app(db).await;
    let mia_id = user_id(&app, "mia@example.com").await;
    let ada = app.signed_in("ada@example.com").await;
    let mia = app.signed_in("mia@example.com").await;
    assert_eq!(me(&app, &mia).await.unread_notices, Some(0));

    let id = ada_asks_mia(&app, &ada, "full_access", "projects,payout", "4").await;
    let asked = &app.events("access_requested").await[0];
    assert_eq!(
        (asked.actor_id, asked.subject_id),
        (Some(user_id(&app, "ada@example.com").await), Some(mia_id))
    );
    assert!(asked.detail.contains("T-900"));

    // One pending request per administrator and member.
    let again = ask(
        &app,
        &ada,
        mia_id,
        &[("reason", REASON), ("scope", "view_only"), ("hours", "1")],
    )
    .await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(words(again)
        .await
        .contains("already have a pending request"));

    // The member's inbox shows who asks, why, the ticket, scope, sections and duration.
    assert_eq!(me(&app, &mia).await.unread_notices, Some(1));
    let seen = inbox(&app, &mia).await;
    assert_eq!(seen.unread, 1);
    let notice = &seen.notices[0];
    assert_eq!(notice.kind, NoticeKind::AccessRequested);
    let shown = notice.request.as_ref().expect("the request is shown");
    assert_eq!(shown.actor_name, "Ada Admin");
    assert_eq!(
        (shown.reason.as_str(), shown.ticket.as_deref()),
        (REASON, Some("T-900"))
    );
    assert_eq!(
        (shown.scope, shown.hours, shown.status),
        (Scope::FullAccess, 4, RequestStatus::Pending)
    );
    assert_eq!(shown.sections.label(), "Projects, Payout");

    // Nobody starts before the answer.
    assert_eq!(
        start(&app, &ada, mia_id).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );

    let approved = approve(
        &app,
        &mia,
        id,
        &[
            ("hours", "1"),
            ("scope", "view_only"),
            ("sections", "projects"),
        ],
    )
    .await;
    assert_eq!(
        approved.status(),
        StatusCode::OK,
        "{:?}",
        approved.text().await
    );
    assert_eq!(count(&app, "access_approved").await, 1);
    let answered = request(&app, id).await;
    assert_eq!(answered.status, RequestStatus::Approved);
    assert_eq!(answered.approved_scope, Some(Scope::ViewOnly));
    let window = answered.approved_until.unwrap() - answered.answered_at.unwrap();
    assert_eq!(
        window, 3_600_000,
        "shortened to one hour, from the approval"
    );

    // The administrator's user list shows the answer.
    let page: UserPage = app
        .call(&ada, "list_users", &[("search", "mia"), ("page", "1")])
        .await
        .json()
        .await
        .unwrap();
    let row = page.users.iter().find(|row| row.user.id == mia_id).unwrap();
    assert_eq!(
        row.request.as_ref().map(|r| r.status),
        Some(RequestStatus::Approved)
    );

    // A consent for the requester alone: the owner, also allowed, may not start under it.
    let owner = app.signed_in("owner@example.com").await;
    let refused = start(&app, &owner, mia_id).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(words(refused).await, "This member has not given consent.");

    let started = start(&app, &ada, mia_id).await;
    assert_eq!(
        started.status(),
        StatusCode::OK,
        "{:?}",
        started.text().await
    );
    let acting = me(&app, &ada).await.acting.expect("acting");
    assert_eq!(acting.scope, Scope::ViewOnly);
    assert_eq!(
        acting.sections.label(),
        "Projects",
        "the banner names the sections"
    );
    let session = app.events("impersonation_started").await[0]
        .impersonation_id
        .unwrap();
    let record = app
        .store
        .impersonation_session(session)
        .await
        .unwrap()
        .unwrap();
    assert!(record.expires_at <= answered.approved_until.unwrap());

    // Mark all read.
    assert_eq!(
        app.call(&mia, "mark_inbox_read", &[]).await.status(),
        StatusCode::OK
    );
    assert_eq!(me(&app, &mia).await.unread_notices, Some(0));
    assert!(verified_chain(&app.store).await.is_ok());
}

async fn requests_that_could_never_lead_to_a_session_are_refused_with_their_rule(db: Db) {
    let app = spawn_app(db).await;
    let mia_id = user_id(&app, "mia@example.com").await;
    let max_id = user_id(&app, "max@example.com").await;
    let owner_id = user_id(&app, "owner@example.com").await;
    let form = [("reason", REASON), ("scope", "view_only"), ("hours", "2")];

    // Not on the allow-list: 403, recorded about nobody.
    let sam = app.signed_in("sam@example.com").await;
    let refused = ask(&app, &sam, mia_id, &form).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let recorded = &app.events("access_requested").await[0];
    assert!(recorded.detail.contains("not_on_allow_list"));
    assert_eq!(
        recorded.subject_id, None,
        "nobody without the grant writes into a member's history"
    );

    let owner = app.signed_in("owner@example.com").await;
    let suspended = app
        .call(&owner, "suspend_user", &[("user_id", &max_id.to_string())])
        .await;
    assert_eq!(suspended.status(), StatusCode::OK);
    let ada = app.signed_in("ada@example.com").await;
    let ada_id = user_id(&app, "ada@example.com").await;
    for (member, rule) in [
        (max_id, "target_not_active"),
        (owner_id, "target_not_member"),
        (ada_id, "self_target"),
        (987_654, "target_not_member"),
    ] {
        let refused = ask(&app, &ada, member, &form).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "{rule}");
        let recorded = &app.events("access_requested").await[0];
        assert!(
            recorded.detail.contains(rule),
            "{rule}: {}",
            recorded.detail
        );
    }

    // A member with standing consent needs no request.
    let mia = app.signed_in("mia@example.com").await;
    app.call(
        &mia,
        "grant_consent",
        &[("duration", "1"), ("scope", "view_only")],
    )
    .await;
    let refused = ask(&app, &ada, mia_id, &form).await;
    assert!(words(refused).await.contains("already given consent"));

    // Bad input: a clear message, nothing stored.
    app.call(&mia, "revoke_consent", &[]).await;
    for (field, value) in [
        ("reason", "too short"),
        ("hours", "25"),
        ("hours", "1.5"),
        ("scope", "all"),
        ("sections", "admin"),
    ] {
        let mut form = vec![("reason", REASON), ("scope", "view_only"), ("hours", "2")];
        form.retain(|(name, _)| *name != field);
        form.push((field, value));
        let refused = ask(&app, &ada, mia_id, &form).await;
        assert_eq!(
            refused.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}={value}"
        );
    }
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM access_requests")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert_eq!(stored, 0);
    // And a right one goes through.
    assert_eq!(
        ask(&app, &ada, mia_id, &form).await.status(),
        StatusCode::OK
    );
}

async fn two_answers_at_once_one_wins_and_nothing_is_half_done(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in("ada@example.com").await;
    let mia = app.signed_in("mia@example.com").await;
    for round in 0..3 {
        let id = ada_asks_mia(&app, &ada, "full_access", "", "2").await;
        let (approved, denied) = tokio::join!(approve(&app, &mia, id, &[]), deny(&app, &mia, id));
        let (approved, denied) = (approved.status(), denied.status());
        assert!(
            (approved == StatusCode::OK) != (denied == StatusCode::OK),
            "round {round}: exactly one answer wins ({approved}, {denied})"
        );
        let status = request(&app, id).await.status;
        let answers = count(&app, "access_approved").await + count(&app, "access_denied").await;
        assert_eq!(answers, round + 1, "one answer recorded a request");
        match status {
            RequestStatus::Approved => assert_eq!(approved, StatusCode::OK),
            RequestStatus::Denied => assert_eq!(denied, StatusCode::OK),
            other => panic!("round {round}: {other:?}"),
        }
    }
}

/// Moves a request's sending back by `ms` (the test cannot wait a day).
async fn age_request(app: &TestApp, id: i64, ms: i64) {
    sqlx::query("UPDATE access_requests SET requested_at = requested_at - $1, expires_at = expires_at - $1 WHERE id = $2")
        .bind(ms)
        .bind(id)
        .execute(app.store.pool())
        .await
        .unwrap();
}

async fn an_answer_after_the_expiry_is_refused_and_the_expiry_recorded_once(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in("ada@example.com").await;
    let mia = app.signed_in("mia@example.com").await;
    let id = ada_asks_mia(&app, &ada, "view_only", "", "1").await;
    age_request(&app, id, 24 * 3_600_000).await;

    // The member answers, her inbox and the administrator's list load, all at once: one
    // of them notices first and records it; nobody records it again.
    let (approved, denied, seen, listed) = tokio::join!(
        approve(&app, &mia, id, &[]),
        deny(&app, &mia, id),
        app.call(&mia, "get_inbox", &[]),
        app.call(&ada, "list_users", &[("search", ""), ("page", "1")]),
    );
    assert_eq!(approved.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        words(approved).await,
        "This request has expired: nobody answered it within 24 hours."
    );
    assert_eq!(denied.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        (seen.status(), listed.status()),
        (StatusCode::OK, StatusCode::OK)
    );
    assert_eq!(count(&app, "access_request_expired").await, 1);
    assert_eq!(
        count(&app, "access_approved").await + count(&app, "access_denied").await,
        0
    );
    assert_eq!(request(&app, id).await.status, RequestStatus::Expired);
    // Noticed again: still once.
    inbox(&app, &mia).await;
    assert_eq!(count(&app, "access_request_expired").await, 1);
    let expired = &app.events("access_request_expired").await[0];
    assert_eq!(
        expired.subject_id,
        Some(user_id(&app, "mia@example.com").await)
    );
    // An expired request no longer counts as pending: a new one may be sent.
    ada_asks_mia(&app, &ada, "view_only", "", "1").await;
    // A request one millisecond short of its 24 hours can still be answered.
    let fresh: i64 = app
        .store
        .latest_requests_of(user_id(&app, "ada@example.com").await, 0)
        .await
        .unwrap()
        .iter()
        .map(|r| r.id)
        .max()
        .unwrap();
    age_request(&app, fresh, 24 * 3_600_000 - 5_000).await;
    assert_eq!(
        approve(&app, &mia, fresh, &[]).await.status(),
        StatusCode::OK
    );
}

async fn an_answer_racing_a_withdrawal_is_refused_whole(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in("ada@example.com").await;
    let mia = app.signed_in("mia@example.com").await;
    let withdraw = |id: i64| {
        let (app, ada) = (&app, &ada);
        async move {
            app.call(
                ada,
                "withdraw_access_request",
                &[("request_id", &id.to_string())],
            )
            .await
        }
    };

    let id = ada_asks_mia(&app, &ada, "view_only", "", "1").await;
    assert_eq!(withdraw(id).await.status(), StatusCode::OK);
    let late = approve(&app, &mia, id, &[]).await;
    assert_eq!(late.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        words(late).await,
        "The administrator withdrew this request."
    );
    assert_eq!(count(&app, "access_request_withdrawn").await, 1);
    // Someone else's request cannot be withdrawn (nor be found).
    let id = ada_asks_mia(&app, &ada, "view_only", "", "1").await;
    let owner = app.signed_in("owner@example.com").await;
    let foreign = app
        .call(
            &owner,
            "withdraw_access_request",
            &[("request_id", &id.to_string())],
        )
        .await;
    assert_eq!(words(foreign).await, "There is no such access request.");

    for round in 0..3 {
        let id = if round == 0 {
            id
        } else {
            ada_asks_mia(&app, &ada, "view_only", "", "1").await
        };
        let (withdrawn, approved) = tokio::join!(withdraw(id), approve(&app, &mia, id, &[]));
        assert!(
            (withdrawn.status() == StatusCode::OK) != (approved.status() == StatusCode::OK),
            "round {round}: exactly one wins ({}, {})",
            withdrawn.status(),
            approved.status()
        );
        let expected = if approved.status() == StatusCode::OK {
            RequestStatus::Approved
        } else {
            RequestStatus::Withdrawn
        };
        assert_eq!(request(&app, id).await.status, expected, "round {round}");
    }
    let answers =
        count(&app, "access_approved").await + count(&app, "access_request_withdrawn").await;
    assert_eq!(
        answers, 4,
        "one record a request (and the first withdrawal)"
    );
}

async fn forged_and_widening_answers_are_refused_and_change_nothing(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in("ada@example.com").await;
    let mia = app.signed_in("mia@example.com").await;
    let max = app.signed_in("max@example.com").await;
    let id = ada_asks_mia(&app, &ada, "view_only", "projects,payout", "2").await;

    // Another member's request, or one that does not exist: the same answer.
    for (who, forged) in [(&max, id), (&mia, id + 1000), (&mia, -1)] {
        let refused = approve(&app, who, forged, &[]).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(words(refused).await, "There is no such access request.");
    }
    let refused = deny(&app, &max, id).await;
    assert_eq!(words(refused).await, "There is no such access request.");
    // Wider than asked.
    for (form, says) in [
        (vec![("hours", "3")], "not lengthen"),
        (vec![("scope", "full_access")], "not widen"),
        (vec![("sections", "profile")], "not add"),
        (vec![("sections", "projects,payout,profile")], "not add"),
        (vec![("hours", "0")], "1 to 24"),
        (vec![("hours", "two")], "1 to 24"),
    ] {
        let refused = approve(&app, &mia, id, &form).await;
        assert_eq!(
            refused.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{form:?}"
        );
        let text = words(refused).await;
        assert!(text.contains(says), "{form:?}: {text}");
    }
    // A staff account cannot answer (it has no inbox), nor can anyone signed out.
    let refused = approve(&app, &ada, id, &[]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let refused = approve(&app, &app.client(), id, &[]).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);

    assert_eq!(
        request(&app, id).await.status,
        RequestStatus::Pending,
        "nothing changed"
    );
    assert_eq!(
        count(&app, "access_approved").await + count(&app, "access_denied").await,
        0
    );
    // Narrower is fine.
    let narrowed = approve(&app, &mia, id, &[("hours", "2"), ("sections", "payout")]).await;
    assert_eq!(narrowed.status(), StatusCode::OK);
    assert_eq!(
        request(&app, id).await.approved_sections.unwrap().label(),
        "Payout"
    );
}

async fn an_approval_racing_a_revocation_ends_either_way_without_a_session(db: Db) {
    let app = spawn_app(db).await;
    let mia_id = user_id(&app, "mia@example.com").await;
    let ada = app.signed_in("ada@example.com").await;
    let mia = app.signed_in("mia@example.com").await;

    // Revoking consent revokes a standing approval, and ends the session under it.
    let id = ada_asks_mia(&app, &ada, "full_access", "", "2").await;
    assert_eq!(approve(&app, &mia, id, &[]).await.status(), StatusCode::OK);
    assert_eq!(start(&app, &ada, mia_id).await.status(), StatusCode::OK);
    let session = app.events("impersonation_started").await[0]
        .impersonation_id
        .unwrap();
    assert_eq!(
        app.call(&mia, "revoke_consent", &[]).await.status(),
        StatusCode::OK
    );
    assert_eq!(request(&app, id).await.status, RequestStatus::Revoked);
    let ended = app
        .store
        .impersonation_session(session)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ended.end_reason.as_deref(), Some("consent revoked"));
    let refused = app.call(&ada, "list_projects", &[]).await;
    assert_eq!(
        refused.status(),
        StatusCode::FORBIDDEN,
        "her very next request is refused"
    );
    assert_eq!(
        start(&app, &ada, mia_id).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // An approval and a revocation at once: either the approval came first and was revoked,
    // or the revocation found nothing and the approval stands; never half of either.
    for _ in 0..3 {
        let id = ada_asks_mia(&app, &ada, "full_access", "", "2").await;
        let (approved, revoked) = tokio::join!(
            approve(&app, &mia, id, &[]),
            app.call(&mia, "revoke_consent", &[])
        );
        assert_eq!(approved.status(), StatusCode::OK);
        let status = request(&app, id).await.status;
        match revoked.status() {
            StatusCode::OK => assert_eq!(status, RequestStatus::Revoked),
            _ => {
                assert_eq!(status, RequestStatus::Approved);
                assert_eq!(
                    app.call(&mia, "revoke_consent", &[]).await.status(),
                    StatusCode::OK
                );
            }
        }
        assert_eq!(request(&app, id).await.status, RequestStatus::Revoked);
        assert_eq!(
            start(&app, &ada, mia_id).await.status(),
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }

    // A request racing the revocation of standing consent: refused while the consent stood
    // (nothing to ask), sent once it was gone; never both, never neither.
    for _ in 0..3 {
        let granted = app
            .call(
                &mia,
                "grant_consent",
                &[("duration", "1"), ("scope", "view_only")],
            )
            .await;
        assert_eq!(granted.status(), StatusCode::OK);
        let form = [("reason", REASON), ("scope", "view_only"), ("hours", "1")];
        let (asked, revoked) = tokio::join!(
            ask(&app, &ada, mia_id, &form),
            app.call(&mia, "revoke_consent", &[])
        );
        assert_eq!(revoked.status(), StatusCode::OK);
        let pending: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM access_requests WHERE member_id = $1 AND status = 'pending'",
        )
        .bind(mia_id)
        .fetch_all(app.store.pool())
        .await
        .unwrap();
        if asked.status() == StatusCode::OK {
            assert_eq!(pending.len(), 1, "sent after the revocation");
            let id: i64 = asked.json().await.unwrap();
            deny(&app, &mia, id).await;
        } else {
            assert!(words(asked).await.contains("already given consent"));
            assert!(pending.is_empty(), "refused while the consent stood");
        }
    }
    assert!(verified_chain(&app.store).await.is_ok());
}

async fn an_acting_administrator_can_neither_open_the_inbox_nor_answer(db: Db) {
    let app = spawn_app(db).await;
    let mia_id = user_id(&app, "mia@example.com").await;
    let ada = app.signed_in("ada@example.com").await;
    let mia = app.signed_in("mia@example.com").await;
    // Ada's own request is pending when Mia, separately, grants standing consent.
    let id = ada_asks_mia(&app, &ada, "full_access", "", "2").await;
    app.call(
        &mia,
        "grant_consent",
        &[("duration", "24"), ("scope", "full_access")],
    )
    .await;
    assert_eq!(start(&app, &ada, mia_id).await.status(), StatusCode::OK);

    let id_text = id.to_string();
    for (function, form) in [
        ("get_inbox", vec![]),
        ("mark_inbox_read", vec![]),
        (
            "approve_access_request",
            vec![("request_id", id_text.as_str())],
        ),
        (
            "deny_access_request",
            vec![("request_id", id_text.as_str())],
        ),
    ] {
        let refused = app.call(&ada, function, &form).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{function}");
        assert_eq!(words(refused).await, "Not allowed during impersonation");
    }
    let page = app.get(&ada, "/inbox").await;
    assert_eq!(page.status(), StatusCode::FORBIDDEN, "the inbox page");
    // Nor ask for more access while acting.
    let refused = ask(
        &app,
        &ada,
        mia_id,
        &[("reason", REASON), ("scope", "view_only"), ("hours", "1")],
    )
    .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    assert_eq!(
        request(&app, id).await.status,
        RequestStatus::Pending,
        "above all, never her own"
    );
    assert_eq!(count(&app, "access_approved").await, 0);
    // Each refusal is on record.
    let refused: Vec<_> = app
        .events("action")
        .await
        .into_iter()
        .filter(|event| event.status == Some(403))
        .filter_map(|event| event.path)
        .collect();
    for path in [
        "/api/get_inbox",
        "/api/approve_access_request",
        "/api/deny_access_request",
        "/inbox",
    ] {
        assert!(
            refused.iter().any(|p| p == path),
            "{path} recorded: {refused:?}"
        );
    }
    // The member herself still can.
    assert_eq!(
        inbox(&app, &mia).await.notices[0].kind,
        NoticeKind::SessionStarted
    );
}

async fn sections_refuse_every_page_and_function_outside_the_grant(db: Db) {
    let app = spawn_app(db).await;
    let mia_id = user_id(&app, "mia@example.com").await;
    let mia = app.signed_in("mia@example.com").await;
    let granted = app
        .call(
            &mia,
            "grant_consent",
            &[
                ("duration", "24"),
                ("scope", "full_access"),
                ("sections", "profile"),
            ],
        )
        .await;
    assert_eq!(granted.status(), StatusCode::OK);
    let ada = app.signed_in("ada@example.com").await;
    assert_eq!(start(&app, &ada, mia_id).await.status(), StatusCode::OK);
    assert_eq!(
        me(&app, &ada).await.acting.unwrap().sections.label(),
        "Profile"
    );

    assert_eq!(
        app.call(&ada, "get_profile", &[]).await.status(),
        StatusCode::OK
    );
    assert_eq!(app.get(&ada, "/profile").await.status(), StatusCode::OK);
    let outside = [
        ("list_projects", vec![]),
        ("create_project", vec![("name", "Not hers to make")]),
        (
            "rename_project",
            vec![("project_id", "1"), ("name", "Renamed")],
        ),
        ("archive_project", vec![("project_id", "1")]),
        ("get_payout", vec![]),
        ("update_payout", vec![("iban", "DE89370400440532013000")]),
    ];
    for (function, form) in &outside {
        let refused = app.call(&ada, function, form).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{function}");
        assert_eq!(
            words(refused).await,
            "Not within the access granted",
            "{function}"
        );
    }
    // Whatever the request carries: a query naming a section, another method, a trailing slash.
    let sneaky = ada
        .post(app.url("/api/list_projects?section=profile"))
        .header("Sec-Fetch-Site", "same-origin")
        .form(&[("section", "profile")])
        .send()
        .await
        .unwrap();
    assert_eq!(sneaky.status(), StatusCode::FORBIDDEN);
    for path in [
        "/projects",
        "/payout",
        "/projects/",
        "/payout?section=profile",
    ] {
        let page = app.get(&ada, path).await;
        assert_eq!(page.status(), StatusCode::FORBIDDEN, "{path}");
        // Said in the page's place, in the frame: the banner (and its `Exit impersonation`)
        // stays, and nothing of the section's page is there.
        let html = page.text().await.unwrap();
        assert!(
            html.contains("Not within the access granted"),
            "{path}: {html}"
        );
        assert!(html.contains("You are impersonating"), "{path}: {html}");
        assert!(
            !html.contains("Create project") && !html.contains("Payout details"),
            "{path}"
        );
    }
    // Beneath a section's page, or posted to it, nothing is rendered: refused as it stands.
    for path in ["/payout/statement.csv", "/projects/1"] {
        let page = app.get(&ada, path).await;
        assert_eq!(page.status(), StatusCode::FORBIDDEN, "{path}");
        assert_eq!(page.text().await.unwrap(), "Not within the access granted");
    }
    let posted = ada
        .post(app.url("/projects"))
        .header("Sec-Fetch-Site", "same-origin")
        .form(&[("name", "Not hers")])
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        posted.text().await.unwrap(),
        "Not within the access granted"
    );
    for path in [
        "/api/list_projects/",
        "/API/list_projects",
        "/api//list_projects",
        "/api/list%5Fprojects",
        "/api/./list_projects",
        "/api/x/../list_projects",
    ] {
        let response = ada
            .post(app.url(path))
            .header("Sec-Fetch-Site", "same-origin")
            .send()
            .await
            .unwrap();
        assert_ne!(response.status(), StatusCode::OK, "{path} reaches nothing");
    }
    // Nor does a page path that names a section only once resolved: the page router behind
    // the fallback would resolve it. (The client resolves `..` and `%2e` itself before
    // sending, so dot segments are left to model::is_plain_path's unit test.)
    for path in ["/%70ayout", "/%70rojects", "//payout"] {
        let page = ada.get(app.url(path)).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::FORBIDDEN, "{path}");
    }
    // Every refusal recorded, with its words.
    let refusals: Vec<_> = app
        .events("action")
        .await
        .into_iter()
        .filter(|event| event.status == Some(403))
        .collect();
    assert!(refusals.len() >= outside.len() + 5);
    assert!(refusals
        .iter()
        .all(|event| event.detail.contains("Not within the access granted")));
    // Nothing of the refused sections was changed.
    let projects: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM projects")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert_eq!(projects, 0);

    // A support code limited to sections does the same.
    app.call(&ada, "exit_impersonation", &[]).await;
    app.call(&mia, "revoke_consent", &[]).await;
    let code: app::model::IssuedSupportCode = app
        .call(
            &mia,
            "generate_support_code",
            &[("scope", "view_only"), ("sections", "payout,projects")],
        )
        .await
        .json()
        .await
        .unwrap();
    let started = app
        .call(
            &ada,
            "start_impersonation",
            &[
                ("target_id", &mia_id.to_string()),
                ("reason", "TICKET-900 phone"),
                ("support_code", &code.code),
            ],
        )
        .await;
    assert_eq!(started.status(), StatusCode::OK);
    assert_eq!(
        app.call(&ada, "get_profile", &[]).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.call(&ada, "get_payout", &[]).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.call(&ada, "list_projects", &[]).await.status(),
        StatusCode::OK
    );
    // The member herself is never limited.
    assert_eq!(
        app.call(&mia, "list_projects", &[]).await.status(),
        StatusCode::OK
    );
}

async fn the_member_and_the_administrator_hear_within_2_seconds(db: Db) {
    let app = spawn_app(db).await;
    let mia = app.signed_in("mia@example.com").await;
    let ada = app.signed_in("ada@example.com").await;
    let open = |client: &Client| client.get(app.url("/api/live")).send();
    let mut mia_live = open(&mia).await.unwrap();
    let mut ada_live = open(&ada).await.unwrap();
    assert_eq!(
        (mia_live.status(), ada_live.status()),
        (StatusCode::OK, StatusCode::OK)
    );
    // Both streams have looked once before anything happens.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let read_until = async |live: &mut reqwest::Response, wanted: &str| {
        let mut received = String::new();
        while !received.contains(wanted) {
            let chunk = tokio::time::timeout(std::time::Duration::from_secs(2), live.chunk())
                .await
                .unwrap_or_else(|_| panic!("no {wanted:?} within 2 seconds: {received:?}"))
                .unwrap()
                .expect("the stream stays open");
            received.push_str(&String::from_utf8_lossy(&chunk));
        }
    };
    let id = ada_asks_mia(&app, &ada, "view_only", "", "1").await;
    read_until(&mut mia_live, "event: inbox\ndata: 1").await;
    read_until(
        &mut ada_live,
        &format!("event: requests\ndata: {{\"id\":{id},\"status\":\"pending\"}}"),
    )
    .await;
    assert_eq!(deny(&app, &mia, id).await.status(), StatusCode::OK);
    read_until(
        &mut ada_live,
        &format!("{{\"id\":{id},\"status\":\"denied\"}}"),
    )
    .await;
    assert_eq!(
        app.call(&mia, "mark_inbox_read", &[]).await.status(),
        StatusCode::OK
    );
    read_until(&mut mia_live, "event: inbox\ndata: 0").await;
}

async fn the_inbox_keeps_sessions_their_ends_and_expired_consent(db: Db) {
    let app = spawn_app(db).await;
    let mia_id = user_id(&app, "mia@example.com").await;
    let mia = app.signed_in("mia@example.com").await;
    let ada = app.signed_in("ada@example.com").await;
    app.call(
        &mia,
        "grant_consent",
        &[("duration", "1"), ("scope", "full_access")],
    )
    .await;
    assert_eq!(start(&app, &ada, mia_id).await.status(), StatusCode::OK);
    app.call(&mia, "end_session", &[]).await;
    // Her consent runs out while she is away (the test cannot wait an hour: the stored
    // expiry is moved to just after the session's end; `ssr::inbox`'s unit tests read
    // expiries from the grants themselves).
    let ended = app.events("impersonation_ended").await[0].at_ms;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    sqlx::query("UPDATE consents SET expires_at = $1 WHERE user_id = $2")
        .bind(ended + 1)
        .bind(mia_id)
        .execute(app.store.pool())
        .await
        .unwrap();
    let seen = inbox(&app, &mia).await;
    let kinds: Vec<NoticeKind> = seen.notices.iter().map(|notice| notice.kind).collect();
    assert_eq!(
        kinds,
        [
            NoticeKind::ConsentExpired,
            NoticeKind::SessionEnded,
            NoticeKind::SessionStarted
        ],
        "newest first: what happened while she was away"
    );
    assert_eq!(seen.notices[1].end_reason.as_deref(), Some("ended by user"));
    assert_eq!(
        seen.notices[2].admin.as_deref(),
        Some("Ada Admin (ada@example.com)")
    );
    assert_eq!(seen.unread, 3);
    assert_eq!(me(&app, &mia).await.unread_notices, Some(3));
    // Read: nothing unread, and still every notice kept.
    assert_eq!(
        app.call(&mia, "mark_inbox_read", &[]).await.status(),
        StatusCode::OK
    );
    let seen = inbox(&app, &mia).await;
    assert_eq!((seen.unread, seen.notices.len()), (0, 3));
}

async fn a_session_that_ran_out_unnoticed_reaches_the_inbox_once(db: Db) {
    let app = spawn_app_with(db, |config| config.max_session_seconds = 1).await;
    let mia_id = user_id(&app, "mia@example.com").await;
    let mia = app.signed_in("mia@example.com").await;
    let ada = app.signed_in("ada@example.com").await;
    let id = ada_asks_mia(&app, &ada, "view_only", "payout", "1").await;
    assert_eq!(approve(&app, &mia, id, &[]).await.status(), StatusCode::OK);
    assert_eq!(start(&app, &ada, mia_id).await.status(), StatusCode::OK);
    // Nobody makes a request while it runs out; the member opens her inbox afterwards.
    tokio::time::sleep(std::time::Duration::from_millis(1_300)).await;
    let (first, second) = tokio::join!(inbox(&app, &mia), inbox(&app, &mia));
    for seen in [first, second] {
        let ended = seen
            .notices
            .iter()
            .find(|notice| notice.kind == NoticeKind::SessionEnded)
            .expect("the end is in her inbox");
        assert_eq!(ended.end_reason.as_deref(), Some("expired"));
    }
    assert_eq!(count(&app, "impersonation_ended").await, 1, "recorded once");
}
