//! Every rule of SCENARIO.md section 1 ("Validation rules") that can be checked without a mesh.
//! Rules that need the mesh (a fixed region holding no cell) are checked when the model is built.
//! This file holds the entry point and the checks every section shares (names, signs, ranges);
//! the files below it check one group of sections each.

mod conduction;
mod loads;
mod panels;
mod runs;
mod surroundings;

use std::collections::HashSet;

use super::place::{Invalid, Place};
use super::types::{PropertyTable, Scenario};
use crate::error::Num;
use crate::vec3::norm;

/// Relative tolerance for "inside the panel" tests (SCENARIO.md: 1e-9 of the panel's length).
pub const INSIDE_TOLERANCE: f64 = 1e-9;
/// Perpendicularity tolerance for u/v and attitude axes: |a.b| <= 1e-6 |a||b|.
pub const PERPENDICULAR_TOLERANCE: f64 = 1e-6;

pub fn validate(s: &Scenario) -> Result<(), Invalid> {
    let mut v = Validator::default();
    v.environment(&s.environment, s.orbit.is_some());
    v.materials(s);
    v.coatings(s);
    v.panels(s);
    v.heat_pipes(s);
    v.links(s);
    v.fixed_regions(s);
    v.payloads(s);
    v.orbit(s);
    v.radiation(s);
    v.solve(s);
    v.cases(s);
    v.sweep(s);
    if v.errors.is_empty() {
        v.radiating_groups(s);
    }
    match v.errors.into_iter().next() {
        Some(first) => Err(first),
        None => Ok(()),
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

#[derive(Default)]
struct Validator {
    errors: Vec<Invalid>,
}

impl Validator {
    fn fail(&mut self, place: Place, message: impl Into<String>) {
        self.errors.push(Invalid::new(place, message));
    }

    fn positive(&mut self, place: Place, value: f64) {
        if value.is_finite() && value <= 0.0 {
            self.fail(
                place,
                format!("{} is not allowed; the value must be > 0", Num(value)),
            );
        }
    }

    fn non_negative(&mut self, place: Place, value: f64) {
        if value.is_finite() && value < 0.0 {
            self.fail(
                place,
                format!("{} is not allowed; the value must be >= 0", Num(value)),
            );
        }
    }

    fn fraction(&mut self, place: Place, value: f64) {
        if value.is_finite() && !(0.0..=1.0).contains(&value) {
            self.fail(
                place,
                format!("{} is out of range; allowed: 0 <= value <= 1", Num(value)),
            );
        }
    }

    fn celsius_above_absolute_zero(&mut self, place: Place, value: f64) {
        if value.is_finite() && value <= -273.15 {
            self.fail(
                place,
                format!("{} C is at or below absolute zero (-273.15 C)", Num(value)),
            );
        }
    }

    fn direction(&mut self, place: Place, value: [f64; 3]) {
        if norm(value) == 0.0 {
            self.fail(
                place,
                "[0, 0, 0] is not a direction; give a non-zero vector",
            );
        }
    }

    /// A `{ temperature_k, value }` table: at least one point, as many values as temperatures,
    /// temperatures > 0 K and strictly increasing, every value > 0.
    fn property_table(&mut self, place: Place, table: &PropertyTable) {
        let (t, v) = (&table.temperature_k, &table.value);
        if t.is_empty() {
            self.fail(
                place.key("temperature_k"),
                "the table is empty; give at least one temperature and its value",
            );
        } else if t.len() != v.len() {
            self.fail(
                place.key("value"),
                format!(
                    "{} values for {} temperatures; give one value per temperature",
                    v.len(),
                    t.len()
                ),
            );
        }
        for (k, &tk) in t.iter().enumerate() {
            self.positive(place.key("temperature_k").index(k), tk);
            if k > 0 && tk <= t[k - 1] {
                self.fail(
                    place.key("temperature_k").index(k),
                    format!(
                        "{} K after {} K is not allowed; temperatures must strictly increase",
                        Num(tk),
                        Num(t[k - 1])
                    ),
                );
            }
        }
        for (k, &value) in v.iter().enumerate() {
            self.positive(place.key("value").index(k), value);
        }
    }

    fn name(&mut self, place: Place, kind: &str, name: &str, seen: &mut HashSet<String>) {
        if !valid_name(name) {
            self.fail(
                place,
                format!("{kind} name \"{name}\" is not allowed; names use only letters, digits, '_' and '-'"),
            );
        } else if !seen.insert(name.to_string()) {
            self.fail(
                place,
                format!("two {kind}s are named \"{name}\"; names must be unique"),
            );
        }
    }
}
