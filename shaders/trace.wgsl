// trace.wgsl: the hemisphere trace of the radiation engine (src/radiation). One thread per ray:
// ray k of cell `cell` of one side of one panel, generated exactly as src/radiation/rng.rs
// documents (the CPU twin is src/radiation/trace.rs `trace_one`), traced against every other
// panel (brute force), written as a target code: a patch id, SPACE or EARTH.

const SPACE: u32 = 0xffffffffu;
const EARTH: u32 = 0xfffffffeu;
const GOLDEN: u32 = 0x9e3779b9u;
const PAIRING: u32 = 0x68e31da4u;
const TAU: f32 = 6.283185307179586;

struct TraceParams {
    // xyz: unit nadir; w: cosine of the Earth disc's angular radius.
    nadir: vec4<f32>,
    n_panels: u32,
    panel: u32,
    side: u32,
    side_key: u32,
    // First cell (index inside the panel) and number of cells of this batch.
    first_cell: u32,
    cells: u32,
    rays: u32,
    m: u32,
    has_earth: u32,
    t_min: f32,
    pad0: u32,
    pad1: u32,
}

// One panel: origin, unit u (w: length along u), unit v (w: length along v), unit normal;
// dims = (cells along u, cells along v, patches along u, patches along v);
// base = (first patch of the front, first patch of the back, 0, 0).
struct TracePanel {
    origin: vec4<f32>,
    u: vec4<f32>,
    v: vec4<f32>,
    n: vec4<f32>,
    dims: vec4<u32>,
    base: vec4<u32>,
}

@group(0) @binding(0) var<uniform> tp: TraceParams;
@group(0) @binding(1) var<storage, read> panels: array<TracePanel>;
@group(0) @binding(2) var<storage, read_write> codes: array<u32>;

fn lowbias32(x0: u32) -> u32 {
    var x = x0;
    x ^= x >> 16u;
    x *= 0x7feb352du;
    x ^= x >> 15u;
    x *= 0x846ca68bu;
    x ^= x >> 16u;
    return x;
}

// Kensler's hashed permutation of [0, l) chosen by p (src/radiation/rng.rs `permute`).
fn permute(i0: u32, l: u32, p: u32) -> u32 {
    var w = l - 1u;
    w |= w >> 1u;
    w |= w >> 2u;
    w |= w >> 4u;
    w |= w >> 8u;
    w |= w >> 16u;
    var i = i0;
    loop {
        i ^= p;
        i *= 0xe170893du;
        i ^= p >> 16u;
        i ^= (i & w) >> 4u;
        i ^= p >> 8u;
        i *= 0x0929eb3fu;
        i ^= p >> 23u;
        i ^= (i & w) >> 1u;
        i *= 1u | (p >> 27u);
        i *= 0x6935fa69u;
        i ^= (i & w) >> 11u;
        i *= 0x74dcb303u;
        i ^= (i & w) >> 2u;
        i *= 0x9e501cc3u;
        i ^= (i & w) >> 2u;
        i *= 0xc860a3dfu;
        i &= w;
        i ^= i >> 5u;
        if i < l {
            break;
        }
    }
    return (i + p) % l;
}

fn uniform_number(key: u32, d: u32) -> f32 {
    return f32(lowbias32(key ^ ((d + 1u) * GOLDEN)) >> 8u) * (1.0 / 16777216.0);
}

@compute @workgroup_size(WG)
fn trace_rays(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let id = linear_index(wid, nwg, lid);
    if id >= tp.cells * tp.rays {
        return;
    }
    let cell = tp.first_cell + id / tp.rays;
    let k = id % tp.rays;
    let src = panels[tp.panel];
    let nu = src.dims.x;
    let i = cell % nu;
    let j = cell / nu;

    let cell_key = lowbias32(tp.side_key ^ cell);
    let ray_key = lowbias32(cell_key ^ k);
    let u0 = uniform_number(ray_key, 0u);
    let u1 = uniform_number(ray_key, 1u);
    let u2 = uniform_number(ray_key, 2u);
    let u3 = uniform_number(ray_key, 3u);
    var x = vec2<f32>(u0, u1);
    var p = vec2<f32>(u2, u3);
    let m = tp.m;
    if k < m * m {
        let a = k % m;
        let b = k / m;
        let q = permute(k, m * m, lowbias32(cell_key ^ PAIRING));
        let pa = q % m;
        let pb = q / m;
        let mf = f32(m);
        x = vec2<f32>((f32(a) + u0) / mf, (f32(b) + u1) / mf);
        p = vec2<f32>((f32(pa) + u2) / mf, (f32(pb) + u3) / mf);
    }

    let r = sqrt(x.x);
    let phi = TAU * x.y;
    let lz = sqrt(max(0.0, 1.0 - x.x));
    var ns = src.n.xyz;
    if tp.side == 1u {
        ns = -ns;
    }
    let dir = (r * cos(phi)) * src.u.xyz + (r * sin(phi)) * src.v.xyz + lz * ns;
    let du = src.u.w / f32(nu);
    let dv = src.v.w / f32(src.dims.y);
    let o = src.origin.xyz + ((f32(i) + p.x) * du) * src.u.xyz + ((f32(j) + p.y) * dv) * src.v.xyz;

    var best = 3.0e38;
    var hit_code = SPACE;
    for (var q = 0u; q < tp.n_panels; q++) {
        if q == tp.panel {
            continue;
        }
        let pq = panels[q];
        let denom = dot(pq.n.xyz, dir);
        if denom == 0.0 {
            continue;
        }
        let to = pq.origin.xyz - o;
        let t = dot(pq.n.xyz, to) / denom;
        if !(t > tp.t_min && t < best) {
            continue;
        }
        let rel = dir * t - to;
        let hx = dot(rel, pq.u.xyz);
        let hy = dot(rel, pq.v.xyz);
        if hx < 0.0 || hx > pq.u.w || hy < 0.0 || hy > pq.v.w {
            continue;
        }
        best = t;
        let hi = min(u32(hx / pq.u.w * f32(pq.dims.x)), pq.dims.x - 1u);
        let hj = min(u32(hy / pq.v.w * f32(pq.dims.y)), pq.dims.y - 1u);
        let pi = hi * pq.dims.z / pq.dims.x;
        let pj = hj * pq.dims.w / pq.dims.y;
        let base = select(pq.base.y, pq.base.x, denom < 0.0);
        hit_code = base + pi + pq.dims.z * pj;
    }
    if hit_code == SPACE && tp.has_earth == 1u && dot(dir, tp.nadir.xyz) > tp.nadir.w {
        hit_code = EARTH;
    }
    codes[id] = hit_code;
}
