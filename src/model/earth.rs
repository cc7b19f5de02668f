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
mod tests;
