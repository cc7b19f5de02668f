//! The built-in payload catalog of SCENARIO.md section 3, each entry with its source.

pub struct CatalogEntry {
    pub model: &'static str,
    pub power_w: f64,
    pub limit_c: f64,
    pub power_source: &'static str,
    pub limit_source: &'static str,
}

pub const CATALOG: &[CatalogEntry] = &[
    CatalogEntry {
        model: "h100-sxm",
        power_w: 700.0,
        limit_c: 87.0,
        power_source: "NVIDIA power limit of the H100 SXM5 (700 W)",
        limit_source: "\"GPU Max Operating Temp\" 87 C from nvidia-smi on an H800 SXM5, the same \
                       board family (slowdown 89 C, shutdown 92 C, HBM 95 C)",
    },
    CatalogEntry {
        model: "h100-pcie",
        power_w: 350.0,
        limit_c: 87.0,
        power_source: "NVIDIA H100 PCIe product brief (350 W)",
        limit_source: "assumed equal to the H100 SXM5 limit (87 C)",
    },
    CatalogEntry {
        model: "b200",
        power_w: 1000.0,
        limit_c: 87.0,
        power_source: "HGX B200 per-GPU figure (1000 W)",
        limit_source: "assumed (87 C, as the H100 SXM5)",
    },
    CatalogEntry {
        model: "tpu-v4",
        power_w: 192.0,
        limit_c: 85.0,
        power_source: "Google Cloud TPU v4 maximum per chip (192 W)",
        limit_source: "assumed (85 C)",
    },
];

pub fn lookup(model: &str) -> Option<&'static CatalogEntry> {
    CATALOG.iter().find(|entry| entry.model == model)
}

pub fn model_names() -> String {
    let mut names: Vec<&str> = CATALOG.iter().map(|e| e.model).collect();
    names.push("custom");
    names.join(", ")
}
