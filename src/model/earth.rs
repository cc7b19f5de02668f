//! The Earth as seen from a flat plate in orbit: the exact view factor from a plate element to the
//! Earth sphere, the Earth's angular radius, and the "Sun behind the Earth" eclipse test.
//!
//! Conventions (SCENARIO.md, sections 1 and 3):
//! - The Earth is a sphere of radius [`EARTH_RADIUS_KM`] for every purpose.
//! - `altitude_km` is the height above that sphere; `H = (R_E + h) / R_E` and the Earth's angular
//!   radius is `rho = asin(1 / H)`.
//! - The plate's tilt `lambda` is the angle between its outward normal and the nadir (the direction
//!   towards the Earth's centre); `lambda = 0` faces the Earth, `lambda = pi` faces away.
//!
//! Everything here is pure and panic-free. Every `asin`/`acos`/`sqrt` of the published formula is
//! evaluated in an algebraically equivalent, well-conditioned form (see [`earth_view_factor`]), so
//! rounding never produces NaN and the two branch boundaries are continuous to rounding level.
//! Non-finite inputs are not meaningful: a NaN tilt or altitude gives NaN (the scenario loader
//! refuses them before they get here), an infinite altitude gives 0.

use std::f64::consts::{FRAC_PI_2, PI};

/// Radius of the spherical Earth used for view factors, shadow and orbit radius, in km.
pub const EARTH_RADIUS_KM: f64 = 6378.137;

/// `(x, a)` for an altitude: `x = h / R_E` (so `H = 1 + x`) and `a = sqrt(H^2 - 1)`, computed as
/// `sqrt(x (2 + x))` to stay accurate at low altitude. A negative altitude is treated as 0 (a plate
/// on the surface); NaN stays NaN.
fn altitude_terms(altitude_km: f64) -> (f64, f64) {
    let x = if altitude_km < 0.0 {
        0.0
    } else {
        altitude_km / EARTH_RADIUS_KM
    };
    (x, (x * (2.0 + x)).sqrt())
}

/// Folds any angle onto `[0, pi]` (an angle between two directions): the tilt is symmetric and
/// `2 pi`-periodic.
fn fold_angle(angle: f64) -> f64 {
    let t = angle.abs() % (2.0 * PI);
    if t > PI { 2.0 * PI - t } else { t }
}

/// Angle in `[0, pi]` between two vectors of any length, as `atan2(|a x b|, a . b)` (accurate at
/// every angle, unlike `acos` of the dot product near 0 and pi). `None` when either vector is zero
/// or not finite.
fn angle_between(a: [f64; 3], b: [f64; 3]) -> Option<f64> {
    let finite = a.iter().chain(b.iter()).all(|c| c.is_finite());
    let na = a[0] * a[0] + a[1] * a[1] + a[2] * a[2];
    let nb = b[0] * b[0] + b[1] * b[1] + b[2] * b[2];
    if !finite || na == 0.0 || nb == 0.0 || !na.is_finite() || !nb.is_finite() {
        return None;
    }
    let cross = [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ];
    let sin_part = (cross[0] * cross[0] + cross[1] * cross[1] + cross[2] * cross[2]).sqrt();
    let cos_part = a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
    Some(sin_part.atan2(cos_part))
}

/// Exact view factor from a flat plate element (one side, outward normal n) to the Earth sphere,
/// where `tilt_rad` is the angle between n and the nadir direction (towards Earth's centre) and the
/// plate is at `altitude_km` above the sphere of radius [`EARTH_RADIUS_KM`].
///
/// Formula of SCENARIO.md section 3, with `H = (R_E + h) / R_E`, `rho = asin(1 / H)`:
/// - `cos(lambda) / H^2` for `lambda <= pi/2 - rho` (the whole disc above the plate's horizon);
/// - `0` for `lambda >= pi/2 + rho` (the whole disc behind the plate);
/// - in between, `1/2 - asin(sqrt(H^2-1) / (H sin lambda)) / pi
///   + [cos(lambda) acos(-sqrt(H^2-1) cot lambda) - sqrt(H^2-1) sqrt(1 - H^2 cos^2 lambda)] / (pi H^2)`.
///
/// Numerics. With `a = sqrt(H^2 - 1)` and `q = sqrt(1 - H^2 cos^2 lambda)` (real exactly in the
/// middle branch), the identities `asin(a / (H sin lambda)) = atan2(a, q)` and
/// `acos(-a cot lambda) = atan2(q, -a cos lambda)` (both for `sin lambda > 0`) give the middle
/// branch without any division by `sin lambda` and without `asin`/`acos` of arguments that rounding
/// could push past 1. The branch is chosen by the sign of `1 - H^2 cos^2 lambda` (equivalent to the
/// comparisons with `pi/2 -+ rho`), so `lambda = 0` and `lambda = pi` fall in the outer branches.
///
/// Any finite tilt is accepted: it is folded onto `[0, pi]` (`|tilt|`, modulo `2 pi`); a NaN or
/// infinite tilt, or a NaN altitude, gives NaN. A negative altitude
/// is treated as 0 (a plate on the surface sees the Earth as a half space: `(1 + cos lambda) / 2`).
/// The result lies in `[0, 1/H^2]` and decreases with the tilt.
pub fn earth_view_factor(tilt_rad: f64, altitude_km: f64) -> f64 {
    if tilt_rad.is_nan() || altitude_km.is_nan() {
        return f64::NAN;
    }
    if !tilt_rad.is_finite() {
        return f64::NAN;
    }
    let (x, a) = altitude_terms(altitude_km);
    let h = 1.0 + x;
    let h2 = h * h;
    if !h2.is_finite() {
        // Infinitely far (or beyond f64 range): the Earth subtends nothing.
        return 0.0;
    }
    let lambda = fold_angle(tilt_rad);
    let c = lambda.cos();
    let hc = h * c;
    // 1 - H^2 cos^2(lambda), factored so that it is accurate near both branch boundaries.
    let q2 = (1.0 - hc) * (1.0 + hc);
    if q2 <= 0.0 {
        // Outside the middle band: the whole disc is in front of the plate (cos > 0) or behind it.
        return if c > 0.0 { c / h2 } else { 0.0 };
    }
    let q = q2.sqrt();
    let f = 0.5 - a.atan2(q) / PI + (c * q.atan2(-a * c) - a * q) / (PI * h2);
    // Rounding can leave a result a few ulps outside the physical range; keep it inside.
    f.clamp(0.0, 1.0 / h2)
}

/// Same as [`earth_view_factor`], from the plate's outward normal and the nadir direction (body
/// frame, any non-zero length). The tilt is computed as `atan2(|n x d|, n . d)`, accurate at every
/// angle. A zero or non-finite vector has no direction: the result is then 0 (no Earth seen).
pub fn earth_view_factor_dirs(normal: [f64; 3], nadir: [f64; 3], altitude_km: f64) -> f64 {
    match angle_between(normal, nadir) {
        Some(tilt) => earth_view_factor(tilt, altitude_km),
        None => 0.0,
    }
}

/// Angular radius of the Earth seen from `altitude_km`: `asin(R_E / (R_E + h))`, in radians,
/// evaluated as `atan2(1, sqrt(H^2 - 1))` (accurate at low altitude). A negative altitude is treated
/// as 0 (giving `pi/2`); an infinite one gives 0; NaN gives NaN.
pub fn earth_angular_radius(altitude_km: f64) -> f64 {
    if altitude_km.is_nan() {
        return f64::NAN;
    }
    let (_, a) = altitude_terms(altitude_km);
    if a.is_infinite() {
        return 0.0;
    }
    if a == 0.0 {
        return FRAC_PI_2;
    }
    1.0_f64.atan2(a)
}

/// True when the Sun direction lies within the Earth's angular radius of the nadir (the Sun behind
/// the Earth: eclipse), i.e. when the angle between `sun` and `nadir` is at most
/// [`earth_angular_radius`]`(altitude_km)` (a Sun exactly on the limb counts as eclipsed). Both
/// vectors may have any non-zero length. A zero or non-finite vector, or a NaN altitude, gives
/// `false`.
pub fn sun_behind_earth(sun: [f64; 3], nadir: [f64; 3], altitude_km: f64) -> bool {
    match angle_between(sun, nadir) {
        Some(angle) => angle <= earth_angular_radius(altitude_km),
        None => false,
    }
}

#[cfg(test)]
mod tests {
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
                + (lambda.cos() * (-s * cot).acos()
                    - s * (1.0 - h * h * lambda.cos().powi(2)).sqrt())
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
}
