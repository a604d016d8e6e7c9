//! schema.org data for search engines, printed inside
//! `<script type="application/ld+json">`.

use serde::{Serialize, Serializer};

/// JSON that is safe inside a script element: `<`, `>` and `&` are written
/// as `\u` escapes, so no string in it can close the element or open a
/// comment, whatever the data says. The only way to make one is `new`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonLd(String);

impl JsonLd {
    pub fn new(data: &serde_json::Value) -> Self {
        let json = data.to_string();
        let mut safe = String::with_capacity(json.len());
        for c in json.chars() {
            match c {
                '<' => safe.push_str("\\u003c"),
                '>' => safe.push_str("\\u003e"),
                '&' => safe.push_str("\\u0026"),
                // Line terminators that older JavaScript parsers choke on.
                '\u{2028}' => safe.push_str("\\u2028"),
                '\u{2029}' => safe.push_str("\\u2029"),
                c => safe.push(c),
            }
        }
        Self(safe)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Serialize for JsonLd {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_string_can_close_the_script_element() {
        let data = serde_json::json!({ "name": "</script><script>alert(1)</script><!-- & -->" });
        let safe = JsonLd::new(&data);
        assert!(!safe.as_str().contains('<') && !safe.as_str().contains('>'), "{}", safe.as_str());
        let back: serde_json::Value = serde_json::from_str(safe.as_str()).unwrap();
        assert_eq!(back, data, "the escapes are still the same JSON");
    }
}
