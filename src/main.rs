use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use healthblog::config::Settings;
use healthblog::content::Library;
use healthblog::startup::{self, Application};
use healthblog::telemetry;

/// A doctor's health blog: Markdown articles and moderated reader questions.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Configuration file (default: ./healthblog.toml when it exists).
    #[arg(long, global = true, env = "HEALTHBLOG_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the blog (the default).
    Serve,
    /// Create or update the database schema, then exit.
    Migrate,
    /// Check every article in the content folder and report each problem as file:line: message.
    Check,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init("info");
    let result =
        Settings::load(cli.config.as_deref()).and_then(|settings| match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => serve(settings),
            Command::Migrate => migrate(settings),
            Command::Check => check(&settings),
        });
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve(settings: Settings) -> anyhow::Result<ExitCode> {
    actix_web::rt::System::new().block_on(async move {
        let bind = settings.bind.clone();
        let base_url = settings.base_url.clone();
        let application = Application::build(settings).await?;
        tracing::info!("serving on http://{bind} (public address {base_url})");
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

fn check(settings: &Settings) -> anyhow::Result<ExitCode> {
    match Library::load(&settings.content_dir) {
        Ok(library) => {
            println!(
                "{}: {} articles and {} drafts, no problems",
                settings.content_dir.display(),
                library.articles().len(),
                library.drafts()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(errors) => {
            for error in &errors.0 {
                println!("{error}");
            }
            eprintln!("{} problem(s) found", errors.0.len());
            Ok(ExitCode::FAILURE)
        }
    }
}
