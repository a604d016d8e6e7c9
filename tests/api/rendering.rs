//! The author's Markdown rendered to HTML, compared with a reviewed snapshot.
//! After an intended change, regenerate with `UPDATE_SNAPSHOTS=1 scripts/test rendering`.

use std::path::Path;

use healthblog::content::Article;

use crate::helpers::repo_path;

#[test]
fn the_rendering_of_an_article_matches_its_snapshot() {
    let source = std::fs::read_to_string(repo_path("tests/fixtures/rendering.md")).expect("the fixture");
    let article = Article::parse(Path::new("rendering.md"), &source).expect("the fixture parses");
    let references: Vec<&str> = article.references.iter().map(|r| r.as_str()).collect();
    let rendered = format!("{}\n<!-- references -->\n{}\n", article.body.as_str(), references.join("\n"));

    let snapshot = repo_path("tests/snapshots/rendering.html");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&snapshot, &rendered).expect("the snapshot is written");
    }
    let expected = std::fs::read_to_string(&snapshot).expect("the snapshot exists (UPDATE_SNAPSHOTS=1 writes it)");
    assert_eq!(rendered, expected, "the rendering changed; review it and regenerate the snapshot");
}
