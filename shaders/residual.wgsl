// residual.wgsl: the heat balance of one structured panel, one dispatch per panel.
// r_c = q_c + a_c - sigma e_c (T_c^4 - ts4) + sum over the 5-point neighbours of G (T_nb - T_c),
// with q the dissipated power, a the absorbed power (W), e the emissivity times area (m^2).
// T^4 is (t * t) * (t * t), never pow.

@group(0) @binding(0) var<uniform> panel: Panel;
@group(0) @binding(1) var<storage, read> t: array<f32>;
@group(0) @binding(2) var<storage, read> q: array<f32>;
@group(0) @binding(3) var<storage, read> a: array<f32>;
@group(0) @binding(4) var<storage, read> e: array<f32>;
@group(0) @binding(5) var<storage, read_write> r: array<f32>;

@compute @workgroup_size(WG)
fn residual(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let k = linear_index(wid, nwg, lid);
    if k >= panel.nu * panel.nv {
        return;
    }
    let i = k % panel.nu;
    let j = k / panel.nu;
    let c = panel.first + k;
    let tc = t[c];
    // A missing neighbour reads the cell itself: its term is exactly zero, without a branch.
    let west = select(c, c - 1u, i > 0u);
    let east = select(c, c + 1u, i + 1u < panel.nu);
    let south = select(c, c - panel.nu, j > 0u);
    let north = select(c, c + panel.nu, j + 1u < panel.nv);
    let conducted = panel.g_u * ((t[west] - tc) + (t[east] - tc))
        + panel.g_v * ((t[south] - tc) + (t[north] - tc));
    let t2 = tc * tc;
    let emitted = panel.sigma * e[c] * (t2 * t2 - panel.ts4);
    r[c] = conducted + q[c] + a[c] - emitted;
}
