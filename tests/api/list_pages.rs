//! Topic pages, the archive, search results and the sitemap a page at a
//! time, on a site with more articles than one page holds.

use crate::helpers::{spawn_app_with, Content, Page, TestApp};

/// `count` tiny articles, one a day from 1 January 2020, all tagged
/// "sleep" and all mentioning melatonin.
fn many_articles(count: usize) -> Content {
    let start = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).expect("a date");
    (0..count).fold(Content::new(), |content, n| {
        let date = start + chrono::Duration::days(n as i64);
        content.post(
            &format!("note-{n:03}"),
            &format!("title = \"Sleep note {n:03}\"\ndate = {date}\ntags = [\"sleep\"]"),
            "Melatonin and a dark room help some people sleep.",
        )
    })
}

async fn site_of(count: usize, customize: impl FnOnce(&mut healthblog::config::Settings)) -> (TestApp, Content) {
    let content = many_articles(count);
    let path = content.path();
    let app = spawn_app_with(|s| {
        s.content_dir = path;
        customize(s);
    })
    .await;
    (app, content)
}

fn canonical(path: &str) -> String {
    format!(r#"<link rel="canonical" href="http://blog.test{path}">"#)
}

fn articles_listed(page: &Page) -> usize {
    page.body.matches("Sleep note ").count()
}

#[tokio::test]
async fn a_topic_and_the_archive_show_fifty_articles_a_page() {
    let (app, _content) = site_of(55, |_| {}).await;

    for list in ["/tags/sleep", "/archive"] {
        let first = app.get(list).await;
        assert_eq!(first.status, 200, "{list}");
        first.assert_contains(&[
            &canonical(list),
            "55 articles",
            &format!(r#"<a rel="next" href="{list}?page=2">Older articles →</a>"#),
            "Page 1 of 2",
            "Sleep note 054",
        ]);
        first.assert_lacks(&["Newer articles", "Sleep note 004<"]);

        let second = app.get(&format!("{list}?page=2")).await;
        assert_eq!(second.status, 200, "{list}?page=2");
        second.assert_contains(&[
            &canonical(&format!("{list}?page=2")),
            "55 articles",
            &format!(r#"<a rel="prev" href="{list}">← Newer articles</a>"#),
            "Page 2 of 2",
            "Sleep note 004<",
            "Sleep note 000<",
        ]);
        second.assert_lacks(&["Older articles", "Sleep note 005<"]);

        for past in ["?page=3", "?page=0", "?page=two"] {
            assert_eq!(app.get(&format!("{list}{past}")).await.status, 404, "{list}{past}");
        }
    }
    // The archive heads each page's months.
    let second = app.get("/archive?page=2").await;
    second.assert_contains(&[r#"<h3 id="month-2020-01">January 2020</h3>"#]);
    second.assert_lacks(&["month-2020-02"]);
    assert_eq!(articles_listed(&app.get("/tags/sleep").await), 50);
}

#[tokio::test]
async fn search_results_come_twenty_a_page_with_the_total() {
    let (app, _content) = site_of(45, |_| {}).await;
    let first = app.get("/search?q=melatonin").await;
    assert_eq!(first.status, 200);
    first.assert_contains(&[
        "45 articles found for “melatonin”",
        &canonical("/search?q=melatonin"),
        r#"<a rel="next" href="/search?q=melatonin&amp;page=2">More results →</a>"#,
        "Page 1 of 3",
    ]);
    assert_eq!(first.body.matches("<li>\n      <h2 class=\"card-title\">").count(), 20);

    let third = app.get("/search?q=melatonin&page=3").await;
    assert_eq!(third.status, 200);
    third.assert_contains(&[
        "45 articles found for “melatonin”",
        r#"<ol class="search-results" start="41">"#,
        r#"<a rel="prev" href="/search?q=melatonin&amp;page=2">← Better matches</a>"#,
        &canonical("/search?q=melatonin&amp;page=3"),
    ]);
    assert_eq!(third.body.matches("<li>\n      <h2 class=\"card-title\">").count(), 5);
    assert_eq!(app.get("/search?q=melatonin&page=4").await.status, 404);
    assert_eq!(app.get("/search?q=zebra").await.status, 200, "no results is still a page");
}

#[tokio::test]
async fn past_its_limit_the_sitemap_becomes_an_index_of_sitemaps() {
    // 5 articles, 1 topic, the home page and the archive: 8 addresses, 3 a file.
    let (app, _content) = site_of(5, |s| s.site.sitemap_urls_per_file = 3).await;
    let index = app.get("/sitemap.xml").await;
    assert_eq!(index.status, 200);
    assert!(index.header("content-type").starts_with("application/xml"));
    index.assert_contains(&[
        r#"<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">"#,
        "<loc>http://blog.test/sitemap-1.xml</loc>",
        "<loc>http://blog.test/sitemap-2.xml</loc>",
        "<loc>http://blog.test/sitemap-3.xml</loc>",
    ]);
    index.assert_lacks(&["sitemap-4.xml", "<urlset"]);

    let mut listed = Vec::new();
    for n in 1..=3 {
        let part = app.get(&format!("/sitemap-{n}.xml")).await;
        assert_eq!(part.status, 200, "sitemap-{n}.xml");
        part.assert_contains(&[r#"<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">"#]);
        let urls: Vec<String> = part
            .body
            .split("<loc>")
            .skip(1)
            .map(|rest| rest[..rest.find("</loc>").expect("a closed loc")].to_owned())
            .collect();
        assert!(urls.len() <= 3, "sitemap-{n}.xml lists {urls:?}");
        listed.extend(urls);
    }
    assert_eq!(listed.len(), 8, "{listed:?}");
    for n in 0..5 {
        assert!(listed.contains(&format!("http://blog.test/posts/note-{n:03}")), "note {n} in {listed:?}");
    }
    for missing in ["/sitemap-4.xml", "/sitemap-0.xml", "/sitemap-x.xml"] {
        assert_eq!(app.get(missing).await.status, 404, "{missing}");
    }
    let robots = app.get("/robots.txt").await;
    robots.assert_contains(&["Sitemap: http://blog.test/sitemap.xml"]);
}

#[tokio::test]
async fn a_sitemap_within_its_limit_stays_one_file() {
    let (app, _content) = site_of(5, |_| {}).await;
    let sitemap = app.get("/sitemap.xml").await;
    sitemap.assert_contains(&["<urlset", "<loc>http://blog.test/posts/note-004</loc>"]);
    sitemap.assert_lacks(&["<sitemapindex"]);
    assert_eq!(app.get("/sitemap-1.xml").await.status, 404);
}
