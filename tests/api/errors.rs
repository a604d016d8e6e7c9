use diesel::RunQueryDsl;

use crate::helpers::spawn_app;

#[tokio::test]
async fn unknown_articles_tags_and_addresses_get_a_404_page() {
    let app = spawn_app().await;
    for path in ["/posts/no-such-article", "/tags/no-such-tag", "/no/such/page", "/static/missing.css"] {
        let page = app.get(path).await;
        assert_eq!(page.status, 404, "{path}");
        assert!(page.header("content-type").starts_with("text/html"), "{path}");
        page.assert_contains(&["<h1>Page not found</h1>", r#"<a href="/archive">"#]);
    }
}

#[tokio::test]
async fn a_failure_shows_a_500_page_that_leaks_nothing() {
    let app = spawn_app().await;
    app.with_db(|conn| {
        // PostgreSQL drops the tables that refer to it (the notes under answers) only when told.
        let drop = match conn {
            healthblog::db::AnyConnection::Postgresql(_) => "DROP TABLE comments CASCADE",
            healthblog::db::AnyConnection::Sqlite(_) => "DROP TABLE comments",
        };
        diesel::sql_query(drop).execute(conn)
    })
    .expect("the table is dropped");
    let page = app.get("/").await;
    assert_eq!(page.status, 500);
    page.assert_contains(&["<h1>Something went wrong</h1>", "reference <code>"]);
    let start = page.body.find("reference <code>").expect("a reference") + "reference <code>".len();
    let reference = &page.body[start..start + 36];
    assert!(reference.chars().all(|c| c.is_ascii_hexdigit() || c == '-'), "a request id: {reference}");
    page.assert_lacks(&["comments", "table", "diesel", "sqlite", "SQLite", "relation"]);
}

#[tokio::test]
async fn the_health_check_answers_when_the_database_does() {
    let app = spawn_app().await;
    let page = app.get("/healthz").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.body, "ok\n");
}

#[tokio::test]
async fn head_requests_get_the_headers_of_the_page() {
    let app = spawn_app().await;
    for path in ["/", "/healthz", "/posts/cluster-headache-treatment", "/feed.xml"] {
        let response = app.client.head(format!("{}{path}", app.address)).send().await.expect("HEAD succeeds");
        assert_eq!(response.status().as_u16(), 200, "{path}");
        assert!(response.headers().contains_key("content-type"), "{path}");
        assert_eq!(response.text().await.expect("a body"), "", "{path}");
    }
}
