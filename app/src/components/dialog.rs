//! The one modal dialog, and the buttons that open and close it.
//!
//! Rendered closed, as a native `<dialog>`, and opened with `showModal()`: by an island that
//! holds it (`AskFirst`), or elsewhere by the browser's client (`frontend/src/dialogs.rs`)
//! from a control marked `data-opens`; that client also keeps Tab inside an open dialog and
//! gives focus back to the opener on closing (SPEC.md §8).

use super::{Sending, SubmitButton};
use leptos::prelude::*;

/// A modal dialog: the control with `data-opens=id` opens it. `shown`: the page's address
/// asked for it, and it is rendered open (the browser shows it modal; without JavaScript it
/// stands in the page). `opener` is the id of the control focus returns to when no other
/// control opened it.
#[component]
pub fn Dialog(
    #[prop(into)] id: String,
    #[prop(into)] title: String,
    #[prop(into)] message: String,
    #[prop(into)] opener: String,
    #[prop(optional)] shown: bool,
    /// For an island that opens it itself.
    #[prop(optional)]
    node_ref: NodeRef<leptos::html::Dialog>,
    children: Children,
) -> impl IntoView {
    view! {
        <dialog
            node_ref=node_ref
            class="dialog"
            open=shown
            id=id.clone()
            aria-labelledby=format!("{id}-title")
            aria-describedby=format!("{id}-message")
            data-opener=opener
        >
            <h2 id=format!("{id}-title")>{title}</h2>
            <p id=format!("{id}-message")>{message}</p>
            {children()}
        </dialog>
    }
}

/// `Cancel` and the dialog's confirming button.
#[component]
pub fn DialogButtons(label: &'static str, #[prop(optional)] class: &'static str) -> impl IntoView {
    view! {
        <div class="dialog-buttons">
            <CloseDialogButton label="Cancel"/>
            <SubmitButton label class/>
        </div>
    }
}

/// Closes the dialog it is in, as `Escape` does.
#[component]
pub fn CloseDialogButton(label: &'static str) -> impl IntoView {
    view! { <button type="button" class="secondary" data-close>{label}</button> }
}

/// A destructive action's submit button that asks first. Without JavaScript it submits its
/// form as it is; in the browser it opens a dialog saying what will happen, whose confirming
/// button sends the same form. Inside an island, the island does that itself; elsewhere the
/// browser's client reads `data-asks` and `data-confirm`.
#[component]
pub fn AskFirst(
    /// Unique on the page: names the button (where focus returns) and the dialog.
    #[prop(into)]
    id: String,
    #[prop(into)] label: String,
    #[prop(into)] question: String,
    #[prop(optional, into)] aria_label: Option<String>,
) -> impl IntoView {
    let button_id = format!("{id}-button");
    let title = aria_label.clone().unwrap_or_else(|| label.clone());
    let busy = Sending::of_button();
    let asking = NodeRef::<leptos::html::Button>::new();
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    let ask = move |event: leptos::ev::MouseEvent| {
        if let Some(dialog) = dialog.get_untracked() {
            event.prevent_default();
            // Modal: the page behind is inert, Escape closes it, focus moves to `Cancel`.
            let _ = dialog.show_modal();
        }
    };
    let confirm = move |_| {
        if let (Some(dialog), Some(asking)) = (dialog.get_untracked(), asking.get_untracked()) {
            dialog.close();
            if let Some(form) = asking.form() {
                let _ = form.request_submit_with_submitter(Some(&asking));
            }
        }
    };
    view! {
        <button
            type="submit"
            id=button_id.clone()
            class="danger"
            aria-label=aria_label
            data-asks=id.clone()
            aria-busy=busy
            aria-disabled=busy
            node_ref=asking
            on:click=ask
        >
            {label.clone()}
        </button>
        <Dialog id title message=question opener=button_id node_ref=dialog>
            <div class="dialog-buttons">
                <CloseDialogButton label="Cancel"/>
                <button type="button" class="danger" data-confirm on:click=confirm>{label}</button>
            </div>
        </Dialog>
    }
}
