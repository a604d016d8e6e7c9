//! The files of `content/` as the store reads them: each checked as
//! `healthblog check` checks it, with the text it holds, its hash and when
//! it was last changed.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use chrono::NaiveDateTime;
use sha2::{Digest, Sha256};

use super::{parse_folder, ArticleKind, ContentError, ContentErrors, Library, Manuscript};

/// One article or page file.
#[derive(Debug)]
pub struct ContentFile {
    pub kind: ArticleKind,
    pub path: PathBuf,
    /// The SHA-256 of the file's text, in hex.
    pub hash: String,
    /// When the file was last written (UTC).
    pub modified: NaiveDateTime,
    pub manuscript: Manuscript,
}

/// Every file of `dir`'s `posts/` and `pages/`, or every problem found in
/// them (the same as `healthblog check` reports).
pub fn read_folder(dir: &Path) -> Result<Vec<ContentFile>, ContentErrors> {
    Library::load(dir)?;
    let mut files = Vec::new();
    for kind in [ArticleKind::Post, ArticleKind::Page] {
        let folder = dir.join(kind.folder());
        if kind == ArticleKind::Page && !folder.is_dir() {
            continue;
        }
        let (parsed, errors) = parse_folder(&folder)?;
        if !errors.is_empty() {
            return Err(ContentErrors(errors));
        }
        for (text, article) in parsed {
            let path = article.source.clone();
            let problem = |message: String| ContentErrors(vec![ContentError { file: path.clone(), line: 0, message }]);
            let manuscript = Manuscript::from_file(&path, &text).map_err(|errors| {
                ContentErrors(
                    errors
                        .into_iter()
                        .map(|e| ContentError { file: path.clone(), line: e.line, message: e.message })
                        .collect(),
                )
            })?;
            let modified = std::fs::metadata(&path)
                .and_then(|m| m.modified())
                .map_err(|e| problem(format!("cannot read when the file changed: {e}")))?;
            files.push(ContentFile {
                kind,
                hash: hash(&text),
                modified: chrono::DateTime::<chrono::Utc>::from(modified).naive_utc(),
                path,
                manuscript,
            });
        }
    }
    Ok(files)
}

/// The SHA-256 of `text`, in hex.
pub fn hash(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes every manuscript as `DIR/posts/{slug}.md` and `DIR/pages/{slug}.md`
/// (`DIR` must be new or empty); returns how many files were written.
pub fn write_folder(dir: &Path, manuscripts: &[(ArticleKind, Manuscript)]) -> anyhow::Result<usize> {
    use anyhow::Context as _;
    if dir.exists() && std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?.next().is_some() {
        anyhow::bail!("{} is not empty: export into a new or empty folder", dir.display());
    }
    for kind in [ArticleKind::Post, ArticleKind::Page] {
        let folder = dir.join(kind.folder());
        std::fs::create_dir_all(&folder).with_context(|| format!("creating {}", folder.display()))?;
    }
    for (kind, manuscript) in manuscripts {
        let path = dir.join(kind.folder()).join(format!("{}.md", manuscript.slug));
        std::fs::write(&path, manuscript.to_file_text()).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(manuscripts.len())
}

/// Reads and checks `content/`, refusing to go on when anything is wrong.
pub fn read_content_folder(content_dir: &Path) -> anyhow::Result<Vec<ContentFile>> {
    check_content_folder(content_dir)?;
    read_folder(content_dir)
        .map_err(|errors| anyhow!("{errors}"))
        .with_context(|| format!("the articles in {} have problems", content_dir.display()))
}

/// A content folder that is not there, or holds no `posts/`, is one plain
/// error rather than a list of unreadable files.
pub fn check_content_folder(content_dir: &Path) -> anyhow::Result<()> {
    let hint = "set `content_dir` or HEALTHBLOG_CONTENT_DIR to the folder that holds posts/ (and pages/)";
    if !content_dir.is_dir() {
        bail!("the content folder {} does not exist; {hint}", content_dir.display());
    }
    if !content_dir.join("posts").is_dir() {
        bail!("the content folder {} has no posts/ folder; {hint}", content_dir.display());
    }
    Ok(())
}
