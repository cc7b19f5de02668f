//! From the tally to the patch exchange: reciprocity enforced on a symmetric patch matrix, and
//! the grey diffuse radiosity solved on patches (both bands use the same solver).

use rayon::prelude::*;

use super::scene::Scene;
use super::trace::Tally;
use crate::error::{Error, Result};

/// The symmetric patch exchange after enforcement: `g[p][q] = A_p F_pq` (m^2), CSR.
#[derive(Clone, Debug)]
pub struct PatchExchange {
    pub row_ptr: Vec<usize>,
    pub cols: Vec<u32>,
    pub g: Vec<f64>,
    /// Row sums of `g` (m^2): what each patch delivers to surfaces per unit radiosity.
    pub row_sum: Vec<f64>,
    /// `S_p = sum over cells of A_c f_c` (m^2) with the enforced cell fractions: equal to
    /// `row_sum` except where a cell's fraction had to be clamped.
    pub surface: Vec<f64>,
    pub area: Vec<f64>,
    /// Per cell side (index 2 cell + side): the enforced fraction to surfaces.
    pub cell_surface: Vec<f64>,
    /// Largest relative change |R_p - S_p| / S_p of a patch's fraction to surfaces that the
    /// enforcement made, and the number of cell sides whose fraction was clamped.
    pub largest_change: f64,
    pub clamped: usize,
}

/// Reciprocity and closure, at patch level, from the raw counts:
/// 1. `A_p F_pq = n_pq a_p / R` (a_p the cell area of p's panel, R rays per cell side).
/// 2. Symmetrise: `G_pq = (A_p F_pq + A_q F_qp) / 2`: reciprocity is exact at patch level.
/// 3. Closure: the traced fraction to surfaces of every cell of patch p, f_c, is scaled by
///    `R_p / S_p` (R_p the row sum of G, S_p = sum_c A_c f_c as traced; a patch that no ray
///    left towards a surface but others hit gets R_p / A_p on every cell), and the cell's space
///    fraction takes the remainder `1 - f_c - f_earth,c` (the Earth fraction stays as traced).
///    Each row then sums exactly to what its cells send, so closure is exact per cell; a
///    fraction that would exceed `1 - f_earth,c` (noise in a closed enclosure) is clamped there,
///    and only then does reciprocity hold to the clamped amount. The changes are of the order
///    of the statistical error; `largest_change` reports them.
///
/// The radiosity conserves energy exactly whatever the enforcement did: what a cell side
/// sends to surfaces is split over target patches in proportions summing to one.
pub fn enforce(scene: &Scene, tally: &Tally, rays: u32) -> PatchExchange {
    let n = scene.patch_count();
    let area: Vec<f64> = scene.patches.iter().map(|p| p.area).collect();
    let cell_area = |p: u32| scene.panels[scene.patches[p as usize].panel as usize].cell_area;
    let r = f64::from(rays);
    let mut traced = vec![0.0; n];
    let mut entries: Vec<(u32, u32, f64)> = Vec::with_capacity(2 * tally.pairs.len());
    for &(p, q, count) in &tally.pairs {
        let value = count as f64 * cell_area(p) / r;
        traced[p as usize] += value;
        entries.push((p, q, 0.5 * value));
        entries.push((q, p, 0.5 * value));
    }
    entries.sort_unstable_by_key(|&(p, q, _)| (p, q));
    let mut row_ptr = vec![0usize; n + 1];
    let mut cols = Vec::with_capacity(entries.len());
    let mut g: Vec<f64> = Vec::with_capacity(entries.len());
    let mut last: Option<(u32, u32)> = None;
    for (p, q, value) in entries {
        if last == Some((p, q)) {
            if let Some(x) = g.last_mut() {
                *x += value;
            }
        } else {
            cols.push(q);
            g.push(value);
            row_ptr[p as usize + 1] += 1;
            last = Some((p, q));
        }
    }
    for p in 0..n {
        row_ptr[p + 1] += row_ptr[p];
    }
    let row_sum: Vec<f64> = (0..n)
        .map(|p| g[row_ptr[p]..row_ptr[p + 1]].iter().sum())
        .collect();

    let n_cells = tally.space.len() / 2;
    let mut cell_surface = vec![0.0; 2 * n_cells];
    let mut surface = vec![0.0; n];
    let mut clamped = 0;
    let mut largest_change = 0.0f64;
    for (p, info) in scene.patches.iter().enumerate() {
        let sp = &scene.panels[info.panel as usize];
        if traced[p] > 0.0 {
            largest_change = largest_change.max((row_sum[p] - traced[p]).abs() / traced[p]);
        }
        for j in info.j0..info.j1 {
            for i in info.i0..info.i1 {
                let cs = 2 * (sp.first_cell + (i + sp.cells[0] * j) as usize) + info.side as usize;
                let earth = f64::from(tally.earth[cs]) / r;
                let f = f64::from(rays - tally.space[cs] - tally.earth[cs]) / r;
                let scaled = if traced[p] > 0.0 {
                    f * row_sum[p] / traced[p]
                } else {
                    row_sum[p] / area[p]
                };
                let limit = 1.0 - earth;
                let value = if scaled > limit {
                    clamped += 1;
                    limit
                } else {
                    scaled
                };
                cell_surface[cs] = value;
                surface[p] += value * sp.cell_area;
            }
        }
    }
    PatchExchange {
        row_ptr,
        cols,
        g,
        row_sum,
        surface,
        area,
        cell_surface,
        largest_change,
        clamped,
    }
}

/// Relative change at which the radiosity iteration stops.
pub const RADIOSITY_TOLERANCE: f64 = 1e-13;
/// Gauss-Seidel sweeps after which the radiosity gives up.
pub const MAX_RADIOSITY_SWEEPS: usize = 20_000;

impl PatchExchange {
    /// Solves one band: `O_p = source_p + reflect_p S_p H_p`, `H_q = sum_p w_pq O_p / A_q` with
    /// `w_pq = G_pq / rowsum_p`, by Gauss-Seidel on O until the largest change is below 1e-13 of
    /// the largest O. Returns H per patch (W/m^2 arriving from other surfaces).
    ///
    /// `source_p` is what patch p sends to surfaces before any inter-reflection (W), `reflect_p`
    /// its reflectivity (1 for "none" sides). A closed enclosure of perfectly reflecting sides
    /// with a source in it has no steady solution: that, or any iteration that does not settle
    /// within 20 000 sweeps, is an error.
    pub fn solve_band(&self, reflect: &[f64], source: &[f64]) -> Result<Vec<f64>> {
        let n = self.area.len();
        // y_p = O_p / rowsum_p: what patch p sends per m^2 of exchange.
        let per = |p: usize, o: f64| {
            if self.row_sum[p] > 0.0 {
                o / self.row_sum[p]
            } else {
                0.0
            }
        };
        let mut o: Vec<f64> = source.to_vec();
        let mut y: Vec<f64> = (0..n).map(|p| per(p, o[p])).collect();
        let incoming = |q: usize, y: &[f64]| -> f64 {
            let sum: f64 = (self.row_ptr[q]..self.row_ptr[q + 1])
                .map(|e| self.g[e] * y[self.cols[e] as usize])
                .sum();
            sum / self.area[q]
        };
        let scale = source.iter().fold(0.0f64, |m, s| m.max(s.abs()));
        if scale == 0.0 {
            return Ok(vec![0.0; n]);
        }
        let mut sweeps = 0;
        loop {
            let mut change = 0.0f64;
            let mut largest = 0.0f64;
            for q in 0..n {
                let h = incoming(q, &y);
                let new = source[q] + reflect[q] * self.surface[q] * h;
                change = change.max((new - o[q]).abs());
                largest = largest.max(new.abs());
                o[q] = new;
                y[q] = per(q, new);
            }
            sweeps += 1;
            if !largest.is_finite() {
                break;
            }
            if change <= RADIOSITY_TOLERANCE * largest {
                return Ok((0..n).map(|q| incoming(q, &y)).collect());
            }
            if sweeps >= MAX_RADIOSITY_SWEEPS {
                break;
            }
        }
        Err(Error::Solver(format!(
            "radiosity: no steady exchange after {sweeps} sweeps; the surfaces form a (nearly) \
             closed enclosure that reflects almost everything (\"none\" sides reflect all \
             radiation): give some of them an absorbing coating or open the enclosure"
        )))
    }

    /// Sums `f(cell side index, cell area)` over the cells of every patch, in parallel over
    /// patches and in a fixed order inside each (deterministic).
    pub fn per_patch(&self, scene: &Scene, f: impl Fn(usize) -> f64 + Sync) -> Vec<f64> {
        scene
            .patches
            .par_iter()
            .map(|info| {
                let sp = &scene.panels[info.panel as usize];
                let mut sum = 0.0;
                for j in info.j0..info.j1 {
                    for i in info.i0..info.i1 {
                        let cell = sp.first_cell + (i + sp.cells[0] * j) as usize;
                        sum += f(2 * cell + info.side as usize);
                    }
                }
                sum
            })
            .collect()
    }
}
