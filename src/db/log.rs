//! The moderation log: every moderation action and sign-in. The desk never
//! deletes from it.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::moderation_log;
use super::{now, AnyConnection};

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = moderation_log)]
pub struct LogEntry {
    pub id: i32,
    pub user_id: Option<i32>,
    pub actor: String,
    pub action: String,
    pub comment_id: Option<i32>,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub detail: String,
    pub created_at: NaiveDateTime,
}

/// One entry to write.
#[derive(Debug, Default, Insertable)]
#[diesel(table_name = moderation_log)]
pub struct NewLogEntry {
    pub user_id: Option<i32>,
    pub actor: String,
    pub action: String,
    pub comment_id: Option<i32>,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub detail: String,
    pub created_at: NaiveDateTime,
}

impl NewLogEntry {
    pub fn new(user_id: Option<i32>, actor: &str, action: &str) -> Self {
        Self { user_id, actor: actor.to_owned(), action: action.to_owned(), created_at: now(), ..Self::default() }
    }

    pub fn comment(mut self, id: i32, from: Option<&str>, to: Option<&str>) -> Self {
        self.comment_id = Some(id);
        self.from_status = from.map(str::to_owned);
        self.to_status = to.map(str::to_owned);
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }
}

pub fn write(conn: &mut AnyConnection, entry: &NewLogEntry) -> QueryResult<()> {
    diesel::insert_into(moderation_log::table).values(entry).execute(conn).map(|_| ())
}

/// A page of entries, newest first.
pub fn page(conn: &mut AnyConnection, offset: i64, limit: i64) -> QueryResult<Vec<LogEntry>> {
    moderation_log::table
        .order((moderation_log::created_at.desc(), moderation_log::id.desc()))
        .offset(offset)
        .limit(limit)
        .select(LogEntry::as_select())
        .load(conn)
}

pub fn count(conn: &mut AnyConnection) -> QueryResult<i64> {
    moderation_log::table.count().get_result(conn)
}
