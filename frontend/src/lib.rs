//! The browser's part of Actas.
//!
//! Every page arrives whole from the server (Leptos renders it there); every form is a plain
//! HTML form that works without JavaScript. The page's islands (`app`'s `#[island]`
//! components: the impersonation banner, …) hydrate here from the same code. The rest of the
//! page this crate's own modules make behave as SPEC.md §8 asks, and keep live, from what the
//! markup asks for; they retire as islands take their parts over.
//!
//! | the markup | what the client does |
//! |---|---|
//! | `<form method="post">` | a busy button and no second send; back on the page: the same scroll, focus on the button, a refused form filled in again, its words said again for screen readers (`forms`) |
//! | `data-private` on a field | never kept to fill the form in again (an IBAN, a support code) (`forms`) |
//! | `form[data-in-place="ID"]` | sent without leaving the page: `#ID` fetched again (GET; the address follows unless `data-keeps-address`), or the answer written into a copy of the template `#ID` (POST: its `[data-field]`s; `data-once`, `data-refreshes`, `[data-error]`) (`in_place`) |
//! | `[data-needs-script]` | offered (it was disabled for a page without this client) (`forms`) |
//! | `[data-opens="ID"]`, `[data-asks="ID"]` and `[data-confirm]`, `[data-close]`, `dialog[open]` | open the dialog `#ID`; ask in it before sending, and send; close it; a dialog the server rendered open, shown modal (`dialogs`) |
//! | `[data-menu]`, `details[data-folds]`, `[data-dismiss="ID"]` | the top bar's `Menu`; a menu that folds once used (`forms`); a notice put away (`dialogs`) |
//! | `[data-live="<news> …"]`, `data-live-said` | the live channel: these parts fetched again on news, unless they say it already, with what was typed into their forms kept (`live`) |
//!
//! The page is marked interactive (`data-hydrated` on `<body>`) once all of that is in place
//! and its islands have hydrated: the end-to-end tests and scripts/first-page.sh wait for it.

// Linking the crate is what keeps its islands' exports in this wasm file: without it they
// vanish silently.
extern crate app;

mod dialogs;
mod dom;
mod forms;
mod in_place;
mod live;

/// Called by Leptos' loader script (`HydrationScripts`) once this file has loaded, before it
/// hydrates the page's islands; the name is the loader's.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
    // A server function sent from an island that answers with somewhere to go (exiting an
    // impersonation) takes the browser there, as its plain post would have; once, whatever
    // else says the page is over (the live channel's `ended`).
    let _ = leptos::server_fn::redirect::set_redirect_hook(app::live::leave);
    dialogs::start();
    if let Some(body) = dom::document().body() {
        dialogs::show_modal_in(&body);
    }
    forms::start();
    live::start();
    // The loader hydrates the islands right after this returns, without waiting on anything
    // but its own promises: a task queued now runs once they are all done.
    gloo_timers::callback::Timeout::new(0, || {
        if let Some(body) = dom::document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    })
    .forget();
}
