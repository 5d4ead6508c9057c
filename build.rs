//! Compiles the suites (`suites/**/*.yaml`, `bases.yaml`, `RETIRED`) and the test vectors
//! (`vectors/**/*.json`) into the binary, so that an installed `dmnoti` runs its suites and checks
//! its vectors from any directory; `--suites DIR` and `vectors check --dir DIR` read others instead.

use std::path::{Path, PathBuf};

fn collect(dir: &Path, keep: &dyn Fn(&Path) -> bool, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, keep, out);
        } else if keep(&path) {
            out.push(path);
        }
    }
}

/// `OUT_DIR/name`: a static `FILES` of (path under `dir`, text) for each file `keep` takes.
fn embed(dir: &Path, keep: &dyn Fn(&Path) -> bool, name: &str, what: &str) {
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files = Vec::new();
    collect(dir, keep, &mut files);
    files.sort();
    let mut code = format!(
        "/// The {what} as built in: (path under {}/, text).\npub static FILES: &[(&str, &str)] = &[\n",
        dir.file_name().unwrap_or_default().to_string_lossy()
    );
    for f in &files {
        let rel = f
            .strip_prefix(dir)
            .unwrap_or(f)
            .to_string_lossy()
            .replace('\\', "/");
        code.push_str(&format!(
            "    ({rel:?}, include_str!({:?})),\n",
            f.display().to_string()
        ));
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default()).join(name);
    if let Err(e) = std::fs::write(&out, code) {
        panic!("writing {}: {e}", out.display());
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    embed(
        &root.join("suites"),
        &|p| {
            p.extension().is_some_and(|e| e == "yaml")
                || p.file_name().is_some_and(|n| n == "RETIRED")
        },
        "builtin_suites.rs",
        "suites",
    );
    embed(
        &root.join("vectors"),
        &|p| p.extension().is_some_and(|e| e == "json"),
        "builtin_vectors.rs",
        "test vectors",
    );
}
