//! Dialogs (SPEC.md §8) and the top bar's `Menu`.
//!
//! The server renders each dialog as a native `<dialog>`, closed, or open where the page's
//! address asks for it (a row's dialog on `/admin/users`); `showModal()` makes the page behind
//! inert and lets `Escape` close it. Focus moves to its first field (or `Cancel`, where
//! it only asks), Tab and Shift+Tab cycle inside it, and on closing focus goes back to the
//! control that opened it. Without JavaScript a dialog the address asks for stands open over
//! the page, not modal, and a button that asks first simply sends.

use crate::dom::{by_id, closest, document, elements, focus_in_place, listen};
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlDialogElement, HtmlElement, HtmlFormElement, KeyboardEvent};

pub fn start() {
    let page = document();
    listen(&page.clone().into(), "click", false, on_click);
    listen(&page.clone().into(), "keydown", false, keep_focus_inside);
    // `close` does not bubble: heard on its way down.
    listen(&page.into(), "close", true, |event: web_sys::Event| {
        let Some(dialog) = closest(&event, "dialog") else {
            return;
        };
        // No longer what the page's address asks for, nor is the refusal it showed.
        crate::dom::forget_in_address(&["dialog", "for", "__path", "__err"], &["dialog"]);
        let opener = dialog
            .get_attribute("data-opener")
            .and_then(|opener| by_id(&opener))
            .and_then(|opener| opener.dyn_into::<HtmlElement>().ok());
        if let Some(opener) = opener {
            focus_in_place(&opener);
        }
    });
}

fn on_click(event: web_sys::MouseEvent) {
    if let Some(opener) = closest(&event, "[data-opens]") {
        event.prevent_default();
        let dialog = opener.get_attribute("data-opens").unwrap_or_default();
        open(&dialog, &opener);
    } else if let Some(button) = closest(&event, "dialog [data-close]") {
        if let Some(dialog) = dialog_of(&button) {
            dialog.close();
        }
    } else if let Some(button) = closest(&event, "dialog [data-confirm]") {
        confirm(&button);
    } else if let Some(button) = closest(&event, "[data-dismiss]") {
        if let Some(notice) = button
            .get_attribute("data-dismiss")
            .and_then(|id| by_id(&id))
        {
            notice.remove();
        }
    } else if let Some(menu) = closest(&event, "[data-menu]") {
        let Some(links) = menu
            .get_attribute("aria-controls")
            .and_then(|id| by_id(&id))
        else {
            return;
        };
        let open = links.class_list().toggle("open").unwrap_or(false);
        let _ = menu.set_attribute("aria-expanded", if open { "true" } else { "false" });
    }
}

fn dialog_of(element: &Element) -> Option<HtmlDialogElement> {
    element.closest("dialog").ok()??.dyn_into().ok()
}

/// Opens the dialog `id`, focus on its first field; `opener` gets focus back on closing.
fn open(id: &str, opener: &Element) -> Option<HtmlDialogElement> {
    let dialog: HtmlDialogElement = by_id(id)?.dyn_into().ok()?;
    if !opener.id().is_empty() {
        let _ = dialog.set_attribute("data-opener", &opener.id());
    }
    if !dialog.open() {
        let _ = dialog.show_modal();
    }
    focus_first_field(&dialog);
    Some(dialog)
}

/// Focus on the dialog's first field, or its first control where it only asks (`Cancel`).
fn focus_first_field(dialog: &HtmlDialogElement) {
    let inside = focusable_in(dialog);
    let field = inside
        .iter()
        .find(|element| matches!(element.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA"));
    if let Some(first) = field.or(inside.first()) {
        let _ = first.focus();
    }
}

/// A button marked `data-asks="ID"` opens the dialog `ID` instead of sending its form (true:
/// the send is held back); the dialog's `data-confirm` button sends it (`confirm`).
pub fn ask(form: &HtmlFormElement, button: &HtmlElement) -> bool {
    if form.has_attribute("data-confirmed") {
        let _ = form.remove_attribute("data-confirmed");
        return false;
    }
    let Some(question) = button.get_attribute("data-asks") else {
        return false;
    };
    match open(&question, button) {
        Some(dialog) => {
            let _ = dialog.set_attribute("data-asked-by", &button.id());
            true
        }
        None => false,
    }
}

fn confirm(button: &Element) {
    let Some(dialog) = dialog_of(button) else {
        return;
    };
    let asked_by = dialog
        .get_attribute("data-asked-by")
        .and_then(|id| by_id(&id))
        .and_then(|button| button.dyn_into::<web_sys::HtmlButtonElement>().ok());
    dialog.close();
    if let Some((form, asked_by)) = asked_by.and_then(|button| Some((button.form()?, button))) {
        let _ = form.set_attribute("data-confirmed", "");
        let _ = form.request_submit_with_submitter(Some(&asked_by));
    }
}

/// A dialog the server rendered open (asked in the page's address, or just fetched in place)
/// shown modal instead, focus on its first field.
pub fn show_modal_in(root: &Element) {
    let mut found = elements(root.query_selector_all("dialog[open]"));
    if root.matches("dialog[open]").unwrap_or(false) {
        found.insert(0, root.clone());
    }
    for dialog in found {
        let Ok(dialog) = dialog.dyn_into::<HtmlDialogElement>() else {
            continue;
        };
        // Not `close()`: its `close` event would say the dialog was put away.
        let _ = dialog.remove_attribute("open");
        let _ = dialog.show_modal();
        focus_first_field(&dialog);
    }
}

/// A refused form inside a dialog: the dialog open again, as it was when sent.
pub fn show_around(form: &HtmlFormElement) {
    if let Some(dialog) = dialog_of(form) {
        if !dialog.open() {
            let _ = dialog.show_modal();
        }
    }
}

/// What Tab can reach inside `root`, in order.
fn focusable_in(root: &Element) -> Vec<HtmlElement> {
    const FOCUSABLE: &str = "a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), \
                             select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex='-1'])";
    elements(root.query_selector_all(FOCUSABLE))
        .into_iter()
        .filter(|element| element.get_client_rects().length() > 0)
        .filter_map(|element| element.dyn_into().ok())
        .collect()
}

fn keep_focus_inside(event: KeyboardEvent) {
    if event.key() != "Tab" {
        return;
    }
    let Some(dialog) = closest(&event, "dialog[open]") else {
        return;
    };
    let inside = focusable_in(&dialog);
    let (Some(first), Some(last)) = (inside.first(), inside.last()) else {
        return;
    };
    let active = document().active_element();
    let at = |element: &HtmlElement| {
        let element: &Element = element.as_ref();
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
