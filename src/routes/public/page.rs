use actix_web::guard::GuardContext;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;
use tera::Context;

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

/// `GET /{slug}`: a page such as `/about`, without comments.
pub async fn show(
    state: web::Data<AppState>,
    request: HttpRequest,
    session: crate::auth::TypedSession,
) -> Result<HttpResponse, AppError> {
    let library = state.library();
    let slug = request.match_info().get("slug").unwrap_or_default();
    let (page, preview) = match library.page_at(slug) {
        Some(page) => (page, false),
        None => {
            let unpublished = super::post::unpublished(&state, &session, library.unpublished_page(slug)).await?;
            (unpublished.ok_or(AppError::NotFound)?, true)
        }
    };
    let path = format!("/{}", page.slug);
    let data = json!({
        "@context": "https://schema.org",
        "@type": if page.slug == "about" { "AboutPage" } else { "WebPage" },
        "name": page.title,
        "description": page.summary,
        "url": format!("{}{path}", state.base_url()),
        "inLanguage": state.settings.site.language,
        "dateModified": page.modified().rfc3339,
    });
    let meta = PageMeta::new(page.title.clone(), page.summary.clone(), path).with_json_ld(&data);
    let mut context = Context::new();
    context.insert("page", page.as_ref());
    context.insert("preview", &preview);
    state.page("page.html", &meta, context)
}
