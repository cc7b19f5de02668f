//! Every memory budget of a run in one place: what the machine has available, and how much the
//! mesh's solve, a transient's tables and a sweep's design need. Each check that refuses input
//! (exit 2) before allocating it takes its estimate from here; the check itself stays where its
//! message can name the key at fault. (The GPU's device memory is estimated by solve/gpu from
//! the hierarchy it uploads.)

/// MemAvailable from /proc/meminfo (Linux); None where it cannot be read.
pub fn available_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// [`available_bytes`] as a float, infinite where unknown (for checks that compare estimates
/// which may themselves overflow an integer).
pub fn available_f64() -> f64 {
    available_bytes().map_or(f64::INFINITY, |b| b as f64)
}

/// A generous upper bound of the memory the CPU solve of `cells` cells needs, in bytes: model
/// arrays, the Jacobian, the multigrid hierarchy and the Krylov vectors.
pub fn solve_bytes(cells: usize, irregular_couplings: usize) -> u64 {
    const BYTES_PER_CELL: u64 = 640;
    const BYTES_PER_COUPLING: u64 = 160;
    (cells as u64)
        .saturating_mul(BYTES_PER_CELL)
        .saturating_add((irregular_couplings as u64).saturating_mul(BYTES_PER_COUPLING))
}

/// Irregular couplings budgeted per heat pipe and per link before the mesh exists.
pub const COUPLINGS_PER_HEAT_PIPE: usize = 4096;
pub const COUPLINGS_PER_LINK: usize = 1024;

/// What a transient's tables and time series hold, in counts.
pub struct TransientTables {
    /// States kept of the previous orbit (its steps; 0 for a duration run).
    pub ring_states: f64,
    /// Absorbed-load rows tabulated per orbit position (with `[radiation]`; else 0).
    pub load_rows: f64,
    pub positions: f64,
    pub steps: f64,
    pub nodes: usize,
    pub cells: usize,
    pub payloads: usize,
    pub panels: usize,
}

/// Bytes for a transient's tables: the previous orbit's states (f32 per node and step), the
/// absorbed loads per orbit position (f32 per cell), an exposure per position, and a time
/// series row per step.
pub fn transient_bytes(t: &TransientTables) -> f64 {
    // A series row: the time, each junction, each panel's mean and maximum, the eclipse flag,
    // and the row's own vector (~64 bytes with the allocator's).
    let row_bytes = 8.0 * (2 + t.payloads + 2 * t.panels) as f64 + 64.0;
    // Per orbit position also an exposure (~100 bytes).
    4.0 * (t.ring_states * t.nodes as f64 + t.load_rows * t.cells as f64)
        + 100.0 * t.positions
        + row_bytes * (t.steps + 1.0)
}

/// Bytes a sweep design of `points` points holds: each point's values (twice: the design and
/// its row) and its row (status, verdict, payload results, message), with the vectors' headers.
pub fn design_bytes(points: f64, parameters: usize, payloads: usize) -> f64 {
    let point_bytes = 2.0 * (24.0 + 8.0 * parameters as f64) + 24.0 * payloads as f64 + 200.0;
    points * point_bytes
}
