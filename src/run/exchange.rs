//! The traced view factors of a scenario with `[radiation]` (SCENARIO.md section 5), and the
//! cache through which the points of a sweep and the load cases of a file that share one
//! geometry share one trace.

use std::sync::{Arc, Mutex};

use crate::error::Result;
use crate::model::{Model, SurfaceExchange};
use crate::orbit::OrbitGeometry;
use crate::radiation::{self, Exchange, ExternalLoads};
use crate::scenario::{self, LoadedScenario};
use crate::solve::Backend;

/// The radiation settings of a scenario's `[radiation]` (validated: both fit in u32).
pub fn radiation_settings(radiation: &scenario::Radiation) -> radiation::RadiationSettings {
    radiation::RadiationSettings {
        rays_per_side: u32::try_from(radiation.rays_per_side).unwrap_or(1),
        seed: u32::try_from(radiation.seed).unwrap_or(0),
    }
}

/// Traces the view factors of a scenario with `[radiation]` on `backend` (SCENARIO.md section
/// 5): the Earth direction is `environment.nadir_direction`, or with `[orbit]` the body nadir at
/// orbit noon.
pub fn trace_exchange(
    loaded: &LoadedScenario,
    model: &Model,
    backend: &Backend,
) -> Result<Exchange> {
    let s = &loaded.scenario;
    let settings = s
        .radiation
        .as_ref()
        .map(radiation_settings)
        .unwrap_or_default();
    let earth = match s.orbit.as_ref().and_then(OrbitGeometry::new) {
        Some(g) => Some(radiation::EarthView {
            nadir: g.at_time(0.0).nadir,
            altitude_km: g.altitude_km,
        }),
        None => ExternalLoads::from_environment(&s.environment).earth,
    };
    match backend {
        Backend::Cpu { .. } => Exchange::trace(model, &settings, earth, &radiation::Tracer::Cpu),
        Backend::Gpu { adapter, .. } => {
            let context = crate::solve::gpu::solver::open(adapter)?;
            Exchange::trace(model, &settings, earth, &radiation::Tracer::Gpu(&context))
        }
    }
}

/// What a traced exchange depends on: every panel's position, edges and cells, the ray settings,
/// the Earth direction and the tracing backend; not coatings, powers or the environment's
/// fluxes. Points of a sweep (and load cases) that share it share one trace.
fn exchange_key(loaded: &LoadedScenario, model: &Model, backend: &Backend) -> Vec<u64> {
    let s = &loaded.scenario;
    let mut key: Vec<u64> = Vec::new();
    let mut push = |x: f64| key.push(x.to_bits());
    for p in &model.panels {
        for x in p
            .origin
            .iter()
            .chain(&p.u_dir)
            .chain(&p.v_dir)
            .chain(&p.length)
        {
            push(*x);
        }
        push(p.cells[0] as f64);
        push(p.cells[1] as f64);
    }
    if let Some(r) = &s.radiation {
        push(r.rays_per_side as f64);
        push(r.seed as f64);
    }
    match s.orbit.as_ref().and_then(OrbitGeometry::new) {
        Some(g) => {
            for x in g.at_time(0.0).nadir {
                push(x);
            }
            push(g.altitude_km);
        }
        None => {
            if let Some(e) = ExternalLoads::from_environment(&s.environment).earth {
                for x in e.nadir {
                    push(x);
                }
                push(e.altitude_km);
            }
        }
    }
    key.extend(backend.describe().bytes().map(u64::from));
    key
}

/// How many traced geometries a cache keeps (a sweep over a panel length has a new one per value).
const KEPT_GEOMETRIES: usize = 4;

/// Traced exchanges kept for reuse within one run of the program, newest last: a sweep's points
/// and a file's load cases that share a geometry share one trace. [`ExchangeCache::off`] traces
/// every time (`--retrace-view-factors`: to measure what the cache saves, or to compare).
#[derive(Debug)]
pub struct ExchangeCache {
    enabled: bool,
    kept: Mutex<Vec<(Vec<u64>, Arc<Exchange>)>>,
}

impl Default for ExchangeCache {
    fn default() -> Self {
        ExchangeCache::new(true)
    }
}

impl ExchangeCache {
    /// A cache that reuses traces when `enabled`, and traces every time otherwise.
    pub fn new(enabled: bool) -> ExchangeCache {
        ExchangeCache {
            enabled,
            kept: Mutex::new(Vec::new()),
        }
    }

    /// A cache that never reuses a trace.
    pub fn off() -> ExchangeCache {
        ExchangeCache::new(false)
    }

    /// The exchange of this geometry: traced, or reused from an earlier trace of the same
    /// geometry through this cache.
    pub fn exchange(
        &self,
        loaded: &LoadedScenario,
        model: &Model,
        backend: &Backend,
    ) -> Result<Arc<Exchange>> {
        if !self.enabled {
            return Ok(Arc::new(trace_exchange(loaded, model, backend)?));
        }
        let key = exchange_key(loaded, model, backend);
        if let Ok(kept) = self.kept.lock()
            && let Some((_, exchange)) = kept.iter().find(|(k, _)| *k == key)
        {
            return Ok(exchange.clone());
        }
        let exchange = Arc::new(trace_exchange(loaded, model, backend)?);
        if let Ok(mut kept) = self.kept.lock() {
            if kept.len() >= KEPT_GEOMETRIES {
                kept.remove(0);
            }
            kept.push((key, exchange.clone()));
        }
        Ok(exchange)
    }
}

/// Traces the exchange (or reuses one of the same geometry) and makes the model use it: the
/// absorbed loads of the steady environment after shadows and reflections (an orbit tabulates
/// its own per position).
pub(super) fn attach_exchange(
    cache: &ExchangeCache,
    loaded: &LoadedScenario,
    model: &mut Model,
    backend: &Backend,
    geometry: Option<&OrbitGeometry>,
) -> Result<()> {
    let exchange = cache.exchange(loaded, model, backend)?;
    if geometry.is_none() {
        let loads = ExternalLoads::from_environment(&loaded.scenario.environment);
        let absorbed = exchange.external_absorbed_split(model, &loads)?;
        model.set_external(absorbed);
    }
    model.exchange = Some(exchange as Arc<dyn SurfaceExchange>);
    Ok(())
}
