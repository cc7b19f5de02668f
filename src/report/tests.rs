use super::*;
use crate::model::{HeatPipeModel, PayloadModel, PipeContact};

#[test]
fn heat_pipe_transport_is_the_integral_of_the_axial_flow() {
    // Vapour node 3 at 300 K; conductance 1 W/K per contact, so q_c = T_c - 300.
    let t = [310.0, 310.0, 280.0, 300.0];
    let contact = |cell, position_m| PipeContact {
        cell,
        conductance: 1.0,
        position_m,
    };
    let pipe = HeatPipeModel {
        name: "hp".into(),
        node: 3,
        length_m: 1.0,
        capacity_w_m: 10.0,
        contacts: vec![contact(2, 0.8), contact(0, 0.1), contact(1, 0.2)],
    };
    let r = heat_pipe_report(&pipe, &t, true);
    // Q(s) = 10 W on [0.1, 0.2), 20 W on [0.2, 0.8), 0 after: 10 * 0.1 + 20 * 0.6 = 13 W m.
    assert!((r.transport_w_m - 13.0).abs() < 1e-12);
    assert!((r.load_w - 20.0).abs() < 1e-12);
    assert!((r.effective_length_m - 0.65).abs() < 1e-12);
    assert!((r.capacity_w - 10.0 / 0.65).abs() < 1e-9);
    assert_eq!(r.within_capacity, Some(false));
    assert!(r.violation.is_some_and(|v| v.contains("13.0 W m")));

    // Over capacity by less than the first decimal: the message shows every digit.
    let tight = HeatPipeModel {
        capacity_w_m: 12.99999,
        ..pipe
    };
    let r = heat_pipe_report(&tight, &t, true);
    let violation = r.violation.unwrap_or_default();
    assert!(
        violation.contains("exceeds the 12.99999 W m capacity"),
        "{violation}"
    );
}

fn chip(limit_c: f64, min_limit_c: Option<f64>) -> PayloadModel {
    PayloadModel {
        name: "chip".into(),
        model: "custom".into(),
        count: 2,
        panel: 0,
        power_w: 100.0,
        nominal_power_w: 100.0,
        eclipse_power_w: None,
        schedule: None,
        junction_to_panel_k_w: 0.05,
        limit_c,
        min_limit_c,
        power_source: None,
        limit_source: None,
        cells: vec![(0, 1.0), (1, 3.0)],
    }
}

#[test]
fn junction_is_the_overlap_weighted_mean_plus_the_chip_resistance() {
    let t = [350.0, 330.1];
    let r = payload_report(&chip(85.0, None), &t, 0.0, true);
    // (350 * 1 + 330.1 * 3) / 4 = 335.075 K, plus 100 W * 0.05 K/W = 340.075 K = 66.925 C.
    assert!((r.junction_c - 66.925).abs() < 1e-9);
    assert!((r.margin_k - (85.0 - 66.925)).abs() < 1e-9);
    assert!((r.total_power_w - 200.0).abs() < 1e-12);
    assert_eq!(r.within_limit, Some(true));

    let with_margin = payload_report(&chip(85.0, None), &t, 20.0, true);
    assert_eq!(with_margin.within_limit, Some(false));
    assert_eq!(
        with_margin.violation.as_deref(),
        Some("junction 66.9 C exceeds the 85.0 C limit less the 20 K required margin")
    );

    let cold = payload_report(&chip(85.0, Some(70.0)), &t, 0.0, true);
    assert!((cold.margin_k - (66.925 - 70.0)).abs() < 1e-9);
    assert_eq!(cold.within_limit, Some(false));

    let unconverged = payload_report(&chip(85.0, None), &t, 0.0, false);
    assert_eq!(unconverged.within_limit, None);

    // A junction that is not a number never passes.
    let nan = payload_report(&chip(85.0, Some(-20.0)), &[f64::NAN, 300.0], 0.0, true);
    assert_eq!(nan.within_limit, Some(false));
    assert_eq!(
        nan.violation.as_deref(),
        Some("the junction temperature is not a finite number")
    );
}
