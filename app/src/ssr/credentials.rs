//! Passwords (Argon2id) and sign-in tokens. Tokens live only in the cookie; the database
//! keeps their SHA-256, so a copy of the database signs nobody in.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::rngs::OsRng;
use rand::{Rng, RngCore};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// Runs password or code hashing off the async workers, a few at a time: each Argon2 run takes
/// about 19 MiB and tens of milliseconds of a core, so a burst of requests must queue here
/// rather than exhaust memory.
pub async fn hashing<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    static PERMITS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);
    let _permit = PERMITS
        .acquire()
        .await
        .expect("the hashing semaphore is never closed");
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => value,
        Err(error) => std::panic::resume_unwind(error.into_panic()),
    }
}

pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("Argon2 with default parameters accepts any password")
        .to_string()
}

pub fn verify_password(password: &str, stored_hash: &str) -> bool {
    match PasswordHash::new(stored_hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Spends the same effort as a real check, for an email that has no account, so the answer's
/// timing does not tell which emails exist.
pub fn verify_against_nothing(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash_password("no account has this password"));
    let _ = verify_password(password, dummy);
}

/// A new random sign-in token (256 bits, hex) for the cookie.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// A random public name for a sign-in (`Where you're signed in`): it says which sign-in,
/// and unlike the token's digest, nothing about the token.
pub fn new_handle() -> String {
    let mut bytes = [0u8; 12];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What the database stores for a token.
pub fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A random password for a demo account when none is configured.
pub fn new_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    random_from(ALPHABET, 16)
}

/// A new support code: uniformly random over the unambiguous alphabet.
pub fn new_support_code() -> String {
    use super::consent::{SUPPORT_CODE_ALPHABET, SUPPORT_CODE_LENGTH};
    random_from(SUPPORT_CODE_ALPHABET, SUPPORT_CODE_LENGTH)
}

/// `length` characters, each drawn uniformly from `alphabet` (ASCII).
fn random_from(alphabet: &[u8], length: usize) -> String {
    (0..length)
        .map(|_| alphabet[OsRng.gen_range(0..alphabet.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_only_against_its_own_hash() {
        let hash = hash_password("correct horse");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("Correct horse", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn support_codes_are_valid_codes() {
        let code = new_support_code();
        assert_eq!(
            super::super::consent::normalize_support_code(&code),
            Some(code.clone())
        );
        assert_ne!(code, new_support_code());
    }

    #[test]
    fn tokens_are_unique_and_stored_only_as_digests() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_ne!(token_digest(&a), a);
        assert_eq!(token_digest(&a), token_digest(&a));
    }
}
