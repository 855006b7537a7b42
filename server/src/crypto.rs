//! Everything secret: random ids and tokens, the keyed hash that finds a token without storing
//! it, and AES-256-GCM for the secrets the API must hand back later (API-key secrets, connection
//! credentials, replayed responses).
//!
//! Both keys are derived from `CREDPORT_ENCRYPTION_KEY`, so the database alone reveals nothing
//! and one key is all an operator has to keep.

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
/// Random characters after the prefix of a token or secret this server makes.
const SECRET_CHARS: usize = 40;
/// Fewest random characters after the prefix for a presented token or secret to be well formed.
const MIN_SECRET_CHARS: usize = 32;
/// Most: anything longer cannot be ours and is not worth hashing.
const MAX_SECRET_CHARS: usize = 128;
/// Random characters of an object id after its prefix.
const ID_CHARS: usize = 20;
/// Stored ciphertexts start with this byte, so a later scheme can sit beside this one.
const CIPHER_VERSION: u8 = 1;
const NONCE_LEN: usize = 12;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `n` characters from [`BASE62`], uniformly (bytes of 248 and above are dropped, not folded).
pub fn random_base62(n: usize) -> Result<String, ApiError> {
    let mut out = String::with_capacity(n);
    let mut buf = [0u8; 64];
    while out.len() < n {
        getrandom::getrandom(&mut buf)
            .map_err(|e| ApiError::internal(format!("random source failed: {e}")))?;
        out.extend(
            buf.iter()
                .filter(|b| **b < 248)
                .map(|b| char::from(BASE62[usize::from(*b % 62)]))
                .take(n - out.len()),
        );
    }
    Ok(out)
}

/// A new object id such as `ak_3kTq…`.
pub fn new_id(prefix: &str) -> Result<String, ApiError> {
    Ok(format!("{prefix}{}", random_base62(ID_CHARS)?))
}

/// The prefixes of the ids [`new_id`] makes for stored objects (sites, connections, API keys,
/// personal access tokens, connect sessions).
const ID_PREFIXES: [&str; 5] = ["site_", "conn_", "ak_", "pat_", "cs_"];

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

/// The keys derived from `CREDPORT_ENCRYPTION_KEY`.
pub struct Keys {
    lookup: HmacSha256,
    cipher: Aes256Gcm,
}

impl Keys {
    pub fn new(master: &[u8; 32]) -> Self {
        let derive = |label: &[u8]| -> [u8; 32] {
            let mut mac = mac_with(master);
            mac.update(label);
            mac.finalize().into_bytes().into()
        };
        let lookup = derive(b"credport/lookup-hash/v1");
        let cipher = derive(b"credport/aes-256-gcm/v1");
        Self {
            lookup: mac_with(&lookup),
            cipher: Aes256Gcm::new(&cipher.into()),
        }
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
        self.lookup_hash("credport/key-check/v1")
    }

    /// `version || nonce || ciphertext+tag`, with `aad` (the owning row) bound in, so that a
    /// ciphertext copied into another row does not decrypt.
    pub fn encrypt(&self, aad: &str, plaintext: &[u8]) -> Result<Vec<u8>, ApiError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::getrandom(&mut nonce)
            .map_err(|e| ApiError::internal(format!("random source failed: {e}")))?;
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| ApiError::internal("encryption failed"))?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        out.push(CIPHER_VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// The inverse of [`Keys::encrypt`].
    pub fn decrypt(&self, aad: &str, stored: &[u8]) -> Result<Vec<u8>, ApiError> {
        let failed = || ApiError::internal(format!("a stored secret ({aad}) does not decrypt"));
        let (version, rest) = stored.split_first().ok_or_else(failed)?;
        if *version != CIPHER_VERSION || rest.len() < NONCE_LEN {
            return Err(failed());
        }
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        self.cipher
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
