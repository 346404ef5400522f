//! Plain form posts, made to behave as a person expects of a button (SPEC.md §8).
//!
//! A form posts to its server function, which sends the browser back to the page it came
//! from: with the error in the address when it refused (`__path`, `__err`), or with `__done`
//! when it succeeded, and the server renders the page again with the change or the refusal
//! beside its control. Here: the button shows that its action is under way and the form
//! cannot be sent twice; the page that comes back is scrolled where the person was, with
//! focus on the button they used, and a refused form is filled in again as it was sent (in
//! its dialog, open again).

use crate::dom::{focus_in_place, listen, set_busy, window};
use crate::{dialogs, in_place};
use js_sys::{Array, Object, Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Element, HtmlElement, HtmlFormElement, SubmitEvent};

/// Where a form post left from, as JSON in session storage: the page's path, the scroll
/// position, which form (its server function, and what tells it from the others:
/// `identified_forms_within`) and which of its buttons, the control that opened its dialog,
/// and what was filled in.
const LEFT_FROM: &str = "actas-left-from";

pub fn start() {
    // What works only with this client (a support code, `Add user`) is offered now.
    for control in crate::dom::all("[data-needs-script]") {
        let _ = control.remove_attribute("disabled");
        let _ = control.remove_attribute("aria-describedby");
    }
    listen(&window().into(), "submit", false, on_submit);
    // Back to a page the browser kept whole (back/forward cache): its forms were left sending.
    listen(
        &window().into(),
        "pageshow",
        false,
        |event: web_sys::PageTransitionEvent| {
            if event.persisted() {
                for form in crate::dom::all("form[data-sending]") {
                    done_sending(&form);
                }
            }
        },
    );
    return_to_where_left();
    forget_outcome_in_address();
}

/// The page has said how the post went: its address stops saying it, so a reload or a
/// bookmark does not say it again.
fn forget_outcome_in_address() {
    let outcome = ["__path", "__err", "__done", "__said"];
    crate::dom::forget_in_address(&outcome, &outcome);
}

fn on_submit(event: SubmitEvent) {
    let Some(form) = event
        .target()
        .and_then(|target| target.dyn_into::<HtmlFormElement>().ok())
    else {
        return;
    };
    let in_place = form.has_attribute("data-in-place");
    // A plain search or filter (GET) simply loads its page.
    if event.default_prevented() || (form.method() != "post" && !in_place) {
        return;
    }
    let submitter = event.submitter();
    if form.has_attribute("data-sending") {
        event.prevent_default();
        return;
    }
    // A destructive button asks first (`dialogs::ask`); its dialog's answer sends again.
    if let Some(button) = &submitter {
        if dialogs::ask(&form, button) {
            event.prevent_default();
            return;
        }
    }
    // Which send this is: a timer left from an earlier one must not end this one.
    let send = SENDS.with(|sends| {
        sends.set(sends.get() + 1);
        sends.get().to_string()
    });
    let _ = form.set_attribute("data-sending", &send);
    if let Some(button) = &submitter {
        set_busy(button, true);
    }
    // A choice in a menu that folds (`details[data-folds]`) folds it.
    if let Ok(Some(menu)) = form.closest("details[data-folds]") {
        let _ = menu.remove_attribute("open");
    }
    if in_place {
        event.prevent_default();
        in_place::send(form);
        return;
    }
    note_where_left(&form, submitter.as_ref());
    // The page is left when the answer comes. One that never comes (Stop pressed, the
    // connection lost) would leave the form refusing to be sent again: the server answers
    // within its time limit (30 s) or not at all, so after that the form works again.
    crate::dom::after(UNANSWERED_AFTER_MS, move || {
        if form.get_attribute("data-sending") == Some(send) {
            done_sending(&form);
        }
    });
}

thread_local! {
    /// How many forms this page has sent.
    static SENDS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Longer than the server takes to answer any request or to give up on it (its
/// `REQUEST_TIMEOUT`).
const UNANSWERED_AFTER_MS: i32 = 35_000;

/// The form can be sent again, and its button is no longer busy.
pub fn done_sending(form: &Element) {
    let _ = form.remove_attribute("data-sending");
    for button in crate::dom::elements(form.query_selector_all("[aria-busy=true]")) {
        set_busy(&button, false);
    }
}

/// The page's forms that send to `action` (a server function's path), in order.
fn forms_sending_to(action: &str) -> Vec<HtmlFormElement> {
    crate::dom::all("form")
        .into_iter()
        .filter_map(|form| form.dyn_into::<HtmlFormElement>().ok())
        .filter(|form| path_of(&form.action()) == action)
        .collect()
}

/// What tells a form from the others sending to the same place: its hidden fields.
fn key_of(form: &HtmlFormElement) -> String {
    crate::dom::elements(form.query_selector_all("input[type=hidden]"))
        .into_iter()
        .filter_map(|input| input.dyn_into::<web_sys::HtmlInputElement>().ok())
        .map(|input| format!("{}={}", input.name(), input.value()))
        .collect::<Vec<_>>()
        .join("&")
}

fn path_of(url: &str) -> String {
    web_sys::Url::new(url)
        .map(|url| url.pathname())
        .unwrap_or_default()
}

fn note_where_left(form: &HtmlFormElement, submitter: Option<&HtmlElement>) {
    let action = path_of(&form.action());
    let identity = identified_forms_in_page()
        .into_iter()
        .find(|(_, other)| other == form)
        .map(|(identity, _)| identity)
        .unwrap_or_default();
    let opener = form
        .closest("dialog[data-opener]")
        .ok()
        .flatten()
        .and_then(|dialog| dialog.get_attribute("data-opener"));
    let elements = form.elements();
    let control_index = submitter.and_then(|submitter| {
        let submitter: &Element = submitter.as_ref();
        (0..elements.length()).find(|index| elements.item(*index).as_ref() == Some(submitter))
    });
    let left = Object::new();
    let set = |key: &str, value: JsValue| {
        let _ = Reflect::set(&left, &key.into(), &value);
    };
    set(
        "path",
        window().location().pathname().unwrap_or_default().into(),
    );
    set("y", window().scroll_y().unwrap_or(0.0).into());
    set("action", action.into());
    set("form", identity.into());
    set(
        "control",
        control_index.map_or(JsValue::NULL, JsValue::from),
    );
    set("opener", opener.map_or(JsValue::NULL, JsValue::from));
    set("fields", fields_of(form, false).into());
    if let (Ok(Some(storage)), Ok(left)) = (window().session_storage(), JSON::stringify(&left)) {
        let _ = storage.set_item(LEFT_FROM, &String::from(left));
    }
}

/// What was filled in, as `[name, value]` (a choice: `[name, value, checked]`). Never a
/// password, a field marked `data-private` (an IBAN), nor what the page put in hidden fields.
/// With `only_edited`, only the fields the person changed from what the page said.
fn fields_of(form: &HtmlFormElement, only_edited: bool) -> Array {
    let fields = Array::new();
    let elements = form.elements();
    for element in (0..elements.length()).filter_map(|index| elements.item(index)) {
        if element.has_attribute("data-private") {
            continue;
        }
        let (field, edited) = if let Some(input) = element.dyn_ref::<web_sys::HtmlInputElement>() {
            match input.type_().as_str() {
                "password" | "hidden" | "file" | "submit" | "button" => continue,
                "radio" | "checkbox" => (
                    Array::of3(
                        &input.name().into(),
                        &input.value().into(),
                        &input.checked().into(),
                    ),
                    input.checked() != input.default_checked(),
                ),
                _ => (
                    Array::of2(&input.name().into(), &input.value().into()),
                    input.value() != input.default_value(),
                ),
            }
        } else if let Some(text) = element.dyn_ref::<web_sys::HtmlTextAreaElement>() {
            (
                Array::of2(&text.name().into(), &text.value().into()),
                Some(text.value()) != text.default_value().ok(),
            )
        } else if let Some(select) = element.dyn_ref::<web_sys::HtmlSelectElement>() {
            (
                Array::of2(&select.name().into(), &select.value().into()),
                select.selected_index() != page_choice(select),
            )
        } else {
            continue;
        };
        if edited || !only_edited {
            fields.push(&field);
        }
    }
    fields
}

/// Which option a choice had as the page arrived, as the browser picks it: the last marked
/// `selected`, or else the first that is not disabled (nor in a disabled group).
fn page_choice(select: &web_sys::HtmlSelectElement) -> i32 {
    let options = crate::dom::elements(select.query_selector_all("option"));
    let marked = options
        .iter()
        .rposition(|option| option.has_attribute("selected"));
    let first = || {
        options.iter().position(|option| {
            let group_off = option
                .closest("optgroup[disabled]")
                .ok()
                .flatten()
                .is_some();
            !option.has_attribute("disabled") && !group_off
        })
    };
    marked.or_else(first).map_or(-1, |index| index as i32)
}

/// What the person changed in the forms inside `part` (each form told by its server function
/// and hidden fields), to be put back by `restore_edits` into the same forms of a fresh copy
/// of `part`: news arriving while someone types (a new notice in the inbox) must not take a
/// half-typed answer away. What the person did not touch takes the fresh copy's values.
pub fn edits_within(part: &Element) -> Vec<(String, Array)> {
    identified_forms_within(part)
        .into_iter()
        .map(|(identity, form)| (identity, fields_of(&form, true)))
        .filter(|(_, fields)| fields.length() > 0)
        .collect()
}

/// Puts what `edits_within` found back, into the forms of the same identity within `part`.
pub fn restore_edits(part: &Element, edits: &[(String, Array)]) {
    for (identity, form) in identified_forms_within(part) {
        for (_, fields) in edits.iter().filter(|(of, _)| *of == identity) {
            refill(&form, fields);
        }
    }
}

/// The forms within `part`, each with what tells it from the others, so that the same form
/// is found again in a fresh copy of the page: its server function, its hidden fields (which
/// request, which project), and its place among the forms alike in both.
fn identified_forms_within(part: &Element) -> Vec<(String, HtmlFormElement)> {
    let mut seen: Vec<String> = Vec::new();
    forms_within(part)
        .into_iter()
        .map(|form| {
            let alike = format!("{} {}", path_of(&form.action()), key_of(&form));
            let place = seen.iter().filter(|other| **other == alike).count();
            seen.push(alike.clone());
            (format!("{alike} {place}"), form)
        })
        .collect()
}

/// `identified_forms_within` the whole page.
fn identified_forms_in_page() -> Vec<(String, HtmlFormElement)> {
    crate::dom::document()
        .document_element()
        .map(|root| identified_forms_within(&root))
        .unwrap_or_default()
}

fn forms_within(part: &Element) -> Vec<HtmlFormElement> {
    crate::dom::elements(part.query_selector_all("form"))
        .into_iter()
        .filter_map(|form| form.dyn_into::<HtmlFormElement>().ok())
        .collect()
}

fn refill(form: &HtmlFormElement, fields: &JsValue) {
    let elements = form.elements();
    for field in Array::from(fields).iter() {
        let field = Array::from(&field);
        let (Some(name), Some(value)) = (field.get(0).as_string(), field.get(1).as_string()) else {
            continue;
        };
        let checked = field.get(2).as_bool();
        for element in (0..elements.length()).filter_map(|index| elements.item(index)) {
            if let Some(input) = element.dyn_ref::<web_sys::HtmlInputElement>() {
                let kind = input.type_();
                if input.name() != name || matches!(kind.as_str(), "password" | "hidden" | "file") {
                    continue;
                }
                match checked {
                    Some(checked) if input.value() == value => input.set_checked(checked),
                    Some(_) => {}
                    None => input.set_value(&value),
                }
            } else if let Some(text) = element.dyn_ref::<web_sys::HtmlTextAreaElement>() {
                if text.name() == name {
                    text.set_value(&value);
                }
            } else if let Some(select) = element.dyn_ref::<web_sys::HtmlSelectElement>() {
                if select.name() == name {
                    let before = select.selected_index();
                    select.set_value(&value);
                    // A choice the page no longer offers leaves the page's own.
                    if select.selected_index() == -1 {
                        select.set_selected_index(before);
                    }
                }
            }
        }
    }
}

/// The server function a refusal in this page's address names (`__path`), if any.
fn refused_server_function() -> Option<String> {
    let query = window().location().search().ok()?;
    let query = web_sys::UrlSearchParams::new_with_str(&query).ok()?;
    query.get("__err")?;
    query.get("__path")
}

fn return_to_where_left() {
    let Ok(Some(storage)) = window().session_storage() else {
        return;
    };
    let Ok(Some(left)) = storage.get_item(LEFT_FROM) else {
        return;
    };
    let _ = storage.remove_item(LEFT_FROM);
    let Ok(left) = JSON::parse(&left) else {
        return;
    };
    let read = |key: &str| Reflect::get(&left, &key.into()).unwrap_or(JsValue::NULL);
    let here = window().location().pathname().unwrap_or_default();
    if read("path").as_string().as_deref() != Some(here.as_str()) {
        return;
    }
    window().scroll_to_with_x_and_y(0.0, read("y").as_f64().unwrap_or(0.0));
    if let Some(body) = crate::dom::document().body() {
        crate::dom::say_again(&body);
    }
    let action = read("action").as_string().unwrap_or_default();
    let sending_there = forms_sending_to(&action);
    let identity = read("form").as_string().unwrap_or_default();
    let form = identified_forms_in_page()
        .into_iter()
        .find(|(of, _)| *of == identity)
        .map(|(_, form)| form);
    let Some(form) = form else {
        // The form went with what it changed (its dialog closed on success, its row
        // archived, the session it ended): focus goes where its dialog was opened from, or to
        // what the page now says in its place.
        let opener = read("opener")
            .as_string()
            .and_then(|id| crate::dom::by_id(&id))
            .or_else(|| {
                crate::dom::all("[role=status][tabindex='-1']")
                    .into_iter()
                    .next()
            });
        if let Some(opener) = opener.and_then(|opener| opener.dyn_into::<HtmlElement>().ok()) {
            focus_in_place(&opener);
        }
        return;
    };
    // The server says a refusal in every form sending to the same place (it cannot tell
    // them apart): only the one that was sent keeps it.
    for other in sending_there.iter().filter(|other| **other != form) {
        for note in crate::dom::elements(other.query_selector_all("[role=alert]")) {
            note.remove();
        }
    }
    if refused_server_function().is_some_and(|refused| refused == action) {
        refill(&form, &read("fields"));
        dialogs::show_around(&form);
    }
    let control = read("control")
        .as_f64()
        .and_then(|control| form.elements().item(control as u32))
        .and_then(|control| control.dyn_into::<HtmlElement>().ok());
    if let Some(control) = control {
        focus_in_place(&control);
    }
}
