use crate::state::AppState;
use actix_web::{web, HttpResponse};

/// 200 when the database answers and can write and every background worker
/// runs, 503 otherwise: monitors learn at once that comments cannot be kept,
/// or that mail is not going out.
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let check = state.heartbeat().await;
    let down = state.workers.down();
    match check {
        Ok(()) if !down.is_empty() => {
            let lines: String =
                down.iter().map(|(name, why)| format!("{name} is down ({why}); restarting\n")).collect();
            HttpResponse::ServiceUnavailable().content_type("text/plain; charset=utf-8").body(lines)
        }
        Ok(()) => HttpResponse::Ok().content_type("text/plain; charset=utf-8").body("ok\n"),
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "health check failed: the database cannot keep writes");
            HttpResponse::ServiceUnavailable()
                .content_type("text/plain; charset=utf-8")
                .body("database unavailable: it cannot store anything now\n")
        }
    }
}
