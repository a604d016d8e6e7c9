//! Passwords are stored only as argon2id hashes.

use anyhow::{anyhow, Context};
use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version};

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// argon2id with OWASP's recommended parameters: 19 MiB of memory, two
/// passes, one lane.
fn hasher() -> anyhow::Result<Argon2<'static>> {
    let params = Params::new(19 * 1024, 2, 1, None).map_err(|e| anyhow!("argon2 parameters: {e}"))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Refuses passwords that are easy to guess.
pub fn check_strength(password: &str, username: &str, display_name: &str) -> Result<(), String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(format!("the password must be at least {MIN_PASSWORD_CHARS} characters long"));
    }
    let lower = password.to_lowercase();
    if [username, display_name]
        .iter()
        .any(|name| !name.trim().is_empty() && lower.contains(&name.trim().to_lowercase()))
    {
        return Err("the password must not contain the user's name".into());
    }
    if password.chars().all(|c| c == password.chars().next().unwrap_or(' ')) {
        return Err("the password must not repeat one character".into());
    }
    Ok(())
}

/// The PHC string of `password` (salt and parameters included). Slow by
/// design: call it off the async threads.
pub fn hash(password: &str) -> anyhow::Result<String> {
    let hash = hasher()?.hash_password(password.as_bytes()).map_err(|e| anyhow!("hashing the password: {e}"))?;
    Ok(hash.to_string())
}

/// Whether `password` matches `stored`. Slow by design.
pub fn verify(password: &str, stored: &str) -> anyhow::Result<bool> {
    let parsed = PasswordHash::new(stored).map_err(|e| anyhow!("{e}")).context("reading a stored password hash")?;
    Ok(hasher()?.verify_password(password.as_bytes(), &parsed).is_ok())
}

/// A hash to verify against when the user does not exist, so that an
/// unknown name takes as long to refuse as a wrong password.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash("a password that nobody has").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let stored = hash("correct horse battery").unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{stored}");
        assert!(verify("correct horse battery", &stored).unwrap());
        assert!(!verify("wrong horse battery", &stored).unwrap());
    }

    #[test]
    fn weak_passwords_are_refused() {
        assert!(check_strength("short", "doc", "Doctor").is_err());
        assert!(check_strength("mauskop-2024-pass", "mauskop", "Dr. M").is_err());
        assert!(check_strength("aaaaaaaaaaaaaaaa", "doc", "Dr. M").is_err());
        assert!(check_strength("a long and unusual phrase", "doc", "Dr. M").is_ok());
    }
}
