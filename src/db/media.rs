//! The pictures (`media`) and their sizes (`media_variants`), the bytes in
//! the database so that every instance serves every picture.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{media, media_variants};
use super::AnyConnection;
use crate::media::process::Processed;
use crate::media::{Address, Catalog, Format, Sizes};

/// A picture as the media library lists it.
#[derive(Clone, Debug, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = media)]
pub struct Picture {
    pub hash: String,
    pub name: String,
    pub alt: String,
    pub caption: String,
    pub ext: String,
    pub width: i32,
    pub height: i32,
    pub uploaded_bytes: i64,
    pub uploaded_by: String,
    pub uploaded_at: NaiveDateTime,
}

/// What the uploader says about a picture.
#[derive(Clone, Debug, Default)]
pub struct Description {
    pub name: String,
    pub alt: String,
    pub caption: String,
    pub uploaded_by: String,
    pub uploaded_bytes: i64,
}

/// Stores a processed picture and all its variants, unless the same bytes
/// were stored before; returns whether it was new.
pub fn insert(conn: &mut AnyConnection, picture: &Processed, description: &Description) -> QueryResult<bool> {
    let known = media::table.find(&picture.hash).count().get_result::<i64>(conn)? > 0;
    if known {
        return Ok(false);
    }
    diesel::insert_into(media::table)
        .values((
            media::hash.eq(&picture.hash),
            media::name.eq(&description.name),
            media::alt.eq(&description.alt),
            media::caption.eq(&description.caption),
            media::ext.eq(picture.format.ext()),
            media::width.eq(to_i32(picture.width)),
            media::height.eq(to_i32(picture.height)),
            media::uploaded_bytes.eq(description.uploaded_bytes),
            media::uploaded_by.eq(&description.uploaded_by),
            media::uploaded_at.eq(super::now()),
        ))
        .execute(conn)?;
    for variant in &picture.variants {
        diesel::insert_into(media_variants::table)
            .values((
                media_variants::hash.eq(&picture.hash),
                media_variants::width.eq(to_i32(variant.width)),
                media_variants::ext.eq(variant.format.ext()),
                media_variants::height.eq(to_i32(variant.height)),
                media_variants::bytes.eq(&variant.bytes),
            ))
            .execute(conn)?;
    }
    Ok(true)
}

fn to_i32(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// The bytes of one variant. They are kept in the cache of most-read
/// sizes, so SQLite's copy of their pages is let go.
pub fn variant_bytes(conn: &mut AnyConnection, address: &Address) -> QueryResult<Option<Vec<u8>>> {
    let bytes = media_variants::table
        .filter(media_variants::hash.eq(&address.hash))
        .filter(media_variants::width.eq(to_i32(address.width)))
        .filter(media_variants::ext.eq(address.format.ext()))
        .select(media_variants::bytes)
        .first::<Vec<u8>>(conn)
        .optional()?;
    super::let_go_of_read_pages(conn)?;
    Ok(bytes)
}

/// Every picture, newest first, with the bytes its variants take.
pub fn list(conn: &mut AnyConnection) -> QueryResult<Vec<Picture>> {
    media::table.order((media::uploaded_at.desc(), media::hash)).select(Picture::as_select()).load(conn)
}

pub fn find(conn: &mut AnyConnection, hash: &str) -> QueryResult<Option<Picture>> {
    media::table.find(hash).select(Picture::as_select()).first(conn).optional()
}

/// Every picture's size and variants, for rendering the articles.
pub fn catalog(conn: &mut AnyConnection) -> QueryResult<Catalog> {
    let pictures = media::table.select((media::hash, media::width, media::height)).load::<(String, i32, i32)>(conn)?;
    let variants = media_variants::table
        .select((media_variants::hash, media_variants::width, media_variants::height, media_variants::ext))
        .load::<(String, i32, i32, String)>(conn)?;
    let mut sizes: HashMap<String, Sizes> = pictures
        .into_iter()
        .map(|(hash, width, height)| {
            let sizes = Sizes { width: width.unsigned_abs(), height: height.unsigned_abs(), variants: Vec::new() };
            (hash, sizes)
        })
        .collect();
    for (hash, width, height, ext) in variants {
        if let (Some(sizes), Some(format)) = (sizes.get_mut(&hash), Format::from_ext(&ext)) {
            sizes.variants.push((width.unsigned_abs(), height.unsigned_abs(), format));
        }
    }
    // Each variant's row starts on a page of its own: with many pictures the
    // list above read as many pages, which no page needs again.
    super::let_go_of_read_pages(conn)?;
    Ok(Catalog::new(sizes))
}

diesel::define_sql_function! {
    /// The number of bytes of a BLOB (SQLite) or a `bytea` (PostgreSQL).
    #[sql_name = "length"]
    fn byte_length(x: diesel::sql_types::Binary) -> diesel::sql_types::Integer;
}

/// The total bytes of each picture's variants, by hash, counted by the
/// database: the bytes themselves are not read.
pub fn stored_bytes(conn: &mut AnyConnection) -> QueryResult<HashMap<String, i64>> {
    let rows = media_variants::table
        .group_by(media_variants::hash)
        .select((media_variants::hash, diesel::dsl::sum(byte_length(media_variants::bytes))))
        .load::<(String, Option<i64>)>(conn)?;
    Ok(rows.into_iter().map(|(hash, total)| (hash, total.unwrap_or(0))).collect())
}

pub fn set_description(conn: &mut AnyConnection, hash: &str, alt: &str, caption: &str) -> QueryResult<usize> {
    diesel::update(media::table.find(hash)).set((media::alt.eq(alt), media::caption.eq(caption))).execute(conn)
}

/// Removes a picture and its variants.
pub fn delete(conn: &mut AnyConnection, hash: &str) -> QueryResult<usize> {
    diesel::delete(media_variants::table.filter(media_variants::hash.eq(hash))).execute(conn)?;
    diesel::delete(media::table.find(hash)).execute(conn)
}

/// One variant with its bytes, as a backup writes it.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = media_variants)]
pub struct StoredVariant {
    pub hash: String,
    pub width: i32,
    pub ext: String,
    pub height: i32,
    pub bytes: Vec<u8>,
}

/// The variants of one picture.
pub fn variants_of(conn: &mut AnyConnection, hash: &str) -> QueryResult<Vec<StoredVariant>> {
    media_variants::table
        .filter(media_variants::hash.eq(hash))
        .order((media_variants::width.desc(), media_variants::ext))
        .select(StoredVariant::as_select())
        .load(conn)
}
