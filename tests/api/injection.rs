//! Script injection through every comment field, checked in Chromium: in the
//! page as served (with its Content-Security-Policy) and again with no CSP at
//! all, so that the markup alone must be harmless.

use crate::helpers::{comment_fields, field_error, serve_without_csp, set_field, spawn_app, Browser, TestApp};
use healthblog::domain::CommentStatus;

const SLUG: &str = "oral-magnesium-for-migraine-prevention";

/// Comment bodies: raw HTML (shown as text) and Markdown (rendered, then cleaned).
const BODIES: &[&str] = &[
    // Script elements
    "<script>window.__xss = 1</script>",
    "<SCRIPT SRC=https://evil.example/xss.js></SCRIPT>",
    "<script>alert('xss')</script>",
    "<scr<script>ipt>window.__xss = 1</scr</script>ipt>",
    "<template><script>window.__xss = 1</script></template>",
    // Event handlers
    "<img src=x onerror=\"window.__xss = 1\">",
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=\"javascript:window.__xss = 1;\">",
    "<body onload=\"window.__xss = 1\">",
    "<details open ontoggle=\"window.__xss = 1\"><summary>x</summary></details>",
    "<input autofocus onfocus=\"window.__xss = 1\">",
    "<video><source onerror=\"window.__xss = 1\"></video>",
    "<a href=\"https://ok.example\" onmouseover=\"window.__xss = 1\">hover me</a>",
    // SVG and MathML
    "<svg onload=\"window.__xss = 1\"></svg>",
    "<svg><script>window.__xss = 1</script></svg>",
    "<svg><a xlink:href=\"javascript:window.__xss = 1\"><text x=\"20\" y=\"20\">tap</text></a></svg>",
    "<svg><animate onbegin=\"window.__xss = 1\" attributeName=\"x\" dur=\"1s\"></animate></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=\"window.__xss = 1\">",
    "<math href=\"javascript:window.__xss = 1\"><mi>x</mi></math>",
    // Frames and plug-ins
    "<iframe src=\"javascript:parent.__xss = 1\"></iframe>",
    "<iframe srcdoc=\"&lt;script&gt;parent.__xss = 1&lt;/script&gt;\"></iframe>",
    "<object data=\"javascript:window.__xss = 1\"></object>",
    "<embed src=\"javascript:window.__xss = 1\">",
    // Dangerous URLs in HTML
    "<a href=\"javascript:window.__xss = 1\">html link</a>",
    "<a href=\"JaVaScRiPt:window.__xss = 1\">mixed-case link</a>",
    "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;window.__xss = 1\">entity link</a>",
    "<a href=\"jav&#x09;ascript:window.__xss = 1\">tab link</a>",
    "<a href=\" javascript:window.__xss = 1\">spaced link</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">data link</a>",
    "<a href=\"vbscript:msgbox(1)\">vbscript link</a>",
    "<form action=\"javascript:window.__xss = 1\"><button>go</button></form>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:window.__xss = 1\">",
    "<base href=\"javascript:/\">",
    "<link rel=\"stylesheet\" href=\"javascript:window.__xss = 1\">",
    // Styles
    "<div style=\"background:url(javascript:window.__xss = 1)\">styled</div>",
    "<div style=\"width: expression(window.__xss = 1)\">expression</div>",
    "<style>body { background: url(\"javascript:window.__xss = 1\") }</style>",
    // Parser confusion and attribute break-outs
    "<noscript><p title=\"</noscript><img src=x onerror=window.__xss=1>\">",
    "<!--<img src=\"--><img src=x onerror=window.__xss=1//\">",
    "\"><script>window.__xss = 1</script>",
    "' onmouseover='window.__xss = 1' x='",
    "&lt;script&gt;window.__xss = 1&lt;/script&gt;",
    // Markdown links, autolinks, reference links and images
    "[markdown link](javascript:window.__xss=1)",
    "[upper-case link](JAVASCRIPT:window.__xss=1)",
    "[entity colon](javascript&#58;window.__xss=1)",
    "[entity scheme](&#x6A;avascript:window.__xss=1)",
    "[data link](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[vbscript link](vbscript:msgbox(1))",
    "<javascript:window.__xss=1>",
    "<vbscript:msgbox(1)>",
    "[reference link][evil]\n\n[evil]: javascript:window.__xss=1",
    "[mixed-case reference][evil]\n\n[evil]: JaVaScRiPt:window.__xss=1 \"title\"",
    "![image](javascript:window.__xss=1)",
    "![x\" onerror=\"window.__xss=1](https://ok.example/a.png)",
    "[angle break](<https://ok.example/\" onmouseover=\"window.__xss=1>)",
    "[title break](https://ok.example \"a\\\" onmouseover=\\\"window.__xss=1\")",
    "`<script>window.__xss = 1</script>` in code",
    "```\n<script>window.__xss = 1</script>\n```",
];

/// Names: shown as text, in a `data-` attribute and in "in reply to NAME".
const NAMES: &[&str] = &[
    "\"><script>window.__xss = 1</script>",
    "' onmouseover='window.__xss = 1",
    "\" autofocus onfocus=\"window.__xss = 1",
    "<img src=x onerror=window.__xss=1>",
    "</span><svg onload=window.__xss=1>",
    "javascript:window.__xss=1",
];

/// Websites that are http(s) addresses with break-out attempts: accepted,
/// and must land in `href` as harmless URLs.
const WEBSITES_ACCEPTED: &[&str] = &[
    "https://ok.example/\"><script>window.__xss = 1</script>",
    "https://ok.example/' onmouseover='window.__xss = 1",
    "http://ok.example/?q=\" onfocus=\"window.__xss=1\" autofocus=\"",
];

/// Websites that are not http(s) addresses: refused at the field.
const WEBSITES_REFUSED: &[&str] = &[
    "javascript:window.__xss=1",
    "JaVaScRiPt:window.__xss=1",
    " javascript:window.__xss=1",
    "javascript://ok.example/%0Awindow.__xss=1",
    "data:text/html,<script>window.__xss=1</script>",
    "vbscript:msgbox(1)",
    "&#106;avascript:window.__xss=1",
    "\"><script>window.__xss=1</script>",
];

/// Finds, in the page, anything that could run script: elements that do not
/// belong in a comment, event-handler attributes, and URLs that are not
/// http(s), a fragment or a path. Returns what it found.
const UNSAFE_MARKUP: &str = r#"
    const root = document.getElementById('comments');
    if (!root) { return ['no #comments section']; }
    const problems = [];
    const banned = 'script, iframe, frame, frameset, object, embed, svg, math, style, link, meta, base, template, noscript, img, video, audio, source';
    for (const el of root.querySelectorAll(banned)) { problems.push('a <' + el.localName + '> element'); }
    for (const el of root.querySelectorAll('.comment-list form, .comment-list input, .comment-list button, .comment-list textarea')) {
        problems.push('a <' + el.localName + '> in a comment');
    }
    for (const el of root.querySelectorAll('*')) {
        for (const attr of el.attributes) {
            const name = attr.name.toLowerCase();
            if (name.startsWith('on')) { problems.push('<' + el.localName + '> has ' + name + '="' + attr.value + '"'); }
            if (['srcdoc', 'style', 'formaction', 'xlink:href'].includes(name)) { problems.push('<' + el.localName + '> has ' + name); }
            if (['href', 'src', 'action', 'data'].includes(name)) {
                const url = attr.value;
                if (!/^(https?:\/\/|#|\/)/.test(url)) { problems.push('<' + el.localName + ' ' + name + '="' + url + '">'); }
            }
        }
    }
    return problems;
"#;

/// Posts one comment and returns its status code.
async fn post(app: &TestApp, n: usize, name: &str, url: &str, body: &str) -> u16 {
    let mut fields = comment_fields(name, &format!("reader{n}@example.org"), body);
    set_field(&mut fields, "author_url", url);
    app.post_comment(SLUG, &fields).await.status
}

#[tokio::test]
async fn no_script_injected_through_a_comment_runs_or_reaches_the_page() {
    crate::helpers::require!("TEST_WEBDRIVER_URL");
    let app = spawn_app().await;
    app.accept_instant_posts();
    app.set_rule("moderation_policy", "approve_all");
    app.set_rule("max_links", "1000");
    app.set_rule("rate_limit_per_minute", "1000");
    // Every reply is shown flat, saying "in reply to NAME".
    app.set_rule("thread_depth", "1");
    // Every vector on one page.
    app.set_rule("threads_per_page", "1000");

    let mut n = 0;
    let mut next = || {
        n += 1;
        n
    };
    for body in BODIES {
        assert_eq!(post(&app, next(), "Body vector", "", body).await, 303, "body {body:?} is accepted");
    }
    for name in NAMES {
        assert_eq!(post(&app, next(), name, "", "A name vector").await, 303, "name {name:?} is accepted");
    }
    for url in WEBSITES_ACCEPTED {
        assert_eq!(post(&app, next(), "Website vector", url, "An http(s) website").await, 303, "website {url:?}");
    }
    for url in WEBSITES_REFUSED {
        let mut fields = comment_fields("Refused website", &format!("reader{}@example.org", next()), "Refused");
        set_field(&mut fields, "author_url", url);
        let page = app.post_comment(SLUG, &fields).await;
        assert_eq!(page.status, 422, "website {url:?} is refused");
        assert!(field_error(&page.body, "author_url").is_some(), "website {url:?} is refused at the field");
    }
    let vectors = BODIES.len() + NAMES.len() + WEBSITES_ACCEPTED.len() + WEBSITES_REFUSED.len();
    assert!(vectors >= 50, "{vectors} vectors");

    // A reply to each name vector prints the name again: "in reply to NAME".
    let stored = app.stored_comments();
    for parent in stored.iter().filter(|c| c.body_markdown == "A name vector") {
        app.insert_reply(SLUG, parent.id, CommentStatus::Approved, "Replier");
    }
    let shown = BODIES.len() + 2 * NAMES.len() + WEBSITES_ACCEPTED.len();
    assert_eq!(app.stored_comments().iter().filter(|c| c.status == CommentStatus::Approved).count(), shown);

    let browser = Browser::open().await;
    let client = &browser.client;
    client.goto(&format!("{}/posts/{SLUG}", app.address)).await.expect("the article opens");
    // An alert would also fail this call: WebDriver refuses to run scripts under one.
    assert_eq!(browser.eval("return typeof window.__xss").await, "undefined", "an injected script ran");
    assert_eq!(browser.eval("return document.querySelectorAll('#comments li.comment').length").await, shown);
    assert_eq!(browser.eval(UNSAFE_MARKUP).await, serde_json::json!([]), "unsafe markup in #comments");

    // Names read as typed, as text.
    let authors = browser
        .eval("return [...document.querySelectorAll('#comments .comment-author')].map(e => e.textContent)")
        .await;
    let replied =
        browser.eval("return [...document.querySelectorAll('#comments .in-reply-to')].map(e => e.textContent)").await;
    for name in NAMES {
        assert!(authors.as_array().is_some_and(|a| a.iter().any(|t| t == name)), "{name:?} is shown as typed");
        assert!(replied.as_array().is_some_and(|a| a.iter().any(|t| *t == format!("in reply to {name}"))), "{name:?}");
    }
    // Raw HTML reads as text.
    let texts = browser
        .eval("return [...document.querySelectorAll('#comments .comment-body')].map(e => e.textContent.trim())")
        .await;
    assert!(texts.as_array().is_some_and(|a| a.iter().any(|t| t == "<script>window.__xss = 1</script>")), "{texts}");

    // The page still works: Reply on a break-out name moves the form and names it.
    let clicked = client
        .execute(
            "const link = [...document.querySelectorAll('.reply-link')].find(a => a.dataset.replyName === arguments[0]);\
             if (!link) { return false; } link.click(); return true;",
            vec![serde_json::json!(NAMES[0])],
        )
        .await
        .expect("the script runs");
    assert_eq!(clicked, true, "a Reply link for {:?}", NAMES[0]);
    let title = client.find(fantoccini::Locator::Id("respond-title")).await.expect("the form title");
    assert_eq!(title.text().await.expect("title text"), format!("Reply to {}", NAMES[0]));
    assert_eq!(browser.eval("return typeof window.__xss").await, "undefined");

    // The same markup with no Content-Security-Policy to stop scripts: the
    // marker script proves scripts run there, the vectors must still not.
    let page = app.get_as_stranger(&format!("/posts/{SLUG}")).await;
    let marker = "<script>window.__scripts_run = true;</script></body>";
    let bare = serve_without_csp(page.body.replacen("</body>", marker, 1));
    client.goto(&format!("{bare}/")).await.expect("the bare copy opens");
    assert_eq!(browser.eval("return window.__scripts_run === true").await, true, "scripts run on the bare copy");
    assert_eq!(browser.eval("return typeof window.__xss").await, "undefined", "an injected script ran without the CSP");
    assert_eq!(browser.eval(UNSAFE_MARKUP).await, serde_json::json!([]));
    browser.close().await;
}
