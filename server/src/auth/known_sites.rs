//! The site of each token seen usable lately, by its lookup hash: which site a request's read is
//! of, before its token is checked, so that the check and the read go out together
//! ([`super::Presented::read`]). Not whether the token may be used: that is asked of the store on
//! every request. A token never moves to another site, so what is noted stays true for as long as
//! the token exists, and nothing here needs to be taken back when a token is revoked.

use std::collections::HashMap;

use parking_lot::Mutex;

/// How many tokens' sites are remembered by default; past it they are all forgotten and learnt
/// again, which costs each token one request of two round trips.
pub const KNOWN_TOKENS: usize = 10_000;

/// Sites by token lookup hash, at most `capacity` of them.
pub struct KnownSites {
    capacity: usize,
    sites: Mutex<HashMap<[u8; 32], String>>,
}

impl KnownSites {
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            capacity,
            sites: Mutex::default(),
        }
    }

    /// The site of the token whose lookup hash is `hash`, if it has been seen.
    pub fn site(&self, hash: &[u8; 32]) -> Option<String> {
        self.sites.lock().get(hash).cloned()
    }

    /// Notes the site of a token found usable. Full, it forgets every token first: a bound on
    /// memory that costs nothing to keep (no order to track on the path of every request).
    pub fn remember(&self, hash: [u8; 32], site_id: &str) {
        let mut sites = self.sites.lock();
        if sites.get(&hash).is_some_and(|site| site == site_id) {
            return;
        }
        if sites.len() >= self.capacity {
            sites.clear();
        }
        sites.insert(hash, site_id.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(n: u8) -> [u8; 32] {
        [n; 32]
    }

    #[test]
    fn a_token_seen_is_known_and_the_count_stays_bounded() {
        let known = KnownSites::with_capacity(3);
        assert_eq!(known.site(&hash(1)), None);
        for n in 1..=3 {
            known.remember(hash(n), &format!("site_{n}"));
        }
        // Seen again: nothing changes, nothing is forgotten.
        known.remember(hash(2), "site_2");
        for n in 1..=3 {
            assert_eq!(
                known.site(&hash(n)).as_deref(),
                Some(format!("site_{n}").as_str())
            );
        }
        // A fourth token: the three are forgotten, the fourth is known.
        known.remember(hash(4), "site_4");
        assert_eq!(known.site(&hash(1)), None);
        assert_eq!(known.site(&hash(3)), None);
        assert_eq!(known.site(&hash(4)).as_deref(), Some("site_4"));
        assert_eq!(known.sites.lock().len(), 1);
    }
}
