//! Every kernel on the available adapter against its CPU twin. Without an adapter the tests
//! print a notice and pass, unless SKYSINK_REQUIRE_GPU=1 (CI), where that is a failure.

use super::*;
use crate::error::Result;
use crate::gpu::*;
use crate::gpu::{kernels, shaders};
use crate::solve::Precision;

const SIGMA: f32 = 5.670_374e-8;

pub(super) use crate::gpu::testing::{context, context_with};

/// Deterministic pseudo-random numbers (splitmix64) in [lo, hi), rounded to f32.
pub(super) struct Rng(pub(super) u64);

impl Rng {
    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub(super) fn uniform(&mut self, lo: f32, hi: f32) -> f32 {
        let unit = (self.next() >> 40) as f32 / (1u64 << 24) as f32;
        lo + (hi - lo) * unit
    }

    pub(super) fn vec(&mut self, n: usize, lo: f32, hi: f32) -> Vec<f32> {
        (0..n).map(|_| self.uniform(lo, hi)).collect()
    }
}

pub(super) fn wide(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| f64::from(x)).collect()
}

/// |gpu - cpu| <= rel * scale, item by item; the message names the first failures.
pub(super) fn assert_close(what: &str, gpu: &[f32], cpu: &[f64], scale: &[f64], rel: f64) {
    assert_eq!(gpu.len(), cpu.len(), "{what}: lengths differ");
    let bad: Vec<String> = (0..gpu.len())
        .filter(|&i| (f64::from(gpu[i]) - cpu[i]).abs() > rel * scale[i])
        .take(5)
        .map(|i| format!("[{i}] gpu {} cpu {} scale {}", gpu[i], cpu[i], scale[i]))
        .collect();
    assert!(bad.is_empty(), "{what}: {}", bad.join("; "));
}

pub(super) fn abs_scale(v: &[f64]) -> Vec<f64> {
    v.iter().map(|x| x.abs()).collect()
}

/// The size of the terms of `y0 + A x` row by row, `|y0| + |A| |x|` (floored above zero), for
/// comparing a CSR product relative to what it sums.
pub(super) fn csr_product_scale(
    (row_ptr, col, val): (&[u32], &[u32], &[f64]),
    x: &[f64],
    y0: &[f64],
) -> Vec<f64> {
    let abs_val = abs_scale(val);
    let mut scale = abs_scale(y0);
    twins::csr_matvec(row_ptr, col, &abs_val, &abs_scale(x), &mut scale, true);
    scale.iter().map(|s| s.max(1e-30)).collect()
}

/// Two panels in one array with a gap before, between and after them.
fn two_panels() -> ([PanelStencil; 2], usize) {
    let a = PanelStencil {
        first: 3,
        nu: 37,
        nv: 29,
        g_u: 0.3,
        g_v: 1.7,
        sigma: SIGMA,
        ts4: 81.0,
    };
    let b = PanelStencil {
        first: 3 + 37 * 29 + 2,
        nu: 300,
        nv: 5,
        g_u: 2.5,
        g_v: 0.02,
        sigma: SIGMA,
        ts4: 0.0,
    };
    let n = b.end() as usize + 4;
    ([a, b], n)
}

#[test]
fn residual_matches_twin() -> Result<()> {
    let Some(ctx) = context() else { return Ok(()) };
    let ([pa, pb], n) = two_panels();
    let mut rng = Rng(1);
    let t = rng.vec(n, 200.0, 400.0);
    let q = rng.vec(n, 0.0, 5.0);
    let a = rng.vec(n, 0.0, 2.0);
    let e = rng.vec(n, 0.001, 0.02);
    let sentinel = vec![-7.0f32; n];
    let bufs = [&t, &q, &a, &e, &sentinel].map(|v| ctx.upload("input", v));
    let [tb, qb, ab, eb, rb] = bufs;
    let (tb, qb, ab, eb, rb) = (tb?, qb?, ab?, eb?, rb?);
    let da = ctx.residual(&pa, &tb, &qb, &ab, &eb, &rb)?;
    let db = ctx.residual(&pb, &tb, &qb, &ab, &eb, &rb)?;
    ctx.run(&[&da, &db])?;
    let gpu: Vec<f32> = ctx.read(&rb, 0, n)?;

    let (t, q, a, e) = (wide(&t), wide(&q), wide(&a), wide(&e));
    let mut cpu = vec![-7.0; n];
    let mut scale = vec![0.0; n];
    for p in [&pa, &pb] {
        twins::residual(p, &t, &q, &a, &e, &mut cpu);
        twins::residual_scale(p, &t, &q, &a, &e, &mut scale);
    }
    for (i, s) in scale.iter_mut().enumerate() {
        if *s == 0.0 {
            assert_eq!(gpu[i], -7.0, "item {i} outside every panel was written");
            *s = 1.0;
        }
    }
    assert_close("residual", &gpu, &cpu, &scale, 1e-5);
    Ok(())
}

#[test]
fn stencil_matvec_matches_twin() -> Result<()> {
    let Some(ctx) = context() else { return Ok(()) };
    let ([pa, pb], n) = two_panels();
    let mut rng = Rng(2);
    let x = rng.vec(n, -1.0, 1.0);
    let d = rng.vec(n, 0.0, 3.0);
    let (xb, db, yb) = (
        ctx.upload("x", &x)?,
        ctx.upload("d", &d)?,
        ctx.upload("y", &vec![-7.0f32; n])?,
    );
    let first = ctx.stencil_matvec(&pa, &xb, &db, &yb)?;
    let second = ctx.stencil_matvec(&pb, &xb, &db, &yb)?;
    ctx.run(&[&first, &second])?;
    let gpu: Vec<f32> = ctx.read(&yb, 0, n)?;

    let (x, d) = (wide(&x), wide(&d));
    let mut cpu = vec![-7.0; n];
    let mut scale = vec![1.0; n];
    for p in [&pa, &pb] {
        twins::stencil_matvec(p, &x, &d, &mut cpu);
        twins::stencil_matvec_scale(p, &x, &d, &mut scale);
    }
    assert_close("stencil_matvec", &gpu, &cpu, &scale, 1e-5);
    Ok(())
}

#[test]
fn csr_matvec_matches_twin() -> Result<()> {
    let Some(ctx) = context() else { return Ok(()) };
    let (rows, cols) = (700usize, 400usize);
    let mut rng = Rng(3);
    let mut row_ptr = vec![0u32];
    let mut col = Vec::new();
    for row in 0..rows {
        // Empty rows, short rows, one long row like a heat-pipe vapour node, and rows either
        // side of LONG_ROW (the longer ones are summed by a whole workgroup).
        let len = match row {
            r if r % 10 == 0 => 0,
            5 => 5000,
            6 => shaders::LONG_ROW as usize,
            7 => shaders::LONG_ROW as usize + 1,
            8 => 257,
            _ => (rng.next() % 9) as usize,
        };
        col.extend((0..len).map(|_| (rng.next() % cols as u64) as u32));
        row_ptr.push(col.len() as u32);
    }
    let val = rng.vec(col.len(), -2.0, 2.0);
    let x = rng.vec(cols, -1.0, 1.0);
    let y0 = rng.vec(rows, -1.0, 1.0);
    let csr = ctx.upload_csr(cols as u32, &row_ptr, &col, &val)?;
    let xb = ctx.upload("x", &x)?;
    for accumulate in [false, true] {
        let yb = ctx.upload("y", &y0)?;
        ctx.run(&[&ctx.csr_matvec(&csr, &xb, &yb, accumulate)?])?;
        let gpu: Vec<f32> = ctx.read(&yb, 0, rows)?;
        let mut cpu = wide(&y0);
        twins::csr_matvec(&row_ptr, &col, &wide(&val), &wide(&x), &mut cpu, accumulate);
        let start = if accumulate {
            wide(&y0)
        } else {
            vec![0.0; rows]
        };
        let scale = csr_product_scale((&row_ptr, &col, &wide(&val)), &wide(&x), &start);
        assert_close(
            &format!("csr_matvec (accumulate {accumulate})"),
            &gpu,
            &cpu,
            &scale,
            1e-5,
        );
    }
    assert!(ctx.upload_csr(3, &[0, 2, 1], &[0, 1], &[1.0, 1.0]).is_err());
    assert!(ctx.upload_csr(1, &[0, 1], &[1], &[1.0]).is_err());
    Ok(())
}

#[test]
fn vector_ops_match_twins() -> Result<()> {
    let Some(ctx) = context() else { return Ok(()) };
    let n = 100_003usize;
    let mut rng = Rng(4);
    let x = rng.vec(n, -1.0, 1.0);
    let w = rng.vec(n, 0.5, 2.0);
    let y0 = rng.vec(n, -1.0, 1.0);
    let s = [3.0f32, -0.25, 0.0, 7.5];
    let (xb, wb, sb) = (
        ctx.upload("x", &x)?,
        ctx.upload("w", &w)?,
        ctx.upload("scalars", &s)?,
    );
    let (xw, ww, sw, y0w) = (wide(&x), wide(&w), wide(&s), wide(&y0));
    let nn = n as u64;

    let coefs = [
        Coef::constant(0.75),
        Coef::ratio(-1.0, 0, 1),
        Coef::ratio(2.0, 3, 2),
    ];
    for (op, coef) in [
        ("axpy", coefs[0]),
        ("axpy", coefs[1]),
        ("xpay", coefs[1]),
        ("xpay", coefs[2]),
    ] {
        let yb = ctx.upload("y", &y0)?;
        let dispatch = if op == "axpy" {
            ctx.axpy(nn, coef, &xb, &yb, &sb)?
        } else {
            ctx.xpay(nn, coef, &xb, &yb, &sb)?
        };
        ctx.run(&[&dispatch])?;
        let gpu: Vec<f32> = ctx.read(&yb, 0, n)?;
        let a = twins::coefficient(coef, &sw);
        let mut cpu = y0w.clone();
        if op == "axpy" {
            twins::axpy(a, &xw, &mut cpu);
        } else {
            twins::xpay(a, &xw, &mut cpu);
        }
        let scale: Vec<f64> = (0..n)
            .map(|i| xw[i].abs() + (a * y0w[i]).abs() + y0w[i].abs() + (a * xw[i]).abs())
            .collect();
        assert_close(&format!("{op} {coef:?}"), &gpu, &cpu, &scale, 1e-5);
    }

    let yb = ctx.zeroed("y", nn * 4)?;
    ctx.run(&[&ctx.mul(nn, &xb, &wb, &yb)?])?;
    let mut cpu = vec![0.0; n];
    twins::mul(&xw, &ww, &mut cpu);
    assert_close("mul", &ctx.read(&yb, 0, n)?, &cpu, &abs_scale(&cpu), 1e-6);

    ctx.run(&[&ctx.copy(nn, &xb, &yb)?])?;
    let copied: Vec<f32> = ctx.read(&yb, 0, n)?;
    assert_eq!(copied, x, "copy must be exact");
    Ok(())
}

#[test]
fn lane_vector_ops_use_each_lanes_scalars_and_gate() -> Result<()> {
    let Some(ctx) = context() else { return Ok(()) };
    // Three lanes of 33_334 items, four scalars each: num, den, unused, gate (lane 1 closed).
    let lanes = kernels::Lanes {
        count: 3,
        stride: 33_334,
        len: 33_334,
        slots: 4,
    };
    let n = lanes.items() as usize;
    let mut rng = Rng(14);
    let (x, y0) = (rng.vec(n, -1.0, 1.0), rng.vec(n, -1.0, 1.0));
    let s = [
        3.0f32, -0.25, 9.0, 1.0, 2.0, 4.0, 9.0, 0.0, -1.5, 0.5, 9.0, 1.0,
    ];
    let (xb, sb) = (ctx.upload("x", &x)?, ctx.upload("scalars", &s)?);
    let (xw, sw, y0w) = (wide(&x), wide(&s), wide(&y0));
    let coef = Coef::ratio(-1.0, 0, 1).gated(3);
    for op in ["axpy", "xpay"] {
        let yb = ctx.upload("y", &y0)?;
        let dispatch = if op == "axpy" {
            ctx.axpy(lanes, coef, &xb, &yb, &sb)?
        } else {
            ctx.xpay(lanes, coef, &xb, &yb, &sb)?
        };
        ctx.run(&[&dispatch])?;
        let gpu: Vec<f32> = ctx.read(&yb, 0, n)?;
        let mut cpu = y0w.clone();
        if op == "axpy" {
            twins::axpy_in(lanes, coef, &sw, &xw, &mut cpu);
        } else {
            twins::xpay_in(lanes, coef, &sw, &xw, &mut cpu);
        }
        // Lane coefficients: 12, closed, 3.
        let scale: Vec<f64> = (0..n)
            .map(|i| 12.0 * (xw[i].abs() + y0w[i].abs()) + y0w[i].abs() + xw[i].abs())
            .collect();
        assert_close(&format!("lane {op}"), &gpu, &cpu, &scale, 1e-5);
        let closed = 33_334..66_668;
        assert_eq!(
            gpu[closed.clone()],
            y0[closed],
            "{op}: a closed lane is written"
        );
    }
    Ok(())
}

#[test]
fn reductions_match_twins_and_repeat_exactly() -> Result<()> {
    let Some(ctx) = context() else { return Ok(()) };
    let mut rng = Rng(5);
    let n_max = 300_001usize;
    let x = rng.vec(n_max, -1.0, 1.0);
    let y = rng.vec(n_max, -1.0, 1.0);
    let (xb, yb) = (ctx.upload("x", &x)?, ctx.upload("y", &y)?);
    let partials = ctx.partials(n_max as u64)?;
    let scalars = ctx.scalars(4)?;
    for n in [0usize, 1, 5, 2048, 2049, 65_536, n_max] {
        let dot = ctx.dot(n as u64, &xb, &yb, &partials, &scalars, 1)?;
        let max = ctx.max_abs(n as u64, &xb, &partials, &scalars, 2)?;
        ctx.run(&[&dot, &max])?;
        let first: Vec<f32> = ctx.read(&scalars, 0, 4)?;
        ctx.run(&[&dot, &max])?;
        let again: Vec<f32> = ctx.read(&scalars, 0, 4)?;
        assert_eq!(
            first[1].to_bits(),
            again[1].to_bits(),
            "dot over {n} items is not repeatable"
        );

        let (xw, yw) = (wide(&x[..n]), wide(&y[..n]));
        let exact = twins::dot(&xw, &yw);
        let magnitude: f64 = xw.iter().zip(&yw).map(|(a, b)| (a * b).abs()).sum();
        let err = (f64::from(first[1]) - exact).abs();
        assert!(
            err <= 1e-6 * magnitude,
            "dot over {n}: gpu {} cpu {exact} (sum |xy| {magnitude})",
            first[1]
        );
        assert_eq!(
            f64::from(first[2]),
            twins::max_abs(&xw),
            "max_abs over {n} must be exact"
        );
    }
    Ok(())
}

#[test]
fn lane_reductions_equal_lone_reductions_bit_for_bit() -> Result<()> {
    let Some(ctx) = context() else { return Ok(()) };
    // Four lanes of 65_537 items (33 chunks, the last one short) padded to 70_001.
    let lanes = kernels::Lanes {
        count: 4,
        stride: 70_001,
        len: 65_537,
        slots: 3,
    };
    let (n, stride, len) = (lanes.items() as usize, 70_001usize, 65_537usize);
    let mut rng = Rng(15);
    let (x, y) = (rng.vec(n, -1.0, 1.0), rng.vec(n, -1.0, 1.0));
    let (xb, yb) = (ctx.upload("x", &x)?, ctx.upload("y", &y)?);
    let partials = ctx.lane_partials(lanes)?;
    let scalars = ctx.scalars(12)?;
    ctx.run(&[&ctx.dot(lanes, &xb, &yb, &partials, &scalars, 2)?])?;
    let stacked: Vec<f32> = ctx.read(&scalars, 0, 12)?;
    let expected = twins::dot_in(lanes, &wide(&x), &wide(&y));
    for p in 0..4 {
        let range = p * stride..p * stride + len;
        let (xl, yl) = (&x[range.clone()], &y[range]);
        let (xo, yo) = (ctx.upload("x", xl)?, ctx.upload("y", yl)?);
        let (po, so) = (ctx.partials(len as u64)?, ctx.scalars(1)?);
        ctx.run(&[&ctx.dot(len as u64, &xo, &yo, &po, &so, 0)?])?;
        let alone: Vec<f32> = ctx.read(&so, 0, 1)?;
        let got = stacked[3 * p + 2];
        assert_eq!(
            got.to_bits(),
            alone[0].to_bits(),
            "lane {p}: {got} vs {}",
            alone[0]
        );
        let magnitude: f64 = xl
            .iter()
            .zip(yl)
            .map(|(a, b)| f64::from((a * b).abs()))
            .sum();
        let err = (f64::from(got) - expected[p]).abs();
        assert!(
            err <= 1e-6 * magnitude,
            "lane {p}: {got} vs {}",
            expected[p]
        );
    }
    Ok(())
}

#[test]
fn dispatch_beyond_65535_workgroups_folds_to_2d() -> Result<()> {
    let Some(ctx) = context() else { return Ok(()) };
    let n = 65_537usize * 256 + 100;
    let src: Vec<f32> = (0..n).map(|i| i as f32).collect();
    let (sb, db) = (ctx.upload("src", &src)?, ctx.zeroed("dst", n as u64 * 4)?);
    let dispatch = ctx.copy_bandwidth(n as u64, &sb, &db)?;
    let [x, y, z] = dispatch.groups();
    let max = ctx.limits().max_compute_workgroups_per_dimension;
    assert!(
        x <= max && y <= max && z == 1,
        "{x} x {y} x {z} exceeds {max}"
    );
    if max <= 65_535 {
        assert!(
            y > 1,
            "65538 workgroups should have been folded, got {x} x {y}"
        );
    }
    ctx.run(&[&dispatch])?;
    let dst: Vec<f32> = ctx.read(&db, 0, n)?;
    if let Some(i) = (0..n).find(|&i| dst[i] != src[i]) {
        panic!("item {i} of {n}: {} instead of {}", dst[i], src[i]);
    }
    Ok(())
}

#[test]
fn bandwidth_measurement_reports_positive_rates() -> Result<()> {
    for timestamps in [false, true] {
        let options = ContextOptions {
            f64: false,
            timestamps,
        };
        let Some(ctx) = context_with(options) else {
            return Ok(());
        };
        let result = measure_bandwidth(&ctx, 1 << 16, 3)?;
        assert!(
            result.copy_gb_s > 0.0 && result.stencil_gb_s > 0.0,
            "{result:?}"
        );
        assert!(result.stencil_cells > 0 && result.stencil_cells <= 1 << 16);
        let expected = if ctx.has_timestamps() {
            "timestamps"
        } else {
            "wall clock"
        };
        assert_eq!(result.method, expected);
        assert!(measure_bandwidth(&ctx, 0, 3).is_err());
    }
    Ok(())
}

#[test]
fn optional_features_are_enabled_only_when_asked_and_present() -> Result<()> {
    let Some(plain) = context() else {
        return Ok(());
    };
    assert!(!plain.has_f64() && !plain.has_timestamps());
    assert!(plain.device().features().is_empty());
    let options = ContextOptions {
        f64: true,
        timestamps: true,
    };
    let Some(full) = context_with(options) else {
        return Ok(());
    };
    assert_eq!(full.has_f64(), full.summary().f64);
    assert_eq!(
        full.has_f64(),
        full.device()
            .features()
            .contains(wgpu::Features::SHADER_F64)
    );
    Ok(())
}

/// Jacobi-preconditioned CG on one panel, every scalar kept on the device: the kernels as the
/// solver will chain them, checked against an f64 CG with the twins.
#[test]
fn conjugate_gradients_on_the_device_solve_a_panel() -> Result<()> {
    let Some(ctx) = context() else { return Ok(()) };
    let p = PanelStencil {
        first: 0,
        nu: 40,
        nv: 30,
        g_u: 1.0,
        g_v: 0.5,
        sigma: SIGMA,
        ts4: 0.0,
    };
    let n = p.cells() as usize;
    let nn = n as u64;
    let mut rng = Rng(6);
    let d = rng.vec(n, 0.05, 0.2);
    let b = rng.vec(n, -1.0, 1.0);
    // Jacobi: the diagonal of K + D is d plus the conductances to the existing neighbours.
    let inv_diag: Vec<f32> = (0..n)
        .map(|c| {
            let (i, j) = (c % p.nu as usize, c / p.nu as usize);
            let edges_u = usize::from(i > 0) + usize::from(i + 1 < p.nu as usize);
            let edges_v = usize::from(j > 0) + usize::from(j + 1 < p.nv as usize);
            let g = f64::from(p.g_u) * edges_u as f64 + f64::from(p.g_v) * edges_v as f64;
            (1.0 / (f64::from(d[c]) + g)) as f32
        })
        .collect();

    let (db, mb) = (ctx.upload("d", &d)?, ctx.upload("inv_diag", &inv_diag)?);
    let (x, r) = (ctx.zeroed("x", nn * 4)?, ctx.upload("r", &b)?);
    let (z, pv, ap) = (
        ctx.zeroed("z", nn * 4)?,
        ctx.zeroed("p", nn * 4)?,
        ctx.zeroed("Ap", nn * 4)?,
    );
    let (partials, s) = (ctx.partials(nn)?, ctx.scalars(4)?);
    // Slots: 0 and 2 take turns holding rz (old / new), 1 holds pAp, 3 max |r|.
    let (precondition, start) = (ctx.mul(nn, &r, &mb, &z)?, ctx.copy(nn, &z, &pv)?);
    let rz = ctx.dot(nn, &r, &z, &partials, &s, 0)?;
    let mut steps: Vec<Vec<Box<dyn Encode>>> = Vec::new();
    for (old, new) in [(0, 2), (2, 0)] {
        steps.push(vec![
            Box::new(ctx.stencil_matvec(&p, &pv, &db, &ap)?),
            Box::new(ctx.dot(nn, &pv, &ap, &partials, &s, 1)?),
            Box::new(ctx.axpy(nn, Coef::ratio(1.0, old, 1), &pv, &x, &s)?),
            Box::new(ctx.axpy(nn, Coef::ratio(-1.0, old, 1), &ap, &r, &s)?),
            Box::new(ctx.mul(nn, &r, &mb, &z)?),
            Box::new(ctx.dot(nn, &r, &z, &partials, &s, new)?),
            Box::new(ctx.xpay(nn, Coef::ratio(1.0, new, old), &z, &pv, &s)?),
        ]);
    }
    let check = ctx.max_abs(nn, &r, &partials, &s, 3)?;
    let mut work: Vec<&dyn Encode> = vec![&precondition, &start, &rz];
    for k in 0..80 {
        work.extend(steps[k % 2].iter().map(|step| step.as_ref()));
    }
    work.push(&check);
    ctx.run(&work)?;
    let gpu: Vec<f32> = ctx.read(&x, 0, n)?;
    let residual = ctx.read::<f32>(&s, 3, 1)?[0];

    let exact = cpu_cg(&p, &wide(&d), &wide(&b));
    let scale = twins::max_abs(&exact);
    let err = (0..n)
        .map(|c| (f64::from(gpu[c]) - exact[c]).abs())
        .fold(0.0, f64::max);
    assert!(
        err < 1e-5 * scale,
        "max error {err} against max |x| {scale}"
    );
    assert!(residual < 1e-4, "device residual {residual}");
    Ok(())
}

/// Plain f64 CG with the stencil twin, to 1e-12.
fn cpu_cg(p: &PanelStencil, d: &[f64], b: &[f64]) -> Vec<f64> {
    let n = b.len();
    let (mut x, mut r, mut dir) = (vec![0.0; n], b.to_vec(), b.to_vec());
    let mut ap = vec![0.0; n];
    let mut rr = twins::dot(&r, &r);
    for _ in 0..10 * n {
        if rr.sqrt() < 1e-12 {
            break;
        }
        twins::stencil_matvec(p, &dir, d, &mut ap);
        let alpha = rr / twins::dot(&dir, &ap);
        twins::axpy(alpha, &dir, &mut x);
        twins::axpy(-alpha, &ap, &mut r);
        let next = twins::dot(&r, &r);
        twins::xpay(next / rr, &r, &mut dir);
        rr = next;
    }
    x
}

#[test]
fn host_checks_catch_short_buffers_and_bad_indices() -> Result<()> {
    let Some(ctx) = context() else { return Ok(()) };
    let small = ctx.zeroed("small", 64)?;
    let big = ctx.zeroed("big", 4096)?;
    let panel = PanelStencil {
        first: 0,
        nu: 10,
        nv: 10,
        g_u: 1.0,
        g_v: 1.0,
        sigma: SIGMA,
        ts4: 0.0,
    };
    let err = ctx.stencil_matvec(&panel, &big, &big, &small).unwrap_err();
    assert!(err.to_string().contains("stencil_matvec: y"), "{err}");
    assert!(
        ctx.axpy(16, Coef::ratio(1.0, 99, 0), &small, &small, &small)
            .is_err()
    );
    assert!(ctx.read::<f32>(&small, 10, 10).is_err());
    Ok(())
}

#[test]
fn buffers_come_back_from_the_pool() -> Result<()> {
    let Some(ctx) = context() else { return Ok(()) };
    let first = ctx.take("pooled", 10_000)?;
    let size = first.size();
    assert!(size >= 10_000);
    ctx.recycle(first.clone());
    let second = ctx.take("pooled", 9_000)?;
    assert_eq!(second, first, "a buffer of the same size class is reused");
    assert_eq!(second.size(), size);
    Ok(())
}

#[test]
fn ranking_and_auto_agree() -> Result<()> {
    let list = devices();
    let auto = pick(Choice::Auto)?;
    let expected = list.iter().find(|s| !s.is_cpu());
    assert_eq!(auto.map(|c| c.summary), expected.cloned());
    for summary in &list {
        eprintln!("{}", summary.first_line(Precision::F32));
    }
    Ok(())
}
