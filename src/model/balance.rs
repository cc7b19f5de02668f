//! The heat balance of the discrete problem: each node's net heat at given temperatures, the
//! heat each cell radiates away, and a cell's conduction neighbours (the entries of the balance's
//! Jacobian). Solvers, reports and tests all evaluate the balance here, so they agree on it.

use rayon::prelude::*;

use super::{Model, PanelMesh, SIGMA};

/// Net heat flowing into each node (W) at temperatures `t`: dissipation + absorbed - emitted
/// + conduction in. Fixed nodes get their raw balance too (the fixture supplies minus it).
pub fn heat_residual(model: &Model, t: &[f64], out: &mut [f64]) {
    let sink4 = model.sink_k.powi(4);
    let exchange = model.exchange.as_ref().map(|_| emitted_w(model, t));
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
/// with `[radiation]`, from other surfaces). Non-finite where the radiosity failed.
pub fn emitted_w(model: &Model, t: &[f64]) -> Vec<f64> {
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
            add_outer_layers(model, &mut out);
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

fn add_outer_layers(model: &Model, out: &mut [f64]) {
    for panel in &model.panels {
        let w = panel.outer_layer_per_cell();
        if w != 0.0 {
            for q in &mut out[panel.cells_range()] {
                *q += w;
            }
        }
    }
}

/// Heat from each cell into the outer layers of its blankets, W (positive out of the panel;
/// 0 where a cell has none).
pub fn mli_leak_w(model: &Model, panel: &PanelMesh, t: &[f64]) -> f64 {
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
