use actix_web::guard::GuardContext;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::error::AppError;
use crate::state::AppState;

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
    super::post::render_page_alone(&state, unpublished.ok_or(AppError::NotFound)?, true)
}
