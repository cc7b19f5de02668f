//! The published answers of shared/validation/REFERENCE_CASES.md (C1, C2, C3's Earth view factor,
//! C8), reproduced end to end through the `skysink` binary, plus physics checked against
//! independent calculations written here (Earth view factor by numerical integration, albedo,
//! eclipse, links, heat pipes).
//!
//! Every scenario is solved on the CPU backend (f64). Tolerances: what REFERENCE_CASES.md states
//! for the published cases. For the hand calculations: 1e-9 relative on external loads (they do
//! not depend on the solve), and for solved quantities 1e-3 K and 1e-5 relative: the convergence
//! test allows an energy imbalance of 1e-6 of the power, which moves a temperature by at most
//! about T/4e6 (< 1e-4 K here).

mod common;

use common::panels::Panel;
use common::*;
use serde_json::Value;

const S: f64 = 1361.0;

const MATERIAL: &str = r#"
[materials.al]
conductivity_w_mk = 167.0
density_kg_m3 = 2700.0
specific_heat_j_kgk = 896.0
"#;

const SOLVE: &str = r#"
[solve]
mode = "steady"
tolerance_k = 1.0e-7
max_iterations = 200
"#;

/// Gathers failures of table-driven checks so that one report lists every bad row.
#[derive(Default)]
struct Failures(Vec<String>);

impl Failures {
    fn abs(&mut self, actual: f64, expected: f64, tol: f64, what: &str) {
        if !within(actual, expected, tol) {
            self.0.push(format!(
                "{what}: got {actual}, expected {expected} +- {tol} (off by {:e})",
                actual - expected
            ));
        }
    }
    fn rel(&mut self, actual: f64, expected: f64, rel: f64, what: &str) {
        if !within(actual, expected, rel * expected.abs()) {
            self.0.push(format!(
                "{what}: got {actual}, expected {expected} within {rel:e} relative (off by {:e})",
                (actual - expected) / expected
            ));
        }
    }
    fn finish(self) {
        assert!(self.0.is_empty(), "\n{}", self.0.join("\n"));
    }
}

// ---------------------------------------------------------------------------------------------
// C1. Flat plate in sunlight, isothermal, deep space (sink_k = 0), no Earth. Tolerance 0.01 K.
// ---------------------------------------------------------------------------------------------

/// A 2 m x 0.75 m plate (area 1.5 m^2, normal +z), 4 x 3 cells, sink 0 K, no Earth.
/// `front`: (absorptivity, emissivity) of the front; the back has `back_coating` if given, else
/// the front's coating, or is "none" when `back_none`. `sun`: Sun direction, None for eclipse.
/// `payload_w`: a custom payload spread over the whole plate, junction_to_panel_k_w = 0.
fn c1_plate(
    front: (f64, f64),
    back_coating: Option<(f64, f64)>,
    back_none: bool,
    sun: Option<[f64; 3]>,
    payload_w: Option<f64>,
) -> String {
    let mut t = String::from(
        "name = \"C1 plate\"\n[environment]\nsolar_flux_w_m2 = 1361.0\nsink_k = 0.0\n",
    );
    if let Some(s) = sun {
        t += &format!("sun_direction = {}\n", tv(&s));
    }
    t += MATERIAL;
    t += &format!(
        "[coatings.coat]\nabsorptivity = {}\nemissivity = {}\n",
        tf(front.0),
        tf(front.1)
    );
    if let Some((a, e)) = back_coating {
        t += &format!(
            "[coatings.backside]\nabsorptivity = {}\nemissivity = {}\n",
            tf(a),
            tf(e)
        );
    }
    let back = if back_none {
        "none"
    } else if back_coating.is_some() {
        "backside"
    } else {
        "coat"
    };
    t += "\n";
    t += &Panel::plate("plate", [2.0, 0.75], [4, 3], "coat", back).toml("al", 0.002);
    if let Some(p) = payload_w {
        t += &format!(
            r#"
[[payloads]]
name = "heater"
model = "custom"
panel = "plate"
center_m = [1.0, 0.375]
size_m = [2.0, 0.75]
junction_to_panel_k_w = 0.0
power_w = {}
limit_c = 500.0
"#,
            tf(p)
        );
    }
    t + SOLVE
}

const C1_AREA: f64 = 1.5;

/// (name, alpha, eps, two-sided T, one-sided T) from REFERENCE_CASES.md C1.
const C1_ROWS: [(&str, f64, f64, f64, f64); 3] = [
    ("black body", 1.0, 1.0, 330.98, 393.61),
    ("OSR", 0.07, 0.74, 183.56, 218.29),
    ("polished aluminium", 0.24, 0.08, 435.60, 518.01),
];

fn c1_check_isothermal(f: &mut Failures, r: &Value, expected: f64, what: &str) {
    let p = panel(r, "plate");
    for key in ["t_min_k", "t_mean_k", "t_max_k"] {
        f.abs(num(p, key), expected, 0.01, &format!("{what}: {key}"));
    }
}

#[test]
fn c1_two_sided_plates_in_sunlight() {
    let mut f = Failures::default();
    for (name, a, e, t_two, _) in C1_ROWS {
        // The closed form reproduces the published row (checks the inputs of this test).
        let t_formula = (a * S / (2.0 * e * SIGMA)).powf(0.25);
        f.abs(
            t_formula,
            t_two,
            0.005,
            &format!("{name}: closed form vs table"),
        );
        let r = solve_ok(&c1_plate((a, e), None, false, Some([0.0, 0.0, 1.0]), None));
        c1_check_isothermal(&mut f, &r, t_two, &format!("{name} two-sided"));
        let p = panel(&r, "plate");
        f.rel(
            num(p, "absorbed_w"),
            a * S * C1_AREA,
            1e-9,
            &format!("{name}: absorbed"),
        );
        f.rel(
            num(p, "radiating_area_m2"),
            2.0 * C1_AREA,
            1e-12,
            &format!("{name}: radiating area"),
        );
        f.rel(
            num(p, "emitted_w"),
            a * S * C1_AREA,
            1e-6,
            &format!("{name}: emitted = absorbed"),
        );
        assert_energy_closes(&r);
    }
    f.finish();
}

#[test]
fn c1_one_sided_plates_in_sunlight() {
    let mut f = Failures::default();
    for (name, a, e, _, t_one) in C1_ROWS {
        let t_formula = (a * S / (e * SIGMA)).powf(0.25);
        f.abs(
            t_formula,
            t_one,
            0.005,
            &format!("{name}: closed form vs table"),
        );
        let r = solve_ok(&c1_plate((a, e), None, true, Some([0.0, 0.0, 1.0]), None));
        c1_check_isothermal(&mut f, &r, t_one, &format!("{name} one-sided"));
        let p = panel(&r, "plate");
        f.rel(
            num(p, "absorbed_w"),
            a * S * C1_AREA,
            1e-9,
            &format!("{name}: absorbed"),
        );
        f.rel(
            num(p, "radiating_area_m2"),
            C1_AREA,
            1e-12,
            &format!("{name}: radiating area"),
        );
        // Emission of the one radiating side at the published temperature (sink 0 K).
        f.rel(
            num(p, "emitted_w"),
            e * SIGMA * C1_AREA * num(p, "t_mean_k").powi(4),
            1e-8,
            &format!("{name}: emitted = eps sigma A T^4"),
        );
        assert_energy_closes(&r);
    }
    f.finish();
}

#[test]
fn c1_dissipating_plates_without_sunlight() {
    // q [W/m^2], eps, published T. A custom payload spreads q over the whole plate.
    let mut f = Failures::default();
    for (q, e, t_pub) in [(1400.0, 0.9, 342.22), (1000.0, 0.9, 314.61)] {
        let t_formula = (q / (2.0 * e * SIGMA)).powf(0.25);
        f.abs(
            t_formula,
            t_pub,
            0.005,
            &format!("q = {q}: closed form vs table"),
        );
        let r = solve_ok(&c1_plate((0.3, e), None, false, None, Some(q * C1_AREA)));
        c1_check_isothermal(&mut f, &r, t_pub, &format!("q = {q}"));
        // junction_to_panel_k_w = 0: the junction is the plate temperature.
        f.abs(
            num(payload(&r, "heater"), "junction_c") + C_TO_K,
            t_pub,
            0.01,
            &format!("q = {q}: junction"),
        );
        f.rel(
            num(&r, "energy.dissipated_w"),
            q * C1_AREA,
            1e-12,
            "dissipated",
        );
        f.abs(
            num(&r, "energy.absorbed_w"),
            0.0,
            1e-12,
            "absorbed in eclipse",
        );
        assert_energy_closes(&r);
    }
    f.finish();
}

#[test]
fn c1_oblique_sun_uses_the_cosine() {
    // Sun 60 degrees off the normal: absorbed alpha S cos(60) per m^2.
    let (a, e) = (0.24, 0.08);
    let th = 60f64.to_radians();
    let r = solve_ok(&c1_plate(
        (a, e),
        None,
        false,
        Some([th.sin(), 0.0, th.cos()]),
        None,
    ));
    let t = (a * S * th.cos() / (2.0 * e * SIGMA)).powf(0.25);
    let p = panel(&r, "plate");
    assert_rel(
        num(p, "absorbed_w"),
        a * S * th.cos() * C1_AREA,
        1e-9,
        "absorbed",
    );
    assert_abs(num(p, "t_mean_k"), t, 0.01, "T");
}

#[test]
fn c1_sun_on_the_back_side_uses_the_back_coating() {
    // Front OSR (0.07, 0.74), back black paint (0.95, 0.90); Sun along -z hits the back only.
    let (front, back) = ((0.07, 0.74), (0.95, 0.90));
    let r = solve_ok(&c1_plate(
        front,
        Some(back),
        false,
        Some([0.0, 0.0, -1.0]),
        None,
    ));
    let t = (back.0 * S / ((front.1 + back.1) * SIGMA)).powf(0.25);
    let p = panel(&r, "plate");
    assert_rel(num(p, "absorbed_w"), back.0 * S * C1_AREA, 1e-9, "absorbed");
    assert_abs(num(p, "t_mean_k"), t, 0.01, "T");
}

#[test]
fn c1_on_a_rotated_panel_with_an_unnormalised_sun_direction() {
    // u = (2, 2, 0), v = (-0.5, 0.5, sqrt 0.5): perpendicular, area 2 sqrt 2, unit normal
    // (0.5, -0.5, sqrt 0.5). The Sun along 5 x the normal; the OSR row of C1, two-sided.
    let h = 0.5f64.sqrt();
    let text = format!(
        r#"name = "rotated C1 plate"
[environment]
sink_k = 0.0
sun_direction = [2.5, -2.5, {sz}]
{MATERIAL}
[coatings.osr]
absorptivity = 0.07
emissivity = 0.74

[[panels]]
name = "plate"
origin_m = [1.0, -2.0, 3.0]
u_m = [2.0, 2.0, 0.0]
v_m = [-0.5, 0.5, {h}]
cells = [3, 2]
thickness_m = 0.002
material = "al"
front = "osr"
back = "osr"
{SOLVE}"#,
        sz = tf(5.0 * h),
        h = tf(h),
    );
    let r = solve_ok(&text);
    let p = panel(&r, "plate");
    let area = 2.0 * 2f64.sqrt();
    assert_rel(num(p, "area_m2"), area, 1e-12, "area = |u x v|");
    assert_rel(
        num(p, "absorbed_w"),
        0.07 * S * area,
        1e-9,
        "absorbed at normal incidence",
    );
    assert_abs(num(p, "t_mean_k"), 183.56, 0.01, "C1 OSR two-sided");
}

// ---------------------------------------------------------------------------------------------
// C2. Radiating fin to space. Tolerance 0.2 % on eta (and on T_tip / T_b).
// ---------------------------------------------------------------------------------------------

struct Fin {
    /// Fin efficiency from the fixture's heat, per unit depth.
    eta: f64,
    /// Heat per metre of depth into the fin [W/m].
    q_per_m: f64,
    /// Coldest cell (the tip) [K].
    t_tip: f64,
}

/// A strip of `n` x 1 cells, width `w`, held at T_b over its first column. The base sits at the
/// centre of that column, so the strip is L + dx/2 long with dx = strip / n: strip = 2 n L / (2n-1).
/// The fixture's heat_in_w includes the whole held cell's emission; the half of that cell behind
/// the base centre (dx/2 on both faces) is not part of the fin [0, L] and is taken off exactly.
fn fin(k: f64, t: f64, eps: f64, tb: f64, l: f64, n: usize) -> Fin {
    let w = 0.01;
    let (text, dx) = c2_fin_scenario(k, t, eps, tb, l, n, w, SOLVE);
    let r = solve_ok(&text);
    assert_energy_closes(&r);
    let q_per_m = c2_fin_heat_per_metre(num(fixed(&r, "base"), "heat_in_w"), eps, tb, dx, w);
    let p = panel(&r, "fin");
    assert_abs(num(p, "t_max_k"), tb, 1e-9, "held base temperature");
    Fin {
        eta: q_per_m / (2.0 * eps * SIGMA * tb.powi(4) * l),
        q_per_m,
        t_tip: num(p, "t_min_k"),
    }
}

#[test]
fn c2_fin_efficiency_table() {
    let (eps, tb, l, t): (f64, f64, f64, f64) = (0.85, 330.0, 0.1, 1.0e-3);
    let mut f = Failures::default();
    for (n_par, eta, tip) in [
        (0.1, 0.89004, 0.95682),
        (0.5, 0.66343, 0.85233),
        (1.0, 0.53399, 0.77915),
        (2.0, 0.40955, 0.69432),
        (10.0, 0.19720, 0.48839),
    ] {
        // N = 2 eps sigma T_b^3 L^2 / (k t)  =>  k for the wanted N.
        let k = 2.0 * eps * SIGMA * tb.powi(3) * l * l / (n_par * t);
        let r = fin(k, t, eps, tb, l, 1000);
        f.rel(r.eta, eta, 2e-3, &format!("N = {n_par}: eta"));
        f.rel(
            r.t_tip / tb,
            tip,
            2e-3,
            &format!("N = {n_par}: T_tip / T_b"),
        );
    }
    f.finish();
}

#[test]
fn c2_worked_aluminium_fin() {
    let (k, t, l, eps, tb): (f64, f64, f64, f64, f64) = (167.0, 1.0e-3, 0.10, 0.85, 330.0);
    let n_par = 2.0 * eps * SIGMA * tb.powi(3) * l * l / (k * t);
    assert_abs(n_par, 0.20744, 5e-6, "N of the worked fin");
    let r = fin(k, t, eps, tb, l, 1000);
    assert_rel(r.eta, 0.80640, 2e-3, "eta");
    assert_rel(r.t_tip, 303.94, 2e-3, "T_tip");
    assert_rel(r.q_per_m, 92.19, 2e-3, "W per metre of pipe per fin");
}

// ---------------------------------------------------------------------------------------------
// C3. Earth view factor of a plate element, through the Earth IR absorbed by a one-sided plate.
// ---------------------------------------------------------------------------------------------

/// View factor from a plate element at `alt_km` whose normal makes `lambda_deg` with the nadir,
/// to the Earth sphere: (1/pi) times the integral of max(0, n.w) over the directions w inside the
/// cone of half-angle rho = asin(R_E / (R_E + h)) around the nadir. With w at polar angle th from
/// the nadir and azimuth phi, n.w = cos(l) cos(th) + sin(l) sin(th) cos(phi); the phi integral of
/// max(0, a + b cos phi) is done exactly, the th integral by composite Simpson.
fn earth_view_factor_numeric(alt_km: f64, lambda_deg: f64) -> f64 {
    let h = (R_E_KM + alt_km) / R_E_KM;
    let rho = (1.0 / h).asin();
    let (sl, cl) = lambda_deg.to_radians().sin_cos();
    let inner = |th: f64| {
        let a = th.cos() * cl;
        let b = th.sin() * sl.abs();
        if a >= b {
            2.0 * std::f64::consts::PI * a
        } else if a <= -b {
            0.0
        } else {
            let p0 = (-a / b).acos();
            2.0 * (a * p0 + b * p0.sin())
        }
    };
    let m = 20_000;
    let dth = rho / m as f64;
    let mut sum = 0.0;
    for i in 0..=m {
        let th = i as f64 * dth;
        let w = if i == 0 || i == m {
            1.0
        } else if i % 2 == 1 {
            4.0
        } else {
            2.0
        };
        sum += w * inner(th) * th.sin();
    }
    sum * dth / 3.0 / std::f64::consts::PI
}

/// One-sided plate (front eps 0.8, area 0.5 m^2) with its normal at `lambda_deg` from the nadir,
/// no Sun (so no albedo, no sunlight), default Earth IR (237 W/m^2). A 50 W payload keeps it warm.
/// Returns the view factor implied by the absorbed power: absorbed / (eps * 237 * A).
fn earth_ir_view_factor(alt_km: f64, lambda_deg: f64) -> f64 {
    let (sl, cl) = lambda_deg.to_radians().sin_cos();
    let text = format!(
        r#"name = "C3 Earth view factor"
[environment]
sink_k = 0.0
nadir_direction = {nadir}
altitude_km = {alt}
{MATERIAL}
[coatings.coat]
absorptivity = 0.3
emissivity = 0.8

{plate}
[[payloads]]
name = "heater"
model = "custom"
panel = "plate"
center_m = [0.5, 0.25]
size_m = [1.0, 0.5]
junction_to_panel_k_w = 0.0
power_w = 50.0
limit_c = 500.0
{SOLVE}"#,
        // Not normalised: directions are normalised at load.
        nadir = tv(&[2.5 * sl, 0.0, 2.5 * cl]),
        alt = tf(alt_km),
        plate = Panel::plate("plate", [1.0, 0.5], [2, 2], "coat", "none").toml("al", 0.002),
    );
    let r = solve_ok(&text);
    assert_energy_closes(&r);
    num(panel(&r, "plate"), "absorbed_w") / (0.8 * 237.0 * 0.5)
}

const C3_PUBLISHED: [(f64, f64); 4] = [
    (0.0, 0.823583),
    (30.0, 0.714032),
    (90.0, 0.240691),
    (110.0, 0.114451),
];

#[test]
fn c3_numerical_integration_reproduces_the_published_view_factors() {
    // Validates this file's integrator before it is used as a reference below.
    let mut f = Failures::default();
    for (lambda, published) in C3_PUBLISHED {
        f.abs(
            earth_view_factor_numeric(650.0, lambda),
            published,
            6e-7,
            &format!("integrated F at {lambda} deg"),
        );
    }
    f.finish();
}

#[test]
fn c3_earth_view_factor_published_values() {
    let mut f = Failures::default();
    for (lambda, published) in C3_PUBLISHED {
        // Published to 6 decimals.
        f.abs(
            earth_ir_view_factor(650.0, lambda),
            published,
            1e-6,
            &format!("F at 650 km, {lambda} deg"),
        );
    }
    f.finish();
}

#[test]
fn c3_tilted_plate_against_numerical_integration() {
    let mut f = Failures::default();
    for (alt, lambda) in [
        (650.0, 60.0),  // partly hidden Earth (lambda > 90 - rho)
        (650.0, 150.0), // a sliver of Earth behind the plate's horizon
        (650.0, 160.0), // beyond 90 + rho: the Earth is entirely behind the plate
        (400.0, 15.0),  // whole Earth disc in view: cos(lambda) / H^2
        (400.0, 100.0),
        (2000.0, 75.0),
        (35786.0, 45.0),  // geostationary altitude
        (35786.0, 95.0),  // within rho = 8.7 deg of edge-on
        (35786.0, 100.0), // beyond 90 + rho
    ] {
        let expected = earth_view_factor_numeric(alt, lambda);
        f.abs(
            earth_ir_view_factor(alt, lambda),
            expected,
            1e-6,
            &format!("F at {alt} km, {lambda} deg"),
        );
    }
    f.finish();
}

// ---------------------------------------------------------------------------------------------
// Albedo and eclipse with [environment] (SCENARIO.md section 3), against hand calculations.
// ---------------------------------------------------------------------------------------------

/// One-sided plate facing the Earth (normal +z = nadir), alpha 0.3, eps 0.8, 0.5 m^2, 650 km.
/// The Sun is at zenith angle `gamma_deg` over the sub-satellite point:
/// s = (sin g, 0, -cos g), so s.(-nadir) = cos g and n.s = -cos g.
/// Payload: `count` chips of `power` W, `eclipse` W in eclipse, 0.5 K/W, over the whole plate.
fn sun_earth_plate(gamma_deg: f64, albedo: f64, earth_ir: f64, count: u32) -> String {
    let (sg, cg) = gamma_deg.to_radians().sin_cos();
    format!(
        r#"name = "albedo and eclipse"
[environment]
solar_flux_w_m2 = 1361.0
albedo = {albedo}
earth_ir_w_m2 = {earth_ir}
sink_k = 0.0
sun_direction = {sun}
nadir_direction = [0.0, 0.0, 1.0]
altitude_km = 650.0
{MATERIAL}
[coatings.coat]
absorptivity = 0.3
emissivity = 0.8

{plate}
[[payloads]]
name = "chip"
model = "custom"
count = {count}
panel = "plate"
center_m = [0.5, 0.25]
size_m = [1.0, 0.5]
junction_to_panel_k_w = 0.5
power_w = 30.0
eclipse_power_w = 10.0
limit_c = 500.0
{SOLVE}"#,
        albedo = tf(albedo),
        earth_ir = tf(earth_ir),
        sun = tv(&[sg, 0.0, -cg]),
        plate = Panel::plate("plate", [1.0, 0.5], [2, 2], "coat", "none").toml("al", 0.002),
    )
}

const H650: f64 = (R_E_KM + 650.0) / R_E_KM;

#[test]
fn albedo_scales_with_the_cosine_of_the_suns_zenith_angle() {
    // No Earth IR, albedo 0.3: absorbed = alpha S A max(0, n.s) + alpha S albedo F c A,
    // F = 1/H^2 for a nadir-facing plate, c = max(0, cos g). gamma = 100: the Sun is below the
    // local horizon of the sub-satellite point (c = 0) but 80 deg from the nadir, so not in
    // eclipse (65.16 deg at 650 km), and it shines on the plate's front (n.s = 0.17).
    let (a, area, albedo) = (0.3, 0.5, 0.3);
    let f_earth = 1.0 / (H650 * H650);
    let mut f = Failures::default();
    for gamma in [0.0f64, 60.0, 89.0, 100.0] {
        let c = gamma.to_radians().cos();
        let expected = a * S * area * (-c).max(0.0) + a * S * albedo * f_earth * c.max(0.0) * area;
        let r = solve_ok(&sun_earth_plate(gamma, albedo, 0.0, 1));
        assert_energy_closes(&r);
        f.rel(
            num(panel(&r, "plate"), "absorbed_w"),
            expected,
            1e-9,
            &format!("absorbed at gamma = {gamma}"),
        );
        // Not in eclipse: the chip runs at power_w.
        f.rel(
            num(&r, "energy.dissipated_w"),
            30.0,
            1e-12,
            "dissipated (sunlit)",
        );
    }
    f.finish();
}

#[test]
fn albedo_and_earth_ir_add() {
    // gamma = 0 (Sun at the sub-satellite zenith), albedo 0.35, Earth IR 258 W/m^2.
    let (a, e, area) = (0.3, 0.8, 0.5);
    let f_earth = 1.0 / (H650 * H650);
    let r = solve_ok(&sun_earth_plate(0.0, 0.35, 258.0, 1));
    let expected = a * S * 0.35 * f_earth * area + e * 258.0 * f_earth * area;
    assert_rel(
        num(panel(&r, "plate"), "absorbed_w"),
        expected,
        1e-9,
        "absorbed",
    );
    // Isothermal one-sided plate: eps sigma A T^4 = absorbed + 30 W.
    let t = ((expected + 30.0) / (e * SIGMA * area)).powf(0.25);
    assert_abs(num(panel(&r, "plate"), "t_mean_k"), t, 1e-3, "T");
}

#[test]
fn eclipse_when_the_sun_is_behind_the_earth() {
    // gamma = 120: the Sun is 60 deg from the nadir, inside asin(R_E/(R_E+h)) = 65.16 deg at
    // 650 km: eclipse, although n.s = 0.5 would light the front. No albedo, no Earth IR, so
    // nothing is absorbed, and each of the 2 chips runs at eclipse_power_w = 10 W.
    // gamma = 110: 70 deg from the nadir, sunlit: absorbed alpha S A cos(70 deg), 2 x 30 W.
    let (a, e, area, rjc) = (0.3, 0.8, 0.5, 0.5);
    for (gamma, absorbed, chip_w) in [
        (120.0, 0.0, 10.0),
        (110.0, a * S * area * 70f64.to_radians().cos(), 30.0),
    ] {
        let r = solve_ok(&sun_earth_plate(gamma, 0.3, 0.0, 2));
        assert_energy_closes(&r);
        let what = format!("gamma = {gamma}");
        assert_abs(
            num(panel(&r, "plate"), "absorbed_w"),
            absorbed,
            1e-9 * (1.0 + absorbed),
            &what,
        );
        let chip = payload(&r, "chip");
        assert_rel(
            num(chip, "power_w"),
            chip_w,
            1e-12,
            &format!("{what}: power_w per chip"),
        );
        assert_rel(
            num(chip, "total_power_w"),
            2.0 * chip_w,
            1e-12,
            &format!("{what}: total"),
        );
        assert_rel(
            num(&r, "energy.dissipated_w"),
            2.0 * chip_w,
            1e-12,
            &format!("{what}: dissipated"),
        );
        // Isothermal plate; the junction adds one chip's power times junction_to_panel_k_w.
        let t = ((absorbed + 2.0 * chip_w) / (e * SIGMA * area)).powf(0.25);
        assert_abs(
            num(panel(&r, "plate"), "t_mean_k"),
            t,
            1e-3,
            &format!("{what}: T"),
        );
        assert_abs(
            num(chip, "junction_c"),
            t + chip_w * rjc - C_TO_K,
            1e-3,
            &format!("{what}: junction"),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// C8. Sizing identities: a panel held at a fixed temperature; the fixture supplies its emission.
// ---------------------------------------------------------------------------------------------

/// A 0.5 m x 2 m plate (1 m^2), 2 x 3 cells, sink 0 K, no Sun or Earth, held entirely by the
/// fixed region "hold" given `hold` (its temperature_k or schedule line).
fn held_plate_text(eps: f64, two_sided: bool, hold: &str) -> String {
    let back = if two_sided { "coat" } else { "none" };
    format!(
        r#"name = "C8 held plate"
[environment]
sink_k = 0.0
{MATERIAL}
[coatings.coat]
absorptivity = 0.5
emissivity = {eps}

{plate}
[[fixed_temperatures]]
name = "hold"
panel = "plate"
center_m = [0.25, 1.0]
size_m = [0.5, 2.0]
{hold}
{SOLVE}"#,
        eps = tf(eps),
        plate = Panel::plate("plate", [0.5, 2.0], [2, 3], "coat", back).toml("al", 0.002),
    )
}

/// `held_plate_text` at `temperature_k`, solved; checks that every cell is held.
fn held_plate(eps: f64, two_sided: bool, temperature_k: f64) -> Value {
    let r = solve_ok(&held_plate_text(
        eps,
        two_sided,
        &format!("temperature_k = {}", tf(temperature_k)),
    ));
    assert_energy_closes(&r);
    let p = panel(&r, "plate");
    for key in ["t_min_k", "t_max_k"] {
        assert_abs(num(p, key), temperature_k, 1e-9, key);
    }
    r
}

#[test]
fn c8_two_sided_black_plate_at_20c() {
    // 1 m^2 planform: heat_in_w is W per m^2 of planform, both faces radiating.
    let r = held_plate(1.0, true, 293.15);
    let q = num(fixed(&r, "hold"), "heat_in_w");
    assert_abs(q, 837.5, 0.05, "published 837.5 W/m^2");
    assert_rel(q, 2.0 * SIGMA * 293.15f64.powi(4), 1e-9, "2 sigma T^4");
    assert_rel(
        num(panel(&r, "plate"), "emitted_w"),
        q,
        1e-9,
        "emitted = fixture heat",
    );
}

#[test]
fn c8_net_emission_per_side_at_eps_0_9() {
    let mut f = Failures::default();
    for (t, published) in [(300.0, 413.4), (320.0, 535.1), (340.0, 682.0)] {
        let r = held_plate(0.9, false, t);
        let q = num(fixed(&r, "hold"), "heat_in_w");
        f.abs(q, published, 0.05, &format!("{t} K: published"));
        f.rel(
            q,
            0.9 * SIGMA * f64::powi(t, 4),
            1e-9,
            &format!("{t} K: eps sigma T^4"),
        );
    }
    f.finish();
}

#[test]
fn emission_is_net_of_the_sink() {
    // A one-sided plate (eps 0.9, 1 m^2) held at 300 K facing a 200 K sink:
    // eps sigma A (T^4 - T_sink^4) (SCENARIO.md section 3, emission).
    let text = edit(
        &held_plate_text(0.9, false, "temperature_k = 300.0"),
        "sink_k = 0.0",
        "sink_k = 200.0",
    );
    let r = solve_ok(&text);
    assert_energy_closes(&r);
    let expected = 0.9 * SIGMA * (300f64.powi(4) - 200f64.powi(4));
    assert_rel(
        num(fixed(&r, "hold"), "heat_in_w"),
        expected,
        1e-9,
        "fixture heat",
    );
    assert_rel(
        num(panel(&r, "plate"), "emitted_w"),
        expected,
        1e-9,
        "emitted",
    );
}

#[test]
fn a_steady_solve_holds_a_scheduled_region_at_its_value_at_t_0() {
    // schedule 300 K at t = 0 rising to 320 K at 600 s: a steady solve holds 300 K.
    let r = solve_ok(&held_plate_text(
        0.9,
        false,
        "schedule = { time_s = [0.0, 600.0], temperature_k = [300.0, 320.0] }",
    ));
    let p = panel(&r, "plate");
    assert_abs(num(p, "t_max_k"), 300.0, 1e-9, "held temperature");
    assert_rel(
        num(fixed(&r, "hold"), "heat_in_w"),
        0.9 * SIGMA * 300f64.powi(4),
        1e-9,
        "fixture heat",
    );
}

// ---------------------------------------------------------------------------------------------
// Links: a one-cell radiating panel joined to a held panel; the scalar balance solved here.
// ---------------------------------------------------------------------------------------------

fn link_case(joint: &str) {
    let (g, t_held, e, area) = (0.5, 350.0, 0.9, 0.25);
    let text = format!(
        r#"name = "link"
[environment]
sink_k = 0.0
{MATERIAL}
[coatings.black]
absorptivity = 0.95
emissivity = {e}

{held}
{rad}
[[fixed_temperatures]]
name = "clamp"
panel = "held"
center_m = [0.25, 0.25]
size_m = [0.5, 0.5]
temperature_k = {t_held}

[[links]]
name = "joint"
{joint}
conductance_w_k = {g}
{SOLVE}"#,
        e = tf(e),
        t_held = tf(t_held),
        g = tf(g),
        held = Panel::plate("held", [0.5, 0.5], [1, 1], "none", "none").toml("al", 0.002),
        rad = Panel::plate("rad", [0.5, 0.5], [1, 1], "black", "none")
            .at([0.5, 0.0, 0.0])
            .toml("al", 0.002),
    );
    let r = solve_ok(&text);
    assert_energy_closes(&r);
    // G (T_held - T) = eps sigma A T^4.
    let t = bisect(1.0, t_held, |t| {
        g * (t_held - t) - e * SIGMA * area * t.powi(4)
    });
    let heat = g * (t_held - t);
    assert_abs(num(panel(&r, "rad"), "t_mean_k"), t, 1e-3, "linked panel T");
    // heat_w is the heat from end a ("held") to end b (README).
    assert_rel(num(link(&r, "joint"), "heat_w"), heat, 1e-5, "link heat");
    assert_rel(
        num(fixed(&r, "clamp"), "heat_in_w"),
        heat,
        1e-5,
        "fixture heat",
    );
    assert_rel(num(panel(&r, "rad"), "emitted_w"), heat, 1e-5, "emitted");
}

#[test]
fn line_link_pairs_its_ends_by_fraction_of_length() {
    // "src" (2 cells along u, insulated) holds 300 K on cell 0 and 400 K on cell 1. "rad" (2
    // cells of 0.5 m x 0.5 m, k t = 0.002 W/K, front eps 0.9) is joined along its edge v = 0 by a
    // 1 W/K line link whose end b runs backwards (x from 1 to 0): s in [0, 0.5] joins src cell 0
    // (300 K) to rad cell 1, s in [0.5, 1] joins src cell 1 (400 K) to rad cell 0, 0.5 W/K each.
    let text = format!(
        r#"name = "reversed line link"
[environment]
sink_k = 0.0
{MATERIAL}
{poor}
[coatings.black]
absorptivity = 0.95
emissivity = 0.9

{src}
{rad}
[[fixed_temperatures]]
name = "cold"
panel = "src"
center_m = [0.25, 0.25]
size_m = [0.5, 0.5]
temperature_k = 300.0

[[fixed_temperatures]]
name = "hot"
panel = "src"
center_m = [0.75, 0.25]
size_m = [0.5, 0.5]
temperature_k = 400.0

[[links]]
name = "seam"
a = {{ panel = "src", from_m = [0.0, 0.5], to_m = [1.0, 0.5] }}
b = {{ panel = "rad", from_m = [1.0, 0.0], to_m = [0.0, 0.0] }}
conductance_w_k = 1.0
{SOLVE}"#,
        poor = material("poor", 1.0),
        src = Panel::plate("src", [1.0, 0.5], [2, 1], "none", "none").toml("al", 0.002),
        rad = Panel::plate("rad", [1.0, 0.5], [2, 1], "black", "none")
            .at([0.0, 0.5, 0.0])
            .toml("poor", 0.002),
    );
    let s = Scenario::new("seam.toml", &text);
    let csv = s.out("cells.csv");
    let r = s.solve(&[
        "--backend",
        "cpu",
        "--quiet",
        "--json",
        "-",
        "--csv",
        csv.to_str().unwrap(),
    ]);
    r.expect_code(0);
    let v = r.json();
    assert_energy_closes(&v);
    // Cell balances, solved here by Gauss-Seidel over the two cells with bisection per cell:
    // 0.5 (T_link - T_i) + g_c (T_other - T_i) = eps sigma A_c T_i^4.
    let (g, gc, ea) = (0.5, 1.0 * 0.002 * 0.5 / 0.5, 0.9 * SIGMA * 0.25);
    let t_link = [400.0, 300.0]; // rad cell 0 meets the hot cell, rad cell 1 the cold one
    let mut t = [350.0, 350.0];
    for _ in 0..100 {
        for i in 0..2 {
            let other = t[1 - i];
            t[i] = bisect(1.0, 400.0, |x| {
                g * (t_link[i] - x) + gc * (other - x) - ea * x.powi(4)
            });
        }
    }
    let table = read(&csv);
    let rad: Vec<(i64, f64)> = table
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|c| c[0] == "rad")
        .map(|c| (c[1].parse().unwrap(), c[6].parse().unwrap()))
        .collect();
    assert_eq!(rad.len(), 2);
    let base = rad.iter().map(|c| c.0).min().unwrap();
    for (i, ti) in rad {
        let i = (i - base) as usize;
        assert_abs(ti, t[i], 1e-3, &format!("rad cell {i}"));
    }
    // Link heat from a to b; each fixture supplies its link share plus (hot) or minus (cold) the
    // conduction between the two held cells, k t L / dx x 100 K = 167 x 0.002 x 100 W.
    let to_rad = [g * (400.0 - t[0]), g * (300.0 - t[1])];
    let src_cond = 167.0 * 0.002 * 0.5 / 0.5 * 100.0;
    assert_rel(
        num(link(&v, "seam"), "heat_w"),
        to_rad[0] + to_rad[1],
        1e-5,
        "link heat",
    );
    assert_rel(
        num(fixed(&v, "hot"), "heat_in_w"),
        to_rad[0] + src_cond,
        1e-5,
        "hot fixture",
    );
    assert_rel(
        num(fixed(&v, "cold"), "heat_in_w"),
        to_rad[1] - src_cond,
        1e-5,
        "cold fixture",
    );
}

#[test]
fn point_link_to_a_held_panel() {
    link_case(
        "a = { panel = \"held\", at_m = [0.25, 0.25] }\nb = { panel = \"rad\", at_m = [0.25, 0.25] }",
    );
}

#[test]
fn line_link_to_a_held_panel() {
    // The shared edge: x = 0.5 on "held", x = 0 on "rad".
    link_case(
        "a = { panel = \"held\", from_m = [0.5, 0.0], to_m = [0.5, 0.5] }\n\
         b = { panel = \"rad\", from_m = [0.0, 0.0], to_m = [0.0, 0.5] }",
    );
}

// ---------------------------------------------------------------------------------------------
// Heat pipes: one-cell panels joined only by the pipe, so every number has a closed form.
// ---------------------------------------------------------------------------------------------

const PIPE_W: f64 = 0.02;
const PIPE_H: f64 = 5000.0;

/// An insulated (both sides "none") 0.2 m x 0.2 m evaporator panel carrying a 100 W chip, and
/// one-cell 1.0 m x 0.2 m condenser panels radiating from both faces (eps 0.9), laid end to end
/// along x; one pipe runs along y = 0.1 through all of them. Nothing else joins the panels.
/// `order`: the panels along the pipe, e.g. ["evap", "c1"]; each is "evap" or a condenser name.
fn pipe_scenario(order: &[&str], capacity_w_m: f64) -> String {
    pipe_scenario_at(order, capacity_w_m, 0.1)
}

/// `pipe_scenario` with the pipe along y = `y` on every panel.
fn pipe_scenario_at(order: &[&str], capacity_w_m: f64, y: f64) -> String {
    let mut t = String::from("name = \"heat pipe\"\n[environment]\nsink_k = 0.0\n");
    t += MATERIAL;
    t += "[coatings.white]\nabsorptivity = 0.2\nemissivity = 0.9\n";
    let mut x = 0.0;
    let mut segments = Vec::new();
    for name in order {
        let (len, coat) = if *name == "evap" {
            (0.2, "none")
        } else {
            (1.0, "white")
        };
        t += "\n";
        t += &Panel::plate(name, [len, 0.2], [1, 1], coat, coat)
            .at([x, 0.0, 0.0])
            .toml("al", 0.002);
        segments.push(format!(
            "{{ panel = \"{name}\", from_m = [0.0, {y}], to_m = [{len}, {y}] }}",
            y = tf(y),
            len = tf(len)
        ));
        x += len;
    }
    t += &format!(
        r#"
[[heat_pipes]]
name = "hp"
segments = [{}]
width_m = {}
film_coefficient_w_m2k = {}
capacity_w_m = {}

[[payloads]]
name = "chip"
model = "custom"
panel = "evap"
center_m = [0.1, 0.1]
size_m = [0.2, 0.2]
junction_to_panel_k_w = 0.05
power_w = 100.0
limit_c = 300.0
"#,
        segments.join(", "),
        tf(PIPE_W),
        tf(PIPE_H),
        tf(capacity_w_m),
    );
    t + SOLVE
}

#[test]
fn heat_pipe_contact_strip_is_clipped_to_the_panel() {
    // The same pipe along the panels' edge y = 0: half of each contact strip lies outside and
    // is clipped off, so the contact conductances halve and both film drops double.
    let r = solve_ok(&pipe_scenario_at(&["evap", "cond"], 150.0, 0.0));
    assert_energy_closes(&r);
    let t_cond = (100.0 / (0.9 * SIGMA * 0.4)).powf(0.25);
    let t_vap = t_cond + 100.0 / (PIPE_H * PIPE_W / 2.0 * 1.0);
    let t_evap = t_vap + 100.0 / (PIPE_H * PIPE_W / 2.0 * 0.2);
    assert_abs(
        num(panel(&r, "cond"), "t_mean_k"),
        t_cond,
        1e-3,
        "condenser T",
    );
    assert_abs(
        num(heat_pipe(&r, "hp"), "vapour_k"),
        t_vap,
        1e-3,
        "vapour_k",
    );
    assert_abs(
        num(panel(&r, "evap"), "t_mean_k"),
        t_evap,
        1e-3,
        "evaporator T",
    );
    // The strips' centroids stay at mid-segment: transport unchanged.
    assert_rel(
        num(heat_pipe(&r, "hp"), "transport_w_m"),
        60.0,
        1e-5,
        "transport",
    );
}

/// Checks temperatures and pipe numbers against the closed form: the 100 W chip's heat all goes
/// into the pipe (the evaporator cannot radiate) and splits equally between the condensers `conds`.
fn check_pipe(r: &Value, conds: &[&str], transport: f64, capacity_w_m: f64) {
    let p = 100.0;
    let share = p / conds.len() as f64;
    // Each condenser: 0.9 sigma (2 x 0.2 m^2) T^4 = share (sink 0 K).
    let t_cond = (share / (0.9 * SIGMA * 0.4)).powf(0.25);
    // Vapour: the condenser contact is 1.0 m x width, the evaporator contact 0.2 m x width.
    let t_vap = t_cond + share / (PIPE_H * PIPE_W * 1.0);
    let t_evap = t_vap + p / (PIPE_H * PIPE_W * 0.2);
    for c in conds {
        assert_abs(
            num(panel(r, c), "t_mean_k"),
            t_cond,
            1e-3,
            &format!("{c} T"),
        );
        assert_rel(
            num(panel(r, c), "emitted_w"),
            share,
            1e-5,
            &format!("{c} emitted"),
        );
    }
    assert_abs(
        num(panel(r, "evap"), "t_mean_k"),
        t_evap,
        1e-3,
        "evaporator T",
    );
    assert_abs(
        num(payload(r, "chip"), "junction_c"),
        t_evap + p * 0.05 - C_TO_K,
        1e-3,
        "junction",
    );
    let hp = heat_pipe(r, "hp");
    assert_abs(num(hp, "vapour_k"), t_vap, 1e-3, "vapour_k");
    assert_rel(num(hp, "load_w"), p, 1e-5, "load_w");
    assert_rel(num(hp, "transport_w_m"), transport, 1e-5, "transport_w_m");
    let eff = transport / p;
    assert_rel(
        num(hp, "effective_length_m"),
        eff,
        1e-5,
        "effective_length_m",
    );
    assert_rel(num(hp, "capacity_w_m"), capacity_w_m, 1e-12, "capacity_w_m");
    assert_rel(
        num(hp, "capacity_w"),
        capacity_w_m / eff,
        1e-5,
        "capacity_w",
    );
}

#[test]
fn heat_pipe_evaporator_to_one_condenser() {
    // Segment centroids at s = 0.1 (evaporator) and 0.2 + 0.5 = 0.7 (condenser): Q(s) = 100 W
    // between them, transport 100 x 0.6 = 60 W m, effective length 0.6 m.
    let r = solve_ok(&pipe_scenario(&["evap", "cond"], 150.0));
    assert_energy_closes(&r);
    check_pipe(&r, &["cond"], 60.0, 150.0);
    let hp = heat_pipe(&r, "hp");
    assert_eq!(hp["within_capacity"], Value::Bool(true));
    assert_eq!(hp["violation"], Value::Null);
    assert_eq!(r["verdict"], "pass");
}

#[test]
fn heat_pipe_transport_integrates_the_absolute_axial_flow() {
    // Condenser, evaporator, condenser: centroids at s = 0.5, 1.1, 1.7; each condenser takes
    // 50 W by symmetry. Q(s) = -50 W on [0.5, 1.1) and +50 W on [1.1, 1.7): the integral of
    // |Q| is 60 W m (the signed integral would be 0); load 100 W, effective length 0.6 m.
    let r = solve_ok(&pipe_scenario(&["left", "evap", "right"], 150.0));
    assert_energy_closes(&r);
    check_pipe(&r, &["left", "right"], 60.0, 150.0);
}

#[test]
fn heat_pipe_over_capacity_fails_the_verdict() {
    // Transport 60 W m against a 50 W m capacity: exit 1, though the chip is within its limit.
    let r = solve_expect(&pipe_scenario(&["evap", "cond"], 50.0), 1);
    assert_eq!(r["solver"]["converged"], Value::Bool(true));
    check_pipe(&r, &["cond"], 60.0, 50.0);
    let hp = heat_pipe(&r, "hp");
    assert_eq!(hp["within_capacity"], Value::Bool(false));
    assert!(
        hp["violation"].is_string(),
        "violation: {}",
        hp["violation"]
    );
    assert_eq!(payload(&r, "chip")["within_limit"], Value::Bool(true));
    assert_eq!(r["verdict"], "fail");
}
