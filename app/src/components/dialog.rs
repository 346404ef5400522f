//! The one modal dialog, and the buttons that open and close it.

use super::SubmitButton;
use leptos::prelude::*;

/// The one modal dialog (SPEC.md §8): a native `<dialog>` opened with `showModal()`, so the
/// page behind is inert and `Escape` closes it. Focus moves to its first field (or `Cancel`,
/// where it only asks), Tab and Shift+Tab cycle inside it, and on closing focus goes back to
/// `opener` (an element id) even when the list behind re-renders that element. Taller than
/// the screen (200% zoom), it scrolls.
#[component]
pub fn Dialog(
    #[prop(into)] id: String,
    #[prop(into)] title: String,
    #[prop(into)] message: String,
    on_close: Callback<()>,
    #[prop(into)] opener: String,
    children: Children,
) -> impl IntoView {
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    #[cfg(feature = "hydrate")]
    {
        Effect::new(move |_| {
            if let Some(dialog) = dialog.get() {
                if !dialog.open() {
                    let _ = dialog.show_modal();
                }
                if let Some(first) = focusable_in(&dialog).into_iter().next() {
                    let _ = first.focus();
                }
            }
        });
        let opener = opener.clone();
        on_cleanup(move || return_focus(opener));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = opener;
    let keep_focus_inside = move |event: leptos::ev::KeyboardEvent| {
        #[cfg(feature = "hydrate")]
        if event.key() == "Tab" {
            let Some(dialog) = dialog.get_untracked() else {
                return;
            };
            let inside = focusable_in(&dialog);
            let (Some(first), Some(last)) = (inside.first(), inside.last()) else {
                return;
            };
            let active = document().active_element();
            let at = |element: &web_sys::HtmlElement| {
                let element: &web_sys::Element = element.as_ref();
                active.as_ref() == Some(element)
            };
            let wrap_to = if event.shift_key() && at(first) {
                Some(last)
            } else if !event.shift_key() && at(last) {
                Some(first)
            } else {
                None
            };
            if let Some(target) = wrap_to {
                event.prevent_default();
                let _ = target.focus();
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = event;
    };
    view! {
        <dialog
            class="dialog"
            node_ref=dialog
            aria-labelledby=format!("{id}-title")
            aria-describedby=format!("{id}-message")
            on:keydown=keep_focus_inside
            // `Escape` (the browser's cancel) and `Cancel` both end in `close`.
            on:close=move |_| on_close.run(())
        >
            <h2 id=format!("{id}-title")>{title}</h2>
            <p id=format!("{id}-message")>{message}</p>
            {children()}
        </dialog>
    }
}

/// `Cancel` and the dialog's confirming button.
#[component]
pub fn DialogButtons(
    label: &'static str,
    #[prop(into)] pending: Signal<bool>,
    #[prop(optional)] class: &'static str,
) -> impl IntoView {
    view! {
        <div class="dialog-buttons">
            <CloseDialogButton label="Cancel"/>
            <SubmitButton label pending class/>
        </div>
    }
}

/// Closes the dialog it is in, as `Escape` does.
#[component]
pub fn CloseDialogButton(label: &'static str) -> impl IntoView {
    view! {
        <button
            type="button"
            class="secondary"
            on:click=move |event| {
                #[cfg(feature = "hydrate")]
                {
                    use wasm_bindgen::JsCast;
                    let dialog = event
                        .target()
                        .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
                        .and_then(|button| button.closest("dialog").ok().flatten())
                        .and_then(|dialog| dialog.dyn_into::<web_sys::HtmlDialogElement>().ok());
                    if let Some(dialog) = dialog {
                        dialog.close();
                    }
                }
                #[cfg(not(feature = "hydrate"))]
                let _ = event;
            }
        >
            {label}
        </button>
    }
}

/// A destructive action's submit button that asks first. Without JavaScript it submits its
/// form as it is; once the page is interactive it opens a dialog saying what will happen,
/// whose confirming button submits the same form.
#[component]
pub fn AskFirst(
    /// Unique on the page: names the button (where focus returns) and the dialog.
    #[prop(into)]
    id: String,
    label: &'static str,
    #[prop(into)] pending: Signal<bool>,
    #[prop(into)] question: String,
    #[prop(optional, into)] aria_label: Option<String>,
    /// Runs as the person confirms, just before the form is sent.
    #[prop(optional)]
    on_confirm: Option<Callback<()>>,
) -> impl IntoView {
    let asking = RwSignal::new(false);
    let button_id = format!("{id}-button");
    let confirm = {
        let button_id = button_id.clone();
        move || {
            if let Some(on_confirm) = on_confirm {
                on_confirm.run(());
            }
            #[cfg(feature = "hydrate")]
            {
                use wasm_bindgen::JsCast;
                let form = document()
                    .get_element_by_id(&button_id)
                    .and_then(|button| button.dyn_into::<web_sys::HtmlButtonElement>().ok())
                    .and_then(|button| button.form());
                if let Some(form) = form {
                    let _ = form.request_submit();
                }
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = &button_id;
            asking.set(false);
        }
    };
    let confirm = std::sync::Arc::new(confirm);
    let on_close = Callback::new(move |_| asking.set(false));
    let title = aria_label.clone().unwrap_or_else(|| label.to_string());
    view! {
        <button
            type="submit"
            id=button_id.clone()
            class="danger"
            aria-disabled=move || pending.get().to_string()
            aria-busy=move || pending.get().to_string()
            aria-label=aria_label
            on:click=move |event| {
                // Only an interactive page gets here: ask instead of sending.
                event.prevent_default();
                if !pending.get_untracked() {
                    asking.set(true);
                }
            }
        >
            {label}
        </button>
        {move || {
            let confirm = confirm.clone();
            asking.get().then(|| view! {
                <Dialog id=id.clone() title=title.clone() message=question.clone() on_close opener=button_id.clone()>
                    <div class="dialog-buttons">
                        <CloseDialogButton label="Cancel"/>
                        <button type="button" class="danger" on:click=move |_| confirm()>{label}</button>
                    </div>
                </Dialog>
            })
        }}
    }
}

/// What Tab can reach inside `root`, in order.
#[cfg(feature = "hydrate")]
fn focusable_in(root: &web_sys::HtmlElement) -> Vec<web_sys::HtmlElement> {
    use wasm_bindgen::JsCast;
    const FOCUSABLE: &str = "a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), \
                             select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex='-1'])";
    let Ok(found) = root.query_selector_all(FOCUSABLE) else {
        return Vec::new();
    };
    (0..found.length())
        .filter_map(|index| found.item(index))
        .filter_map(|node| node.dyn_into::<web_sys::HtmlElement>().ok())
        .filter(|element| element.get_client_rects().length() > 0)
        .collect()
}

/// Puts focus back on the element with id `opener`. If the page re-renders it a moment later
/// (the list reloads after a change), focus follows to the new one, for a few seconds and
/// only while focus has nowhere else to be.
#[cfg(feature = "hydrate")]
fn return_focus(opener: String) {
    /// One look: focuses the opener if focus was lost. True once there is nothing to watch.
    fn look(opener: &str) -> bool {
        use wasm_bindgen::JsCast;
        let Some(target) = document()
            .get_element_by_id(opener)
            .and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok())
        else {
            return false;
        };
        let active = document().active_element();
        let body: Option<web_sys::Element> = document().body().map(Into::into);
        // Lost: on nothing, on the page itself, or still inside a dialog that has closed (an
        // open one, a second dialog, keeps its focus).
        let lost = active.is_none()
            || active == body
            || active.as_ref().is_some_and(|active| {
                let closed_dialog = active
                    .closest("dialog")
                    .ok()
                    .flatten()
                    .and_then(|dialog| dialog.dyn_into::<web_sys::HtmlDialogElement>().ok())
                    .is_some_and(|dialog| !dialog.open());
                !active.is_connected() || closed_dialog
            });
        if lost {
            let _ = target.focus();
            return false;
        }
        // Still on the opener: keep watching in case it is re-rendered; anywhere else, the
        // person has moved on.
        let target: &web_sys::Element = target.as_ref();
        active.as_ref() != Some(target)
    }
    // The first look waits until the closing dialog has left the page.
    fn watch(opener: String, looks_left: u32) {
        if looks_left == 0 {
            return;
        }
        gloo_timers::callback::Timeout::new(100, move || {
            if !look(&opener) {
                watch(opener, looks_left - 1);
            }
        })
        .forget();
    }
    watch(opener, 30);
}
