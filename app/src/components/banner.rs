//! The impersonation banner (SPEC.md §8), an island: rendered on the server, it comes to life
//! in the browser from the same code, counts down against the wall clock, and takes the
//! administrator back to their own view however the session ends.

use super::{own_view_after, viewer, ErrorNote, SendForm, SubmitButton};
use crate::api::impersonation_control::ExitImpersonation;
use crate::model::{format_countdown, ActingView, Countdown, LiveNews, Me};
use leptos::prelude::*;

/// The impersonation banner, on every page while an administrator acts as a member.
#[component]
pub fn ImpersonationBanner() -> impl IntoView {
    let Some(Me {
        name,
        email,
        acting: Some(acting),
        ..
    }) = viewer()
    else {
        return ().into_any();
    };
    let ActingView {
        scope,
        sections,
        expires_at,
        server_now,
        ..
    } = acting;
    view! {
        <Banner
            title=format!("You are impersonating {name} ({email})")
            scope=scope.label().to_string()
            sections=sections.label()
            expires_at
            server_now
        />
    }
    .into_any()
}

/// Words the banner says once, in the session's last minute.
const LAST_MINUTE: &str = "Less than a minute left: the session ends soon.";
const LAST_MINUTE_MS: i64 = 60_000;

/// The banner. Its countdown starts from the time left at render (the server's expiry less
/// the server's clock), then follows the browser's wall clock at every tick and whenever the
/// page is seen again (after a sleep, a hidden tab): never more time than remains. At zero,
/// or when the live channel says the session `ended`, the administrator is taken back to their
/// own view, where a notice says why. `Exit impersonation` is sent in place; the server's
/// answer takes the browser there too (without JavaScript, as a plain post).
#[island]
fn Banner(
    title: String,
    scope: String,
    sections: String,
    expires_at: i64,
    server_now: i64,
) -> impl IntoView {
    let remaining = RwSignal::new(expires_at - server_now);
    Effect::new(move |_| {
        let countdown = Countdown::new(expires_at, server_now, asked_at());
        let tick = move || {
            let now = countdown.remaining(browser_now());
            remaining.set(now);
            if now == 0 {
                leave("expired");
            }
        };
        let tick = std::rc::Rc::new(tick);
        tick();
        let each_second = tick.clone();
        gloo_timers::callback::Interval::new(1_000, move || each_second()).forget();
        // Back from a sleep or a hidden tab, the time is told again at once.
        for seen_again in ["visibilitychange", "pageshow", "focus"] {
            let tick = tick.clone();
            std::mem::forget(window_event_listener_untyped(seen_again, move |_| tick()));
        }
        crate::live::listen(LiveNews::Ended, |reason| leave(&reason));
    });
    let exit = ServerAction::<ExitImpersonation>::new();
    let failed = move || {
        exit.value()
            .get()
            .and_then(Result::err)
            .map(|error| error.to_string())
    };
    view! {
        <div class="impersonation-banner" role="region" aria-label="Impersonation">
            <p>
                <strong>{title}</strong>
                <span class="scope">{scope}</span>
                <span class="sections">{sections}</span>
                <span role="timer" aria-label="Time left">
                    {move || format_countdown(remaining.get())}
                </span>
                // Said once to screen readers: the words appear once and never change.
                <span class="last-minute" role="status">
                    {move || (remaining.get() <= LAST_MINUTE_MS).then_some(LAST_MINUTE)}
                </span>
            </p>
            <SendForm action=exit attr:class="inline">
                <SubmitButton label="Exit impersonation" class="banner-button"/>
            </SendForm>
            {move || view! { <ErrorNote message=failed()/> }}
        </div>
    }
}

/// The browser's wall clock, in milliseconds since the epoch.
fn browser_now() -> i64 {
    js_sys::Date::now() as i64
}

/// The browser's wall clock when it asked for this page (its navigation's start): the page
/// was rendered after that, so the time it took to arrive counts as time gone, and the
/// countdown never starts above what remains. Read once, as a date; nothing ticks on it.
fn asked_at() -> i64 {
    let now = browser_now();
    let origin = window()
        .performance()
        .map(|performance| performance.time_origin() as i64);
    origin
        .filter(|origin| (1..=now).contains(origin))
        .unwrap_or(now)
}

/// Leaves a session that has ended (`reason` as the server writes end reasons) for the
/// administrator's own view, loaded afresh so nothing of the member's stays on screen; the
/// member's page is hidden at once, before the new one arrives.
fn leave(reason: &str) {
    if let Some(body) = document().body() {
        let _ = body.class_list().add_1("leaving");
    }
    crate::live::leave(&own_view_after(reason));
}
