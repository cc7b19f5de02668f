//! The `viewfactors` report (SCENARIO.md section 9): panel-side view factors from the raw ray
//! counts, their binomial standard errors, and the reciprocity and closure residuals before
//! enforcement.

use serde::Serialize;

use super::scene::Scene;
use super::trace::Tally;
use crate::model::Model;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PairFactor {
    pub from: String,
    pub from_side: &'static str,
    pub to: String,
    pub to_side: &'static str,
    /// Area-weighted view factor from one panel side to another.
    pub f: f64,
    /// sqrt(f (1 - f) / N), N = cells x rays_per_side of the emitting side.
    pub std_error: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SideFactor {
    pub panel: String,
    pub side: &'static str,
    pub space: f64,
    pub earth: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ViewFactorReport {
    pub pairs: Vec<PairFactor>,
    pub sides: Vec<SideFactor>,
    /// max |A_i F_ij - A_j F_ji| / max(A_i F_ij, A_j F_ji) over panel-side pairs, before
    /// enforcement (a pair seen from one side only counts 1).
    pub reciprocity_residual: f64,
    /// max |sum_j F_ij + F_space + F_earth - 1| over sides, before enforcement.
    pub closure_residual: f64,
}

pub fn side_name(side: usize) -> &'static str {
    if side == 0 { "front" } else { "back" }
}

pub fn build(model: &Model, scene: &Scene, tally: &Tally, rays: u32) -> ViewFactorReport {
    let n_sides = 2 * scene.panels.len();
    let side_of = |patch: u32| {
        let info = &scene.patches[patch as usize];
        2 * info.panel as usize + info.side as usize
    };
    let mut counts = std::collections::BTreeMap::<(usize, usize), u64>::new();
    for &(p, q, n) in &tally.pairs {
        *counts.entry((side_of(p), side_of(q))).or_default() += n;
    }
    let rays_of = |s: usize| scene.panels[s / 2].cell_count() as f64 * f64::from(rays);
    let area_of = |s: usize| scene.panels[s / 2].length[0] * scene.panels[s / 2].length[1];
    let f = |a: usize, b: usize| counts.get(&(a, b)).map_or(0.0, |&n| n as f64 / rays_of(a));
    let name = |s: usize| model.panels[s / 2].name.clone();

    let pairs = counts
        .iter()
        .map(|(&(a, b), &n)| {
            let value = n as f64 / rays_of(a);
            PairFactor {
                from: name(a),
                from_side: side_name(a % 2),
                to: name(b),
                to_side: side_name(b % 2),
                f: value,
                std_error: (value * (1.0 - value) / rays_of(a)).sqrt(),
            }
        })
        .collect();

    let mut reciprocity = 0.0f64;
    for &(a, b) in counts.keys() {
        let (ab, ba) = (area_of(a) * f(a, b), area_of(b) * f(b, a));
        let big = ab.max(ba);
        if big > 0.0 {
            reciprocity = reciprocity.max((ab - ba).abs() / big);
        }
    }

    let mut sides = Vec::with_capacity(n_sides);
    let mut closure = 0.0f64;
    for s in 0..n_sides {
        let sp = &scene.panels[s / 2];
        let range = 2 * sp.first_cell..2 * (sp.first_cell + sp.cell_count());
        let cells = range.clone().filter(|cs| cs % 2 == s % 2);
        let (mut space, mut earth) = (0u64, 0u64);
        for cs in cells {
            space += u64::from(tally.space[cs]);
            earth += u64::from(tally.earth[cs]);
        }
        let (space, earth) = (space as f64 / rays_of(s), earth as f64 / rays_of(s));
        let to_surfaces: f64 = (0..n_sides).map(|b| f(s, b)).sum();
        closure = closure.max((to_surfaces + space + earth - 1.0).abs());
        sides.push(SideFactor {
            panel: name(s),
            side: side_name(s % 2),
            space,
            earth,
        });
    }
    ViewFactorReport {
        pairs,
        sides,
        reciprocity_residual: reciprocity,
        closure_residual: closure,
    }
}

/// The human table of `viewfactors`: every pair, every side's view of space and the Earth, and
/// the residuals before enforcement.
pub fn human_table(report: &ViewFactorReport, rays: u64, seconds: f64) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(out, "view factors between panel sides");
    let _ = writeln!(
        out,
        "  {:<20} {:<6} {:<20} {:<6} {:>9} {:>10}",
        "from", "side", "to", "side", "F", "std error"
    );
    for p in &report.pairs {
        let _ = writeln!(
            out,
            "  {:<20} {:<6} {:<20} {:<6} {:>9.5} {:>10.2e}",
            p.from, p.from_side, p.to, p.to_side, p.f, p.std_error
        );
    }
    let _ = writeln!(out, "\nsides");
    let _ = writeln!(
        out,
        "  {:<20} {:<6} {:>9} {:>9}",
        "panel", "side", "space", "Earth"
    );
    for s in &report.sides {
        let _ = writeln!(
            out,
            "  {:<20} {:<6} {:>9.5} {:>9.5}",
            s.panel, s.side, s.space, s.earth
        );
    }
    let _ = writeln!(
        out,
        "\nreciprocity residual {:.3e}, closure residual {:.3e} (before enforcement)",
        report.reciprocity_residual, report.closure_residual
    );
    let rate = if seconds > 0.0 {
        rays as f64 / seconds
    } else {
        0.0
    };
    let _ = writeln!(
        out,
        "{rays} rays traced in {seconds:.3} s ({rate:.3e} rays/s, view factors and shadows of the scenario included)"
    );
    out
}
