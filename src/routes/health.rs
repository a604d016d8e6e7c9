use actix_web::{web, HttpResponse};
use diesel::connection::SimpleConnection;

use crate::db;
use crate::state::AppState;

/// 200 when the database answers, 503 when it does not.
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    match db::run(&state.pool, |conn| Ok(conn.batch_execute("SELECT 1")?)).await {
        Ok(()) => HttpResponse::Ok().content_type("text/plain; charset=utf-8").body("ok\n"),
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "health check failed");
            HttpResponse::ServiceUnavailable().content_type("text/plain; charset=utf-8").body("database unavailable\n")
        }
    }
}
