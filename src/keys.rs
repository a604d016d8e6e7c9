//! Keys derived from the one configured secret: cookie signing and
//! encryption, CSRF tokens and the keyed hash under which IPs are stored.

use std::path::Path;

use anyhow::{bail, Context};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::config::Settings;

/// A configured secret with fewer characters than this is refused.
pub const MIN_SECRET_CHARS: usize = 32;
const GENERATED_KEY_FILE: &str = "secret_key";

#[derive(Clone)]
pub struct Keys {
    cookie: actix_web::cookie::Key,
    csrf: [u8; 32],
    ip: [u8; 32],
    links: [u8; 32],
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(…)")
    }
}

impl Keys {
    pub fn from_secret(secret: &str) -> anyhow::Result<Self> {
        if secret.chars().count() < MIN_SECRET_CHARS {
            bail!("the secret key must be at least {MIN_SECRET_CHARS} characters long (try `openssl rand -hex 32`)");
        }
        let derive = |label: &str| -> [u8; 32] { hmac_sha256(secret.as_bytes(), label.as_bytes()) };
        let mut cookie = [0u8; 64];
        cookie[..32].copy_from_slice(&derive("cookie-signing"));
        cookie[32..].copy_from_slice(&derive("cookie-encryption"));
        Ok(Self {
            cookie: actix_web::cookie::Key::from(&cookie),
            csrf: derive("csrf"),
            ip: derive("ip-hash"),
            links: derive("signed-links"),
        })
    }

    /// The configured secret, or a development key generated once and kept in
    /// the data folder.
    pub fn load(settings: &Settings) -> anyhow::Result<Self> {
        match &settings.secret_key {
            Some(secret) => Self::from_secret(secret.expose()),
            None => Self::from_secret(&development_secret(&settings.data_dir)?),
        }
    }

    /// The JSON a private (encrypted and signed) cookie `name` of this
    /// request holds, if it is genuine.
    pub fn open_cookie<T: serde::de::DeserializeOwned>(
        &self,
        request: &actix_web::HttpRequest,
        name: &str,
    ) -> Option<T> {
        let mut jar = actix_web::cookie::CookieJar::new();
        jar.add_original(request.cookie(name)?);
        let decrypted = jar.private(self.cookie()).get(name)?;
        serde_json::from_str(decrypted.value()).ok()
    }

    /// `cookie` with its value encrypted and signed, ready to send.
    pub fn seal_cookie(
        &self,
        cookie: actix_web::cookie::Cookie<'static>,
    ) -> Option<actix_web::cookie::Cookie<'static>> {
        let name = cookie.name().to_owned();
        let mut jar = actix_web::cookie::CookieJar::new();
        jar.private_mut(self.cookie()).add(cookie);
        jar.get(&name).cloned()
    }

    pub fn cookie(&self) -> &actix_web::cookie::Key {
        &self.cookie
    }

    /// A MAC for CSRF tokens.
    pub fn csrf_mac(&self, message: &[u8]) -> [u8; 32] {
        hmac_sha256(&self.csrf, message)
    }

    /// How an IP address is stored: a keyed hash, never the address.
    /// Signs the links that emails carry (`crate::signed_links`).
    pub fn link_mac(&self, message: &[u8]) -> [u8; 32] {
        hmac_sha256(&self.links, message)
    }

    pub fn hash_ip(&self, ip: &str) -> String {
        hex(&hmac_sha256(&self.ip, ip.as_bytes())[..16])
    }
}

/// Keys from a fixed secret, for unit tests.
#[cfg(test)]
pub fn test_keys() -> Keys {
    Keys::from_secret(&"k".repeat(40)).expect("a secret long enough")
}

fn development_secret(data_dir: &Path) -> anyhow::Result<String> {
    let path = data_dir.join(GENERATED_KEY_FILE);
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim();
        if !existing.is_empty() {
            tracing::warn!(
                "no secret key configured: using the development key in {}; set HEALTHBLOG_SECRET_KEY in production",
                path.display()
            );
            return Ok(existing.to_owned());
        }
    }
    std::fs::create_dir_all(data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let secret = hex(&bytes);
    write_private(&path, &secret).with_context(|| format!("writing {}", path.display()))?;
    tracing::warn!(
        "no secret key configured: generated a development key in {}; set HEALTHBLOG_SECRET_KEY in production",
        path.display()
    );
    Ok(secret)
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// Lower-case hexadecimal. On the path of every first visit (the visitor
/// id and the form token), so it writes digits without formatting machinery.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0xf)]));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_shorter_than_the_minimum_are_refused() {
        let error = Keys::from_secret(&"k".repeat(MIN_SECRET_CHARS - 1)).unwrap_err();
        assert!(error.to_string().contains(&format!("at least {MIN_SECRET_CHARS} characters")), "{error}");
        assert!(Keys::from_secret(&"k".repeat(MIN_SECRET_CHARS)).is_ok());
        // Characters, not bytes: "é" is two bytes.
        assert!(Keys::from_secret(&"é".repeat(MIN_SECRET_CHARS - 1)).is_err());
    }

    #[test]
    fn ip_hashes_are_stable_and_depend_on_the_secret() {
        let a = Keys::from_secret(&"a".repeat(40)).unwrap();
        let b = Keys::from_secret(&"b".repeat(40)).unwrap();
        assert_eq!(a.hash_ip("127.0.0.1"), a.hash_ip("127.0.0.1"));
        assert_ne!(a.hash_ip("127.0.0.1"), b.hash_ip("127.0.0.1"));
        assert!(!a.hash_ip("127.0.0.1").contains("127"));
    }

    #[test]
    fn hex_is_two_lower_case_digits_a_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(hex(&[]), "");
    }

    #[test]
    fn a_development_key_is_generated_once() {
        let dir = tempfile::tempdir().unwrap();
        let first = development_secret(dir.path()).unwrap();
        assert_eq!(development_secret(dir.path()).unwrap(), first);
    }
}
