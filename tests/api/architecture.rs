//! The rules of where things go (docs/ARCHITECTURE.md), checked on the source.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every module of the library, by path (`comments::discussion`), with the
/// text of its file up to its unit tests.
fn modules() -> BTreeMap<Vec<String>, String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    collect_rust_files(&src, &mut files);
    let mut modules = BTreeMap::new();
    for file in files {
        let relative = file.strip_prefix(&src).expect("under src");
        let mut path: Vec<String> =
            relative.with_extension("").components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
        if path.last().is_some_and(|last| last == "mod" || last == "lib") {
            path.pop();
        }
        if path == ["main"] {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("readable source");
        // The unit tests at the end of a file may use anything.
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let code: String =
            code.lines().filter(|line| !line.trim_start().starts_with("//")).map(|line| format!("{line}\n")).collect();
        modules.insert(path, code);
    }
    modules
}

fn collect_rust_files(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable folder") {
        let path = entry.expect("folder entry").path();
        if path.is_dir() {
            collect_rust_files(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

/// The paths a piece of code names after `crate::` or `super::`, with
/// `{…}` groups expanded.
fn named_paths(code: &str, module: &[String]) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    for (root, base) in [("crate::", Vec::new()), ("super::", parent_of(module))] {
        let mut rest = code;
        while let Some(at) = rest.find(root) {
            let preceded_by_identifier = rest[..at].chars().last().is_some_and(|c| c.is_alphanumeric() || c == '_');
            rest = &rest[at + root.len()..];
            if !preceded_by_identifier {
                expand(rest, base.clone(), &mut found);
            }
        }
    }
    found
}

/// What `super` names: the module a file's module sits in (for `a/mod.rs`,
/// module `a`, as for `a.rs`).
fn parent_of(module: &[String]) -> Vec<String> {
    module[..module.len().saturating_sub(1)].to_vec()
}

fn expand(text: &str, mut prefix: Vec<String>, found: &mut Vec<Vec<String>>) {
    let mut rest = text;
    loop {
        let word: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        if word.is_empty() {
            if let Some(group) = rest.strip_prefix('{') {
                for item in split_group(group) {
                    expand(item.trim(), prefix.clone(), found);
                }
                return;
            }
            break;
        }
        prefix.push(word.clone());
        rest = &rest[word.len()..];
        match rest.strip_prefix("::") {
            Some(after) => rest = after,
            None => break,
        }
    }
    found.push(prefix);
}

/// The items of a `{…}` group, up to its closing brace.
fn split_group(group: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push(&group[start..i]);
                return items;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&group[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items
}

/// Who depends on whom, between modules side by side: for a module that
/// names another, the edge is between their ancestors just below the
/// module both sit in (`comments::submit` naming `mail::notices` makes
/// `comments` → `mail`). A module naming its own parent or child is no edge.
fn dependencies() -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let modules = modules();
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (module, code) in &modules {
        for named in named_paths(code, module) {
            // The longest prefix that is a module.
            let Some(target) = (1..=named.len()).rev().map(|n| named[..n].to_vec()).find(|p| modules.contains_key(p))
            else {
                continue;
            };
            let common = module.iter().zip(&target).take_while(|(a, b)| a == b).count();
            if common < module.len() && common < target.len() {
                edges.entry(module[..=common].to_vec()).or_default().insert(target[..=common].to_vec());
            }
        }
    }
    edges
}

#[test]
fn module_dependencies_have_no_circle() {
    let edges = dependencies();
    assert!(edges.contains_key(&vec!["routes".to_owned()]), "the check must see the routes' dependencies: {edges:?}");
    let mut circles = Vec::new();
    for start in edges.keys() {
        // Depth-first from each module, looking for a way back to it.
        let mut stack = vec![(start.clone(), vec![start.clone()])];
        let mut seen = BTreeSet::new();
        while let Some((at, trail)) = stack.pop() {
            for next in edges.get(&at).into_iter().flatten() {
                // Each circle once, from its first module.
                if next == start && trail.iter().all(|m| m >= start) {
                    circles.push(trail.iter().chain([start]).map(|m| m.join("::")).collect::<Vec<_>>().join(" → "));
                } else if seen.insert(next.clone()) {
                    let mut longer = trail.clone();
                    longer.push(next.clone());
                    stack.push((next.clone(), longer));
                }
            }
        }
    }
    assert!(circles.is_empty(), "modules that depend on each other round a circle:\n{}", circles.join("\n"));
}

#[test]
fn the_circle_check_sees_a_circle() {
    let code = "use crate::mail::notices;\nfn f() { crate::comments::{tally::Kind, submit}; }";
    let named = named_paths(code, &["comments".to_owned(), "submit".to_owned()]);
    assert!(named.contains(&vec!["mail".to_owned(), "notices".to_owned()]));
    assert!(named.contains(&vec!["comments".to_owned(), "tally".to_owned(), "Kind".to_owned()]));
    let named = named_paths("use super::{discussion::load, rules::Rules};", &["comments".into(), "outlines".into()]);
    assert!(named.contains(&vec!["comments".to_owned(), "discussion".to_owned(), "load".to_owned()]));
}

#[test]
fn tables_are_named_only_under_db() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    collect_rust_files(&src, &mut files);
    let mut outside: Vec<String> = files
        .iter()
        .map(|file| file.strip_prefix(&src).expect("under src").to_string_lossy().replace('\\', "/"))
        .filter(|relative| !relative.starts_with("db/"))
        .filter(|relative| {
            let text = std::fs::read_to_string(src.join(relative)).expect("readable source");
            text.contains("schema::") || text.contains("sql_query(")
        })
        .collect();
    outside.sort();
    assert!(outside.is_empty(), "queries belong under src/db/, not in {outside:?}");
}

/// Every handler writes through `AppState::write`, which checks the
/// database file and wakes the mail sender once the write is committed.
#[test]
fn handlers_write_through_app_state() {
    let routes = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/routes");
    let mut files = Vec::new();
    collect_rust_files(&routes, &mut files);
    let mut own_transactions: Vec<String> = files
        .iter()
        .filter(|file| std::fs::read_to_string(file).expect("readable source").contains("db::write("))
        .map(|file| file.strip_prefix(&routes).expect("under routes").to_string_lossy().replace('\\', "/"))
        .collect();
    own_transactions.sort();
    assert!(
        own_transactions.is_empty(),
        "a handler writes through state.write(…), not db::write: {own_transactions:?}"
    );
}
