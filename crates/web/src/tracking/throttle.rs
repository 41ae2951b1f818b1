//! Limits how many tracking events one address may record per minute, in memory: the
//! tracking routes are public, and a loop on one machine must not fill the database.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Events recorded per address within the window; a person browsing stays far below.
pub const MAX_EVENTS: u32 = 300;
const WINDOW: Duration = Duration::from_secs(60);
/// Entries kept before expired ones are swept, so a flood of addresses cannot grow the
/// map without bound.
const SWEEP_AT: usize = 100_000;

/// Counts events per address in fixed windows.
#[derive(Default)]
pub struct EventThrottle {
    counts: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

impl EventThrottle {
    /// Counts one event; `false` when the address has reached the limit.
    pub fn admit(&self, addr: IpAddr) -> bool {
        let mut map = self.counts.lock().expect("throttle lock is never poisoned");
        if map.len() > SWEEP_AT {
            map.retain(|_, (_, since)| since.elapsed() < WINDOW);
        }
        let entry = map.entry(addr).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= WINDOW {
            *entry = (0, Instant::now());
        }
        if entry.0 >= MAX_EVENTS {
            return false;
        }
        entry.0 += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_after_the_limit_per_address() {
        let t = EventThrottle::default();
        let a: IpAddr = "192.0.2.1".parse().expect("address");
        let b: IpAddr = "192.0.2.2".parse().expect("address");
        for _ in 0..MAX_EVENTS {
            assert!(t.admit(a));
        }
        assert!(!t.admit(a));
        assert!(t.admit(b), "another address");
    }
}
