//! Scenario: what the user wrote, parsed and validated (SCENARIO.md sections 1-3).

pub mod catalog;
pub mod place;
mod types;
pub mod validate;

use std::path::Path;

pub use types::*;

use crate::error::{Error, Result, SourceFile};
use place::{Invalid, Place};

/// A validated scenario and the file it came from.
#[derive(Clone, Debug)]
pub struct LoadedScenario {
    pub scenario: Scenario,
    pub source: SourceFile,
}

/// Read, parse and validate a scenario file. Every failure is `Error::Input` with a message
/// naming the file, the line and column, the key, the value and what is allowed.
pub fn load(path: &Path) -> Result<LoadedScenario> {
    let text =
        std::fs::read_to_string(path).map_err(|e| Error::io(path, "read the scenario file", &e))?;
    parse(path, text)
}

/// Parse and validate scenario text; `path` is used only in messages.
pub fn parse(path: &Path, text: String) -> Result<LoadedScenario> {
    let source = SourceFile {
        path: path.to_path_buf(),
        text,
    };
    let document = toml_edit::Document::parse(source.text.as_str()).map_err(|e| {
        let location = e.span().map(|span| source.line_col(span.start));
        Error::Input(syntax_message(&source, location, e.message()))
    })?;
    if let Some(invalid) = first_non_finite(document.as_item(), &Place::root()) {
        return Err(Error::Input(invalid.render(&source, Some(&document))));
    }
    let scenario: Scenario = toml::from_str(&source.text).map_err(|e| {
        let location = e.span().map(|span| source.line_col(span.start));
        Error::Input(syntax_message(&source, location, e.message()))
    })?;
    validate::validate(&scenario)
        .map_err(|invalid| Error::Input(invalid.render(&source, Some(&document))))?;
    Ok(LoadedScenario { scenario, source })
}

fn syntax_message(source: &SourceFile, location: Option<(usize, usize)>, message: &str) -> String {
    let message = message.trim_end();
    match location {
        Some((line, col)) => {
            let text_line = source.text.lines().nth(line - 1).unwrap_or("");
            format!(
                "{}:{line}:{col}: {message}\n  {line} | {text_line}\n  {} | {}^",
                source.path.display(),
                " ".repeat(line.to_string().len()),
                " ".repeat(col.saturating_sub(1))
            )
        }
        None => format!("{}: {message}", source.path.display()),
    }
}

/// TOML accepts `nan` and `inf`; the contract refuses them everywhere.
fn first_non_finite(item: &toml_edit::Item, place: &Place) -> Option<Invalid> {
    use toml_edit::{Item, Value};
    fn in_value(value: &Value, place: &Place) -> Option<Invalid> {
        match value {
            Value::Float(f) if !f.value().is_finite() => Some(Invalid::new(
                place.clone(),
                format!("{} is not allowed; every number must be finite", f.value()),
            )),
            Value::Array(array) => array
                .iter()
                .enumerate()
                .find_map(|(i, v)| in_value(v, &place.index(i))),
            Value::InlineTable(table) => table.iter().find_map(|(k, v)| in_value(v, &place.key(k))),
            _ => None,
        }
    }
    match item {
        Item::Value(value) => in_value(value, place),
        Item::Table(table) => table
            .iter()
            .find_map(|(k, v)| first_non_finite(v, &place.key(k))),
        Item::ArrayOfTables(tables) => tables.iter().enumerate().find_map(|(i, t)| {
            t.iter()
                .find_map(|(k, v)| first_non_finite(v, &place.index(i).key(k)))
        }),
        Item::None => None,
    }
}
