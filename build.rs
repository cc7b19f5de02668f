//! Validates every shaders/*.wgsl with naga, composed with common.wgsl exactly as the runtime
//! composes it (the same `compose` function), and fails the build with the file name and naga's
//! message if any is invalid, if a file is missing from the runtime's list, if an entry point
//! that the host calls is not in its file, or if a constant the host shares with a file
//! (`shaders::SHARED`) differs from the file's `const` of that name.

use std::path::Path;
use std::process::ExitCode;

#[allow(dead_code)]
#[path = "src/gpu/shaders.rs"]
mod shaders;

fn main() -> ExitCode {
    println!("cargo:rerun-if-changed=shaders");
    println!("cargo:rerun-if-changed=src/gpu/shaders.rs");
    let root = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".to_string());
    let errors = check_all(&Path::new(&root).join("shaders"));
    if errors.is_empty() {
        return ExitCode::SUCCESS;
    }
    for error in &errors {
        eprintln!("error: {error}\n");
    }
    eprintln!("{} shader problem(s); see above", errors.len());
    ExitCode::FAILURE
}

fn check_all(dir: &Path) -> Vec<String> {
    let mut errors = Vec::new();
    let mut names: Vec<String> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|entry| entry.ok())
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".wgsl"))
            .collect(),
        Err(err) => return vec![format!("{}: cannot read the folder: {err}", dir.display())],
    };
    names.sort();

    let common_name = shaders::COMMON.0;
    let common = match std::fs::read_to_string(dir.join(common_name)) {
        Ok(text) => text,
        Err(err) => return vec![format!("shaders/{common_name}: cannot read: {err}")],
    };
    match validate(common_name, &common, 0) {
        Ok(module) => errors.extend(check_shared(common_name, &module)),
        Err(message) => errors.push(message),
    }
    let common_lines = common.lines().count();

    for name in names.iter().filter(|name| name.as_str() != common_name) {
        let path = format!("shaders/{name}");
        let body = match std::fs::read_to_string(dir.join(name)) {
            Ok(text) => text,
            Err(err) => {
                errors.push(format!("{path}: cannot read: {err}"));
                continue;
            }
        };
        if !shaders::FILES.iter().any(|(listed, _)| listed == name) {
            errors.push(format!(
                "{path} is not listed in shaders::FILES (src/gpu/shaders.rs): \
                 the runtime would never load it"
            ));
        }
        match validate(name, &shaders::compose(&common, &body), common_lines) {
            Ok(module) => {
                errors.extend(check_shared(name, &module));
                for kernel in shaders::Kernel::ALL.iter().filter(|k| k.file() == name) {
                    let found = module.entry_points.iter().any(|ep| {
                        ep.name == kernel.entry() && ep.stage == naga::ShaderStage::Compute
                    });
                    if !found {
                        errors.push(format!(
                            "{path}: no compute entry point `{}` (Kernel::{kernel:?} calls it)",
                            kernel.entry()
                        ));
                    }
                }
            }
            Err(message) => errors.push(message),
        }
    }
    for (listed, _) in shaders::FILES.iter() {
        if !names.iter().any(|name| name == listed) {
            errors.push(format!(
                "shaders::FILES lists {listed}, which is not in shaders/"
            ));
        }
    }
    errors
}

/// The constants of `shaders::SHARED` that belong to `file`, each against the module's `const`
/// of that name: one message per missing or different value.
fn check_shared(file: &str, module: &naga::Module) -> Vec<String> {
    let mut errors = Vec::new();
    for &(_, name, host) in shaders::SHARED.iter().filter(|(f, ..)| *f == file) {
        let constant = module
            .constants
            .iter()
            .find(|(_, c)| c.name.as_deref() == Some(name));
        let value = constant.and_then(|(_, c)| match module.global_expressions[c.init] {
            naga::Expression::Literal(naga::Literal::U32(v)) => Some(i128::from(v)),
            naga::Expression::Literal(naga::Literal::I32(v)) => Some(i128::from(v)),
            naga::Expression::Literal(naga::Literal::AbstractInt(v)) => Some(i128::from(v)),
            _ => None,
        });
        match value {
            Some(v) if v == i128::from(host) => {}
            Some(v) => errors.push(format!(
                "shaders/{file}: const {name} is {v}, but the host's value is {host} (src/gpu/shaders.rs SHARED): make them equal"
            )),
            None => errors.push(format!(
                "shaders/{file}: no integer const {name}, which the host shares (src/gpu/shaders.rs SHARED)"
            )),
        }
    }
    errors
}

/// Parses and validates one composed module with every capability allowed (the device decides
/// later which it has). `common_lines` lines of common.wgsl precede the file's own text (0 for
/// common.wgsl itself): the message names the file and line where the problem is.
fn validate(name: &str, source: &str, common_lines: usize) -> Result<naga::Module, String> {
    let place = |location: Option<naga::SourceLocation>| match location {
        Some(loc) if loc.line_number as usize > common_lines => format!(
            "shaders/{name}:{}:{}",
            loc.line_number as usize - common_lines,
            loc.line_position
        ),
        Some(loc) => format!(
            "shaders/common.wgsl:{}:{}",
            loc.line_number, loc.line_position
        ),
        None => format!("shaders/{name}"),
    };
    let label = if common_lines > 0 {
        format!("shaders/{name} after the {common_lines} lines of common.wgsl")
    } else {
        format!("shaders/{name}")
    };
    let module = naga::front::wgsl::parse_str(source).map_err(|err| {
        let at = place(err.location(source));
        format!(
            "{at}: invalid WGSL\n{}",
            err.emit_to_string_with_path(source, &label)
        )
    })?;
    let mut validator = naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::all(),
    );
    validator.validate(&module).map_err(|err| {
        let at = place(err.location(source));
        format!(
            "{at}: failed validation\n{}",
            err.emit_to_string_with_path(source, &label)
        )
    })?;
    Ok(module)
}
