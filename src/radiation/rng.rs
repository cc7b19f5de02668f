//! The counter-based ray generator shared by the CPU tracer and shaders/trace.wgsl.
//!
//! Pure u32 arithmetic (WGSL has no u64). Every uniform is a 24-bit integer times 2^-24, exactly
//! representable in f32 and f64, so both backends start every ray from identical numbers; the
//! only differences come later, from f32 against f64 trigonometry and intersection arithmetic.
//!
//! - `hash(x)`: the "lowbias32" integer mixer (Chris Wellons' hash prospector):
//!   `x ^= x >> 16; x *= 0x7feb352d; x ^= x >> 15; x *= 0x846ca68b; x ^= x >> 16` (wrapping).
//! - Keys: `side_key = hash(hash(seed + 0x9e3779b9) ^ (2 * panel + side))` (side 0 = front,
//!   1 = back), `cell_key = hash(side_key ^ cell)` with `cell = i + nu * j` the cell's index
//!   inside its panel, `ray_key = hash(cell_key ^ k)` for ray `k`.
//! - Uniform number `d` of a ray: `(hash(ray_key ^ ((d + 1) * 0x9e3779b9)) >> 8) * 2^-24`.
//! - Stratification of `R` rays: `m = floor(sqrt(R))`. Ray `k < m^2` takes the direction
//!   stratum `(a, b) = (k mod m, k div m)` and the start-point stratum
//!   `((b + c1) mod m, (a + b + c2) mod m)`, a bijection of the m x m strata shifted per cell by
//!   `c1 = hash(cell_key ^ 0x68e31da4) mod m`, `c2 = hash(cell_key ^ 0xb5297a4d) mod m` (so that
//!   the point and the direction of a ray are independent over cells). Inside a stratum the
//!   position is jittered: direction `((a + u0) / m, (b + u1) / m)`, point `((a' + u2) / m,
//!   (b' + u3) / m)`. Rays `k >= m^2` are unstratified: `(u0, u1)` and `(u2, u3)`.
//! - Cosine-weighted direction (Malley): `r = sqrt(x0)`, `phi = 2 pi x1`, local
//!   `(r cos phi, r sin phi, sqrt(1 - x0))` on the frame (u, v, side normal).
//! - Start point: `origin + (i + p0) du u_dir + (j + p1) dv v_dir`, on the panel itself; the
//!   emitting panel is excluded from the hit test (a flat panel cannot see itself).
//! - Shadow and Earth samples (`shadow_sample`): `S = s^2` samples with `s = min(m, 8)`; sample
//!   `k` uses stratum `(k mod s, k div s)` of the cell for the point (numbers 4, 5) and the
//!   shifted stratum, as above with `c1, c2 mod s`, for the direction inside the Earth's cone
//!   (numbers 6, 7).

/// The lowbias32 mixer.
#[inline]
pub fn hash(x: u32) -> u32 {
    let mut x = x;
    x ^= x >> 16;
    x = x.wrapping_mul(0x7feb_352d);
    x ^= x >> 15;
    x = x.wrapping_mul(0x846c_a68b);
    x ^= x >> 16;
    x
}

pub const GOLDEN: u32 = 0x9e37_79b9;
const SHIFT_A: u32 = 0x68e3_1da4;
const SHIFT_B: u32 = 0xb529_7a4d;

/// Key of one panel side.
#[inline]
pub fn side_key(seed: u32, panel: u32, side: u32) -> u32 {
    hash(hash(seed.wrapping_add(GOLDEN)) ^ (2 * panel + side))
}

/// Key of one cell of a side.
#[inline]
pub fn cell_key(side_key: u32, cell: u32) -> u32 {
    hash(side_key ^ cell)
}

/// Key of one ray (or shadow sample) of a cell.
#[inline]
pub fn ray_key(cell_key: u32, k: u32) -> u32 {
    hash(cell_key ^ k)
}

/// The 24-bit integer behind uniform number `d` of a ray.
#[inline]
pub fn uniform_bits(ray_key: u32, d: u32) -> u32 {
    hash(ray_key ^ (d + 1).wrapping_mul(GOLDEN)) >> 8
}

/// Uniform number `d` of a ray, in [0, 1), a multiple of 2^-24.
#[inline]
pub fn uniform(ray_key: u32, d: u32) -> f64 {
    f64::from(uniform_bits(ray_key, d)) * (1.0 / 16_777_216.0)
}

/// floor(sqrt(n)) in integers.
pub fn isqrt(n: u32) -> u32 {
    let mut m = f64::from(n).sqrt() as u32;
    while u64::from(m) * u64::from(m) > u64::from(n) {
        m -= 1;
    }
    while u64::from(m + 1) * u64::from(m + 1) <= u64::from(n) {
        m += 1;
    }
    m
}

/// The per-cell shifts (c1, c2) of the second stratification, modulo `m`.
#[inline]
pub fn shifts(cell_key: u32, m: u32) -> (u32, u32) {
    (hash(cell_key ^ SHIFT_A) % m, hash(cell_key ^ SHIFT_B) % m)
}

/// The four numbers of hemisphere ray `k` of `rays` (`m = isqrt(rays)`): the direction pair
/// `(x0, x1)` and the point pair `(p0, p1)` in the cell, each in [0, 1).
#[inline]
pub fn hemisphere_sample(cell_key: u32, k: u32, m: u32) -> ([f64; 2], [f64; 2]) {
    let key = ray_key(cell_key, k);
    let u = [
        uniform(key, 0),
        uniform(key, 1),
        uniform(key, 2),
        uniform(key, 3),
    ];
    if k < m * m {
        let (a, b) = (k % m, k / m);
        let (c1, c2) = shifts(cell_key, m);
        let (pa, pb) = ((b + c1) % m, (a + b + c2) % m);
        let mf = f64::from(m);
        (
            [(f64::from(a) + u[0]) / mf, (f64::from(b) + u[1]) / mf],
            [(f64::from(pa) + u[2]) / mf, (f64::from(pb) + u[3]) / mf],
        )
    } else {
        ([u[0], u[1]], [u[2], u[3]])
    }
}

/// Shadow/Earth sample `k` of `s * s`: the point pair in the cell and the direction pair for the
/// Earth cone.
#[inline]
pub fn shadow_sample(cell_key: u32, k: u32, s: u32) -> ([f64; 2], [f64; 2]) {
    let key = ray_key(cell_key, k);
    let (a, b) = (k % s, k / s);
    let (c1, c2) = shifts(cell_key, s);
    let (da, db) = ((b + c1) % s, (a + b + c2) % s);
    let sf = f64::from(s);
    (
        [
            (f64::from(a) + uniform(key, 4)) / sf,
            (f64::from(b) + uniform(key, 5)) / sf,
        ],
        [
            (f64::from(da) + uniform(key, 6)) / sf,
            (f64::from(db) + uniform(key, 7)) / sf,
        ],
    )
}

/// Shadow samples per cell side for `rays` hemisphere rays: `s = min(isqrt(rays), 8)`, `s^2`.
pub fn shadow_grid(rays: u32) -> u32 {
    isqrt(rays).clamp(1, 8)
}

/// Cosine-weighted local direction (Malley) from two uniforms: (x, y, z) with z along the normal.
#[inline]
pub fn cosine_direction(x: [f64; 2]) -> [f64; 3] {
    let r = x[0].sqrt();
    let phi = std::f64::consts::TAU * x[1];
    [r * phi.cos(), r * phi.sin(), (1.0 - x[0]).max(0.0).sqrt()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_follows_the_lowbias32_recipe() {
        // The recipe of the module documentation, spelled out (wrapping u32 arithmetic).
        assert_eq!(hash(0), 0);
        let mut x: u32 = 1;
        x ^= x >> 16;
        x = x.wrapping_mul(0x7feb352d);
        x ^= x >> 15;
        x = x.wrapping_mul(0x846ca68b);
        x ^= x >> 16;
        assert_eq!(hash(1), x);
    }

    #[test]
    fn uniforms_are_exact_in_f32_and_in_range() {
        for k in 0..10_000u32 {
            let u = uniform(ray_key(12345, k), k % 8);
            assert!((0.0..1.0).contains(&u));
            assert_eq!(f64::from(u as f32), u);
        }
    }

    #[test]
    fn isqrt_is_floor_of_sqrt() {
        for n in [0u32, 1, 2, 3, 4, 15, 16, 17, 63, 64, 4095, 4096, u32::MAX] {
            let m = isqrt(n);
            assert!(u64::from(m) * u64::from(m) <= u64::from(n));
            assert!(u64::from(m + 1) * u64::from(m + 1) > u64::from(n));
        }
    }

    #[test]
    fn strata_cover_every_cell_of_the_grid_once() {
        let m = 8;
        let mut dirs = vec![0; 64];
        let mut points = vec![0; 64];
        for k in 0..64 {
            let (d, p) = hemisphere_sample(777, k, m);
            dirs[(d[0] * 8.0) as usize + 8 * (d[1] * 8.0) as usize] += 1;
            points[(p[0] * 8.0) as usize + 8 * (p[1] * 8.0) as usize] += 1;
        }
        assert!(dirs.iter().all(|&n| n == 1));
        assert!(points.iter().all(|&n| n == 1));
    }
}
