//! The CPU twin of every kernel: the same arithmetic in plain f64 Rust, the oracle that the GPU
//! tests compare with. Each function mirrors one entry point of shaders/*.wgsl.

use super::grid_split::GridSplit;
use crate::gpu::kernels::{Coef, Lanes, PanelStencil};

/// residual.wgsl: r_c = q_c + a_c - sigma e_c (T_c^4 - ts4) + sum_nb G (T_nb - T_c) for the
/// panel's cells (other items of `r` are left alone).
pub fn residual(p: &PanelStencil, t: &[f64], q: &[f64], a: &[f64], e: &[f64], r: &mut [f64]) {
    let (g_u, g_v) = (f64::from(p.g_u), f64::from(p.g_v));
    let (sigma, ts4) = (f64::from(p.sigma), f64::from(p.ts4));
    for_each_cell(p, |c, nb| {
        let tc = t[c];
        let conducted: f64 = nb
            .iter()
            .map(|&(n, is_u)| if is_u { g_u } else { g_v } * (t[n] - tc))
            .sum();
        let t2 = tc * tc;
        r[c] = conducted + q[c] + a[c] - sigma * e[c] * (t2 * t2 - ts4);
    });
}

/// A per-cell size of the terms that `residual` adds, for relative comparisons: the result is
/// a small difference of large terms, so its error is relative to them, not to itself.
pub fn residual_scale(
    p: &PanelStencil,
    t: &[f64],
    q: &[f64],
    a: &[f64],
    e: &[f64],
    out: &mut [f64],
) {
    let (g_u, g_v) = (f64::from(p.g_u), f64::from(p.g_v));
    let (sigma, ts4) = (f64::from(p.sigma), f64::from(p.ts4));
    for_each_cell(p, |c, nb| {
        let tc = t[c];
        let conducted: f64 = nb
            .iter()
            .map(|&(n, is_u)| if is_u { g_u } else { g_v } * (t[n] - tc).abs())
            .sum();
        let t4 = tc * tc * tc * tc;
        out[c] = conducted + q[c].abs() + a[c].abs() + (sigma * e[c]).abs() * (t4 + ts4.abs());
    });
}

/// stencil_matvec.wgsl: y_c = d_c x_c + sum_nb G (x_c - x_nb) for the panel's cells.
pub fn stencil_matvec(p: &PanelStencil, x: &[f64], d: &[f64], y: &mut [f64]) {
    let (g_u, g_v) = (f64::from(p.g_u), f64::from(p.g_v));
    for_each_cell(p, |c, nb| {
        let xc = x[c];
        let coupled: f64 = nb
            .iter()
            .map(|&(n, is_u)| if is_u { g_u } else { g_v } * (xc - x[n]))
            .sum();
        y[c] = d[c] * xc + coupled;
    });
}

/// The size of the terms `stencil_matvec` adds, per cell.
pub fn stencil_matvec_scale(p: &PanelStencil, x: &[f64], d: &[f64], out: &mut [f64]) {
    let (g_u, g_v) = (f64::from(p.g_u), f64::from(p.g_v));
    for_each_cell(p, |c, nb| {
        let xc = x[c];
        let coupled: f64 = nb
            .iter()
            .map(|&(n, is_u)| if is_u { g_u } else { g_v } * (xc.abs() + x[n].abs()))
            .sum();
        out[c] = (d[c] * xc).abs() + coupled;
    });
}

/// Calls `f(cell, neighbours)` for each cell of the panel, neighbours as (index, along u).
fn for_each_cell(p: &PanelStencil, mut f: impl FnMut(usize, &[(usize, bool)])) {
    let (nu, nv, first) = (p.nu as usize, p.nv as usize, p.first as usize);
    let mut nb = Vec::with_capacity(4);
    for j in 0..nv {
        for i in 0..nu {
            let c = first + i + nu * j;
            nb.clear();
            if i > 0 {
                nb.push((c - 1, true));
            }
            if i + 1 < nu {
                nb.push((c + 1, true));
            }
            if j > 0 {
                nb.push((c - nu, false));
            }
            if j + 1 < nv {
                nb.push((c + nu, false));
            }
            f(c, &nb);
        }
    }
}

/// csr_matvec.wgsl: y = A x, or y += A x with `accumulate`.
pub fn csr_matvec(
    row_ptr: &[u32],
    col: &[u32],
    val: &[f64],
    x: &[f64],
    y: &mut [f64],
    accumulate: bool,
) {
    for (row, out) in y
        .iter_mut()
        .enumerate()
        .take(row_ptr.len().saturating_sub(1))
    {
        let range = row_ptr[row] as usize..row_ptr[row + 1] as usize;
        let sum: f64 = range.map(|k| val[k] * x[col[k] as usize]).sum();
        *out = if accumulate { *out + sum } else { sum };
    }
}

/// diagonal.wgsl: `d[i]` into the entry of row `i` whose column is `i`, for each row in `rows`.
pub fn set_diagonal(
    row_ptr: &[u32],
    col: &[u32],
    rows: std::ops::Range<usize>,
    d: &[f64],
    val: &mut [f64],
) {
    for row in rows {
        for e in row_ptr[row] as usize..row_ptr[row + 1] as usize {
            if col[e] as usize == row {
                val[e] = d[row];
            }
        }
    }
}

/// chebyshev.wgsl cheb_start: d = c_new * inv_diag * b, x = d, with row i's lane's c_new
/// (`coefs[i / stride]`, as (c_prev, c_new)).
pub fn cheb_start(
    (coefs, stride): (&[[f64; 2]], usize),
    inv_diag: &[f64],
    b: &[f64],
    x: &mut [f64],
    d: &mut [f64],
) {
    for i in 0..d.len() {
        d[i] = coefs[i / stride][1] * inv_diag[i] * b[i];
        x[i] = d[i];
    }
}

/// chebyshev.wgsl cheb_correction: d = c_prev * d + c_new * inv_diag * (b - A x), with row i's
/// lane's (c_prev, c_new) = `coefs[i / stride]`.
#[allow(clippy::too_many_arguments)]
pub fn cheb_correction(
    (row_ptr, col, val): (&[u32], &[u32], &[f64]),
    (coefs, stride): (&[[f64; 2]], usize),
    inv_diag: &[f64],
    b: &[f64],
    x: &[f64],
    d: &mut [f64],
) {
    let mut ax = vec![0.0; d.len()];
    csr_matvec(row_ptr, col, val, x, &mut ax, false);
    for i in 0..d.len() {
        let [c_prev, c_new] = coefs[i / stride];
        d[i] = c_prev * d[i] + c_new * inv_diag[i] * (b[i] - ax[i]);
    }
}

/// grid.wgsl and grid_rest.wgsl: `A x` of a split operator, A = D + S + E, with `abs` the
/// size of its terms instead (|D x| + |S| |x| + |E| |x|, for relative comparisons).
pub fn grid_matvec(split: &GridSplit, x: &[f64], abs: bool) -> Vec<f64> {
    let size = |v: f64| if abs { v.abs() } else { v };
    let mut y: Vec<f64> = (0..split.n_rows)
        .map(|r| size(f64::from(split.diag[r]) * x[r]))
        .collect();
    for p in &split.panels {
        let (nu, nv) = (p.nu as usize, p.nv as usize);
        for r in p.rows() {
            let k = r - p.first as usize;
            let (i, j) = (k % nu, k / nu);
            let along = |exists: bool, at: usize| if exists { size(x[at]) } else { 0.0 };
            let u = along(i > 0, r.wrapping_sub(1)) + along(i + 1 < nu, r + 1);
            let v = along(j > 0, r.wrapping_sub(nu)) + along(j + 1 < nv, r + nu);
            let (g_u, g_v) = (f64::from(p.g_u), f64::from(p.g_v));
            y[r] += if abs {
                g_u * u + g_v * v
            } else {
                -g_u * u - g_v * v
            };
        }
    }
    let rest = &split.rest;
    for (q, &r) in rest.rows.iter().enumerate() {
        for k in rest.row_ptr[q] as usize..rest.row_ptr[q + 1] as usize {
            y[r as usize] += size(f64::from(rest.val[k]) * x[rest.col[k] as usize]);
        }
    }
    y
}

/// grid_residual: r = b - A x.
pub fn grid_residual(split: &GridSplit, b: &[f64], x: &[f64]) -> Vec<f64> {
    let ax = grid_matvec(split, x, false);
    b.iter().zip(ax).map(|(b, ax)| b - ax).collect()
}

/// grid_cheb_correction: d = c_prev * d + c_new * inv_diag * (b - A x), with row i's lane's
/// (c_prev, c_new) = `coefs[i / split.stride]`.
pub fn grid_cheb_correction(
    split: &GridSplit,
    coefs: &[[f64; 2]],
    inv_diag: &[f64],
    b: &[f64],
    x: &[f64],
    d: &mut [f64],
) {
    let r = grid_residual(split, b, x);
    for i in 0..d.len() {
        let [c_prev, c_new] = coefs[i / split.stride];
        d[i] = c_prev * d[i] + c_new * inv_diag[i] * r[i];
    }
}

/// The coefficient a `Coef` stands for, given the device scalars.
pub fn coefficient(a: Coef, scalars: &[f64]) -> f64 {
    lane_coefficient(a, scalars, 0, 0).unwrap_or(0.0)
}

/// The coefficient of lane `lane` (its scalars from `lane * slots`), `None` when the lane's gate
/// is closed (0).
pub fn lane_coefficient(a: Coef, scalars: &[f64], lane: usize, slots: usize) -> Option<f64> {
    let s = |index: u32| scalars[lane * slots + index as usize];
    if a.gate.is_some_and(|gate| s(gate) == 0.0) {
        return None;
    }
    let mut value = f64::from(a.constant);
    if let Some(num) = a.num {
        value *= s(num);
    }
    if let Some(den) = a.den {
        let d = s(den);
        value = if d != 0.0 { value / d } else { 0.0 };
    }
    Some(value)
}

/// vector.wgsl vec_axpy over lanes: y = y + a_lane x, lanes with a closed gate untouched.
pub fn axpy_in(lanes: Lanes, a: Coef, scalars: &[f64], x: &[f64], y: &mut [f64]) {
    let stride = lanes.stride as usize;
    for (lane, (y, x)) in y.chunks_mut(stride).zip(x.chunks(stride)).enumerate() {
        if let Some(a) = lane_coefficient(a, scalars, lane, lanes.slots as usize) {
            axpy(a, x, y);
        }
    }
}

/// vector.wgsl vec_xpay over lanes: y = x + a_lane y, lanes with a closed gate untouched.
pub fn xpay_in(lanes: Lanes, a: Coef, scalars: &[f64], x: &[f64], y: &mut [f64]) {
    let stride = lanes.stride as usize;
    for (lane, (y, x)) in y.chunks_mut(stride).zip(x.chunks(stride)).enumerate() {
        if let Some(a) = lane_coefficient(a, scalars, lane, lanes.slots as usize) {
            xpay(a, x, y);
        }
    }
}

/// vector.wgsl vec_axpy: y = y + a x.
pub fn axpy(a: f64, x: &[f64], y: &mut [f64]) {
    for (y, x) in y.iter_mut().zip(x) {
        *y += a * x;
    }
}

/// vector.wgsl vec_xpay: y = x + a y.
pub fn xpay(a: f64, x: &[f64], y: &mut [f64]) {
    for (y, x) in y.iter_mut().zip(x) {
        *y = x + a * *y;
    }
}

/// vector.wgsl vec_mul: y = w * x item by item.
pub fn mul(x: &[f64], w: &[f64], y: &mut [f64]) {
    for ((y, x), w) in y.iter_mut().zip(x).zip(w) {
        *y = w * x;
    }
}

/// vector.wgsl vec_copy and copy.wgsl copy_bandwidth: y = x.
pub fn copy(x: &[f64], y: &mut [f64]) {
    y[..x.len()].copy_from_slice(x);
}

/// reduce.wgsl dot_partial + sum_final: x . y.
pub fn dot(x: &[f64], y: &[f64]) -> f64 {
    x.iter().zip(y).map(|(x, y)| x * y).sum()
}

/// reduce.wgsl dot_partial + sum_final over lanes: each lane's first `len` items.
pub fn dot_in(lanes: Lanes, x: &[f64], y: &[f64]) -> Vec<f64> {
    let (stride, len) = (lanes.stride as usize, lanes.len as usize);
    (0..lanes.count as usize)
        .map(|p| dot(&x[p * stride..][..len], &y[p * stride..][..len]))
        .collect()
}

/// reduce.wgsl max_abs_partial + max_final: max |x_i| (0 for an empty slice).
pub fn max_abs(x: &[f64]) -> f64 {
    x.iter().fold(0.0, |m, v| m.max(v.abs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn panel(nu: u32, nv: u32) -> PanelStencil {
        PanelStencil {
            first: 1,
            nu,
            nv,
            g_u: 2.0,
            g_v: 0.5,
            sigma: 5.670374e-8,
            ts4: 81.0,
        }
    }

    #[test]
    fn uniform_field_conducts_nothing() {
        let p = panel(3, 2);
        let n = 7;
        let t = vec![300.0; n];
        let (q, a, e) = (vec![1.0; n], vec![2.0; n], vec![0.0; n]);
        let mut r = vec![-9.0; n];
        residual(&p, &t, &q, &a, &e, &mut r);
        assert_eq!(r[0], -9.0, "cell outside the panel is left alone");
        assert!(r[1..].iter().all(|&v| v == 3.0));
    }

    #[test]
    fn stencil_matvec_is_minus_the_residual_derivative() {
        // (K + D) x with D = 0 equals -(conduction part of the residual) at T = x.
        let p = panel(4, 3);
        let n = 13;
        let x: Vec<f64> = (0..n).map(|i| (i * i % 7) as f64).collect();
        let zero = vec![0.0; n];
        let mut y = vec![0.0; n];
        let mut r = vec![0.0; n];
        stencil_matvec(&p, &x, &zero, &mut y);
        residual(&p, &x, &zero, &zero, &zero, &mut r);
        for c in 1..n {
            assert!(
                (y[c] + r[c]).abs() < 1e-12,
                "cell {c}: {} vs {}",
                y[c],
                r[c]
            );
        }
        assert!(y.iter().sum::<f64>().abs() < 1e-12, "K conserves heat");
    }

    #[test]
    fn coefficient_handles_ratios_and_zero_denominators() {
        let s = [2.0, 8.0, 0.0];
        assert_eq!(coefficient(Coef::constant(3.0), &s), 3.0);
        assert_eq!(coefficient(Coef::ratio(-1.0, 1, 0), &s), -4.0);
        assert_eq!(coefficient(Coef::ratio(1.0, 0, 2), &s), 0.0);
        // Lane 1's scalars start at 3: [2, 0.5, 1]; a gate reads the lane's own slot.
        let lanes = [1.0, 4.0, 0.0, 2.0, 0.5, 1.0];
        let alpha = Coef::ratio(1.0, 0, 1);
        assert_eq!(lane_coefficient(alpha, &lanes, 1, 3), Some(4.0));
        assert_eq!(lane_coefficient(alpha.gated(2), &lanes, 1, 3), Some(4.0));
        assert_eq!(lane_coefficient(alpha.gated(2), &lanes, 0, 3), None);
    }
}
