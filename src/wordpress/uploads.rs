//! The old site's images: with `--uploads DIR`, each file an article names
//! under `…/wp-content/uploads/` is looked for in DIR and read, to be made
//! into a picture of the site (`pictures`). The path comes from the export,
//! which anyone may have written: it must be a relative path of plain
//! names, confined to DIR, with no symbolic link followed.

use std::io::ErrorKind;
use std::path::{Component, Path, PathBuf};

use anyhow::{bail, Context};

/// What is found at one address.
#[derive(Debug, PartialEq, Eq)]
pub enum Found {
    /// A regular file inside DIR.
    File(PathBuf),
    /// Not in DIR.
    Missing,
    /// Not read, and why.
    Refused(String),
}

/// The folder the files are read from.
pub struct Folders {
    /// DIR, with every link in its own path resolved.
    source: PathBuf,
}

impl Folders {
    pub fn open(source: &Path) -> anyhow::Result<Self> {
        let resolved = source.canonicalize().with_context(|| format!("--uploads {}", source.display()))?;
        if !resolved.is_dir() {
            bail!("--uploads {}: not a folder (give a copy of the old site's wp-content/uploads)", source.display());
        }
        Ok(Self { source: resolved })
    }

    /// What is at `relative` (the part of an address after
    /// `wp-content/uploads/`).
    pub fn find(&self, relative: &str) -> Found {
        let parts = match plain_parts(relative) {
            Ok(parts) => parts,
            Err(reason) => return Found::Refused(reason.into()),
        };
        let source = match walk(&self.source, &parts) {
            Walk::File(path) => path,
            Walk::Nothing => return Found::Missing,
            Walk::Refused(reason) => return Found::Refused(reason),
        };
        // Belt and braces: what the walk found is inside DIR.
        if !source.canonicalize().is_ok_and(|resolved| resolved.starts_with(&self.source)) {
            return Found::Refused(format!("{} leads out of {}", source.display(), self.source.display()));
        }
        Found::File(source)
    }
}

/// The `/`-separated names of a path from an export, or why it is refused.
fn plain_parts(relative: &str) -> Result<Vec<&str>, &'static str> {
    if relative.starts_with('/') {
        return Err("an absolute path, which could name any file on this computer");
    }
    let parts: Vec<&str> = relative.split('/').collect();
    for part in &parts {
        if part.is_empty() {
            return Err("an empty name in the path");
        }
        if *part == "." || *part == ".." {
            return Err("`.` or `..` in the path, which could lead out of the uploads folder");
        }
        if part.contains(['\\', '\0']) {
            return Err("a backslash or a NUL character in the path");
        }
        if !matches!(Path::new(part).components().collect::<Vec<_>>()[..], [Component::Normal(_)]) {
            return Err("a name that is not a plain file or folder name");
        }
    }
    Ok(parts)
}

enum Walk {
    /// A regular file, reached through real folders only.
    File(PathBuf),
    /// Nothing there (a folder on the way may be missing too).
    Nothing,
    Refused(String),
}

/// Follows `parts` from `root` without following a symbolic link.
fn walk(root: &Path, parts: &[&str]) -> Walk {
    let mut path = root.to_owned();
    for (index, part) in parts.iter().enumerate() {
        path.push(part);
        let last = index + 1 == parts.len();
        match std::fs::symlink_metadata(&path) {
            Err(error) if error.kind() == ErrorKind::NotFound => return Walk::Nothing,
            Err(error) => return Walk::Refused(format!("{} cannot be read ({error})", path.display())),
            Ok(meta) if meta.file_type().is_symlink() => {
                return Walk::Refused(format!(
                    "{} is a symbolic link, which the import does not follow",
                    path.display()
                ))
            }
            Ok(meta) if last && !meta.is_file() => {
                return Walk::Refused(format!("{} is not a regular file", path.display()))
            }
            Ok(meta) if !last && !meta.is_dir() => return Walk::Refused(format!("{} is not a folder", path.display())),
            Ok(_) => {}
        }
    }
    Walk::File(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_relative_paths_of_plain_names_are_taken() {
        assert_eq!(plain_parts("2022/02/scan.png"), Ok(vec!["2022", "02", "scan.png"]));
        for refused in ["/etc/passwd", "2022/../../x", "./x", "2022//x", "2022/", "a\\..\\b", "a\0b", ""] {
            assert!(plain_parts(refused).is_err(), "{refused:?}");
        }
    }
}
