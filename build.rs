//! Compiles the suites (`suites/**/*.yaml`, `bases.yaml`, `RETIRED`) into the binary, so that an
//! installed `dmnoti` runs its suites from any directory; `--suites DIR` reads others instead.

use std::path::{Path, PathBuf};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml")
            || path.file_name().is_some_and(|n| n == "RETIRED")
        {
            out.push(path);
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let suites = root.join("suites");
    println!("cargo:rerun-if-changed={}", suites.display());
    let mut files = Vec::new();
    collect(&suites, &mut files);
    files.sort();
    let mut code = String::from(
        "/// The suites as built in: (path under suites/, text).\npub static FILES: &[(&str, &str)] = &[\n",
    );
    for f in &files {
        let rel = f
            .strip_prefix(&suites)
            .unwrap_or(f)
            .to_string_lossy()
            .replace('\\', "/");
        code.push_str(&format!(
            "    ({rel:?}, include_str!({:?})),\n",
            f.display().to_string()
        ));
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default()).join("builtin_suites.rs");
    if let Err(e) = std::fs::write(&out, code) {
        panic!("writing {}: {e}", out.display());
    }
}
