//! The reader's path through the site in a real browser.

use fantoccini::Locator;

use crate::helpers::{spawn_app, Browser};

#[tokio::test]
async fn a_reader_opens_an_article_and_searches_in_chromium() {
    crate::helpers::require!("TEST_WEBDRIVER_URL");
    let app = spawn_app().await;
    let browser = Browser::open().await;
    let client = &browser.client;

    client.goto(&format!("{}/", app.address)).await.expect("the home page opens");
    let first = client.find(Locator::Css(".card-title a")).await.expect("an article link");
    assert_eq!(first.text().await.expect("link text"), "Recovering from a concussion: what actually helps");
    first.click().await.expect("the link is clickable");
    let heading = client.find(Locator::Css("h1")).await.expect("a heading");
    assert_eq!(heading.text().await.expect("heading text"), "Recovering from a concussion: what actually helps");
    assert!(client.current_url().await.expect("a URL").path().ends_with("/posts/concussion-recovery-what-helps"));

    // The stylesheet applies under the Content-Security-Policy.
    let header = browser.eval("return getComputedStyle(document.querySelector('.site-header')).backgroundColor").await;
    assert_eq!(header, "rgb(7, 63, 84)");

    let search = client.find(Locator::Id("site-search")).await.expect("the search box");
    search.send_keys("magnesium glycinate").await.expect("typing works");
    client.find(Locator::Css(".search-form button")).await.expect("a search button").click().await.expect("search");
    // Waits for the results page: right after the click the old page may still be there.
    let status = client.wait().for_element(Locator::Css("[role=status]")).await.expect("a result count");
    assert!(status.text().await.expect("status text").contains("found for “magnesium glycinate”"));
    let marks = client.find_all(Locator::Css(".search-results mark")).await.expect("highlights");
    assert!(!marks.is_empty(), "the matching words are highlighted");
    browser.close().await;
}

#[tokio::test]
async fn an_article_reads_on_a_phone_without_sideways_scrolling() {
    crate::helpers::require!("TEST_WEBDRIVER_URL");
    let app = spawn_app().await;
    let browser = Browser::open().await;
    browser.client.set_window_size(390, 844).await.expect("a phone-sized window");
    for path in ["/", "/posts/oral-magnesium-for-migraine-prevention", "/archive"] {
        browser.client.goto(&format!("{}{path}", app.address)).await.expect("the page opens");
        let overflow = browser.eval("return document.documentElement.scrollWidth - window.innerWidth").await;
        assert!(overflow.as_i64().is_some_and(|px| px <= 0), "{path} scrolls sideways by {overflow}px");
    }
    browser.close().await;
}
