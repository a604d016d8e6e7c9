use actix_web::guard::GuardContext;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;
use tera::Context;

use crate::content::{Article, ArticleKind};
use crate::error::AppError;
use crate::state::{AppState, PageMeta};

/// Whether the request's path `/{slug}` names a published page. The page
/// route answers only then, so that every other address still reaches the
/// not-found service.
pub fn is_page(context: &GuardContext<'_>) -> bool {
    let Some(state) = context.app_data::<web::Data<AppState>>() else { return false };
    let slug =
        percent_encoding::percent_decode_str(context.head().uri.path().trim_start_matches('/')).decode_utf8_lossy();
    let library = state.library();
    let signed_in = context.head().headers().get_all(actix_web::http::header::COOKIE).any(|cookie| {
        cookie.to_str().is_ok_and(|text| text.split(';').any(|pair| pair.trim_start().starts_with("hb_session=")))
    });
    library.page_at(&slug).is_some() || (signed_in && library.unpublished_page(&slug).is_some())
}

/// `GET /{slug}`: a page such as `/about`; with its comments when it has
/// any (an imported page may), shown as an article's are.
pub async fn show(
    state: web::Data<AppState>,
    request: HttpRequest,
    session: crate::auth::TypedSession,
    query: web::Query<super::post::ShowQuery>,
) -> Result<HttpResponse, AppError> {
    let library = state.library();
    let slug = request.match_info().get("slug").unwrap_or_default().to_owned();
    if library.page_at(&slug).is_some() {
        return super::post::show_page(state, request, session, &slug, 1, query.into_inner()).await;
    }
    let unpublished = super::post::unpublished(&state, &session, library.unpublished_page(&slug)).await?;
    render_alone(&state, unpublished.ok_or(AppError::NotFound)?, true)
}

/// A page without comments; `preview` when it is not published.
pub fn render_alone(state: &AppState, page: &Article, preview: bool) -> Result<HttpResponse, AppError> {
    let meta = meta(state, page, ArticleKind::Page.path(&page.slug));
    let mut context = Context::new();
    context.insert("page", page);
    context.insert("preview", &preview);
    state.page("page.html", &meta, context)
}

/// What a page says about itself in `<head>`, at `path`.
pub fn meta(state: &AppState, page: &Article, path: String) -> PageMeta {
    let data = json!({
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
