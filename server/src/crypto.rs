//! Everything secret: random ids and tokens, the keyed hash that finds a token without storing
//! it, and AES-256-GCM for the secrets the API must hand back later (API-key secrets, connection
//! credentials, provider client secrets, replayed responses).
//!
//! The encryption keys are the operator's: `CREDPORT_ENCRYPTION_KEY` encrypts, and the keys of
//! `CREDPORT_ENCRYPTION_KEYS_OLD` still decrypt, so that keys can be rotated. Each ciphertext
//! names the key that made it by a [`KeyId`]. The lookup-hash key must outlive any one
//! encryption key (a token's hash cannot be recomputed without the token), so it is the
//! database's own: derived from the first key a database was started with and stored encrypted
//! under the current one ([`crate::ops::keys`] unwraps it at start).

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::error::ApiError;

type HmacSha256 = Hmac<Sha256>;

/// Prefix of personal access tokens.
pub const TOKEN_PREFIX: &str = "cpat_";
/// Prefix of API-key secrets.
pub const API_KEY_PREFIX: &str = "cpk_";
/// Prefix of webhook endpoints' signing secrets (Standard Webhooks).
pub const WEBHOOK_SECRET_PREFIX: &str = "whsec_";
/// Random characters after the prefix of a token or secret this server makes.
const SECRET_CHARS: usize = 40;
/// Fewest random characters after the prefix for a presented token or secret to be well formed.
const MIN_SECRET_CHARS: usize = 32;
/// Most: anything longer cannot be ours and is not worth hashing.
const MAX_SECRET_CHARS: usize = 128;
/// Random characters of an object id after its prefix.
const ID_CHARS: usize = 20;
/// Stored ciphertexts start with a version byte. Version 1, written before key ids, is
/// `1 || nonce || sealed` under the database's first key; version 2 is
/// `2 || key id || nonce || sealed`.
const UNLABELLED_VERSION: u8 = 1;
const CIPHER_VERSION: u8 = 2;
const KEY_ID_LEN: usize = 4;
const NONCE_LEN: usize = 12;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `n` characters from [`BASE62`], uniformly, from the operating system's random source at once:
/// for secrets, whose random bytes never wait in the process's memory.
pub fn random_base62(n: usize) -> Result<String, ApiError> {
    base62(n, getrandom::getrandom)
}

/// `n` characters from [`BASE62`] from `fill`'s random bytes (bytes of 248 and above are
/// dropped, not folded, so that every character is as likely).
fn base62(
    n: usize,
    mut fill: impl FnMut(&mut [u8]) -> Result<(), getrandom::Error>,
) -> Result<String, ApiError> {
    let mut out = String::with_capacity(n);
    let mut buf = [0u8; 64];
    while out.len() < n {
        fill(&mut buf).map_err(|e| ApiError::internal(format!("random source failed: {e}")))?;
        out.extend(
            buf.iter()
                .filter(|b| **b < 248)
                .map(|b| char::from(BASE62[usize::from(*b % 62)]))
                .take(n - out.len()),
        );
    }
    Ok(out)
}

/// Random bytes for ids, taken from the operating system's source a page at a time: every
/// request has an id, and most an event's too, and a system call each was a per cent of a
/// request's CPU (docs/performance.md). An id is no secret, only unguessable.
fn id_bytes(buf: &mut [u8]) -> Result<(), getrandom::Error> {
    use std::cell::RefCell;
    thread_local! {
        /// The bytes, and how many of them were used.
        static POOL: RefCell<([u8; 4096], usize)> = const { RefCell::new(([0; 4096], 4096)) };
    }
    POOL.with_borrow_mut(|(pool, used)| {
        for chunk in buf.chunks_mut(pool.len()) {
            if pool.len() - *used < chunk.len() {
                getrandom::getrandom(pool)?;
                *used = 0;
            }
            for (out, byte) in chunk.iter_mut().zip(pool.iter().skip(*used)) {
                *out = *byte;
            }
            *used += chunk.len();
        }
        Ok(())
    })
}

/// A new object id such as `ak_3kTq…`.
pub fn new_id(prefix: &str) -> Result<String, ApiError> {
    let random = base62(ID_CHARS, id_bytes)?;
    Ok([prefix, &random].concat())
}

/// The prefixes of the ids [`new_id`] makes for stored objects (sites, connections, API keys,
/// personal access tokens, connect sessions, events, webhook endpoints and deliveries).
const ID_PREFIXES: [&str; 8] = [
    "site_", "conn_", "ak_", "pat_", "cs_", "evt_", "we_", "whd_",
];

/// Whether `value` has the shape of an object id (`ak_` and 20 letters and digits): an id is no
/// secret, and nothing else has that shape (secrets are twice as long).
pub fn is_id(value: &str) -> bool {
    ID_PREFIXES.iter().any(|prefix| {
        value.strip_prefix(prefix).is_some_and(|rest| {
            rest.len() == ID_CHARS && rest.bytes().all(|b| b.is_ascii_alphanumeric())
        })
    })
}

/// A new token or secret such as `cpat_…` or `cpk_…`.
pub fn new_secret(prefix: &str) -> Result<String, ApiError> {
    Ok(format!("{prefix}{}", random_base62(SECRET_CHARS)?))
}

/// Whether `value` has the shape of a token or secret with `prefix` (checked before any lookup,
/// so malformed input never reaches the database).
pub fn is_well_formed(value: &str, prefix: &str) -> bool {
    value.strip_prefix(prefix).is_some_and(|rest| {
        (MIN_SECRET_CHARS..=MAX_SECRET_CHARS).contains(&rest.len())
            && rest.bytes().all(|b| b.is_ascii_alphanumeric())
    })
}

/// 32 random bytes: a throwaway `--dev` encryption key.
pub fn random_key() -> Result<[u8; 32], ApiError> {
    let mut key = [0u8; 32];
    getrandom::getrandom(&mut key)
        .map_err(|e| ApiError::internal(format!("random source failed: {e}")))?;
    Ok(key)
}

/// The short, public name of an encryption key, written into every ciphertext it makes and
/// shown to operators (8 hex characters): a keyed hash of the key, so it reveals nothing of it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId([u8; KEY_ID_LEN]);

impl KeyId {
    pub fn of(master: &[u8; 32]) -> Self {
        let mut mac = mac_with(master);
        mac.update(b"credport/key-id/v1");
        let digest = mac.finalize().into_bytes();
        let mut id = [0u8; KEY_ID_LEN];
        id.copy_from_slice(&digest[..KEY_ID_LEN]);
        Self(id)
    }
}

impl std::fmt::Display for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl std::fmt::Debug for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// Which key a stored ciphertext says it was made with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Label {
    Key(KeyId),
    /// Written before key ids: by the database's first key.
    Unlabelled,
    /// Not a ciphertext of this scheme (empty: a reply not yet recorded).
    Other,
}

impl Label {
    /// The label of `stored`, from its first [`Label::PREFIX_LEN`] bytes.
    pub fn of(stored: &[u8]) -> Self {
        match stored.split_first() {
            Some((&CIPHER_VERSION, rest)) if rest.len() >= KEY_ID_LEN => {
                let mut id = [0u8; KEY_ID_LEN];
                id.copy_from_slice(&rest[..KEY_ID_LEN]);
                Self::Key(KeyId(id))
            }
            Some((&UNLABELLED_VERSION, _)) => Self::Unlabelled,
            _ => Self::Other,
        }
    }

    /// How many leading bytes of a ciphertext carry its label.
    pub const PREFIX_LEN: usize = 1 + KEY_ID_LEN;
    /// The version byte of labelled ciphertexts, for grouping them in SQL.
    pub const LABELLED: u8 = CIPHER_VERSION;
}

impl std::fmt::Display for Label {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Key(id) => id.fmt(f),
            Self::Unlabelled => f.write_str("(written before key ids)"),
            Self::Other => f.write_str("(not a ciphertext)"),
        }
    }
}

/// One encryption key: its id and its cipher.
struct DataKey {
    id: KeyId,
    cipher: Aes256Gcm,
}

impl DataKey {
    fn new(master: &[u8; 32]) -> Self {
        Self {
            id: KeyId::of(master),
            cipher: Aes256Gcm::new(&derive(master, b"credport/aes-256-gcm/v1").into()),
        }
    }
}

/// The operator's encryption keys, as configured: the current one and those that only decrypt.
pub struct KeyRing {
    pub current: [u8; 32],
    pub old: Vec<[u8; 32]>,
}

impl KeyRing {
    /// Every configured key, the current one first.
    pub fn all(&self) -> impl Iterator<Item = &[u8; 32]> {
        std::iter::once(&self.current).chain(&self.old)
    }
}

/// The lookup-hash key a database started with `master` for the first time uses for ever.
pub fn first_lookup_key(master: &[u8; 32]) -> [u8; 32] {
    derive(master, b"credport/lookup-hash/v1")
}

/// The value a database made before key ids kept to recognise its key:
/// [`Keys::check_value`] under that key's [`first_lookup_key`].
pub fn check_value_of(master: &[u8; 32]) -> [u8; 32] {
    let mut mac = mac_with(&first_lookup_key(master));
    mac.update(KEY_CHECK.as_bytes());
    mac.finalize().into_bytes().into()
}

const KEY_CHECK: &str = "credport/key-check/v1";

/// The keys a running server uses: the database's lookup-hash key, the current encryption key,
/// the old ones, and which of them (if any) reads ciphertexts written before key ids.
pub struct Keys {
    lookup: HmacSha256,
    current: DataKey,
    old: Vec<DataKey>,
    /// Index into `[current] + old` of the database's first key, when it is configured.
    unlabelled: Option<usize>,
}

impl Keys {
    /// One key, for a database it was the first key of (tests and fresh databases).
    pub fn new(master: &[u8; 32]) -> Self {
        Self::unlocked(
            &KeyRing {
                current: *master,
                old: Vec::new(),
            },
            &first_lookup_key(master),
            Some(0),
        )
    }

    /// The keys of `ring` with the database's `lookup` key; `unlabelled` is the index (current
    /// first, then old) of the key that reads ciphertexts written before key ids.
    pub fn unlocked(ring: &KeyRing, lookup: &[u8; 32], unlabelled: Option<usize>) -> Self {
        Self {
            lookup: mac_with(lookup),
            current: DataKey::new(&ring.current),
            old: ring.old.iter().map(DataKey::new).collect(),
            unlabelled,
        }
    }

    /// The id every new ciphertext carries.
    pub fn current_id(&self) -> KeyId {
        self.current.id
    }

    /// The ids of the configured keys, the current one first.
    pub fn ids(&self) -> Vec<KeyId> {
        self.data_keys().map(|k| k.id).collect()
    }

    /// Whether these keys can decrypt a ciphertext labelled `label`.
    pub fn reads(&self, label: Label) -> bool {
        match label {
            Label::Key(id) => self.by_id(id).is_some(),
            Label::Unlabelled => self.unlabelled.is_some(),
            Label::Other => false,
        }
    }

    fn data_keys(&self) -> impl Iterator<Item = &DataKey> {
        std::iter::once(&self.current).chain(&self.old)
    }

    fn by_id(&self, id: KeyId) -> Option<&DataKey> {
        self.data_keys().find(|k| k.id == id)
    }

    /// The keyed hash under which a token or secret is stored and looked up.
    pub fn lookup_hash(&self, secret: &str) -> [u8; 32] {
        let mut mac = self.lookup.clone();
        mac.update(secret.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// A value stored on first start and compared on every later one, so that a server started
    /// with the wrong key refuses to run instead of answering 401 and 500 to everyone.
    pub fn check_value(&self) -> [u8; 32] {
        self.lookup_hash(KEY_CHECK)
    }

    /// `version || key id || nonce || ciphertext+tag` under the current key, with `aad` (the
    /// owning row) bound in, so that a ciphertext copied into another row does not decrypt.
    pub fn encrypt(&self, aad: &str, plaintext: &[u8]) -> Result<Vec<u8>, ApiError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::getrandom(&mut nonce)
            .map_err(|e| ApiError::internal(format!("random source failed: {e}")))?;
        let sealed = self
            .current
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| ApiError::internal("encryption failed"))?;
        let mut out = Vec::with_capacity(Label::PREFIX_LEN + NONCE_LEN + sealed.len());
        out.push(CIPHER_VERSION);
        out.extend_from_slice(&self.current.id.0);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// The inverse of [`Keys::encrypt`], with whichever configured key the ciphertext names.
    pub fn decrypt(&self, aad: &str, stored: &[u8]) -> Result<Vec<u8>, ApiError> {
        let failed = || ApiError::internal(format!("a stored secret ({aad}) does not decrypt"));
        let (key, rest) = match Label::of(stored) {
            Label::Key(id) => (self.by_id(id), &stored[Label::PREFIX_LEN..]),
            Label::Unlabelled => (
                self.unlabelled.and_then(|i| self.data_keys().nth(i)),
                &stored[1..],
            ),
            Label::Other => (None, stored),
        };
        let key = key.ok_or_else(|| {
            ApiError::internal(format!(
                "a stored secret ({aad}) is under key {}, which is not configured",
                Label::of(stored)
            ))
        })?;
        if rest.len() < NONCE_LEN {
            return Err(failed());
        }
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        key.cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| failed())
    }
}

/// A key for one purpose, derived from `master` with `label`.
fn derive(master: &[u8; 32], label: &[u8]) -> [u8; 32] {
    let mut mac = mac_with(master);
    mac.update(label);
    mac.finalize().into_bytes().into()
}

/// Constant-time equality of two hashes.
pub fn hashes_equal(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// HMAC-SHA256 keyed with `key`. HMAC zero-pads a short key to the 64-byte block, so padding it
/// here gives the same MAC through the constructor that cannot fail.
fn mac_with(key: &[u8; 32]) -> HmacSha256 {
    let mut block = [0u8; 64];
    block[..32].copy_from_slice(key);
    <HmacSha256 as KeyInit>::new(&block.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Keys {
        Keys::new(&[7; 32])
    }

    #[test]
    fn secrets_have_the_documented_shape() {
        let token = new_secret(TOKEN_PREFIX).unwrap();
        assert!(is_well_formed(&token, TOKEN_PREFIX));
        assert!(!is_well_formed(&token, API_KEY_PREFIX));
        assert!(is_id(&new_id("ak_").unwrap()));
        assert!(!is_id(&token), "a token is not id-shaped");
        assert!(!is_id("ak_short") && !is_id(&new_id("req_").unwrap()));
        assert!(!is_well_formed("cpat_short", TOKEN_PREFIX));
        assert!(!is_well_formed(&format!("{token}!"), TOKEN_PREFIX));
        assert_ne!(token, new_secret(TOKEN_PREFIX).unwrap());
    }

    #[test]
    fn ids_stay_distinct_across_refills_of_their_pool() {
        // 64 bytes an id from a pool of 4096: 300 ids take it through several refills.
        let ids: std::collections::HashSet<String> =
            (0..300).map(|_| new_id("evt_").unwrap()).collect();
        assert_eq!(ids.len(), 300);
        assert!(ids.iter().all(|id| is_id(id)));
        // Every character is drawn: over 6,000 of them, each of the 62 shows up.
        let seen: std::collections::HashSet<char> = ids
            .iter()
            .flat_map(|id| id["evt_".len()..].chars())
            .collect();
        assert_eq!(seen.len(), 62);
    }

    #[test]
    fn ciphertexts_are_bound_to_their_row() {
        let k = keys();
        let sealed = k.encrypt("api_keys.secret:ak_1", b"cpk_x").unwrap();
        assert_eq!(
            k.decrypt("api_keys.secret:ak_1", &sealed).unwrap(),
            b"cpk_x"
        );
        assert!(k.decrypt("api_keys.secret:ak_2", &sealed).is_err());
        assert!(Keys::new(&[8; 32])
            .decrypt("api_keys.secret:ak_1", &sealed)
            .is_err());
        assert_ne!(sealed, k.encrypt("api_keys.secret:ak_1", b"cpk_x").unwrap());
    }

    #[test]
    fn old_keys_decrypt_and_the_current_one_encrypts() {
        let (a, b) = ([7; 32], [8; 32]);
        let under_a = keys().encrypt("t.c:1", b"s").unwrap();
        assert_eq!(Label::of(&under_a), Label::Key(KeyId::of(&a)));
        let rotated = Keys::unlocked(
            &KeyRing {
                current: b,
                old: vec![a],
            },
            &first_lookup_key(&a),
            Some(1),
        );
        assert_eq!(rotated.decrypt("t.c:1", &under_a).unwrap(), b"s");
        let under_b = rotated.encrypt("t.c:1", b"s").unwrap();
        assert_eq!(Label::of(&under_b), Label::Key(KeyId::of(&b)));
        assert!(keys().decrypt("t.c:1", &under_b).is_err());
        assert!(keys().reads(Label::of(&under_a)) && !keys().reads(Label::of(&under_b)));
        // The lookup hash is the database's, whichever key is current.
        assert_eq!(rotated.lookup_hash("x"), keys().lookup_hash("x"));
        assert_eq!(rotated.check_value(), check_value_of(&a));
    }

    #[test]
    fn ciphertexts_from_before_key_ids_are_read_with_the_first_key() {
        let k = keys();
        let labelled = k.encrypt("t.c:1", b"old").unwrap();
        // The version 1 form: the same nonce and sealed bytes without the key id.
        let mut unlabelled = vec![UNLABELLED_VERSION];
        unlabelled.extend_from_slice(&labelled[Label::PREFIX_LEN..]);
        assert_eq!(Label::of(&unlabelled), Label::Unlabelled);
        assert_eq!(k.decrypt("t.c:1", &unlabelled).unwrap(), b"old");
        let without_first = Keys::unlocked(
            &KeyRing {
                current: [8; 32],
                old: vec![],
            },
            &first_lookup_key(&[7; 32]),
            None,
        );
        assert!(without_first.decrypt("t.c:1", &unlabelled).is_err());
        assert!(!without_first.reads(Label::Unlabelled));
        assert_eq!(Label::of(b""), Label::Other);
    }

    #[test]
    fn key_ids_are_short_public_names() {
        let id = KeyId::of(&[7; 32]);
        assert_eq!(id.to_string().len(), 8);
        assert_ne!(id, KeyId::of(&[8; 32]));
    }

    #[test]
    fn padded_hmac_key_is_the_same_key() {
        let mut a = mac_with(&[9; 32]);
        let mut b = <HmacSha256 as Mac>::new_from_slice(&[9; 32]).unwrap();
        a.update(b"x");
        b.update(b"x");
        assert_eq!(a.finalize().into_bytes(), b.finalize().into_bytes());
    }

    #[test]
    fn lookup_hashes_depend_on_the_key() {
        assert_eq!(keys().lookup_hash("a"), keys().lookup_hash("a"));
        assert_ne!(
            keys().lookup_hash("a"),
            Keys::new(&[8; 32]).lookup_hash("a")
        );
    }
}
