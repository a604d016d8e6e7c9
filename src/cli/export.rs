//! `healthblog export wordpress` and `healthblog export markdown DIR`.

use std::path::Path;
use std::process::ExitCode;

use super::{connect, count, open_store};
use crate::config::Settings;

pub fn markdown(settings: Settings, dir: &Path) -> anyhow::Result<ExitCode> {
    let pool = open_store(&settings)?;
    let mut conn = connect(&pool)?;
    let mut manuscripts = crate::content::store::manuscripts(&mut conn)?;
    let (pictures, unknown) = crate::content::pictures::relink(&mut conn, &mut manuscripts)?;
    let written = crate::content::files::write_folder(dir, &manuscripts)?;
    let pictures = crate::content::pictures::write(&mut conn, dir, &pictures)?;
    println!(
        "wrote {} and {} (under {}/) into {}",
        count(written, "file", "files"),
        count(pictures, "picture", "pictures"),
        crate::content::pictures::FOLDER,
        dir.display()
    );
    for link in unknown {
        println!("left as it was, not a picture of this site's library: {link}");
    }
    Ok(ExitCode::SUCCESS)
}

pub fn wordpress(settings: Settings) -> anyhow::Result<ExitCode> {
    let pool = open_store(&settings)?;
    let mut conn = connect(&pool)?;
    let (mut posts, mut pages) = (Vec::new(), Vec::new());
    for (kind, manuscript) in crate::content::store::manuscripts(&mut conn)? {
        let article = manuscript.render(kind).map_err(|errors| anyhow::anyhow!("{}: {errors:?}", manuscript.slug))?;
        match kind {
            crate::content::ArticleKind::Post => posts.push(article),
            crate::content::ArticleKind::Page => pages.push(article),
        }
    }
    let pictures = crate::content::pictures::full_sizes(&mut conn)?;
    let site =
        crate::wordpress::export::Site { settings: &settings, posts: &posts, pages: &pages, pictures: &pictures };
    let out = std::io::BufWriter::new(std::io::stdout().lock());
    let exported = crate::wordpress::export::export(&mut conn, &site, out)?;
    eprintln!(
        "exported {}, {}, {} and {} as WXR 1.2",
        count(exported.posts, "article", "articles"),
        count(exported.pages, "page", "pages"),
        count(exported.comments, "comment", "comments"),
        count(exported.pictures, "picture", "pictures"),
    );
    if exported.pictures > 0 {
        eprintln!(
            "the pictures are attachments at their full size on {}: WordPress's importer downloads them from there \
             (keep this site answering until it has), and makes its own smaller sizes; the sizes and WebP copies \
             made here are not carried",
            settings.base_url()
        );
    }
    for link in &exported.unknown_pictures {
        eprintln!("left as it was, not a picture of this site's library: {link}");
    }
    if exported.orphaned_comments > 0 {
        eprintln!(
            "left out {} comments of articles no longer in {}: WXR keeps comments only with their article",
            exported.orphaned_comments,
            settings.content_dir.display()
        );
    }
    if exported.private_comments > 0 {
        eprintln!(
            "left out {}: WordPress has no place only the author can read",
            count(exported.private_comments, "private question or answer", "private questions and answers"),
        );
    }
    Ok(ExitCode::SUCCESS)
}
