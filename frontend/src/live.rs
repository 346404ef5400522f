//! The live channel (`/api/live`, server-sent events): the page follows what happens
//! elsewhere within 2 seconds, without reloading.
//!
//! The page's parts marked `data-live="<news> …"` say which news concerns them; the client
//! listens for exactly those. On news, this page is fetched again and each of those parts is
//! put in place of the old one, so what the person is doing elsewhere on the page (a half-typed
//! form, focus, scroll) stays; so does what they typed into a form within a part replaced
//! (`forms::edits_within`). A part that already says what the news says
//! (`data-live-said` equal to the news' data) is left alone: each stream begins by telling
//! the state of things, which the page usually shows already. The connection is the page's
//! one, shared with its islands (`app::live`).

use crate::dom::{all, window};
use crate::in_place::fetch_page;
use app::model::LiveNews;
use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use wasm_bindgen::JsValue;
use web_sys::Element;

pub fn start() {
    let news: BTreeSet<LiveNews> = all("[data-live]")
        .iter()
        .filter_map(|part| part.get_attribute("data-live"))
        .flat_map(|news| {
            news.split_whitespace()
                .filter_map(LiveNews::from_name)
                .collect::<Vec<_>>()
        })
        .collect();
    for news in news {
        app::live::listen(news, move |data| {
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(error) = refresh(news.name(), &data).await {
                    web_sys::console::warn_2(&"could not follow the news:".into(), &error);
                }
            });
        });
    }
}

fn parts(news: &str) -> Vec<Element> {
    all(&format!("[data-live~={news}]"))
}

thread_local! {
    /// Per news, how many refreshes have started: of two under way, only the later one's page
    /// is put in (they may arrive in either order).
    static STARTED: RefCell<HashMap<String, u64>> = RefCell::new(HashMap::new());
}

async fn refresh(news: &str, data: &str) -> Result<(), JsValue> {
    let old = parts(news);
    let said = |part: &Element| part.get_attribute("data-live-said").as_deref() == Some(data);
    if old.iter().all(said) {
        return Ok(());
    }
    let this = STARTED.with_borrow_mut(|started| {
        let count = started.entry(news.to_string()).or_default();
        *count += 1;
        *count
    });
    let href = window().location().href()?;
    let fresh = fetch_page(&href).await?;
    if STARTED.with_borrow(|started| started.get(news) != Some(&this)) {
        return Ok(());
    }
    let new = crate::dom::elements(fresh.query_selector_all(&format!("[data-live~={news}]")));
    // The page changed shape meanwhile (a part came or went): it is loaded again whole.
    let old = parts(news);
    if old.len() != new.len() {
        return window().location().reload();
    }
    for (old, new) in old.into_iter().zip(new) {
        let edits = crate::forms::edits_within(&old);
        let placed = crate::in_place::replace_keeping_focus(&old, &new)?;
        crate::forms::restore_edits(&placed, &edits);
    }
    Ok(())
}
