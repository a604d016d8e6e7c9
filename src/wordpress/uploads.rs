//! The old site's images: with `--uploads DIR`, each file an article names
//! under `…/wp-content/uploads/` is looked for in DIR and copied under the
//! site's uploads folder. The path comes from the export, which anyone may
//! have written: it must be a relative path of plain names, confined to DIR
//! where it is read and to the uploads folder where it is written, with no
//! symbolic link followed on either side, and it never replaces a file.

use std::io::ErrorKind;
use std::path::{Component, Path, PathBuf};

use anyhow::{bail, Context};

/// What becomes of one address.
#[derive(Debug, PartialEq, Eq)]
pub enum Found {
    /// To copy from `source` to `relative` under the uploads folder.
    Copy { source: PathBuf, relative: PathBuf },
    /// The same file is in the uploads folder already (from an earlier
    /// import, or because DIR is the uploads folder itself).
    AlreadyThere { relative: PathBuf },
    /// Not in DIR.
    Missing,
    /// Not copied, and why.
    Refused(String),
}

/// The folder the files are read from and the one they are copied to.
pub struct Folders {
    /// DIR, with every link in its own path resolved.
    source: PathBuf,
    /// The site's uploads folder, as configured (it may not exist yet).
    target: PathBuf,
}

impl Folders {
    pub fn open(source: &Path, target: &Path) -> anyhow::Result<Self> {
        let resolved = source.canonicalize().with_context(|| format!("--uploads {}", source.display()))?;
        if !resolved.is_dir() {
            bail!("--uploads {}: not a folder (give a copy of the old site's wp-content/uploads)", source.display());
        }
        match std::fs::metadata(target) {
            Ok(meta) if !meta.is_dir() => bail!(
                "{} is not a folder: the import copies the old site's images there (move the file away, or run \
                 without --uploads)",
                target.display()
            ),
            Err(error) if error.kind() != ErrorKind::NotFound => {
                return Err(error).with_context(|| format!("looking at {}", target.display()))
            }
            _ => {}
        }
        Ok(Self { source: resolved, target: target.to_owned() })
    }

    /// What becomes of the file at `relative` (the part of an address after
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
        let relative: PathBuf = parts.iter().collect();
        match walk(&self.target, &parts) {
            Walk::Nothing => Found::Copy { source, relative },
            Walk::Refused(reason) => Found::Refused(reason),
            Walk::File(there) if same_file(&source, &there) => Found::AlreadyThere { relative },
            Walk::File(there) => {
                Found::Refused(format!("a different file is already at {}; it is left as it is", there.display()))
            }
        }
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

/// Whether `a` and `b` are one file, or files with the same bytes.
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) if a == b => true,
        _ => matches!((std::fs::read(a), std::fs::read(b)), (Ok(a), Ok(b)) if a == b),
    }
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
