//! The member's profile, projects and payout details over HTTP, on SQLite and PostgreSQL.

use crate::common::{spawn_app, Db};
use app::model::{Payout, Profile, Project};
use reqwest::StatusCode;

on_both_databases!(
    a_member_edits_their_profile_with_validation,
    a_member_creates_renames_and_archives_projects,
    nobody_touches_another_members_projects,
    payout_details_are_validated_and_only_ever_shown_masked,
    staff_and_visitors_have_no_member_account,
);

async fn a_member_edits_their_profile_with_validation(db: Db) {
    let app = spawn_app(db).await;
    let mia = app.signed_in("mia@example.com").await;
    let profile: Profile = app
        .call(&mia, "get_profile", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        profile.display_name, "Mia Member",
        "the profile starts from the account's name"
    );

    let bad = app
        .call(
            &mia,
            "update_profile",
            &[
                ("display_name", "Mia"),
                ("phone", "call me"),
                ("time_zone", "UTC"),
            ],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().await.unwrap().contains("Enter a phone number"));
    let bad_zone = app
        .call(
            &mia,
            "update_profile",
            &[
                ("display_name", "Mia"),
                ("phone", ""),
                ("time_zone", "Mars/Base"),
            ],
        )
        .await;
    assert_eq!(bad_zone.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        app.events("profile_updated").await.is_empty(),
        "refused changes record nothing"
    );

    let ok = app
        .call(
            &mia,
            "update_profile",
            &[
                ("display_name", " Mia M. "),
                ("phone", "+44 20 7946 0958"),
                ("time_zone", "Europe/London"),
            ],
        )
        .await;
    assert_eq!(ok.status(), StatusCode::OK);
    let profile: Profile = app
        .call(&mia, "get_profile", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        profile,
        Profile {
            display_name: "Mia M.".into(),
            phone: "+44 20 7946 0958".into(),
            time_zone: "Europe/London".into()
        }
    );
    let events = app.events("profile_updated").await;
    assert_eq!(events.len(), 1);
    assert!(events[0].detail.contains("Europe/London"));
}

async fn projects(app: &crate::common::TestApp, client: &reqwest::Client) -> Vec<Project> {
    app.call(client, "list_projects", &[])
        .await
        .json()
        .await
        .unwrap()
}

async fn a_member_creates_renames_and_archives_projects(db: Db) {
    let app = spawn_app(db).await;
    let mia = app.signed_in("mia@example.com").await;
    assert!(projects(&app, &mia).await.is_empty());

    assert_eq!(
        app.call(&mia, "create_project", &[("name", "Launch plan")])
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.call(&mia, "create_project", &[("name", "  ")])
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let list = projects(&app, &mia).await;
    assert_eq!(list.len(), 1);
    let id = list[0].id.to_string();

    let renamed = app
        .call(
            &mia,
            "rename_project",
            &[("project_id", id.as_str()), ("name", "Launch plan v2")],
        )
        .await;
    assert_eq!(renamed.status(), StatusCode::OK);
    assert_eq!(projects(&app, &mia).await[0].name, "Launch plan v2");

    assert_eq!(
        app.call(&mia, "archive_project", &[("project_id", id.as_str())])
            .await
            .status(),
        StatusCode::OK
    );
    assert!(projects(&app, &mia).await[0].archived);
    let again = app
        .call(&mia, "archive_project", &[("project_id", id.as_str())])
        .await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let rename_archived = app
        .call(
            &mia,
            "rename_project",
            &[("project_id", id.as_str()), ("name", "x")],
        )
        .await;
    assert_eq!(rename_archived.status(), StatusCode::UNPROCESSABLE_ENTITY);

    for kind in ["project_created", "project_renamed", "project_archived"] {
        assert_eq!(app.events(kind).await.len(), 1, "{kind}");
    }
    let not_a_number = app
        .call(&mia, "archive_project", &[("project_id", "seven")])
        .await;
    assert_eq!(not_a_number.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn nobody_touches_another_members_projects(db: Db) {
    let app = spawn_app(db).await;
    let mia = app.signed_in("mia@example.com").await;
    let max = app.signed_in("max@example.com").await;
    app.call(&mia, "create_project", &[("name", "Mia's secret")])
        .await;
    let id = projects(&app, &mia).await[0].id.to_string();

    let rename = app
        .call(
            &max,
            "rename_project",
            &[("project_id", id.as_str()), ("name", "Mine now")],
        )
        .await;
    assert_eq!(rename.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(rename
        .text()
        .await
        .unwrap()
        .contains("There is no such active project in your account."));
    let archive = app
        .call(&max, "archive_project", &[("project_id", id.as_str())])
        .await;
    assert_eq!(archive.status(), StatusCode::UNPROCESSABLE_ENTITY);

    assert!(
        projects(&app, &max).await.is_empty(),
        "Max sees none of Mia's projects"
    );
    let mias = projects(&app, &mia).await;
    assert_eq!(
        (mias[0].name.as_str(), mias[0].archived),
        ("Mia's secret", false)
    );
}

async fn payout_details_are_validated_and_only_ever_shown_masked(db: Db) {
    let app = spawn_app(db).await;
    let mia = app.signed_in("mia@example.com").await;
    let none: Option<Payout> = app
        .call(&mia, "get_payout", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(none, None);

    let typo = app
        .call(
            &mia,
            "update_payout",
            &[("iban", "DE89 3704 0044 0532 0130 01")],
        )
        .await;
    assert_eq!(typo.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(typo.text().await.unwrap().contains("not valid"));

    let saved = app
        .call(
            &mia,
            "update_payout",
            &[("iban", "de89 3704 0044 0532 0130 00")],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::OK);
    let body = saved.text().await.unwrap();
    assert!(
        !body.contains("370400440532"),
        "the answer never holds the full IBAN: {body}"
    );

    let shown = app
        .call(&mia, "get_payout", &[])
        .await
        .json::<Option<Payout>>()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(shown.masked_iban, "DE•• •••• •••• •••• ••30 00");
    let page = app.get(&mia, "/payout").await.text().await.unwrap();
    assert!(page.contains("DE•• •••• •••• •••• ••30 00") && !page.contains("370400440532"));

    let events = app.events("payout_updated").await;
    assert_eq!(events.len(), 1);
    assert!(!events[0].detail.contains("370400440532"));
}

async fn staff_and_visitors_have_no_member_account(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in("ada@example.com").await;
    assert_eq!(
        app.call(&ada, "create_project", &[("name", "x")])
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.call(&app.client(), "get_profile", &[]).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get(&app.client(), "/projects").await.status(),
        StatusCode::FOUND
    );
}
