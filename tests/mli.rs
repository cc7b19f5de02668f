//! MLI blankets (SCENARIO-2 section 15) against the closed form of a blanketed plate: the outer
//! layer has no heat capacity, so its balance and the plate's give T_o and T directly; with
//! `[radiation]`, the same plate alone and a blanket facing a black plate against a two-surface
//! network solved by hand; both backends; bad input.

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
}

/// The blanketed plate of `a_blanketed_plate_matches_its_closed_form` with `[radiation]`: alone,
/// every traced ray escapes, so its view of space is exactly 1 and of surfaces exactly 0 at any
/// ray count, and nothing shades it. The traced exchange must then give the untraced closed
/// form to round-off; the tolerances are those of the untraced test.
#[test]
fn a_blanketed_plate_alone_with_radiation_matches_its_closed_form() {
    let (alpha, eps, e_star, area, p, sink) = (0.35, 0.6, 0.02, 1.0, 100.0, 3.0_f64);
    let outer4 = (alpha * SOLAR * area + p) / (eps * SIGMA * area) + sink.powi(4);
    let t = (outer4 + p / (e_star * SIGMA * area)).powf(0.25);
    let text = format!(
        "{}[radiation]\nrays_per_side = 64\n",
        plate("mli", "none", p)
    );
    let v = solve_expect(&text, 0);
    let panel = panel_of(&v);
    eprintln!(
        "alone with [radiation]: {:.4} K (closed form {t:.4} K), leak {} W",
        num(panel, "t_mean_k"),
        num(panel, "mli_leak_w")
    );
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
}

/// Rays per side of the facing-plates test.
const FACING_RAYS: u32 = 65536;

/// Two 1 m x 1 m plates 1 m apart, one cell each: "blanketed" (z = 0) dissipates `power_w`
/// under the blanket on its front, which faces "black" (z = 1, black on both sides); the
/// blanketed plate's back is insulated. The Sun at 45 degrees in the x-z plane lights the
/// blanket and the black plate's back; the black plate's shadow falls beside the blanketed one.
fn facing_text(power_w: f64) -> String {
    format!(
        r#"name = "blanket facing a black plate"
[environment]
sun_direction = [0.7071067811865476, 0.0, 0.7071067811865476]
sink_k = 3.0
[materials.core]
conductivity_w_mk = 2000.0
[coatings.mli]
absorptivity = 0.35
emissivity = 0.6
effective_emittance = 0.02
[coatings.black]
absorptivity = 1.0
emissivity = 1.0
[[panels]]
name = "blanketed"
origin_m = [0.0, 0.0, 0.0]
u_m = [1.0, 0.0, 0.0]
v_m = [0.0, 1.0, 0.0]
cells = [1, 1]
thickness_m = 0.01
material = "core"
front = "mli"
back = "none"
[[panels]]
name = "black"
origin_m = [0.0, 0.0, 1.0]
u_m = [0.0, 1.0, 0.0]
v_m = [1.0, 0.0, 0.0]
cells = [1, 1]
thickness_m = 0.01
material = "core"
front = "black"
back = "black"
[[payloads]]
name = "load"
model = "custom"
power_w = {power_w:?}
limit_c = 1000.0
panel = "blanketed"
center_m = [0.5, 0.5]
size_m = [1.0, 1.0]
junction_to_panel_k_w = 0.0
[radiation]
rays_per_side = {FACING_RAYS}
[solve]
tolerance_k = 1.0e-6
"#
    )
}

/// The two-surface network of `facing_text` solved by hand at view factor `f` between the
/// fronts (equal areas A = 1 m^2), in black-body emissive powers b = sigma T^4, s of the sink,
/// E = S cos 45 on the blanket and on the black back:
/// - blanketed cell: P = e* (b_a - b_o);
/// - outer layer: alpha E + eps (f b_b + (1 - f) s) + P = eps b_o;
/// - its radiosity J = eps b_o + (1 - eps)(f b_b + (1 - f) s) = alpha E + P + f b_b + (1 - f) s;
/// - black plate: E + f (1 - alpha) E + f J + (1 - f) s + s = 2 b_b.
///
/// Returns (T_a, T_b).
fn facing_network(f: f64, p: f64) -> (f64, f64) {
    let (alpha, eps, e_star, sink) = (0.35, 0.6, 0.02, 3.0_f64);
    let e = SOLAR * std::f64::consts::FRAC_1_SQRT_2;
    let s = SIGMA * sink.powi(4);
    let b_b = (e + f * (1.0 - alpha) * e + f * (alpha * e + p) + (1.0 - f) * s * (1.0 + f) + s)
        / (2.0 - f * f);
    let b_o = (alpha * e + p) / eps + f * b_b + (1.0 - f) * s;
    let b_a = b_o + p / e_star;
    ((b_a / SIGMA).powf(0.25), (b_b / SIGMA).powf(0.25))
}

/// C3, parallel directly opposed squares of side 1 at distance 1 (REFERENCE_CASES.md).
fn c3_unit_squares() -> f64 {
    use std::f64::consts::PI;
    let x: f64 = 1.0;
    let x2 = x * x;
    2.0 / (PI * x * x)
        * (((1.0 + x2) * (1.0 + x2) / (1.0 + 2.0 * x2)).sqrt().ln()
            + 2.0 * x * (1.0 + x2).sqrt() * (x / (1.0 + x2).sqrt()).atan()
            - 2.0 * x * x.atan())
}

/// A blanket facing another plate exchanges through its outer layer: the solve against
/// `facing_network`. With one cell per plate the discrete exchange is exactly that two-surface
/// network at the traced view factor, so the only error is the Monte Carlo one of f: the
/// tolerance is the change of the hand temperatures over f +- 3 binomial standard errors at
/// `FACING_RAYS` rays (REFERENCE_CASES.md's rule).
#[test]
fn a_blanket_facing_a_plate_matches_a_two_surface_network() {
    let p = 200.0;
    let f = c3_unit_squares();
    let se = (f * (1.0 - f) / f64::from(FACING_RAYS)).sqrt();
    let (t_a, t_b) = facing_network(f, p);
    let (lo, hi) = (
        facing_network(f - 3.0 * se, p),
        facing_network(f + 3.0 * se, p),
    );
    let (tol_a, tol_b) = ((hi.0 - lo.0).abs(), (hi.1 - lo.1).abs());
    let v = solve_expect(&facing_text(p), 0);
    let (a, b) = (panel(&v, "blanketed"), panel(&v, "black"));
    let (m_a, m_b) = (num(a, "t_mean_k"), num(b, "t_mean_k"));
    eprintln!(
        "facing plates: blanketed {m_a:.3} K (hand {t_a:.3} +- {tol_a:.3}), black {m_b:.3} K \
         (hand {t_b:.3} +- {tol_b:.3}), leak {} W",
        num(a, "mli_leak_w")
    );
    assert_abs(m_a, t_a, tol_a, "blanketed plate");
    assert_abs(m_b, t_b, tol_b, "black plate");
    // At the traced view factor the network is the discrete model itself, to the solve's
    // tolerance. The exchange makes the two directions reciprocal; for equal areas that is
    // their mean.
    let s = Scenario::new("facing.toml", &facing_text(p));
    let factors = run([
        "viewfactors",
        s.path_str(),
        "--backend",
        "cpu",
        "--json",
        "-",
        "--quiet",
    ]);
    let factors = factors.expect_code(0).json();
    let pairs = factors["pairs"].as_array().expect("pairs");
    assert_eq!(pairs.len(), 2, "{factors:#}");
    let traced = pairs.iter().map(|x| num(x, "f")).sum::<f64>() / 2.0;
    let (u_a, u_b) = facing_network(traced, p);
    eprintln!("at the traced f = {traced:.6}: blanketed {u_a:.4} K, black {u_b:.4} K");
    assert_abs(m_a, u_a, 0.005, "blanketed plate at the traced view factor");
    assert_abs(m_b, u_b, 0.005, "black plate at the traced view factor");
    // Steady, so all the dissipation crosses the blanket.
    assert_rel(num(a, "mli_leak_w"), p, 1e-6, "MLI leak");
    assert_eq!(num(b, "mli_leak_w"), 0.0);
    // The black plate reflects no sunlight: the outer layer absorbs alpha E, and what leaves
    // it is that plus the leak.
    let alpha_e = 0.35 * SOLAR * std::f64::consts::FRAC_1_SQRT_2;
    assert_rel(num(a, "absorbed_w"), alpha_e, 1e-9, "outer layer absorbs");
    assert_rel(
        num(a, "emitted_w"),
        alpha_e + p,
        1e-6,
        "leaves the outer layer",
    );
    assert_energy_closes(&v);
    // The blanket keeps the plate far hotter than the network with the blanket's outer layer
    // as a bare coating would (a sanity check that the blanket is in the exchange at all).
    let bare = solve_expect(
        &facing_text(p).replace("effective_emittance = 0.02\n", ""),
        0,
    );
    assert!(num(panel(&bare, "blanketed"), "t_mean_k") < m_a - 100.0);
}

#[test]
fn a_blanket_with_radiation_agrees_on_both_backends() {
    if adapter_or_skip("GPU blanket test with [radiation]").is_none() {
        return;
    }
    let text = facing_text(200.0).replace(
        &format!("rays_per_side = {FACING_RAYS}"),
        "rays_per_side = 4096",
    );
    let s = Scenario::new("mli-radiation.toml", &text);
    let cpu = s.solve(&["--backend", "cpu", "--json", "-", "--quiet"]);
    let gpu = s.solve(&["--backend", "gpu", "--json", "-", "--quiet"]);
    let (c, g) = (cpu.expect_code(0).json(), gpu.expect_code(0).json());
    assert_eq!(g["backend"]["kind"], "gpu");
    for name in ["blanketed", "black"] {
        let (tg, tc) = (
            num(panel(&g, name), "t_mean_k"),
            num(panel(&c, name), "t_mean_k"),
        );
        eprintln!("{name}: GPU {tg:.4} K, CPU {tc:.4} K");
        assert_abs(tg, tc, 0.05, "GPU against CPU");
    }
    assert_energy_closes(&g);
}
