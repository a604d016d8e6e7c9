use actix_web::{web, HttpResponse};
use serde_json::json;
use tera::Context;

use crate::content::Article;
use crate::error::AppError;
use crate::state::{AppState, PageMeta};

/// `GET /posts/{slug}`: one article.
pub async fn show(state: web::Data<AppState>, slug: web::Path<String>) -> Result<HttpResponse, AppError> {
    let library = state.library();
    let article = library.get(&slug).ok_or(AppError::NotFound)?;
    let (older, newer) = library.neighbours(&slug);
    let cards = super::cards(&state, &[article]).await?;

    let meta = PageMeta {
        og_type: "article",
        ..PageMeta::new(article.title.clone(), article.summary.clone(), format!("/posts/{}", article.slug))
    }
    .with_json_ld(&structured_data(&state, article));

    let mut context = Context::new();
    context.insert("article", article.as_ref());
    context.insert("comment_count", &cards.first().map_or(0, |c| c.comment_count));
    context.insert("older", &older);
    context.insert("newer", &newer);
    state.page("post.html", &meta, context)
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
