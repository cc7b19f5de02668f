//! Circular orbits (SCENARIO.md section 4): period, eclipse by the cylindrical shadow, and the
//! Sun and nadir directions in the body frame at each instant for the two attitude forms.
//!
//! t = 0 is orbit noon and theta = 2 pi t / P. With s the Sun direction and beta = asin(s.h),
//! s.r = cos(beta) cos(theta) and s.v = -cos(beta) sin(theta).

mod instants;
#[cfg(test)]
mod tests;

pub use instants::{ScenarioInstants, external_loads};

use crate::model::earth::EARTH_RADIUS_KM;
// Overflow- and underflow-free (axes of 1e200 or 1e-200 are directions too).
use crate::scenario::{AttitudeForm, Orbit};
use crate::vec3::{cross, unit};

/// Earth's gravitational parameter, km^3/s^2 (SCENARIO.md section 1).
pub const MU_KM3_S2: f64 = 398600.4418;

/// Where the Sun and the Earth are, seen from the body, at one instant of the orbit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OrbitInstant {
    /// Unit vector towards the Sun, body frame (given also in eclipse).
    pub sun: [f64; 3],
    /// Unit vector towards the Earth's centre, body frame.
    pub nadir: [f64; 3],
    /// Inside the Earth's cylindrical shadow.
    pub in_eclipse: bool,
}

#[derive(Clone, Copy, Debug)]
pub struct OrbitGeometry {
    pub altitude_km: f64,
    pub beta_deg: f64,
    /// Orbit radius a = R_E + altitude, km.
    pub radius_km: f64,
    pub period_s: f64,
    attitude: AttitudeForm,
}

fn combine(terms: [(f64, [f64; 3]); 3]) -> [f64; 3] {
    std::array::from_fn(|k| terms.iter().map(|(c, v)| c * v[k]).sum())
}

impl OrbitGeometry {
    /// The geometry of a validated `[orbit]` (axes non-zero and perpendicular).
    pub fn new(orbit: &Orbit) -> Option<OrbitGeometry> {
        let attitude = match orbit.attitude.form()? {
            AttitudeForm::EarthPointing { nadir, velocity } => AttitudeForm::EarthPointing {
                nadir: unit(nadir),
                velocity: unit(velocity),
            },
            AttitudeForm::SunPointing { sun, orbit_normal } => AttitudeForm::SunPointing {
                sun: unit(sun),
                orbit_normal: unit(orbit_normal),
            },
        };
        Some(OrbitGeometry::from_parts(
            orbit.altitude_km,
            orbit.beta_deg,
            attitude,
        ))
    }

    pub fn from_parts(altitude_km: f64, beta_deg: f64, attitude: AttitudeForm) -> OrbitGeometry {
        let radius_km = EARTH_RADIUS_KM + altitude_km;
        OrbitGeometry {
            altitude_km,
            beta_deg,
            radius_km,
            period_s: period_s(altitude_km),
            attitude,
        }
    }

    /// The exact fraction of the orbit in the cylindrical shadow.
    pub fn eclipse_fraction(&self) -> f64 {
        eclipse_fraction(self.altitude_km, self.beta_deg)
    }

    /// Orbit angle theta (rad) at time t from orbit noon.
    pub fn angle(&self, t_s: f64) -> f64 {
        2.0 * std::f64::consts::PI * t_s / self.period_s
    }

    pub fn at_time(&self, t_s: f64) -> OrbitInstant {
        self.at_angle(self.angle(t_s))
    }

    pub fn at_angle(&self, theta: f64) -> OrbitInstant {
        let beta = self.beta_deg.to_radians();
        let (cb, sb) = (beta.cos(), beta.sin());
        let (ct, st) = (theta.cos(), theta.sin());
        let in_eclipse = in_shadow(self.radius_km, cb * ct);
        let (sun, nadir) = match self.attitude {
            AttitudeForm::EarthPointing { nadir, velocity } => {
                let h = cross(velocity, nadir);
                let sun = combine([(-cb * ct, nadir), (-cb * st, velocity), (sb, h)]);
                (sun, nadir)
            }
            AttitudeForm::SunPointing { sun, orbit_normal } => {
                let nadir = combine([
                    (-cb * ct, sun),
                    (sb * ct, orbit_normal),
                    (st, cross(sun, orbit_normal)),
                ]);
                (sun, nadir)
            }
        };
        OrbitInstant {
            sun: unit(sun),
            nadir: unit(nadir),
            in_eclipse,
        }
    }
}

/// P = 2 pi sqrt(a^3 / mu).
pub fn period_s(altitude_km: f64) -> f64 {
    let a = EARTH_RADIUS_KM + altitude_km;
    2.0 * std::f64::consts::PI * (a * a * a / MU_KM3_S2).sqrt()
}

/// The cylindrical shadow: the satellite is behind the Earth (s.r < 0) and within R_E of the
/// Sun line. `sun_dot_r` is cos(beta) cos(theta).
fn in_shadow(radius_km: f64, sun_dot_r: f64) -> bool {
    sun_dot_r < 0.0
        && radius_km * radius_km * (1.0 - sun_dot_r * sun_dot_r) < EARTH_RADIUS_KM * EARTH_RADIUS_KM
}

/// (1/pi) acos( sqrt(h^2 + 2 R_E h) / (a cos beta) ) for |beta| < asin(R_E / a), else 0.
pub fn eclipse_fraction(altitude_km: f64, beta_deg: f64) -> f64 {
    let h = altitude_km;
    let a = EARTH_RADIUS_KM + h;
    let beta = beta_deg.to_radians();
    if beta.abs() >= (EARTH_RADIUS_KM / a).asin() {
        return 0.0;
    }
    let ratio = (h * h + 2.0 * EARTH_RADIUS_KM * h).sqrt() / (a * beta.cos());
    ratio.clamp(-1.0, 1.0).acos() / std::f64::consts::PI
}
