//! The impersonation banner's countdown (SPEC.md §8): counted from the time left that the
//! server rendered (its expiry less its clock, so a wrong client clock changes nothing), from
//! the moment the browser asked for the page, then
//! measured against a deadline on the browser's monotonic clock at every tick, so a laptop
//! that slept or a throttled background tab never shows more time than remains. In the last
//! minute the banner says so once (its `[data-last-minute]` part, for screen readers too); at
//! zero the page leaves (the server has ended the session regardless).

use crate::dom::{all, window};
use crate::live::leave;
use wasm_bindgen::{closure::Closure, JsCast};

const LAST_MINUTE_MS: f64 = 60_000.0;

pub fn start() {
    for timer in all("[role=timer][data-remaining-ms]") {
        let remaining: f64 = timer
            .get_attribute("data-remaining-ms")
            .and_then(|ms| ms.parse().ok())
            .unwrap_or(0.0);
        let clock = || window().performance().map_or(0.0, |clock| clock.now());
        // Counted from the navigation's start (the page was rendered after it), not from now:
        // the time the page took to arrive is time gone.
        let deadline = remaining;
        let last_minute = timer
            .closest("[role=region]")
            .ok()
            .flatten()
            .and_then(|banner| banner.query_selector("[data-last-minute]").ok().flatten());
        let mut left = false;
        let mut tick = move || {
            let remaining = (deadline - clock()).ceil();
            timer.set_text_content(Some(&countdown_text(remaining)));
            if let Some(note) = last_minute.as_ref().filter(|_| remaining <= LAST_MINUTE_MS) {
                if note.text_content().unwrap_or_default().is_empty() {
                    note.set_text_content(note.get_attribute("data-last-minute").as_deref());
                }
            }
            // Once: a navigation started again at every tick would restart on a slow link.
            if remaining <= 0.0 && !left {
                left = true;
                leave("expired");
            }
        };
        tick();
        let tick = Closure::<dyn FnMut()>::new(tick);
        let _ = window().set_interval_with_callback_and_timeout_and_arguments_0(
            tick.as_ref().unchecked_ref(),
            1_000,
        );
        tick.forget();
    }
}

/// `1:05:09` with hours, `04:59` without, as `app::model::format_countdown` renders it.
fn countdown_text(remaining_ms: f64) -> String {
    let seconds = (remaining_ms.max(0.0) / 1000.0) as i64;
    let (hours, minutes, seconds) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if hours > 0 {
        format!("{hours}:{minutes:02}:{seconds:02}")
    } else {
        format!("{minutes:02}:{seconds:02}")
    }
}
