use crate::helpers::{spawn_app, spawn_app_with, Content};
use crate::server::{wait_for, Server};

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;
    let paths = ["/", "/posts/cluster-headache-treatment", "/no-such-page", "/static/style.css", "/feed.xml"];
    // Twice: the second time a page comes from the cache, in front of the
    // middleware that adds these headers to rendered responses.
    for path in paths.iter().chain(&paths) {
        let page = app.get(path).await;
        let csp = page.header("content-security-policy");
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(page.header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(page.header("referrer-policy"), "strict-origin-when-cross-origin", "{path}");
        assert_eq!(page.header("x-frame-options"), "DENY", "{path}");
    }
}

#[tokio::test]
async fn pages_have_no_inline_script() {
    let app = spawn_app().await;
    let page = app.get("/posts/oral-magnesium-for-migraine-prevention").await;
    // The only script elements are the external file and the JSON-LD data block.
    let scripts: Vec<&str> = page.body.match_indices("<script").map(|(i, _)| &page.body[i..i + 40]).collect();
    assert_eq!(scripts.len(), 2, "{scripts:?}");
    assert!(scripts.iter().all(|s| s.starts_with("<script src=\"/static/") || s.contains("application/ld+json")));
    assert!(!page.body.contains(" onclick=") && !page.body.contains(" onload="));
}

#[tokio::test]
async fn static_files_are_cached_for_a_year_and_versioned() {
    let app = spawn_app().await;
    let home = app.get("/").await;
    let start = home.body.find("/static/style.css?v=").expect("a versioned stylesheet link");
    let link = &home.body[start..start + home.body[start..].find('"').expect("the link ends")];
    let css = app.get(link).await;
    assert_eq!(css.status, 200);
    assert!(css.header("content-type").starts_with("text/css"));
    assert_eq!(css.header("cache-control"), "public, max-age=31536000, immutable");
    assert!(css.body.contains(".site-header"), "the stylesheet itself");

    // A browser that has the file already is told so, without the body.
    let etag = css.header("etag").to_owned();
    let again = app
        .client
        .get(format!("{}{link}", app.address))
        .header("if-none-match", etag)
        .send()
        .await
        .expect("GET succeeds");
    assert_eq!(again.status().as_u16(), 304);
}

#[tokio::test]
async fn responses_are_compressed_when_the_browser_accepts_it() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(format!("{}/", app.address))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("GET succeeds");
    assert_eq!(response.headers().get("content-encoding").map(|v| v.to_str().unwrap_or("")), Some("gzip"));
}

#[tokio::test]
async fn script_planted_in_an_article_never_reaches_the_page() {
    let content = Content::new().post(
        "planted",
        "title = \"Planted\"\ndate = 2024-01-01\nreferences = [\"<img src=x onerror=alert(4)> [r](javascript:alert(5))\"]",
        "Text.\n\n<script>alert(1)</script>\n\n<p onclick=\"alert(2)\">hi</p>\n\n[click me](javascript:alert(3))\n\n\
         <a href=\"JaVaScRiPt:alert(6)\">x</a> <iframe src=\"https://evil.example\"></iframe>",
    );
    let app = spawn_app_with(|s| s.content_dir = content.path()).await;
    let page = app.get("/posts/planted").await;
    assert_eq!(page.status, 200);
    page.assert_contains(&["click me", "hi"]);
    page.assert_lacks(&["alert(", "onclick", "onerror", "javascript:", "JaVaScRiPt", "<iframe"]);
}

/// Readers' addresses are stored only as keyed hashes; the request log used
/// to carry every reader's raw address and browser all the same.
#[tokio::test]
async fn the_request_log_names_no_address_and_no_browser() {
    let content = Content::new().post("dose", "title = \"Dose\"\ndate = 2024-01-01", "Body.");
    let data = tempfile::tempdir().expect("a data folder");
    let reader = "203.0.113.99";
    let mut server = Server::start_with(
        &content.path(),
        data.path(),
        &Server::sqlite_url(data.path()),
        &[("HEALTHBLOG_BEHIND_PROXY", "true")],
    );

    let line = logged_request(&mut server, reader).await;
    assert!(line.contains("request_id="), "the request id stays: {line}");
    assert!(line.contains("client.address_hash="), "the client is named by a hash prefix: {line}");
    assert!(!line.contains(reader), "no raw address: {line}");
    assert!(!line.contains("ReaderProbe"), "no user agent: {line}");
    drop(server);

    // For debugging, the raw address may be turned on; the browser stays out.
    let settings = [("HEALTHBLOG_BEHIND_PROXY", "true"), ("HEALTHBLOG_LOG_CLIENT_ADDRESSES", "true")];
    let mut debugging = Server::start_with(&content.path(), data.path(), &Server::sqlite_url(data.path()), &settings);
    let line = logged_request(&mut debugging, reader).await;
    assert!(line.contains(&format!("http.client_ip={reader}")), "{line}");
    assert!(line.contains("request_id=") && !line.contains("ReaderProbe"), "{line}");
}

/// Requests an article as a reader at `address` (behind the proxy) and
/// returns the log line of that request.
async fn logged_request(server: &mut Server, address: &str) -> String {
    let response = reqwest::Client::new()
        .get(format!("{}/posts/dose?log-probe", server.address))
        .header("X-Forwarded-For", address)
        .header("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) ReaderProbe/7.7")
        .send()
        .await
        .expect("GET succeeds");
    assert_eq!(response.status(), 200);
    wait_for(&mut server.log, "log-probe")
}

#[tokio::test]
async fn a_request_body_that_never_arrives_is_refused_and_its_connection_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let app = spawn_app_with(|settings| settings.body_timeout_seconds = 1).await;
    let host = app.address.trim_start_matches("http://").to_owned();
    let mut stalled = Vec::new();
    for _ in 0..40 {
        let mut stream = tokio::net::TcpStream::connect(&host).await.expect("connects");
        let head = format!(
            "POST /posts/oral-magnesium-for-migraine-prevention/comments HTTP/1.1\r\nHost: {host}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 500\r\n\r\nauthor_name=Ann"
        );
        stream.write_all(head.as_bytes()).await.expect("the head is sent");
        stalled.push(stream);
    }
    assert_eq!(app.get("/healthz").await.status, 200, "the site answers meanwhile");

    for mut stream in stalled {
        // Well past the deadline: a server without one would still be waiting.
        let mut answer = Vec::new();
        let read = tokio::time::timeout(std::time::Duration::from_secs(20), stream.read_to_end(&mut answer)).await;
        assert!(read.is_ok(), "the server answered and closed the connection");
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 4"), "refused: {answer}");
    }
    assert!(app.stored_comments().is_empty());
}
