//! CSR matrices split over several storage bindings (csr.rs), with the context's binding limit
//! lowered so that small problems split: split products against unsplit ones and the twins, a
//! whole steady solve against the CPU, and the refusal of a vector over one binding. Without an
//! adapter the tests print a notice and pass, unless SKYSINK_REQUIRE_GPU=1.

use std::path::Path;

use super::solver::GpuPcg;
use super::tests::{Rng, assert_close, context, csr_product_scale, wide};
use super::*;
use crate::error::Result;
use crate::solve::SolveOptions;
use crate::solve::linalg::amg::Amg;
use crate::solve::linalg::amg::testing::{panel_with_heat_pipes, rhs};
use crate::solve::newton::{self, LinearSolver};
use crate::solve::{Backend, solve};

/// A random square matrix: short rows, empty rows, and long rows (over `LONG_ROW` entries) in
/// the first and in later row blocks: rows of up to `MEDIUM_ROW` entries (32 invocations each,
/// eight to a workgroup) and longer ones (a workgroup each).
fn random_csr(n: usize, seed: u64) -> (Vec<u32>, Vec<u32>, Vec<f32>) {
    let mut rng = Rng(seed);
    let mut row_ptr = vec![0u32];
    let mut col = Vec::new();
    for row in 0..n {
        let len = match row {
            r if r % 13 == 0 => 0,
            7 => 900,
            1501 => 40,
            2998 => 600,
            r if r % 97 == 5 => 33 + r % 300,
            _ => 1 + (rng.next() % 6) as usize,
        };
        col.extend((0..len).map(|_| (rng.next() % n as u64) as u32));
        row_ptr.push(col.len() as u32);
    }
    let val = rng.vec(col.len(), -1.0, 1.0);
    (row_ptr, col, val)
}

#[test]
fn split_csr_kernels_match_unsplit_and_twins() -> Result<()> {
    let Some(mut ctx) = context() else {
        return Ok(());
    };
    let n = 3001usize;
    let (row_ptr, col, val) = random_csr(n, 21);
    let whole = ctx.upload_csr(n as u32, &row_ptr, &col, &val)?;
    assert_eq!(whole.blocks(), 1);
    ctx.set_binding_limit(4 * 1024);
    assert_eq!(ctx.binding_limit(), 4096);
    let split = ctx.upload_csr(n as u32, &row_ptr, &col, &val)?;
    // Back to the device's limit for the vectors.
    ctx.set_binding_limit(u64::MAX);
    assert!(split.blocks() >= 8, "{} blocks", split.blocks());
    // Both classes of long rows in the whole matrix; in the split one, the blocks with long
    // rows of either class.
    assert_eq!(whole.long_row_launches(), 2);
    assert!(
        split.long_row_launches() >= 3,
        "{}",
        split.long_row_launches()
    );
    assert_eq!((split.n_rows, split.nnz), (whole.n_rows, whole.nnz));

    let mut rng = Rng(22);
    let (x, y0) = (rng.vec(n, -1.0, 1.0), rng.vec(n, -1.0, 1.0));
    let xb = ctx.upload("x", &x)?;
    for accumulate in [false, true] {
        let mut results = Vec::new();
        for csr in [&whole, &split] {
            let yb = ctx.upload("y", &y0)?;
            let dispatch = ctx.csr_matvec(csr, &xb, &yb, accumulate)?;
            assert_eq!(dispatch.blocks(), csr.blocks() + csr.long_row_launches());
            ctx.run(&[&dispatch])?;
            results.push(ctx.read::<f32>(&yb, 0, n)?);
        }
        // Every row sums the same entries in the same order: identical bits.
        assert_eq!(results[0], results[1], "accumulate {accumulate}");
        let mut cpu = wide(&y0);
        twins::csr_matvec(&row_ptr, &col, &wide(&val), &wide(&x), &mut cpu, accumulate);
        let scale = csr_product_scale((&row_ptr, &col, &wide(&val)), &wide(&x), &wide(&y0));
        assert_close("split csr_matvec", &results[1], &cpu, &scale, 1e-5);
    }

    // New values reach every block.
    let val2: Vec<f32> = val.iter().map(|v| 0.5 - v).collect();
    ctx.write_csr_values(&whole, &val2)?;
    ctx.write_csr_values(&split, &val2)?;
    let (inv_diag, b) = (rng.vec(n, 0.1, 1.0), rng.vec(n, -1.0, 1.0));
    let d0 = rng.vec(n, -1.0, 1.0);
    let (ib, bb) = (ctx.upload("inv_diag", &inv_diag)?, ctx.upload("b", &b)?);
    let coef_buffer = ctx.cheb_coefficients(&[[0.375, 1.25]])?;
    let coefs = crate::gpu::kernels::ChebCoefs {
        buffer: &coef_buffer,
        first: 0,
        stride: n as u64,
    };
    let mut results = Vec::new();
    for csr in [&whole, &split] {
        let yb = ctx.upload("y", &y0)?;
        ctx.run(&[&ctx.csr_matvec(csr, &xb, &yb, false)?])?;
        let db = ctx.upload("d", &d0)?;
        let step = ctx.cheb_correction(csr, coefs, [&ib, &bb, &xb, &db])?;
        assert_eq!(step.blocks(), csr.blocks() + csr.long_row_launches());
        ctx.run(&[&step])?;
        results.push((ctx.read::<f32>(&yb, 0, n)?, ctx.read::<f32>(&db, 0, n)?));
    }
    assert_eq!(results[0].0, results[1].0, "matvec after write_csr_values");
    assert_eq!(results[0].1, results[1].1, "cheb_correction");

    // A row longer than one binding cannot be split.
    ctx.set_binding_limit(4 * 512);
    let err = ctx
        .upload_csr(n as u32, &row_ptr, &col, &val)
        .unwrap_err()
        .to_string();
    assert!(err.contains("row 7 has 900 entries"), "{err}");
    Ok(())
}

#[test]
fn set_diagonal_matches_its_twin_across_row_blocks() -> Result<()> {
    let Some(mut ctx) = context() else {
        return Ok(());
    };
    let n = 3001usize;
    let (row_ptr, mut col, val) = random_csr(n, 31);
    // Most rows get a diagonal entry, somewhere in the row (the long row 7 near its end);
    // rows with a multiple of 5 keep none and must come out unchanged.
    for row in (0..n).filter(|r| r % 5 != 0) {
        let range = row_ptr[row] as usize..row_ptr[row + 1] as usize;
        if !range.is_empty() {
            col[range.start + (row * 7) % range.len()] = row as u32;
        }
    }
    let whole = ctx.upload_csr(n as u32, &row_ptr, &col, &val)?;
    ctx.set_binding_limit(4 * 1024);
    let split = ctx.upload_csr(n as u32, &row_ptr, &col, &val)?;
    ctx.set_binding_limit(u64::MAX);
    assert!(split.blocks() >= 8, "{} blocks", split.blocks());

    let mut rng = Rng(32);
    let (d, x) = (rng.vec(n, 2.0, 3.0), rng.vec(n, -1.0, 1.0));
    let (db, xb) = (ctx.upload("d", &d)?, ctx.upload("x", &x)?);
    // A range that starts and ends inside row blocks, and one lane's worth at the end.
    let rows = 100..2700;
    let mut results = Vec::new();
    for csr in [&whole, &split] {
        let set = ctx.set_csr_diagonal(csr, rows.clone(), &db)?;
        ctx.run(&[&set])?;
        let yb = ctx.upload("y", &vec![0f32; n])?;
        ctx.run(&[&ctx.csr_matvec(csr, &xb, &yb, false)?])?;
        results.push(ctx.read::<f32>(&yb, 0, n)?);
    }
    assert_eq!(results[0], results[1], "split and whole");
    let mut cpu_val = wide(&val);
    twins::set_diagonal(&row_ptr, &col, rows.clone(), &wide(&d), &mut cpu_val);
    let changed = (0..col.len())
        .filter(|&e| cpu_val[e] != f64::from(val[e]))
        .count();
    assert!(changed > 1500, "{changed} entries changed");
    let mut cpu = vec![0.0; n];
    twins::csr_matvec(&row_ptr, &col, &cpu_val, &wide(&x), &mut cpu, false);
    let scale = csr_product_scale((&row_ptr, &col, &cpu_val), &wide(&x), &vec![0.0; n]);
    assert_close(
        "set_diagonal then csr_matvec",
        &results[1],
        &cpu,
        &scale,
        1e-5,
    );

    let past = ctx.set_csr_diagonal(&split, 10..n + 1, &db).map(|_| ());
    assert!(past.is_err(), "rows past the matrix are refused");
    Ok(())
}

#[test]
fn steady_solve_with_split_matrices_agrees_with_the_cpu() -> Result<()> {
    let Some(mut ctx) = context() else {
        return Ok(());
    };
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/h100_deployable_650km.toml");
    let loaded = crate::scenario::load(&path)?;
    let model = crate::model::build(&loaded)?;
    let options = SolveOptions {
        tolerance_k: loaded.scenario.solve.tolerance_k,
        max_iterations: loaded.scenario.solve.max_iterations.max(1) as usize,
    };
    let reference = solve(&model, &Backend::Cpu { threads: 1 }, options)?;
    assert!(reference.converged, "{:?}", reference.failure);
    // Room for every vector, not for the finest matrix or its transfers.
    ctx.set_binding_limit(4 * (model.n_nodes as u64 + 64));
    let mut solver = GpuPcg::new(ctx);
    let solution = newton::newton(&model, options, &mut solver)?;
    assert!(solution.converged, "{:?}", solution.failure);
    let blocks = solver.finest_blocks().expect("a multigrid hierarchy");
    // The finest A is in grid form (its arrays are vectors and a short rest): P and R split.
    assert!(solver.finest_grid_rest().is_some());
    assert!(
        blocks[1..].iter().all(|&b| b > 1),
        "A, P, R blocks: {blocks:?}"
    );
    let worst = reference
        .temperatures_k
        .iter()
        .zip(&solution.temperatures_k)
        .map(|(c, g)| (c - g).abs())
        .fold(0.0, f64::max);
    assert!(
        worst < 0.05,
        "GPU - CPU up to {worst} K with {blocks:?} blocks"
    );
    Ok(())
}

#[test]
fn a_vector_over_one_binding_is_still_refused() -> Result<()> {
    let Some(mut ctx) = context() else {
        return Ok(());
    };
    let a = panel_with_heat_pipes(60, 40, 1.0, 2);
    ctx.set_binding_limit(4 * a.n as u64 - 4);
    let amg = Amg::new(&a);
    let mut x = vec![0.0; a.n];
    let err = GpuPcg::new(ctx)
        .solve(&a, &amg, &rhs(a.n, 3), &mut x, 1e-6)
        .unwrap_err();
    assert_eq!(err.exit_code(), 3);
    let message = err.to_string();
    for part in [
        "device memory estimate exceeded",
        "its largest vector",
        "vectors are not split over several bindings",
        "--backend cpu",
    ] {
        assert!(message.contains(part), "{part:?} missing: {message}");
    }
    Ok(())
}
