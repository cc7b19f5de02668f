//! Every rule of SCENARIO.md section 1 ("Validation rules") that can be checked without a mesh.
//! Rules that need the mesh (a fixed region holding no cell) are checked when the model is built.

use std::collections::{HashMap, HashSet};

use super::catalog;
use super::place::{Invalid, Place};
use super::types::*;
use crate::error::Num;
use crate::vec3::{cosine, dot, norm};

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

    fn environment(&mut self, e: &Environment, with_orbit: bool) {
        let p = Place::root().key("environment");
        self.non_negative(p.key("solar_flux_w_m2"), e.solar_flux_w_m2);
        self.fraction(p.key("albedo"), e.albedo);
        self.non_negative(p.key("earth_ir_w_m2"), e.earth_ir_w_m2);
        self.non_negative(p.key("sink_k"), e.sink_k);
        if let Some(sun) = e.sun_direction {
            self.direction(p.key("sun_direction"), sun);
        }
        if let Some(nadir) = e.nadir_direction {
            self.direction(p.key("nadir_direction"), nadir);
            // With [orbit], the orbit's check refuses nadir_direction itself.
            if e.altitude_km.is_none() && !with_orbit {
                self.fail(
                    p.key("nadir_direction"),
                    "nadir_direction needs altitude_km (the altitude above the Earth, km)",
                );
            }
        }
        if let Some(altitude) = e.altitude_km {
            self.positive(p.key("altitude_km"), altitude);
        }
    }

    fn materials(&mut self, s: &Scenario) {
        let mut seen = HashSet::new();
        for (name, m) in &s.materials {
            let p = Place::root().key("materials").key(name);
            self.name(p.clone(), "material", name, &mut seen);
            self.positive(p.key("conductivity_w_mk"), m.conductivity_w_mk);
            if let Some(rho) = m.density_kg_m3 {
                self.positive(p.key("density_kg_m3"), rho);
            }
            if let Some(c) = m.specific_heat_j_kgk {
                self.positive(p.key("specific_heat_j_kgk"), c);
            }
            if s.solve.mode == Mode::Transient {
                for (key, given) in [
                    ("density_kg_m3", m.density_kg_m3.is_some()),
                    ("specific_heat_j_kgk", m.specific_heat_j_kgk.is_some()),
                ] {
                    if !given {
                        self.fail(
                            p.clone(),
                            format!("material \"{name}\" has no {key}; a transient needs it for the cells' heat capacity (rho c t A)"),
                        );
                    }
                }
            }
        }
    }

    fn radiation(&mut self, s: &Scenario) {
        let Some(r) = &s.radiation else {
            return;
        };
        let p = Place::root().key("radiation");
        if !(1..=i64::from(u32::MAX)).contains(&r.rays_per_side) {
            self.fail(
                p.key("rays_per_side"),
                format!(
                    "{} is not allowed; rays_per_side must be a whole number from 1 to {}",
                    r.rays_per_side,
                    u32::MAX
                ),
            );
        }
        if !(0..=i64::from(u32::MAX)).contains(&r.seed) {
            self.fail(
                p.key("seed"),
                format!(
                    "{} is not allowed; seed must be a whole number from 0 to {}",
                    r.seed,
                    u32::MAX
                ),
            );
        }
    }

    fn orbit(&mut self, s: &Scenario) {
        let Some(orbit) = &s.orbit else {
            return;
        };
        let p = Place::root().key("orbit");
        self.positive(p.key("altitude_km"), orbit.altitude_km);
        if orbit.beta_deg.is_finite() && !(-90.0..=90.0).contains(&orbit.beta_deg) {
            self.fail(
                p.key("beta_deg"),
                format!(
                    "{} is out of range; allowed: -90 <= beta_deg <= 90",
                    orbit.beta_deg
                ),
            );
        }
        let e = Place::root().key("environment");
        for (key, given) in [
            ("sun_direction", s.environment.sun_direction.is_some()),
            ("nadir_direction", s.environment.nadir_direction.is_some()),
            ("altitude_km", s.environment.altitude_km.is_some()),
        ] {
            if given {
                self.fail(
                    e.key(key),
                    format!("environment.{key} cannot be given with [orbit]: the orbit sets the Sun and the Earth; remove one of the two"),
                );
            }
        }
        let a = p.key("attitude");
        let (first, second, names) = match orbit.attitude.form() {
            Some(AttitudeForm::EarthPointing { nadir, velocity }) => {
                (nadir, velocity, ["nadir_axis", "velocity_axis"])
            }
            Some(AttitudeForm::SunPointing { sun, orbit_normal }) => {
                (sun, orbit_normal, ["sun_axis", "orbit_normal_axis"])
            }
            None => {
                self.fail(
                    a,
                    "the attitude must be one of two forms: Earth-pointing { nadir_axis, velocity_axis } or Sun-pointing { sun_axis, orbit_normal_axis }, each with exactly its two keys",
                );
                return;
            }
        };
        self.direction(a.key(names[0]), first);
        self.direction(a.key(names[1]), second);
        let (n1, n2) = (norm(first), norm(second));
        let cos = if n1 > 0.0 && n2 > 0.0 {
            cosine(first, second).abs()
        } else {
            0.0
        };
        if cos > PERPENDICULAR_TOLERANCE {
            self.fail(
                a.key(names[1]),
                format!(
                    "{} and {} are not perpendicular (|a.b| = {cos:.3e} |a||b| > 1e-6 |a||b|); the two axes must be at right angles",
                    names[0], names[1],
                ),
            );
        }
    }

    fn coatings(&mut self, s: &Scenario) {
        let mut seen = HashSet::new();
        for (name, c) in &s.coatings {
            let p = Place::root().key("coatings").key(name);
            if name == "none" {
                self.fail(
                    p.clone(),
                    "\"none\" is reserved for insulated sides and cannot name a coating",
                );
            }
            self.name(p.clone(), "coating", name, &mut seen);
            self.fraction(p.key("absorptivity"), c.absorptivity);
            self.fraction(p.key("emissivity"), c.emissivity);
        }
    }

    fn coating_ref(&mut self, place: Place, s: &Scenario, name: &str) {
        if name != "none" && !s.coatings.contains_key(name) {
            let known: Vec<&str> = s.coatings.keys().map(|k| k.as_str()).collect();
            self.fail(
                place,
                format!(
                    "coating \"{name}\" is not defined; allowed: \"none\" or one of [{}]",
                    known.join(", ")
                ),
            );
        }
    }

    fn panels(&mut self, s: &Scenario) {
        if s.panels.is_empty() {
            self.fail(
                Place::root().key("panels"),
                "the scenario has no [[panels]]; at least one panel is needed",
            );
        }
        let mut seen = HashSet::new();
        for (i, panel) in s.panels.iter().enumerate() {
            let p = Place::root().key("panels").index(i);
            self.name(p.key("name"), "panel", &panel.name, &mut seen);
            self.direction(p.key("u_m"), panel.u_m);
            self.direction(p.key("v_m"), panel.v_m);
            let (lu, lv) = (norm(panel.u_m), norm(panel.v_m));
            let uv = dot(panel.u_m, panel.v_m);
            let cos = if lu > 0.0 && lv > 0.0 {
                cosine(panel.u_m, panel.v_m)
            } else {
                0.0
            };
            if cos.abs() > PERPENDICULAR_TOLERANCE {
                let angle = cos.clamp(-1.0, 1.0).acos().to_degrees();
                self.fail(
                    p.key("v_m"),
                    format!(
                        "u_m and v_m of panel \"{}\" are not perpendicular (angle {angle:.6} degrees, u.v = {uv}); allowed: |u.v| <= 1e-6 |u||v|",
                        panel.name
                    ),
                );
            }
            for (axis, &count) in panel.cells.iter().enumerate() {
                if count < 1 {
                    self.fail(
                        p.key("cells").index(axis),
                        format!(
                            "{count} cells along {} is not allowed; each count must be >= 1",
                            ["u", "v"][axis]
                        ),
                    );
                }
            }
            self.positive(p.key("thickness_m"), panel.thickness_m);
            if !s.materials.contains_key(&panel.material) {
                let known: Vec<&str> = s.materials.keys().map(|k| k.as_str()).collect();
                self.fail(
                    p.key("material"),
                    format!(
                        "material \"{}\" is not defined; allowed: one of [{}]",
                        panel.material,
                        known.join(", ")
                    ),
                );
            }
            self.coating_ref(p.key("front"), s, &panel.front);
            self.coating_ref(p.key("back"), s, &panel.back);
            if let Some(material) = s.materials.get(&panel.material) {
                self.cell_scale(p.clone(), panel, material.conductivity_w_mk);
            }
        }
    }

    /// A panel's cells must have a finite, non-zero size, area and conductance in f64; lengths
    /// of 1e200 m or 1e-200 m would otherwise reach the solver as infinities or zeros.
    fn cell_scale(&mut self, place: Place, panel: &super::Panel, conductivity: f64) {
        let (lu, lv) = (norm(panel.u_m), norm(panel.v_m));
        let [nu, nv] = panel.cells;
        let usable = |x: f64| x.is_finite() && x > 0.0;
        let checked_elsewhere = [lu, lv, panel.thickness_m, conductivity];
        if nu < 1 || nv < 1 || !checked_elsewhere.into_iter().all(usable) {
            return;
        }
        let (du, dv) = (lu / nu as f64, lv / nv as f64);
        let kt = conductivity * panel.thickness_m;
        let quantities = [du, dv, du * dv, kt * dv / du, kt * du / dv];
        if !quantities.iter().all(|&q| q.is_normal() && q > 0.0) {
            self.fail(
                place,
                format!(
                    "panel \"{}\" has cells of {du:.3e} m x {dv:.3e} m, whose area or conductance ({:.3e} m^2, {:.3e} and {:.3e} W/K) is not a finite non-zero number; check u_m, v_m, cells and thickness_m",
                    panel.name,
                    du * dv,
                    kt * dv / du,
                    kt * du / dv
                ),
            );
        }
    }

    fn panel_lengths(s: &Scenario, name: &str) -> Option<[f64; 2]> {
        s.panels
            .iter()
            .find(|p| p.name == name)
            .map(|p| [norm(p.u_m), norm(p.v_m)])
    }

    /// The panel must exist; returns its lengths along u and v.
    fn panel_ref(&mut self, place: Place, s: &Scenario, name: &str) -> Option<[f64; 2]> {
        let lengths = Self::panel_lengths(s, name);
        if lengths.is_none() {
            let known: Vec<&str> = s.panels.iter().map(|p| p.name.as_str()).collect();
            self.fail(
                place,
                format!(
                    "panel \"{name}\" does not exist; allowed: one of [{}]",
                    known.join(", ")
                ),
            );
        }
        lengths
    }

    fn point_inside(&mut self, place: Place, panel: &str, lengths: [f64; 2], point: [f64; 2]) {
        for axis in 0..2 {
            let tol = INSIDE_TOLERANCE * lengths[axis];
            if point[axis] < -tol || point[axis] > lengths[axis] + tol {
                self.fail(
                    place,
                    format!(
                        "point [{}, {}] lies outside panel \"{panel}\"; allowed: 0 <= x <= {} m along u and 0 <= y <= {} m along v",
                        Num(point[0]),
                        Num(point[1]),
                        Num(lengths[0]),
                        Num(lengths[1])
                    ),
                );
                return;
            }
        }
    }

    fn segment(&mut self, place: Place, s: &Scenario, panel: &str, from: [f64; 2], to: [f64; 2]) {
        if let Some(lengths) = self.panel_ref(place.key("panel"), s, panel) {
            self.point_inside(place.key("from_m"), panel, lengths, from);
            self.point_inside(place.key("to_m"), panel, lengths, to);
            if from == to {
                self.fail(
                    place.key("to_m"),
                    "the segment has zero length; from_m and to_m must differ",
                );
            }
        }
    }

    fn heat_pipes(&mut self, s: &Scenario) {
        let mut seen = HashSet::new();
        for (i, pipe) in s.heat_pipes.iter().enumerate() {
            let p = Place::root().key("heat_pipes").index(i);
            self.name(p.key("name"), "heat pipe", &pipe.name, &mut seen);
            let single = pipe.panel.is_some() || pipe.from_m.is_some() || pipe.to_m.is_some();
            match (&pipe.segments, single) {
                (Some(_), true) => self.fail(
                    p.clone(),
                    "give either panel/from_m/to_m or segments, not both",
                ),
                (Some(segments), false) => {
                    if segments.is_empty() {
                        self.fail(p.key("segments"), "segments is empty; give at least one segment");
                    }
                    for (k, seg) in segments.iter().enumerate() {
                        self.segment(p.key("segments").index(k), s, &seg.panel, seg.from_m, seg.to_m);
                    }
                }
                (None, _) => match (&pipe.panel, pipe.from_m, pipe.to_m) {
                    (Some(panel), Some(from), Some(to)) => self.segment(p.clone(), s, panel, from, to),
                    _ => self.fail(
                        p.clone(),
                        "a heat pipe needs panel, from_m and to_m (or segments = [{ panel, from_m, to_m }, ...])",
                    ),
                },
            }
            self.positive(p.key("width_m"), pipe.width_m);
            self.positive(p.key("film_coefficient_w_m2k"), pipe.film_coefficient_w_m2k);
            self.positive(p.key("capacity_w_m"), pipe.capacity_w_m);
        }
    }

    fn link_end(&mut self, place: Place, s: &Scenario, end: &LinkEnd) {
        let Some(lengths) = self.panel_ref(place.key("panel"), s, &end.panel) else {
            return;
        };
        match (end.from_m, end.to_m, end.at_m) {
            (Some(from), Some(to), None) => {
                self.point_inside(place.key("from_m"), &end.panel, lengths, from);
                self.point_inside(place.key("to_m"), &end.panel, lengths, to);
                if from == to {
                    self.fail(
                        place.key("to_m"),
                        "the joint line has zero length; use at_m for a point joint",
                    );
                }
            }
            (None, None, Some(at)) => self.point_inside(place.key("at_m"), &end.panel, lengths, at),
            _ => self.fail(
                place,
                "a link end is either a line { panel, from_m, to_m } or a point { panel, at_m }",
            ),
        }
    }

    fn links(&mut self, s: &Scenario) {
        let mut seen = HashSet::new();
        for (i, link) in s.links.iter().enumerate() {
            let p = Place::root().key("links").index(i);
            self.name(p.key("name"), "link", &link.name, &mut seen);
            self.link_end(p.key("a"), s, &link.a);
            self.link_end(p.key("b"), s, &link.b);
            self.positive(p.key("conductance_w_k"), link.conductance_w_k);
        }
    }

    fn schedule_times(&mut self, place: Place, times: &[f64], values_len: usize, values_key: &str) {
        if times.is_empty() {
            self.fail(
                place.key("time_s"),
                "the schedule is empty; give at least one time",
            );
        } else if times.len() != values_len {
            self.fail(
                place.key(values_key),
                format!(
                    "the schedule has {} times but {values_len} values; the two lists must have the same length",
                    times.len()
                ),
            );
        }
        if times.windows(2).any(|w| w[1] <= w[0]) {
            self.fail(place.key("time_s"), "schedule times must increase strictly");
        }
    }

    fn fixed_regions(&mut self, s: &Scenario) {
        let mut seen = HashSet::new();
        for (i, region) in s.fixed_temperatures.iter().enumerate() {
            let p = Place::root().key("fixed_temperatures").index(i);
            self.name(p.key("name"), "fixed region", &region.name, &mut seen);
            self.panel_ref(p.key("panel"), s, &region.panel);
            for axis in 0..2 {
                self.non_negative(p.key("size_m").index(axis), region.size_m[axis]);
            }
            match (region.temperature_k, &region.schedule) {
                (Some(t), None) => self.positive(p.key("temperature_k"), t),
                (None, Some(schedule)) => {
                    let sp = p.key("schedule");
                    self.schedule_times(
                        sp.clone(),
                        &schedule.time_s,
                        schedule.temperature_k.len(),
                        "temperature_k",
                    );
                    for (k, &t) in schedule.temperature_k.iter().enumerate() {
                        self.positive(sp.key("temperature_k").index(k), t);
                    }
                }
                _ => self.fail(p.clone(), "give exactly one of temperature_k and schedule"),
            }
        }
    }

    fn payloads(&mut self, s: &Scenario) {
        let mut seen = HashSet::new();
        for (i, payload) in s.payloads.iter().enumerate() {
            let p = Place::root().key("payloads").index(i);
            self.name(p.key("name"), "payload", &payload.name, &mut seen);
            let entry = catalog::lookup(&payload.model);
            if entry.is_none() && payload.model != "custom" {
                self.fail(
                    p.key("model"),
                    format!(
                        "model \"{}\" is not in the catalog; allowed: {}",
                        payload.model,
                        catalog::model_names()
                    ),
                );
            }
            if payload.model == "custom" {
                if payload.power_w.is_none() && payload.schedule.is_none() {
                    self.fail(p.clone(), "a \"custom\" payload needs power_w (W per chip)");
                }
                if payload.limit_c.is_none() {
                    self.fail(p.clone(), "a \"custom\" payload needs limit_c (C)");
                }
            }
            if payload.count < 1 {
                self.fail(
                    p.key("count"),
                    format!("{} is not allowed; count must be >= 1", payload.count),
                );
            }
            if let Some(lengths) = self.panel_ref(p.key("panel"), s, &payload.panel) {
                self.footprint(
                    p.clone(),
                    &payload.panel,
                    lengths,
                    payload.center_m,
                    payload.size_m,
                );
            }
            self.non_negative(
                p.key("junction_to_panel_k_w"),
                payload.junction_to_panel_k_w,
            );
            if let Some(w) = payload.power_w {
                self.non_negative(p.key("power_w"), w);
            }
            if let Some(w) = payload.eclipse_power_w {
                self.non_negative(p.key("eclipse_power_w"), w);
            }
            if let Some(schedule) = &payload.schedule {
                if payload.power_w.is_some() || payload.eclipse_power_w.is_some() {
                    self.fail(
                        p.key("schedule"),
                        "schedule replaces power_w and eclipse_power_w; give one or the other",
                    );
                }
                let sp = p.key("schedule");
                self.schedule_times(
                    sp.clone(),
                    &schedule.time_s,
                    schedule.power_w.len(),
                    "power_w",
                );
                for (k, &w) in schedule.power_w.iter().enumerate() {
                    self.non_negative(sp.key("power_w").index(k), w);
                }
            }
            if let Some(limit) = payload.limit_c {
                self.celsius_above_absolute_zero(p.key("limit_c"), limit);
            }
            if let Some(min) = payload.min_limit_c {
                self.celsius_above_absolute_zero(p.key("min_limit_c"), min);
                let limit = payload.limit_c.or(entry.map(|e| e.limit_c));
                if let Some(limit) = limit
                    && min >= limit
                {
                    self.fail(
                        p.key("min_limit_c"),
                        format!("min_limit_c {min} C must be below limit_c {limit} C"),
                    );
                }
            }
        }
    }

    fn footprint(
        &mut self,
        place: Place,
        panel: &str,
        lengths: [f64; 2],
        center: [f64; 2],
        size: [f64; 2],
    ) {
        for (axis, &extent) in size.iter().enumerate() {
            if extent.is_finite() && extent <= 0.0 {
                self.fail(
                    place.key("size_m").index(axis),
                    format!("{extent} is not allowed; a footprint size must be > 0"),
                );
                return;
            }
        }
        for axis in 0..2 {
            let tol = INSIDE_TOLERANCE * lengths[axis];
            let low = center[axis] - 0.5 * size[axis];
            let high = center[axis] + 0.5 * size[axis];
            if low < -tol || high > lengths[axis] + tol {
                self.fail(
                    place.key("center_m"),
                    format!(
                        "the footprint (centre [{}, {}], size [{}, {}]) extends outside panel \"{panel}\" ({} m x {} m) along {}; it must lie inside the panel",
                        Num(center[0]),
                        Num(center[1]),
                        Num(size[0]),
                        Num(size[1]),
                        Num(lengths[0]),
                        Num(lengths[1]),
                        ["u", "v"][axis]
                    ),
                );
                return;
            }
        }
    }

    fn solve(&mut self, s: &Scenario) {
        let p = Place::root().key("solve");
        let solve = &s.solve;
        self.non_negative(p.key("required_margin_k"), solve.required_margin_k);
        self.positive(p.key("tolerance_k"), solve.tolerance_k);
        if solve.max_iterations < 1 {
            self.fail(
                p.key("max_iterations"),
                format!(
                    "{} is not allowed; max_iterations must be >= 1",
                    solve.max_iterations
                ),
            );
        }
        if let Some(dt) = solve.time_step_s {
            self.positive(p.key("time_step_s"), dt);
        }
        if let Some(d) = solve.duration_s {
            self.positive(p.key("duration_s"), d);
        }
        if let Some(orbits) = solve.orbits
            && orbits < 2
        {
            self.fail(
                p.key("orbits"),
                format!("{orbits} is not allowed; orbits must be >= 2"),
            );
        }
        if let Some(t) = solve.initial_k {
            self.positive(p.key("initial_k"), t);
        }
        if let Some(t) = solve.periodic_tolerance_k {
            self.positive(p.key("periodic_tolerance_k"), t);
        }
        match solve.mode {
            Mode::Steady => {
                for (key, given) in [
                    ("initial_k", solve.initial_k.is_some()),
                    ("duration_s", solve.duration_s.is_some()),
                    ("orbits", solve.orbits.is_some()),
                ] {
                    if given {
                        self.fail(
                            p.key(key),
                            format!("{key} is allowed only with mode = \"transient\""),
                        );
                    }
                }
            }
            Mode::Transient => {
                if solve.time_step_s.is_none() {
                    self.fail(
                        p.key("mode"),
                        "mode = \"transient\" needs time_step_s (the time step, s)",
                    );
                }
                match (s.orbit.is_some(), solve.duration_s.is_some()) {
                    (true, true) => self.fail(
                        p.key("duration_s"),
                        "duration_s cannot be given with [orbit]: an orbit runs `orbits` orbits; remove one of the two",
                    ),
                    (false, false) => self.fail(
                        p.key("mode"),
                        "mode = \"transient\" needs either an [orbit] section or solve.duration_s",
                    ),
                    _ => {}
                }
                if s.orbit.is_none() {
                    for (key, given) in [
                        ("orbits", solve.orbits.is_some()),
                        ("periodic_tolerance_k", solve.periodic_tolerance_k.is_some()),
                    ] {
                        if given {
                            self.fail(
                                p.key(key),
                                format!("{key} is allowed only with an [orbit] section"),
                            );
                        }
                    }
                }
            }
        }
    }

    /// Case names and the shape of `set`; whether each path exists and each changed scenario is
    /// valid is checked on the document (`crate::run::check_cases`).
    fn cases(&mut self, s: &Scenario) {
        let mut seen = HashSet::new();
        for (i, case) in s.cases.iter().enumerate() {
            let p = Place::root().key("cases").index(i);
            self.name(p.key("name"), "case", &case.name, &mut seen);
            if case.set.is_empty() {
                self.fail(
                    p.key("set"),
                    format!(
                        "case \"{}\" sets nothing; give set = {{ \"path.to.key\" = number, ... }}",
                        case.name
                    ),
                );
            }
            for (path, value) in &case.set {
                let number = match value {
                    toml::Value::Float(x) => Some(*x),
                    toml::Value::Integer(i) => Some(*i as f64),
                    _ => None,
                };
                if number.is_none() {
                    self.fail(
                        p.key("set").key(path),
                        format!("{value} is not allowed; a case sets numbers only"),
                    );
                }
            }
        }
    }

    /// The shape of `[sweep]`: method, samples, seed and each parameter's values or range.
    fn sweep(&mut self, s: &Scenario) {
        let Some(sweep) = &s.sweep else { return };
        let p = Place::root().key("sweep");
        let lhs = sweep.method == SweepMethod::LatinHypercube;
        if sweep.parameters.is_empty() {
            self.fail(
                p.clone(),
                "[sweep] has no parameters; add [[sweep.parameters]] with path and values or range",
            );
        }
        match (lhs, sweep.samples) {
            (true, None) => self.fail(
                p.key("method"),
                "method = \"latin-hypercube\" needs samples (the number of points, >= 1)",
            ),
            (true, Some(n)) if n < 1 => self.fail(
                p.key("samples"),
                format!("{n} is not allowed; samples must be >= 1"),
            ),
            (false, Some(_)) => self.fail(
                p.key("samples"),
                "samples is allowed only with method = \"latin-hypercube\"",
            ),
            _ => {}
        }
        if !lhs && sweep.seed.is_some() {
            self.fail(
                p.key("seed"),
                "seed is allowed only with method = \"latin-hypercube\"",
            );
        }
        let mut paths = HashSet::new();
        for (i, param) in sweep.parameters.iter().enumerate() {
            let pp = p.key("parameters").index(i);
            if !paths.insert(param.path.as_str()) {
                self.fail(
                    pp.key("path"),
                    format!(
                        "\"{}\" is swept twice; each path may appear once",
                        param.path
                    ),
                );
            }
            match (&param.values, &param.range, lhs) {
                (Some(_), Some(_), _) => {
                    self.fail(pp.clone(), "give values or range, not both")
                }
                (None, None, _) => self.fail(
                    pp.clone(),
                    "a parameter needs values = [...] or range = [first, last, count] ([low, high] for a Latin hypercube)",
                ),
                (Some(_), None, true) => self.fail(
                    pp.key("values"),
                    "a Latin hypercube samples ranges; give range = [low, high]",
                ),
                (Some(values), None, false) => {
                    if values.is_empty() {
                        self.fail(pp.key("values"), "values is empty; give at least one value");
                    }
                }
                (None, Some(range), false) => {
                    if range.len() != 3 {
                        self.fail(
                            pp.key("range"),
                            format!("a grid range has 3 numbers [first, last, count], not {}", range.len()),
                        );
                    } else if range[2] < 1.0 || range[2].fract() != 0.0 {
                        self.fail(
                            pp.key("range").index(2),
                            format!("{} is not allowed; the count must be a whole number >= 1", range[2]),
                        );
                    } else if range[2] == 1.0 && range[0] != range[1] {
                        self.fail(
                            pp.key("range"),
                            "a count of 1 needs first = last",
                        );
                    }
                }
                (None, Some(range), true) => {
                    if range.len() != 2 {
                        self.fail(
                            pp.key("range"),
                            format!("a Latin hypercube range has 2 numbers [low, high], not {}", range.len()),
                        );
                    } else if range[0] > range[1] {
                        self.fail(
                            pp.key("range"),
                            format!("low {} is above high {}; allowed: low <= high", range[0], range[1]),
                        );
                    }
                }
            }
        }
    }

    /// Every group of panels joined by conduction needs a way to lose heat.
    fn radiating_groups(&mut self, s: &Scenario) {
        let index: HashMap<&str, usize> = s
            .panels
            .iter()
            .enumerate()
            .map(|(i, p)| (p.name.as_str(), i))
            .collect();
        let mut parent: Vec<usize> = (0..s.panels.len()).collect();
        fn find(parent: &mut [usize], mut i: usize) -> usize {
            while parent[i] != i {
                parent[i] = parent[parent[i]];
                i = parent[i];
            }
            i
        }
        let mut join = |a: &str, b: &str| {
            if let (Some(&a), Some(&b)) = (index.get(a), index.get(b)) {
                let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
                parent[ra] = rb;
            }
        };
        for link in &s.links {
            join(&link.a.panel, &link.b.panel);
        }
        for pipe in &s.heat_pipes {
            let panels: Vec<&str> = match (&pipe.segments, &pipe.panel) {
                (Some(segments), _) => segments.iter().map(|seg| seg.panel.as_str()).collect(),
                (None, Some(panel)) => vec![panel.as_str()],
                _ => Vec::new(),
            };
            for pair in panels.windows(2) {
                join(pair[0], pair[1]);
            }
        }
        let radiates = |coating: &str| s.coatings.get(coating).is_some_and(|c| c.emissivity > 0.0);
        let mut group_ok: HashMap<usize, bool> = HashMap::new();
        for (i, panel) in s.panels.iter().enumerate() {
            let fixed = s.fixed_temperatures.iter().any(|r| r.panel == panel.name);
            let ok = radiates(&panel.front) || radiates(&panel.back) || fixed;
            let root = find(&mut parent, i);
            *group_ok.entry(root).or_insert(false) |= ok;
        }
        let mut reported = HashSet::new();
        for i in 0..s.panels.len() {
            let root = find(&mut parent, i);
            if group_ok.get(&root) == Some(&false) && reported.insert(root) {
                let members: Vec<String> = (0..s.panels.len())
                    .filter(|&k| find(&mut parent, k) == root)
                    .map(|k| format!("\"{}\"", s.panels[k].name))
                    .collect();
                self.fail(
                    Place::root().key("panels").index(i),
                    format!(
                        "panels {} (joined by conduction) cannot lose heat: no side radiates (every coating is \"none\" or has emissivity 0) and no temperature is fixed, so there is no steady state; give a side a coating with emissivity > 0 or add a [[fixed_temperatures]] region",
                        members.join(", ")
                    ),
                );
            }
        }
    }
}
