//! Finding and ranking adapters (SCENARIO.md section 8, "Adapters" and "First line").
//!
//! WGPU_BACKEND (read by wgpu when the instance is made) and WGPU_ADAPTER_NAME (a
//! case-insensitive substring of the adapter's name) narrow the list first. The rest is ranked
//! by device type (discrete, integrated, virtual, other, then CPU such as llvmpipe), then
//! Vulkan/Metal/DX12 before GL, then SHADER_F64 before none; ties keep wgpu's order. Adapters
//! that cannot run compute shaders (GL below ES 3.1) are left out: they could never run a solve.

use serde::Serialize;

use crate::error::{Error, Result};
use crate::solve::linalg::Precision;

/// Which adapter `--backend` asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Choice {
    /// `--backend gpu`: the best adapter of any type, software ones included.
    Gpu,
    /// `--backend auto`: the best adapter that is not of CPU type; none means the CPU backend.
    Auto,
}

/// What `skysink devices` prints about one adapter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AdapterSummary {
    pub name: String,
    /// "Vulkan", "Metal", "Dx12" or "Gl".
    pub backend: String,
    /// "discrete", "integrated", "virtual", "cpu" or "other".
    pub device_type: String,
    /// Whether the adapter has SHADER_F64.
    pub f64: bool,
    pub max_storage_buffer_binding_size: u64,
    pub max_buffer_size: u64,
    pub max_compute_workgroups_per_dimension: u32,
    pub max_storage_buffers_per_shader_stage: u32,
    pub max_compute_invocations_per_workgroup: u32,
}

impl AdapterSummary {
    pub fn from_adapter(adapter: &wgpu::Adapter) -> AdapterSummary {
        let info = adapter.get_info();
        let limits = adapter.limits();
        AdapterSummary {
            name: info.name,
            backend: backend_name(info.backend),
            device_type: device_type_name(info.device_type).to_string(),
            f64: adapter.features().contains(wgpu::Features::SHADER_F64),
            max_storage_buffer_binding_size: limits.max_storage_buffer_binding_size,
            max_buffer_size: limits.max_buffer_size,
            max_compute_workgroups_per_dimension: limits.max_compute_workgroups_per_dimension,
            max_storage_buffers_per_shader_stage: limits.max_storage_buffers_per_shader_stage,
            max_compute_invocations_per_workgroup: limits.max_compute_invocations_per_workgroup,
        }
    }

    /// Whether this is a software adapter (llvmpipe, lavapipe, SwiftShader, WARP).
    pub fn is_cpu(&self) -> bool {
        self.device_type == "cpu"
    }

    /// The line `solve`, `viewfactors`, `sweep`, `size` and `bench` write first on stderr.
    pub fn first_line(&self, precision: Precision) -> String {
        format!(
            "skysink: backend gpu, adapter \"{}\" ({}, {}, {})",
            self.name,
            self.backend,
            self.device_type,
            precision.as_str()
        )
    }

    /// Sort key: smaller is better.
    fn rank(&self) -> (u8, u8, u8) {
        let type_rank = match self.device_type.as_str() {
            "discrete" => 0,
            "integrated" => 1,
            "virtual" => 2,
            "other" => 3,
            _ => 4,
        };
        let backend_rank = match self.backend.as_str() {
            "Vulkan" | "Metal" | "Dx12" => 0,
            "Gl" => 1,
            _ => 2,
        };
        (type_rank, backend_rank, u8::from(!self.f64))
    }
}

/// An adapter that passed the filters, with its summary.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub summary: AdapterSummary,
    pub adapter: wgpu::Adapter,
}

pub fn backend_name(backend: wgpu::Backend) -> String {
    match backend {
        wgpu::Backend::Vulkan => "Vulkan".to_string(),
        wgpu::Backend::Metal => "Metal".to_string(),
        wgpu::Backend::Dx12 => "Dx12".to_string(),
        wgpu::Backend::Gl => "Gl".to_string(),
        other => format!("{other:?}"),
    }
}

pub fn device_type_name(device_type: wgpu::DeviceType) -> &'static str {
    match device_type {
        wgpu::DeviceType::DiscreteGpu => "discrete",
        wgpu::DeviceType::IntegratedGpu => "integrated",
        wgpu::DeviceType::VirtualGpu => "virtual",
        wgpu::DeviceType::Cpu => "cpu",
        wgpu::DeviceType::Other => "other",
    }
}

/// Every usable adapter, best first, after WGPU_BACKEND and WGPU_ADAPTER_NAME. Enumerated
/// once per process (starting the drivers takes up to a second): choosing the backend and
/// opening its device share the list.
pub fn candidates() -> Vec<Candidate> {
    // Every adapter stays here for the process's life, also those the name filter drops: a
    // driver torn down early (the instance and its adapters dropped on the thread that found
    // them, while the build runs beside it) is a path no normal run takes.
    static CANDIDATES: std::sync::OnceLock<Vec<Candidate>> = std::sync::OnceLock::new();
    let name_filter = std::env::var("WGPU_ADAPTER_NAME").ok();
    CANDIDATES
        .get_or_init(enumerate_candidates)
        .iter()
        .filter(|c| name_matches(&c.summary.name, name_filter.as_deref()))
        .cloned()
        .collect()
}

fn enumerate_candidates() -> Vec<Candidate> {
    let descriptor = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
    let backends = descriptor.backends;
    let instance = wgpu::Instance::new(descriptor);
    let adapters = pollster::block_on(instance.enumerate_adapters(backends));
    let mut list: Vec<Candidate> = adapters
        .into_iter()
        .filter(|adapter| {
            adapter
                .get_downlevel_capabilities()
                .flags
                .contains(wgpu::DownlevelFlags::COMPUTE_SHADERS)
        })
        .map(|adapter| Candidate {
            summary: AdapterSummary::from_adapter(&adapter),
            adapter,
        })
        .collect();
    rank(&mut list, |c| &c.summary);
    list
}

/// The ranked list that `skysink devices` prints (an empty list is no error).
pub fn devices() -> Vec<AdapterSummary> {
    candidates().into_iter().map(|c| c.summary).collect()
}

/// The adapter for a backend choice. `Gpu` with no adapter at all is an error (exit 3);
/// `Auto` with no adapter that is not of CPU type is `Ok(None)`: use the CPU backend.
pub fn pick(choice: Choice) -> Result<Option<Candidate>> {
    let list = candidates();
    match choice {
        Choice::Gpu => match list.into_iter().next() {
            Some(best) => Ok(Some(best)),
            None => Err(Error::Solver(no_adapter_message())),
        },
        Choice::Auto => Ok(list.into_iter().find(|c| !c.summary.is_cpu())),
    }
}

/// Case-insensitive substring match; an unset or empty filter matches everything.
pub fn name_matches(name: &str, filter: Option<&str>) -> bool {
    match filter.map(str::trim) {
        None | Some("") => true,
        Some(filter) => name.to_lowercase().contains(&filter.to_lowercase()),
    }
}

/// Stable sort, best first (SCENARIO.md section 8).
pub fn rank<T>(list: &mut [T], summary: impl Fn(&T) -> &AdapterSummary) {
    list.sort_by_key(|item| summary(item).rank());
}

fn no_adapter_message() -> String {
    let mut message = String::from("--backend gpu: no GPU adapter found");
    let mut filters = Vec::new();
    for var in ["WGPU_BACKEND", "WGPU_ADAPTER_NAME"] {
        if let Ok(value) = std::env::var(var) {
            filters.push(format!("{var}={value:?}"));
        }
    }
    if filters.is_empty() {
        message.push_str(
            " (on a machine without a GPU, Mesa's lavapipe, Debian package mesa-vulkan-drivers, \
             provides a software Vulkan adapter; `skysink devices` lists what wgpu sees)",
        );
    } else {
        message.push_str(&format!(
            " with {}; `skysink devices` lists what these filters leave",
            filters.join(", ")
        ));
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(name: &str, backend: &str, device_type: &str, f64: bool) -> AdapterSummary {
        AdapterSummary {
            name: name.to_string(),
            backend: backend.to_string(),
            device_type: device_type.to_string(),
            f64,
            max_storage_buffer_binding_size: 1 << 27,
            max_buffer_size: 1 << 28,
            max_compute_workgroups_per_dimension: 65535,
            max_storage_buffers_per_shader_stage: 8,
            max_compute_invocations_per_workgroup: 256,
        }
    }

    #[test]
    fn ranking_follows_type_then_backend_then_f64() {
        let mut list = vec![
            summary("llvmpipe gl", "Gl", "cpu", false),
            summary("lavapipe", "Vulkan", "cpu", true),
            summary("igpu gl", "Gl", "integrated", false),
            summary("igpu vk", "Vulkan", "integrated", false),
            summary("igpu vk f64", "Vulkan", "integrated", true),
            summary("virt", "Vulkan", "virtual", true),
            summary("dgpu", "Dx12", "discrete", false),
        ];
        rank(&mut list, |s| s);
        let names: Vec<&str> = list.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "dgpu",
                "igpu vk f64",
                "igpu vk",
                "igpu gl",
                "virt",
                "lavapipe",
                "llvmpipe gl"
            ]
        );
    }

    #[test]
    fn name_filter_is_a_case_insensitive_substring() {
        assert!(name_matches(
            "llvmpipe (LLVM 15.0.6, 256 bits)",
            Some("LLVMPIPE")
        ));
        assert!(name_matches("NVIDIA H100 80GB HBM3", Some("h100")));
        assert!(!name_matches("NVIDIA H100 80GB HBM3", Some("a100")));
        assert!(name_matches("anything", None));
        assert!(name_matches("anything", Some(" ")));
    }

    #[test]
    fn first_line_has_the_documented_shape() {
        let s = summary("llvmpipe (LLVM 15.0.6, 256 bits)", "Vulkan", "cpu", true);
        assert_eq!(
            s.first_line(Precision::F32),
            "skysink: backend gpu, adapter \"llvmpipe (LLVM 15.0.6, 256 bits)\" (Vulkan, cpu, f32)"
        );
    }

    #[test]
    fn summary_serializes_every_field() {
        let json = serde_json::to_value(summary("x", "Vulkan", "cpu", true)).unwrap();
        let mut keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        let mut expected = [
            "name",
            "backend",
            "device_type",
            "f64",
            "max_storage_buffer_binding_size",
            "max_buffer_size",
            "max_compute_workgroups_per_dimension",
            "max_storage_buffers_per_shader_stage",
            "max_compute_invocations_per_workgroup",
        ];
        expected.sort_unstable();
        assert_eq!(keys, expected);
    }
}
