use crate::helpers::spawn_app;

#[tokio::test]
async fn a_tag_page_lists_only_the_articles_with_that_tag() {
    let app = spawn_app().await;
    let page = app.get("/tags/concussion").await;
    assert_eq!(page.status, 200);
    page.assert_contains(&[
        "Articles on <span class=\"tag-name\">concussion</span>",
        "2 articles",
        "Recovering from a concussion",
        "Intravenous magnesium eases post-concussion symptoms",
    ]);
    page.assert_lacks(&["Cluster headache: stopping attacks"]);
    assert_eq!(app.get("/tags/no-such-topic").await.status, 404);
}

#[tokio::test]
async fn the_topics_page_counts_the_articles_of_each_tag() {
    let app = spawn_app().await;
    let page = app.get("/tags").await;
    page.assert_contains(&[r#"<a href="/tags/magnesium">magnesium</a> <span class="count">(5)</span>"#]);
}

#[tokio::test]
async fn the_archive_groups_articles_by_year_and_month() {
    let app = spawn_app().await;
    let page = app.get("/archive").await;
    assert_eq!(page.status, 200);
    page.assert_contains(&[
        "6 articles",
        r#"<h2 id="year-2021">2021</h2>"#,
        r#"<h3 id="month-2016-06">June 2016</h3>"#,
    ]);
    let years: Vec<usize> = ["year-2021", "year-2019", "year-2018", "year-2017", "year-2016", "year-2015"]
        .iter()
        .map(|id| page.body.find(id).unwrap_or_else(|| panic!("{id} missing")))
        .collect();
    assert!(years.windows(2).all(|w| w[0] < w[1]), "years out of order");
}

#[tokio::test]
async fn search_finds_ranks_and_highlights() {
    let app = spawn_app().await;
    let page = app.get("/search?q=cluster+oxygen").await;
    assert_eq!(page.status, 200);
    page.assert_contains(&["article found for", "<mark>Cluster</mark> headache", "<mark>oxygen"]);
    page.assert_lacks(&["Recovering from a concussion"]);

    // A title match ranks above articles that only mention the word.
    let page = app.get("/search?q=concussion").await;
    let title = page.body.find("Recovering from a <mark>concussion</mark>").expect("the concussion article");
    let other = page.body.find("Giving intravenous magnesium").unwrap_or(usize::MAX);
    assert!(title < other);
}

#[tokio::test]
async fn search_explains_when_nothing_matches_and_escapes_the_query() {
    let app = spawn_app().await;
    let page = app.get("/search?q=%3Cscript%3Ezebra").await;
    assert_eq!(page.status, 200);
    page.assert_contains(&["No articles found for", "&lt;script&gt;zebra"]);
    page.assert_lacks(&["<script>zebra"]);

    let empty = app.get("/search").await;
    assert_eq!(empty.status, 200);
    empty.assert_lacks(&["No articles found"]);
}
