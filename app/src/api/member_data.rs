//! The member's own account: profile, projects and payout details (SPEC.md §4). Each function
//! acts on the account of the person the request is for, never on one the request names.

use crate::error::AppError;
use crate::model::{Payout, Profile, Project};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::model::Section;
#[cfg(feature = "ssr")]
use crate::ssr::{app_state, effective_member_in, member_fields::*, not_while_acting, now_ms};

#[cfg(feature = "ssr")]
fn invalid(message: String) -> AppError {
    AppError::Invalid(message)
}

#[server(endpoint = "get_profile")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn get_profile() -> Result<Profile, AppError> {
    let member = effective_member_in(Section::Profile)?;
    let stored = app_state()?.store.profile(member.owner.id).await?;
    Ok(stored.unwrap_or(Profile {
        display_name: member.owner.name,
        phone: String::new(),
        time_zone: "UTC".into(),
    }))
}

#[server(endpoint = "update_profile")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn update_profile(
    display_name: String,
    phone: String,
    time_zone: String,
) -> Result<Profile, AppError> {
    let member = effective_member_in(Section::Profile)?;
    member.may_change()?;
    let profile = parse_profile(&display_name, &phone, &time_zone).map_err(invalid)?;
    app_state()?
        .store
        .update_profile(member.owner.id, member.by, &profile, now_ms())
        .await?;
    Ok(profile)
}

#[server(endpoint = "list_projects")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn list_projects() -> Result<Vec<Project>, AppError> {
    let member = effective_member_in(Section::Projects)?;
    Ok(app_state()?.store.projects(member.owner.id).await?)
}

#[server(endpoint = "create_project")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn create_project(name: String) -> Result<(), AppError> {
    let member = effective_member_in(Section::Projects)?;
    member.may_change()?;
    let name = ProjectName::parse(&name).map_err(|error| AppError::field("name", error))?;
    app_state()?
        .store
        .create_project(member.owner.id, member.by, name.as_str(), now_ms())
        .await?;
    Ok(())
}

#[server(endpoint = "rename_project")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn rename_project(project_id: i64, name: String) -> Result<(), AppError> {
    let member = effective_member_in(Section::Projects)?;
    member.may_change()?;
    let name = ProjectName::parse(&name).map_err(invalid)?;
    let store = app_state()?.store;
    let renamed = store
        .rename_project(
            member.owner.id,
            member.by,
            project_id,
            name.as_str(),
            now_ms(),
        )
        .await?;
    renamed.then_some(()).ok_or_else(no_such_project)
}

#[server(endpoint = "archive_project")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn archive_project(project_id: i64) -> Result<(), AppError> {
    let member = effective_member_in(Section::Projects)?;
    member.may_change()?;
    let archived = app_state()?
        .store
        .archive_project(member.owner.id, member.by, project_id, now_ms())
        .await?;
    archived.then_some(()).ok_or_else(no_such_project)
}

/// The same answer for someone else's project as for one that does not exist: neither is yours.
#[cfg(feature = "ssr")]
fn no_such_project() -> AppError {
    AppError::Invalid("There is no such active project in your account.".into())
}

/// The masked IBAN: an administrator acting as the member sees what the member sees.
#[server(endpoint = "get_payout")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn get_payout() -> Result<Option<Payout>, AppError> {
    let member = effective_member_in(Section::Payout)?;
    let stored = app_state()?.store.payout_iban(member.owner.id).await?;
    Ok(stored.map(|(iban, updated_at)| Payout {
        masked_iban: mask_iban(&iban),
        updated_at,
    }))
}

/// Payout details are the member's alone to change: never while an administrator acts.
#[server(endpoint = "update_payout")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn update_payout(iban: String) -> Result<Payout, AppError> {
    not_while_acting()?;
    let member = effective_member_in(Section::Payout)?;
    let iban = Iban::parse(&iban).map_err(invalid)?;
    let now = now_ms();
    app_state()?
        .store
        .update_payout(member.owner.id, member.by, iban.as_str(), now)
        .await?;
    Ok(Payout {
        masked_iban: mask_iban(iban.as_str()),
        updated_at: now,
    })
}
