//! The arrows of docs/architecture.md, read from the `crate::`, `super::` and `self::` paths of
//! every source file under src/ (test modules left out), so that a change which sends one the
//! wrong way fails here:
//! - nothing under solve/gpu uses solve/cpu, nor the other way;
//! - report uses neither backend;
//! - scenario uses nothing of model, solve, run or sweep;
//! - no cycle among files. A folder's mod.rs and the files below it are one module: the parent
//!   may call its children and a child may use its parent's shared items, so edges between a
//!   mod.rs and its own descendants are not counted; every other edge is.
//!
//! And the sizes of DESIGN.md: no source file over 700 lines, no function over 120 lines
//! (test modules left out; main.rs included).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_FILE_LINES: usize = 700;
const MAX_FUNCTION_LINES: usize = 120;

/// A source file of the library: its path under src/ and its module path (`solve::gpu::csr`).
struct SourceFile {
    rel: String,
    module: Vec<String>,
    /// The text without comments, string literals and `#[cfg(test)]` modules.
    code: String,
    /// The text without `#[cfg(test)]` modules (for sizes).
    text: String,
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("src/ is readable")
        .map(|e| e.expect("a folder entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Files that only hold tests: `tests.rs`, `*_tests.rs`, `testing.rs` and anything in a
/// `tests/` folder under src/.
fn is_test_file(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    name == "tests.rs"
        || name.ends_with("_tests.rs")
        || name == "testing.rs"
        || rel.split('/').any(|part| part == "tests")
}

/// The text before the first `#[cfg(test)]` item that opens an inline module (`mod x {`):
/// test modules stand at the end of their files.
fn without_test_modules(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if line.trim() == "#[cfg(test)]"
            && let Some(next) = lines.get(i + 1)
            && next.trim_start().starts_with("mod ")
            && next.trim_end().ends_with('{')
        {
            return lines[..i].join("\n");
        }
    }
    text.to_string()
}

/// Comments, string and character literals blanked out, so that paths in prose do not count.
fn code_only(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let rest = &text[i..];
        if rest.starts_with("//") {
            let end = rest.find('\n').map_or(text.len(), |k| i + k);
            i = end;
        } else if rest.starts_with("/*") {
            let end = rest.find("*/").map_or(text.len(), |k| i + k + 2);
            i = end;
        } else if let Some(raw) = rest.strip_prefix("r#\"") {
            let end = raw.find("\"#").map_or(text.len(), |k| i + 3 + k + 2);
            out.push_str("\"\"");
            i = end;
        } else if bytes[i] == b'"' {
            let mut k = i + 1;
            while k < bytes.len() && bytes[k] != b'"' {
                k += if bytes[k] == b'\\' { 2 } else { 1 };
            }
            out.push_str("\"\"");
            i = k + 1;
        } else if bytes[i] == b'\'' && (rest.get(2..3) == Some("'") || rest.starts_with("'\\")) {
            let end = rest[1..].find('\'').map_or(text.len(), |k| i + 1 + k + 1);
            out.push_str("' '");
            i = end;
        } else {
            let c = rest.chars().next().expect("a character");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// The library's files; with `tests`, its test files and inline test modules too.
fn library_files(tests: bool) -> Vec<SourceFile> {
    let root = src();
    let mut paths = Vec::new();
    rust_files(&root, &mut paths);
    paths
        .into_iter()
        .filter_map(|path| {
            let rel = path
                .strip_prefix(&root)
                .expect("under src/")
                .to_string_lossy()
                .replace('\\', "/");
            if rel == "main.rs" || (!tests && is_test_file(&rel)) {
                return None;
            }
            let mut module: Vec<String> = rel
                .trim_end_matches(".rs")
                .split('/')
                .map(str::to_string)
                .collect();
            if module.last().is_some_and(|m| m == "mod" || m == "lib") {
                module.pop();
            }
            let text = std::fs::read_to_string(&path).expect("readable");
            let text = if tests {
                text
            } else {
                without_test_modules(&text)
            };
            let code = code_only(&text);
            Some(SourceFile {
                rel,
                module,
                code,
                text,
            })
        })
        .collect()
}

/// Every path the code names from `crate`, `super` or `self`, as absolute module paths; a
/// `use` with braces is expanded into one path per leaf.
fn referenced_paths(file: &SourceFile) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let code = &file.code;
    let bytes = code.as_bytes();
    let starts_word = |i: usize| {
        i == 0
            || !(bytes[i - 1].is_ascii_alphanumeric()
                || bytes[i - 1] == b'_'
                || bytes[i - 1] == b':')
    };
    for anchor in ["crate::", "super::", "self::"] {
        let mut from = 0;
        while let Some(k) = code[from..].find(anchor) {
            let at = from + k;
            from = at + anchor.len();
            if !starts_word(at) {
                continue;
            }
            for tail in expand(&code[at..]) {
                if let Some(path) = absolute(&file.module, &tail) {
                    out.push(path);
                }
            }
        }
    }
    out
}

fn is_mod_file(rel: &str) -> bool {
    rel.ends_with("mod.rs") || rel == "lib.rs"
}

/// The paths a `use` tree starting at `text` names: `a::b::{c, d::{e, f}}` gives a::b::c,
/// a::b::d::e and a::b::d::f.
fn expand(text: &str) -> Vec<Vec<String>> {
    fn tree(text: &str, prefix: &[String], out: &mut Vec<Vec<String>>) -> usize {
        let mut segments = prefix.to_vec();
        let mut i = 0;
        let bytes = text.as_bytes();
        loop {
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            if i > start {
                segments.push(text[start..i].to_string());
            }
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            if text[i..].starts_with("::") {
                i += 2;
                while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                    i += 1;
                }
                if i < bytes.len() && bytes[i] == b'{' {
                    i += 1;
                    loop {
                        i += tree(&text[i..], &segments, out);
                        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                            i += 1;
                        }
                        match bytes.get(i) {
                            Some(b',') => {
                                i += 1;
                                while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                                    i += 1;
                                }
                                if bytes.get(i) == Some(&b'}') {
                                    return i + 1;
                                }
                            }
                            Some(b'}') => return i + 1,
                            _ => return i,
                        }
                    }
                }
                if bytes.get(i) == Some(&b'*') {
                    out.push(segments);
                    return i + 1;
                }
                continue;
            }
            out.push(segments);
            return i;
        }
    }
    let mut out = Vec::new();
    tree(text, &[], &mut out);
    out
}

/// `crate::a::b`, `super::x` or `self::y` seen from `module` as a path from the crate root (a
/// file `a/b.rs` and a folder `a/b/mod.rs` are both module a::b, whose `super` is a).
fn absolute(module: &[String], path: &[String]) -> Option<Vec<String>> {
    let mut base: Vec<String> = Vec::new();
    let mut rest = path;
    match rest.first().map(String::as_str) {
        Some("crate") => rest = &rest[1..],
        Some("self") | Some("super") => {
            // A plain file `a/b.rs` is module a::b; its `super` is a.
            base = module.to_vec();
            while let Some(first) = rest.first() {
                match first.as_str() {
                    "self" => rest = &rest[1..],
                    "super" => {
                        base.pop()?;
                        rest = &rest[1..];
                    }
                    _ => break,
                }
            }
        }
        _ => return None,
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

/// The file that defines the longest prefix of `path` that is a file module.
fn target_file(path: &[String], files: &BTreeMap<Vec<String>, String>) -> Option<String> {
    (0..=path.len())
        .rev()
        .find_map(|n| files.get(&path[..n].to_vec()).cloned())
}

fn module_of(rel: &str) -> &str {
    rel.split('/').next().unwrap_or(rel).trim_end_matches(".rs")
}

/// (from file, to file) for every reference between two different files, less those between a
/// mod.rs and its own descendants.
fn edges(files: &[SourceFile]) -> BTreeSet<(String, String)> {
    let by_module: BTreeMap<Vec<String>, String> = files
        .iter()
        .map(|f| (f.module.clone(), f.rel.clone()))
        .collect();
    let mut out = BTreeSet::new();
    for file in files {
        for path in referenced_paths(file) {
            let Some(to) = target_file(&path, &by_module) else {
                continue;
            };
            if to == file.rel {
                continue;
            }
            let folder_of = |rel: &str| rel.trim_end_matches("mod.rs").to_string();
            let family = |parent: &str, child: &str| {
                is_mod_file(parent) && (parent == "lib.rs" || child.starts_with(&folder_of(parent)))
            };
            if family(&file.rel, &to) || family(&to, &file.rel) {
                continue;
            }
            out.insert((file.rel.clone(), to));
        }
    }
    out
}

#[test]
fn the_backends_stay_apart_and_report_and_scenario_stay_clean() {
    // Test modules count here too: a GPU test compares with the CPU through `solve::solve`.
    let files = library_files(true);
    let edges = edges(&files);
    let mut wrong = Vec::new();
    for (from, to) in &edges {
        let rule = if from.starts_with("solve/gpu/") && to.starts_with("solve/cpu/") {
            Some("solve/gpu may not use solve/cpu")
        } else if from.starts_with("solve/cpu/") && to.starts_with("solve/gpu/") {
            Some("solve/cpu may not use solve/gpu")
        } else if from.starts_with("report/")
            && (to.starts_with("solve/cpu/") || to.starts_with("solve/gpu/"))
        {
            Some("report may not use a backend")
        } else if from.starts_with("scenario/")
            && ["model", "solve", "run", "sweep"].contains(&module_of(to))
        {
            Some("scenario may not use model, solve, run or sweep")
        } else {
            None
        };
        if let Some(rule) = rule {
            wrong.push(format!("{rule}: src/{from} uses src/{to}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn no_cycle_among_files() {
    let files = library_files(false);
    let edges = edges(&files);
    let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (from, to) in &edges {
        next.entry(from.as_str()).or_default().push(to.as_str());
    }
    // Depth-first search with colours; a grey node met again closes a cycle.
    #[derive(Clone, Copy, PartialEq)]
    enum Colour {
        White,
        Grey,
        Black,
    }
    let mut colour: BTreeMap<&str, Colour> = files
        .iter()
        .map(|f| (f.rel.as_str(), Colour::White))
        .collect();
    let mut cycles = Vec::new();
    fn visit<'a>(
        node: &'a str,
        next: &BTreeMap<&'a str, Vec<&'a str>>,
        colour: &mut BTreeMap<&'a str, Colour>,
        stack: &mut Vec<&'a str>,
        cycles: &mut Vec<String>,
    ) {
        colour.insert(node, Colour::Grey);
        stack.push(node);
        for &to in next.get(node).map_or(&[][..], Vec::as_slice) {
            match colour.get(to).copied().unwrap_or(Colour::Black) {
                Colour::White => visit(to, next, colour, stack, cycles),
                Colour::Grey => {
                    let at = stack.iter().position(|&n| n == to).unwrap_or(0);
                    let mut ring: Vec<&str> = stack[at..].to_vec();
                    ring.push(to);
                    cycles.push(ring.join(" -> "));
                }
                Colour::Black => {}
            }
        }
        stack.pop();
        colour.insert(node, Colour::Black);
    }
    let nodes: Vec<&str> = files.iter().map(|f| f.rel.as_str()).collect();
    for node in nodes {
        if colour[node] == Colour::White {
            visit(node, &next, &mut colour, &mut Vec::new(), &mut cycles);
        }
    }
    assert!(
        cycles.is_empty(),
        "cycles among files:\n{}",
        cycles.join("\n")
    );
}

#[test]
fn files_and_functions_stay_small() {
    let mut long = Vec::new();
    let main = std::fs::read_to_string(src().join("main.rs")).expect("src/main.rs");
    let binary = SourceFile {
        rel: "main.rs".to_string(),
        module: Vec::new(),
        code: code_only(&main),
        text: main,
    };
    for file in library_files(false).into_iter().chain([binary]) {
        let lines = file.text.lines().count();
        if lines > MAX_FILE_LINES {
            long.push(format!(
                "src/{}: {lines} lines (at most {MAX_FILE_LINES})",
                file.rel
            ));
        }
        for (name, start, length) in functions(&file.code) {
            if length > MAX_FUNCTION_LINES {
                long.push(format!(
                    "src/{}:{start}: fn {name} has {length} lines (at most {MAX_FUNCTION_LINES})",
                    file.rel
                ));
            }
        }
    }
    assert!(long.is_empty(), "{}", long.join("\n"));
}

/// (name, first line, lines) of every `fn` with a body, by brace matching on code without
/// comments and strings.
fn functions(code: &str) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    let mut from = 0;
    while let Some(k) = code[from..].find("fn ") {
        let at = from + k;
        from = at + 3;
        if at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_') {
            continue;
        }
        let name: String = code[at + 3..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() {
            continue;
        }
        // The body opens at the first `{` before any `;` (a declaration in a trait has none).
        let Some(open) = code[at..].find(['{', ';']).map(|k| at + k) else {
            continue;
        };
        if bytes[open] == b';' {
            continue;
        }
        let mut depth = 0usize;
        let mut close = open;
        for (i, b) in bytes.iter().enumerate().skip(open) {
            match b {
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        close = i;
                        break;
                    }
                }
                _ => {}
            }
        }
        let line = |i: usize| code[..i].matches('\n').count() + 1;
        out.push((name, line(at), line(close) - line(at) + 1));
    }
    out
}

#[test]
fn the_reader_finds_what_it_should() {
    // The parser itself: a braced use names each leaf, super resolves from a plain file.
    let leaves = expand("crate::a::{b, c::{d, e}, f::*};");
    assert_eq!(
        leaves,
        vec![
            vec!["crate", "a", "b"],
            vec!["crate", "a", "c", "d"],
            vec!["crate", "a", "c", "e"],
            vec!["crate", "a", "f"],
        ]
        .into_iter()
        .map(|v| v.into_iter().map(str::to_string).collect::<Vec<_>>())
        .collect::<Vec<_>>()
    );
    let module = vec!["solve".to_string(), "gpu".to_string(), "csr".to_string()];
    assert_eq!(
        absolute(&module, &["super".into(), "grid".into()]),
        Some(vec!["solve".into(), "gpu".into(), "grid".into()])
    );
    assert_eq!(
        code_only("let a = \"crate::x\"; // crate::y\nuse crate::z;"),
        "let a = \"\"; \nuse crate::z;"
    );
    let f = functions("fn a() {\n{\n}\n}\nfn b();\nfn c() { }");
    assert_eq!(f, vec![("a".to_string(), 1, 4), ("c".to_string(), 6, 1)]);
}
