//! Batched GPU sweeps (SCENARIO.md sections 1 and 7, gpu/batch.rs): the points of a steady GPU
//! sweep are solved together, and the CSV is byte-identical whatever the batch size
//! (`--gpu-batch 1` solves them one at a time through the same code) and the number of
//! threads; every batched point agrees with `skysink solve --backend gpu` of the same scenario
//! and with the CPU within 0.05 K. An invalid point stays a row of its own and does not disturb
//! the others in its batch.
//!
//! Without any adapter the tests print a notice and pass, unless SKYSINK_REQUIRE_GPU=1.

mod common;

use common::*;
use std::path::Path;

const AGREEMENT_K: f64 = 0.05;

/// Powers (one far too large for the radiator, one invalid) by two radiator lengths: two mesh
/// geometries in one batch.
const GRID: &str = r#"
[sweep]
method = "grid"
[[sweep.parameters]]
path = "payloads.gpu0.power_w"
values = [100.0, -5.0, 250.0, 400.0]
[[sweep.parameters]]
path = "panels.radiator.length_u_m"
range = [0.8, 1.2, 2]
"#;

fn sweep(s: &Scenario, csv: &Path, backend: &str, flags: &[&str], env: &[(&str, &str)]) -> String {
    let mut args = vec![
        "sweep",
        s.path_str(),
        "--csv",
        csv.to_str().unwrap(),
        "--backend",
        backend,
    ];
    args.extend(flags);
    let r = run_env(args, env);
    r.expect_code(0);
    read(csv)
}

fn rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

#[test]
fn a_gpu_sweep_gives_the_same_csv_for_every_batch_size_and_agrees_with_solve_and_the_cpu() {
    if adapter_or_skip("batched GPU sweep test").is_none() {
        return;
    }
    let s = Scenario::new("grid.toml", &format!("{FULL}{GRID}"));
    let batched = sweep(&s, &s.out("batched.csv"), "gpu", &[], &[]);
    let alone = sweep(&s, &s.out("alone.csv"), "gpu", &["--gpu-batch", "1"], &[]);
    let threes = sweep(
        &s,
        &s.out("threes.csv"),
        "gpu",
        &["--gpu-batch", "3"],
        &[("RAYON_NUM_THREADS", "1")],
    );
    assert_eq!(batched, alone, "batch of 8 against batch of 1");
    assert_eq!(
        batched, threes,
        "batch of 8 against batches of 3 on one thread"
    );
    let cpu = sweep(&s, &s.out("cpu.csv"), "cpu", &[], &[]);
    let (g, c) = (rows(&batched), rows(&cpu));
    assert_eq!(g.len(), 8);
    assert_eq!(c.len(), 8);
    let mut solved = 0;
    for (gr, cr) in g.iter().zip(&c) {
        // status, verdict, junction, margin, t_max.
        assert_eq!(gr[5], cr[5], "status of point {}", gr[1]);
        if gr[5] != "ok" {
            assert_eq!(gr[3], "-5", "only the negative power fails: {gr:?}");
            continue;
        }
        solved += 1;
        for col in [7, 8, 9] {
            let (a, b): (f64, f64) = (gr[col].parse().unwrap(), cr[col].parse().unwrap());
            assert!(
                within(a, b, AGREEMENT_K),
                "point {} column {col}: GPU {a}, CPU {b}",
                gr[1]
            );
        }
    }
    assert_eq!(solved, 6);

    // The first point (100 W, radiator 0.8 m along u) solved alone by `skysink solve`.
    let by_hand = edit(
        &edit(
            &edit(
                &edit(
                    &edit(FULL, "power_w = 150.0", "power_w = 100.0"),
                    "u_m = [1.0, 0.0, 0.0]\nv_m = [0.0, 0.8, 0.0]",
                    "u_m = [0.8, 0.0, 0.0]\nv_m = [0.0, 0.8, 0.0]",
                ),
                "from_m = [0.05, 0.4]\nto_m = [0.95, 0.4]",
                "from_m = [0.04, 0.4]\nto_m = [0.76, 0.4]",
            ),
            "b = { panel = \"radiator\", from_m = [0.0, 0.0], to_m = [1.0, 0.0] }",
            "b = { panel = \"radiator\", from_m = [0.0, 0.0], to_m = [0.8, 0.0] }",
        ),
        "center_m = [0.2, 0.4]",
        "center_m = [0.16, 0.4]",
    );
    let one = Scenario::new("one.toml", &by_hand);
    let r = run(["solve", one.path_str(), "--backend", "gpu", "--json", "-"]);
    r.expect_code(0);
    let v = r.json();
    let junction: f64 = g[0][7].parse().unwrap();
    assert_eq!(g[0][3], "100");
    assert_eq!(g[0][4], "0.8");
    assert!(
        within(
            junction,
            num(payload(&v, "gpu0"), "junction_c"),
            AGREEMENT_K
        ),
        "sweep {junction}, solve {}",
        num(payload(&v, "gpu0"), "junction_c")
    );
}

/// Through the library: each point of a batch (three points, two mesh structures, in either
/// order) gets exactly the bits and iteration count of the same model solved alone by
/// `skysink::solve` on the GPU, although the two points on one mesh share every dispatch (one
/// stack of two lanes) and the third has a stack of its own.
#[test]
fn each_point_of_a_batch_has_the_bits_of_its_lone_solve() {
    if adapter_or_skip("batched GPU sweep test").is_none() {
        return;
    }
    use skysink::scenario::BackendChoice;
    use skysink::solve::gpu::batch::solve_with;
    use skysink::solve::gpu::solver::{GpuBatch, open};
    let backend = skysink::choose_backend(BackendChoice::Gpu).expect("a GPU backend");
    let skysink::Backend::Gpu { adapter, .. } = &backend else {
        panic!("--backend gpu gave {}", backend.describe());
    };
    let texts = [
        FULL.to_string(),
        edit(FULL, "power_w = 150.0", "power_w = 400.0"),
        edit(FULL, "cells = [10, 8]", "cells = [12, 9]"),
    ];
    let files: Vec<Scenario> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| Scenario::new(&format!("p{i}.toml"), t))
        .collect();
    let prepared: Vec<_> = files
        .iter()
        .map(|f| {
            let loaded = skysink::load(&f.path).expect("a valid scenario");
            let mut model = skysink::build(&loaded).expect("a model");
            let (options, _) = skysink::run::prepare_steady(
                &loaded,
                &mut model,
                &backend,
                &skysink::run::ExchangeCache::default(),
            )
            .expect("prepared");
            (model, options)
        })
        .collect();
    let alone: Vec<skysink::Solution> = prepared
        .iter()
        .map(|(m, o)| skysink::solve(m, &backend, *o).expect("a lone solve"))
        .collect();
    for order in [[0, 1, 2], [2, 0, 1]] {
        let batch: Vec<_> = order
            .iter()
            .map(|&i| (&prepared[i].0, prepared[i].1))
            .collect();
        let mut device = GpuBatch::new(open(adapter).expect("the adapter opens"));
        let solved = solve_with(&batch, &mut device).expect("a batch");
        let mut stacks = device.stack_sizes();
        stacks.sort_unstable();
        assert_eq!(stacks, [1, 2], "lanes per stack, batch order {order:?}");
        for (&i, s) in order.iter().zip(solved) {
            let s = s.expect("a solved point");
            let lone = &alone[i];
            assert!(s.converged && lone.converged);
            assert_eq!(s.iterations, lone.iterations, "point {i}");
            assert_eq!(s.linear_iterations, lone.linear_iterations, "point {i}");
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(
                bits(&s.temperatures_k),
                bits(&lone.temperatures_k),
                "point {i} in batch order {order:?}"
            );
        }
    }
}
