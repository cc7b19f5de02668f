//! External loads on a panel side without `[radiation]` (SCENARIO.md section 3): sunlight,
//! Earth IR and albedo, each uniform over a flat side.

use super::earth;
use crate::scenario::Environment;
use crate::vec3::{dot, unit};

/// The steady environment reduced to unit vectors and an eclipse flag.
#[derive(Clone, Copy, Debug)]
pub struct Exposure {
    pub solar_flux_w_m2: f64,
    pub albedo: f64,
    pub earth_ir_w_m2: f64,
    /// Towards the Sun, unit; None in eclipse or without a Sun.
    pub sun: Option<[f64; 3]>,
    /// Towards the Earth's centre, unit, and the altitude in km; None without an Earth.
    pub earth: Option<([f64; 3], f64)>,
}

impl Exposure {
    pub fn from_environment(env: &Environment) -> Exposure {
        let earth = match (env.nadir_direction, env.altitude_km) {
            (Some(nadir), Some(altitude)) => Some((unit(nadir), altitude)),
            _ => None,
        };
        let sun = env.sun_direction.map(unit).filter(|&sun| match earth {
            Some((nadir, altitude)) => !earth::sun_behind_earth(sun, nadir, altitude),
            None => true,
        });
        Exposure {
            solar_flux_w_m2: env.solar_flux_w_m2,
            albedo: env.albedo,
            earth_ir_w_m2: env.earth_ir_w_m2,
            sun,
            earth,
        }
    }

    /// In eclipse: no direct sunlight (no Sun given, or the Sun behind the Earth).
    pub fn in_eclipse(&self) -> bool {
        self.sun.is_none()
    }

    /// Absorbed flux (W/m^2) on a side with outward unit normal `n`.
    pub fn absorbed_w_m2(&self, n: [f64; 3], absorptivity: f64, emissivity: f64) -> f64 {
        let mut flux = 0.0;
        if let Some(sun) = self.sun {
            flux += absorptivity * self.solar_flux_w_m2 * dot(n, sun).max(0.0);
        }
        if let Some((nadir, altitude)) = self.earth {
            let f_earth = earth::earth_view_factor_dirs(n, nadir, altitude);
            flux += emissivity * self.earth_ir_w_m2 * f_earth;
            if let Some(sun) = self.sun {
                let zenith_cosine = (-dot(sun, nadir)).max(0.0);
                flux += absorptivity * self.solar_flux_w_m2 * self.albedo * f_earth * zenith_cosine;
            }
        }
        flux
    }
}

/// The Earth seen from the spacecraft: unit nadir (body frame) and altitude.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EarthView {
    pub nadir: [f64; 3],
    pub altitude_km: f64,
}

/// The environment at one instant.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ExternalLoads {
    pub solar_flux_w_m2: f64,
    pub albedo: f64,
    pub earth_ir_w_m2: f64,
    /// Towards the Sun, unit; None in eclipse.
    pub sun: Option<[f64; 3]>,
    pub earth: Option<EarthView>,
}

impl ExternalLoads {
    /// The steady `[environment]`, with the eclipse rule of SCENARIO.md section 3.
    pub fn from_environment(env: &Environment) -> ExternalLoads {
        let earth = match (env.nadir_direction, env.altitude_km) {
            (Some(nadir), Some(altitude_km)) => Some(EarthView {
                nadir: unit(nadir),
                altitude_km,
            }),
            _ => None,
        };
        let sun = env.sun_direction.map(unit).filter(|&s| match earth {
            Some(e) => !earth::sun_behind_earth(s, e.nadir, e.altitude_km),
            None => true,
        });
        ExternalLoads {
            solar_flux_w_m2: env.solar_flux_w_m2,
            albedo: env.albedo,
            earth_ir_w_m2: env.earth_ir_w_m2,
            sun,
            earth,
        }
    }
}
