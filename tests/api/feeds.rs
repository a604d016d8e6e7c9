use std::str::FromStr;

use crate::helpers::{spawn_app, spawn_app_with, Content};

#[tokio::test]
async fn the_atom_feed_carries_every_published_article() {
    let app = spawn_app().await;
    let page = app.get("/feed.xml").await;
    assert_eq!(page.status, 200);
    assert!(page.header("content-type").starts_with("application/atom+xml"));
    let feed = atom_syndication::Feed::from_str(&page.body).expect("the feed is valid Atom");
    assert_eq!(feed.title().as_str(), "Headache & Neurology Notes");
    assert_eq!(feed.entries().len(), 6);
    assert!(feed.links().iter().any(|l| l.rel() == "self" && l.href() == "http://blog.test/feed.xml"));
    let entry = feed
        .entries()
        .iter()
        .find(|e| e.id() == "http://blog.test/posts/iv-magnesium-post-concussion-syndrome")
        .expect("the post-concussion article is in the feed");
    assert_eq!(entry.title().as_str(), "Intravenous magnesium eases post-concussion symptoms");
    assert_eq!(entry.published().map(|d| d.to_rfc3339()), Some("2016-06-20T00:00:00+00:00".into()));
    assert_eq!(entry.updated().to_rfc3339(), "2024-03-12T00:00:00+00:00");
    assert!(entry.content().and_then(|c| c.value()).is_some_and(|html| html.contains("UCLA")));
    assert!(entry.categories().iter().any(|c| c.term() == "concussion"));
}

#[tokio::test]
async fn the_sitemap_lists_every_article_and_tag() {
    let app = spawn_app().await;
    let page = app.get("/sitemap.xml").await;
    assert_eq!(page.status, 200);
    assert!(page.header("content-type").starts_with("application/xml"));
    assert_eq!(page.body.matches("<loc>http://blog.test/posts/").count(), 6);
    page.assert_contains(&[
        "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">",
        "<loc>http://blog.test/posts/cluster-headache-treatment</loc>",
        "<lastmod>2023-05-22</lastmod>",
        "<loc>http://blog.test/tags/for-clinicians</loc>",
    ]);
}

#[tokio::test]
async fn robots_txt_points_to_the_sitemap_and_keeps_crawlers_out_of_the_desk() {
    let app = spawn_app().await;
    let page = app.get("/robots.txt").await;
    assert_eq!(page.status, 200);
    page.assert_contains(&["Sitemap: http://blog.test/sitemap.xml", "Disallow: /admin"]);
}

#[tokio::test]
async fn every_page_names_its_icon_and_the_web_app_manifest_describes_the_site() {
    let app = spawn_app().await;
    let home = app.get("/").await;
    home.assert_contains(&[
        "<link rel=\"icon\" href=\"/static/favicon.svg?v=",
        "<link rel=\"manifest\" href=\"/manifest.webmanifest\">",
    ]);
    let start = home.body.find("/static/favicon.svg?v=").expect("the icon's address");
    let icon_path = &home.body[start..start + home.body[start..].find('"').expect("the address ends")];
    let icon = app.get(icon_path).await;
    assert_eq!((icon.status, icon.header("content-type")), (200, "image/svg+xml"));
    let manifest = app.get("/manifest.webmanifest").await;
    assert_eq!((manifest.status, manifest.header("content-type")), (200, "application/manifest+json"));
    let manifest: serde_json::Value = serde_json::from_str(&manifest.body).expect("JSON");
    assert_eq!(manifest["name"], healthblog::config::SiteSettings::default().title);
    assert_eq!(manifest["icons"][0]["src"], "/static/favicon.svg");
}

#[tokio::test]
async fn each_topic_has_its_own_feed_linked_from_its_page() {
    let app = spawn_app().await;
    let tag_page = app.get("/tags/concussion").await;
    tag_page.assert_contains(&[
        "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"Headache &amp; Neurology Notes: concussion\" href=\"/tags/concussion/feed.xml\">",
        "<a href=\"/tags/concussion/feed.xml\">Subscribe to this topic (Atom feed)</a>",
    ]);
    let page = app.get("/tags/concussion/feed.xml").await;
    assert_eq!(page.status, 200);
    let feed = atom_syndication::Feed::from_str(&page.body).expect("the feed is valid Atom");
    assert!(!feed.entries().is_empty());
    assert!(
        feed.entries().iter().all(|e| e.categories().iter().any(|c| c.term() == "concussion")),
        "only articles on the topic"
    );
    assert!(feed.links().iter().any(|l| l.rel() == "self" && l.href() == "http://blog.test/tags/concussion/feed.xml"));
    assert_eq!(app.get("/tags/no-such-topic/feed.xml").await.status, 404);
}

/// `(ids, fragment links)` in a piece of HTML.
fn anchors(html: &str) -> (Vec<String>, Vec<String>) {
    let values = |marker: &str| -> Vec<String> {
        html.match_indices(marker)
            .filter_map(|(at, _)| {
                let rest = &html[at + marker.len()..];
                Some(rest[..rest.find('"')?].to_owned())
            })
            .collect()
    };
    (values(" id=\""), values(" href=\"#"))
}

#[tokio::test]
async fn footnotes_in_a_feed_are_unique_to_their_entry_and_each_link_finds_its_note() {
    let body = |topic: &str| format!("About {topic}[^1], with a second note[^2].\n\n[^1]: One source.\n[^2]: Another.");
    let content = Content::new()
        .post("zinc", "title = \"Zinc\"\ndate = 2024-01-01\ntags = [\"minerals\"]", &body("zinc"))
        .post("iron", "title = \"Iron\"\ndate = 2024-02-01\ntags = [\"minerals\"]", &body("iron"));
    let app = spawn_app_with(|s| s.content_dir = content.path()).await;

    for path in ["/feed.xml", "/tags/minerals/feed.xml"] {
        let page = app.get(path).await;
        assert_eq!(page.status, 200, "{path}");
        let feed = atom_syndication::Feed::from_str(&page.body).expect("the feed is valid Atom");
        let mut every_id = Vec::new();
        for entry in feed.entries() {
            let html = entry.content().and_then(|c| c.value()).expect("the entry carries its article");
            let (ids, links) = anchors(html);
            assert_eq!(links.len(), 2, "{html}");
            for link in &links {
                assert!(ids.contains(link), "#{link} has its note in the same entry: {html}");
            }
            every_id.extend(ids);
        }
        assert_eq!(every_id.len(), 4, "{every_id:?}");
        let mut unique = every_id.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), every_id.len(), "no two entries share an id: {every_id:?}");
    }

    // On the article page the links still find their notes.
    let article = app.get("/posts/zinc").await;
    let start = article.body.find(r#"<div class="post-body">"#).expect("the article's body");
    let (ids, links) = anchors(&article.body[start..]);
    assert!(links.contains(&"zinc-fn-1".to_owned()), "{links:?}");
    for link in links.iter().filter(|l| l.contains("-fn-")) {
        assert!(ids.contains(link), "#{link} has its note on the page");
    }
}
