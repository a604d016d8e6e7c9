//! Comments are found by their writer's address through an index, however
//! many there are: the database's own planner is asked how it runs each
//! look-up by address, on SQLite and on PostgreSQL. The address is compared
//! as `domain::EmailKey` keys it, whatever its case, also for comments
//! stored before the key existed.

use std::sync::{Arc, Mutex};

use diesel::connection::{Instrumentation, InstrumentationEvent, SimpleConnection};
use diesel::prelude::*;
use diesel::sql_types::Text;
use healthblog::db::{self, comments, AnyConnection};
use healthblog::domain::{CommentId, EmailKey};

use crate::admin::Stored;
use crate::helpers::{fresh_database_url, repo_path, spawn_app, CommentStatus, TestApp};

const INDEX: &str = "comments_email_key";

/// The SQL of each statement a connection runs, in order.
#[derive(Clone, Default)]
struct Statements(Arc<Mutex<Vec<String>>>);

impl Instrumentation for Statements {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            let text = query.to_string();
            // Diesel shows the bound values after the SQL.
            let sql = text.split(" -- binds: ").next().unwrap_or_default().to_owned();
            self.0.lock().expect("the statements are readable").push(sql);
        }
    }
}

impl Statements {
    /// The statements on the comments table since the last call.
    fn on_comments(&self) -> Vec<String> {
        let mut statements = self.0.lock().expect("the statements are readable");
        // Quoted as each backend quotes names.
        statements.drain(..).filter(|sql| sql.contains("`comments`") || sql.contains("\"comments\"")).collect()
    }
}

#[derive(QueryableByName)]
struct SqlitePlanLine {
    #[diesel(sql_type = Text)]
    detail: String,
}

#[derive(QueryableByName)]
struct PostgresPlanLine {
    #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
    line: String,
}

/// How the database runs `sql` (with its parameters unknown), one line per step.
fn plan(conn: &mut AnyConnection, sql: &str) -> Vec<String> {
    match conn {
        AnyConnection::Sqlite(conn) => diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
            .load::<SqlitePlanLine>(conn)
            .expect("SQLite explains the statement")
            .into_iter()
            .map(|line| line.detail)
            .collect(),
        AnyConnection::Postgresql(conn) => {
            // A plan for any value, as a statement prepared once is run; a
            // few rows make a full scan cheapest, so it is ruled out unless
            // nothing else can answer.
            conn.batch_execute(&format!(
                "SET plan_cache_mode = force_generic_plan; SET enable_seqscan = off; PREPARE lookup AS {sql}"
            ))
            .expect("PostgreSQL prepares the statement");
            let parameters = (1..).take_while(|n| sql.contains(&format!("${n}"))).count();
            let nulls = vec!["NULL"; parameters].join(", ");
            let lines = diesel::sql_query(format!("EXPLAIN EXECUTE lookup({nulls})"))
                .load::<PostgresPlanLine>(conn)
                .expect("PostgreSQL explains the statement");
            conn.batch_execute("DEALLOCATE lookup; RESET enable_seqscan; RESET plan_cache_mode")
                .expect("the settings are back");
            lines.into_iter().map(|line| line.line).collect()
        }
    }
}

/// Asserts that every statement `lookup` ran on the comments table finds
/// them through the address index and never reads the whole table.
#[track_caller]
fn assert_uses_the_index(app: &TestApp, name: &str, lookup: impl FnOnce(&mut AnyConnection)) {
    let pool = db::connect(&app.database, 1).expect("a connection of its own");
    let mut conn = pool.get().expect("a connection");
    let statements = Statements::default();
    conn.set_instrumentation(statements.clone());
    lookup(&mut conn);
    let ran = statements.on_comments();
    assert!(!ran.is_empty(), "{name} reads the comments");
    for sql in ran {
        let plan = plan(&mut conn, &sql);
        let scans_all =
            plan.iter().any(|line| line.starts_with("SCAN comments") || line.contains("Seq Scan on comments"));
        assert!(plan.iter().any(|line| line.contains(INDEX)) && !scans_all, "{name} uses {INDEX}:\n{sql}\n{plan:#?}");
    }
}

#[tokio::test]
async fn every_look_up_by_address_uses_the_index() {
    let app = spawn_app().await;
    for n in 0..20 {
        let email = format!("reader{n}@example.org");
        Stored { email: &email, status: CommentStatus::Approved, ..Stored::default() }.insert(&app);
    }
    let ann = EmailKey::of("Ann@Example.org");

    assert_uses_the_index(&app, "by_email", |conn| {
        assert!(comments::by_email(conn, &ann).expect("by_email").is_empty())
    });
    assert_uses_the_index(&app, "any_from_email", |conn| assert!(!comments::any_from_email(conn, &ann).expect("any")));
    assert_uses_the_index(&app, "has_approved_from", |conn| {
        assert!(!comments::has_approved_from(conn, &ann).expect("has_approved_from"));
    });
    assert_uses_the_index(&app, "take_all_for_change", |conn| {
        db::write(conn, |conn| comments::take_all_for_change(conn, &ann)).expect("take_all_for_change");
    });
    assert_uses_the_index(&app, "stop_notices_to", |conn| {
        db::write(conn, |conn| comments::stop_notices_to(conn, &ann)).expect("stop_notices_to");
    });
}

#[tokio::test]
async fn an_address_finds_its_comments_whatever_its_case_and_another_does_not() {
    let app = spawn_app().await;
    let typed = Stored { email: "Ann.Lee@Example.ORG", ..Stored::default() }.insert(&app);
    let other = Stored { email: "ann.leeds@example.org", ..Stored::default() }.insert(&app);

    let found = app.with_db(|conn| comments::by_email(conn, &EmailKey::of(" ann.lee@example.org ")));

    let found: Vec<CommentId> = found.expect("by_email").iter().map(|c| c.id).collect();
    assert_eq!(found, [typed], "only Ann Lee's comment, not {other}'s");
    assert_eq!(app.stored_comment(typed).author_email, "Ann.Lee@Example.ORG", "the address is kept as typed");
}

#[tokio::test]
async fn comments_stored_before_the_keys_existed_are_found_after_the_migration() {
    let dir = tempfile::tempdir().expect("a folder");
    let url = db::DatabaseUrl::parse(&fresh_database_url(dir.path())).expect("a database URL");
    let pool = db::connect(&url, 1).expect("a pool");
    let mut conn = pool.get().expect("a connection");
    db::run_migrations(&mut conn).expect("the schema");
    revert_until_before_the_keys(&mut conn);
    // As typed long ago: letters SQL's lower() may leave alone (PostgreSQL's
    // follows the database's locale), and a tab its trim() keeps.
    let old = ["Anna@Example.ORG", " JÖRG.Weiß@Example.org\t"].map(|address| store_without_key(&mut conn, address));

    db::run_migrations(&mut conn).expect("the migration to the keys");

    for (id, address) in old.iter().zip(["anna@example.org", "jörg.weiß@example.org"]) {
        let found = comments::by_email(&mut conn, &EmailKey::of(address)).expect("by_email");
        assert_eq!(found.iter().map(|c| c.id).collect::<Vec<_>>(), [*id], "{address} finds its comment");
    }
}

/// Takes the schema back to before the migration that added the address keys.
fn revert_until_before_the_keys(conn: &mut AnyConnection) {
    use diesel_migrations::{FileBasedMigrations, MigrationHarness};
    let folder = |backend: &str| {
        FileBasedMigrations::from_path(repo_path(&format!("migrations/{backend}"))).expect("the migrations folder")
    };
    loop {
        let reverted = match conn {
            AnyConnection::Sqlite(conn) => conn.revert_last_migration(folder("sqlite")),
            AnyConnection::Postgresql(conn) => conn.revert_last_migration(folder("postgres")),
        };
        if reverted.expect("the migration is reverted").to_string() == "20261207000001" {
            return;
        }
    }
}

/// Stores a comment written with `address` as the schema before the keys did.
fn store_without_key(conn: &mut AnyConnection, address: &str) -> CommentId {
    use healthblog::db::schema::comments as c;
    db::write(conn, |conn| {
        diesel::insert_into(c::table)
            .values((
                c::post_slug.eq("oral-magnesium-for-migraine-prevention"),
                c::author_name.eq("A Reader"),
                c::author_email.eq(address),
                c::body_markdown.eq("An old question"),
                c::body_html.eq("<p>An old question</p>"),
                c::created_at.eq(db::now()),
                c::updated_at.eq(db::now()),
            ))
            .returning(c::id)
            .get_result(conn)
    })
    .expect("the old comment is stored")
}
