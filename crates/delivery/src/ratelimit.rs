//! A small async token bucket per remote account, shared by every delivery
//! of the process.
//!
//! CRMs limit requests per account, not per connection: amoCRM answers 429
//! beyond 7 requests a second, Bitrix24 503 `QUERY_LIMIT_EXCEEDED` beyond
//! its leaky bucket. Every request a CRM channel makes first takes a token
//! from the bucket of its account ([`limiter`], keyed by the account's base
//! URL), so that many deliveries running at once never go over the limit
//! together.
//!
//! A caller that finds the bucket empty *reserves* the next token (the
//! level goes below zero) and sleeps until it is due: callers are served in
//! the order they asked, and the bucket never needs a wake-up list.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::time::Instant;

/// A token bucket: `rate` tokens a second, at most `burst` saved up.
#[derive(Debug)]
pub struct TokenBucket {
    rate: f64,
    burst: f64,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// Tokens available now; negative when callers have reserved tokens
    /// that are not yet due.
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket. `rate` is clamped to at least one token an hour and
    /// `burst` to at least one token.
    pub fn new(rate_per_sec: f64, burst: u32) -> Self {
        let rate = if rate_per_sec.is_finite() { rate_per_sec.max(1.0 / 3600.0) } else { 1.0 };
        let burst = f64::from(burst.max(1));
        TokenBucket {
            rate,
            burst,
            state: Mutex::new(State { tokens: burst, last: Instant::now() }),
        }
    }

    /// Tokens a second.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// Takes one token, waiting until it is due.
    pub async fn acquire(&self) {
        let wait = self.reserve(Instant::now());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    /// Reserves one token at `now`; how long until it may be used.
    fn reserve(&self, now: Instant) -> Duration {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let elapsed = now.saturating_duration_since(s.last).as_secs_f64();
        s.last = now.max(s.last);
        s.tokens = (s.tokens + elapsed * self.rate).min(self.burst);
        s.tokens -= 1.0;
        if s.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-s.tokens / self.rate)
        }
    }
}

type Registry = Mutex<HashMap<String, Arc<TokenBucket>>>;

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(Default::default)
}

/// The process-wide bucket of the account `key` (its base URL). The first
/// caller for a key sets its rate and burst; later callers share it.
pub fn limiter(key: &str, rate_per_sec: f64, burst: u32) -> Arc<TokenBucket> {
    let mut map = registry().lock().unwrap_or_else(|p| p.into_inner());
    map.entry(key.to_owned())
        .or_insert_with(|| Arc::new(TokenBucket::new(rate_per_sec, burst)))
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_bucket_serves_its_burst_then_spaces_callers_by_the_rate() {
        let bucket = TokenBucket::new(2.0, 3);
        let t0 = Instant::now();
        {
            let mut s = bucket.state.lock().unwrap();
            s.last = t0;
        }
        let waits: Vec<Duration> = (0..5).map(|_| bucket.reserve(t0)).collect();
        assert_eq!(&waits[..3], &[Duration::ZERO; 3]);
        assert_eq!(waits[3], Duration::from_millis(500));
        assert_eq!(waits[4], Duration::from_millis(1000));
        // Two seconds later the two reservations are paid off and two
        // tokens have been saved up again.
        let later = t0 + Duration::from_secs(2);
        assert_eq!(bucket.reserve(later), Duration::ZERO);
        assert_eq!(bucket.reserve(later), Duration::ZERO);
        assert_eq!(bucket.reserve(later), Duration::from_millis(500));
    }

    #[test]
    fn one_bucket_per_account() {
        let a = limiter("https://ratelimit-test-a.example", 7.0, 1);
        let b = limiter("https://ratelimit-test-a.example", 1.0, 9);
        let c = limiter("https://ratelimit-test-b.example", 1.0, 1);
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &c));
        assert_eq!(b.rate(), 7.0);
    }
}
