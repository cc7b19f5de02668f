//! `[[payloads]]` and `[[fixed_temperatures]]`: the heat put into the panels and the
//! temperatures held on them, with their footprints and time schedules.

use std::collections::HashSet;

use super::{INSIDE_TOLERANCE, Validator};
use crate::error::Num;
use crate::scenario::catalog;
use crate::scenario::place::Place;
use crate::scenario::types::Scenario;

impl Validator {
    fn schedule_times(&mut self, place: Place, times: &[f64], values_len: usize, values_key: &str) {
        if times.is_empty() {
            self.fail(
                place.key("time_s"),
                "the schedule is empty; give at least one time",
            );
        } else if times.len() != values_len {
            self.fail(
                place.key(values_key),
                format!(
                    "the schedule has {} times but {values_len} values; the two lists must have the same length",
                    times.len()
                ),
            );
        }
        if times.windows(2).any(|w| w[1] <= w[0]) {
            self.fail(place.key("time_s"), "schedule times must increase strictly");
        }
    }

    pub(super) fn fixed_regions(&mut self, s: &Scenario) {
        let mut seen = HashSet::new();
        for (i, region) in s.fixed_temperatures.iter().enumerate() {
            let p = Place::root().key("fixed_temperatures").index(i);
            self.name(p.key("name"), "fixed region", &region.name, &mut seen);
            self.panel_ref(p.key("panel"), s, &region.panel);
            for axis in 0..2 {
                self.non_negative(p.key("size_m").index(axis), region.size_m[axis]);
            }
            match (region.temperature_k, &region.schedule) {
                (Some(t), None) => self.positive(p.key("temperature_k"), t),
                (None, Some(schedule)) => {
                    let sp = p.key("schedule");
                    self.schedule_times(
                        sp.clone(),
                        &schedule.time_s,
                        schedule.temperature_k.len(),
                        "temperature_k",
                    );
                    for (k, &t) in schedule.temperature_k.iter().enumerate() {
                        self.positive(sp.key("temperature_k").index(k), t);
                    }
                }
                _ => self.fail(p.clone(), "give exactly one of temperature_k and schedule"),
            }
        }
    }

    pub(super) fn payloads(&mut self, s: &Scenario) {
        let mut seen = HashSet::new();
        for (i, payload) in s.payloads.iter().enumerate() {
            let p = Place::root().key("payloads").index(i);
            self.name(p.key("name"), "payload", &payload.name, &mut seen);
            let entry = catalog::lookup(&payload.model);
            if entry.is_none() && payload.model != "custom" {
                self.fail(
                    p.key("model"),
                    format!(
                        "model \"{}\" is not in the catalog; allowed: {}",
                        payload.model,
                        catalog::model_names()
                    ),
                );
            }
            if payload.model == "custom" {
                if payload.power_w.is_none() && payload.schedule.is_none() {
                    self.fail(p.clone(), "a \"custom\" payload needs power_w (W per chip)");
                }
                if payload.limit_c.is_none() {
                    self.fail(p.clone(), "a \"custom\" payload needs limit_c (C)");
                }
            }
            if payload.count < 1 {
                self.fail(
                    p.key("count"),
                    format!("{} is not allowed; count must be >= 1", payload.count),
                );
            }
            if let Some(lengths) = self.panel_ref(p.key("panel"), s, &payload.panel) {
                self.footprint(
                    p.clone(),
                    &payload.panel,
                    lengths,
                    payload.center_m,
                    payload.size_m,
                );
            }
            self.non_negative(
                p.key("junction_to_panel_k_w"),
                payload.junction_to_panel_k_w,
            );
            if let Some(w) = payload.power_w {
                self.non_negative(p.key("power_w"), w);
            }
            if let Some(w) = payload.eclipse_power_w {
                self.non_negative(p.key("eclipse_power_w"), w);
            }
            if let Some(schedule) = &payload.schedule {
                if payload.power_w.is_some() || payload.eclipse_power_w.is_some() {
                    self.fail(
                        p.key("schedule"),
                        "schedule replaces power_w and eclipse_power_w; give one or the other",
                    );
                }
                let sp = p.key("schedule");
                self.schedule_times(
                    sp.clone(),
                    &schedule.time_s,
                    schedule.power_w.len(),
                    "power_w",
                );
                for (k, &w) in schedule.power_w.iter().enumerate() {
                    self.non_negative(sp.key("power_w").index(k), w);
                }
            }
            if let Some(limit) = payload.limit_c {
                self.celsius_above_absolute_zero(p.key("limit_c"), limit);
            }
            if let Some(min) = payload.min_limit_c {
                self.celsius_above_absolute_zero(p.key("min_limit_c"), min);
                let limit = payload.limit_c.or(entry.map(|e| e.limit_c));
                if let Some(limit) = limit
                    && min >= limit
                {
                    self.fail(
                        p.key("min_limit_c"),
                        format!("min_limit_c {min} C must be below limit_c {limit} C"),
                    );
                }
            }
        }
    }

    fn footprint(
        &mut self,
        place: Place,
        panel: &str,
        lengths: [f64; 2],
        center: [f64; 2],
        size: [f64; 2],
    ) {
        for (axis, &extent) in size.iter().enumerate() {
            if extent.is_finite() && extent <= 0.0 {
                self.fail(
                    place.key("size_m").index(axis),
                    format!("{extent} is not allowed; a footprint size must be > 0"),
                );
                return;
            }
        }
        for axis in 0..2 {
            let tol = INSIDE_TOLERANCE * lengths[axis];
            let low = center[axis] - 0.5 * size[axis];
            let high = center[axis] + 0.5 * size[axis];
            if low < -tol || high > lengths[axis] + tol {
                self.fail(
                    place.key("center_m"),
                    format!(
                        "the footprint (centre [{}, {}], size [{}, {}]) extends outside panel \"{panel}\" ({} m x {} m) along {}; it must lie inside the panel",
                        Num(center[0]),
                        Num(center[1]),
                        Num(size[0]),
                        Num(size[1]),
                        Num(lengths[0]),
                        Num(lengths[1]),
                        ["u", "v"][axis]
                    ),
                );
                return;
            }
        }
    }
}
