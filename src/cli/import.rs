//! `healthblog import wordpress FILE.xml`.

use std::process::ExitCode;
use std::time::Instant;

use crate::config::Settings;
use crate::keys::Keys;
use crate::wordpress::{import, wxr};
use anyhow::bail;

use super::{connect, open_database, ImportCommand};

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
    let pool = open_database(&settings)?;
    let mut conn = connect(&pool)?;
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
