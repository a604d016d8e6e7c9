//! Passwords are stored only as argon2id hashes.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, PasswordHasher, Version};
use subtle::ConstantTimeEq;
use tokio::sync::Semaphore;

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

/// Why a password could not be checked.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// Every slot stayed taken for the longest wait: ask again shortly.
    #[error("every password check slot is taken")]
    Busy,
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

/// Checks sign-in passwords within fixed limits. Each argon2 evaluation
/// needs 19 MiB: allocated afresh per request, a burst of guesses once held
/// hundreds of MiB that the allocator never gave back. Here at most `slots`
/// evaluations run at once (one per core: more would only queue on the
/// CPU), each in a memory area that is allocated on first use and then
/// reused, so the process never holds more than `slots` × 19 MiB for it
/// (more only if an imported hash asks for more memory than ours do).
/// Requests beyond that wait for a slot, for a bounded time.
pub struct PasswordChecker {
    slots: Arc<Semaphore>,
    /// Free memory areas; one per slot at most, since only a slot's holder
    /// takes one out and it always puts it back.
    memory: Arc<Mutex<Vec<Vec<Block>>>>,
    /// Checked when the name is unknown, so that an unknown name takes as
    /// long to refuse as a wrong password and timing tells nothing.
    dummy_hash: String,
    max_wait: Duration,
}

impl PasswordChecker {
    /// Fails when argon2 cannot hash at all, rather than starting a server
    /// whose unknown names are answered faster than wrong passwords.
    pub fn new(slots: usize, max_wait: Duration) -> anyhow::Result<Self> {
        let dummy_hash =
            hash("a password that nobody has").context("computing the hash unknown names are checked against")?;
        Ok(Self {
            slots: Arc::new(Semaphore::new(slots.max(1))),
            memory: Arc::new(Mutex::new(Vec::new())),
            dummy_hash,
            max_wait,
        })
    }

    /// Whether `password` matches `stored`, or is checked against the dummy
    /// hash when there is no account (and then never matches).
    pub async fn check(&self, password: String, stored: Option<String>) -> Result<bool, CheckError> {
        let waited = tokio::time::timeout(self.max_wait, Arc::clone(&self.slots).acquire_owned()).await;
        let slot = waited.map_err(|_| CheckError::Busy)?.context("the password slots were closed")?;
        let exists = stored.is_some();
        let stored = stored.unwrap_or_else(|| self.dummy_hash.clone());
        let pool = Arc::clone(&self.memory);
        // The slot and the memory travel with the work, so that they return
        // when it ends even if the request was abandoned meanwhile.
        let matches = actix_web::web::block(move || {
            let mut memory = pool.lock().unwrap_or_else(PoisonError::into_inner).pop().unwrap_or_default();
            let matches = verify_in(&password, &stored, &mut memory);
            pool.lock().unwrap_or_else(PoisonError::into_inner).push(memory);
            drop(slot);
            matches
        })
        .await
        .context("the password check was cancelled")??;
        Ok(matches && exists)
    }
}

/// Whether `password` matches the PHC string `stored`, computed in `memory`
/// (grown to the size the hash asks for, which it keeps for the next time).
fn verify_in(password: &str, stored: &str, memory: &mut Vec<Block>) -> anyhow::Result<bool> {
    let parsed = PasswordHash::new(stored).map_err(|e| anyhow!("{e}")).context("reading a stored password hash")?;
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        bail!("the stored password hash has no salt or no output");
    };
    let algorithm =
        Algorithm::try_from(parsed.algorithm.as_str()).map_err(|e| anyhow!("stored hash algorithm: {e}"))?;
    let version = match parsed.version {
        Some(version) => Version::try_from(version).map_err(|e| anyhow!("stored hash version: {e}"))?,
        None => Version::default(),
    };
    let params = Params::try_from(&parsed).map_err(|e| anyhow!("stored hash parameters: {e}"))?;
    if memory.len() < params.block_count() {
        memory.resize(params.block_count(), Block::default());
    }
    let mut computed = vec![0u8; expected.len()];
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(password.as_bytes(), salt, &mut computed, &mut memory[..])
        .map_err(|e| anyhow!("checking a password: {e}"))?;
    Ok(bool::from(computed.ct_eq(expected.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify_in_reused_memory() {
        let stored = hash("correct horse battery").unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{stored}");
        let mut memory = Vec::new();
        assert!(verify_in("correct horse battery", &stored, &mut memory).unwrap());
        assert_eq!(memory.len(), 19 * 1024, "19 MiB of 1 KiB blocks");
        assert!(!verify_in("wrong horse battery", &stored, &mut memory).unwrap());
        assert!(verify_in("correct horse battery", &stored, &mut memory).unwrap(), "used memory is fine");
        assert!(verify_in("x", "not a hash", &mut memory).is_err());
    }

    #[test]
    fn hashes_made_with_other_parameters_still_verify() {
        let light = Params::new(8 * 1024, 1, 1, None).unwrap();
        let stored =
            Argon2::new(Algorithm::Argon2id, Version::V0x13, light).hash_password(b"older pass phrase").unwrap();
        let mut memory = vec![Block::default(); 19 * 1024];
        assert!(verify_in("older pass phrase", &stored.to_string(), &mut memory).unwrap());
        assert!(!verify_in("other pass phrase", &stored.to_string(), &mut memory).unwrap());
    }

    #[actix_web::test]
    async fn an_unknown_account_never_matches_and_a_full_checker_says_busy() {
        let checker = PasswordChecker::new(1, Duration::from_millis(1)).unwrap();
        let stored = hash("correct horse battery").unwrap();
        assert!(checker.check("correct horse battery".into(), Some(stored)).await.unwrap());
        assert!(!checker.check("a password that nobody has".into(), None).await.unwrap());

        let _taken = Arc::clone(&checker.slots).acquire_owned().await.unwrap();
        let busy = checker.check("anything".into(), None).await;
        assert!(matches!(busy, Err(CheckError::Busy)), "{busy:?}");
    }

    #[test]
    fn weak_passwords_are_refused() {
        let short = format!("the password must be at least {MIN_PASSWORD_CHARS} characters long");
        let named = "the password must not contain the user's name";
        let repeated = "the password must not repeat one character";
        // (password, sign-in name, display name, why it is refused)
        let cases = [
            ("short", "doc", "Doctor", short.as_str()),
            ("", "doc", "Doctor", short.as_str()),
            (&"é".repeat(MIN_PASSWORD_CHARS - 1), "doc", "Doctor", short.as_str()),
            ("mauskop-2024-pass", "mauskop", "Dr. M", named),
            ("MAUSKOP-2024-PASS", "mauskop", "Dr. M", named),
            ("my friend dr. mauskop", "doc2", "Dr. Mauskop", named),
            ("aaaaaaaaaaaaaaaa", "doc", "Dr. M", repeated),
            (&" ".repeat(MIN_PASSWORD_CHARS + 4), "doc", "Dr. M", repeated),
        ];
        for (password, username, display_name, why) in cases {
            assert_eq!(check_strength(password, username, display_name), Err(why.to_owned()), "{password:?}");
        }
        assert!(check_strength("a long and unusual phrase", "doc", "Dr. M").is_ok());
        assert!(check_strength(&"é".repeat(MIN_PASSWORD_CHARS), "doc", "Dr. M").is_err(), "one character repeated");
        assert_eq!(check_strength("a long and unusual phrase", " ", " "), Ok(()), "blank names match nothing");
    }
}
