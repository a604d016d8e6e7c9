//! The server's background workers, each supervised: the mail sender (which
//! also applies the retention settings once an hour), the follower of
//! changes made through other instances, and the reload on SIGHUP. A worker
//! that stops (an error it could not handle, a panic) is logged and started
//! again after a pause; while it is down, `/healthz` says so.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use anyhow::Context;

use crate::db;
use crate::state::{AppState, WorkerHealth};
use crate::{content, mail};

/// How often old address hashes and never-moderated comments are purged.
const RETENTION_EVERY: Duration = crate::comments::retention::EVERY;

/// How often an instance looks whether another one (or `healthblog
/// reload`) asked every instance to reload `content/`.
const CONTENT_CHECK_EVERY: Duration = Duration::from_secs(1);

/// The first pause before a stopped worker starts again; each stop in a row
/// doubles it, up to `MAX_RESTART_PAUSE`.
const FIRST_RESTART_PAUSE: Duration = Duration::from_secs(1);
const MAX_RESTART_PAUSE: Duration = Duration::from_secs(60);

/// Starts every worker of a serving instance.
pub fn start(state: &web::Data<AppState>) {
    supervise(state.workers.clone(), "reload on SIGHUP", state.clone(), FIRST_RESTART_PAUSE, reload_on_hangup);
    supervise(state.workers.clone(), "change follower", state.clone(), FIRST_RESTART_PAUSE, follow_changes);
    supervise(state.workers.clone(), "mail sender", state.clone(), FIRST_RESTART_PAUSE, send_mail);
}

/// Runs `work(context)` on the runtime, and again after a pause whenever it
/// stops, for as long as the server runs.
pub fn supervise<C, F, Fut>(health: Arc<WorkerHealth>, name: &'static str, context: C, first_pause: Duration, work: F)
where
    C: Clone + Send + 'static,
    F: Fn(C) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    tokio::spawn(async move {
        let mut pause = first_pause;
        loop {
            health.set_up(name);
            let why = match tokio::spawn(work(context.clone())).await {
                Ok(()) => "it stopped".to_owned(),
                Err(error) if error.is_panic() => format!("it panicked: {}", panic_message(error.into_panic())),
                Err(error) => format!("it was cancelled: {error}"),
            };
            tracing::error!(worker = name, why, "a background worker stopped; starting it again in {pause:?}");
            health.set_down(name, why);
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(MAX_RESTART_PAUSE);
        }
    });
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(text) => *text,
        Err(payload) => payload.downcast_ref::<&str>().map_or_else(|| "no message".to_owned(), |s| (*s).to_owned()),
    }
}

/// The outbox's sender: delivers what is due, then waits until a write
/// wakes it or `[mail] poll_seconds` pass. Also queues the daily digests,
/// and once an hour applies the retention settings.
async fn send_mail(state: web::Data<AppState>) {
    let poll = Duration::from_secs(state.settings.mail.poll_seconds.max(1));
    let mut last_purge: Option<std::time::Instant> = None;
    loop {
        if last_purge.is_none_or(|at| at.elapsed() >= RETENTION_EVERY) {
            last_purge = Some(std::time::Instant::now());
            let worker = state.clone();
            match web::block(move || purge_old_data(&worker)).await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => tracing::error!(error = format!("{error:#}"), "applying the retention settings"),
                Err(error) => tracing::error!(%error, "the retention purge stopped unexpectedly"),
            }
        }
        let worker = state.clone();
        match web::block(move || deliver_mail(&worker)).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::error!(error = format!("{error:#}"), "sending mail"),
            Err(error) => tracing::error!(%error, "the mail sender stopped unexpectedly"),
        }
        state.mail_woken(poll).await;
    }
}

fn purge_old_data(state: &AppState) -> anyhow::Result<()> {
    let mut conn = state.pool.get().context("waiting for a database connection")?;
    let rules = crate::comments::rules::load(&mut conn)?;
    let purged = crate::comments::retention::purge(&mut conn, &rules, db::now())?;
    if !purged.is_empty() {
        tracing::info!(addresses = purged.addresses, pending = purged.pending, "purged by the retention settings");
    }
    Ok(())
}

fn deliver_mail(state: &AppState) -> anyhow::Result<()> {
    let mut conn = state.pool.get().context("waiting for a database connection")?;
    let now = db::now();
    mail::sender::queue_digests(&mut conn, now).context("queueing the daily digests")?;
    let library = state.library();
    let settings = &state.settings;
    let site = mail::compose::Site {
        title: &settings.site.title,
        author_name: &settings.site.author_name,
        base_url: settings.base_url(),
        library: &library,
        answers: &settings.answers,
        links: mail::links::Links { keys: &state.keys, base_url: settings.base_url(), now: now.and_utc().timestamp() },
        templates: state,
        comment_paths: crate::comments::discussion::current_comment_paths,
    };
    state.mailer.deliver_due(&mut conn, &site)?;
    Ok(())
}

/// Reads `content/` into the database and the library, keeping the current
/// articles when the folder has problems.
async fn reload_content(state: &web::Data<AppState>) {
    let dir = state.settings.content_dir.clone();
    let files = match web::block(move || content::files::read_content_folder(&dir)).await {
        Ok(Ok(files)) => files,
        Ok(Err(error)) => return tracing::error!("kept the current articles: {error:#}"),
        Err(error) => return tracing::error!("reloading the articles failed: {error}"),
    };
    let dir = state.settings.content_dir.clone();
    if let Err(error) = db::run(&state.pool, move |conn| content::store::store_files(conn, &dir, &files)).await {
        return tracing::error!("kept the current articles: {error:#}");
    }
    reload_library(state).await;
}

/// Builds the library again from the database, so that new requests see
/// what it holds now (one rebuild at a time, each from a fresh read).
pub async fn reload_library(state: &web::Data<AppState>) {
    let _one_at_a_time = state.library_reload.lock().await;
    let zone = state.zone;
    let loaded = db::run(&state.pool, move |conn| {
        let version = db::change_counters::get(conn, db::change_counters::CONTENT)?;
        Ok((version, content::store::load_library(conn, db::now(), zone)?))
    })
    .await;
    match loaded {
        Ok((version, library)) => {
            state.set_content_version(version);
            state.replace_library(library);
            tracing::info!("reloaded the articles: new requests see them");
        }
        Err(error) => tracing::error!("kept the current articles: {error:#}"),
    }
}

/// Follows the database's change counters, so that every instance behind a
/// load balancer shows the same thing within a second: the articles after
/// `healthblog reload`, a SIGHUP to any one of them or a save in the desk,
/// and pages after a comment or setting changed through any instance or the
/// command line. A scheduled article appears when its time comes.
async fn follow_changes(state: web::Data<AppState>) {
    let mut seen = state.content_version();
    loop {
        tokio::time::sleep(CONTENT_CHECK_EVERY).await;
        let counters = match db::run(&state.pool, |conn| Ok(db::change_counters::all(conn)?)).await {
            Ok(counters) => counters,
            Err(error) => {
                tracing::debug!(error = format!("{error:#}"), "looking for changes made elsewhere");
                continue;
            }
        };
        let counter = |name| counters.get(name).copied().unwrap_or(0);
        let content = counter(db::change_counters::CONTENT);
        let due = state.library().next_due().is_some_and(|due| due <= db::now());
        if due || (content != seen && content != state.content_version()) {
            state.set_content_version(content);
            reload_library(&state).await;
        }
        seen = content;
        let pages = counter(db::change_counters::PAGES);
        // Counters only grow: a value read before a newer change that this
        // instance has already applied is no news.
        if pages > state.pages_version() {
            state.set_pages_version(pages);
            state.page_cache.clear();
        }
    }
}

/// SIGHUP reloads this instance's articles at once and tells the others.
#[cfg(unix)]
async fn reload_on_hangup(state: web::Data<AppState>) {
    use tokio::signal::unix::{signal, SignalKind};
    let Ok(mut hangups) = signal(SignalKind::hangup()) else {
        tracing::warn!("cannot listen for SIGHUP; restart to reload the articles");
        return std::future::pending().await;
    };
    while hangups.recv().await.is_some() {
        reload_content(&state).await;
        match db::run(&state.pool, |conn| Ok(db::change_counters::bump(conn, db::change_counters::CONTENT)?)).await {
            Ok(value) => state.set_content_version(value),
            Err(error) => tracing::warn!(
                error = format!("{error:#}"),
                "reloaded here, but could not tell the other instances: run `healthblog reload`"
            ),
        }
    }
}

#[cfg(not(unix))]
async fn reload_on_hangup(_state: web::Data<AppState>) {
    std::future::pending().await
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[test]
    fn a_worker_that_panics_is_reported_down_and_started_again() {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().expect("a runtime");
        runtime.block_on(async {
            let health = Arc::new(WorkerHealth::default());
            let (started, mut starts) = tokio::sync::mpsc::unbounded_channel::<usize>();
            let runs = Arc::new(AtomicUsize::new(0));
            let context = (runs, started);
            supervise(
                health.clone(),
                "test worker",
                context,
                Duration::from_millis(20),
                |(runs, started)| async move {
                    let run = runs.fetch_add(1, Ordering::SeqCst) + 1;
                    let _ = started.send(run);
                    if run == 1 {
                        panic!("the first run fails");
                    }
                    std::future::pending::<()>().await
                },
            );
            assert_eq!(starts.recv().await, Some(1));
            // The supervisor learns of the panic on one of its next turns.
            while health.down().is_empty() {
                tokio::task::yield_now().await;
            }
            assert_eq!(health.down(), vec![("test worker", "it panicked: the first run fails".to_owned())]);
            // After the pause it runs again, and is up.
            assert_eq!(starts.recv().await, Some(2));
            assert!(health.down().is_empty(), "up again: {:?}", health.down());
        });
    }
}
