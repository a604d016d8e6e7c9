//! Pictures uploaded in the desk: made ready off the request threads
//! (`process`), stored in the database by the hash of their bytes
//! (`db::media`), served at `/media/{hash}-{width}.{ext}` from a bounded
//! cache of the most-read sizes (`hot`), and shown in articles with every
//! size named (`Catalog`, used by `markdown::dress_pictures`).

pub mod hot;
pub mod process;

use std::collections::HashMap;

use serde::Serialize;

/// The picture formats taken and served.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Format {
    Jpeg,
    Png,
    Gif,
    Webp,
}

impl Format {
    /// The file extension in addresses and in the database.
    pub fn ext(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::Gif => "gif",
            Self::Webp => "webp",
        }
    }

    pub fn from_ext(ext: &str) -> Option<Self> {
        match ext {
            "jpg" => Some(Self::Jpeg),
            "png" => Some(Self::Png),
            "gif" => Some(Self::Gif),
            "webp" => Some(Self::Webp),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Gif => "image/gif",
            Self::Webp => "image/webp",
        }
    }

    pub fn image_format(self) -> image::ImageFormat {
        match self {
            Self::Jpeg => image::ImageFormat::Jpeg,
            Self::Png => image::ImageFormat::Png,
            Self::Gif => image::ImageFormat::Gif,
            Self::Webp => image::ImageFormat::WebP,
        }
    }
}

/// One served file: `/media/{hash}-{width}.{ext}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Address {
    pub hash: String,
    pub width: u32,
    pub format: Format,
}

impl Address {
    /// Reads `{hash}-{width}.{ext}` (the part after `/media/`).
    pub fn parse(file: &str) -> Option<Self> {
        let (stem, ext) = file.rsplit_once('.')?;
        let (hash, width) = stem.rsplit_once('-')?;
        let valid_hash = hash.len() == 20 && hash.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        let width = width.parse::<u32>().ok().filter(|w| *w > 0 && !width.starts_with('0'))?;
        let format = Format::from_ext(ext)?;
        valid_hash.then(|| Self { hash: hash.to_owned(), width, format })
    }

    /// Reads a site-relative or absolute link to a picture of this site, or
    /// one relative to an article's file (`../media/…`, as `export markdown`
    /// writes them).
    pub fn from_link(link: &str) -> Option<Self> {
        let at = link.find("/media/")?;
        let before = &link[..at];
        let site_relative =
            before.is_empty() || before == ".." || before.starts_with("http://") || before.starts_with("https://");
        site_relative.then(|| Self::parse(&link[at + "/media/".len()..])).flatten()
    }

    pub fn path(&self) -> String {
        format!("/media/{}-{}.{}", self.hash, self.width, self.format.ext())
    }
}

/// What the articles need to know of each stored picture: its size and
/// which variants exist. Loaded with the library, never per request.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    pictures: HashMap<String, Sizes>,
}

/// A picture's full size and its variants (width, height, format).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sizes {
    pub width: u32,
    pub height: u32,
    pub variants: Vec<(u32, u32, Format)>,
}

/// The width the page uses by default, in feeds and for Open Graph: the
/// largest variant no wider than this.
pub const MID_WIDTH: u32 = 960;

impl Sizes {
    /// The format the picture is served in (its WebP variants aside, unless
    /// it has nothing else).
    pub fn main_format(&self) -> Option<Format> {
        self.variants.iter().map(|v| v.2).find(|f| *f != Format::Webp).or_else(|| self.variants.first().map(|v| v.2))
    }

    /// The variants of `format`, narrowest first.
    pub fn widths(&self, format: Format) -> Vec<(u32, u32)> {
        let mut widths: Vec<(u32, u32)> = self.variants.iter().filter(|v| v.2 == format).map(|v| (v.0, v.1)).collect();
        widths.sort_unstable();
        widths
    }

    /// The mid-size variant: the widest no wider than `MID_WIDTH`, else the narrowest.
    pub fn mid(&self, hash: &str) -> Option<Address> {
        let format = self.main_format()?;
        let widths = self.widths(format);
        let (width, _) = widths.iter().rev().find(|(w, _)| *w <= MID_WIDTH).or(widths.first()).copied()?;
        Some(Address { hash: hash.to_owned(), width, format })
    }
}

impl Catalog {
    pub fn new(pictures: HashMap<String, Sizes>) -> Self {
        Self { pictures }
    }

    pub fn get(&self, hash: &str) -> Option<&Sizes> {
        self.pictures.get(hash)
    }

    /// The mid-size address of the picture `link` points at, when it is one of ours.
    pub fn mid_size_of(&self, link: &str) -> Option<Address> {
        let address = Address::from_link(link)?;
        self.get(&address.hash)?.mid(&address.hash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_read_back_exactly() {
        let address = Address::parse("0123456789abcdef0123-960.jpg").unwrap();
        assert_eq!(address.width, 960);
        assert_eq!(address.path(), "/media/0123456789abcdef0123-960.jpg");
        assert!(Address::parse("0123456789abcdef0123-0960.jpg").is_none());
        assert!(Address::parse("../etc/passwd-960.jpg").is_none());
        assert!(Address::parse("0123456789abcdef0123-960.svg").is_none());
        assert!(Address::from_link("https://example.org/media/0123456789abcdef0123-480.png").is_some());
        assert!(Address::from_link("/static/media/0123456789abcdef0123-480.png").is_none());
    }
}
