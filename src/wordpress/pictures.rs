//! The old site's pictures, with `--uploads DIR`: each file an article (or
//! its featured image) names under `…/wp-content/uploads/` goes through the
//! desk's pipeline (stripped of EXIF, GPS and every other metadata block,
//! scaled, made in every size) and into the database, and its links become
//! `/media/{hash}-{width}.{ext}`. A file that is not a picture, or that the
//! pipeline refuses, keeps its link to the old site and is reported with
//! the reason.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use super::uploads::{Folders, Found};
use crate::db::media::Description;
use crate::db::AnyConnection;
use crate::media::process::{self, Processed, MAX_UPLOAD_BYTES};
use crate::media::{Address, Sizes};

/// Who the media library says brought the pictures in.
pub const IMPORTED_BY: &str = "WordPress import";

/// The most bytes of made sizes kept in memory between the plan and the
/// transaction; beyond it a picture is made again when it is stored.
const KEPT_IN_MEMORY: usize = 128 * 1024 * 1024;

/// What became of one address.
#[derive(Clone, Debug)]
pub enum Taken {
    /// A picture of the site now (or already): its links point here.
    Stored(Address),
    /// Not in DIR.
    Missing,
    /// Not stored, and why.
    Refused(String),
}

/// One picture to store in the import's transaction.
pub struct ToStore {
    source: PathBuf,
    hash: String,
    /// Its path under the uploads folder (`2022/02/scan.png`).
    pub name: String,
    pub alt: String,
    uploaded_bytes: i64,
    /// Its sizes, unless let go to bound memory (made again when stored).
    processed: Option<Processed>,
}

/// The pictures of one import, each path and each file read once.
pub struct Pictures {
    folders: Folders,
    keep_in_memory: usize,
    kept: usize,
    by_path: HashMap<String, Taken>,
    /// Index in `to_store` of each new picture, by hash.
    by_hash: HashMap<String, (Address, Option<usize>)>,
    pub to_store: Vec<ToStore>,
    /// Pictures the site had already (an earlier import, or the desk).
    pub already_there: usize,
}

impl Pictures {
    /// Reads from DIR; a dry run keeps nothing it makes.
    pub fn open(dir: &Path, dry_run: bool) -> anyhow::Result<Self> {
        Ok(Self {
            folders: Folders::open(dir)?,
            keep_in_memory: if dry_run { 0 } else { KEPT_IN_MEMORY },
            kept: 0,
            by_path: HashMap::new(),
            by_hash: HashMap::new(),
            to_store: Vec::new(),
            already_there: 0,
        })
    }

    /// The picture at `relative` under the uploads folder, described by
    /// `alt` (which fills in a description missing so far).
    pub fn take(&mut self, conn: &mut AnyConnection, relative: &str, alt: &str) -> anyhow::Result<Taken> {
        let taken = match self.by_path.get(relative) {
            Some(taken) => taken.clone(),
            None => {
                let taken = self.make(conn, relative, alt)?;
                self.by_path.insert(relative.to_owned(), taken.clone());
                taken
            }
        };
        if let Taken::Stored(address) = &taken {
            if let Some((_, Some(index))) = self.by_hash.get(&address.hash) {
                let picture = &mut self.to_store[*index];
                if picture.alt.is_empty() {
                    alt.clone_into(&mut picture.alt);
                }
            }
        }
        Ok(taken)
    }

    fn make(&mut self, conn: &mut AnyConnection, relative: &str, alt: &str) -> anyhow::Result<Taken> {
        let source = match self.folders.find(relative) {
            Found::File(source) => source,
            Found::Missing => return Ok(Taken::Missing),
            Found::Refused(reason) => return Ok(Taken::Refused(reason)),
        };
        let size = std::fs::metadata(&source).map(|m| m.len()).unwrap_or(0);
        if size > MAX_UPLOAD_BYTES as u64 {
            return Ok(Taken::Refused(format!(
                "the file is {} MB; a picture may be at most {} MB",
                size / (1024 * 1024),
                MAX_UPLOAD_BYTES / (1024 * 1024)
            )));
        }
        let bytes = match std::fs::read(&source) {
            Ok(bytes) => bytes,
            Err(error) => return Ok(Taken::Refused(format!("{} cannot be read ({error})", source.display()))),
        };
        let hash = process::hash_of(&bytes);
        if let Some((address, _)) = self.by_hash.get(&hash) {
            return Ok(Taken::Stored(address.clone()));
        }
        let processed = match process::process(&bytes) {
            Ok(processed) => processed,
            Err(refused) => return Ok(Taken::Refused(refused.0)),
        };
        let address = sizes_of(&processed).mid(&hash).context("a picture made without sizes")?;
        if crate::db::media::find(conn, &hash).context("reading the media library")?.is_some() {
            self.already_there += 1;
            self.by_hash.insert(hash, (address.clone(), None));
            return Ok(Taken::Stored(address));
        }
        let weight: usize = processed.variants.iter().map(|v| v.bytes.len()).sum();
        let processed = (self.kept + weight <= self.keep_in_memory).then(|| {
            self.kept += weight;
            processed
        });
        self.by_hash.insert(hash.clone(), (address.clone(), Some(self.to_store.len())));
        self.to_store.push(ToStore {
            source,
            hash,
            name: relative.to_owned(),
            alt: alt.to_owned(),
            uploaded_bytes: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
            processed,
        });
        Ok(Taken::Stored(address))
    }
}

fn sizes_of(picture: &Processed) -> Sizes {
    Sizes {
        width: picture.width,
        height: picture.height,
        variants: picture.variants.iter().map(|v| (v.width, v.height, v.format)).collect(),
    }
}

/// Stores the pictures, inside the import's transaction; those let go from
/// memory are made again from the same file.
pub fn store(conn: &mut AnyConnection, pictures: Vec<ToStore>) -> anyhow::Result<usize> {
    let mut stored = 0;
    for picture in pictures {
        let processed = match picture.processed {
            Some(processed) => processed,
            None => {
                let bytes =
                    std::fs::read(&picture.source).with_context(|| format!("reading {}", picture.source.display()))?;
                match process::process(&bytes) {
                    Ok(processed) if processed.hash == picture.hash => processed,
                    _ => bail!("{} changed while the import ran: run it again", picture.source.display()),
                }
            }
        };
        let description = Description {
            name: picture.name.clone(),
            alt: picture.alt.clone(),
            caption: String::new(),
            uploaded_by: IMPORTED_BY.to_owned(),
            uploaded_bytes: picture.uploaded_bytes,
        };
        if crate::db::media::insert(conn, &processed, &description)
            .with_context(|| format!("storing the picture {}", picture.name))?
        {
            stored += 1;
        }
    }
    if stored > 0 {
        // Every instance loads the pictures' sizes again with the articles.
        crate::db::change_counters::touch(conn, crate::db::change_counters::CONTENT)
            .context("telling the instances of the new pictures")?;
    }
    Ok(stored)
}
