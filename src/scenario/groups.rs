//! Groups of panels joined by conduction (links and heat pipes that span panels), and whether
//! each can lose heat: a side that radiates, or a held temperature (SCENARIO.md section 1). A
//! group that cannot has no steady state. With every pipe joining, such a group is bad input
//! (validation); left so only by a `failed` pipe, it is a failure case (SCENARIO-2 section 13).

use std::collections::HashMap;

use super::types::Scenario;

/// One group of panels, by index into `Scenario::panels`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PanelGroup {
    pub panels: Vec<usize>,
    pub can_lose_heat: bool,
}

/// The groups of `s`, the panels of each in file order and the groups in the order of their
/// first panel; with `failed_pipes_join` a failed pipe joins its panels as a working one would.
pub fn panel_groups(s: &Scenario, failed_pipes_join: bool) -> Vec<PanelGroup> {
    let index: HashMap<&str, usize> = s
        .panels
        .iter()
        .enumerate()
        .map(|(i, p)| (p.name.as_str(), i))
        .collect();
    let mut parent: Vec<usize> = (0..s.panels.len()).collect();
    fn find(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut join = |a: &str, b: &str| {
        if let (Some(&a), Some(&b)) = (index.get(a), index.get(b)) {
            let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
            parent[ra] = rb;
        }
    };
    for link in &s.links {
        join(&link.a.panel, &link.b.panel);
    }
    for pipe in s
        .heat_pipes
        .iter()
        .filter(|p| failed_pipes_join || !p.failed)
    {
        for pair in pipe_panels(pipe).windows(2) {
            join(pair[0], pair[1]);
        }
    }
    let radiates = |coating: &str| s.coatings.get(coating).is_some_and(|c| c.emissivity > 0.0);
    let mut groups: Vec<(usize, PanelGroup)> = Vec::new();
    for (i, panel) in s.panels.iter().enumerate() {
        let fixed = s.fixed_temperatures.iter().any(|r| r.panel == panel.name);
        let ok = radiates(&panel.front) || radiates(&panel.back) || fixed;
        let root = find(&mut parent, i);
        match groups.iter_mut().find(|(r, _)| *r == root) {
            Some((_, group)) => {
                group.panels.push(i);
                group.can_lose_heat |= ok;
            }
            None => groups.push((
                root,
                PanelGroup {
                    panels: vec![i],
                    can_lose_heat: ok,
                },
            )),
        }
    }
    groups.into_iter().map(|(_, g)| g).collect()
}

/// The panels a heat pipe lies on, in order along it.
pub fn pipe_panels(pipe: &super::types::HeatPipe) -> Vec<&str> {
    match (&pipe.segments, &pipe.panel) {
        (Some(segments), _) => segments.iter().map(|seg| seg.panel.as_str()).collect(),
        (None, Some(panel)) => vec![panel.as_str()],
        _ => Vec::new(),
    }
}
