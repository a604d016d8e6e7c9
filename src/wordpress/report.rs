//! What an import found, did and left out, as printed for the doctor.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDateTime;

use super::wxr::Item;
use crate::domain::CommentStatus;

/// Why something was left out.
#[derive(Debug, Clone, Copy)]
pub enum Skip {
    Item,
    Comment,
    Pingback,
    Trackback,
}

#[derive(Debug, Default)]
pub struct Report {
    pub dry_run: bool,
    /// Whether the database transaction committed.
    pub applied: bool,
    /// Items in the file by (type, status).
    pub items_in_file: BTreeMap<(String, String), usize>,
    /// Comments in the file by (type, status).
    pub comments_in_file: BTreeMap<(String, String), usize>,
    pub articles: usize,
    pub drafts: usize,
    pub pages: usize,
    pub files_already_there: usize,
    pub files_written: usize,
    pub skipped_items: Vec<String>,
    /// Comments left out, by reason.
    pub skipped_comments: BTreeMap<String, usize>,
    pub pingbacks: usize,
    pub trackbacks: usize,
    pub already_imported: usize,
    /// Comments to store (or stored) by status.
    pub to_store: BTreeMap<&'static str, usize>,
    pub answers_by_accounts: usize,
    pub comments_stored: usize,
    /// Stored comments whose WordPress number was taken here already.
    pub renumbered: usize,
    pub accounts: Vec<String>,
    pub missing_accounts: Vec<String>,
    pub clashes: Vec<String>,
    pub losses: Vec<String>,
    pub old_images: Vec<String>,
    /// Files not stored as pictures (their path is refused, they are not
    /// pictures, or the pipeline refused them), with their article and why.
    pub refused_uploads: Vec<String>,
    /// Pictures stored (or, in a dry run, to store) in the database.
    pub pictures_stored: usize,
    /// Pictures the media library had already.
    pub pictures_known: usize,
    /// Pictures stored with no description, by their path under uploads.
    pub pictures_without_description: Vec<String>,
    /// Comments longer than the comment form takes: stored cut, kept whole
    /// in a file.
    pub cut_comments: Vec<String>,
    pub notes: Vec<String>,
    pub redirects_new: usize,
    pub redirects_known: usize,
    /// What the report says of the old site's time zone, a line each.
    pub timezone: Vec<String>,
    /// Each WordPress writer with the account named as their articles'
    /// author, and those articles.
    pub article_authors: BTreeMap<String, Vec<String>>,
    /// Writers with no account here, with the command that makes one.
    pub missing_article_authors: Vec<String>,
    /// `--questions-before`, and how many questions it marks.
    pub questions_before: Option<NaiveDateTime>,
    pub questions_dismissed: usize,
    /// The retention settings the imported comments meet.
    pub pending_retention_days: u32,
    pub ip_retention_days: u32,
    /// Imported comments whose address hash the first purge forgets.
    pub addresses_forgotten: usize,
}

impl Report {
    pub fn new(dry_run: bool) -> Self {
        Self { dry_run, ..Self::default() }
    }

    pub fn count_item(&mut self, post_type: &str, status: &str) {
        *self.items_in_file.entry((post_type.to_owned(), status.to_owned())).or_default() += 1;
    }

    pub fn count_comment(&mut self, comment_type: &str, approved: &str) {
        let kind = if comment_type.is_empty() { "comment" } else { comment_type };
        let status = match approved {
            "1" => "approved",
            "0" => "pending",
            other => other,
        };
        *self.comments_in_file.entry((kind.to_owned(), status.to_owned())).or_default() += 1;
    }

    pub fn count_stored(&mut self, status: CommentStatus, by_account: bool) {
        *self.to_store.entry(status.as_str()).or_default() += 1;
        if by_account {
            self.answers_by_accounts += 1;
        }
    }

    pub fn skip(&mut self, what: Skip, reason: String) {
        match what {
            Skip::Item => self.skipped_items.push(reason),
            Skip::Comment => *self.skipped_comments.entry(reason).or_default() += 1,
            Skip::Pingback => self.pingbacks += 1,
            Skip::Trackback => self.trackbacks += 1,
        }
    }

    /// Leaves out every comment of `item`, pingbacks and trackbacks counted
    /// as such.
    pub fn skip_comments_of(&mut self, item: &Item, reason: &str) {
        for comment in &item.comments {
            match comment.comment_type.as_str() {
                "pingback" => self.pingbacks += 1,
                "trackback" => self.trackbacks += 1,
                _ => *self.skipped_comments.entry(reason.to_owned()).or_default() += 1,
            }
        }
    }

    pub fn note(&mut self, note: String) {
        self.notes.push(note);
    }

    /// Comments to store with `status` (as a database word).
    pub fn stored_with(&self, status: &str) -> usize {
        self.to_store.get(status).copied().unwrap_or(0)
    }
}

fn list(f: &mut fmt::Formatter<'_>, title: &str, lines: &[String]) -> fmt::Result {
    if lines.is_empty() {
        return Ok(());
    }
    writeln!(f, "\n{title}")?;
    for line in lines {
        writeln!(f, "  {line}")?;
    }
    Ok(())
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let would = if self.applied { "were" } else { "would be" };
        if self.dry_run {
            writeln!(f, "Dry run: nothing was written.")?;
        }
        writeln!(f, "\nIn the file")?;
        for ((kind, status), count) in &self.items_in_file {
            writeln!(f, "  {count:>6} {kind} ({status})")?;
        }
        for ((kind, status), count) in &self.comments_in_file {
            writeln!(f, "  {count:>6} {kind} ({status})")?;
        }

        writeln!(f, "\nArticles and pages")?;
        writeln!(f, "  {:>6} published articles → content/posts/", self.articles)?;
        writeln!(
            f,
            "  {:>6} drafts (draft, pending, private or scheduled) → content/posts/, draft = true",
            self.drafts
        )?;
        writeln!(f, "  {:>6} pages → content/pages/", self.pages)?;
        if self.files_already_there > 0 {
            writeln!(
                f,
                "  {:>6} of these are already there from an earlier import and are left as they are",
                self.files_already_there
            )?;
        }
        if self.applied {
            writeln!(f, "  {:>6} files written", self.files_written)?;
        }

        writeln!(f, "\nComments that {would} stored")?;
        for status in ["approved", "pending", "spam", "trash"] {
            writeln!(f, "  {:>6} {status}", self.stored_with(status))?;
        }
        writeln!(f, "  {:>6} of them answers by the blog's accounts (with their badge)", self.answers_by_accounts)?;
        if self.renumbered > 0 {
            writeln!(
                f,
                "  {:>6} of them got a new number (theirs is, or was, used here): an old link to #comment-N opens \
                 their article, not the comment",
                self.renumbered
            )?;
        }
        if self.already_imported > 0 {
            writeln!(f, "  {:>6} already imported by an earlier run (left alone)", self.already_imported)?;
        }

        writeln!(f, "\nLeft out")?;
        writeln!(f, "  {:>6} pingbacks", self.pingbacks)?;
        writeln!(f, "  {:>6} trackbacks", self.trackbacks)?;
        for (reason, count) in &self.skipped_comments {
            writeln!(f, "  {count:>6} comments {reason}")?;
        }
        for item in &self.skipped_items {
            writeln!(f, "  {item}")?;
        }

        if !self.article_authors.is_empty() {
            writeln!(f, "\nArticles' authors")?;
            for (author, articles) in &self.article_authors {
                writeln!(f, "  {author}: {} article(s) and page(s)", articles.len())?;
            }
        }
        list(
            f,
            "Articles whose writer has no account (the site's author is named on them)",
            &self.missing_article_authors,
        )?;
        list(f, "Accounts for the authors' answers", &self.accounts)?;
        list(f, "Accounts needed (a real run refuses to start until they exist)", &self.missing_accounts)?;
        list(f, "Slug clashes with existing files", &self.clashes)?;
        list(f, "Not converted faithfully", &self.losses)?;
        list(f, "Images still pointing at the old site", &self.old_images)?;
        list(f, "Files not stored as pictures (their links still point at the old site)", &self.refused_uploads)?;
        if self.pictures_stored > 0 || self.pictures_known > 0 {
            writeln!(
                f,
                "\n{} pictures {would} stored in the database, without their location data and in every size ({} \
                 there already)",
                self.pictures_stored, self.pictures_known
            )?;
        }
        list(
            f,
            "Pictures that need a description (write it in the desk's Pictures page)",
            &self
                .pictures_without_description
                .iter()
                .map(|name| format!("{name}: needs a description"))
                .collect::<Vec<_>>(),
        )?;
        list(f, "Comments too long for the comment form", &self.cut_comments)?;
        list(f, "Notes", &self.notes)?;
        list(f, "Time zone", &self.timezone)?;

        writeln!(f, "\nQuestions waiting and the retention settings")?;
        let pending = self.stored_with("pending");
        if let Some(before) = self.questions_before {
            writeln!(
                f,
                "  {:>6} readers' questions written before {} UTC and not answered {would} marked \"no answer needed\" \
                 (--questions-before)",
                self.questions_dismissed,
                before.format("%Y-%m-%d %H:%M")
            )?;
        }
        if self.pending_retention_days > 0 {
            writeln!(
                f,
                "  {pending:>6} pending comments kept; they wait for moderation from the moment of the import: any \
                 not approved (or marked spam or trash) within {} days is then deleted (pending_retention_days)",
                self.pending_retention_days
            )?;
        } else {
            writeln!(f, "  {pending:>6} pending comments kept; pending_retention_days is 0: they are never purged")?;
        }
        if self.addresses_forgotten > 0 {
            writeln!(
                f,
                "  {:>6} imported comments are older than {} days: the next purge forgets their address hash \
                 (ip_retention_days), as for every comment that old",
                self.addresses_forgotten, self.ip_retention_days
            )?;
        }

        writeln!(f, "\nOld addresses")?;
        writeln!(f, "  {:>6} redirects {would} added ({} already there)", self.redirects_new, self.redirects_known)?;
        writeln!(
            f,
            "  plus /feed/, /comments/feed/, ?replytocom=N, /wp-login.php and /wp-admin/, answered without a table"
        )?;
        Ok(())
    }
}
