//! The sweep CSV (SCENARIO.md section 7) and `sweep-merge`.
//!
//! Numbers use Rust's shortest round-trip form (`{}` of an f64). Fields that may hold commas or
//! quotes (the message) are quoted as RFC 4180 says; a row is always one line.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

use crate::error::{Error, Result};
use crate::report::Verdict;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Ok,
    NotConverged,
    Invalid,
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::NotConverged => "not-converged",
            Status::Invalid => "invalid",
            Status::Failed => "failed",
        }
    }
}

/// One point's result.
#[derive(Clone, Debug)]
pub struct Row {
    pub point: usize,
    pub values: Vec<f64>,
    pub status: Status,
    pub verdict: Option<Verdict>,
    /// Per payload of the scenario: junction (C) and margin (K), when solved.
    pub payloads: Vec<Option<(f64, f64)>>,
    pub t_max_k: Option<f64>,
    /// The radiator's total mass, where every item's is known (SCENARIO-2 section 17).
    pub mass_kg: Option<f64>,
    /// Heater power the power system must supply, W.
    pub heater_w: Option<f64>,
    pub iterations: Option<usize>,
    pub converged: bool,
    pub message: String,
    /// The governing case's name, when the scenario has load cases (not written to the CSV).
    pub case: Option<String>,
    /// The lowest payload limit, C (for plots; not written to the CSV).
    pub limit_c: Option<f64>,
}

/// Header line (without the newline).
pub fn header(parameters: &[String], payloads: &[String]) -> String {
    let mut columns = vec!["sweep_id".to_string(), "point".into(), "points".into()];
    columns.extend(parameters.iter().cloned());
    columns.extend(["status".to_string(), "verdict".into()]);
    for p in payloads {
        columns.push(format!("{p}_junction_c"));
        columns.push(format!("{p}_margin_k"));
    }
    columns.extend(
        [
            "t_max_k",
            "mass_kg",
            "heater_w",
            "iterations",
            "converged",
            "message",
        ]
        .map(String::from),
    );
    columns
        .iter()
        .map(|c| quote(c))
        .collect::<Vec<_>>()
        .join(",")
}

fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

fn num(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        String::new()
    }
}

/// One row line (without the newline).
pub fn row_line(sweep_id: &str, points: usize, row: &Row) -> String {
    let mut line = format!("{sweep_id},{},{points}", row.point);
    for &v in &row.values {
        let _ = write!(line, ",{}", num(v));
    }
    let verdict = match (row.status, row.verdict) {
        (Status::Ok, Some(Verdict::Pass)) => "pass",
        (Status::Ok, Some(Verdict::Fail)) => "fail",
        _ => "",
    };
    let _ = write!(line, ",{},{verdict}", row.status.as_str());
    for p in &row.payloads {
        match p {
            Some((junction, margin)) => {
                let _ = write!(line, ",{},{}", num(*junction), num(*margin));
            }
            None => line.push_str(",,"),
        }
    }
    let message = row.message.replace(['\n', '\r'], " ");
    let _ = write!(
        line,
        ",{},{},{},{},{},{}",
        row.t_max_k.map_or(String::new(), num),
        row.mass_kg.map_or(String::new(), num),
        row.heater_w.map_or(String::new(), num),
        row.iterations.map_or(String::new(), |i| i.to_string()),
        row.converged,
        quote(&message)
    );
    line
}

/// Split one CSV line into fields (RFC 4180 quoting).
pub fn split_line(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', true) => quoted = false,
            ('"', false) if field.is_empty() => quoted = true,
            (',', false) => fields.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    fields.push(field);
    fields
}

/// "0-3, 7, 9-10": a short list of point numbers, for messages.
pub fn ranges(points: &[usize]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < points.len() {
        let mut j = i;
        while j + 1 < points.len() && points[j + 1] == points[j] + 1 {
            j += 1;
        }
        parts.push(if i == j {
            points[i].to_string()
        } else {
            format!("{}-{}", points[i], points[j])
        });
        i = j + 1;
    }
    if parts.len() > 20 {
        let more = parts.len() - 20;
        parts.truncate(20);
        parts.push(format!("... ({more} more ranges)"));
    }
    parts.join(", ")
}

/// Merge shard files into one CSV text: same header, `sweep_id` and `points` in every part, every
/// point from 0 to points - 1 exactly once; otherwise `Error::Input` naming the part or points.
pub fn merge(parts: &[&Path]) -> Result<String> {
    if parts.is_empty() {
        return Err(Error::Input(
            "sweep-merge: give at least one PART.csv".into(),
        ));
    }
    let mut merged = Merged::default();
    for &part in parts {
        merged.add_part(part)?;
    }
    merged.finish()
}

/// What `merge` has read so far: the first header and the part it came from, the first row's
/// `sweep_id` and `points` and their part, each point's line and part, and the parts of each
/// duplicated point.
#[derive(Default)]
struct Merged<'a> {
    header: Option<(String, &'a Path)>,
    identity: Option<(String, usize, &'a Path)>,
    rows: BTreeMap<usize, (String, &'a Path)>,
    duplicates: BTreeMap<usize, Vec<String>>,
}

impl<'a> Merged<'a> {
    fn add_part(&mut self, part: &'a Path) -> Result<()> {
        let name = part.display();
        let text = std::fs::read_to_string(part)
            .map_err(|e| Error::Input(format!("sweep-merge: {name}: cannot be read: {e}")))?;
        let mut lines = text.lines();
        let Some(first) = lines.next() else {
            return Err(Error::Input(format!(
                "sweep-merge: {name}: the part is empty; a part has a header row"
            )));
        };
        let columns = split_line(first);
        if columns.len() < 4
            || columns[0] != "sweep_id"
            || columns[1] != "point"
            || columns[2] != "points"
        {
            return Err(Error::Input(format!(
                "sweep-merge: {name}: the first line is not a sweep header (sweep_id,point,points,...)"
            )));
        }
        match &self.header {
            None => self.header = Some((first.to_string(), part)),
            Some((h, from)) if h != first => {
                return Err(Error::Input(format!(
                    "sweep-merge: {name}: its header differs from that of {}; the parts come from different sweeps",
                    from.display()
                )));
            }
            _ => {}
        }
        for (n, line) in lines.enumerate() {
            if line.is_empty() {
                continue;
            }
            let at = format!("{name}:{}", n + 2);
            self.add_row(part, &at, line, columns.len())?;
        }
        Ok(())
    }

    /// One row of `part`, at `at` ("part:line"), under a header of `n_columns` columns.
    fn add_row(&mut self, part: &'a Path, at: &str, line: &str, n_columns: usize) -> Result<()> {
        let fields = split_line(line);
        if fields.len() != n_columns {
            return Err(Error::Input(format!(
                "sweep-merge: {at}: {} fields where the header has {}",
                fields.len(),
                n_columns
            )));
        }
        let point: usize = fields[1].parse().map_err(|_| {
            Error::Input(format!(
                "sweep-merge: {at}: point \"{}\" is not a whole number",
                fields[1]
            ))
        })?;
        let points: usize = fields[2].parse().map_err(|_| {
            Error::Input(format!(
                "sweep-merge: {at}: points \"{}\" is not a whole number",
                fields[2]
            ))
        })?;
        self.check_identity(part, at, &fields[0], points)?;
        if point >= points {
            return Err(Error::Input(format!(
                "sweep-merge: {at}: point {point} is out of range; points are 0 to {}",
                points.saturating_sub(1)
            )));
        }
        if let Some((_, first_part)) = self.rows.get(&point) {
            self.duplicates
                .entry(point)
                .or_insert_with(|| vec![first_part.display().to_string()])
                .push(part.display().to_string());
        } else {
            self.rows.insert(point, (line.to_string(), part));
        }
        Ok(())
    }

    /// The first row fixes `sweep_id` and `points`; every later row must repeat them.
    fn check_identity(
        &mut self,
        part: &'a Path,
        at: &str,
        sweep_id: &str,
        points: usize,
    ) -> Result<()> {
        match &self.identity {
            None => self.identity = Some((sweep_id.to_string(), points, part)),
            Some((id, total, from)) => {
                if *id != sweep_id {
                    return Err(Error::Input(format!(
                        "sweep-merge: {at}: sweep_id {} differs from {id} in {}; the parts come from different sweeps",
                        sweep_id,
                        from.display()
                    )));
                }
                if *total != points {
                    return Err(Error::Input(format!(
                        "sweep-merge: {at}: points {points} differs from {total} in {}",
                        from.display()
                    )));
                }
            }
        }
        Ok(())
    }

    /// The merged text, once every point from 0 to points - 1 is there exactly once.
    fn finish(self) -> Result<String> {
        let Some((header, _)) = self.header else {
            return Err(Error::Input("sweep-merge: no part".into()));
        };
        let Some((_, points, _)) = self.identity else {
            return Err(Error::Input(
                "sweep-merge: the parts hold no rows; nothing to merge".into(),
            ));
        };
        if !self.duplicates.is_empty() {
            let list: Vec<usize> = self.duplicates.keys().copied().collect();
            let (first, where_) = self
                .duplicates
                .iter()
                .next()
                .map(|(p, w)| (*p, w.join(", ")))
                .unwrap_or_default();
            return Err(Error::Input(format!(
                "sweep-merge: duplicated points {} (point {first} is in {where_}); each point must be in exactly one part",
                ranges(&list)
            )));
        }
        let missing: Vec<usize> = (0..points).filter(|p| !self.rows.contains_key(p)).collect();
        if !missing.is_empty() {
            return Err(Error::Input(format!(
                "sweep-merge: {} of {points} points are missing: {}; a shard did not finish or a part was left out",
                missing.len(),
                ranges(&missing)
            )));
        }
        let mut out = header + "\n";
        for (line, _) in self.rows.values() {
            out.push_str(line);
            out.push('\n');
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_fields_round_trip_and_ranges_compress() {
        let line = format!("a,{},c", quote("x, \"y\""));
        assert_eq!(split_line(&line), vec!["a", "x, \"y\"", "c"]);
        assert_eq!(split_line("a,,b"), vec!["a", "", "b"]);
        assert_eq!(ranges(&[0, 1, 2, 5, 7, 8]), "0-2, 5, 7-8");
    }
}
