//! Three-vectors as `[f64; 3]`: the few operations the scenario checks, the mesh, the orbit and
//! the ray tracer share. Lengths go through `hypot`, so 1e200 and 1e-200 are lengths too: no
//! square overflows or underflows.

pub type Vec3 = [f64; 3];

#[inline]
pub fn dot(a: Vec3, b: Vec3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

#[inline]
pub fn cross(a: Vec3, b: Vec3) -> Vec3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// Euclidean length, without overflow or underflow in the squares.
#[inline]
pub fn norm(a: Vec3) -> f64 {
    a[0].hypot(a[1]).hypot(a[2])
}

/// `v` scaled to length 1; the zero vector stays zero.
#[inline]
pub fn unit(v: Vec3) -> Vec3 {
    let n = norm(v);
    if n > 0.0 { v.map(|x| x / n) } else { v }
}

/// The cosine of the angle between two non-zero vectors, from their unit vectors (a plain
/// `a.b / (|a||b|)` overflows at 1e200 and underflows at 1e-200).
#[inline]
pub fn cosine(a: Vec3, b: Vec3) -> f64 {
    dot(unit(a), unit(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_and_directions_at_any_scale() {
        for scale in [1e-200, 1.0, 1e200] {
            let v = [3.0 * scale, 0.0, 4.0 * scale];
            assert!((norm(v) / scale - 5.0).abs() < 1e-15);
            let u = unit(v);
            assert!((u[0] - 0.6).abs() < 1e-15 && u[1] == 0.0 && (u[2] - 0.8).abs() < 1e-15);
            assert!((cosine(v, [scale, 0.0, 0.0]) - 0.6).abs() < 1e-15);
        }
        assert_eq!(unit([0.0; 3]), [0.0; 3]);
        assert_eq!(cross([1.0, 0.0, 0.0], [0.0, 1.0, 0.0]), [0.0, 0.0, 1.0]);
        assert_eq!(dot([1.0, 2.0, 3.0], [4.0, 5.0, 6.0]), 32.0);
    }
}
