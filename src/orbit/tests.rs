use super::*;

fn earth_pointing(altitude_km: f64, beta_deg: f64) -> OrbitGeometry {
    OrbitGeometry::from_parts(
        altitude_km,
        beta_deg,
        AttitudeForm::EarthPointing {
            nadir: [0.0, -1.0, 0.0],
            velocity: [1.0, 0.0, 0.0],
        },
    )
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// C7: h = 650 km, beta = 0: eclipse fraction 0.3620, period 97.73 min.
#[test]
fn c7_eclipse_fraction_and_period() {
    let orbit = earth_pointing(650.0, 0.0);
    assert!(
        (orbit.period_s / 60.0 - 97.73).abs() < 0.005,
        "{}",
        orbit.period_s
    );
    assert!((orbit.eclipse_fraction() - 0.3620).abs() < 0.00005);
}

/// The exact fraction agrees with the shadow test sampled finely around the orbit, at several
/// beta angles, including one beyond the eclipse-free limit.
#[test]
fn sampled_shadow_matches_the_exact_fraction() {
    for beta in [0.0, 30.0, 58.0, 66.0, 80.0, -45.0] {
        let orbit = earth_pointing(650.0, beta);
        let samples = 200_000;
        let dark = (0..samples)
            .filter(|&k| {
                orbit
                    .at_angle(2.0 * std::f64::consts::PI * (k as f64 + 0.5) / samples as f64)
                    .in_eclipse
            })
            .count();
        let sampled = dark as f64 / samples as f64;
        assert!(
            (sampled - orbit.eclipse_fraction()).abs() < 2e-5,
            "beta {beta}: sampled {sampled}, exact {}",
            orbit.eclipse_fraction()
        );
    }
    // asin(R_E / a) at 650 km is 65.2 degrees: no eclipse above it.
    assert_eq!(eclipse_fraction(650.0, 66.0), 0.0);
    assert!(eclipse_fraction(650.0, 64.0) > 0.0);
}

/// Earth-pointing: at noon the Sun is opposite the nadir (tilted by beta towards V x N); a
/// quarter orbit later it lies against the velocity.
#[test]
fn earth_pointing_sun_directions() {
    let orbit = earth_pointing(650.0, 30.0);
    let noon = orbit.at_angle(0.0);
    let b = 30f64.to_radians();
    let h = [0.0, 0.0, -1.0]; // V x N with V = +x, N = -y
    assert!((dot(noon.sun, [0.0, -1.0, 0.0]) + b.cos()).abs() < 1e-12);
    assert!((dot(noon.sun, h) - b.sin()).abs() < 1e-12);
    assert!(!noon.in_eclipse);
    let quarter = orbit.at_angle(std::f64::consts::FRAC_PI_2);
    assert!((dot(quarter.sun, [1.0, 0.0, 0.0]) + b.cos()).abs() < 1e-12);
    assert_eq!(quarter.nadir, [0.0, -1.0, 0.0]);
    assert!(orbit.at_angle(std::f64::consts::PI).in_eclipse);
}

/// Sun-pointing: the Sun stays on its axis and the nadir turns once per orbit, opposite the Sun
/// at noon and towards it (less beta) at midnight; the Sun's angle to the nadir's plane is beta.
#[test]
fn sun_pointing_nadir_directions() {
    let orbit = OrbitGeometry::from_parts(
        650.0,
        40.0,
        AttitudeForm::SunPointing {
            sun: [1.0, 0.0, 0.0],
            orbit_normal: [0.0, 0.0, 1.0],
        },
    );
    let b = 40f64.to_radians();
    for k in 0..16 {
        let theta = k as f64 * std::f64::consts::PI / 8.0;
        let at = orbit.at_angle(theta);
        assert_eq!(at.sun, [1.0, 0.0, 0.0]);
        // s.r = cos(beta) cos(theta) and nadir = -r: s.nadir = -cos(beta) cos(theta).
        assert!((dot(at.sun, at.nadir) + b.cos() * theta.cos()).abs() < 1e-12);
        assert!((dot(at.nadir, at.nadir) - 1.0).abs() < 1e-12);
    }
}
