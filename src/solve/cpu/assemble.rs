//! The heat balance of every node and its Jacobian, in f64: the CPU reference that every other
//! backend is compared with.

use rayon::prelude::*;

use super::sparse::CsrMatrix;
use crate::error::{Error, Result};
use crate::model::{Model, SIGMA};

/// Net heat flowing into each node (W) at temperatures `t`: dissipation + absorbed - emitted
/// + conduction in. Fixed nodes get their raw balance too (the fixture supplies minus it).
pub fn heat_residual(model: &Model, t: &[f64], out: &mut [f64]) {
    let sink4 = model.sink_k.powi(4);
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
                    let t2 = tc * tc;
                    let emitted = SIGMA * model.emissive_area[node] * (t2 * t2 - sink4);
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

/// The Newton matrix K + D(T) over all nodes with fixed nodes eliminated (identity rows, their
/// columns dropped). Built once; `update_radiation` refreshes the diagonal each step.
pub struct Jacobian {
    pub matrix: CsrMatrix,
    /// Conduction part of each row's diagonal.
    conduction_diagonal: Vec<f64>,
}

impl Jacobian {
    pub fn new(model: &Model) -> Result<Jacobian> {
        let n = model.n_nodes;
        let fixed: Vec<bool> = (0..n).map(|i| model.is_fixed(i)).collect();
        let mut conduction_diagonal = vec![0.0; n];
        let mut triplets: Vec<(usize, usize, f64)> =
            Vec::with_capacity(5 * model.n_cells + 2 * model.couplings.len() + n);
        let couple = |a: usize,
                      b: usize,
                      g: f64,
                      diag: &mut Vec<f64>,
                      triplets: &mut Vec<(usize, usize, f64)>| {
            if !fixed[a] {
                diag[a] += g;
                if !fixed[b] {
                    triplets.push((a, b, -g));
                }
            }
            if !fixed[b] {
                diag[b] += g;
                if !fixed[a] {
                    triplets.push((b, a, -g));
                }
            }
        };
        for panel in &model.panels {
            let [nu, nv] = panel.cells;
            let [gu, gv] = panel.conductance;
            for j in 0..nv {
                for i in 0..nu {
                    let c = panel.cell_index(i, j);
                    if i + 1 < nu {
                        couple(c, c + 1, gu, &mut conduction_diagonal, &mut triplets);
                    }
                    if j + 1 < nv {
                        couple(c, c + nu, gv, &mut conduction_diagonal, &mut triplets);
                    }
                }
            }
        }
        for c in &model.couplings {
            couple(
                c.a,
                c.b,
                c.conductance,
                &mut conduction_diagonal,
                &mut triplets,
            );
        }
        for (i, &f) in fixed.iter().enumerate() {
            triplets.push((i, i, if f { 1.0 } else { 0.0 }));
        }
        let matrix = CsrMatrix::from_triplets(n, &triplets)
            .map_err(|e| Error::Solver(format!("cannot assemble the conduction matrix: {e}")))?;
        Ok(Jacobian {
            matrix,
            conduction_diagonal,
        })
    }

    /// Set the diagonal to conduction + 4 sigma eps A T^3 at temperatures `t`.
    pub fn update_radiation(&mut self, model: &Model, t: &[f64]) {
        let diag_index = self.matrix.diag_index.clone();
        let values = &mut self.matrix.values;
        for (node, &k) in diag_index.iter().enumerate() {
            if model.is_fixed(node) {
                values[k] = 1.0;
                continue;
            }
            let radiation = if node < model.n_cells {
                let tc = t[node];
                4.0 * SIGMA * model.emissive_area[node] * tc * tc * tc
            } else {
                0.0
            };
            values[k] = self.conduction_diagonal[node] + radiation;
        }
    }
}
