//! Variants of a scenario (SCENARIO.md sections 6 and 7): a load case, a sweep point or a sizing
//! trial is the file's TOML document with some number-valued keys replaced ([`path`]), then the
//! normal parse and validation, so every rule of section 1 applies to it.

pub mod design;
pub mod hash;
pub mod path;

use std::path::PathBuf;

use toml_edit::DocumentMut;

use design::grid_values;

use super::place::{Invalid, Place};
use super::{LoadedScenario, Sweep, SweepMethod, parse_variant};
use crate::error::{Error, Num, Result, gib};
use crate::memory;

/// One key set to one number.
#[derive(Clone, Debug)]
pub struct Setting {
    pub path: String,
    pub value: SetTo,
}

/// What a setting does to its key.
#[derive(Clone, Debug)]
pub enum SetTo {
    /// A number (sweeps, sizing and cases): integer keys take whole values only.
    Number(f64),
    /// Any other value a case gives, replacing the key's whole.
    Value(toml::Value),
    /// A case's `unset`: the optional key is removed.
    Unset,
}

impl Setting {
    pub fn number(path: &str, value: f64) -> Setting {
        Setting {
            path: path.to_string(),
            value: SetTo::Number(value),
        }
    }

    /// Apply this setting to a document. `Err` carries the message of a path that cannot be set.
    pub fn apply(&self, doc: &mut DocumentMut) -> std::result::Result<(), String> {
        match &self.value {
            SetTo::Number(x) => path::set(doc, &self.path, *x),
            SetTo::Value(v) => path::set_value(doc, &self.path, v),
            SetTo::Unset => path::unset(doc, &self.path),
        }
    }
}

/// The document of a scenario without its `[[cases]]` and `[sweep]`: what variants start from.
pub fn base_document(loaded: &LoadedScenario) -> Result<DocumentMut> {
    let mut doc: DocumentMut = loaded
        .source
        .text
        .parse()
        .map_err(|e: toml_edit::TomlError| {
            Error::Input(format!("{}: {e}", loaded.source.path.display()))
        })?;
    doc.remove("cases");
    doc.remove("sweep");
    Ok(doc)
}

/// The settings of case `index`: its `set` in file order, then its `unset`.
pub fn case_settings(loaded: &LoadedScenario, index: usize) -> Vec<Setting> {
    let case = &loaded.scenario.cases[index];
    let set = case.set.iter().map(|(path, value)| Setting {
        path: path.clone(),
        value: match value {
            toml::Value::Float(x) => SetTo::Number(*x),
            toml::Value::Integer(i) => SetTo::Number(*i as f64),
            other => SetTo::Value(other.clone()),
        },
    });
    let unset = case.unset.iter().map(|path| Setting {
        path: path.clone(),
        value: SetTo::Unset,
    });
    set.chain(unset).collect()
}

/// Apply settings to a copy of `doc` and parse the result. `Err` carries the message of the
/// first path that cannot be set, or of the rule the changed scenario breaks.
pub fn variant(
    doc: &DocumentMut,
    settings: &[Setting],
    label: PathBuf,
) -> std::result::Result<LoadedScenario, String> {
    let mut doc = doc.clone();
    for s in settings {
        s.apply(&mut doc)?;
    }
    parse_variant(&label, doc.to_string())
}

/// Check what `scenario::parse` cannot check without applying paths: every case applied gives a
/// valid scenario, every sweep path names a number-valued key and takes each of its values.
pub fn check_scenario(loaded: &LoadedScenario) -> Result<()> {
    if loaded.scenario.cases.is_empty() && loaded.scenario.sweep.is_none() {
        return Ok(());
    }
    let spans = toml_edit::Document::parse(loaded.source.text.as_str()).ok();
    let refuse = |place: Place, message: String| {
        Error::Input(Invalid::new(place, message).render(&loaded.source, spans.as_ref()))
    };
    let base = base_document(loaded)?;
    for (i, case) in loaded.scenario.cases.iter().enumerate() {
        let place = Place::root().key("cases").index(i).key("set");
        let mut doc = base.clone();
        for setting in case_settings(loaded, i) {
            setting.apply(&mut doc).map_err(|m| {
                // The place already names the path; do not repeat it.
                let m = m
                    .strip_prefix(&format!("{}: ", setting.path))
                    .map_or(m.clone(), str::to_string);
                let at = match setting.value {
                    SetTo::Unset => Place::root().key("cases").index(i).key("unset"),
                    _ => place.key(&setting.path),
                };
                refuse(at, m)
            })?;
        }
        parse_variant(&loaded.source.path, doc.to_string()).map_err(|m| {
            refuse(
                place.clone(),
                format!("case \"{}\" makes the scenario invalid: {m}", case.name),
            )
        })?;
    }
    if let Some(sweep) = &loaded.scenario.sweep {
        check_design_size(loaded, sweep).map_err(|(place, m)| refuse(place, m))?;
        for (i, param) in sweep.parameters.iter().enumerate() {
            let place = Place::root().key("sweep").key("parameters").index(i);
            path::check(&base, &param.path).map_err(|m| refuse(place.key("path"), m))?;
            if let Some((case, key)) = loaded.scenario.cases.iter().find_map(|c| {
                c.set
                    .keys()
                    .chain(&c.unset)
                    .find(|key| path::overlap(key, &param.path))
                    .map(|key| (c, key))
            }) {
                let what = if *key == param.path {
                    String::new()
                } else {
                    format!(" (as {key}, which changes the same quantity)")
                };
                return Err(refuse(
                    place.key("path"),
                    format!(
                        "{} is both swept and set by case \"{}\"{what}; a key may be swept or set by cases, not both",
                        param.path, case.name
                    ),
                ));
            }
            let integer = path::is_integer_key(&base, &param.path).unwrap_or(false);
            let trial: Vec<(f64, Place)> = match (&param.values, &param.range) {
                (Some(values), _) => values
                    .iter()
                    .enumerate()
                    .map(|(k, &v)| (v, place.key("values").index(k)))
                    .collect(),
                (None, Some(range)) if sweep.method == SweepMethod::Grid => grid_values(range)
                    .into_iter()
                    .map(|v| (v, place.key("range")))
                    .collect(),
                (None, Some(range)) => range
                    .iter()
                    .map(|&v| (if integer { v.round() } else { v }, place.key("range")))
                    .collect(),
                (None, None) => Vec::new(),
            };
            let mut doc = base.clone();
            for (value, at) in trial {
                path::set(&mut doc, &param.path, value).map_err(|m| refuse(at, m))?;
            }
        }
    }
    Ok(())
}

/// Refuses a design whose points and result rows cannot fit in memory (a sweep holds both for
/// every point), before any of it is made: `range = [a, b, 1e12]` or `samples = 1e12` would
/// otherwise abort on allocation.
fn check_design_size(
    loaded: &LoadedScenario,
    sweep: &Sweep,
) -> std::result::Result<(), (Place, String)> {
    let place = Place::root().key("sweep");
    let (points, place, fix) = match sweep.method {
        SweepMethod::Grid => (
            sweep
                .parameters
                .iter()
                .map(|p| match (&p.values, &p.range) {
                    (Some(values), _) => values.len() as f64,
                    (None, Some(range)) => range.get(2).copied().unwrap_or(1.0),
                    (None, None) => 1.0,
                })
                .product::<f64>(),
            place.key("parameters"),
            "fewer values or smaller counts",
        ),
        SweepMethod::LatinHypercube => (
            sweep.samples.unwrap_or(0) as f64,
            place.key("samples"),
            "fewer samples",
        ),
    };
    let needed = memory::design_bytes(
        points,
        sweep.parameters.len(),
        loaded.scenario.payloads.len(),
    );
    let available = memory::available_f64();
    if points > u32::MAX as f64 || needed > available {
        return Err((
            place,
            format!(
                "the design has {} points, whose values and results need about {} GiB, more than the {} GiB available (and at most {} points are allowed); use {fix}",
                Num(points),
                gib(needed),
                gib(available),
                u32::MAX
            ),
        ));
    }
    Ok(())
}
