//! Key paths inside a scenario file, and their line and column, so that every message about a
//! value can say where the value is.

use std::fmt;

use crate::error::SourceFile;

#[derive(Clone, Debug, PartialEq)]
enum Segment {
    Key(String),
    Index(usize),
}

/// A path to a value, e.g. `panels[1].thickness_m`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Place(Vec<Segment>);

impl Place {
    pub fn root() -> Place {
        Place(Vec::new())
    }

    pub fn key(&self, key: &str) -> Place {
        let mut segments = self.0.clone();
        segments.push(Segment::Key(key.to_string()));
        Place(segments)
    }

    pub fn index(&self, index: usize) -> Place {
        let mut segments = self.0.clone();
        segments.push(Segment::Index(index));
        Place(segments)
    }

    /// Byte range of the value in the file, or of the nearest enclosing item that exists there
    /// (a missing key is reported at its table).
    pub fn span(&self, document: &toml_edit::Document<&str>) -> Option<std::ops::Range<usize>> {
        let mut item = document.as_item();
        let mut best = None;
        for segment in &self.0 {
            let next = match segment {
                Segment::Key(key) => item.get(key.as_str()),
                Segment::Index(index) => item.get(*index),
            };
            match next {
                Some(next) => {
                    item = next;
                    if let Some(span) = item.span() {
                        best = Some(span);
                    }
                }
                None => break,
            }
        }
        best
    }
}

impl Place {
    /// The innermost key or value of `document` whose text holds byte `offset` (where a parser
    /// reported a problem), or the table around it; None at the top level.
    pub fn at(document: &toml_edit::Document<&str>, offset: usize) -> Option<Place> {
        let place = within_item(document.as_item(), offset, &Place::root())?;
        (place != Place::root()).then_some(place)
    }
}

fn holds(span: Option<std::ops::Range<usize>>, offset: usize) -> bool {
    span.is_some_and(|s| s.start <= offset && offset < s.end.max(s.start + 1))
}

fn within_item(item: &toml_edit::Item, offset: usize, place: &Place) -> Option<Place> {
    use toml_edit::Item;
    match item {
        Item::Value(value) => within_value(value, offset, place),
        Item::Table(table) => within_table(table, offset, place),
        Item::ArrayOfTables(tables) => tables
            .iter()
            .enumerate()
            .find_map(|(i, table)| within_table(table, offset, &place.index(i))),
        Item::None => None,
    }
}

fn within_table(table: &toml_edit::Table, offset: usize, place: &Place) -> Option<Place> {
    for (key, child) in table.iter() {
        let child_place = place.key(key);
        if holds(table.key(key).and_then(|k| k.span()), offset) {
            return Some(child_place);
        }
        if let Some(found) = within_item(child, offset, &child_place) {
            return Some(found);
        }
    }
    holds(table.span(), offset).then(|| place.clone())
}

fn within_value(value: &toml_edit::Value, offset: usize, place: &Place) -> Option<Place> {
    use toml_edit::Value;
    if !holds(value.span(), offset) {
        return None;
    }
    let inner = match value {
        Value::Array(array) => array
            .iter()
            .enumerate()
            .find_map(|(i, v)| within_value(v, offset, &place.index(i))),
        Value::InlineTable(table) => table.iter().find_map(|(k, v)| {
            let key_span = table.key(k).and_then(|key| key.span());
            if holds(key_span, offset) {
                Some(place.key(k))
            } else {
                within_value(v, offset, &place.key(k))
            }
        }),
        _ => None,
    };
    Some(inner.unwrap_or_else(|| place.clone()))
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) if n == 0 => write!(f, "{key}")?,
                Segment::Key(key) => write!(f, ".{key}")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// A rule broken at a place; the message carries the value and what is allowed.
#[derive(Clone, Debug)]
pub struct Invalid {
    pub place: Place,
    pub message: String,
}

impl Invalid {
    pub fn new(place: Place, message: impl Into<String>) -> Invalid {
        Invalid {
            place,
            message: message.into(),
        }
    }

    /// `file:line:col: key: message`, with line and column where the file has the key.
    pub fn render(
        &self,
        source: &SourceFile,
        document: Option<&toml_edit::Document<&str>>,
    ) -> String {
        let location = document
            .and_then(|doc| self.place.span(doc))
            .map(|span| {
                let (line, col) = source.line_col(span.start);
                format!("{}:{line}:{col}", source.path.display())
            })
            .unwrap_or_else(|| source.path.display().to_string());
        if self.place.0.is_empty() {
            format!("{location}: {}", self.message)
        } else {
            format!("{location}: {}: {}", self.place, self.message)
        }
    }
}
