//! The browser's part of Actas.
//!
//! Every page arrives whole from the server (Leptos renders it there); every form is a plain
//! HTML form that works without JavaScript. This client makes those pages behave as SPEC.md
//! §8 asks, and keeps them live. It knows no page: it reads what the markup asks for.
//!
//! | the markup | what the client does |
//! |---|---|
//! | `<form method="post">` | a busy button and no second send; back on the page: the same scroll, focus on the button, a refused form filled in again, its words said again for screen readers (`forms`) |
//! | `data-private` on a field | never kept to fill the form in again (an IBAN, a support code) (`forms`) |
//! | `form[data-in-place="ID"]` | sent without leaving the page: `#ID` fetched again (GET; the address follows unless `data-keeps-address`), or the answer written into a copy of the template `#ID` (POST: its `[data-field]`s; `data-once`, `data-refreshes`, `[data-error]`) (`in_place`) |
//! | `[data-needs-script]` | offered (it was disabled for a page without this client) (`forms`) |
//! | `[data-opens="ID"]`, `[data-asks="ID"]` and `[data-confirm]`, `[data-close]`, `dialog[open]` | open the dialog `#ID`; ask in it before sending, and send; close it; a dialog the server rendered open, shown modal (`dialogs`) |
//! | `[data-menu]`, `details[data-folds]`, `[data-dismiss="ID"]` | the top bar's `Menu`; a menu that folds once used (`forms`); a notice put away (`dialogs`) |
//! | `[role=timer][data-remaining-ms]`, `[data-last-minute]` | the banner's countdown, against a deadline, and its last minute said (`banner`) |
//! | `[data-live="<news> …"]`, `data-live-said`, `[data-leave-to]` | the live channel: these parts fetched again on news, unless they say it already, with what was typed into their forms kept; an ended session left (`live`) |
//!
//! The page is marked interactive (`data-hydrated` on `<body>`) once all of that is in place:
//! the end-to-end tests and scripts/first-page.sh wait for it.

mod banner;
mod dialogs;
mod dom;
mod forms;
mod in_place;
mod live;

/// Called by Leptos' loader script (`HydrationScripts`) once this file has loaded; the name is
/// the loader's.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    dialogs::start();
    if let Some(body) = dom::document().body() {
        dialogs::show_modal_in(&body);
    }
    forms::start();
    banner::start();
    live::start();
    if let Some(body) = dom::document().body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}
