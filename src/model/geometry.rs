//! Plane geometry on a meshed panel: cells, exact overlaps of regions with cells, and the pieces of
//! a segment as it crosses the mesh.
//!
//! Panel coordinates are metres along the panel's u edge (x) and v edge (y). A panel is
//! `[0, Lu] x [0, Lv]` meshed into `nu x nv` equal cells; cell `(i, j)` has `i` along u and `j` along
//! v, and its linear index is `i + nu * j`.
//!
//! Cell edges are `x_k = k Lu / nu` for `k < nu` and exactly `Lu` for `k = nu` (likewise along v),
//! so that neighbouring cells share bit-identical edges and the last edge is the panel edge.
//!
//! **Boundary snapping.** Decimal inputs rarely land exactly on those floating-point edges (with
//! `Lu = 0.3` and `nu = 3`, the edge `x_1` is one ulp below `0.1`). So that a region drawn "on a cell
//! boundary" behaves as drawn, region coordinates within `SNAP_REL * L` (1e-12 of the panel's
//! length along that axis) of a cell edge are moved onto it before clipping, and
//! [`Grid::cell_containing`] treats points that close to an edge as on it. The area change is at
//! most 1e-12 of the panel length times the region's extent: far below any physical meaning.
//!
//! All functions are pure and panic-free. Invalid input (a grid with zero cells or a non-positive
//! or non-finite length, NaN coordinates, a degenerate strip) yields an empty result or `None`, as
//! documented on each function; results are in a deterministic order (increasing `j`, then `i`).

/// Relative distance (to the panel's length along the axis) within which a coordinate is taken to
/// lie on a cell edge.
const SNAP_REL: f64 = 1e-12;

/// Parameter distance below which two segment breakpoints are merged.
const BREAKPOINT_MERGE: f64 = 1e-12;

/// An axis-aligned rectangle in panel coordinates (metres). `min` is the corner with the smaller
/// coordinates; a rectangle with `max < min` along an axis is empty.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub min: [f64; 2],
    pub max: [f64; 2],
}

impl Rect {
    /// The rectangle of the given extent (along u, along v) centred on `center`. A negative size
    /// gives an empty rectangle.
    pub fn from_center_size(center: [f64; 2], size: [f64; 2]) -> Rect {
        Rect {
            min: [center[0] - 0.5 * size[0], center[1] - 0.5 * size[1]],
            max: [center[0] + 0.5 * size[0], center[1] + 0.5 * size[1]],
        }
    }

    /// Area in m^2; zero for an empty (inverted) rectangle or NaN coordinates.
    pub fn area(&self) -> f64 {
        let w = (self.max[0] - self.min[0]).max(0.0);
        let h = (self.max[1] - self.min[1]).max(0.0);
        w * h
    }
}

/// A meshed panel: its size (metres along u and v) and its cell counts (along u and v).
/// Meaningful only with `cells >= 1` and finite positive lengths along both axes (the scenario
/// loader guarantees both); the free functions below return empty results otherwise.
#[derive(Clone, Copy, Debug)]
pub struct Grid {
    pub length: [f64; 2],
    pub cells: [usize; 2],
}

impl Grid {
    /// Size of one cell along u and v (`length / cells`; infinite for zero cells).
    pub fn cell_size(&self) -> [f64; 2] {
        [
            self.length[0] / self.cells[0] as f64,
            self.length[1] / self.cells[1] as f64,
        ]
    }

    /// The rectangle of cell `(i, j)`. Its edges are the grid's shared edges (see the module
    /// documentation), so adjacent cells tile the panel exactly. Indices beyond the mesh give a
    /// rectangle beyond the panel (no panic).
    pub fn cell_rect(&self, i: usize, j: usize) -> Rect {
        Rect {
            min: [self.edge(0, i), self.edge(1, j)],
            max: [
                self.edge(0, i.saturating_add(1)),
                self.edge(1, j.saturating_add(1)),
            ],
        }
    }

    /// Centre of cell `(i, j)`.
    pub fn cell_center(&self, i: usize, j: usize) -> [f64; 2] {
        let r = self.cell_rect(i, j);
        [0.5 * (r.min[0] + r.max[0]), 0.5 * (r.min[1] + r.max[1])]
    }

    /// Cell containing point `p` (panel coordinates). A point on a boundary between cells belongs
    /// to the cell with the smaller index (along u first, then along v); "on" means within 1e-12 of
    /// the panel length of the edge (see the module documentation). Points outside the panel by at
    /// most `tol` (metres, per axis) are clamped onto it; farther out, or with a non-finite
    /// coordinate, or on an invalid grid, the result is `None`. A negative or NaN `tol` counts as 0.
    pub fn cell_containing(&self, p: [f64; 2], tol: f64) -> Option<(usize, usize)> {
        if !self.is_valid() || !p[0].is_finite() || !p[1].is_finite() {
            return None;
        }
        let tol = if tol.is_nan() { 0.0 } else { tol.max(0.0) };
        let mut idx = [0usize; 2];
        for (axis, slot) in idx.iter_mut().enumerate() {
            let len = self.length[axis];
            let x = p[axis];
            if x < -tol || x > len + tol {
                return None;
            }
            *slot = self.index_smaller_on_boundary(axis, x.clamp(0.0, len));
        }
        Some((idx[0], idx[1]))
    }

    /// Whether the grid describes a mesh: at least one cell and a finite positive length per axis.
    fn is_valid(&self) -> bool {
        (0..2).all(|a| self.cells[a] >= 1 && self.length[a].is_finite() && self.length[a] > 0.0)
    }

    /// Edge `k` along `axis` (0 = u, 1 = v): `k L / n`, exactly `L` for `k = n`.
    fn edge(&self, axis: usize, k: usize) -> f64 {
        let n = self.cells[axis];
        let len = self.length[axis];
        if k == n {
            len
        } else {
            k as f64 * len / n as f64
        }
    }

    fn snap_tol(&self, axis: usize) -> f64 {
        SNAP_REL * self.length[axis]
    }

    /// `x` moved onto the nearest cell edge (including the panel edges) when within the snap
    /// tolerance of it; otherwise unchanged.
    fn snap(&self, axis: usize, x: f64) -> f64 {
        let n = self.cells[axis];
        let k = self.estimate(axis, x).round().clamp(0.0, n as f64) as usize;
        let tol = self.snap_tol(axis);
        let lo = k.saturating_sub(1);
        let hi = (k + 1).min(n);
        for kk in lo..=hi {
            let e = self.edge(axis, kk);
            if (x - e).abs() <= tol {
                return e;
            }
        }
        x
    }

    /// `x n / L`: the fractional cell coordinate, a starting guess for the index searches.
    fn estimate(&self, axis: usize, x: f64) -> f64 {
        x / self.length[axis] * self.cells[axis] as f64
    }

    /// A starting cell index for the searches: `floor(x n / L)` clamped to `[0, n-1]`
    /// (float-to-int casts saturate, so any value is safe).
    fn guess(&self, axis: usize, x: f64) -> usize {
        let n = self.cells[axis];
        (self.estimate(axis, x).floor().max(0.0) as usize).min(n.saturating_sub(1))
    }

    /// Smallest `k` in `[0, n-1]` with `x <= edge(k+1) + snap`: the cell holding `x`, a point on a
    /// boundary going to the smaller index.
    fn index_smaller_on_boundary(&self, axis: usize, x: f64) -> usize {
        let n = self.cells[axis];
        let tol = self.snap_tol(axis);
        let mut k = self.guess(axis, x);
        while k > 0 && x <= self.edge(axis, k) + tol {
            k -= 1;
        }
        while k + 1 < n && x > self.edge(axis, k + 1) + tol {
            k += 1;
        }
        k
    }

    /// Smallest `k` in `[0, n-1]` with `edge(k+1) > x`: the first cell that extends beyond `x`.
    fn first_ending_after(&self, axis: usize, x: f64) -> usize {
        let n = self.cells[axis];
        let mut k = self.guess(axis, x);
        while k > 0 && self.edge(axis, k) > x {
            k -= 1;
        }
        while k + 1 < n && self.edge(axis, k + 1) <= x {
            k += 1;
        }
        k
    }

    /// Largest `k` in `[0, n-1]` with `edge(k) < x`: the last cell that starts before `x`.
    fn last_starting_before(&self, axis: usize, x: f64) -> usize {
        let n = self.cells[axis];
        let mut k = self.guess(axis, x);
        while k + 1 < n && self.edge(axis, k + 1) < x {
            k += 1;
        }
        while k > 0 && self.edge(axis, k) >= x {
            k -= 1;
        }
        k
    }
}

/// A heat-pipe contact strip: the points within `half_width` of segment `p0`-`p1`, measured
/// perpendicular to it, between its ends (an oriented rectangle `|p1 - p0|` long and
/// `2 half_width` wide). Degenerate `p0 == p1` has zero area.
#[derive(Clone, Copy, Debug)]
pub struct Strip {
    pub p0: [f64; 2],
    pub p1: [f64; 2],
    pub half_width: f64,
}

impl Strip {
    /// The four corners, counter-clockwise, or `None` for a degenerate or non-finite strip.
    fn corners(&self) -> Option<[[f64; 2]; 4]> {
        let finite = self.p0.iter().chain(self.p1.iter()).all(|c| c.is_finite())
            && self.half_width.is_finite();
        if !finite || self.half_width <= 0.0 {
            return None;
        }
        let d = [self.p1[0] - self.p0[0], self.p1[1] - self.p0[1]];
        let len = d[0].hypot(d[1]);
        if len == 0.0 || !len.is_finite() {
            return None;
        }
        // Unit normal to the left of p0 -> p1, scaled by the half width.
        let w = [-d[1] / len * self.half_width, d[0] / len * self.half_width];
        Some([
            [self.p0[0] - w[0], self.p0[1] - w[1]],
            [self.p1[0] - w[0], self.p1[1] - w[1]],
            [self.p1[0] + w[0], self.p1[1] + w[1]],
            [self.p0[0] + w[0], self.p0[1] + w[1]],
        ])
    }
}

/// Exact overlap of a region with one cell: area (m^2) and the centroid of the overlap polygon
/// (panel coordinates).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CellOverlap {
    pub i: usize,
    pub j: usize,
    pub area: f64,
    pub centroid: [f64; 2],
}

/// Every cell of the grid that meets the rectangle with positive area, with exact areas (the
/// rectangle clipped to the panel, its sides snapped onto cell edges within 1e-12 of the panel
/// length). Only the cells in the rectangle's index range are visited. Order: increasing `j`, then
/// `i`. Empty for an invalid grid, an empty rectangle, a NaN coordinate or a rectangle outside the
/// panel. The areas sum to the clipped rectangle's area up to rounding.
pub fn rect_overlaps(grid: &Grid, rect: &Rect) -> Vec<CellOverlap> {
    let coords_nan = rect.min.iter().chain(rect.max.iter()).any(|c| c.is_nan());
    if !grid.is_valid() || coords_nan {
        return Vec::new();
    }
    // Per axis: the clipped, snapped interval and the pieces it makes with the cells.
    let mut pieces: [Vec<(usize, f64, f64)>; 2] = [Vec::new(), Vec::new()];
    for (axis, out) in pieces.iter_mut().enumerate() {
        let len = grid.length[axis];
        let (raw_lo, raw_hi) = (rect.min[axis].max(0.0), rect.max[axis].min(len));
        if raw_lo >= raw_hi {
            return Vec::new();
        }
        let (mut lo, mut hi) = (grid.snap(axis, raw_lo), grid.snap(axis, raw_hi));
        if lo >= hi {
            // Narrower than the snap tolerance, across a cell edge: both ends snapped onto it.
            // Its own ends share it between the cells on either side.
            (lo, hi) = (raw_lo, raw_hi);
        }
        let first = grid.first_ending_after(axis, lo);
        let last = grid.last_starting_before(axis, hi);
        for k in first..=last {
            let a = lo.max(grid.edge(axis, k));
            let b = hi.min(grid.edge(axis, k + 1));
            if b > a {
                out.push((k, a, b));
            }
        }
    }
    let [xs, ys] = pieces;
    let mut result = Vec::with_capacity(xs.len() * ys.len());
    for &(j, ya, yb) in &ys {
        for &(i, xa, xb) in &xs {
            result.push(CellOverlap {
                i,
                j,
                area: (xb - xa) * (yb - ya),
                centroid: [0.5 * (xa + xb), 0.5 * (ya + yb)],
            });
        }
    }
    result
}

/// Every cell of the grid that meets the strip with positive area, with the exact overlap area and
/// centroid: the strip's oriented rectangle is clipped to the panel (its vertices snapped onto cell
/// edges within 1e-12 of the panel length), then, row by row of cells, clipped to the row and to
/// each cell of the row's occupied range (Sutherland–Hodgman against the cells' sides); cells that
/// the row's polygon covers over its full height between its chords on the row's two edges are
/// taken whole (exact cell area and centre) without clipping. The work is proportional to the
/// number of cells met plus the number of rows, whatever the strip's angle (about 15 ns per whole
/// cell and 150 ns per clipped one in release builds).
/// Order: increasing `j`, then `i`. Empty for an invalid grid, a degenerate strip (`p0 == p1`,
/// `half_width <= 0`, non-finite values) or a strip outside the panel. Neighbouring pieces share
/// bit-identical cut points, so the areas sum to the area of the strip clipped to the panel up to
/// the rounding of the strip's corners (relative error about 1e-16 times the panel size over the
/// strip width: below 1e-13 for a centimetre-wide pipe on a metre-sized panel).
pub fn strip_overlaps(grid: &Grid, strip: &Strip) -> Vec<CellOverlap> {
    if !grid.is_valid() {
        return Vec::new();
    }
    let Some(corners) = strip.corners() else {
        return Vec::new();
    };
    let panel = Rect {
        min: [0.0, 0.0],
        max: grid.length,
    };
    let mut shape = clip_polygon_to_rect(&corners, &panel);
    for v in shape.iter_mut() {
        v[0] = grid.snap(0, v[0]);
        v[1] = grid.snap(1, v[1]);
    }
    dedup_ring(&mut shape);
    if shape.len() < 3 || polygon_area_centroid(&shape).0 <= 0.0 {
        return Vec::new();
    }
    let (lo, hi) = bounding_box(&shape);
    if lo[1] >= hi[1] || lo[0] >= hi[0] {
        return Vec::new();
    }
    let j_first = grid.first_ending_after(1, lo[1]);
    let j_last = grid.last_starting_before(1, hi[1]);

    let mut result = Vec::new();
    let mut tmp = Vec::with_capacity(16);
    let mut row = Vec::with_capacity(16);
    let mut piece = Vec::with_capacity(16);
    for j in j_first..=j_last {
        clip_half_plane(&shape, &mut tmp, 1, grid.edge(1, j), true);
        clip_half_plane(&tmp, &mut row, 1, grid.edge(1, j + 1), false);
        if row.len() < 3 {
            continue;
        }
        let (rlo, rhi) = bounding_box(&row);
        if rlo[0] >= rhi[0] {
            continue;
        }
        let (y0, y1) = (grid.edge(1, j), grid.edge(1, j + 1));
        let full = full_height_interval(&row, y0, y1);
        let i_first = grid.first_ending_after(0, rlo[0]);
        let i_last = grid.last_starting_before(0, rhi[0]);
        for i in i_first..=i_last {
            let (x0, x1) = (grid.edge(0, i), grid.edge(0, i + 1));
            if let Some((a, b)) = full
                && a <= x0
                && x1 <= b
            {
                // The whole cell is covered: its exact area and centre, no clipping needed.
                result.push(CellOverlap {
                    i,
                    j,
                    area: (x1 - x0) * (y1 - y0),
                    centroid: [0.5 * (x0 + x1), 0.5 * (y0 + y1)],
                });
                continue;
            }
            clip_half_plane(&row, &mut tmp, 0, x0, true);
            clip_half_plane(&tmp, &mut piece, 0, x1, false);
            if piece.len() < 3 {
                continue;
            }
            let (area, centroid) = polygon_area_centroid(&piece);
            if area > 0.0 {
                result.push(CellOverlap {
                    i,
                    j,
                    area,
                    centroid,
                });
            }
        }
    }
    result
}

/// The pieces of the segment `a -> b` as it crosses the grid: sorted parameter breakpoints
/// `0 = s_0 < s_1 < ... < s_n = 1` (the point is `a + s (b - a)`) at every crossing of a grid line
/// `x = x_k` or `y = y_k`, `k = 0..=n` (cell boundaries, panel edges included), breakpoints within
/// 1e-12 of each other or of 0 and 1 merged. Each piece `[s_m, s_{m+1}]` then lies in one cell;
/// find it with [`Grid::cell_containing`] at the piece's midpoint (which also applies the
/// smaller-index rule to a segment running along a cell boundary). `[0, 1]` for a segment within
/// one cell, `a == b`, non-finite points or an invalid grid.
pub fn segment_breakpoints(grid: &Grid, a: [f64; 2], b: [f64; 2]) -> Vec<f64> {
    let finite = a.iter().chain(b.iter()).all(|c| c.is_finite());
    if !grid.is_valid() || !finite {
        return vec![0.0, 1.0];
    }
    let mut crossings = Vec::new();
    for axis in 0..2 {
        let delta = b[axis] - a[axis];
        if delta == 0.0 || !delta.is_finite() {
            continue;
        }
        let n = grid.cells[axis];
        let lo = a[axis].min(b[axis]);
        let hi = a[axis].max(b[axis]);
        // First edge strictly above lo.
        let mut k = (grid.estimate(axis, lo).floor().max(0.0) as usize).min(n);
        while k > 0 && grid.edge(axis, k) > lo {
            k -= 1;
        }
        while k <= n && grid.edge(axis, k) <= lo {
            k += 1;
        }
        while k <= n {
            let e = grid.edge(axis, k);
            if e >= hi {
                break;
            }
            let s = (e - a[axis]) / delta;
            if s > 0.0 && s < 1.0 {
                crossings.push(s);
            }
            k += 1;
        }
    }
    crossings.sort_by(f64::total_cmp);
    let mut out = Vec::with_capacity(crossings.len() + 2);
    out.push(0.0);
    let mut last = 0.0;
    for s in crossings {
        if s - last > BREAKPOINT_MERGE && 1.0 - s > BREAKPOINT_MERGE {
            out.push(s);
            last = s;
        }
    }
    out.push(1.0);
    out
}

/// Area (absolute, whatever the orientation) and centroid of a simple polygon given by its
/// vertices in order (closing edge implied). Computed relative to the first vertex, so that small
/// polygons far from the origin keep full relative accuracy. A polygon of zero area (fewer than
/// three vertices, collinear vertices) gives area 0 and the mean of its vertices as centroid; an
/// empty slice gives `(0.0, [0.0, 0.0])`. The centroid is kept within the vertices' bounding box.
pub fn polygon_area_centroid(poly: &[[f64; 2]]) -> (f64, [f64; 2]) {
    let Some(&origin) = poly.first() else {
        return (0.0, [0.0, 0.0]);
    };
    let mut twice_area = 0.0;
    let mut cx = 0.0;
    let mut cy = 0.0;
    let mut prev = [0.0, 0.0]; // first vertex, relative to itself
    for v in poly.iter().skip(1).chain(std::iter::once(&origin)) {
        let cur = [v[0] - origin[0], v[1] - origin[1]];
        let cross = prev[0] * cur[1] - cur[0] * prev[1];
        twice_area += cross;
        cx += (prev[0] + cur[0]) * cross;
        cy += (prev[1] + cur[1]) * cross;
        prev = cur;
    }
    let (lo, hi) = bounding_box(poly);
    if twice_area == 0.0 || !twice_area.is_finite() {
        let n = poly.len() as f64;
        let mut mean = [0.0, 0.0];
        for v in poly {
            mean[0] += v[0] / n;
            mean[1] += v[1] / n;
        }
        return (0.0, mean);
    }
    let centroid = [
        (origin[0] + cx / (3.0 * twice_area)).clamp(lo[0], hi[0]),
        (origin[1] + cy / (3.0 * twice_area)).clamp(lo[1], hi[1]),
    ];
    (0.5 * twice_area.abs(), centroid)
}

/// Clip a convex polygon (vertices in order, either orientation) to an axis-aligned rectangle
/// (Sutherland–Hodgman against its four sides). The result keeps the input's orientation; vertices
/// on a side are exact (the clipped coordinate is the side's), repeated consecutive vertices are
/// removed, and it is empty when fewer than three vertices are left (nothing inside, or the
/// polygon only touching the rectangle). A non-convex input gets the correct area but may keep
/// zero-width bridges along the rectangle's sides. An empty rectangle gives an empty result.
pub fn clip_polygon_to_rect(poly: &[[f64; 2]], rect: &Rect) -> Vec<[f64; 2]> {
    if poly.is_empty() || !(rect.min[0] <= rect.max[0] && rect.min[1] <= rect.max[1]) {
        return Vec::new();
    }
    let mut a = Vec::with_capacity(poly.len() + 4);
    let mut b = Vec::with_capacity(poly.len() + 4);
    clip_half_plane(poly, &mut a, 0, rect.min[0], true);
    clip_half_plane(&a, &mut b, 0, rect.max[0], false);
    clip_half_plane(&b, &mut a, 1, rect.min[1], true);
    clip_half_plane(&a, &mut b, 1, rect.max[1], false);
    if b.len() < 3 {
        b.clear();
    }
    b
}

/// One Sutherland–Hodgman step: the part of `input` with `p[axis] >= c` (`keep_greater`) or
/// `p[axis] <= c`, written into `out` (cleared first). Intersection points get exactly `c` as their
/// `axis` coordinate; the other coordinate is interpolated from the edge's endpoints taken in a
/// canonical order, so that the two polygons sharing a cut compute the same point.
fn clip_half_plane(
    input: &[[f64; 2]],
    out: &mut Vec<[f64; 2]>,
    axis: usize,
    c: f64,
    keep_greater: bool,
) {
    out.clear();
    let Some(&last) = input.last() else {
        return;
    };
    let other = 1 - axis;
    let inside = |p: &[f64; 2]| {
        if keep_greater {
            p[axis] >= c
        } else {
            p[axis] <= c
        }
    };
    let cut = |p: [f64; 2], q: [f64; 2]| {
        let (s, e) = if (p[axis], p[other]) <= (q[axis], q[other]) {
            (p, q)
        } else {
            (q, p)
        };
        // s and e lie strictly on opposite sides of the line, so e[axis] != s[axis].
        let t = (c - s[axis]) / (e[axis] - s[axis]);
        let y = (s[other] + t * (e[other] - s[other]))
            .clamp(s[other].min(e[other]), s[other].max(e[other]));
        let mut r = [0.0; 2];
        r[axis] = c;
        r[other] = y;
        r
    };
    let mut prev = last;
    let mut prev_in = inside(&prev);
    for &cur in input {
        let cur_in = inside(&cur);
        if cur_in {
            if !prev_in {
                push_distinct(out, cut(prev, cur));
            }
            push_distinct(out, cur);
        } else if prev_in {
            push_distinct(out, cut(prev, cur));
        }
        prev = cur;
        prev_in = cur_in;
    }
    dedup_ring(out);
}

/// For a convex polygon lying in the slab `y0 <= y <= y1`: the x-interval `[a, b]` such that the
/// rectangle `[a, b] x [y0, y1]` lies inside it, from its chords along the slab's two lines (the
/// polygon contains their convex hull). `None` unless it reaches both lines.
fn full_height_interval(row: &[[f64; 2]], y0: f64, y1: f64) -> Option<(f64, f64)> {
    let chord = |y: f64| {
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        for v in row.iter().filter(|v| v[1] == y) {
            lo = lo.min(v[0]);
            hi = hi.max(v[0]);
        }
        (lo <= hi).then_some((lo, hi))
    };
    let (bl, bh) = chord(y0)?;
    let (tl, th) = chord(y1)?;
    let (a, b) = (bl.max(tl), bh.min(th));
    (a < b).then_some((a, b))
}

fn push_distinct(out: &mut Vec<[f64; 2]>, p: [f64; 2]) {
    if out.last() != Some(&p) {
        out.push(p);
    }
}

/// Removes consecutive repeated vertices, including a last vertex equal to the first.
fn dedup_ring(poly: &mut Vec<[f64; 2]>) {
    poly.dedup();
    while poly.len() > 1 && poly.first() == poly.last() {
        poly.pop();
    }
}

/// Bounding box `(min, max)` of a vertex list (`(+inf, -inf)` when empty).
fn bounding_box(poly: &[[f64; 2]]) -> ([f64; 2], [f64; 2]) {
    let mut lo = [f64::INFINITY; 2];
    let mut hi = [f64::NEG_INFINITY; 2];
    for v in poly {
        for a in 0..2 {
            lo[a] = lo[a].min(v[a]);
            hi[a] = hi[a].max(v[a]);
        }
    }
    (lo, hi)
}

#[cfg(test)]
mod tests;
