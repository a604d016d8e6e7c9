use actix_web::{web, HttpResponse};
use serde::Serialize;
use tera::Context;

use crate::error::AppError;
use crate::routes::pagination::page_of;
use crate::state::{AppState, PageMeta};

#[derive(Serialize)]
struct SitemapEntry {
    loc: String,
    lastmod: Option<String>,
}

/// Every address the sitemap lists: the home page, the archive, every tag,
/// every article and every page.
fn sitemap_entries(state: &AppState) -> Vec<SitemapEntry> {
    let library = state.library();
    let base = state.base_url();
    let newest = library.articles().iter().map(|a| a.modified()).max().map(|w| w.iso_date.clone());
    let mut entries = vec![
        SitemapEntry { loc: format!("{base}/"), lastmod: newest.clone() },
        SitemapEntry { loc: format!("{base}/archive"), lastmod: newest },
    ];
    entries.extend(library.tags().map(|(tag, _)| SitemapEntry { loc: format!("{base}/tags/{tag}"), lastmod: None }));
    entries.extend(library.articles().iter().map(|article| SitemapEntry {
        loc: format!("{base}/posts/{}", article.slug),
        lastmod: Some(article.modified().iso_date.clone()),
    }));
    entries.extend(library.pages().map(|page| SitemapEntry {
        loc: format!("{base}/{}", page.slug),
        lastmod: Some(page.modified().iso_date.clone()),
    }));
    entries
}

/// `GET /sitemap.xml`: every address of the site; past `[site]
/// sitemap_urls_per_file` addresses, an index of the sitemaps that list them.
pub async fn sitemap(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let entries = sitemap_entries(&state);
    let per_file = state.settings.site.sitemap_urls_per_file.max(1);
    if entries.len() <= per_file {
        return url_set(&state, &entries);
    }
    let base = state.base_url();
    let files: Vec<SitemapEntry> = entries
        .chunks(per_file)
        .enumerate()
        .map(|(i, chunk)| SitemapEntry {
            loc: format!("{base}/sitemap-{}.xml", i + 1),
            lastmod: chunk.iter().filter_map(|e| e.lastmod.clone()).max(),
        })
        .collect();
    let mut context = Context::new();
    context.insert("sitemaps", &files);
    let body = state.render("sitemap_index.xml", &PageMeta::default(), context)?;
    Ok(HttpResponse::Ok().content_type("application/xml; charset=utf-8").body(body))
}

/// `GET /sitemap-{n}.xml`: the `n`th part of a sitemap split by `/sitemap.xml`.
pub async fn sitemap_part(state: web::Data<AppState>, number: web::Path<String>) -> Result<HttpResponse, AppError> {
    let number = number.parse::<usize>().map_err(|_| AppError::NotFound)?;
    let entries = sitemap_entries(&state);
    let per_file = state.settings.site.sitemap_urls_per_file.max(1);
    if entries.len() <= per_file {
        return Err(AppError::NotFound);
    }
    let part = page_of(&entries, number, per_file).ok_or(AppError::NotFound)?;
    url_set(&state, part)
}

fn url_set(state: &AppState, entries: &[SitemapEntry]) -> Result<HttpResponse, AppError> {
    let mut context = Context::new();
    context.insert("entries", entries);
    let body = state.render("sitemap.xml", &PageMeta::default(), context)?;
    Ok(HttpResponse::Ok().content_type("application/xml; charset=utf-8").body(body))
}

/// `GET /robots.txt`.
pub async fn robots(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; charset=utf-8").body(format!(
        "User-agent: *\nDisallow: /admin\nDisallow: /search\n\nSitemap: {}/sitemap.xml\n",
        state.base_url()
    ))
}

/// `GET /manifest.webmanifest`: the site's name, colours and icon, for a
/// phone's "add to home screen".
pub async fn manifest(state: web::Data<AppState>) -> HttpResponse {
    let site = &state.settings.site;
    let manifest = serde_json::json!({
        "name": site.title,
        "short_name": site.title,
        "description": site.description,
        "lang": site.language,
        "start_url": "/",
        "display": "browser",
        "background_color": "#ffffff",
        "theme_color": "#073f54",
        "icons": [{ "src": "/static/favicon.svg", "sizes": "any", "type": "image/svg+xml" }],
    });
    HttpResponse::Ok().content_type("application/manifest+json").body(manifest.to_string())
}
