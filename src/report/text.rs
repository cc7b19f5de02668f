//! The human report: a short table per section (SCENARIO.md section 10).

use std::fmt::Write;

use super::{MassReport, PipeStatus, Report, Verdict};

fn number(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return "-".to_string();
    }
    let text = format!("{x:.decimals$}");
    // "-0.00" reads as a sign error; a value that rounds to zero is zero.
    if text.starts_with('-') && text[1..].chars().all(|c| c == '0' || c == '.') {
        text[1..].to_string()
    } else {
        text
    }
}

fn verdict_word(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "PASS",
        Verdict::Fail => "FAIL",
        Verdict::NotConverged => "NOT CONVERGED",
    }
}

pub fn human_report(r: &Report) -> String {
    let mut out = String::new();
    let verdict = verdict_word(r.verdict);
    let _ = writeln!(out, "{}\nverdict: {verdict}", r.scenario);
    // Likely mistakes come first, before anyone reads numbers built on them.
    for w in &r.warnings {
        let _ = writeln!(out, "warning: {w}");
    }
    case_table(r, &mut out);
    if r.required_margin_k > 0.0 {
        let _ = writeln!(
            out,
            "(every payload needs {} K of margin to its limits)",
            r.required_margin_k
        );
    }
    payload_table(r, &mut out);
    transient_tables(r, &mut out);
    panel_table(r, &mut out);
    heat_pipe_table(r, &mut out);
    link_and_fixed_tables(r, &mut out);
    balance_and_solver(r, &mut out);
    sources(r, &mut out);
    out
}

/// Every load case's verdict and per-payload junction and margin, marking the governing one.
fn case_table(r: &Report, out: &mut String) {
    let (Some(case), Some(cases)) = (&r.case, &r.cases) else {
        return;
    };
    let _ = writeln!(
        out,
        "\nload cases (the report below is the governing case, \"{case}\")"
    );
    let mut header = format!("  {:<16} {:<14}", "case", "verdict");
    if let Some(first) = cases.first() {
        for p in &first.payloads {
            let _ = write!(header, " {:>22}", format!("{} junction C/margin K", p.name));
        }
    }
    let _ = writeln!(out, "{header}");
    for c in cases {
        let verdict = verdict_word(c.verdict);
        let mut line = format!("  {:<16} {:<14}", c.name, verdict);
        for p in &c.payloads {
            let _ = write!(
                line,
                " {:>22}",
                format!("{} / {}", number(p.junction_c, 2), number(p.margin_k, 2))
            );
        }
        let marker = if &c.name == case { "  <- governs" } else { "" };
        let _ = writeln!(out, "{}{marker}", line.trim_end());
    }
    let _ = writeln!(out, "\ngoverning case: {case}");
}

fn payload_table(r: &Report, out: &mut String) {
    if r.payloads.is_empty() {
        return;
    }
    let _ = writeln!(out, "\npayloads");
    let _ = writeln!(
        out,
        "  {:<16} {:<10} {:>5} {:>9} {:>11} {:>9} {:>9} {:>9}  status",
        "name", "model", "count", "power W", "junction C", "limit C", "min C", "margin K"
    );
    for p in &r.payloads {
        let status = match (p.within_limit, &p.violation) {
            (Some(true), _) => "PASS".to_string(),
            (Some(false), Some(v)) => format!("FAIL: {v}"),
            (Some(false), None) => "FAIL".to_string(),
            (None, _) => "-".to_string(),
        };
        let _ = writeln!(
            out,
            "  {:<16} {:<10} {:>5} {:>9} {:>11} {:>9} {:>9} {:>9}  {status}",
            p.name,
            p.model,
            p.count,
            number(p.total_power_w, 1),
            number(p.junction_c, 2),
            number(p.limit_c, 1),
            p.min_limit_c.map_or("-".to_string(), |m| number(m, 1)),
            number(p.margin_k, 2),
        );
    }
}

fn panel_table(r: &Report, out: &mut String) {
    let _ = writeln!(out, "\npanels");
    let _ = writeln!(
        out,
        "  {:<16} {:>9} {:>8} {:>8} {:>8} {:>8} {:>11} {:>10}",
        "name", "cells", "area m2", "min K", "mean K", "max K", "absorbed W", "emitted W"
    );
    for p in &r.panels {
        let _ = writeln!(
            out,
            "  {:<16} {:>9} {:>8} {:>8} {:>8} {:>8} {:>11} {:>10}",
            p.name,
            p.cells,
            number(p.area_m2, 3),
            number(p.t_min_k, 2),
            number(p.t_mean_k, 2),
            number(p.t_max_k, 2),
            number(p.absorbed_w, 1),
            number(p.emitted_w, 1),
        );
    }
    let blanketed: Vec<_> = r.panels.iter().filter(|p| p.mli_leak_w != 0.0).collect();
    if !blanketed.is_empty() {
        let _ = writeln!(out, "  MLI leak (panel to blanket outer layers):");
        for p in blanketed {
            let _ = writeln!(out, "    {:<16} {:>10} W", p.name, number(p.mli_leak_w, 2));
        }
    }
}

fn heat_pipe_table(r: &Report, out: &mut String) {
    if r.heat_pipes.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nheat pipes");
    let _ = writeln!(
        out,
        "  {:<16} {:>9} {:>8} {:>12} {:>12} {:>12}  status",
        "name", "vapour K", "load W", "transport Wm", "capacity Wm", "capacity W"
    );
    for h in &r.heat_pipes {
        let word = match h.status {
            Some(PipeStatus::Ok) => "OK",
            Some(PipeStatus::Over) => "OVER",
            Some(PipeStatus::Hot) => "HOT",
            Some(PipeStatus::Cold) => "COLD",
            Some(PipeStatus::Frozen) => "FROZEN",
            Some(PipeStatus::Failed) => "FAILED",
            None => "-",
        };
        let status = match &h.violation {
            Some(v) if h.status.is_some_and(|s| s != PipeStatus::Ok) => format!("{word}: {v}"),
            _ => word.to_string(),
        };
        let _ = writeln!(
            out,
            "  {:<16} {:>9} {:>8} {:>12} {:>12} {:>12}  {status}",
            h.name,
            number(h.vapour_k, 2),
            number(h.load_w, 1),
            number(h.transport_w_m, 2),
            number(h.capacity_w_m, 1),
            number(h.capacity_w, 1),
        );
    }
}

fn link_and_fixed_tables(r: &Report, out: &mut String) {
    if !r.links.is_empty() {
        let _ = writeln!(out, "\nlinks (heat from end a to end b)");
        for l in &r.links {
            let _ = writeln!(out, "  {:<16} {:>10} W", l.name, number(l.heat_w, 2));
        }
    }
    if !r.fixed.is_empty() {
        let _ = writeln!(
            out,
            "\nfixed regions (heat supplied to hold them; negative = removed)"
        );
        for f in &r.fixed {
            let _ = writeln!(out, "  {:<16} {:>10} W", f.name, number(f.heat_in_w, 2));
        }
    }
}

/// The heat balance line and the solver's lines.
/// One line: the mass, its parts, W/kg and W/m^2, and what has no mass.
pub fn mass_line(m: &MassReport) -> String {
    let per = |x: Option<f64>, unit: &str| {
        x.map_or(format!("- {unit}"), |x| format!("{} {unit}", number(x, 1)))
    };
    let mut line = format!(
        "mass: {} kg (panels {} kg, heat pipes {} kg); {}, {} radiating",
        number(m.total_kg, 2),
        number(m.panels_kg, 2),
        number(m.heat_pipes_kg, 2),
        per(m.specific_power_w_kg, "W/kg"),
        per(m.power_per_area_w_m2, "W/m2"),
    );
    if !m.missing.is_empty() {
        // The names only; the JSON's `missing` says what each lacks.
        let names: Vec<&str> = m
            .missing
            .iter()
            .map(|item| item.split(" (").next().unwrap_or(item))
            .collect();
        let _ = write!(line, "; without a mass (not counted): {}", names.join(", "));
    }
    line
}

fn balance_and_solver(r: &Report, out: &mut String) {
    let e = &r.energy;
    let _ = writeln!(
        out,
        "\nheat balance: dissipated {} W + absorbed {} W + fixed {} W - emitted {} W = imbalance {:.3e} W",
        number(e.dissipated_w, 2),
        number(e.absorbed_w, 2),
        number(e.fixed_in_w, 2),
        number(e.emitted_w, 2),
        e.imbalance_w
    );
    let _ = writeln!(out, "{}", mass_line(&r.mass));
    let s = &r.solver;
    let adapter = r
        .backend
        .adapter
        .as_deref()
        .map(|a| format!(" \"{a}\""))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "solver: {}{adapter} {}, {} Newton iterations, {} linear iterations, last update {:.2e} K (tolerance {:.1e} K), {:.3} s",
        r.backend.kind,
        r.backend.precision,
        s.iterations,
        s.linear_iterations,
        s.max_change_k,
        s.tolerance_k,
        s.wall_s
    );
    if let Some(message) = &s.message {
        let _ = writeln!(out, "solver: {message}");
    }
}

/// Where each payload's power and limit and each material's and coating's properties come from.
fn sources(r: &Report, out: &mut String) {
    let mut sources = Vec::new();
    for p in &r.payloads {
        if let Some(source) = &p.power_source {
            sources.push(format!("{} power: {source}", p.name));
        }
        if let Some(source) = &p.limit_source {
            sources.push(format!("{} limit: {source}", p.name));
        }
    }
    for m in &r.materials {
        let source = m.source.as_deref().unwrap_or("not given");
        sources.push(format!(
            "material {} (k {} W/m/K): {source}",
            m.name, m.conductivity_w_mk
        ));
    }
    for c in &r.coatings {
        let source = c.source.as_deref().unwrap_or("not given");
        sources.push(format!(
            "coating {} (absorptivity {}, emissivity {}): {source}",
            c.name, c.absorptivity, c.emissivity
        ));
    }
    if !sources.is_empty() {
        let _ = writeln!(out, "\nsources");
        for line in sources {
            let _ = writeln!(out, "  {line}");
        }
    }
}

/// A transient's extremes per payload and its orbit, after the payload table.
fn transient_tables(r: &Report, out: &mut String) {
    if let Some(o) = &r.orbit {
        let mut line = format!(
            "\norbit: {} km, beta {} deg, period {:.2} min, eclipse {:.1} % ({:.1} min)",
            number(o.altitude_km, 1),
            number(o.beta_deg, 1),
            o.period_s / 60.0,
            100.0 * o.eclipse_fraction,
            o.eclipse_fraction * o.period_s / 60.0
        );
        match (o.time_step_s, o.steps_per_orbit) {
            (Some(step), Some(steps)) => {
                let _ = write!(line, "; {steps} steps of {step:.2} s per orbit");
            }
            _ => line.push_str("; steady state at orbit-averaged loads and powers"),
        }
        let _ = writeln!(out, "{line}");
        if let Some(change) = o.periodic_change_k {
            let _ = writeln!(
                out,
                "periodic change over the last orbit: {change:.3e} K (largest |T(t) - T(t - P)|)"
            );
        }
    }
    if r.payloads.iter().all(|p| p.over_interval.is_none()) {
        return;
    }
    let interval = if r.orbit.is_some() {
        "over the last orbit, times from its noon"
    } else {
        "over the run, times from its start"
    };
    let _ = writeln!(out, "\njunction extremes {interval}");
    let _ = writeln!(
        out,
        "  {:<16} {:>9} {:>10} {:>9} {:>10}",
        "name", "max C", "at s", "min C", "at s"
    );
    for p in &r.payloads {
        if let Some(x) = &p.over_interval {
            let _ = writeln!(
                out,
                "  {:<16} {:>9} {:>10} {:>9} {:>10}",
                p.name,
                number(x.junction_max_c, 2),
                number(x.time_of_max_s, 0),
                number(x.junction_min_c, 2),
                number(x.time_of_min_s, 0),
            );
        }
    }
}
