use super::*;

fn unit_grid(nu: usize, nv: usize) -> Grid {
    Grid {
        length: [1.0, 1.0],
        cells: [nu, nv],
    }
}

fn total_area(overlaps: &[CellOverlap]) -> f64 {
    overlaps.iter().map(|o| o.area).sum()
}

fn weighted_centroid(overlaps: &[CellOverlap]) -> [f64; 2] {
    let a = total_area(overlaps);
    let mut c = [0.0, 0.0];
    for o in overlaps {
        c[0] += o.area * o.centroid[0] / a;
        c[1] += o.area * o.centroid[1] / a;
    }
    c
}

fn assert_rel(actual: f64, expected: f64, rel: f64, what: &str) {
    assert!(
        (actual - expected).abs() <= rel * expected.abs(),
        "{what}: {actual} vs {expected} (rel {:e})",
        (actual - expected).abs() / expected.abs()
    );
}

/// Overlaps are sorted by (j, i), unique, positive, within their cell, and no larger than it.
fn check_well_formed(grid: &Grid, overlaps: &[CellOverlap]) {
    for w in overlaps.windows(2) {
        assert!((w[0].j, w[0].i) < (w[1].j, w[1].i), "order: {:?}", w);
    }
    let cell_area = grid.cell_size()[0] * grid.cell_size()[1];
    for o in overlaps {
        assert!(o.i < grid.cells[0] && o.j < grid.cells[1]);
        assert!(o.area > 0.0 && o.area <= cell_area * (1.0 + 1e-12), "{o:?}");
        let r = grid.cell_rect(o.i, o.j);
        for a in 0..2 {
            assert!(
                o.centroid[a] >= r.min[a] && o.centroid[a] <= r.max[a],
                "{o:?} {r:?}"
            );
        }
    }
}

/// Rotated coordinates of a strip: `x = c + s t + q n` with t the unit direction and n its left
/// normal. Used to build strips and hand results independently of the code under test.
fn strip_at(center: [f64; 2], angle: f64, length: f64, half_width: f64) -> Strip {
    let (s, c) = angle.sin_cos();
    Strip {
        p0: [center[0] - 0.5 * length * c, center[1] - 0.5 * length * s],
        p1: [center[0] + 0.5 * length * c, center[1] + 0.5 * length * s],
        half_width,
    }
}

#[test]
fn rect_basics() {
    let r = Rect::from_center_size([0.5, 0.25], [0.2, 0.1]);
    assert_eq!(r.min, [0.4, 0.2]);
    assert_eq!(r.max, [0.6, 0.3]);
    assert!((r.area() - 0.02).abs() < 1e-16);
    assert_eq!(Rect::from_center_size([0.0, 0.0], [-1.0, 1.0]).area(), 0.0);
    let nan = Rect {
        min: [f64::NAN, 0.0],
        max: [1.0, 1.0],
    };
    assert_eq!(nan.area(), 0.0);
}

#[test]
fn grid_cells() {
    let g = Grid {
        length: [0.3, 2.0],
        cells: [3, 8],
    };
    let cs = g.cell_size();
    assert!((cs[0] - 0.1).abs() < 1e-16 && (cs[1] - 0.25).abs() < 1e-16);
    // The last cell ends exactly on the panel edge; neighbours share edges bit for bit.
    assert_eq!(g.cell_rect(2, 7).max, [0.3, 2.0]);
    assert_eq!(g.cell_rect(0, 0).min, [0.0, 0.0]);
    for i in 0..2 {
        assert_eq!(g.cell_rect(i, 0).max[0], g.cell_rect(i + 1, 0).min[0]);
    }
    let c = g.cell_center(1, 2);
    assert!((c[0] - 0.15).abs() < 1e-15 && (c[1] - 0.625).abs() < 1e-15);
    // Out-of-range indices do not panic.
    let _ = g.cell_rect(usize::MAX, usize::MAX);
}

#[test]
fn cell_containing_boundary_rule() {
    let g = unit_grid(4, 4);
    assert_eq!(g.cell_containing([0.1, 0.1], 0.0), Some((0, 0)));
    // On the boundary between cells 1 and 2 along u, and 0 and 1 along v: the smaller index.
    assert_eq!(g.cell_containing([0.5, 0.25], 0.0), Some((1, 0)));
    assert_eq!(
        g.cell_containing([0.5 + 1e-9, 0.25 + 1e-9], 0.0),
        Some((2, 1))
    );
    assert_eq!(g.cell_containing([0.75, 0.6], 0.0), Some((2, 2)));
    // Panel corners and edges.
    assert_eq!(g.cell_containing([0.0, 0.0], 0.0), Some((0, 0)));
    assert_eq!(g.cell_containing([1.0, 1.0], 0.0), Some((3, 3)));
    assert_eq!(g.cell_containing([1.0, 0.0], 0.0), Some((3, 0)));
    // Within the tolerance outside: clamped in; beyond it: None.
    assert_eq!(g.cell_containing([1.0 + 5e-10, -5e-10], 1e-9), Some((3, 0)));
    assert_eq!(g.cell_containing([1.0 + 2e-9, 0.5], 1e-9), None);
    assert_eq!(g.cell_containing([0.5, -2e-9], 1e-9), None);
    assert_eq!(g.cell_containing([1.0 + 1e-12, 0.5], 0.0), None);
    assert_eq!(g.cell_containing([1.0 + 1e-12, 0.5], f64::NAN), None);
    assert_eq!(g.cell_containing([f64::NAN, 0.5], 1.0), None);
    assert_eq!(g.cell_containing([f64::INFINITY, 0.5], f64::INFINITY), None);
    // Decimal boundaries that are not exactly the floating-point edges: with L = 0.3 and three
    // cells, the edge 0.3 / 3 is one ulp away from 0.1; 0.1 still counts as on the boundary.
    let g3 = Grid {
        length: [0.3, 0.7],
        cells: [3, 7],
    };
    assert_ne!(g3.cell_rect(0, 0).max[0], 0.1);
    assert_eq!(g3.cell_containing([0.1, 0.1], 0.0), Some((0, 0)));
    assert_eq!(g3.cell_containing([0.2, 0.3], 0.0), Some((1, 2)));
    assert_eq!(
        g3.cell_containing([0.2 + 1e-9, 0.3 + 1e-9], 0.0),
        Some((2, 3))
    );
    // Every cell centre maps back to its cell.
    let g = Grid {
        length: [1.7, 0.9],
        cells: [17, 13],
    };
    for j in 0..13 {
        for i in 0..17 {
            assert_eq!(g.cell_containing(g.cell_center(i, j), 0.0), Some((i, j)));
        }
    }
    // Invalid grids.
    let bad = Grid {
        length: [1.0, 1.0],
        cells: [0, 3],
    };
    assert_eq!(bad.cell_containing([0.5, 0.5], 0.0), None);
}

#[test]
fn rect_overlaps_match_brute_force_and_sum_to_area() {
    let grids = [
        unit_grid(10, 10),
        unit_grid(7, 3),
        Grid {
            length: [1.3, 0.7],
            cells: [13, 9],
        },
        Grid {
            length: [0.3, 0.3],
            cells: [3, 3],
        },
    ];
    let rects = [
        Rect::from_center_size([0.5, 0.5], [0.1, 0.1]),
        Rect::from_center_size([0.33, 0.41], [0.27, 0.13]),
        Rect::from_center_size([0.05, 0.6], [0.4, 0.5]), // partly outside
        Rect::from_center_size([0.9, 0.1], [0.6, 0.6]),  // partly outside, corner
        Rect::from_center_size([0.0, 0.0], [5.0, 5.0]),  // covers everything
        Rect::from_center_size([0.123, 0.087], [0.01, 0.004]), // smaller than a cell
    ];
    for g in &grids {
        for r in &rects {
            let ov = rect_overlaps(g, r);
            check_well_formed(g, &ov);
            // Independent: clip by hand and scan every cell of the grid.
            let x0 = r.min[0].max(0.0);
            let x1 = r.max[0].min(g.length[0]);
            let y0 = r.min[1].max(0.0);
            let y1 = r.max[1].min(g.length[1]);
            let clipped = (x1 - x0).max(0.0) * (y1 - y0).max(0.0);
            assert_rel(total_area(&ov), clipped, 1e-12, "rect sum");
            let (dx, dy) = (
                g.length[0] / g.cells[0] as f64,
                g.length[1] / g.cells[1] as f64,
            );
            let mut expected = Vec::new();
            for j in 0..g.cells[1] {
                for i in 0..g.cells[0] {
                    let w = x1.min((i + 1) as f64 * dx) - x0.max(i as f64 * dx);
                    let h = y1.min((j + 1) as f64 * dy) - y0.max(j as f64 * dy);
                    if w > 1e-12 && h > 1e-12 {
                        expected.push((i, j, w * h));
                    }
                }
            }
            assert_eq!(ov.len(), expected.len(), "{g:?} {r:?}");
            for (o, e) in ov.iter().zip(&expected) {
                assert_eq!((o.i, o.j), (e.0, e.1));
                assert!((o.area - e.2).abs() < 1e-14, "{o:?} vs {e:?}");
            }
        }
    }
}

#[test]
fn rect_overlap_centroids_by_hand() {
    let g = unit_grid(4, 4);
    // Rectangle [0.2, 0.6] x [0.1, 0.3]: columns [0.2,0.25],[0.25,0.5],[0.5,0.6];
    // rows [0.1,0.25],[0.25,0.3].
    let r = Rect {
        min: [0.2, 0.1],
        max: [0.6, 0.3],
    };
    let ov = rect_overlaps(&g, &r);
    let expected = [
        (0, 0, 0.05 * 0.15, [0.225, 0.175]),
        (1, 0, 0.25 * 0.15, [0.375, 0.175]),
        (2, 0, 0.10 * 0.15, [0.55, 0.175]),
        (0, 1, 0.05 * 0.05, [0.225, 0.275]),
        (1, 1, 0.25 * 0.05, [0.375, 0.275]),
        (2, 1, 0.10 * 0.05, [0.55, 0.275]),
    ];
    assert_eq!(ov.len(), expected.len());
    for (o, e) in ov.iter().zip(expected) {
        assert_eq!((o.i, o.j), (e.0, e.1));
        assert!((o.area - e.2).abs() < 1e-15);
        assert!((o.centroid[0] - e.3[0]).abs() < 1e-15);
        assert!((o.centroid[1] - e.3[1]).abs() < 1e-15);
    }
    assert!((weighted_centroid(&ov)[0] - 0.4).abs() < 1e-15);
    assert!((weighted_centroid(&ov)[1] - 0.2).abs() < 1e-15);
    // A footprint inside one cell: one overlap, the whole area, its own centre.
    let small = Rect::from_center_size([0.61, 0.37], [0.02, 0.03]);
    let ov = rect_overlaps(&g, &small);
    assert_eq!(ov.len(), 1);
    assert_eq!((ov[0].i, ov[0].j), (2, 1));
    assert!((ov[0].area - 6e-4).abs() < 1e-17);
    assert!((ov[0].centroid[0] - 0.61).abs() < 1e-15);
    assert!((ov[0].centroid[1] - 0.37).abs() < 1e-15);
}

#[test]
fn rect_on_cell_boundaries_and_degenerate() {
    // Sides on decimal boundaries that are one ulp off the floating-point edges: exactly the
    // covered cells, no slivers in the neighbours.
    let g = Grid {
        length: [0.3, 0.7],
        cells: [3, 7],
    };
    let r = Rect {
        min: [0.1, 0.3],
        max: [0.2, 0.5],
    };
    let ov = rect_overlaps(&g, &r);
    let cells: Vec<(usize, usize)> = ov.iter().map(|o| (o.i, o.j)).collect();
    assert_eq!(cells, vec![(1, 3), (1, 4)]);
    assert_rel(total_area(&ov), 0.02, 1e-11, "boundary rect");
    // Narrower than the snap tolerance (1e-12 of the length) across a cell edge: shared by the
    // cells on both sides, with its own area, not dropped.
    let g = unit_grid(5, 5);
    let thin = Rect::from_center_size([0.4, 0.5], [1e-13, 0.1]);
    let ov = rect_overlaps(&g, &thin);
    let cells: Vec<(usize, usize)> = ov.iter().map(|o| (o.i, o.j)).collect();
    assert_eq!(cells, vec![(1, 2), (2, 2)]);
    assert_rel(total_area(&ov), 1e-14, 1e-3, "thin rect on an edge");
    let dot = rect_overlaps(&g, &Rect::from_center_size([0.4, 0.6], [1e-13, 1e-13]));
    assert_eq!(dot.len(), 4);
    assert!(total_area(&dot) > 0.0);
    // Empty, zero-size, outside and NaN rectangles.
    assert!(rect_overlaps(&g, &Rect::from_center_size([0.5, 0.5], [0.0, 0.1])).is_empty());
    assert!(rect_overlaps(&g, &Rect::from_center_size([2.5, 0.5], [0.1, 0.1])).is_empty());
    assert!(rect_overlaps(&g, &Rect::from_center_size([0.5, 0.5], [-0.1, 0.1])).is_empty());
    let nan = Rect {
        min: [f64::NAN, 0.0],
        max: [0.5, 0.5],
    };
    assert!(rect_overlaps(&g, &nan).is_empty());
    // Touching the panel from outside along an edge: no area.
    let touch = Rect {
        min: [1.0, 0.2],
        max: [1.5, 0.4],
    };
    assert!(rect_overlaps(&g, &touch).is_empty());
    let bad = Grid {
        length: [0.0, 1.0],
        cells: [2, 2],
    };
    assert!(rect_overlaps(&bad, &Rect::from_center_size([0.5, 0.5], [0.2, 0.2])).is_empty());
}

#[test]
fn strip_sums_to_its_area_on_several_grids() {
    let grids = [
        unit_grid(10, 10),
        unit_grid(37, 23),
        unit_grid(200, 150),
        Grid {
            length: [2.0, 0.5],
            cells: [64, 16],
        },
    ];
    let angles: [f64; 8] = [0.0, 30.0, 45.0, 60.0, 90.0, 137.0, -17.0, 1e-7];
    for g in &grids {
        let center = [0.5 * g.length[0] + 0.013, 0.5 * g.length[1] - 0.007];
        for &deg in &angles {
            let len = 0.4 * g.length[1];
            let hw = 0.011;
            let s = strip_at(center, deg.to_radians(), len, hw);
            let ov = strip_overlaps(g, &s);
            check_well_formed(g, &ov);
            assert_rel(total_area(&ov), 2.0 * hw * len, 1e-12, "inside strip");
            // The area-weighted centroid of the pieces is the strip's centre.
            let c = weighted_centroid(&ov);
            assert!((c[0] - center[0]).abs() < 1e-12 && (c[1] - center[1]).abs() < 1e-12);
        }
    }
}

#[test]
fn axis_aligned_strip_equals_rect() {
    let g = unit_grid(13, 11);
    let s = Strip {
        p0: [0.05, 0.5],
        p1: [0.95, 0.5],
        half_width: 0.03,
    };
    let r = Rect {
        min: [0.05, 0.47],
        max: [0.95, 0.53],
    };
    let a = strip_overlaps(&g, &s);
    let b = rect_overlaps(&g, &r);
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!((x.i, x.j), (y.i, y.j));
        assert!((x.area - y.area).abs() < 1e-15 * 1.0f64.max(y.area / 1e-3));
        assert!((x.centroid[0] - y.centroid[0]).abs() < 1e-14);
        assert!((x.centroid[1] - y.centroid[1]).abs() < 1e-14);
    }
    // Reversed direction: same result.
    let rev = strip_overlaps(
        &g,
        &Strip {
            p0: s.p1,
            p1: s.p0,
            half_width: s.half_width,
        },
    );
    assert_eq!(rev.len(), a.len());
    for (x, y) in a.iter().zip(&rev) {
        assert_eq!((x.i, x.j), (y.i, y.j));
        assert!((x.area - y.area).abs() < 1e-15);
    }
    // A pipe whose contact edges lie on decimal cell boundaries (one ulp off the float edges)
    // covers exactly its column: no sliver cells on either side.
    let g = Grid {
        length: [0.3, 0.7],
        cells: [3, 7],
    };
    let s = Strip {
        p0: [0.15, 0.05],
        p1: [0.15, 0.65],
        half_width: 0.05,
    };
    let ov = strip_overlaps(&g, &s);
    assert!(ov.iter().all(|o| o.i == 1), "{ov:?}");
    assert_eq!(ov.len(), 7);
}

#[test]
fn diagonal_strip_pieces_by_hand() {
    // 2 x 2 unit grid, 45-degree strip from (0.25, 0.25) to (0.75, 0.75), half width w. In
    // coordinates s along the strip (from its centre) and q across it, x = 0.5 + (s - q)/sqrt 2
    // and y = 0.5 + (s + q)/sqrt 2, so the cell boundaries are s = q and s = -q:
    // cell (0,0) holds s <= -|q| (area w L - w^2), cell (1,0) the triangle q < 0, q < s < -q
    // (area w^2, centroid s = 0, q = -2w/3), symmetrically for the other two.
    let g = unit_grid(2, 2);
    let w = 0.05;
    let s = Strip {
        p0: [0.25, 0.25],
        p1: [0.75, 0.75],
        half_width: w,
    };
    let len = 0.5 * 2f64.sqrt();
    let ov = strip_overlaps(&g, &s);
    assert_eq!(ov.len(), 4);
    let r2 = 2f64.sqrt();
    let by = |i: usize, j: usize| ov.iter().find(|o| o.i == i && o.j == j).copied();
    let (Some(c00), Some(c10), Some(c01), Some(c11)) = (by(0, 0), by(1, 0), by(0, 1), by(1, 1))
    else {
        panic!("missing cells: {ov:?}");
    };
    assert!((c00.area - (w * len - w * w)).abs() < 1e-15);
    assert!((c11.area - (w * len - w * w)).abs() < 1e-15);
    assert!((c10.area - w * w).abs() < 1e-15);
    assert!((c01.area - w * w).abs() < 1e-15);
    let tri = 2.0 * w / 3.0 / r2;
    assert!((c10.centroid[0] - (0.5 + tri)).abs() < 1e-14);
    assert!((c10.centroid[1] - (0.5 - tri)).abs() < 1e-14);
    assert!((c01.centroid[0] - (0.5 - tri)).abs() < 1e-14);
    assert!((c01.centroid[1] - (0.5 + tri)).abs() < 1e-14);
    // Cell (0,0): s in [-L/2, -|q|]; integral of s = w^3/3 - L^2 w / 4.
    let s_bar = (w.powi(3) / 3.0 - len * len * w / 4.0) / (w * len - w * w);
    assert!((c00.centroid[0] - (0.5 + s_bar / r2)).abs() < 1e-14);
    assert!((c00.centroid[1] - (0.5 + s_bar / r2)).abs() < 1e-14);
    assert!((c11.centroid[0] - (0.5 - s_bar / r2)).abs() < 1e-14);
}

#[test]
fn strip_partly_outside_the_panel() {
    // 45-degree strip from (0.5, 0.5) out through the corner (1, 1) to (1.5, 1.5): with s from
    // p0 along it and q across, x <= 1 and y <= 1 leave s <= sqrt(2)/2 - |q|, so the clipped
    // area is sqrt(2) w - w^2.
    for (nu, nv) in [(1, 1), (4, 4), (10, 7), (101, 99)] {
        let g = unit_grid(nu, nv);
        for w in [0.01, 0.1, 0.2] {
            let s = Strip {
                p0: [0.5, 0.5],
                p1: [1.5, 1.5],
                half_width: w,
            };
            let ov = strip_overlaps(&g, &s);
            check_well_formed(&g, &ov);
            assert_rel(
                total_area(&ov),
                2f64.sqrt() * w - w * w,
                1e-12,
                "corner strip",
            );
        }
    }
    // An axis-aligned strip hanging over the left edge: the clipped part is [0, 0.3] x [0.4, 0.6].
    let g = unit_grid(9, 9);
    let s = Strip {
        p0: [-0.2, 0.5],
        p1: [0.3, 0.5],
        half_width: 0.1,
    };
    let ov = strip_overlaps(&g, &s);
    assert_rel(total_area(&ov), 0.3 * 0.2, 1e-12, "left overhang");
    // A 30-degree strip sticking out of the bottom edge: compare with the clip of the strip's
    // polygon to the panel computed independently (half-plane y >= 0 of the oriented rectangle:
    // the part below y = 0 is a triangle cut off the corner).
    let t = 30f64.to_radians();
    let (st, ct) = t.sin_cos();
    let w = 0.02;
    let s = Strip {
        p0: [0.2, 0.0],
        p1: [0.2 + 0.5 * ct, 0.5 * st],
        half_width: w,
    };
    // The corner p0 - w n = (0.2 + w st, -w ct) lies below y = 0; the lost triangle has legs
    // along the strip's end (w) and its side (w ct / st ... from similar triangles): the side
    // p0 - w n -> p1 - w n reaches y = 0 after length w ct / st, the end p0-w n -> p0 after w.
    let lost = 0.5 * w * (w * ct / st);
    let expected = 2.0 * w * 0.5 - lost;
    for (nu, nv) in [(3, 3), (50, 40), (333, 17)] {
        let ov = strip_overlaps(&unit_grid(nu, nv), &s);
        assert_rel(total_area(&ov), expected, 1e-12, "bottom overhang");
    }
    // Entirely outside, degenerate and non-finite strips are empty.
    let g = unit_grid(4, 4);
    let out = Strip {
        p0: [1.5, 0.5],
        p1: [2.0, 0.5],
        half_width: 0.1,
    };
    assert!(strip_overlaps(&g, &out).is_empty());
    let point = Strip {
        p0: [0.5, 0.5],
        p1: [0.5, 0.5],
        half_width: 0.1,
    };
    assert!(strip_overlaps(&g, &point).is_empty());
    let flat = Strip {
        p0: [0.1, 0.5],
        p1: [0.9, 0.5],
        half_width: 0.0,
    };
    assert!(strip_overlaps(&g, &flat).is_empty());
    let nan = Strip {
        p0: [0.1, f64::NAN],
        p1: [0.9, 0.5],
        half_width: 0.1,
    };
    assert!(strip_overlaps(&g, &nan).is_empty());
    let inf = Strip {
        p0: [0.1, 0.5],
        p1: [0.9, 0.5],
        half_width: f64::INFINITY,
    };
    assert!(strip_overlaps(&g, &inf).is_empty());
}

#[test]
fn strip_inside_one_cell() {
    let g = unit_grid(3, 3);
    let s = strip_at([0.5, 0.5], 0.7, 0.1, 0.01);
    let ov = strip_overlaps(&g, &s);
    assert_eq!(ov.len(), 1);
    assert_eq!((ov[0].i, ov[0].j), (1, 1));
    assert!((ov[0].area - 2.0 * 0.01 * 0.1).abs() < 1e-17);
    assert!((ov[0].centroid[0] - 0.5).abs() < 1e-15);
    assert!((ov[0].centroid[1] - 0.5).abs() < 1e-15);
}

#[test]
fn strip_matches_clipping_every_cell() {
    // Scanning all cells (independent of the candidate selection and the row decomposition)
    // finds the same cells and areas.
    let g = Grid {
        length: [1.1, 0.8],
        cells: [23, 17],
    };
    for (k, &deg) in [0.0, 12.0, 30.0, 75.0, 90.0, 123.0, 200.0]
        .iter()
        .enumerate()
    {
        let s = strip_at(
            [0.4 + 0.05 * k as f64, 0.35],
            f64::to_radians(deg),
            0.9,
            0.04,
        );
        let ov = strip_overlaps(&g, &s);
        let corners = s.corners().unwrap_or([[0.0; 2]; 4]);
        let mut expected = Vec::new();
        for j in 0..g.cells[1] {
            for i in 0..g.cells[0] {
                let piece = clip_polygon_to_rect(&corners, &g.cell_rect(i, j));
                let (a, _) = polygon_area_centroid(&piece);
                if a > 1e-15 {
                    expected.push((i, j, a));
                }
            }
        }
        assert_eq!(ov.len(), expected.len(), "angle {deg}");
        for (o, e) in ov.iter().zip(&expected) {
            assert_eq!((o.i, o.j), (e.0, e.1));
            assert!((o.area - e.2).abs() < 1e-15, "{o:?} vs {e:?}");
        }
    }
}

#[test]
fn strip_overlaps_is_fast() {
    // A 30-degree strip over a 2000 x 2000 mesh covering about 10^5 cells.
    let g = unit_grid(2000, 2000);
    let s = strip_at([0.5, 0.5], 30f64.to_radians(), 1.0, 0.0125);
    let mut best = f64::INFINITY;
    let mut count = 0;
    for _ in 0..5 {
        let t = std::time::Instant::now();
        let ov = strip_overlaps(&g, &s);
        best = best.min(t.elapsed().as_secs_f64());
        count = ov.len();
        assert_rel(total_area(&ov), 2.0 * 0.0125, 1e-12, "big strip");
    }
    assert!(count >= 100_000, "covered {count}");
    let limit = if cfg!(debug_assertions) { 0.5 } else { 0.05 };
    eprintln!("strip_overlaps: {count} cells in {:.2} ms", best * 1e3);
    assert!(best < limit, "{count} cells took {best} s");
    // A pipe narrower than a cell on a 20000 x 20000 mesh (never allocated): every covered
    // cell is a clipped piece, none is whole.
    let g = unit_grid(20_000, 20_000);
    let s = strip_at([0.5, 0.5], 30f64.to_radians(), 1.0, 1e-5);
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let t = std::time::Instant::now();
        let ov = strip_overlaps(&g, &s);
        best = best.min(t.elapsed().as_secs_f64());
        count = ov.len();
        // Rounding the corners of so thin a strip (1e-16 m on a 2e-5 m width) already moves
        // its area by ~1e-11 relative, so 1e-12 is out of reach here.
        assert_rel(total_area(&ov), 2.0 * 1e-5, 1e-10, "thin strip");
    }
    eprintln!(
        "strip_overlaps (thin): {count} cells in {:.2} ms",
        best * 1e3
    );
    assert!(count >= 25_000, "covered {count}");
    assert!(
        best < limit * count as f64 / 1e5,
        "{count} cells took {best} s"
    );
}

#[test]
fn random_strips_conserve_area() {
    // Deterministic pseudo-random strips (some partly outside) on pseudo-random grids: the
    // pieces are well formed and sum to the strip's clipped area.
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    for _ in 0..300 {
        let g = Grid {
            length: [0.2 + 2.0 * next(), 0.2 + 2.0 * next()],
            cells: [1 + (next() * 60.0) as usize, 1 + (next() * 60.0) as usize],
        };
        let p = |u: f64, v: f64| [(1.4 * u - 0.2) * g.length[0], (1.4 * v - 0.2) * g.length[1]];
        let s = Strip {
            p0: p(next(), next()),
            p1: p(next(), next()),
            half_width: 0.001 + 0.1 * next(),
        };
        let ov = strip_overlaps(&g, &s);
        check_well_formed(&g, &ov);
        let panel = Rect {
            min: [0.0, 0.0],
            max: g.length,
        };
        let corners = s.corners().unwrap_or([[0.0; 2]; 4]);
        let (clipped, _) = polygon_area_centroid(&clip_polygon_to_rect(&corners, &panel));
        if clipped > 0.0 {
            assert_rel(total_area(&ov), clipped, 1e-12, "random strip");
        } else {
            assert!(ov.is_empty());
        }
    }
}

#[test]
fn segment_breakpoints_diagonal() {
    let g = Grid {
        length: [1.0, 1.0],
        cells: [10, 7],
    };
    let a = [0.05, 0.13];
    let b = [0.93, 0.71];
    let s = segment_breakpoints(&g, a, b);
    // Counted independently: vertical lines k/10 in (0.05, 0.93) are k = 1..9; horizontal lines
    // j/7 in (0.13, 0.71) are j = 1..4 (4/7 = 0.571, 5/7 = 0.714 is beyond); none coincide.
    assert_eq!(s.len(), 9 + 4 + 2);
    assert_eq!(s[0], 0.0);
    assert_eq!(s[s.len() - 1], 1.0);
    assert!(s.windows(2).all(|w| w[1] > w[0]));
    let at = |t: f64| [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])];
    // Each piece lies in one cell, and consecutive pieces lie in different cells.
    let mut cells = Vec::new();
    for w in s.windows(2) {
        let mid = g.cell_containing(at(0.5 * (w[0] + w[1])), 0.0);
        for f in [0.01, 0.3, 0.7, 0.99] {
            assert_eq!(g.cell_containing(at(w[0] + f * (w[1] - w[0])), 0.0), mid);
        }
        cells.push(mid);
    }
    assert!(cells.windows(2).all(|c| c[0] != c[1]));
    // Dense sampling counts the same number of cell changes.
    let n = 100_000;
    let mut changes = 0;
    let mut prev = g.cell_containing(at(0.0), 0.0);
    for k in 1..=n {
        let c = g.cell_containing(at(k as f64 / n as f64), 0.0);
        if c != prev {
            changes += 1;
        }
        prev = c;
    }
    assert_eq!(changes, s.len() - 2);
    // Each x crossing lands on its line.
    for k in 1..=9 {
        let x = k as f64 / 10.0;
        let t = (x - a[0]) / (b[0] - a[0]);
        assert!(s.iter().any(|v| (v - t).abs() < 1e-12), "line x = {x}");
    }
}

#[test]
fn segment_breakpoints_special_cases() {
    let g = unit_grid(4, 4);
    // Through cell corners: the u and v crossings coincide and are merged.
    let s = segment_breakpoints(&g, [0.0, 0.0], [1.0, 1.0]);
    assert_eq!(s.len(), 5);
    for (v, e) in s.iter().zip([0.0, 0.25, 0.5, 0.75, 1.0]) {
        assert!((v - e).abs() < 1e-15);
    }
    // Ends on cell boundaries: no duplicate 0 or 1.
    let s = segment_breakpoints(&g, [0.25, 0.1], [0.75, 0.1]);
    assert_eq!(s.len(), 3);
    assert!((s[1] - 0.5).abs() < 1e-15);
    // Reversed direction gives the mirrored parameters.
    let r = segment_breakpoints(&g, [0.75, 0.1], [0.25, 0.1]);
    assert!((r[1] - 0.5).abs() < 1e-15);
    // Along a cell boundary: crossings only along the segment; the pieces' midpoints follow
    // the smaller-index rule.
    let s = segment_breakpoints(&g, [0.5, 0.0], [0.5, 1.0]);
    assert_eq!(s.len(), 5);
    let mid = [0.5, 0.5 * (s[0] + s[1])];
    assert_eq!(g.cell_containing(mid, 0.0), Some((1, 0)));
    // Within one cell, a point, non-finite input, invalid grid.
    assert_eq!(
        segment_breakpoints(&g, [0.1, 0.1], [0.2, 0.15]),
        vec![0.0, 1.0]
    );
    assert_eq!(
        segment_breakpoints(&g, [0.3, 0.3], [0.3, 0.3]),
        vec![0.0, 1.0]
    );
    assert_eq!(
        segment_breakpoints(&g, [f64::NAN, 0.3], [0.3, 0.3]),
        vec![0.0, 1.0]
    );
    let bad = Grid {
        length: [1.0, f64::INFINITY],
        cells: [4, 4],
    };
    assert_eq!(
        segment_breakpoints(&bad, [0.0, 0.0], [1.0, 1.0]),
        vec![0.0, 1.0]
    );
    // Decimal ends one ulp off the float edges do not make near-zero pieces.
    let g3 = Grid {
        length: [0.3, 0.3],
        cells: [3, 3],
    };
    let s = segment_breakpoints(&g3, [0.1, 0.05], [0.2, 0.05]);
    assert_eq!(s, vec![0.0, 1.0]);
}

#[test]
fn polygon_area_and_centroid() {
    let square = [[0.0, 0.0], [2.0, 0.0], [2.0, 1.0], [0.0, 1.0]];
    let (a, c) = polygon_area_centroid(&square);
    assert_eq!(a, 2.0);
    assert_eq!(c, [1.0, 0.5]);
    // Clockwise gives the same.
    let mut cw = square;
    cw.reverse();
    assert_eq!(polygon_area_centroid(&cw), (2.0, [1.0, 0.5]));
    // Triangle: centroid is the vertex mean.
    let tri = [[0.0, 0.0], [3.0, 0.0], [0.0, 6.0]];
    let (a, c) = polygon_area_centroid(&tri);
    assert!((a - 9.0).abs() < 1e-15);
    assert!((c[0] - 1.0).abs() < 1e-15 && (c[1] - 2.0).abs() < 1e-15);
    // L shape (non-convex): a 2x2 square minus its upper-right 1x1 quarter. Area 3; centroid
    // (4 * (1, 1) - 1 * (1.5, 1.5)) / 3 = (5/6, 5/6).
    let l = [
        [0.0, 0.0],
        [2.0, 0.0],
        [2.0, 1.0],
        [1.0, 1.0],
        [1.0, 2.0],
        [0.0, 2.0],
    ];
    let (a, c) = polygon_area_centroid(&l);
    assert!((a - 3.0).abs() < 1e-15);
    assert!((c[0] - 5.0 / 6.0).abs() < 1e-15 && (c[1] - 5.0 / 6.0).abs() < 1e-15);
    // A tiny square far from the origin keeps its relative accuracy.
    let (x, y, d) = (1234.5678, 987.654321, 1e-6);
    let tiny = [[x, y], [x + d, y], [x + d, y + d], [x, y + d]];
    let (a, c) = polygon_area_centroid(&tiny);
    let (dx, dy) = ((x + d) - x, (y + d) - y); // the sides as actually represented
    assert_rel(a, dx * dy, 1e-12, "tiny square");
    assert!((c[0] - (x + 0.5 * dx)).abs() < 1e-12);
    // Degenerate input.
    assert_eq!(polygon_area_centroid(&[]), (0.0, [0.0, 0.0]));
    assert_eq!(polygon_area_centroid(&[[1.0, 2.0]]), (0.0, [1.0, 2.0]));
    let (a, c) = polygon_area_centroid(&[[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]);
    assert_eq!(a, 0.0);
    assert!((c[0] - 1.0).abs() < 1e-15 && (c[1] - 1.0).abs() < 1e-15);
}

#[test]
fn clipping_to_rect() {
    let r = Rect {
        min: [0.0, 0.0],
        max: [1.0, 1.0],
    };
    // A triangle with its apex cut off by y <= 1: a trapezoid of area 2 - 0.5 = 1.5 ... clipped
    // by x within [0, 1] as well: the triangle (0,0), (2,0), (0,2) in the unit square is the
    // square minus the corner triangle above x + y = 2, which it does not reach: area 1.
    let tri = [[0.0, 0.0], [2.0, 0.0], [0.0, 2.0]];
    let p = clip_polygon_to_rect(&tri, &r);
    let (a, c) = polygon_area_centroid(&p);
    assert!((a - 1.0).abs() < 1e-15);
    assert!((c[0] - 0.5).abs() < 1e-15 && (c[1] - 0.5).abs() < 1e-15);
    // Triangle (0,0), (1,0), (0,1) clipped to [0.5, 1] x [0, 1]: the small triangle
    // (0.5,0), (1,0), (0.5,0.5) of area 1/8 and centroid (2/3, 1/6).
    let tri = [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]];
    let half = Rect {
        min: [0.5, 0.0],
        max: [1.0, 1.0],
    };
    let p = clip_polygon_to_rect(&tri, &half);
    assert_eq!(p.len(), 3);
    let (a, c) = polygon_area_centroid(&p);
    assert!((a - 0.125).abs() < 1e-15);
    assert!((c[0] - 2.0 / 3.0).abs() < 1e-15 && (c[1] - 1.0 / 6.0).abs() < 1e-15);
    // Vertices on the cut are exact.
    assert!(p.iter().all(|v| v[0] >= 0.5));
    // Fully inside: unchanged. Fully outside or touching: empty.
    let inside = [[0.2, 0.2], [0.4, 0.2], [0.3, 0.5]];
    assert_eq!(clip_polygon_to_rect(&inside, &r), inside.to_vec());
    let outside = [[2.0, 2.0], [3.0, 2.0], [2.5, 3.0]];
    assert!(clip_polygon_to_rect(&outside, &r).is_empty());
    let touching = [[1.0, 0.2], [2.0, 0.2], [2.0, 0.8]];
    assert!(clip_polygon_to_rect(&touching, &r).is_empty());
    assert!(clip_polygon_to_rect(&[], &r).is_empty());
    let empty = Rect {
        min: [1.0, 0.0],
        max: [0.0, 1.0],
    };
    assert!(clip_polygon_to_rect(&inside, &empty).is_empty());
}
