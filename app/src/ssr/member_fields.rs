//! What a member's account holds (SPEC.md §4), parsed once at the edge: only valid values
//! exist past these constructors, so the store never sees a bad one.

pub use crate::model::TIME_ZONES;

/// Trims, and refuses empty, over-long, or control-character text.
fn plain_text(input: &str, what: &str, max_chars: usize) -> Result<String, String> {
    let text = input.trim();
    if text.is_empty() {
        return Err(format!("Enter a {what}."));
    }
    if text.chars().count() > max_chars {
        return Err(format!("The {what} can be at most {max_chars} characters."));
    }
    if text.chars().any(char::is_control) {
        return Err(format!(
            "The {what} cannot contain line breaks or control characters."
        ));
    }
    Ok(text.to_string())
}

/// A profile whose every field is valid.
pub fn parse_profile(
    display_name: &str,
    phone: &str,
    time_zone: &str,
) -> Result<crate::model::Profile, String> {
    Ok(crate::model::Profile {
        display_name: DisplayName::parse(display_name)?.0,
        phone: Phone::parse(phone)?.0,
        time_zone: TimeZone::parse(time_zone)?.0.to_string(),
    })
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(input: &str) -> Result<DisplayName, String> {
        plain_text(input, "display name", 100).map(DisplayName)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A person's name as an owner types it in `Add user`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(input: &str) -> Result<PersonName, String> {
        plain_text(input, "name", 100).map(PersonName)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number as people write them (`+44 20 7946 0958`), or nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub fn parse(input: &str) -> Result<Phone, String> {
        let text = input.trim();
        if text.is_empty() {
            return Ok(Phone(String::new()));
        }
        let allowed = text
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c));
        let digits = text.chars().filter(char::is_ascii_digit).count();
        if !allowed || !(5..=20).contains(&digits) || text.len() > 32 {
            return Err("Enter a phone number of 5 to 20 digits, like +44 20 7946 0958.".into());
        }
        Ok(Phone(text.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeZone(&'static str);

impl TimeZone {
    pub fn parse(input: &str) -> Result<TimeZone, String> {
        TIME_ZONES
            .iter()
            .find(|zone| **zone == input.trim())
            .map(|zone| TimeZone(zone))
            .ok_or_else(|| "Choose a time zone from the list.".to_string())
    }
    pub fn as_str(&self) -> &'static str {
        self.0
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectName(String);

impl ProjectName {
    pub fn parse(input: &str) -> Result<ProjectName, String> {
        plain_text(input, "project name", 80).map(ProjectName)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An IBAN whose checksum holds, kept without spaces in upper case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Iban(String);

impl Iban {
    pub fn parse(input: &str) -> Result<Iban, String> {
        let iban: String = input
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let shaped = (15..=34).contains(&iban.len())
            && iban.chars().all(|c| c.is_ascii_alphanumeric())
            && iban[..2].chars().all(|c| c.is_ascii_alphabetic())
            && iban[2..4].chars().all(|c| c.is_ascii_digit());
        if !shaped {
            return Err(
                "Enter an IBAN: two letters, two digits, then up to 30 letters and digits.".into(),
            );
        }
        if !checksum_holds(&iban) {
            return Err("This IBAN is not valid: check it for a typing mistake.".into());
        }
        Ok(Iban(iban))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// ISO 13616: move the first four characters to the end, letters to numbers (A=10…), mod 97 = 1.
fn checksum_holds(iban: &str) -> bool {
    let rearranged = iban[4..].chars().chain(iban[..4].chars());
    let mut remainder: u32 = 0;
    for c in rearranged {
        let value = c
            .to_digit(36)
            .expect("only ASCII letters and digits reach here");
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    remainder == 1
}

/// How an IBAN is always shown: the country code and the last four characters, the rest hidden.
pub fn mask_iban(iban: &str) -> String {
    let chars: Vec<char> = iban.chars().collect();
    let shown_tail = chars.len().saturating_sub(4);
    let masked: String = chars
        .iter()
        .enumerate()
        .map(|(i, c)| if i < 2 || i >= shown_tail { *c } else { '•' })
        .collect();
    masked
        .chars()
        .collect::<Vec<_>>()
        .chunks(4)
        .map(|group| group.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ibans_are_checked_normalised_and_masked() {
        let iban = Iban::parse(" de89 3704 0044 0532 0130 00 ").unwrap();
        assert_eq!(iban.as_str(), "DE89370400440532013000");
        assert_eq!(mask_iban(iban.as_str()), "DE•• •••• •••• •••• ••30 00");
        assert!(Iban::parse("GB82WEST12345698765432").is_ok());
        assert!(Iban::parse("DE89370400440532013001")
            .unwrap_err()
            .contains("not valid"));
        for bad in [
            "",
            "DE89",
            "1289370400440532013000",
            "DE8937040044053201300!",
            "DEXX370400440532013000",
        ] {
            assert!(Iban::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names_are_trimmed_bounded_and_single_line() {
        assert_eq!(DisplayName::parse("  Mia  ").unwrap().as_str(), "Mia");
        assert!(DisplayName::parse("   ").is_err());
        assert!(DisplayName::parse(&"x".repeat(101)).is_err());
        assert!(ProjectName::parse("Launch\nplan").is_err());
        assert!(ProjectName::parse(&"p".repeat(80)).is_ok());
    }

    #[test]
    fn phones_and_time_zones() {
        assert_eq!(Phone::parse("").unwrap().as_str(), "");
        assert!(Phone::parse("+44 20 7946 0958").is_ok());
        assert!(Phone::parse("call me").is_err());
        assert!(Phone::parse("123").is_err());
        assert_eq!(
            TimeZone::parse("Europe/Berlin").unwrap().as_str(),
            "Europe/Berlin"
        );
        assert!(TimeZone::parse("Mars/Olympus").is_err());
    }
}
