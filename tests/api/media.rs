//! Pictures from the desk: uploaded with a plain form, stripped of their
//! metadata and turned upright, served at every size from the database (by
//! any instance), shown in articles with every size named, and hostile
//! files refused.

use std::io::Cursor;

use image::{ImageEncoder, Rgb, RgbImage};

use crate::admin::instances::second_instance;
use crate::admin::{create_user, AUTHOR, DISPLAY, PASSWORD};
use crate::admin::{
    desk_token, fields, flash, location, log_entries, sign_in, signed_in_app, spawn_app_keeping_settings,
};
use crate::helpers::{field_error, input_value, read, Page, TestApp};

/// A `width` × `height` JPEG whose left half is red and right half blue.
pub(crate) fn two_colour_jpeg(width: u32, height: u32) -> Vec<u8> {
    let picture =
        RgbImage::from_fn(width, height, |x, _| if x < width / 2 { Rgb([220, 20, 20]) } else { Rgb([20, 20, 220]) });
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 90)
        .write_image(picture.as_raw(), width, height, image::ExtendedColorType::Rgb8)
        .expect("a JPEG");
    bytes
}

/// The same JPEG with an EXIF block as a phone writes one: "turn me 90°
/// clockwise" and the GPS position (latitude 48° 51′ N).
pub(crate) fn phone_photo(width: u32, height: u32) -> Vec<u8> {
    let jpeg = two_colour_jpeg(width, height);
    let mut tiff: Vec<u8> = b"II*\0\x08\0\0\0".to_vec();
    // IFD0: Orientation = 6, GPS IFD at 38.
    tiff.extend_from_slice(&2u16.to_le_bytes());
    tiff.extend_from_slice(&[0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0]);
    tiff.extend_from_slice(&[0x25, 0x88, 4, 0, 1, 0, 0, 0, 38, 0, 0, 0]);
    tiff.extend_from_slice(&0u32.to_le_bytes());
    // GPS IFD: GPSLatitudeRef "N", GPSLatitude 48/1 51/1 0/1 (at 74).
    tiff.extend_from_slice(&2u16.to_le_bytes());
    tiff.extend_from_slice(&[0x01, 0x00, 2, 0, 2, 0, 0, 0, b'N', 0, 0, 0]);
    tiff.extend_from_slice(&[0x02, 0x00, 5, 0, 3, 0, 0, 0, 68, 0, 0, 0]);
    tiff.extend_from_slice(&0u32.to_le_bytes());
    assert_eq!(tiff.len(), 68);
    for (numerator, denominator) in [(48u32, 1u32), (51, 1), (0, 1)] {
        tiff.extend_from_slice(&numerator.to_le_bytes());
        tiff.extend_from_slice(&denominator.to_le_bytes());
    }
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut photo = jpeg[..2].to_vec();
    photo.extend_from_slice(&[0xFF, 0xE1]);
    photo.extend_from_slice(&u16::try_from(app1.len() + 2).expect("a short segment").to_be_bytes());
    photo.extend_from_slice(&app1);
    photo.extend_from_slice(&jpeg[2..]);
    photo
}

pub(crate) fn exif_of(bytes: &[u8]) -> Option<exif::Exif> {
    exif::Reader::new().read_from_container(&mut Cursor::new(bytes)).ok()
}

/// A multipart form body and its content type.
pub(crate) fn multipart(texts: &[(&str, &str)], files: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----healthblog-test-boundary-7d1f";
    let mut body = Vec::new();
    for (name, value) in texts {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    for (file_name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: image/jpeg\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload_to(
    app: &TestApp,
    address: &str,
    token: &str,
    alt: &str,
    caption: &str,
    files: &[(&str, &[u8])],
) -> Page {
    let (content_type, body) = multipart(&[("csrf_token", token), ("alt", alt), ("caption", caption)], files);
    let response = app
        .client
        .post(format!("{address}/admin/media"))
        .header(reqwest::header::CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await
        .expect("POST succeeds");
    read(response).await
}

pub(crate) async fn upload(app: &TestApp, alt: &str, files: &[(&str, &[u8])]) -> Page {
    let token = desk_token(app).await;
    upload_to(app, &app.address, &token, alt, "", files).await
}

/// The hash of the one stored picture.
fn stored_hashes(app: &TestApp) -> Vec<String> {
    app.with_db(healthblog::db::media::list).expect("the pictures").into_iter().map(|p| p.hash).collect()
}

struct Fetched {
    status: u16,
    headers: reqwest::header::HeaderMap,
    bytes: Vec<u8>,
}

async fn fetch(client: &reqwest::Client, url: &str, etag: Option<&str>) -> Fetched {
    let mut request = client.get(url);
    if let Some(etag) = etag {
        request = request.header(reqwest::header::IF_NONE_MATCH, etag);
    }
    let response = request.send().await.expect("GET succeeds");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    Fetched { status, headers, bytes: response.bytes().await.expect("a body").to_vec() }
}

/// The `/media/…` addresses named in `html`.
fn media_addresses(html: &str) -> Vec<String> {
    let mut found: Vec<String> = html
        .match_indices("/media/")
        .map(|(at, _)| {
            let rest = &html[at..];
            let end = rest.find(['"', ' ', ',', ')']).unwrap_or(rest.len());
            rest[..end].to_owned()
        })
        .collect();
    found.sort();
    found.dedup();
    found
}

#[tokio::test]
async fn a_phone_photo_uploaded_without_javascript_is_upright_without_location_and_served_at_every_size() {
    let (app, _) = signed_in_app().await;
    let photo = phone_photo(2000, 1000);
    let exif = exif_of(&photo).expect("the test photo carries EXIF");
    assert!(exif.get_field(exif::Tag::GPSLatitudeRef, exif::In::PRIMARY).is_some(), "and a GPS position");
    assert!(exif.get_field(exif::Tag::Orientation, exif::In::PRIMARY).is_some(), "and an orientation");

    let uploaded = upload(&app, "A red and blue card", &[("IMG_0001.jpg", &photo)]).await;
    assert_eq!(uploaded.status, 303, "the upload is taken:\n{}", uploaded.body);
    assert_eq!(location(&uploaded), "/admin/media");
    let message = flash(&app.get("/admin/media").await).unwrap_or_default();
    let hash = stored_hashes(&app).pop().expect("one picture stored");
    assert!(message.contains(&format!("![A red and blue card](/media/{hash}-960.jpg)")), "{message}");
    assert!(log_entries(&app).iter().any(|e| e.action == "media-upload"), "the upload is in the log");

    let library = app.get("/admin/media").await;
    library.assert_contains(&[
        "IMG_0001.jpg",
        "1000 × 2000 px",
        "A red and blue card",
        &format!("/media/{hash}-480.jpg"),
    ]);
    // The space it takes: every size, in both formats, counted by the database.
    let variants = app.with_db(|conn| healthblog::db::media::variants_of(conn, &hash)).expect("the sizes");
    let stored: usize = variants.iter().map(|v| v.bytes.len()).sum();
    library.assert_contains(&[&format!("{} KB stored", stored.div_ceil(1024))]);

    // Upright: 2000 × 1000 held sideways is 1000 wide and 2000 tall, red on top.
    for width in [480u32, 960, 1000] {
        let url = format!("{}/media/{hash}-{width}.jpg", app.address);
        let served = fetch(&app.stranger(), &url, None).await;
        assert_eq!(served.status, 200, "{url}");
        assert_eq!(served.headers["content-type"], "image/jpeg");
        assert_eq!(served.headers["cache-control"], "public, max-age=31536000, immutable");
        assert!(exif_of(&served.bytes).is_none(), "no EXIF left in the {width}-px size");
        assert!(!served.bytes.windows(4).any(|w| w == b"Exif"), "no EXIF block at all");
        let picture = image::load_from_memory(&served.bytes).expect("a picture").to_rgb8();
        assert_eq!((picture.width(), picture.height()), (width, width * 2), "upright");
        let top = picture.get_pixel(width / 2, width / 2);
        let bottom = picture.get_pixel(width / 2, width * 3 / 2);
        assert!(top[0] > 150 && top[2] < 100, "red on top: {top:?}");
        assert!(bottom[2] > 150 && bottom[0] < 100, "blue below: {bottom:?}");

        let etag = served.headers["etag"].to_str().expect("an ETag").to_owned();
        let again = fetch(&app.stranger(), &url, Some(&etag)).await;
        assert_eq!(again.status, 304, "revalidation answers 304");
        assert!(again.bytes.is_empty());
        // Read again, now from memory (in front of the session and compression
        // layers): the same bytes with the same headers.
        let from_memory = fetch(&app.stranger(), &url, None).await;
        assert_eq!(from_memory.bytes, served.bytes);
        for name in ["content-type", "cache-control", "etag", "x-content-type-options", "content-security-policy"] {
            assert_eq!(from_memory.headers.get(name), served.headers.get(name), "{name}");
        }
    }
    assert_eq!(fetch(&app.stranger(), &format!("{}/media/{hash}-1600.jpg", app.address), None).await.status, 404);
    assert_eq!(
        fetch(&app.stranger(), &format!("{}/media/00000000000000000000-960.jpg", app.address), None).await.status,
        404
    );
}

/// Each mistake alone: 422, its message beside its field, the other field
/// as typed, and nothing stored. (A file sent with a bad description must be
/// chosen again, and its field says so.)
#[tokio::test]
async fn without_a_description_nothing_is_stored_and_the_caption_is_kept() {
    let (app, _) = signed_in_app().await;
    let token = desk_token(&app).await;
    let picture = two_colour_jpeg(64, 64);
    const DESCRIBE: &str = "Describe the picture for readers who cannot see it";
    let long = "é".repeat(1_001);
    // (field, alt, caption, with a file, the field marked, the message beside it)
    let cases = [
        ("alt", "  ", "Taken at the clinic", true, "media-alt", DESCRIBE),
        ("alt", "", "Taken at the clinic", true, "media-alt", DESCRIBE),
        ("alt", "\t\n", "Taken at the clinic", true, "media-alt", DESCRIBE),
        (
            "alt",
            long.as_str(),
            "Taken at the clinic",
            true,
            "media-alt",
            "Keep the description to 1000 characters or fewer.",
        ),
        ("file", "A two-colour card", "Taken at the clinic", false, "media-file", "Choose a picture to upload."),
    ];
    for (field, alt, caption, with_file, marked, message) in cases {
        let files: &[(&str, &[u8])] = if with_file { &[("card.jpg", &picture)] } else { &[] };
        let refused = upload_to(&app, &app.address, &token, alt, caption, files).await;
        let case = format!("{field}: {alt:?}");
        assert_eq!(refused.status, 422, "{case}:\n{}", refused.body);
        let shown = field_error(&refused.body, marked).unwrap_or_else(|| panic!("{case}: {marked} is marked"));
        assert!(shown.contains(message), "{case}: {shown}");
        if with_file {
            assert_eq!(
                field_error(&refused.body, "media-file").as_deref(),
                Some("Choose the file again: a browser does not keep it.")
            );
        }
        assert_eq!(input_value(&refused.body, "media-caption"), caption, "{case}: the caption is kept");
        if field != "alt" {
            assert_eq!(input_value(&refused.body, "media-alt"), alt, "{case}: the description is kept");
        }
        assert!(stored_hashes(&app).is_empty(), "{case}: nothing is stored");
    }

    let forged =
        upload_to(&app, &app.address, "not-the-token", "A card", "", &[("card.jpg", &two_colour_jpeg(64, 64))]).await;
    assert_eq!(forged.status, 403);
    assert!(stored_hashes(&app).is_empty());
}

/// A PNG's chunk with its CRC.
fn png_chunk(kind: &[u8], data: &[u8]) -> Vec<u8> {
    let mut chunk = u32::try_from(data.len()).expect("short").to_be_bytes().to_vec();
    chunk.extend_from_slice(kind);
    chunk.extend_from_slice(data);
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    chunk.extend_from_slice(&crc.finalize().to_be_bytes());
    chunk
}

/// A grey PNG of `width` × `height` whose pixels are all zero: a few
/// kilobytes that unpack to `width × height` bytes.
fn zero_png(width: u32, height: u32, rows: u32) -> Vec<u8> {
    use std::io::Write;
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut header = width.to_be_bytes().to_vec();
    header.extend_from_slice(&height.to_be_bytes());
    header.extend_from_slice(&[8, 0, 0, 0, 0]);
    png.extend(png_chunk(b"IHDR", &header));
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let row = vec![0u8; width as usize + 1];
    for _ in 0..rows {
        encoder.write_all(&row).expect("compressed");
    }
    png.extend(png_chunk(b"IDAT", &encoder.finish().expect("compressed")));
    png.extend(png_chunk(b"IEND", b""));
    png
}

#[tokio::test]
async fn hostile_files_are_refused_with_their_reason_and_the_server_keeps_answering() {
    let (app, _) = signed_in_app().await;
    let jpeg = two_colour_jpeg(200, 100);
    let mut polyglot = b"GIF89a\x01\x00\x01\x00\x00\x00\x00".to_vec();
    polyglot.extend_from_slice(b"<html><script>alert(document.cookie)</script></html>");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("page.jpg", b"<!doctype html><p>hello</p>".to_vec(), "not a JPEG, PNG, WebP or GIF"),
        ("polyglot.gif", polyglot, "web page code"),
        ("cut.jpg", jpeg[..jpeg.len() * 2 / 3].to_vec(), "cut short"),
        ("huge.png", zero_png(30_000, 30_000, 1), "too large"),
        ("bomb.png", zero_png(10_000, 10_000, 10_000), "megapixels"),
    ];
    for (name, bytes, reason) in cases {
        let refused = upload(&app, "Something", &[(name, &bytes)]).await;
        assert_eq!(refused.status, 422, "{name} is refused:\n{}", refused.body);
        let error = field_error(&refused.body, "media-file").unwrap_or_default();
        assert!(error.contains(name) && error.contains(reason), "{name}: {error}");
        assert_eq!(app.get("/healthz").await.status, 200, "the server still answers after {name}");
    }
    assert!(stored_hashes(&app).is_empty(), "nothing stored");
}

#[tokio::test]
async fn a_picture_uploaded_on_one_instance_is_served_by_the_other() {
    let (a, settings) = spawn_app_keeping_settings(|_| {}).await;
    create_user(&a, AUTHOR, DISPLAY, PASSWORD);
    assert_eq!(sign_in(&a, AUTHOR, PASSWORD).await.status, 303);
    let b = second_instance(&settings).await;
    let uploaded = upload(&a, "A card", &[("card.jpg", &two_colour_jpeg(600, 300))]).await;
    assert_eq!(uploaded.status, 303, "{}", uploaded.body);
    let hash = stored_hashes(&a).pop().expect("stored");
    let on_a = fetch(&a.stranger(), &format!("{}/media/{hash}-600.jpg", a.address), None).await;
    let on_b = fetch(&a.stranger(), &format!("{b}/media/{hash}-600.jpg"), None).await;
    assert_eq!((on_a.status, on_b.status), (200, 200));
    assert_eq!(on_a.bytes, on_b.bytes, "the same bytes from both");
}

#[tokio::test]
async fn a_changed_picture_gets_a_new_address_and_the_same_one_is_stored_once() {
    let (app, _) = signed_in_app().await;
    assert_eq!(upload(&app, "A card", &[("card.jpg", &two_colour_jpeg(300, 200))]).await.status, 303);
    assert_eq!(upload(&app, "A card", &[("card.jpg", &two_colour_jpeg(300, 200))]).await.status, 303);
    assert_eq!(stored_hashes(&app).len(), 1, "the same bytes are one picture");
    assert_eq!(upload(&app, "A card", &[("card.jpg", &two_colour_jpeg(300, 202))]).await.status, 303);
    let hashes = stored_hashes(&app);
    assert_eq!(hashes.len(), 2, "a changed picture is a new one");
    assert_ne!(hashes[0], hashes[1]);
}

#[tokio::test]
async fn an_article_names_every_size_of_its_pictures_and_an_unused_picture_can_be_deleted() {
    let (app, _) = signed_in_app().await;
    let files: [(&str, &[u8]); 2] =
        [("wide.jpg", &two_colour_jpeg(1800, 900)), ("spare.jpg", &two_colour_jpeg(500, 500))];
    assert_eq!(upload(&app, "A red and blue card", &files[..1]).await.status, 303);
    let used = stored_hashes(&app).pop().expect("stored");
    assert_eq!(upload(&app, "Spare", &files[1..]).await.status, 303);
    let spare = stored_hashes(&app).into_iter().find(|h| *h != used).expect("the spare");

    let body = format!(
        "The first picture.\n\n![A red and blue card](/media/{used}-960.jpg)\n\nAnd again.\n\n![Again](/media/{used}-960.jpg)\n"
    );
    publish_article(&app, "Cards in the clinic", &body, &format!("/media/{used}-1800.jpg")).await;

    let article =
        read(app.stranger().get(format!("{}/posts/cards-in-the-clinic", app.address)).send().await.expect("GET")).await;
    assert_eq!(article.status, 200);
    let sizes = [480, 960, 1600, 1800];
    let srcset = sizes.iter().map(|w| format!("/media/{used}-{w}.jpg {w}w")).collect::<Vec<_>>().join(", ");
    article.assert_contains(&[
        &format!(r#"srcset="{srcset}""#),
        r#"width="1800" height="900""#,
        r#"decoding="async""#,
        "sizes=",
    ]);
    assert_eq!(
        article.body.matches(r#"loading="lazy""#).count(),
        1,
        "only the second picture waits:\n{}",
        article.body
    );
    for address in media_addresses(&article.body) {
        assert_eq!(fetch(&app.stranger(), &format!("{}{address}", app.address), None).await.status, 200, "{address}");
    }

    let library = app.get("/admin/media").await;
    assert!(library.body.contains("Cards in the clinic"), "where it is used:\n{}", library.body);
    let token = desk_token(&app).await;
    let kept = app.post_form(&format!("/admin/media/{used}/delete"), &fields(&[("csrf_token", &token)])).await;
    assert_eq!(kept.status, 303);
    assert!(stored_hashes(&app).contains(&used), "a picture in use stays");
    let deleted = app.post_form(&format!("/admin/media/{spare}/delete"), &fields(&[("csrf_token", &token)])).await;
    assert_eq!(deleted.status, 303);
    assert!(!stored_hashes(&app).contains(&spare), "an unused one goes");
    assert_eq!(fetch(&app.stranger(), &format!("{}/media/{spare}-480.jpg", app.address), None).await.status, 404);
}

/// Uploads a picture and publishes an article showing it twice (and as its
/// feature picture), as the author signed in on `app.client`; returns the
/// article's address.
pub async fn publish_article_with_pictures(app: &TestApp) -> String {
    let uploaded = upload(app, "A red and blue card", &[("card.jpg", &two_colour_jpeg(1200, 600))]).await;
    assert_eq!(uploaded.status, 303, "the picture is taken:\n{}", uploaded.body);
    let hash = stored_hashes(app).pop().expect("stored");
    let body = format!("Before.\n\n![A red and blue card](/media/{hash}-960.jpg)\n\nAfter.\n\n![The same card](/media/{hash}-480.jpg \"Again\")\n");
    publish_article(app, "Cards with pictures", &body, &format!("/media/{hash}-1200.jpg")).await;
    "/posts/cards-with-pictures".to_owned()
}

/// The author, signed in on `app.client`, publishes a new article with
/// `title` and `body`, and `image` (described "A card") as its feature
/// picture, through the editor's form.
async fn publish_article(app: &TestApp, title: &str, body: &str, image: &str) {
    let saved = send_article(app, "publish", title, body, image, "").await;
    assert_eq!(saved.status, 303, "published:\n{}", saved.body);
}

/// The editor's form for a new article by `author` (the site's author when
/// empty), sent with the button `action`.
async fn send_article(app: &TestApp, action: &str, title: &str, body: &str, image: &str, author: &str) -> Page {
    let token = desk_token(app).await;
    let form = fields(&[
        ("csrf_token", &token),
        ("base_revision", ""),
        ("action", action),
        ("title", title),
        ("body", body),
        ("comments", "on"),
        ("image", image),
        ("image_alt", "A card"),
        ("author", author),
    ]);
    app.post_form("/admin/articles", &form).await
}

/// The first `<picture>…</picture>` of a page.
fn first_picture(html: &str) -> &str {
    let start = html.find("<picture").expect("a <picture>");
    let end = start + html[start..].find("</picture>").expect("its end") + "</picture>".len();
    &html[start..end]
}

#[tokio::test]
async fn the_desks_preview_shows_a_picture_at_every_size_as_readers_will_see_it() {
    let (app, _) = signed_in_app().await;
    let uploaded = upload(&app, "A red and blue card", &[("card.jpg", &two_colour_jpeg(1200, 600))]).await;
    assert_eq!(uploaded.status, 303, "the picture is taken:\n{}", uploaded.body);
    let hash = stored_hashes(&app).pop().expect("stored");
    let body = format!("Before.\n\n![A red and blue card](/media/{hash}-960.jpg)\n\nAfter.\n");
    let image = format!("/media/{hash}-1200.jpg");

    let previewed = send_article(&app, "preview", "Cards in preview", &body, &image, AUTHOR).await;
    assert_eq!(previewed.status, 200, "{}", previewed.body);
    let srcset = [480, 960, 1200].map(|w| format!("/media/{hash}-{w}.jpg {w}w")).join(", ");
    let byline = format!("<span class=\"author\">{DISPLAY}</span>");
    previewed.assert_contains(&[&srcset, "width=\"1200\" height=\"600\"", &byline]);

    let saved = send_article(&app, "publish", "Cards in preview", &body, &image, AUTHOR).await;
    assert_eq!(saved.status, 303, "published:\n{}", saved.body);
    let published = app.get("/posts/cards-in-preview").await;
    published.assert_contains(&[&byline]);
    assert_eq!(first_picture(&previewed.body), first_picture(&published.body), "the same picture, the same sizes");
}

#[tokio::test]
async fn a_photo_gets_a_smaller_webp_at_every_size_named_in_the_articles_picture() {
    let (app, _) = signed_in_app().await;
    let path = publish_article_with_pictures(&app).await;
    let hash = stored_hashes(&app).pop().expect("stored");
    let widths = [480u32, 960, 1200];
    for width in widths {
        let jpeg = fetch(&app.stranger(), &format!("{}/media/{hash}-{width}.jpg", app.address), None).await;
        let url = format!("{}/media/{hash}-{width}.webp", app.address);
        let served = fetch(&app.stranger(), &url, None).await;
        assert_eq!(served.status, 200, "{url}");
        assert_eq!(served.headers["content-type"], "image/webp");
        assert!(served.bytes.len() < jpeg.bytes.len(), "the WebP is smaller than the JPEG at {width} px");
        assert!(!served.bytes.windows(4).any(|w| w == b"EXIF" || w == b"XMP "), "no metadata chunk");
        let picture = image::load_from_memory_with_format(&served.bytes, image::ImageFormat::WebP)
            .expect("a WebP picture")
            .to_rgb8();
        assert_eq!((picture.width(), picture.height()), (width, width / 2));
        let (left, right) = (picture.get_pixel(width / 4, width / 4), picture.get_pixel(width * 3 / 4, width / 4));
        assert!(left[0] > 150 && left[2] < 100, "red on the left: {left:?}");
        assert!(right[2] > 150 && right[0] < 100, "blue on the right: {right:?}");
    }
    let article = read(app.stranger().get(format!("{}{path}", app.address)).send().await.expect("GET")).await;
    let srcset = widths.iter().map(|w| format!("/media/{hash}-{w}.webp {w}w")).collect::<Vec<_>>().join(", ");
    article.assert_contains(&[&format!(r#"<picture><source type="image/webp" srcset="{srcset}""#)]);
}

#[tokio::test]
async fn the_feature_picture_is_on_the_article_its_card_and_open_graph_at_mid_size() {
    let (app, _) = signed_in_app().await;
    let path = publish_article_with_pictures(&app).await;
    let hash = stored_hashes(&app).pop().expect("stored");
    let article = read(app.stranger().get(format!("{}{path}", app.address)).send().await.expect("GET")).await;
    article.assert_contains(&[
        &format!(r#"<img class="post-image" src="/media/{hash}-960.jpg" alt="A card" width="960" height="480""#),
        &format!(r#"<meta property="og:image" content="http://blog.test/media/{hash}-960.jpg">"#),
        &format!(r#""image":"http://blog.test/media/{hash}-960.jpg""#),
    ]);
    let home = read(app.stranger().get(format!("{}/", app.address)).send().await.expect("GET")).await;
    home.assert_contains(&[&format!(r#"<img class="card-image" src="/media/{hash}-960.jpg" alt="A card""#)]);
    let feed = read(app.stranger().get(format!("{}/feed.xml", app.address)).send().await.expect("GET")).await;
    assert!(
        feed.body.contains(&format!("http://blog.test/media/{hash}-960.jpg")),
        "absolute in the feed:\n{}",
        feed.body
    );
}

#[tokio::test]
async fn the_editors_script_is_told_the_markdown_or_each_reason_as_json() {
    let (app, _) = signed_in_app().await;
    let token = desk_token(&app).await;
    let send = async |alt: &str, file: (&str, &[u8])| {
        let (content_type, body) = multipart(&[("csrf_token", &token), ("alt", alt)], &[file]);
        let response = app
            .client
            .post(format!("{}/admin/media", app.address))
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .header(reqwest::header::ACCEPT, "application/json")
            .body(body)
            .send()
            .await
            .expect("POST succeeds");
        let status = response.status().as_u16();
        let text = response.text().await.expect("an answer");
        (
            status,
            serde_json::from_str::<serde_json::Value>(&text)
                .unwrap_or_else(|e| panic!("a JSON answer ({e}): {status} {text}")),
        )
    };
    let jpeg = two_colour_jpeg(64, 64);
    let (status, answer) = send(" ", ("card.jpg", &jpeg)).await;
    assert_eq!(status, 422);
    assert!(answer["errors"]["alt"].as_str().is_some_and(|e| e.contains("Describe the picture")), "{answer}");
    assert!(answer["errors"]["file"].is_null(), "the file need not be chosen again: {answer}");
    let (status, answer) = send("A note", ("note.jpg", b"<html><script>alert(1)</script>")).await;
    assert_eq!(status, 422);
    assert!(answer["errors"]["file"].as_str().is_some_and(|e| e.contains("note.jpg: ")), "{answer}");
    assert!(stored_hashes(&app).is_empty());
    let (status, answer) = send("A card", ("card.jpg", &jpeg)).await;
    assert_eq!(status, 200);
    let hash = stored_hashes(&app).pop().expect("stored");
    assert_eq!(answer["markdown"], format!("![A card](/media/{hash}-64.jpg)"));
}

/// A `width` × `height` PNG whose left half is green and right half white:
/// a drawing, which also gets WebP sizes.
fn two_colour_png(width: u32, height: u32) -> Vec<u8> {
    let picture =
        RgbImage::from_fn(width, height, |x, _| if x < width / 2 { Rgb([20, 140, 60]) } else { Rgb([250, 250, 250]) });
    let mut bytes = Vec::new();
    image::codecs::png::PngEncoder::new(&mut bytes)
        .write_image(picture.as_raw(), width, height, image::ExtendedColorType::Rgb8)
        .expect("a PNG");
    bytes
}

/// Gives the editor's text `text` with the cursor at `cursor` (in
/// characters), then pastes (`"paste"`) or drops (`"drop"`) a file made of
/// `bytes` on it, as the browser does with a file from the clipboard or the
/// desktop. Returns whether the page took the file (cancelled the event).
async fn give_the_editor_a_file(
    browser: &crate::helpers::Browser,
    text: &str,
    cursor: usize,
    how: &str,
    name: &str,
    bytes: &[u8],
) -> bool {
    let taken = browser
        .client
        .execute(
            "const [text, cursor, how, name, bytes] = arguments;
             const body = document.getElementById('body');
             body.focus();
             body.value = text;
             body.setSelectionRange(cursor, cursor);
             const transfer = new DataTransfer();
             const type = name.endsWith('.png') ? 'image/png' : 'image/jpeg';
             transfer.items.add(new File([new Uint8Array(bytes)], name, { type }));
             const event = how === 'paste'
                 ? new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true })
                 : new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true });
             return !body.dispatchEvent(event);",
            vec![text.into(), cursor.into(), how.into(), name.into(), serde_json::json!(bytes)],
        )
        .await
        .expect("the script runs");
    taken.as_bool().expect("a boolean")
}

/// A fresh site and Chromium signed in to its desk.
async fn desk_in_chromium() -> (crate::helpers::TestApp, crate::helpers::Browser) {
    let app = crate::helpers::spawn_app().await;
    create_user(&app, AUTHOR, DISPLAY, PASSWORD);
    let browser = crate::helpers::Browser::open().await;
    browser.sign_in(&app, AUTHOR, PASSWORD).await;
    (app, browser)
}

#[tokio::test]
async fn a_picture_pasted_in_a_new_article_is_described_uploaded_and_put_at_the_cursor_in_chromium() {
    use fantoccini::Locator;
    crate::helpers::require!("TEST_WEBDRIVER_URL");
    let (app, browser) = desk_in_chromium().await;
    let client = &browser.client;
    client.goto(&format!("{}/admin/articles/new", app.address)).await.expect("the editor opens");
    let hint = client.find(Locator::Id("pictures-hint-scripted")).await.expect("the hint");
    assert!(hint.is_displayed().await.expect("shown"), "no need to save first with the script");
    assert!(!client.find(Locator::Id("pictures-hint")).await.expect("the hint").is_displayed().await.expect("hidden"));

    let text = "Magnesium helps many people.\n\nAsk your doctor first.";
    let cursor = "Magnesium helps many people.\n\n".len();
    assert!(give_the_editor_a_file(&browser, text, cursor, "paste", "chart.png", &two_colour_png(1200, 600)).await);
    let alt = client.wait().for_element(Locator::Css("dialog[open] #picture-alt")).await.expect("the dialog asks");
    assert_eq!(browser.eval("return document.activeElement.id").await, "picture-alt", "the keyboard is in it");
    alt.send_keys("A chart of headache days").await.expect("typing");
    client.find(Locator::Css("dialog[open] button[type=submit]")).await.expect("Upload").click().await.expect("click");
    client
        .wait()
        .for_element(Locator::XPath("//p[@id='picture-note-status'][contains(., 'is in the text')]"))
        .await
        .expect("the upload is done");

    let hash = stored_hashes(&app).pop().expect("the picture is in the library");
    let written = browser.eval("return document.getElementById('body').value").await;
    assert_eq!(
        written.as_str().expect("the text"),
        format!("Magnesium helps many people.\n\n![A chart of headache days](/media/{hash}-960.png)\n\nAsk your doctor first."),
    );
    let library = app.with_db(healthblog::db::media::list).expect("the pictures");
    assert_eq!((library[0].name.as_str(), library[0].alt.as_str()), ("chart.png", "A chart of headache days"));

    client.find(Locator::Id("title")).await.expect("a title field").send_keys("Headache days").await.expect("typing");
    client
        .find(Locator::Css("#article-form button[value=publish]"))
        .await
        .expect("Publish")
        .click()
        .await
        .expect("publish");
    client.wait().for_element(Locator::Css(".article-status")).await.expect("the article is saved");
    let article =
        read(app.stranger().get(format!("{}/posts/headache-days", app.address)).send().await.expect("GET")).await;
    assert_eq!(article.status, 200, "{}", article.body);
    article.assert_contains(&[
        &format!(
            r#"<picture><source type="image/webp" srcset="/media/{hash}-480.webp 480w, /media/{hash}-960.webp 960w"#
        ),
        &format!(r#"srcset="/media/{hash}-480.png 480w, /media/{hash}-960.png 960w"#),
        r#"alt="A chart of headache days""#,
    ]);
    browser.close().await;
}

#[tokio::test]
async fn a_picture_dropped_without_a_description_is_not_uploaded_and_the_editor_says_why_in_chromium() {
    use fantoccini::Locator;
    crate::helpers::require!("TEST_WEBDRIVER_URL", "TEST_AXE_JS");
    let (app, browser) = desk_in_chromium().await;
    let client = &browser.client;
    client.goto(&format!("{}/admin/articles/1", app.address)).await.expect("the editor opens");
    let text = "A text that must not be lost.";
    assert!(give_the_editor_a_file(&browser, text, 2, "drop", "photo.jpg", &two_colour_jpeg(640, 480)).await);
    client.wait().for_element(Locator::Css("dialog[open] #picture-alt")).await.expect("the dialog asks");
    client.find(Locator::Css("dialog[open] button[type=submit]")).await.expect("Upload").click().await.expect("click");
    let error = client.find(Locator::Id("picture-alt-error")).await.expect("the reason");
    assert!(error.text().await.expect("its text").contains("without a description it is not uploaded"));
    assert_eq!(browser.eval("return document.activeElement.getAttribute('aria-invalid')").await, "true");

    // The dialog, with its error, passes axe too.
    let axe = std::fs::read_to_string(std::env::var("TEST_AXE_JS").expect("axe")).expect("axe.min.js is readable");
    let problems = crate::accessibility::violations(&browser, &axe).await;
    assert!(problems.is_empty(), "accessibility problems:\n{}", problems.join("\n"));

    client
        .find(Locator::Css("dialog[open] button.secondary"))
        .await
        .expect("Don't upload")
        .click()
        .await
        .expect("click");
    let note = client
        .wait()
        .for_element(Locator::XPath("//p[@id='picture-note-error'][contains(., 'Nothing was uploaded')]"))
        .await
        .expect("the editor says why");
    assert!(note.text().await.expect("its text").contains("needs a description"));
    assert_eq!(browser.eval("return document.activeElement.id").await, "body", "back in the text");
    assert_eq!(browser.eval("return document.getElementById('body').value").await, text);
    assert!(stored_hashes(&app).is_empty(), "nothing uploaded");
    browser.close().await;
}

#[tokio::test]
async fn with_javascript_the_upload_form_puts_the_picture_at_the_cursor_and_says_why_a_file_is_refused_in_chromium() {
    use fantoccini::Locator;
    crate::helpers::require!("TEST_WEBDRIVER_URL");
    let (app, browser) = desk_in_chromium().await;
    let client = &browser.client;
    let folder = tempfile::tempdir().expect("a folder");
    let notes = folder.path().join("notes.jpg");
    std::fs::write(&notes, b"Not a picture at all, only words.").expect("a file");
    let photo = folder.path().join("photo.jpg");
    std::fs::write(&photo, two_colour_jpeg(800, 400)).expect("a file");
    client.goto(&format!("{}/admin/articles/new", app.address)).await.expect("the editor opens");
    let text = "First.\n\nLast.";
    browser
        .client
        .execute(
            "const body = document.getElementById('body'); body.value = arguments[0]; body.focus();
             body.setSelectionRange(7, 7); body.blur();",
            vec![text.into()],
        )
        .await
        .expect("the script runs");

    let upload = async |file: &std::path::Path| {
        client
            .find(Locator::Id("media-file"))
            .await
            .expect("the file field")
            .send_keys(&file.display().to_string())
            .await
            .expect("chosen");
        client.find(Locator::Id("media-alt")).await.expect("the field").send_keys("A card").await.expect("typing");
        client
            .find(Locator::Css("#media-upload button[type=submit]"))
            .await
            .expect("Upload")
            .click()
            .await
            .expect("click");
    };
    upload(&notes).await;
    let refused = client
        .wait()
        .for_element(Locator::XPath("//p[@id='media-upload-note-error'][contains(., 'Nothing was uploaded')]"))
        .await
        .expect("the reason is shown");
    assert!(refused.text().await.expect("its text").contains("notes.jpg: this file is not a JPEG, PNG, WebP or GIF"));
    assert_eq!(browser.eval("return document.getElementById('body').value").await, text, "the text is kept");
    assert!(stored_hashes(&app).is_empty());

    browser.eval("document.getElementById('media-upload').reset()").await;
    upload(&photo).await;
    client
        .wait()
        .for_element(Locator::XPath("//p[@id='media-upload-note-status'][contains(., 'where the cursor was')]"))
        .await
        .expect("the upload is done");
    let hash = stored_hashes(&app).pop().expect("stored");
    assert_eq!(
        browser.eval("return document.getElementById('body').value").await,
        format!("First.\n\n![A card](/media/{hash}-800.jpg)\n\nLast."),
    );
    assert!(client.current_url().await.expect("a URL").path().ends_with("/admin/articles/new"), "still in the editor");
    browser.close().await;
}
