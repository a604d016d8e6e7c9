//! The `settings` table: named values the author changes from the desk,
//! read on every request that needs them so that every instance agrees.

use std::collections::HashMap;

use diesel::prelude::*;

use super::schema::settings;
use super::{now, AnyConnection};

pub fn load_all(conn: &mut AnyConnection) -> QueryResult<HashMap<String, String>> {
    let rows: Vec<(String, String)> = settings::table.select((settings::name, settings::value)).load(conn)?;
    Ok(rows.into_iter().collect())
}

/// Stores `value` under `name`, replacing any earlier value.
pub fn save(conn: &mut AnyConnection, name: &str, value: &str) -> QueryResult<()> {
    // The rules shape public pages (the disclaimer, open comments…).
    super::change_counters::touch(conn, super::change_counters::PAGES)?;
    // Upserts are not available across both backends: update, then insert.
    let updated = diesel::update(settings::table.find(name))
        .set((settings::value.eq(value), settings::updated_at.eq(now())))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(settings::table)
            .values((settings::name.eq(name), settings::value.eq(value), settings::updated_at.eq(now())))
            .execute(conn)?;
    }
    Ok(())
}
