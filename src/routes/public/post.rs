use std::collections::HashMap;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use anyhow::Context as _;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tera::Context;

use crate::auth::session::Flash;
use crate::auth::{signed_in_user, TypedSession};
use crate::comments::pages::{page_path, Outline};
use crate::comments::remembered::RememberedCommenter;
use crate::comments::rules::ThreadOrder;
use crate::comments::thread::{self, ShownComment, ShownNote};
use crate::comments::visitor::{FormPurpose, Visitor};
use crate::comments::{comments_open, Discussion};
use crate::content::{Article, ArticleKind, Library, When};
use crate::db::{self, users::User};
use crate::domain::{CommentId, MAX_BODY_CHARS};
use crate::error::AppError;
use crate::page_cache;
use crate::routes::pagination::Pagination;
use crate::state::{AppState, PageMeta};

#[derive(Default, Deserialize)]
pub struct ShowQuery {
    replyto: Option<String>,
    /// `?comment=N`: the page that shows comment N, for links made before
    /// long discussions had pages.
    comment: Option<String>,
}

/// `GET /posts/{slug}`: one article with the first page of its comments and
/// the comment form.
pub async fn show(
    state: web::Data<AppState>,
    request: HttpRequest,
    session: TypedSession,
    slug: web::Path<String>,
    query: web::Query<ShowQuery>,
) -> Result<HttpResponse, AppError> {
    if let Some(id) = query.comment.as_deref() {
        let id = id.parse::<CommentId>().map_err(|_| AppError::NotFound)?;
        let article = state.library().discussed(&slug).cloned().ok_or(AppError::NotFound)?;
        // A comment awaiting moderation is placed for its writer only.
        let visitor = Visitor::from_request(&request, &state.keys);
        let path = comment_path(&state, &article, id, visitor.pending()).await?;
        return Ok(HttpResponse::Found().insert_header((header::LOCATION, path)).finish());
    }
    show_page(state, request, session, &slug, 1, query.into_inner()).await
}

/// `GET /posts/{slug}/comment-page-{n}`: page `n` (from 2) of a long
/// discussion: the article's heading, the page's threads and the form.
pub async fn comment_page(
    state: web::Data<AppState>,
    request: HttpRequest,
    session: TypedSession,
    path: web::Path<(String, String)>,
    query: web::Query<ShowQuery>,
) -> Result<HttpResponse, AppError> {
    let (slug, number) = path.into_inner();
    match number.parse::<usize>() {
        Ok(1) => Ok(HttpResponse::MovedPermanently().insert_header((header::LOCATION, page_path(&slug, 1))).finish()),
        Ok(number) if number >= 2 => show_page(state, request, session, &slug, number, query.into_inner()).await,
        _ => Err(AppError::NotFound),
    }
}

pub(super) async fn show_page(
    state: web::Data<AppState>,
    request: HttpRequest,
    session: TypedSession,
    slug: &str,
    number: usize,
    query: ShowQuery,
) -> Result<HttpResponse, AppError> {
    let library = state.library();
    let (article, preview) = match (library.get(slug), library.page_at(slug)) {
        (Some(article), _) => (article, false),
        // A page's discussion lives on the page: links made as for an
        // article (the desk's, a comment's permalink) lead there.
        (None, Some(page)) if number == 1 && request.path().starts_with("/posts/") => {
            let target = match request.query_string() {
                "" => ArticleKind::Page.path(&page.slug),
                query => format!("{}?{query}", ArticleKind::Page.path(&page.slug)),
            };
            return Ok(super::old_address::moved_permanently(&target));
        }
        (None, Some(page)) => (page, false),
        (None, None) => match unpublished(&state, &session, library.unpublished(slug)).await? {
            Some(article) => (article, true),
            None => {
                // An article whose slug changed answers at its old address.
                return match super::old_address::find(&state, &request).await? {
                    Some(target) => Ok(super::old_address::moved_permanently(&target)),
                    None => Err(AppError::NotFound),
                };
            }
        },
    };
    let visitor = Visitor::from_request(&request, &state.keys);
    let discussion = load_discussion(&state, article, &visitor, number).await?.ok_or(AppError::NotFound)?;
    if library.is_page(article) && discussion.comments.is_empty() && number == 1 {
        // A page without comments is the page alone, whatever its setting.
        return render_page_alone(&state, article, false);
    }
    let mut form = CommentForm::default();
    if let Some(parent) = query.replyto.as_deref().and_then(|id| id.parse::<CommentId>().ok()) {
        if discussion.answerable(parent).is_none() {
            // "Reply" from a link made elsewhere: the form belongs on the
            // page that shows the comment answered.
            let page = page_of_comment(&state, article, parent, visitor.pending()).await?;
            if page != number {
                let target = format!("{}?replyto={parent}#respond", page_path(slug, page));
                return Ok(HttpResponse::SeeOther().insert_header((header::LOCATION, target)).finish());
            }
        }
        form.values.parent_id = parent.to_string();
    }
    let author = signed_in_user(&state.pool, &session, state.settings.session_timeouts()).await?;
    let for_cache = page_cache::rendering_for_cache(&request) && author.is_none();
    // A reader's saved details fill their form, on a page made for them
    // alone: the cache never serves or keeps a request with that cookie.
    let saved =
        if author.is_none() && !for_cache { RememberedCommenter::from_request(&request, &state.keys) } else { None };
    let prefilled = saved.is_some();
    if let Some(saved) = saved {
        form.values.fill_from(saved);
    }
    // The author's confirmation after answering here, shown once.
    let flash = if author.is_some() { session.take_flash() } else { None };
    let saved_replies = match author {
        Some(_) => saved_reply_choices(&state).await?,
        None => Vec::new(),
    };
    let page = ArticlePage {
        library: &library,
        article,
        discussion: &discussion,
        author: author.as_ref(),
        form,
        flash,
        for_cache: for_cache && !preview,
        preview,
        saved_replies,
    };
    let mut response = render(&state, page, visitor, StatusCode::OK)?;
    if prefilled {
        response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("private, no-cache"));
    }
    Ok(response)
}

/// The article whose page is shown again after a comment was sent.
pub struct FormAgain<'a> {
    pub library: &'a Library,
    pub article: &'a Article,
    pub author: Option<&'a User>,
}

/// The article page again after a comment was not taken, with `form` as
/// sent: the page of the comment answered (the page the form was sent from
/// when its "Reply" link was used), or the article's own. When the
/// database cannot store anything (503), the page is shown even if the
/// comments cannot be read.
pub async fn with_form(
    state: &AppState,
    again: FormAgain<'_>,
    visitor: Visitor,
    form: CommentForm,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let FormAgain { library, article, author } = again;
    let loaded = async {
        let number = match form.values.parent_id.trim().parse::<CommentId>() {
            Ok(parent) => page_of_comment(state, article, parent, visitor.pending()).await?,
            Err(_) => 1,
        };
        match load_discussion(state, article, &visitor, number).await? {
            Some(discussion) => Ok(discussion),
            None => load_discussion(state, article, &visitor, 1)
                .await?
                .ok_or_else(|| anyhow::anyhow!("the first page of a discussion is missing").into()),
        }
    };
    let discussion = match loaded.await {
        Ok(discussion) => discussion,
        Err(error) if status == StatusCode::SERVICE_UNAVAILABLE => {
            tracing::warn!(error = %error, "showing the form without the comments");
            Discussion::unavailable()
        }
        Err(error) => return Err(error),
    };
    let saved_replies = match author {
        Some(_) => saved_reply_choices(state).await.unwrap_or_default(),
        None => Vec::new(),
    };
    let page = ArticlePage {
        library,
        article,
        discussion: &discussion,
        author,
        form,
        flash: None,
        for_cache: false,
        preview: false,
        saved_replies,
    };
    render(state, page, visitor, status)
}

/// The author's saved replies, for the answer box he sees on the page.
pub async fn saved_reply_choices(state: &AppState) -> Result<Vec<crate::answers::Choice>, AppError> {
    Ok(db::run(&state.pool, crate::answers::choices).await?)
}

/// A draft or scheduled article (or page), for a signed-in author only.
pub async fn unpublished<'a>(
    state: &AppState,
    session: &TypedSession,
    article: Option<&'a std::sync::Arc<Article>>,
) -> Result<Option<&'a std::sync::Arc<Article>>, AppError> {
    let Some(article) = article else { return Ok(None) };
    let author = signed_in_user(&state.pool, session, state.settings.session_timeouts()).await?;
    Ok(author.map(|_| article))
}

/// Page `number` of the comments `visitor` may see under `article`, and the
/// rules; `None` past the last page.
pub async fn load_discussion(
    state: &AppState,
    article: &Article,
    visitor: &Visitor,
    number: usize,
) -> Result<Option<Discussion>, AppError> {
    let (slug, own) = (article.slug.clone(), visitor.pending().to_vec());
    let outlines = state.outlines();
    let discussion = db::run(&state.pool, move |conn| Discussion::load(conn, &outlines, &slug, &own, number))
        .await
        .with_context(|| format!("loading the discussion of {}", article.slug))?;
    Ok(discussion)
}

/// The pages of `article`'s discussion as a visitor whose own comments
/// awaiting moderation are `own_pending` sees them.
async fn outline(state: &AppState, article: &Article, own_pending: &[CommentId]) -> Result<Outline, AppError> {
    let (slug, own) = (article.slug.clone(), own_pending.to_vec());
    let outlines = state.outlines();
    let outline = db::run(&state.pool, move |conn| {
        let rules = outlines.rules(conn)?;
        outlines.outline(conn, &slug, &own, &rules)
    })
    .await
    .with_context(|| format!("finding the pages of the discussion of {}", article.slug))?;
    Ok(outline)
}

/// The page that shows comment `id` of `article` to a visitor whose own
/// comments awaiting moderation are `own_pending`; 1 when they cannot see it.
pub async fn page_of_comment(
    state: &AppState,
    article: &Article,
    id: CommentId,
    own_pending: &[CommentId],
) -> Result<usize, AppError> {
    Ok(outline(state, article, own_pending).await?.page_of(id).unwrap_or(1))
}

/// The address of comment `id` of `article`, on the page that shows it to a
/// visitor whose own comments awaiting moderation are `own_pending`.
pub(super) async fn comment_path(
    state: &AppState,
    article: &Article,
    id: CommentId,
    own_pending: &[CommentId],
) -> Result<String, AppError> {
    Ok(outline(state, article, own_pending).await?.path(&article.slug, id))
}

/// The comment form's values, as typed, with what is wrong with them.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct CommentValues {
    #[serde(default)]
    pub author_name: String,
    #[serde(default)]
    pub author_email: String,
    #[serde(default)]
    pub author_url: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub parent_id: String,
    #[serde(default)]
    pub notify: Option<String>,
    #[serde(default)]
    pub notify_replies: Option<String>,
    /// "Save my name, email and website in this browser".
    #[serde(default)]
    pub remember: Option<String>,
    /// Consent to publish and keep the health information shared.
    #[serde(default)]
    pub consent: Option<String>,
    /// What to do with the personal details found in the text: `remove`
    /// them, or `keep` the text as written.
    #[serde(default)]
    pub personal: Option<String>,
    /// "Only the doctor may read this": a private question.
    #[serde(default)]
    pub private: Option<String>,
}

impl CommentValues {
    /// The details this browser saved, in an untouched form, with the box
    /// that saved them ticked.
    pub fn fill_from(&mut self, saved: RememberedCommenter) {
        self.author_name = saved.name;
        self.author_email = saved.email;
        self.author_url = saved.website;
        self.remember = Some("on".to_owned());
    }
}

#[derive(Debug, Default, Serialize)]
pub struct CommentForm {
    pub values: CommentValues,
    /// Field name → what is wrong with it.
    pub errors: HashMap<&'static str, String>,
    /// A message about the whole form.
    pub message: Option<String>,
    /// Personal details found in the text, for the reader to remove or keep.
    pub personal: Vec<crate::trust::personal::Finding>,
}

impl CommentForm {
    /// The form shown again with what is wrong with each field.
    pub fn with_errors(values: CommentValues, errors: HashMap<&'static str, String>) -> Self {
        let message = match errors.len() {
            1 => "Please correct the field marked below.".to_owned(),
            count => format!("Please correct the {count} fields marked below."),
        };
        Self { values, errors, message: Some(message), personal: Vec::new() }
    }
}

#[derive(Serialize)]
struct ReplyTarget<'a> {
    id: CommentId,
    name: &'a str,
}

/// What the article page shows.
pub struct ArticlePage<'a> {
    pub library: &'a Library,
    pub article: &'a Article,
    pub discussion: &'a Discussion,
    /// A signed-in author gets a form that publishes as the author.
    pub author: Option<&'a User>,
    pub form: CommentForm,
    /// A one-time message for the signed-in author ("Your answer is
    /// published"), shown in the card of the comment it links to.
    pub flash: Option<Flash>,
    /// Rendered for the page cache: the form token is a placeholder, filled
    /// in for each reader, and no cookie is set here.
    pub for_cache: bool,
    /// Not published: shown to a signed-in author with a band that says so.
    pub preview: bool,
    /// The author's saved replies, for his answer box.
    pub saved_replies: Vec<crate::answers::Choice>,
}

/// Renders the article page for `visitor`, whose cookie goes with it when it
/// changed.
pub fn render(
    state: &AppState,
    page: ArticlePage,
    visitor: Visitor,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let ArticlePage { library, article, discussion, author, form, flash, for_cache, preview, saved_replies } = page;
    let (older, newer) = library.neighbours(&article.slug);
    let rules = &discussion.rules;
    let reply_to = form
        .values
        .parent_id
        .parse::<CommentId>()
        .ok()
        .and_then(|id| discussion.answerable(id))
        .map(|c| ReplyTarget { id: c.id, name: &c.author_name });
    let mut thread: Vec<ShownComment> = thread::build(
        &discussion.comments,
        &discussion.staff_roles,
        rules.thread_depth,
        rules.thread_order,
        state.zone,
    );
    for comment in &mut thread {
        comment.notes = discussion
            .notes
            .iter()
            .filter(|note| note.comment_id == comment.id)
            .map(|note| ShownNote { added: When::in_zone(note.created_at, state.zone), body: note.body_html.clone() })
            .collect();
        comment.own = comment.awaiting_moderation && !comment.erased && visitor.pending().contains(&comment.id);
        if comment.own {
            let urgent = discussion.comments.iter().find(|c| c.id == comment.id).and_then(|c| c.urgent.as_deref());
            comment.safety = urgent.and_then(|urgent| {
                crate::trust::SafetyNotice::for_rules(&state.red_flags, urgent, &state.settings.trust.country)
            });
        }
    }

    let number = discussion.page;
    let is_page = library.is_page(article);
    let path = match number {
        1 if is_page => ArticleKind::Page.path(&article.slug),
        _ => page_path(&article.slug, number),
    };
    let (earlier, later) = match rules.thread_order {
        ThreadOrder::Oldest => ("Earlier comments", "Later comments"),
        ThreadOrder::Newest => ("Newer comments", "Older comments"),
    };
    let pagination =
        Pagination::new(number, discussion.page_count, |n| page_path(&article.slug, n)).labelled(earlier, later);
    let meta = if number == 1 && is_page {
        page_meta(state, article, path.clone())
    } else if number == 1 {
        PageMeta {
            og_type: "article",
            image: absolute_image(state, article),
            ..PageMeta::new(article.title.clone(), article.summary.clone(), path.clone())
        }
        .with_json_ld(&structured_data(state, article, discussion.tally.total(), &thread))
    } else {
        PageMeta::new(
            format!("{} — comments, page {number}", article.title),
            format!("Readers' questions and the author's answers on “{}”, page {number}", article.title),
            path.clone(),
        )
    };

    let now = chrono::Utc::now();
    let mut context = Context::new();
    context.insert("article", article);
    context.insert("preview", &preview);
    context.insert("comment_count", &discussion.tally);
    context.insert("older", &older);
    context.insert("newer", &newer);
    context.insert("comments", &thread);
    context.insert("comment_page", &number);
    context.insert("page_path", &path);
    context.insert("pagination", &pagination);
    context.insert("comments_open", &comments_open(article, rules, now.naive_utc()));
    context.insert("form", &form);
    context.insert("reply_to", &reply_to);
    let token = if for_cache {
        state.page_cache.placeholder().to_owned()
    } else {
        visitor.form_token(&state.keys, FormPurpose::Comment, now.timestamp())
    };
    context.insert("csrf_token", &token);
    context.insert("max_body_chars", &MAX_BODY_CHARS);
    context.insert("ip_retention_days", &rules.ip_retention_days);
    context.insert("require_consent", &state.settings.trust.require_consent);
    context.insert("consent_wording", crate::trust::consent::WORDING);
    context.insert("pending_retention_days", &rules.pending_retention_days);
    context.insert("author", &author.map(|user| user.display_name.as_str()));
    context.insert("saved_replies", &saved_replies);
    let flash_comment = flash.as_ref().and_then(|flash| flash_comment(flash, &thread));
    context.insert("flash", &flash);
    context.insert("flash_comment", &flash_comment);
    if !rules.disclaimer.is_empty() {
        context.insert("disclaimer", &rules.disclaimer);
    }
    if is_page {
        context.insert("page", article);
    }
    let body = state.render(if is_page { "page.html" } else { "post.html" }, &meta, context)?;

    let mut response = HttpResponse::build(status);
    response.content_type(actix_web::http::header::ContentType::html());
    if let Some(cookie) = visitor.cookie(&state.keys, state.settings.is_https()).filter(|_| !for_cache) {
        response.cookie(cookie);
    }
    Ok(response.body(body))
}

/// The comment on this page that `flash` links to, whose card shows it.
fn flash_comment(flash: &Flash, thread: &[ShownComment]) -> Option<CommentId> {
    let (_, id) = flash.link.as_ref()?.href.rsplit_once("#comment-")?;
    let id = id.parse::<CommentId>().ok()?;
    thread.iter().any(|comment| comment.id == id).then_some(id)
}

/// The article's picture (its mid size when it is one of the site's) as an
/// absolute address; empty when it has none.
fn absolute_image(state: &AppState, article: &Article) -> String {
    if article.image.starts_with('/') && !article.image.starts_with("//") {
        format!("{}{}", state.base_url(), article.image)
    } else {
        article.image.clone()
    }
}

/// schema.org data for search engines: a blog post that is also a medical
/// web page, with its review when the front matter gives one.
fn structured_data(
    state: &AppState,
    article: &Article,
    comment_count: usize,
    thread: &[ShownComment],
) -> serde_json::Value {
    let site = &state.settings.site;
    let url = format!("{}/posts/{}", state.base_url(), article.slug);
    let mut data = json!({
        "@context": "https://schema.org",
        "@type": ["BlogPosting", "MedicalWebPage"],
        "headline": article.title,
        "name": article.title,
        "description": article.summary,
        "url": url,
        "mainEntityOfPage": url,
        "inLanguage": site.language,
        "keywords": article.tags.join(", "),
        "wordCount": article.word_count,
        "datePublished": article.published.rfc3339,
        "dateModified": article.modified().rfc3339,
        "author": { "@type": "Person", "name": site.author_name, "jobTitle": site.author_credentials },
        "publisher": { "@type": "Organization", "name": site.title },
        "commentCount": comment_count,
    });
    let image = absolute_image(state, article);
    if !image.is_empty() {
        data["image"] = json!(image);
    }
    if !article.byline.is_empty() {
        data["author"] = json!({ "@type": "Person", "name": article.byline });
    }
    // The author's answers on the page, each with when he last said it is
    // right: schema.org's `lastReviewed` belongs to a web page, so a
    // comment's review is its `dateModified`.
    let answers: Vec<serde_json::Value> = thread
        .iter()
        .filter(|comment| !comment.awaiting_moderation)
        .filter_map(|comment| {
            let review = comment.review.as_ref()?;
            Some(json!({
                "@type": "Comment",
                "url": format!("{url}#comment-{}", comment.id),
                "author": { "@type": "Person", "name": comment.author_name },
                "dateCreated": comment.posted.rfc3339,
                "dateModified": review.reviewed_rfc3339,
            }))
        })
        .collect();
    if !answers.is_empty() {
        data["comment"] = json!(answers);
    }
    // Readers' questions lifted into the article: a part of the page, not
    // an `FAQPage` (whose rich results Google keeps for a few sites).
    let questions: Vec<serde_json::Value> = article
        .questions
        .iter()
        .map(|q| {
            json!({
                "@type": "Question",
                "name": q.question,
                "text": q.question,
                "url": format!("{url}#comment-{}", q.comment),
                "acceptedAnswer": { "@type": "Answer", "text": q.answer },
            })
        })
        .collect();
    if !questions.is_empty() {
        data["hasPart"] = json!(questions);
    }
    if let (Some(reviewed), Some(reviewer)) = (&article.reviewed, &article.reviewed_by) {
        data["lastReviewed"] = json!(reviewed.iso_date);
        data["reviewedBy"] = json!({ "@type": "Person", "name": reviewer });
    }
    data
}

/// A page without comments; `preview` when it is not published.
pub fn render_page_alone(state: &AppState, page: &Article, preview: bool) -> Result<HttpResponse, AppError> {
    let meta = page_meta(state, page, ArticleKind::Page.path(&page.slug));
    let mut context = Context::new();
    context.insert("page", page);
    context.insert("preview", &preview);
    state.page("page.html", &meta, context)
}

/// What a page says about itself in `<head>`, at `path`.
pub fn page_meta(state: &AppState, page: &Article, path: String) -> PageMeta {
    let data = serde_json::json!({
        "@context": "https://schema.org",
        "@type": if page.slug == "about" { "AboutPage" } else { "WebPage" },
        "name": page.title,
        "description": page.summary,
        "url": format!("{}{path}", state.base_url()),
        "inLanguage": state.settings.site.language,
        "dateModified": page.modified().rfc3339,
    });
    PageMeta::new(page.title.clone(), page.summary.clone(), path).with_json_ld(&data)
}
