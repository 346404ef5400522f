use crate::api::member_data::{get_profile, UpdateProfile};
use crate::components::{
    action_error, succeeded, view_only, when_loaded, ErrorNote, SubmitButton, ViewOnlyNote,
};
use crate::model::{Profile, TIME_ZONES};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// `/profile`: display name, phone and time zone.
#[component]
pub fn ProfilePage() -> impl IntoView {
    let update = ServerAction::<UpdateProfile>::new();
    let profile = Resource::new(|| (), |_| get_profile());
    view! {
        <Title text="Profile · Actas"/>
        <section class="card narrow" aria-labelledby="profile-heading">
            <h1 id="profile-heading">"Profile"</h1>
            {when_loaded(profile, move |profile| view! { <ProfileForm profile update/> })}
        </section>
    }
}

#[component]
fn ProfileForm(profile: Profile, update: ServerAction<UpdateProfile>) -> impl IntoView {
    let saved = succeeded::<UpdateProfile>(&use_query_map());
    let off = view_only();
    view! {
        <ViewOnlyNote/>
        <ActionForm action=update attr:class="stack">
            <label for="display-name">"Display name"</label>
            <input id="display-name" name="display_name" value=profile.display_name required maxlength="100"/>
            <label for="phone">"Phone"</label>
            <input id="phone" name="phone" type="tel" value=profile.phone autocomplete="tel"/>
            <label for="time-zone">"Time zone"</label>
            <select id="time-zone" name="time_zone">
                {TIME_ZONES
                    .iter()
                    .map(|zone| view! { <option value=*zone selected=*zone == profile.time_zone>{*zone}</option> })
                    .collect_view()}
            </select>
            <ErrorNote message=action_error(update)/>
            {saved.then(|| view! { <p class="success" role="status">"Profile saved."</p> })}
            <SubmitButton label="Save profile" disabled_by=off/>
        </ActionForm>
    }
}
