//! The credentials cache (`credentialsCache: { maxAgeMs }`; seed 001: "fetch them when needed and
//! cache them if required"): each provider's credentials in this instance's memory only, never
//! written anywhere, until `maxAgeMs` has passed or their `expiresAt` is within a minute, whichever
//! is first. Concurrent calls for one provider share one request; an error is never kept.

use std::cell::RefCell;

use credport_model::validate::parse_rfc3339;
use credport_model::ProviderCredentials;
use js_sys::Promise;

/// Credentials expiring within this long are not served from the cache.
const EXPIRY_MARGIN_MS: f64 = 60_000.0;

/// A provider's entry.
enum Entry {
    /// Received, and good until `fresh_until` (ms since the epoch).
    Ready {
        credentials: ProviderCredentials,
        fresh_until: f64,
    },
    /// A request in flight (`flight` numbers it); its promise settles when the entry is `Ready`
    /// (or gone, on error).
    Pending { flight: u64, promise: Promise },
}

/// What the cache holds for a provider, now.
pub enum Lookup {
    Fresh(ProviderCredentials),
    /// A request for it is in flight: wait for this promise, then look again.
    Pending(Promise),
    Missing,
}

pub struct CredentialsCache {
    max_age_ms: f64,
    /// Each provider's entry, in the order they were first asked for. A list searched from its
    /// start: a site has a handful of providers, and a hash map's code is 1 KiB of gzip.
    entries: RefCell<Vec<(String, Entry)>>,
    /// The number of the last request started.
    flights: std::cell::Cell<u64>,
}

impl CredentialsCache {
    pub fn new(max_age_ms: f64) -> Self {
        CredentialsCache {
            max_age_ms,
            entries: RefCell::new(Vec::new()),
            flights: std::cell::Cell::new(0),
        }
    }

    pub fn lookup(&self, provider: &str) -> Lookup {
        let Ok(entries) = self.entries.try_borrow() else {
            return Lookup::Missing;
        };
        match get(&entries, provider) {
            Some(Entry::Ready {
                credentials,
                fresh_until,
            }) if *fresh_until > js_sys::Date::now() => Lookup::Fresh(credentials.clone()),
            Some(Entry::Pending { promise, .. }) => Lookup::Pending(promise.clone()),
            _ => Lookup::Missing,
        }
    }

    /// The number of a new request for a provider, for [`Self::pending`] and [`Self::settle`].
    pub fn next_flight(&self) -> u64 {
        self.flights.set(self.flights.get() + 1);
        self.flights.get()
    }

    /// Request `flight` for `provider` is in flight: later callers wait for `promise`. (The
    /// promise's future runs from the next microtask on, after this is recorded.)
    pub fn pending(&self, provider: &str, flight: u64, promise: &Promise) {
        if let Ok(mut entries) = self.entries.try_borrow_mut() {
            put(
                &mut entries,
                provider,
                Entry::Pending {
                    flight,
                    promise: promise.clone(),
                },
            );
        }
    }

    /// The answer of request `flight` for `provider`: kept, unless the entry has been cleared or
    /// taken over by a newer request (`forceRefresh`) meanwhile.
    pub fn settle(&self, provider: &str, flight: u64, answer: Option<&ProviderCredentials>) {
        let Ok(mut entries) = self.entries.try_borrow_mut() else {
            return;
        };
        if !matches!(get(&entries, provider), Some(Entry::Pending { flight: f, .. }) if *f == flight)
        {
            return;
        }
        match answer {
            Some(credentials) => {
                let now = js_sys::Date::now();
                let expires = credentials
                    .expires_at
                    .as_deref()
                    .and_then(parse_rfc3339)
                    .map_or(f64::INFINITY, |s| s as f64 * 1000.0 - EXPIRY_MARGIN_MS);
                let fresh_until = (now + self.max_age_ms).min(expires);
                put(
                    &mut entries,
                    provider,
                    Entry::Ready {
                        credentials: credentials.clone(),
                        fresh_until,
                    },
                );
            }
            // Errors are never cached: the next call asks again.
            None => entries.retain(|(name, _)| name != provider),
        }
    }

    /// Forgets `provider`'s credentials, or every provider's.
    pub fn clear(&self, provider: Option<&str>) {
        if let Ok(mut entries) = self.entries.try_borrow_mut() {
            match provider {
                Some(provider) => entries.retain(|(name, _)| name != provider),
                None => entries.clear(),
            }
        }
    }
}

/// `provider`'s entry.
fn get<'a>(entries: &'a [(String, Entry)], provider: &str) -> Option<&'a Entry> {
    entries
        .iter()
        .find(|(name, _)| name == provider)
        .map(|(_, entry)| entry)
}

/// Sets `provider`'s entry, in place of any it had.
fn put(entries: &mut Vec<(String, Entry)>, provider: &str, entry: Entry) {
    match entries.iter_mut().find(|(name, _)| name == provider) {
        Some((_, old)) => *old = entry,
        None => entries.push((provider.to_owned(), entry)),
    }
}
