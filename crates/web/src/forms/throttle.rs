//! Limits how often one address may post to one form, in memory: a public form is the
//! easiest way to fill the database with junk, so a burst from one place is refused.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Submissions allowed per address and form within the window.
pub const MAX_SUBMISSIONS: u32 = 10;
const WINDOW: Duration = Duration::from_secs(10 * 60);
/// Entries kept before expired ones are swept, so a flood of addresses cannot grow the
/// map without bound.
const SWEEP_AT: usize = 100_000;

/// Counts submissions per (address, form) in fixed windows.
#[derive(Default)]
pub struct SubmitThrottle {
    counts: Mutex<HashMap<(IpAddr, i64), (u32, Instant)>>,
}

impl SubmitThrottle {
    /// Counts one submission; when the limit is already reached, refuses it and says
    /// how many seconds remain until the address may post again.
    pub fn admit(&self, addr: IpAddr, form_id: i64) -> Result<(), u64> {
        let mut map = self.counts.lock().expect("throttle lock is never poisoned");
        if map.len() > SWEEP_AT {
            map.retain(|_, (_, since)| since.elapsed() < WINDOW);
        }
        let entry = map.entry((addr, form_id)).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= WINDOW {
            *entry = (0, Instant::now());
        }
        if entry.0 >= MAX_SUBMISSIONS {
            return Err((WINDOW - entry.1.elapsed()).as_secs().max(1));
        }
        entry.0 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_after_the_limit_per_address_and_form() {
        let t = SubmitThrottle::default();
        let a: IpAddr = "192.0.2.1".parse().expect("address");
        let b: IpAddr = "192.0.2.2".parse().expect("address");
        for _ in 0..MAX_SUBMISSIONS {
            assert!(t.admit(a, 1).is_ok());
        }
        let wait = t.admit(a, 1).expect_err("over the limit");
        assert!(wait > 0 && wait <= WINDOW.as_secs());
        assert!(t.admit(b, 1).is_ok(), "another address");
        assert!(t.admit(a, 2).is_ok(), "another form");
    }
}
