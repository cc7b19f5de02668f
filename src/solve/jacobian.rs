//! The Newton matrix of the heat balance (model/balance.rs), assembled in CSR in f64, and its
//! diagonal: what both backends' linear solvers take.

use rayon::prelude::*;

use super::linalg::sparse::{CsrMatrix, GridRows, split_lengths};
use crate::error::{Error, Result};
use crate::model::balance::stencil;
use crate::model::{Model, PanelMesh, SIGMA};

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

/// Builds the Newton matrix's rows (see [`Jacobian::new`]).
struct RowMaker<'a> {
    model: &'a Model,
    fixed: Vec<bool>,
    irregular: IrregularRows,
}

/// Where a node lies: cell (i, j) of a panel, or a node after the cells.
type Place<'a> = Option<(&'a PanelMesh, usize, usize)>;

impl RowMaker<'_> {
    /// `node`'s row into `row`: its entries sorted by column, duplicates merged, the diagonal
    /// entry in place with value 0 (set later by `update_diagonal`); a fixed node's row is the
    /// identity. Returns the row's conduction diagonal.
    fn row(&self, node: usize, place: Place<'_>, row: &mut Vec<(usize, f64)>) -> f64 {
        row.clear();
        let mut diagonal = 0.0;
        if let Some((panel, i, j)) = place {
            for (exists, other, g) in stencil(panel, i, j) {
                if exists {
                    diagonal += g;
                    if !self.fixed[other] {
                        row.push((other, -g));
                    }
                }
            }
        }
        diagonal += self.irregular.add_row(node, &self.fixed, row);
        if self.fixed[node] {
            row.clear();
        }
        row.push((node, 0.0));
        row.sort_unstable_by_key(|&(col, _)| col);
        let mut kept = 0;
        for k in 0..row.len() {
            if kept > 0 && row[kept - 1].0 == row[k].0 {
                row[kept - 1].1 += row[k].1;
            } else {
                row[kept] = row[k];
                kept += 1;
            }
        }
        row.truncate(kept);
        diagonal
    }

    /// The number of entries of `node`'s row, counted without building it when the node has
    /// no irregular coupling (nearly every cell).
    fn row_len(&self, node: usize, place: Place<'_>, row: &mut Vec<(usize, f64)>) -> usize {
        if self.fixed[node] {
            return 1;
        }
        match place {
            Some((panel, i, j)) if self.irregular.entries_of(node..node + 1) == 0 => {
                let free = |&(exists, other, _): &(bool, usize, f64)| exists && !self.fixed[other];
                1 + stencil(panel, i, j).iter().filter(|n| free(n)).count()
            }
            _ => {
                self.row(node, place, row);
                row.len()
            }
        }
    }

    /// Calls `f` on each node of `span`, in node order, with its place.
    fn for_each_node(&self, span: &RowSpan, mut f: impl FnMut(usize, Place<'_>)) {
        match span {
            RowSpan::Panel { panel, rows } => {
                let panel = &self.model.panels[*panel];
                for j in rows.clone() {
                    for i in 0..panel.cells[0] {
                        f(panel.cell_index(i, j), Some((panel, i, j)));
                    }
                }
            }
            RowSpan::Extra => {
                (self.model.n_cells..self.model.n_nodes).for_each(|node| f(node, None))
            }
        }
    }

    /// The nodes of `span`.
    fn nodes(&self, span: &RowSpan) -> std::ops::Range<usize> {
        match span {
            RowSpan::Panel { panel, rows } => {
                let panel = &self.model.panels[*panel];
                panel.cell_index(0, rows.start)..panel.cell_index(0, rows.end)
            }
            RowSpan::Extra => self.model.n_cells..self.model.n_nodes,
        }
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
        let maker = RowMaker {
            model,
            fixed: (0..n).map(|i| model.is_fixed(i)).collect(),
            irregular: IrregularRows::new(model),
        };
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
        let mut next = 0;
        for span in &spans {
            let nodes = maker.nodes(span);
            if nodes.start != next {
                return Err(Error::Solver(format!(
                    "assembling rows from node {} after node {next}: the panels do not cover \
                     the cells in order",
                    nodes.start
                )));
            }
            next = nodes.end;
        }
        if next != n {
            return Err(Error::Solver(format!(
                "assembled {next} rows for {n} nodes: the panels do not cover the cells"
            )));
        }
        // Two passes straight into the final arrays (no per-span blocks to join, which at
        // 10^7 cells would be another 0.6 GB for the kernel to zero): each row's length, then
        // its entries.
        let lengths: Vec<Vec<usize>> = spans
            .par_iter()
            .map(|span| {
                let mut row = Vec::new();
                let mut out = Vec::with_capacity(maker.nodes(span).len());
                maker.for_each_node(span, |node, place| {
                    out.push(maker.row_len(node, place, &mut row));
                });
                out
            })
            .collect();
        let span_rows: Vec<usize> = lengths.iter().map(Vec::len).collect();
        let span_entries: Vec<usize> = lengths.iter().map(|l| l.iter().sum()).collect();
        let nnz: usize = span_entries.iter().sum();
        let mut row_ptr = vec![0usize; n + 1];
        let mut col_idx = vec![0u32; nnz];
        let mut values = vec![0.0f64; nnz];
        let mut conduction_diagonal = vec![0.0f64; n];
        let firsts: Vec<usize> = span_entries
            .iter()
            .scan(0, |sum, &count| {
                *sum += count;
                Some(*sum - count)
            })
            .collect();
        spans
            .par_iter()
            .zip(split_lengths(&mut row_ptr[1..], &span_rows))
            .zip(split_lengths(&mut col_idx, &span_entries))
            .zip(split_lengths(&mut values, &span_entries))
            .zip(split_lengths(&mut conduction_diagonal, &span_rows))
            .zip(&firsts)
            .for_each(|(((((span, ends), cols), vals), diagonals), &first)| {
                let mut row = Vec::new();
                let (mut k, mut at) = (0, 0);
                maker.for_each_node(span, |node, place| {
                    diagonals[k] = maker.row(node, place, &mut row);
                    for &(col, value) in &row {
                        cols[at] = col as u32;
                        vals[at] = value;
                        at += 1;
                    }
                    ends[k] = first + at;
                    k += 1;
                });
            });
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
        self.value_with_floor(model, t, alpha, node, 0.0)
    }

    /// [`Self::value`] with the non-conduction part raised to at least `floor` times the
    /// conduction part (see `F32_DIAGONAL_FLOOR`).
    pub fn value_with_floor(
        &self,
        model: &Model,
        t: &[f64],
        alpha: f64,
        node: usize,
        floor: f64,
    ) -> f64 {
        if model.is_fixed(node) {
            return 1.0;
        }
        let conduction = self.conduction[node];
        conduction + Self::radiation_and_storage(model, t, alpha, node).max(floor * conduction)
    }

    /// The part of a free row's diagonal that is not conduction: 4 sigma eps A T^3 plus
    /// `alpha` times the heat capacity.
    pub fn radiation_and_storage(model: &Model, t: &[f64], alpha: f64, node: usize) -> f64 {
        let radiation = if node < model.n_cells {
            let tc = t[node];
            4.0 * SIGMA * model.emissive_area[node] * tc * tc * tc
        } else {
            0.0
        };
        radiation + alpha * model.capacitance_j_k[node]
    }
}
