//! Forms sent without leaving the page (`form[data-in-place="ID"]`).
//!
//! - A GET form asks for this page with more in it (a session's audit log, a row's dialog):
//!   the page is fetched and its `#ID` put in place of this one's; a dialog in it opens.
//!   Without JavaScript the form loads that page whole.
//! - A POST form's answer is shown once and must never travel in an address (a support code,
//!   a `Set password` link): it is posted with `fetch`, and shown in a copy of the template
//!   `#ID`, put after it (in place of an earlier copy): each field of the server function's
//!   JSON answer is written into its `[data-field=<field>]` (an `input`'s value; after the
//!   site's own address with `data-origin-first`). A form marked `data-once` is put away then;
//!   one with `data-refreshes="ID …"` has those parts of the page fetched again. A refusal is
//!   said in the form's `[data-error=<field>]`, or its `[data-error=""]`.

use crate::dom::{by_id, document, elements, window};
use crate::forms::done_sending;
use js_sys::{Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{Element, HtmlElement, HtmlFormElement};

/// Sends `form` (marked sending by `forms`), and shows what comes back.
pub fn send(form: HtmlFormElement) {
    spawn_local(async move {
        let outcome = if form.method() == "get" {
            load(&form).await.map(|()| Ok(()))
        } else {
            post(&form).await
        };
        done_sending(&form);
        match outcome {
            Ok(Ok(())) => say_refusal(&form, None),
            Ok(Err(refusal)) => say_refusal(&form, Some(refusal)),
            Err(error) => {
                web_sys::console::warn_2(&"could not send in place:".into(), &error);
                let words = "Could not reach the server. Check your connection and try again.";
                say_refusal(&form, Some((String::new(), words.into())));
            }
        }
    });
}

async fn load(form: &HtmlFormElement) -> Result<(), JsValue> {
    let fields = web_sys::FormData::new_with_form(form)?;
    let query = String::from(
        web_sys::UrlSearchParams::new_with_str_sequence_sequence(&fields)?.to_string(),
    );
    let href = match query.as_str() {
        "" => form.action(),
        query => format!("{}?{query}", form.action()),
    };
    let id = form.get_attribute("data-in-place").unwrap_or_default();
    swap_from(&href, std::slice::from_ref(&id)).await?;
    // The address says what the page shows (a search; a dialog, so that its form, refused,
    // comes back to it), unless the form asked for one part among several alike
    // (`data-keeps-address`: one session's log).
    if !form.has_attribute("data-keeps-address") {
        if let Ok(history) = window().history() {
            let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&href));
        }
    }
    if let Some(arrived) = by_id(&id) {
        crate::dialogs::show_modal_in(&arrived);
    }
    Ok(())
}

/// Fetches the page at `href` and puts its elements with the ids `ids` in place of this
/// page's (`replace_keeping_focus`). One the fetched page lacks is left as it is.
pub async fn swap_from(href: &str, ids: &[String]) -> Result<(), JsValue> {
    let fresh = fetch_page(href).await?;
    for id in ids {
        if let (Some(old), Some(new)) = (by_id(id), fresh.get_element_by_id(id)) {
            replace_keeping_focus(&old, &new)?;
        }
    }
    Ok(())
}

/// Puts `new` (from another document) in place of `old`, and returns it as placed. Focus
/// inside `old` moves to the element of the same id in `new`, so a keyboard user stays where
/// they were.
pub fn replace_keeping_focus(old: &Element, new: &Element) -> Result<Element, JsValue> {
    let focused = document()
        .active_element()
        .filter(|active| old.contains(Some(active)))
        .map(|active| active.id())
        .filter(|id| !id.is_empty());
    let new: Element = document().import_node_with_deep(new, true)?.dyn_into()?;
    old.replace_with_with_node_1(&new)?;
    crate::dom::say_again(&new);
    if let Some(again) = focused.and_then(|id| by_id(&id)) {
        if let Ok(again) = again.dyn_into::<HtmlElement>() {
            crate::dom::focus_in_place(&again);
        }
    }
    Ok(new)
}

/// The page at `href`, parsed.
pub async fn fetch_page(href: &str) -> Result<web_sys::Document, JsValue> {
    let (status, html) = request(href, "GET", None, "text/html").await?;
    if !(200..300).contains(&status) {
        return Err(format!("{href}: status {status}").into());
    }
    web_sys::DomParser::new()?.parse_from_string(&html, web_sys::SupportedType::TextHtml)
}

async fn request(
    href: &str,
    method: &str,
    body: Option<&JsValue>,
    accept: &str,
) -> Result<(u16, String), JsValue> {
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    if let Some(body) = body {
        init.set_body(body);
    }
    let headers = web_sys::Headers::new()?;
    headers.set("Accept", accept)?;
    init.set_headers(&headers);
    let response: web_sys::Response = JsFuture::from(window().fetch_with_str_and_init(href, &init))
        .await?
        .dyn_into()?;
    let text = JsFuture::from(response.text()?).await?;
    Ok((response.status(), text.as_string().unwrap_or_default()))
}

/// A refusal: the field it concerns (empty: the whole form), and its words.
type Refusal = (String, String);

async fn post(form: &HtmlFormElement) -> Result<Result<(), Refusal>, JsValue> {
    let fields = web_sys::FormData::new_with_form(form)?;
    let body = web_sys::UrlSearchParams::new_with_str_sequence_sequence(&fields)?;
    let (status, text) = request(
        &form.action(),
        "POST",
        Some(&body.into()),
        "application/json",
    )
    .await?;
    let answer = js_sys::JSON::parse(&text);
    if !(200..300).contains(&status) {
        return Ok(Err(match answer {
            Ok(error) => refusal_of(&error),
            // Refused before any server function ran (a section not granted, a request too
            // large to record): the server's words, as plain text.
            Err(_) if !text.trim().is_empty() && text.len() < 500 => (String::new(), text),
            Err(_) => refusal_of(&JsValue::NULL),
        }));
    }
    let answer = answer.unwrap_or(JsValue::NULL);
    let Some(template) = form
        .get_attribute("data-in-place")
        .and_then(|id| by_id(&id))
        .and_then(|template| template.dyn_into::<web_sys::HtmlTemplateElement>().ok())
    else {
        return Ok(Ok(()));
    };
    let Some(shown) = template
        .content()
        .first_element_child()
        .and_then(|shown| shown.clone_node_with_deep(true).ok())
        .and_then(|shown| shown.dyn_into::<Element>().ok())
    else {
        return Ok(Ok(()));
    };
    for slot in elements(shown.query_selector_all("[data-field]")) {
        let field = slot.get_attribute("data-field").unwrap_or_default();
        let value = Reflect::get(&answer, &field.into()).unwrap_or(JsValue::UNDEFINED);
        let mut text = value
            .as_string()
            .or_else(|| value.as_f64().map(|number| number.to_string()))
            .unwrap_or_default();
        if slot.has_attribute("data-origin-first") {
            text = format!("{}{text}", window().location().origin()?);
        }
        match slot.dyn_ref::<web_sys::HtmlInputElement>() {
            Some(input) => input.set_value(&text),
            None => slot.set_text_content(Some(&text)),
        }
    }
    let _ = shown.set_attribute("data-shown-from", &template.id());
    match template.next_element_sibling() {
        Some(earlier) if earlier.get_attribute("data-shown-from") == Some(template.id()) => {
            earlier.replace_with_with_node_1(&shown)?
        }
        _ => template.after_with_node_1(&shown)?,
    }
    if form.has_attribute("data-once") {
        let _ = form.set_attribute("hidden", "");
    }
    if let Some(shown) = shown.dyn_ref::<HtmlElement>() {
        let _ = shown.focus();
    }
    if let Some(parts) = form.get_attribute("data-refreshes") {
        let ids: Vec<String> = parts.split_whitespace().map(str::to_string).collect();
        swap_from(&window().location().href()?, &ids).await?;
    }
    Ok(Ok(()))
}

/// Says `refusal` in the form's note for its field (or its general one), and clears the rest.
fn say_refusal(form: &HtmlFormElement, refusal: Option<Refusal>) {
    let notes = elements(form.query_selector_all("[data-error]"));
    let field = refusal.as_ref().map(|(field, _)| field.as_str());
    let has_own_note = notes
        .iter()
        .any(|note| note.get_attribute("data-error").as_deref() == field);
    for note in notes {
        let concerns = note.get_attribute("data-error").unwrap_or_default();
        let says = refusal
            .as_ref()
            .filter(|(field, _)| *field == concerns || (concerns.is_empty() && !has_own_note));
        note.set_text_content(says.map(|(_, words)| words.as_str()));
        let _ = match says {
            Some(_) => note.remove_attribute("hidden"),
            None => note.set_attribute("hidden", ""),
        };
        if !concerns.is_empty() {
            let invalid = if says.is_some() { "true" } else { "false" };
            for input in elements(form.query_selector_all(&format!("[name='{concerns}']"))) {
                let _ = input.set_attribute("aria-invalid", invalid);
            }
        }
    }
}

/// A refusal as the server's error (`AppError`, as JSON) carries it: a variant with its
/// message (`{"Invalid": "…"}`), a field's (`{"InvalidField": {"field": …, "message": …}}`),
/// or only a name (`"SignInRequired"`).
fn refusal_of(error: &JsValue) -> Refusal {
    if error.as_string().as_deref() == Some("SignInRequired") {
        return (String::new(), "Please sign in to continue.".into());
    }
    let inner = error
        .dyn_ref::<Object>()
        .map(|error| Object::values(error).get(0));
    let read = |key: &str| {
        inner
            .as_ref()
            .and_then(|inner| Reflect::get(inner, &key.into()).ok()?.as_string())
    };
    let words = inner
        .as_ref()
        .and_then(JsValue::as_string)
        .or_else(|| read("message"))
        .unwrap_or_else(|| "Something went wrong on our side. Please try again.".into());
    (read("field").unwrap_or_default(), words)
}
