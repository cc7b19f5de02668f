//! Buffers on one device: storage and uniform buffers, a small pool of reusable buffers, and
//! the readback helper (copy to a pooled staging buffer, map, wait, copy out).

use bytemuck::Pod;
use wgpu::util::DeviceExt;

use super::context::{GpuContext, lock};
use crate::error::{Error, Result};

impl GpuContext {
    /// A storage buffer holding `data` (at least 16 bytes, so that empty arrays bind).
    pub fn upload<T: Pod>(&self, label: &str, data: &[T]) -> Result<wgpu::Buffer> {
        let bytes: &[u8] = bytemuck::cast_slice(data);
        self.check_storage_size(label, bytes.len() as u64)?;
        if bytes.len() < 16 {
            let mut padded = [0u8; 16];
            padded[..bytes.len()].copy_from_slice(bytes);
            return self.create_init(label, &padded, storage_usage());
        }
        self.create_init(label, bytes, storage_usage())
    }

    /// A zeroed storage buffer of `bytes` bytes (at least 16).
    pub fn zeroed(&self, label: &str, bytes: u64) -> Result<wgpu::Buffer> {
        self.check_storage_size(label, bytes)?;
        self.create(label, bytes.max(16).next_multiple_of(4), storage_usage())
    }

    /// Zeroes items `range` (4 bytes each) of each buffer on the device, submitted without
    /// waiting (later submissions come after it): nothing crosses the bus.
    pub fn clear_items(&self, parts: &[(&wgpu::Buffer, std::ops::Range<u64>)]) {
        let mut encoder = self.encoder();
        for (buffer, range) in parts {
            if range.end > range.start {
                encoder.clear_buffer(buffer, 4 * range.start, Some(4 * (range.end - range.start)));
            }
        }
        self.queue().submit([encoder.finish()]);
    }

    /// A uniform buffer holding one parameter struct.
    pub fn uniform<T: Pod>(&self, label: &str, value: &T) -> Result<wgpu::Buffer> {
        let usage = wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST;
        self.create_init(label, bytemuck::bytes_of(value), usage)
    }

    /// A storage buffer of at least `bytes` bytes from the pool (contents undefined); give it
    /// back with `recycle`. Sizes are rounded up to 1/8 of their power of two, so similar
    /// requests share buffers.
    pub fn take(&self, label: &str, bytes: u64) -> Result<wgpu::Buffer> {
        self.check_storage_size(label, bytes)?;
        let size = pool_bucket(bytes).min(self.binding_limit().max(bytes));
        self.take_exact(label, size, storage_usage())
    }

    /// Returns a buffer from `take` (or any other) to the pool.
    pub fn recycle(&self, buffer: wgpu::Buffer) {
        let key = (buffer.size(), buffer.usage().bits());
        lock(&self.pool).entry(key).or_default().push(buffer);
    }

    /// Drops every buffer the pool holds.
    pub fn trim_pool(&self) {
        lock(&self.pool).clear();
    }

    /// Copies `count` items starting at item `first` of `buffer` to the host.
    pub fn read<T: Pod>(&self, buffer: &wgpu::Buffer, first: u64, count: usize) -> Result<Vec<T>> {
        let item = std::mem::size_of::<T>() as u64;
        let offset = first * item;
        let bytes = count as u64 * item;
        if count == 0 {
            return Ok(Vec::new());
        }
        if !offset.is_multiple_of(4) || !bytes.is_multiple_of(4) || offset + bytes > buffer.size() {
            return Err(Error::Solver(format!(
                "readback of bytes {offset}..{} from a buffer of {} bytes: out of range or not \
                 a multiple of 4",
                offset + bytes,
                buffer.size()
            )));
        }
        self.read_regions(&[(buffer, offset, bytes)])
    }

    /// Copies one f32 from each `(buffer, item)` to the host with a single submission and wait
    /// (the residual norms of a batch of solves).
    pub fn read_each(&self, sources: &[(&wgpu::Buffer, u64)]) -> Result<Vec<f32>> {
        if sources.is_empty() {
            return Ok(Vec::new());
        }
        for (buffer, item) in sources {
            if 4 * item + 4 > buffer.size() {
                return Err(Error::Solver(format!(
                    "readback of item {item} from a buffer of {} bytes: out of range",
                    buffer.size()
                )));
            }
        }
        let regions: Vec<(&wgpu::Buffer, u64, u64)> = sources
            .iter()
            .map(|&(buffer, item)| (buffer, 4 * item, 4))
            .collect();
        self.read_regions(&regions)
    }

    /// Copies each `(buffer, byte offset, bytes)` region, in order, into one staging buffer
    /// with a single submission and wait, and returns the concatenation as items of `T`.
    fn read_regions<T: Pod>(&self, regions: &[(&wgpu::Buffer, u64, u64)]) -> Result<Vec<T>> {
        let bytes: u64 = regions.iter().map(|r| r.2).sum();
        let read_usage = wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST;
        let staging = self.take_exact("readback", pool_bucket(bytes), read_usage)?;
        let mut encoder = self.encoder();
        let mut at = 0;
        for &(buffer, offset, size) in regions {
            encoder.copy_buffer_to_buffer(buffer, offset, &staging, at, size);
            at += size;
        }
        self.queue().submit([encoder.finish()]);
        let slice = staging.slice(..bytes);
        let (sender, receiver) = std::sync::mpsc::channel();
        slice.map_async(wgpu::MapMode::Read, move |result| {
            let _ = sender.send(result);
        });
        self.wait()?;
        let mapped = receiver
            .recv()
            .map_err(|_| Error::Solver("readback: the map callback never ran".to_string()))?;
        mapped.map_err(|err| {
            Error::Solver(format!("readback: cannot map the staging buffer: {err}"))
        })?;
        let values = {
            let view = slice.get_mapped_range().map_err(|err| {
                Error::Solver(format!("readback: cannot view the mapped range: {err}"))
            })?;
            bytemuck::pod_collect_to_vec::<u8, T>(&view)
        };
        staging.unmap();
        self.recycle(staging);
        self.check_errors()?;
        Ok(values)
    }

    fn check_storage_size(&self, label: &str, bytes: u64) -> Result<()> {
        let max = self.binding_limit();
        if bytes > max {
            return Err(Error::Solver(format!(
                "{label}: {bytes} bytes exceed the largest storage binding of adapter \"{}\" \
                 ({max} bytes)",
                self.summary().name
            )));
        }
        Ok(())
    }

    fn take_exact(
        &self,
        label: &str,
        size: u64,
        usage: wgpu::BufferUsages,
    ) -> Result<wgpu::Buffer> {
        if let Some(buffer) = lock(&self.pool)
            .get_mut(&(size, usage.bits()))
            .and_then(Vec::pop)
        {
            return Ok(buffer);
        }
        self.create(label, size, usage)
    }

    fn create(&self, label: &str, size: u64, usage: wgpu::BufferUsages) -> Result<wgpu::Buffer> {
        self.scoped(label, || {
            self.device().create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size,
                usage,
                mapped_at_creation: false,
            })
        })
    }

    fn create_init(
        &self,
        label: &str,
        bytes: &[u8],
        usage: wgpu::BufferUsages,
    ) -> Result<wgpu::Buffer> {
        self.scoped(label, || {
            self.device()
                .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                    label: Some(label),
                    contents: bytes,
                    usage,
                })
        })
    }
}

fn storage_usage() -> wgpu::BufferUsages {
    wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST
}

/// Pool size class of a request: at least 256 bytes, rounded up to 1/8 of its power of two.
pub fn pool_bucket(bytes: u64) -> u64 {
    let bytes = bytes.max(256);
    let step = (bytes.next_power_of_two() / 8).max(4);
    bytes.next_multiple_of(step)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_buckets_round_up_by_at_most_an_eighth() {
        assert_eq!(pool_bucket(1), 256);
        assert_eq!(pool_bucket(4000), 4096);
        for bytes in [1000u64, 4_000_000, 40_000_004, 123_456_789] {
            let bucket = pool_bucket(bytes);
            assert!(
                bucket >= bytes && bucket - bytes <= bytes / 4,
                "{bytes} -> {bucket}"
            );
            assert_eq!(bucket % 4, 0);
        }
    }
}
