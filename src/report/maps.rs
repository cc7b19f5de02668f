//! `solve --png`: a temperature map of each panel, a colour bar, a scale bar per panel and the
//! payload footprints outlined.
//!
//! Panels are stacked top to bottom, u to the right and v upwards, each at its own scale. The PNG
//! carries text chunks describing the layout, so readers (and the tests) can map pixels back to
//! panel coordinates: `skysink:panel:<name>` = "x y width height length_u_m length_v_m" and
//! `skysink:colorbar` = "x y width height t_min_k t_max_k" (the top of the bar is t_max_k).

use super::canvas::{self, BLACK, Canvas, GREY, WHITE};
use crate::error::Result;
use crate::model::{Model, ZERO_CELSIUS_K};
use crate::scenario::Scenario;

const MARGIN: i64 = 16;
const BOX_W: f64 = 560.0;
const BOX_H: f64 = 320.0;
const BAR_W: i64 = 24;

/// Pixel size of a panel of lengths `l` fitted into the box, keeping the aspect ratio.
fn fit(l: [f64; 2]) -> (i64, i64) {
    let s = (BOX_W / l[0]).min(BOX_H / l[1]);
    (
        ((l[0] * s).round() as i64).max(8),
        ((l[1] * s).round() as i64).max(8),
    )
}

pub fn panel_maps_png(scenario: &Scenario, model: &Model, t: &[f64]) -> Result<Vec<u8>> {
    let cells = &t[..model.n_cells.min(t.len())];
    let t_min = cells.iter().copied().fold(f64::INFINITY, f64::min);
    let t_max = cells.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let span = (t_max - t_min).max(1e-9);
    let sizes: Vec<(i64, i64)> = model.panels.iter().map(|p| fit(p.length)).collect();
    let label_h = 7 * 2 + 6;
    let scale_h = 22;
    let content_w = sizes.iter().map(|s| s.0).max().unwrap_or(100);
    let content_h: i64 = sizes.iter().map(|s| s.1 + label_h + scale_h).sum();
    let bar_x = MARGIN + content_w + 40;
    let width = bar_x + BAR_W + 90;
    let height = (content_h + 2 * MARGIN + 20).max(260);
    let mut c = Canvas::new(width as usize, height as usize, WHITE);

    let mut y = MARGIN;
    for (panel, &(w, h)) in model.panels.iter().zip(&sizes) {
        c.text(MARGIN, y, &panel.name, BLACK, 2);
        y += label_h;
        let x0 = MARGIN;
        let (su, sv) = (w as f64 / panel.length[0], h as f64 / panel.length[1]);
        for py in 0..h {
            let yv = panel.length[1] - (py as f64 + 0.5) / sv;
            let j =
                ((yv / panel.length[1] * panel.cells[1] as f64) as usize).min(panel.cells[1] - 1);
            for px in 0..w {
                let xu = (px as f64 + 0.5) / su;
                let i = ((xu / panel.length[0] * panel.cells[0] as f64) as usize)
                    .min(panel.cells[0] - 1);
                let tc = t[panel.cell_index(i, j)];
                c.set(x0 + px, y + py, canvas::colour((tc - t_min) / span));
            }
        }
        c.outline(x0 - 1, y - 1, w + 2, h + 2, GREY);
        c.note(
            &format!("skysink:panel:{}", panel.name),
            format!("{x0} {y} {w} {h} {} {}", panel.length[0], panel.length[1]),
        );
        for p in scenario.payloads.iter().filter(|p| p.panel == panel.name) {
            let left = x0 as f64 + (p.center_m[0] - 0.5 * p.size_m[0]) * su;
            let right = x0 as f64 + (p.center_m[0] + 0.5 * p.size_m[0]) * su;
            let top = y as f64 + (panel.length[1] - p.center_m[1] - 0.5 * p.size_m[1]) * sv;
            let bottom = y as f64 + (panel.length[1] - p.center_m[1] + 0.5 * p.size_m[1]) * sv;
            let (l, tp) = (left.floor() as i64, top.floor() as i64);
            let (wpx, hpx) = (
                (right.ceil() as i64 - l).max(3),
                (bottom.ceil() as i64 - tp).max(3),
            );
            c.outline(l, tp, wpx, hpx, WHITE);
            c.outline(l - 1, tp - 1, wpx + 2, hpx + 2, BLACK);
            c.text(l + 1, (tp - 9).max(y), &p.name, WHITE, 1);
        }
        // Scale bar: a round length near a quarter of the panel's width.
        let step = canvas::nice_step(panel.length[0] / 4.0);
        let bar_px = (step * su).round() as i64;
        let sy = y + h + 8;
        c.fill(x0, sy, bar_px.max(1), 3, BLACK);
        c.fill(x0, sy - 3, 1, 9, BLACK);
        c.fill(x0 + bar_px - 1, sy - 3, 1, 9, BLACK);
        c.text(
            x0 + bar_px + 6,
            sy - 2,
            &format!("{} m", canvas::label(step, step)),
            BLACK,
            1,
        );
        y += h + scale_h;
    }

    // Colour bar, in C, top = hottest.
    let bar_y = MARGIN + 30;
    let bar_h = (height - bar_y - MARGIN - 10).clamp(60, 400);
    for k in 0..bar_h {
        let f = 1.0 - k as f64 / (bar_h - 1) as f64;
        c.fill(bar_x, bar_y + k, BAR_W, 1, canvas::colour(f));
    }
    c.outline(bar_x - 1, bar_y - 1, BAR_W + 2, bar_h + 2, BLACK);
    c.text(bar_x - 4, MARGIN, "T (C)", BLACK, 2);
    let (c_min, c_max) = (t_min - ZERO_CELSIUS_K, t_max - ZERO_CELSIUS_K);
    let step = canvas::nice_step((c_max - c_min).max(1e-6) / 5.0);
    let mut tick = (c_min / step).ceil() * step;
    while tick <= c_max + 1e-9 * step.abs() {
        let f = (tick - c_min) / (c_max - c_min).max(1e-9);
        let ty = bar_y + bar_h - 1 - (f * (bar_h - 1) as f64).round() as i64;
        c.fill(bar_x + BAR_W, ty, 5, 1, BLACK);
        c.text(
            bar_x + BAR_W + 8,
            ty - 3,
            &canvas::label(tick, step),
            BLACK,
            1,
        );
        tick += step;
    }
    c.text(
        bar_x - 4,
        bar_y + bar_h + 6,
        &format!(
            "{} - {}",
            canvas::label(c_min, 0.1),
            canvas::label(c_max, 0.1)
        ),
        BLACK,
        1,
    );
    c.note(
        "skysink:colorbar",
        format!("{bar_x} {bar_y} {BAR_W} {bar_h} {t_min} {t_max}"),
    );
    c.encode_png()
}
