//! The f64 balance of each conduction group, applied to every Newton update.
//!
//! The conduction rows of the Newton matrix sum to rounding noise instead of zero: about 1e-7
//! of their diagonal in f32, 1e-16 in f64. A panel whose radiation is below that (an unheated
//! panel near a cold sink: 1e-9 of its conduction; a model at a fraction of a kelvin: 1e-15)
//! has a near-constant mode whose eigenvalue the operator cannot even sign: the linear solve's
//! update is noise along it, and Newton stalls (exit 3) or stops kelvins away from the answer.
//!
//! The cure is a coarse correction in f64 on the host, over one unknown per group (the free
//! cells of a panel, or one free node after the cells): with Z the groups' indicator vectors,
//! the update `x` becomes `x + Z y`, `(Z^T J Z) y = Z^T (r - J x)`, so that every group's
//! linearised balance holds exactly. Both sides are formed without the conduction terms inside
//! a group, which cancel exactly: `Z^T J Z` is the couplings that leave a group plus each
//! group's sum of the non-conduction diagonal (radiation, heat capacity), and `Z^T J x` adds
//! that diagonal times `x` to the heat the leaving couplings carry. Cost per Newton step: one
//! pass over the nodes and a dense solve of the groups' size. (The linear solve itself sees
//! a diagonal floor, `F32_DIAGONAL_FLOOR` in mod.rs, that keeps it positive definite.)

use rayon::prelude::*;

use super::jacobian::NewtonDiagonal;
use crate::model::Model;
use crate::model::balance::stencil;

/// Groups beyond this many are left to the backend's own solve (a dense solve of the groups'
/// size per Newton step).
const MAX_GROUPS: usize = 2048;

const NO_GROUP: u32 = u32::MAX;

/// A coupling from a node of one group to another group's node, or to a fixed node (`to` is
/// `None`): its conductance, W/K.
#[derive(Clone, Copy, Debug)]
struct Leaving {
    from: usize,
    to: Option<usize>,
    conductance: f64,
}

/// The groups of a model and their conduction couplings (fixed for the model's life).
#[derive(Clone, Debug)]
pub struct GroupBalance {
    group: Vec<u32>,
    groups: usize,
    leaving: Vec<Leaving>,
    /// `Z^T K Z`: the conduction between groups and to fixed nodes, dense, row-major.
    conduction: Vec<f64>,
}

impl GroupBalance {
    /// The groups of `model`, or None when there are too many for a dense solve.
    pub fn new(model: &Model) -> Option<GroupBalance> {
        let mut group = vec![NO_GROUP; model.n_nodes];
        let mut groups = 0usize;
        for panel in &model.panels {
            let id = groups as u32;
            let mut any = false;
            for node in panel.cells_range() {
                if !model.is_fixed(node) {
                    group[node] = id;
                    any = true;
                }
            }
            groups += usize::from(any);
        }
        for (node, slot) in group.iter_mut().enumerate().skip(model.n_cells) {
            if !model.is_fixed(node) {
                *slot = groups as u32;
                groups += 1;
            }
        }
        if groups == 0 || groups > MAX_GROUPS {
            return None;
        }
        let mut leaving = Vec::new();
        for panel in &model.panels {
            let [nu, nv] = panel.cells;
            for j in 0..nv {
                for i in 0..nu {
                    let node = panel.cell_index(i, j);
                    if group[node] == NO_GROUP {
                        continue;
                    }
                    for (exists, other, conductance) in stencil(panel, i, j) {
                        if exists && group[other] == NO_GROUP {
                            leaving.push(Leaving {
                                from: node,
                                to: None,
                                conductance,
                            });
                        }
                    }
                }
            }
        }
        for c in &model.couplings {
            let (ga, gb) = (group[c.a], group[c.b]);
            let (from, to) = match (ga == NO_GROUP, gb == NO_GROUP) {
                (true, true) => continue,
                (false, true) => (c.a, None),
                (true, false) => (c.b, None),
                (false, false) if ga == gb => continue,
                (false, false) => (c.a, Some(c.b)),
            };
            leaving.push(Leaving {
                from,
                to,
                conductance: c.conductance,
            });
        }
        let mut conduction = vec![0.0; groups * groups];
        for l in &leaving {
            let a = group[l.from] as usize;
            conduction[a * groups + a] += l.conductance;
            if let Some(to) = l.to {
                let b = group[to] as usize;
                conduction[b * groups + b] += l.conductance;
                conduction[a * groups + b] -= l.conductance;
                conduction[b * groups + a] -= l.conductance;
            }
        }
        Some(GroupBalance {
            group,
            groups,
            leaving,
            conduction,
        })
    }

    /// Corrects `x`, an approximate solution of `J x = r` (`J` the Newton matrix at
    /// temperatures `t` with time coefficient `alpha`; `r` zero at fixed nodes), so that each
    /// group's balance holds exactly. Leaves `x` as it is when the groups' system is singular.
    pub fn correct(&self, model: &Model, t: &[f64], alpha: f64, r: &[f64], x: &mut [f64]) {
        let g = self.groups;
        // Per group: the sum of the non-conduction diagonal, and of r - d x.
        let sums = (0..model.n_nodes)
            .into_par_iter()
            .with_min_len(1 << 14)
            .fold(
                || vec![0.0; 2 * g],
                |mut acc, node| {
                    let k = self.group[node];
                    if k != NO_GROUP {
                        let d = NewtonDiagonal::radiation_and_storage(model, t, alpha, node);
                        acc[2 * k as usize] += d;
                        acc[2 * k as usize + 1] += r[node] - d * x[node];
                    }
                    acc
                },
            )
            .reduce(
                || vec![0.0; 2 * g],
                |mut a, b| {
                    a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                    a
                },
            );
        let mut matrix = self.conduction.clone();
        let mut rhs: Vec<f64> = (0..g).map(|k| sums[2 * k + 1]).collect();
        for k in 0..g {
            matrix[k * g + k] += sums[2 * k];
        }
        for l in &self.leaving {
            let a = self.group[l.from] as usize;
            let across = x[l.from] - l.to.map_or(0.0, |to| x[to]);
            rhs[a] -= l.conductance * across;
            if let Some(to) = l.to {
                rhs[self.group[to] as usize] += l.conductance * across;
            }
        }
        let Some(y) = solve_dense(&mut matrix, &mut rhs, g) else {
            return;
        };
        x.par_iter_mut()
            .with_min_len(1 << 14)
            .zip(&self.group)
            .for_each(|(xi, &k)| {
                if k != NO_GROUP {
                    *xi += y[k as usize];
                }
            });
    }
}

/// Solves the dense `n x n` system `a y = b` (row-major; both overwritten) by Gaussian
/// elimination with partial pivoting; None when a pivot is not positive-definite-sized
/// (zero or non-finite).
fn solve_dense(a: &mut [f64], b: &mut [f64], n: usize) -> Option<Vec<f64>> {
    let scale = a.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if !(scale.is_finite() && scale > 0.0) {
        return None;
    }
    for col in 0..n {
        let pivot =
            (col..n).max_by(|&i, &j| a[i * n + col].abs().total_cmp(&a[j * n + col].abs()))?;
        if a[pivot * n + col] == 0.0 || !a[pivot * n + col].is_finite() {
            return None;
        }
        if pivot != col {
            for k in 0..n {
                a.swap(pivot * n + k, col * n + k);
            }
            b.swap(pivot, col);
        }
        let p = a[col * n + col];
        for row in col + 1..n {
            let f = a[row * n + col] / p;
            if f != 0.0 {
                for k in col..n {
                    a[row * n + k] -= f * a[col * n + k];
                }
                b[row] -= f * b[col];
            }
        }
    }
    let mut y = vec![0.0; n];
    for row in (0..n).rev() {
        let mut s = b[row];
        for k in row + 1..n {
            s -= a[row * n + k] * y[k];
        }
        y[row] = s / a[row * n + row];
    }
    y.iter().all(|v| v.is_finite()).then_some(y)
}
