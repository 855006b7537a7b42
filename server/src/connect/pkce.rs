//! The secrets of one authorization request: the `state` that binds the callback to the
//! session (RFC 6749 §10.12) and the PKCE pair (RFC 7636, always S256).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::crypto::{random_base62, Keys};
use crate::error::ApiError;

/// Characters of a link token and of a state: 43 base62 characters hold 256 random bits.
const TOKEN_CHARS: usize = 43;
/// Characters of a PKCE verifier (RFC 7636 §4.1 allows 43 to 128 unreserved characters).
const VERIFIER_CHARS: usize = 64;

/// A new link token or state.
pub fn new_token() -> Result<String, ApiError> {
    random_base62(TOKEN_CHARS)
}

/// Whether `value` could be a token [`new_token`] made: checked before any hashing or lookup.
pub fn is_token(value: &str) -> bool {
    value.len() == TOKEN_CHARS && value.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The keyed hash a link token is stored and found under.
pub fn link_hash(keys: &Keys, link: &str) -> [u8; 32] {
    keys.lookup_hash(&["connect-link:", link].concat())
}

/// The cookie that binds a state to the browser that opened the link (RFC 9700 §4.7.1: a
/// callback from another browser, which a person was tricked into approving in with a
/// provider URL from someone else's session, is refused). Its name and value are both of the
/// state's keyed hash, so the callback knows which cookie to ask for, and nobody makes one
/// without the server's key; nothing is stored for it.
pub fn browser_cookie(keys: &Keys, state: &str) -> (String, String) {
    let hash = keys.lookup_hash(&["connect-browser:", state].concat());
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    let (name, value) = hex.split_at(12);
    (format!("credport_connect_{name}"), value.to_owned())
}

/// The keyed hash a state is stored and found under.
pub fn state_hash(keys: &Keys, state: &str) -> [u8; 32] {
    keys.lookup_hash(&["connect-state:", state].concat())
}

/// A new PKCE verifier.
pub fn new_verifier() -> Result<String, ApiError> {
    random_base62(VERIFIER_CHARS)
}

/// The S256 challenge of `verifier`: base64url(SHA-256(verifier)) without padding.
pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_is_rfc_7636_s256() {
        // RFC 7636 appendix B.
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let verifier = new_verifier().unwrap();
        assert_eq!(verifier.len(), 64);
        assert!(is_token(&new_token().unwrap()));
        assert!(!is_token("short") && !is_token(&format!("{}!", &verifier[..42])));
    }
}
