//! The accounts that may sign in to the desk, as the `healthblog user`
//! commands manage them. There is no default account and no default password.

use anyhow::bail;

use super::password;
use crate::db::users::{self, User};
use crate::db::AnyConnection;
pub use crate::domain::Role;

const MAX_NAME_CHARS: usize = 64;

/// Checks a new account's names before its password is asked for.
pub fn check_new(conn: &mut AnyConnection, name: &str, display_name: &str) -> anyhow::Result<()> {
    if name.is_empty() || name.chars().any(char::is_whitespace) || name.chars().count() > MAX_NAME_CHARS {
        bail!("the name must be 1 to {MAX_NAME_CHARS} characters without spaces");
    }
    if display_name.trim().is_empty() {
        bail!("--display-name must not be empty");
    }
    if let Some(user) = users::find_by_username(conn, name)? {
        let state = if user.is_active() { "exists already" } else { "was removed" };
        bail!("the user {name} {state} (give it a new password with `healthblog user passwd {name}`)");
    }
    Ok(())
}

/// Creates an account; the password must be strong enough.
pub fn create(
    conn: &mut AnyConnection,
    name: &str,
    display_name: &str,
    role: Role,
    secret: &str,
) -> anyhow::Result<()> {
    check_new(conn, name, display_name)?;
    strong_enough(secret, name, display_name)?;
    users::insert(conn, name, display_name.trim(), role, &password::hash(secret)?)?;
    Ok(())
}

/// The account called `name`, closed or not.
pub fn find(conn: &mut AnyConnection, name: &str) -> anyhow::Result<User> {
    match users::find_by_username(conn, name)? {
        Some(user) => Ok(user),
        None => bail!("there is no user {name}"),
    }
}

/// Gives `user` a new password (which also opens a closed account) and signs
/// every session out.
pub fn change_password(conn: &mut AnyConnection, user: &User, secret: &str) -> anyhow::Result<()> {
    strong_enough(secret, &user.username, &user.display_name)?;
    users::set_password(conn, &user.username, &password::hash(secret)?)?;
    crate::db::sessions::delete_all(conn)?;
    Ok(())
}

/// Closes an account: it can no longer sign in, its sessions stop working,
/// and its answers keep their badge.
pub fn remove(conn: &mut AnyConnection, name: &str) -> anyhow::Result<()> {
    if users::remove(conn, name)? == 0 {
        bail!("there is no user {name}");
    }
    Ok(())
}

fn strong_enough(secret: &str, name: &str, display_name: &str) -> anyhow::Result<()> {
    password::check_strength(secret, name, display_name).map_err(anyhow::Error::msg)
}
