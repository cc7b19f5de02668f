//! `[materials]`, `[coatings]` and `[[panels]]`: what the panels are made of, their shape and
//! cells, and the look-ups (a panel by name, a point on it) that the items placed on panels use.

use std::collections::HashSet;

use super::{INSIDE_TOLERANCE, PERPENDICULAR_TOLERANCE, Validator};
use crate::error::Num;
use crate::scenario::place::Place;
use crate::scenario::types::{Mode, Panel, Scenario};
use crate::vec3::{cosine, dot, norm};

impl Validator {
    pub(super) fn materials(&mut self, s: &Scenario) {
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

    pub(super) fn coatings(&mut self, s: &Scenario) {
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
            if let Some(e) = c.effective_emittance {
                self.blanket(p.key("effective_emittance"), e);
            }
        }
    }

    /// An MLI blanket's e*: 0 < e* <= 1.
    fn blanket(&mut self, place: Place, e: f64) {
        if e.is_finite() && !(e > 0.0 && e <= 1.0) {
            self.fail(
                place,
                format!(
                    "{} is out of range; allowed: 0 < effective_emittance <= 1",
                    Num(e)
                ),
            );
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

    pub(super) fn panels(&mut self, s: &Scenario) {
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
            if let Some(m) = panel.areal_mass_kg_m2 {
                self.non_negative(p.key("areal_mass_kg_m2"), m);
            }
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
    fn cell_scale(&mut self, place: Place, panel: &Panel, conductivity: f64) {
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
    pub(super) fn panel_ref(&mut self, place: Place, s: &Scenario, name: &str) -> Option<[f64; 2]> {
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

    pub(super) fn point_inside(
        &mut self,
        place: Place,
        panel: &str,
        lengths: [f64; 2],
        point: [f64; 2],
    ) {
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
}
