//! `healthblog check` and `healthblog reload`: the content folder.

use std::process::ExitCode;

use anyhow::Context as _;

use super::{connect, count, open_store};
use crate::config::Settings;
use crate::content::Library;
use crate::startup;

pub fn reload(settings: &Settings) -> anyhow::Result<ExitCode> {
    startup::check_content_folder(&settings.content_dir)?;
    if let Err(errors) = Library::load(&settings.content_dir) {
        for error in &errors.0 {
            println!("{error}");
        }
        eprintln!("{} problem(s) found: the running instances keep the articles they have", errors.0.len());
        return Ok(ExitCode::FAILURE);
    }
    let pool = open_store(settings)?;
    let mut conn = connect(&pool)?;
    crate::db::change_counters::bump(&mut conn, crate::db::change_counters::CONTENT)
        .context("asking the instances to reload")?;
    println!("every running instance reloads {} within a second", settings.content_dir.display());
    Ok(ExitCode::SUCCESS)
}

pub fn check(settings: &Settings) -> anyhow::Result<ExitCode> {
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
