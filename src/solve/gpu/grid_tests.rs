//! The grid form of the finest operator (grid_split.rs, grid.rs): the split against the CSR
//! product it replaces (on the host, no adapter needed), and the grid kernels against their
//! twins on stacked lanes. Without an adapter the GPU tests print a notice and pass, unless
//! SKYSINK_REQUIRE_GPU=1.

use std::path::Path;

use super::grid_split::{GridSplit, lane_values};
use super::solver::GpuPcg;
use super::tests::{Rng, assert_close, context, wide};
use super::*;
use crate::error::Result;
use crate::gpu::kernels;
use crate::solve::linalg::amg::testing::{Assembly, Lcg, panel_with_heat_pipes, rhs};
use crate::solve::linalg::amg::{Amg, CsrView};

use crate::solve::jacobian::Jacobian;
use crate::solve::linalg::sparse::{CsrMatrix, GridRows};
use crate::solve::newton::{LinearSolver, first_guess};

fn split_of(a: &CsrMatrix) -> Option<GridSplit> {
    GridSplit::of(&[(CsrView::of(a), a.grids.as_slice())], a.n)
}

/// `twins::grid_matvec` of `split` against the f64 CSR product, relative to the size of the
/// product's terms (the split holds f32 values).
fn assert_reproduces(what: &str, split: &GridSplit, a: &CsrMatrix) {
    let x: Vec<f64> = (0..a.n)
        .map(|i| 1.0 + ((i * 7919) % 1000) as f64 * 1e-3)
        .collect();
    let mut exact = vec![0.0; a.n];
    a.matvec(&x, &mut exact);
    let mut scale = vec![0.0; a.n];
    let abs_x: Vec<f64> = x.iter().map(|v| v.abs()).collect();
    let abs_a = CsrMatrix {
        values: a.values.iter().map(|v| v.abs()).collect(),
        ..a.clone()
    };
    abs_a.matvec(&abs_x, &mut scale);
    let split_product = twins::grid_matvec(split, &x, false);
    for i in 0..a.n {
        assert!(
            (split_product[i] - exact[i]).abs() <= 1e-6 * scale[i],
            "{what}: row {i}: split {} csr {} (scale {})",
            split_product[i],
            exact[i],
            scale[i]
        );
    }
}

/// Two grids with a vapour node over a band of the first, a link that lands on a stencil
/// entry, a link across the grids, and fixed cells (identity rows, their columns eliminated as
/// the Newton matrix does).
fn irregular_grids(nx: usize, ny: usize) -> CsrMatrix {
    let mut rng = Lcg(3);
    let mut asm = Assembly::default();
    let a = asm.grid(nx, ny, 0.4, 0.2, 1.0, &mut rng);
    let b = asm.grid(ny, nx, 2.0, 0.5, 1.0, &mut rng);
    asm.vapour((0..2 * nx).map(|c| a + nx * (ny / 2) + c), 0.1);
    asm.couple(a + 3, a + 4, 7.0);
    asm.couple(a + nx * ny - 1, b, 1.5);
    let full = asm.build();
    let fixed = |i: usize| i == b + 5 || i == b + ny + 5 || i == a + 2 * nx;
    let triplets: Vec<(usize, usize, f64)> = (0..full.n)
        .flat_map(|i| {
            let (cols, vals) = full.row(i);
            cols.iter()
                .zip(vals)
                .map(move |(&c, &v)| (i, c as usize, v))
                .collect::<Vec<_>>()
        })
        .filter(|&(i, c, _)| !fixed(i) && (!fixed(c) || c == i))
        .chain((0..full.n).filter(|&i| fixed(i)).map(|i| (i, i, 1.0)))
        .collect();
    let mut out = CsrMatrix::from_triplets(full.n, &triplets).expect("a valid matrix");
    out.grids = full.grids;
    out
}

#[test]
fn the_split_reproduces_the_newton_matrix_of_a_scenario() -> Result<()> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/h100_deployable_650km.toml");
    let model = crate::model::build(&crate::scenario::load(&path)?)?;
    let mut jacobian = Jacobian::new(&model)?;
    jacobian.update_diagonal(&model, &first_guess(&model), 0.0);
    let a = &jacobian.matrix;
    assert_eq!(a.grids.len(), model.panels.len());
    let split = split_of(a).expect("panels are stencils");
    assert_eq!(
        split.panels.len(),
        model.panels.len(),
        "every panel a stencil"
    );
    // The rest: heat-pipe contacts, payload and joint couplings, small beside the cells.
    assert!(
        split.rest.entries() > 0 && 4 * split.rest.entries() < a.n,
        "{} rest entries for {} rows",
        split.rest.entries(),
        a.n
    );
    assert_reproduces("scenario", &split, a);
    Ok(())
}

#[test]
fn the_split_absorbs_links_fixed_cells_and_vapour_nodes() {
    let a = irregular_grids(24, 16);
    let split = split_of(&a).expect("stencils pay here");
    assert_eq!(split.panels.len(), 2);
    assert_reproduces("irregular grids", &split, &a);
    // The rest holds the vapour node's row (over LONG_ROW entries) and its contacts, the two
    // links, and the corrections around the three fixed cells.
    let longest = split
        .rest
        .row_ptr
        .windows(2)
        .map(|w| w[1] - w[0])
        .max()
        .unwrap_or(0);
    assert_eq!(longest, 2 * 24);
    // The same values with the stencils chosen: the same pattern, the same values.
    let lane = &split.lanes[0];
    let (diag, rest) = lane_values(
        &CsrView::of(&a),
        &a.grids,
        &lane.stencils,
        lane.pattern,
        a.n,
    )
    .expect("same pattern");
    assert_eq!((diag, rest), (split.diag.clone(), split.rest.val.clone()));
    // A new link on a stencil entry changes the rest's pattern: the values do not fit.
    let mut linked = a.clone();
    let (cols, _) = linked.row(30);
    let k = linked.row_ptr[30] + cols.iter().position(|&c| c == 31).expect("a neighbour");
    linked.values[k] -= 1.0;
    assert!(
        lane_values(
            &CsrView::of(&linked),
            &a.grids,
            &lane.stencils,
            lane.pattern,
            a.n
        )
        .is_none()
    );
}

#[test]
fn hints_that_do_not_fit_are_not_used() {
    let a = panel_with_heat_pipes(30, 20, 2.0, 4);
    assert!(split_of(&a).is_some());
    // Conductances that no entry has: no stencil matches, the CSR matrix stays.
    let mut wrong = a.clone();
    wrong.grids[0].g = [0.5, 0.5];
    assert!(split_of(&wrong).is_none());
    // A grid past the matrix, or overlapping another, is ignored; the rest still reproduces.
    let mut odd = a.clone();
    odd.grids.push(GridRows {
        first: a.n - 5,
        nu: 10,
        nv: 1,
        g: [1.0, 1.0],
    });
    odd.grids.push(GridRows {
        first: 10,
        nu: 5,
        nv: 5,
        g: [0.66, 0.33],
    });
    let split = split_of(&odd).expect("the first grid still pays");
    assert_eq!(split.panels.len(), 1);
    assert_reproduces("odd hints", &split, &odd);
}

#[test]
fn grid_kernels_match_twins_on_stacked_lanes() -> Result<()> {
    let Some(ctx) = context() else {
        return Ok(());
    };
    let lanes = [
        irregular_grids(40, 30),
        panel_with_heat_pipes(50, 40, 3.0, 6),
    ];
    let stride = lanes.iter().map(|a| a.n).max().unwrap_or(0);
    let views: Vec<(CsrView<'_>, &[GridRows])> = lanes
        .iter()
        .map(|a| (CsrView::of(a), a.grids.as_slice()))
        .collect();
    let split = GridSplit::of(&views, stride).expect("stencils pay");
    let grid = ctx.upload_grid(&split)?;
    let n = split.n_rows;
    let mut rng = Rng(31);
    let [x, b, inv_diag, d0] = [0, 1, 2, 3].map(|_| rng.vec(n, -1.0, 1.0));
    let pairs = [[0.0f32, 0.0], [0.3, 0.7], [-0.2, 1.1]];
    let upload = |name: &str, v: &[f32]| ctx.upload(name, v);
    let (xb, bb, ib) = (
        upload("x", &x)?,
        upload("b", &b)?,
        upload("inv", &inv_diag)?,
    );
    let coefs = ctx.cheb_coefficients(&pairs)?;
    let yb = ctx.zeroed("y", 4 * n as u64)?;
    let db = upload("d", &d0)?;
    let product = ctx.grid_matvec(&grid, &xb, &yb)?;
    ctx.run(&[&product])?;
    let scale = twins::grid_matvec(&split, &wide(&x), true);
    let cpu = twins::grid_matvec(&split, &wide(&x), false);
    assert_close("grid_matvec", &ctx.read(&yb, 0, n)?, &cpu, &scale, 1e-5);

    let residual = ctx.grid_residual(&grid, &bb, &xb, &yb)?;
    ctx.run(&[&residual])?;
    let cpu = twins::grid_residual(&split, &wide(&b), &wide(&x));
    let scale_b: Vec<f64> = scale
        .iter()
        .zip(&b)
        .map(|(s, b)| s + b.abs() as f64)
        .collect();
    assert_close("grid_residual", &ctx.read(&yb, 0, n)?, &cpu, &scale_b, 1e-5);

    // Lane p's pair is coefs[1 + p]: the first pair is another step's.
    let step = kernels::ChebCoefs {
        buffer: &coefs,
        first: 1,
        stride: stride as u64,
    };
    let correction = ctx.grid_cheb_correction(&grid, step, [&ib, &bb, &xb, &db])?;
    ctx.run(&[&correction])?;
    let mut cpu = wide(&d0);
    let lane_pairs: Vec<[f64; 2]> = pairs[1..]
        .iter()
        .map(|p| [f64::from(p[0]), f64::from(p[1])])
        .collect();
    twins::grid_cheb_correction(
        &split,
        &lane_pairs,
        &wide(&inv_diag),
        &wide(&b),
        &wide(&x),
        &mut cpu,
    );
    let scale_d: Vec<f64> = (0..n)
        .map(|i| {
            let [c_prev, c_new] = lane_pairs[i / stride];
            (c_prev * f64::from(d0[i])).abs() + (c_new * f64::from(inv_diag[i])).abs() * scale_b[i]
        })
        .collect();
    assert_close(
        "grid_cheb_correction",
        &ctx.read(&db, 0, n)?,
        &cpu,
        &scale_d,
        1e-5,
    );

    // A Newton step's new diagonal reaches the product.
    let new_diag: Vec<f32> = split.diag[..lanes[0].n]
        .iter()
        .map(|d| 2.0 * d + 1.0)
        .collect();
    ctx.write_grid_diagonal(&grid, 0, &new_diag)?;
    ctx.run(&[&product])?;
    let mut changed = split.clone();
    changed.diag[..lanes[0].n].copy_from_slice(&new_diag);
    let cpu = twins::grid_matvec(&changed, &wide(&x), false);
    let scale = twins::grid_matvec(&changed, &wide(&x), true);
    assert_close(
        "grid_matvec, new diagonal",
        &ctx.read(&yb, 0, n)?,
        &cpu,
        &scale,
        1e-5,
    );
    Ok(())
}

#[test]
fn the_grid_form_and_the_csr_form_solve_alike() -> Result<()> {
    let (Some(grid_ctx), Some(csr_ctx)) = (context(), context()) else {
        return Ok(());
    };
    let with_grids = irregular_grids(60, 40);
    let mut without = with_grids.clone();
    without.grids.clear();
    let b = rhs(with_grids.n, 5);
    let mut solutions = Vec::new();
    for (ctx, a, grid) in [(grid_ctx, &with_grids, true), (csr_ctx, &without, false)] {
        let amg = Amg::new(a);
        let mut solver = GpuPcg::new(ctx);
        let mut x = vec![0.0; a.n];
        let stats = solver.solve(a, &amg, &b, &mut x, 1e-6)?;
        assert!(stats.converged, "{stats:?}");
        assert_eq!(solver.finest_grid_rest().is_some(), grid);
        let mut r = vec![0.0; a.n];
        a.residual(&b, &x, &mut r);
        let relative =
            crate::solve::linalg::sparse::norm2(&r) / crate::solve::linalg::sparse::norm2(&b);
        assert!(
            relative < 1e-5,
            "grid form {grid}: relative residual {relative:e}"
        );
        solutions.push(x);
    }
    let scale = twins::max_abs(&solutions[1]);
    let worst = solutions[0]
        .iter()
        .zip(&solutions[1])
        .map(|(g, c)| (g - c).abs())
        .fold(0.0, f64::max);
    assert!(
        worst < 1e-4 * scale,
        "grid - csr up to {worst:e} of {scale:e}"
    );
    Ok(())
}
