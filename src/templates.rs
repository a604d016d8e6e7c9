//! Loads and compiles every template once, at start-up.

use std::path::Path;

use anyhow::{anyhow, Context};
use tera::Tera;

pub fn load(dir: &Path) -> anyhow::Result<Tera> {
    let glob = format!("{}/**/*", dir.display());
    let mut tera = Tera::new(&glob)
        .map_err(|e| anyhow!("{e}: {}", std::error::Error::source(&e).map(|s| s.to_string()).unwrap_or_default()))
        .with_context(|| format!("compiling the templates in {}", dir.display()))?;
    if tera.get_template_names().next().is_none() {
        anyhow::bail!("no templates found in {}", dir.display());
    }
    tera.autoescape_on(vec![".html", ".xml"]);
    // Tera's default also escapes `/`, which makes every URL unreadable in
    // the page source; these five characters are the ones that matter.
    tera.set_escape_fn(crate::markdown::escape_html);
    Ok(tera)
}
