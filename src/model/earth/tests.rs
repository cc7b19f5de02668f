use super::*;

fn deg(d: f64) -> f64 {
    d.to_radians()
}

/// The published formula evaluated literally (naive asin/acos/cot), used away from the branch
/// boundaries as an independent transcription.
fn literal_formula(lambda: f64, altitude_km: f64) -> f64 {
    let h = (EARTH_RADIUS_KM + altitude_km) / EARTH_RADIUS_KM;
    let rho = (1.0 / h).asin();
    if lambda <= FRAC_PI_2 - rho {
        lambda.cos() / (h * h)
    } else if lambda >= FRAC_PI_2 + rho {
        0.0
    } else {
        let s = (h * h - 1.0).sqrt();
        let cot = lambda.cos() / lambda.sin();
        0.5 - (s / (h * lambda.sin())).asin() / PI
            + (lambda.cos() * (-s * cot).acos() - s * (1.0 - h * h * lambda.cos().powi(2)).sqrt())
                / (PI * h * h)
    }
}

/// View factor by integrating the plate's hemisphere: F = (1/pi) * integral of cos(theta) over
/// the directions that hit the sphere. Directions are parametrised by their angle alpha from the
/// nadir (0..rho, the Earth's disc) and an azimuth phi about the nadir; the plate normal makes
/// the angle lambda with the nadir, so cos(theta) = cos a cos l + sin a sin l cos phi, and only
/// the positive part counts (the plate's front hemisphere). Midpoint rule in both variables.
fn integrate_directions(lambda: f64, altitude_km: f64, n: usize) -> f64 {
    let r = EARTH_RADIUS_KM;
    let rho = (r / (r + altitude_km)).asin();
    let d_alpha = rho / n as f64;
    let d_phi = 2.0 * PI / n as f64;
    let cos_phi: Vec<f64> = (0..n).map(|k| ((k as f64 + 0.5) * d_phi).cos()).collect();
    let (sl, cl) = lambda.sin_cos();
    let mut total = 0.0;
    for m in 0..n {
        let alpha = (m as f64 + 0.5) * d_alpha;
        let (sa, ca) = alpha.sin_cos();
        let mut ring = 0.0;
        for &cp in &cos_phi {
            let cos_theta = ca * cl + sa * sl * cp;
            if cos_theta > 0.0 {
                ring += cos_theta;
            }
        }
        total += ring * sa;
    }
    total * d_alpha * d_phi / PI
}

/// View factor by integrating over the Earth's surface: dF = cos(theta_plate) cos(theta_earth)
/// / (pi r^2) dA over the part of the sphere visible from the plate (above the Earth's horizon
/// and in front of the plate). The plate is at the origin, the Earth's centre at (0, 0, -D), the
/// surface point at polar angle g from the sub-satellite point and azimuth phi.
fn integrate_surface(lambda: f64, altitude_km: f64, n: usize) -> f64 {
    let r = EARTH_RADIUS_KM;
    let d = r + altitude_km;
    let g_max = (r / d).acos(); // the horizon seen from the plate
    let normal = [lambda.sin(), 0.0, -lambda.cos()];
    let dg = g_max / n as f64;
    let d_phi = 2.0 * PI / n as f64;
    let cos_phi: Vec<f64> = (0..n).map(|k| ((k as f64 + 0.5) * d_phi).cos()).collect();
    let mut total = 0.0;
    for m in 0..n {
        let g = (m as f64 + 0.5) * dg;
        let (sg, cg) = g.sin_cos();
        // Point P = C + r (sg cos phi, sg sin phi, cg); |P| does not depend on phi.
        let pz = -d + r * cg;
        let dist2 = r * r + d * d - 2.0 * r * d * cg;
        let dist = dist2.sqrt();
        let cos_earth = (d * cg - r) / dist; // outward normal . (plate - P) / |plate - P|
        if cos_earth <= 0.0 {
            continue;
        }
        let mut ring = 0.0;
        for &cp in &cos_phi {
            let n_dot_p = normal[0] * r * sg * cp + normal[2] * pz;
            if n_dot_p > 0.0 {
                ring += n_dot_p / dist;
            }
        }
        total += ring * cos_earth / (PI * dist2) * r * r * sg;
    }
    total * dg * d_phi
}

#[test]
fn reference_values_c3_at_650_km() {
    // REFERENCE_CASES.md, C3.
    let cases = [
        (0.0, 0.823583),
        (30.0, 0.714032),
        (90.0, 0.240691),
        (110.0, 0.114451),
    ];
    for (tilt_deg, expected) in cases {
        let f = earth_view_factor(deg(tilt_deg), 650.0);
        assert!(
            (f - expected).abs() < 1e-6,
            "tilt {tilt_deg}: {f} vs {expected}"
        );
    }
    // lambda = 0 is exactly 1 / H^2.
    let h = (EARTH_RADIUS_KM + 650.0) / EARTH_RADIUS_KM;
    assert!((earth_view_factor(0.0, 650.0) - 1.0 / (h * h)).abs() < 1e-15);
}

#[test]
fn matches_literal_formula_away_from_boundaries() {
    for &alt in &[300.0, 650.0, 2000.0, 36000.0] {
        let rho = earth_angular_radius(alt);
        for k in 0..=180 {
            let lambda = deg(k as f64);
            // Skip the immediate neighbourhood of the branch boundaries, where the literal
            // formula loses accuracy (that is what the stable form is for).
            if (lambda - (FRAC_PI_2 - rho)).abs() < 1e-3
                || (lambda - (FRAC_PI_2 + rho)).abs() < 1e-3
            {
                continue;
            }
            let f = earth_view_factor(lambda, alt);
            let g = literal_formula(lambda, alt);
            assert!((f - g).abs() < 1e-12, "alt {alt} tilt {k}: {f} vs {g}");
        }
    }
}

#[test]
fn continuous_across_both_branch_boundaries() {
    for &alt in &[1.0, 300.0, 650.0, 2000.0, 36000.0, 1.0e6] {
        let rho = earth_angular_radius(alt);
        for boundary in [FRAC_PI_2 - rho, FRAC_PI_2 + rho] {
            for eps in [1e-6, 1e-9, 1e-12] {
                let left = earth_view_factor(boundary - eps, alt);
                let right = earth_view_factor(boundary + eps, alt);
                let at = earth_view_factor(boundary, alt);
                assert!(left.is_finite() && right.is_finite() && at.is_finite());
                // The function has a continuous slope there, so the jump over 2 eps is at
                // most ~2 eps |F'| (|F'| <= 1); anything beyond that would be a discontinuity.
                let slope_allowance = 2.0 * eps;
                assert!(
                    (left - right).abs() < 1e-9 + slope_allowance,
                    "alt {alt} boundary {boundary} eps {eps}: {left} vs {right}"
                );
                assert!((left - at).abs() < 1e-9 + eps);
            }
            // Limits: left of the lower boundary is cos(lambda)/H^2, right of the upper is 0.
        }
        let h = 1.0 + alt / EARTH_RADIUS_KM;
        let lower = FRAC_PI_2 - rho;
        let inside = earth_view_factor(lower + 1e-9, alt);
        assert!((inside - (lower + 1e-9).cos() / (h * h)).abs() < 1e-9);
        let upper = FRAC_PI_2 + rho;
        assert!(earth_view_factor(upper - 1e-9, alt) < 1e-9);
        assert_eq!(earth_view_factor(upper + 1e-9, alt), 0.0);
    }
}

#[test]
fn monotone_decreasing_in_tilt_and_bounded() {
    for &alt in &[0.0, 300.0, 650.0, 2000.0, 36000.0] {
        let h = 1.0 + alt / EARTH_RADIUS_KM;
        let n = 20_000;
        let mut previous = f64::INFINITY;
        for k in 0..=n {
            let lambda = PI * k as f64 / n as f64;
            let f = earth_view_factor(lambda, alt);
            assert!(f.is_finite());
            assert!((0.0..=1.0 / (h * h)).contains(&f));
            assert!(f <= previous, "alt {alt} k {k}: {f} > {previous}");
            previous = f;
        }
        assert_eq!(earth_view_factor(PI, alt), 0.0);
    }
}

#[test]
fn agrees_with_numerical_integration() {
    for &alt in &[300.0, 650.0, 2000.0, 36000.0] {
        let rho = earth_angular_radius(alt);
        let mut tilts: Vec<f64> = [
            0.0, 10.0, 30.0, 50.0, 70.0, 85.0, 90.0, 95.0, 110.0, 130.0, 160.0,
        ]
        .iter()
        .map(|d| deg(*d))
        .collect();
        // Just inside the partial-visibility band at both ends, and its middle.
        tilts.push(FRAC_PI_2 - rho + 0.02);
        tilts.push(FRAC_PI_2 + rho - 0.02);
        tilts.push(FRAC_PI_2 - 0.5 * rho);
        for lambda in tilts {
            let exact = earth_view_factor(lambda, alt);
            let by_directions = integrate_directions(lambda, alt, 1200);
            let by_surface = integrate_surface(lambda, alt, 1200);
            assert!(
                (exact - by_directions).abs() < 1e-4,
                "alt {alt} tilt {}: {exact} vs directions {by_directions}",
                lambda.to_degrees()
            );
            assert!(
                (exact - by_surface).abs() < 1e-4,
                "alt {alt} tilt {}: {exact} vs surface {by_surface}",
                lambda.to_degrees()
            );
        }
    }
}

#[test]
fn surface_plate_sees_half_space() {
    // h = 0: the Earth fills the half space below the tangent plane, F = (1 + cos lambda) / 2.
    for k in 0..=36 {
        let lambda = deg(5.0 * k as f64);
        let f = earth_view_factor(lambda, 0.0);
        assert!(
            (f - 0.5 * (1.0 + lambda.cos())).abs() < 1e-12,
            "tilt {}",
            5 * k
        );
        // Negative altitude is treated as the surface.
        assert_eq!(earth_view_factor(lambda, -10.0), f);
    }
}

#[test]
fn tilt_is_folded_and_edge_inputs_are_safe() {
    let f = earth_view_factor(deg(40.0), 650.0);
    assert_eq!(earth_view_factor(deg(-40.0), 650.0), f);
    assert!((earth_view_factor(deg(320.0), 650.0) - f).abs() < 1e-14);
    assert!((earth_view_factor(deg(400.0), 650.0) - f).abs() < 1e-14);
    assert!(earth_view_factor(f64::NAN, 650.0).is_nan());
    assert!(earth_view_factor(0.3, f64::NAN).is_nan());
    assert_eq!(earth_view_factor(0.3, f64::INFINITY), 0.0);
    assert_eq!(earth_view_factor(0.3, 1.0e300), 0.0);
    assert!(earth_view_factor(0.0, 1.0e-12) <= 1.0);
}

#[test]
fn from_directions() {
    let nadir = [0.0, -1.0, 0.0];
    // Normal tilted 30 degrees from nadir, non-unit lengths on purpose.
    let t = deg(30.0);
    let normal = [2.0 * t.sin(), -2.0 * t.cos(), 0.0];
    let f = earth_view_factor_dirs(normal, [0.0, -5.0, 0.0], 650.0);
    assert!((f - 0.714032).abs() < 1e-6);
    assert!((earth_view_factor_dirs(nadir, nadir, 650.0) - 0.823583).abs() < 1e-6);
    assert_eq!(earth_view_factor_dirs([0.0, 1.0, 0.0], nadir, 650.0), 0.0);
    assert!((earth_view_factor_dirs([0.0, 0.0, 1.0], nadir, 650.0) - 0.240691).abs() < 1e-6);
    // Nearly anti-parallel and nearly parallel directions are resolved accurately.
    let tiny = 1e-9;
    let f_small = earth_view_factor_dirs([tiny, -1.0, 0.0], nadir, 650.0);
    assert!((f_small - earth_view_factor(tiny, 650.0)).abs() < 1e-15);
    assert_eq!(earth_view_factor_dirs([0.0, 0.0, 0.0], nadir, 650.0), 0.0);
    assert_eq!(
        earth_view_factor_dirs([f64::NAN, 1.0, 0.0], nadir, 650.0),
        0.0
    );
}

#[test]
fn angular_radius() {
    let h = 650.0;
    let expected = (EARTH_RADIUS_KM / (EARTH_RADIUS_KM + h)).asin();
    assert!((earth_angular_radius(h) - expected).abs() < 1e-14);
    // 650 km: rho = 65.164 degrees; geostationary (35786 km): 8.700 degrees.
    assert!((earth_angular_radius(650.0).to_degrees() - 65.164).abs() < 0.001);
    assert!((earth_angular_radius(35786.0).to_degrees() - 8.70).abs() < 0.01);
    assert_eq!(earth_angular_radius(0.0), FRAC_PI_2);
    assert_eq!(earth_angular_radius(-5.0), FRAC_PI_2);
    assert_eq!(earth_angular_radius(f64::INFINITY), 0.0);
    assert!(earth_angular_radius(f64::NAN).is_nan());
    for &alt in &[1e-6, 1.0, 300.0, 2000.0, 36000.0] {
        let x = (EARTH_RADIUS_KM / (EARTH_RADIUS_KM + alt)).asin();
        // asin loses accuracy near 1 (low altitude); the atan2 form does not.
        let tol = if alt < 1.0 { 1e-7 } else { 1e-12 };
        assert!((earth_angular_radius(alt) - x).abs() < tol, "alt {alt}");
    }
}

#[test]
fn eclipse_test() {
    let nadir = [0.0, -1.0, 0.0];
    let rho = earth_angular_radius(650.0);
    let sun_at = |angle: f64| [angle.sin(), -angle.cos(), 0.0];
    assert!(sun_behind_earth(nadir, nadir, 650.0));
    assert!(sun_behind_earth(sun_at(rho - 1e-6), nadir, 650.0));
    assert!(!sun_behind_earth(sun_at(rho + 1e-6), nadir, 650.0));
    assert!(!sun_behind_earth([0.0, 1.0, 0.0], nadir, 650.0));
    assert!(!sun_behind_earth([1.0, 0.0, 0.0], nadir, 650.0));
    // Lengths do not matter.
    assert!(sun_behind_earth([0.1, -3.0, 0.0], [0.0, -0.2, 0.0], 650.0));
    // Degenerate vectors never report an eclipse.
    assert!(!sun_behind_earth([0.0; 3], nadir, 650.0));
    assert!(!sun_behind_earth(nadir, [0.0; 3], 650.0));
    assert!(!sun_behind_earth(nadir, nadir, f64::NAN));
}
