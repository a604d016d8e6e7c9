//! "Save my name, email and website in this browser": opt-in, kept in an
//! encrypted cookie, pre-filling that browser's form and nobody else's.

use crate::admin::{get_with, post_with, set_cookie};
use crate::helpers::{
    comment_fields, csrf_token, input_value, is_checked, new_browser, set_field, spawn_app, Page, TestApp,
};

const SLUG: &str = "oral-magnesium-for-migraine-prevention";
/// Where Ann asks, so that nothing of hers is published under `SLUG`.
const ELSEWHERE: &str = "rbc-magnesium-blood-test";
const EMAIL: &str = "ann.private@example.net";

/// Posts a question under `slug` from `browser`'s own form, with "remember
/// me" ticked or not.
async fn ask(app: &TestApp, browser: &reqwest::Client, slug: &str, body: &str, remember: bool) -> Page {
    let article = get_with(app, browser, &format!("/posts/{slug}")).await;
    let mut form = comment_fields("Ann Reader", EMAIL, body);
    set_field(&mut form, "author_url", "https://ann.example.org");
    set_field(&mut form, "csrf_token", &csrf_token(&article.body));
    if remember {
        set_field(&mut form, "remember", "on");
    }
    let posted = post_with(app, browser, &format!("/posts/{slug}/comments"), &form).await;
    assert_eq!(posted.status, 303, "the comment is taken:\n{}", posted.body);
    posted
}

fn form_is_empty(page: &Page) -> bool {
    ["author_name", "author_email", "author_url"].iter().all(|field| input_value(&page.body, field).is_empty())
        && !is_checked(&page.body, "remember")
}

#[tokio::test]
async fn the_box_is_offered_unticked_and_the_privacy_note_names_the_cookie() {
    let app = spawn_app().await;
    let page = app.get_as_stranger(&format!("/posts/{SLUG}")).await;
    assert!(form_is_empty(&page));
    page.assert_contains(&[
        r#"<label for="remember">Save my name, email and website in this browser for my next comment</label>"#,
        "kept in an encrypted cookie in it for a year",
    ]);
}

#[tokio::test]
async fn a_reader_who_ticks_the_box_finds_her_details_filled_in_and_nobody_else_does() {
    let app = spawn_app().await;
    app.accept_instant_posts();
    // Published at once: Ann has nothing awaiting moderation, so only the
    // saved details make her page hers.
    app.set_rule("moderation_policy", "approve_all");
    let (ann, bob) = (new_browser(), new_browser());

    let posted = ask(&app, &ann, ELSEWHERE, "Does citrate upset the stomach?", true).await;
    let cookie = set_cookie(&posted, "hb_commenter").expect("the details are kept in a cookie");
    let lower = cookie.to_lowercase();
    assert!(lower.contains("httponly") && lower.contains("samesite=lax"), "{cookie}");
    assert!(lower.contains("max-age=31536000"), "kept for a year: {cookie}");
    assert!(!cookie.contains("ann.private") && !cookie.contains("Ann"), "encrypted: {cookie}");

    // Bob's visit fills the cache; Ann's still gets her own page.
    let bob_first = get_with(&app, &bob, &format!("/posts/{SLUG}")).await;
    let mine = get_with(&app, &ann, &format!("/posts/{SLUG}")).await;
    assert_eq!(input_value(&mine.body, "author_name"), "Ann Reader");
    assert_eq!(input_value(&mine.body, "author_email"), EMAIL);
    assert_eq!(input_value(&mine.body, "author_url"), "https://ann.example.org/", "as the form stored it");
    assert!(is_checked(&mine.body, "remember"), "the box shows what this browser chose");
    assert!(mine.header("cache-control").starts_with("private"), "{:?}", mine.headers);

    // Bob, afterwards, gets the cached page without a word of Ann's details.
    let bob_again = get_with(&app, &bob, &format!("/posts/{SLUG}")).await;
    assert_eq!(bob_again.header("etag"), bob_first.header("etag"), "Bob's page comes from the cache");
    for page in [&bob_first, &bob_again] {
        assert_eq!(page.status, 200);
        page.assert_lacks(&[EMAIL, "ann.private", "Ann Reader", "ann.example.org"]);
        assert!(form_is_empty(page));
    }
}

#[tokio::test]
async fn leaving_the_box_unticked_makes_the_browser_forget() {
    let app = spawn_app().await;
    app.accept_instant_posts();
    let ann = new_browser();
    ask(&app, &ann, SLUG, "First question about the dose.", true).await;
    let filled = get_with(&app, &ann, &format!("/posts/{SLUG}")).await;
    assert_eq!(input_value(&filled.body, "author_name"), "Ann Reader");

    let posted = ask(&app, &ann, SLUG, "A second question, details not kept.", false).await;
    let removal = set_cookie(&posted, "hb_commenter").expect("the cookie is removed");
    assert!(removal.to_lowercase().contains("max-age=0"), "{removal}");
    let page = get_with(&app, &ann, &format!("/posts/{SLUG}")).await;
    assert!(form_is_empty(&page), "the form is empty again");
    page.assert_lacks(&[r#"value="ann.private@example.net""#]);
}

#[tokio::test]
async fn a_reader_who_never_ticks_the_box_gets_no_cookie() {
    let app = spawn_app().await;
    app.accept_instant_posts();
    let ann = new_browser();
    let posted = ask(&app, &ann, SLUG, "Just a question.", false).await;
    assert_eq!(set_cookie(&posted, "hb_commenter"), None);
    assert!(form_is_empty(&get_with(&app, &ann, &format!("/posts/{SLUG}")).await));
}
