use std::str::FromStr;

use crate::helpers::{spawn_app, spawn_app_with, Content};
use healthblog::domain::CommentStatus;

const NEWEST_FIRST: [&str; 6] = [
    "Recovering from a concussion: what actually helps",
    "Giving intravenous magnesium in the office",
    "Cluster headache: stopping attacks and preventing them",
    "Why a normal magnesium test can be misleading",
    "Intravenous magnesium eases post-concussion symptoms",
    "Oral magnesium for migraine prevention",
];

fn position(body: &str, needle: &str) -> usize {
    body.find(needle).unwrap_or_else(|| panic!("{needle:?} is not on the page"))
}

#[tokio::test]
async fn the_home_page_lists_the_articles_newest_first_with_their_details() {
    let app = spawn_app().await;
    let page = app.get("/").await;
    assert_eq!(page.status, 200);
    assert!(page.header("content-type").starts_with("text/html"));
    let positions: Vec<usize> = NEWEST_FIRST.iter().map(|title| position(&page.body, title)).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "articles out of order: {positions:?}");
    page.assert_contains(&[
        r#"<time datetime="2021-08-30">August 30, 2021</time>"#,
        "min read",
        "No questions yet",
        r#"href="/tags/magnesium""#,
        r#"href="/posts/iv-magnesium-post-concussion-syndrome""#,
    ]);
}

#[tokio::test]
async fn the_home_page_shows_each_articles_approved_comment_count() {
    let app = spawn_app().await;
    let slug = "iv-magnesium-post-concussion-syndrome";
    app.insert_comment(slug, CommentStatus::Approved, "Ann");
    app.insert_comment(slug, CommentStatus::Approved, "Bob");
    app.insert_comment(slug, CommentStatus::Pending, "Cy");
    app.insert_comment(slug, CommentStatus::Spam, "Dee");
    let page = app.get("/").await;
    page.assert_contains(&[&format!(r#"<a href="/posts/{slug}#comments" class="comment-count">2 questions</a>"#)]);
    let article = app.get(&format!("/posts/{slug}")).await;
    article.assert_contains(&[">2 questions</a>"]);
}

fn numbered_posts(count: usize) -> Content {
    (1..=count).fold(Content::new(), |content, n| {
        content.post(
            &format!("post-{n:02}"),
            &format!("title = \"Article number {n:02}\"\ndate = 2020-01-{n:02}"),
            "Some text.",
        )
    })
}

#[tokio::test]
async fn the_home_page_shows_ten_articles_a_page() {
    let content = numbered_posts(23);
    let app = spawn_app_with(|s| s.content_dir = content.path()).await;

    let first = app.get("/").await;
    assert_eq!(first.body.matches("<article class=\"card\">").count(), 10);
    first.assert_contains(&[
        "Article number 23",
        "Article number 14",
        "Page 1 of 3",
        r#"<a rel="next" href="/?page=2">"#,
    ]);
    first.assert_lacks(&["Article number 13", "rel=\"prev\""]);

    let second = app.get("/?page=2").await;
    assert_eq!(second.status, 200);
    second.assert_contains(&["Article number 13", "Article number 04", r#"<a rel="prev" href="/">"#]);
    second.assert_lacks(&["Article number 14", "Article number 03"]);

    let last = app.get("/?page=3").await;
    assert_eq!(last.body.matches("<article class=\"card\">").count(), 3);
    last.assert_lacks(&["rel=\"next\""]);

    for missing in ["/?page=4", "/?page=0", "/?page=two"] {
        assert_eq!(app.get(missing).await.status, 404, "{missing}");
    }
}

#[tokio::test]
async fn drafts_are_never_served() {
    let app = spawn_app().await;
    let slug = "vitamin-b2-and-coq10-for-migraine";
    assert_eq!(app.get(&format!("/posts/{slug}")).await.status, 404);
    for path in ["/", "/archive", "/feed.xml", "/sitemap.xml", "/tags/supplements", "/search?q=coenzyme"] {
        let page = app.get(path).await;
        assert_eq!(page.status, 200, "{path}");
        page.assert_lacks(&[slug, "Vitamin B2 and coenzyme Q10"]);
    }
}

#[tokio::test]
async fn an_article_page_shows_the_article_its_review_and_its_neighbours() {
    let app = spawn_app().await;
    let page = app.get("/posts/iv-magnesium-post-concussion-syndrome").await;
    assert_eq!(page.status, 200);
    page.assert_contains(&[
        "<h1>Intravenous magnesium eases post-concussion symptoms</h1>",
        r#"By <span class="author">Dr. Alexander Mauskop</span>, MD, neurologist and headache specialist"#,
        r#"Published <time datetime="2016-06-20">June 20, 2016</time>"#,
        r#"Updated <time datetime="2024-03-12">March 12, 2024</time>"#,
        r#"Medically reviewed by <span class="reviewer">Dr. Jane Roe, MD</span> on <time datetime="2024-03-12">"#,
        "min read",
        r#"<a href="/tags/concussion">concussion</a>"#,
        "UCLA",
        "<h2 id=\"references\">References</h2>",
        "This article is general information, not medical advice for you.",
        // Neighbours by date: the RBC test (2017) is newer, oral magnesium (2015) older.
        r#"<a rel="prev" href="/posts/oral-magnesium-for-migraine-prevention">"#,
        r#"<a rel="next" href="/posts/rbc-magnesium-blood-test">"#,
    ]);
}

#[tokio::test]
async fn an_article_page_describes_itself_to_search_engines_and_social_sites() {
    let app = spawn_app().await;
    let page = app.get("/posts/iv-magnesium-post-concussion-syndrome").await;
    page.assert_contains(&[
        r#"<link rel="canonical" href="http://blog.test/posts/iv-magnesium-post-concussion-syndrome">"#,
        r#"<meta property="og:type" content="article">"#,
        r#"<meta property="og:title" content="Intravenous magnesium eases post-concussion symptoms">"#,
        r#"<meta name="description" content=""#,
    ]);
    let start =
        position(&page.body, r#"<script type="application/ld+json">"#) + r#"<script type="application/ld+json">"#.len();
    let end = start + page.body[start..].find("</script>").expect("the JSON-LD ends");
    let data: serde_json::Value = serde_json::from_str(&page.body[start..end]).expect("JSON-LD parses");
    assert_eq!(data["@type"], serde_json::json!(["BlogPosting", "MedicalWebPage"]));
    assert_eq!(data["headline"], "Intravenous magnesium eases post-concussion symptoms");
    assert_eq!(data["author"]["name"], "Dr. Alexander Mauskop");
    assert_eq!(data["datePublished"], "2016-06-20T00:00:00Z");
    assert_eq!(data["dateModified"], "2024-03-12T00:00:00Z");
    assert_eq!(data["lastReviewed"], "2024-03-12");
    assert_eq!(data["reviewedBy"]["name"], "Dr. Jane Roe, MD");
}

#[tokio::test]
async fn an_article_renders_tables_footnotes_and_heading_anchors() {
    let app = spawn_app().await;
    let page = app.get("/posts/oral-magnesium-for-migraine-prevention").await;
    page.assert_contains(&[
        "<table>",
        "<th>",
        r#"class="footnote-reference""#,
        r#"class="footnote-definition""#,
        "<h2 id=\"",
    ]);
    page.assert_contains(&[r#"<nav class="toc" aria-label="Contents">"#]);
}

#[tokio::test]
async fn an_address_with_a_trailing_slash_finds_the_page() {
    let app = spawn_app().await;
    for path in ["/posts/cluster-headache-treatment/", "/archive/", "/tags/magnesium/"] {
        let page = app.get(path).await;
        assert_eq!(page.status, 200, "{path}");
    }
    let article = app.get("/posts/cluster-headache-treatment/").await;
    article.assert_contains(&[r#"<link rel="canonical" href="http://blog.test/posts/cluster-headache-treatment">"#]);
}

#[tokio::test]
async fn the_feed_carries_the_newest_articles_only() {
    let content = numbered_posts(23);
    let app = spawn_app_with(|s| {
        s.content_dir = content.path();
        s.site.feed_articles = 20;
    })
    .await;

    let page = app.get("/feed.xml").await;

    let feed = atom_syndication::Feed::from_str(&page.body).expect("the feed is valid Atom");
    let titles: Vec<&str> = feed.entries().iter().map(|e| e.title().as_str()).collect();
    assert_eq!(titles.len(), 20, "{titles:?}");
    assert_eq!((titles[0], titles[19]), ("Article number 23", "Article number 04"), "newest first");
}

#[tokio::test]
async fn dates_are_shown_on_the_sites_clock_a_late_evening_post_in_berlin_is_the_next_day() {
    use diesel::prelude::*;
    use healthblog::db::schema::comments::dsl as c;

    let content = Content::new().post("late", "title = \"Late\"\ndate = 2024-05-31T23:30:00", "Written at night.");
    let app = spawn_app_with(|settings| {
        settings.content_dir = content.path();
        settings.site.timezone = "Europe/Berlin".into();
    })
    .await;
    let question = app.insert_comment("late", CommentStatus::Approved, "Ann");
    let evening = chrono::NaiveDate::from_ymd_opt(2024, 12, 31).and_then(|d| d.and_hms_opt(23, 30, 0)).unwrap();
    app.with_db(|conn| diesel::update(c::comments.find(question)).set(c::created_at.eq(evening)).execute(conn))
        .expect("the comment's time is set");
    app.state.page_cache.clear();

    let post = app.get("/posts/late").await;
    post.assert_contains(&[
        r#"<time datetime="2024-06-01">June 1, 2024</time>"#,
        r#"<meta property="article:published_time" content="2024-06-01T01:30:00+02:00">"#,
        "January 1, 2025 at 12:30 am",
    ]);
    app.get("/archive").await.assert_contains(&[r#"<h3 id="month-2024-06">June 2024</h3>"#]);
    let feed = app.get("/feed.xml").await;
    feed.assert_contains(&["<published>2024-06-01T01:30:00+02:00</published>"]);
    app.get("/posts/late/comments.xml").await.assert_contains(&["<published>2025-01-01T00:30:00+01:00</published>"]);

    let utc = spawn_app_with(|settings| settings.content_dir = content.path()).await;
    utc.get("/posts/late").await.assert_contains(&[r#"<time datetime="2024-05-31">May 31, 2024</time>"#]);
}

#[tokio::test]
async fn a_time_zone_that_does_not_exist_stops_the_start_with_its_name() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut settings = crate::helpers::test_settings(dir.path());
    settings.site.timezone = "Europe/Berlim".into();
    let error = match healthblog::startup::Application::build(settings).await {
        Ok(_) => panic!("the application started with a time zone that does not exist"),
        Err(error) => format!("{error:#}"),
    };
    assert!(error.contains("`site.timezone` cannot be \"Europe/Berlim\""), "{error}");
}

#[tokio::test]
async fn an_article_stored_with_a_kind_that_is_neither_post_nor_page_is_an_error_naming_it() {
    use diesel::prelude::*;
    use healthblog::content::ArticleKind;
    use healthblog::db::schema::articles;

    let app = spawn_app().await;
    let about = app
        .with_db(|conn| healthblog::db::articles::find_by_slug(conn, ArticleKind::Page, "about"))
        .expect("the articles answer")
        .expect("the About page");
    app.with_db(|conn| diesel::update(articles::table.find(about.id)).set(articles::kind.eq("paeg")).execute(conn))
        .expect("the kind is changed");

    let read = app.with_db(|conn| healthblog::db::articles::find(conn, about.id));
    let message = read.expect_err("the page is not taken for a post").to_string();
    assert!(message.contains("\"about\"") && message.contains("\"paeg\""), "{message}");
    let all = app.with_db(healthblog::db::articles::all);
    assert!(all.is_err(), "the list of every article is not read without it either");
}
