//! `healthblog backup DIR` and `healthblog restore DIR`.

use std::path::Path;
use std::process::ExitCode;

use crate::config::Settings;
use crate::db::DatabaseUrl;

fn is_postgres(settings: &Settings) -> anyhow::Result<bool> {
    Ok(matches!(DatabaseUrl::parse(&settings.database_url)?, DatabaseUrl::Postgres(_)))
}

pub fn backup(settings: &Settings, dir: &Path) -> anyhow::Result<ExitCode> {
    if is_postgres(settings)? {
        return backup_on_postgres(settings, dir);
    }
    let backed_up = crate::backup::backup(settings, dir)?;
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
    let commands = crate::backup::postgres_commands(settings, dir)?;
    let folders = crate::backup::backup_folders(settings, dir)?;
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

pub fn restore(settings: &Settings, dir: &Path) -> anyhow::Result<ExitCode> {
    if is_postgres(settings)? {
        return restore_on_postgres(settings, dir);
    }
    let restored = crate::backup::restore(settings, dir)?;
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
    let commands = crate::backup::postgres_commands(settings, dir)?;
    let kept = crate::backup::restore_folders(settings, dir)?;
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
