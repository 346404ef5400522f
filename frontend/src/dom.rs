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

/// A button that is sending: busy for assistive technology, and refused by `forms` while so.
pub fn set_busy(button: &Element, busy: bool) {
    let busy = if busy { "true" } else { "false" };
    let _ = button.set_attribute("aria-busy", busy);
    let _ = button.set_attribute("aria-disabled", busy);
}
