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
//!   stratum `(a, b) = (k mod m, k div m)` and the start-point stratum `(q mod m, q div m)` with
//!   `q = permute(k, m^2, hash(cell_key ^ 0x68e31da4))`: a pseudo-random permutation of the m^2
//!   strata, different in every cell, so that within a cell a ray's point is independent of its
//!   direction. (A fixed linear pairing, as before, tied the azimuth stratum to the position
//!   along u: on a panel of one or a few cells the view factors were off by 10 to 70 %, and more
//!   rays did not help.) Inside a stratum the position is jittered: direction
//!   `((a + u0) / m, (b + u1) / m)`, point `((a' + u2) / m, (b' + u3) / m)`. Rays `k >= m^2` are
//!   unstratified: `(u0, u1)` and `(u2, u3)`.
//! - `permute(i, l, p)`: Kensler's hashed permutation of `[0, l)` ("Correlated Multi-Jittered
//!   Sampling", Pixar technical memo 13-01, 2013): an invertible hash of the bits below the
//!   next power of two, repeated while the result is `>= l` (cycle walking), then rotated by `p`.
//! - Cosine-weighted direction (Malley): `r = sqrt(x0)`, `phi = 2 pi x1`, local
//!   `(r cos phi, r sin phi, sqrt(1 - x0))` on the frame (u, v, side normal).
//! - Start point: `origin + (i + p0) du u_dir + (j + p1) dv v_dir`, on the panel itself; the
//!   emitting panel is excluded from the hit test (a flat panel cannot see itself).
//! - Shadow and Earth samples (`shadow_sample`): `S = s^2` samples with `s = min(m, 8)`; sample
//!   `k` uses stratum `(k mod s, k div s)` of the cell for the point (numbers 4, 5) and the
//!   permuted stratum, as above with `permute(k, s^2, ...)`, for the direction inside the Earth's
//!   cone (numbers 6, 7).

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

/// The same constants as trace.wgsl's (build.rs checks them there).
pub const GOLDEN: u32 = crate::gpu::shaders::RAY_GOLDEN;
const PAIRING: u32 = crate::gpu::shaders::RAY_PAIRING;

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

/// Kensler's hashed permutation: `i` in `[0, l)` to its image under the permutation of
/// `[0, l)` chosen by `p` (see the module documentation). `l` must be at least 1.
#[inline]
pub fn permute(i: u32, l: u32, p: u32) -> u32 {
    let mut w = l.wrapping_sub(1);
    w |= w >> 1;
    w |= w >> 2;
    w |= w >> 4;
    w |= w >> 8;
    w |= w >> 16;
    let mut i = i;
    loop {
        i ^= p;
        i = i.wrapping_mul(0xe170_893d);
        i ^= p >> 16;
        i ^= (i & w) >> 4;
        i ^= p >> 8;
        i = i.wrapping_mul(0x0929_eb3f);
        i ^= p >> 23;
        i ^= (i & w) >> 1;
        i = i.wrapping_mul(1 | p >> 27);
        i = i.wrapping_mul(0x6935_fa69);
        i ^= (i & w) >> 11;
        i = i.wrapping_mul(0x74dc_b303);
        i ^= (i & w) >> 2;
        i = i.wrapping_mul(0x9e50_1cc3);
        i ^= (i & w) >> 2;
        i = i.wrapping_mul(0xc860_a3df);
        i &= w;
        i ^= i >> 5;
        if i < l {
            break;
        }
    }
    (i.wrapping_add(p)) % l
}

/// The stratum (column, row) of an `m x m` grid that sample `k` of a cell pairs with its first
/// stratum `(k mod m, k div m)`: a per-cell permutation of the strata.
#[inline]
pub fn paired_stratum(cell_key: u32, k: u32, m: u32) -> (u32, u32) {
    let q = permute(k, m * m, hash(cell_key ^ PAIRING));
    (q % m, q / m)
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
        let (pa, pb) = paired_stratum(cell_key, k, m);
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
    let (da, db) = paired_stratum(cell_key, k, s);
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
    fn permute_is_a_bijection_that_depends_on_its_key() {
        for l in [1u32, 2, 3, 7, 64, 100, 4096, 5000] {
            let mut seen = vec![false; l as usize];
            for i in 0..l {
                let q = permute(i, l, 0xdead_beef);
                assert!(q < l && !seen[q as usize], "l = {l}, i = {i}");
                seen[q as usize] = true;
            }
        }
        let first: Vec<u32> = (0..64).map(|i| permute(i, 64, 1)).collect();
        let other: Vec<u32> = (0..64).map(|i| permute(i, 64, 2)).collect();
        assert_ne!(first, other);
    }

    /// Within one cell, the point's stratum along u must not follow the direction's azimuth
    /// stratum (the old linear pairing made it a function of it): over the 64 x 64 strata,
    /// each (azimuth stratum, point column) pair is about equally frequent.
    #[test]
    fn a_rays_point_is_independent_of_its_direction_within_a_cell() {
        let m = 64u32;
        let mut counts = vec![0u32; (m * m) as usize];
        for k in 0..m * m {
            let (d, p) = hemisphere_sample(4242, k, m);
            let azimuth = (d[1] * f64::from(m)) as u32;
            let column = (p[0] * f64::from(m)) as u32;
            counts[(azimuth * m + column) as usize] += 1;
        }
        // Expected 1 per pair; a function of the azimuth would put 64 in one column per row.
        assert!(
            counts.iter().all(|&c| c <= 8),
            "max {:?}",
            counts.iter().max()
        );
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
