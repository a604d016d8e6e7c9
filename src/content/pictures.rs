//! The pictures written out by `healthblog export markdown DIR`: every
//! picture of the library at its full size, `DIR/media/{hash}-{width}.{ext}`
//! (the largest size kept, in the format it is served in: the original as
//! stored, without its metadata), and each link to one in the articles
//! rewritten to `../media/…`, which resolves from `posts/` and `pages/`
//! in any Markdown viewer, and on the site itself.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::Context;

use super::{ArticleKind, Manuscript};
use crate::db::AnyConnection;
use crate::media::Address;

/// Where the pictures go, inside the export folder.
pub const FOLDER: &str = "media";

/// Points every link to a picture of the library at its full-size file
/// (`../media/…`).
pub fn relink(
    conn: &mut AnyConnection,
    manuscripts: &mut [(ArticleKind, Manuscript)],
) -> anyhow::Result<(Vec<Address>, Vec<String>)> {
    let full_sizes: Vec<Address> = full_sizes(conn)?.into_iter().map(|(_, address)| address).collect();
    let mut unknown = Vec::new();
    for (_, manuscript) in manuscripts.iter_mut() {
        let mut missing = BTreeSet::new();
        let full = |link: &str| full_sizes.iter().find(|a| link.contains(&a.hash)).map(|a| format!("..{}", a.path()));
        manuscript.body = rewrite(&manuscript.body, &mut |link| full(link), &mut missing);
        manuscript.image = rewrite(&manuscript.image, &mut |link| full(link), &mut missing);
        unknown.extend(missing.into_iter().map(|link| format!("{}: {link}", manuscript.slug)));
    }
    Ok((full_sizes, unknown))
}

/// Every picture of the library, with the address of its full size (the
/// largest kept, in the format it is served in), oldest first.
pub fn full_sizes(conn: &mut AnyConnection) -> anyhow::Result<Vec<(crate::db::media::Picture, Address)>> {
    let catalog = crate::db::media::catalog(conn).context("loading the pictures' sizes")?;
    let mut pictures = Vec::new();
    for picture in crate::db::media::list(conn).context("loading the pictures")?.into_iter().rev() {
        let Some(sizes) = catalog.get(&picture.hash) else { continue };
        let Some(format) = sizes.main_format() else { continue };
        let Some(&(width, _)) = sizes.widths(format).last() else { continue };
        let address = Address { hash: picture.hash.clone(), width, format };
        pictures.push((picture, address));
    }
    Ok(pictures)
}

/// Each `/media/…` address in `text` (alone, or after `(`, a quote, a space
/// or `<`) replaced by what `replace` makes of it; those it has nothing for
/// are left and noted in `missing`.
pub fn rewrite(text: &str, replace: &mut dyn FnMut(&str) -> Option<String>, missing: &mut BTreeSet<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("/media/") {
        let starts_link = at == 0 || rest[..at].ends_with(['(', '"', '\'', ' ', '<', '\n', '=']);
        let tail = &rest[at..];
        let end = tail.find(['"', '\'', ')', ' ', '\n', '<', '>']).unwrap_or(tail.len());
        let link = &tail[..end];
        out.push_str(&rest[..at]);
        match Address::from_link(link).filter(|_| starts_link) {
            Some(_) => match replace(link) {
                Some(new) => out.push_str(&new),
                None => {
                    missing.insert(link.to_owned());
                    out.push_str(link);
                }
            },
            None => out.push_str(link),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// Writes the full size of each picture under `dir/media/`.
pub fn write(conn: &mut AnyConnection, dir: &Path, pictures: &[Address]) -> anyhow::Result<usize> {
    if pictures.is_empty() {
        return Ok(0);
    }
    let folder = dir.join(FOLDER);
    std::fs::create_dir_all(&folder).with_context(|| format!("creating {}", folder.display()))?;
    for address in pictures {
        let bytes = crate::db::media::variant_bytes(conn, address)
            .with_context(|| format!("reading the picture {}", address.path()))?
            .with_context(|| format!("the picture {} has lost its full size", address.path()))?;
        let path = folder.join(address.path().trim_start_matches("/media/"));
        std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(pictures.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_links_to_pictures_are_rewritten() {
        let mut missing = BTreeSet::new();
        let text = "![a](/media/0123456789abcdef0123-960.jpg) and <img src=\"/media/0123456789abcdef0123-480.jpg\"> \
                    but not /static/media/0123456789abcdef0123-480.jpg nor ![b](/media/ffffffffffffffffffff-480.png)";
        let mut replace =
            |link: &str| link.contains("0123456789abcdef0123").then(|| "../media/0123456789abcdef0123-2560.jpg".into());
        let out = rewrite(text, &mut replace, &mut missing);
        assert_eq!(
            out,
            "![a](../media/0123456789abcdef0123-2560.jpg) and <img src=\"../media/0123456789abcdef0123-2560.jpg\"> \
             but not /static/media/0123456789abcdef0123-480.jpg nor ![b](/media/ffffffffffffffffffff-480.png)"
        );
        assert_eq!(missing.into_iter().collect::<Vec<_>>(), ["/media/ffffffffffffffffffff-480.png"]);
        assert!(Address::from_link("../media/0123456789abcdef0123-2560.jpg").is_some());
    }
}
