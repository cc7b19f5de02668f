//! The Newton matrix against finite differences of the heat balance, and the balance against
//! hand-computed terms, on a small model with every kind of coupling.

use std::path::Path;

use super::*;
use crate::scenario;
use crate::solve::cpu::CpuPcg;
use crate::solve::linalg::pcg;

const SMALL_MODEL: &str = r#"
name = "every coupling"
[environment]
sun_direction = [0.3, 0.2, 0.9]
nadir_direction = [0.0, -1.0, 0.0]
altitude_km = 650.0
[materials.al]
conductivity_w_mk = 167.0
[coatings.white]
absorptivity = 0.2
emissivity = 0.85
[[panels]]
name = "a"
origin_m = [0.0, 0.0, 0.0]
u_m = [0.5, 0.0, 0.0]
v_m = [0.0, 0.3, 0.0]
cells = [5, 3]
thickness_m = 0.002
material = "al"
front = "white"
back = "none"
[[panels]]
name = "b"
origin_m = [0.0, 0.0, 1.0]
u_m = [0.4, 0.0, 0.0]
v_m = [0.0, 0.0, 0.4]
cells = [4, 4]
thickness_m = 0.001
material = "al"
front = "white"
back = "white"
[[heat_pipes]]
name = "hp"
segments = [{ panel = "a", from_m = [0.05, 0.15], to_m = [0.45, 0.15] }, { panel = "b", from_m = [0.05, 0.2], to_m = [0.35, 0.2] }]
width_m = 0.03
film_coefficient_w_m2k = 4000.0
capacity_w_m = 100.0
[[links]]
name = "hinge"
a = { panel = "a", from_m = [0.0, 0.3], to_m = [0.5, 0.3] }
b = { panel = "b", from_m = [0.0, 0.0], to_m = [0.4, 0.0] }
conductance_w_k = 3.0
[[fixed_temperatures]]
name = "fixture"
panel = "b"
center_m = [0.35, 0.35]
size_m = [0.1, 0.1]
temperature_k = 280.0
[[payloads]]
name = "chip"
model = "custom"
power_w = 40.0
limit_c = 80.0
panel = "a"
center_m = [0.1, 0.1]
size_m = [0.07, 0.05]
junction_to_panel_k_w = 0.1
"#;

fn small_model() -> Model {
    let loaded =
        scenario::parse(Path::new("small.toml"), SMALL_MODEL.to_string()).expect("valid scenario");
    crate::model::build(&loaded).expect("model builds")
}

fn temperatures(model: &Model) -> Vec<f64> {
    (0..model.n_nodes)
        .map(|i| model.fixed_k[i].unwrap_or(250.0 + 37.0 * ((i * 7919) % 13) as f64 / 13.0))
        .collect()
}

#[test]
fn jacobian_matches_finite_differences_of_the_balance() {
    let model = small_model();
    let t = temperatures(&model);
    let mut jacobian = Jacobian::new(&model).expect("assembles");
    jacobian.update_diagonal(&model, &t, 0.0);
    let a = &jacobian.matrix;
    let n = model.n_nodes;
    let mut base = vec![0.0; n];
    heat_residual(&model, &t, &mut base);
    let h = 1e-3;
    for col in (0..n).filter(|&c| !model.is_fixed(c)) {
        let mut shifted = t.clone();
        shifted[col] += h;
        let mut plus = vec![0.0; n];
        heat_residual(&model, &shifted, &mut plus);
        shifted[col] -= 2.0 * h;
        let mut minus = vec![0.0; n];
        heat_residual(&model, &shifted, &mut minus);
        for row in (0..n).filter(|&r| !model.is_fixed(r)) {
            // Newton matrix = -dR/dT.
            let numeric = -(plus[row] - minus[row]) / (2.0 * h);
            let (cols, vals) = a.row(row);
            let analytic = cols
                .iter()
                .zip(vals)
                .find(|&(&c, _)| c as usize == col)
                .map_or(0.0, |(_, &v)| v);
            assert!(
                (numeric - analytic).abs() <= 1e-6 * (1.0 + numeric.abs()),
                "entry ({row}, {col}): finite difference {numeric}, matrix {analytic}"
            );
        }
    }
}

#[test]
fn balance_terms_add_up_by_hand() {
    let model = small_model();
    let t = temperatures(&model);
    let mut residual = vec![0.0; model.n_nodes];
    heat_residual(&model, &t, &mut residual);
    // Conduction and couplings only move heat: the sum over all nodes is the sources minus
    // the emission, computed here term by term.
    let sources: f64 =
        model.dissipated_w.iter().sum::<f64>() + model.absorbed_w.iter().sum::<f64>();
    let emitted: f64 = (0..model.n_cells)
        .map(|c| SIGMA * model.emissive_area[c] * (t[c].powi(4) - model.sink_k.powi(4)))
        .sum();
    let total: f64 = residual.iter().sum();
    assert!((total - (sources - emitted)).abs() <= 1e-9 * sources.abs().max(emitted.abs()));
    assert!((model.dissipated_w.iter().sum::<f64>() - 40.0).abs() < 1e-12);
}

#[test]
fn steady_solve_converges_and_balances() {
    let model = small_model();
    let options = crate::solve::SolveOptions {
        tolerance_k: 1e-6,
        max_iterations: 50,
    };
    let solution = newton(&model, options, &mut CpuPcg::default()).expect("solves");
    assert!(solution.converged, "{:?}", solution.failure);
    let mut residual = vec![0.0; model.n_nodes];
    heat_residual(&model, &solution.temperatures_k, &mut residual);
    let b = balance(&model, &residual);
    assert!(b.imbalance_w.abs() <= 1e-6 * b.scale_w);
    for (node, &r) in residual.iter().enumerate() {
        if !model.is_fixed(node) {
            assert!(r.abs() < 1e-6, "node {node} keeps {r} W");
        }
    }
}

#[test]
fn non_convergence_is_reported_not_hidden() {
    let model = small_model();
    let options = crate::solve::SolveOptions {
        tolerance_k: 1e-9,
        max_iterations: 1,
    };
    let solution = newton(&model, options, &mut CpuPcg::default()).expect("runs");
    assert!(!solution.converged);
    assert!(solution.failure.is_some());
}

/// The group correction's defining property, against the assembled f64 matrix: after it, each
/// group's rows of `r - J x` (a panel's free cells, or one node after the cells) sum to zero,
/// whatever `x` was; and an exact solution is left as it is.
#[test]
fn group_correction_balances_every_group() {
    let model = small_model();
    let t = temperatures(&model);
    let alpha = 0.01;
    let mut jacobian = Jacobian::new(&model).expect("assembles");
    jacobian.update_diagonal(&model, &t, alpha);
    let a = &jacobian.matrix;
    let n = model.n_nodes;
    let free = |i: usize| !model.is_fixed(i);
    let r: Vec<f64> = (0..n)
        .map(|i| {
            if free(i) {
                ((i * 37) % 11) as f64 - 5.0
            } else {
                0.0
            }
        })
        .collect();
    let groups = groups::GroupBalance::new(&model).expect("a few groups");
    let mut x: Vec<f64> = (0..n)
        .map(|i| {
            if free(i) {
                3.0 + ((i * 13) % 7) as f64
            } else {
                0.0
            }
        })
        .collect();
    groups.correct(&model, &t, alpha, &r, &mut x);
    let mut ax = vec![0.0; n];
    a.matvec(&x, &mut ax);
    let group_of = |i: usize| {
        model
            .panels
            .iter()
            .position(|p| p.cells_range().contains(&i))
            .unwrap_or(model.panels.len() + i)
    };
    let mut sums = std::collections::BTreeMap::<usize, (f64, f64)>::new();
    for i in (0..n).filter(|&i| free(i)) {
        let entry = sums.entry(group_of(i)).or_default();
        entry.0 += r[i] - ax[i];
        entry.1 += r[i].abs() + ax[i].abs();
    }
    assert!(sums.len() >= 3, "two panels and the vapour node at least");
    for (group, (sum, scale)) in sums {
        assert!(
            sum.abs() <= 1e-12 * scale,
            "group {group}: {sum} of {scale}"
        );
    }

    let mut exact = vec![0.0; n];
    let stats = pcg::pcg(
        &mut pcg::PcgWorkspace::default(),
        a,
        &amg::Amg::new(a),
        &r,
        &mut exact,
        1e-14,
        500,
    );
    assert!(stats.converged);
    let before = exact.clone();
    groups.correct(&model, &t, alpha, &r, &mut exact);
    for (x, y) in exact.iter().zip(&before) {
        assert!((x - y).abs() <= 1e-9 * (1.0 + y.abs()), "{x} against {y}");
    }
}
