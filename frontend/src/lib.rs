//! The browser entry point: hydrates the server-rendered page.

// Leptos views are deeply nested types; the hydration code for the biggest pages needs room.
#![recursion_limit = "256"]

use leptos::prelude::document;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // As `leptos::mount::hydrate_lazy` does: a page whose code is in a wasm file of its own (a
    // lazy route) hydrates once that file has loaded. Then, and only then, the page is
    // interactive: the end-to-end tests and scripts/first-page.sh wait for this mark. (An
    // effect would run while the page's own code is still on its way.)
    _ = any_spawner::Executor::init_wasm_bindgen();
    leptos::task::spawn_local(async {
        let Some(body) = document().body() else {
            return;
        };
        leptos::mount::hydrate_from_async(body.clone(), app::App)
            .await
            .forget();
        let _ = body.set_attribute("data-hydrated", "true");
    });
}
