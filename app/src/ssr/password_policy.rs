//! What a new password must be (SPEC.md §1, §6), and when a `Set password` link still works.
//! Plain functions with `now` passed in.

use super::authentication::MAX_PASSWORD_CHARS;
use super::clock::HOUR_MS;

pub const MIN_PASSWORD_CHARS: usize = 12;

/// How long a `Set password` link works.
pub const PASSWORD_LINK_VALID_MS: i64 = 24 * HOUR_MS;

/// A new password that passed every rule; only hashed, never stored or logged as it is.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(..)")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PasswordRefusal {
    #[error("Choose a password of at least 12 characters.")]
    TooShort,
    #[error("Choose a password of at most 1,024 characters.")]
    TooLong,
    #[error("Choose a password that is not your email address.")]
    IsEmail,
    #[error("This password is too easy to guess: avoid repeated characters and simple sequences.")]
    TooSimple,
    #[error("The two passwords do not match. Type the same password twice.")]
    Mismatch,
}

impl NewPassword {
    /// The password typed twice, for the account with `email`.
    pub fn parse(
        password: &str,
        repeated: &str,
        email: &str,
    ) -> Result<NewPassword, PasswordRefusal> {
        let length = password.chars().count();
        if length < MIN_PASSWORD_CHARS {
            return Err(PasswordRefusal::TooShort);
        }
        if length > MAX_PASSWORD_CHARS {
            return Err(PasswordRefusal::TooLong);
        }
        let lowered = password.trim().to_lowercase();
        let local_part = email.split('@').next().unwrap_or_default();
        if lowered == email.to_lowercase() || lowered == local_part.to_lowercase() {
            return Err(PasswordRefusal::IsEmail);
        }
        if is_simple(&lowered) {
            return Err(PasswordRefusal::TooSimple);
        }
        if password != repeated {
            return Err(PasswordRefusal::Mismatch);
        }
        Ok(NewPassword(password.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One character repeated, or a run that only steps up or down by one (`123456789012`,
/// `abcdefghijkl`): long, and still the first thing a guesser tries.
fn is_simple(password: &str) -> bool {
    let chars: Vec<u32> = password.chars().map(u32::from).collect();
    let steps: Vec<i64> = chars
        .windows(2)
        .map(|pair| i64::from(pair[1]) - i64::from(pair[0]))
        .collect();
    let all_same = |step: i64| steps.iter().all(|s| *s == step);
    // Digits counting round the dial: 8, 9, 0, 1… or 1, 0, 9, 8…
    let digits = password.chars().all(|c| c.is_ascii_digit());
    let counting = |up: i64| steps.iter().all(|s| *s == up || *s == -9 * up);
    all_same(0) || all_same(1) || all_same(-1) || (digits && (counting(1) || counting(-1)))
}

/// A `Set password` link as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PasswordLink {
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

/// Why a `Set password` link does not work.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LinkRefusal {
    #[error("This link is not valid. Ask an owner for a new one.")]
    NotValid,
    #[error("This link has already been used. Ask an owner for a new one.")]
    AlreadyUsed,
    #[error("This link has expired. Ask an owner for a new one.")]
    Expired,
}

/// Whether a link (as found by its token, if at all) may set a password at `now`: once, and
/// before it expires.
pub fn check_link(link: Option<PasswordLink>, now: i64) -> Result<(), LinkRefusal> {
    let link = link.ok_or(LinkRefusal::NotValid)?;
    if link.used_at.is_some() {
        Err(LinkRefusal::AlreadyUsed)
    } else if now >= link.expires_at {
        Err(LinkRefusal::Expired)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMAIL: &str = "mia@example.com";

    fn parse(password: &str) -> Result<NewPassword, PasswordRefusal> {
        NewPassword::parse(password, password, EMAIL)
    }

    #[test]
    fn a_password_is_twelve_characters_or_more_and_not_the_email() {
        assert!(parse("correct-horse").is_ok());
        assert_eq!(parse("eleven-char"), Err(PasswordRefusal::TooShort));
        assert!(parse(&"x1".repeat(6)).is_ok(), "twelve is enough");
        assert_eq!(parse(&"ab".repeat(600)), Err(PasswordRefusal::TooLong));
        assert_eq!(parse("Mia@Example.com"), Err(PasswordRefusal::IsEmail));
        assert_eq!(
            NewPassword::parse("mia", "mia", EMAIL),
            Err(PasswordRefusal::TooShort)
        );
        assert_eq!(
            NewPassword::parse("correct-horse", "correct-house", EMAIL),
            Err(PasswordRefusal::Mismatch)
        );
    }

    #[test]
    fn the_first_guesses_are_refused() {
        for simple in [
            "aaaaaaaaaaaa",
            "123456789012",
            "abcdefghijkl",
            "987654321098",
        ] {
            assert_eq!(parse(simple), Err(PasswordRefusal::TooSimple), "{simple}");
        }
        assert!(parse("1234567890123x").is_ok());
    }

    #[test]
    fn a_link_works_once_and_for_a_day() {
        let link = PasswordLink {
            expires_at: 1_000,
            used_at: None,
        };
        assert_eq!(check_link(Some(link), 999), Ok(()));
        assert_eq!(check_link(Some(link), 1_000), Err(LinkRefusal::Expired));
        assert_eq!(
            check_link(
                Some(PasswordLink {
                    used_at: Some(10),
                    ..link
                }),
                11
            ),
            Err(LinkRefusal::AlreadyUsed)
        );
        assert_eq!(check_link(None, 0), Err(LinkRefusal::NotValid));
    }
}
