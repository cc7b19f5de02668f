//! Serde types that mirror SCENARIO.md section 2 one to one. Defaults live here; every rule
//! about allowed values lives in `validate.rs`.

use indexmap::IndexMap;
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub environment: Environment,
    #[serde(default)]
    pub materials: IndexMap<String, Material>,
    #[serde(default)]
    pub coatings: IndexMap<String, Coating>,
    #[serde(default)]
    pub panels: Vec<Panel>,
    #[serde(default)]
    pub heat_pipes: Vec<HeatPipe>,
    #[serde(default)]
    pub links: Vec<Link>,
    #[serde(default)]
    pub fixed_temperatures: Vec<FixedRegion>,
    #[serde(default)]
    pub payloads: Vec<Payload>,
    #[serde(default)]
    pub solve: Solve,
    #[serde(default)]
    pub orbit: Option<Orbit>,
    #[serde(default)]
    pub radiation: Option<Radiation>,
    /// Load cases (SCENARIO.md section 6): each is the scenario with the keys in `set` replaced.
    #[serde(default)]
    pub cases: Vec<Case>,
    /// A design sweep (SCENARIO.md section 7); `solve` ignores it and solves the base scenario.
    #[serde(default)]
    pub sweep: Option<Sweep>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub name: String,
    /// Dotted path (as in sweeps) -> any value the key accepts, replacing it whole
    /// (SCENARIO-2 section 18).
    #[serde(default)]
    pub set: IndexMap<String, toml::Value>,
    /// Dotted paths of optional keys this case removes (a cold case in eclipse).
    #[serde(default)]
    pub unset: Vec<String>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum SweepMethod {
    Grid,
    LatinHypercube,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sweep {
    #[serde(default = "default_method")]
    pub method: SweepMethod,
    /// Latin hypercube only: the number of points.
    #[serde(default)]
    pub samples: Option<i64>,
    /// Latin hypercube only: the seed of the design (default 1).
    #[serde(default)]
    pub seed: Option<i64>,
    #[serde(default)]
    pub parameters: Vec<SweepParameter>,
}

fn default_method() -> SweepMethod {
    SweepMethod::Grid
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepParameter {
    pub path: String,
    #[serde(default)]
    pub values: Option<Vec<f64>>,
    /// Grid: [first, last, count]; Latin hypercube: [low, high].
    #[serde(default)]
    pub range: Option<Vec<f64>>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    #[serde(default = "default_solar_flux")]
    pub solar_flux_w_m2: f64,
    #[serde(default = "default_albedo")]
    pub albedo: f64,
    #[serde(default = "default_earth_ir")]
    pub earth_ir_w_m2: f64,
    #[serde(default = "default_sink")]
    pub sink_k: f64,
    #[serde(default, deserialize_with = "exact_length_or_none")]
    pub sun_direction: Option<[f64; 3]>,
    #[serde(default, deserialize_with = "exact_length_or_none")]
    pub nadir_direction: Option<[f64; 3]>,
    #[serde(default)]
    pub altitude_km: Option<f64>,
}

fn default_solar_flux() -> f64 {
    1361.0
}
fn default_albedo() -> f64 {
    0.30
}
fn default_earth_ir() -> f64 {
    237.0
}
fn default_sink() -> f64 {
    2.725
}

impl Default for Environment {
    fn default() -> Self {
        Environment {
            solar_flux_w_m2: default_solar_flux(),
            albedo: default_albedo(),
            earth_ir_w_m2: default_earth_ir(),
            sink_k: default_sink(),
            sun_direction: None,
            nadir_direction: None,
            altitude_km: None,
        }
    }
}

/// `[radiation]` (SCENARIO.md section 5). Signed so that bad values get our message.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Radiation {
    #[serde(default = "default_rays_per_side")]
    pub rays_per_side: i64,
    #[serde(default = "default_seed")]
    pub seed: i64,
}

fn default_rays_per_side() -> i64 {
    4096
}
fn default_seed() -> i64 {
    1
}

/// A circular orbit (SCENARIO.md section 4).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Orbit {
    pub altitude_km: f64,
    pub beta_deg: f64,
    pub attitude: Attitude,
}

/// The two attitude forms, told apart by their keys; `validate` refuses any other set.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attitude {
    #[serde(default, deserialize_with = "exact_length_or_none")]
    pub nadir_axis: Option<[f64; 3]>,
    #[serde(default, deserialize_with = "exact_length_or_none")]
    pub velocity_axis: Option<[f64; 3]>,
    #[serde(default, deserialize_with = "exact_length_or_none")]
    pub sun_axis: Option<[f64; 3]>,
    #[serde(default, deserialize_with = "exact_length_or_none")]
    pub orbit_normal_axis: Option<[f64; 3]>,
}

/// The attitude once validated: unit body-frame axes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AttitudeForm {
    /// Earth-pointing: N towards the Earth's centre, V along the velocity.
    EarthPointing { nadir: [f64; 3], velocity: [f64; 3] },
    /// Sun-pointing: S at the Sun, O along the orbit normal's part perpendicular to the Sun.
    SunPointing {
        sun: [f64; 3],
        orbit_normal: [f64; 3],
    },
}

impl Attitude {
    /// The form given, with its axes as written (not normalised); None for any other set of keys.
    pub fn form(&self) -> Option<AttitudeForm> {
        match (
            self.nadir_axis,
            self.velocity_axis,
            self.sun_axis,
            self.orbit_normal_axis,
        ) {
            (Some(nadir), Some(velocity), None, None) => {
                Some(AttitudeForm::EarthPointing { nadir, velocity })
            }
            (None, None, Some(sun), Some(orbit_normal)) => {
                Some(AttitudeForm::SunPointing { sun, orbit_normal })
            }
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Material {
    pub conductivity_w_mk: f64,
    /// Needed only by transients; a steady solve does without.
    #[serde(default)]
    pub density_kg_m3: Option<f64>,
    #[serde(default)]
    pub specific_heat_j_kgk: Option<f64>,
    #[serde(default)]
    pub source: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Coating {
    pub absorptivity: f64,
    pub emissivity: f64,
    /// Makes the coating an MLI blanket (SCENARIO-2 section 15): e* between the panel and the
    /// outer layer, whose absorptivity and emissivity are the two above.
    #[serde(default)]
    pub effective_emittance: Option<f64>,
    #[serde(default)]
    pub source: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Panel {
    pub name: String,
    #[serde(deserialize_with = "exact_length")]
    pub origin_m: [f64; 3],
    #[serde(deserialize_with = "exact_length")]
    pub u_m: [f64; 3],
    #[serde(deserialize_with = "exact_length")]
    pub v_m: [f64; 3],
    /// Signed so that a zero or negative count gets our message, not serde's.
    #[serde(deserialize_with = "exact_length")]
    pub cells: [i64; 2],
    pub thickness_m: f64,
    pub material: String,
    pub front: String,
    pub back: String,
    /// Mass per area beyond the material's (face sheets, core, hinges, coatings), kg/m^2.
    #[serde(default)]
    pub areal_mass_kg_m2: Option<f64>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipeSegment {
    pub panel: String,
    #[serde(deserialize_with = "exact_length")]
    pub from_m: [f64; 2],
    #[serde(deserialize_with = "exact_length")]
    pub to_m: [f64; 2],
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeatPipe {
    pub name: String,
    #[serde(default)]
    pub panel: Option<String>,
    #[serde(default, deserialize_with = "exact_length_or_none")]
    pub from_m: Option<[f64; 2]>,
    #[serde(default, deserialize_with = "exact_length_or_none")]
    pub to_m: Option<[f64; 2]>,
    #[serde(default)]
    pub segments: Option<Vec<PipeSegment>>,
    pub width_m: f64,
    pub film_coefficient_w_m2k: f64,
    /// W m at `capacity_at_k` (scaled by the fluid's transport factor with `fluid`), or a table
    /// of the capacity against the vapour temperature (SCENARIO-2 section 13).
    #[serde(deserialize_with = "number_or_table")]
    pub capacity_w_m: Capacity,
    /// A heat-pipe working fluid of the catalog (src/fluids): working range and capacity(T).
    #[serde(default)]
    pub fluid: Option<String>,
    /// Where a number `capacity_w_m` was measured; default 293.15 K.
    #[serde(default)]
    pub capacity_at_k: Option<f64>,
    /// A failed pipe carries no heat: no vapour node, no contact (a failure case).
    #[serde(default)]
    pub failed: bool,
    /// Mass per length of pipe, kg/m (SCENARIO-2 section 17).
    #[serde(default)]
    pub mass_kg_m: Option<f64>,
}

/// Default of `capacity_at_k` (SCENARIO-2 section 13).
pub const CAPACITY_REFERENCE_K: f64 = 293.15;

/// A heat pipe's capacity: one number, or a table against the vapour temperature.
#[derive(Clone, Debug, PartialEq)]
pub enum Capacity {
    Constant(f64),
    Table(PropertyTable),
}

/// A property against temperature: `{ temperature_k = [...], value = [...] }`, read by linear
/// interpolation with the end values held outside it.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PropertyTable {
    pub temperature_k: Vec<f64>,
    pub value: Vec<f64>,
}

/// A number (integer or float) or a `{ temperature_k, value }` table.
fn number_or_table<'de, D>(deserializer: D) -> Result<Capacity, D::Error>
where
    D: serde::Deserializer<'de>,
{
    use serde::de::Error;
    match toml::Value::deserialize(deserializer)? {
        toml::Value::Float(x) => Ok(Capacity::Constant(x)),
        toml::Value::Integer(i) => Ok(Capacity::Constant(i as f64)),
        table @ toml::Value::Table(_) => table
            .try_into::<PropertyTable>()
            .map(Capacity::Table)
            .map_err(|e| D::Error::custom(e.message())),
        other => Err(D::Error::custom(format!(
            "invalid type: {}, expected a number or a table {{ temperature_k = [...], value = [...] }}",
            other.type_str()
        ))),
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkEnd {
    pub panel: String,
    #[serde(default, deserialize_with = "exact_length_or_none")]
    pub from_m: Option<[f64; 2]>,
    #[serde(default, deserialize_with = "exact_length_or_none")]
    pub to_m: Option<[f64; 2]>,
    #[serde(default, deserialize_with = "exact_length_or_none")]
    pub at_m: Option<[f64; 2]>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    pub name: String,
    pub a: LinkEnd,
    pub b: LinkEnd,
    pub conductance_w_k: f64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemperatureSchedule {
    pub time_s: Vec<f64>,
    pub temperature_k: Vec<f64>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixedRegion {
    pub name: String,
    pub panel: String,
    #[serde(deserialize_with = "exact_length")]
    pub center_m: [f64; 2],
    #[serde(deserialize_with = "exact_length")]
    pub size_m: [f64; 2],
    #[serde(default)]
    pub temperature_k: Option<f64>,
    #[serde(default)]
    pub schedule: Option<TemperatureSchedule>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PowerSchedule {
    pub time_s: Vec<f64>,
    pub power_w: Vec<f64>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Payload {
    pub name: String,
    pub model: String,
    #[serde(default = "default_count")]
    pub count: i64,
    pub panel: String,
    #[serde(deserialize_with = "exact_length")]
    pub center_m: [f64; 2],
    #[serde(deserialize_with = "exact_length")]
    pub size_m: [f64; 2],
    pub junction_to_panel_k_w: f64,
    #[serde(default)]
    pub power_w: Option<f64>,
    #[serde(default)]
    pub eclipse_power_w: Option<f64>,
    #[serde(default)]
    pub schedule: Option<PowerSchedule>,
    #[serde(default)]
    pub limit_c: Option<f64>,
    #[serde(default)]
    pub min_limit_c: Option<f64>,
    #[serde(default)]
    pub source: Option<String>,
}

fn default_count() -> i64 {
    1
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Steady,
    Transient,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum BackendChoice {
    Auto,
    Cpu,
    Gpu,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Solve {
    #[serde(default = "default_mode")]
    pub mode: Mode,
    #[serde(default = "default_backend")]
    pub backend: BackendChoice,
    #[serde(default)]
    pub required_margin_k: f64,
    #[serde(default = "default_tolerance")]
    pub tolerance_k: f64,
    #[serde(default = "default_max_iterations")]
    pub max_iterations: i64,
    #[serde(default)]
    pub time_step_s: Option<f64>,
    #[serde(default)]
    pub orbits: Option<i64>,
    #[serde(default)]
    pub initial_k: Option<f64>,
    #[serde(default)]
    pub periodic_tolerance_k: Option<f64>,
    #[serde(default)]
    pub duration_s: Option<f64>,
}

fn default_mode() -> Mode {
    Mode::Steady
}
fn default_backend() -> BackendChoice {
    BackendChoice::Auto
}
fn default_tolerance() -> f64 {
    1.0e-4
}
fn default_max_iterations() -> i64 {
    200
}

impl Default for Solve {
    fn default() -> Self {
        Solve {
            mode: default_mode(),
            backend: default_backend(),
            required_margin_k: 0.0,
            tolerance_k: default_tolerance(),
            max_iterations: default_max_iterations(),
            time_step_s: None,
            orbits: None,
            initial_k: None,
            periodic_tolerance_k: None,
            duration_s: None,
        }
    }
}

/// A fixed-length array (a vector, a point, cell counts) that refuses extra items as well as
/// missing ones: serde's arrays stop reading after their length, which would drop a fourth
/// component without a word.
fn exact_length<'de, D, T, const N: usize>(deserializer: D) -> Result<[T; N], D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    let items = Vec::<T>::deserialize(deserializer)?;
    let len = items.len();
    items.try_into().map_err(|_| {
        serde::de::Error::invalid_length(len, &format!("an array of length {N}").as_str())
    })
}

/// [`exact_length`] for an optional key.
fn exact_length_or_none<'de, D, T, const N: usize>(
    deserializer: D,
) -> Result<Option<[T; N]>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    exact_length(deserializer).map(Some)
}
