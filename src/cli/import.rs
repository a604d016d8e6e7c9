//! `healthblog import wordpress FILE.xml`.

use std::process::ExitCode;
use std::time::Instant;

use crate::config::Settings;
use crate::db::{self, DatabaseUrl};
use crate::keys::Keys;
use crate::wordpress::{import, wxr};
use anyhow::{bail, Context};

use super::{connect, open_database, ImportCommand};

pub fn run(settings: Settings, command: ImportCommand) -> anyhow::Result<ExitCode> {
    let ImportCommand::Wordpress { file, dry_run, uploads, author, questions_before } = command;
    let started = Instant::now();
    let mut authors = Vec::new();
    for pair in &author {
        let Some((login, account)) = pair.split_once('=') else {
            bail!("--author {pair}: expected LOGIN=ACCOUNT, such as --author drmarsh=mauskop");
        };
        authors.push((login.trim().to_owned(), account.trim().to_owned()));
    }
    let questions_before = questions_before
        .map(|date| {
            chrono::NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
                .map(|day| day.and_time(chrono::NaiveTime::MIN))
                .with_context(|| format!("--questions-before {date}: expected a day such as 2024-01-31"))
        })
        .transpose()?;
    let export = wxr::read_file(&file)?;
    let options =
        import::Options { dry_run, uploads, authors, content_dir: settings.content_dir.clone(), questions_before };
    let report = if dry_run {
        // A dry run writes nothing: no key, no database file, no folder.
        let mut conn = match DatabaseUrl::parse(&settings.database_url)? {
            DatabaseUrl::Sqlite(path) if !path.exists() => {
                println!("There is no database at {} yet: the plan below is for an empty one.", path.display());
                db::in_memory()?
            }
            url => url.open()?,
        };
        import::run(&mut conn, None, &export, &options)?
    } else {
        let keys = Keys::load(&settings)?;
        let pool = open_database(&settings)?;
        let mut conn = connect(&pool)?;
        import::run(&mut conn, Some(&keys), &export, &options)?
    };
    print!("{report}");
    println!("\nDone in {:.1} s.", started.elapsed().as_secs_f64());
    if !dry_run && report.files_written > 0 {
        println!("The new articles are in the database: every running instance shows them within a second.");
    }
    Ok(ExitCode::SUCCESS)
}
