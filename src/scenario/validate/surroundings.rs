//! The surroundings the panels see: `[environment]` (Sun, Earth and sink), `[orbit]` with its
//! attitude, and `[radiation]` (the ray tracer's settings).

use super::{PERPENDICULAR_TOLERANCE, Validator};
use crate::scenario::place::Place;
use crate::scenario::types::{AttitudeForm, Environment, Scenario};
use crate::vec3::{cosine, norm};

impl Validator {
    pub(super) fn environment(&mut self, e: &Environment, with_orbit: bool) {
        let p = Place::root().key("environment");
        self.non_negative(p.key("solar_flux_w_m2"), e.solar_flux_w_m2);
        self.fraction(p.key("albedo"), e.albedo);
        self.non_negative(p.key("earth_ir_w_m2"), e.earth_ir_w_m2);
        self.non_negative(p.key("sink_k"), e.sink_k);
        if let Some(sun) = e.sun_direction {
            self.direction(p.key("sun_direction"), sun);
        }
        if let Some(nadir) = e.nadir_direction {
            self.direction(p.key("nadir_direction"), nadir);
            // With [orbit], the orbit's check refuses nadir_direction itself.
            if e.altitude_km.is_none() && !with_orbit {
                self.fail(
                    p.key("nadir_direction"),
                    "nadir_direction needs altitude_km (the altitude above the Earth, km)",
                );
            }
        }
        if let Some(altitude) = e.altitude_km {
            self.positive(p.key("altitude_km"), altitude);
        }
    }

    pub(super) fn radiation(&mut self, s: &Scenario) {
        let Some(r) = &s.radiation else {
            return;
        };
        let p = Place::root().key("radiation");
        if !(1..=i64::from(u32::MAX)).contains(&r.rays_per_side) {
            self.fail(
                p.key("rays_per_side"),
                format!(
                    "{} is not allowed; rays_per_side must be a whole number from 1 to {}",
                    r.rays_per_side,
                    u32::MAX
                ),
            );
        }
        if !(0..=i64::from(u32::MAX)).contains(&r.seed) {
            self.fail(
                p.key("seed"),
                format!(
                    "{} is not allowed; seed must be a whole number from 0 to {}",
                    r.seed,
                    u32::MAX
                ),
            );
        }
    }

    pub(super) fn orbit(&mut self, s: &Scenario) {
        let Some(orbit) = &s.orbit else {
            return;
        };
        let p = Place::root().key("orbit");
        self.positive(p.key("altitude_km"), orbit.altitude_km);
        if orbit.beta_deg.is_finite() && !(-90.0..=90.0).contains(&orbit.beta_deg) {
            self.fail(
                p.key("beta_deg"),
                format!(
                    "{} is out of range; allowed: -90 <= beta_deg <= 90",
                    orbit.beta_deg
                ),
            );
        }
        let e = Place::root().key("environment");
        for (key, given) in [
            ("sun_direction", s.environment.sun_direction.is_some()),
            ("nadir_direction", s.environment.nadir_direction.is_some()),
            ("altitude_km", s.environment.altitude_km.is_some()),
        ] {
            if given {
                self.fail(
                    e.key(key),
                    format!("environment.{key} cannot be given with [orbit]: the orbit sets the Sun and the Earth; remove one of the two"),
                );
            }
        }
        let a = p.key("attitude");
        let (first, second, names) = match orbit.attitude.form() {
            Some(AttitudeForm::EarthPointing { nadir, velocity }) => {
                (nadir, velocity, ["nadir_axis", "velocity_axis"])
            }
            Some(AttitudeForm::SunPointing { sun, orbit_normal }) => {
                (sun, orbit_normal, ["sun_axis", "orbit_normal_axis"])
            }
            None => {
                self.fail(
                    a,
                    "the attitude must be one of two forms: Earth-pointing { nadir_axis, velocity_axis } or Sun-pointing { sun_axis, orbit_normal_axis }, each with exactly its two keys",
                );
                return;
            }
        };
        self.direction(a.key(names[0]), first);
        self.direction(a.key(names[1]), second);
        let (n1, n2) = (norm(first), norm(second));
        let cos = if n1 > 0.0 && n2 > 0.0 {
            cosine(first, second).abs()
        } else {
            0.0
        };
        if cos > PERPENDICULAR_TOLERANCE {
            self.fail(
                a.key(names[1]),
                format!(
                    "{} and {} are not perpendicular (|a.b| = {cos:.3e} |a||b| > 1e-6 |a||b|); the two axes must be at right angles",
                    names[0], names[1],
                ),
            );
        }
    }
}
