//! The finest level's matrix split for the grid kernels (grid.wgsl, grid_rest.wgsl):
//! `A = D + S + E`, D the diagonal, S the 5-point stencils of the panels the matrix's
//! `grids` hint names (one conductance per direction and panel), E every other off-diagonal
//! entry plus the difference between a panel row and its stencil (a fixed neighbour whose column
//! was eliminated, a link between two neighbouring cells). The split is exact whatever the hint
//! says: E absorbs every difference. A panel goes into S only when most of its stencil entries
//! match, and the split is used only when E stays small (`GridSplit::of`): otherwise the CSR
//! matrix moves fewer bytes.
//!
//! Per row the device then reads x at the row and its neighbours, the diagonal and the result:
//! about 16 bytes instead of the ~50 of a 5-entry CSR row (row pointers, columns, values).

use bytemuck::{Pod, Zeroable};
use rayon::prelude::*;

use crate::solve::linalg::amg::CsrView;
use crate::solve::linalg::sparse::GridRows;

/// One panel of the device's stencil table (`GridPanel` in common.wgsl).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
pub struct GridPanel {
    pub first: u32,
    pub nu: u32,
    pub nv: u32,
    pub pad0: u32,
    pub g_u: f32,
    pub g_v: f32,
    pub pad1: f32,
    pub pad2: f32,
}

impl GridPanel {
    pub fn rows(&self) -> std::ops::Range<usize> {
        self.first as usize..self.first as usize + self.nu as usize * self.nv as usize
    }
}

/// The rest E: listed rows (indices in the stacked vectors) with their entries.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RestRows {
    pub rows: Vec<u32>,
    /// `rows.len() + 1` pointers into `col` and `val`.
    pub row_ptr: Vec<u32>,
    pub col: Vec<u32>,
    pub val: Vec<f32>,
}

impl RestRows {
    pub fn entries(&self) -> usize {
        self.col.len()
    }
}

/// One lane's part of a split: which of its `grids` are stencils, where its rest lies, and a
/// fingerprint of its pattern (a refresh must keep it to rewrite values in place).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LaneSplit {
    pub stencils: Vec<usize>,
    pub rest_entries: std::ops::Range<usize>,
    pub pattern: u64,
}

/// The finest operator of one or more stacked lanes (`stride` rows apart) as D + S + E.
#[derive(Clone, Debug, PartialEq)]
pub struct GridSplit {
    pub n_rows: usize,
    pub stride: usize,
    /// Sorted by first row.
    pub panels: Vec<GridPanel>,
    pub diag: Vec<f32>,
    pub rest: RestRows,
    pub lanes: Vec<LaneSplit>,
}

/// One lane's D, stencils and rest, rows and columns counted from the lane's first row.
struct Lane {
    stencils: Vec<usize>,
    diag: Vec<f32>,
    rest: RestRows,
    pattern: u64,
}

/// Rows per parallel chunk of the split.
const CHUNK: usize = 1 << 14;

impl GridSplit {
    /// The split of the stacked lanes `(matrix, grids)`, or `None` when the grid form would not
    /// pay: no panel is a stencil, or E holds more entries than there are rows. (A stencil row
    /// saves ~36 bytes of CSR traffic, an entry of E costs ~12: break-even is near 3 entries
    /// per row, so this keeps a wide margin.)
    pub fn of(lanes: &[(CsrView<'_>, &[GridRows])], stride: usize) -> Option<GridSplit> {
        let parts: Vec<Lane> = lanes
            .iter()
            .map(|(view, grids)| split_lane(view, grids, None))
            .collect::<Option<_>>()?;
        let n_rows = lanes.len() * stride;
        let rest: usize = parts.iter().map(|p| p.rest.entries()).sum();
        if parts.iter().all(|p| p.stencils.is_empty()) || rest > n_rows {
            return None;
        }
        stack(lanes, parts, stride)
    }
}

/// The diagonal and rest values of `view` split with `stencils` (those a lane was uploaded
/// with), or `None` when its rest's pattern is not `pattern` (the device copy cannot take the
/// values in place) or it has more than `stride` rows.
pub fn lane_values(
    view: &CsrView<'_>,
    grids: &[GridRows],
    stencils: &[usize],
    pattern: u64,
    stride: usize,
) -> Option<(Vec<f32>, Vec<f32>)> {
    let part = split_lane(view, grids, Some(stencils))?;
    (part.pattern == pattern && view.n_rows <= stride).then_some((part.diag, part.rest.val))
}

/// Places each lane's part at `p * stride`.
fn stack(
    lanes: &[(CsrView<'_>, &[GridRows])],
    parts: Vec<Lane>,
    stride: usize,
) -> Option<GridSplit> {
    let n_rows = lanes.len() * stride;
    u32::try_from(n_rows).ok()?;
    let mut split = GridSplit {
        n_rows,
        stride,
        panels: Vec::new(),
        diag: Vec::with_capacity(n_rows),
        rest: RestRows {
            row_ptr: vec![0],
            ..RestRows::default()
        },
        lanes: Vec::with_capacity(parts.len()),
    };
    for (p, (part, (_, grids))) in parts.into_iter().zip(lanes).enumerate() {
        let offset = (p * stride) as u32;
        split.panels.extend(part.stencils.iter().map(|&s| {
            let g = &grids[s];
            GridPanel {
                first: offset + g.first as u32,
                nu: g.nu as u32,
                nv: g.nv as u32,
                pad0: 0,
                g_u: g.g[0] as f32,
                g_v: g.g[1] as f32,
                pad1: 0.0,
                pad2: 0.0,
            }
        }));
        split.diag.extend(&part.diag);
        split.diag.resize((p + 1) * stride, 0.0);
        let rest = &mut split.rest;
        let first_entry = rest.col.len();
        let base = first_entry as u32;
        rest.rows.extend(part.rest.rows.iter().map(|&r| r + offset));
        rest.row_ptr
            .extend(part.rest.row_ptr[1..].iter().map(|&k| k + base));
        rest.col.extend(part.rest.col.iter().map(|&c| c + offset));
        rest.val.extend(&part.rest.val);
        u32::try_from(rest.col.len()).ok()?;
        split.lanes.push(LaneSplit {
            stencils: part.stencils,
            rest_entries: first_entry..rest.col.len(),
            pattern: part.pattern,
        });
    }
    Some(split)
}

/// The grids of `grids` that are valid and disjoint, by first row (indices into `grids`).
fn usable_grids(grids: &[GridRows], n_rows: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..grids.len())
        .filter(|&k| {
            let g = &grids[k];
            g.nu > 0
                && g.nv > 0
                && g.g.iter().all(|v| v.is_finite())
                && g.nu
                    .checked_mul(g.nv)
                    .and_then(|cells| cells.checked_add(g.first))
                    .is_some_and(|end| end <= n_rows)
        })
        .collect();
    order.sort_by_key(|&k| grids[k].first);
    let mut end = 0;
    order.retain(|&k| {
        let g = &grids[k];
        let keep = g.first >= end;
        if keep {
            end = g.first + g.nu * g.nv;
        }
        keep
    });
    order
}

/// Row `r`'s stencil neighbours in grid `g` (`r` inside it) with the entry each should hold.
fn neighbours(g: &GridRows, r: usize) -> [(bool, usize, f64); 4] {
    let k = r - g.first;
    let (i, j) = (k % g.nu, k / g.nu);
    [
        (i > 0, r.wrapping_sub(1), -g.g[0]),
        (i + 1 < g.nu, r + 1, -g.g[0]),
        (j > 0, r.wrapping_sub(g.nu), -g.g[1]),
        (j + 1 < g.nv, r + g.nu, -g.g[1]),
    ]
}

/// How many of grid `g`'s stencil entries the matrix holds exactly, and how many there are.
fn stencil_matches(view: &CsrView<'_>, g: &GridRows) -> (usize, usize) {
    (g.first..g.first + g.nu * g.nv)
        .into_par_iter()
        .with_min_len(CHUNK)
        .map(|r| {
            let cols = &view.col_idx[view.row_ptr[r]..view.row_ptr[r + 1]];
            let vals = &view.values[view.row_ptr[r]..view.row_ptr[r + 1]];
            let mut found = (0, 0);
            for (exists, c, want) in neighbours(g, r) {
                if exists {
                    found.1 += 1;
                    if let Ok(k) = cols.binary_search(&(c as u32))
                        && vals[k] == want
                    {
                        found.0 += 1;
                    }
                }
            }
            found
        })
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
}

/// One lane's split with the stencils `forced`, or those of its grids whose entries mostly match
/// (at least half). `None` for a matrix too large for u32 indices.
fn split_lane(view: &CsrView<'_>, grids: &[GridRows], forced: Option<&[usize]>) -> Option<Lane> {
    let n = view.n_rows;
    u32::try_from(n).ok()?;
    let usable = usable_grids(grids, n);
    let stencils: Vec<usize> = match forced {
        Some(forced) => {
            if !forced.iter().all(|s| usable.contains(s)) {
                return None;
            }
            forced.to_vec()
        }
        None => usable
            .into_iter()
            .filter(|&s| {
                let (matching, total) = stencil_matches(view, &grids[s]);
                2 * matching >= total
            })
            .collect(),
    };
    let chosen: Vec<&GridRows> = stencils.iter().map(|&s| &grids[s]).collect();
    let grid_of = |r: usize| -> Option<&GridRows> {
        let at = chosen.partition_point(|g| g.first <= r);
        at.checked_sub(1)
            .map(|k| chosen[k])
            .filter(|g| r < g.first + g.nu * g.nv)
    };
    let chunks: Vec<(Vec<f32>, RestRows)> = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|chunk| {
            let rows = chunk * CHUNK..((chunk + 1) * CHUNK).min(n);
            let mut diag = Vec::with_capacity(rows.len());
            let mut rest = RestRows {
                row_ptr: vec![0],
                ..RestRows::default()
            };
            for r in rows {
                let range = view.row_ptr[r]..view.row_ptr[r + 1];
                let (cols, vals) = (&view.col_idx[range.clone()], &view.values[range]);
                let stencil = grid_of(r).map(|g| neighbours(g, r));
                let mut seen = [false; 4];
                let mut d = 0.0;
                let before = rest.col.len();
                for (&c, &v) in cols.iter().zip(vals) {
                    let c = c as usize;
                    if c == r {
                        d = v;
                        continue;
                    }
                    let mut value = v;
                    if let Some(stencil) = &stencil
                        && let Some(s) = stencil.iter().position(|&(e, at, _)| e && at == c)
                    {
                        seen[s] = true;
                        value = v - stencil[s].2;
                    }
                    if value != 0.0 || stencil.is_none() {
                        rest.col.push(c as u32);
                        rest.val.push(value as f32);
                    }
                }
                if let Some(stencil) = &stencil {
                    for (s, &(exists, at, want)) in stencil.iter().enumerate() {
                        if exists && !seen[s] {
                            rest.col.push(at as u32);
                            rest.val.push(-want as f32);
                        }
                    }
                }
                if rest.col.len() > before {
                    rest.rows.push(r as u32);
                    rest.row_ptr.push(rest.col.len() as u32);
                }
                diag.push(d as f32);
            }
            (diag, rest)
        })
        .collect();
    let mut diag = Vec::with_capacity(n);
    let mut rest = RestRows {
        row_ptr: vec![0],
        ..RestRows::default()
    };
    for (d, part) in chunks {
        diag.extend(d);
        let base = u32::try_from(rest.col.len()).ok()?;
        rest.rows.extend(part.rows);
        rest.row_ptr
            .extend(part.row_ptr[1..].iter().map(|&k| k + base));
        rest.col.extend(part.col);
        rest.val.extend(part.val);
    }
    u32::try_from(rest.col.len()).ok()?;
    let pattern = fingerprint(&stencils, &rest);
    Some(Lane {
        stencils,
        diag,
        rest,
        pattern,
    })
}

/// A hash of the stencils chosen and of E's pattern (FNV-1a over the integers).
fn fingerprint(stencils: &[usize], rest: &RestRows) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    let mut eat = |v: u64| {
        h ^= v;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    };
    stencils.iter().for_each(|&s| eat(s as u64));
    eat(u64::MAX);
    rest.rows.iter().for_each(|&r| eat(u64::from(r)));
    rest.row_ptr.iter().for_each(|&k| eat(u64::from(k)));
    rest.col.iter().for_each(|&c| eat(u64::from(c)));
    h
}
