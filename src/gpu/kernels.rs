//! Typed constructors for every kernel: each checks its buffers on the host (a clear message
//! instead of a silently clamped access) and returns a prepared `Dispatch` to encode.
//! The CSR kernels (csr_matvec, cheb_correction), whose matrices may be split over several
//! bindings, are in csr.rs. The CPU twin of each kernel is in twins.rs.

use bytemuck::{Pod, Zeroable};

use super::context::{Dispatch, Encode, GpuContext};
use super::shaders::{Kernel, NO_SCALAR, REDUCE_CHUNK};
use crate::error::{Error, Result};

/// One structured panel as the stencil kernels see it (see `Panel` in common.wgsl): cells
/// `first .. first + nu * nv`, cell (i, j) at `first + i + nu * j`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PanelStencil {
    pub first: u32,
    pub nu: u32,
    pub nv: u32,
    /// Conductance between (i, j) and (i + 1, j), W/K.
    pub g_u: f32,
    /// Conductance between (i, j) and (i, j + 1), W/K.
    pub g_v: f32,
    /// Stefan-Boltzmann constant, W/(m^2 K^4).
    pub sigma: f32,
    /// Sink temperature to the fourth power, K^4.
    pub ts4: f32,
}

impl PanelStencil {
    pub fn cells(&self) -> u64 {
        u64::from(self.nu) * u64::from(self.nv)
    }

    /// One past the last cell.
    pub fn end(&self) -> u64 {
        u64::from(self.first) + self.cells()
    }
}

/// A coefficient `constant * s[num] / s[den]` read on the device (`None` stands for 1; a zero
/// denominator gives 0), s the scalar buffer that reductions write (each lane's own scalars,
/// see [`Lanes`]). With a `gate`, a lane whose `s[gate]` is 0 is left as it is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Coef {
    pub constant: f32,
    pub num: Option<u32>,
    pub den: Option<u32>,
    pub gate: Option<u32>,
}

impl Coef {
    pub fn constant(constant: f32) -> Coef {
        Coef {
            constant,
            num: None,
            den: None,
            gate: None,
        }
    }

    /// `constant * s[num] / s[den]`, e.g. CG's alpha = rz / pAp and beta = rz_new / rz_old.
    pub fn ratio(constant: f32, num: u32, den: u32) -> Coef {
        Coef {
            constant,
            num: Some(num),
            den: Some(den),
            gate: None,
        }
    }

    /// This coefficient, applied only to lanes whose scalar `gate` is not 0.
    pub fn gated(self, gate: u32) -> Coef {
        Coef {
            gate: Some(gate),
            ..self
        }
    }
}

/// Independent systems stacked in one set of buffers, so that one dispatch serves them all
/// (the points of a batched sweep): lane `p` holds items `p * stride ..` of every vector, of
/// which the first `len` are its own (the rest are zero padding), and scalars
/// `p * slots .. (p + 1) * slots`. A lone system is one lane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lanes {
    pub count: u32,
    pub stride: u64,
    pub len: u64,
    pub slots: u32,
}

impl Lanes {
    /// One system of `n` items.
    pub fn one(n: u64) -> Lanes {
        Lanes {
            count: 1,
            stride: n,
            len: n,
            slots: 0,
        }
    }

    /// Items the stacked vectors hold.
    pub fn items(&self) -> u64 {
        u64::from(self.count) * self.stride
    }
}

impl From<u64> for Lanes {
    fn from(n: u64) -> Lanes {
        Lanes::one(n)
    }
}

/// Where a Chebyshev step's `(c_prev, c_new)` pairs are: one per lane, lane `p`'s at
/// `buffer[first + p]`, lanes `stride` rows apart.
#[derive(Clone, Copy, Debug)]
pub struct ChebCoefs<'a> {
    pub buffer: &'a wgpu::Buffer,
    pub first: u32,
    pub stride: u64,
}

/// A two-pass reduction: partial sums per chunk, then one workgroup writes the scalar.
#[derive(Clone, Debug)]
pub struct Reduction {
    pub partial: Dispatch,
    pub last: Dispatch,
}

impl Encode for Reduction {
    fn encode(&self, pass: &mut wgpu::ComputePass<'_>) {
        self.partial.encode(pass);
        self.last.encode(pass);
    }
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
struct PanelUniform {
    first: u32,
    nu: u32,
    nv: u32,
    pad0: u32,
    g_u: f32,
    g_v: f32,
    sigma: f32,
    ts4: f32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
struct VecUniform {
    n: u32,
    num: u32,
    den: u32,
    coef: f32,
    stride: u32,
    slots: u32,
    gate: u32,
    pad0: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
struct ReduceUniform {
    n: u32,
    out_index: u32,
    stride: u32,
    lanes: u32,
    slots: u32,
    pad: [u32; 3],
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub struct ChebUniform {
    n_rows: u32,
    first_row: u32,
    stride: u32,
    coef_index: u32,
    long_first: u32,
    row_threads: u32,
    pad: [u32; 2],
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub struct CountUniform {
    pub n: u32,
    pub index: u32,
    pub pad0: u32,
    pub pad1: u32,
}

/// Number of partial results the first pass of a reduction over `n` items writes.
pub fn partial_count(n: u64) -> u64 {
    n.div_ceil(u64::from(REDUCE_CHUNK))
}

/// Partial results of a reduction over every lane (each lane at least one, as reduce.wgsl
/// numbers them).
pub fn lane_partial_count(lanes: Lanes) -> u64 {
    u64::from(lanes.count) * partial_count(lanes.len).max(1)
}

/// Length in f32 items of a buffer.
fn len_f32(buffer: &wgpu::Buffer) -> u64 {
    buffer.size() / 4
}

pub fn need(what: &str, buffer: &wgpu::Buffer, items: u64) -> Result<()> {
    if len_f32(buffer) < items {
        return Err(Error::Solver(format!(
            "{what}: buffer holds {} items, {items} needed",
            len_f32(buffer)
        )));
    }
    Ok(())
}

pub fn count_u32(what: &str, n: u64) -> Result<u32> {
    u32::try_from(n).map_err(|_| Error::Solver(format!("{what}: {n} items exceed u32 indexing")))
}

impl GpuContext {
    /// A zeroed buffer for `slots` device scalars (reduction results, coefficients).
    pub fn scalars(&self, slots: u32) -> Result<wgpu::Buffer> {
        self.zeroed("scalars", u64::from(slots.max(1)) * 4)
    }

    /// A buffer for the partial results of reductions over up to `n` items.
    pub fn partials(&self, n: u64) -> Result<wgpu::Buffer> {
        self.lane_partials(Lanes::one(n))
    }

    /// A buffer for the partial results of reductions over `lanes`.
    pub fn lane_partials(&self, lanes: Lanes) -> Result<wgpu::Buffer> {
        self.zeroed("partials", lane_partial_count(lanes).max(1) * 4)
    }

    /// Chebyshev coefficient pairs `(c_prev, c_new)`, one per lane and step (`ChebCoefs`).
    pub fn cheb_coefficients(&self, pairs: &[[f32; 2]]) -> Result<wgpu::Buffer> {
        let flat: Vec<f32> = pairs.iter().flatten().copied().collect();
        if flat.is_empty() {
            return self.zeroed("chebyshev coefficients", 8);
        }
        self.upload("chebyshev coefficients", &flat)
    }

    /// r = heat balance of one panel (residual.wgsl).
    pub fn residual(
        &self,
        panel: &PanelStencil,
        t: &wgpu::Buffer,
        q: &wgpu::Buffer,
        a: &wgpu::Buffer,
        e: &wgpu::Buffer,
        r: &wgpu::Buffer,
    ) -> Result<Dispatch> {
        for (name, buffer) in [("t", t), ("q", q), ("a", a), ("e", e), ("r", r)] {
            need(&format!("residual: {name}"), buffer, panel.end())?;
        }
        let params = self.uniform("panel", &panel_uniform(panel))?;
        let groups = self.groups_per_item(panel.cells())?;
        self.dispatch(
            Kernel::Residual,
            &[(0, &params), (1, t), (2, q), (3, a), (4, e), (5, r)],
            groups,
        )
    }

    /// y = (K + D) x on one panel (stencil_matvec.wgsl).
    pub fn stencil_matvec(
        &self,
        panel: &PanelStencil,
        x: &wgpu::Buffer,
        d: &wgpu::Buffer,
        y: &wgpu::Buffer,
    ) -> Result<Dispatch> {
        for (name, buffer) in [("x", x), ("d", d), ("y", y)] {
            need(&format!("stencil_matvec: {name}"), buffer, panel.end())?;
        }
        let params = self.uniform("panel", &panel_uniform(panel))?;
        let groups = self.groups_per_item(panel.cells())?;
        self.dispatch(
            Kernel::StencilMatvec,
            &[(0, &params), (1, x), (2, d), (3, y)],
            groups,
        )
    }

    /// The first Chebyshev step from x = 0: d = c_new * inv_diag * b, x = d (chebyshev.wgsl),
    /// over n rows, each lane with its own c_new.
    pub fn cheb_start(
        &self,
        n: u64,
        coefs: ChebCoefs<'_>,
        [inv_diag, b, x, d]: [&wgpu::Buffer; 4],
    ) -> Result<Dispatch> {
        for (name, buffer) in [("inv_diag", inv_diag), ("b", b), ("x", x), ("d", d)] {
            need(&format!("cheb_start: {name}"), buffer, n)?;
        }
        need_coefficients("cheb_start", coefs, n)?;
        // The pipeline's layout is derived from cheb_start, which uses no matrix: bind only
        // what it reads and writes.
        let params = self.uniform("chebyshev", &cheb_uniform((0, n), coefs, (0, 0))?)?;
        let groups = self.groups_per_item(n)?;
        self.dispatch(
            Kernel::ChebStart,
            &[
                (0, &params),
                (4, inv_diag),
                (5, b),
                (6, x),
                (7, d),
                (8, coefs.buffer),
            ],
            groups,
        )
    }

    /// y = y + a x over `items` (a count: one lane; or [`Lanes`], each lane with its own
    /// coefficient) (vector.wgsl).
    pub fn axpy(
        &self,
        items: impl Into<Lanes>,
        a: Coef,
        x: &wgpu::Buffer,
        y: &wgpu::Buffer,
        scalars: &wgpu::Buffer,
    ) -> Result<Dispatch> {
        self.scaled(Kernel::Axpy, items.into(), a, x, y, scalars)
    }

    /// y = x + a y over `items`, as [`GpuContext::axpy`] (vector.wgsl).
    pub fn xpay(
        &self,
        items: impl Into<Lanes>,
        a: Coef,
        x: &wgpu::Buffer,
        y: &wgpu::Buffer,
        scalars: &wgpu::Buffer,
    ) -> Result<Dispatch> {
        self.scaled(Kernel::Xpay, items.into(), a, x, y, scalars)
    }

    /// y = w * x, item by item, over n items (vector.wgsl).
    pub fn mul(
        &self,
        n: u64,
        x: &wgpu::Buffer,
        w: &wgpu::Buffer,
        y: &wgpu::Buffer,
    ) -> Result<Dispatch> {
        for (name, buffer) in [("x", x), ("w", w), ("y", y)] {
            need(&format!("mul: {name}"), buffer, n)?;
        }
        let params = self.uniform("vec", &vec_uniform(Lanes::one(n), Coef::constant(1.0))?)?;
        let groups = self.groups_per_item(n)?;
        self.dispatch(Kernel::Mul, &[(0, &params), (1, x), (2, w), (3, y)], groups)
    }

    /// y = x over n items (vector.wgsl).
    pub fn copy(&self, n: u64, x: &wgpu::Buffer, y: &wgpu::Buffer) -> Result<Dispatch> {
        self.plain_copy(Kernel::VecCopy, n, x, y)
    }

    /// dst = src over n items with the bandwidth baseline kernel (copy.wgsl).
    pub fn copy_bandwidth(
        &self,
        n: u64,
        src: &wgpu::Buffer,
        dst: &wgpu::Buffer,
    ) -> Result<Dispatch> {
        self.plain_copy(Kernel::CopyBandwidth, n, src, dst)
    }

    /// s[out] = x . y over `items`, deterministic; over [`Lanes`], every lane's own x . y into
    /// its own scalar `out` (reduce.wgsl).
    pub fn dot(
        &self,
        items: impl Into<Lanes>,
        x: &wgpu::Buffer,
        y: &wgpu::Buffer,
        partials: &wgpu::Buffer,
        scalars: &wgpu::Buffer,
        out: u32,
    ) -> Result<Reduction> {
        let lanes = items.into();
        need("dot: y", y, lanes.items())?;
        self.reduction(
            [Kernel::DotPartial, Kernel::SumFinal],
            lanes,
            x,
            Some(y),
            partials,
            scalars,
            out,
        )
    }

    /// s[out] = max |x_i| over n items (reduce.wgsl).
    pub fn max_abs(
        &self,
        n: u64,
        x: &wgpu::Buffer,
        partials: &wgpu::Buffer,
        scalars: &wgpu::Buffer,
        out: u32,
    ) -> Result<Reduction> {
        self.reduction(
            [Kernel::MaxAbsPartial, Kernel::MaxFinal],
            Lanes::one(n),
            x,
            None,
            partials,
            scalars,
            out,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn reduction(
        &self,
        [first, second]: [Kernel; 2],
        lanes: Lanes,
        x: &wgpu::Buffer,
        y: Option<&wgpu::Buffer>,
        partials: &wgpu::Buffer,
        scalars: &wgpu::Buffer,
        out: u32,
    ) -> Result<Reduction> {
        let what = first.entry();
        if lanes.len > lanes.stride || lanes.count == 0 {
            return Err(Error::Solver(format!(
                "{what}: {} lanes of {} items {} apart",
                lanes.count, lanes.len, lanes.stride
            )));
        }
        need(&format!("{what}: x"), x, lanes.items())?;
        let chunks = lane_partial_count(lanes);
        need(&format!("{what}: partials"), partials, chunks)?;
        let last_scalar = u64::from(lanes.count - 1) * u64::from(lanes.slots) + u64::from(out);
        need(&format!("{what}: scalars"), scalars, last_scalar + 1)?;
        let params = self.uniform(
            "reduce",
            &ReduceUniform {
                n: count_u32(what, lanes.len)?,
                out_index: out,
                stride: count_u32(what, lanes.stride.max(1))?,
                lanes: lanes.count,
                slots: lanes.slots,
                pad: [0; 3],
            },
        )?;
        let mut bindings = vec![(0, &params), (1, x), (3, partials)];
        if let Some(y) = y {
            bindings.push((2, y));
        }
        let groups = self.groups_for(chunks, 1)?;
        let partial = self.dispatch(first, &bindings, groups)?;
        let last = self.dispatch(
            second,
            &[(0, &params), (3, partials), (4, scalars)],
            self.groups_for(u64::from(lanes.count), 1)?,
        )?;
        Ok(Reduction { partial, last })
    }

    fn scaled(
        &self,
        kernel: Kernel,
        lanes: Lanes,
        a: Coef,
        x: &wgpu::Buffer,
        y: &wgpu::Buffer,
        scalars: &wgpu::Buffer,
    ) -> Result<Dispatch> {
        let what = kernel.entry();
        let n = lanes.items();
        need(&format!("{what}: x"), x, n)?;
        need(&format!("{what}: y"), y, n)?;
        let last_lane = u64::from(lanes.count.max(1) - 1) * u64::from(lanes.slots);
        for index in [a.num, a.den, a.gate].into_iter().flatten() {
            need(
                &format!("{what}: scalars"),
                scalars,
                last_lane + u64::from(index) + 1,
            )?;
        }
        let params = self.uniform("vec", &vec_uniform(lanes, a)?)?;
        let groups = self.groups_per_item(n)?;
        self.dispatch(
            kernel,
            &[(0, &params), (1, x), (3, y), (4, scalars)],
            groups,
        )
    }

    fn plain_copy(
        &self,
        kernel: Kernel,
        n: u64,
        x: &wgpu::Buffer,
        y: &wgpu::Buffer,
    ) -> Result<Dispatch> {
        let what = kernel.entry();
        need(&format!("{what}: source"), x, n)?;
        need(&format!("{what}: destination"), y, n)?;
        let params = self.uniform("vec", &vec_uniform(Lanes::one(n), Coef::constant(1.0))?)?;
        let groups = self.groups_per_item(n)?;
        let bindings = match kernel {
            Kernel::CopyBandwidth => [(0, &params), (1, x), (2, y)],
            _ => [(0, &params), (1, x), (3, y)],
        };
        self.dispatch(kernel, &bindings, groups)
    }
}

fn panel_uniform(p: &PanelStencil) -> PanelUniform {
    PanelUniform {
        first: p.first,
        nu: p.nu,
        nv: p.nv,
        pad0: 0,
        g_u: p.g_u,
        g_v: p.g_v,
        sigma: p.sigma,
        ts4: p.ts4,
    }
}

/// Chebyshev parameters over `n` rows starting at row `first_row`.
/// ChebParams of `n` rows from `first_row`; for a list of long rows, where it starts in the row
/// pointer array and the invocations that sum each row (`(long_first, row_threads)`).
pub fn cheb_uniform(
    (first_row, n): (u32, u64),
    coefs: ChebCoefs<'_>,
    (long_first, row_threads): (u32, u32),
) -> Result<ChebUniform> {
    Ok(ChebUniform {
        n_rows: count_u32("chebyshev", n)?,
        first_row,
        stride: count_u32("chebyshev lanes", coefs.stride.max(1))?,
        coef_index: coefs.first,
        long_first,
        row_threads,
        pad: [0; 2],
    })
}

/// Checks that `coefs` holds a pair for every lane of `rows` rows.
pub fn need_coefficients(what: &str, coefs: ChebCoefs<'_>, rows: u64) -> Result<()> {
    let lanes = rows.div_ceil(coefs.stride.max(1));
    need(
        &format!("{what}: coefficients"),
        coefs.buffer,
        2 * (u64::from(coefs.first) + lanes),
    )
}

fn vec_uniform(lanes: Lanes, a: Coef) -> Result<VecUniform> {
    Ok(VecUniform {
        n: count_u32("vector", lanes.items())?,
        num: a.num.unwrap_or(NO_SCALAR),
        den: a.den.unwrap_or(NO_SCALAR),
        coef: a.constant,
        stride: count_u32("vector lanes", lanes.stride.max(1))?,
        slots: lanes.slots,
        gate: a.gate.unwrap_or(NO_SCALAR),
        pad0: 0,
    })
}
