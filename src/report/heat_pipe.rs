//! A heat pipe at one instant (SCENARIO.md section 3, SCENARIO-2 section 13): its load, transport
//! integral and capacity at its own vapour temperature, and its status: `failed`, `frozen`,
//! `cold`, `hot`, `over` or `ok`, in that order of precedence. Any status but `ok` fails the
//! verdict: temperatures computed as if the pipe worked cannot be trusted.

use serde::Serialize;

use super::HeatPipeReport;
use crate::fluids;
use crate::model::{HeatPipeModel, PipeCapacity, ZERO_CELSIUS_K};

/// What a heat pipe is at a judged instant, in the contract's order of precedence (the first
/// that applies; a larger value is a more severe status).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PipeStatus {
    Ok,
    Over,
    Hot,
    Cold,
    Frozen,
    Failed,
}

/// Load, transport integral, capacity and status of a heat pipe at temperatures `t`; nothing is
/// judged (`within_capacity` and `status` null) when the solve did not converge, except that a
/// failed pipe is always `failed`.
pub fn heat_pipe_report(pipe: &HeatPipeModel, t: &[f64], converged: bool) -> HeatPipeReport {
    let fluid = pipe.fluid.map(|f| f.name.to_string());
    let Some(node) = pipe.node else {
        let capacity_w_m = pipe.capacity_w_m(f64::NAN);
        return HeatPipeReport {
            name: pipe.name.clone(),
            vapour_k: f64::NAN,
            load_w: 0.0,
            transport_w_m: 0.0,
            effective_length_m: f64::NAN,
            capacity_w_m,
            capacity_w: f64::NAN,
            within_capacity: None,
            fluid,
            location: pipe.location.clone(),
            status: Some(PipeStatus::Failed),
            violation: Some(
                "the pipe has failed (failed = true): it carries no heat; the panels it joined are solved without it".to_string(),
            ),
        };
    };
    let vapour_k = t[node];
    let mut flows: Vec<(f64, f64)> = pipe
        .contacts
        .iter()
        .map(|c| (c.position_m, c.conductance * (t[c.cell] - vapour_k)))
        .collect();
    flows.sort_by(|a, b| a.0.total_cmp(&b.0));
    let load_w: f64 = flows.iter().map(|&(_, q)| q.max(0.0)).sum();
    let mut axial = 0.0;
    let mut transport = 0.0;
    for k in 0..flows.len() {
        axial += flows[k].1;
        let next = flows.get(k + 1).map_or(pipe.length_m, |f| f.0);
        transport += axial.abs() * (next - flows[k].0).max(0.0);
    }
    let effective_length_m = transport / load_w;
    let capacity_w_m = pipe.capacity_w_m(vapour_k);
    let capacity_w = capacity_w_m / effective_length_m;
    let over = transport > capacity_w_m;
    let (status, violation) = match range_status(pipe, vapour_k) {
        Some(judged) => judged,
        None if over => (
            PipeStatus::Over,
            Some(over_capacity(
                transport,
                capacity_w_m,
                load_w,
                effective_length_m,
                pipe,
            )),
        ),
        None => (PipeStatus::Ok, None),
    };
    HeatPipeReport {
        name: pipe.name.clone(),
        vapour_k,
        load_w,
        transport_w_m: transport,
        effective_length_m,
        capacity_w_m,
        capacity_w,
        within_capacity: converged.then_some(!over),
        fluid,
        location: pipe.location.clone(),
        status: converged.then_some(status),
        violation: if converged { violation } else { None },
    }
}

/// Within this many K of a bound of its fluid's range a working pipe gets a warning.
const NEAR_BOUND_K: f64 = 5.0;

/// Warnings for pipes that are `ok` but whose vapour lies within [`NEAR_BOUND_K`] of a bound of
/// their fluid's working range (SCENARIO-2 section 19), each starting with the pipe's
/// `file:line: key`.
pub fn near_bound_warnings(pipes: &[HeatPipeReport]) -> Vec<String> {
    pipes
        .iter()
        .filter(|r| r.status == Some(PipeStatus::Ok))
        .filter_map(|r| {
            let fluid = fluids::heat_pipe_fluid(r.fluid.as_deref()?)?;
            let (what, bound, becomes) = [
                ("the bottom", fluid.min_k, "cold"),
                ("the top", fluid.max_k, "hot"),
            ]
            .into_iter()
            .find(|&(_, b, _)| (r.vapour_k - b).abs() <= NEAR_BOUND_K)?;
            Some(format!(
                "{}: vapour {:.2} K is within {NEAR_BOUND_K} K of {what} of {}'s working range ({bound:.2} K): a small change in load or sink makes the pipe {becomes}",
                r.location, r.vapour_k, fluid.name
            ))
        })
        .collect()
}

/// `frozen`, `cold` or `hot` with its violation, when the vapour is outside the fluid's range.
fn range_status(pipe: &HeatPipeModel, vapour_k: f64) -> Option<(PipeStatus, Option<String>)> {
    let fluid = pipe.fluid?;
    const UNTRUSTED: &str = "the pipe cannot be trusted to carry its load";
    let (status, bound, limit, consequence) = if vapour_k < fluid.freeze_k {
        (
            PipeStatus::Frozen,
            "below its triple point",
            fluid.freeze_k,
            "the working fluid is frozen and the pipe carries no heat",
        )
    } else if vapour_k < fluid.min_k {
        (
            PipeStatus::Cold,
            "below its working range",
            fluid.min_k,
            UNTRUSTED,
        )
    } else if vapour_k > fluid.max_k {
        (
            PipeStatus::Hot,
            "above its working range",
            fluid.max_k,
            UNTRUSTED,
        )
    } else {
        return None;
    };
    Some((
        status,
        Some(format!(
            "vapour {vapour_k:.2} K ({:.2} C) is {bound} ({} {limit:.2} K, {:.2} C): {consequence}",
            vapour_k - ZERO_CELSIUS_K,
            fluid.name,
            limit - ZERO_CELSIUS_K,
        )),
    ))
}

/// The violation of a pipe whose transport exceeds its capacity at its vapour temperature.
fn over_capacity(
    transport: f64,
    capacity_w_m: f64,
    load_w: f64,
    effective_length_m: f64,
    pipe: &HeatPipeModel,
) -> String {
    // One decimal, unless that shows two equal numbers: then every digit.
    let (mut shown, mut capacity) = (format!("{transport:.1}"), format!("{capacity_w_m:.1}"));
    if shown == capacity {
        (shown, capacity) = (transport.to_string(), capacity_w_m.to_string());
    }
    let at = match pipe.capacity {
        PipeCapacity::Constant(_) => "",
        _ => " at its vapour temperature",
    };
    format!(
        "transport {shown} W m exceeds the {capacity} W m capacity{at} ({load_w:.1} W carried over an effective {effective_length_m:.3} m): the pipe would dry out"
    )
}
