//! actix-session state kept in the database, so that every instance behind
//! a load balancer sees the same sessions and signing out ends a session
//! everywhere. Only a hash of each session key is stored.

use std::collections::HashMap;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration;
use anyhow::{anyhow, Context};
use chrono::NaiveDateTime;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::db::{self, DbPool};
use crate::keys::hex;

#[derive(Clone)]
pub struct DbSessionStore {
    pool: DbPool,
}

impl DbSessionStore {
    pub fn new(pool: DbPool) -> Self {
        Self { pool }
    }
}

fn stored_id(key: &SessionKey) -> String {
    hex(&Sha256::digest(key.as_ref().as_bytes()))
}

fn expiry(ttl: &Duration) -> NaiveDateTime {
    db::now() + chrono::Duration::seconds(ttl.whole_seconds())
}

fn new_key() -> anyhow::Result<SessionKey> {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    SessionKey::try_from(hex(&bytes)).map_err(|e| anyhow!("{e}"))
}

impl SessionStore for DbSessionStore {
    async fn load(&self, key: &SessionKey) -> Result<Option<HashMap<String, String>>, LoadError> {
        let id = stored_id(key);
        let state: Option<String> =
            db::run(&self.pool, move |conn| Ok(db::sessions::find_state(conn, &id, db::now())?))
                .await
                .context("loading a desk session")
                .map_err(LoadError::Other)?;
        state.map(|s| serde_json::from_str(&s).map_err(|e| LoadError::Deserialization(e.into()))).transpose()
    }

    async fn save(&self, state: HashMap<String, String>, ttl: &Duration) -> Result<SessionKey, SaveError> {
        let body = serde_json::to_string(&state).map_err(|e| SaveError::Serialization(e.into()))?;
        let key = new_key().map_err(SaveError::Other)?;
        let (id, expires) = (stored_id(&key), expiry(ttl));
        db::run(&self.pool, move |conn| {
            // Expired sessions are swept whenever one is created.
            Ok(db::sessions::create(conn, &id, &body, expires, db::now())?)
        })
        .await
        .context("storing a new desk session")
        .map_err(SaveError::Other)?;
        Ok(key)
    }

    async fn update(
        &self,
        key: SessionKey,
        state: HashMap<String, String>,
        ttl: &Duration,
    ) -> Result<SessionKey, UpdateError> {
        let body = serde_json::to_string(&state).map_err(|e| UpdateError::Serialization(e.into()))?;
        let (id, expires) = (stored_id(&key), expiry(ttl));
        let updated = db::run(&self.pool, move |conn| Ok(db::sessions::update(conn, &id, &body, expires)?))
            .await
            .context("updating a desk session")
            .map_err(UpdateError::Other)?;
        if updated == 0 {
            // The session ended meanwhile (signed out elsewhere, or expired):
            // it must not come back, so only an empty one starts afresh.
            return self.save(HashMap::new(), ttl).await.map_err(|e| UpdateError::Other(anyhow!("{e}")));
        }
        Ok(key)
    }

    async fn update_ttl(&self, key: &SessionKey, ttl: &Duration) -> Result<(), anyhow::Error> {
        let (id, expires) = (stored_id(key), expiry(ttl));
        db::run(&self.pool, move |conn| Ok(db::sessions::extend(conn, &id, expires)?))
            .await
            .context("extending a desk session")
    }

    async fn delete(&self, key: &SessionKey) -> Result<(), anyhow::Error> {
        let id = stored_id(key);
        db::run(&self.pool, move |conn| Ok(db::sessions::delete(conn, &id)?)).await.context("ending a desk session")
    }
}
