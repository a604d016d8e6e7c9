//! Moving in from WordPress (`healthblog import wordpress FILE.xml`) and out
//! again (`export`: `healthblog export wordpress`).
//!
//! `wxr` reads the export, `convert` turns its HTML into Markdown, `import`
//! plans and applies the import, `uploads` finds the old site's images and
//! `pictures` makes them the site's pictures, `staging` places the files all or nothing, `report` says what it did.
//! The old addresses are answered by `routes::public::old_address`.

pub mod convert;
pub mod export;
pub mod import;
pub mod pictures;
pub mod report;
pub mod staging;
pub mod timezone;
pub mod uploads;
pub mod wxr;

use std::io::IsTerminal;

/// A progress bar on a terminal; nothing when the output goes elsewhere.
pub fn progress_bar(length: u64) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(length);
    if let Ok(style) = indicatif::ProgressStyle::with_template("{msg} {wide_bar} {pos}/{len} comments") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message("importing");
    bar
}
