//! The solver's kernels on the generated radiator's Newton matrix (`Jacobian::new` and
//! `update_diagonal` at the uniform first guess, as the Newton loop starts), at 10^4, 10^5
//! and 10^6 cells, on both backends:
//!
//! - cpu (f64): `CsrMatrix::matvec`, one AMG V-cycle (`Preconditioner::apply`), the `dot` and
//!   `norm2` reductions, and a parallel copy of as many values (the roofline);
//! - gpu (f32, the best adapter `pick(Choice::Gpu)` finds): csr_matvec, the Chebyshev smoother
//!   kernels (cheb_start, cheb_correction), the dot and max_abs reductions, the copy kernel (the
//!   roofline) and the device V-cycle (`DeviceAmg`). Each iteration is one submit and a wait,
//!   so small sizes mostly measure the submission overhead.
//!
//! Throughput is the compulsory traffic in bytes (GB/s in the report); the V-cycles report
//! rows per second instead. Without an adapter the gpu group prints a notice and is skipped.
//!
//! `XDG_RUNTIME_DIR=/tmp cargo bench --bench kernels` (SKYSINK_BENCH_CELLS=10000,100000 picks
//! the sizes).

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{
    BenchmarkGroup, BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group,
    criterion_main,
};
use rayon::prelude::*;

use skysink::gpu::kernels::ChebCoefs;
use skysink::gpu::{Choice, ContextOptions, Encode, GpuContext, pick};
use skysink::solve::gpu::vcycle::DeviceAmg;
use skysink::solve::jacobian::Jacobian;
use skysink::solve::linalg::amg::Amg;
use skysink::solve::linalg::pcg::Preconditioner;
use skysink::solve::linalg::sparse::{self, CsrMatrix};
use skysink::solve::newton::initial_temperature;

const SIZES: [usize; 3] = [10_000, 100_000, 1_000_000];

/// The Newton matrix of one generated radiator and its multigrid hierarchy.
struct System {
    cells: usize,
    matrix: CsrMatrix,
    amg: Amg,
}

fn sizes() -> Vec<usize> {
    match std::env::var("SKYSINK_BENCH_CELLS") {
        Ok(list) => list
            .split(',')
            .map(|s| {
                s.trim()
                    .parse()
                    .unwrap_or_else(|_| panic!("SKYSINK_BENCH_CELLS: \"{s}\" is not a number"))
            })
            .collect(),
        Err(_) => SIZES.to_vec(),
    }
}

fn system(cells: usize) -> System {
    let text = skysink::bench::radiator_scenario(cells);
    let loaded = skysink::scenario::parse(Path::new("generated radiator"), text)
        .unwrap_or_else(|e| panic!("generated scenario is invalid: {e}"));
    let model = skysink::build(&loaded).unwrap_or_else(|e| panic!("generated model: {e}"));
    let t0 = initial_temperature(&model);
    let t: Vec<f64> = (0..model.n_nodes)
        .map(|i| model.fixed_k[i].unwrap_or(t0))
        .collect();
    let mut jacobian = Jacobian::new(&model).unwrap_or_else(|e| panic!("Newton matrix: {e}"));
    jacobian.update_diagonal(&model, &t, 0.0);
    let amg = Amg::new(&jacobian.matrix);
    System {
        cells: model.n_cells,
        matrix: jacobian.matrix,
        amg,
    }
}

/// A deterministic vector with values of order one.
fn vector(n: usize, offset: usize) -> Vec<f64> {
    (0..n).map(|i| 1.0 + ((i + offset) % 7) as f64).collect()
}

fn configure(group: &mut BenchmarkGroup<'_, WallTime>) {
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));
    // The same number of iterations in every sample: long kernels take 10 runs, not 55.
    group.sampling_mode(SamplingMode::Flat);
}

fn cpu_kernels(c: &mut Criterion, systems: &[System]) {
    let mut group = c.benchmark_group("cpu");
    configure(&mut group);
    for s in systems {
        let a = &s.matrix;
        let n = a.n;
        let x = vector(n, 0);
        let w = vector(n, 3);
        let mut y = vec![0.0; n];
        let id = |name: &str| BenchmarkId::new(name, s.cells);

        // Matrix once (8-byte value and 4-byte column per entry, 8-byte row pointers), x, y.
        let matvec_bytes = a.nnz() * 12 + (n + 1) * 8 + 2 * n * 8;
        group.throughput(Throughput::Bytes(matvec_bytes as u64));
        group.bench_function(id("matvec"), |b| {
            b.iter(|| a.matvec(black_box(&x), black_box(&mut y)))
        });

        group.throughput(Throughput::Elements(n as u64));
        let mut z = vec![0.0; n];
        group.bench_function(id("vcycle"), |b| {
            b.iter(|| s.amg.apply(black_box(&w), black_box(&mut z)))
        });

        group.throughput(Throughput::Bytes(2 * 8 * n as u64));
        group.bench_function(id("dot"), |b| {
            b.iter(|| sparse::dot(black_box(&x), black_box(&w)))
        });

        group.throughput(Throughput::Bytes(8 * n as u64));
        group.bench_function(id("norm2"), |b| b.iter(|| sparse::norm2(black_box(&x))));

        group.throughput(Throughput::Bytes(2 * 8 * n as u64));
        group.bench_function(id("copy"), |b| {
            b.iter(|| {
                y.par_chunks_mut(65536)
                    .zip(x.par_chunks(65536))
                    .for_each(|(dst, src)| dst.copy_from_slice(src))
            })
        });
    }
    group.finish();
}

fn to_f32(values: &[f64]) -> Vec<f32> {
    values.iter().map(|&v| v as f32).collect()
}

/// Runs `work` as one submit and waits for it.
fn run(ctx: &GpuContext, work: &[&dyn Encode]) {
    ctx.run(work)
        .unwrap_or_else(|e| panic!("GPU dispatch failed: {e}"));
}

fn gpu_size(
    ctx: &GpuContext,
    group: &mut BenchmarkGroup<'_, WallTime>,
    s: &System,
) -> skysink::Result<()> {
    let a = &s.matrix;
    let n = a.n;
    let n64 = n as u64;
    let row_ptr: Vec<u32> = a
        .row_ptr
        .iter()
        .map(|&k| u32::try_from(k).expect("entries fit u32"))
        .collect();
    let n_cols = u32::try_from(n).expect("rows fit u32");
    let csr = ctx.upload_csr(n_cols, &row_ptr, &a.col_idx, &to_f32(&a.values))?;
    let inv_diag: Vec<f32> = a.diagonal().iter().map(|&d| (1.0 / d) as f32).collect();
    let inv_diag = ctx.upload("inv_diag", &inv_diag)?;
    let x = ctx.upload("x", &to_f32(&vector(n, 0)))?;
    let w = ctx.upload("w", &to_f32(&vector(n, 3)))?;
    let y = ctx.zeroed("y", 4 * n64)?;
    let xs = ctx.zeroed("x smoother", 4 * n64)?;
    let d = ctx.zeroed("d", 4 * n64)?;
    let z = ctx.zeroed("z", 4 * n64)?;
    let partials = ctx.partials(n64)?;
    let scalars = ctx.scalars(4)?;
    let id = |name: &str| BenchmarkId::new(name, s.cells);

    // Matrix once (4-byte value and column per entry, 4-byte row pointers), x, y: f32.
    let matrix_bytes = 8 * u64::from(csr.nnz) + 4 * (n64 + 1);
    let matvec = ctx.csr_matvec(&csr, &x, &y, false)?;
    group.throughput(Throughput::Bytes(matrix_bytes + 8 * n64));
    group.bench_function(id("csr_matvec"), |b| b.iter(|| run(ctx, &[&matvec])));

    // Reads inv_diag and b, writes x and d (one lane: one coefficient pair).
    let coef_buffer = ctx.cheb_coefficients(&[[0.3, 0.5]])?;
    let coefs = ChebCoefs {
        buffer: &coef_buffer,
        first: 0,
        stride: n64,
    };
    let start = ctx.cheb_start(n64, coefs, [&inv_diag, &w, &xs, &d])?;
    group.throughput(Throughput::Bytes(16 * n64));
    group.bench_function(id("cheb_start"), |b| b.iter(|| run(ctx, &[&start])));

    // The matrix, x, inv_diag, b and d read, d written.
    let correction = ctx.cheb_correction(&csr, coefs, [&inv_diag, &w, &xs, &d])?;
    group.throughput(Throughput::Bytes(matrix_bytes + 20 * n64));
    group.bench_function(id("cheb_correction"), |b| {
        b.iter(|| run(ctx, &[&correction]))
    });

    let dot = ctx.dot(n64, &x, &w, &partials, &scalars, 0)?;
    group.throughput(Throughput::Bytes(8 * n64));
    group.bench_function(id("dot"), |b| b.iter(|| run(ctx, &[&dot])));

    let max_abs = ctx.max_abs(n64, &x, &partials, &scalars, 1)?;
    group.throughput(Throughput::Bytes(4 * n64));
    group.bench_function(id("max_abs"), |b| b.iter(|| run(ctx, &[&max_abs])));

    let copy = ctx.copy_bandwidth(n64, &x, &y)?;
    group.throughput(Throughput::Bytes(8 * n64));
    group.bench_function(id("copy"), |b| b.iter(|| run(ctx, &[&copy])));

    let device_amg = DeviceAmg::new(ctx, &[&s.amg.export()], &w, &z, &scalars)?;
    let cycle: Vec<&dyn Encode> = device_amg
        .cycle()
        .iter()
        .map(|d| d as &dyn Encode)
        .collect();
    group.throughput(Throughput::Elements(n64));
    group.bench_function(id("vcycle"), |b| b.iter(|| run(ctx, &cycle)));
    Ok(())
}

fn gpu_kernels(c: &mut Criterion, systems: &[System]) {
    let candidate = match pick(Choice::Gpu) {
        Ok(Some(candidate)) => candidate,
        Ok(None) => {
            eprintln!("gpu kernels skipped: no GPU adapter found");
            return;
        }
        Err(e) => {
            eprintln!("gpu kernels skipped: {e}");
            return;
        }
    };
    let ctx = match GpuContext::new(&candidate, ContextOptions::default()) {
        Ok(ctx) => ctx,
        Err(e) => {
            eprintln!("gpu kernels skipped: {e}");
            return;
        }
    };
    eprintln!(
        "gpu kernels on \"{}\" ({}, {})",
        candidate.summary.name, candidate.summary.backend, candidate.summary.device_type
    );
    let mut group = c.benchmark_group("gpu");
    configure(&mut group);
    for s in systems {
        if let Err(e) = gpu_size(&ctx, &mut group, s) {
            eprintln!("gpu kernels at {} cells skipped: {e}", s.cells);
        }
        ctx.trim_pool();
    }
    group.finish();
}

fn kernels(c: &mut Criterion) {
    let systems: Vec<System> = sizes().into_iter().map(system).collect();
    for s in &systems {
        eprintln!(
            "{} cells: {} rows, {} entries, {} multigrid levels",
            s.cells,
            s.matrix.n,
            s.matrix.nnz(),
            s.amg.num_levels()
        );
    }
    cpu_kernels(c, &systems);
    gpu_kernels(c, &systems);
}

criterion_group!(benches, kernels);
criterion_main!(benches);
