//! The radiation engine against published numbers (shared/validation/REFERENCE_CASES.md C3, C5)
//! and independent calculations: view factors, reciprocity, grey exchange, shadows, determinism,
//! and the GPU tracer against the CPU one.

use std::path::Path;

mod common;

use common::SIGMA;
use common::panels::{COATINGS, Panel, facing_pair, parallel_panels};

use skysink::Model;
use skysink::radiation::{EarthView, Exchange, ExternalLoads, RadiationSettings, Tracer};

fn model(text: &str) -> Model {
    let loaded = skysink::scenario::parse(Path::new("test.toml"), text.to_string())
        .unwrap_or_else(|e| panic!("scenario: {e}"));
    skysink::build(&loaded).unwrap_or_else(|e| panic!("model: {e}"))
}

fn scenario(panels: &[Panel<'_>], environment: &str) -> String {
    let mut text = format!(
        "name = \"radiation test\"\n[environment]\nsink_k = 0.0\n{environment}\n\
         [materials.al]\nconductivity_w_mk = 167.0\n{COATINGS}"
    );
    for p in panels {
        text.push_str(&p.toml("al", 0.002));
    }
    text
}

fn settings(rays: u32) -> RadiationSettings {
    RadiationSettings {
        rays_per_side: rays,
        seed: 1,
    }
}

/// F and its standard error from panel side a/front to b/front.
fn factor(model: &Model, exchange: &Exchange, from: &str, to: &str) -> (f64, f64) {
    let report = exchange.view_factor_report(model);
    report
        .pairs
        .iter()
        .find(|p| p.from == from && p.to == to && p.from_side == "front" && p.to_side == "front")
        .map_or((0.0, 0.0), |p| (p.f, p.std_error))
}

fn parallel(x: f64, y: f64, cells: usize) -> Model {
    model(&scenario(&parallel_panels(x, y, cells), ""))
}

/// Emitter w = `w` wide, the other `h` high, sharing an edge of length 1 along x.
fn perpendicular(w: f64, h: f64, cells: usize) -> Model {
    model(&scenario(
        &[
            Panel {
                name: "a",
                origin: [0.0, 0.0, 0.0],
                u: [1.0, 0.0, 0.0],
                v: [0.0, w, 0.0],
                cells: [cells, cells],
                front: "black",
                back: "black",
            },
            Panel {
                name: "b",
                origin: [0.0, 0.0, 0.0],
                u: [0.0, 0.0, h],
                v: [1.0, 0.0, 0.0],
                cells: [cells, cells],
                front: "black",
                back: "none",
            },
        ],
        "",
    ))
}

fn check_factor(what: &str, model: &Model, expected: f64) {
    let exchange = Exchange::trace(model, &settings(4096), None, &Tracer::Cpu).unwrap();
    let (f, se) = factor(model, &exchange, "a", "b");
    let err = (f - expected).abs();
    eprintln!("{what}: F = {f:.6} (expected {expected}, std error {se:.2e}, error {err:.2e})");
    assert!(
        err <= 3.0 * se,
        "{what}: F = {f}, expected {expected} +- 3 x {se}"
    );
    assert!(
        err <= 0.005 * expected,
        "{what}: F = {f}, expected {expected} within 0.5 %"
    );
}

#[test]
fn c3_parallel_rectangles() {
    check_factor("X = Y = 1", &parallel(1.0, 1.0, 20), 0.199825);
    check_factor("X = 2, Y = 3", &parallel(2.0, 3.0, 20), 0.475576);
    check_factor("X = Y = 5", &parallel(5.0, 5.0, 20), 0.690245);
}

#[test]
fn c3_perpendicular_rectangles() {
    check_factor("H = W = 1", &perpendicular(1.0, 1.0, 20), 0.200044);
    check_factor("H = 2, W = 1", &perpendicular(1.0, 2.0, 20), 0.232853);
    check_factor("H = 1, W = 2", &perpendicular(2.0, 1.0, 20), 0.116426);
}

/// One and two cells per plate: a ray's start point must be independent of its direction
/// within a cell, or the estimate is biased by the cell's size (up to 70 % here, with the
/// error growing with the rays). Both directions of each pair, two ray counts.
#[test]
fn coarse_panels_give_unbiased_view_factors() {
    for cells in [1, 2] {
        for rays in [4096, 16384] {
            for (what, model, expected) in [
                ("parallel X = Y = 1", parallel(1.0, 1.0, cells), 0.199825),
                (
                    "perpendicular H = W = 1",
                    perpendicular(1.0, 1.0, cells),
                    0.200044,
                ),
            ] {
                let exchange =
                    Exchange::trace(&model, &settings(rays), None, &Tracer::Cpu).unwrap();
                for (from, to) in [("a", "b"), ("b", "a")] {
                    let (f, se) = factor(&model, &exchange, from, to);
                    eprintln!(
                        "{what}, {cells} cells, {rays} rays, {from} -> {to}: F = {f:.5} +- {se:.5}"
                    );
                    assert!(
                        (f - expected).abs() <= 3.5 * se,
                        "{what}, {cells}x{cells} cells, {rays} rays, {from} -> {to}: F = {f}, expected {expected} +- 3.5 x {se}"
                    );
                }
            }
        }
    }
}

#[test]
fn reciprocity_on_unequal_panels_and_closure() {
    let m = model(&scenario(
        &[
            Panel {
                name: "a",
                origin: [0.0, 0.0, 0.0],
                u: [1.0, 0.0, 0.0],
                v: [0.0, 1.0, 0.0],
                cells: [20, 20],
                front: "black",
                back: "black",
            },
            Panel {
                name: "b",
                origin: [0.3, -0.2, 0.7],
                u: [0.0, 0.5, 0.0],
                v: [2.0, 0.0, 0.0],
                cells: [20, 24],
                front: "grey5",
                back: "none",
            },
        ],
        "",
    ));
    let exchange = Exchange::trace(&m, &settings(1024), None, &Tracer::Cpu).unwrap();
    let (fab, sab) = factor(&m, &exchange, "a", "b");
    let (fba, sba) = factor(&m, &exchange, "b", "a");
    let (aa, ab) = (1.0, 1.0);
    let diff = (aa * fab - ab * fba).abs();
    let bound = 3.0 * ((aa * sab).powi(2) + (ab * sba).powi(2)).sqrt();
    eprintln!("A_a F_ab = {fab:.6}, A_b F_ba = {fba:.6}, bound {bound:.2e}");
    assert!(
        fab > 0.1 && diff <= bound,
        "{fab} vs {fba}: {diff} > {bound}"
    );
    let report = exchange.view_factor_report(&m);
    assert!(
        report.closure_residual < 1e-12,
        "{}",
        report.closure_residual
    );
    assert!(
        report.reciprocity_residual < 0.05,
        "{}",
        report.reciprocity_residual
    );
    let (change, clamped) = exchange.enforcement();
    eprintln!("enforcement: largest patch change {change:.3e}, {clamped} cells clamped");
    assert_eq!(clamped, 0);
    let json = serde_json::to_value(&report).unwrap();
    for key in ["pairs", "sides", "reciprocity_residual", "closure_residual"] {
        assert!(json.get(key).is_some(), "{key} missing");
    }
}

/// Two 1 m plates 1 m apart, eps 0.8 at 400 K and eps 0.5 at 300 K, backs insulated, 0 K space.
fn c5_plates(cells: usize) -> Model {
    model(&scenario(
        &facing_pair(
            1.0,
            1.0,
            cells,
            [("p1", "grey8", "none"), ("p2", "grey5", "none")],
        ),
        "",
    ))
}

#[test]
fn c5_two_plate_grey_exchange() {
    let m = c5_plates(20);
    let exchange = Exchange::trace(&m, &settings(4096), None, &Tracer::Cpu).unwrap();
    let mut t = vec![0.0; m.n_cells];
    t[m.panels[0].cells_range()].fill(400.0);
    t[m.panels[1].cells_range()].fill(300.0);
    let mut q = vec![0.0; m.n_cells];
    exchange.net_infrared(&m, &t, &mut q).unwrap();
    let q1: f64 = -q[m.panels[0].cells_range()].iter().sum::<f64>();
    let q2: f64 = -q[m.panels[1].cells_range()].iter().sum::<f64>();
    eprintln!("Q1 = {q1:.3} W (1105.811), Q2 = {q2:.3} W (112.237)");
    assert!((q1 - 1105.811).abs() <= 0.005 * 1105.811, "Q1 = {q1}");
    assert!((q2 - 112.237).abs() <= 0.005 * 112.237, "Q2 = {q2}");
    // Energy: what leaves both plates is what reaches space.
    let d: Vec<f64> = {
        let mut d = vec![0.0; m.n_cells];
        exchange.emission_derivative(&m, &t, &mut d);
        d
    };
    assert!((d[0] - 4.0 * 0.8 * SIGMA * 0.0025 * 400f64.powi(3)).abs() < 1e-12);
}

fn shade_model(offset: f64) -> Model {
    model(&scenario(
        &[
            Panel {
                name: "shade",
                origin: [offset, 0.0, 1.0],
                u: [1.0, 0.0, 0.0],
                v: [0.0, 1.0, 0.0],
                cells: [20, 20],
                front: "black",
                back: "none",
            },
            Panel {
                name: "target",
                origin: [0.0, 0.0, 0.0],
                u: [1.0, 0.0, 0.0],
                v: [0.0, 1.0, 0.0],
                cells: [20, 20],
                front: "black",
                back: "none",
            },
        ],
        "sun_direction = [0.0, 0.0, 1.0]",
    ))
}

fn target_absorbed(offset: f64) -> (f64, f64) {
    let m = shade_model(offset);
    let exchange = Exchange::trace(&m, &settings(256), None, &Tracer::Cpu).unwrap();
    let loads = ExternalLoads {
        solar_flux_w_m2: 1361.0,
        albedo: 0.3,
        earth_ir_w_m2: 237.0,
        sun: Some([0.0, 0.0, 1.0]),
        earth: None,
    };
    let absorbed = exchange.external_absorbed(&m, &loads).unwrap();
    let shade: f64 = absorbed[m.panels[0].cells_range()].iter().sum();
    let target: f64 = absorbed[m.panels[1].cells_range()].iter().sum();
    (shade, target)
}

#[test]
fn a_panel_fully_shaded_gets_no_sunlight_and_half_shaded_half() {
    let (shade, target) = target_absorbed(0.0);
    assert!((shade - 1361.0).abs() < 1e-9, "shade absorbs {shade}");
    assert_eq!(target, 0.0, "fully shaded target absorbs {target}");
    let (shade, target) = target_absorbed(0.5);
    assert!((shade - 1361.0).abs() < 1e-9, "shade absorbs {shade}");
    assert!(
        (target - 0.5 * 1361.0).abs() < 1e-9,
        "half-shaded target absorbs {target}"
    );
}

#[test]
fn earth_view_is_blocked_by_a_panel_between_side_and_earth() {
    // A nadir-facing plate with a larger plate right below it sees almost no Earth.
    let m = model(&scenario(
        &[
            Panel {
                name: "plate",
                origin: [0.0, 0.0, 0.0],
                u: [0.0, 1.0, 0.0],
                v: [1.0, 0.0, 0.0],
                cells: [20, 20],
                front: "black",
                back: "none",
            },
            Panel {
                name: "cover",
                origin: [-50.0, -50.0, -0.01],
                u: [100.0, 0.0, 0.0],
                v: [0.0, 100.0, 0.0],
                cells: [20, 20],
                front: "none",
                back: "black",
            },
        ],
        "",
    ));
    let exchange = Exchange::trace(&m, &settings(64), None, &Tracer::Cpu).unwrap();
    let earth = EarthView {
        nadir: [0.0, 0.0, -1.0],
        altitude_km: 650.0,
    };
    let view = exchange.earth_view(&earth);
    let plate_front = 2 * m.panels[0].first_cell;
    assert_eq!(view[plate_front], 0.0);
    // Without the cover: the exact view factor, 1/H^2.
    let alone = model(&scenario(
        &[Panel {
            name: "plate",
            origin: [0.0, 0.0, 0.0],
            u: [0.0, 1.0, 0.0],
            v: [1.0, 0.0, 0.0],
            cells: [4, 4],
            front: "black",
            back: "none",
        }],
        "",
    ));
    let exchange = Exchange::trace(&alone, &settings(64), Some(earth), &Tracer::Cpu).unwrap();
    let view = exchange.earth_view(&earth);
    assert!((view[0] - 0.823583).abs() < 1e-6, "{}", view[0]);
    let report = exchange.view_factor_report(&alone);
    let front = &report.sides[0];
    // Rays into the disc: 1/H^2 of a cosine-weighted hemisphere, within sampling error.
    assert!((front.earth - 0.823583).abs() < 0.01, "{front:?}");
}

#[test]
fn the_same_seed_gives_bit_identical_view_factors() {
    let m = parallel(1.0, 1.0, 20);
    let a = Exchange::trace(&m, &settings(64), None, &Tracer::Cpu).unwrap();
    let b = Exchange::trace(&m, &settings(64), None, &Tracer::Cpu).unwrap();
    assert_eq!(a.tally(), b.tally());
    assert_eq!(a.view_factor_report(&m), b.view_factor_report(&m));
    let c = Exchange::trace(
        &m,
        &RadiationSettings {
            rays_per_side: 64,
            seed: 2,
        },
        None,
        &Tracer::Cpu,
    )
    .unwrap();
    assert_ne!(a.tally(), c.tally());
}

#[test]
fn gpu_and_cpu_trace_the_same_rays() {
    let Some(context) = common::context_or_skip(
        "GPU radiation test",
        skysink::gpu::ContextOptions::default(),
    ) else {
        return;
    };
    let earth = EarthView {
        nadir: [0.0, -1.0, 0.0],
        altitude_km: 650.0,
    };
    for (what, m) in [
        ("parallel", parallel(1.0, 1.0, 20)),
        ("perpendicular", perpendicular(1.0, 2.0, 20)),
    ] {
        let s = settings(256);
        let cpu = Exchange::trace(&m, &s, Some(earth), &Tracer::Cpu).unwrap();
        let gpu = Exchange::trace(&m, &s, Some(earth), &Tracer::Gpu(&context)).unwrap();
        let again = Exchange::trace(&m, &s, Some(earth), &Tracer::Gpu(&context)).unwrap();
        assert_eq!(gpu.tally(), again.tally(), "{what}: GPU not deterministic");
        // Same rays: the escape counts of nearly every cell side are identical.
        let (c, g) = (cpu.tally(), gpu.tally());
        let same = (0..c.space.len())
            .filter(|&k| c.space[k] == g.space[k] && c.earth[k] == g.earth[k])
            .count();
        let share = same as f64 / c.space.len() as f64;
        eprintln!(
            "{what}: {:.2} % of cell sides with identical escape counts",
            100.0 * share
        );
        assert!(share > 0.95, "{what}: only {share} identical");
        let (rc, rg) = (cpu.view_factor_report(&m), gpu.view_factor_report(&m));
        for pc in &rc.pairs {
            let pg = rg
                .pairs
                .iter()
                .find(|p| {
                    p.from == pc.from
                        && p.to == pc.to
                        && p.from_side == pc.from_side
                        && p.to_side == pc.to_side
                })
                .map_or(0.0, |p| p.f);
            let bound = 3.0 * std::f64::consts::SQRT_2 * pc.std_error + 1e-12;
            assert!((pg - pc.f).abs() <= bound, "{what}: {pc:?} gpu {pg}");
        }
    }
}

/// Two facing 1 m panels of 1000 x 1000 cells each at 64 rays per side. Run alone under
/// `/usr/bin/time -v` to measure the peak memory (README figures):
/// `cargo test --release --test radiation megacell -- --ignored --nocapture`.
#[test]
#[ignore]
fn megacell_panels_at_64_rays() {
    let start = std::time::Instant::now();
    let m = parallel(1.0, 1.0, 1000);
    let built = start.elapsed().as_secs_f64();
    let start = std::time::Instant::now();
    let exchange = Exchange::trace(&m, &settings(64), None, &Tracer::Cpu).unwrap();
    let traced = start.elapsed().as_secs_f64();
    let (f, se) = factor(&m, &exchange, "a", "b");
    let mut t = vec![300.0; m.n_cells];
    let mut q = vec![0.0; m.n_cells];
    let start = std::time::Instant::now();
    exchange.net_infrared(&m, &t, &mut q).unwrap();
    let radiosity = start.elapsed().as_secs_f64();
    t[0] = 301.0;
    eprintln!(
        "2 x 10^6 cells: model {built:.1} s, trace {traced:.1} s ({:.3e} rays/s), F = {f:.6} +- {se:.1e}, net_infrared {radiosity:.2} s",
        exchange.rays_traced() as f64 / traced
    );
    assert!((f - 0.199825).abs() < 3.0 * se + 1e-4);
}

/// Rays per second of the CPU tracer and of the GPU tracer on the best adapter:
/// `cargo test --release --test radiation throughput -- --ignored --nocapture`.
#[test]
#[ignore]
fn throughput() {
    let m = parallel(1.0, 1.0, 100);
    let s = settings(256);
    let start = std::time::Instant::now();
    let cpu = Exchange::trace(&m, &s, None, &Tracer::Cpu).unwrap();
    let seconds = start.elapsed().as_secs_f64();
    eprintln!(
        "CPU ({} threads): {:.3e} rays in {seconds:.2} s: {:.3e} rays/s",
        rayon::current_num_threads(),
        cpu.rays_traced() as f64,
        cpu.rays_traced() as f64 / seconds
    );
    if let Some(context) = common::context_or_skip(
        "GPU radiation test",
        skysink::gpu::ContextOptions::default(),
    ) {
        let _warm = Exchange::trace(
            &parallel(1.0, 1.0, 4),
            &settings(16),
            None,
            &Tracer::Gpu(&context),
        );
        let start = std::time::Instant::now();
        let gpu = Exchange::trace(&m, &s, None, &Tracer::Gpu(&context)).unwrap();
        let seconds = start.elapsed().as_secs_f64();
        eprintln!(
            "GPU \"{}\": {:.3e} rays in {seconds:.2} s: {:.3e} rays/s (including readback and host reduction)",
            context.summary().name,
            gpu.rays_traced() as f64,
            gpu.rays_traced() as f64 / seconds
        );
    }
}
