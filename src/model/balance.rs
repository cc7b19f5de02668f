//! The heat balance of the discrete problem: each node's net heat at given temperatures, the
//! heat each cell radiates away, and a cell's conduction neighbours (the entries of the balance's
//! Jacobian). Solvers, reports and tests all evaluate the balance here, so they agree on it.

use rayon::prelude::*;

use super::{Model, PanelMesh, SIGMA};

/// Net heat flowing into each node (W) at temperatures `t`: dissipation + absorbed - emitted
/// + conduction in. Fixed nodes get their raw balance too (the fixture supplies minus it).
pub fn heat_residual(model: &Model, t: &[f64], out: &mut [f64]) {
    let sink4 = model.sink_k.powi(4);
    let exchange = model.exchange.as_ref().map(|_| radiated_by_cells(model, t));
    for panel in &model.panels {
        let [nu, nv] = panel.cells;
        let [gu, gv] = panel.conductance;
        let range = panel.cells_range();
        let first = range.start;
        let tp = &t[range.clone()];
        out[range]
            .par_chunks_mut(nu)
            .enumerate()
            .for_each(|(j, row)| {
                for (i, r) in row.iter_mut().enumerate() {
                    let c = i + nu * j;
                    let tc = tp[c];
                    let mut q = 0.0;
                    if i > 0 {
                        q += gu * (tp[c - 1] - tc);
                    }
                    if i + 1 < nu {
                        q += gu * (tp[c + 1] - tc);
                    }
                    if j > 0 {
                        q += gv * (tp[c - nu] - tc);
                    }
                    if j + 1 < nv {
                        q += gv * (tp[c + nu] - tc);
                    }
                    let node = first + c;
                    let emitted = match &exchange {
                        Some(emitted) => emitted[node],
                        None => {
                            let t2 = tc * tc;
                            SIGMA * model.emissive_area[node] * (t2 * t2 - sink4)
                        }
                    };
                    *r = q + model.dissipated_w[node] + model.absorbed_w[node] - emitted;
                }
            });
    }
    for r in &mut out[model.n_cells..] {
        *r = 0.0;
    }
    for c in &model.couplings {
        let q = c.conductance * (t[c.b] - t[c.a]);
        out[c.a] += q;
        out[c.b] -= q;
    }
}

/// Net heat radiated away by each cell, W (emission less what it absorbs from the sink and,
/// with `[radiation]`, from other surfaces), plus what blankets' outer layers absorb and radiate
/// straight back out (SCENARIO-2 section 15: `emitted_w` counts what leaves the outer layers).
/// Non-finite where the radiosity failed.
pub fn emitted_w(model: &Model, t: &[f64]) -> Vec<f64> {
    let mut out = radiated_by_cells(model, t);
    add_outer_layers(model, &mut out);
    out
}

/// The heat balance's part of `emitted_w`: what leaves each cell by radiation, W.
fn radiated_by_cells(model: &Model, t: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; model.n_cells];
    match &model.exchange {
        Some(exchange) => {
            if exchange.net_infrared(model, t, &mut out).is_err() {
                out.fill(f64::NAN);
            }
            for q in &mut out {
                *q = -*q;
            }
        }
        None => {
            let sink4 = model.sink_k.powi(4);
            for (cell, q) in out.iter_mut().enumerate() {
                let t2 = t[cell] * t[cell];
                *q = SIGMA * model.emissive_area[cell] * (t2 * t2 - sink4);
            }
        }
    }
    out
}

/// External heat absorbed by each cell, W, as reports count it: what reaches the cell, plus on
/// a blanketed side what the outer layer absorbs and radiates straight back out (SCENARIO-2
/// section 15: `emitted_w` counts what leaves the outer layers, so both carry that part).
pub fn absorbed_w(model: &Model) -> Vec<f64> {
    let mut out = model.absorbed_w[..model.n_cells].to_vec();
    add_outer_layers(model, &mut out);
    out
}

/// Adds, per cell, what its blankets' outer layers absorb and do not pass on to it: the traced
/// loads per cell with `[radiation]`, the sides' uniform fluxes without.
fn add_outer_layers(model: &Model, out: &mut [f64]) {
    for panel in &model.panels {
        if model.exchange.is_some() {
            if model.outer_absorbed_w.is_empty() {
                continue;
            }
            let kept = [&panel.front, &panel.back].map(|s| 1.0 - s.absorbed_share());
            for c in panel.cells_range() {
                let [front, back] = model.outer_absorbed_w[c];
                out[c] += kept[0] * front + kept[1] * back;
            }
            continue;
        }
        let w = panel.outer_layer_per_cell();
        if w != 0.0 {
            for q in &mut out[panel.cells_range()] {
                *q += w;
            }
        }
    }
}

/// Per panel: heat from its cells into the outer layers of their blankets, e* sigma A (T^4 -
/// T_o^4) summed, W (positive out of the panel; 0 for a panel without a blanket). By the outer
/// layer's balance that is minus what the cell receives through the blanket: its share of the
/// layer's external loads and its net infrared through it.
pub fn mli_leak_w(model: &Model, t: &[f64]) -> Vec<f64> {
    let has_blanket = |panel: &PanelMesh| {
        [&panel.front, &panel.back]
            .iter()
            .any(|s| s.effective_emittance.is_some())
    };
    if !model.panels.iter().any(has_blanket) {
        return vec![0.0; model.panels.len()];
    }
    let Some(exchange) = &model.exchange else {
        return model
            .panels
            .iter()
            .map(|panel| untraced_leak_w(model, panel, t))
            .collect();
    };
    let mut through = vec![0.0; model.n_cells];
    if exchange
        .blanket_net_infrared(model, t, &mut through)
        .is_err()
    {
        through.fill(f64::NAN);
    }
    model
        .panels
        .iter()
        .map(|panel| {
            if !has_blanket(panel) {
                return 0.0;
            }
            let share = [&panel.front, &panel.back].map(|s| match s.effective_emittance {
                Some(_) => s.absorbed_share(),
                None => 0.0,
            });
            panel
                .cells_range()
                .map(|c| {
                    let [front, back] = model.outer_absorbed_w.get(c).copied().unwrap_or([0.0; 2]);
                    -(share[0] * front + share[1] * back + through[c])
                })
                .sum()
        })
        .collect()
}

/// One panel's MLI leak without `[radiation]`: T_o from the closed form of `Side`.
fn untraced_leak_w(model: &Model, panel: &PanelMesh, t: &[f64]) -> f64 {
    let sides = [&panel.front, &panel.back];
    if sides.iter().all(|s| s.effective_emittance.is_none()) {
        return 0.0;
    }
    t[panel.cells_range()]
        .iter()
        .map(|&tc| {
            sides
                .iter()
                .map(|s| s.mli_leak_w_m2(tc, model.sink_k))
                .sum::<f64>()
                * panel.cell_area
        })
        .sum()
}

/// Cell (i, j)'s four stencil neighbours: whether each exists, its node and the conductance.
pub fn stencil(panel: &PanelMesh, i: usize, j: usize) -> [(bool, usize, f64); 4] {
    let [nu, nv] = panel.cells;
    let [gu, gv] = panel.conductance;
    let c = panel.cell_index(i, j);
    [
        (i > 0, c.wrapping_sub(1), gu),
        (i + 1 < nu, c + 1, gu),
        (j > 0, c.wrapping_sub(nu), gv),
        (j + 1 < nv, c + nu, gv),
    ]
}
