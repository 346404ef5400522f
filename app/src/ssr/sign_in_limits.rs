//! The sign-in rules (SPEC.md §6) as plain functions with `now` passed in: how long a sign-in
//! lasts, how many failed attempts are allowed, and who may sign in at all.

use super::clock::{HOUR_MS, MINUTE_MS};
use crate::model::{Role, UserStatus};

/// How long a sign-in lasts (SPEC.md §6).
#[derive(Clone, Copy, Debug)]
pub struct SignInLifetime {
    /// At most this long after signing in.
    pub max_ms: i64,
    /// Ends after this long without a request.
    pub idle_ms: i64,
}

impl Default for SignInLifetime {
    fn default() -> Self {
        SignInLifetime {
            max_ms: 12 * HOUR_MS,
            idle_ms: 60 * MINUTE_MS,
        }
    }
}

/// A sign-in session as the rules need it.
#[derive(Clone, Copy, Debug, sqlx::FromRow)]
pub struct SignInTimes {
    pub created_at: i64,
    pub last_seen_at: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignInEnded {
    /// Past `max_ms` since signing in.
    TooOld,
    /// Past `idle_ms` since the last request.
    Idle,
}

impl SignInLifetime {
    /// When this sign-in ends if no further request comes.
    pub fn expires_at(&self, times: SignInTimes) -> i64 {
        (times.created_at + self.max_ms).min(times.last_seen_at + self.idle_ms)
    }

    /// Whether a request at `now` may use this sign-in. An instant exactly at the limit counts
    /// as ended, as every expiry in Actas does.
    pub fn check(&self, times: SignInTimes, now: i64) -> Result<(), SignInEnded> {
        if now >= times.created_at + self.max_ms {
            Err(SignInEnded::TooOld)
        } else if now >= times.last_seen_at + self.idle_ms {
            Err(SignInEnded::Idle)
        } else {
            Ok(())
        }
    }

    /// Whether to record this request as the latest activity. Writing on every request would
    /// make every page view a write; a minute's precision on a 60-minute idle limit is enough.
    pub fn should_touch(&self, times: SignInTimes, now: i64) -> bool {
        now - times.last_seen_at >= MINUTE_MS
    }
}

/// A limit on failed attempts within a sliding window.
#[derive(Clone, Copy, Debug)]
pub struct AttemptLimit {
    pub max_failures: u32,
    pub window_ms: i64,
}

impl AttemptLimit {
    /// Failed sign-ins for one email address.
    pub const SIGN_IN_PER_ACCOUNT: AttemptLimit = AttemptLimit {
        max_failures: 5,
        window_ms: 15 * MINUTE_MS,
    };
    /// Failed sign-ins from one network address, whatever the email.
    pub const SIGN_IN_PER_ADDRESS: AttemptLimit = AttemptLimit {
        max_failures: 30,
        window_ms: 15 * MINUTE_MS,
    };

    /// Start of the window that counts at `now`.
    pub fn window_start(&self, now: i64) -> i64 {
        now - self.window_ms
    }

    /// Given the failures inside the window (count and the oldest one's time), may another
    /// attempt be made at `now`? If not, how many milliseconds until one may.
    pub fn check(
        &self,
        failures: u64,
        oldest_failure_at: Option<i64>,
        now: i64,
    ) -> Result<(), i64> {
        if failures < u64::from(self.max_failures) {
            return Ok(());
        }
        let oldest = oldest_failure_at.unwrap_or(now);
        Err((oldest + self.window_ms - now).max(1))
    }
}

/// "Try again in 12 minutes."
pub fn retry_message(wait_ms: i64) -> String {
    let minutes = (wait_ms + MINUTE_MS - 1) / MINUTE_MS;
    if minutes <= 1 {
        "Too many failed attempts. Try again in a minute.".to_string()
    } else {
        format!("Too many failed attempts. Try again in {minutes} minutes.")
    }
}

/// Whether an account may sign in at all.
pub fn may_sign_in(status: UserStatus) -> bool {
    status == UserStatus::Active
}

/// Whether a person may see the admin pages.
pub fn may_view_admin_pages(role: Role) -> bool {
    role.is_staff()
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_800_000_000_000;

    #[test]
    fn a_sign_in_lasts_at_most_twelve_hours_even_when_active() {
        let life = SignInLifetime::default();
        let times = SignInTimes {
            created_at: T0,
            last_seen_at: T0 + 12 * HOUR_MS - 1,
        };
        assert_eq!(life.check(times, T0 + 12 * HOUR_MS - 1), Ok(()));
        assert_eq!(
            life.check(times, T0 + 12 * HOUR_MS),
            Err(SignInEnded::TooOld)
        );
    }

    #[test]
    fn a_sign_in_ends_after_sixty_idle_minutes() {
        let life = SignInLifetime::default();
        let times = SignInTimes {
            created_at: T0,
            last_seen_at: T0 + HOUR_MS,
        };
        assert_eq!(life.check(times, T0 + 2 * HOUR_MS - 1), Ok(()));
        assert_eq!(life.check(times, T0 + 2 * HOUR_MS), Err(SignInEnded::Idle));
        assert_eq!(life.expires_at(times), T0 + 2 * HOUR_MS);
    }

    #[test]
    fn activity_is_recorded_at_most_once_a_minute() {
        let life = SignInLifetime::default();
        let times = SignInTimes {
            created_at: T0,
            last_seen_at: T0,
        };
        assert!(!life.should_touch(times, T0 + MINUTE_MS - 1));
        assert!(life.should_touch(times, T0 + MINUTE_MS));
    }

    #[test]
    fn attempts_are_refused_from_the_fifth_failure_until_the_oldest_leaves_the_window() {
        let limit = AttemptLimit::SIGN_IN_PER_ACCOUNT;
        assert_eq!(limit.check(4, Some(T0), T0 + 1), Ok(()));
        assert_eq!(
            limit.check(5, Some(T0), T0 + MINUTE_MS),
            Err(14 * MINUTE_MS)
        );
        assert_eq!(limit.window_start(T0 + 15 * MINUTE_MS), T0);
    }

    #[test]
    fn retry_messages_round_up_to_whole_minutes() {
        assert_eq!(
            retry_message(1),
            "Too many failed attempts. Try again in a minute."
        );
        assert_eq!(
            retry_message(14 * MINUTE_MS + 1),
            "Too many failed attempts. Try again in 15 minutes."
        );
    }

    #[test]
    fn only_active_accounts_sign_in_and_only_staff_see_admin_pages() {
        assert!(may_sign_in(UserStatus::Active));
        assert!(!may_sign_in(UserStatus::Suspended));
        assert!(!may_sign_in(UserStatus::Deleted));
        assert!(may_view_admin_pages(Role::Owner));
        assert!(!may_view_admin_pages(Role::Member));
    }
}
