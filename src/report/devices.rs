//! `skysink devices`: the ranked adapter list as a table and as JSON.

use std::fmt::Write;

use crate::gpu::AdapterSummary;

fn mib(bytes: u64) -> String {
    format!("{} MiB", bytes / (1024 * 1024))
}

/// `auto_pick` is the index of the adapter `--backend auto` takes (the best one not of CPU
/// type); `--backend gpu` takes the first.
pub fn devices_table(list: &[AdapterSummary], auto_pick: Option<usize>) -> String {
    let mut out = String::new();
    if list.is_empty() {
        let _ = writeln!(
            out,
            "no GPU adapter found: --backend gpu will fail, --backend auto uses the CPU backend\n\
             (install a GPU driver, or Mesa's lavapipe, Debian package mesa-vulkan-drivers, for a software adapter)"
        );
        return out;
    }
    let _ = writeln!(
        out,
        "  # {:<36} {:<7} {:<11} {:<4} {:>13} {:>12} {:>10} {:>8} {:>10}",
        "adapter",
        "backend",
        "type",
        "f64",
        "binding max",
        "buffer max",
        "groups/dim",
        "storage",
        "invocations"
    );
    for (rank, d) in list.iter().enumerate() {
        let _ = writeln!(
            out,
            "{:>3} {:<36} {:<7} {:<11} {:<4} {:>13} {:>12} {:>10} {:>8} {:>10}",
            rank + 1,
            d.name,
            d.backend,
            d.device_type,
            if d.f64 { "yes" } else { "no" },
            mib(d.max_storage_buffer_binding_size),
            mib(d.max_buffer_size),
            d.max_compute_workgroups_per_dimension,
            d.max_storage_buffers_per_shader_stage,
            d.max_compute_invocations_per_workgroup
        );
    }
    let _ = writeln!(out, "--backend gpu takes #1 \"{}\"", list[0].name);
    match auto_pick {
        Some(i) => {
            let _ = writeln!(out, "--backend auto takes #{} \"{}\"", i + 1, list[i].name);
        }
        None => {
            let _ = writeln!(
                out,
                "--backend auto takes the CPU backend (every adapter here is a software one)"
            );
        }
    }
    out
}

pub fn devices_json(list: &[AdapterSummary], auto_pick: Option<usize>) -> String {
    let document = serde_json::json!({
        "adapters": list,
        "gpu": list.first().map(|d| d.name.clone()),
        "auto": auto_pick.map_or_else(|| "cpu".to_string(), |i| list[i].name.clone()),
    });
    serde_json::to_string_pretty(&document).unwrap_or_default()
}
