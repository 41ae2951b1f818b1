use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed sign-ins allowed per account within the window before it is locked.
const MAX_FAILURES: u32 = 5;
const WINDOW: Duration = Duration::from_secs(15 * 60);

/// Throttles failed sign-ins per account (lower-cased email), in memory.
#[derive(Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginThrottle {
    /// Seconds until the account may try again, when it is locked now.
    pub fn locked_for(&self, key: &str) -> Option<u64> {
        let map = self
            .failures
            .lock()
            .expect("throttle lock is never poisoned");
        let (count, since) = map.get(key)?;
        let elapsed = since.elapsed();
        (*count >= MAX_FAILURES && elapsed < WINDOW).then(|| (WINDOW - elapsed).as_secs().max(1))
    }

    pub fn record_failure(&self, key: &str) {
        let mut map = self
            .failures
            .lock()
            .expect("throttle lock is never poisoned");
        let entry = map.entry(key.to_string()).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= WINDOW {
            *entry = (0, Instant::now());
        }
        entry.0 += 1;
        if map.len() > 100_000 {
            map.retain(|_, (_, since)| since.elapsed() < WINDOW);
        }
    }

    pub fn record_success(&self, key: &str) {
        self.failures
            .lock()
            .expect("throttle lock is never poisoned")
            .remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_repeated_failures_and_clears_on_success() {
        let t = LoginThrottle::default();
        for _ in 0..MAX_FAILURES - 1 {
            t.record_failure("a@example.com");
        }
        assert!(t.locked_for("a@example.com").is_none());
        t.record_failure("a@example.com");
        assert!(t.locked_for("a@example.com").is_some());
        assert!(t.locked_for("b@example.com").is_none());
        t.record_success("a@example.com");
        assert!(t.locked_for("a@example.com").is_none());
    }
}
