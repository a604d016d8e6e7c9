use actix_web::{web, HttpResponse};
use atom_syndication::{Category, Content, Entry, FixedDateTime, Link, Person, Text};

use crate::content::When;
use crate::error::AppError;
use crate::state::AppState;

/// `GET /feed.xml`: the newest published articles as Atom 1.0.
pub async fn articles(state: web::Data<AppState>) -> HttpResponse {
    let library = state.library();
    let site = &state.settings.site;
    let feed =
        ArticleFeed { title: site.title.clone(), subtitle: site.tagline.clone(), path: "/feed.xml", page: "/".into() };
    atom_response(article_feed(&state, library.articles().iter(), &feed))
}

/// `GET /tags/{tag}/feed.xml`: the newest articles with the tag.
pub async fn tag(state: web::Data<AppState>, tag: web::Path<String>) -> Result<HttpResponse, AppError> {
    let library = state.library();
    let articles = library.tagged(&tag).ok_or(AppError::NotFound)?;
    let site = &state.settings.site;
    let path = format!("/tags/{tag}/feed.xml");
    let feed = ArticleFeed {
        title: format!("{}: {tag}", site.title),
        subtitle: format!("Articles on {tag}"),
        path: &path,
        page: format!("/tags/{tag}"),
    };
    Ok(atom_response(article_feed(&state, articles.into_iter(), &feed)))
}

/// What distinguishes one article feed from another.
struct ArticleFeed<'a> {
    title: String,
    subtitle: String,
    /// The feed's own path.
    path: &'a str,
    /// The page it follows.
    page: String,
}

/// The newest `[site] feed_articles` of `articles` (newest first) as Atom.
fn article_feed<'a>(
    state: &AppState,
    articles: impl Iterator<Item = &'a std::sync::Arc<crate::content::Article>>,
    feed_info: &ArticleFeed,
) -> String {
    let base = state.base_url();
    let site = &state.settings.site;
    let author = Person { name: site.author_name.clone(), uri: Some(format!("{base}/")), ..Person::default() };
    let articles: Vec<_> = articles.take(site.feed_articles.max(1)).collect();

    let entries: Vec<Entry> = articles
        .iter()
        .map(|article| {
            let url = format!("{base}/posts/{}", article.slug);
            let mut entry = Entry::default();
            entry.set_id(url.clone());
            entry.set_title(article.title.clone());
            entry.set_links(vec![Link { href: url, ..Link::default() }]);
            entry.set_published(Some(timestamp(&article.published)));
            entry.set_updated(timestamp(article.modified()));
            entry.set_authors(vec![author.clone()]);
            entry.set_summary(Some(Text::plain(article.summary.clone())));
            entry.set_content(Some(Content {
                value: Some(absolute_pictures(article.body.as_str(), base)),
                content_type: Some("html".into()),
                ..Content::default()
            }));
            entry.set_categories(
                article
                    .tags
                    .iter()
                    .map(|tag| Category { term: tag.clone(), ..Category::default() })
                    .collect::<Vec<_>>(),
            );
            entry
        })
        .collect();

    let updated = articles
        .iter()
        .map(|a| a.modified())
        .max()
        .map_or_else(|| FixedDateTime::from(chrono::DateTime::UNIX_EPOCH), timestamp);
    let mut feed = atom_syndication::Feed::default();
    feed.set_id(format!("{base}{}", feed_info.page));
    feed.set_title(feed_info.title.clone());
    feed.set_subtitle(Some(Text::plain(feed_info.subtitle.clone())));
    feed.set_updated(updated);
    feed.set_lang(Some(site.language.clone()));
    feed.set_authors(vec![author]);
    feed.set_links(vec![
        Link {
            href: format!("{base}{}", feed_info.path),
            rel: "self".into(),
            mime_type: Some("application/atom+xml".into()),
            ..Link::default()
        },
        Link { href: format!("{base}{}", feed_info.page), mime_type: Some("text/html".into()), ..Link::default() },
    ]);
    feed.set_entries(entries);
    feed.to_string()
}

/// A moment with the site's offset: readers' feed apps show the site's time.
pub fn timestamp(when: &When) -> FixedDateTime {
    when.zoned
}

/// The article's HTML with its pictures' addresses (`src`, `srcset`) made
/// absolute: a feed reader shows the entry away from the site.
fn absolute_pictures(html: &str, base: &str) -> String {
    html.replace("=\"/media/", &format!("=\"{base}/media/")).replace(", /media/", &format!(", {base}/media/"))
}

pub fn atom_response(body: String) -> HttpResponse {
    HttpResponse::Ok().content_type("application/atom+xml; charset=utf-8").body(body)
}
