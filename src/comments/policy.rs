//! Which status a new comment gets.

use super::rules::{ModerationPolicy, Rules};
use crate::domain::{CommentStatus, EmailKey};

/// What is known about a comment when it arrives.
pub struct Arrival<'a> {
    pub author_name: &'a str,
    pub email: &'a EmailKey,
    pub url: Option<&'a str>,
    pub body: &'a str,
    pub ip_hash: &'a str,
    /// The hidden field that people never see and bots fill in.
    pub honeypot_filled: bool,
    /// The email has an approved comment already.
    pub returning: bool,
}

/// The status and, when it is not the policy's plain answer, why.
#[derive(Debug, PartialEq, Eq)]
pub struct Decision {
    pub status: CommentStatus,
    pub reason: Option<&'static str>,
}

pub fn decide(rules: &Rules, arrival: &Arrival) -> Decision {
    let held = |reason| Decision { status: CommentStatus::Pending, reason: Some(reason) };
    if arrival.honeypot_filled {
        return Decision { status: CommentStatus::Spam, reason: Some("filled in the hidden field") };
    }
    if is_blocked(rules, arrival) {
        return Decision { status: CommentStatus::Spam, reason: Some("matched the block list") };
    }
    if count_links(arrival.body) > rules.max_links {
        return held("too many links");
    }
    let text = format!("{} {}", arrival.author_name, arrival.body).to_lowercase();
    if rules.hold_words.iter().any(|word| text.contains(&word.to_lowercase())) {
        return held("contains a hold word");
    }
    let status = match rules.policy {
        ModerationPolicy::HoldAll => CommentStatus::Pending,
        ModerationPolicy::TrustReturning if arrival.returning => CommentStatus::Approved,
        ModerationPolicy::TrustReturning => CommentStatus::Pending,
        ModerationPolicy::ApproveAll => CommentStatus::Approved,
    };
    Decision { status, reason: None }
}

fn is_blocked(rules: &Rules, arrival: &Arrival) -> bool {
    let text = format!("{} {} {}", arrival.author_name, arrival.url.unwrap_or(""), arrival.body).to_lowercase();
    let email = arrival.email.as_str();
    rules.block_list.iter().map(|entry| entry.to_lowercase()).any(|entry| {
        if entry.contains('@') {
            email == entry || (entry.starts_with('@') && email.ends_with(&entry))
        } else {
            entry == arrival.ip_hash || text.contains(&entry)
        }
    })
}

/// Links in the Markdown: `http://`, `https://` and `www.` occurrences.
pub fn count_links(body: &str) -> usize {
    let lower = body.to_lowercase();
    lower.matches("http://").count() + lower.matches("https://").count() + lower.matches("www.").count()
        - lower.matches("://www.").count()
}

#[cfg(test)]
mod tests {
    use super::*;

    static ANN: std::sync::LazyLock<EmailKey> = std::sync::LazyLock::new(|| EmailKey::of("ann@example.org"));

    fn arrival(body: &str) -> Arrival<'_> {
        Arrival {
            author_name: "Ann",
            email: &ANN,
            url: None,
            body,
            ip_hash: "abc",
            honeypot_filled: false,
            returning: false,
        }
    }

    #[test]
    fn the_policy_decides_plain_comments() {
        let mut rules = Rules::default();
        assert_eq!(decide(&rules, &arrival("Hi")).status, CommentStatus::Pending);
        rules.policy = ModerationPolicy::ApproveAll;
        assert_eq!(decide(&rules, &arrival("Hi")).status, CommentStatus::Approved);
        rules.policy = ModerationPolicy::TrustReturning;
        assert_eq!(decide(&rules, &arrival("Hi")).status, CommentStatus::Pending);
        assert_eq!(decide(&rules, &Arrival { returning: true, ..arrival("Hi") }).status, CommentStatus::Approved);
    }

    #[test]
    fn links_and_hold_words_hold_whatever_the_policy() {
        let rules =
            Rules { policy: ModerationPolicy::ApproveAll, hold_words: vec!["Casino".into()], ..Rules::default() };
        let three_links = "https://a.example http://b.example www.c.example";
        assert_eq!(count_links(three_links), 3);
        assert_eq!(decide(&rules, &arrival(three_links)).status, CommentStatus::Pending);
        assert_eq!(decide(&rules, &arrival("see https://a.example www.b.example")).status, CommentStatus::Approved);
        assert_eq!(decide(&rules, &arrival("online casino")).status, CommentStatus::Pending);
    }

    #[test]
    fn blocked_words_emails_and_ips_and_the_honeypot_are_spam() {
        let rules =
            Rules { block_list: vec!["pills".into(), "@spam.example".into(), "abc".into()], ..Rules::default() };
        assert_eq!(decide(&rules, &arrival("cheap PILLS")).status, CommentStatus::Spam);
        let from_ip = Arrival { ip_hash: "abc", ..arrival("hello") };
        assert_eq!(decide(&rules, &from_ip).status, CommentStatus::Spam);
        let by_email = Arrival { email: &EmailKey::of("X@Spam.example"), ip_hash: "zzz", ..arrival("hello") };
        assert_eq!(decide(&rules, &by_email).status, CommentStatus::Spam);
        let bot = Arrival { honeypot_filled: true, ip_hash: "zzz", ..arrival("hello") };
        assert_eq!(decide(&rules, &bot).status, CommentStatus::Spam);
    }
}
