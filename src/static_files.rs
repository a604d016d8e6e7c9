//! The site's own static files (stylesheet, script, icons), built into the
//! binary, with the files of `static_dir` laid over them when it is set:
//! read once at start-up and kept in memory with a hash of their contents,
//! which their URLs carry (`routes::static_files` serves them). Pictures are
//! not static files: they are in the database (`media`), and an `uploads`
//! folder left by an earlier import is never read (`warn_of_old_uploads`).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use actix_web::web::Bytes;
use anyhow::{bail, Context};
use include_dir::{include_dir, Dir, File};
use sha2::{Digest, Sha256};

use crate::keys::hex;

/// The `static/` folder as it was when the binary was built.
static BUILT_IN: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/static");

pub use crate::config::UPLOADS;

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
    /// The built-in files, then every file under `theme` (replacing a
    /// built-in one of the same name), its `uploads` folder aside.
    pub fn load(theme: Option<&Path>) -> anyhow::Result<Self> {
        let mut bodies: BTreeMap<String, Bytes> = BTreeMap::new();
        for file in embedded_files(&BUILT_IN) {
            let name = slash_path(file.path());
            if !name.starts_with(&format!("{UPLOADS}/")) {
                bodies.insert(name, Bytes::from_static(file.contents()));
            }
        }
        if let Some(dir) = theme {
            if !dir.is_dir() {
                bail!(
                    "static_dir: the folder {} does not exist (leave it unset to use the built-in files)",
                    dir.display()
                );
            }
            read_into(&mut bodies, dir)?;
        }
        let mut hasher = Sha256::new();
        let mut files = HashMap::new();
        for (name, body) in bodies {
            hasher.update(name.as_bytes());
            hasher.update(&body);
            let content_type = content_type(&name);
            files.insert(name, StaticFile { body, content_type });
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

fn read_into(bodies: &mut BTreeMap<String, Bytes>, dir: &Path) -> anyhow::Result<()> {
    for (name, path) in files_under(dir)? {
        if name.starts_with(&format!("{UPLOADS}/")) {
            continue;
        }
        let body = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        bodies.insert(name, Bytes::from(body));
    }
    Ok(())
}

/// What start-up says of an uploads folder left by an earlier import, which
/// is no longer served: `None` when there is none.
pub fn old_uploads_warning(uploads: &Path) -> Option<String> {
    uploads.is_dir().then(|| {
        format!(
            "{} is left from an earlier WordPress import and is no longer served: links to /static/uploads/ answer \
             404. Run the import again with --uploads (it stores the pictures in the database and points the \
             articles at /media/), or upload the pictures in the desk (Pictures); then the folder may be removed. \
             It is not deleted here.",
            uploads.display()
        )
    })
}

/// Every file of an embedded folder, however deep.
pub fn embedded_files<'a>(dir: &'a Dir<'a>) -> Vec<&'a File<'a>> {
    let mut files: Vec<&File> = dir.files().collect();
    for sub in dir.dirs() {
        files.extend(embedded_files(sub));
    }
    files
}

/// Every file under `dir`, however deep, by its `/`-separated path relative to `dir`.
pub fn files_under(dir: &Path) -> anyhow::Result<Vec<(String, PathBuf)>> {
    let mut paths = Vec::new();
    collect(dir, &mut paths).with_context(|| format!("reading the files in {}", dir.display()))?;
    paths.sort();
    paths.into_iter().map(|path| Ok((slash_path(path.strip_prefix(dir)?), path))).collect()
}

/// `a/b.css` on every system.
pub fn slash_path(path: &Path) -> String {
    path.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

fn collect(dir: &Path, paths: &mut Vec<PathBuf>) -> std::io::Result<()> {
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
        Some("webmanifest") => "application/manifest+json",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_files_a_theme_over_them_and_never_the_uploads() {
        let built_in = StaticFiles::load(None).unwrap();
        assert!(built_in.get("style.css").is_some() && built_in.get("site.js").is_some());

        let theme = tempfile::tempdir().unwrap();
        std::fs::create_dir(theme.path().join("img")).unwrap();
        std::fs::write(theme.path().join("style.css"), "body{}").unwrap();
        std::fs::write(theme.path().join("img/logo.svg"), "<svg/>").unwrap();
        std::fs::create_dir(theme.path().join("uploads")).unwrap();
        std::fs::write(theme.path().join("uploads/scan.png"), "png").unwrap();
        let themed = StaticFiles::load(Some(theme.path())).unwrap();
        assert_eq!(themed.files["img/logo.svg"].content_type, "image/svg+xml");
        assert_eq!(themed.files["style.css"].body, Bytes::from_static(b"body{}"));
        assert!(themed.get("uploads/scan.png").is_none(), "the uploads are not read into memory");
        assert!(themed.get("site.js").is_some(), "what the theme lacks stays built in");
        assert_ne!(themed.version(), built_in.version());
        let warning = old_uploads_warning(&theme.path().join("uploads")).unwrap();
        assert!(warning.contains("--uploads") && warning.contains("not deleted"), "{warning}");
        assert!(old_uploads_warning(&theme.path().join("nope")).is_none());

        std::fs::write(theme.path().join("style.css"), "body{color:red}").unwrap();
        assert_ne!(StaticFiles::load(Some(theme.path())).unwrap().version(), themed.version());
        assert!(StaticFiles::load(Some(&theme.path().join("nope"))).is_err());
    }
}
