use crate::api::member_data::{list_projects, ArchiveProject, CreateProject, RenameProject};
use crate::components::{action_error, when_loaded, DataTable, ErrorNote, SubmitButton};
use crate::model::{format_utc, Project};
use leptos::prelude::*;
use leptos_meta::Title;

/// `/projects`: the member's projects; create, rename, archive.
#[component]
pub fn ProjectsPage() -> impl IntoView {
    let create = ServerAction::<CreateProject>::new();
    let rename = ServerAction::<RenameProject>::new();
    let archive = ServerAction::<ArchiveProject>::new();
    let projects = Resource::new(
        move || {
            (
                create.version().get(),
                rename.version().get(),
                archive.version().get(),
            )
        },
        |_| list_projects(),
    );
    let changes = ProjectChanges { rename, archive };
    view! {
        <Title text="Projects · Actas"/>
        <section class="card wide" aria-labelledby="projects-heading">
            <h1 id="projects-heading">"Projects"</h1>
            <ActionForm action=create attr:class="search">
                <label for="new-project">"New project name"</label>
                <input id="new-project" name="name" required maxlength="80"/>
                <SubmitButton label="Create project" pending=create.pending()/>
            </ActionForm>
            <ErrorNote message=Signal::derive(action_error(create))/>
            <ErrorNote message=Signal::derive(action_error(rename))/>
            <ErrorNote message=Signal::derive(action_error(archive))/>
            {when_loaded(projects, move |projects| view! { <ProjectTable projects changes/> })}
        </section>
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
    let actions = (!project.archived).then(|| {
        let (rename_id, archive_id) = (project.id.to_string(), project.id.to_string());
        let rename_label = format!("New name for {}", project.name);
        let archive_label = format!("Archive {}", project.name);
        view! {
            <ActionForm action=changes.rename attr:class="row-form">
                <input type="hidden" name="project_id" value=rename_id/>
                <input name="name" aria-label=rename_label required maxlength="80"/>
                <SubmitButton label="Rename" class="secondary" pending=changes.rename.pending()/>
            </ActionForm>
            <ActionForm action=changes.archive attr:class="row-form">
                <input type="hidden" name="project_id" value=archive_id/>
                <SubmitButton
                    label="Archive"
                    class="secondary"
                    pending=changes.archive.pending()
                    aria_label=archive_label
                />
            </ActionForm>
        }
    });
    view! {
        <tr>
            <td>{project.name}</td>
            <td>{format_utc(project.created_at)}</td>
            <td>{if project.archived { "Archived" } else { "Active" }}</td>
            <td class="row-actions">{actions}</td>
        </tr>
    }
}
