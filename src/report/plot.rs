//! `sweep --png`: the hottest junction against the first parameter, one line per value of the
//! second, with the lowest payload limit drawn dashed; a point that did not converge is an open
//! marker outside the line. Needs a grid of one or two parameters.
//!
//! Text chunk `skysink:plot` = "x y width height x_min x_max y_min y_max" (the plot area in pixels
//! and the axis ranges; y grows upwards).

use super::canvas::{self, BLACK, Canvas, GREY, LIGHT, RED, Rgb, WHITE};
use super::sweep_table::{Row, Status};
use crate::error::{Error, Result};

const PALETTE: [[u8; 3]; 8] = [
    [31, 119, 180],
    [255, 127, 14],
    [44, 160, 44],
    [148, 103, 189],
    [140, 86, 75],
    [227, 119, 194],
    [23, 190, 207],
    [188, 189, 34],
];

fn hottest(row: &Row) -> Option<f64> {
    row.payloads
        .iter()
        .flatten()
        .map(|&(junction, _)| junction)
        .reduce(f64::max)
}

pub fn sweep_plot_png(parameters: &[String], grid: bool, rows: &[Row]) -> Result<Vec<u8>> {
    if !(grid && (1..=2).contains(&parameters.len())) {
        return Err(Error::Input(
            "--png: the plot needs a grid of one or two parameters".into(),
        ));
    }
    let series = series_keys(rows);
    let limit = rows.iter().filter_map(|r| r.limit_c).reduce(f64::min);
    let [x_min, x_max, y_min, y_max] = axis_ranges(rows, limit);

    let (width, height) = (820usize, 520usize);
    let (left, top, right, bottom) = (80i64, 50i64, 200i64, 70i64);
    let area = Area {
        left,
        top,
        pw: width as i64 - left - right,
        ph: height as i64 - top - bottom,
        x_min,
        x_max,
        y_min,
        y_max,
    };
    let mut c = Canvas::new(width, height, WHITE);
    draw_axes(&mut c, &area, &parameters[0]);
    if let Some(limit) = limit {
        draw_limit(&mut c, &area, limit);
    }
    let mut unconverged = false;
    for (k, key) in series.iter().enumerate() {
        let colour = PALETTE[k % PALETTE.len()];
        unconverged |= draw_series(&mut c, &area, rows, *key, colour);
        if parameters.len() == 2 {
            let ly = top + 40 + 16 * k as i64;
            c.fill(left + area.pw + 10, ly, 14, 7, colour);
            c.text(left + area.pw + 30, ly, &format!("{}", key), BLACK, 1);
        }
    }
    if parameters.len() == 2 {
        c.text(left + area.pw + 10, top + 24, &parameters[1], BLACK, 1);
    }
    if unconverged {
        c.text(
            left + area.pw + 10,
            top + area.ph - 10,
            "open: not converged",
            BLACK,
            1,
        );
    }
    let (pw, ph) = (area.pw, area.ph);
    c.note(
        "skysink:plot",
        format!("{left} {top} {pw} {ph} {x_min} {x_max} {y_min} {y_max}"),
    );
    c.encode_png()
}

/// Distinct values of the second parameter, in point order: one line each.
fn series_keys(rows: &[Row]) -> Vec<f64> {
    let mut series: Vec<f64> = Vec::new();
    for row in rows {
        let key = row.values.get(1).copied().unwrap_or(0.0);
        if !series.contains(&key) {
            series.push(key);
        }
    }
    series
}

/// [x_min, x_max, y_min, y_max]: the points and the limit, the y range padded, a range that is
/// empty or a single value widened.
fn axis_ranges(rows: &[Row], limit: Option<f64>) -> [f64; 4] {
    let xs: Vec<f64> = rows.iter().map(|r| r.values[0]).collect();
    let ys: Vec<f64> = rows.iter().filter_map(hottest).collect();
    let (mut x_min, mut x_max) = (
        xs.iter().copied().fold(f64::INFINITY, f64::min),
        xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    );
    let mut y_min = ys
        .iter()
        .copied()
        .chain(limit)
        .fold(f64::INFINITY, f64::min);
    let mut y_max = ys
        .iter()
        .copied()
        .chain(limit)
        .fold(f64::NEG_INFINITY, f64::max);
    if !(x_min.is_finite() && x_max.is_finite()) {
        (x_min, x_max) = (0.0, 1.0);
    }
    if x_max == x_min {
        (x_min, x_max) = (x_min - 0.5, x_max + 0.5);
    }
    if !(y_min.is_finite() && y_max.is_finite()) {
        (y_min, y_max) = (0.0, 1.0);
    }
    let pad = ((y_max - y_min) * 0.08).max(0.5);
    (y_min, y_max) = (y_min - pad, y_max + pad);
    [x_min, x_max, y_min, y_max]
}

/// The plot area in pixels (left, top, width, height) and the ranges its axes show.
struct Area {
    left: i64,
    top: i64,
    pw: i64,
    ph: i64,
    x_min: f64,
    x_max: f64,
    y_min: f64,
    y_max: f64,
}

impl Area {
    fn px(&self, x: f64) -> f64 {
        self.left as f64 + (x - self.x_min) / (self.x_max - self.x_min) * self.pw as f64
    }

    fn py(&self, y: f64) -> f64 {
        (self.top + self.ph) as f64 - (y - self.y_min) / (self.y_max - self.y_min) * self.ph as f64
    }
}

/// Grid lines, tick labels, the frame and the axis titles.
fn draw_axes(c: &mut Canvas, area: &Area, xlabel: &str) {
    let Area {
        left,
        top,
        pw,
        ph,
        x_min,
        x_max,
        y_min,
        y_max,
    } = *area;
    let xstep = canvas::nice_step((x_max - x_min) / 6.0);
    let mut x = (x_min / xstep).ceil() * xstep;
    while x <= x_max + 1e-9 * xstep {
        let gx = area.px(x).round() as i64;
        c.fill(gx, top, 1, ph, LIGHT);
        let s = canvas::label(x, xstep);
        c.text(
            gx - canvas::text_width(&s, 1) / 2,
            top + ph + 8,
            &s,
            BLACK,
            1,
        );
        x += xstep;
    }
    let ystep = canvas::nice_step((y_max - y_min) / 6.0);
    let mut y = (y_min / ystep).ceil() * ystep;
    while y <= y_max + 1e-9 * ystep {
        let gy = area.py(y).round() as i64;
        c.fill(left, gy, pw, 1, LIGHT);
        let s = canvas::label(y, ystep);
        c.text(left - 8 - canvas::text_width(&s, 1), gy - 3, &s, BLACK, 1);
        y += ystep;
    }
    c.outline(left, top, pw, ph, GREY);
    c.text(
        left + pw / 2 - canvas::text_width(xlabel, 1),
        top + ph + 28,
        xlabel,
        BLACK,
        2,
    );
    c.text(left - 60, top - 36, "hottest junction (C)", BLACK, 2);
}

/// The lowest payload limit, dashed across the plot and labelled at its right.
fn draw_limit(c: &mut Canvas, area: &Area, limit: f64) {
    let gy = area.py(limit);
    let right = area.left + area.pw;
    c.line((area.left as f64, gy), (right as f64, gy), RED, 2, 8);
    c.text(
        right + 8,
        gy.round() as i64 - 3,
        &format!("limit {}", canvas::label(limit, 0.1)),
        RED,
        1,
    );
}

/// The line of the points whose second parameter is `key`; true when one of them did not
/// converge.
fn draw_series(c: &mut Canvas, area: &Area, rows: &[Row], key: f64, colour: Rgb) -> bool {
    let mut unconverged = false;
    let mut previous: Option<(f64, f64)> = None;
    for row in rows
        .iter()
        .filter(|r| r.values.get(1).copied().unwrap_or(0.0) == key)
    {
        match hottest(row) {
            // A last iterate is no answer: an open marker, joined to nothing.
            Some(y) if row.status != Status::Ok => {
                let (x, y) = (
                    area.px(row.values[0]).round() as i64,
                    area.py(y).round() as i64,
                );
                c.outline(x - 4, y - 4, 9, 9, colour);
                unconverged = true;
                previous = None;
            }
            Some(y) => {
                let point = (area.px(row.values[0]), area.py(y));
                if let Some(p) = previous {
                    c.line(p, point, colour, 2, 0);
                }
                c.fill(
                    point.0.round() as i64 - 3,
                    point.1.round() as i64 - 3,
                    7,
                    7,
                    colour,
                );
                previous = Some(point);
            }
            None => previous = None,
        }
    }
    unconverged
}
