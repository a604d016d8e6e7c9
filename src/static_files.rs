//! The files under `static/`, read once at start-up and kept in memory with
//! a hash of their contents, which their URLs carry (`routes::static_files`
//! serves them).

use std::collections::HashMap;
use std::path::Path;

use actix_web::web::Bytes;
use anyhow::Context;
use sha2::{Digest, Sha256};

use crate::keys::hex;

pub struct StaticFiles {
    files: HashMap<String, StaticFile>,
    version: String,
}

pub struct StaticFile {
    body: Bytes,
    content_type: &'static str,
}

impl StaticFile {
    pub fn body(&self) -> Bytes {
        self.body.clone()
    }

    pub fn content_type(&self) -> &'static str {
        self.content_type
    }
}

impl StaticFiles {
    /// Reads every file under `dir`.
    pub fn load(dir: &Path) -> anyhow::Result<Self> {
        let mut paths = Vec::new();
        collect(dir, &mut paths).with_context(|| format!("reading the static files in {}", dir.display()))?;
        paths.sort();
        let mut hasher = Sha256::new();
        let mut files = HashMap::new();
        for path in paths {
            let body = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            let relative =
                path.strip_prefix(dir)?.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>();
            let name = relative.join("/");
            hasher.update(name.as_bytes());
            hasher.update(&body);
            let content_type = content_type(&name);
            files.insert(name, StaticFile { body: Bytes::from(body), content_type });
        }
        Ok(Self { files, version: hex(&hasher.finalize()[..6]) })
    }

    /// The file at `name`, a path relative to the static folder.
    pub fn get(&self, name: &str) -> Option<&StaticFile> {
        self.files.get(name)
    }

    /// A short hash of every file, appended to their URLs.
    pub fn version(&self) -> &str {
        &self.version
    }
}

fn collect(dir: &Path, paths: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, paths)?;
        } else {
            paths.push(path);
        }
    }
    Ok(())
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, ext)| ext.to_ascii_lowercase()).as_deref() {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("webp") => "image/webp",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_read_once_and_versioned_by_their_contents() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("img")).unwrap();
        std::fs::write(dir.path().join("style.css"), "body{}").unwrap();
        std::fs::write(dir.path().join("img/logo.svg"), "<svg/>").unwrap();
        let first = StaticFiles::load(dir.path()).unwrap();
        assert_eq!(first.files["img/logo.svg"].content_type, "image/svg+xml");
        assert_eq!(first.files["style.css"].body, Bytes::from_static(b"body{}"));
        std::fs::write(dir.path().join("style.css"), "body{color:red}").unwrap();
        assert_ne!(StaticFiles::load(dir.path()).unwrap().version(), first.version());
    }
}
