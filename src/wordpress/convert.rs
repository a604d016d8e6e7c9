//! WordPress HTML to the Markdown healthblog stores: block comments and
//! shortcodes out, paragraphs as WordPress would show them, then `htmd`.
//! Figures stay HTML (Markdown has no caption); the article pipeline cleans
//! them as it cleans any HTML an author writes.

use htmd::HtmlToMarkdown;

/// Markdown, with what could not be carried over faithfully.
#[derive(Debug, Default)]
pub struct Converted {
    pub markdown: String,
    pub losses: Vec<String>,
}

/// Elements dropped with their content: they run code or only make sense
/// inside WordPress.
const DROPPED: [&str; 6] = ["script", "style", "noscript", "form", "iframe", "object"];

thread_local! {
    /// Built once: an import converts every comment of the site.
    static CONVERTER: HtmlToMarkdown = HtmlToMarkdown::builder().skip_tags(DROPPED.to_vec()).build();
}

fn to_markdown(html: &str) -> std::io::Result<String> {
    CONVERTER.with(|converter| converter.convert(html))
}

/// A post or page body.
pub fn article(html: &str) -> Converted {
    let mut losses = Vec::new();
    let html = remove_comments(html);
    let (html, code_blocks) = set_code_aside(&html);
    let html = captions_to_figures(&html);
    let html = autop(&html);
    note_dropped(&html, &mut losses);
    note_unkept(&html, &mut losses);
    let (html, figures) = set_figures_aside(&html);
    let markdown = to_markdown(&html).unwrap_or_else(|e| {
        losses.push(format!("the HTML could not be converted ({e}); it was kept as it was"));
        html.clone()
    });
    let markdown = code_blocks.put_back(figures.put_back(markdown));
    if let Some(code) = leftover_shortcode(&markdown) {
        losses.push(format!("the shortcode [{code}] has no meaning here and was kept as text"));
    }
    Converted { markdown: format!("{}\n", markdown.trim()), losses }
}

/// A comment's text: WordPress keeps line breaks as typed and allows a few
/// inline tags.
pub fn comment(html: &str) -> Converted {
    let mut losses = Vec::new();
    let (html, code_blocks) = set_code_aside(&remove_comments(html));
    let html = autop(&html);
    note_dropped(&html, &mut losses);
    note_unkept(&html, &mut losses);
    let markdown = to_markdown(&html).unwrap_or_else(|e| {
        losses.push(format!("the HTML could not be converted ({e}); it was kept as text"));
        html.clone()
    });
    let markdown = code_blocks.put_back(markdown);
    Converted { markdown: markdown.trim().to_owned(), losses }
}

/// Plain text of an HTML fragment (for a summary), on one line.
pub fn plain_text(html: &str) -> String {
    let markdown = to_markdown(&remove_comments(html)).unwrap_or_default();
    let mut text = String::with_capacity(markdown.len());
    let mut chars = markdown.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' | '_' | '#' | '`' => {}
            '\\' => text.extend(chars.next()),
            '[' | ']' => {}
            _ => text.push(c),
        }
    }
    let text = strip_link_targets(&text);
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `label(https://…)` left over from a Markdown link, without the address.
fn strip_link_targets(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("(http") {
        out.push_str(&rest[..start]);
        match rest[start..].find(')') {
            Some(end) => rest = &rest[start + end + 1..],
            None => {
                rest = &rest[start..];
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The part before `<!--more-->`, when there is one.
pub fn before_more(html: &str) -> Option<&str> {
    html.find("<!--more").map(|at| &html[..at])
}

/// Removes every HTML comment: Gutenberg's `<!-- wp:… -->` block markers,
/// `<!--more-->`, `<!--nextpage-->` and the rest.
pub fn remove_comments(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find("<!--") {
        out.push_str(&rest[..start]);
        match rest[start..].find("-->") {
            Some(end) => rest = &rest[start + end + 3..],
            None => {
                rest = "";
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `[caption …]<img …> Text[/caption]` as a `<figure>`.
fn captions_to_figures(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find("[caption") {
        let Some(open_end) = rest[start..].find(']').map(|i| start + i + 1) else { break };
        let Some(close) = rest[open_end..].find("[/caption]").map(|i| open_end + i) else { break };
        out.push_str(&rest[..start]);
        let inner = &rest[open_end..close];
        // The image (perhaps inside a link) comes first, the caption after it.
        let split = inner.rfind("</a>").map(|i| i + 4).or_else(|| inner.find('>').map(|i| i + 1)).unwrap_or(0);
        let (media, caption) = inner.split_at(split);
        out.push_str(&format!("<figure>{}<figcaption>{}</figcaption></figure>", media.trim(), caption.trim()));
        rest = &rest[close + "[/caption]".len()..];
    }
    out.push_str(rest);
    out
}

const BLOCK_TAGS: [&str; 18] = [
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "table",
    "figure",
    "blockquote",
    "pre",
    "div",
    "hr",
    "dl",
    "section",
    "address",
];

fn starts_block(chunk: &str) -> bool {
    let Some(rest) = chunk.strip_prefix('<') else { return false };
    let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric()).collect::<String>().to_lowercase();
    BLOCK_TAGS.contains(&name.as_str())
}

/// WordPress's `wpautop`, simplified: blank lines separate paragraphs,
/// single line breaks inside a paragraph are kept, and block elements stand
/// on their own.
pub fn autop(html: &str) -> String {
    let mut spaced = html.replace("\r\n", "\n");
    for tag in BLOCK_TAGS {
        spaced = spaced.replace(&format!("</{tag}>"), &format!("</{tag}>\n\n"));
        spaced = spaced.replace(&format!("<{tag}>"), &format!("\n\n<{tag}>"));
        spaced = spaced.replace(&format!("<{tag} "), &format!("\n\n<{tag} "));
    }
    let mut out = String::with_capacity(spaced.len() + 64);
    let mut in_block = 0usize;
    for chunk in spaced.split("\n\n") {
        let chunk = chunk.trim();
        if chunk.is_empty() {
            continue;
        }
        let is_block = starts_block(chunk) || in_block > 0;
        in_block += count_open_lists(chunk);
        in_block = in_block.saturating_sub(count_closed_lists(chunk));
        if is_block {
            out.push_str(chunk);
        } else {
            out.push_str("<p>");
            out.push_str(&chunk.replace('\n', "<br>\n"));
            out.push_str("</p>");
        }
        out.push_str("\n\n");
    }
    out
}

/// Lists and tables hold blank lines that do not end them.
fn count_open_lists(chunk: &str) -> usize {
    ["<ul", "<ol", "<table", "<blockquote", "<pre", "<figure", "<div"].iter().map(|t| chunk.matches(t).count()).sum()
}

fn count_closed_lists(chunk: &str) -> usize {
    ["</ul>", "</ol>", "</table>", "</blockquote>", "</pre>", "</figure>", "</div>"]
        .iter()
        .map(|t| chunk.matches(t).count())
        .sum()
}

fn note_dropped(html: &str, losses: &mut Vec<String>) {
    let lower = html.to_lowercase();
    for tag in DROPPED {
        let count = lower.matches(&format!("<{tag}")).count();
        if count > 0 {
            losses.push(format!("{count} <{tag}> element(s) dropped"));
        }
    }
}

/// Elements the Markdown keeps (as Markdown, or as the HTML of a figure).
const KEPT: [&str; 34] = [
    "a",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "strike",
    "strong",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
    "caption",
];

/// Attributes the Markdown keeps: a link's address and title, an image's
/// address, description and title.
const KEPT_ATTRIBUTES: [(&str, &str); 5] =
    [("a", "href"), ("a", "title"), ("img", "src"), ("img", "alt"), ("img", "title")];

/// WordPress's own styling hooks, which carry nothing a reader sees here:
/// block classes, the image sizes it computes, the `rel` it adds to links,
/// a code block's class (its language is kept).
const STYLING_ATTRIBUTES: [&str; 9] =
    ["class", "rel", "width", "height", "srcset", "sizes", "loading", "decoding", "data-id"];

/// Lists every element (other than those `note_dropped` names) and every
/// attribute the Markdown cannot keep, with how many there are.
fn note_unkept(html: &str, losses: &mut Vec<String>) {
    let mut elements: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    let mut attributes: std::collections::BTreeMap<(String, String), usize> = std::collections::BTreeMap::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        let after = &rest[start + 1..];
        let name: String =
            after.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-').collect::<String>().to_lowercase();
        if name.is_empty() || !after.starts_with(|c: char| c.is_ascii_alphabetic()) {
            rest = after;
            continue;
        }
        let end = after.find('>').unwrap_or(after.len());
        let tag = &after[name.len()..end];
        rest = &after[end..];
        if DROPPED.contains(&name.as_str()) {
            continue;
        }
        if !KEPT.contains(&name.as_str()) {
            *elements.entry(name.clone()).or_default() += 1;
        }
        for attribute in attribute_names(tag) {
            let kept = KEPT_ATTRIBUTES.contains(&(name.as_str(), attribute.as_str()))
                || STYLING_ATTRIBUTES.contains(&attribute.as_str())
                || attribute.starts_with("data-");
            if !kept {
                *attributes.entry((name.clone(), attribute)).or_default() += 1;
            }
        }
    }
    for (name, count) in elements {
        losses.push(format!("{count} <{name}> element(s) not kept (their text is)"));
    }
    for ((name, attribute), count) in attributes {
        losses.push(format!("the {attribute} attribute of {count} <{name}> element(s) not kept"));
    }
}

/// The attribute names in the inside of a start tag (after its name).
fn attribute_names(tag: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut chars = tag.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c.is_whitespace() || c == '/' {
            continue;
        }
        let mut name = String::from(c);
        while let Some(&(_, next)) = chars.peek() {
            if next.is_whitespace() || next == '=' || next == '/' {
                break;
            }
            name.push(next);
            chars.next();
        }
        while chars.peek().is_some_and(|(_, c)| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_some_and(|(_, c)| *c == '=') {
            chars.next();
            while chars.peek().is_some_and(|(_, c)| c.is_whitespace()) {
                chars.next();
            }
            match chars.peek().map(|(_, c)| *c) {
                Some(quote @ ('"' | '\'')) => {
                    chars.next();
                    for (_, c) in chars.by_ref() {
                        if c == quote {
                            break;
                        }
                    }
                }
                _ => {
                    while chars.peek().is_some_and(|(_, c)| !c.is_whitespace()) {
                        chars.next();
                    }
                }
            }
        }
        names.push(name.to_lowercase());
    }
    names
}

/// Pieces taken out of a text before it is converted, each left as a
/// placeholder word that the conversion keeps as it is, and put back into
/// the Markdown after it.
struct SetAside {
    /// Tells this kind of piece's placeholders from another's.
    kind: &'static str,
    pieces: Vec<String>,
}

impl SetAside {
    fn new(kind: &'static str) -> Self {
        Self { kind, pieces: Vec::new() }
    }

    fn placeholder(&self, index: usize) -> String {
        format!("HB{}{index}X", self.kind)
    }

    /// Keeps `piece`, and returns the placeholder to leave in its place.
    fn keep(&mut self, piece: String) -> String {
        let placeholder = self.placeholder(self.pieces.len());
        self.pieces.push(piece);
        placeholder
    }

    /// `markdown` with each piece back where its placeholder is.
    fn put_back(&self, mut markdown: String) -> String {
        for (index, piece) in self.pieces.iter().enumerate() {
            markdown = markdown.replace(&self.placeholder(index), piece);
        }
        markdown
    }
}

/// Takes out each `<pre>` block, leaving a placeholder paragraph, and
/// returns it as fenced Markdown code: its text exactly as WordPress showed
/// it (tags out, entities decoded once), its language from a `language-…`
/// or `lang-…` class when there is one.
fn set_code_aside(html: &str) -> (String, SetAside) {
    let mut out = String::with_capacity(html.len());
    let mut blocks = SetAside::new("CODE");
    let mut rest = html;
    while let Some(start) = find_tag(rest, "pre") {
        let Some(open_end) = rest[start..].find('>').map(|i| start + i + 1) else { break };
        let Some(close) = rest[open_end..].find("</pre>").map(|i| open_end + i) else { break };
        out.push_str(&rest[..start]);
        let inner = &rest[open_end..close];
        let mut classes = attribute(&rest[start..open_end], "class").unwrap_or_default().to_owned();
        if let Some(code_open) = find_tag(inner, "code") {
            if let Some(end) = inner[code_open..].find('>') {
                classes.push(' ');
                classes.push_str(attribute(&inner[code_open..code_open + end + 1], "class").unwrap_or_default());
            }
        }
        let language = classes
            .split_whitespace()
            .find_map(|c| c.strip_prefix("language-").or_else(|| c.strip_prefix("lang-")))
            .unwrap_or_default();
        let text = decode_entities(&strip_tags(&inner.replace("<br>", "\n").replace("<br />", "\n")));
        let text = text.strip_prefix('\n').unwrap_or(&text).trim_end_matches('\n');
        let longest_run = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
        let fence = "`".repeat(longest_run.max(2) + 1);
        let placeholder = blocks.keep(format!("{fence}{language}\n{text}\n{fence}"));
        out.push_str(&format!("\n\n<p>{placeholder}</p>\n\n"));
        rest = &rest[close + "</pre>".len()..];
    }
    out.push_str(rest);
    (out, blocks)
}

/// Where the element `name` starts (`<name>` or `<name …>`).
fn find_tag(html: &str, name: &str) -> Option<usize> {
    let open = format!("<{name}");
    let mut from = 0;
    while let Some(at) = html[from..].find(&open).map(|i| from + i) {
        let next = html[at + open.len()..].chars().next();
        if matches!(next, Some('>' | ' ' | '\t' | '\n' | '/')) {
            return Some(at);
        }
        from = at + open.len();
    }
    None
}

/// The text of an HTML fragment, its tags left out (entities as they are).
fn strip_tags(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text
}

/// HTML text with its character references decoded once: `&amp;` is `&`,
/// `&amp;amp;` is `&amp;`. A reference this does not know is left as written.
pub fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('&') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let end = after.find(';').filter(|&end| end > 0 && end <= 32);
        let decoded = end.and_then(|end| {
            let name = &after[..end];
            let c = match name.strip_prefix('#') {
                Some(number) => match number.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok().and_then(char::from_u32),
                    None => number.parse::<u32>().ok().and_then(char::from_u32),
                },
                None => named_entity(name),
            };
            c.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The named references WordPress and its editors write.
fn named_entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        "ndash" => '–',
        "mdash" => '—',
        "hellip" => '…',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "laquo" => '«',
        "raquo" => '»',
        "bull" => '•',
        "middot" => '·',
        "deg" => '°',
        "plusmn" => '±',
        "times" => '×',
        "micro" => 'µ',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "euro" => '€',
        "pound" => '£',
        "frac12" => '½',
        "le" => '≤',
        "ge" => '≥',
        "shy" => '\u{ad}',
        _ => return None,
    })
}

/// Takes out each `<figure>` holding an image, leaving a placeholder, and
/// returns it rebuilt as plain HTML (image and caption, without WordPress's
/// classes). A figure around a table keeps its table as Markdown and its
/// caption as an emphasised line.
fn set_figures_aside(html: &str) -> (String, SetAside) {
    let mut out = String::with_capacity(html.len());
    let mut figures = SetAside::new("FIGURE");
    let mut rest = html;
    while let Some(start) = rest.find("<figure") {
        let Some(end) = rest[start..].find("</figure>").map(|i| start + i + "</figure>".len()) else { break };
        out.push_str(&rest[..start]);
        let figure = &rest[start..end];
        let caption = between(figure, "<figcaption", "</figcaption>")
            .and_then(|c| c.find('>').map(|i| c[i + 1..].trim().to_owned()))
            .unwrap_or_default();
        if figure.contains("<table") {
            let table = between(figure, "<table", "</table>").unwrap_or_default();
            out.push_str(&format!("<table{table}</table>"));
            if !caption.is_empty() {
                out.push_str(&format!("<p><em>{caption}</em></p>"));
            }
        } else if let Some(img) = between(figure, "<img", ">") {
            let src = attribute(img, "src").unwrap_or_default();
            let alt = attribute(img, "alt").unwrap_or_default();
            let mut rebuilt = format!("<figure>\n<img src=\"{src}\" alt=\"{alt}\">");
            if !caption.is_empty() {
                rebuilt.push_str(&format!("\n<figcaption>{}</figcaption>", caption.replace('\n', " ")));
            }
            rebuilt.push_str("\n</figure>");
            out.push_str(&format!("<p>{}</p>", figures.keep(rebuilt)));
        } else {
            out.push_str(figure);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    (out, figures)
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = text.find(open)? + open.len();
    let end = text[start..].find(close)? + start;
    Some(&text[start..end])
}

/// The address and description of each `<img>` in a WordPress text, both
/// decoded (an image without a description has an empty one).
pub fn images(html: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<img") {
        let tag = &rest[start + "<img".len()..];
        let end = tag.find('>').unwrap_or(tag.len());
        let tag = &tag[..end];
        if let Some(src) = attribute(tag, "src") {
            let alt = attribute(tag, "alt").map(decode_entities).unwrap_or_default();
            found.push((decode_entities(src), alt.trim().to_owned()));
        }
        rest = &rest[start + "<img".len() + end..];
    }
    found
}

/// An attribute's value as written (still HTML-escaped, which is what the
/// rebuilt tag needs).
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    for quote in ['"', '\''] {
        let key = format!(" {name}={quote}");
        if let Some(start) = tag.find(&key).map(|i| i + key.len()) {
            let end = tag[start..].find(quote)? + start;
            return Some(&tag[start..end]);
        }
    }
    None
}

/// A `[shortcode …]` WordPress would have expanded, if one is left.
fn leftover_shortcode(markdown: &str) -> Option<String> {
    let mut rest = markdown;
    while let Some(start) = rest.find('[') {
        let after = &rest[start + 1..];
        let name: String = after.chars().take_while(|c| c.is_ascii_lowercase() || *c == '_' || *c == '-').collect();
        let closes = after[name.len()..].starts_with([']', ' ']);
        if !name.is_empty() && closes && !after.contains(&format!("]({name}")) {
            let looks_like_link = after.find(']').is_some_and(|end| after[end + 1..].starts_with('('));
            if !looks_like_link {
                return Some(name);
            }
        }
        rest = after;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_markup_goes_and_structure_stays() {
        let html = "<!-- wp:heading -->\n<h2>Trials</h2>\n<!-- /wp:heading -->\n\n<!-- wp:list -->\n<ul><!-- \
                    wp:list-item -->\n<li>One</li>\n<!-- /wp:list-item --></ul>\n<!-- /wp:list -->\n\n<p>A \
                    <em>b</em> <a href=\"https://x.example/\">c</a></p>";
        let md = article(html).markdown;
        assert!(md.contains("## Trials"), "{md}");
        assert!(md.contains("One"), "{md}");
        assert!(md.contains("_b_") || md.contains("*b*"), "{md}");
        assert!(md.contains("[c](https://x.example/)"), "{md}");
        assert!(!md.contains("wp:"), "{md}");
    }

    #[test]
    fn tables_become_markdown_and_captions_figures() {
        let html = "<figure class=\"wp-block-table\"><table><thead><tr><th>A</th><th>B</th></tr></thead><tbody><tr>\
                    <td>1</td><td>2</td></tr></tbody></table><figcaption>Trials.</figcaption></figure>\n\n\
                    [caption id=\"attachment_10\" width=\"16\"]<img class=\"x\" src=\"https://s.example/m.png\" \
                    alt=\"Mask\" width=\"16\" /> A mask.[/caption]";
        let md = article(html).markdown;
        assert!(md.contains("| A | B |") || md.contains("|A|B|") || md.contains("| A "), "{md}");
        assert!(md.contains("Trials."), "{md}");
        assert!(md.contains("<img src=\"https://s.example/m.png\" alt=\"Mask\">"), "{md}");
        assert!(md.contains("<figcaption>A mask.</figcaption>"), "{md}");
    }

    #[test]
    fn a_pre_block_is_fenced_code_with_its_text_as_shown_blank_lines_and_all() {
        let html = "<p>For example:</p>\n<pre class=\"wp-block-preformatted\">a &lt; b\n\n  <b>c</b> &amp;&amp; ```d```</pre>\n\
                    <pre><code class=\"language-rust\">let x = 1;</code></pre>";
        let converted = article(html);
        let md = converted.markdown;
        assert!(md.contains("For example:\n\n````\na < b\n\n  c && ```d```\n````"), "{md}");
        assert!(md.contains("```rust\nlet x = 1;\n```"), "{md}");
        assert!(converted.losses.is_empty(), "{:?}", converted.losses);
    }

    #[test]
    fn entities_are_decoded_once() {
        assert_eq!(decode_entities("Hip &amp; glute"), "Hip & glute");
        assert_eq!(plain_text("Hip &amp; glute, BP &lt; 140"), "Hip & glute, BP < 140");
        assert_eq!(decode_entities("&amp;amp; &#8211; &#x2014; &hellip; &nosuch; & x"), "&amp; – — … &nosuch; & x");
    }

    #[test]
    fn classic_paragraphs_and_scripts() {
        let converted = comment("Line one\nline two\n\nSecond <b>bold</b>\n<script>alert(1)</script>");
        assert!(converted.markdown.contains("Second **bold**"), "{}", converted.markdown);
        assert!(!converted.markdown.contains("alert"), "{}", converted.markdown);
        assert_eq!(converted.losses.len(), 1);
    }
}
