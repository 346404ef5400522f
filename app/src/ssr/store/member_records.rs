//! `profiles`, `projects` and `payout_details`: what a member's account holds (SPEC.md §4).
//! Every change re-checks, inside its transaction, the impersonation session it is made in.

use super::{Store, StoreError};
use crate::model::{Profile, Project};
use crate::ssr::audit::{By, EventKind, NewEvent};
use serde_json::json;

#[derive(sqlx::FromRow)]
struct ProjectRow {
    id: i64,
    name: String,
    created_at: i64,
    archived_at: Option<i64>,
}

impl From<ProjectRow> for Project {
    fn from(row: ProjectRow) -> Project {
        Project {
            id: row.id,
            name: row.name,
            created_at: row.created_at,
            archived: row.archived_at.is_some(),
        }
    }
}

/// `by` is who made the change (the member, or an administrator acting as them); `owner_id`
/// whose account it is.
impl Store {
    pub async fn profile(&self, user_id: i64) -> Result<Option<Profile>, StoreError> {
        Ok(
            sqlx::query_as(
                "SELECT display_name, phone, time_zone FROM profiles WHERE user_id = $1",
            )
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?,
        )
    }

    #[tracing::instrument(skip_all, fields(owner_id = owner_id))]
    pub async fn update_profile(
        &self,
        owner_id: i64,
        by: By,
        profile: &Profile,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write_by(&by, now).await?;
        sqlx::query(
            "INSERT INTO profiles (user_id, display_name, phone, time_zone, updated_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (user_id) DO UPDATE SET display_name = excluded.display_name, phone = excluded.phone, \
             time_zone = excluded.time_zone, updated_at = excluded.updated_at",
        )
        .bind(owner_id)
        .bind(&profile.display_name)
        .bind(&profile.phone)
        .bind(&profile.time_zone)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let event = NewEvent::new(EventKind::ProfileUpdated)
            .by(&by)
            .subject(owner_id)
            .detail(json!({
                "display_name": profile.display_name,
                "phone": profile.phone,
                "time_zone": profile.time_zone,
            }));
        Self::append_event(&mut tx, event, now).await?;
        Self::commit_by(tx, &by, now).await?;
        Ok(())
    }

    pub async fn projects(&self, owner_id: i64) -> Result<Vec<Project>, StoreError> {
        let rows: Vec<ProjectRow> = sqlx::query_as(
            "SELECT id, name, created_at, archived_at FROM projects WHERE owner_id = $1 ORDER BY archived_at IS NOT NULL, id",
        )
        .bind(owner_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Project::from).collect())
    }

    #[tracing::instrument(skip_all, fields(owner_id = owner_id))]
    pub async fn create_project(
        &self,
        owner_id: i64,
        by: By,
        name: &str,
        now: i64,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin_write_by(&by, now).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO projects (owner_id, name, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(owner_id)
        .bind(name)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let event = NewEvent::new(EventKind::ProjectCreated)
            .by(&by)
            .subject(owner_id)
            .detail(json!({"project_id": id, "name": name}));
        Self::append_event(&mut tx, event, now).await?;
        Self::commit_by(tx, &by, now).await?;
        Ok(id)
    }

    /// Renames one of the owner's own active projects; false if there is no such project.
    #[tracing::instrument(skip_all, fields(owner_id = owner_id))]
    pub async fn rename_project(
        &self,
        owner_id: i64,
        by: By,
        project_id: i64,
        name: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write_by(&by, now).await?;
        let old_name: Option<String> = sqlx::query_scalar(
            "SELECT name FROM projects WHERE id = $1 AND owner_id = $2 AND archived_at IS NULL",
        )
        .bind(project_id)
        .bind(owner_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(old_name) = old_name else {
            return Ok(false);
        };
        sqlx::query("UPDATE projects SET name = $1 WHERE id = $2 AND owner_id = $3")
            .bind(name)
            .bind(project_id)
            .bind(owner_id)
            .execute(&mut *tx)
            .await?;
        let event = NewEvent::new(EventKind::ProjectRenamed)
            .by(&by)
            .subject(owner_id)
            .detail(json!({"project_id": project_id, "from": old_name, "to": name}));
        Self::append_event(&mut tx, event, now).await?;
        Self::commit_by(tx, &by, now).await?;
        Ok(true)
    }

    /// Archives one of the owner's own active projects; false if there is no such project.
    #[tracing::instrument(skip_all, fields(owner_id = owner_id))]
    pub async fn archive_project(
        &self,
        owner_id: i64,
        by: By,
        project_id: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write_by(&by, now).await?;
        let archived = sqlx::query(
            "UPDATE projects SET archived_at = $1 WHERE id = $2 AND owner_id = $3 AND archived_at IS NULL",
        )
        .bind(now)
        .bind(project_id)
        .bind(owner_id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            > 0;
        if !archived {
            return Ok(false);
        }
        let event = NewEvent::new(EventKind::ProjectArchived)
            .by(&by)
            .subject(owner_id)
            .detail(json!({"project_id": project_id}));
        Self::append_event(&mut tx, event, now).await?;
        Self::commit_by(tx, &by, now).await?;
        Ok(true)
    }

    /// The stored IBAN and when it was last changed.
    pub async fn payout_iban(&self, user_id: i64) -> Result<Option<(String, i64)>, StoreError> {
        Ok(
            sqlx::query_as("SELECT iban, updated_at FROM payout_details WHERE user_id = $1")
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    #[tracing::instrument(skip_all, fields(owner_id = owner_id))]
    pub async fn update_payout(
        &self,
        owner_id: i64,
        by: By,
        iban: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write_by(&by, now).await?;
        sqlx::query(
            "INSERT INTO payout_details (user_id, iban, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id) DO UPDATE SET iban = excluded.iban, updated_at = excluded.updated_at",
        )
        .bind(owner_id)
        .bind(iban)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        // The IBAN itself never enters the audit trail (and would be redacted if it did).
        let event = NewEvent::new(EventKind::PayoutUpdated)
            .by(&by)
            .subject(owner_id)
            .detail(json!({"changed": ["iban"]}));
        Self::append_event(&mut tx, event, now).await?;
        Self::commit_by(tx, &by, now).await?;
        Ok(())
    }
}
