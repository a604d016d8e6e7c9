use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tera::Context;

use crate::auth::{signed_in_user, TypedSession};
use crate::comments::rules::Rules;
use crate::comments::thread::{self, ShownComment};
use crate::comments::visitor::{FormPurpose, Visitor};
use crate::content::{Article, Library};
use crate::db::{self, comments::Comment, users::User};
use crate::domain::{CommentStatus, MAX_BODY_CHARS};
use crate::error::AppError;
use crate::state::{AppState, PageMeta};

#[derive(Deserialize)]
pub struct ShowQuery {
    replyto: Option<String>,
}

/// `GET /posts/{slug}`: one article with its comments and the comment form.
pub async fn show(
    state: web::Data<AppState>,
    request: HttpRequest,
    session: TypedSession,
    slug: web::Path<String>,
    query: web::Query<ShowQuery>,
) -> Result<HttpResponse, AppError> {
    let library = state.library();
    let article = library.get(&slug).ok_or(AppError::NotFound)?;
    let visitor = Visitor::from_request(&request, &state.keys);
    let discussion = Discussion::load(&state, article.slug.clone(), &visitor).await?;
    let mut form = CommentForm::default();
    if let Some(parent) = query.replyto.as_deref().and_then(|id| id.parse::<i32>().ok()) {
        form.values.parent_id = parent.to_string();
    }
    let author = signed_in_user(&state.pool, &session, state.settings.session_timeouts()).await?;
    render(&state, &library, article, &discussion, visitor, author.as_ref(), form, StatusCode::OK)
}

/// What the article page shows below the article: the thread and the rules
/// that govern the form.
pub struct Discussion {
    pub comments: Vec<Comment>,
    /// The role of each staff account that wrote one of them.
    pub staff_roles: HashMap<i32, String>,
    pub rules: Rules,
}

impl Discussion {
    /// The rules and the visible comments, in two queries.
    pub async fn load(state: &AppState, slug: String, visitor: &Visitor) -> Result<Self, AppError> {
        let own = visitor.pending().to_vec();
        let (rows, stored) = db::run(&state.pool, move |conn| {
            Ok((db::comments::for_article(conn, &slug, &own)?, db::settings::load_all(conn)?))
        })
        .await?;
        let staff_roles =
            rows.iter().filter_map(|(c, role)| Some((c.user_id?, role.clone()?))).collect::<HashMap<_, _>>();
        let comments = rows.into_iter().map(|(comment, _)| comment).collect();
        Ok(Self { comments, staff_roles, rules: Rules::from_stored(&stored) })
    }

    /// An approved comment of this article that a reply may answer.
    pub fn answerable(&self, id: i32) -> Option<&Comment> {
        self.comments.iter().find(|c| c.id == id && c.status() == CommentStatus::Approved)
    }

    fn approved_count(&self) -> usize {
        self.comments.iter().filter(|c| c.status() == CommentStatus::Approved).count()
    }
}

/// Whether readers may comment on `article` under `rules`.
pub fn comments_open(article: &Article, rules: &Rules) -> bool {
    let too_old = rules.close_after_days > 0
        && (chrono::Utc::now().naive_utc() - article.published.at).num_days() > i64::from(rules.close_after_days);
    article.comments_open && !too_old
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
}

#[derive(Debug, Default, Serialize)]
pub struct CommentForm {
    pub values: CommentValues,
    /// Field name → what is wrong with it.
    pub errors: HashMap<&'static str, String>,
    /// A message about the whole form.
    pub message: Option<String>,
}

impl CommentForm {
    /// The form shown again with what is wrong with each field.
    pub fn with_errors(values: CommentValues, errors: HashMap<&'static str, String>) -> Self {
        let message = match errors.len() {
            1 => "Please correct the field marked below.".to_owned(),
            count => format!("Please correct the {count} fields marked below."),
        };
        Self { values, errors, message: Some(message) }
    }
}

#[derive(Serialize)]
struct ReplyTarget<'a> {
    id: i32,
    name: &'a str,
}

/// Renders the article page, with `form` in the comment form; a signed-in
/// `author` gets a form that publishes as the author.
#[allow(clippy::too_many_arguments)]
pub fn render(
    state: &AppState,
    library: &Library,
    article: &Article,
    discussion: &Discussion,
    visitor: Visitor,
    author: Option<&User>,
    form: CommentForm,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let (older, newer) = library.neighbours(&article.slug);
    let rules = &discussion.rules;
    let reply_to = form
        .values
        .parent_id
        .parse::<i32>()
        .ok()
        .and_then(|id| discussion.answerable(id))
        .map(|c| ReplyTarget { id: c.id, name: &c.author_name });
    let thread: Vec<ShownComment> = thread::build(&discussion.comments, &discussion.staff_roles, rules.thread_depth);

    let meta = PageMeta {
        og_type: "article",
        ..PageMeta::new(article.title.clone(), article.summary.clone(), format!("/posts/{}", article.slug))
    }
    .with_json_ld(&structured_data(state, article));

    let now = chrono::Utc::now().timestamp();
    let mut context = Context::new();
    context.insert("article", article);
    context.insert("comment_count", &discussion.approved_count());
    context.insert("older", &older);
    context.insert("newer", &newer);
    context.insert("comments", &thread);
    context.insert("comments_open", &comments_open(article, rules));
    context.insert("form", &form);
    context.insert("reply_to", &reply_to);
    context.insert("csrf_token", &visitor.form_token(&state.keys, FormPurpose::Comment, now));
    context.insert("max_body_chars", &MAX_BODY_CHARS);
    context.insert("author", &author.map(|user| user.display_name.as_str()));
    if !rules.disclaimer.is_empty() {
        context.insert("disclaimer", &rules.disclaimer);
    }
    let body = state.render("post.html", &meta, context)?;

    let mut response = HttpResponse::build(status);
    response.content_type(actix_web::http::header::ContentType::html());
    if let Some(cookie) = visitor.cookie(&state.keys, state.settings.is_https()) {
        response.cookie(cookie);
    }
    Ok(response.body(body))
}

/// schema.org data for search engines: a blog post that is also a medical
/// web page, with its review when the front matter gives one.
fn structured_data(state: &AppState, article: &Article) -> serde_json::Value {
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
    });
    if let (Some(reviewed), Some(reviewer)) = (&article.reviewed, &article.reviewed_by) {
        data["lastReviewed"] = json!(reviewed.iso_date);
        data["reviewedBy"] = json!({ "@type": "Person", "name": reviewer });
    }
    data
}
