//! The report of a transient (SCENARIO.md section 4): each solved instant is reported as in a
//! steady solve, and the reported interval (the last orbit, or the whole `duration_s` run,
//! both ends included) is reduced to extremes, time averages and the stored heat.
//!
//! Time averages use the integrator's own quadrature ([`Bdf2Quadrature`]), so the interval's
//! energy balance closes with its stored heat to the Newton tolerance of each step, at any step.

use super::{
    BackendInfo, Energy, HeatPipeReport, JunctionExtremes, MassReport, OrbitReport, PipeStatus,
    Report, Verdict, judge, near_bound_warnings,
};
use crate::scenario::Scenario;
use crate::solve::transient::{StepRecord, TransientOutcome};
use crate::solve::{Backend, Solution};

/// The time series of a whole run, for `--csv` (SCENARIO.md section 8).
#[derive(Clone, Debug, Default)]
pub struct TimeSeries {
    pub header: Vec<String>,
    pub rows: Vec<Vec<f64>>,
}

/// The temperatures of every node at one instant of the reported interval (f32 halves the
/// memory; a frame is for viewing).
#[derive(Clone, Debug)]
pub struct Frame {
    pub time_s: f64,
    pub temperatures_k: Vec<f32>,
    pub absorbed_w: Vec<f32>,
    /// Per cell, what blankets' outer layers absorb (`Model::outer_absorbed_w`).
    pub outer_absorbed_w: Vec<[f32; 2]>,
}

/// One interval's extremes and time integrals.
#[derive(Clone, Debug)]
struct Interval {
    start_s: f64,
    last: Option<(f64, Vec<f64>)>,
    /// `dt X_n` summed over the interval's steps; [`Interval::integrals`] adds the ends.
    step_sums: Vec<f64>,
    /// The quadrature's running values at the interval's first instant (None while that is
    /// the run's first instant: they are taken from the first step) and at its last.
    start_running: Option<Vec<f64>>,
    end_running: Option<Vec<f64>>,
    /// Per payload: (max, time of max, power at max, min, time of min).
    junctions: Vec<(f64, f64, f64, f64, f64)>,
    /// Per panel: (min, max) over the interval.
    panel_extremes: Vec<(f64, f64)>,
    pipes: Vec<HeatPipeReport>,
    stored_start_j: f64,
    stored_end_j: f64,
}

/// A heat pipe over the interval (SCENARIO-2 section 13): the instant with the largest transport
/// / capacity ratio, and the most severe status met at any judged instant with its violation.
fn keep_pipe(kept: &mut HeatPipeReport, now: &HeatPipeReport) {
    let ratio = |p: &HeatPipeReport| p.transport_w_m / p.capacity_w_m;
    let (worst, worst_violation) = if kept.status > now.status {
        (kept.status, kept.violation.clone())
    } else {
        (now.status, now.violation.clone())
    };
    let was_worse = kept.status > now.status;
    if ratio(now) > ratio(kept) {
        *kept = now.clone();
    }
    // Equal statuses keep the violation of the instant reported.
    if was_worse || now.status > kept.status {
        kept.status = worst;
        kept.violation = worst_violation;
    }
}

/// The quantities averaged over the interval, flattened: per panel t_mean, absorbed, emitted, MLI leak;
/// and MLI leak; per link its heat; per fixed region its heat; then dissipated, absorbed, fixed_in, emitted.
fn averaged(report: &Report) -> Vec<f64> {
    let mut v = Vec::new();
    for p in &report.panels {
        v.extend([p.t_mean_k, p.absorbed_w, p.emitted_w, p.mli_leak_w]);
    }
    v.extend(report.links.iter().map(|l| l.heat_w));
    v.extend(report.fixed.iter().map(|f| f.heat_in_w));
    let e = &report.energy;
    v.extend([e.dissipated_w, e.absorbed_w, e.fixed_in_w, e.emitted_w]);
    v
}

impl Interval {
    fn new(time_s: f64, report: &Report, stored_j: f64, quadrature: &Bdf2Quadrature) -> Interval {
        let mut interval = Interval {
            start_s: time_s,
            last: None,
            step_sums: vec![0.0; averaged(report).len()],
            start_running: quadrature.running.clone(),
            end_running: None,
            junctions: report
                .payloads
                .iter()
                .map(|p| (f64::NEG_INFINITY, 0.0, p.power_w, f64::INFINITY, 0.0))
                .collect(),
            panel_extremes: vec![(f64::INFINITY, f64::NEG_INFINITY); report.panels.len()],
            pipes: report.heat_pipes.clone(),
            stored_start_j: stored_j,
            stored_end_j: stored_j,
        };
        interval.add(time_s, report, stored_j, quadrature);
        interval
    }

    /// Adds an instant; `quadrature` has already taken it.
    fn add(&mut self, time_s: f64, report: &Report, stored_j: f64, quadrature: &Bdf2Quadrature) {
        let values = averaged(report);
        if let Some((t0, _)) = &self.last {
            let dt = time_s - t0;
            for (acc, x) in self.step_sums.iter_mut().zip(&values) {
                *acc += dt * x;
            }
            if self.start_running.is_none() {
                self.start_running = quadrature.running.clone();
            }
            self.end_running = quadrature.running.clone();
        }
        self.last = Some((time_s, values));
        let since = time_s - self.start_s;
        for (j, p) in self.junctions.iter_mut().zip(&report.payloads) {
            if p.junction_c > j.0 {
                *j = (p.junction_c, since, p.power_w, j.3, j.4);
            }
            if p.junction_c < j.3 {
                j.3 = p.junction_c;
                j.4 = since;
            }
        }
        for (e, p) in self.panel_extremes.iter_mut().zip(&report.panels) {
            e.0 = e.0.min(p.t_min_k);
            e.1 = e.1.max(p.t_max_k);
        }
        for (kept, now) in self.pipes.iter_mut().zip(&report.heat_pipes) {
            keep_pipe(kept, now);
        }
        self.stored_end_j = stored_j;
    }

    fn duration_s(&self) -> f64 {
        self.last.as_ref().map_or(0.0, |(t, _)| t - self.start_s)
    }

    /// The integrals of the averaged quantities by [`Bdf2Quadrature`]: the `dt X_n` sums plus
    /// the end terms.
    fn integrals(&self) -> Vec<f64> {
        match (&self.start_running, &self.end_running) {
            (Some(start), Some(end)) => self
                .step_sums
                .iter()
                .zip(start.iter().zip(end))
                .map(|(sum, (d0, d1))| sum + 0.5 * (d0 - d1))
                .collect(),
            _ => self.step_sums.clone(),
        }
    }

    /// Puts the interval's extremes and time averages in the per-panel, per-link and
    /// per-fixed-region tables of `report` and in its energy balance, which takes the stored
    /// heat's change over the interval.
    fn average_into(&self, report: &mut Report) {
        let duration = self.duration_s();
        let integrals = self.integrals();
        let average = |k: usize| {
            if duration > 0.0 {
                integrals[k] / duration
            } else {
                self.last.as_ref().map_or(0.0, |(_, v)| v[k])
            }
        };

        let mut k = 0;
        for (p, &(min, max)) in report.panels.iter_mut().zip(&self.panel_extremes) {
            p.t_min_k = min;
            p.t_max_k = max;
            p.t_mean_k = average(k);
            p.absorbed_w = average(k + 1);
            p.emitted_w = average(k + 2);
            p.mli_leak_w = average(k + 3);
            k += 4;
        }
        for link in &mut report.links {
            link.heat_w = average(k);
            k += 1;
        }
        for fixed in &mut report.fixed {
            fixed.heat_in_w = average(k);
            k += 1;
        }
        let stored_w = if duration > 0.0 {
            (self.stored_end_j - self.stored_start_j) / duration
        } else {
            0.0
        };
        let (d, a, f, e) = (average(k), average(k + 1), average(k + 2), average(k + 3));
        report.energy = Energy {
            dissipated_w: d,
            absorbed_w: a,
            fixed_in_w: f,
            emitted_w: e,
            stored_w,
            imbalance_w: d + a + f - e - stored_w,
        };
    }

    /// Judges each payload of `report` by its junction's extremes over the interval, reporting
    /// the power at the hottest instant.
    fn judge_into(&self, report: &mut Report, required_margin_k: f64, converged: bool) {
        for (p, &(max, t_max, power, min, t_min)) in report.payloads.iter_mut().zip(&self.junctions)
        {
            let judged = judge(p.limit_c, p.min_limit_c, max, min, required_margin_k);
            p.power_w = power;
            p.total_power_w = power * p.count as f64;
            p.junction_c = max;
            p.margin_k = judged.margin_k;
            p.within_limit = converged.then_some(judged.violation.is_none());
            p.violation = judged.violation;
            p.over_interval = Some(JunctionExtremes {
                junction_max_c: max,
                junction_min_c: min,
                time_of_max_s: t_max,
                time_of_min_s: t_min,
            });
        }
    }
}

/// The quadrature of the integrator (SCENARIO.md section 4: "time averages with the
/// integrator's own quadrature"), for quantities sampled at the step times t_n of equal steps
/// dt. Let d_n be a step's increment of the integral S of X: backward Euler has d_1 = dt X_1 and
/// BDF2 (3 d_n - d_(n-1)) / 2 = dt X_n for n >= 2. Summed over the steps k0+1..N of an interval
/// this telescopes to
///
///   S_N - S_k0 = dt (X_(k0+1) + ... + X_N) + (D_k0 - D_N) / 2,
///
/// with the running value D_n = 2/3 dt X_n + 1/3 D_(n-1) (= d_n), D_1 = dt X_1 and D_0 taken as
/// D_1. Applied to the flows of the heat balance it gives exactly the stored heat's change that
/// the integrator produced, so the reported balance closes; its weights sum to the interval's
/// length (a constant averages to itself) and, over a periodic orbit, the end terms cancel.
#[derive(Clone, Debug, Default)]
struct Bdf2Quadrature {
    /// D_n of each quantity after the latest step (None before the first step).
    running: Option<Vec<f64>>,
    last_time_s: Option<f64>,
}

impl Bdf2Quadrature {
    /// Takes the quantities `values` at the next instant (the first is the initial state).
    fn take(&mut self, time_s: f64, values: &[f64]) {
        if let Some(t0) = self.last_time_s {
            let dt = time_s - t0;
            self.running = Some(match self.running.take() {
                None => values.iter().map(|x| dt * x).collect(),
                Some(d) => d
                    .iter()
                    .zip(values)
                    .map(|(d, x)| (2.0 * dt * x + d) / 3.0)
                    .collect(),
            });
        }
        self.last_time_s = Some(time_s);
    }
}

/// Collects every solved instant of a run and builds its report and time series.
pub struct TransientRecorder<'a> {
    scenario: &'a Scenario,
    backend: &'a Backend,
    with_orbit: bool,
    series: TimeSeries,
    quadrature: Bdf2Quadrature,
    current: Option<Interval>,
    finished: Option<Interval>,
    last: Option<Report>,
    /// Keep a frame every `stride` steps (None: keep none); frames of the current and of the
    /// last finished orbit.
    frame_stride: Option<usize>,
    frames: Vec<Frame>,
    finished_frames: Vec<Frame>,
}

impl<'a> TransientRecorder<'a> {
    pub fn new(scenario: &'a Scenario, backend: &'a Backend, with_orbit: bool) -> Self {
        TransientRecorder {
            scenario,
            backend,
            with_orbit,
            series: TimeSeries::default(),
            quadrature: Bdf2Quadrature::default(),
            current: None,
            finished: None,
            last: None,
            frame_stride: None,
            frames: Vec::new(),
            finished_frames: Vec::new(),
        }
    }

    /// Keep a temperature frame every `stride` steps of the reported interval (both ends).
    pub fn keep_frames(&mut self, stride: usize) {
        self.frame_stride = Some(stride.max(1));
    }

    fn frame(step: &StepRecord) -> Frame {
        Frame {
            time_s: step.time_s,
            temperatures_k: step.temperatures_k.iter().map(|&t| t as f32).collect(),
            absorbed_w: step.model.absorbed_w.iter().map(|&w| w as f32).collect(),
            outer_absorbed_w: step
                .model
                .outer_absorbed_w
                .iter()
                .map(|s| s.map(|w| w as f32))
                .collect(),
        }
    }

    pub fn record(&mut self, step: &StepRecord) {
        let solution = Solution {
            temperatures_k: step.temperatures_k.to_vec(),
            converged: true,
            iterations: 0,
            linear_iterations: 0,
            max_change_k: 0.0,
            tolerance_k: 0.0,
            failure: None,
            wall_s: 0.0,
        };
        let report = Report::at_instant(
            self.scenario,
            step.model,
            &solution,
            self.backend,
            Some(step.storage_w),
        );
        let stored_j = step.model.stored_heat_j(step.temperatures_k);
        self.add_series_row(step, &report);
        self.quadrature.take(step.time_s, &averaged(&report));
        let quadrature = &self.quadrature;
        match &mut self.current {
            None => self.current = Some(Interval::new(step.time_s, &report, stored_j, quadrature)),
            Some(interval) => interval.add(step.time_s, &report, stored_j, quadrature),
        }
        if let Some(stride) = self.frame_stride
            && (step.step.is_multiple_of(stride) || step.ends_orbit)
        {
            self.frames.push(Self::frame(step));
        }
        if step.ends_orbit {
            self.finished = self.current.take();
            self.current = Some(Interval::new(
                step.time_s,
                &report,
                stored_j,
                &self.quadrature,
            ));
            if self.frame_stride.is_some() {
                self.finished_frames = std::mem::take(&mut self.frames);
                self.frames.push(Self::frame(step));
            }
        }
        self.last = Some(report);
    }

    fn add_series_row(&mut self, step: &StepRecord, report: &Report) {
        if self.series.header.is_empty() {
            let mut header = vec!["time_s".to_string()];
            header.extend(
                report
                    .payloads
                    .iter()
                    .map(|p| format!("{}_junction_c", p.name)),
            );
            for p in &report.panels {
                header.push(format!("{}_t_mean_k", p.name));
                header.push(format!("{}_t_max_k", p.name));
            }
            if self.with_orbit {
                header.push("in_eclipse".to_string());
            }
            self.series.header = header;
        }
        let mut row = vec![step.time_s];
        row.extend(report.payloads.iter().map(|p| p.junction_c));
        for p in &report.panels {
            row.extend([p.t_mean_k, p.t_max_k]);
        }
        if self.with_orbit {
            row.push(if step.model.in_eclipse { 1.0 } else { 0.0 });
        }
        self.series.rows.push(row);
    }

    /// The report of the reported interval: the last whole orbit, or the whole run.
    pub fn finish(
        mut self,
        outcome: &TransientOutcome,
        orbit: Option<OrbitReport>,
        wall_s: f64,
    ) -> Option<(Report, TimeSeries, Vec<Frame>)> {
        let (interval, frames) = self.take_reported(outcome.converged);
        let interval = interval?;
        let mut report = self.last.take()?;
        let required = self.scenario.solve.required_margin_k;
        let converged = outcome.converged;

        interval.average_into(&mut report);
        // W/kg and W/m^2 of the interval's average dissipation.
        let radiating_area_m2: f64 = report.panels.iter().map(|p| p.radiating_area_m2).sum();
        report.mass = MassReport::of(self.scenario, report.energy.dissipated_w, radiating_area_m2);
        interval.judge_into(&mut report, required, converged);
        // The pipes over the interval replace the last instant's, and so do their warnings.
        let instant_warnings = near_bound_warnings(&report.heat_pipes);
        report.warnings.retain(|w| !instant_warnings.contains(w));
        report.heat_pipes = interval.pipes.clone();
        for pipe in &mut report.heat_pipes {
            if !converged {
                pipe.within_capacity = None;
                if pipe.status != Some(PipeStatus::Failed) {
                    pipe.status = None;
                }
            }
        }

        report
            .warnings
            .extend(near_bound_warnings(&report.heat_pipes));
        report.verdict = Verdict::of(converged, &report.payloads, &report.heat_pipes);
        report.solver.converged = converged;
        report.solver.iterations = outcome.iterations;
        report.solver.linear_iterations = outcome.linear_iterations;
        report.solver.max_change_k = outcome.max_change_k;
        report.solver.tolerance_k = outcome.tolerance_k;
        report.solver.wall_s = wall_s;
        report.solver.message = outcome.failure.clone();
        if orbit.is_none() {
            report.solver.time_step_s = Some(outcome.step_s);
        }
        report.orbit = orbit;
        report.backend = BackendInfo::of(self.backend);
        Some((report, self.series, frames))
    }

    /// The reported interval and its frames, taken out of the recorder.
    fn take_reported(&mut self, converged: bool) -> (Option<Interval>, Vec<Frame>) {
        // A run that failed within a step reports the interval that holds the failed iterate;
        // one that ran every step reports its last whole orbit.
        let failed_in_a_step = !converged
            && self
                .current
                .as_ref()
                .is_some_and(|interval| interval.duration_s() > 0.0);
        if self.with_orbit && self.finished.is_some() && !failed_in_a_step {
            (
                self.finished.take(),
                std::mem::take(&mut self.finished_frames),
            )
        } else {
            (self.current.take(), std::mem::take(&mut self.frames))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Bdf2Quadrature;

    /// Flows X_n made from an arbitrary integral S_n by the integrator's formulas (backward
    /// Euler, then BDF2): the quadrature recovers S_N - S_k0 for an interval from the start and
    /// for one that starts later, and averages a constant to itself.
    #[test]
    fn quadrature_integrates_what_the_integrator_stepped() {
        let dt = 7.5;
        let s: Vec<f64> = (0..40)
            .map(|n| {
                let t = n as f64;
                (0.3 * t).sin() * 50.0 + 0.02 * t * t
            })
            .collect();
        let x: Vec<f64> = (1..s.len())
            .map(|n| match n {
                1 => (s[1] - s[0]) / dt,
                _ => (1.5 * (s[n] - s[n - 1]) - 0.5 * (s[n - 1] - s[n - 2])) / dt,
            })
            .collect();
        for k0 in [0, 1, 5, 38] {
            let mut quadrature = Bdf2Quadrature::default();
            let mut start = None;
            let mut sum = 0.0;
            for n in 0..s.len() {
                let value = if n == 0 { 123.0 } else { x[n - 1] };
                quadrature.take(n as f64 * dt, &[value]);
                if n == k0 {
                    start = quadrature.running.clone();
                }
                if n > k0 {
                    sum += dt * value;
                    start = start.or_else(|| quadrature.running.clone());
                }
            }
            let (d0, d1) = (
                start.expect("start")[0],
                quadrature.running.expect("end")[0],
            );
            let integral = sum + 0.5 * (d0 - d1);
            let exact = s[s.len() - 1] - s[k0];
            assert!(
                (integral - exact).abs() <= 1e-9 * exact.abs().max(1.0),
                "k0 {k0}: {integral} against {exact}"
            );
        }
        let mut quadrature = Bdf2Quadrature::default();
        for n in 0..10 {
            quadrature.take(n as f64 * dt, &[4.0]);
        }
        assert!((quadrature.running.expect("running")[0] - 4.0 * dt).abs() < 1e-12);
    }
}
