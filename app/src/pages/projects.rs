use crate::api::member_data::{list_projects, ArchiveProject, CreateProject, RenameProject};
use crate::components::{
    action_error, field_error, field_ties, view_only, when_loaded, DataTable, ErrorNote,
    OnceSignedIn, SubmitButton, ViewOnlyNote,
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
    // A created project's name leaves the box; focus stays in it, for the next one.
    let create_form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if matches!(create.value().get(), Some(Ok(_))) {
            if let Some(form) = create_form.get_untracked() {
                form.reset();
            }
        }
    });
    view! {
        <Title text="Projects · Actas"/>
        <section class="card wide" aria-labelledby="projects-heading">
            <h1 id="projects-heading">"Projects"</h1>
            <OnceSignedIn>
                <CreateProject create create_form/>
            </OnceSignedIn>
            <ErrorNote message=Signal::derive(action_error(rename))/>
            <ErrorNote message=Signal::derive(action_error(archive))/>
            {when_loaded(projects, move |projects| view! { <ProjectTable projects changes/> })}
        </section>
    }
}

/// `Create project`: off in a `View only` session, its refusal said by the name it concerns.
#[component]
fn CreateProject(
    create: ServerAction<CreateProject>,
    create_form: NodeRef<leptos::html::Form>,
) -> impl IntoView {
    let off = view_only();
    let name_error = field_error(create, "name");
    let (name_invalid, name_described) = field_ties(name_error, "new-project-error");
    view! {
        <ViewOnlyNote/>
        <ActionForm action=create node_ref=create_form attr:class="search">
            <label for="new-project">"New project name"</label>
            <input
                id="new-project"
                name="name"
                required
                maxlength="80"
                disabled=move || off.get().is_some()
                aria-invalid=name_invalid
                aria-describedby=name_described
            />
            <SubmitButton label="Create project" pending=create.pending() disabled_by=off/>
        </ActionForm>
        <ErrorNote message=name_error id="new-project-error"/>
        <ErrorNote message=Signal::derive(action_error(create))/>
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
        view! {
            <ActionForm action=changes.rename attr:class="row-form">
                <input type="hidden" name="project_id" value=rename_id/>
                <input name="name" aria-label=rename_label required maxlength="80" disabled=move || off.get().is_some()/>
                <SubmitButton label="Rename" class="secondary" pending=changes.rename.pending() disabled_by=off/>
            </ActionForm>
            <ActionForm action=changes.archive attr:class="row-form">
                <input type="hidden" name="project_id" value=archive_id/>
                <SubmitButton
                    label="Archive"
                    class="secondary"
                    pending=changes.archive.pending()
                    aria_label=archive_label
                    disabled_by=off
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
