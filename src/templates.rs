//! Loads and compiles every template once, at start-up: the ones built into
//! the binary, with the files of `templates_dir` laid over them when it is
//! set (a theme replaces only the templates it has).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{anyhow, bail, Context};
use include_dir::{include_dir, Dir};
use tera::Tera;

/// The `templates/` folder as it was when the binary was built.
static BUILT_IN: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

pub fn load(theme: Option<&Path>) -> anyhow::Result<Tera> {
    let mut sources: BTreeMap<String, String> = BTreeMap::new();
    for file in crate::static_files::embedded_files(&BUILT_IN) {
        let text = std::str::from_utf8(file.contents())
            .with_context(|| format!("the built-in template {} is not UTF-8", file.path().display()))?;
        sources.insert(crate::static_files::slash_path(file.path()), text.to_owned());
    }
    if let Some(dir) = theme {
        if !dir.is_dir() {
            bail!(
                "templates_dir: the folder {} does not exist (leave it unset to use the built-in templates)",
                dir.display()
            );
        }
        for (name, path) in crate::static_files::files_under(dir)? {
            let text =
                std::fs::read_to_string(&path).with_context(|| format!("reading the template {}", path.display()))?;
            sources.insert(name, text);
        }
    }
    let mut tera = Tera::default();
    tera.autoescape_on(vec![".html", ".xml"]);
    // Tera's default also escapes `/`, which makes every URL unreadable in
    // the page source; these five characters are the ones that matter.
    tera.set_escape_fn(crate::markdown::escape_html);
    tera.add_raw_templates(sources)
        .map_err(|e| anyhow!("{e}: {}", std::error::Error::source(&e).map(|s| s.to_string()).unwrap_or_default()))
        .with_context(|| match theme {
            Some(dir) => format!("compiling the templates (built in, and those of {})", dir.display()),
            None => "compiling the built-in templates".to_owned(),
        })?;
    Ok(tera)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_templates_compile_and_a_theme_replaces_only_its_own_files() {
        let built_in = load(None).unwrap();
        assert!(built_in.get_template_names().any(|name| name == "partials/comment.html"));

        let theme = tempfile::tempdir().unwrap();
        std::fs::write(theme.path().join("tags.html"), "Themed tags").unwrap();
        let themed = load(Some(theme.path())).unwrap();
        assert_eq!(themed.render("tags.html", &tera::Context::new()).unwrap(), "Themed tags");
        assert_eq!(themed.get_template_names().count(), built_in.get_template_names().count());

        let missing = format!("{:#}", load(Some(&theme.path().join("nope"))).unwrap_err());
        assert!(missing.contains("does not exist"), "{missing}");
    }
}
