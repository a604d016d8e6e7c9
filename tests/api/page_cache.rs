//! The page cache serves the same bytes to every anonymous reader until
//! something changes, and never one reader's page to another.

use std::time::Duration;

use crate::admin::instances::second_instance;
use crate::admin::{create_user, moderate, sign_in, spawn_app_keeping_settings, AUTHOR, DISPLAY, PASSWORD};
use crate::helpers::{
    comment_fields, csrf_token, new_browser, posted_comment_id, read, set_field, spawn_app, CommentId, CommentStatus,
};

const SLUG: &str = "oral-magnesium-for-migraine-prevention";

async fn get(client: &reqwest::Client, url: String) -> crate::helpers::Page {
    read(client.get(url).send().await.expect("GET succeeds")).await
}

#[tokio::test]
async fn a_comment_approved_on_one_instance_appears_on_the_others_cached_page_within_a_second() {
    let (a, settings) = spawn_app_keeping_settings(|_| {}).await;
    let b = second_instance(&settings).await;
    let pending = a.insert_comment(SLUG, CommentStatus::Pending, "Ann");
    let reader = new_browser();
    let before = get(&reader, format!("{b}/posts/{SLUG}")).await;
    assert!(!before.body.contains(&format!("id=\"comment-{pending}\"")));
    assert_eq!(get(&reader, format!("{b}/posts/{SLUG}")).await.body.len(), before.body.len(), "served again");

    create_user(&a, AUTHOR, DISPLAY, PASSWORD);
    assert_eq!(sign_in(&a, AUTHOR, PASSWORD).await.status, 303);
    assert_eq!(moderate(&a, pending, "approve", "/admin").await.status, 303);
    crate::helpers::eventually!(
        Duration::from_secs(3),
        "B shows the approved comment within a second",
        (get(&reader, format!("{b}/posts/{SLUG}")).await.body.contains(&format!("id=\"comment-{pending}\"")))
            .then_some(())
    );
    // On A, where it was approved, at once.
    assert!(get(&reader, format!("{}/posts/{SLUG}", a.address))
        .await
        .body
        .contains(&format!("id=\"comment-{pending}\"")));
}

#[tokio::test]
async fn an_answer_published_on_one_instance_appears_on_the_others_cached_page_within_a_second() {
    let (a, settings) = spawn_app_keeping_settings(|_| {}).await;
    let b = second_instance(&settings).await;
    a.set_rule("min_seconds_to_submit", "0");
    let question = a.insert_comment(SLUG, CommentStatus::Approved, "Ann");
    let reader = new_browser();
    let shows_answer = |page: &crate::helpers::Page| page.body.contains("Take it with food.");
    assert!(!shows_answer(&get(&reader, format!("{b}/posts/{SLUG}")).await), "kept before the answer");

    create_user(&a, AUTHOR, DISPLAY, PASSWORD);
    assert_eq!(sign_in(&a, AUTHOR, PASSWORD).await.status, 303);
    let article = a.get(&format!("/posts/{SLUG}?replyto={question}")).await;
    let form = [
        ("body".to_owned(), "Take it with food.".to_owned()),
        ("parent_id".to_owned(), question.to_string()),
        ("csrf_token".to_owned(), csrf_token(&article.body)),
    ];
    assert_eq!(a.post_form(&format!("/posts/{SLUG}/comments"), &form).await.status, 303);
    crate::helpers::eventually!(
        Duration::from_secs(3),
        "B shows the answer within a second",
        (shows_answer(&get(&reader, format!("{b}/posts/{SLUG}")).await)).then_some(())
    );
}

#[tokio::test]
async fn a_readers_pending_comment_and_form_token_are_theirs_alone() {
    let app = spawn_app().await;
    app.accept_instant_posts();
    let (ann, bob) = (new_browser(), new_browser());
    let ann_page = get(&ann, format!("{}/posts/{SLUG}", app.address)).await;
    let bob_page = get(&bob, format!("{}/posts/{SLUG}", app.address)).await;
    let (ann_token, bob_token) = (csrf_token(&ann_page.body), csrf_token(&bob_page.body));
    assert_ne!(ann_token, bob_token, "each reader gets a form token of their own");
    assert!(ann_page.header("set-cookie").contains("hb_visitor="), "a first visit gets its visitor cookie");

    // Ann's token works for Ann and her pending comment shows only to her.
    let mut form = comment_fields("Ann", "ann@example.org", "My own question, waiting for the doctor.");
    set_field(&mut form, "csrf_token", &ann_token);
    let posted = read(
        ann.post(format!("{}/posts/{SLUG}/comments", app.address)).form(&form).send().await.expect("POST succeeds"),
    )
    .await;
    let id = posted_comment_id(&posted);
    assert!(get(&ann, format!("{}/posts/{SLUG}", app.address)).await.body.contains(&format!("id=\"comment-{id}\"")));
    for _ in 0..2 {
        let page = get(&bob, format!("{}/posts/{SLUG}", app.address)).await;
        assert!(!page.body.contains("My own question"), "another reader never sees it");
    }
    // Bob's token is his: it works for his comment.
    let mut form = comment_fields("Bob", "bob@example.org", "And mine.");
    let fresh = get(&bob, format!("{}/posts/{SLUG}", app.address)).await;
    set_field(&mut form, "csrf_token", &csrf_token(&fresh.body));
    let posted = read(
        bob.post(format!("{}/posts/{SLUG}/comments", app.address)).form(&form).send().await.expect("POST succeeds"),
    )
    .await;
    posted_comment_id(&posted);
}

#[tokio::test]
async fn the_signed_in_author_gets_the_desk_controls_and_a_reader_never_does() {
    let app = spawn_app().await;
    let reader = new_browser();
    let public = get(&reader, format!("{}/posts/{SLUG}", app.address)).await;
    assert!(!public.body.contains("You are signed in as"));
    create_user(&app, AUTHOR, DISPLAY, PASSWORD);
    assert_eq!(sign_in(&app, AUTHOR, PASSWORD).await.status, 303);
    let desk = app.get(&format!("/posts/{SLUG}")).await;
    desk.assert_contains(&["You are signed in as"]);
    let again = get(&reader, format!("{}/posts/{SLUG}", app.address)).await;
    assert!(!again.body.contains("You are signed in as"), "the reader gets the reader's page");
}

#[tokio::test]
async fn a_reader_who_has_the_page_gets_304_until_it_changes() {
    let app = spawn_app().await;
    let client = crate::helpers::client_builder().build().expect("a client");
    for path in ["/", "/feed.xml", "/archive", &format!("/posts/{SLUG}")] {
        let first = get(&client, format!("{}{path}", app.address)).await;
        let etag = first.header("etag").to_owned();
        assert!(etag.starts_with('"'), "{path} has an ETag");
        let again = client
            .get(format!("{}{path}", app.address))
            .header("If-None-Match", &etag)
            .send()
            .await
            .expect("GET succeeds");
        assert_eq!(again.status().as_u16(), 304, "{path}");
    }
    let first = get(&client, format!("{}/", app.address)).await;
    let etag = first.header("etag").to_owned();
    app.insert_comment(SLUG, CommentStatus::Approved, "Carl");
    crate::helpers::eventually!(Duration::from_secs(3), "a new comment changes the home page's counts", {
        let again = client.get(format!("{}/", app.address)).header("If-None-Match", &etag).send().await.expect("GET");
        (again.status().as_u16() == 200).then_some(())
    });
}

#[tokio::test]
async fn a_cached_page_is_gzipped_once_for_readers_who_accept_it() {
    use std::io::Read;

    let app = spawn_app().await;
    let client = crate::helpers::client_builder().build().expect("a client");
    let plain = get(&client, format!("{}/", app.address)).await;
    for _ in 0..2 {
        let response = client
            .get(format!("{}/", app.address))
            .header("Accept-Encoding", "gzip")
            .send()
            .await
            .expect("GET succeeds");
        assert_eq!(response.headers()["content-encoding"], "gzip");
        assert_eq!(response.headers()["vary"], "Accept-Encoding");
        assert!(response.headers()["etag"].to_str().is_ok_and(|tag| tag.ends_with("-gzip\"")), "its own ETag");
        let bytes = response.bytes().await.expect("a body");
        let mut page = String::new();
        flate2::read::GzDecoder::new(&bytes[..]).read_to_string(&mut page).expect("valid gzip");
        assert_eq!(page, plain.body);
    }
    let refused = client
        .get(format!("{}/", app.address))
        .header("Accept-Encoding", "gzip;q=0")
        .send()
        .await
        .expect("GET succeeds");
    assert!(refused.headers().get("content-encoding").is_none());
}

fn gunzip(bytes: &[u8]) -> String {
    use std::io::Read;
    let mut page = String::new();
    flate2::read::GzDecoder::new(bytes).read_to_string(&mut page).expect("valid gzip");
    page
}

#[tokio::test]
async fn an_article_with_its_form_is_gzipped_with_each_readers_own_token() {
    let app = spawn_app().await;
    app.accept_instant_posts();
    let (ann, bob) = (new_browser(), new_browser());
    let plain = get(&ann, format!("{}/posts/{SLUG}", app.address)).await;
    let mut pages = Vec::new();
    for reader in [&ann, &bob] {
        let response = reader
            .get(format!("{}/posts/{SLUG}", app.address))
            .header("Accept-Encoding", "gzip, deflate")
            .send()
            .await
            .expect("GET succeeds");
        assert_eq!(response.headers()["content-encoding"], "gzip");
        let page = gunzip(&response.bytes().await.expect("a body"));
        let token = csrf_token(&page);
        assert_eq!(page.replace(&token, ""), plain.body.replace(&csrf_token(&plain.body), ""), "the same page");
        pages.push(token);
    }
    assert_ne!(pages[0], pages[1], "each reader gets a token of their own");
    // The token from the gzipped page is a real one: Bob's question goes through with it.
    let mut form = comment_fields("Bob", "bob@example.org", "Does the gzip page's form work?");
    set_field(&mut form, "csrf_token", &pages[1]);
    let posted = read(
        bob.post(format!("{}/posts/{SLUG}/comments", app.address)).form(&form).send().await.expect("POST succeeds"),
    )
    .await;
    posted_comment_id(&posted);
}

#[tokio::test]
async fn a_page_without_a_form_comes_in_brotli_once_it_is_compressed() {
    use std::io::Read;

    let app = spawn_app().await;
    let client = crate::helpers::client_builder().build().expect("a client");
    let plain = get(&client, format!("{}/archive", app.address)).await;
    let response = in_brotli_once_compressed(&client, format!("{}/archive", app.address)).await;
    let etag = response.headers()["etag"].to_str().expect("ASCII").to_owned();
    assert!(etag.ends_with("-br\""), "brotli has its own ETag: {etag}");
    let bytes = response.bytes().await.expect("a body");
    let mut page = String::new();
    brotli::Decompressor::new(&bytes[..], 4096).read_to_string(&mut page).expect("valid brotli");
    assert_eq!(page, plain.body);
    assert!(bytes.len() < plain.body.len() / 2, "compressed: {} of {} bytes", bytes.len(), plain.body.len());
    // Its ETag brings a 304 for brotli, and the page for a reader without it.
    let again = client
        .get(format!("{}/archive", app.address))
        .header("Accept-Encoding", "br")
        .header("If-None-Match", &etag)
        .send()
        .await
        .expect("GET succeeds");
    assert_eq!(again.status().as_u16(), 304);
    let other =
        client.get(format!("{}/archive", app.address)).header("If-None-Match", &etag).send().await.expect("GET");
    assert_eq!(other.status().as_u16(), 200, "the uncompressed page is another version");
}

/// The page at `url` as soon as the cache has it in brotli (gzip until then).
async fn in_brotli_once_compressed(client: &reqwest::Client, url: String) -> reqwest::Response {
    crate::helpers::eventually!(Duration::from_secs(5), "brotli is ready within seconds", {
        let response = client.get(&url).header("Accept-Encoding", "gzip, deflate, br").send().await.expect("GET");
        let encoding = response.headers()["content-encoding"].to_str().expect("ASCII").to_owned();
        // Until brotli is ready, the reader gets gzip.
        assert!(encoding == "br" || encoding == "gzip", "{encoding}");
        (encoding == "br").then_some(response)
    })
}

/// The encoding of the page at `url` for a browser that takes brotli.
async fn encoding_now(client: &reqwest::Client, url: &str) -> String {
    let response = client.get(url).header("Accept-Encoding", "gzip, deflate, br").send().await.expect("GET");
    response.headers()["content-encoding"].to_str().expect("ASCII").to_owned()
}

#[tokio::test]
async fn a_comment_held_for_moderation_leaves_the_kept_pages_as_they_were() {
    let app = spawn_app().await;
    app.accept_instant_posts();
    create_user(&app, AUTHOR, DISPLAY, PASSWORD);
    assert_eq!(sign_in(&app, AUTHOR, PASSWORD).await.status, 303);
    let client = crate::helpers::client_builder().build().expect("a client");
    let archive = format!("{}/archive", app.address);
    in_brotli_once_compressed(&client, archive.clone()).await;

    // A reader's question waits for the doctor: no shared page changes.
    let reader = new_browser();
    let page = get(&reader, format!("{}/posts/{SLUG}", app.address)).await;
    let mut form = comment_fields("Ann", "ann@example.org", "Does magnesium help after a concussion?");
    set_field(&mut form, "csrf_token", &csrf_token(&page.body));
    let action = format!("{}/posts/{SLUG}/comments", app.address);
    let posted = read(reader.post(&action).form(&form).send().await.expect("POST succeeds")).await;
    posted_comment_id(&posted);
    assert_eq!(encoding_now(&client, &archive).await, "br", "the kept page, as it was kept");

    // A form sent without its token is refused, and changes nothing either.
    let refused = read(new_browser().post(&action).form(&form).send().await.expect("POST succeeds")).await;
    assert_eq!(refused.status, 403);
    assert_eq!(encoding_now(&client, &archive).await, "br");

    // A comment the author publishes does: the page is rendered again.
    let article = app.get(&format!("/posts/{SLUG}")).await;
    let form = [("body".to_owned(), "Often, yes.".to_owned()), ("csrf_token".to_owned(), csrf_token(&article.body))];
    assert_eq!(app.post_form(&format!("/posts/{SLUG}/comments"), &form).await.status, 303);
    assert_eq!(encoding_now(&client, &archive).await, "gzip", "rendered anew, compressed once more");
}

/// Posts a question as `reader` on `base`, held for moderation; its id.
async fn ask(reader: &reqwest::Client, base: &str, text: &str) -> CommentId {
    let page = get(reader, format!("{base}/posts/{SLUG}")).await;
    let mut form = comment_fields("Ann", "ann@example.org", text);
    set_field(&mut form, "csrf_token", &csrf_token(&page.body));
    let action = format!("{base}/posts/{SLUG}/comments");
    posted_comment_id(&read(reader.post(&action).form(&form).send().await.expect("POST succeeds")).await)
}

#[tokio::test]
async fn a_reader_with_a_comment_awaiting_moderation_sees_what_is_approved_meanwhile_on_any_instance() {
    let (a, settings) = spawn_app_keeping_settings(|_| {}).await;
    let b = second_instance(&settings).await;
    a.accept_instant_posts();
    create_user(&a, AUTHOR, DISPLAY, PASSWORD);
    assert_eq!(sign_in(&a, AUTHOR, PASSWORD).await.status, 303);
    let (first, second) =
        (a.insert_comment(SLUG, CommentStatus::Pending, "Bob"), a.insert_comment(SLUG, CommentStatus::Pending, "Cy"));
    let shows = |page: &crate::helpers::Page, id: CommentId| page.body.contains(&format!("id=\"comment-{id}\""));

    // Ann's pages are rendered for her (her question waits), on A and on B.
    let ann = new_browser();
    let own = ask(&ann, &a.address, "Is magnesium safe with my other tablets?").await;
    for base in [a.address.as_str(), b.as_str()] {
        let page = get(&ann, format!("{base}/posts/{SLUG}")).await;
        assert!(shows(&page, own) && !shows(&page, first) && !shows(&page, second));
    }

    // Approved on A: on A at once, on B within a second.
    assert_eq!(moderate(&a, first, "approve", "/admin").await.status, 303);
    assert!(shows(&get(&ann, format!("{}/posts/{SLUG}", a.address)).await, first));
    crate::helpers::eventually!(
        Duration::from_secs(3),
        "B shows it within a second",
        (shows(&get(&ann, format!("{b}/posts/{SLUG}")).await, first)).then_some(())
    );
    // Taken down again: gone from her pages too.
    assert_eq!(moderate(&a, first, "trash", "/admin").await.status, 303);
    let page = get(&ann, format!("{}/posts/{SLUG}", a.address)).await;
    assert!(!shows(&page, first) && shows(&page, own));
}

#[tokio::test]
async fn made_up_page_numbers_do_not_fill_the_cache() {
    let app = spawn_app().await;
    let reader = new_browser();
    // The pages readers really visit are kept.
    for path in ["/", "/archive", &format!("/posts/{SLUG}")] {
        assert_eq!(get(&reader, format!("{}{path}", app.address)).await.status, 200);
    }
    let kept = app.state.page_cache.kept_bytes();
    assert!(kept > 0, "the visited pages are kept");

    // The same pages under addresses nobody links to: served, never kept.
    for n in 0..150 {
        let made_up = [
            format!("/posts/{SLUG}?page={n}"),
            format!("/robots.txt?page={n}"),
            format!("/feed.xml?page={n}"),
            format!("/?page=0{n}"),
            format!("/?page=+{n}"),
            format!("/archive?page={}", n + 1_000),
        ];
        for path in made_up {
            let page = get(&reader, format!("{}{path}", app.address)).await;
            assert!(page.status == 200 || page.status == 404, "{path}: {}", page.status);
        }
    }
    assert_eq!(app.state.page_cache.kept_bytes(), kept, "no made-up address was kept");
    assert_eq!(get(&reader, format!("{}/posts/{SLUG}?page=3", app.address)).await.status, 200, "still served");
}

#[tokio::test]
async fn a_page_made_for_one_person_is_stored_by_no_cache() {
    let app = spawn_app().await;
    app.accept_instant_posts();
    let reader = new_browser();
    let public = get(&reader, format!("{}/posts/{SLUG}", app.address)).await;
    assert!(!public.header("cache-control").contains("no-store"), "{}", public.header("cache-control"));

    // A reader with a question awaiting moderation sees it on pages made for them.
    let mut form = comment_fields("Ann", "ann@example.org", "A question only I can see for now.");
    set_field(&mut form, "csrf_token", &csrf_token(&public.body));
    let url = format!("{}/posts/{SLUG}/comments", app.address);
    posted_comment_id(&read(reader.post(url).form(&form).send().await.expect("POST succeeds")).await);
    for path in [format!("/posts/{SLUG}"), format!("/posts/{SLUG}?replyto=1"), "/".to_owned()] {
        let page = get(&reader, format!("{}{path}", app.address)).await;
        assert_eq!(page.header("cache-control"), "private, no-store", "the pending writer's {path}");
    }

    // The signed-in author's article, with the desk's controls.
    create_user(&app, AUTHOR, DISPLAY, PASSWORD);
    assert_eq!(sign_in(&app, AUTHOR, PASSWORD).await.status, 303);
    let desk = app.get(&format!("/posts/{SLUG}")).await;
    desk.assert_contains(&["You are signed in as"]);
    assert_eq!(desk.header("cache-control"), "private, no-store");
    // A file that is the same for everyone keeps its own caching.
    let style = app.get("/static/style.css").await;
    assert!(style.header("cache-control").starts_with("public"), "{}", style.header("cache-control"));
}
