//! MLI blankets (SCENARIO-2 section 15) against the closed form of a blanketed plate: the outer
//! layer has no heat capacity, so its balance and the plate's give T_o and T directly; both
//! backends; bad input.

mod common;

use common::*;

/// A 1 m^2 isothermal-ish plate (k = 2000 W/m/K, 10 mm) dissipating `power_w` over its whole
/// area, Sun-facing front under `front`, back under `back`, to a 3 K sink.
fn plate(front: &str, back: &str, power_w: f64) -> String {
    format!(
        r#"name = "blanketed plate"
[environment]
sun_direction = [0.0, 0.0, 1.0]
sink_k = 3.0
[materials.core]
conductivity_w_mk = 2000.0
[coatings.mli]
absorptivity = 0.35
emissivity = 0.6
effective_emittance = 0.02
[coatings.white]
absorptivity = 0.2
emissivity = 0.85
[[panels]]
name = "plate"
origin_m = [0.0, 0.0, 0.0]
u_m = [1.0, 0.0, 0.0]
v_m = [0.0, 1.0, 0.0]
cells = [4, 4]
thickness_m = 0.01
material = "core"
front = "{front}"
back = "{back}"
[[payloads]]
name = "load"
model = "custom"
power_w = {power_w:?}
limit_c = 1000.0
panel = "plate"
center_m = [0.5, 0.5]
size_m = [1.0, 1.0]
junction_to_panel_k_w = 0.0
"#
    )
}

const SOLAR: f64 = 1361.0;

/// The closed form of a plate of area A dissipating P under one blanket (outer layer alpha,
/// eps; e* to the plate), its back insulated: the plate loses P through the blanket,
/// e* sigma A (T^4 - T_o^4) = P, and the outer layer radiates what it absorbs plus P,
/// eps sigma A (T_o^4 - T_s^4) = alpha S A + P.
#[test]
fn a_blanketed_plate_matches_its_closed_form() {
    let (alpha, eps, e_star, area, p, sink) = (0.35, 0.6, 0.02, 1.0, 100.0, 3.0_f64);
    let outer4 = (alpha * SOLAR * area + p) / (eps * SIGMA * area) + sink.powi(4);
    let t = (outer4 + p / (e_star * SIGMA * area)).powf(0.25);
    let v = solve_expect(&plate("mli", "none", p), 0);
    let panel = panel(&v, "plate");
    assert_abs(num(panel, "t_mean_k"), t, 0.01, "plate temperature");
    assert_rel(num(panel, "mli_leak_w"), p, 1e-6, "MLI leak");
    assert_rel(
        num(panel, "absorbed_w"),
        alpha * SOLAR * area,
        1e-9,
        "outer layer absorbs",
    );
    assert_rel(
        num(panel, "emitted_w"),
        alpha * SOLAR * area + p,
        1e-6,
        "leaves the outer layer",
    );
    assert_energy_closes(&v);
    // The same plate bare: far cooler, and no leak.
    let bare = solve_expect(&plate("white", "none", p), 0);
    assert!(num(panel_of(&bare), "t_mean_k") < t - 100.0);
    assert_eq!(num(panel_of(&bare), "mli_leak_w"), 0.0);
}

fn panel_of(v: &serde_json::Value) -> &serde_json::Value {
    panel(v, "plate")
}

/// A blanket in parallel with a bare radiator (back white): the plate's balance P + alpha_w
/// (0 on the dark back) = blanket leak + bare emission, solved here by bisection on T.
#[test]
fn a_blanket_beside_a_bare_side_balances_the_plate() {
    let (alpha, eps, e_star, p, sink) = (0.35, 0.6, 0.02, 300.0, 3.0_f64);
    let seen = e_star * eps / (e_star + eps);
    let share = e_star / (e_star + eps);
    let net = |t: f64| {
        let radiated = SIGMA * (seen + 0.85) * (t.powi(4) - sink.powi(4));
        p + share * alpha * SOLAR - radiated
    };
    let t = bisect(3.0, 2000.0, net);
    let v = solve_expect(&plate("mli", "white", p), 0);
    let panel = panel_of(&v);
    assert_abs(num(panel, "t_mean_k"), t, 0.01, "plate temperature");
    let leak = SIGMA * seen * (t.powi(4) - sink.powi(4)) - share * alpha * SOLAR;
    assert_rel(num(panel, "mli_leak_w"), leak, 1e-4, "MLI leak");
    assert_energy_closes(&v);
}

#[test]
fn a_blanket_agrees_on_both_backends() {
    if adapter_or_skip("GPU blanket test").is_none() {
        return;
    }
    let s = Scenario::new("mli.toml", &plate("mli", "white", 300.0));
    let cpu = s.solve(&["--backend", "cpu", "--json", "-", "--quiet"]);
    let gpu = s.solve(&["--backend", "gpu", "--json", "-", "--quiet"]);
    let (c, g) = (cpu.expect_code(0).json(), gpu.expect_code(0).json());
    assert_abs(
        num(panel_of(&g), "t_mean_k"),
        num(panel_of(&c), "t_mean_k"),
        0.05,
        "GPU against CPU",
    );
}

#[test]
fn a_blanket_refuses_bad_input() {
    for (e, message) in [
        ("0.0", "allowed: 0 < effective_emittance <= 1"),
        ("1.5", "allowed: 0 < effective_emittance <= 1"),
    ] {
        let text = plate("mli", "none", 10.0).replace(
            "effective_emittance = 0.02",
            &format!("effective_emittance = {e}"),
        );
        let s = Scenario::new("bad.toml", &text);
        let r = s.check();
        r.expect_code(2);
        assert!(r.stderr.contains(message), "{}", r.stderr);
        assert!(
            r.stderr.contains("coatings.mli.effective_emittance"),
            "{}",
            r.stderr
        );
    }
    let traced = format!(
        "{}[radiation]\nrays_per_side = 64\n",
        plate("mli", "none", 10.0)
    );
    let s = Scenario::new("bad.toml", &traced);
    let r = s.check();
    r.expect_code(2);
    assert!(
        r.stderr.contains("does not yet combine with [radiation]"),
        "{}",
        r.stderr
    );
}
