//! `[[heat_pipes]]` and `[[links]]`, the conduction paths between and along panels, and the rule
//! that every group of panels they join has a way to lose heat.

use std::collections::HashSet;

use super::Validator;
use crate::fluids;
use crate::scenario::groups::panel_groups;
use crate::scenario::place::Place;
use crate::scenario::types::{Capacity, HeatPipe, LinkEnd, Scenario};

impl Validator {
    fn segment(&mut self, place: Place, s: &Scenario, panel: &str, from: [f64; 2], to: [f64; 2]) {
        if let Some(lengths) = self.panel_ref(place.key("panel"), s, panel) {
            self.point_inside(place.key("from_m"), panel, lengths, from);
            self.point_inside(place.key("to_m"), panel, lengths, to);
            if from == to {
                self.fail(
                    place.key("to_m"),
                    "the segment has zero length; from_m and to_m must differ",
                );
            }
        }
    }

    pub(super) fn heat_pipes(&mut self, s: &Scenario) {
        let mut seen = HashSet::new();
        for (i, pipe) in s.heat_pipes.iter().enumerate() {
            let p = Place::root().key("heat_pipes").index(i);
            self.name(p.key("name"), "heat pipe", &pipe.name, &mut seen);
            let single = pipe.panel.is_some() || pipe.from_m.is_some() || pipe.to_m.is_some();
            match (&pipe.segments, single) {
                (Some(_), true) => self.fail(
                    p.clone(),
                    "give either panel/from_m/to_m or segments, not both",
                ),
                (Some(segments), false) => {
                    if segments.is_empty() {
                        self.fail(p.key("segments"), "segments is empty; give at least one segment");
                    }
                    for (k, seg) in segments.iter().enumerate() {
                        self.segment(p.key("segments").index(k), s, &seg.panel, seg.from_m, seg.to_m);
                    }
                }
                (None, _) => match (&pipe.panel, pipe.from_m, pipe.to_m) {
                    (Some(panel), Some(from), Some(to)) => self.segment(p.clone(), s, panel, from, to),
                    _ => self.fail(
                        p.clone(),
                        "a heat pipe needs panel, from_m and to_m (or segments = [{ panel, from_m, to_m }, ...])",
                    ),
                },
            }
            self.positive(p.key("width_m"), pipe.width_m);
            self.positive(p.key("film_coefficient_w_m2k"), pipe.film_coefficient_w_m2k);
            self.capacity(&p, pipe);
            if let Some(m) = pipe.mass_kg_m {
                self.non_negative(p.key("mass_kg_m"), m);
            }
        }
    }

    /// The capacity of section 13: a number at `capacity_at_k`, scaled with `fluid`; or a table.
    fn capacity(&mut self, p: &Place, pipe: &HeatPipe) {
        match &pipe.capacity_w_m {
            Capacity::Constant(c) => self.positive(p.key("capacity_w_m"), *c),
            Capacity::Table(table) => {
                self.property_table(p.key("capacity_w_m"), table);
                if pipe.capacity_at_k.is_some() {
                    self.fail(
                        p.key("capacity_at_k"),
                        "capacity_at_k applies to a number capacity_w_m; a table gives the capacity at each temperature itself: remove capacity_at_k",
                    );
                }
            }
        }
        if let Some(at) = pipe.capacity_at_k {
            self.positive(p.key("capacity_at_k"), at);
        }
        if let Some(fluid) = &pipe.fluid
            && fluids::heat_pipe_fluid(fluid).is_none()
        {
            self.fail(
                p.key("fluid"),
                format!(
                    "unknown heat-pipe fluid \"{fluid}\"; allowed: one of [{}]",
                    fluids::HEAT_PIPE_FLUIDS.join(", ")
                ),
            );
        }
    }

    fn link_end(&mut self, place: Place, s: &Scenario, end: &LinkEnd) {
        let Some(lengths) = self.panel_ref(place.key("panel"), s, &end.panel) else {
            return;
        };
        match (end.from_m, end.to_m, end.at_m) {
            (Some(from), Some(to), None) => {
                self.point_inside(place.key("from_m"), &end.panel, lengths, from);
                self.point_inside(place.key("to_m"), &end.panel, lengths, to);
                if from == to {
                    self.fail(
                        place.key("to_m"),
                        "the joint line has zero length; use at_m for a point joint",
                    );
                }
            }
            (None, None, Some(at)) => self.point_inside(place.key("at_m"), &end.panel, lengths, at),
            _ => self.fail(
                place,
                "a link end is either a line { panel, from_m, to_m } or a point { panel, at_m }",
            ),
        }
    }

    pub(super) fn links(&mut self, s: &Scenario) {
        let mut seen = HashSet::new();
        for (i, link) in s.links.iter().enumerate() {
            let p = Place::root().key("links").index(i);
            self.name(p.key("name"), "link", &link.name, &mut seen);
            self.link_end(p.key("a"), s, &link.a);
            self.link_end(p.key("b"), s, &link.b);
            self.positive(p.key("conductance_w_k"), link.conductance_w_k);
        }
    }

    /// Every group of panels joined by conduction needs a way to lose heat.
    pub(super) fn radiating_groups(&mut self, s: &Scenario) {
        for group in panel_groups(s, true) {
            if group.can_lose_heat {
                continue;
            }
            let members: Vec<String> = group
                .panels
                .iter()
                .map(|&k| format!("\"{}\"", s.panels[k].name))
                .collect();
            self.fail(
                Place::root().key("panels").index(group.panels[0]),
                format!(
                    "panels {} (joined by conduction) cannot lose heat: no side radiates (every coating is \"none\" or has emissivity 0) and no temperature is fixed, so there is no steady state; give a side a coating with emissivity > 0 or add a [[fixed_temperatures]] region",
                    members.join(", ")
                ),
            );
        }
    }
}
