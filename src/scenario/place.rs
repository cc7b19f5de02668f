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
