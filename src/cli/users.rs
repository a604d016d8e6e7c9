//! `healthblog user`: the accounts that may sign in to the desk.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use crate::auth::accounts::{self, Role};
use crate::config::Settings;
use crate::db::users;
use anyhow::{bail, Context};

use super::{connect, open_database, RoleArg, UserCommand};

pub fn run(settings: Settings, command: UserCommand) -> anyhow::Result<ExitCode> {
    let pool = open_database(&settings)?;
    let mut conn = connect(&pool)?;
    match command {
        UserCommand::Add { name, display_name, role, password_stdin, email } => {
            let (name, display_name) = (name.trim(), display_name.trim());
            accounts::check_new(&mut conn, name, display_name)?;
            let email = email.as_deref().map(parse_email).transpose()?;
            let role = match role {
                RoleArg::Author => Role::Author,
                RoleArg::Moderator => Role::Moderator,
            };
            accounts::create(&mut conn, name, display_name, role, &read_password(password_stdin)?)?;
            if let Some(email) = &email {
                users::set_email(&mut conn, name, email)?;
            }
            println!("created {} {name} ({display_name})", role.as_str());
        }
        UserCommand::Email { name, address } => {
            let user = accounts::find(&mut conn, &name)?;
            let address = if address.trim().is_empty() { String::new() } else { parse_email(&address)? };
            users::set_email(&mut conn, &user.username, &address)?;
            match address.as_str() {
                "" => println!("{name} gets no email now"),
                address => println!("{name}'s notices go to {address} (choose which in the desk: /admin/mail)"),
            }
        }
        UserCommand::Passwd { name, password_stdin } => {
            let user = accounts::find(&mut conn, &name)?;
            accounts::change_password(&mut conn, &user, &read_password(password_stdin)?)?;
            println!("changed the password of {name}; every session was signed out");
        }
        UserCommand::List { all } => {
            let listed = if all { users::list_all(&mut conn)? } else { users::list(&mut conn)? };
            for user in listed {
                let created = user.created_at.format("%Y-%m-%d");
                let email = if user.email.is_empty() { "-" } else { &user.email };
                let closed = if user.is_active() { "" } else { "\tclosed" };
                println!("{}\t{}\t{}\t{email}\t{created}{closed}", user.username, user.role, user.display_name);
            }
        }
        UserCommand::Remove { name } => {
            accounts::remove(&mut conn, &name)?;
            println!("removed {name}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_email(text: &str) -> anyhow::Result<String> {
    crate::domain::Email::parse(text)
        .map(|email| email.as_str().to_owned())
        .map_err(|error| anyhow::anyhow!("--email {text:?}: {error}"))
}

/// The first line of standard input, or a password typed twice at a prompt.
fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    if from_stdin || !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).context("reading the password from standard input")?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    let first = rpassword::prompt_password("Password: ").context("reading the password")?;
    let again = rpassword::prompt_password("Password again: ").context("reading the password")?;
    if first != again {
        bail!("the two passwords differ");
    }
    Ok(first)
}
