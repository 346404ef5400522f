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
    /// Failed sign-ins for one account from one network address.
    pub const SIGN_IN_PER_ACCOUNT_AND_ADDRESS: AttemptLimit = AttemptLimit {
        max_failures: 5,
        window_ms: 15 * MINUTE_MS,
    };
    /// Failed sign-ins from one network address, whatever the account.
    pub const SIGN_IN_PER_ADDRESS: AttemptLimit = AttemptLimit {
        max_failures: 30,
        window_ms: 15 * MINUTE_MS,
    };

    /// `check` on a bucket as it stands.
    pub fn judge(&self, used: &BucketUse, now: i64) -> Result<(), i64> {
        self.check(used.count.max(0) as u64, used.oldest, now)
    }

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

/// One count an attempt is made against: its key, and how far back it remembers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bucket {
    pub key: String,
    pub window_ms: i64,
}

/// How a bucket stood when an attempt came: its attempts inside the window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct BucketUse {
    pub count: i64,
    pub oldest: Option<i64>,
    pub newest: Option<i64>,
}

/// Which bucket refused an attempt (its place in the list judged), and how long to wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LimitReached {
    pub bucket: usize,
    pub wait_ms: i64,
}

/// An account guessed at from many addresses is slowed, never closed (SPEC.md §6): once it
/// has this many failures in the window, attempts on it from addresses that failed recently
/// are let through one at a time, this far apart. An address that has not failed anywhere
/// for a day is not slowed: the real person signs in while the account is under attack.
pub const ACCOUNT_SLOWED_AFTER: i64 = 10;
pub const ACCOUNT_ATTEMPT_EVERY_MS: i64 = 10_000;
/// How long an address that failed stays one that failed, for the slow-down.
pub const ADDRESS_MEMORY_MS: i64 = 24 * HOUR_MS;

/// The buckets a sign-in attempt is counted in, in the order `judge_sign_in` reads them:
/// the account and address together, the address (15 minutes, and a day), the account.
pub fn sign_in_buckets(email: &str, address: Option<std::net::IpAddr>) -> Vec<Bucket> {
    let address = address.map(address_key);
    let window_ms = AttemptLimit::SIGN_IN_PER_ADDRESS.window_ms;
    let bucket = |key: String, window_ms: i64| Bucket { key, window_ms };
    let mut buckets = vec![bucket(format!("account:{email}"), window_ms)];
    match address {
        Some(address) => buckets.extend([
            bucket(format!("pair:{email}|{address}"), window_ms),
            bucket(format!("address:{address}"), window_ms),
            bucket(format!("address-day:{address}"), ADDRESS_MEMORY_MS),
        ]),
        // No address known: the account alone stands in for the pair.
        None => buckets.push(bucket(format!("pair:{email}|"), window_ms)),
    }
    buckets
}

/// An address as the limits count it: an IPv4 address as itself (also when it arrives mapped
/// into IPv6), an IPv6 address by its /64, the block one subscriber or server is handed, so
/// that stepping through it buys nothing.
pub fn address_key(address: std::net::IpAddr) -> String {
    match address.to_canonical() {
        std::net::IpAddr::V4(v4) => v4.to_string(),
        std::net::IpAddr::V6(v6) => {
            let network = u128::from(v6) & (u128::MAX << 64);
            format!("{}/64", std::net::Ipv6Addr::from(network))
        }
    }
}

/// Whether a sign-in attempt may be judged, given its buckets as `sign_in_buckets` lists
/// them: at most 5 failures per account and address and 30 per address in 15 minutes, and
/// an account under attack slowed for addresses that have failed.
pub fn judge_sign_in(used: &[BucketUse], now: i64) -> Result<(), LimitReached> {
    let reached = |bucket: usize| move |wait_ms: i64| LimitReached { bucket, wait_ms };
    let account = used.first().copied().unwrap_or_default();
    let pair = used.get(1).copied().unwrap_or_default();
    AttemptLimit::SIGN_IN_PER_ACCOUNT_AND_ADDRESS
        .judge(&pair, now)
        .map_err(reached(1))?;
    if let Some(address) = used.get(2) {
        AttemptLimit::SIGN_IN_PER_ADDRESS
            .judge(address, now)
            .map_err(reached(2))?;
    }
    // Without a known address, every attempt counts as from one that failed.
    let address_failed = used.get(3).is_none_or(|day| day.count > 0);
    if account.count >= ACCOUNT_SLOWED_AFTER && address_failed {
        let since = now - account.newest.unwrap_or(now);
        if since < ACCOUNT_ATTEMPT_EVERY_MS {
            return Err(reached(0)(ACCOUNT_ATTEMPT_EVERY_MS - since));
        }
    }
    Ok(())
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

    fn uses(account: i64, pair: i64, address: i64, day: i64, newest: i64) -> Vec<BucketUse> {
        let at = |count: i64| BucketUse {
            count,
            oldest: (count > 0).then_some(T0),
            newest: (count > 0).then_some(newest),
        };
        vec![at(account), at(pair), at(address), at(day)]
    }

    #[test]
    fn guessing_from_one_address_stops_at_five_and_never_closes_the_account_to_others() {
        let now = T0 + MINUTE_MS;
        assert_eq!(judge_sign_in(&uses(4, 4, 4, 4, now - 1), now), Ok(()));
        assert_eq!(
            judge_sign_in(&uses(5, 5, 5, 5, now - 1), now),
            Err(LimitReached {
                bucket: 1,
                wait_ms: 14 * MINUTE_MS
            })
        );
        // The same account from an address that has not failed: let through at once.
        assert_eq!(judge_sign_in(&uses(5, 0, 0, 0, now - 1), now), Ok(()));
        assert_eq!(judge_sign_in(&uses(400, 0, 0, 0, now - 1), now), Ok(()));
        assert!(
            judge_sign_in(&uses(0, 0, 30, 30, now), now).is_err(),
            "30 per address"
        );
    }

    #[test]
    fn an_ipv6_block_counts_as_one_address() {
        let key = |text: &str| address_key(text.parse().unwrap());
        assert_eq!(key("2001:db8:1:2::1"), key("2001:db8:1:2:ffff::9"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(key("192.0.2.7"), "192.0.2.7");
        let buckets = sign_in_buckets("mia@example.com", Some("2001:db8::5".parse().unwrap()));
        assert_eq!(buckets[2].key, "address:2001:db8::/64");
    }

    #[test]
    fn an_account_guessed_at_from_many_addresses_is_slowed_for_those_that_failed() {
        let now = T0 + MINUTE_MS;
        let slowed = judge_sign_in(&uses(10, 0, 1, 1, now - 3_000), now);
        assert_eq!(
            slowed,
            Err(LimitReached {
                bucket: 0,
                wait_ms: 7_000
            })
        );
        assert_eq!(judge_sign_in(&uses(10, 0, 1, 1, now - 10_000), now), Ok(()));
        assert_eq!(
            judge_sign_in(&uses(9, 0, 1, 1, now), now),
            Ok(()),
            "not yet"
        );
    }

    #[test]
    fn attempts_are_refused_from_the_fifth_failure_until_the_oldest_leaves_the_window() {
        let limit = AttemptLimit::SIGN_IN_PER_ACCOUNT_AND_ADDRESS;
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
