//! All or nothing for the files of an import. Every file is first written
//! to a staging folder inside its destination's folder (so on the same file
//! system, where a rename is atomic) and checked there; inside the database
//! transaction, just before it commits, the files are renamed into place.
//! If anything fails, the database rolls back and the files already placed
//! are taken back; the staging folders go whatever happens.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

/// The staging folder made in each destination folder (`content/`, the
/// uploads folder) while an import runs.
pub const STAGING_FOLDER: &str = ".healthblog-import";

#[derive(Default)]
pub struct Staging {
    areas: Vec<Area>,
    files: Vec<StagedFile>,
    /// Folders made for the import, in the order made.
    made: Vec<PathBuf>,
    /// Files moved into place so far.
    placed: Vec<PathBuf>,
    /// The database committed: what was placed stays.
    kept: bool,
}

struct Area {
    root: PathBuf,
    dir: PathBuf,
}

struct StagedFile {
    staged: PathBuf,
    target: PathBuf,
}

impl Staging {
    /// Stages `bytes`, to be placed at `root/relative`.
    pub fn write(&mut self, root: &Path, relative: &Path, bytes: &[u8]) -> anyhow::Result<()> {
        let staged = self.stage(root, relative)?;
        std::fs::write(&staged, bytes).with_context(|| format!("writing {}", staged.display()))
    }

    /// Where the file to be placed at `target` is staged.
    pub fn staged(&self, target: &Path) -> Option<&Path> {
        self.files.iter().find(|f| f.target == target).map(|f| f.staged.as_path())
    }

    fn stage(&mut self, root: &Path, relative: &Path) -> anyhow::Result<PathBuf> {
        let area = self.area(root)?;
        let staged = area.join(relative);
        if let Some(parent) = staged.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        self.files.push(StagedFile { staged: staged.clone(), target: root.join(relative) });
        Ok(staged)
    }

    fn area(&mut self, root: &Path) -> anyhow::Result<PathBuf> {
        if let Some(area) = self.areas.iter().find(|a| a.root == root) {
            return Ok(area.dir.clone());
        }
        make_folders(root, &mut self.made)?;
        let dir = root.join(STAGING_FOLDER);
        match std::fs::create_dir(&dir) {
            Ok(()) => {}
            Err(error) if error.kind() == ErrorKind::AlreadyExists => bail!(
                "{} is left by an import that was interrupted, or one is running now: once none runs, remove it \
                 and run the import again",
                dir.display()
            ),
            Err(error) => return Err(error).with_context(|| format!("creating {}", dir.display())),
        }
        self.areas.push(Area { root: root.to_owned(), dir: dir.clone() });
        Ok(dir)
    }

    /// Moves every staged file into place, never over a file that is there;
    /// stops at the first failure (the caller then calls `undo`). Returns how
    /// many were placed.
    pub fn place(&mut self) -> anyhow::Result<usize> {
        for file in &self.files {
            if let Some(parent) = file.target.parent() {
                make_folders(parent, &mut self.made)?;
            }
            match std::fs::symlink_metadata(&file.target) {
                Err(error) if error.kind() == ErrorKind::NotFound => {}
                Ok(_) => bail!("{} appeared while the import ran; it is left as it is", file.target.display()),
                Err(error) => return Err(error).with_context(|| format!("looking at {}", file.target.display())),
            }
            std::fs::rename(&file.staged, &file.target)
                .with_context(|| format!("moving {} into place", file.target.display()))?;
            self.placed.push(file.target.clone());
        }
        Ok(self.placed.len())
    }

    /// Takes back every file placed and every folder made, and removes the
    /// staging folders. Returns what could not be removed, one line each.
    pub fn undo(&mut self) -> Vec<String> {
        let mut left = Vec::new();
        for path in self.placed.drain(..).rev() {
            if let Err(error) = std::fs::remove_file(&path) {
                left.push(format!("{} ({error})", path.display()));
            }
        }
        left.extend(self.remove_areas());
        for dir in self.made.drain(..).rev() {
            // Only while empty: whatever else is in it is not the import's.
            if let Err(error) = std::fs::remove_dir(&dir) {
                if error.kind() != ErrorKind::NotFound && error.kind() != ErrorKind::DirectoryNotEmpty {
                    left.push(format!("{} ({error})", dir.display()));
                }
            }
        }
        self.files.clear();
        left
    }

    /// After the database committed: the placed files stay, the staging
    /// folders go. Returns what could not be removed.
    pub fn finish(mut self) -> Vec<String> {
        self.kept = true;
        self.remove_areas()
    }

    fn remove_areas(&mut self) -> Vec<String> {
        let mut left = Vec::new();
        for area in self.areas.drain(..) {
            if let Err(error) = std::fs::remove_dir_all(&area.dir) {
                if error.kind() != ErrorKind::NotFound {
                    left.push(format!("{} ({error})", area.dir.display()));
                }
            }
        }
        left
    }
}

impl Drop for Staging {
    /// An import that ends by an error nobody handled (or a panic) leaves
    /// nothing behind either.
    fn drop(&mut self) {
        if self.kept {
            self.remove_areas();
        } else {
            self.undo();
        }
    }
}

/// Makes `dir` and the folders above it that are missing, recording each
/// one made.
fn make_folders(dir: &Path, made: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let mut missing = Vec::new();
    let mut at = dir;
    loop {
        match std::fs::metadata(at) {
            Ok(meta) if meta.is_dir() => break,
            Ok(_) => bail!("{} is not a folder, and the import must write in it", at.display()),
            Err(error) if error.kind() == ErrorKind::NotFound => missing.push(at.to_owned()),
            Err(error) => return Err(error).with_context(|| format!("looking at {}", at.display())),
        }
        match at.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => at = parent,
            _ => break,
        }
    }
    for dir in missing.into_iter().rev() {
        std::fs::create_dir(&dir).with_context(|| format!("creating {}", dir.display()))?;
        made.push(dir);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_while_placing_takes_back_what_was_placed_and_every_folder_made() {
        let site = tempfile::tempdir().unwrap();
        let root = site.path().join("content");
        let mut staging = Staging::default();
        staging.write(&root, Path::new("posts/a.md"), b"first").unwrap();
        staging.write(&root, Path::new("pages/b.md"), b"second").unwrap();
        // A file where the second one's folder must go, made after staging.
        std::fs::write(root.join("pages"), "in the way").unwrap();

        let error = staging.place().unwrap_err();

        assert!(format!("{error:#}").contains("pages is not a folder"), "{error:#}");
        assert!(root.join("posts/a.md").exists(), "the first was placed before the failure");
        assert_eq!(staging.undo(), Vec::<String>::new());
        let mut left: Vec<String> =
            std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        left.sort();
        assert_eq!(left, ["pages"], "only the file that was in the way is left");
    }

    #[test]
    fn placed_files_stay_once_kept_and_the_staging_folder_goes() {
        let site = tempfile::tempdir().unwrap();
        let root = site.path().join("content");
        let mut staging = Staging::default();
        staging.write(&root, Path::new("posts/a.md"), b"first").unwrap();
        assert_eq!(std::fs::read(staging.staged(&root.join("posts/a.md")).unwrap()).unwrap(), b"first");
        assert_eq!(staging.place().unwrap(), 1);

        assert_eq!(staging.finish(), Vec::<String>::new());

        assert_eq!(std::fs::read(root.join("posts/a.md")).unwrap(), b"first");
        assert!(!root.join(STAGING_FOLDER).exists());
    }

    #[test]
    fn an_import_dropped_on_an_error_leaves_nothing() {
        let site = tempfile::tempdir().unwrap();
        let root = site.path().join("new/content");
        {
            let mut staging = Staging::default();
            staging.write(&root, Path::new("posts/a.md"), b"first").unwrap();
            staging.place().unwrap();
        }
        assert_eq!(std::fs::read_dir(site.path()).unwrap().count(), 0, "the folders it made are gone too");
    }

    #[test]
    fn a_staging_folder_left_by_an_interrupted_import_is_named() {
        let site = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(site.path().join(STAGING_FOLDER)).unwrap();
        let error = Staging::default().write(site.path(), Path::new("a.md"), b"x").unwrap_err();
        assert!(error.to_string().contains("interrupted"), "{error}");
        assert!(site.path().join(STAGING_FOLDER).exists(), "it is left for the user to look at");
    }
}
