//! The few DOM helpers every part uses.

use wasm_bindgen::{closure::Closure, convert::FromWasmAbi, JsCast};
use web_sys::{Document, Element, EventTarget, HtmlElement, NodeList, Window};

pub fn window() -> Window {
    web_sys::window().expect("the page's window")
}

pub fn document() -> Document {
    window().document().expect("the page's document")
}

/// The elements of a query's answer.
pub fn elements(found: Result<NodeList, wasm_bindgen::JsValue>) -> Vec<Element> {
    let Ok(found) = found else {
        return Vec::new();
    };
    (0..found.length())
        .filter_map(|index| found.item(index)?.dyn_into().ok())
        .collect()
}

/// Every element of the page matching `selector`.
pub fn all(selector: &str) -> Vec<Element> {
    elements(document().query_selector_all(selector))
}

pub fn by_id(id: &str) -> Option<Element> {
    document().get_element_by_id(id)
}

/// Calls `handle` for every `event` at `target`, for as long as the page lives. With
/// `capture`, also events that do not bubble (a dialog's `close`) from anywhere below.
pub fn listen<E: FromWasmAbi + 'static>(
    target: &EventTarget,
    event: &str,
    capture: bool,
    handle: impl FnMut(E) + 'static,
) {
    let handle = Closure::<dyn FnMut(E)>::new(handle);
    let _ = target.add_event_listener_with_callback_and_bool(
        event,
        handle.as_ref().unchecked_ref(),
        capture,
    );
    handle.forget();
}

/// The element an event happened on, or its nearest ancestor matching `selector`.
pub fn closest(event: &web_sys::Event, selector: &str) -> Option<Element> {
    event
        .target()?
        .dyn_into::<Element>()
        .ok()?
        .closest(selector)
        .ok()
        .flatten()
}

/// Focus on `element` without scrolling the page to it.
pub fn focus_in_place(element: &HtmlElement) {
    let options = web_sys::FocusOptions::new();
    options.set_prevent_scroll(true);
    let _ = element.focus_with_options(&options);
}

/// Takes the query fields `names` out of the page's address (without loading anything), if
/// it has any of `when_any_of`.
pub fn forget_in_address(names: &[&str], when_any_of: &[&str]) {
    let Ok(url) = web_sys::Url::new(&window().location().href().unwrap_or_default()) else {
        return;
    };
    let query = url.search_params();
    if !when_any_of.iter().any(|name| query.has(name)) {
        return;
    }
    for name in names {
        query.delete(name);
    }
    if let Ok(history) = window().history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url.href()));
    }
}

/// Words that stood on the page as it arrived (or as a part of it was put in place) are not
/// read out by a screen reader, which announces only what changes in a live region: the words
/// of every status and alert under `root` are put in again a moment later. An island's are
/// left alone (it draws its own words, and hydrates against them as the server rendered
/// them), and so is a region with controls in it (focus may be on one of them).
pub fn say_again(root: &Element) {
    const CONTROLS: &str = "a, button, input, select, textarea";
    let mut notes = elements(root.query_selector_all("[role=status], [role=alert], [aria-live]"));
    if root
        .matches("[role=status], [role=alert], [aria-live]")
        .unwrap_or(false)
    {
        notes.push(root.clone());
    }
    for note in notes {
        let has_words = note
            .text_content()
            .is_some_and(|words| !words.trim().is_empty());
        let in_island = note.closest("leptos-island").ok().flatten().is_some();
        if !has_words || in_island || note.query_selector(CONTROLS).ok().flatten().is_some() {
            continue;
        }
        let nodes = note.child_nodes();
        let words: Vec<web_sys::Node> = (0..nodes.length())
            .filter_map(|index| nodes.item(index))
            .collect();
        for node in &words {
            let _ = note.remove_child(node);
        }
        after(100, move || {
            for node in &words {
                let _ = note.append_child(node);
            }
        });
    }
}

/// Runs `then` once, `ms` milliseconds from now.
pub fn after(ms: i32, then: impl FnOnce() + 'static) {
    let then = Closure::once_into_js(then);
    let _ =
        window().set_timeout_with_callback_and_timeout_and_arguments_0(then.unchecked_ref(), ms);
}

/// A button that is sending: busy for assistive technology, and refused by `forms` while so.
pub fn set_busy(button: &Element, busy: bool) {
    let busy = if busy { "true" } else { "false" };
    let _ = button.set_attribute("aria-busy", busy);
    let _ = button.set_attribute("aria-disabled", busy);
}
