//! Warnings for likely mistakes in what the user wrote (SCENARIO-2 section 19): not errors, the
//! exit status is unchanged. Each starts with `file:line: key: ` where the key has a line.

use super::LoadedScenario;
use super::place::Place;
use super::types::{Capacity, Mode};

/// Temperatures in K below this look like Celsius; limits in C above it look like kelvin.
const CELSIUS_KELVIN_SPLIT: f64 = 150.0;
/// A panel thicker than this (m) is more likely a typo than a radiator.
const THICK_PANEL_M: f64 = 0.05;

/// The warnings of a loaded scenario that need no solution, in file order of their kinds.
pub fn likely_mistakes(loaded: &LoadedScenario) -> Vec<String> {
    let s = &loaded.scenario;
    let mut found: Vec<(Place, String)> = Vec::new();
    if s.solve.mode == Mode::Steady && s.orbit.is_none() && s.environment.sun_direction.is_none() {
        found.push((
            Place::root().key("environment"),
            "eclipse: no sun_direction given, so no sunlight reaches any panel".to_string(),
        ));
    }
    let looks_like_celsius = |k: f64| {
        format!(
            "{k} K looks like Celsius (below {CELSIUS_KELVIN_SPLIT} K); temperatures here are in kelvin"
        )
    };
    if let Some(k) = s.solve.initial_k.filter(|&k| k < CELSIUS_KELVIN_SPLIT) {
        found.push((
            Place::root().key("solve").key("initial_k"),
            looks_like_celsius(k),
        ));
    }
    for (i, region) in s.fixed_temperatures.iter().enumerate() {
        let place = Place::root().key("fixed_temperatures").index(i);
        if let Some(k) = region.temperature_k.filter(|&k| k < CELSIUS_KELVIN_SPLIT) {
            found.push((place.key("temperature_k"), looks_like_celsius(k)));
        }
        if let Some(schedule) = &region.schedule
            && let Some(k) = schedule
                .temperature_k
                .iter()
                .copied()
                .find(|&k| k < CELSIUS_KELVIN_SPLIT)
        {
            found.push((
                place.key("schedule").key("temperature_k"),
                looks_like_celsius(k),
            ));
        }
    }
    for (i, pipe) in s.heat_pipes.iter().enumerate() {
        if let (Capacity::Constant(_), Some(k)) = (&pipe.capacity_w_m, pipe.capacity_at_k)
            && k < CELSIUS_KELVIN_SPLIT
        {
            let place = Place::root()
                .key("heat_pipes")
                .index(i)
                .key("capacity_at_k");
            found.push((place, looks_like_celsius(k)));
        }
    }
    for (i, payload) in s.payloads.iter().enumerate() {
        let place = Place::root().key("payloads").index(i);
        for (key, c) in [
            ("limit_c", payload.limit_c),
            ("min_limit_c", payload.min_limit_c),
        ] {
            if let Some(c) = c.filter(|&c| c > CELSIUS_KELVIN_SPLIT) {
                found.push((
                    place.key(key),
                    format!("{c} C looks like kelvin (above {CELSIUS_KELVIN_SPLIT} C); limits are in Celsius"),
                ));
            }
        }
    }
    for (i, panel) in s.panels.iter().enumerate() {
        if panel.thickness_m > THICK_PANEL_M {
            found.push((
                Place::root().key("panels").index(i).key("thickness_m"),
                format!(
                    "{} m is thicker than {THICK_PANEL_M} m; thickness_m is in metres (2 mm is 0.002)",
                    panel.thickness_m
                ),
            ));
        }
    }
    let places: Vec<Place> = found.iter().map(|(place, _)| place.clone()).collect();
    located(loaded, &places)
        .into_iter()
        .zip(found)
        .map(|(at, (_, message))| format!("{at}: {message}"))
        .collect()
}

/// `file:line: key` of each place in the scenario file, or `file: key` where it has no line (a
/// default the file leaves out); the file is parsed once for all of them.
pub fn located(loaded: &LoadedScenario, places: &[Place]) -> Vec<String> {
    if places.is_empty() {
        return Vec::new();
    }
    let document = toml_edit::Document::parse(loaded.source.text.as_str()).ok();
    let file = loaded.source.path.display();
    places
        .iter()
        .map(
            |place| match document.as_ref().and_then(|doc| place.span(doc)) {
                Some(span) => {
                    let (line, _) = loaded.source.line_col(span.start);
                    format!("{file}:{line}: {place}")
                }
                None => format!("{file}: {place}"),
            },
        )
        .collect()
}
