use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use healthblog::config::Settings;
use healthblog::content::Library;
use healthblog::db::DatabaseUrl;
use healthblog::startup::{self, Application};
use healthblog::telemetry;

/// Settings the environment can give, named in the top-level help.
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
struct Cli {
    /// Configuration file (default: ./healthblog.toml when it exists).
    #[arg(long, global = true, env = "HEALTHBLOG_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
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
    /// Copy the database, content/ and static/uploads/ into DIR while the blog serves (on
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
enum ImportCommand {
    /// Import a WordPress export (Tools → Export → All content): articles, pages, comments with their
    /// threads, the authors' answers, and redirects from the old addresses. Safe to run again.
    Wordpress {
        /// The WXR file WordPress wrote.
        file: PathBuf,
        /// Print what would be imported, and write nothing.
        #[arg(long)]
        dry_run: bool,
        /// A copy of the old site's wp-content/uploads: the images the articles use are copied under
        /// static/uploads/ and their addresses rewritten.
        #[arg(long, value_name = "DIR")]
        uploads: Option<PathBuf>,
        /// Whose answers belong to which account, e.g. --author drmarsh=mauskop (default: the same name).
        #[arg(long, value_name = "LOGIN=ACCOUNT")]
        author: Vec<String>,
    },
}

#[derive(Subcommand)]
enum ExportCommand {
    /// A WordPress export (WXR 1.2): every article, page and comment, for WordPress's importer:
    /// `healthblog export wordpress > site.xml`.
    Wordpress,
    /// Every article and page in the database, drafts included, as Markdown files with TOML front
    /// matter: DIR/posts/*.md and DIR/pages/*.md, which `healthblog check` accepts and a new site
    /// reads unchanged.
    Markdown {
        /// A new or empty folder.
        dir: PathBuf,
    },
}

#[derive(Subcommand)]
enum UserCommand {
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
enum RoleArg {
    /// The blog's author.
    Author,
    /// Moderates and answers on the author's behalf.
    Moderator,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve { bind: None });
    // The server logs what it does; a one-shot command prints its own result
    // and logs only what went wrong.
    telemetry::init(if matches!(command, Command::Serve { .. }) { "info" } else { "warn" });
    let result = Settings::load(cli.config.as_deref()).and_then(|settings| match command {
        Command::Serve { bind } => serve(Settings { bind: bind.unwrap_or(settings.bind.clone()), ..settings }),
        Command::Migrate => migrate(settings),
        Command::Check => check(&settings),
        Command::Reload => reload(&settings),
        Command::Backup { dir } => backup(&settings, &dir),
        Command::Restore { dir } => restore(&settings, &dir),
        Command::Export(ExportCommand::Wordpress) => export_wordpress(settings),
        Command::Export(ExportCommand::Markdown { dir }) => export_markdown(settings, &dir),
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

mod users {
    use std::io::{BufRead, IsTerminal};
    use std::process::ExitCode;

    use anyhow::{bail, Context};
    use healthblog::auth::accounts::{self, Role};
    use healthblog::config::Settings;
    use healthblog::db::users;
    use healthblog::startup;

    use super::{RoleArg, UserCommand};

    pub fn run(settings: Settings, command: UserCommand) -> anyhow::Result<ExitCode> {
        let pool = actix_web::rt::System::new().block_on(startup::connect_existing(&settings))?;
        let mut conn = pool.get().context("connecting to the database")?;
        match command {
            UserCommand::Add { name, display_name, role, password_stdin, email } => {
                let (name, display_name) = (name.trim(), display_name.trim());
                accounts::check_new(&mut conn, name, display_name)?;
                let email = email.as_deref().map(parse_email).transpose()?;
                let role = match role {
                    RoleArg::Author => Role::Author,
                    RoleArg::Moderator => Role::Moderator,
                };
                accounts::create(&mut conn, name, display_name, role, &read_password(password_stdin)?)?;
                if let Some(email) = &email {
                    users::set_email(&mut conn, name, email)?;
                }
                println!("created {} {name} ({display_name})", role.as_str());
            }
            UserCommand::Email { name, address } => {
                let user = accounts::find(&mut conn, &name)?;
                let address = if address.trim().is_empty() { String::new() } else { parse_email(&address)? };
                users::set_email(&mut conn, &user.username, &address)?;
                match address.as_str() {
                    "" => println!("{name} gets no email now"),
                    address => println!("{name}'s notices go to {address} (choose which in the desk: /admin/mail)"),
                }
            }
            UserCommand::Passwd { name, password_stdin } => {
                let user = accounts::find(&mut conn, &name)?;
                accounts::change_password(&mut conn, &user, &read_password(password_stdin)?)?;
                println!("changed the password of {name}; every session was signed out");
            }
            UserCommand::List { all } => {
                let listed = if all { users::list_all(&mut conn)? } else { users::list(&mut conn)? };
                for user in listed {
                    let created = user.created_at.format("%Y-%m-%d");
                    let email = if user.email.is_empty() { "-" } else { &user.email };
                    let closed = if user.is_active() { "" } else { "\tclosed" };
                    println!("{}\t{}\t{}\t{email}\t{created}{closed}", user.username, user.role, user.display_name);
                }
            }
            UserCommand::Remove { name } => {
                accounts::remove(&mut conn, &name)?;
                println!("removed {name}");
            }
        }
        Ok(ExitCode::SUCCESS)
    }

    fn parse_email(text: &str) -> anyhow::Result<String> {
        healthblog::domain::Email::parse(text)
            .map(|email| email.as_str().to_owned())
            .map_err(|error| anyhow::anyhow!("--email {text:?}: {error}"))
    }

    /// The first line of standard input, or a password typed twice at a prompt.
    fn read_password(from_stdin: bool) -> anyhow::Result<String> {
        if from_stdin || !std::io::stdin().is_terminal() {
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line).context("reading the password from standard input")?;
            return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
        }
        let first = rpassword::prompt_password("Password: ").context("reading the password")?;
        let again = rpassword::prompt_password("Password again: ").context("reading the password")?;
        if first != again {
            bail!("the two passwords differ");
        }
        Ok(first)
    }
}

mod import {
    use std::process::ExitCode;
    use std::time::Instant;

    use anyhow::{bail, Context};
    use healthblog::config::Settings;
    use healthblog::keys::Keys;
    use healthblog::startup;
    use healthblog::wordpress::{import, wxr};

    use super::ImportCommand;

    pub fn run(settings: Settings, command: ImportCommand) -> anyhow::Result<ExitCode> {
        let ImportCommand::Wordpress { file, dry_run, uploads, author } = command;
        let started = Instant::now();
        let mut authors = Vec::new();
        for pair in &author {
            let Some((login, account)) = pair.split_once('=') else {
                bail!("--author {pair}: expected LOGIN=ACCOUNT, such as --author drmarsh=mauskop");
            };
            authors.push((login.trim().to_owned(), account.trim().to_owned()));
        }
        let export = wxr::read_file(&file)?;
        let keys = Keys::load(&settings)?;
        let pool = actix_web::rt::System::new().block_on(startup::connect_existing(&settings))?;
        let mut conn = pool.get().context("connecting to the database")?;
        let options = import::Options {
            dry_run,
            uploads,
            authors,
            content_dir: settings.content_dir.clone(),
            uploads_dir: settings.uploads_dir(),
        };
        let report = import::run(&mut conn, &keys, &export, &options)?;
        print!("{report}");
        println!("\nDone in {:.1} s.", started.elapsed().as_secs_f64());
        if !dry_run && report.files_written > 0 {
            println!("Restart healthblog (or send it SIGHUP) to show the new articles.");
        }
        Ok(ExitCode::SUCCESS)
    }
}

fn serve(settings: Settings) -> anyhow::Result<ExitCode> {
    actix_web::rt::System::new().block_on(async move {
        let base_url = settings.base_url.clone();
        let application = Application::build(settings).await?;
        tracing::info!("serving on http://{} (public address {base_url})", application.address());
        application.run_until_stopped().await?;
        Ok(ExitCode::SUCCESS)
    })
}

fn migrate(settings: Settings) -> anyhow::Result<ExitCode> {
    actix_web::rt::System::new().block_on(async move {
        startup::connect_and_migrate(&settings).await?;
        println!("the database is up to date");
        Ok(ExitCode::SUCCESS)
    })
}

fn is_postgres(settings: &Settings) -> anyhow::Result<bool> {
    Ok(matches!(DatabaseUrl::parse(&settings.database_url)?, DatabaseUrl::Postgres(_)))
}

fn backup(settings: &Settings, dir: &Path) -> anyhow::Result<ExitCode> {
    if is_postgres(settings)? {
        return backup_on_postgres(settings, dir);
    }
    let backed_up = healthblog::backup::backup(settings, dir)?;
    for left_out in &backed_up.left_out {
        eprintln!("{left_out}");
    }
    let manifest = backed_up.manifest;
    println!(
        "backed up the database ({} comments), {}{} into {} at {}",
        manifest.comments,
        settings.content_dir.display(),
        if manifest.uploads.is_some() { " and the uploads" } else { "" },
        dir.display(),
        manifest.created_at,
    );
    Ok(ExitCode::SUCCESS)
}

/// On PostgreSQL, pg_dump copies the database: the folders are copied here
/// and its command printed.
fn backup_on_postgres(settings: &Settings, dir: &Path) -> anyhow::Result<ExitCode> {
    let commands = healthblog::backup::postgres_commands(settings, dir)?;
    let folders = healthblog::backup::backup_folders(settings, dir)?;
    for left_out in &folders.left_out {
        eprintln!("{left_out}");
    }
    println!(
        "copied {}{} into {}.\n\
         On PostgreSQL, pg_dump copies the database, a consistent snapshot while the blog serves. \
         Run it now to finish the backup:\n  {}",
        settings.content_dir.display(),
        if folders.uploads { " and the uploads" } else { "" },
        dir.display(),
        commands.dump,
    );
    if let Some(note) = commands.password_note {
        println!("{note}");
    }
    Ok(ExitCode::SUCCESS)
}

fn restore(settings: &Settings, dir: &Path) -> anyhow::Result<ExitCode> {
    if is_postgres(settings)? {
        return restore_on_postgres(settings, dir);
    }
    let restored = healthblog::backup::restore(settings, dir)?;
    println!(
        "restored the backup of {} ({} comments) from {}",
        restored.manifest.created_at,
        restored.manifest.comments,
        dir.display()
    );
    for path in &restored.kept {
        println!("kept what was there before as {}", path.display());
    }
    println!("Restart the server (healthblog serve) so that it opens the restored database.");
    Ok(ExitCode::SUCCESS)
}

/// On PostgreSQL, pg_restore puts the database back: the folders are put
/// back here and its command printed.
fn restore_on_postgres(settings: &Settings, dir: &Path) -> anyhow::Result<ExitCode> {
    let commands = healthblog::backup::postgres_commands(settings, dir)?;
    let kept = healthblog::backup::restore_folders(settings, dir)?;
    println!("put back the content and the uploads from {}", dir.display());
    for path in &kept {
        println!("kept what was there before as {}", path.display());
    }
    println!(
        "On PostgreSQL, pg_restore puts the database back, all or nothing. \
         If you have not run it yet, run it now with every instance stopped, then start them again:\n  {}",
        commands.restore
    );
    if let Some(note) = commands.password_note {
        println!("{note}");
    }
    Ok(ExitCode::SUCCESS)
}

/// The database with the files of `content/` read into it, as a server
/// would at start.
fn open_store(settings: &Settings) -> anyhow::Result<healthblog::db::DbPool> {
    let files = startup::read_content_folder(&settings.content_dir)?;
    let pool = actix_web::rt::System::new().block_on(startup::connect_existing(settings))?;
    let mut conn = pool.get().context("connecting to the database")?;
    startup::store_files(&mut conn, &settings.content_dir, &files)?;
    Ok(pool)
}

fn export_markdown(settings: Settings, dir: &Path) -> anyhow::Result<ExitCode> {
    let pool = open_store(&settings)?;
    let mut conn = pool.get().context("connecting to the database")?;
    let manuscripts = healthblog::content::store::manuscripts(&mut conn)?;
    let written = healthblog::content::files::write_folder(dir, &manuscripts)?;
    println!("wrote {} into {}", count(written, "file", "files"), dir.display());
    Ok(ExitCode::SUCCESS)
}

fn export_wordpress(settings: Settings) -> anyhow::Result<ExitCode> {
    let pool = open_store(&settings)?;
    let mut conn = pool.get().context("connecting to the database")?;
    let (mut posts, mut pages) = (Vec::new(), Vec::new());
    for (kind, manuscript) in healthblog::content::store::manuscripts(&mut conn)? {
        let article = manuscript.render(kind).map_err(|errors| anyhow::anyhow!("{}: {errors:?}", manuscript.slug))?;
        match kind {
            healthblog::content::ArticleKind::Post => posts.push(article),
            healthblog::content::ArticleKind::Page => pages.push(article),
        }
    }
    let site = healthblog::wordpress_export::Site { settings: &settings, posts: &posts, pages: &pages };
    let out = std::io::BufWriter::new(std::io::stdout().lock());
    let exported = healthblog::wordpress_export::export(&mut conn, &site, out)?;
    eprintln!(
        "exported {}, {} and {} as WXR 1.2",
        count(exported.posts, "article", "articles"),
        count(exported.pages, "page", "pages"),
        count(exported.comments, "comment", "comments"),
    );
    if exported.orphaned_comments > 0 {
        eprintln!(
            "left out {} comments of articles no longer in {}: WXR keeps comments only with their article",
            exported.orphaned_comments,
            settings.content_dir.display()
        );
    }
    if exported.private_comments > 0 {
        eprintln!(
            "left out {}: WordPress has no place only the author can read",
            count(exported.private_comments, "private question or answer", "private questions and answers"),
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn reload(settings: &Settings) -> anyhow::Result<ExitCode> {
    startup::check_content_folder(&settings.content_dir)?;
    if let Err(errors) = Library::load(&settings.content_dir) {
        for error in &errors.0 {
            println!("{error}");
        }
        eprintln!("{} problem(s) found: the running instances keep the articles they have", errors.0.len());
        return Ok(ExitCode::FAILURE);
    }
    let pool = open_store(settings)?;
    let mut conn = pool.get().context("connecting to the database")?;
    healthblog::db::change_counters::bump(&mut conn, healthblog::db::change_counters::CONTENT)
        .context("asking the instances to reload")?;
    println!("every running instance reloads {} within a second", settings.content_dir.display());
    Ok(ExitCode::SUCCESS)
}

fn check(settings: &Settings) -> anyhow::Result<ExitCode> {
    startup::check_content_folder(&settings.content_dir)?;
    match Library::load(&settings.content_dir) {
        Ok(library) => {
            println!(
                "{}: {}, {} and {}, no problems",
                settings.content_dir.display(),
                count(library.articles().len(), "article", "articles"),
                count(library.drafts(), "draft", "drafts"),
                count(library.pages().count(), "page", "pages"),
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(errors) => {
            for error in &errors.0 {
                println!("{error}");
            }
            eprintln!("{}", count(errors.0.len(), "problem found", "problems found"));
            Ok(ExitCode::FAILURE)
        }
    }
}

/// `1 page`, `2 pages`.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
