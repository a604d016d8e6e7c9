//! The command line: `healthblog serve` (the default), `migrate`, `check`,
//! `reload`, `user`, `import`, `export`, `backup` and `restore`. This file
//! holds the arguments and hands each command to its file; `src/main.rs`
//! only calls `main`.

mod backup;
mod content;
mod export;
mod import;
mod serve;
mod users;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::db::{DbPool, PooledConnection};
use crate::{startup, telemetry};

const ENVIRONMENT_HELP: &str = "\
Settings come from healthblog.toml (or --config FILE), and every key can be overridden by an
environment variable: HEALTHBLOG_ and the key in capitals, with __ between a section and its key.
The main ones:
  HEALTHBLOG_DATABASE_URL   sqlite://data/healthblog.db (default) or postgres://user:password@host/db
  HEALTHBLOG_BIND           address and port to listen on (default 127.0.0.1:8080)
  HEALTHBLOG_BASE_URL       the public address, e.g. https://blog.example.org
  HEALTHBLOG_CONTENT_DIR    the folder of posts/ and pages/ (default content)
  HEALTHBLOG_SECRET_KEY     32 characters or more; signs cookies and keys the address hashes
  HEALTHBLOG_MAIL__HOST     the SMTP server (and MAIL__PORT, MAIL__USERNAME, MAIL__PASSWORD, MAIL__FROM)
  HEALTHBLOG_CONFIG         the configuration file, like --config
  RUST_LOG                  how much to log, e.g. RUST_LOG=debug
Every key is listed in the README's Configuration section.";

/// A doctor's health blog: Markdown articles and moderated reader questions.
#[derive(Parser)]
#[command(version, about, after_help = ENVIRONMENT_HELP)]
pub struct Cli {
    /// Configuration file (default: ./healthblog.toml when it exists).
    #[arg(long, global = true, env = "HEALTHBLOG_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve the blog (the default): migrates the database, then listens.
    Serve {
        /// Address and port to listen on, e.g. 0.0.0.0:8080 (overrides `bind` and HEALTHBLOG_BIND).
        #[arg(long, value_name = "ADDR")]
        bind: Option<String>,
    },
    /// Create or update the database schema, then exit.
    Migrate,
    /// Check every article and page in the content folder and report each problem as file:line: message.
    Check,
    /// Make every running instance on this database reload the content folder within a second
    /// (after checking it: a folder with problems is reported and nothing is reloaded).
    Reload,
    /// Copy the database (pictures included), content/ and static/uploads/ if any into DIR while the blog serves (on
    /// PostgreSQL it copies the folders and prints the pg_dump command for the database).
    Backup {
        /// A new or empty folder.
        dir: PathBuf,
    },
    /// Put back a backup made by `healthblog backup`, all or nothing, after checking it: the
    /// current database, content and uploads are moved aside, never deleted (on PostgreSQL it
    /// puts back the folders and prints the pg_restore command). Restart the server afterwards.
    Restore {
        /// A folder written by `healthblog backup`.
        dir: PathBuf,
    },
    /// Write the whole site to standard output in another program's format.
    #[command(subcommand)]
    Export(ExportCommand),
    /// Manage the accounts that may sign in to the author's desk.
    #[command(subcommand)]
    User(UserCommand),
    /// Bring in articles, pages and comments from another blog.
    #[command(subcommand)]
    Import(ImportCommand),
}

#[derive(Subcommand)]
pub enum ImportCommand {
    /// Import a WordPress export (Tools → Export → All content): articles, pages, comments with their
    /// threads, the authors' answers, and redirects from the old addresses. Safe to run again.
    Wordpress {
        /// The WXR file WordPress wrote.
        file: PathBuf,
        /// Print what would be imported, and write nothing.
        #[arg(long)]
        dry_run: bool,
        /// A copy of the old site's wp-content/uploads: the pictures the articles use are stored in
        /// the database (without location data, in every size) and their links rewritten to /media/.
        #[arg(long, value_name = "DIR")]
        uploads: Option<PathBuf>,
        /// Which account each WordPress writer is, for their articles' bylines and their answers, e.g.
        /// --author drmarsh=mauskop (default: the same name).
        #[arg(long, value_name = "LOGIN=ACCOUNT")]
        author: Vec<String>,
        /// Readers' questions written before this day (YYYY-MM-DD, UTC) that nobody answered come in marked
        /// "no answer needed", out of the questions inbox.
        #[arg(long, value_name = "DATE")]
        questions_before: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum ExportCommand {
    /// A WordPress export (WXR 1.2): every article, page, comment and picture (as attachments
    /// WordPress's importer downloads from this site), for WordPress's importer:
    /// `healthblog export wordpress > site.xml`.
    Wordpress,
    /// Every article and page in the database, drafts included, as Markdown files with TOML front
    /// matter: DIR/posts/*.md and DIR/pages/*.md, which `healthblog check` accepts and a new site
    /// reads unchanged, and every picture at its full size under DIR/media/ (links to them become
    /// ../media/…).
    Markdown {
        /// A new or empty folder.
        dir: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create an account; the password is asked for twice (or read from standard input).
    #[command(after_help = PASSWORD_RULE)]
    Add {
        /// The name to sign in with.
        name: String,
        /// The name shown on the author's answers.
        #[arg(long)]
        display_name: String,
        /// An author's answers carry the Author badge, a moderator's the Moderator badge.
        #[arg(long, value_enum, default_value_t = RoleArg::Author)]
        role: RoleArg,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        /// Where the account's notices of new questions go.
        #[arg(long, value_name = "ADDRESS")]
        email: Option<String>,
    },
    /// Set where an account's notices go ("" for none); what it hears of is chosen in the desk.
    Email {
        /// The account's sign-in name.
        name: String,
        /// An email address, or "" for none.
        address: String,
    },
    /// Change an account's password (or open a closed account again); every session is signed out.
    #[command(after_help = PASSWORD_RULE)]
    Passwd {
        /// The account's sign-in name.
        name: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the accounts: name, role, display name, email, created.
    List {
        /// Also list closed accounts, marked "closed".
        #[arg(long)]
        all: bool,
    },
    /// Close an account: it can no longer sign in, and its answers keep their badge.
    /// `user passwd NAME` opens it again.
    Remove {
        /// The account's sign-in name.
        name: String,
    },
}

/// What `user add` and `user passwd` accept, from `auth::password::check_strength`.
const PASSWORD_RULE: &str = "\
The password must be at least 12 characters long, must not contain the sign-in name or the
display name, and must not be one character repeated. A few words make a good one.";

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum RoleArg {
    /// The blog's author.
    Author,
    /// Moderates and answers on the author's behalf.
    Moderator,
}

/// Runs the command the arguments name, and says how it went.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve { bind: None });
    // The server logs what it does; a one-shot command prints its own result
    // and logs only what went wrong.
    telemetry::init(if matches!(command, Command::Serve { .. }) { "info" } else { "warn" });
    let result = Settings::load(cli.config.as_deref()).and_then(|settings| match command {
        Command::Serve { bind } => serve::serve(Settings { bind: bind.unwrap_or(settings.bind.clone()), ..settings }),
        Command::Migrate => serve::migrate(settings),
        Command::Check => content::check(&settings),
        Command::Reload => content::reload(&settings),
        Command::Backup { dir } => backup::backup(&settings, &dir),
        Command::Restore { dir } => backup::restore(&settings, &dir),
        Command::Export(ExportCommand::Wordpress) => export::wordpress(settings),
        Command::Export(ExportCommand::Markdown { dir }) => export::markdown(settings, &dir),
        Command::User(command) => users::run(settings, command),
        Command::Import(command) => import::run(settings, command),
    });
    match result {
        Ok(code) => code,
        Err(error) => {
            // Not eprintln!, which panics when standard error cannot be written.
            let _ = writeln!(std::io::stderr(), "error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// The pool of an existing database, for a one-shot command: it never
/// creates a new, empty one (`startup::connect_existing`).
fn open_database(settings: &Settings) -> anyhow::Result<DbPool> {
    actix_web::rt::System::new().block_on(startup::connect_existing(settings))
}

/// One connection to an existing database.
fn connect(pool: &DbPool) -> anyhow::Result<PooledConnection> {
    pool.get().context("connecting to the database")
}

/// The database with the files of `content/` read into it, as a server
/// would at start.
fn open_store(settings: &Settings) -> anyhow::Result<crate::db::DbPool> {
    let files = startup::read_content_folder(&settings.content_dir)?;
    let pool = open_database(settings)?;
    let mut conn = connect(&pool)?;
    startup::store_files(&mut conn, &settings.content_dir, &files)?;
    Ok(pool)
}

/// `1 page`, `2 pages`.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
