use crate::api::member_data::{list_projects, ArchiveProject, CreateProject, RenameProject};
use crate::components::{
    action_error, field_error, field_ties, view_only, when_loaded, DataTable, ErrorNote,
    SubmitButton, ViewOnlyNote,
};
use crate::model::{format_utc, Project};
use leptos::prelude::*;
use leptos_meta::Title;

/// `/projects`: the member's projects; create, rename, archive.
#[component]
pub fn ProjectsPage() -> impl IntoView {
    let create = ServerAction::<CreateProject>::new();
    let rename = ServerAction::<RenameProject>::new();
    let archive = ServerAction::<ArchiveProject>::new();
    let projects = Resource::new(|| (), |_| list_projects());
    let changes = ProjectChanges { rename, archive };
    view! {
        <Title text="Projects · Actas"/>
        <section class="card wide" aria-labelledby="projects-heading">
            <h1 id="projects-heading">"Projects"</h1>
            <CreateProject create/>
            <ErrorNote message=action_error(rename)/>
            <ErrorNote message=action_error(archive)/>
            {when_loaded(projects, move |projects| view! { <ProjectTable projects changes/> })}
        </section>
    }
}

/// `Create project`: off in a `View only` session, its refusal said by the name it concerns.
#[component]
fn CreateProject(create: ServerAction<CreateProject>) -> impl IntoView {
    let off = view_only();
    let name_error = field_error(create, "name");
    let (name_invalid, name_described) = field_ties(&name_error, "new-project-error");
    view! {
        <ViewOnlyNote/>
        <ActionForm action=create attr:class="search">
            <label for="new-project">"New project name"</label>
            <input
                id="new-project"
                name="name"
                required
                maxlength="80"
                disabled=off.is_some()
                aria-invalid=name_invalid
                aria-describedby=name_described
            />
            <SubmitButton label="Create project" disabled_by=off/>
        </ActionForm>
        <ErrorNote message=name_error id="new-project-error"/>
        <ErrorNote message=action_error(create)/>
    }
}

#[derive(Clone, Copy)]
struct ProjectChanges {
    rename: ServerAction<RenameProject>,
    archive: ServerAction<ArchiveProject>,
}

#[component]
fn ProjectTable(projects: Vec<Project>, changes: ProjectChanges) -> impl IntoView {
    if projects.is_empty() {
        return view! { <p class="muted">"No projects yet."</p> }.into_any();
    }
    let rows = projects
        .into_iter()
        .map(|project| view! { <ProjectRow project changes/> })
        .collect_view();
    view! {
        <DataTable headers=vec!["Name", "Created", "Status", "Changes"]>
            <tbody>{rows}</tbody>
        </DataTable>
    }
    .into_any()
}

#[component]
fn ProjectRow(project: Project, changes: ProjectChanges) -> impl IntoView {
    // Set in a `View only` session: every change is off.
    let off = view_only();
    let actions = (!project.archived).then(|| {
        let (rename_id, archive_id) = (project.id.to_string(), project.id.to_string());
        let rename_label = format!("New name for {}", project.name);
        let archive_label = format!("Archive {}", project.name);
        let field_off = off.is_some();
        let (rename_off, archive_off) = (off.clone(), off.clone());
        view! {
            <ActionForm action=changes.rename attr:class="row-form">
                <input type="hidden" name="project_id" value=rename_id/>
                <input name="name" aria-label=rename_label required maxlength="80" disabled=field_off/>
                <SubmitButton label="Rename" class="secondary" disabled_by=rename_off.clone()/>
            </ActionForm>
            <ActionForm action=changes.archive attr:class="row-form">
                <input type="hidden" name="project_id" value=archive_id/>
                <SubmitButton
                    label="Archive"
                    class="secondary"
                    aria_label=archive_label.clone()
                    disabled_by=archive_off.clone()
                />
            </ActionForm>
        }
    });
    view! {
        <tr>
            <th scope="row">{project.name}</th>
            <td data-label="Created">{format_utc(project.created_at)}</td>
            <td data-label="Status">{if project.archived { "Archived" } else { "Active" }}</td>
            <td data-label="Changes" class="row-actions">{actions}</td>
        </tr>
    }
}
