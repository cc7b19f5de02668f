//! The heat balance of every node and its Jacobian, in f64: the CPU reference that every other
//! backend is compared with.

use rayon::prelude::*;

use super::sparse::{CsrMatrix, GridRows, RowBlock, join_row_blocks};
use crate::error::{Error, Result};
use crate::model::{Model, SIGMA};

/// Net heat flowing into each node (W) at temperatures `t`: dissipation + absorbed - emitted
/// + conduction in. Fixed nodes get their raw balance too (the fixture supplies minus it).
pub fn heat_residual(model: &Model, t: &[f64], out: &mut [f64]) {
    let sink4 = model.sink_k.powi(4);
    let exchange = model.exchange.as_ref().map(|_| model.emitted_w(t));
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

/// The irregular couplings (heat-pipe contacts, links) of each node, bucketed by row.
struct IrregularRows {
    start: Vec<usize>,
    entries: Vec<(usize, f64)>,
}

impl IrregularRows {
    fn new(model: &Model) -> IrregularRows {
        let mut count = vec![0usize; model.n_nodes + 1];
        // A coupling of a node with itself carries no heat.
        let couplings = || model.couplings.iter().filter(|c| c.a != c.b);
        for c in couplings() {
            count[c.a + 1] += 1;
            count[c.b + 1] += 1;
        }
        for k in 1..count.len() {
            count[k] += count[k - 1];
        }
        let mut next = count.clone();
        let mut entries = vec![(0, 0.0); count[model.n_nodes]];
        for c in couplings() {
            entries[next[c.a]] = (c.b, c.conductance);
            next[c.a] += 1;
            entries[next[c.b]] = (c.a, c.conductance);
            next[c.b] += 1;
        }
        IrregularRows {
            start: count,
            entries,
        }
    }

    /// Entries of nodes `nodes` (an upper bound of their off-diagonal entries).
    fn entries_of(&self, nodes: std::ops::Range<usize>) -> usize {
        self.start[nodes.end] - self.start[nodes.start]
    }

    /// Push node's off-diagonal entries to free neighbours onto `row`; return the conductance
    /// they add to the diagonal (fixed neighbours included).
    fn add_row(&self, node: usize, fixed: &[bool], row: &mut Vec<(usize, f64)>) -> f64 {
        let mut diagonal = 0.0;
        for &(other, g) in &self.entries[self.start[node]..self.start[node + 1]] {
            diagonal += g;
            if !fixed[other] {
                row.push((other, -g));
            }
        }
        diagonal
    }
}

/// Cells per block of panel rows that one thread assembles.
const ROWS_PER_SPAN: usize = 1 << 16;

/// Consecutive nodes assembled together: whole rows of one panel, or every node after the
/// cells (vapour, junction and fixture nodes).
enum RowSpan {
    Panel {
        panel: usize,
        rows: std::ops::Range<usize>,
    },
    Extra,
}

/// Rows of one span in CSR order, with each row's conduction diagonal.
#[derive(Default)]
struct Rows {
    block: RowBlock,
    conduction_diagonal: Vec<f64>,
}

impl Rows {
    /// Room for `rows` rows of `entries` entries in all: the blocks of a 10^7-cell matrix
    /// would otherwise grow by doubling, touching (and the kernel zeroing) each page twice.
    fn with_capacity(rows: usize, entries: usize) -> Rows {
        Rows {
            block: RowBlock {
                row_end: Vec::with_capacity(rows),
                col_idx: Vec::with_capacity(entries),
                values: Vec::with_capacity(entries),
            },
            conduction_diagonal: Vec::with_capacity(rows),
        }
    }

    /// Appends `node`'s row from its off-diagonal entries `row` (emptied) and its conduction
    /// diagonal; a fixed node's row is the identity. The diagonal's value is set later
    /// (`update_diagonal`).
    fn emit(&mut self, node: usize, fixed: bool, row: &mut Vec<(usize, f64)>, diagonal: f64) {
        self.conduction_diagonal.push(diagonal);
        if fixed {
            row.clear();
        }
        row.push((node, 0.0));
        row.sort_unstable_by_key(|&(col, _)| col);
        let block = &mut self.block;
        let mut last = usize::MAX;
        for &(col, value) in row.iter() {
            if col == last {
                if let Some(v) = block.values.last_mut() {
                    *v += value;
                }
            } else {
                block.col_idx.push(col as u32);
                block.values.push(value);
                last = col;
            }
        }
        block.end_row();
        row.clear();
    }
}

/// The Newton matrix K + D(T) over all nodes with fixed nodes eliminated (identity rows, their
/// columns dropped). Built once; `update_diagonal` refreshes the diagonal each step.
pub struct Jacobian {
    pub matrix: CsrMatrix,
    pub diagonal: NewtonDiagonal,
}

/// What the Newton matrix's diagonal is made of besides the temperatures: the conduction part
/// of each row.
pub struct NewtonDiagonal {
    conduction: Vec<f64>,
}

impl Jacobian {
    /// Rows are assembled directly in CSR order (stencil neighbours, then the irregular
    /// couplings of that row, sorted and merged), without a global triplet sort; blocks of
    /// panel rows in parallel, then joined in node order.
    pub fn new(model: &Model) -> Result<Jacobian> {
        let n = model.n_nodes;
        let fixed: Vec<bool> = (0..n).map(|i| model.is_fixed(i)).collect();
        let irregular = IrregularRows::new(model);
        let mut spans: Vec<RowSpan> = Vec::new();
        for (p, panel) in model.panels.iter().enumerate() {
            let nv = panel.cells[1];
            let rows_per_span = (ROWS_PER_SPAN / panel.cells[0].max(1)).max(1);
            spans.extend((0..nv).step_by(rows_per_span).map(|j| RowSpan::Panel {
                panel: p,
                rows: j..(j + rows_per_span).min(nv),
            }));
        }
        spans.push(RowSpan::Extra);
        let parts: Vec<Rows> = spans
            .par_iter()
            .map(|span| {
                // A cell row: itself and four neighbours at most, plus its irregular entries.
                let nodes = match span {
                    RowSpan::Panel { panel, rows: js } => {
                        let panel = &model.panels[*panel];
                        panel.cell_index(0, js.start)..panel.cell_index(0, js.end)
                    }
                    RowSpan::Extra => model.n_cells..n,
                };
                let per_row = if matches!(span, RowSpan::Extra) { 1 } else { 5 };
                let mut rows = Rows::with_capacity(
                    nodes.len(),
                    per_row * nodes.len() + irregular.entries_of(nodes.clone()),
                );
                let mut row = Vec::new();
                match span {
                    RowSpan::Panel { panel, rows: js } => {
                        let panel = &model.panels[*panel];
                        let [nu, nv] = panel.cells;
                        let [gu, gv] = panel.conductance;
                        for j in js.clone() {
                            for i in 0..nu {
                                let c = panel.cell_index(i, j);
                                let mut diagonal = 0.0;
                                let neighbours = [
                                    (i > 0, c.wrapping_sub(1), gu),
                                    (i + 1 < nu, c + 1, gu),
                                    (j > 0, c.wrapping_sub(nu), gv),
                                    (j + 1 < nv, c + nu, gv),
                                ];
                                for (exists, other, g) in neighbours {
                                    if exists {
                                        diagonal += g;
                                        if !fixed[other] {
                                            row.push((other, -g));
                                        }
                                    }
                                }
                                diagonal += irregular.add_row(c, &fixed, &mut row);
                                rows.emit(c, fixed[c], &mut row, diagonal);
                            }
                        }
                    }
                    RowSpan::Extra => {
                        for node in model.n_cells..n {
                            let diagonal = irregular.add_row(node, &fixed, &mut row);
                            rows.emit(node, fixed[node], &mut row, diagonal);
                        }
                    }
                }
                rows
            })
            .collect();
        let (blocks, diagonals): (Vec<RowBlock>, Vec<Vec<f64>>) = parts
            .into_iter()
            .map(|rows| (rows.block, rows.conduction_diagonal))
            .unzip();
        let rows: usize = blocks.iter().map(|b| b.row_end.len()).sum();
        if rows != n {
            return Err(Error::Solver(format!(
                "assembled {rows} rows for {n} nodes: the panels do not cover the cells"
            )));
        }
        let (row_ptr, col_idx, values) = join_row_blocks(&blocks);
        let conduction_diagonal = diagonals.concat();
        let mut matrix = CsrMatrix::from_csr(n, row_ptr, col_idx, values)
            .map_err(|e| Error::Solver(format!("cannot assemble the conduction matrix: {e}")))?;
        matrix.grids = model
            .panels
            .iter()
            .map(|panel| GridRows {
                first: panel.first_cell,
                nu: panel.cells[0],
                nv: panel.cells[1],
                g: panel.conductance,
            })
            .collect();
        Ok(Jacobian {
            matrix,
            diagonal: NewtonDiagonal {
                conduction: conduction_diagonal,
            },
        })
    }

    /// Set the diagonal to conduction + 4 sigma eps A T^3 at temperatures `t`, plus `alpha`
    /// times each node's heat capacity (a time step's leading coefficient; 0 when steady).
    pub fn update_diagonal(&mut self, model: &Model, t: &[f64], alpha: f64) {
        let diagonal = &self.diagonal;
        self.matrix
            .set_diagonal_with(|node| diagonal.value(model, t, alpha, node));
    }
}

impl NewtonDiagonal {
    /// Row `node`'s diagonal at temperatures `t` (see [`Jacobian::update_diagonal`]).
    pub fn value(&self, model: &Model, t: &[f64], alpha: f64, node: usize) -> f64 {
        if model.is_fixed(node) {
            return 1.0;
        }
        let radiation = if node < model.n_cells {
            let tc = t[node];
            4.0 * SIGMA * model.emissive_area[node] * tc * tc * tc
        } else {
            0.0
        };
        self.conduction[node] + radiation + alpha * model.capacitance_j_k[node]
    }
}
