//! The browser entry point: hydrates the server-rendered page.

// Leptos views are deeply nested types; the hydration code for the biggest pages needs room.
#![recursion_limit = "256"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
