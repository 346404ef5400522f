//! The member's consent and support codes (SPEC.md §2). Every function acts on the signed-in
//! member's own account: no request names whose consent it changes.

use crate::error::AppError;
use crate::model::{ActiveConsent, IssuedSupportCode};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::ssr::{app_state, now_ms, signed_in_member};

#[cfg(feature = "ssr")]
fn parse_sections(sections: Option<&str>) -> Result<crate::model::Sections, AppError> {
    crate::model::Sections::parse(sections.unwrap_or_default()).ok_or_else(|| {
        AppError::field(
            "sections",
            "Choose sections among Profile, Projects and Payout.",
        )
    })
}

#[cfg(feature = "ssr")]
fn parse_scope(scope: &str) -> Result<crate::model::Scope, AppError> {
    crate::model::Scope::parse(scope)
        .ok_or_else(|| AppError::Invalid("Choose View only or Full access.".into()))
}

/// The member's consent, if one is active now.
#[server(endpoint = "consent_status")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn consent_status() -> Result<Option<ActiveConsent>, AppError> {
    let member = signed_in_member()?;
    let now = now_ms();
    let consent = app_state()?.store.consent(member.user.id).await?;
    Ok(consent
        .filter(|consent| consent.is_active(now))
        .map(|consent| ActiveConsent {
            scope: consent.scope,
            sections: consent.sections,
            expires_at: consent.expires_at,
        }))
}

/// Enables impersonation for `duration` hours ("1", "24", "72", or "custom" with
/// `custom_hours`) and `scope`, limited to `sections` (names separated by commas; none means
/// all). The expiry comes from the server's clock alone.
#[server(endpoint = "grant_consent")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn grant_consent(
    duration: String,
    custom_hours: Option<String>,
    scope: String,
    sections: Option<String>,
) -> Result<ActiveConsent, AppError> {
    use crate::ssr::consent::{Consent, ConsentHours};
    let member = signed_in_member()?;
    let hours_text = match duration.as_str() {
        "1" | "24" | "72" => duration.as_str(),
        "custom" => custom_hours.as_deref().unwrap_or_default(),
        _ => {
            return Err(AppError::Invalid(
                "Choose how long impersonation may last.".into(),
            ))
        }
    };
    let hours =
        ConsentHours::parse(hours_text).map_err(|error| AppError::field("custom_hours", error))?;
    let scope = parse_scope(&scope)?;
    let sections = parse_sections(sections.as_deref())?;
    let now = now_ms();
    let consent = Consent::grant(now, hours, scope, sections);
    app_state()?
        .store
        .grant_consent(member.user.id, consent, hours.hours(), now)
        .await?;
    Ok(ActiveConsent {
        scope: consent.scope,
        sections: consent.sections,
        expires_at: consent.expires_at,
    })
}

/// Revokes the member's consent at once.
#[server(endpoint = "revoke_consent")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn revoke_consent() -> Result<(), AppError> {
    let member = signed_in_member()?;
    let revoked = app_state()?
        .store
        .revoke_consent(member.user.id, now_ms())
        .await?;
    if revoked {
        Ok(())
    } else {
        Err(AppError::Invalid(
            "There is no active consent to revoke.".into(),
        ))
    }
}

/// Issues a single-use support code, valid 10 minutes; the code is returned this once and
/// stored only as a hash.
#[server(endpoint = "generate_support_code")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn generate_support_code(
    scope: String,
    sections: Option<String>,
) -> Result<IssuedSupportCode, AppError> {
    use crate::ssr::consent::SupportCode;
    use crate::ssr::credentials::{hash_password, hashing, new_support_code};
    let member = signed_in_member()?;
    let scope = parse_scope(&scope)?;
    let sections = parse_sections(sections.as_deref())?;
    let code = new_support_code();
    let hash = {
        let code = code.clone();
        hashing(move || hash_password(&code)).await
    };
    let now = now_ms();
    let issued = SupportCode::issue(now, scope, sections);
    app_state()?
        .store
        .issue_support_code(member.user.id, &hash, issued, now)
        .await?;
    Ok(IssuedSupportCode::new(code, scope, issued.expires_at))
}
