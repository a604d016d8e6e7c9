//! Sends reader comments to a running healthblog one after another, as a
//! browser would: GET the article (its form carries a fresh one-use token,
//! and the first answer sets the visitor cookie the token is tied to), then
//! POST a comment with that token, and again. Prints comments per second
//! and the latency of each kind of request. `scripts/bench-writes` runs it.
//!
//! Usage: write_load URL SLUG COUNT [--addresses] [--isso]
//!
//!   URL          the server, e.g. http://127.0.0.1:8080 (loopback only)
//!   SLUG         the article to comment on
//!   COUNT        comments to send and measure, after a warm-up of COUNT / 10
//!   --addresses  each comment says it comes from another reader's address
//!                (X-Forwarded-For in 198.18.0.0/15, the range set aside for
//!                benchmarks; the server must be told it is behind a proxy
//!                on loopback). Without it every comment comes from loopback,
//!                and the rate limit must allow them all.
//!   --isso       the server is Isso (the comment server healthblog is
//!                measured against): the same comments are sent as its
//!                script sends them, a JSON POST to `/new?uri=/posts/SLUG`
//!                with no form to fetch first, and each must be answered
//!                201 or 202 (stored, or stored awaiting moderation).

use std::process::ExitCode;
use std::time::{Duration, Instant};

use reqwest::{redirect, Client, StatusCode};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("write_load: {message}");
            ExitCode::FAILURE
        }
    }
}

struct Options {
    base: String,
    slug: String,
    count: usize,
    addresses: bool,
    isso: bool,
}

fn options() -> Result<Options, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let addresses = args.iter().any(|a| a == "--addresses");
    let isso = args.iter().any(|a| a == "--isso");
    let positional: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let [base, slug, count] = positional[..] else {
        return Err("usage: write_load URL SLUG COUNT [--addresses] [--isso]".into());
    };
    let url = reqwest::Url::parse(base).map_err(|e| format!("{base}: {e}"))?;
    if !matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]")) {
        return Err(format!("{base}: only a server on loopback may be loaded"));
    }
    let count = count.parse().ok().filter(|n| (1..=1_000_000).contains(n)).ok_or("COUNT must be 1 to 1000000")?;
    Ok(Options { base: base.trim_end_matches('/').to_owned(), slug: slug.clone(), count, addresses, isso })
}

async fn run() -> Result<(), String> {
    let options = options()?;
    // One browser: its cookies kept, and the redirect after a comment not
    // followed (the next GET of the form is timed on its own). Isso sets a
    // cookie for each comment, to edit it for 15 minutes: its comments come
    // from readers who send none, or the header outgrows what it accepts.
    let client = Client::builder()
        .cookie_store(!options.isso)
        .redirect(redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| format!("building the client: {e}"))?;
    let article = format!("{}/posts/{}", options.base, options.slug);
    let action = format!("{article}/comments");

    let warm_up = (options.count / 10).max(1);
    let mut gets = Vec::with_capacity(options.count);
    let mut posts = Vec::with_capacity(options.count);
    let mut started = Instant::now();
    for n in 0..warm_up + options.count {
        if n == warm_up {
            started = Instant::now();
        }
        let begun = Instant::now();
        let token = if options.isso { String::new() } else { form_token(&client, &article).await? };
        let got = begun.elapsed();

        let begun = Instant::now();
        if options.isso {
            post_to_isso(&client, &options, n).await?;
        } else {
            post_comment(&client, &action, &token, n, options.addresses).await?;
        }
        let posted = begun.elapsed();
        if n >= warm_up {
            gets.push(got);
            posts.push(posted);
        }
    }
    let wall = started.elapsed();

    let post_total: Duration = posts.iter().sum();
    println!("{} comments, one after another ({} more before, as a warm-up)", options.count, warm_up);
    println!(
        "POST alone:      {:>7.0} comments/s   p50 {:>6.3} ms   p99 {:>6.3} ms",
        options.count as f64 / post_total.as_secs_f64(),
        percentile(&mut posts, 50.0),
        percentile(&mut posts, 99.0)
    );
    if options.isso {
        return Ok(());
    }
    println!(
        "GET form + POST: {:>7.0} comments/s   GET p50 {:>6.3} ms   GET p99 {:>6.3} ms",
        options.count as f64 / wall.as_secs_f64(),
        percentile(&mut gets, 50.0),
        percentile(&mut gets, 99.0)
    );
    Ok(())
}

/// The comment form's token on the article page.
async fn form_token(client: &Client, article: &str) -> Result<String, String> {
    let response = client.get(article).send().await.map_err(|e| format!("GET {article}: {e}"))?;
    let status = response.status();
    let page = response.text().await.map_err(|e| format!("reading {article}: {e}"))?;
    if status != StatusCode::OK {
        return Err(format!("GET {article} answered {status}"));
    }
    let marker = r#"name="csrf_token" value=""#;
    let start = page.find(marker).ok_or_else(|| format!("no comment form on {article}"))? + marker.len();
    let end = page[start..].find('"').ok_or("an unfinished token")? + start;
    Ok(page[start..end].to_owned())
}

/// Comment `n`: its writer's name and email, and its text.
fn comment(n: usize) -> (String, String, String) {
    // The process id keeps a second run's words from repeating the first's.
    let run = std::process::id();
    let body = format!(
        "Question {n} ({run}): my headaches came back *three weeks* after the concussion. Would magnesium \
         help, and which dose did your patients take?"
    );
    (format!("Reader {n}"), format!("reader{n}@example.org"), body)
}

/// Another reader's address for comment `n`, in 198.18.0.0/15.
fn address(n: usize) -> String {
    format!("198.18.{}.{}", (n / 250) % 256, n % 250 + 1)
}

/// Sends comment `n` and checks that it was stored: the answer sends the
/// writer to their comment.
async fn post_comment(client: &Client, action: &str, token: &str, n: usize, addresses: bool) -> Result<(), String> {
    let (name, email, body) = comment(n);
    let form = [
        ("author_name", name.as_str()),
        ("author_email", email.as_str()),
        ("author_url", ""),
        ("body", body.as_str()),
        ("parent_id", ""),
        ("consent", "on"),
        ("url", ""),
        ("csrf_token", token),
    ];
    let mut request = client.post(action).form(&form);
    if addresses {
        request = request.header("X-Forwarded-For", address(n));
    }
    let response = request.send().await.map_err(|e| format!("POST {action}: {e}"))?;
    let status = response.status();
    let location = response.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    if status != StatusCode::SEE_OTHER || !location.contains("#comment-") {
        let text = response.text().await.unwrap_or_default();
        let message = text.split("class=\"form-message").nth(1).map(|m| m.chars().take(300).collect::<String>());
        return Err(format!("comment {n} was not stored: {status} {location} {}", message.unwrap_or_default()));
    }
    Ok(())
}

/// Sends comment `n` to Isso as its script does, and checks that it was
/// stored (201) or stored awaiting moderation (202).
async fn post_to_isso(client: &Client, options: &Options, n: usize) -> Result<(), String> {
    let (author, email, text) = comment(n);
    let json = serde_json::json!({
        "text": text, "author": author, "email": email, "website": null,
        "title": "IV magnesium for post-concussion syndrome",
    });
    let url = format!("{}/new?uri=%2Fposts%2F{}", options.base, options.slug);
    let mut request = client
        .post(&url)
        .header("Content-Type", "application/json")
        .header("Origin", options.base.as_str())
        .body(json.to_string());
    if options.addresses {
        request = request.header("X-Forwarded-For", address(n));
    }
    let response = request.send().await.map_err(|e| format!("POST {url}: {e}"))?;
    let status = response.status();
    if status != StatusCode::CREATED && status != StatusCode::ACCEPTED {
        let text = response.text().await.unwrap_or_default();
        return Err(format!(
            "comment {n} was not stored by Isso: {status} {}",
            text.chars().take(300).collect::<String>()
        ));
    }
    response.bytes().await.map_err(|e| format!("reading Isso's answer: {e}"))?;
    Ok(())
}

/// The `p`th percentile, in milliseconds.
fn percentile(samples: &mut [Duration], p: f64) -> f64 {
    samples.sort_unstable();
    let rank = ((p / 100.0) * samples.len() as f64).ceil() as usize;
    samples[rank.clamp(1, samples.len()) - 1].as_secs_f64() * 1000.0
}
