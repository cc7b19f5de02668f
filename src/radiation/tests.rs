//! Unit tests of the radiation engine on small models: a lone plate against the no-radiation
//! loads of the model, energy bookkeeping of the exchange, and the radiosity's refusal of a
//! closed mirror enclosure.

use std::path::Path;

use super::exchange::PatchExchange;
use super::*;
use crate::model::build;
use crate::scenario;

fn model_of(text: &str) -> Model {
    let loaded = scenario::parse(Path::new("test.toml"), text.to_string()).expect("scenario");
    build(&loaded).expect("model")
}

const LONE_PLATE: &str = r#"
name = "lone plate"
[environment]
sink_k = 3.0
sun_direction = [0.3, 0.2, 1.0]
nadir_direction = [0.5, 0.0, -1.0]
altitude_km = 650.0
[materials.al]
conductivity_w_mk = 167.0
[coatings.osr]
absorptivity = 0.07
emissivity = 0.8
[coatings.white]
absorptivity = 0.2
emissivity = 0.9
[[panels]]
name = "plate"
origin_m = [0.0, 0.0, 0.0]
u_m = [1.0, 0.0, 0.0]
v_m = [0.0, 0.5, 0.0]
cells = [6, 4]
thickness_m = 0.002
material = "al"
front = "osr"
back = "white"
"#;

#[test]
fn a_lone_plate_absorbs_and_emits_exactly_as_without_radiation() {
    let model = model_of(LONE_PLATE);
    let settings = RadiationSettings {
        rays_per_side: 64,
        seed: 7,
    };
    let loaded = scenario::parse(Path::new("t.toml"), LONE_PLATE.to_string()).unwrap();
    let loads = ExternalLoads::from_environment(&loaded.scenario.environment);
    let exchange = Exchange::trace(&model, &settings, loads.earth, &Tracer::Cpu).unwrap();
    let absorbed = exchange.external_absorbed(&model, &loads).unwrap();
    for (c, (&a, &b)) in absorbed.iter().zip(&model.absorbed_w).enumerate() {
        assert!(
            (a - b).abs() <= 1e-12 * b.abs(),
            "cell {c}: {a} against {b}"
        );
    }
    let t: Vec<f64> = (0..model.n_cells).map(|c| 250.0 + 5.0 * c as f64).collect();
    let mut q = vec![0.0; model.n_cells];
    exchange.net_infrared(&model, &t, &mut q).unwrap();
    for c in 0..model.n_cells {
        // Nothing to exchange with: emission, and the sink's return over the whole hemisphere
        // less what goes to the Earth (the traced Earth fraction).
        let p = &model.panels[0];
        let mut expected = 0.0;
        for (side, eps) in [(0, p.front.emissivity), (1, p.back.emissivity)] {
            let space = exchange.space_fraction(2 * c + side);
            expected += eps * p.cell_area * SIGMA * (3f64.powi(4) * space - t[c].powi(4));
        }
        assert!((q[c] - expected).abs() <= 1e-12 * expected.abs(), "{c}");
    }
    assert_eq!(exchange.view_factor_report(&model).pairs.len(), 0);
}

#[test]
fn black_surfaces_lose_exactly_what_escapes() {
    let text = r#"
name = "box corner"
[environment]
sink_k = 0.0
[materials.al]
conductivity_w_mk = 167.0
[coatings.black]
absorptivity = 1.0
emissivity = 1.0
[[panels]]
name = "a"
origin_m = [0.0, 0.0, 0.0]
u_m = [1.0, 0.0, 0.0]
v_m = [0.0, 1.0, 0.0]
cells = [10, 10]
thickness_m = 0.002
material = "al"
front = "black"
back = "black"
[[panels]]
name = "b"
origin_m = [0.0, 0.0, 0.0]
u_m = [0.0, 0.0, 0.7]
v_m = [1.0, 0.0, 0.0]
cells = [7, 10]
thickness_m = 0.002
material = "al"
front = "black"
back = "black"
"#;
    let model = model_of(text);
    let settings = RadiationSettings {
        rays_per_side: 100,
        seed: 3,
    };
    let exchange = Exchange::trace(&model, &settings, None, &Tracer::Cpu).unwrap();
    let t: Vec<f64> = (0..model.n_cells)
        .map(|c| 280.0 + (c % 13) as f64 * 3.0)
        .collect();
    let mut q = vec![0.0; model.n_cells];
    exchange.net_infrared(&model, &t, &mut q).unwrap();
    let total: f64 = q.iter().sum();
    let mut escaped = 0.0;
    for p in &model.panels {
        for c in p.cells_range() {
            for side in 0..2 {
                let f = exchange.surface_fraction(2 * c + side);
                escaped += p.cell_area * (1.0 - f) * SIGMA * t[c].powi(4);
            }
        }
    }
    assert!(
        (total + escaped).abs() <= 1e-10 * escaped,
        "{total} against -{escaped}"
    );
}

#[test]
fn a_closed_mirror_enclosure_is_an_error_not_a_hang() {
    let mirror = PatchExchange {
        row_ptr: vec![0, 1, 2],
        cols: vec![1, 0],
        g: vec![1.0, 1.0],
        row_sum: vec![1.0, 1.0],
        surface: vec![1.0, 1.0],
        area: vec![1.0, 1.0],
        cell_surface: vec![],
        largest_change: 0.0,
        clamped: 0,
    };
    let err = mirror.solve_band(&[1.0, 1.0], &[1.0, 0.0]).unwrap_err();
    assert!(err.to_string().contains("enclosure"), "{err}");
    // Half reflecting: O1 = 1 + 0.5 H1, O2 = 0.5 H2, H1 = O2, H2 = O1, so O1 = 4/3,
    // O2 = 2/3 and H = (2/3, 4/3).
    let h = mirror.solve_band(&[0.5, 0.5], &[1.0, 0.0]).unwrap();
    assert!(
        (h[0] - 2.0 / 3.0).abs() < 1e-12 && (h[1] - 4.0 / 3.0).abs() < 1e-12,
        "{h:?}"
    );
}
