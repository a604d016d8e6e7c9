//! Two instances on one database, as behind a load balancer: a session, a
//! setting and the sign-in throttle hold on both.

use healthblog::auth::throttle;
use healthblog::config::Settings;
use healthblog::startup::Application;

use super::{
    cookie_pair, create_user, desk_token, fields, location, set_cookie, settings_form, sign_in, sign_in_with,
    spawn_app_keeping_settings, status_of, AUTHOR, DISPLAY, PASSWORD, SLUG,
};
use crate::helpers::{csrf_token, new_browser, read, Page};
use healthblog::domain::{CommentId, CommentStatus};

/// Starts another instance with the same settings (database, secret key)
/// and returns its address.
pub async fn second_instance(settings: &Settings) -> String {
    let settings = Settings { bind: "127.0.0.1:0".into(), ..settings.clone() };
    let application = Application::build(settings).await.expect("the second instance starts");
    let address = format!("http://127.0.0.1:{}", application.port());
    tokio::spawn(application.run_until_stopped());
    address
}

async fn get(client: &reqwest::Client, url: String, cookies: &str) -> Page {
    let mut request = client.get(url);
    if !cookies.is_empty() {
        request = request.header(reqwest::header::COOKIE, cookies);
    }
    read(request.send().await.expect("GET succeeds")).await
}

#[tokio::test]
async fn a_session_started_on_one_instance_opens_and_closes_on_the_other() {
    let (a, settings) = spawn_app_keeping_settings(|_| {}).await;
    let b = second_instance(&settings).await;
    create_user(&a, AUTHOR, DISPLAY, PASSWORD);
    let stranger = a.stranger();
    assert_eq!(get(&stranger, format!("{b}/admin"), "").await.status, 303, "B lets nobody in by itself");

    let signed_in = sign_in(&a, AUTHOR, PASSWORD).await;
    let cookie = cookie_pair(set_cookie(&signed_in, "hb_session").expect("a session cookie"));

    let desk_on_b = get(&stranger, format!("{b}/admin"), &cookie).await;
    assert_eq!(desk_on_b.status, 200, "{}", desk_on_b.body);
    desk_on_b.assert_contains(&[&format!("Signed in as {DISPLAY}")]);

    // Signing out on B ends the session on A too.
    let out = read(
        stranger
            .post(format!("{b}/admin/logout"))
            .header(reqwest::header::COOKIE, &cookie)
            .form(&fields(&[("csrf_token", &csrf_token(&desk_on_b.body))]))
            .send()
            .await
            .expect("POST succeeds"),
    )
    .await;
    assert_eq!(location(&out), "/admin/login");
    assert_eq!(a.get("/admin").await.status, 303, "A no longer knows the session");
}

#[tokio::test]
async fn a_setting_saved_on_one_instance_applies_on_the_other() {
    let (a, settings) = spawn_app_keeping_settings(|_| {}).await;
    let b = second_instance(&settings).await;
    create_user(&a, AUTHOR, DISPLAY, PASSWORD);
    assert_eq!(sign_in(&a, AUTHOR, PASSWORD).await.status, 303);
    let disclaimer = "Shared by every instance: ask your own doctor first.";
    let reader = new_browser();
    assert!(!get(&reader, format!("{b}/posts/{SLUG}"), "").await.body.contains(disclaimer));

    let token = desk_token(&a).await;
    let form = settings_form(&token, &[("moderation_policy", "approve_all"), ("disclaimer", disclaimer)]);
    assert_eq!(location(&a.post_form("/admin/settings", &form).await), "/admin/settings");

    // B keeps its pages rendered; a change made through A reaches them
    // within a second.
    let article =
        crate::helpers::eventually!(std::time::Duration::from_secs(3), "B shows the new disclaimer within a second", {
            let article = get(&reader, format!("{b}/posts/{SLUG}"), "").await;
            (article.body.contains(disclaimer)).then_some(article)
        });
    let comment = fields(&[
        ("author_name", "Reader on B"),
        ("author_email", "reader.b@example.org"),
        ("consent", "on"),
        ("author_url", ""),
        ("body", "Posted through the second instance."),
        ("parent_id", ""),
        ("csrf_token", &csrf_token(&article.body)),
    ]);
    let posted =
        read(reader.post(format!("{b}/posts/{SLUG}/comments")).form(&comment).send().await.expect("POST succeeds"))
            .await;
    let target = location(&posted);
    let id: CommentId = target.rsplit_once("#comment-").and_then(|(_, id)| id.parse().ok()).expect("a comment id");
    assert_eq!(status_of(&a, id), CommentStatus::Approved, "B applies A's policy");
}

#[tokio::test]
async fn failed_sign_ins_on_one_instance_count_on_the_other() {
    let (a, settings) = spawn_app_keeping_settings(|_| {}).await;
    let b = second_instance(&settings).await;
    create_user(&a, AUTHOR, DISPLAY, PASSWORD);
    for _ in 0..throttle::MAX_FAILURES {
        assert_eq!(sign_in_with(&a, &new_browser(), AUTHOR, "a wrong guess of a password").await.status, 401);
    }

    let browser = new_browser();
    let form = get(&browser, format!("{b}/admin/login"), "").await;
    let login = fields(&[("username", AUTHOR), ("password", PASSWORD), ("csrf_token", &csrf_token(&form.body))]);
    let on_b = read(browser.post(format!("{b}/admin/login")).form(&login).send().await.expect("POST succeeds")).await;

    assert_eq!(on_b.status, 429, "{}", on_b.body);
}
