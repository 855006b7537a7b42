//! What an error message may repeat of the client's own input: the name of a field or parameter
//! it sent (an unknown one, a duplicate key), so the client sees which. A name is the client's
//! text, not ours: a careless client may put anything there, a secret or a megabyte included.

use crate::crypto::{API_KEY_PREFIX, TOKEN_PREFIX, WEBHOOK_SECRET_PREFIX};

/// Longest name repeated, in characters, `…` included: a longer one is cut to one less and ends
/// in `…` (API.md: "at most 64 characters").
pub const MAX_NAME_CHARS: usize = 64;
/// Said instead of a name that looks like a secret.
const WITHHELD: &str = "(secret-shaped name)";

/// `name` (or a dotted path of names, `claims.role`) as an error may repeat it: at most
/// [`MAX_NAME_CHARS`] characters, and no part holding a credport secret's prefix (`cpk_…`,
/// `cpat_…`, `whsec_…`), which would put the secret into the answer and any log of it.
pub fn name(name: &str) -> String {
    let screened: Vec<&str> = name
        .split('.')
        .map(|part| if looks_secret(part) { WITHHELD } else { part })
        .collect();
    let name = screened.join(".");
    if name.chars().nth(MAX_NAME_CHARS).is_none() {
        return name;
    }
    let kept: String = name.chars().take(MAX_NAME_CHARS - 1).collect();
    kept + "…"
}

fn looks_secret(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [API_KEY_PREFIX, TOKEN_PREFIX, WEBHOOK_SECRET_PREFIX]
        .iter()
        .any(|prefix| lower.contains(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_cut_and_secrets_withheld() {
        assert_eq!(name("colour"), "colour");
        let long = "é".repeat(1000);
        let cut = name(&long);
        assert_eq!(cut.chars().count(), MAX_NAME_CHARS);
        assert!(cut.ends_with('…'));
        assert_eq!(
            name(&"x".repeat(MAX_NAME_CHARS)),
            "x".repeat(MAX_NAME_CHARS)
        );
        assert_eq!(name("cpk_abc"), WITHHELD);
        assert_eq!(name("x.CPAT_abc"), format!("x.{WITHHELD}"));
        assert_eq!(name("claims.cpk_0123.b"), format!("claims.{WITHHELD}.b"));
        assert_eq!(name("whsec_c2VjcmV0"), WITHHELD);
    }
}
