//! One headless device and what every kernel needs from it: limits and features requested
//! explicitly, pipelines built from the embedded WGSL, and dispatches folded into 2-D so that no
//! dimension exceeds the adapter's limit. Buffers and readback are in buffers.rs.
//!
//! wgpu reports most mistakes asynchronously, and by default it panics on them. Here every
//! creation runs inside error scopes, and anything uncaught (or a lost device) is recorded and
//! returned as an `Error::Solver` by the next `run`, `wait` or `read`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::adapter::{AdapterSummary, Candidate};
use super::shaders::{self, Kernel, WORKGROUP_SIZE};
use crate::error::{Error, Result};

/// What a context asks of the device beyond the basics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ContextOptions {
    /// Request SHADER_F64 when the adapter has it.
    pub f64: bool,
    /// Request TIMESTAMP_QUERY when the adapter has it (for measurements only).
    pub timestamps: bool,
}

/// Storage buffers the widest kernel binds (chebyshev.wgsl).
pub const STORAGE_BUFFERS_NEEDED: u32 = 8;

/// Something that records compute work into a pass.
pub trait Encode {
    fn encode(&self, pass: &mut wgpu::ComputePass<'_>);
}

/// One prepared kernel launch: a pipeline, bind group and workgroup counts for each block
/// it covers (one block, except for a CSR matrix split over several bindings; see csr.rs),
/// built once and encoded as often as needed (a solver builds its dispatches before the first
/// iteration).
#[derive(Clone, Debug)]
pub struct Dispatch {
    blocks: Vec<(Kernel, wgpu::ComputePipeline, wgpu::BindGroup, [u32; 3])>,
}

impl Dispatch {
    /// Workgroups along x, y, z of the first block.
    pub fn groups(&self) -> [u32; 3] {
        self.blocks.first().map_or([0, 1, 1], |b| b.3)
    }

    /// Number of blocks, each one `dispatch_workgroups`.
    pub fn blocks(&self) -> usize {
        self.blocks.len()
    }

    /// This launch, then `next`'s blocks (e.g. a product's long rows after its short ones).
    pub fn followed_by(mut self, next: Dispatch) -> Dispatch {
        self.blocks.extend(next.blocks);
        self
    }
}

impl Encode for Dispatch {
    fn encode(&self, pass: &mut wgpu::ComputePass<'_>) {
        for block in &self.blocks {
            encode_block(block, pass);
        }
    }
}

fn encode_block(
    (_, pipeline, bind_group, [x, y, z]): &(
        Kernel,
        wgpu::ComputePipeline,
        wgpu::BindGroup,
        [u32; 3],
    ),
    pass: &mut wgpu::ComputePass<'_>,
) {
    pass.set_pipeline(pipeline);
    pass.set_bind_group(0, bind_group, &[]);
    pass.dispatch_workgroups(*x, *y, *z);
}

impl Dispatch {
    /// Each block's kernel and workgroup count, in order.
    pub fn launches(&self) -> impl Iterator<Item = (Kernel, [u32; 3])> + '_ {
        self.blocks.iter().map(|b| (b.0, b.3))
    }

    /// Encodes block `k` alone into `pass`.
    pub(super) fn encode_launch(&self, k: usize, pass: &mut wgpu::ComputePass<'_>) {
        if let Some(block) = self.blocks.get(k) {
            encode_block(block, pass);
        }
    }
}

/// Bindings (binding number, buffer) of group 0 and workgroup counts of one block.
pub type Block<'a> = (Vec<(u32, &'a wgpu::Buffer)>, [u32; 3]);

pub struct GpuContext {
    device: wgpu::Device,
    queue: wgpu::Queue,
    summary: AdapterSummary,
    limits: wgpu::Limits,
    features: wgpu::Features,
    binding_limit: u64,
    errors: Arc<Mutex<Vec<String>>>,
    modules: Mutex<HashMap<&'static str, wgpu::ShaderModule>>,
    pipelines: Mutex<HashMap<Kernel, wgpu::ComputePipeline>>,
    pub(super) pool: Mutex<HashMap<(u64, u32), Vec<wgpu::Buffer>>>,
}

impl GpuContext {
    /// Opens a device on the chosen adapter, requesting only what skysink needs. WebGPU allows
    /// one device per adapter: open one context per `pick`.
    pub fn new(candidate: &Candidate, options: ContextOptions) -> Result<GpuContext> {
        let adapter = &candidate.adapter;
        let name = &candidate.summary.name;
        let allowed = adapter.limits();
        let limits = required_limits(&allowed).map_err(|why| {
            Error::Solver(format!("adapter \"{name}\" cannot run skysink: {why}"))
        })?;
        let mut beyond = Vec::new();
        limits.check_limits_with_fail_fn(&allowed, false, |limit, asked, has| {
            beyond.push(format!("{limit} {asked} > {has}"));
        });
        if !beyond.is_empty() {
            return Err(Error::Solver(format!(
                "adapter \"{name}\": requested limits beyond the adapter: {}",
                beyond.join(", ")
            )));
        }
        let available = adapter.features();
        let mut features = wgpu::Features::empty();
        if options.f64 && available.contains(wgpu::Features::SHADER_F64) {
            features |= wgpu::Features::SHADER_F64;
        }
        if options.timestamps && available.contains(wgpu::Features::TIMESTAMP_QUERY) {
            features |= wgpu::Features::TIMESTAMP_QUERY;
        }
        let descriptor = wgpu::DeviceDescriptor {
            label: Some("skysink"),
            required_features: features,
            required_limits: limits.clone(),
            experimental_features: wgpu::ExperimentalFeatures::disabled(),
            memory_hints: wgpu::MemoryHints::Performance,
            trace: wgpu::Trace::Off,
        };
        let (device, queue) =
            pollster::block_on(adapter.request_device(&descriptor)).map_err(|err| {
                Error::Solver(format!("adapter \"{name}\": cannot open a device: {err}"))
            })?;
        let errors = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&errors);
        device.on_uncaptured_error(Arc::new(move |err: wgpu::Error| {
            lock(&sink).push(err.to_string());
        }));
        let sink = Arc::clone(&errors);
        device.set_device_lost_callback(move |reason, message| {
            if reason != wgpu::DeviceLostReason::Destroyed {
                lock(&sink).push(format!("device lost ({reason:?}): {message}"));
            }
        });
        Ok(GpuContext {
            device,
            queue,
            summary: candidate.summary.clone(),
            binding_limit: limits
                .max_storage_buffer_binding_size
                .min(limits.max_buffer_size),
            limits,
            features,
            errors,
            modules: Mutex::new(HashMap::new()),
            pipelines: Mutex::new(HashMap::new()),
            pool: Mutex::new(HashMap::new()),
        })
    }

    pub fn device(&self) -> &wgpu::Device {
        &self.device
    }

    pub fn queue(&self) -> &wgpu::Queue {
        &self.queue
    }

    pub fn summary(&self) -> &AdapterSummary {
        &self.summary
    }

    /// The limits the device was opened with.
    pub fn limits(&self) -> &wgpu::Limits {
        &self.limits
    }

    /// The largest array bound as one storage binding, in bytes: the device's binding and
    /// buffer limits, or less after `set_binding_limit`. Larger CSR matrices are split into row
    /// blocks (csr.rs); larger vectors are refused.
    pub fn binding_limit(&self) -> u64 {
        self.binding_limit
    }

    /// Lowers the binding limit to `bytes` (at least 16, a multiple of 4; never above the
    /// device's), so that tests split small matrices. Affects later uploads only.
    pub fn set_binding_limit(&mut self, bytes: u64) {
        let device = self
            .limits
            .max_storage_buffer_binding_size
            .min(self.limits.max_buffer_size);
        self.binding_limit = (bytes.max(16) / 4 * 4).min(device);
    }

    /// Whether SHADER_F64 is enabled on this device.
    pub fn has_f64(&self) -> bool {
        self.features.contains(wgpu::Features::SHADER_F64)
    }

    /// Whether TIMESTAMP_QUERY is enabled on this device.
    pub fn has_timestamps(&self) -> bool {
        self.features.contains(wgpu::Features::TIMESTAMP_QUERY)
    }

    /// The pipeline of one kernel, built on first use from the embedded WGSL.
    pub fn pipeline(&self, kernel: Kernel) -> Result<wgpu::ComputePipeline> {
        if let Some(pipeline) = lock(&self.pipelines).get(&kernel) {
            return Ok(pipeline.clone());
        }
        let module = self.module(kernel.file())?;
        let what = format!("pipeline {} in shaders/{}", kernel.entry(), kernel.file());
        let pipeline = self.scoped(&what, || {
            self.device
                .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                    label: Some(kernel.entry()),
                    layout: None,
                    module: &module,
                    entry_point: Some(kernel.entry()),
                    compilation_options: wgpu::PipelineCompilationOptions::default(),
                    cache: None,
                })
        })?;
        lock(&self.pipelines).insert(kernel, pipeline.clone());
        Ok(pipeline)
    }

    /// Builds the pipelines of `kernels` now rather than on first use (the driver compiles
    /// each), so that this can run beside other work.
    pub fn prepare(&self, kernels: &[Kernel]) -> Result<()> {
        kernels.iter().try_for_each(|&k| self.pipeline(k).map(drop))
    }

    /// A prepared dispatch of `kernel` with `bindings` (binding number, buffer) in group 0.
    pub fn dispatch(
        &self,
        kernel: Kernel,
        bindings: &[(u32, &wgpu::Buffer)],
        groups: [u32; 3],
    ) -> Result<Dispatch> {
        self.dispatch_blocks(kernel, &[(bindings.to_vec(), groups)])
    }

    /// A prepared dispatch of `kernel` over several blocks, one bind group each, in order.
    pub fn dispatch_blocks(&self, kernel: Kernel, blocks: &[Block<'_>]) -> Result<Dispatch> {
        let pipeline = self.pipeline(kernel)?;
        let layout = pipeline.get_bind_group_layout(0);
        let what = format!("bind group of {}", kernel.entry());
        let mut prepared = Vec::with_capacity(blocks.len());
        for (bindings, groups) in blocks {
            let entries: Vec<wgpu::BindGroupEntry<'_>> = bindings
                .iter()
                .map(|&(binding, buffer)| wgpu::BindGroupEntry {
                    binding,
                    resource: buffer.as_entire_binding(),
                })
                .collect();
            let bind_group = self.scoped(&what, || {
                self.device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some(kernel.entry()),
                    layout: &layout,
                    entries: &entries,
                })
            })?;
            prepared.push((kernel, pipeline.clone(), bind_group, *groups));
        }
        Ok(Dispatch { blocks: prepared })
    }

    /// Workgroups for `items` items at `per_group` items per workgroup, folded into 2-D.
    pub fn groups_for(&self, items: u64, per_group: u64) -> Result<[u32; 3]> {
        fold_groups(
            items.div_ceil(per_group.max(1)),
            self.limits.max_compute_workgroups_per_dimension,
        )
    }

    /// Workgroups for one thread per item.
    pub fn groups_per_item(&self, items: u64) -> Result<[u32; 3]> {
        self.groups_for(items, u64::from(WORKGROUP_SIZE))
    }

    pub fn encoder(&self) -> wgpu::CommandEncoder {
        self.device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("skysink"),
            })
    }

    /// Records `work` into one compute pass, submits it and waits for it.
    pub fn run(&self, work: &[&dyn Encode]) -> Result<()> {
        self.submit(work);
        self.wait()
    }

    /// Encodes `work` in order into one compute pass and submits it without waiting: later
    /// submissions and readbacks come after it, and its errors surface at the next `wait`.
    pub fn submit(&self, work: &[&dyn Encode]) {
        let mut encoder = self.encoder();
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("skysink"),
                timestamp_writes: None,
            });
            for item in work {
                item.encode(&mut pass);
            }
        }
        self.queue.submit([encoder.finish()]);
    }

    /// Waits until the device is idle, then reports any error recorded meanwhile.
    pub fn wait(&self) -> Result<()> {
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|err| Error::Solver(format!("waiting for the GPU: {err}")))?;
        self.check_errors()
    }

    /// Returns (and clears) the errors wgpu reported outside any scope.
    pub fn check_errors(&self) -> Result<()> {
        let mut errors = lock(&self.errors);
        if errors.is_empty() {
            return Ok(());
        }
        let message = errors.join("; ");
        errors.clear();
        Err(Error::Solver(format!("GPU error: {message}")))
    }

    fn module(&self, file: &'static str) -> Result<wgpu::ShaderModule> {
        if let Some(module) = lock(&self.modules).get(file) {
            return Ok(module.clone());
        }
        let source = shaders::module_source(file)
            .ok_or_else(|| Error::Solver(format!("shaders/{file} is not embedded")))?;
        let module = self.scoped(&format!("shaders/{file}"), || {
            self.device
                .create_shader_module(wgpu::ShaderModuleDescriptor {
                    label: Some(file),
                    source: wgpu::ShaderSource::Wgsl(source.into()),
                })
        })?;
        lock(&self.modules).insert(file, module.clone());
        Ok(module)
    }

    /// Runs `make` inside out-of-memory and validation error scopes.
    pub(super) fn scoped<T>(&self, what: &str, make: impl FnOnce() -> T) -> Result<T> {
        let memory = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let validation = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let value = make();
        let invalid = pollster::block_on(validation.pop());
        let out_of_memory = pollster::block_on(memory.pop());
        match invalid.or(out_of_memory) {
            None => Ok(value),
            Some(err) => Err(Error::Solver(format!("{what}: {err}"))),
        }
    }
}

pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The limits to request: wgpu's defaults where the adapter reaches them (its own values where
/// it does not), with the buffer sizes and workgroup counts raised to what the adapter allows.
/// An error says which limit is too small for skysink's kernels.
pub fn required_limits(adapter: &wgpu::Limits) -> std::result::Result<wgpu::Limits, String> {
    let mut limits = wgpu::Limits::default().or_worse_values_from(adapter);
    limits.max_storage_buffer_binding_size = adapter.max_storage_buffer_binding_size;
    limits.max_buffer_size = adapter.max_buffer_size;
    limits.max_compute_workgroups_per_dimension = adapter.max_compute_workgroups_per_dimension;
    let needs: [(&str, u64, u64); 6] = [
        (
            "max_storage_buffers_per_shader_stage",
            limits.max_storage_buffers_per_shader_stage.into(),
            STORAGE_BUFFERS_NEEDED.into(),
        ),
        (
            "max_compute_invocations_per_workgroup",
            limits.max_compute_invocations_per_workgroup.into(),
            WORKGROUP_SIZE.into(),
        ),
        (
            "max_compute_workgroup_size_x",
            limits.max_compute_workgroup_size_x.into(),
            WORKGROUP_SIZE.into(),
        ),
        (
            "max_compute_workgroup_storage_size",
            limits.max_compute_workgroup_storage_size.into(),
            u64::from(WORKGROUP_SIZE) * 4,
        ),
        (
            "max_uniform_buffers_per_shader_stage",
            limits.max_uniform_buffers_per_shader_stage.into(),
            1,
        ),
        (
            "max_compute_workgroups_per_dimension",
            limits.max_compute_workgroups_per_dimension.into(),
            1,
        ),
    ];
    for (name, have, need) in needs {
        if have < need {
            return Err(format!("{name} is {have}, at least {need} needed"));
        }
    }
    Ok(limits)
}

/// Spreads `groups` workgroups over x and y so that neither exceeds `max_per_dim`; kernels
/// recompute the linear index (`linear_index` in common.wgsl) and ignore the surplus.
pub fn fold_groups(groups: u64, max_per_dim: u32) -> Result<[u32; 3]> {
    let max = u64::from(max_per_dim.max(1));
    if groups <= max {
        return Ok([groups as u32, 1, 1]);
    }
    let y = groups.div_ceil(max);
    if y > max {
        return Err(Error::Solver(format!(
            "{groups} workgroups exceed {max} x {max}, the most one dispatch can hold"
        )));
    }
    let x = groups.div_ceil(y);
    Ok([x as u32, y as u32, 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_dispatches_stay_one_dimensional() {
        assert_eq!(fold_groups(0, 65535).unwrap(), [0, 1, 1]);
        assert_eq!(fold_groups(65535, 65535).unwrap(), [65535, 1, 1]);
    }

    #[test]
    fn large_dispatches_fold_into_two_dimensions() {
        for groups in [65536u64, 70_000, 1 << 20, 65535 * 65535] {
            let [x, y, z] = fold_groups(groups, 65535).unwrap();
            assert!(x <= 65535 && y <= 65535 && z == 1, "{groups}: {x} x {y}");
            let total = u64::from(x) * u64::from(y);
            assert!(total >= groups, "{groups}: {x} x {y} too few");
            assert!(
                total - groups < u64::from(y),
                "{groups}: {x} x {y} wastes a row"
            );
        }
        assert!(fold_groups(65535 * 65535 + 1, 65535).is_err());
    }

    #[test]
    fn limits_raise_buffer_sizes_and_keep_defaults_within_the_adapter() {
        let adapter = wgpu::Limits {
            max_storage_buffer_binding_size: 1 << 31,
            max_buffer_size: 1 << 33,
            max_storage_buffers_per_shader_stage: 32,
            ..Default::default()
        };
        let limits = required_limits(&adapter).unwrap();
        assert_eq!(limits.max_storage_buffer_binding_size, 1 << 31);
        assert_eq!(limits.max_buffer_size, 1 << 33);
        assert_eq!(limits.max_storage_buffers_per_shader_stage, 8);
        assert!(limits.check_limits(&adapter));

        let weak = wgpu::Limits {
            max_storage_buffers_per_shader_stage: 4,
            ..wgpu::Limits::downlevel_defaults()
        };
        let err = required_limits(&weak).unwrap_err();
        assert!(
            err.contains("max_storage_buffers_per_shader_stage is 4"),
            "{err}"
        );
    }
}
