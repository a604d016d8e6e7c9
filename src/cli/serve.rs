//! `healthblog serve` and `healthblog migrate`.

use std::process::ExitCode;

use crate::config::Settings;
use crate::startup::{self, Application};

pub fn serve(settings: Settings) -> anyhow::Result<ExitCode> {
    actix_web::rt::System::new().block_on(async move {
        let base_url = settings.base_url.clone();
        let application = Application::build(settings).await?;
        tracing::info!("serving on http://{} (public address {base_url})", application.address());
        application.run_until_stopped().await?;
        Ok(ExitCode::SUCCESS)
    })
}

pub fn migrate(settings: Settings) -> anyhow::Result<ExitCode> {
    actix_web::rt::System::new().block_on(async move {
        startup::connect_and_migrate(&settings).await?;
        println!("the database is up to date");
        Ok(ExitCode::SUCCESS)
    })
}
