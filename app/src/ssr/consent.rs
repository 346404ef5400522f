//! The member's consent and support codes (SPEC.md §2), as plain functions over plain data
//! with `now` passed in. Parsing user input into valid values happens here, once.

use super::clock::{HOUR_MS, MINUTE_MS};
use super::sign_in_limits::AttemptLimit;
use crate::model::{Scope, Sections};

/// Whole hours a consent may last.
pub const MIN_HOURS: u32 = 1;
pub const MAX_HOURS: u32 = 168;

/// A consent duration that is known to be valid: whole hours from 1 to 168.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConsentHours(u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("Enter the duration as a whole number of hours, from 1 to 168.")]
    NotWholeHours,
    #[error("The duration must be from 1 to 168 hours.")]
    OutOfRange,
}

impl ConsentHours {
    /// Accepts only plain digits ("24", " 24 "): no sign, fraction or exponent.
    pub fn parse(input: &str) -> Result<ConsentHours, DurationError> {
        let text = input.trim();
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DurationError::NotWholeHours);
        }
        // Too many digits for u32 is simply out of range.
        let hours: u32 = text.parse().map_err(|_| DurationError::OutOfRange)?;
        if (MIN_HOURS..=MAX_HOURS).contains(&hours) {
            Ok(ConsentHours(hours))
        } else {
            Err(DurationError::OutOfRange)
        }
    }

    pub fn hours(self) -> u32 {
        self.0
    }

    pub fn millis(self) -> i64 {
        i64::from(self.0) * HOUR_MS
    }
}

/// A standing consent as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Consent {
    pub granted_at: i64,
    pub expires_at: i64,
    pub scope: Scope,
    /// The member's sections it allows (all unless the member chose some).
    pub sections: Sections,
}

impl Consent {
    /// A new consent from the server's clock; nothing the client says about time is used.
    /// Granting while another is active replaces it.
    pub fn grant(now: i64, hours: ConsentHours, scope: Scope, sections: Sections) -> Consent {
        Consent {
            granted_at: now,
            expires_at: now + hours.millis(),
            scope,
            sections,
        }
    }

    /// A consent is active strictly before its expiry; at the expiry instant it has ended.
    pub fn is_active(&self, now: i64) -> bool {
        now < self.expires_at
    }
}

/// Support codes: 8 characters from an alphabet with no look-alikes (no 0/O, 1/I/L).
pub const SUPPORT_CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
pub const SUPPORT_CODE_LENGTH: usize = 8;
pub const SUPPORT_CODE_VALID_MS: i64 = 10 * MINUTE_MS;
/// A session started with a support code lasts at most this long.
pub const SUPPORT_CODE_SESSION_MS: i64 = 30 * MINUTE_MS;
/// Wrong codes an administrator may enter before being made to wait.
pub const SUPPORT_CODE_ATTEMPTS: AttemptLimit = AttemptLimit {
    max_failures: 5,
    window_ms: 15 * MINUTE_MS,
};

/// A code as typed, normalised: upper case, spaces and dashes removed. `None` if it cannot
/// be a support code at all (so it is refused without a database look-up).
pub fn normalize_support_code(input: &str) -> Option<String> {
    let code: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let valid = code.len() == SUPPORT_CODE_LENGTH
        && code.bytes().all(|b| SUPPORT_CODE_ALPHABET.contains(&b));
    valid.then_some(code)
}

/// A support code as stored (only its hash is kept; see `credentials`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SupportCode {
    pub issued_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub scope: Scope,
    pub sections: Sections,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SupportCodeRefusal {
    #[error("This support code is not valid. Check it with the member.")]
    Wrong,
    #[error("This support code has already been used. Ask the member for a new one.")]
    AlreadyUsed,
    #[error("This support code has expired. Ask the member for a new one.")]
    Expired,
}

impl SupportCode {
    pub fn issue(now: i64, scope: Scope, sections: Sections) -> SupportCode {
        SupportCode {
            issued_at: now,
            expires_at: now + SUPPORT_CODE_VALID_MS,
            used_at: None,
            scope,
            sections,
        }
    }

    /// Whether the code may start a session at `now`: once, and before its expiry.
    pub fn check_use(&self, now: i64) -> Result<(), SupportCodeRefusal> {
        if self.used_at.is_some() {
            Err(SupportCodeRefusal::AlreadyUsed)
        } else if now >= self.expires_at {
            Err(SupportCodeRefusal::Expired)
        } else {
            Ok(())
        }
    }
}

/// A stored code as redemption sees it: its id, its hash, and its state.
#[derive(Clone, Debug)]
pub struct StoredSupportCode {
    pub id: i64,
    pub code_hash: String,
    pub code: SupportCode,
}

/// Which of the member's stored codes the entered one is, if it may be used at `now`.
/// `verify` compares a typed code with a stored hash (Argon2id in production). A code that
/// matches none is `Wrong`; the caller counts those against the administrator's attempts.
pub fn redeem_support_code(
    entered: &str,
    stored: &[StoredSupportCode],
    now: i64,
    verify: impl Fn(&str, &str) -> bool,
) -> Result<i64, SupportCodeRefusal> {
    let entered = normalize_support_code(entered).ok_or(SupportCodeRefusal::Wrong)?;
    let matching = stored
        .iter()
        .find(|candidate| verify(&entered, &candidate.code_hash));
    let candidate = matching.ok_or(SupportCodeRefusal::Wrong)?;
    candidate.code.check_use(now)?;
    Ok(candidate.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_800_000_000_000;

    #[test]
    fn durations_are_whole_hours_from_1_to_168() {
        assert_eq!(ConsentHours::parse("1").map(ConsentHours::hours), Ok(1));
        assert_eq!(
            ConsentHours::parse(" 168 ").map(ConsentHours::hours),
            Ok(168)
        );
        assert_eq!(ConsentHours::parse("0"), Err(DurationError::OutOfRange));
        assert_eq!(ConsentHours::parse("169"), Err(DurationError::OutOfRange));
        assert_eq!(
            ConsentHours::parse("99999999999999999999"),
            Err(DurationError::OutOfRange)
        );
        for not_whole in ["1.5", "24.0", "-1", "+5", "1e2", "", "  ", "twelve", "１２"] {
            assert_eq!(
                ConsentHours::parse(not_whole),
                Err(DurationError::NotWholeHours),
                "{not_whole:?}"
            );
        }
    }

    #[test]
    fn a_consent_expires_from_the_servers_clock_and_is_over_at_the_instant() {
        let consent = Consent::grant(
            T0,
            ConsentHours::parse("24").unwrap(),
            Scope::ViewOnly,
            Sections::ALL,
        );
        assert_eq!(consent.expires_at, T0 + 24 * HOUR_MS);
        assert!(consent.is_active(T0));
        assert!(consent.is_active(consent.expires_at - 1));
        assert!(!consent.is_active(consent.expires_at));
    }

    #[test]
    fn a_new_grant_replaces_the_old_one_entirely() {
        let first = Consent::grant(
            T0,
            ConsentHours::parse("72").unwrap(),
            Scope::FullAccess,
            Sections::ALL,
        );
        let later = T0 + HOUR_MS;
        let second = Consent::grant(
            later,
            ConsentHours::parse("1").unwrap(),
            Scope::ViewOnly,
            Sections::ALL,
        );
        assert_eq!(second.expires_at, later + HOUR_MS);
        assert!(
            second.expires_at < first.expires_at,
            "a shorter replacement shortens the consent"
        );
        assert_eq!(second.scope, Scope::ViewOnly);
    }

    #[test]
    fn support_codes_are_single_use_and_valid_ten_minutes() {
        let mut code = SupportCode::issue(T0, Scope::FullAccess, Sections::ALL);
        assert_eq!(code.check_use(T0 + SUPPORT_CODE_VALID_MS - 1), Ok(()));
        assert_eq!(
            code.check_use(T0 + SUPPORT_CODE_VALID_MS),
            Err(SupportCodeRefusal::Expired)
        );
        code.used_at = Some(T0 + 1);
        assert_eq!(code.check_use(T0 + 2), Err(SupportCodeRefusal::AlreadyUsed));
    }

    fn stored(id: i64, code: &str, issued_at: i64, used_at: Option<i64>) -> StoredSupportCode {
        let mut issued = SupportCode::issue(issued_at, Scope::ViewOnly, Sections::ALL);
        issued.used_at = used_at;
        // A stand-in for the hash: these tests are about the rule, not the hashing.
        StoredSupportCode {
            id,
            code_hash: format!("hash:{code}"),
            code: issued,
        }
    }

    fn plain(entered: &str, hash: &str) -> bool {
        hash == format!("hash:{entered}")
    }

    #[test]
    fn redeeming_finds_the_right_code_once_and_in_time() {
        let codes = [
            stored(1, "ABCD2345", T0, None),
            stored(2, "WXYZ6789", T0, Some(T0 + 5)),
        ];
        assert_eq!(
            redeem_support_code("abcd-2345", &codes, T0 + 1, plain),
            Ok(1)
        );
        assert_eq!(
            redeem_support_code("WXYZ6789", &codes, T0 + 10, plain),
            Err(SupportCodeRefusal::AlreadyUsed)
        );
        assert_eq!(
            redeem_support_code("ABCD2345", &codes, T0 + SUPPORT_CODE_VALID_MS, plain),
            Err(SupportCodeRefusal::Expired)
        );
        assert_eq!(
            redeem_support_code("ABCD2346", &codes, T0 + 1, plain),
            Err(SupportCodeRefusal::Wrong)
        );
        assert_eq!(
            redeem_support_code("not a code", &codes, T0 + 1, plain),
            Err(SupportCodeRefusal::Wrong)
        );
        assert_eq!(
            redeem_support_code("ABCD2345", &[], T0 + 1, plain),
            Err(SupportCodeRefusal::Wrong)
        );
    }

    #[test]
    fn redeeming_works_with_real_hashes() {
        let hash = crate::ssr::credentials::hash_password("ABCD2345");
        let codes = [StoredSupportCode {
            id: 7,
            code_hash: hash,
            code: SupportCode::issue(T0, Scope::FullAccess, Sections::ALL),
        }];
        let verify =
            |entered: &str, hash: &str| crate::ssr::credentials::verify_password(entered, hash);
        assert_eq!(
            redeem_support_code("abcd2345", &codes, T0 + 1, verify),
            Ok(7)
        );
        assert_eq!(
            redeem_support_code("ABCD2344", &codes, T0 + 1, verify),
            Err(SupportCodeRefusal::Wrong)
        );
    }

    #[test]
    fn typed_codes_are_normalised_and_look_alikes_refused() {
        assert_eq!(
            normalize_support_code(" abcd-2345 ").as_deref(),
            Some("ABCD2345")
        );
        assert_eq!(normalize_support_code("ABCD234"), None, "too short");
        assert_eq!(
            normalize_support_code("ABCD23450"),
            None,
            "0 is not in the alphabet"
        );
        assert_eq!(
            normalize_support_code("ABCDI234"),
            None,
            "I is not in the alphabet"
        );
    }

    #[test]
    fn too_many_wrong_codes_make_the_administrator_wait() {
        assert_eq!(SUPPORT_CODE_ATTEMPTS.check(4, Some(T0), T0), Ok(()));
        assert!(SUPPORT_CODE_ATTEMPTS.check(5, Some(T0), T0).is_err());
    }
}
