//! Whose each token seen usable lately is (its site and user), by its lookup hash: which site a
//! request's work is in, before its token is checked, so that the check and the work go out
//! together ([`super::Presented::read_single`], [`super::Presented::write`]). Not whether the token may
//! be used: that is asked of the store on every request. A token never moves to another site or
//! user, so what is noted stays true for as long as the token exists; a token the store refuses
//! (revoked, expired) is forgotten all the same, because a known token's request is counted
//! against its user's rate limit before its check, and a dead token must not spend a live
//! user's budget.

use std::collections::HashMap;

use parking_lot::Mutex;

/// How many tokens are remembered by default; past it they are all forgotten and learnt again,
/// which costs each token one request of two round trips.
pub const KNOWN_TOKENS: usize = 10_000;

/// Whose a known token is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Known {
    pub site_id: String,
    pub user_id: String,
}

/// Owners by token lookup hash, at most `capacity` of them.
pub struct KnownSites {
    capacity: usize,
    owners: Mutex<HashMap<[u8; 32], Known>>,
}

impl KnownSites {
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            capacity,
            owners: Mutex::default(),
        }
    }

    /// Whose the token with lookup hash `hash` is, if it has been seen.
    pub fn get(&self, hash: &[u8; 32]) -> Option<Known> {
        self.owners.lock().get(hash).cloned()
    }

    /// Notes whose a token found usable is. Full, it forgets every token first: a bound on
    /// memory that costs nothing to keep (no order to track on the path of every request).
    pub fn remember(&self, hash: [u8; 32], site_id: &str, user_id: &str) {
        let mut owners = self.owners.lock();
        if owners
            .get(&hash)
            .is_some_and(|k| k.site_id == site_id && k.user_id == user_id)
        {
            return;
        }
        if owners.len() >= self.capacity {
            owners.clear();
        }
        let known = Known {
            site_id: site_id.to_owned(),
            user_id: user_id.to_owned(),
        };
        owners.insert(hash, known);
    }

    /// Forgets a token the store refused: its next request is checked first, as a stranger's.
    pub fn forget(&self, hash: &[u8; 32]) {
        self.owners.lock().remove(hash);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(n: u8) -> [u8; 32] {
        [n; 32]
    }

    fn site_of(known: &KnownSites, n: u8) -> Option<String> {
        known.get(&hash(n)).map(|k| k.site_id)
    }

    #[test]
    fn a_token_seen_is_known_and_the_count_stays_bounded() {
        let known = KnownSites::with_capacity(3);
        assert_eq!(known.get(&hash(1)), None);
        for n in 1..=3 {
            known.remember(hash(n), &format!("site_{n}"), &format!("user_{n}"));
        }
        // Seen again: nothing changes, nothing is forgotten.
        known.remember(hash(2), "site_2", "user_2");
        for n in 1..=3 {
            let expected = Known {
                site_id: format!("site_{n}"),
                user_id: format!("user_{n}"),
            };
            assert_eq!(known.get(&hash(n)), Some(expected));
        }
        // A fourth token: the three are forgotten, the fourth is known.
        known.remember(hash(4), "site_4", "user_4");
        assert_eq!(site_of(&known, 1), None);
        assert_eq!(site_of(&known, 3), None);
        assert_eq!(site_of(&known, 4).as_deref(), Some("site_4"));
        assert_eq!(known.owners.lock().len(), 1);
        known.forget(&hash(4));
        assert_eq!(site_of(&known, 4), None);
    }
}
